"""Proposals, their votes, comments and search terms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, UniqueConstraint, text

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

STATUSES = ("submitted", "under_review", "accepted", "in_progress", "delivered", "declined", "merged")
OPEN_STATUSES = ("submitted", "under_review", "accepted", "in_progress")  # votes accepted; can be declined
STATUS_LABELS = {
    "submitted": _l("Submitted"), "under_review": _l("Under review"), "accepted": _l("Accepted"),
    "in_progress": _l("In progress"), "delivered": _l("Delivered"), "declined": _l("Declined"),
    "merged": _l("Merged"),
}
# The forward path; "declined" is reachable from any open status.
NEXT_STATUS = {"submitted": "under_review", "under_review": "accepted", "accepted": "in_progress",
               "in_progress": "delivered"}
CATEGORIES = {
    "assisted_driving": _l("Assisted driving"), "charging": _l("Charging"), "app": _l("App & connectivity"),
    "vehicle": _l("Vehicle & hardware"), "service": _l("Sales & service"), "comfort": _l("Comfort & interior"),
    "safety": _l("Safety"), "community": _l("Community & events"), "other": _l("Other"),
}
_in = lambda values: ",".join(f"'{v}'" for v in values)  # noqa: E731


class Proposal(db.Model):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(f"status in ({_in(STATUSES)})", name="status"),
        CheckConstraint("vote_count >= 0", name="vote_count"),
        # Keyset pagination: each sort has an index ending in id, plain and per status.
        Index("ix_proposals_top", "vote_count", "id"),
        Index("ix_proposals_newest", "created_at", "id"),
        Index("ix_proposals_updated", "updated_at", "id"),
        Index("ix_proposals_status_top", "status", "vote_count", "id"),
        Index("ix_proposals_category_top", "category", "vote_count", "id"),
        # Both filters at once: without it a filtered search intersected the two indexes above and
        # sorted (~30 ms at 100k proposals) instead of reading the top rows in order (< 1 ms).
        Index("ix_proposals_status_category_top", "status", "category", "vote_count", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(120), nullable=False)
    body = db.Column(db.Text, nullable=False)
    body_html = db.Column(db.Text, nullable=False)  # rendered + sanitised once, at write time
    category = db.Column(db.String(32), nullable=False)
    status = db.Column(db.String(16), nullable=False, default="submitted")
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    vote_count = db.Column(db.Integer, nullable=False, default=0, server_default=text("0"))
    comment_count = db.Column(db.Integer, nullable=False, default=0, server_default=text("0"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    hidden_at = db.Column(UTCDateTime)  # set by moderation; hidden rows leave every public read path
    merged_into_id = db.Column(db.Integer, db.ForeignKey("proposals.id"))

    author = db.relationship("User", lazy="joined")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def status_label(self) -> str:
        return str(STATUS_LABELS.get(self.status, self.status))

    @property
    def category_label(self) -> str:
        return str(CATEGORIES.get(self.category, self.category))

    def __repr__(self) -> str:
        return f"<Proposal {self.id} {self.status} votes={self.vote_count}>"


class Vote(db.Model):
    """One row per (proposal, voter); the unique constraint is what makes a double submit harmless."""

    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("proposal_id", "user_id", name="uq_votes_proposal_user"),)

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False, index=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class Comment(db.Model):
    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_proposal", "proposal_id", "id"),)

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    body = db.Column(db.Text, nullable=False)
    body_html = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    hidden_at = db.Column(UTCDateTime)

    author = db.relationship("User", lazy="joined")


class ProposalTerm(db.Model):
    """Inverted index for search (see community.search): one row per distinct term per proposal."""

    __tablename__ = "proposal_terms"

    term = db.Column(db.String(40), primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True,
                            index=True)
