"""Roles, access decorators and safe redirects: one permission predicate for views, services and templates."""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# Stored roles. "owner" (has a verified vehicle) and "council_member" (holds an active council term,
# see community.council.service.appoint) are derived, never stored.
ROLES = ("moderator", "team_agent", "mystery_shopper", "admin")
OWNER = "owner"
ROLE_LABELS = {
    "owner": _l("Owner"), "council_member": _l("Council member"), "moderator": _l("Moderator"),
    "team_agent": _l("Team agent"), "mystery_shopper": _l("Mystery shopper"), "admin": _l("Administrator"),
}
COUNCIL_MEMBER = "council_member"


def has_role(user, *roles: str) -> bool:
    """True when ``user`` is logged in, not blocked, and holds any of ``roles``.

    ``admin`` implies every stored role; ``owner`` is answered from verified vehicles.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return any(user.has_role(r) for r in roles)


def login_first():
    """The answer to an anonymous request for a members-only route: 401 for JSON clients, else the
    login page with ``next`` set. Flask-Login's ``login_required`` answers the same (see create_app),
    so an API client never gets an HTML redirect."""
    from community.errors import wants_json

    if wants_json():
        abort(401)
    manager = current_app.login_manager
    flash(manager.login_message, manager.login_message_category)
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


def role_required(*roles: str):
    """View decorator: 401 -> login for anonymous browsers, 403 for the wrong role (JSON or HTML)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_first()
            if not has_role(current_user, *roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def safe_next(target: str | None, default: str = "/") -> str:
    """Return ``target`` only if it is a same-site relative path ("/x?y"), else ``default``.

    Rejects absolute URLs, scheme-relative ``//host`` and backslash tricks like ``/\\host``.
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ord(c) < 32 for c in target):
        return default
    return target


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def refuse_nul_characters():
    """Refuse any query, form or JSON text containing NUL (U+0000), for every route at once.

    No legitimate text has it, PostgreSQL cannot store it in a text column, and refusing it here
    spares every feature's service from checking. Uploaded files are not inspected.
    """
    from flask_babel import gettext as _

    from community.errors import ValidationError

    values = list(request.args.values())
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        values += list(request.form.values())
        if request.is_json:
            values += list(_strings(request.get_json(silent=True)))
    if any("\x00" in v for v in _strings(values)):
        raise ValidationError(_("Text must not contain NUL characters."))
