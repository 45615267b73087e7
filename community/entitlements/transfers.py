"""Vehicle transfers (moderator-verified) and what they do to entitlements.

When a car changes hands, its row is marked ``transferred`` (kept, with its history) and the new owner,
if on the platform, gets a verified row of their own. Owner-bound holdings that applied to the sold car
stay with the seller and move to their next verified car (now, if they have one; else when one is
verified: ``carry_to``). Vehicle-bound holdings pass to the new owner. Each move is a ledger line.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import update

from community.accounts.models import User, Vehicle
from community.audit import service as audit
from community.dbtypes import utcnow
from community.entitlements.models import Entitlement, LedgerEntry, VehicleTransfer
from community.entitlements.service import _append, can_manage, current_vehicle
from community.errors import Conflict, PermissionDenied, ValidationError
from community.extensions import db

ZERO = Decimal("0")


def _move(holding: Entitlement, actor, now: datetime, user_id, vehicle_id, transfer_id=None,
          note: str | None = None) -> LedgerEntry:
    """Re-home a holding and write the zero-amount ledger line showing from where to where (no commit)."""
    from_user, from_vehicle = holding.user_id, holding.vehicle_id
    holding.user_id, holding.vehicle_id = user_id, vehicle_id
    db.session.flush()
    return _append(holding, "move", ZERO, actor, now, from_user_id=from_user, from_vehicle_id=from_vehicle,
                   transfer_id=transfer_id, note=note)


def transfer_vehicle(actor, vehicle: Vehicle, to_user: User | None, note: str | None = None,
                     now: datetime | None = None) -> VehicleTransfer:
    """Record the verified sale of ``vehicle`` to ``to_user`` (None: a buyer not on the platform).

    Returns the transfer. Audited; one transaction; commits. Raises PermissionDenied (not a moderator),
    ValidationError (buyer is the seller), Conflict (the vehicle is not verified or was transferred
    meanwhile: a conditional UPDATE decides; or it has an active pledge in an open crowdfunding).
    """
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators verify vehicle transfers."))
    seller = vehicle.owner
    if to_user is not None and to_user.id == seller.id:
        msg = _("The new owner must be someone else.")
        raise ValidationError(msg, {"email": msg})
    from community.campaigns.pledges import pledges_of  # campaigns owns pledges; imported where needed

    if any(p.vehicle_id == vehicle.id and p.is_active and p.campaign.status_at(now) == "open"
           for p in pledges_of(seller)):
        # Else one car would count twice: the seller's pledge stays and the buyer's new row may pledge again.
        raise Conflict(_("The seller has an active pledge for this car in an open crowdfunding; it must be "
                         "cancelled first."))
    note = (note or "").strip()[:500] or None
    try:
        changed = db.session.execute(update(Vehicle).where(Vehicle.id == vehicle.id, Vehicle.status == "verified")
                                     .values(status="transferred")).rowcount
        if changed != 1:
            raise Conflict(_("Only a verified vehicle can be transferred."))
        new_vehicle = None
        if to_user is not None:
            new_vehicle = Vehicle(owner_id=to_user.id, model=vehicle.model, model_year=vehicle.model_year,
                                  hardware=list(vehicle.hardware or []), vin_hash=vehicle.vin_hash,
                                  vin_prefix=vehicle.vin_prefix, vin_last4=vehicle.vin_last4, status="verified",
                                  reviewed_by_id=actor.id, reviewed_at=now, created_at=now)
            db.session.add(new_vehicle)
            db.session.flush()
        transfer = VehicleTransfer(vehicle_id=vehicle.id, from_user_id=seller.id,
                                   to_user_id=getattr(to_user, "id", None),
                                   new_vehicle_id=getattr(new_vehicle, "id", None), note=note,
                                   verified_by_id=actor.id, occurred_at=now)
        db.session.add(transfer)
        db.session.flush()
        moved = []
        # Vehicle-bound: pass to the buyer with the car (kept on the old row when the buyer is not here).
        for holding in Entitlement.query.filter_by(follows="vehicle", vehicle_id=vehicle.id).all():
            _move(holding, actor, now, getattr(to_user, "id", None),
                  new_vehicle.id if new_vehicle else vehicle.id, transfer.id, note)
            moved.append(holding.id)
        # Owner-bound: stay with the seller; on to their next verified car, or waiting for one.
        next_car = current_vehicle(seller, exclude_id=vehicle.id)
        for holding in Entitlement.query.filter_by(follows="owner", user_id=seller.id, vehicle_id=vehicle.id).all():
            _move(holding, actor, now, seller.id, next_car.id if next_car else None, transfer.id, note)
            moved.append(holding.id)
        audit.record(actor, "vehicle.transfer", "vehicle", vehicle.id, {"owner_id": seller.id, "status": "verified"},
                     {"owner_id": getattr(to_user, "id", None), "status": "transferred",
                      "new_vehicle_id": getattr(new_vehicle, "id", None), "transfer_id": transfer.id,
                      "entitlements_moved": moved}, note)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return transfer


def carry_to(user: User, vehicle: Vehicle, actor=None, now: datetime | None = None) -> list[int]:
    """Attach ``user``'s owner-bound holdings that wait for a car to the newly verified ``vehicle``, each
    with a move line. No commit: called inside the verification's transaction. Returns the holding ids."""
    now = now or utcnow()
    moved = []
    for holding in Entitlement.query.filter_by(follows="owner", user_id=user.id, vehicle_id=None).all():
        _move(holding, actor, now, user.id, vehicle.id)
        moved.append(holding.id)
    return moved


def transfers(limit: int = 50) -> list[VehicleTransfer]:
    return VehicleTransfer.query.order_by(VehicleTransfer.id.desc()).limit(limit).all()


def verified_vehicle(vehicle_id: int) -> Vehicle:
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.status != "verified":
        msg = _("No verified vehicle with this number.")
        raise ValidationError(msg, {"vehicle_id": msg})
    return vehicle
