"""campaign_opened / campaign_closed on the proposal's public timeline: automatically and exactly once."""
import threading
from datetime import date, datetime

from community.campaigns import pledges, service
from community.campaigns.models import Campaign
from community.extensions import db
from community.timeline.models import Milestone
from tests import factories as f
from tests.campaigns import sh


def _campaign_milestones(c):
    return (Milestone.query.filter(Milestone.proposal_id == c.proposal_id,
                                   Milestone.kind.in_(("campaign_opened", "campaign_closed")))
            .order_by(Milestone.id).all())


def test_close_due_twice_writes_each_milestone_once(app, runner):
    c = f.campaign(target=3)
    a, b = f.eligible_owner(), f.eligible_owner()
    pledges.pledge(a, c, a.vehicles[0].id, now=sh(2025, 11, 25))
    pledges.pledge(b, c, b.vehicles[0].id, now=sh(2025, 12, 24, 23, 59, 59))
    first = runner.invoke(args=["campaigns", "close-due"])
    assert first.exit_code == 0 and f"campaign {c.id}: campaign_opened, campaign_closed" in first.output
    second = runner.invoke(args=["campaigns", "close-due"])
    assert second.exit_code == 0 and "0 campaign(s) updated" in second.output
    opened, closed = _campaign_milestones(c)
    assert opened.kind == "campaign_opened" and opened.occurred_at == c.opens_at and opened.backdate_reason
    assert "CNY 12,800.00" in opened.text_en and "24 Nov 2025, 00:00 to 24 Dec 2025, 23:59" in opened.text_en
    assert closed.kind == "campaign_closed" and closed.occurred_at == c.closes_at
    assert closed.text_en == "Crowdfunding closed with 2 pledges against a target of 3: target not reached."
    assert "共 2 台认筹" in closed.text_zh
    db.session.expire_all()
    row = db.session.get(Campaign, c.id)
    assert row.final_count == 2 and row.status_at(service.utcnow()) == "failed"


def test_succeeded_outcome_is_announced(app):
    c = f.campaign(target=1)
    owner = f.eligible_owner()
    pledges.pledge(owner, c, owner.vehicles[0].id, now=sh(2025, 12, 1))
    assert service.close_due() == [(c.id, ["campaign_opened", "campaign_closed"])]
    assert "target reached" in _campaign_milestones(c)[-1].text_en
    assert service.close_due() == []


def test_nothing_before_the_opening_and_only_opened_while_open(app, client):
    future = f.campaign(opens=datetime(2031, 1, 1), closes_on=date(2031, 1, 31), now=service.utcnow())
    assert service.close_due() == [] and _campaign_milestones(future) == []
    live = f.open_campaign()
    assert client.get(f"/campaigns/{live.id}").status_code == 200  # the page view announces the opening
    assert client.get(f"/campaigns/{live.id}").status_code == 200
    assert [m.kind for m in _campaign_milestones(live)] == ["campaign_opened"]
    assert service.close_due() == []


def test_drafts_are_silent_until_published(app):
    mod = f.moderator()
    draft = f.open_campaign(publish=False, actor=mod)
    assert service.close_due() == [] and _campaign_milestones(draft) == []
    service.publish(draft, mod)
    opened = _campaign_milestones(draft)
    assert [m.kind for m in opened] == ["campaign_opened"]
    assert opened[0].occurred_at == db.session.get(Campaign, draft.id).published_at  # opened when it went public


def test_cancelling_announces_the_public_reason_once(app):
    mod = f.moderator()
    c = f.open_campaign(actor=mod)
    service.cancel_campaign(c, mod, "The supplier withdrew; no one is charged.")
    kinds = [(m.kind, m.text_en) for m in _campaign_milestones(c)]
    assert kinds[0][0] == "campaign_opened"
    assert kinds[1] == ("campaign_closed",
                        'Crowdfunding "Assisted-driving upgrade" cancelled: The supplier withdrew; no one is charged.')
    assert service.close_due() == [] and len(_campaign_milestones(c)) == 2


def test_page_views_racing_close_due_write_once(app, make_app):
    c = f.campaign()
    cid = c.id
    barrier = threading.Barrier(8)
    errors = []

    def close_due():
        try:
            with app.app_context():
                barrier.wait()
                service.close_due()
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    def view():
        try:
            client = app.test_client()
            barrier.wait()
            assert client.get(f"/campaigns/{cid}").status_code == 200
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=t) for t in [close_due, view] * 4]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(m.kind for m in _campaign_milestones(c)) == ["campaign_closed", "campaign_opened"]
