"""Domain errors and the one handler that answers HTML to browsers and JSON to API clients.

While the database is unreachable, pages and the API answer 503 with ``Retry-After`` instead of 500.
Recovery needs nothing here: the engine's ``pool_pre_ping`` replaces dead pooled connections on the next
checkout and SQLAlchemy invalidates a connection that failed mid-query, so the first request after the
database returns gets a fresh connection.
"""
from __future__ import annotations

import logging
import sqlite3

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, RequestURITooLarge

from community.fieldmessages import translate_all

log = logging.getLogger(__name__)

# Werkzeug's stock descriptions and Flask-Limiter's ("10 per 1 minute") are English; people read these.
_HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in to continue."),
    403: _l("Your account cannot do this."),
    404: _l("There is nothing at this address."),
    405: _l("This address does not accept that kind of request."),
    413: _l("That upload is too large."),
    414: _l("This address is too long."),
    429: _l("Too many attempts. Please wait a moment and try again."),
}


class DomainError(Exception):
    """A rule refused an action. ``status`` is the HTTP status a view should answer with.

    ``fields`` maps form field names to messages, so a view can show them beside the field.
    """

    status = 400
    api_status: int | None = None  # when the API answers with another status than the pages
    code = "invalid"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class ValidationError(DomainError):
    status = 422
    code = "validation_failed"


class InvalidCursor(DomainError):
    """A paging cursor we did not make (tampered, truncated, from another list or sort): a 400 page, and a 422
    from the API like any other invalid query argument. Never silently page one: a client that sent a cursor
    would take page one for the next page and loop."""

    api_status = 422
    code = "validation_failed"

    def __init__(self, message: str | None = None):
        text = message or _("This page link is broken or outdated. Please start again from the first page.")
        super().__init__(text, {"cursor": text})


class PermissionDenied(DomainError):
    status = 403
    code = "forbidden"


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The action clashes with current state (already voted, closed, duplicate)."""

    status = 409
    code = "conflict"


class Gone(Conflict):
    """The action's moment has passed for good (a campaign that has closed or was cancelled): 410."""

    status = 410
    code = "gone"


