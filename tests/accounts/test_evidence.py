"""Verification with evidence: the proof photo is checked and re-encoded, seen by moderators only, decided with
a reason, told to the owner in their language, and deleted some days after the decision while the audit stays."""
import io
from datetime import timedelta

import pytest
from PIL import Image

from community import storage
from community.accounts import evidence, service
from community.accounts.models import Vehicle, VehicleEvidence
from community.audit.models import AuditEntry
from community.dbtypes import utcnow
from community.errors import NotFound, ValidationError
from community.extensions import db
from community.notifications import service as notifications
from community.notifications.models import Notification, OutboxEmail
from tests import factories as f
from tests.html import field
from tests.shopper.factories import image_bytes

VIN = f.spare_vin(7)  # LZ9X8Y7W?RN000007: 10th character R = 2024 (or 1994)
GPS_EXIF = {0x8825: {1: "N", 2: (31.0, 14.0, 0.0)}, 0x010F: "PhoneMaker"}


def _jpeg_with_exif(size=(64, 48)) -> bytes:
    img = Image.new("RGB", size, (20, 120, 200))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0132] = "2026:12:01 10:00:00"
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif)
    return out.getvalue()


def _add(client, vin=VIN, photo=None, name="licence.jpg", kind="licence"):
    data = {"model": "001", "model_year": "2024", "hardware": ["lidar"], "vin": vin}
    if kind:
        data["evidence_kind"] = kind
    if photo is not None:
        data["evidence"] = (io.BytesIO(photo), name)
    return client.post("/vehicles?lang=en", data=data, content_type="multipart/form-data")


def _car_with_proof(user=None, kind="invoice", vin=VIN) -> Vehicle:
    return service.add_vehicle(user or f.UserFactory(), "001", 2024, [], vin, evidence_kind=kind,
                               evidence_file=("proof.jpg", io.BytesIO(image_bytes())))


def _objects() -> list[str]:
    return storage.list_keys("vehicle_evidence/")


# ---- upload validation and re-encoding ----

@pytest.mark.parametrize(("photo", "kind", "field_name", "why"), [
    (None, "licence", "evidence", "Add a photo"),
    (b"just some text, not a picture\n" * 10, "licence", "evidence", "not a JPEG or PNG"),
    (image_bytes("GIF"), "licence", "evidence", "not a JPEG or PNG"),
    (image_bytes() + b"\0" * (5 * 1024 * 1024 + 1), "licence", "evidence", "larger than 5 MB"),
    (image_bytes(), None, "evidence_kind", "vehicle licence or the purchase invoice"),
    (image_bytes(), "passport", "evidence_kind", "vehicle licence or the purchase invoice"),
])
def test_a_refused_proof_says_why_beside_its_field_and_nothing_is_kept(client, auth, photo, kind, field_name, why):
    auth.login_as(f.UserFactory())
    resp = _add(client, photo=photo, kind=kind)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    if field_name == "evidence_kind":
        assert why in page
    else:
        assert why in field(page, field_name).error
    assert Vehicle.query.count() == 0 and VehicleEvidence.query.count() == 0 and _objects() == []


def test_a_decompression_bomb_is_refused(app):
    out = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(out, "PNG")  # a few kB that would decode to 400 MP
    with pytest.raises(ValidationError) as err:
        evidence.clean_photo("bomb.png", io.BytesIO(out.getvalue()))
    assert "evidence" in err.value.fields


def test_the_photo_is_re_encoded_without_exif_and_bounded(client, auth):
    auth.login_as(f.UserFactory())
    original = _jpeg_with_exif(size=(3600, 1800))
    assert b"PhoneMaker" in original
    assert _add(client, photo=original, name="IMG_0001.JPG").status_code == 302
    row = VehicleEvidence.query.one()
    stored = storage.get(evidence.key_of(row.stored_name))
    assert b"PhoneMaker" not in stored
    with Image.open(io.BytesIO(stored)) as img:
        assert img.format == "JPEG" and not img.getexif() and max(img.size) == evidence.MAX_SIDE
        assert img.size == (2400, 1200)
    assert (row.kind, row.vin, row.content_type, row.width) == ("licence", VIN, "image/jpeg", 2400)
    assert row.stored_name.endswith(".jpg") and "IMG_0001" not in row.stored_name


def test_a_png_stays_a_png(client, auth):
    auth.login_as(f.UserFactory())
    assert _add(client, photo=image_bytes("PNG"), name="scan.jpg", kind="invoice").status_code == 302
    row = VehicleEvidence.query.one()
    assert row.content_type == "image/png" and row.stored_name.endswith(".png") and row.kind == "invoice"


