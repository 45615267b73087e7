"""Feedback, scorecard and council through the API: the same rules as the web, plus notifications."""
from datetime import timedelta

from community.api import tokens
from community.feedback import service as feedback
from community.feedback import sla
from community.notifications import service as notifications
from tests import factories as f


def bearer(user, scope="write"):
    _, secret = tokens.create_token(user, "t", scope, None)
    return {"Authorization": f"Bearer {secret}"}


def test_owner_submits_and_the_agent_answers_through_the_api(client, app, monkeypatch):
    f.teams()
    owner, agent = f.owner(), f.agent("after_sales")
    from community.feedback import routing_service
    monkeypatch.setattr(routing_service, "route", lambda text: f.routed("after_sales"))
    oh, ah = bearer(owner), bearer(agent)
    item = client.post("/api/v1/feedback", headers=oh, json={"text": "保养预约后门店没人联系我", "channel": "app"})
    assert item.status_code == 201 and item.json["team"] == "after_sales" and item.json["status"] == "new"
    iid = item.json["id"]
    queue = client.get("/api/v1/feedback/queue?team=after_sales", headers=ah).json
    assert [i["id"] for i in queue["items"]] == [iid]
    assert client.get("/api/v1/feedback/queue?team=after_sales", headers=oh).status_code == 403
    assert client.get("/api/v1/feedback/queue?team=triage", headers=ah).status_code == 403
    replied = client.post(f"/api/v1/feedback/{iid}/actions", headers=ah, json={"action": "reply", "body": "明天联系您"})
    assert replied.json["status"] == "acknowledged" and replied.json["replies"][0]["body"] == "明天联系您"
    again = client.post(f"/api/v1/feedback/{iid}/actions", headers=ah, json={"action": "resolve", "body": "done"})
    assert again.status_code == 409  # not in progress yet: same rule as the web
    assert client.post(f"/api/v1/feedback/{iid}/actions", headers=oh, json={"action": "start"}).status_code == 403
    mine = client.get("/api/v1/feedback/mine", headers=oh).json
    assert mine[0]["replies"][0]["body"] == "明天联系您"
    notifications.fan_out_pending()
    assert [n.kind for n in notifications.for_user(owner)] == ["feedback_reply"]
    assert client.get(f"/api/v1/feedback/{iid}", headers=bearer(f.owner())).status_code == 404


def test_feedback_validation_and_someone_elses_vehicle(client, app):
    f.teams()
    owner, other = f.owner(), f.owner()
    h = bearer(owner)
    assert client.post("/api/v1/feedback", headers=h, json={"text": ""}).status_code == 422
    foreign = client.post("/api/v1/feedback", headers=h, json={"text": "x", "vehicle_id": other.vehicles[0].id})
    assert foreign.status_code == 422 and "vehicle_id" in foreign.json["error"]["fields"]


def test_breach_notifies_the_author(app):
    f.teams()
    owner = f.owner()
    item = feedback.submit(owner, "app 连不上车", "app", routing=f.routed("app_connectivity"))
    sla.sweep(item.first_response_due_at + timedelta(minutes=1))
    sla.sweep(item.first_response_due_at + timedelta(minutes=2))  # idempotent: no second notice
    notifications.fan_out_pending()
    assert [n.kind for n in notifications.for_user(owner)] == ["feedback_breach"]


def test_public_scorecard_and_council_sessions(client, app):
    f.teams()
    f.pledge_item("charging", 2, 24, "充电问题 2 小时内响应")
    cards = client.get("/api/v1/pledge/scorecard", headers={"Accept-Language": "zh"}).json
    charging = next(c for c in cards if c["team"] == "charging")
    assert charging["promises"][0]["first_response_hours"] == 2
    assert [w["days"] for w in charging["windows"]] == [30, 90]
    assert client.get("/api/v1/council/sessions").json == []
    assert client.get("/api/v1/council/sessions/5").status_code == 404
