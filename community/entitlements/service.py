"""Entitlement rules: kinds (admins), grants, uses and corrections (moderators) in an append-only ledger.

The balance of a holding is the sum of its ledger amounts. It is kept in ``entitlements.balance`` too,
moved only by ``_append``: a conditional UPDATE (``balance + amount >= 0``) that also locks the row, so
two uses racing for the last kWh cannot both pass, then the ledger line with the balance it left.
Functions commit their own unit of work and roll it back whole on failure; every write is audited.
Vehicle transfers, which move holdings between owners and cars, live in ``transfers.py``.
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from community import csvexport
from community.accounts.models import User, Vehicle
from community.audit import service as audit
from community.dbtypes import utcnow
from community.entitlements.models import FOLLOWS, SOURCES, UNITS, Entitlement, EntitlementKind, LedgerEntry
from community.errors import Conflict, NotFound, PermissionDenied, ValidationError
from community.extensions import db

MAX_AMOUNT = Decimal("100000000")
PER_PAGE = 50
_CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")


# ---- permissions ----

def can_define(user) -> bool:
    """Admins define entitlement kinds."""
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role("admin"))


def can_manage(user) -> bool:
    """Moderators grant, record uses, correct, verify transfers and export."""
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role("moderator"))


def can_see(user, holding: Entitlement) -> bool:
    return can_manage(user) or bool(user and getattr(user, "is_authenticated", False)
                                    and holding.user_id == user.id)


# ---- kinds ----

def create_kind(actor, code: str, name_zh: str, name_en: str, unit: str, follows: str) -> EntitlementKind:
    """Define a kind. Raises PermissionDenied (not an admin), ValidationError, Conflict (code taken). Commits."""
    if not can_define(actor):
        raise PermissionDenied(_("Only admins define entitlement kinds."))
    code, name_zh, name_en = (code or "").strip().lower(), (name_zh or "").strip(), (name_en or "").strip()
    errors = {}
    if not _CODE.match(code):
        errors["code"] = _("Lower-case letters, digits and _ (2-40), starting with a letter.")
    if not name_zh or len(name_zh) > 80:
        errors["name_zh"] = _("Required, at most %(n)d characters.", n=80)
    if not name_en or len(name_en) > 80:
        errors["name_en"] = _("Required, at most %(n)d characters.", n=80)
    if unit not in UNITS:
        errors["unit"] = _("Choose a unit.")
    if follows not in FOLLOWS:
        errors["follows"] = _("Choose whether it follows the owner or stays with the vehicle.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    kind = EntitlementKind(code=code, name_zh=name_zh, name_en=name_en, unit=unit, follows=follows,
                           created_by_id=actor.id)
    try:
        db.session.add(kind)
        db.session.flush()
        audit.record(actor, "entitlement.kind", "entitlement_kind", kind.id, None,
                     {"code": code, "unit": unit, "follows": follows})
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("This code is taken."), {"code": _("This code is taken.")}) from exc
    except Exception:
        db.session.rollback()
        raise
    return kind


def kinds() -> list[EntitlementKind]:
    return EntitlementKind.query.order_by(EntitlementKind.id).all()


def get_kind(kind_id: int) -> EntitlementKind:
    kind = db.session.get(EntitlementKind, kind_id)
    if kind is None:
        raise NotFound(_("No such entitlement kind."))
    return kind


# ---- reading ----

def get_holding(holding_id: int, viewer) -> Entitlement:
    """The holding, or NotFound when missing or neither the viewer's nor the viewer a moderator."""
    holding = db.session.get(Entitlement, holding_id)
    if holding is None or not can_see(viewer, holding):
        raise NotFound(_("No such entitlement."))
    return holding


def holdings_of(user) -> list[Entitlement]:
    """What ``user`` holds now (owner-bound and the vehicle-bound ones of the cars they own)."""
    return Entitlement.query.filter(Entitlement.user_id == user.id).order_by(Entitlement.id).all()


def entries_of(holding: Entitlement) -> list[LedgerEntry]:
    return LedgerEntry.query.filter_by(entitlement_id=holding.id).order_by(LedgerEntry.seq).all()


def list_holdings(email: str | None = None, page: int = 1) -> tuple[list[Entitlement], bool]:
    """Holdings for the moderators' view, newest first, optionally of users whose e-mail contains ``email``.
    Returns (holdings, has_more)."""
    q = Entitlement.query
    if email:
        q = q.join(User, User.id == Entitlement.user_id).filter(
            func.lower(User.email).contains(email.strip().lower(), autoescape=True))
    rows = q.order_by(Entitlement.id.desc()).offset((max(page, 1) - 1) * PER_PAGE).limit(PER_PAGE + 1).all()
    return rows[:PER_PAGE], len(rows) > PER_PAGE


