"""Flags raised by users against content; resolved by moderators. Rows are never deleted."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, text

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

RESOLUTIONS = {"hidden": _l("Hidden"), "dismissed": _l("Dismissed"), "merged": _l("Merged")}
_in = lambda values: ",".join(f"'{v}'" for v in values)  # noqa: E731


class Flag(db.Model):
    """One user's report about one piece of content, addressed generically as (target_type, target_id).

    ``target_type`` is a key of ``community.moderation.targets.TARGETS`` (proposal, comment, and whatever
    other features register, e.g. feedback_item), so a new kind of content needs no schema change.
    """

    __tablename__ = "moderation_flags"
    __table_args__ = (
        CheckConstraint(f"resolution is null or resolution in ({_in(RESOLUTIONS)})", name="resolution"),
        # One open flag per reporter per target: a double click or a repeat is refused by the database.
        Index("uq_moderation_flags_open", "reporter_id", "target_type", "target_id", unique=True,
              sqlite_where=text("resolved_at is null"), postgresql_where=text("resolved_at is null")),
        Index("ix_moderation_flags_target", "target_type", "target_id"),
        Index("ix_moderation_flags_open", "resolved_at", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    target_type = db.Column(db.String(32), nullable=False)
    target_id = db.Column(db.Integer, nullable=False)
    reason = db.Column(db.String(1000), nullable=False)
    reporter_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    resolved_at = db.Column(UTCDateTime)
    resolved_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    resolution = db.Column(db.String(16))
    resolution_note = db.Column(db.String(1000))

    reporter = db.relationship("User", foreign_keys=[reporter_id], lazy="joined")

    @property
    def resolution_label(self) -> str:
        return str(RESOLUTIONS.get(self.resolution, "")) if self.resolution else ""
