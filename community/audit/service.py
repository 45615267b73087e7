"""Write audit entries. Callers own the transaction: the entry commits or rolls back with the change."""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from community import csvexport
from community.audit.models import AuditEntry
from community.extensions import db


def record(actor, action: str, target_type: str, target_id: int,
           before: dict | None = None, after: dict | None = None, note: str | None = None) -> AuditEntry:
    """Add an audit entry to the session (no commit). ``actor`` may be None for system jobs (CLI, sweeps)."""
    entry = AuditEntry(actor_id=getattr(actor, "id", None), action=action, target_type=target_type,
                       target_id=target_id, before=before, after=after, note=note)
    db.session.add(entry)
    return entry


def entries_for(target_type: str, target_id: int) -> list[AuditEntry]:
    """All entries about one record, oldest first."""
    return (AuditEntry.query.filter_by(target_type=target_type, target_id=target_id)
            .order_by(AuditEntry.id).all())


@dataclass
class AuditFilter:
    """Filters for browsing/exporting. ``action`` matches a prefix ("moderation." = every moderation action);
    ``actor`` an e-mail substring; ``since``/``until`` are aware instants, ``until`` exclusive."""

    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(f: AuditFilter):
    from community.accounts.models import User

    q = AuditEntry.query
    if f.action:
        q = q.filter(AuditEntry.action.like(f.action.replace("%", "").replace("_", r"\_") + "%", escape="\\"))
    if f.actor:
        ids = select(User.id).where(func.lower(User.email).contains(f.actor.lower(), autoescape=True))
        q = q.filter(AuditEntry.actor_id.in_(ids))
    if f.target_type:
        q = q.filter(AuditEntry.target_type == f.target_type)
    if f.target_id is not None:
        q = q.filter(AuditEntry.target_id == f.target_id)
    if f.since:
        q = q.filter(AuditEntry.created_at >= f.since)
    if f.until:
        q = q.filter(AuditEntry.created_at < f.until)
    return q


def browse(f: AuditFilter, before_id: int | None = None, limit: int = 50) -> tuple[list[AuditEntry], int | None]:
    """One page, newest first, keyset-paged by id: ([entries], next before_id or None)."""
    q = _filtered(f)
    if before_id:
        q = q.filter(AuditEntry.id < before_id)
    rows = q.order_by(AuditEntry.id.desc()).limit(limit + 1).all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def action_names() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


CSV_HEADER = ["id", "created_at_utc", "actor_id", "actor_email", "action", "target_type", "target_id", "before",
              "after", "note"]


def csv_lines(f: AuditFilter, batch: int = 1000) -> Iterator[str]:
    """The filtered log as CSV text (header first, UTF-8 mark before it), oldest first, read in batches of
    ``batch`` ids."""
    def rows():
        last = 0
        while True:
            entries = _filtered(f).filter(AuditEntry.id > last).order_by(AuditEntry.id).limit(batch).all()
            if not entries:
                return
            for e in entries:
                yield [e.id, e.created_at.isoformat(), e.actor_id, e.actor.email if e.actor else "", e.action,
                       e.target_type, e.target_id,
                       json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
                       json.dumps(e.after, ensure_ascii=False) if e.after is not None else "", e.note]
            last = entries[-1].id

    return csvexport.csv_lines(CSV_HEADER, rows(), bom=True)
