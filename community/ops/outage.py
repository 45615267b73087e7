"""While the database is unreachable, answer 503 with Retry-After instead of 500, and recover by itself.

Recovery needs nothing here: the engine's ``pool_pre_ping`` replaces dead pooled connections on the next
checkout and SQLAlchemy invalidates a connection that failed mid-query, so the first request after the
database returns gets a fresh connection. What this module adds is the answer in between: the HTML
error page or the API's JSON error shape, status 503, ``Retry-After: DB_RETRY_AFTER_SECONDS``.
"""
from __future__ import annotations

import logging
import sqlite3

from flask import Flask, current_app, g
from flask_babel import gettext as _
from sqlalchemy import exc as sa_exc

log = logging.getLogger(__name__)

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
    from community.errors import error_response
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


def init_app(app: Flask) -> None:
    def _database_error(err):
        if not is_database_outage(err):
            raise err  # a real bug: the 500 handler (or the test) sees it as before
        log.warning("database unavailable: %s", str(err).splitlines()[0][:300])
        return unavailable_response()

    for kind in (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError):
        app.register_error_handler(kind, _database_error)
