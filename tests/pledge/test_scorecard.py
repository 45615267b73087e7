"""The public /pledge scorecard, computed from fixtures whose answers are known."""
from datetime import UTC, datetime, timedelta

from community.feedback import scorecard, service
from tests import factories as f


def _fixture(now: datetime):
    """Team sales promises a first answer in 4 h, resolution in 48 h.

    30 days: A (2 h, kept), B (6 h, late), C (never answered, overdue), D (1 h old, pending)
    -> 1 of 3 decided within SLA, 1 open breach (C), median first answer 4 h.
    90 days adds E (1 h, kept, resolved) and F (3 h, kept, never resolved: resolution overdue)
    -> 3 of 5, 2 open breaches (C, F), median of 1, 2, 3, 6 = 2.5 h.
    """
    f.pledge_item("sales", first_hours=4, resolution_hours=48)
    agent = f.agent("sales")
    h = lambda n: timedelta(hours=n)  # noqa: E731

    def item(age: timedelta, answer_h=None, resolve_h=None):
        created = now - age
        it = f.feedback(team="sales", created_at=created)
        if answer_h is not None:
            service.reply(it, agent, "on it", now=created + h(answer_h))
        if resolve_h is not None:
            service.start(it, agent, now=created + h(answer_h + 0.5))
            service.resolve(it, agent, "done", now=created + h(resolve_h))
        return it

    item(timedelta(days=10), 2, 10)
    item(timedelta(days=20), 6, 20)
    item(timedelta(days=5))
    item(h(1))
    item(timedelta(days=60), 1, 5)
    item(timedelta(days=40), 3)
    f.feedback(team=None, created_at=now - timedelta(days=3))  # triage items count for no team
    return f.teams()["sales"]


def test_figures_per_window(app):
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    team = _fixture(now)
    card = scorecard.team_cards([team.id], now=now)[team.id]
    d30, d90 = card.windows[30], card.windows[90]
    assert (d30.within_sla, d30.decided, d30.open_breaches, d30.median_hours) == (1, 3, 1, 4.0)
    assert abs(d30.share - 1 / 3) < 1e-9
    assert (d90.within_sla, d90.decided, d90.open_breaches, d90.median_hours) == (3, 5, 2, 2.5)
    assert d90.share == 0.6
    assert len(card.weekly) == 13 and sum(w.decided for w in card.weekly) == 5


def test_empty_team_has_no_share_not_zero(app):
    team = f.teams()["delivery"]
    card = scorecard.team_cards([team.id])[team.id]
    assert card.windows[30].share is None and card.windows[90].median_hours is None


def test_public_page_shows_promises_figures_and_charts(client, app):
    team = _fixture(datetime.now(UTC))
    resp = client.get("/pledge?lang=en")
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "We answer fast" in page  # the pledge item's text
    row = page[page.index(f'data-team="{team.slug}"'):]
    row = row[:row.index("</tr>")]
    assert 'data-window="30" data-share="0.3333"' in row and 'data-window="90" data-share="0.6000"' in row
    assert "33%" in row and "60%" in row and "4.0 h" in row and "2.5 h" in row
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="pledge-chart"') == 9


def test_chart_is_escaped_and_has_one_bar_per_week(app):
    svg = scorecard.chart_svg([scorecard.Figures(decided=2, within_sla=1)] * 13, "<script>x</script>")
    assert "<script>" not in svg and svg.count("<rect") == 13


def test_public_figures_are_reused_for_a_minute_then_recomputed(client, app):
    f.teams()
    client.get("/pledge")  # computes and keeps the figures
    f.feedback(team="sales", created_at=datetime.now(UTC) - timedelta(days=2))  # overdue, unanswered
    assert "(0/1)" not in client.get("/pledge").get_data(as_text=True)  # cached figures
    app.config["PLEDGE_SCORECARD_CACHE_SECONDS"] = 0
    assert "(0/1)" in client.get("/pledge").get_data(as_text=True)
