"""The SLA sweep: mark breached promises once and tell the moderators (via the audit log).

Safe to run from cron as often as wanted: each breach is marked by a conditional UPDATE that only
matches rows not yet marked, so a second run (or two runs at once) marks nothing twice.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update

from community import events, metrics
from community.audit import service as audit
from community.dbtypes import utcnow
from community.extensions import db
from community.feedback.models import FeedbackItem


@dataclass
class SweepResult:
    """Ids of items newly marked in this run, per promise kind."""

    first_response: list[int] = field(default_factory=list)
    resolution: list[int] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.first_response) + len(self.resolution)


def _mark(now: datetime, marked_col, done_col, due_col) -> list[tuple[int, int | None, datetime]]:
    stmt = (update(FeedbackItem)
            .where(marked_col.is_(None), done_col.is_(None), due_col.is_not(None), due_col < now,
                   FeedbackItem.hidden_at.is_(None))
            .values({marked_col.key: now})
            .returning(FeedbackItem.id, FeedbackItem.team_id, due_col)
            .execution_options(synchronize_session=False))
    return [tuple(row) for row in db.session.execute(stmt)]


def _tell_author(item_id: int, kind: str) -> None:
    """The author hears that the promise to them was missed (a personal notification)."""
    from community.feedback.service import item_link
    from community.notifications import service as notifications

    author_id = db.session.scalar(select(FeedbackItem.author_id).where(FeedbackItem.id == item_id))
    if author_id is None:
        return
    zh, en = {"first_response": ("你的反馈未能在承诺时限内得到首次答复，我们已提醒负责团队。",
                                 "Your feedback was not answered within the promised time; the team has been told."),
              "resolution": ("你的反馈未能在承诺时限内解决，我们已提醒负责团队。",
                             "Your feedback was not resolved within the promised time; the team has been told.")}[kind]
    notifications.notify_user(author_id, "feedback_breach", zh, en, item_link(item_id))


def sweep(now: datetime | None = None) -> SweepResult:
    """Mark every promise due before ``now`` (aware UTC; default: the current instant) and not kept:
    no first reply by ``first_response_due_at``, not resolved by ``resolution_due_at``. Items still in
    triage breach too (against the default SLA), so a forgotten item cannot hide. One audit entry
    ``sla.breach`` (actor: system) per new breach is the moderators' notification. Commits.
    """
    now = now or utcnow()
    result = SweepResult()
    kinds = (("first_response", FeedbackItem.first_response_breached_at, FeedbackItem.first_responded_at,
              FeedbackItem.first_response_due_at),
             ("resolution", FeedbackItem.resolution_breached_at, FeedbackItem.resolved_at,
              FeedbackItem.resolution_due_at))
    try:
        for kind, marked_col, done_col, due_col in kinds:
            for item_id, team_id, due in _mark(now, marked_col, done_col, due_col):
                getattr(result, kind).append(item_id)
                audit.record(None, "sla.breach", "feedback", item_id, None,
                             {"kind": kind, "team_id": team_id, "due_at": due.isoformat()},
                             note="notify:moderators")
                _tell_author(item_id, kind)
                events.emit("feedback.sla_breached", db.session.get(FeedbackItem, item_id))
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    metrics.record_sla_breaches(result.total)
    return result
