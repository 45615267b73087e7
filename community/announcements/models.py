"""Official announcements (官方回应): the company's dated answers to owners' proposals."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Index

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db
from community.util import in_viewer_language as _pick


class Announcement(db.Model):
    """Markdown bodies are rendered and sanitised (community.text) at write time; only the *_html columns
    are ever marked safe. Published when created; never edited in place."""

    __tablename__ = "announcements"
    __table_args__ = (
        CheckConstraint("title_zh is not null or title_en is not null", name="has_title"),
        CheckConstraint("body_zh is not null or body_en is not null", name="has_body"),
        Index("ix_announcements_published", "published_at", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    title_zh = db.Column(db.String(160))
    title_en = db.Column(db.String(160))
    body_zh = db.Column(db.Text)
    body_en = db.Column(db.Text)
    body_zh_html = db.Column(db.Text)
    body_en_html = db.Column(db.Text)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    published_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    author = db.relationship("User", lazy="joined")
    answers = db.relationship("AnnouncementAnswer", lazy="selectin", order_by="AnnouncementAnswer.proposal_id")

    @property
    def title(self) -> str:
        return _pick(self.title_zh, self.title_en)

    @property
    def body_html(self) -> str:
        return _pick(self.body_zh_html, self.body_en_html)


class AnnouncementAnswer(db.Model):
    """The announcement answers this proposal; ``milestone_id`` is the milestone it left on the proposal."""

    __tablename__ = "announcement_answers"

    announcement_id = db.Column(db.Integer, db.ForeignKey("announcements.id", ondelete="CASCADE"), primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True,
                            index=True)
    milestone_id = db.Column(db.Integer, db.ForeignKey("milestones.id"), nullable=False, unique=True)

    proposal = db.relationship("Proposal", lazy="joined")
