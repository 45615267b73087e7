"""Token rules: create (secret shown once), revoke, and resolve a bearer header to a user."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import lru_cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, update
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from community.accounts.models import User, keep_session_user_facts, session_user_select
from community.api.models import SCOPES, ApiToken
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import NotFound, ValidationError
from community.extensions import db

PREFIX = "cc_"
MAX_DAYS = 365


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user, name: str, scope: str, days: int | None) -> tuple[ApiToken, str]:
    """Create a token; returns (row, secret). The secret is not stored and cannot be shown again.

    ``days``: lifetime in days (1..365), None for no expiry. Raises ValidationError. Commits.
    """
    name = (name or "").strip()
    errors = {}
    if not 1 <= len(name) <= 60:
        errors["name"] = _("Give the token a name (at most 60 characters).")
    if scope not in SCOPES:
        errors["scope"] = _("Scope is read or write.")
    if days is not None and not 1 <= days <= MAX_DAYS:
        errors["days"] = _("Lifetime is 1 to %(n)d days.", n=MAX_DAYS)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=_digest(secret), prefix=secret[:10], scope=scope,
                     expires_at=utcnow() + timedelta(days=days) if days else None)
    db.session.add(token)
    db.session.flush()
    audit.record(user, "api_token.create", "api_token", token.id, None, {"scope": scope, "name": name})
    db.session.commit()
    return token, secret


def revoke_token(user, token_id: int) -> ApiToken:
    """Revoke one of ``user``'s tokens (idempotent). Raises NotFound for someone else's token. Commits."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("No such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.record(user, "api_token.revoke", "api_token", token.id)
        db.session.commit()
    return token


def tokens_of(user) -> list[ApiToken]:
    return ApiToken.query.filter_by(user_id=user.id).order_by(ApiToken.id.desc()).all()


def resolve(secret: str) -> ApiToken | None:
    """The active token for a bearer secret, or None (unknown, revoked, expired, or owner blocked... see caller).

    One statement: the token with its owner loaded as a session user (roles, cars and facts)."""
    if not secret or not secret.startswith(PREFIX):
        return None
    row = db.session.execute(_resolve_statement(), {"token_hash": _digest(secret), "now": utcnow()}).unique().first()
    if row is None:
        return None
    owner, token = row[0], row[1]
    if not token.is_active():
        return None
    keep_session_user_facts(owner, row[2:])
    set_committed_value(token, "user", owner)
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        _record_use(token, now)  # coarse, so reads don't write on every call
    return token


def _record_use(token: ApiToken, now) -> None:
    """``last_used_at = now``, committed: one UPDATE, and a commit that keeps the token and its owner loaded
    (the usual expiry on commit had the request read the owner, roles and cars again: ~2 ms of a token's
    first call in every 5 minutes; they were read in this transaction a moment ago)."""
    table = ApiToken.__table__
    db.session.execute(update(table).where(table.c.id == token.id).values(last_used_at=now))
    set_committed_value(token, "last_used_at", now)
    session = db.session()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def _resolve_statement():
    return _owner_left_unloaded(session_user_select(ApiToken, where=_by_hash))


@lru_cache(maxsize=1)
def _owner_left_unloaded(statement):
    """``statement`` with the token's user relationship left unloaded (the select loads the owner itself), built
    once per ``session_user_select`` statement: a new ``.options()`` copy on every call made SQLAlchemy compute
    the statement's cache key anew for each request (~0.1 ms of every token call)."""
    return statement.options(lazyload(ApiToken.user))


def _by_hash():
    return (ApiToken.user_id == User.id) & (ApiToken.token_hash == bindparam("token_hash"))
