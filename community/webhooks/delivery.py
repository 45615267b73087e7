"""Sending webhook deliveries: claim, sign, POST, record, retry with exponential backoff, disable.

``run_due()`` is the job (``flask jobs``' schedule, every minute, and queued after each request that wrote
outbox rows) and ``deliver(id)`` its unit: idempotent, safe to run twice or to be killed half-way. It claims the row
with a conditional UPDATE (``locked_until`` a lease of the timeout plus a margin), commits, then sends;
a sender that dies mid-send leaves the lease to expire and the next run sends again: at least once,
never lost; receivers drop repeats by the event id. Per endpoint, events about one resource go out in
the order they happened: a delivery is not claimed while an earlier one for its resource is pending.

The body: ``{"id": event uid, "type", "created_at": ISO 8601 UTC, "data": the resource as the API shows
it}``, UTF-8 JSON. Headers: ``Cocreate-Event-Id``, ``Cocreate-Event-Type`` and ``Cocreate-Signature:
t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret>``; receivers
refuse a ``t`` further than ``WEBHOOK_REPLAY_WINDOW`` (300 s) from their clock (README has a snippet).

Retries: a non-2xx answer, a timeout or a network error schedules the next attempt after
``WEBHOOK_RETRY_BASE`` seconds, doubling each time (30 s, 1 min, 2 min ... capped at 6 h), until
``WEBHOOK_RETRY_HOURS`` (24) after the event: then the delivery is ``failed``. An endpoint whose
attempts have all failed for that long is disabled and every admin is told by e-mail.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from flask import current_app, has_request_context
from sqlalchemy import event as sa_event
from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from community import events, jobs
from community.accounts.models import User, UserRole
from community.audit import service as audit
from community.dbtypes import utcnow
from community.extensions import db
from community.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from community.webhooks.service import UnsafeURL, check_url, is_hidden, on_event

log = logging.getLogger(__name__)

D = WebhookDelivery
MAX_DELAY = timedelta(hours=6)
LEASE_MARGIN = 30  # seconds added to the timeout: a lease never ends while its sender may still be waiting


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is the receiver's answer, not an address to follow (it could point inside our network)."""

    def redirect_request(self, *args, **kwargs):
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of ``"<timestamp>." + body`` keyed with ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def body_of(delivery: WebhookDelivery) -> bytes:
    event = delivery.event
    return json.dumps({"id": event.uid, "type": event.type,
                       "created_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
                       "data": event.payload}, ensure_ascii=False, separators=(",", ":")).encode()


def _post(url: str, headers: dict, body: bytes, timeout: float) -> tuple[int | None, str | None]:
    """(HTTP status or None, error text or None). Never raises for the receiver's failures."""
    try:
        check_url(url)  # again at send time: the name may resolve elsewhere since it was saved
    except UnsafeURL as exc:
        return None, f"refused: {exc}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as resp:
            resp.read(65536)
            return resp.status, None
    except urllib.error.HTTPError as exc:  # a non-2xx answer (redirects included) is an answer
        return exc.code, None
    except (OSError, ValueError) as exc:  # timeouts, refused connections, TLS, bad URLs
        return None, (str(getattr(exc, "reason", exc)) or exc.__class__.__name__)[:500]


def _claim(delivery_id: int, now: datetime, lease: datetime) -> bool:
    earlier = aliased(WebhookDelivery)
    blocked = exists().where(earlier.endpoint_id == D.endpoint_id, earlier.resource_key == D.resource_key,
                             earlier.event_id < D.event_id, earlier.status == "pending")
    active = exists().where(WebhookEndpoint.id == D.endpoint_id, WebhookEndpoint.is_active.is_(True))
    claimed = db.session.execute(
        update(D).where(D.id == delivery_id, D.status == "pending", D.next_attempt_at <= now,
                        or_(D.locked_until.is_(None), D.locked_until < now), ~blocked, active)
        .values(locked_until=lease, attempts=D.attempts + 1, last_attempt_at=now)
        .execution_options(synchronize_session=False)).rowcount
    db.session.commit()
    return claimed == 1


def deliver(delivery_id: int, now: datetime | None = None) -> bool:
    """Send one pending, due delivery if it can be claimed, then the next one due for the same resource
    and endpoint. Returns whether this delivery was attempted. Commits."""
    attempted = False
    while delivery_id is not None:
        sent = _deliver_one(delivery_id, now)
        attempted = attempted or sent is not None
        delivery_id = _next_in_line(sent, now) if sent and sent.status == "delivered" else None
    return attempted


def _next_in_line(done: WebhookDelivery, now: datetime | None) -> int | None:
    return db.session.scalar(select(D.id).where(D.endpoint_id == done.endpoint_id, D.resource_key == done.resource_key,
                                                D.status == "pending", D.next_attempt_at <= (now or utcnow()))
                             .order_by(D.event_id).limit(1))


def _deliver_one(delivery_id: int, now: datetime | None) -> WebhookDelivery | None:
    config = current_app.config
    now = now or utcnow()
    timeout = float(config["WEBHOOK_TIMEOUT"])
    if not _claim(delivery_id, now, now + timedelta(seconds=timeout + LEASE_MARGIN)):
        return None
    delivery = db.session.get(D, delivery_id, populate_existing=True)
    endpoint = db.session.get(WebhookEndpoint, delivery.endpoint_id, populate_existing=True)
    if is_hidden(delivery.event):  # hidden since the event: it never goes out
        delivery.status, delivery.next_attempt_at, delivery.locked_until = "withheld", None, None
        db.session.commit()
        return delivery
    body = body_of(delivery)
    stamp = int(time.time())
    headers = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Cocreate-Webhooks/1",
               "Cocreate-Event-Id": delivery.event.uid, "Cocreate-Event-Type": delivery.event.type,
               "Cocreate-Signature": f"t={stamp},v1={sign(endpoint.secret, stamp, body)}"}
    started = time.monotonic()
    code, error = _post(endpoint.url, headers, body, timeout)
    latency = int((time.monotonic() - started) * 1000)
    _record(delivery, endpoint, now, code, error, latency)
    return delivery