# ---- who sees the photo ----

def test_only_moderators_see_the_photo(client, auth):
    owner_user = f.UserFactory()
    row = _car_with_proof(owner_user).latest_evidence
    url = f"/moderation/vehicles/evidence/{row.id}"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for who in (owner_user, f.UserFactory(), f.owner(), f.UserFactory(roles=["team_agent"])):
        auth.login_as(who)
        assert client.get(url).status_code == 404, who
    auth.login_as(f.moderator())
    resp = client.get(url)
    assert resp.status_code == 200 and resp.mimetype == "image/jpeg"
    assert resp.get_data()[:3] == b"\xff\xd8\xff" and "no-store" in resp.headers["Cache-Control"]
    assert client.get(f"/moderation/vehicles/evidence/{row.id + 1}").status_code == 404


def test_the_owner_is_told_the_proof_arrived_but_not_shown_it(client, auth):
    owner_user = f.UserFactory()
    row = _car_with_proof(owner_user, kind="licence").latest_evidence
    auth.login_as(owner_user)
    page = client.get("/vehicles?lang=en").get_data(as_text=True)
    assert "Proof received (Vehicle licence" in page and "only moderators see the photo" in page
    assert f"/moderation/vehicles/evidence/{row.id}" not in page and VIN not in page


def test_the_queue_shows_the_photo_beside_the_full_vin_and_the_decoded_year(client, auth):
    owner_user = f.UserFactory(display_name="Mei Chen")
    row = _car_with_proof(owner_user).latest_evidence
    mismatched = service.add_vehicle(f.UserFactory(), "009", 2022, [], f.spare_vin(8), evidence_kind="licence",
                                     evidence_file=("p.png", io.BytesIO(image_bytes("PNG"))))
    auth.login_as(f.moderator())
    page = client.get("/moderation/vehicles?lang=en").get_data(as_text=True)
    assert f'src="/moderation/vehicles/evidence/{row.id}"' in page
    assert VIN in page and f.spare_vin(8) in page
    assert "Purchase invoice" in page and "Mei Chen" in page
    assert page.count("matches the claim") == 1 and page.count("differs from the claim") == 1  # 2024 vs 2022
    assert f"/moderation/vehicles/evidence/{mismatched.latest_evidence.id}" in page


def test_a_car_without_proof_is_marked_in_the_queue(client, auth):
    service.add_vehicle(f.UserFactory(), "001", 2024, [], VIN)  # through the API, proof to follow
    auth.login_as(f.moderator())
    assert "No proof uploaded yet" in client.get("/moderation/vehicles?lang=en").get_data(as_text=True)


def test_decode_vin_reads_the_year_the_maker_and_the_check_digit():
    tesla = f.with_check_digit("LRWYGCEK0PC123456")
    decoded = evidence.decode_vin(tesla)
    assert (decoded.wmi, decoded.manufacturer, decoded.country) == ("LRW", "Tesla China", "China")
    assert decoded.model_years == (2023, 1993) and decoded.model_year == 2023 and decoded.check_digit_ok
    broken = tesla[:8] + ("1" if tesla[8] != "1" else "2") + tesla[9:]
    assert not evidence.decode_vin(broken).check_digit_ok
    assert evidence.decode_vin(VIN).manufacturer is None and evidence.decode_vin(VIN).model_year == 2024


# ---- decisions, notifications, digests ----

def test_verifying_records_the_decision_on_the_proof_and_tells_the_owner(client, auth):
    owner_user = f.UserFactory(locale="en")
    vehicle = _car_with_proof(owner_user)
    mod = f.moderator()
    auth.login_as(mod)
    assert client.post(f"/moderation/vehicles/{vehicle.id}", data={"verify": "1"}).status_code == 302
    row = vehicle.latest_evidence
    assert (vehicle.status, row.decision) == ("verified", "verified") and row.decided_at is not None
    entry = AuditEntry.query.filter_by(action="vehicle.verify").one()
    assert entry.after == {"status": "verified", "evidence_id": row.id, "evidence_kind": "invoice"}
    notifications.fan_out_pending()
    note = Notification.query.filter_by(user_id=owner_user.id, kind="vehicle_review").one()
    assert note.channel == "in_app"
    auth.login_as(owner_user)
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    assert f"Your car 001 · 2024 · {vehicle.masked_vin} is verified" in page


