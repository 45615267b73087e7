"""The proposal-side rules moderation calls: hide/restore, merge a duplicate, remove a user's votes.

Counters are always recomputed from rows (never +1/-1 here), so after any of these the stored
``vote_count`` and ``comment_count`` equal the rows behind them. Nothing is deleted except vote rows
in ``remove_votes_of``, which returns them so the caller can keep them in the audit log. None of
these functions commit: moderation writes its audit entry and commits the unit of work.
"""
from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import and_, delete, exists, func, insert, literal, select, update
from sqlalchemy.orm import aliased

from community.dbtypes import utcnow
from community.errors import Conflict, ValidationError
from community.extensions import db
from community.proposals.models import Comment, Proposal, Vote
from community.timeline.models import Milestone
from community.timeline.service import add_milestone
from community.util import one_language


def recount(proposal_ids) -> None:
    """Set vote_count and comment_count of these proposals from their rows (visible comments only)."""
    ids = sorted(set(proposal_ids))
    if not ids:
        return
    votes = select(func.count()).select_from(Vote).where(Vote.proposal_id == Proposal.id).scalar_subquery()
    comments = (select(func.count()).select_from(Comment)
                .where(Comment.proposal_id == Proposal.id, Comment.hidden_at.is_(None)).scalar_subquery())
    db.session.execute(update(Proposal).where(Proposal.id.in_(ids))
                       .values(vote_count=votes, comment_count=comments)
                       .execution_options(synchronize_session=False))
    for obj in db.session.identity_map.values():
        if isinstance(obj, Proposal) and obj.id in ids:
            db.session.refresh(obj)


def set_hidden(obj, hidden: bool) -> bool:
    """Hide or restore a Proposal, Comment or Milestone. Returns False when it already was in that state.

    The UPDATE is conditional on the current state, so two moderators acting at once change it once.
    Hiding a comment recounts its proposal's comment_count; hiding a proposal bumps ``updated_at`` so
    caches keyed on it (duplicate suggestions) notice.
    """
    model = type(obj)
    if model not in (Proposal, Comment, Milestone):
        raise ValidationError(_("This kind of content cannot be hidden here."))
    now = utcnow()
    cond = model.hidden_at.is_(None) if hidden else model.hidden_at.is_not(None)
    values = {"hidden_at": now if hidden else None}
    if model is Proposal:
        values["updated_at"] = now
    changed = db.session.execute(update(model).where(model.id == obj.id, cond).values(**values)
                                 .execution_options(synchronize_session=False)).rowcount
    db.session.refresh(obj)
    if changed and model is Comment:
        recount([obj.proposal_id])
    return bool(changed)


def merge(duplicate: Proposal, original: Proposal, actor, reason: str) -> dict:
    """Merge ``duplicate`` into ``original``; returns {"moved", "already", "original_votes", "old_status"}.

    The duplicate's voters are copied to the original with each voter counted once (INSERT ... SELECT
    that skips voters the original already has; the unique constraint backs it up under a race), both
    counters are recomputed from rows, the duplicate becomes ``merged`` with ``merged_into_id``, and
    both timelines get a milestone. The duplicate keeps its own vote rows as the record of who
    supported it. Raises ValidationError (same proposal, hidden, or a chain), Conflict (already merged).
    """
    if duplicate.id == original.id:
        raise ValidationError(_("A proposal cannot be merged into itself."), {"original_id": _("Pick another.")})
    if original.hidden_at is not None or original.status == "merged":
        raise ValidationError(_("Merge into a visible proposal that is not itself merged."),
                              {"original_id": _("Pick another.")})
    old_status = duplicate.status
    now = utcnow()
    changed = db.session.execute(
        update(Proposal).where(Proposal.id == duplicate.id, Proposal.status != "merged")
        .values(status="merged", merged_into_id=original.id, updated_at=now)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict(_("This proposal has already been merged."))
    mine = aliased(Vote)
    already = db.session.execute(select(func.count()).select_from(Vote).where(
        Vote.proposal_id == duplicate.id,
        exists().where(and_(mine.proposal_id == original.id, mine.user_id == Vote.user_id)))).scalar_one()
    total = db.session.execute(select(func.count()).select_from(Vote)
                               .where(Vote.proposal_id == duplicate.id)).scalar_one()
    moved = total - already  # INSERT ... SELECT rowcount is not reported by every driver (psycopg: -1)
    db.session.execute(insert(Vote).from_select(
        ["proposal_id", "user_id", "created_at"],
        select(literal(original.id), Vote.user_id, Vote.created_at).where(
            Vote.proposal_id == duplicate.id,
            ~exists().where(and_(mine.proposal_id == original.id, mine.user_id == Vote.user_id)))))
    db.session.execute(update(Proposal).where(Proposal.id == original.id).values(updated_at=now)
                       .execution_options(synchronize_session=False))
    recount([duplicate.id, original.id])
    db.session.refresh(duplicate)
    db.session.refresh(original)
    add_milestone(duplicate, "status_change", actor=actor, status_from=old_status, status_to="merged",
                  text_zh=f"已合并到提案 #{original.id}「{original.title}」。{one_language(reason, 'zh')}",
                  text_en=f"Merged into proposal #{original.id} \u201c{original.title}\u201d. "
                          f"{one_language(reason, 'en')}")
    add_milestone(original, "progress_update", actor=actor,
                  text_zh=f"重复提案 #{duplicate.id}「{duplicate.title}」已合并到此提案，新增 {moved} 位支持者。",
                  text_en=f"Duplicate proposal #{duplicate.id} \u201c{duplicate.title}\u201d was merged into this "
                          f"one, adding {moved} supporters.")
    return {"moved": moved, "already": already, "original_votes": original.vote_count, "old_status": old_status}


def remove_votes_of(user_id: int) -> list[dict]:
    """Delete every vote row of ``user_id`` and recount the proposals they were on.

    Returns the removed rows as [{"proposal_id", "created_at"}] (ISO instants) for the audit log, so
    the removal can be traced and undone by hand.
    """
    rows = db.session.execute(select(Vote.proposal_id, Vote.created_at).where(Vote.user_id == user_id)
                              .order_by(Vote.proposal_id)).all()
    if rows:
        db.session.execute(delete(Vote).where(Vote.user_id == user_id))
        recount([pid for pid, _at in rows])
    return [{"proposal_id": pid, "created_at": at.isoformat()} for pid, at in rows]
