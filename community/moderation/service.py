"""Moderation rules: flags, one queue, hide/restore, block/unblock, vote removal, merging duplicates.

Every moderator action writes an audit entry in the same transaction; nothing is hard-deleted (the
one exception, a blocked user's vote rows, is copied into the audit entry first).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from community.accounts import service as accounts
from community.accounts.identity import identity_key
from community.accounts.models import User
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.moderation.models import Flag
from community.moderation.targets import TARGETS, get_target
from community.proposals import moderation as proposal_rules
from community.proposals import service as proposals
from community.proposals.models import Proposal

MAX_REASON = 1000


def can_flag(user) -> bool:
    return bool(user and user.is_authenticated and not user.is_blocked)


def can_moderate(user) -> bool:
    return proposals.can_moderate(user)


def _need_moderator(user) -> None:
    if not can_moderate(user):
        raise PermissionDenied(_("Only moderators do this."))


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_REASON:
        msg = _("Give a reason (1 to %(n)d characters).", n=MAX_REASON)
        raise ValidationError(msg, {"reason": msg})
    return reason


# ---- flags and the queue ----

def flag(user, target_type: str, target_id: int, reason: str) -> Flag:
    """Report content. Raises PermissionDenied (anonymous/blocked), NotFound (missing or hidden content),
    ValidationError (no reason), Conflict (this user already has an open flag on it). Commits."""
    if not can_flag(user):
        raise PermissionDenied(_("Log in to report content."))
    target = get_target(target_type)
    obj = target.load(target_id)
    if target.is_hidden(obj) or not target.can_see(user, obj):
        raise NotFound(_("No such item."))
    reason = _reason(reason)
    item = Flag(target_type=target_type, target_id=target_id, reason=reason, reporter_id=user.id)
    db.session.add(item)
    try:
        db.session.commit()
    except IntegrityError as exc:  # the partial unique index on open flags decides
        db.session.rollback()
        raise Conflict(_("You have already reported this; a moderator will look at it.")) from exc
    return item


@dataclass
class QueueEntry:
    """All open flags on one target, for one line of the moderator queue."""

    target_type: str
    target_id: int
    obj: object
    flags: list[Flag] = field(default_factory=list)

    @property
    def first_at(self) -> datetime:
        return self.flags[0].created_at

    @property
    def label(self) -> str:
        return str(TARGETS[self.target_type].label)

    @property
    def excerpt(self) -> str:
        return TARGETS[self.target_type].describe(self.obj) if self.obj is not None else ""

    @property
    def url(self) -> str | None:
        return TARGETS[self.target_type].url(self.obj) if self.obj is not None else None

    @property
    def hidden(self) -> bool:
        return self.obj is not None and TARGETS[self.target_type].is_hidden(self.obj)


def open_queue(viewer, limit: int = 500) -> list[QueueEntry]:
    """Open flags grouped by target, oldest first report first. Raises PermissionDenied for non-moderators."""
    _need_moderator(viewer)
    rows = Flag.query.filter(Flag.resolved_at.is_(None)).order_by(Flag.created_at, Flag.id).limit(limit).all()
    entries: dict[tuple[str, int], QueueEntry] = {}
    for row in rows:
        key = (row.target_type, row.target_id)
        if key not in entries:
            obj = None
            if row.target_type in TARGETS:
                try:
                    obj = TARGETS[row.target_type].load(row.target_id)
                except NotFound:
                    obj = None
            entries[key] = QueueEntry(row.target_type, row.target_id, obj)
        entries[key].flags.append(row)
    return list(entries.values())


def open_flag_count() -> int:
    return Flag.query.filter(Flag.resolved_at.is_(None)).count()


def _resolve(actor, target_type: str, target_id: int, resolution: str, note: str) -> int:
    return db.session.execute(
        update(Flag).where(Flag.target_type == target_type, Flag.target_id == target_id, Flag.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by_id=actor.id, resolution=resolution, resolution_note=note[:1000])
        .execution_options(synchronize_session=False)).rowcount


def dismiss(actor, target_type: str, target_id: int, reason: str) -> int:
    """Close the open flags on a target without hiding it; returns how many. Audited; commits."""
    _need_moderator(actor)
    reason = _reason(reason)
    get_target(target_type)
    n = _resolve(actor, target_type, target_id, "dismissed", reason)
    if not n:
        raise Conflict(_("There are no open reports on this item."))
    audit.record(actor, "moderation.dismiss", target_type, target_id, None, {"flags": n}, reason)
    db.session.commit()
    return n


# ---- hide and restore ----

def set_hidden(actor, target_type: str, target_id: int, hidden: bool, reason: str) -> object:
    """Hide (``hidden=True``) or restore content with a reason; hiding resolves its open flags.

    Hidden content leaves every public read path (lists, search, timeline, feed, JSON, counts, similar
    proposals). Raises PermissionDenied, ValidationError (no reason), NotFound, Conflict (already in that
    state). Audited; commits.
    """
    _need_moderator(actor)
    reason = _reason(reason)
    target = get_target(target_type)
    obj = target.load(target_id)
    try:
        if not target.set_hidden(obj, hidden):
            raise Conflict(_("This item is already hidden.") if hidden else _("This item is not hidden."))
        flags = _resolve(actor, target_type, target_id, "hidden", reason) if hidden else 0
        audit.record(actor, "moderation.hide" if hidden else "moderation.restore", target_type, target_id,
                     {"hidden": not hidden}, {"hidden": hidden, "flags_resolved": flags}, reason)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return obj


def hidden_items(viewer, limit: int = 100) -> list[tuple[str, object]]:
    """[(target_type, obj)] of hidden content, per kind newest first."""
    _need_moderator(viewer)
    return [(name, obj) for name, t in TARGETS.items() for obj in t.list_hidden(limit)]


def hide_reason(target_type: str, target_id: int) -> str | None:
    """The reason of the most recent hide, from the audit log."""
    entries = [e for e in audit.entries_for(target_type, target_id) if e.action == "moderation.hide"]
    return entries[-1].note if entries else None


# ---- users ----

def find_users(viewer, q: str, limit: int = 50) -> list[User]:
    """Users whose e-mail or display name contains ``q`` (blocked ones when ``q`` is empty)."""
    _need_moderator(viewer)
    q = (q or "").strip()
    query = User.query
    if q:
        like = f"%{q.lower()}%"
        query = query.filter(db.or_(db.func.lower(User.email).like(like), db.func.lower(User.display_name).like(like)))
    else:
        query = query.filter(User.is_blocked.is_(True))
    return query.order_by(User.id).limit(limit).all()


def set_blocked(actor, user: User, blocked: bool, reason: str) -> User:
    """Block or unblock a user. Blocked users can log in and read but not post, comment, vote, flag or pledge
    (``User.has_role`` answers False for them); their past votes stay counted until removed.

    Display names are unique among active users only: an unblocked user whose name an active user has taken
    meanwhile comes back as ``name #<id>`` (``accounts.free_display_name``), recorded in the audit entry.

    Raises PermissionDenied (not a moderator; blocking yourself; a moderator blocking staff: only admins
    may), Conflict (already in that state). Audited; commits.
    """
    _need_moderator(actor)
    reason = _reason(reason)
    if user.id == actor.id:
        raise PermissionDenied(_("You cannot block yourself."))
    if blocked and user.role_names & {"moderator", "admin"} and not actor.has_role("admin"):
        raise PermissionDenied(_("Only admins block staff accounts."))
    before, after = {"blocked": not blocked}, {"blocked": blocked}
    values = {"is_blocked": blocked}
    if not blocked and (name := accounts.free_display_name(user)) != user.display_name:
        before["display_name"], after["display_name"] = user.display_name, name
        values.update(display_name=name, name_skeleton=identity_key(name))  # a Core update skips the validators
    try:
        changed = db.session.execute(update(User).where(User.id == user.id, User.is_blocked.is_(not blocked))
                                     .values(**values).execution_options(synchronize_session=False)).rowcount
    except IntegrityError as exc:  # another user took the name between the check and the update
        db.session.rollback()
        raise Conflict(_("Another active user took this display name just now. Try again.")) from exc
    if changed != 1:
        db.session.rollback()
        raise Conflict(_("This user is already blocked.") if blocked else _("This user is not blocked."))
    db.session.refresh(user)
    audit.record(actor, "moderation.block" if blocked else "moderation.unblock", "user", user.id,
                 before, after, reason)
    db.session.commit()
    return user


def remove_votes(actor, user: User, reason: str) -> int:
    """Remove every vote of a blocked user and recount the proposals they were on; returns how many.

    The removed rows are kept in the audit entry. Raises PermissionDenied, Conflict (user not blocked).
    Commits.
    """
    _need_moderator(actor)
    reason = _reason(reason)
    if not user.is_blocked:
        raise Conflict(_("Block the user before removing their votes."))
    try:
        removed = proposal_rules.remove_votes_of(user.id)
        audit.record(actor, "moderation.remove_votes", "user", user.id, {"votes": removed}, {"votes": []}, reason)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise
    return len(removed)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


# ---- duplicates ----

def merge(actor, duplicate_id: int, original_id: int, reason: str) -> dict:
    """Merge a duplicate proposal into its original (see ``proposals.moderation.merge`` for the vote rule).

    Allowed whatever votes the duplicate has; its open flags are resolved as ``merged``. Returns
    {"moved", "already", "original_votes"}. Raises PermissionDenied, NotFound, ValidationError, Conflict
    (already merged, or a concurrent vote collided: retry). Audited; commits.
    """
    _need_moderator(actor)
    reason = _reason(reason)
    duplicate, original = db.session.get(Proposal, duplicate_id), db.session.get(Proposal, original_id)
    if duplicate is None or original is None:
        raise NotFound(_("No such proposal."), {"original_id": _("No such proposal.")})
    try:
        result = proposal_rules.merge(duplicate, original, actor, reason)
        _resolve(actor, "proposal", duplicate.id, "merged", reason)
        audit.record(actor, "moderation.merge", "proposal", duplicate.id, {"status": result["old_status"]},
                     {"status": "merged", "merged_into_id": original.id, "moved": result["moved"],
                      "already": result["already"], "original_votes": result["original_votes"]}, reason)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("Someone voted at the same moment; please try the merge again.")) from exc
    except Exception:
        db.session.rollback()
        raise
    return result