def test_rejecting_needs_a_reason_which_reaches_the_owner_in_their_language(client, auth):
    owner_user = f.UserFactory(locale="zh")
    vehicle = _car_with_proof(owner_user)
    auth.login_as(f.moderator())
    client.post(f"/moderation/vehicles/{vehicle.id}", data={"reject": "1", "reason": ""})
    assert vehicle.status == "pending" and vehicle.latest_evidence.decision is None
    client.post(f"/moderation/vehicles/{vehicle.id}", data={"reject": "1", "reason": "照片看不清车架号"})
    assert vehicle.status == "rejected" and vehicle.latest_evidence.decision == "rejected"
    assert AuditEntry.query.filter_by(action="vehicle.reject").one().note == "照片看不清车架号"
    notifications.fan_out_pending()
    auth.login_as(owner_user)
    page = client.get("/notifications?lang=zh").get_data(as_text=True)
    assert "未通过认证" in page and "照片看不清车架号" in page and "Your car" not in page


def test_the_digest_setting_sends_the_decision_by_e_mail_in_the_owners_language(app):
    owner_user = f.UserFactory(locale="zh")
    notifications.save_settings(owner_user, {"vehicle_review": "digest"})
    vehicle = _car_with_proof(owner_user)
    service.review_vehicle(vehicle, f.moderator(), approve=True)
    notifications.fan_out_pending()
    assert notifications.build_digests() == 1
    mail = OutboxEmail.query.one()
    assert mail.to_address == owner_user.email and "已通过认证" in mail.body and "/vehicles" in mail.body


def test_an_owner_who_turned_it_off_is_not_told(app):
    owner_user = f.UserFactory()
    notifications.save_settings(owner_user, {"vehicle_review": "off"})
    service.review_vehicle(_car_with_proof(owner_user), f.moderator(), approve=True)
    notifications.fan_out_pending()
    assert Notification.query.filter_by(user_id=owner_user.id).count() == 0


# ---- a rejected owner uploads again; proof for a car added without it ----

def _send(client, vehicle, vin=VIN, photo=None, kind="licence"):
    data = {f"ev{vehicle.id}-vin": vin, f"ev{vehicle.id}-evidence_kind": kind,
            f"ev{vehicle.id}-evidence": (io.BytesIO(photo or image_bytes()), "again.jpg")}
    return client.post(f"/vehicles/{vehicle.id}/evidence?lang=en", data=data, content_type="multipart/form-data")


def test_a_rejected_owner_uploads_again_and_the_car_is_back_in_the_queue(client, auth):
    owner_user = f.UserFactory()
    vehicle = _car_with_proof(owner_user)
    service.review_vehicle(vehicle, f.moderator(), approve=False, reason="blurred")
    auth.login_as(owner_user)
    assert "Upload new proof" in client.get("/vehicles?lang=en").get_data(as_text=True)
    assert _send(client, vehicle).status_code == 302
    assert vehicle.status == "pending" and vehicle.reject_reason is None
    assert [e.decision for e in vehicle.evidence] == ["rejected", None]
    assert vehicle.latest_evidence.kind == "licence" and len(_objects()) == 2  # the first stays its 30 days
    assert AuditEntry.query.filter_by(action="vehicle.evidence").one().actor_id == owner_user.id
    auth.login_as(f.moderator())
    assert f"/moderation/vehicles/evidence/{vehicle.latest_evidence.id}" in client.get("/moderation/vehicles").text


def test_proof_for_a_car_added_without_it_needs_the_cars_own_vin(client, auth):
    owner_user = f.UserFactory()
    vehicle = service.add_vehicle(owner_user, "001", 2024, [], VIN)
    auth.login_as(owner_user)
    resp = _send(client, vehicle, vin=f.spare_vin(9))
    assert resp.status_code == 422 and "not the VIN you gave" in resp.get_data(as_text=True)
    assert VehicleEvidence.query.count() == 0 and _objects() == []
    assert _send(client, vehicle, vin=VIN.lower()).status_code == 302
    assert vehicle.latest_evidence.vin == VIN and vehicle.status == "pending"


def test_nobody_sends_proof_for_someone_elses_car_or_a_verified_one(client, auth):
    vehicle = _car_with_proof()
    auth.login_as(f.UserFactory())
    assert _send(client, vehicle).status_code == 404
    verified = f.owner()
    with pytest.raises(ValidationError):
        evidence.submit(verified.vehicles[0], verified, "licence", VIN, "x.jpg", io.BytesIO(image_bytes()))
    with pytest.raises(NotFound):
        evidence.submit(vehicle, verified, "licence", VIN, "x.jpg", io.BytesIO(image_bytes()))
    assert VehicleEvidence.query.count() == 1


