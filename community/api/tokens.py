"""Token rules: create (secret shown once), revoke, and resolve a bearer header to a user."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from flask_babel import gettext as _
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload
from sqlalchemy.orm.attributes import set_committed_value

from community.accounts.models import load_session_user
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
    """The active token for a bearer secret, or None (unknown, revoked, expired, or owner blocked... see caller)."""
    if not secret or not secret.startswith(PREFIX):
        return None
    token = db.session.execute(_resolve_statement(), {"token_hash": _digest(secret)}).scalar_one_or_none()
    if token is None or not token.is_active():
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now  # coarse, so reads don't write on every call
        db.session.commit()
    # The owner loaded as a session user: roles, cars and facts in one statement, instead of the joined user
    # and two more selects for its collections.
    owner = load_session_user(token.user_id)
    if owner is not None:
        set_committed_value(token, "user", owner)
    return token


@cache
def _resolve_statement():
    return select(ApiToken).options(lazyload(ApiToken.user)).where(ApiToken.token_hash == bindparam("token_hash"))