def wants_json() -> bool:
    """True for API paths and clients that prefer JSON over HTML."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    if wants_json():
        return jsonify(error={"code": code, "message": message, "fields": fields or {}}), status
    template = f"errors/{status}.html" if status in (403, 404, 500) else "errors/generic.html"
    return render_template(template, status=status, message=message), status


def http_message(err: HTTPException) -> str:
    """The text shown for ``err``: a description given to ``abort()`` (already translated) is kept."""
    if isinstance(err, CSRFError):
        return _("The form expired; please reload the page.")
    stock = err.description == type(err).description or err.code == 429
    if stock and err.code in _HTTP_MESSAGES:
        return str(_HTTP_MESSAGES[err.code])
    return err.description or ""


_CODES = {401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict", 410: "gone",
          414: "uri_too_long", 422: "validation_failed", 429: "rate_limited"}


def _webargs_fields(err) -> dict:
    """Flatten webargs' {"json": {"field": ["msg"]}} validation messages to {"field": "msg"}, each message in
    the caller's language (community.fieldmessages). Messages about items of a list or fields of a nested object
    are joined under the field's name, each once: {"event_types": {0: ["Not a valid string."]}} ->
    {"event_types": "Not a valid string."}, never a printed dict."""
    messages = translate_all((getattr(err, "data", None) or {}).get("messages") or {})
    fields: dict[str, str] = {}
    for location in messages.values():
        for name, msgs in (location.items() if isinstance(location, dict) else []):
            texts = list(dict.fromkeys(_texts(msgs)))
            fields[name] = " ".join(texts).replace("。 ", "。")  # zh sentences follow each other unspaced
    return fields


def _texts(msgs):
    if isinstance(msgs, dict):
        for inner in msgs.values():
            yield from _texts(inner)
    elif isinstance(msgs, list | tuple):
        for inner in msgs:
            yield from _texts(inner)
    else:
        yield str(msgs)


# SQLite's OperationalError also means "no such table" or a syntax error: bugs, which stay 500s.
_SQLITE_TRANSIENT = ("database is locked", "unable to open database", "disk i/o error")


def is_database_outage(err: BaseException | None) -> bool:
    """True when ``err`` (or what it was raised from) says the database cannot be reached right now:
    a refused or dropped connection, a pool with no connection to give, a locked SQLite file."""
    seen = 0
    while err is not None and seen < 5:
        if isinstance(err, sa_exc.DBAPIError) and err.connection_invalidated:
            return True
        if isinstance(err, (sa_exc.TimeoutError, sa_exc.InterfaceError)):
            return True
        if isinstance(err, sa_exc.OperationalError):
            orig = err.orig
            if isinstance(orig, sqlite3.OperationalError):
                return str(orig).lower().startswith(_SQLITE_TRANSIENT)
            return True  # psycopg: connection refused/lost, server shutting down, too many clients
        err = err.__cause__ or err.__context__ or getattr(err, "original_exception", None)
        seen += 1
    return False


def unavailable_response():
    """The 503 page (HTML or the API's JSON error) with Retry-After. Renders as an anonymous visitor: the
    page must not ask the database who is logged in."""
    from community.extensions import db, login_manager

    try:
        db.session.rollback()
    except Exception:  # the connection is already gone; the session is discarded below anyway
        pass
    db.session.remove()
    g._login_user = login_manager.anonymous_user()
    body, status = error_response(503, "unavailable",
                                  _("The service is briefly unavailable. Please try again in a few seconds."))
    response = current_app.make_response((body, status))
    response.headers["Retry-After"] = str(current_app.config["DB_RETRY_AFTER_SECONDS"])
    return response


def refuse_long_urls() -> None:
    """Raise RequestURITooLarge (414) when the request target is longer than ``MAX_URL_BYTES``.

    Measured on the target as the client sent it (gunicorn's ``RAW_URI``, the dev server's ``REQUEST_URI``,
    else path and query), in bytes: WSGI strings hold one byte per character. Runs before every other
    request hook, so nothing reads a session, a token or the database for such a request.
    """
    environ = request.environ
    target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or \
        f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
    if len(target) > current_app.config["MAX_URL_BYTES"]:
        raise RequestURITooLarge()


def register_errorhandlers(app) -> None:
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_long_urls)

    @app.errorhandler(DomainError)
    def _domain(err: DomainError):
        status = err.api_status if err.api_status and request.path.startswith("/api/") else err.status
        return error_response(status, err.code, err.message, err.fields)

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):
        if isinstance(err, CSRFError):
            from community.drafts import keep_and_redirect

            kept = keep_and_redirect()  # an expired form the owner typed into: keep the text, show it again
            if kept is not None:
                return kept
        fields = _webargs_fields(err)
        message = _("Please correct the highlighted fields.") if fields else http_message(err)
        code = _CODES.get(err.code) or (err.name or "error").lower().replace(" ", "_")
        body, status = error_response(err.code or 500, code, message, fields)
        response = app.make_response((body, status))
        for key, value in ((getattr(err, "data", None) or {}).get("headers") or {}).items():
            response.headers[key] = value
        if err.code == 401 and request.path.startswith("/api/"):
            response.headers["WWW-Authenticate"] = 'Bearer realm="cocreate"'
        if err.code == 429 and getattr(err, "retry_after", None):
            response.headers["Retry-After"] = str(err.retry_after)
        if err.code == 405 and getattr(err, "valid_methods", None):
            # RFC 9110: a 405 names the methods the address does accept (the rebuilt answer lost Werkzeug's)
            response.headers["Allow"] = ", ".join(sorted(err.valid_methods))
        return response

    @app.errorhandler(500)
    def _server(err):
        from community.extensions import db
        if is_database_outage(getattr(err, "original_exception", None)):  # raised outside a view (a hook)
            return unavailable_response()
        db.session.rollback()
        return error_response(500, "server_error", _("Something went wrong on our side."))

    def _database_error(err):
        if not is_database_outage(err):
            raise err  # a real bug: the 500 handler (or the test) sees it as before
        log.warning("database unavailable: %s", str(err).splitlines()[0][:300])
        return unavailable_response()

    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.register_error_handler(kind, _database_error)
