"""Follows, fan-out in batches, in-app list, settings and daily digests."""
from datetime import UTC, datetime, timedelta

from community.dbtypes import utcnow
from community.extensions import db
from community.notifications import service
from community.notifications.models import Event, Notification, OutboxEmail
from community.proposals import service as proposals
from tests import factories as f


def _story(n_voters=3):
    author = f.owner()
    p = f.proposal(author)
    voters = [f.owner() for _ in range(n_voters)]
    for v in voters:
        proposals.vote(v, p)
    return p, author, voters


def test_proposing_and_voting_follow_and_a_status_change_reaches_followers_not_the_actor(app):
    p, author, voters = _story()
    mod = f.moderator()
    service.follow(mod, p.id)
    proposals.change_status(p, "under_review", mod, note_en="Council reviews it")
    service.fan_out_pending()
    for user in [author, *voters]:
        items = service.for_user(user)
        assert [n.kind for n in items] == ["status_change"] and service.unread_count(user) == 1
    assert service.for_user(mod) == []  # the actor does not notify themselves


def test_unfollow_and_off_setting_silence(app):
    p, author, (a, b, c) = _story()
    service.unfollow(a, p.id)
    service.save_settings(b, {"status_change": "off"})
    proposals.change_status(p, "under_review", f.moderator(), note_en="x")
    service.fan_out_pending()
    assert service.unread_count(a) == 0 and service.unread_count(b) == 0 and service.unread_count(c) == 1


def test_mark_read_clears_the_unread_count(client, auth, app):
    p, author, (voter, *_) = _story(1)
    proposals.change_status(p, "under_review", f.moderator(), note_en="x")
    service.fan_out_pending()
    auth.login(voter)
    page = client.get("/notifications").get_data(as_text=True)
    assert p.title in page and 'id="nav-notifications"' in page
    client.post("/notifications/read")
    assert service.unread_count(voter) == 0


def test_fan_out_goes_in_batches_resumes_and_never_repeats(app):
    p, author, voters = _story(7)
    proposals.change_status(p, "under_review", f.moderator(), note_en="x")
    event = Event.query.one()
    assert service.fan_out(event, max_batches=1, batch=3) == 3
    assert event.fanned_out_at is None
    assert service.fan_out(event, batch=3) == 5  # the other 4 voters + the author
    assert service.fan_out(event, batch=3) == 0
    assert Notification.query.count() == 8


def test_without_redis_the_fan_out_runs_inline_after_the_response(client, auth, app, monkeypatch):
    monkeypatch.setattr(service, "BATCH", 2)
    p, author, voters = _story(5)
    auth.login_as(f.moderator())
    resp = client.post(f"/proposals/{p.id}/status", data={"st-status": "under_review", "st-text_en": "Reviewing"})
    assert resp.status_code == 302
    assert Notification.query.count() == 6  # every batch, by the inline job once the page was made


def test_with_redis_a_request_only_enqueues_the_fan_out_and_a_worker_does_it(make_app, redis_config, monkeypatch):
    from rq import SimpleWorker

    from community import jobs
    from tests.conftest import AuthActions

    monkeypatch.setattr(service, "BATCH", 2)
    app = make_app(**redis_config)
    with app.app_context():
        p, author, voters = _story(5)
        client = app.test_client()
        AuthActions(client).login_as(f.moderator())
        queued = jobs.queue().count
        resp = client.post(f"/proposals/{p.id}/status", data={"st-status": "under_review",
                                                              "st-text_en": "Reviewing"})
        assert resp.status_code == 302
        assert Notification.query.count() == 0 and jobs.queue().count == queued + 1
        SimpleWorker([jobs.queue()], connection=jobs.redis_connection()).work(burst=True)
        assert Notification.query.count() == 6
        assert service.fan_out_pending() == 0  # the minutely job finds nothing left: nothing doubled


def test_the_cli_fans_out_what_is_pending(app, runner):
    p, author, voters = _story(3)
    proposals.change_status(p, "under_review", f.moderator(), note_en="x")
    assert "4 notification(s) created" in runner.invoke(args=["notifications", "fan-out"]).output
    assert "0 notification(s) created" in runner.invoke(args=["notifications", "fan-out"]).output


