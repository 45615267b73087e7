"""Roadmap rules: publish items, move them through their states with a dated public history, read them.

A window is a quarter ("2026-Q1") or a month ("2026-03"). Functions commit their own unit of work and
roll it back whole on failure; every write is audited.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from babel.dates import format_skeleton
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import update

from community.accounts.vehicles import MODEL_YEARS, MODELS
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.proposals.models import Proposal
from community.roadmap.models import KINDS, STATES, RoadmapEntry, RoadmapItem, RoadmapLink
from community.text import render_markdown

# Where each state may go next. Released and cancelled are final: a new plan is a new item.
TRANSITIONS = {
    "planned": ("in_development", "released", "postponed", "cancelled"),
    "in_development": ("released", "postponed", "cancelled"),
    "postponed": ("planned", "in_development", "released", "postponed", "cancelled"),
    "released": (),
    "cancelled": (),
}
NEEDS_REASON = ("postponed", "cancelled")
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
_MONTH = re.compile(r"^\s*(\d{4})\s*-\s*(\d{1,2})\s*$")


# ---- permissions ----

def can_manage(user) -> bool:
    """Moderators publish items and change their state."""
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role("moderator"))


# ---- windows ----

@dataclass(frozen=True)
class Window:
    """A planned window: ``key`` "2026-Q1" or "2026-03"; months as YYYYMM of its first and last month."""

    key: str
    first: int
    last: int

    @property
    def quarter(self) -> str:
        year, month = divmod(self.first, 100)
        return f"{year}-Q{(month - 1) // 3 + 1}"


def parse_window(raw: str | None) -> Window:
    """"2026-Q1", "2026q1" or "2026-3"/"2026-03" -> Window. Raises ValidationError(fields={"window"})."""
    raw = raw or ""
    if m := _QUARTER.match(raw):
        year, q = int(m[1]), int(m[2])
        if 2000 <= year <= 2100:
            return Window(f"{year}-Q{q}", year * 100 + 3 * q - 2, year * 100 + 3 * q)
    elif m := _MONTH.match(raw):
        year, month = int(m[1]), int(m[2])
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return Window(f"{year}-{month:02d}", year * 100 + month, year * 100 + month)
    msg = _("Enter a quarter like 2026-Q1 or a month like 2026-03.")
    raise ValidationError(msg, {"window": msg})


def window_label(key: str | None) -> str:
    """A window as people read it in the current locale: "Q1 2026" / "2026年第1季度", "March 2026" / "2026年3月"."""
    if not key:
        return ""
    win = parse_window(key)
    year, month = divmod(win.first, 100)
    locale = str(get_locale() or "zh")
    if win.first != win.last:
        return format_skeleton("yQQQ", date(year, month, 1), locale=locale)
    return format_skeleton("yMMMM", date(year, month, 1), locale=locale)


# ---- reading ----

def get_item(item_id: int) -> RoadmapItem:
    item = db.session.get(RoadmapItem, item_id)
    if item is None:
        raise NotFound(_("No such roadmap item."))
    return item


def visible_proposals(item: RoadmapItem) -> list[Proposal]:
    """The item's linked proposals a visitor may see (hidden ones never leak), most votes first."""
    return sorted((link.proposal for link in item.links if link.proposal.hidden_at is None),
                  key=lambda p: (-p.vote_count, p.id))


def affects(item: RoadmapItem, vehicle) -> bool:
    """True when the item concerns ``vehicle`` (its model and model year; empty lists mean any)."""
    return ((not item.models or vehicle.model in item.models)
            and (not item.model_years or vehicle.model_year in item.model_years))


def affects_any(item: RoadmapItem, vehicles) -> bool:
    return any(affects(item, v) for v in vehicles)


def verified_vehicles(user) -> list:
    if not (user and getattr(user, "is_authenticated", False)):
        return []
    return [v for v in user.vehicles if v.status == "verified"]