def test_replacing_proof_before_review_deletes_the_first_photo_at_once(client, auth):
    owner_user = f.UserFactory()
    vehicle = _car_with_proof(owner_user)
    first = vehicle.latest_evidence.stored_name
    evidence.submit(vehicle, owner_user, "licence", VIN, "better.jpg", io.BytesIO(image_bytes()))
    assert not storage.exists(evidence.key_of(first)) and len(_objects()) == 1
    old = vehicle.evidence[0]
    assert (old.decision, old.stored_name, old.vin) == ("superseded", None, None) and old.purged_at


# ---- deletion after N days ----

def test_the_photo_and_full_vin_go_n_days_after_the_decision_and_the_audit_stays(app):
    app.config["VEHICLE_EVIDENCE_DAYS"] = 10
    vehicle = _car_with_proof()
    mod = f.moderator()
    service.review_vehicle(vehicle, mod, approve=False, reason="not the owner's name")
    row = vehicle.latest_evidence
    key = evidence.key_of(row.stored_name)
    assert evidence.purge_due(now=utcnow() + timedelta(days=9)) == 0 and storage.exists(key)
    assert evidence.purge_due(now=utcnow() + timedelta(days=10, minutes=1)) == 1
    db.session.refresh(row)
    assert not storage.exists(key) and row.vin is None and row.stored_name is None and row.purged_at
    assert evidence.purge_due(now=utcnow() + timedelta(days=11)) == 0  # a second run finds nothing
    decision = AuditEntry.query.filter_by(action="vehicle.reject", target_id=vehicle.id).one()
    assert (decision.actor_id, decision.note, decision.after["status"]) == (mod.id, "not the owner's name", "rejected")
    deleted = AuditEntry.query.filter_by(action="vehicle.evidence_deleted").one()
    assert deleted.after == {"evidence_id": row.id, "evidence_kind": "invoice", "decision": "rejected"}
    assert VIN not in str(deleted.after) + str(deleted.note)


def test_purging_twice_at_once_deletes_once_and_an_undecided_proof_stays(app):
    decided = _car_with_proof()
    service.review_vehicle(decided, f.moderator(), approve=True)
    waiting = _car_with_proof(vin=f.spare_vin(10))
    later = utcnow() + timedelta(days=31)
    assert evidence.purge_due(now=later) + evidence.purge_due(now=later) == 1
    assert AuditEntry.query.filter_by(action="vehicle.evidence_deleted").count() == 1
    assert waiting.latest_evidence.has_photo and storage.exists(evidence.key_of(waiting.latest_evidence.stored_name))


def test_the_purge_runs_on_the_schedule(app):
    from community import jobs

    entry = jobs.BY_NAME["vehicle-evidence-purge"]
    assert entry.target == "community.accounts.evidence:purge_due"


def test_after_the_purge_the_queue_and_owner_see_no_photo(client, auth):
    owner_user = f.UserFactory()
    vehicle = _car_with_proof(owner_user)
    service.review_vehicle(vehicle, f.moderator(), approve=False, reason="blurred")
    row_id = vehicle.latest_evidence.id
    evidence.purge_due(now=utcnow() + timedelta(days=31))
    auth.login_as(owner_user)
    assert "the photo has been deleted" in client.get("/vehicles?lang=en").get_data(as_text=True)
    auth.login_as(f.moderator())
    assert client.get(f"/moderation/vehicles/evidence/{row_id}").status_code == 404


def test_on_s3_the_proof_is_served_by_any_host_and_the_purge_deletes_it_from_the_bucket(make_app, s3_config,
                                                                                       tmp_path):
    """Production's path: two hosts share one bucket (moto's server); what one stored, the other serves and the
    job on either deletes."""
    host_a, host_b = make_app(**s3_config), make_app(**s3_config)
    host_a.instance_path, host_b.instance_path = str(tmp_path / "a"), str(tmp_path / "b")
    with host_a.app_context():
        vehicle = _car_with_proof()
        row_id, key = vehicle.latest_evidence.id, evidence.key_of(vehicle.latest_evidence.stored_name)
        assert storage.exists(key) and not (tmp_path / "a" / key).exists()
        mod = f.moderator()
        mod_id, vehicle_id, login = mod.id, vehicle.id, mod.get_id()
    with host_b.app_context():
        from community.accounts.models import User

        client = host_b.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = login, True
        resp = client.get(f"/moderation/vehicles/evidence/{row_id}")
        assert resp.status_code == 200 and resp.get_data()[:3] == b"\xff\xd8\xff"
        service.review_vehicle(db.session.get(Vehicle, vehicle_id), db.session.get(User, mod_id), approve=True)
        assert evidence.purge_due(now=utcnow() + timedelta(days=31)) == 1
    with host_a.app_context():
        assert not storage.exists(key)