def _record(delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime, code: int | None,
            error: str | None, latency: int) -> None:
    config = current_app.config
    ok = code is not None and 200 <= code < 300
    db.session.add(WebhookAttempt(delivery_id=delivery.id, started_at=now, status_code=code, latency_ms=latency,
                                  error=error or (None if ok else f"HTTP {code}")))
    delivery.last_status_code, delivery.last_latency_ms, delivery.locked_until = code, latency, None
    delivery.last_error = None if ok else (error or f"HTTP {code}")
    if ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        endpoint.failing_since = None
    else:
        give_up = delivery.created_at + timedelta(hours=float(config["WEBHOOK_RETRY_HOURS"]))
        delay = min(timedelta(seconds=float(config["WEBHOOK_RETRY_BASE"]) * 2 ** (delivery.attempts - 1)), MAX_DELAY)
        if now + delay > give_up:
            delivery.status, delivery.next_attempt_at = "failed", None
        else:
            delivery.next_attempt_at = now + delay
        endpoint.failing_since = endpoint.failing_since or now
        if endpoint.is_active and now - endpoint.failing_since >= timedelta(hours=float(config["WEBHOOK_RETRY_HOURS"])):
            _disable(endpoint, now)
    db.session.commit()


def _disable(endpoint: WebhookEndpoint, now: datetime) -> None:
    """Stop calling an endpoint that has failed for the whole retry period; audit it and e-mail the admins."""
    endpoint.is_active, endpoint.disabled_at = False, now
    endpoint.disabled_reason = f"every attempt failed since {endpoint.failing_since.isoformat()}"
    audit.record(None, "webhook.disabled", "webhook_endpoint", endpoint.id, None,
                 {"url": endpoint.url, "failing_since": endpoint.failing_since.isoformat()})
    admins = db.session.scalars(select(User.email).join(UserRole, UserRole.user_id == User.id)
                                .where(UserRole.role == "admin")).all()
    if admins:
        from flask_mailman import EmailMessage

        text = (f"Cocreate disabled the webhook endpoint #{endpoint.id} ({endpoint.url}): {endpoint.disabled_reason}."
                "\nFix the receiver, then re-enable it in Admin → Webhooks and redeliver what it missed.")
        try:
            EmailMessage(f"Webhook endpoint #{endpoint.id} disabled", text, to=list(admins)).send()
        except Exception:  # the mail server's trouble must not undo the disabling; the audit entry stays
            log.exception("could not e-mail the admins about webhook endpoint %s", endpoint.id)


def run_due(now: datetime | None = None, limit: int = 200) -> int:
    """Send up to ``limit`` due deliveries, oldest event first (the periodic job; also run after a request
    that queued events). Returns how many were attempted."""
    now = now or utcnow()
    ids = db.session.scalars(select(D.id).where(D.status == "pending", D.next_attempt_at <= now,
                                                or_(D.locked_until.is_(None), D.locked_until < now))
                             .order_by(D.event_id, D.id).limit(limit)).all()
    return sum(1 for delivery_id in ids if deliver(delivery_id, now))


def counts(endpoint_ids: list[int]) -> dict[int, dict[str, int]]:
    """{endpoint id: {status: deliveries}} for the admin list."""
    out: dict[int, dict[str, int]] = {i: {} for i in endpoint_ids}
    for endpoint_id, status, n in db.session.execute(
            select(D.endpoint_id, D.status, func.count()).where(D.endpoint_id.in_(endpoint_ids))
            .group_by(D.endpoint_id, D.status)):
        out[endpoint_id][status] = n
    return out



RUN_DUE = "community.webhooks.delivery:run_due"


def _after_commit(session) -> None:
    """A request's transaction that wrote outbox rows has committed: have them sent now, as a job (RQ with
    REDIS_URL; otherwise inline once the response is made). Outside requests the periodic job sends them."""
    if session.info.pop("webhooks_queued", False) and has_request_context():
        try:
            jobs.enqueue_once("webhooks-run-due", RUN_DUE)
        except Exception:  # Redis trouble must not fail a write that has committed; the schedule retries
            log.exception("could not queue the webhook deliveries")


def init_app(app) -> None:
    """Settings and the domain-event listener; the first app also hooks every session's commits."""
    app.config.setdefault("WEBHOOK_ALLOW_PRIVATE", False)
    app.config.setdefault("WEBHOOK_TIMEOUT", 10)  # seconds per attempt
    app.config.setdefault("WEBHOOK_RETRY_BASE", 30)  # seconds before the first retry; doubles each time
    app.config.setdefault("WEBHOOK_RETRY_HOURS", 24)  # then the delivery fails; so long failing disables
    app.config.setdefault("WEBHOOK_REPLAY_WINDOW", 300)  # seconds; documented for receivers
    events.subscribe(app, on_event)
    if not sa_event.contains(Session, "after_commit", _after_commit):
        sa_event.listen(Session, "after_commit", _after_commit)
