"""Moderator actions through the API: the same service rules and permissions as the web."""
from community.accounts.models import Vehicle
from community.api import tokens
from community.audit.models import AuditEntry
from community.extensions import db
from tests import factories as f


def bearer(user):
    _, secret = tokens.create_token(user, "t", "write", None)
    return {"Authorization": f"Bearer {secret}"}


def test_only_moderators_verify_vehicles(client, app):
    car = f.VehicleFactory(status="pending")
    owner_h, mod_h = bearer(f.owner()), bearer(f.moderator())
    assert client.get("/api/v1/moderation/vehicles", headers=owner_h).status_code == 403
    url = f"/api/v1/moderation/vehicles/{car.id}"
    assert client.post(url, headers=owner_h, json={"approve": True}).status_code == 403
    no_reason = client.post(url, headers=mod_h, json={"approve": False})
    assert no_reason.status_code == 422
    ok = client.post(url, headers=mod_h, json={"approve": True})
    assert ok.json["status"] == "verified" and db.session.get(Vehicle, car.id).status == "verified"
    assert AuditEntry.query.filter_by(action="vehicle.verify").count() == 1


def test_status_and_milestones_through_the_api(client, app):
    p = f.proposal()
    mod_h = bearer(f.moderator())
    bad = client.post(f"/api/v1/proposals/{p.id}/status", headers=mod_h, json={"status": "delivered", "text_en": "x"})
    assert bad.status_code == 422
    assert client.post(f"/api/v1/proposals/{p.id}/status", headers=bearer(f.owner()),
                       json={"status": "under_review", "text_en": "x"}).status_code == 403
    moved = client.post(f"/api/v1/proposals/{p.id}/status", headers=mod_h,
                        json={"status": "under_review", "text_en": "Council reviews it"})
    assert moved.json["status"] == "under_review"
    ms = client.post(f"/api/v1/proposals/{p.id}/milestones", headers=mod_h,
                     json={"kind": "progress_update", "text_en": "Half way", "progress_percent": 50})
    assert ms.status_code == 201 and ms.json["progress_percent"] == 50
    early = client.post(f"/api/v1/proposals/{p.id}/milestones", headers=mod_h,
                        json={"kind": "commitment", "text_en": "x", "occurred_at": "2026-01-01T00:00:00+08:00"})
    assert early.status_code == 422 and "backdate_reason" in early.json["error"]["fields"]


def test_milestone_dated_before_2000_is_refused(client, auth, app):
    """Found by hand: year 0001 was accepted, then the proposal page was a 500 for viewers west of UTC."""
    p, mod_h = f.proposal(), bearer(f.moderator())
    resp = client.post(f"/api/v1/proposals/{p.id}/milestones", headers=mod_h,
                       json={"kind": "progress_update", "text_en": "x", "occurred_at": "0001-01-01T00:00:00+00:00",
                             "backdate_reason": "typo"})
    assert resp.status_code == 422 and "occurred_at" in resp.json["error"]["fields"]
    assert client.post(f"/api/v1/proposals/{p.id}/milestones", headers=mod_h,
                       json={"kind": "progress_update", "text_en": "x", "occurred_at": "2000-01-01T00:00:00+00:00",
                             "backdate_reason": "an old promise, on record"}).status_code == 201
    viewer = f.owner(timezone="America/New_York")
    auth.login(viewer)
    assert client.get(f"/proposals/{p.id}").status_code == 200
