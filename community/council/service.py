"""Council rules: who holds council rights (terms), the council queue, internal notes.

Council rights derive from an active term, never from a stored role: ``User.has_role("council_member")``
asks :func:`has_active_term`, so when a term's end passes (or an admin ends it) the rights go with it,
with no sweep job. Admins imply every role. Sessions, agendas and decisions are in ``sessions.py``.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import exists, insert, literal, select, update

from community.audit import service as audit
from community.council.models import SEATS, AgendaItem, CouncilTerm, InternalNote
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.proposals import service as proposals
from community.proposals.models import Proposal
from community.text import render_markdown

QUEUE_STATUSES = ("submitted", "under_review")
MAX_NOTE = 5000


# ---- predicates (one each for views, services and templates) ----

def has_active_term(user_id: int, at: datetime | None = None) -> bool:
    """True when the user holds a council term with starts_at <= ``at`` < ends_at (``at`` default now)."""
    at = at or utcnow()
    return db.session.query(CouncilTerm.id).filter(
        CouncilTerm.user_id == user_id, CouncilTerm.starts_at <= at, CouncilTerm.ends_at > at).first() is not None


def is_council(user) -> bool:
    """An active council member (or an admin); blocked users are neither."""
    return bool(user and user.is_authenticated and user.has_role("council_member"))


def can_see_internal(user) -> bool:
    """Internal notes and the council queue: active council members and moderators (and admins)."""
    return is_council(user) or proposals.can_moderate(user)


def can_appoint(user) -> bool:
    return bool(user and user.is_authenticated and user.has_role("admin"))


# ---- terms ----

def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])


def day_start(day: date) -> datetime:
    """00:00 of ``day`` in the brand's zone (Asia/Shanghai) as an aware instant."""
    return datetime.combine(day, time(0), tzinfo=_zone())


