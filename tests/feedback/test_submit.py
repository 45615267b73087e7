"""Submitting feedback: validation beside the fields, anonymous with a contact and a tighter rate limit,
owners see only their own items."""
import pytest

from community.errors import ValidationError
from community.extensions import limiter
from community.feedback import service
from community.feedback.models import FeedbackItem
from tests import factories as f


def test_logged_in_owner_submits_with_own_vehicle(client, auth, app, fake_router):
    f.teams()
    vehicle = f.VehicleFactory()
    auth.login(vehicle.owner)
    resp = client.post("/feedback/new", data={"text": "CarPlay连接断开", "channel": "app",
                                              "vehicle_id": str(vehicle.id)})
    assert resp.status_code == 302
    item = FeedbackItem.query.one()
    assert (item.author_id, item.vehicle_id, item.channel, item.contact) == (vehicle.owner_id, vehicle.id, "app", None)
    page = client.get(resp.headers["Location"] + "?lang=en").get_data(as_text=True)
    assert "CarPlay连接断开" in page and "App &amp; connectivity" in page


def test_someone_elses_vehicle_is_refused(app, fake_router):
    f.teams()
    mine, theirs = f.owner(), f.VehicleFactory()
    with pytest.raises(ValidationError) as err:
        service.submit(mine, "漏水", "web", vehicle_id=theirs.id)
    assert "vehicle_id" in err.value.fields
    assert FeedbackItem.query.count() == 0


def test_text_limits(client, auth, app, fake_router):
    f.teams()
    auth.login(f.owner())
    resp = client.post("/feedback/new", data={"text": "x" * 5001, "channel": "web", "vehicle_id": ""})
    assert resp.status_code == 422 and "x" * 5001 in resp.get_data(as_text=True)  # typed text is kept
    assert client.post("/feedback/new", data={"text": "  ", "channel": "web", "vehicle_id": ""}).status_code == 422
    assert client.post("/feedback/new", data={"text": "ok", "channel": "fax", "vehicle_id": ""}).status_code == 422
    assert FeedbackItem.query.count() == 0
    assert client.post("/feedback/new", data={"text": "x" * 5000, "channel": "web",
                                              "vehicle_id": ""}).status_code == 302


def test_anonymous_needs_a_contact(client, app, fake_router):
    f.teams()
    resp = client.post("/feedback/new", data={"text": "超充站坏了", "channel": "hotline"})
    assert resp.status_code == 422 and "Leave a phone number or e-mail" in resp.get_data(as_text=True)
    resp = client.post("/feedback/new", data={"text": "超充站坏了", "channel": "hotline", "contact": "13800000000"})
    assert resp.status_code == 302
    item = FeedbackItem.query.one()
    assert item.author_id is None and item.contact == "13800000000" and item.team.slug == "app_connectivity"
    assert f"#{item.id}" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_anonymous_rate_limit_is_tighter(make_app, fake_router):
    app = make_app(RATELIMIT_ENABLED=True, FEEDBACK_ANON_RATE_LIMIT="2 per hour", FEEDBACK_RATE_LIMIT="5 per hour")
    with app.app_context():
        limiter.reset()
        f.teams()
        owner = f.owner()
        client = app.test_client()
        data = {"text": "hi", "channel": "web", "contact": "a@example.com"}
        assert [client.post("/feedback/new", data=data).status_code for _ in range(3)] == [302, 302, 429]
        client.post("/login", data={"email": owner.email, "password": f.PASSWORD})
        codes = [client.post("/feedback/new", data={"text": "hi", "channel": "web", "vehicle_id": ""}).status_code
                 for _ in range(6)]
        assert codes == [302] * 5 + [429]
        assert FeedbackItem.query.count() == 7
        limiter.reset()


def test_owners_see_only_their_own_items(client, auth, app):
    alice, bob = f.owner(), f.owner()
    mine = f.feedback(author=alice, text="feedback from alice")
    theirs = f.feedback(author=bob, text="feedback from bob")
    auth.login(alice)
    page = client.get("/feedback/mine").get_data(as_text=True)
    assert "feedback from alice" in page and "feedback from bob" not in page
    assert client.get(f"/feedback/{mine.id}").status_code == 200
    assert client.get(f"/feedback/{theirs.id}").status_code == 404


def test_owner_sees_replies_status_and_team(client, auth, app):
    alice = f.owner()
    item = f.feedback(author=alice, team="charging")
    agent = f.agent("charging")
    service.reply(item, agent, "已安排工程师今天处理")
    auth.login(alice)
    page = client.get(f"/feedback/{item.id}?lang=en").get_data(as_text=True)
    assert "已安排工程师今天处理" in page and "Acknowledged" in page and "Charging" in page
    assert "Routing corrections" not in page and "Router" not in page  # internals are for staff