def test_hidden_content_is_never_notified(app):
    p, author, voters = _story(2)
    proposals.change_status(p, "under_review", f.moderator(), note_en="x")
    p.hidden_at = utcnow()
    db.session.commit()
    service.fan_out_pending()
    assert Notification.query.count() == 0
    p.hidden_at = None
    db.session.commit()
    proposals.change_status(p, "accepted", f.moderator(), note_en="y")
    service.fan_out_pending()
    assert service.unread_count(voters[0]) == 1
    p.hidden_at = utcnow()
    db.session.commit()
    assert service.unread_count(voters[0]) == 0 and service.for_user(voters[0]) == []


def test_digest_once_a_day_never_empty_and_sent(app, runner):
    p, author, (reader, other) = _story(2)
    service.save_settings(reader, {"status_change": "digest"})
    noon = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
    assert service.build_digests(noon) == 0  # nothing yet: no empty digest
    proposals.change_status(p, "under_review", f.moderator(), note_en="Council reviews it")
    service.fan_out_pending()
    assert service.unread_count(reader) == 0 and service.unread_count(other) == 1  # digest, not in-app
    assert service.build_digests(noon) == 1
    proposals.change_status(p, "accepted", f.moderator(), note_en="Approved")
    service.fan_out_pending()
    assert service.build_digests(noon + timedelta(hours=6)) == 0  # same Shanghai day: still one
    assert service.build_digests(noon + timedelta(hours=13)) == 1  # 01:00 next day in Shanghai
    assert OutboxEmail.query.count() == 2
    mail = OutboxEmail.query.order_by(OutboxEmail.id).first()
    assert mail.to_address == reader.email and p.title in mail.body
    result = runner.invoke(args=["notifications", "send-digests"])
    assert "2 e-mail(s) sent" in result.output
    sent = app.extensions["mailman"].outbox
    assert [m.to for m in sent] == [[reader.email], [reader.email]]
    assert "0 e-mail(s) sent" in runner.invoke(args=["notifications", "send-digests"]).output


def test_personal_notification_reaches_one_user(app):
    user = f.owner()
    service.notify_user(user.id, "feedback_reply", "已回复", "Your feedback was answered", "/feedback/1")
    db.session.commit()
    service.fan_out_pending()
    assert [n.event.link for n in service.for_user(user)] == ["/feedback/1"]


def test_follow_button_needs_login_and_toggles(client, auth, app):
    p, author, _ = _story(0)
    assert client.post(f"/proposals/{p.id}/follow", data={"on": "1"}).status_code == 302  # to login
    user = f.owner()
    auth.login(user)
    client.post(f"/proposals/{p.id}/follow", data={"on": "1"})
    assert service.is_following(user, p.id)
    assert 'id="unfollow"' in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    client.post(f"/proposals/{p.id}/follow", data={"on": "0"})
    assert not service.is_following(user, p.id)


def test_settings_page_saves_channels(client, auth, app):
    user = f.owner()
    auth.login(user)
    assert client.get("/settings/notifications").status_code == 200
    client.post("/settings/notifications", data={"status_change": "digest", "milestone": "off"})
    settings = service.settings_for(user)
    assert settings["status_change"] == "digest" and settings["milestone"] == "off"
    assert settings["feedback_reply"] == "in_app"


def test_notifications_through_the_api(client, app):
    from community.api import tokens

    p, author, (voter,) = _story(1)
    _, secret = tokens.create_token(voter, "phone", "write", None)
    h = {"Authorization": f"Bearer {secret}"}
    proposals.change_status(p, "under_review", f.moderator(), note_en="x")
    service.fan_out_pending()
    page = client.get("/api/v1/notifications", headers=h).json
    assert page["unread"] == 1 and page["items"][0]["proposal_id"] == p.id and page["items"][0]["read"] is False
    assert client.post("/api/v1/notifications/read", headers=h, json={}).json == {"marked": 1}
    assert client.delete(f"/api/v1/proposals/{p.id}/follow", headers=h).json == {"following": False}
    assert not service.is_following(voter, p.id)
    bad = client.put("/api/v1/me/notification-settings", headers=h, json={"milestone": "sms"})
    assert bad.status_code == 422
    ok = client.put("/api/v1/me/notification-settings", headers=h, json={"milestone": "digest"})
    assert ok.json["milestone"] == "digest" and ok.json["status_change"] == "in_app"
