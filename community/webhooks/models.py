"""Webhook endpoints, the event outbox, one delivery per (endpoint, event) and every attempt made."""
from __future__ import annotations

from sqlalchemy import CheckConstraint, Index, UniqueConstraint

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

DELIVERY_STATUSES = ("pending", "delivered", "failed", "withheld")
_in = lambda values: ",".join(f"'{v}'" for v in values)  # noqa: E731


class WebhookEndpoint(db.Model):
    """Where to POST which event types. ``secret`` signs every body (HMAC-SHA256): it must be readable
    to sign, so it is stored as is and shown to admins only once. ``failing_since`` is the first failed
    attempt since the last success; 24 h of failures disable the endpoint (``disabled_at``)."""

    __tablename__ = "webhook_endpoints"
    __table_args__ = (CheckConstraint("url like 'http://%' or url like 'https://%'", name="url_scheme"),)

    id = db.Column(db.Integer, primary_key=True)
    url = db.Column(db.String(500), nullable=False)
    description = db.Column(db.String(200))
    secret = db.Column(db.String(100), nullable=False)
    event_types = db.Column(db.JSON, nullable=False, default=list)
    is_active = db.Column(db.Boolean, nullable=False, default=True)
    failing_since = db.Column(UTCDateTime)
    disabled_at = db.Column(UTCDateTime)
    disabled_reason = db.Column(db.String(200))
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"), nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class WebhookEvent(db.Model):
    """One event in the outbox. ``id`` orders events; ``uid`` is the public event id receivers use to drop
    duplicates; ``resource_key`` ("proposal:12") groups the events delivered in order; ``payload`` is the
    resource as the API shows it, frozen when the event happened."""

    __tablename__ = "webhook_events"

    id = db.Column(db.Integer, primary_key=True)
    uid = db.Column(db.String(36), nullable=False, unique=True)
    type = db.Column(db.String(40), nullable=False)
    resource_key = db.Column(db.String(60), nullable=False)
    payload = db.Column(db.JSON, nullable=False)
    occurred_at = db.Column(UTCDateTime, nullable=False, default=utcnow)


class WebhookDelivery(db.Model):
    """The event to one endpoint: ``pending`` until a 2xx (``delivered``), or ``failed`` once retries are
    exhausted (24 h), or ``withheld`` when its resource was hidden before it went out. A sender claims it by
    moving ``locked_until`` forward with a conditional UPDATE; a sender that dies leaves the lock to expire,
    and the next run sends it again (at least once)."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        CheckConstraint(f"status in ({_in(DELIVERY_STATUSES)})", name="status"),
        CheckConstraint("attempts >= 0", name="attempts"),
        UniqueConstraint("endpoint_id", "event_id", name="uq_webhook_deliveries_endpoint_event"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_order", "endpoint_id", "resource_key", "event_id"),
        Index("ix_webhook_deliveries_log", "endpoint_id", "id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    endpoint_id = db.Column(db.Integer, db.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False)
    event_id = db.Column(db.Integer, db.ForeignKey("webhook_events.id", ondelete="CASCADE"), nullable=False)
    resource_key = db.Column(db.String(60), nullable=False)  # the event's, copied: the order check needs no join
    status = db.Column(db.String(16), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(UTCDateTime)  # null once delivered, failed or withheld
    locked_until = db.Column(UTCDateTime)
    last_attempt_at = db.Column(UTCDateTime)
    last_status_code = db.Column(db.Integer)
    last_latency_ms = db.Column(db.Integer)
    last_error = db.Column(db.String(500))
    delivered_at = db.Column(UTCDateTime)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)

    endpoint = db.relationship("WebhookEndpoint", lazy="joined")
    event = db.relationship("WebhookEvent", lazy="joined")


class WebhookAttempt(db.Model):
    """One try at a delivery: when, the answer (HTTP status or the network error) and how long it took."""

    __tablename__ = "webhook_attempts"
    __table_args__ = (Index("ix_webhook_attempts_delivery", "delivery_id", "id"),)

    id = db.Column(db.Integer, primary_key=True)
    delivery_id = db.Column(db.Integer, db.ForeignKey("webhook_deliveries.id", ondelete="CASCADE"), nullable=False)
    started_at = db.Column(UTCDateTime, nullable=False)
    status_code = db.Column(db.Integer)
    latency_ms = db.Column(db.Integer, nullable=False)
    error = db.Column(db.String(500))