def list_by_quarter(model: str | None = None, vehicles: list | None = None) -> list[tuple[str, list[RoadmapItem]]]:
    """Every item, in window order, grouped by the quarter its current window falls in.

    ``model`` keeps items for that model (or for every model); ``vehicles`` (not None) keeps the items
    that affect at least one of them ("affects my cars"). The roadmap is tens of items, not thousands:
    filters run in Python over the JSON lists, which keeps SQLite and PostgreSQL alike.
    Returns [(quarter key, items)].
    """
    items = RoadmapItem.query.order_by(RoadmapItem.window_sort, RoadmapItem.id).all()
    if model:
        items = [i for i in items if not i.models or model in i.models]
    if vehicles is not None:
        items = [i for i in items if affects_any(i, vehicles)]
    groups: dict[str, list[RoadmapItem]] = {}
    for item in items:
        groups.setdefault(parse_window(item.window).quarter, []).append(item)
    return list(groups.items())


def for_proposal(proposal_id: int) -> list[RoadmapItem]:
    """The roadmap items linked to one proposal, in window order."""
    return (RoadmapItem.query.join(RoadmapLink, RoadmapLink.item_id == RoadmapItem.id)
            .filter(RoadmapLink.proposal_id == proposal_id)
            .order_by(RoadmapItem.window_sort, RoadmapItem.id).all())


# ---- writing ----

@dataclass
class ItemInput:
    title_zh: str = ""
    title_en: str = ""
    description_zh: str = ""
    description_en: str = ""
    kind: str = ""
    window: str = ""
    models: list[str] = field(default_factory=list)
    model_years: list[int] = field(default_factory=list)
    proposal_ids: list[int] = field(default_factory=list)


def parse_ids(raw: str | None) -> list[int]:
    """"12, 15 #20" -> [12, 15, 20]. Raises ValidationError(fields={"proposal_ids"}) on anything else."""
    parts = [p for p in re.split(r"[\s,，#]+", raw or "") if p]
    if not all(p.isdigit() and 0 < int(p) < 2**31 for p in parts):
        msg = _("List proposal numbers separated by commas, e.g. 12, 15.")
        raise ValidationError(msg, {"proposal_ids": msg})
    return sorted({int(p) for p in parts})


def _proposals(ids: list[int]) -> list[Proposal]:
    found = Proposal.query.filter(Proposal.id.in_(ids), Proposal.hidden_at.is_(None)).all() if ids else []
    missing = sorted(set(ids) - {p.id for p in found})
    if missing:
        msg = _("No such proposal: %(ids)s", ids=", ".join(f"#{i}" for i in missing))
        raise ValidationError(msg, {"proposal_ids": msg})
    return found


def _validate(data: ItemInput) -> tuple[dict, Window, list[Proposal]]:
    errors = {}
    clean = {k: (getattr(data, k) or "").strip() or None
             for k in ("title_zh", "title_en", "description_zh", "description_en")}
    if not (clean["title_zh"] or clean["title_en"]):
        errors["title_zh"] = _("Give the item a title in Chinese, English or both.")
    for key in ("title_zh", "title_en"):
        if clean[key] and len(clean[key]) > 120:
            errors[key] = _("At most %(n)d characters.", n=120)
    if data.kind not in KINDS:
        errors["kind"] = _("Choose a kind.")
    if set(data.models) - set(MODELS):
        errors["models"] = _("Unknown model.")
    if set(data.model_years) - set(MODEL_YEARS):
        errors["model_years"] = _("Unknown model year.")
    window = proposals = None
    try:
        window = parse_window(data.window)
    except ValidationError as err:
        errors.update(err.fields)
    try:
        proposals = _proposals(data.proposal_ids)
    except ValidationError as err:
        errors.update(err.fields)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    return clean, window, proposals


def create_item(actor, data: ItemInput, now: datetime | None = None) -> RoadmapItem:
    """Publish a roadmap item in state ``planned`` with its first public entry; audited; commits.

    Raises PermissionDenied (not a moderator), ValidationError (fields; a hidden or missing proposal).
    """
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators publish roadmap items."))
    clean, window, proposals = _validate(data)
    item = RoadmapItem(**clean, kind=data.kind, models=sorted(set(data.models)),
                       model_years=sorted(set(data.model_years)), window=window.key, window_sort=window.first,
                       original_window=window.key, state="planned", created_by_id=actor.id, created_at=now,
                       updated_at=now, description_zh_html=render_markdown(clean["description_zh"] or ""),
                       description_en_html=render_markdown(clean["description_en"] or ""),
                       links=[RoadmapLink(proposal_id=p.id) for p in proposals])
    try:
        db.session.add(item)
        db.session.flush()
        db.session.add(RoadmapEntry(item_id=item.id, state_from=None, state_to="planned", window_to=window.key,
                                    actor_id=actor.id, occurred_at=now))
        audit.record(actor, "roadmap.create", "roadmap_item", item.id, None,
                     {"window": item.window, "kind": item.kind, "models": item.models,
                      "model_years": item.model_years, "proposal_ids": [p.id for p in proposals]})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return item


