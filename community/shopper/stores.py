"""Stores: admins create and edit them, or import a CSV in one transaction.

CSV (UTF-8, optional BOM, header row required): ``name,city,kind[,staff_names]``; ``kind`` is one of
sales, service, delivery; ``staff_names`` separates names with ``;`` or ``、``. A row whose (city, name)
already exists updates that store. Any bad row refuses the whole file: nothing is half-imported, and
every bad row is reported with its line number (the header is line 1).
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from community.audit import service as audit
from community.errors import Conflict, NotFound, ValidationError
from community.extensions import db
from community.shopper.models import STORE_KINDS, Store

MAX_STAFF = 100
_SPLIT = re.compile(r"[;；、\n]+")


def parse_staff(text: str | list | None) -> list[str]:
    """Staff names from ``;``/``、``/newline-separated text (or a list): trimmed, de-duplicated, in order."""
    parts = text if isinstance(text, list) else _SPLIT.split(text or "")
    seen: list[str] = []
    for part in parts:
        name = part.strip()
        if name and name not in seen:
            seen.append(name[:60])
    return seen


def all_stores(active_only: bool = False) -> list[Store]:
    query = select(Store).order_by(Store.city, Store.name, Store.id)
    if active_only:
        query = query.where(Store.is_active.is_(True))
    return list(db.session.scalars(query))


def get_store(store_id: int) -> Store:
    store = db.session.get(Store, store_id)
    if store is None:
        raise NotFound(_("No such store."))
    return store


def _check(name: str, city: str, kind: str, staff: list[str]) -> dict[str, str]:
    errors = {}
    if not name or len(name) > 120:
        errors["name"] = _("A name of 1 to 120 characters is required.")
    if not city or len(city) > 60:
        errors["city"] = _("A city of 1 to 60 characters is required.")
    if kind not in STORE_KINDS:
        errors["kind"] = _("Choose sales, service or delivery.")
    if len(staff) > MAX_STAFF:
        errors["staff_names"] = _("At most %(n)d names.", n=MAX_STAFF)
    return errors


def save_store(store: Store | None, actor, *, name: str, city: str, kind: str, staff_names, is_active: bool = True
               ) -> Store:
    """Create (``store`` None) or edit a store; audited; commits. Raises ValidationError, Conflict (the city
    already has a store of that name)."""
    name, city, staff = (name or "").strip(), (city or "").strip(), parse_staff(staff_names)
    errors = _check(name, city, kind, staff)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    before = None
    if store is None:
        store = Store()
        db.session.add(store)
    else:
        before = {"name": store.name, "city": store.city, "kind": store.kind, "is_active": store.is_active,
                  "staff": len(store.staff_names or [])}
    store.name, store.city, store.kind, store.staff_names, store.is_active = name, city, kind, staff, bool(is_active)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("%(city)s already has a store called %(name)s.", city=city, name=name),
                       {"name": _("Already taken in this city.")}) from exc
    # Staff names are personal data: the audit keeps how many, not who.
    audit.record(actor, "store.save", "store", store.id, before,
                 {"name": name, "city": city, "kind": kind, "is_active": store.is_active, "staff": len(staff)})
    db.session.commit()
    return store


@dataclass
class ImportResult:
    created: int
    updated: int


def import_csv(text: str, actor=None) -> ImportResult:
    """Import stores from CSV text (see the module docstring); one transaction, audited.

    Raises ValidationError whose ``fields`` map "line N" to what is wrong with that line; nothing is
    written then.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("name", "city", "kind") if c not in header]
    if missing:
        raise ValidationError(_("The header must name the columns name, city, kind (and optionally staff_names)."),
                              {"line 1": _("missing column(s): %(cols)s", cols=", ".join(missing))})
    reader.fieldnames = header
    existing = {(s.city, s.name): s for s in all_stores()}
    errors: dict[str, str] = {}
    rows, seen = [], {}
    for row in reader:
        line = reader.line_num
        if None in row:
            errors[f"line {line}"] = _("more values than columns")
            continue
        name, city = (row.get("name") or "").strip(), (row.get("city") or "").strip()
        kind, staff = (row.get("kind") or "").strip().lower(), parse_staff(row.get("staff_names"))
        problems = _check(name, city, kind, staff)
        if (city, name) in seen:
            problems["name"] = _("same store as line %(n)d", n=seen[(city, name)])
        if problems:
            errors[f"line {line}"] = "; ".join(problems.values())
            continue
        seen[(city, name)] = line
        rows.append((name, city, kind, staff))
    if errors:
        raise ValidationError(_("%(n)d bad row(s); nothing was imported.", n=len(errors)), errors)
    if not rows:
        raise ValidationError(_("The file has no stores."), {"line 2": _("no rows")})
    created = updated = 0
    try:
        for name, city, kind, staff in rows:
            store = existing.get((city, name))
            if store is None:
                db.session.add(Store(name=name, city=city, kind=kind, staff_names=staff))
                created += 1
            else:
                store.kind, store.staff_names = kind, staff
                updated += 1
        db.session.flush()
        audit.record(actor, "store.import", "store", 0, None, {"created": created, "updated": updated})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return ImportResult(created, updated)
