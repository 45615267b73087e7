"""Milestones: the dated, public entries of a proposal's progress timeline."""
from __future__ import annotations

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

KINDS = {
    "status_change": _l("Status change"),
    "council_session": _l("Council session"),
    "commitment": _l("Company commitment"),
    "approval": _l("Approval"),
    "progress_update": _l("Progress update"),
    "campaign_opened": _l("Crowdfunding opened"),
    "campaign_closed": _l("Crowdfunding closed"),
    "delivered": _l("Delivered"),
    "announcement": _l("Official announcement"),
}
# Status changes come from the workflow, announcement milestones from community.announcements.
POSTABLE_KINDS = tuple(k for k in KINDS if k not in ("status_change", "announcement"))
_kinds_sql = ",".join(f"'{k}'" for k in KINDS)


class Milestone(db.Model):
    __tablename__ = "milestones"
    __table_args__ = (
        CheckConstraint(f"kind in ({_kinds_sql})", name="kind"),
        CheckConstraint("progress_percent is null or (progress_percent between 0 and 100)", name="progress"),
        CheckConstraint("text_zh is not null or text_en is not null", name="has_text"),
        Index("ix_milestones_proposal", "proposal_id", "occurred_at", "id"),
        Index("ix_milestones_feed", "occurred_at", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False)
    kind = db.Column(db.String(32), nullable=False, index=True)
    occurred_at = db.Column(UTCDateTime, nullable=False, default=utcnow)  # when it happened (may be backdated)
    recorded_at = db.Column(UTCDateTime, nullable=False, default=utcnow)  # when it was posted here
    backdate_reason = db.Column(db.String(500))
    text_zh = db.Column(db.Text)
    text_en = db.Column(db.Text)
    progress_percent = db.Column(db.Integer)
    status_from = db.Column(db.String(16))
    status_to = db.Column(db.String(16))
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    hidden_at = db.Column(UTCDateTime)

    proposal = db.relationship("Proposal", lazy="joined")
    actor = db.relationship("User", lazy="joined")

    @property
    def kind_label(self) -> str:
        return str(KINDS.get(self.kind, self.kind))

    @property
    def text(self) -> str:
        """The text in the viewer's language, falling back to the other one."""
        lang = str(get_locale() or "zh")[:2]
        first, second = (self.text_en, self.text_zh) if lang == "en" else (self.text_zh, self.text_en)
        return first or second or ""