def change_state(item: RoadmapItem, actor, new_state: str, reason: str | None = None,
                 new_window: str | None = None, now: datetime | None = None) -> RoadmapEntry:
    """Move ``item`` to ``new_state`` and write the dated public entry; audited; commits.

    Postponing needs a reason and a new window that ends after the current one; the original window
    stays on the item. Cancelling needs a reason. Any other change may also set a new window.
    Raises PermissionDenied, ValidationError (reason, window, unknown state), Conflict (not allowed from
    the current state, or the state changed meanwhile: decided by a conditional UPDATE).
    """
    now = now or utcnow()
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators change roadmap items."))
    if new_state not in STATES:
        raise ValidationError(_("Unknown state."), {"state": _("Unknown state.")})
    old_state, old_window = item.state, item.window
    if new_state not in TRANSITIONS[old_state]:
        raise Conflict(_("A roadmap item cannot go from %(a)s to %(b)s.", a=STATES[old_state], b=STATES[new_state]))
    reason = (reason or "").strip() or None
    errors = {}
    if new_state in NEEDS_REASON and not reason:
        errors["reason"] = _("Owners are told why: give a public reason.")
    if reason and len(reason) > 500:
        errors["reason"] = _("At most %(n)d characters.", n=500)
    window = parse_window(old_window)
    if (new_window or "").strip():
        try:
            window = parse_window(new_window)
        except ValidationError as err:
            errors.update(err.fields)
    if new_state == "postponed" and "window" not in errors and window.last <= parse_window(old_window).last:
        errors["window"] = _("A postponement moves the window later than %(w)s.", w=window_label(old_window))
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    try:
        changed = db.session.execute(
            update(RoadmapItem).where(RoadmapItem.id == item.id, RoadmapItem.state == old_state)
            .values(state=new_state, window=window.key, window_sort=window.first, updated_at=now,
                    state_reason=reason if new_state in NEEDS_REASON else None)).rowcount
        if changed != 1:
            raise Conflict(_("This item changed meanwhile; reload the page."))
        entry = RoadmapEntry(item_id=item.id, state_from=old_state, state_to=new_state, window_from=old_window,
                             window_to=window.key, reason=reason, actor_id=actor.id, occurred_at=now)
        db.session.add(entry)
        audit.record(actor, "roadmap.state", "roadmap_item", item.id, {"state": old_state, "window": old_window},
                     {"state": new_state, "window": window.key}, reason)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    db.session.refresh(item)
    return entry


def set_links(item: RoadmapItem, actor, proposal_ids: list[int]) -> RoadmapItem:
    """Replace the proposals ``item`` answers (visible proposals only); audited; commits."""
    if not can_manage(actor):
        raise PermissionDenied(_("Only moderators change roadmap items."))
    proposals = _proposals(proposal_ids)
    before = sorted(link.proposal_id for link in item.links)
    try:
        # Links to proposals hidden since are kept: hiding is reversible and never silently edits the roadmap.
        wanted = {p.id for p in proposals}
        for link in list(item.links):
            if link.proposal_id not in wanted and link.proposal.hidden_at is None:
                item.links.remove(link)
        have = {link.proposal_id for link in item.links}
        item.links.extend(RoadmapLink(proposal_id=pid) for pid in sorted(wanted - have))
        item.updated_at = utcnow()
        audit.record(actor, "roadmap.links", "roadmap_item", item.id, {"proposal_ids": before},
                     {"proposal_ids": sorted(link.proposal_id for link in item.links)})
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return item
