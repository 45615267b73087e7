"""Crowdfunding notifications: opened / closing in 48 h / closed reach the proposal's followers (pledgers
follow), the 48-hour notice exactly once, and nothing about hidden proposals."""
import threading
from datetime import date, datetime, timedelta

from community.campaigns import pledges, reminders, service
from community.campaigns.models import Campaign
from community.dbtypes import utcnow
from community.extensions import db
from community.notifications import service as notifications
from community.notifications.models import Event, Notification
from tests import factories as f
from tests.campaigns import sh


def _kinds(user) -> list[str]:
    """The user's crowdfunding notifications' kinds, oldest first (the author also heard of the acceptance)."""
    return [n.kind for n in Notification.query.filter(Notification.user_id == user.id,
                                                      Notification.kind.like("campaign_%"))
            .order_by(Notification.id)]


def _world():
    """The canonical campaign (24 Nov - 24 Dec 2025, Shanghai), its proposal's author and one pledger."""
    c = f.campaign()
    author = c.proposal.author
    pledger = f.eligible_owner()
    pledges.pledge(pledger, c, pledger.vehicles[0].id, now=sh(2025, 11, 30))
    return c, author, pledger


def test_the_closing_notice_goes_to_followers_once_across_sweeps(app, runner):
    c, author, pledger = _world()
    assert notifications.is_following(pledger, c.proposal_id)  # pledging followed the proposal
    assert service.close_due(now=sh(2025, 12, 22, 23, 59, 59)) == [(c.id, ["campaign_opened"])]  # 48 h + 1 s left
    assert service.close_due(now=sh(2025, 12, 23, 0, 0, 1)) == [(c.id, ["campaign_closing"])]
    assert service.close_due(now=sh(2025, 12, 23, 12)) == []
    assert service.close_due(now=sh(2025, 12, 24, 23, 59, 59)) == []
    notifications.fan_out_pending()
    for user in (author, pledger):
        assert _kinds(user) == ["campaign_opened", "campaign_closing"]
    event = Event.query.filter_by(kind="campaign_closing").one()
    assert "closes at 24 Dec 2025, 23:59 (Asia/Shanghai)" in event.text_en
    assert "1 pledges so far, target 10" in event.text_en
    assert "将于 2025年12月24日 23:59（北京时间）" in event.text_zh
    assert db.session.get(Campaign, c.id).closing_noted_at is not None
    assert service.close_due(now=sh(2025, 12, 25)) == [(c.id, ["campaign_closed"])]
    notifications.fan_out_pending()
    assert _kinds(pledger) == ["campaign_opened", "campaign_closing", "campaign_closed"]


def test_close_due_from_the_cli_sends_it_and_a_second_run_sends_nothing(app, runner):
    live = f.open_campaign()
    soon = utcnow().replace(microsecond=0) + reminders.CLOSING_NOTICE - timedelta(hours=1)
    db.session.execute(db.update(Campaign).where(Campaign.id == live.id).values(closes_at=soon))
    db.session.commit()
    first = runner.invoke(args=["campaigns", "close-due"])
    assert f"campaign {live.id}: campaign_opened, campaign_closing" in first.output
    second = runner.invoke(args=["campaigns", "close-due"])
    assert "0 campaign(s) updated" in second.output
    assert Event.query.filter_by(kind="campaign_closing").count() == 1


def test_two_sweeps_at_once_send_one_notice(app, is_postgres):
    c, author, pledger = _world()
    service.close_due(now=sh(2025, 11, 25))  # the opening, out of the way
    now, results, errors = sh(2025, 12, 23, 12), [], []
    barrier = threading.Barrier(2)

    def sweep():
        with app.app_context():
            try:
                barrier.wait()
                results.append(reminders.remind_closing(now))
            except Exception as exc:  # SQLite: the loser may find the database locked; it sends nothing
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results, key=len) in ([[], [c.id]], [[c.id]])
    assert len(results) == 2 or not is_postgres, errors
    assert Event.query.filter_by(kind="campaign_closing").count() == 1


def test_no_notice_before_48_hours_after_closing_or_for_short_or_cancelled_campaigns(app):
    c, _author, _pledger = _world()
    assert reminders.remind_closing(sh(2025, 12, 20)) == []
    assert reminders.remind_closing(sh(2025, 12, 25)) == []  # closed, never announced as closing
    short = f.campaign(opens=datetime(2025, 11, 24), closes_on=date(2025, 11, 25))  # a 48-hour window
    assert reminders.remind_closing(sh(2025, 11, 25, 12)) == []
    mod = f.moderator()
    cancelled = f.open_campaign(actor=mod)
    service.cancel_campaign(cancelled, mod, "Supplier withdrew")
    assert reminders.remind_closing(cancelled.closes_at - timedelta(hours=1)) == []
    assert Event.query.filter_by(kind="campaign_closing").count() == 0
    assert short.id != cancelled.id


def test_hidden_proposals_hear_nothing_about_their_campaigns(app):
    c, author, pledger = _world()
    c.proposal.hidden_at = utcnow()
    db.session.commit()
    assert service.close_due(now=sh(2025, 12, 23, 12)) == [(c.id, ["campaign_opened"])]  # the milestone, not told
    notifications.fan_out_pending()
    assert _kinds(author) == [] and _kinds(pledger) == []
    assert Event.query.filter_by(kind="campaign_closing").count() == 0
    assert db.session.get(Campaign, c.id).closing_noted_at is None  # not claimed: restored in time, it is sent
    c.proposal.hidden_at = None
    db.session.commit()
    assert reminders.remind_closing(sh(2025, 12, 24)) == [c.id]
    notifications.fan_out_pending()
    assert _kinds(pledger) == ["campaign_closing"]  # the opening stays unsaid: it was hidden when it happened


def test_notifications_emitted_before_hiding_stay_out_of_lists(app, client):
    c, author, pledger = _world()
    assert service.close_due(now=sh(2025, 12, 23, 12)) == [(c.id, ["campaign_opened", "campaign_closing"])]
    notifications.fan_out_pending()
    assert _kinds(pledger) == ["campaign_opened", "campaign_closing"]
    c.proposal.hidden_at = utcnow()
    db.session.commit()
    assert notifications.for_user(pledger) == [] and notifications.unread_count(pledger) == 0
