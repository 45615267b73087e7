"""Follows, events, per-user notifications, settings and the e-mail outbox."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

KINDS = {
    "status_change": _l("Status changes of proposals I follow"),
    "milestone": _l("New milestones on proposals I follow"),
    "council_decision": _l("Council decisions on proposals I follow"),
    "campaign_opened": _l("Crowdfunding opened"),
    "campaign_closing": _l("Crowdfunding closes within 48 hours"),
    "campaign_closed": _l("Crowdfunding closed"),
    "feedback_reply": _l("Replies to my feedback"),
    "feedback_breach": _l("My feedback missed its promised answer time"),
    "vehicle_review": _l("Verification of my cars"),
}
CHANNELS = {"off": _l("Off"), "in_app": _l("In the app"), "digest": _l("Daily e-mail digest")}
DEFAULT_CHANNEL = "in_app"
_kinds_sql = ",".join(f"'{k}'" for k in KINDS)


class Follow(db.Model):
    """A user follows a proposal: automatically on proposing or voting; unfollow any time."""

    __tablename__ = "follows"

    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"), primary_key=True)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (db.Index("ix_follows_proposal_user", "proposal_id", "user_id"),)


class Event(db.Model):
    """Something happened that people may hear about; fanned out to notifications in batches.

    Proposal events go to the proposal's followers; personal events (``user_id`` set) to one user.
    ``fanout_cursor`` is the last follower id done, so an interrupted fan-out resumes, never repeats.
    """

    __tablename__ = "notification_events"
    __table_args__ = (db.CheckConstraint(f"kind in ({_kinds_sql})", name="kind"),
                      db.Index("ix_events_pending", "fanned_out_at", "id"))

    id = db.Column(db.Integer, primary_key=True)
    kind = db.Column(db.String(32), nullable=False)
    proposal_id = db.Column(db.Integer, db.ForeignKey("proposals.id", ondelete="CASCADE"))
    milestone_id = db.Column(db.Integer, db.ForeignKey("milestones.id", ondelete="CASCADE"))
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"))
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    text_zh = db.Column(db.Text)
    text_en = db.Column(db.Text)
    link = db.Column(db.String(300))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    fanout_cursor = db.Column(db.Integer, nullable=False, default=0)
    fanned_out_at = db.Column(UTCDateTime)

    proposal = db.relationship("Proposal", lazy="joined")
    milestone = db.relationship("Milestone", lazy="joined")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (db.UniqueConstraint("user_id", "event_id", name="uq_notifications_user_event"),
                      db.CheckConstraint("channel in ('in_app','digest')", name="channel"),
                      db.Index("ix_notifications_user_unread", "user_id", "read_at", "id"))

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    event_id = db.Column(db.Integer, db.ForeignKey("notification_events.id", ondelete="CASCADE"), nullable=False)
    kind = db.Column(db.String(32), nullable=False)
    channel = db.Column(db.String(8), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    read_at = db.Column(UTCDateTime)
    digested_at = db.Column(UTCDateTime)

    event = db.relationship("Event", lazy="joined")


class NotificationSetting(db.Model):
    """A user's channel for one kind; absent means DEFAULT_CHANNEL."""

    __tablename__ = "notification_settings"
    __table_args__ = (db.CheckConstraint("channel in ('off','in_app','digest')", name="channel"),)

    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind = db.Column(db.String(32), primary_key=True)
    channel = db.Column(db.String(8), nullable=False)


class OutboxEmail(db.Model):
    """One digest per user per local day (unique), sent by ``flask notifications send-digests``."""

    __tablename__ = "outbox_emails"
    __table_args__ = (db.UniqueConstraint("user_id", "day", name="uq_outbox_user_day"),)

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    day = db.Column(db.Date, nullable=False)
    to_address = db.Column(db.String(254), nullable=False)
    subject = db.Column(db.String(200), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    sent_at = db.Column(UTCDateTime)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    last_error = db.Column(db.Text)