def ledger_sum(holding_id: int) -> Decimal:
    return db.session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount), 0))
                             .where(LedgerEntry.entitlement_id == holding_id)) or Decimal("0")


def mismatches() -> list[tuple[int, Decimal, Decimal]]:
    """Holdings whose stored balance differs from the sum of their ledger: [(id, stored, sum)]; [] when sound."""
    sums = (select(LedgerEntry.entitlement_id, func.sum(LedgerEntry.amount).label("total"))
            .group_by(LedgerEntry.entitlement_id).subquery())
    rows = db.session.execute(
        select(Entitlement.id, Entitlement.balance, func.coalesce(sums.c.total, 0))
        .outerjoin(sums, sums.c.entitlement_id == Entitlement.id)).all()
    return [(i, Decimal(b), Decimal(s)) for i, b, s in rows if Decimal(b) != Decimal(s)]


# ---- the ledger ----

def parse_amount(raw, unit: str, field: str = "amount", signed: bool = False) -> Decimal:
    """A positive amount (or non-zero when ``signed``) in ``unit``: at most 2 decimals (whole months,
    1 for a flag). Raises ValidationError(fields={field})."""
    try:
        value = Decimal(str(raw).replace(",", "").strip())
    except (InvalidOperation, ValueError):
        value = None
    ok = (value is not None and value.is_finite() and abs(value) < MAX_AMOUNT
          and value == value.quantize(Decimal("0.01")) and (value != 0 if signed else value > 0))
    if ok and unit in ("months", "flag") and value != value.to_integral_value():
        ok = False
    if ok and unit == "flag" and abs(value) != 1:
        ok = False
    if not ok:
        whole = unit in ("months", "flag")
        msg = _("Enter a whole number.") if whole else _("Enter an amount with at most two decimals.")
        raise ValidationError(msg, {field: msg})
    return value.quantize(Decimal("0.01"))


def _append(holding: Entitlement, kind: str, amount: Decimal, actor, now: datetime, **fields) -> LedgerEntry:
    """Move the balance and write the ledger line that explains it (no commit).

    Raises Conflict when the entry would take the balance below zero (or a flag above one).
    """
    cond = [Entitlement.id == holding.id, Entitlement.balance + amount >= 0]
    if holding.kind.unit == "flag":
        cond.append(Entitlement.balance + amount <= 1)
    changed = db.session.execute(update(Entitlement).where(*cond)
                                 .values(balance=Entitlement.balance + amount)).rowcount
    if changed != 1:
        if holding.kind.unit == "flag" and amount > 0:
            raise Conflict(_("This entitlement is already granted."))
        raise Conflict(_("Not enough left: the balance would go below zero."), {"amount": _("More than the balance.")})
    db.session.refresh(holding, ["balance"])
    seq = db.session.scalar(select(func.coalesce(func.max(LedgerEntry.seq), 0))
                            .where(LedgerEntry.entitlement_id == holding.id)) + 1
    entry = LedgerEntry(entitlement_id=holding.id, seq=seq, kind=kind, amount=amount, balance_after=holding.balance,
                        user_id=holding.user_id, vehicle_id=holding.vehicle_id, actor_id=getattr(actor, "id", None),
                        created_at=now, **fields)
    db.session.add(entry)
    db.session.flush()
    return entry


def current_vehicle(user, exclude_id: int | None = None) -> Vehicle | None:
    """The owner's newest verified vehicle (other than ``exclude_id``): the car owner-bound entitlements apply to."""
    cars = [v for v in Vehicle.query.filter_by(owner_id=user.id, status="verified").order_by(Vehicle.id.desc())
            if v.id != exclude_id]
    return cars[0] if cars else None


def _holding_for(kind: EntitlementKind, user: User | None, vehicle: Vehicle | None, now: datetime) -> Entitlement:
    if kind.follows == "owner":
        holding = Entitlement.query.filter_by(kind_id=kind.id, follows="owner", user_id=user.id).first()
        if holding is None:
            car = current_vehicle(user)
            holding = Entitlement(kind_id=kind.id, follows="owner", user_id=user.id,
                                  vehicle_id=car.id if car else None, balance=0, created_at=now)
    else:
        holding = Entitlement.query.filter_by(kind_id=kind.id, follows="vehicle", vehicle_id=vehicle.id).first()
        if holding is None:
            holding = Entitlement(kind_id=kind.id, follows="vehicle", user_id=vehicle.owner_id, vehicle_id=vehicle.id,
                                  balance=0, created_at=now)
    if holding.id is None:
        db.session.add(holding)
        db.session.flush()
    return holding


