"""Bearer-token authentication and scope checks for API endpoints."""
from __future__ import annotations

from functools import wraps

from flask import abort, g
from flask_login import current_user

from community.api import tokens


def authenticate_bearer():
    """Resolve ``Authorization: Bearer <token>``; a bad or revoked token is a 401, never a fallback to cookies."""
    from flask import request

    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = tokens.resolve(secret.strip()) if scheme.lower() == "bearer" else None
    if token is None:
        abort(401, "The access token is missing, invalid, expired or revoked.")
    g.api_token = token
    g._login_user = token.user  # Flask-Login reads this: current_user is the token's owner for this request
    return None


def requires(scope: str):
    """Endpoint decorator: a logged-in caller (token or session) whose token grants ``scope`` (read/write)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401, "Authenticate with a bearer token or a session.")
            token = g.get("api_token")
            if token is not None and not token.allows(scope):
                abort(403, f"This token lacks the '{scope}' scope.")
            return view(*args, **kwargs)

        return wrapped

    return decorator
