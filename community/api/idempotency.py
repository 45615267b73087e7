"""Idempotent API writes: the ``Idempotency-Key`` header on POST, PUT, PATCH and DELETE.

An app that timed out can send the same write again with the same key and learn what happened, without the
write happening twice. Keys are kept per API token (``IdempotencyKey``, unique on (token, key)) for
``IDEMPOTENCY_KEY_HOURS`` (24):

- a new key: the row is committed *before* the view runs (the claim), then the answer is stored on it;
- the same key and the same request (method, path, query and body; JSON compared as data, not bytes): the
  first answer again (status, body, Content-Type/Location/ETag/Retry-After/Allow), marked
  ``Idempotent-Replayed: true``; nothing runs;
- the same key with another request: 422 in the API's error shape;
- the same key while the first request is still running: 409. The unique row decides, so two retries that
  arrive together on two workers cannot both run the vote or the pledge.

What is kept: answers below 500 (a refusal such as "already voted" or a validation error is the answer to
that request), except 401, 408 and 429, which say nothing about the write. A 5xx or an exception releases
the key (the row is deleted) so a retry runs again. A claim whose process died before answering (killed
worker, lost database) blocks its key for ``IDEMPOTENCY_LEASE_SECONDS`` (300, longer than gunicorn's
timeout); after that a retry takes the claim over and runs: the services refuse a second vote or pledge on
their own, so at worst the retry learns "already voted".

Only bearer-token callers use keys (the token is what they are kept under); a browser session calling the
API (the docs page) has the header ignored. Expired rows are deleted by the ``idempotency-purge`` job.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from datetime import datetime, timedelta

from apispec import BasePlugin
from flask import current_app, g, request
from flask_babel import gettext as _
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from community.api.models import IdempotencyKey
from community.dbtypes import utcnow
from community.errors import Conflict, ValidationError
from community.extensions import db

log = logging.getLogger(__name__)

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
WRITE_METHODS = frozenset(("POST", "PUT", "PATCH", "DELETE"))
# 1-255 printable ASCII characters, no space at either end (proxies may trim those).
KEY_PATTERN = r"^[!-~]([ -~]{0,253}[!-~])?$"
_KEY_RE = re.compile(KEY_PATTERN)
KEPT_HEADERS = ("Content-Type", "Location", "ETag", "Retry-After", "Allow")
NOT_KEPT = frozenset((401, 408, 429))


def valid_key(key: str) -> bool:
    """1 to 255 printable ASCII characters (``!`` to ``~``, inner spaces allowed)."""
    return bool(_KEY_RE.fullmatch(key))


def request_fingerprint() -> str:
    """SHA-256 (hex) of the current request's method, path, query and body.

    A JSON body counts as data (key order and spacing do not matter); a form or upload as its fields and
    each file's name and bytes (a client's retry may use another multipart boundary); anything else as bytes.
    """
    digest = hashlib.sha256()
    query = sorted(request.args.items(multi=True))
    digest.update(json.dumps([request.method, request.path, query]).encode())
    if request.is_json:
        data = request.get_data(cache=True)
        try:
            digest.update(json.dumps(json.loads(data), sort_keys=True, separators=(",", ":")).encode())
        except ValueError:
            digest.update(data)
    elif request.form or request.files:
        files = []
        for name, upload in sorted(request.files.items(multi=True), key=lambda item: item[0]):
            files.append([name, upload.filename, hashlib.sha256(upload.stream.read()).hexdigest()])
            upload.stream.seek(0)
        digest.update(json.dumps([sorted(request.form.items(multi=True)), files]).encode())
    else:
        digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def claim(token_id: int, key: str, fingerprint: str, now: datetime | None = None) -> tuple[IdempotencyKey, bool]:
    """Claim ``key`` for the token's request ``fingerprint``. Returns (row, mine): ``mine`` True means run the
    request (the claim is committed); False means ``row`` holds the first answer, to replay.

    Raises ValidationError (422) when the key was used for another request, Conflict (409) while the first
    request with it is still running. Commits.
    """
    now = now or utcnow()
    hours = current_app.config["IDEMPOTENCY_KEY_HOURS"]
    for _attempt in range(3):
        row = IdempotencyKey(token_id=token_id, key=key, request_hash=fingerprint, locked_at=now, created_at=now,
                             expires_at=now + timedelta(hours=hours))
        db.session.add(row)
        try:
            db.session.commit()
            return row, True
        except IntegrityError:
            db.session.rollback()
        held = db.session.execute(select(IdempotencyKey).where(IdempotencyKey.token_id == token_id,
                                                               IdempotencyKey.key == key)
                                  .execution_options(populate_existing=True)).scalar_one_or_none()
        if held is None:  # released between our insert and this read: try again
            continue
        if held.expires_at <= now:
            db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == held.id,
                                                            IdempotencyKey.expires_at <= now))
            db.session.commit()
            continue
        if held.request_hash != fingerprint:
            message = _("This Idempotency-Key was already used for a different request; use a new key.")
            raise ValidationError(message, {KEY_HEADER: message})
        if held.status_code is not None:
            return held, False
        lease = timedelta(seconds=current_app.config["IDEMPOTENCY_LEASE_SECONDS"])
        taken = db.session.execute(
            update(IdempotencyKey)
            .where(IdempotencyKey.id == held.id, IdempotencyKey.status_code.is_(None),
                   IdempotencyKey.locked_at < now - lease)
            .values(locked_at=now)).rowcount
        db.session.commit()
        if taken:  # the first request's process died without answering: this retry runs instead
            return db.session.get(IdempotencyKey, held.id), True
        break
    raise Conflict(_("A request with this Idempotency-Key is still being processed; retry in a moment."))


def record(row_id: int, status: int, body: str, headers: dict[str, str]) -> None:
    """Store the answer on a claimed key. Commits."""
    db.session.execute(update(IdempotencyKey).where(IdempotencyKey.id == row_id)
                       .values(status_code=status, response_body=body, response_headers=json.dumps(headers)))
    db.session.commit()


def release(row_id: int) -> None:
    """Give a claimed key back (the request failed): a retry with it runs again. Commits."""
    db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.id == row_id,
                                                    IdempotencyKey.status_code.is_(None)))
    db.session.commit()


def purge_expired(now: datetime | None = None) -> int:
    """Delete the keys past their ``expires_at``; returns how many (the ``idempotency-purge`` job; safe to
    run twice)."""
    gone = db.session.execute(delete(IdempotencyKey).where(IdempotencyKey.expires_at <= (now or utcnow())))
    db.session.commit()
    return gone.rowcount or 0


# ---- the request hooks ----

def _claim_request():
    """before_request, after authentication, the rate limit and the input checks: claim or replay."""
    from community.api import PREFIX

    if request.method not in WRITE_METHODS or not request.path.startswith(PREFIX + "/"):
        return None
    key = request.headers.get(KEY_HEADER)
    token = g.get("api_token")
    if key is None or token is None or request.routing_exception is not None:
        return None
    if not valid_key(key):
        message = _("Idempotency-Key is 1 to 255 printable ASCII characters.")
        raise ValidationError(message, {KEY_HEADER: message})
    row, mine = claim(token.id, key, request_fingerprint())
    if mine:
        g.idempotency_claim = row.id
        return None
    response = current_app.response_class(row.response_body, status=row.status_code,
                                          headers=json.loads(row.response_headers or "{}"))
    response.headers[REPLAYED_HEADER] = "true"
    return response


def _store_answer(response):
    """after_request: keep the answer on the claimed key, or give the key back after a server error."""
    row_id = g.pop("idempotency_claim", None)
    if row_id is None:
        return response
    db.session.rollback()  # whatever the view left unflushed or half-done is not ours to commit
    try:
        if response.status_code >= 500 or response.status_code in NOT_KEPT or response.is_streamed:
            release(row_id)
        else:
            headers = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
            record(row_id, response.status_code, response.get_data(as_text=True), headers)
    except Exception:  # the answer still goes out; the claim's lease frees the key later
        db.session.rollback()
        log.exception("idempotency key %s: the answer could not be stored", row_id)
    return response


def _release_on_exception(_exc=None) -> None:
    """teardown_request: a view that raised past every handler (no after_request ran) gives its key back."""
    row_id = g.pop("idempotency_claim", None)
    if row_id is None:
        return
    try:
        db.session.rollback()
        release(row_id)
    except Exception:
        db.session.rollback()
        log.exception("idempotency key %s could not be released", row_id)


def init_app(app) -> None:
    """Register the hooks. Call after every other before_request hook is registered (auth, limits, input
    checks): the claim must be the last thing before the view."""
    app.before_request(_claim_request)
    app.after_request(_store_answer)
    app.teardown_request(_release_on_exception)


# ---- the OpenAPI document ----

class IdempotencyDoc(BasePlugin):
    """apispec plugin: every write operation takes the reusable ``IdempotencyKey`` header parameter and
    documents the 409 (still running) and 422 (key reused for another request) it can answer."""

    def init_spec(self, spec) -> None:
        spec.components.parameter("IdempotencyKey", "header", {
            "name": KEY_HEADER, "required": False,
            "description": "Makes the write safe to retry: for 24 hours, the same key with the same request "
                           "replays the first answer (marked `Idempotent-Replayed: true`) without running it "
                           "again; with another request it is a 422; while the first is still running, a 409. "
                           "Kept per API token. Answers of 500 and above, 401 and 429 are not kept.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": KEY_PATTERN},
        })

    def operation_helper(self, path=None, operations=None, **kwargs) -> None:
        error = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        for method, operation in (operations or {}).items():
            if method.upper() not in WRITE_METHODS:
                continue
            operation.setdefault("parameters", []).append("IdempotencyKey")  # apispec makes it a $ref
            responses = operation.setdefault("responses", {})
            responses.setdefault("409", {"description": "Conflict (or: a request with this Idempotency-Key is "
                                                        "still being processed)", **error})
            responses.setdefault("422", {"description": "Validation failed (or: the Idempotency-Key was used "
                                                        "for a different request)", **error})
