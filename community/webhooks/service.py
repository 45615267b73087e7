"""Webhook rules: admins register endpoints; every domain event (community.events) subscribed to by an
active endpoint is written to the outbox in the transaction that made it; reading the delivery log.

Delivery itself (signing, sending, retries, ordering, disabling) is community.webhooks.delivery.

SSRF: an endpoint URL must be http(s) and, unless ``WEBHOOK_ALLOW_PRIVATE`` is set (tests, a closed
network), every address its host resolves to must be public: no loopback, private, link-local,
multicast or reserved ranges. Checked when the endpoint is saved and again before every send, since
DNS may change in between.
"""
from __future__ import annotations

import ipaddress
import secrets
import socket
import uuid
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from community import events
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

MAX_URL = 500
LOG_PAGE = 50


class UnsafeURL(ValueError):
    """The URL may not be called: wrong scheme, no host, or an address inside our own network."""


def replay_window() -> int:
    """Seconds a receiver should accept between a signature's timestamp and its own clock."""
    return int(current_app.config["WEBHOOK_REPLAY_WINDOW"])


def can_manage(user) -> bool:
    """Admins register endpoints and read their delivery logs."""
    return bool(user and getattr(user, "is_authenticated", False) and user.has_role("admin"))


def _require_admin(actor) -> None:
    if not can_manage(actor):
        raise PermissionDenied(_("Only admins manage webhooks."))


# ---- SSRF ----

