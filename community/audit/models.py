from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db


class AuditEntry(db.Model):
    """One privileged action. Rows are only ever inserted, never updated or deleted."""

    __tablename__ = "audit_entries"
    __table_args__ = (db.Index("ix_audit_target", "target_type", "target_id"),)

    id = db.Column(db.Integer, primary_key=True)
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), index=True)
    action = db.Column(db.String(64), nullable=False, index=True)
    target_type = db.Column(db.String(32), nullable=False)
    target_id = db.Column(db.Integer, nullable=False)
    before = db.Column(db.JSON)
    after = db.Column(db.JSON)
    note = db.Column(db.Text)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)

    actor = db.relationship("User", lazy="joined")
