"""Bearer-token authentication and scope checks for API endpoints."""
from __future__ import annotations

from collections.abc import Callable
from copy import deepcopy
from functools import wraps

from flask import abort, g
from flask_babel import gettext as _
from flask_login import current_user

from community.api import tokens

_UNREAD = object()


def bearer_token():
    """The active token this request's ``Authorization: Bearer`` header names, or None; read once per request.

    The rate limiter's key function calls this before any view (so the API is counted per token, never per
    address for a valid token), and ``authenticate_bearer`` reuses the answer.
    """
    from flask import request

    cached = g.get("_bearer_token", _UNREAD)
    if cached is not _UNREAD:
        return cached
    scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
    token = tokens.resolve(secret.strip()) if scheme.lower() == "bearer" else None
    g._bearer_token = token
    return token


def authenticate_bearer():
    """Resolve ``Authorization: Bearer <token>``; a bad or revoked token is a 401, never a fallback to cookies."""
    token = bearer_token()
    if token is None:
        abort(401, _("The access token is missing, invalid, expired or revoked."))
    g.api_token = token
    g._login_user = token.user  # Flask-Login reads this: current_user is the token's owner for this request
    return None


def requires(scope: str, first: Callable[..., object] | None = None):
    """Endpoint decorator: a logged-in caller (token or session) whose token grants ``scope`` (read/write).

    ``first(**path_arguments)`` then runs before the request body is parsed, so that a caller who may not act
    here (PermissionDenied, 403) or an id that is not there (NotFound, 404) is answered as such, before any
    422 about the body (put ``requires`` above ``blp.arguments``).
    """

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401, _("Authenticate with a bearer token or a session."))
            token = g.get("api_token")
            if token is not None and not token.allows(scope):
                abort(403, _("This token lacks the '%(scope)s' scope.", scope=scope))
            if first is not None:
                first(**kwargs)
            return view(*args, **kwargs)

        # The OpenAPI document says so: this operation needs the bearer token (the API's default, "bearer or
        # nothing", is for the public reads). flask-smorest reads its docs from _apidoc, copied here by @wraps.
        wrapped._apidoc = deepcopy(getattr(view, "_apidoc", {}))
        wrapped._apidoc.setdefault("manual_doc", {})["security"] = [{"bearer": []}]
        return wrapped

    return decorator
