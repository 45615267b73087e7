"""Feedback items, the public replies to them, and the routing corrections people make.

A feedback item with ``team_id`` NULL is in the moderators' triage queue. SLA due instants are
fixed when a team is assigned (from the submission instant: the owner's clock started then).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKeyConstraint, Index

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

CHANNELS = {"web": _l("Web"), "app": _l("App"), "store": _l("Store"), "hotline": _l("Hotline")}
STATUSES = {"new": _l("New"), "acknowledged": _l("Acknowledged"), "in_progress": _l("In progress"),
            "resolved": _l("Resolved")}
# Why an item went to triage (FeedbackItem.routing_note), as staff read it.
ROUTING_NOTES = {"unsure": _l("the router was unsure"), "model unavailable": _l("no router model available"),
                 "model failed": _l("the router failed"), "team not active": _l("the predicted team is not active")}
# How an item got its current team.
ROUTED_BY = ("model", "moderator", "agent")
MAX_TEXT = 5000
_in = lambda values: ",".join(f"'{v}'" for v in values)  # noqa: E731


class FeedbackItem(db.Model):
    __tablename__ = "feedback_items"
    __table_args__ = (
        CheckConstraint(f"status in ({_in(STATUSES)})", name="status"),
        CheckConstraint(f"channel in ({_in(CHANNELS)})", name="channel"),
        CheckConstraint(f"routed_by is null or routed_by in ({_in(ROUTED_BY)})", name="routed_by"),
        # Anonymous feedback must leave a way to answer it.
        CheckConstraint("author_id is not null or contact is not null", name="author_or_contact"),
        CheckConstraint("vehicle_id is null or author_id is not null", name="vehicle_needs_author"),
        # The vehicle, when given, is the author's own: checked by the database, not by a read.
        ForeignKeyConstraint(["vehicle_id", "author_id"], ["vehicles.id", "vehicles.owner_id"],
                             name="fk_feedback_items_vehicle_owner"),
        # The agents' queue: open items of a team by the due instant of their next promise.
        Index("ix_feedback_queue", "team_id", "next_due_at", "id"),
        Index("ix_feedback_author", "author_id", "created_at"),
        Index("ix_feedback_team_created", "team_id", "created_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    contact = db.Column(db.String(200))
    text = db.Column(db.Text, nullable=False)
    channel = db.Column(db.String(16), nullable=False)
    vehicle_id = db.Column(db.Integer)
    status = db.Column(db.String(16), nullable=False, default="new")
    team_id = db.Column(db.Integer, db.ForeignKey("teams.id"))
    routed_by = db.Column(db.String(16))
    # What the router said at submission (kept even when a person later changes the team).
    model_team = db.Column(db.String(32))
    model_confidence = db.Column(db.Float)
    model_top3 = db.Column(db.JSON)  # [[slug, probability], ...] best first
    model_version = db.Column(db.String(64))
    routing_note = db.Column(db.String(200))  # why it went to triage: "model unavailable", "unsure", ...
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
    assigned_at = db.Column(UTCDateTime)
    first_response_due_at = db.Column(UTCDateTime)
    resolution_due_at = db.Column(UTCDateTime)
    # first_response_due_at while new, resolution_due_at while acknowledged/in progress, NULL once resolved.
    next_due_at = db.Column(UTCDateTime)
    first_responded_at = db.Column(UTCDateTime)
    started_at = db.Column(UTCDateTime)
    resolved_at = db.Column(UTCDateTime)
    resolution_note = db.Column(db.Text)
    first_response_breached_at = db.Column(UTCDateTime)  # set once by `flask sla sweep`
    resolution_breached_at = db.Column(UTCDateTime)
    # Set by moderation (spam, abuse): the item leaves every queue, list, count and the training data.
    hidden_at = db.Column(UTCDateTime)
    updated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    author = db.relationship("User", foreign_keys=[author_id], lazy="joined")
    team = db.relationship("Team", lazy="joined")
    vehicle = db.relationship("Vehicle", primaryjoin="FeedbackItem.vehicle_id == Vehicle.id",
                              foreign_keys=[vehicle_id], viewonly=True, lazy="joined")
    replies = db.relationship("FeedbackReply", back_populates="item", order_by="FeedbackReply.id",
                              lazy="selectin")

    @property
    def status_label(self) -> str:
        return str(STATUSES.get(self.status, self.status))

    @property
    def channel_label(self) -> str:
        return str(CHANNELS.get(self.channel, self.channel))

    @property
    def routing_note_label(self) -> str:
        return str(ROUTING_NOTES.get(self.routing_note, self.routing_note or ""))

    @property
    def in_triage(self) -> bool:
        return self.team_id is None


class FeedbackReply(db.Model):
    """A public answer to the item's author (the first one acknowledges the item)."""

    __tablename__ = "feedback_replies"

    id = db.Column(db.Integer, primary_key=True)
    feedback_id = db.Column(db.Integer, db.ForeignKey("feedback_items.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    author_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    body = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    item = db.relationship("FeedbackItem", back_populates="replies")
    author = db.relationship("User", lazy="joined")


class RoutingCorrection(db.Model):
    """A person's label for an item's team: a triage assignment or a reassignment (training data).

    ``from_team`` is NULL for an item taken out of triage; ``model_team`` is what the router had said.
    Only ever inserted.
    """

    __tablename__ = "routing_corrections"
    __table_args__ = (
        CheckConstraint("kind in ('triage','reassign')", name="kind"),
        CheckConstraint("from_team is null or from_team <> to_team", name="changes_team"),
    )

    id = db.Column(db.Integer, primary_key=True)
    feedback_id = db.Column(db.Integer, db.ForeignKey("feedback_items.id", ondelete="CASCADE"), nullable=False,
                            index=True)
    kind = db.Column(db.String(16), nullable=False)
    from_team = db.Column(db.String(32))
    to_team = db.Column(db.String(32), nullable=False)
    model_team = db.Column(db.String(32))
    model_version = db.Column(db.String(64))
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)

    actor = db.relationship("User", lazy="joined")


class RouterActivation(db.Model):
    """Which router model version serves: the latest row (highest id) is the active one.

    Only ever inserted, so the table is also the history of roll-backs and roll-forwards. ``version``
    names a folder under config ROUTER_MODELS_DIR; ``actor_id`` is NULL for the CLI.
    """

    __tablename__ = "router_activations"
    __table_args__ = (CheckConstraint("reason in ('trained','activate')", name="reason"),)

    id = db.Column(db.Integer, primary_key=True)
    version = db.Column(db.String(64), nullable=False)
    reason = db.Column(db.String(16), nullable=False, default="activate")  # "trained" or "activate"
    actor_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    activated_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    actor = db.relationship("User", lazy="joined")


class RouterCandidate(db.Model):
    """A retrained version and how it compared with the version serving then, on the fixed validation slice.

    ``decision``: "activated" (at least as good: activated automatically) or "waiting" (worse on macro-F1 or
    precision at equal coverage, or nothing to compare: an admin decides, seeing ``figures``). ``figures`` as
    ``community.routing.promotion.Comparison.figures``; ``reasons`` lists the figures that dropped.
    Only ever inserted; the activation itself is a ``RouterActivation`` row (and an audit entry).
    """

    __tablename__ = "router_candidates"
    __table_args__ = (CheckConstraint("decision in ('activated','waiting')", name="decision"),)

    id = db.Column(db.Integer, primary_key=True)
    version = db.Column(db.String(64), nullable=False, unique=True)
    compared_with = db.Column(db.String(64))
    decision = db.Column(db.String(16), nullable=False)
    figures = db.Column(db.JSON, nullable=False)
    reasons = db.Column(db.JSON, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)
