"""Running in a fleet: the proxy in front, health and readiness, request logs and ids, metrics, outages.

``init_ops(app)`` is called by the app factory before the feature blueprints, so its before-request hook
runs first and its after-request hook last (Flask runs those in reverse order of registration): the
logged duration covers every other hook.
"""
from __future__ import annotations

import hmac

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

bp = Blueprint("ops", __name__)


def init_ops(app: Flask) -> None:
    from community.ops import requestlog

    requestlog.init_app(app)
    app.register_blueprint(bp)


def trust_proxies(app: Flask) -> None:
    """The outermost WSGI layer (the app factory's last step, so every other layer sees the client's address,
    scheme, host and prefix): ``TRUSTED_PROXY_HOPS`` proxies' ``X-Forwarded-*`` headers are believed."""
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        # Trust exactly the proxies we run: with 0 (the default) a client could claim any address in
        # X-Forwarded-For and escape the per-address limits; with 1 nginx's own value is the one used.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_prefix=hops)


def release_session(_exc=None) -> None:
    """End the request's database session; when the connection died under it (the server stopped or the
    network cut), the ROLLBACK that closing sends fails too: forget the session rather than turn an answer
    already made (often the 503) into a 500. The pool has invalidated the dead connection by then.
    Registered after Flask-SQLAlchemy's own teardown, so it runs before it (Flask runs them in reverse)."""
    from community.extensions import db

    try:
        db.session.remove()
    except Exception:
        db.session.registry.clear()


@bp.get("/healthz")
def healthz():
    """Liveness: the process answers. No I/O, so a slow database never gets a live host restarted."""
    return {"ok": True}


@bp.get("/readyz")
def readyz():
    """Readiness: 200 when every dependency answers, else 503 with ``failing`` naming the parts.

    Body: ``{"ok": bool, "checks": {"database": "ok" | error, ...}, "failing": [names]}``.
    """
    from community.ops.health import run_checks

    checks = run_checks()
    failing = [name for name, result in checks.items() if not result.startswith(("ok", "skipped"))]
    response = current_app.json.response({"ok": not failing, "checks": checks, "failing": failing})
    response.status_code = 503 if failing else 200
    if failing:
        response.headers["Retry-After"] = str(current_app.config["DB_RETRY_AFTER_SECONDS"])
    return response


@bp.get("/metrics")
def metrics():
    """Prometheus text format; only with ``Authorization: Bearer <METRICS_TOKEN>`` (404 when unset, 401
    for a wrong token), so the figures are not public even when nginx forwards the path."""
    from community import metrics as m

    expected = current_app.config.get("METRICS_TOKEN")
    if not expected:
        abort(404)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
        return Response("metrics need the bearer token\n", 401, {"WWW-Authenticate": 'Bearer realm="metrics"'},
                        mimetype="text/plain")
    body, content_type = m.render()
    return Response(body, 200, content_type=content_type)