def grant(actor, kind: EntitlementKind, amount, source: str, *, user: User | None = None,
          vehicle: Vehicle | None = None, note: str | None = None, now: datetime | None = None) -> LedgerEntry:
    """Grant ``amount`` of ``kind``: to ``user`` (a verified owner) when it follows the owner, to ``vehicle``
    (verified; held by its owner) when it stays with the vehicle. Audited; commits.

    Raises PermissionDenied, ValidationError (amount, source, who), Conflict (a flag already granted).
    """
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators grant entitlements."))
    value = parse_amount(amount, kind.unit)
    if source not in SOURCES:
        raise ValidationError(_("Choose where the grant comes from."), {"source": _("Choose a source.")})
    if kind.follows == "owner" and (user is None or not user.is_owner):
        msg = _("Owner-bound entitlements go to an owner with a verified vehicle.")
        raise ValidationError(msg, {"email": msg})
    if kind.follows == "vehicle" and (vehicle is None or vehicle.status != "verified"):
        msg = _("Vehicle-bound entitlements go to a verified vehicle.")
        raise ValidationError(msg, {"vehicle_id": msg})
    try:
        holding = _holding_for(kind, user, vehicle, now)
        entry = _append(holding, "grant", value, actor, now, source=source, note=(note or "").strip()[:500] or None)
        audit.record(actor, "entitlement.grant", "entitlement", holding.id, None,
                     {"entry_id": entry.id, "amount": str(value), "source": source, "balance": str(holding.balance)},
                     note)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return entry


def use(actor, holding: Entitlement, amount, note: str | None = None, now: datetime | None = None) -> LedgerEntry:
    """Record a use of ``amount`` (positive). Refused with Conflict if it would overdraw, atomically.
    Flags are not used up (correct a flag instead). Audited; commits."""
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators record uses."))
    if holding.kind.unit == "flag":
        raise ValidationError(_("A yes/no entitlement is not used up."), {"amount": _("Not for a yes/no entitlement.")})
    value = parse_amount(amount, holding.kind.unit)
    try:
        entry = _append(holding, "use", -value, actor, now, note=(note or "").strip()[:500] or None)
        audit.record(actor, "entitlement.use", "entitlement", holding.id, None,
                     {"entry_id": entry.id, "amount": str(-value), "balance": str(holding.balance)}, note)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return entry


def correct(actor, entry: LedgerEntry, amount, note: str, now: datetime | None = None) -> LedgerEntry:
    """Correct ``entry`` with a new ledger line of signed ``amount`` (the original is never edited); a reason
    is required and the balance may not go below zero. Audited; commits."""
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators correct the ledger."))
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say why this correction is made."), {"note": _("A reason is required.")})
    holding = entry.entitlement
    value = parse_amount(amount, holding.kind.unit, signed=True)
    try:
        fixed = _append(holding, "correction", value, actor, now, corrects_id=entry.id, note=note[:500])
        audit.record(actor, "entitlement.correct", "entitlement", holding.id, None,
                     {"entry_id": fixed.id, "corrects": entry.id, "amount": str(value),
                      "balance": str(holding.balance)}, note)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return fixed


def get_entry(entry_id: int) -> LedgerEntry:
    entry = db.session.get(LedgerEntry, entry_id)
    if entry is None:
        raise NotFound(_("No such ledger entry."))
    return entry


def record_export(actor) -> None:
    """Audit that ``actor`` exported the ledger (it names owners). Commits."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators export the ledger."))
    audit.record(actor, "entitlement.export", "entitlement", 0, None, {"format": "csv"})
    db.session.commit()


def csv_lines() -> Iterator[str]:
    """The whole ledger as CSV, oldest first, streamed in batches."""
    def rows():
        last = 0
        while True:
            entries = LedgerEntry.query.filter(LedgerEntry.id > last).order_by(LedgerEntry.id).limit(500).all()
            if not entries:
                return
            for e in entries:
                k = e.entitlement.kind
                yield [e.id, e.created_at.isoformat(), e.entitlement_id, k.code, k.unit, e.entitlement.follows,
                       e.kind, e.source, e.amount, e.balance_after, e.user.email if e.user else "",
                       e.vehicle.masked_vin if e.vehicle else "", e.from_user.email if e.from_user else "",
                       e.from_vehicle.masked_vin if e.from_vehicle else "", e.corrects_id, e.transfer_id, e.note]
            last = entries[-1].id

    return csvexport.csv_lines(["entry_id", "created_at_utc", "entitlement_id", "kind_code", "unit", "follows",
                                "entry_kind", "source", "amount", "balance_after", "holder_email", "vehicle",
                                "from_email", "from_vehicle", "corrects_entry", "transfer_id", "note"], rows())
