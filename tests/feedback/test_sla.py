"""SLA arithmetic in hours on UTC instants, shown in the viewer's zone; the sweep marks each breach once."""
from datetime import UTC, datetime, timedelta

from community.audit.models import AuditEntry
from community.feedback import service, sla
from tests import factories as f


def test_due_crosses_midnight_and_days_in_shanghai(app, client, auth):
    f.pledge_item("charging", first_hours=2, resolution_hours=24)
    # 23:30 on 30 Nov in Shanghai is 15:30 UTC; +2 h is 01:30 on 1 Dec there, +24 h is 23:30 on 1 Dec.
    created = datetime(2026, 11, 30, 15, 30, tzinfo=UTC)
    owner = f.owner()
    item = f.feedback(author=owner, team="charging", created_at=created)
    assert item.first_response_due_at == datetime(2026, 11, 30, 17, 30, tzinfo=UTC)
    assert item.resolution_due_at == datetime(2026, 12, 1, 15, 30, tzinfo=UTC)
    auth.login(owner)
    page = client.get(f"/feedback/{item.id}?lang=en").get_data(as_text=True)
    assert "1 Dec 2026, 01:30" in page  # shown, or in the title of a relative time


def test_week_long_sla_spans_days(app):
    f.teams()
    created = datetime(2026, 12, 31, 20, 0, tzinfo=UTC)  # default SLA: 24 h and 168 h
    item = f.feedback(team="sales", created_at=created)
    assert item.first_response_due_at == datetime(2027, 1, 1, 20, 0, tzinfo=UTC)
    assert item.resolution_due_at == datetime(2027, 1, 7, 20, 0, tzinfo=UTC)


def test_sweep_marks_breaches_once(app):
    f.pledge_item("after_sales", first_hours=2, resolution_hours=24)
    t0 = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    silent = f.feedback(text="no answer", team="after_sales", created_at=t0)
    answered = f.feedback(text="answered in time", team="after_sales", created_at=t0)
    triaged = f.feedback(text="nobody routed me", team=None, created_at=t0)
    agent = f.agent("after_sales")
    service.reply(answered, agent, "on it", now=t0 + timedelta(hours=1))

    assert sla.sweep(now=t0 + timedelta(hours=1, minutes=59)).total == 0  # not due yet
    first = sla.sweep(now=t0 + timedelta(hours=3))
    assert sorted(first.first_response) == sorted([silent.id]) and first.resolution == []
    assert sla.sweep(now=t0 + timedelta(hours=3)).total == 0  # idempotent
    assert sla.sweep(now=t0 + timedelta(hours=20)).total == 0
    # Triage items breach against the default SLA (24 h) so a forgotten one cannot hide.
    later = sla.sweep(now=t0 + timedelta(hours=25))
    assert sorted(later.first_response) == [triaged.id]
    assert sorted(later.resolution) == sorted([silent.id, answered.id])
    assert sla.sweep(now=t0 + timedelta(days=30)).resolution == [triaged.id]
    assert sla.sweep(now=t0 + timedelta(days=31)).total == 0
    entries = AuditEntry.query.filter_by(action="sla.breach").all()
    assert len(entries) == 5 and all(e.actor_id is None for e in entries)
    assert service.get_item(silent.id).first_response_breached_at == t0 + timedelta(hours=3)


def test_resolved_items_never_breach(app):
    f.teams()
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    item = f.feedback(team="sales", created_at=t0)
    agent = f.agent("sales")
    service.reply(item, agent, "hi", now=t0 + timedelta(hours=1))
    service.start(item, agent, now=t0 + timedelta(hours=2))
    service.resolve(item, agent, "done", now=t0 + timedelta(hours=3))
    assert sla.sweep(now=t0 + timedelta(days=60)).total == 0


def test_breaches_are_shown_to_moderators(app, client, auth):
    f.teams()
    item = f.feedback(team="sales", created_at=datetime.now(UTC) - timedelta(hours=30))
    sla.sweep()
    auth.login(f.moderator())
    page = client.get("/feedback/triage").get_data(as_text=True)
    assert "SLA breaches in the last 7 days" in page and f"/feedback/{item.id}" in page


def test_sweep_cli(app, runner):
    f.teams()
    f.feedback(team="sales", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    out = runner.invoke(args=["sla", "sweep", "--now", "2026-01-03T00:00:00"]).output
    assert "1 first-response breach(es), 0 resolution breach(es)" in out
    out = runner.invoke(args=["sla", "sweep", "--now", "2026-01-03T00:00:00+08:00"]).output
    assert "0 first-response breach(es), 0 resolution breach(es)" in out


def test_author_hears_of_missed_promises_once_each(app):
    from community.notifications.models import Event

    f.teams()
    owner = f.owner()
    item = f.feedback(author=owner, team="sales", created_at=datetime(2026, 1, 1, tzinfo=UTC))
    f.feedback(team="sales", contact="13800000000", author=None, created_at=datetime(2026, 1, 1, tzinfo=UTC))
    sla.sweep(now=datetime(2026, 1, 3, tzinfo=UTC))
    sla.sweep(now=datetime(2026, 1, 3, tzinfo=UTC))
    sla.sweep(now=datetime(2026, 1, 9, tzinfo=UTC))
    events = Event.query.filter_by(kind="feedback_breach").order_by(Event.id).all()
    assert [(e.user_id, e.link) for e in events] == [(owner.id, f"/feedback/{item.id}")] * 2
