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


# Everything the pages load comes from this site: scripts and styles only from files under /static (the
# nonce covers any tag a library injects), never inline; no one may frame a page (the vote and pledge forms
# would be clickjackable). Swagger UI on /api/v1/docs draws its logo and icons from data: URIs.
CONTENT_SECURITY_POLICY = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:"],
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}
PERMISSIONS_POLICY = {feature: "()" for feature in (
    "accelerometer", "camera", "geolocation", "gyroscope", "magnetometer", "microphone", "payment", "usb",
    "browsing-topics")}


def talisman_options(config) -> dict:
    """Flask-Talisman's settings: CSP with per-request nonces and no 'unsafe-inline', frame-ancestors 'none'
    (and X-Frame-Options DENY for old browsers), nosniff, Referrer-Policy same-origin, a Permissions-Policy,
    and HSTS (one year) only in production, where the session cookie is also Secure. HTTPS redirects are
    nginx's job (deploy/), so health checks over plain HTTP still answer."""
    production = config.get("COCREATE_ENV") == "production"
    return {
        "content_security_policy": CONTENT_SECURITY_POLICY,
        "content_security_policy_nonce_in": ["script-src", "style-src"],
        "frame_options": "DENY",
        "referrer_policy": "same-origin",
        "permissions_policy": PERMISSIONS_POLICY,
        "force_https": False,
        "strict_transport_security": production,
        "strict_transport_security_include_subdomains": False,
        "session_cookie_secure": production,
        "x_content_type_options": True,
    }


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
    from community.drafts import keep_and_redirect

    kept = keep_and_redirect()  # a form posted after the session ended: its text waits for the new login
    if kept is not None:
        return kept
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


def same_origin_post() -> bool:
    """Whether the browser says this request comes from one of our own pages: ``Sec-Fetch-Site``
    (same-origin, or none for a user's own navigation) when it sends it, else ``Origin``, else ``Referer``,
    naming this host. A request with none of them (no browser sends a form post that way) is refused.
    For forms on anonymous pages, which carry no CSRF token."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    source = request.headers.get("Origin") or request.headers.get("Referer")
    if not source or source == "null":
        return False
    parts = urlsplit(source)
    return parts.scheme in ("http", "https") and parts.netloc == request.host


# JSON bodies are parsed under these bounds before any view sees them: Python's parser would otherwise
# raise RecursionError (100,000 nested arrays) or ValueError (a 5,000-digit integer) deep inside a view,
# and a lone surrogate ("\ud800") parses fine but cannot be stored. No field of ours needs more.
MAX_JSON_DEPTH = 32
MAX_NUMBER_DIGITS = 40


class _Malformed(ValueError):
    pass


def _parse_int(text: str) -> int:
    if len(text) > MAX_NUMBER_DIGITS:
        raise _Malformed("number")
    return int(text)


def _parse_float(text: str) -> float:
    value = float(text)
    if len(text) > 2 * MAX_NUMBER_DIGITS or value in (float("inf"), float("-inf")):
        raise _Malformed("number")
    return value


def _refuse_constant(name: str):
    raise _Malformed("constant")  # NaN, Infinity: not JSON


def _strings(value, depth: int = 0):
    """Every string (keys too) in a parsed JSON value; raises _Malformed("depth") past MAX_JSON_DEPTH."""
    if depth > MAX_JSON_DEPTH:
        raise _Malformed("depth")
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from _strings(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, depth + 1)


def strict_json(data: bytes):
    """Parse a request body as JSON (RFC 8259: UTF-8) within the bounds above.

    Raises BadRequest (400) for bytes that are not UTF-8 JSON, nesting past MAX_JSON_DEPTH, numbers of more
    than MAX_NUMBER_DIGITS digits, NaN or Infinity; ValidationError (422) for text with NUL or a lone
    surrogate. Returns the parsed value.
    """
    import json

    from flask_babel import gettext as _
    from werkzeug.exceptions import BadRequest

    messages = {
        "depth": _("The request is nested too deeply (at most %(n)d levels).", n=MAX_JSON_DEPTH),
        "number": _("A number in the request is too large."),
    }
    try:
        value = json.loads(data.decode("utf-8"), parse_int=_parse_int, parse_float=_parse_float,
                           parse_constant=_refuse_constant)
        texts = list(_strings(value))
    except RecursionError:
        raise BadRequest(messages["depth"]) from None
    except _Malformed as exc:
        raise BadRequest(messages.get(str(exc)) or _("The request body is not valid JSON (UTF-8).")) from None
    except ValueError:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise BadRequest(_("The request body is not valid JSON (UTF-8).")) from None
    _refuse_bad_text(texts)
    return value


def _refuse_bad_text(texts) -> None:
    from flask_babel import gettext as _

    from community.errors import ValidationError

    for text in texts:
        if "\x00" in text:
            raise ValidationError(_("Text must not contain NUL characters."))
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise ValidationError(_("Text must not contain unpaired surrogate characters.")) from None


def refuse_malformed_input():
    """Refuse, for every route at once, input no feature could store or parse safely.

    Query and form values with NUL (U+0000: no legitimate text has it and PostgreSQL cannot store it) or
    that are huge numbers, and JSON bodies outside ``strict_json``'s bounds. Sparing every feature's service
    from checking; uploaded files are not inspected. Runs after the rate limiter, so a flood of bad bodies
    is still counted.
    """
    texts = list(request.args.values())
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        texts += list(request.form.values())
        if request.is_json and request.content_length != 0:
            data = request.get_data(cache=True)
            if data.strip():
                strict_json(data)
    _refuse_bad_text(texts)
    # A query or form value that is nothing but a huge number: WTForms' NumberRange turns it into a float
    # (OverflowError) and SQLAlchemy into a bigint (DataError). No field of ours takes one that long. The API's
    # fields are typed (marshmallow): an integer field refuses it with 422, a text field (a search) may hold it.
    if not request.path.startswith("/api/") and \
            any(len(t) > MAX_NUMBER_DIGITS and t.strip().lstrip("+-").isdigit() for t in texts):
        from flask_babel import gettext as _
        from werkzeug.exceptions import BadRequest

        raise BadRequest(_("A number in the request is too large."))
