"""Configuration: defaults here, then ``instance/config.py``, then environment variables.

Environment variables (production reads these):
  COCREATE_ENV              ``development`` (default), ``production`` or ``testing``
  DATABASE_URL              SQLAlchemy URL; default SQLite file ``instance/cocreate.db``
  SECRET_KEY                required when COCREATE_ENV=production
  RATELIMIT_STORAGE_URI     e.g. ``redis://127.0.0.1:6379/0``; default in-process memory
  DEFAULT_TIMEZONE          viewer zone when the user has none; default Asia/Shanghai
  ROUTER_MODELS_DIR         folder of the feedback router's model versions; default instance/models
  ROUTER_THRESHOLD          confidence (0..1) below which feedback goes to triage; default 0.5
  MAIL_BACKEND              smtp (production default), console (development), file (with MAIL_FILE_PATH)
  MAIL_SERVER, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_DEFAULT_SENDER
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def normalise_database_url(url: str) -> str:
    """Map ``postgres://`` / ``postgresql://`` to the psycopg 3 driver SQLAlchemy needs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def _dev_secret(instance_path: str) -> str:
    """A per-checkout random key kept in instance/ so dev sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
    return path.read_text().strip()


def load_config(app, overrides: dict | None = None) -> None:
    """Fill ``app.config``. Raises RuntimeError when production lacks SECRET_KEY or DATABASE_URL."""
    env = (overrides or {}).get("COCREATE_ENV") or os.environ.get("COCREATE_ENV", "development")
    cfg = app.config
    cfg.update(
        COCREATE_ENV=env,
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "cocreate.db"),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_HEADERS_ENABLED=True,
        BABEL_DEFAULT_LOCALE="zh",
        BABEL_DEFAULT_TIMEZONE="UTC",
        LANGUAGES={"zh": "中文", "en": "English"},
        DEFAULT_TIMEZONE="Asia/Shanghai",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BOOTSTRAP_SERVE_LOCAL=True,
        PROPOSALS_PER_PAGE=20,
        MAX_CONTENT_LENGTH=32 * 1024 * 1024,
        # Feedback routing: the folder of trained model versions (relative paths are inside instance/; the
        # active version is recorded in the database) and the confidence below which an item goes to triage.
        ROUTER_MODELS_DIR="models",
        ROUTER_THRESHOLD=0.5,
        # SLA for items in triage and teams without pledge items: (first response, resolution) hours.
        FEEDBACK_DEFAULT_SLA_HOURS=(24, 168),
        FEEDBACK_ANON_RATE_LIMIT="5 per hour",
        FEEDBACK_RATE_LIMIT="30 per hour",
        PLEDGE_SCORECARD_CACHE_SECONDS=60,  # the public /pledge figures, per worker
        # E-mail (Flask-Mailman): the console backend in development prints digests instead of sending.
        MAIL_BACKEND="locmem" if env == "testing" else ("smtp" if env == "production" else "console"),
        MAIL_DEFAULT_SENDER="Cocreate <no-reply@cocreate.example>",
    )
    cfg.from_pyfile("config.py", silent=True)
    for key in ("SECRET_KEY", "RATELIMIT_STORAGE_URI", "DEFAULT_TIMEZONE", "ROUTER_MODELS_DIR", "MAIL_BACKEND",
                "MAIL_SERVER", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "MAIL_FILE_PATH"):
        if os.environ.get(key):
            cfg[key] = os.environ[key]
    if os.environ.get("ROUTER_THRESHOLD"):
        cfg["ROUTER_THRESHOLD"] = float(os.environ["ROUTER_THRESHOLD"])
    for key in ("MAIL_PORT",):
        if os.environ.get(key):
            cfg[key] = int(os.environ[key])
    for key in ("MAIL_USE_TLS", "MAIL_USE_SSL"):
        if os.environ.get(key):
            cfg[key] = os.environ[key].lower() in ("1", "true", "yes")
    if os.environ.get("DATABASE_URL"):
        cfg["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if overrides:
        cfg.update(overrides)
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if env == "production":
        if not cfg.get("SECRET_KEY"):
            raise RuntimeError("SECRET_KEY must be set when COCREATE_ENV=production")
        if not os.environ.get("DATABASE_URL") and "DATABASE_URL" not in (overrides or {}):
            raise RuntimeError("DATABASE_URL must be set when COCREATE_ENV=production")
        cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = True
    elif not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _dev_secret(app.instance_path)
