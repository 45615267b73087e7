"""Drafts, read-only submitted reports, findings routed to the owning team and linked back."""
from datetime import timedelta

import pytest

from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, ValidationError
from community.feedback import service as feedback
from community.feedback.models import FeedbackItem
from community.pledge import service as pledge
from community.shopper import service
from community.shopper.models import Finding, ShopperReport
from tests import factories as f
from tests.shopper import factories as sf


@pytest.fixture
def setup(app):
    author, shop = sf.shopper(), sf.store()
    sales, after_sales = sf.items()
    return author, shop, sales, after_sales


def test_a_draft_is_saved_and_finished_later(setup):
    author, shop, sales, after_sales = setup
    report = service.save_draft(None, author, sf.report_input(shop, {sales.id: (4, "ok", False)}, kind=None))
    assert report.is_draft and report.score is None
    with pytest.raises(ValidationError) as err:
        service.submit(report, author)
    assert "visit_kind" in err.value.fields
    service.save_draft(report, author, sf.report_input(shop, {sales.id: (4, "ok", False),
                                                              after_sales.id: (2, "slow", False)}))
    service.submit(report, author)
    assert report.status == "submitted" and report.score == 50.0  # (75 + 25) / 2


def test_a_submitted_report_is_read_only(setup):
    author, shop, sales, _ = setup
    report = sf.submitted(author, shop, {sales.id: (5, "", False)})
    with pytest.raises(Conflict):
        service.save_draft(report, author, sf.report_input(shop, {sales.id: (1, "changed", False)}))
    with pytest.raises(Conflict):
        service.submit(report, author)
    with pytest.raises(Conflict):
        service.delete_photo(report, author, 1)
    assert db_report(report.id).lines[0].score == 5


def db_report(report_id):
    from community.extensions import db

    db.session.expire_all()
    return db.session.get(ShopperReport, report_id)


def test_only_the_author_edits_a_draft(setup):
    author, shop, sales, _ = setup
    report = sf.draft(author, shop)
    with pytest.raises(NotFound):
        service.save_draft(report, sf.shopper(), sf.report_input(shop))


def test_nothing_observed_gives_no_score(setup):
    author, shop, sales, after_sales = setup
    report = sf.submitted(author, shop, {sales.id: (None, "", False), after_sales.id: (None, "", False)})
    assert report.status == "submitted" and report.score is None


def test_validation(setup):
    author, shop, sales, _ = setup
    with pytest.raises(ValidationError) as err:
        service.save_draft(None, author, sf.report_input(shop, visited_at=utcnow() + timedelta(days=2)))
    assert "visited_at" in err.value.fields
    with pytest.raises(ValidationError) as err:
        service.save_draft(None, author, sf.report_input(shop, {sales.id: (7, "", False)}))
    assert f"score_{sales.id}" in err.value.fields
    report = sf.draft(author, shop, {sales.id: (4, "", True)})
    with pytest.raises(ValidationError) as err:
        service.submit(report, author)
    assert f"comment_{sales.id}" in err.value.fields  # an issue needs words


def test_findings_are_routed_to_the_owning_team_linked_and_on_the_clock(setup):
    author, shop, sales, after_sales = setup
    agent = f.agent("after_sales")
    now = utcnow()
    report = sf.submitted(author, shop, {
        sales.id: (4, "顾问王小明给了报价单，电话 13812345678", True),   # marked as an issue
        after_sales.id: (1, "no quote before the work", False),             # low score
    }, now=now)
    findings = Finding.query.filter_by(report_id=report.id).order_by(Finding.id).all()
    assert len(findings) == 2 and all(x.feedback_id for x in findings)
    assert {x.routed_by for x in findings} == {"pledge_item"}
    items = {x.line.pledge_item_id: x.feedback for x in findings}
    assert items[sales.id].team.slug == "sales" and items[after_sales.id].team.slug == "after_sales"
    low = items[after_sales.id]
    assert low.channel == "store" and low.author_id == author.id and low.status == "new"
    first, resolution = pledge.sla_hours(low.team)
    assert low.first_response_due_at == now + timedelta(hours=first)
    assert f"/shopper/reports/{report.id}" in low.text
    # the finding's text is redacted: agents are beyond moderators
    assert "13812345678" not in items[sales.id].text and "王小明" not in items[sales.id].text
    # in the agent's normal queue
    queue = feedback.team_queue(pledge.team_by_slug("after_sales"))
    assert [i.id for i in queue.items] == [low.id]
    assert service.finding_for_feedback(low.id).report_id == report.id
    assert feedback.can_work(agent, low)


def test_a_score_of_three_without_issue_is_not_a_finding(setup):
    author, shop, sales, after_sales = setup
    sf.submitted(author, shop, {sales.id: (3, "meh", False), after_sales.id: (5, "", False)})
    assert FeedbackItem.query.count() == 0


def test_the_general_line_goes_through_the_router(setup, monkeypatch):
    from community.feedback import routing_service
    from tests.feedback.conftest import FakeRouter

    monkeypatch.setattr(routing_service, "_load", lambda: FakeRouter("charging", 0.9))
    author, shop, sales, _ = setup
    report = sf.submitted(author, shop, {sales.id: (5, "", False)}, general=("超充桩坏了两周没人修", True))
    finding = Finding.query.filter_by(report_id=report.id).one()
    assert finding.routed_by == "router" and finding.feedback.team.slug == "charging"


def test_an_unsure_router_leaves_the_finding_in_triage(setup, monkeypatch):
    from community.feedback import routing_service
    from tests.feedback.conftest import FakeRouter

    monkeypatch.setattr(routing_service, "_load", lambda: FakeRouter("charging", 0.1))
    author, shop, sales, _ = setup
    report = sf.submitted(author, shop, {}, general=("something odd", True))
    finding = Finding.query.filter_by(report_id=report.id).one()
    assert finding.feedback.team_id is None and finding.feedback.routing_note == "unsure"


def test_filing_findings_again_files_nothing_twice(setup):
    author, shop, sales, _ = setup
    report = sf.submitted(author, shop, {sales.id: (1, "rude", False)})
    assert service.file_findings(report) == 0
    assert FeedbackItem.query.count() == 1


def test_visit_month_is_in_the_platform_zone(setup):
    from datetime import UTC
    from zoneinfo import ZoneInfo

    author, shop, sales, _ = setup
    # 01:30 on the 1st of last month in Shanghai is 17:30 UTC on the last day of the month before.
    shanghai = ZoneInfo("Asia/Shanghai")
    this_month = utcnow().astimezone(shanghai).replace(day=1, hour=1, minute=30, second=0, microsecond=0)
    first = (this_month - timedelta(days=15)).replace(day=1)
    visited = first.astimezone(UTC)
    assert visited.day != 1 and visited.hour == 17
    report = sf.submitted(author, shop, {sales.id: (4, "", False)}, visited_at=visited)
    assert report.visit_month == first.strftime("%Y-%m")


def test_a_visit_more_than_a_year_ago_is_refused(setup):
    author, shop, sales, _ = setup
    with pytest.raises(ValidationError) as err:
        sf.draft(author, shop, {sales.id: (4, "", False)}, visited_at=utcnow() - timedelta(days=400))
    assert "visited_at" in err.value.fields
