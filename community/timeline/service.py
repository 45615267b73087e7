"""Post and read milestones. Other features (workflow, campaigns, council) call ``add_milestone``."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import and_, or_
from sqlalchemy.orm import contains_eager, lazyload, load_only

from community import events
from community.accounts.models import shown_user
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import ValidationError
from community.extensions import db
from community.notifications import service as notifications
from community.timeline.models import KINDS, Milestone

BACKDATE_GRACE = timedelta(hours=1)  # older than this needs a reason
FUTURE_GRACE = timedelta(minutes=5)  # clock skew between a browser and the server
# Earlier dates are typos; year-1 instants also cannot be shown in zones west of UTC (OverflowError, a 500).
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


def add_milestone(proposal, kind: str, *, actor=None, text_zh: str | None = None, text_en: str | None = None,
                  occurred_at: datetime | None = None, backdate_reason: str | None = None,
                  progress_percent: int | None = None, status_from: str | None = None,
                  status_to: str | None = None) -> Milestone:
    """Add a public milestone to ``proposal`` (no commit: it lands with the caller's change).

    ``occurred_at`` is an aware instant (default now, not before 2000); one more than an hour in the past needs a
    ``backdate_reason``, one in the future is refused. At least one of text_zh/text_en is required.
    Raises ValidationError with field names matching the milestone form.
    """
    now = utcnow()
    occurred_at = occurred_at or now
    text_zh, text_en = (text_zh or "").strip() or None, (text_en or "").strip() or None
    backdate_reason = (backdate_reason or "").strip() or None
    errors = {}
    if kind not in KINDS:
        errors["kind"] = _("Unknown milestone kind.")
    if not (text_zh or text_en):
        errors["text_zh"] = _("Write the milestone in Chinese, English or both.")
    if occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if occurred_at > now + FUTURE_GRACE:
        errors["occurred_at"] = _("A milestone cannot be dated in the future.")
    elif occurred_at < EARLIEST:
        errors["occurred_at"] = _("A milestone cannot be dated before 2000.")
    elif occurred_at < now - BACKDATE_GRACE and not backdate_reason:
        errors["backdate_reason"] = _("Say why this milestone is dated in the past.")
    if progress_percent is not None and not 0 <= progress_percent <= 100:
        errors["progress_percent"] = _("Progress is a percentage from 0 to 100.")
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    milestone = Milestone(proposal_id=proposal.id, kind=kind, occurred_at=occurred_at, recorded_at=now,
                          backdate_reason=backdate_reason, text_zh=text_zh, text_en=text_en,
                          progress_percent=progress_percent, status_from=status_from, status_to=status_to,
                          actor_id=getattr(actor, "id", None))
    db.session.add(milestone)
    proposal.updated_at = now
    db.session.flush()
    notifications.on_milestone(milestone, actor)
    events.emit("proposal.milestone_added", milestone)
    audit.record(actor, f"milestone.{kind}", "proposal", proposal.id, None,
                 {"milestone_id": milestone.id, "occurred_at": occurred_at.isoformat()}, backdate_reason)
    return milestone


def _visible():
    from community.proposals.models import Proposal

    return (Milestone.query.join(Proposal, Proposal.id == Milestone.proposal_id)
            .filter(Milestone.hidden_at.is_(None), Proposal.hidden_at.is_(None)))


def for_proposal(proposal_id: int) -> list[Milestone]:
    """A proposal's public milestones, newest first."""
    # The page already has the proposal: no second join to it, and the actor is shown by name only.
    return (_visible().options(lazyload(Milestone.proposal), shown_user(Milestone.actor))
            .filter(Milestone.proposal_id == proposal_id)
            .order_by(Milestone.occurred_at.desc(), Milestone.id.desc()).all())


def feed(kind: str | None = None, before: tuple[datetime, int] | None = None, limit: int = 30) -> list[Milestone]:
    """Public milestones across the platform, newest first; keyset-paged by (occurred_at, id).

    Each milestone comes with its proposal's title only, from the join that filters hidden proposals (not a
    second join loading both bodies), and its actor by name."""
    from community.proposals.models import Proposal

    q = _visible().options(
        contains_eager(Milestone.proposal).options(load_only(Proposal.id, Proposal.title, Proposal.hidden_at),
                                                   lazyload(Proposal.author)),
        shown_user(Milestone.actor))
    if kind:
        q = q.filter(Milestone.kind == kind)
    if before:
        at, mid = before
        q = q.filter(or_(Milestone.occurred_at < at, and_(Milestone.occurred_at == at, Milestone.id < mid)))
    return q.order_by(Milestone.occurred_at.desc(), Milestone.id.desc()).limit(limit).all()


def feed_page(kind: str | None, cursor: str | None, limit: int = 30) -> tuple[list[Milestone], str | None]:
    """One page of ``feed`` and the opaque cursor of the next page (None on the last page).

    Raises InvalidCursor for a cursor we did not make.
    """
    from community.util import cursor_values, decode_cursor, encode_cursor

    before = cursor_values(decode_cursor(cursor), "instant", "int")
    items = feed(kind, before, limit + 1)
    if len(items) <= limit:
        return items, None
    last = items[limit - 1]
    return items[:limit], encode_cursor([last.occurred_at.isoformat(), last.id])
