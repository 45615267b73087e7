"""The user council: terms of office, sessions with their agenda and decisions, internal notes."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Index, UniqueConstraint

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

SEATS = {"chair": _l("Chair"), "member": _l("Member")}
DECISIONS = {
    "accept": _l("Accept"),
    "decline": _l("Decline"),
    "needs_info": _l("Needs more information"),
    "commitment": _l("Company commitment"),
}
SESSION_STATES = ("draft", "published")
_in = lambda values: ",".join(f"'{v}'" for v in values)  # noqa: E731


class CouncilTerm(db.Model):
    """One seat held by one user for ``[starts_at, ends_at)``; council rights exist only inside it.

    ``ends_at`` is exclusive: a term "until 31 Aug" ends at 1 Sep 00:00 Shanghai. Ending a term early
    moves ``ends_at`` to the moment it was ended and keeps the planned end in ``planned_ends_at``.
    """

    __tablename__ = "council_terms"
    __table_args__ = (
        CheckConstraint(f"seat in ({_in(SEATS)})", name="seat"),
        CheckConstraint("ends_at > starts_at", name="period"),
        Index("ix_council_terms_active", "user_id", "starts_at", "ends_at"),
        Index("ix_council_terms_ends", "ends_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    region = db.Column(db.String(60), nullable=False)
    seat = db.Column(db.String(16), nullable=False, default="member")
    starts_at = db.Column(UTCDateTime, nullable=False)
    ends_at = db.Column(UTCDateTime, nullable=False)
    planned_ends_at = db.Column(UTCDateTime, nullable=False)
    end_reason = db.Column(db.String(500))
    appointed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    user = db.relationship("User", foreign_keys=[user_id], lazy="joined")

    @property
    def seat_label(self) -> str:
        return str(SEATS.get(self.seat, self.seat))

    @property
    def last_instant(self):
        """The last second inside the term (``ends_at`` is exclusive): what "until" shows as a day."""
        return self.ends_at - timedelta(seconds=1)

    @property
    def ended_early(self) -> bool:
        return self.ends_at < self.planned_ends_at

    def is_active(self, at) -> bool:
        return self.starts_at <= at < self.ends_at


class CouncilSession(db.Model):
    """A dated council meeting; public once published (and only then are milestones written)."""

    __tablename__ = "council_sessions"
    __table_args__ = (
        CheckConstraint(f"state in ({_in(SESSION_STATES)})", name="state"),
        CheckConstraint("place is not null or online_url is not null", name="place_or_online"),
        Index("ix_council_sessions_starts", "starts_at", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    title = db.Column(db.String(120), nullable=False)
    starts_at = db.Column(UTCDateTime, nullable=False)
    place = db.Column(db.String(200))
    online_url = db.Column(db.String(500))
    guests = db.Column(db.String(500))  # company representatives and other non-member attendees, free text
    minutes = db.Column(db.Text, nullable=False, default="")
    minutes_html = db.Column(db.Text, nullable=False, default="")  # rendered + sanitised at write time
    state = db.Column(db.String(16), nullable=False, default="draft")
    published_at = db.Column(UTCDateTime)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    items = db.relationship("AgendaItem", back_populates="session", order_by="AgendaItem.position, AgendaItem.id",
                            lazy="selectin")
    attendees = db.relationship("User", secondary="council_attendees", lazy="selectin",
                                order_by="User.display_name")

    @property
    def is_published(self) -> bool:
        return self.state == "published"


class SessionAttendee(db.Model):
    __tablename__ = "council_attendees"

    session_id = db.Column(db.Integer, db.ForeignKey("council_sessions.id", ondelete="CASCADE"), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), primary_key=True)


class AgendaItem(db.Model):
    """A proposal on a session's agenda and, once decided, the council's decision about it."""

    __tablename__ = "council_agenda_items"
    __table_args__ = (
        UniqueConstraint("session_id", "proposal_id", name="uq_council_agenda_items_session_proposal"),
        CheckConstraint(f"decision is null or decision in ({_in(DECISIONS)})", name="decision"),
        Index("ix_council_agenda_items_proposal", "proposal_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    session_id = db.Column(db.Integer, db.ForeignKey("council_sessions.id", ondelete="CASCADE"), nullable=False)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id"), nullable=False)
    position = db.Column(db.Integer, nullable=False, default=0)
    decision = db.Column(db.String(16))
    decision_text = db.Column(db.Text)
    added_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    session = db.relationship("CouncilSession", back_populates="items")
    proposal = db.relationship("Proposal", lazy="joined")

    @property
    def decision_label(self) -> str:
        return str(DECISIONS.get(self.decision, "")) if self.decision else ""


class InternalNote(db.Model):
    """A council/moderator-only note on a proposal. Never on a public page, feed or JSON answer."""

    __tablename__ = "council_notes"
    __table_args__ = (Index("ix_council_notes_proposal", "proposal_id", "id"),)

    id = db.Column(db.Integer, primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"), nullable=False)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    body = db.Column(db.Text, nullable=False)
    body_html = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    author = db.relationship("User", lazy="joined")
