"""Verification proof through the API: the owner sends it and sees its state; moderators get the full VIN,
its decoding and the photo; nobody else does."""
import io

from community.api import tokens
from tests import factories as f
from tests.shopper.factories import image_bytes

VIN = f.spare_vin(21)


def bearer(user, scope="write"):
    _, secret = tokens.create_token(user, "t", scope, None)
    return {"Authorization": f"Bearer {secret}"}


def _claim(client, headers):
    resp = client.post("/api/v1/me/vehicles", headers=headers,
                       json={"model": "007", "model_year": 2024, "hardware": [], "vin": VIN})
    assert resp.status_code == 201 and resp.json["evidence"] is None
    return resp.json["id"]


def _send(client, headers, car_id, **form):
    data = {"kind": "licence", "vin": VIN, "photo": (io.BytesIO(image_bytes()), "licence.jpg"), **form}
    return client.post(f"/api/v1/me/vehicles/{car_id}/evidence", headers=headers, data=data,
                       content_type="multipart/form-data")


def test_the_owner_sends_proof_and_sees_only_its_state(client, app):
    owner_h = bearer(f.UserFactory())
    car_id = _claim(client, owner_h)
    refused = _send(client, owner_h, car_id, photo=(io.BytesIO(b"not a picture" * 20), "x.jpg"))
    assert refused.status_code == 422 and "evidence" in refused.json["error"]["fields"]
    wrong_vin = _send(client, owner_h, car_id, vin=f.spare_vin(22))
    assert wrong_vin.status_code == 422 and "vin" in wrong_vin.json["error"]["fields"]
    sent = _send(client, owner_h, car_id)
    assert sent.status_code == 201
    assert sent.json["evidence"]["kind"] == "licence" and sent.json["evidence"]["state"] == "under_review"
    listed = client.get("/api/v1/me/vehicles", headers=owner_h).json[0]
    assert listed["evidence"]["state"] == "under_review"
    assert VIN not in str(listed) and "photo" not in str(listed)
    assert _send(client, bearer(f.UserFactory()), car_id).status_code == 404  # not their car


def test_moderators_get_the_full_vin_its_decoding_and_the_photo(client, app):
    owner = f.UserFactory()
    owner_h, mod_h = bearer(owner), bearer(f.moderator())
    car_id = _claim(client, owner_h)
    assert client.get("/api/v1/moderation/vehicles", headers=mod_h).json[0]["proof"] is None
    _send(client, owner_h, car_id)
    queue = client.get("/api/v1/moderation/vehicles", headers=mod_h).json
    proof = queue[0]["proof"]
    assert proof["vin"] == VIN and proof["kind"] == "licence"
    assert proof["decoded"]["model_year"] == 2024 and proof["decoded"]["check_digit_ok"] is True
    assert proof["decoded"]["wmi"] == VIN[:3]
    photo = client.get(proof["photo_url"], headers=mod_h)
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg" and "no-store" in photo.headers["Cache-Control"]
    assert client.get(proof["photo_url"], headers=owner_h).status_code == 404
    assert client.get(proof["photo_url"]).status_code == 401
    rejected = client.post(f"/api/v1/moderation/vehicles/{car_id}", headers=mod_h,
                           json={"approve": False, "reason": "The photo is too dark."})
    assert rejected.json["status"] == "rejected" and rejected.json["evidence"]["state"] == "decided"
    again = _send(client, owner_h, car_id)
    assert again.status_code == 201 and again.json["status"] == "pending"


def test_the_openapi_document_declares_the_upload(client, app):
    spec = client.get("/api/v1/openapi.json").json
    body = spec["paths"]["/api/v1/me/vehicles/{vehicle_id}/evidence"]["post"]["requestBody"]["content"]
    assert "multipart/form-data" in body
    assert "/api/v1/moderation/vehicles/evidence/{evidence_id}/photo" in spec["paths"]