def check_url(url: str, allow_private: bool | None = None) -> list[str]:
    """The addresses ``url``'s host resolves to, after checking it may be called. Raises UnsafeURL."""
    if allow_private is None:  # never in production: a webhook must not be a way into our own network
        allow_private = (bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE"))
                         and current_app.config.get("COCREATE_ENV") != "production")
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("only http and https URLs with a host")
    if parts.username or parts.password:
        raise UnsafeURL("no credentials in the URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (OSError, ValueError) as exc:
        raise UnsafeURL(f"the host does not resolve ({exc})") from exc
    addresses = sorted({info[4][0] for info in infos})
    if not allow_private:
        for raw in addresses:
            ip = ipaddress.ip_address(raw.split("%")[0])
            if ip.version == 6 and ip.ipv4_mapped:
                ip = ip.ipv4_mapped
            if not ip.is_global or ip.is_multicast:
                raise UnsafeURL(f"{raw} is not a public address")
    return addresses


# ---- endpoints ----

def _validate(url: str, event_types: list[str], description: str | None) -> tuple[str, list[str], str | None]:
    url, description = (url or "").strip(), (description or "").strip() or None
    errors = {}
    if not url or len(url) > MAX_URL:
        errors["url"] = _("Enter the receiver's URL (at most %(n)d characters).", n=MAX_URL)
    else:
        try:
            check_url(url)
        except UnsafeURL as exc:
            errors["url"] = _("This URL may not be called: %(why)s.", why=str(exc))
    types = sorted(set(event_types or []))
    if not types or set(types) - set(events.TYPES):
        errors["event_types"] = _("Choose one or more event types.")
    if description and len(description) > 200:
        errors["description"] = _("At most %(n)d characters.", n=200)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    return url, types, description


def create_endpoint(actor, url: str, event_types: list[str], description: str | None = None,
                    secret: str | None = None) -> WebhookEndpoint:
    """Register an endpoint; ``secret`` defaults to a new random one (shown to the admin once). Audited; commits.

    Raises PermissionDenied (not an admin), ValidationError (url: scheme, host, SSRF; event_types; secret).
    """
    _require_admin(actor)
    url, types, description = _validate(url, event_types, description)
    secret = (secret or "").strip() or "whsec_" + secrets.token_urlsafe(32)
    if not 16 <= len(secret) <= 100:
        raise ValidationError(_("Please correct the highlighted fields."),
                              {"secret": _("A secret has 16 to 100 characters.")})
    endpoint = WebhookEndpoint(url=url, event_types=types, description=description, secret=secret,
                               created_by_id=actor.id)
    db.session.add(endpoint)
    db.session.flush()
    audit.record(actor, "webhook.create", "webhook_endpoint", endpoint.id, None, {"url": url, "event_types": types})
    db.session.commit()
    return endpoint


def update_endpoint(actor, endpoint: WebhookEndpoint, url: str, event_types: list[str],
                    description: str | None = None, active: bool = True) -> WebhookEndpoint:
    """Change an endpoint; re-enabling one clears its failure clock. Audited; commits. Raises as create."""
    _require_admin(actor)
    url, types, description = _validate(url, event_types, description)
    before = {"url": endpoint.url, "event_types": endpoint.event_types, "active": endpoint.is_active}
    endpoint.url, endpoint.event_types, endpoint.description = url, types, description
    if active and not endpoint.is_active:
        endpoint.failing_since = endpoint.disabled_at = endpoint.disabled_reason = None
    endpoint.is_active = active
    audit.record(actor, "webhook.update", "webhook_endpoint", endpoint.id, before,
                 {"url": url, "event_types": types, "active": active})
    db.session.commit()
    return endpoint


def delete_endpoint(actor, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint with its delivery log. Audited; commits."""
    _require_admin(actor)
    audit.record(actor, "webhook.delete", "webhook_endpoint", endpoint.id, {"url": endpoint.url}, None)
    db.session.delete(endpoint)
    db.session.commit()


def endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def get_endpoint(actor, endpoint_id: int) -> WebhookEndpoint:
    _require_admin(actor)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(_("No such webhook endpoint."))
    return endpoint


def delivery_log(endpoint: WebhookEndpoint, before_id: int | None = None,
                 limit: int = LOG_PAGE) -> tuple[list[WebhookDelivery], int | None]:
    """The endpoint's deliveries, newest first, keyset-paged by id. Returns (rows, next ``before_id``)."""
    q = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)
    if before_id is not None:
        q = q.where(WebhookDelivery.id < before_id)
    rows = list(db.session.scalars(q.order_by(WebhookDelivery.id.desc()).limit(limit + 1)))
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def attempts_of(delivery: WebhookDelivery) -> list[WebhookAttempt]:
    return list(db.session.scalars(select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
                                   .order_by(WebhookAttempt.id)))


def get_delivery(actor, endpoint: WebhookEndpoint, delivery_id: int) -> WebhookDelivery:
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint.id:
        raise NotFound(_("No such delivery."))
    return delivery


def redeliver(actor, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again (after a fix on the receiver's side): back to pending, due now, with a fresh
    24 h of retries. The same event id goes out, so receivers that already have it drop it. Audited;
    commits. Sent by a job queued after the commit (community.webhooks.delivery)."""
    _require_admin(actor)
    now = utcnow()
    delivery.status, delivery.next_attempt_at, delivery.locked_until, delivery.created_at = "pending", now, None, now
    audit.record(actor, "webhook.redeliver", "webhook_delivery", delivery.id, None,
                 {"endpoint_id": delivery.endpoint_id, "event": delivery.event.uid})
    _send_after_commit()
    db.session.commit()
    return delivery


# ---- the outbox ----

def _payload(event_type: str, obj) -> tuple[str, dict, bool]:
    """(resource key, the resource as the API shows it, whether it is hidden). English texts, UTC instants:
    a webhook is read by machines, not by one viewer. Never the author of feedback (a mystery shopper stays
    anonymous), never internal council notes (no schema here carries them)."""
    from community.api import fields as api_fields
    from community.api.campaigns import CampaignSchema, PledgeSchema
    from community.api.feedback import FeedbackSchema
    from community.api.schemas import MilestoneSchema, ProposalSchema, VehicleSchema

    kind = event_type.split(".")[0]
    with force_locale("en"), api_fields.instants_in("UTC"):
        if event_type == "proposal.milestone_added":
            hidden = obj.hidden_at is not None or obj.proposal.hidden_at is not None
            return f"proposal:{obj.proposal_id}", MilestoneSchema().dump(obj), hidden
        if kind == "proposal":
            return f"proposal:{obj.id}", ProposalSchema().dump(obj), obj.hidden_at is not None
        if kind == "feedback":
            return f"feedback:{obj.id}", FeedbackSchema().dump(obj), obj.hidden_at is not None
        if kind == "campaign":
            return f"campaign:{obj.id}", CampaignSchema().dump(obj), obj.proposal.hidden_at is not None
        if kind == "pledge":
            return f"pledge:{obj.id}", PledgeSchema().dump(obj), False
        return f"vehicle:{obj.id}", VehicleSchema().dump(obj), False


def is_hidden(event: WebhookEvent) -> bool:
    """Whether the resource of an outbox event is hidden now (moderators hid it after the event)."""
    from community.feedback.models import FeedbackItem
    from community.proposals.models import Proposal
    from community.timeline.models import Milestone

    kind, _sep, raw_id = event.resource_key.partition(":")
    data = event.payload or {}
    if kind == "proposal":
        proposal_hidden = db.session.scalar(select(Proposal.hidden_at).where(Proposal.id == int(raw_id)))
        if event.type == "proposal.milestone_added":
            return proposal_hidden is not None or db.session.scalar(
                select(Milestone.hidden_at).where(Milestone.id == data.get("id"))) is not None
        return proposal_hidden is not None
    if kind == "feedback":
        return db.session.scalar(select(FeedbackItem.hidden_at).where(FeedbackItem.id == int(raw_id))) is not None
    if kind == "campaign":
        return db.session.scalar(select(Proposal.hidden_at).where(Proposal.id == data.get("proposal_id"))) is not None
    return False


def on_event(event_type: str, obj) -> None:
    """The community.events listener: one outbox event plus a pending delivery per active endpoint that
    subscribes to ``event_type``, in the caller's transaction (no commit). Hidden content is never written."""
    subscribed = [e for e in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True)))
                  if event_type in (e.event_types or [])]
    if not subscribed:
        return
    key, payload, hidden = _payload(event_type, obj)
    if hidden:
        return
    now = utcnow()
    event = WebhookEvent(uid=str(uuid.uuid4()), type=event_type, resource_key=key, payload=payload, occurred_at=now)
    db.session.add(event)
    db.session.flush()
    for endpoint in subscribed:
        db.session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=event.id, resource_key=key,
                                       status="pending", next_attempt_at=now, created_at=now))
    _send_after_commit()


def _send_after_commit() -> None:
    """Mark the session: once it commits, community.webhooks.delivery queues the sending job."""
    db.session.info["webhooks_queued"] = True
