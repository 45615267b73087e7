"""The readiness checks behind ``/readyz``: each returns "ok..." or a short reason it failed.

A check never raises and bounds its own wait (the database by DB_CONNECT_TIMEOUT, Redis by a 2 s socket
timeout), so a load balancer polling /readyz gets an answer even while a dependency hangs.
"""
from __future__ import annotations

import os

from flask import current_app
from sqlalchemy import text


def _reason(err: BaseException) -> str:
    return f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}".rstrip(": ")


def check_database() -> str:
    from community.extensions import db

    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return "ok"
    except Exception as err:
        try:
            db.session.rollback()
        except Exception:  # the connection is gone; remove() below discards it
            pass
        db.session.remove()
        return _reason(err)


def redis_url() -> str | None:
    """The Redis the app uses (REDIS_URL), else none configured."""
    return current_app.config.get("REDIS_URL") or os.environ.get("REDIS_URL") or None


def check_redis() -> str:
    url = redis_url()
    if not url:
        return "ok (not configured)"
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        try:
            client.ping()
        finally:
            client.close()
        return "ok"
    except Exception as err:
        return _reason(err)


def check_storage() -> str:
    """The storage backend answers (S3: the bucket can be listed; filesystem: the folder is writable)."""
    try:
        from community import storage

        storage.backend().check()
        return "ok"
    except Exception as err:
        return _reason(err)


def check_router() -> str:
    """The active router version loads (the worker's cached model; a first call loads it once)."""
    try:
        from community.feedback import router_versions, routing_service

        version = router_versions.active_version()
        if version is None:
            return "ok (no active version: feedback goes to triage)"
        return "ok" if routing_service.available() else f"active version {version} does not load"
    except Exception as err:
        return _reason(err)


def run_checks() -> dict[str, str]:
    """{"database": ..., "redis": ..., "storage": ..., "router": ...}; the router is checked only when the
    database answered (its active version is recorded there)."""
    checks = {"database": check_database(), "redis": check_redis(), "storage": check_storage()}
    checks["router"] = check_router() if checks["database"] == "ok" else "skipped (database failing)"
    return checks
