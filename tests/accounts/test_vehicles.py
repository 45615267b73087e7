"""Vehicles: VIN validation, storage as keyed hash + last 4, masked display, moderator review, who may vote."""
import io

import pytest
from sqlalchemy import text

from community.accounts import service
from community.accounts.models import Vehicle
from community.accounts.vehicles import vin_hash
from community.audit.models import AuditEntry
from community.errors import Conflict, PermissionDenied, ValidationError
from community.extensions import db
from community.proposals import service as proposals
from tests import factories as f
from tests.html import field
from tests.shopper.factories import image_bytes

VIN = f.spare_vin(1)  # a valid VIN: check digit computed


def _add(client, vin, **extra):
    data = {"model": "001", "model_year": "2024", "hardware": ["lidar", "adas_gen1"], "vin": vin,
            "evidence_kind": "licence", "evidence": (io.BytesIO(image_bytes()), "licence.jpg"), **extra}
    return client.post("/vehicles?lang=en", data=data, content_type="multipart/form-data")


def test_owner_adds_a_car_that_waits_for_verification(client, auth):
    user = f.UserFactory()
    auth.login_as(user)
    resp = _add(client, VIN)
    assert resp.status_code == 302
    vehicle = Vehicle.query.one()
    assert (vehicle.owner_id, vehicle.model, vehicle.model_year, vehicle.status) == (user.id, "001", 2024, "pending")
    assert vehicle.hardware == ["adas_gen1", "lidar"]
    assert not user.has_role("owner")


def test_the_full_vin_is_kept_only_with_the_proof_and_shown_only_to_moderators(client, auth):
    auth.login_as(f.UserFactory())
    _add(client, VIN)
    row = db.session.execute(text("SELECT * FROM vehicles")).mappings().one()
    assert not any(VIN in str(value) for value in row.values())
    assert row["vin_hash"] == vin_hash(VIN) and row["vin_last4"] == VIN[-4:]
    page = client.get("/vehicles").get_data(as_text=True)
    assert VIN not in page
    assert f"LZ{'*' * 11}{VIN[-4:]}" in page
    auth.login_as(f.moderator())
    queue = client.get("/moderation/vehicles").get_data(as_text=True)
    assert VIN in queue  # beside the photo, to compare


@pytest.mark.parametrize(("vin", "why"), [
    (VIN[:16], "17"),
    (VIN + "1", "17"),
    (VIN[:3] + "I" + VIN[4:], "except I, O and Q"),
    (VIN[:3] + "O" + VIN[4:], "except I, O and Q"),
    (VIN[:3] + "Q" + VIN[4:], "except I, O and Q"),
    (VIN[:8] + ("0" if VIN[8] != "0" else "1") + VIN[9:], "check digit"),
])
def test_invalid_vins_are_refused_beside_the_field_keeping_input(client, auth, vin, why):
    auth.login_as(f.UserFactory())
    resp = _add(client, vin)
    assert resp.status_code == 422
    vin_field = field(resp.get_data(as_text=True), "vin")
    assert vin_field.invalid and why in vin_field.error and vin_field.value == vin
    assert Vehicle.query.count() == 0


def test_lowercase_and_spaces_are_normalised(client, auth):
    auth.login_as(f.UserFactory())
    spaced = " ".join([VIN[:4], VIN[4:8], VIN[8:12], VIN[12:]]).lower()
    assert _add(client, spaced).status_code == 302
    assert Vehicle.query.one().vin_hash == vin_hash(VIN)


def test_a_vin_claimed_by_someone_else_is_refused_until_that_claim_is_rejected(client, auth):
    first = service.add_vehicle(f.UserFactory(), "001", 2024, [], VIN)
    auth.login_as(f.UserFactory())
    resp = _add(client, VIN.lower())
    assert resp.status_code == 422 and "already registered" in field(resp.get_data(as_text=True), "vin").error
    service.review_vehicle(first, f.moderator(), approve=False, reason="Registration certificate unreadable")
    assert _add(client, VIN).status_code == 302
    assert Vehicle.query.count() == 2


def test_unknown_model_year_or_hardware_is_refused(app):
    with pytest.raises(ValidationError) as err:
        service.add_vehicle(f.UserFactory(), "999", 1990, ["jetpack"], VIN)
    assert set(err.value.fields) == {"model", "model_year", "hardware"}


def test_moderator_verifies_and_the_owner_may_then_vote(client, auth):
    user = f.UserFactory()
    vehicle = service.add_vehicle(user, "009", 2024, ["lidar"], VIN)
    proposal = f.proposal()
    with pytest.raises(PermissionDenied):
        proposals.vote(user, proposal)
    mod = f.moderator()
    auth.login_as(mod)
    resp = client.post(f"/moderation/vehicles/{vehicle.id}", data={"verify": "1"})
    assert resp.status_code == 302
    assert vehicle.status == "verified" and vehicle.reviewed_by_id == mod.id and vehicle.reviewed_at
    entry = AuditEntry.query.filter_by(action="vehicle.verify").one()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (mod.id, "vehicle", vehicle.id)
    assert (entry.before, entry.after) == ({"status": "pending"}, {"status": "verified"})
    assert proposals.vote(user, proposal) == 1
    assert client.get("/moderation/vehicles").get_data(as_text=True).count("/moderation/vehicles/") == 0


def test_rejection_needs_a_reason_and_the_owner_sees_it(client, auth):
    owner_user = f.UserFactory()
    vehicle = service.add_vehicle(owner_user, "001", 2024, [], VIN)
    mod = f.moderator()
    auth.login_as(mod)
    client.post(f"/moderation/vehicles/{vehicle.id}", data={"reject": "1", "reason": "  "})
    assert vehicle.status == "pending" and AuditEntry.query.count() == 0
    client.post(f"/moderation/vehicles/{vehicle.id}", data={"reject": "1", "reason": "VIN does not match the photo"})
    assert vehicle.status == "rejected"
    entry = AuditEntry.query.filter_by(action="vehicle.reject").one()
    assert entry.note == "VIN does not match the photo" and entry.actor_id == mod.id
    auth.login_as(owner_user)
    assert "VIN does not match the photo" in client.get("/vehicles").get_data(as_text=True)


def test_only_moderators_review(client, auth):
    vehicle = service.add_vehicle(f.UserFactory(), "001", 2024, [], VIN)
    with pytest.raises(PermissionDenied):
        service.review_vehicle(vehicle, f.owner(), approve=True)
    auth.login_as(f.owner())
    assert client.post(f"/moderation/vehicles/{vehicle.id}", data={"verify": "1"}).status_code == 403
    assert vehicle.status == "pending"


def test_verifying_a_second_live_claim_of_one_vin_is_a_conflict(app):
    first = service.add_vehicle(f.UserFactory(), "001", 2024, [], VIN)
    mod = f.moderator()
    service.review_vehicle(first, mod, approve=False, reason="wrong owner")
    second = service.add_vehicle(f.UserFactory(), "001", 2024, [], VIN)
    service.review_vehicle(second, mod, approve=True)
    with pytest.raises(Conflict):
        service.review_vehicle(first, mod, approve=True)
    assert first.status == "rejected"
