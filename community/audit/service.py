"""Write audit entries. Callers own the transaction: the entry commits or rolls back with the change."""
from __future__ import annotations

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
