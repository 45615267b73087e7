"""One JSON log line per request, a request id that follows it through the proxy, and request metrics.

The line (logger ``community.request``, on stderr) carries: ``request_id``, ``method``, ``path``,
``endpoint``, ``status``, ``duration_ms`` (float), ``user_id`` (None when anonymous), ``remote_addr``.
The id is the proxy's ``X-Request-ID`` when it sends a sane one (nginx: ``$request_id``), else a new
one; it is echoed in the response's ``X-Request-ID`` so a person can quote it and we can find the line.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime

from flask import Flask, current_app, g, request
from sqlalchemy import inspect
from sqlalchemy.exc import NoInspectionAvailable

from community import metrics

log = logging.getLogger("community.request")
_SANE_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    return g.get("request_id")


def _user_id() -> int | None:
    """The logged-in user's id, without any I/O: only a user that Flask-Login already loaded counts (a
    request that never looked at the user logs None), and the id comes from the identity map because the
    instance may be expired after a commit -- or the database may be the reason this request failed."""
    user = g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        identity = inspect(user).identity
    except NoInspectionAvailable:
        return None
    return identity[0] if identity else None


def start() -> None:
    """Before the hooks: the clock and the request id."""
    g.request_started = time.perf_counter()
    g.request_id = incoming_id(request.headers.get("X-Request-ID"))


def finish(response):
    """After the hooks: the X-Request-ID header, the metrics and the log line."""
    started = g.get("request_started")
    seconds = time.perf_counter() - started if started is not None else 0.0
    if g.get("request_id") is None:  # a before-request hook of ours never ran (e.g. refused earlier)
        g.request_id = uuid.uuid4().hex
    response.headers["X-Request-ID"] = g.request_id
    record(current_app, g.request_id, request.method, request.path, request.endpoint, response.status_code,
           seconds, _user_id(), request.remote_addr)
    return response


def incoming_id(header: str | None) -> str:
    """The request id: the proxy's ``X-Request-ID`` when it is sane, else a new one."""
    return header if header and _SANE_ID.fullmatch(header) else uuid.uuid4().hex


def record(app: Flask, rid: str, method: str, path: str, endpoint: str | None, status: int, seconds: float,
           user_id: int | None, remote_addr: str | None) -> None:
    """Count one answered request in the metrics and write its log line (no request context needed: the
    stored pages answered in front of Flask, ``community.front``, call it too)."""
    metrics.record_request(endpoint, method, status, seconds)
    if _enabled(app):
        log.info("request", extra={
            "request_id": rid, "method": method, "path": path, "endpoint": endpoint, "status": status,
            "duration_ms": round(seconds * 1000, 2), "user_id": user_id, "remote_addr": remote_addr})


def _enabled(app: Flask) -> bool:
    return str(app.config.get("LOG_REQUESTS") or "json").lower() != "off"


_LINE_FIELDS = ("request_id", "method", "path", "endpoint", "status", "duration_ms", "user_id", "remote_addr")


def _json_handler() -> logging.Handler:
    from pythonjsonlogger.json import JsonFormatter

    class LineFormatter(JsonFormatter):
        """JsonFormatter's line, built directly for the request line (its generic path finds the extra
        fields by scanning every attribute of the record: a third of a cached page's logging cost)."""

        def format(self, record: logging.LogRecord) -> str:
            if record.name != log.name or record.exc_info or record.stack_info or \
                    not all(hasattr(record, k) for k in _LINE_FIELDS):
                return super().format(record)
            out = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
            for key in _LINE_FIELDS:
                out[key] = getattr(record, key)
            out["timestamp"] = datetime.fromtimestamp(record.created, tz=UTC).isoformat()
            return json.dumps(out, default=str)

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(LineFormatter("%(levelname)s %(name)s %(message)s", timestamp=True,
                                       rename_fields={"levelname": "level", "name": "logger"}))
    handler.set_name("cocreate-json")
    return handler


def init_app(app: Flask) -> None:
    log.setLevel(logging.INFO)
    log.disabled = False  # Alembic's fileConfig() disables loggers that exist when migrations run in-process
    if _enabled(app) and not app.testing and not any(h.get_name() == "cocreate-json" for h in log.handlers):
        log.addHandler(_json_handler())
        log.propagate = False  # the line is complete as it is; the root handler would print it twice
    app.before_request(start)
    app.after_request(finish)
