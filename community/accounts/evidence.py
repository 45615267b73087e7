"""Verification with evidence: the owner's photo of the vehicle licence or purchase invoice, the VIN decoded
for the moderator, and the photo's deletion some days after the decision.

Who sees what: the photo and the full VIN are for moderators only (``photo_for`` answers NotFound to
anyone else, so a guessed address tells nothing); the owner sees that proof was received, its kind and
date, and the decision with its reason. Photos are re-encoded by ``community.images`` (no metadata, at
most ``MAX_SIDE`` pixels on the longer side) and kept in ``community.storage`` under
``<VEHICLE_EVIDENCE_DIR>/<random name>``, streamed through the app after the check, never by a public URL.

``purge_due`` (the ``vehicle-evidence-purge`` job in ``community.jobs.SCHEDULE``) deletes photos and full
VINs ``VEHICLE_EVIDENCE_DAYS`` days (default 30) after the decision; the audit log keeps the decision
(who, when, outcome, reason) and records the deletion.
"""
from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from vininfo import Vin

from community import images, storage
from community.accounts.models import EVIDENCE_KINDS, Vehicle, VehicleEvidence
from community.accounts.vehicles import MODEL_YEARS, normalise_vin, vin_hash
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, ValidationError
from community.extensions import db

log = logging.getLogger(__name__)

KIND_LABELS = {"licence": _l("Vehicle licence"), "invoice": _l("Purchase invoice")}
MAX_SIDE = 2400  # pixels: a licence stays legible; a 48 MP phone photo shrinks to ~1 MB
DEFAULT_DAYS = 30


def key_of(stored_name: str) -> str:
    """The storage key: config VEHICLE_EVIDENCE_DIR (default ``vehicle_evidence``) and the name's last part."""
    prefix = (current_app.config.get("VEHICLE_EVIDENCE_DIR") or "vehicle_evidence").strip("/")
    return f"{prefix}/{os.path.basename(stored_name)}"


def retention_days() -> int:
    """Days a photo is kept after the decision: config VEHICLE_EVIDENCE_DAYS, default 30."""
    return int(current_app.config.get("VEHICLE_EVIDENCE_DAYS", DEFAULT_DAYS))


def check_kind(kind: str | None) -> dict[str, str]:
    """{} when ``kind`` is a known kind of proof, else the field error for ``evidence_kind``."""
    if kind in EVIDENCE_KINDS:
        return {}
    return {"evidence_kind": _("Choose what the photo shows: the vehicle licence or the purchase invoice.")}


def clean_photo(filename: str, stream) -> images.CleanImage:
    """The upload re-encoded (JPEG/PNG, no metadata, at most MAX_SIDE px). Raises ValidationError on
    field ``evidence``."""
    if stream is None:
        msg = _("Add a photo of the vehicle licence or the purchase invoice.")
        raise ValidationError(msg, {"evidence": msg})
    return images.clean(filename, stream, field="evidence", max_side=MAX_SIDE)


def attach(vehicle: Vehicle, kind: str, image: images.CleanImage, vin: str) -> VehicleEvidence:
    """Store ``image`` and add its row to the session (no commit); an older open proof is superseded.

    The caller commits, and on failure calls ``discard`` with the returned row so no object is orphaned.
    Raises storage.StorageError when the object cannot be written.
    """
    name = f"{secrets.token_hex(16)}.{image.extension}"
    storage.put(key_of(name), image.data, image.content_type)
    now = utcnow()
    for old in vehicle.evidence:
        if old.decision is None:
            old.decision, old.decided_at = "superseded", now
    row = VehicleEvidence(kind=kind, vin=vin, stored_name=name, content_type=image.content_type,
                          width=image.width, height=image.height, uploaded_at=now)
    vehicle.evidence.append(row)
    return row


def discard(row: VehicleEvidence) -> None:
    """Delete the object of a row whose transaction failed (logged, never raised)."""
    _delete_object(row.stored_name)


def _delete_object(stored_name: str | None) -> None:
    if not stored_name:
        return
    try:
        storage.delete(key_of(stored_name))
    except storage.StorageError:
        log.warning("evidence photo %s could not be deleted from storage", stored_name, exc_info=True)


def submit(vehicle: Vehicle, user, kind: str, vin: str, filename: str, stream) -> VehicleEvidence:
    """The owner of a pending or rejected car sends proof; a rejected car goes back to the queue. Commits.

    ``vin`` must be the car's VIN (compared with the stored keyed hash). Raises NotFound (not the caller's
    car), ValidationError (fields ``evidence_kind``, ``vin``, ``evidence``; a verified or transferred car),
    Conflict (the VIN was claimed by another live car meanwhile).
    """
    if vehicle.owner_id != user.id:
        raise NotFound(_("No such vehicle."))
    if vehicle.status not in ("pending", "rejected"):
        raise ValidationError(_("This car needs no proof: it is %(status)s.", status=status_label(vehicle.status)))
    errors = check_kind(kind)
    vin = normalise_vin(vin)
    if vin_hash(vin) != vehicle.vin_hash:
        errors["vin"] = _("This is not the VIN you gave for this car.")
    try:
        image = clean_photo(filename, stream)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    superseded = [e.stored_name for e in vehicle.evidence if e.decision is None]
    row = attach(vehicle, kind, image, vin)
    audit.record(user, "vehicle.evidence", "vehicle", vehicle.id, {"status": vehicle.status},
                 {"status": "pending", "evidence_kind": kind})
    reopen_for_review(vehicle, row)  # commits; on a VIN clash it discards the new object and raises Conflict
    for name in superseded:  # a proof replaced before review is nobody's to keep
        _delete_object(name)
    _mark_superseded_purged(vehicle)
    return row