def appoint(actor, user, region: str, seat: str, first_day: date, last_day: date) -> CouncilTerm:
    """Seat ``user`` on the council from ``first_day`` 00:00 through ``last_day`` 23:59:59 (brand zone).

    Stored as [starts_at, ends_at) with ends_at = the day after ``last_day`` at 00:00, so the last day is
    included to its last second. Raises PermissionDenied (not an admin), ValidationError (fields),
    Conflict (the user already holds a term overlapping these days: decided in the INSERT itself).
    Audited; commits.
    """
    if not can_appoint(actor):
        raise PermissionDenied(_("Only admins appoint council members."))
    region = (region or "").strip()
    errors = {}
    if not region or len(region) > 60:
        errors["region"] = _("Give the member's region (at most 60 characters).")
    if seat not in SEATS:
        errors["seat"] = _("Choose a seat.")
    if not first_day or not last_day or last_day < first_day:
        errors["last_day"] = _("The last day must be on or after the first day.")
    if user.is_blocked:
        errors["email"] = _("A blocked user cannot be appointed.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    starts_at, ends_at = day_start(first_day), day_start(last_day + timedelta(days=1))
    overlapping = exists().where(CouncilTerm.user_id == user.id, CouncilTerm.starts_at < ends_at,
                                 CouncilTerm.ends_at > starts_at)
    now = utcnow()
    stmt = insert(CouncilTerm).from_select(
        ["user_id", "region", "seat", "starts_at", "ends_at", "planned_ends_at", "appointed_by_id", "created_at"],
        select(literal(user.id), literal(region), literal(seat), literal(starts_at, CouncilTerm.starts_at.type),
               literal(ends_at, CouncilTerm.ends_at.type), literal(ends_at, CouncilTerm.ends_at.type),
               literal(actor.id), literal(now, CouncilTerm.created_at.type)).where(~overlapping),
    ).returning(CouncilTerm.id)
    term_id = db.session.execute(stmt).scalar()
    if term_id is None:
        db.session.rollback()
        msg = _("%(name)s already holds a council term overlapping these days.", name=user.display_name)
        raise Conflict(msg, {"first_day": msg})
    term = db.session.get(CouncilTerm, term_id)
    audit.record(actor, "council.appoint", "council_term", term.id, None,
                 {"user_id": user.id, "region": region, "seat": seat, "starts_at": starts_at.isoformat(),
                  "ends_at": term.ends_at.isoformat()})
    db.session.commit()
    return term


def end_term(actor, term: CouncilTerm, reason: str) -> CouncilTerm:
    """End a running term now (rights end at once); the planned end stays recorded. Audited; commits.

    Raises PermissionDenied (not an admin), ValidationError (no reason), Conflict (the term is not
    running: already over, or not started yet). The UPDATE is conditional on the term still running.
    """
    if not can_appoint(actor):
        raise PermissionDenied(_("Only admins end council terms."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(_("Say why the term ends early."), {"reason": _("A reason is required.")})
    now = utcnow()
    before = term.ends_at
    changed = db.session.execute(
        update(CouncilTerm).where(CouncilTerm.id == term.id, CouncilTerm.starts_at < now, CouncilTerm.ends_at > now)
        .values(ends_at=now, end_reason=reason[:500]).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("Only a running term can be ended."))
    db.session.refresh(term)
    audit.record(actor, "council.end_term", "council_term", term.id, {"ends_at": before.isoformat()},
                 {"ends_at": now.isoformat()}, reason)
    db.session.commit()
    return term


def get_term(term_id: int) -> CouncilTerm:
    term = db.session.get(CouncilTerm, term_id)
    if term is None:
        raise NotFound(_("No such council term."))
    return term


def current_terms(at: datetime | None = None) -> list[CouncilTerm]:
    """Terms running at ``at`` (default now): chairs first, then by region and name."""
    at = at or utcnow()
    rows = (CouncilTerm.query.filter(CouncilTerm.starts_at <= at, CouncilTerm.ends_at > at)
            .order_by(CouncilTerm.region, CouncilTerm.id).all())
    return sorted(rows, key=lambda t: (t.seat != "chair", t.region, t.user.display_name))


def past_terms(at: datetime | None = None, limit: int = 200) -> list[CouncilTerm]:
    """Terms that ended before ``at``, most recently ended first."""
    at = at or utcnow()
    return (CouncilTerm.query.filter(CouncilTerm.ends_at <= at)
            .order_by(CouncilTerm.ends_at.desc(), CouncilTerm.id.desc()).limit(limit).all())


def upcoming_terms(at: datetime | None = None) -> list[CouncilTerm]:
    at = at or utcnow()
    return CouncilTerm.query.filter(CouncilTerm.starts_at > at).order_by(CouncilTerm.starts_at).all()


# ---- council queue and internal notes ----

def queue(viewer, sort: str = "votes", page: int = 1, per_page: int = 30) -> tuple[list[Proposal], bool]:
    """Open proposals no council session has taken up yet: ([proposals], has_more).

    ``sort``: ``votes`` (most votes first, older first on ties) or ``age`` (oldest first). Hidden and
    merged proposals never appear. Raises PermissionDenied unless council or moderator.
    """
    if not can_see_internal(viewer):
        raise PermissionDenied(_("The council queue is for council members and moderators."))
    on_agenda = exists().where(AgendaItem.proposal_id == Proposal.id)
    q = proposals.visible_query().filter(Proposal.status.in_(QUEUE_STATUSES), ~on_agenda)
    order = ((Proposal.created_at.asc(), Proposal.id.asc()) if sort == "age"
             else (Proposal.vote_count.desc(), Proposal.created_at.asc(), Proposal.id.asc()))
    page = max(1, page)
    rows = q.order_by(*order).offset((page - 1) * per_page).limit(per_page + 1).all()
    return rows[:per_page], len(rows) > per_page


def notes_for(viewer, proposal: Proposal) -> list[InternalNote]:
    """Internal notes on a proposal, oldest first. Raises PermissionDenied for everyone else."""
    if not can_see_internal(viewer):
        raise PermissionDenied(_("Internal notes are for council members and moderators."))
    return InternalNote.query.filter_by(proposal_id=proposal.id).order_by(InternalNote.id).all()


def note_count(proposal_id: int) -> int:
    return InternalNote.query.filter_by(proposal_id=proposal_id).count()


def add_note(actor, proposal: Proposal, body: str) -> InternalNote:
    """Write an internal note (Markdown, sanitised). Raises PermissionDenied, ValidationError. Audited; commits."""
    if not can_see_internal(actor):
        raise PermissionDenied(_("Internal notes are for council members and moderators."))
    body = (body or "").strip()
    if not body or len(body) > MAX_NOTE:
        msg = _("A note has 1 to %(n)d characters.", n=MAX_NOTE)
        raise ValidationError(msg, {"body": msg})
    note = InternalNote(proposal_id=proposal.id, author_id=actor.id, body=body, body_html=render_markdown(body))
    db.session.add(note)
    db.session.flush()
    # The audit log is admin-only, but the note text stays out of it all the same: only its id.
    audit.record(actor, "council.note", "proposal", proposal.id, None, {"note_id": note.id})
    db.session.commit()
    return note