def reopen_for_review(vehicle: Vehicle, proof: VehicleEvidence) -> None:
    """Put a car back in the moderators' queue with new proof; commits.

    Raises Conflict (and deletes the new photo) when another live claim took the VIN meanwhile.
    """
    vehicle.status, vehicle.reject_reason = "pending", None
    vehicle.reviewed_by_id = vehicle.reviewed_at = None
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        discard(proof)
        msg = _("This VIN is already registered. Contact a moderator if it is yours.")
        raise Conflict(msg, {"vin": msg}) from exc


def _mark_superseded_purged(vehicle: Vehicle) -> None:
    db.session.execute(update(VehicleEvidence)
                       .where(VehicleEvidence.vehicle_id == vehicle.id, VehicleEvidence.decision == "superseded",
                              VehicleEvidence.purged_at.is_(None))
                       .values(purged_at=utcnow(), stored_name=None, vin=None))
    db.session.commit()


def status_label(status: str) -> str:
    return {"pending": _("waiting for verification"), "verified": _("verified"), "rejected": _("rejected"),
            "transferred": _("transferred to a new owner")}.get(status, status)


def photo_for(evidence_id: int, viewer) -> VehicleEvidence:
    """The proof whose photo ``viewer`` may see: moderators only, and only while the photo exists.

    Raises NotFound for everyone else and for a deleted photo, so an address tells nothing about a car.
    """
    row = db.session.get(VehicleEvidence, evidence_id)
    if (row is None or not row.has_photo or viewer is None or not getattr(viewer, "is_authenticated", False)
            or not viewer.has_role("moderator")):
        raise NotFound(_("No such photo."))
    return row


def serve(row: VehicleEvidence):
    """A private, not-to-be-stored response streaming the photo. Raises storage.MissingObject."""
    return storage.serve(key_of(row.stored_name), row.content_type or "image/jpeg")


@dataclass(frozen=True)
class DecodedVin:
    """What the VIN itself says (ISO 3779): ``wmi`` (positions 1-3) and its ``manufacturer`` and ``country``
    as vininfo knows them (None when unknown), ``model_years``: the candidates for position 10 (one
    letter or digit names a year every 30 years, newest first), ``model_year``: the candidate within
    the years the brand sells (or None), ``check_digit_ok``: position 9 matches the weighted sum."""

    vin: str
    wmi: str
    manufacturer: str | None
    country: str | None
    model_years: tuple[int, ...]
    model_year: int | None
    check_digit_ok: bool


def decode_vin(vin: str) -> DecodedVin:
    """Decode a 17-character VIN with vininfo (https://github.com/idlesign/vininfo). Never raises for a
    VIN that passed ``vehicles.vin_problem``; a malformed one gives empty fields."""
    vin = normalise_vin(vin)
    try:
        parsed = Vin(vin)
        maker = parsed.manufacturer
        maker = None if not maker or "Unsupported" in str(maker) else str(maker)
        country = parsed.country or None
        years = tuple(sorted(parsed.years, reverse=True))
        ok = parsed.verify_checksum(check_year=False)
    except Exception:  # vininfo raises its own ValidationError, or KeyError on an odd character
        return DecodedVin(vin, vin[:3], None, None, (), None, False)
    sold = [y for y in years if y in MODEL_YEARS]
    return DecodedVin(vin, vin[:3], maker, country, years, sold[0] if sold else None, ok)


def mark_decided(vehicle: Vehicle, decision: str, at: datetime) -> VehicleEvidence | None:
    """Record the decision on the proof under review (no commit); returns it, or None without proof."""
    row = vehicle.latest_evidence
    if row is None or row.decision is not None:
        return None
    row.decision, row.decided_at = decision, at
    return row


def purge_due(now: datetime | None = None) -> int:
    """Delete photos and full VINs decided ``retention_days()`` or more ago; returns how many. Commits.

    Idempotent and safe to run twice at once: the object is deleted first (deleting a missing object is
    fine), then the row is claimed with a conditional UPDATE; a second run finds nothing left, and a
    crash between the two leaves the row for the next run. The audit log keeps the decision and gets a
    ``vehicle.evidence_deleted`` entry without the photo.
    """
    now = now or utcnow()
    cutoff = now - timedelta(days=retention_days())
    done = 0
    while True:
        rows = db.session.execute(
            select(VehicleEvidence.id, VehicleEvidence.vehicle_id, VehicleEvidence.stored_name,
                   VehicleEvidence.kind, VehicleEvidence.decision)
            .where(VehicleEvidence.purged_at.is_(None), VehicleEvidence.decided_at.is_not(None),
                   VehicleEvidence.decided_at <= cutoff)
            .order_by(VehicleEvidence.id).limit(200)).all()
        if not rows:
            return done
        for row_id, vehicle_id, stored_name, kind, decision in rows:
            if stored_name:
                storage.delete(key_of(stored_name))  # a failure raises: the job is retried, the row stays
            claimed = db.session.execute(
                update(VehicleEvidence).where(VehicleEvidence.id == row_id, VehicleEvidence.purged_at.is_(None))
                .values(purged_at=now, stored_name=None, vin=None)).rowcount
            if claimed:
                audit.record(None, "vehicle.evidence_deleted", "vehicle", vehicle_id, None,
                             {"evidence_id": row_id, "evidence_kind": kind, "decision": decision},
                             f"photo deleted {retention_days()} days after the decision")
                done += 1
            db.session.commit()
