"""Configuration: defaults here, then ``instance/config.py``, then environment variables.

Environment variables (production reads these):
  COCREATE_ENV              ``development`` (default), ``production`` or ``testing``
  COCREATE_INSTANCE_PATH    the instance folder (config.py, SQLite file, dev secret key...); default instance/
  DATABASE_URL              SQLAlchemy URL; default SQLite file ``instance/cocreate.db``
  SECRET_KEY                required when COCREATE_ENV=production, read only from the environment there:
                            at least 32 bytes, none of the well-known defaults, at least 8 distinct characters
                            and no short string repeated (``openssl rand -hex 32``)
  REDIS_URL                 the shared Redis, e.g. ``redis://127.0.0.1:6379/0``: rate limits, and jobs go to RQ
                            there, and the page cache (community.cache); required when COCREATE_ENV=production. Unset =
                            embedded defaults (jobs run inline, pages cached in-process)
  RATELIMIT_STORAGE_URI     where rate-limit counters live; default REDIS_URL, else in-process memory
                            (development only: production refuses memory://)
  RATELIMIT_ENABLED         ``0`` turns rate limits off (the browser suite logs in ~80 times a minute)
  PAGE_CACHE_SECONDS        how long a cached page may live at most; default 300
  PAGE_CACHE_ENABLED        0 turns the page cache off (the benchmark measures what a miss costs)
  CACHE_KEY_PREFIX          prefix of every page-cache key in Redis; default ``cocreate:``
  DEFAULT_TIMEZONE          viewer zone when the user has none; default Asia/Shanghai
  ROUTER_MODELS_DIR         folder of the feedback router's model versions; default instance/models
  ROUTER_THRESHOLD          confidence (0..1) below which feedback goes to triage, for teams without a
                            threshold of their own in the model version; default 0.5
  ROUTER_TARGET_PRECISION   precision (0..1) each team's own threshold must pass on validation, by one
                            standard error (routing.model.MARGIN_Z), when a version is trained; default 0.98
  ROUTER_REVALIDATE_SECONDS a worker re-reads which router version is active at most this often, so an
                            activation elsewhere serves everywhere within it; default 5 (0: every routing)
  MAIL_BACKEND              smtp (production default), console (development), file (with MAIL_FILE_PATH)
  MAIL_SERVER, MAIL_PORT, MAIL_USERNAME, MAIL_PASSWORD, MAIL_USE_TLS, MAIL_USE_SSL, MAIL_DEFAULT_SENDER
  PUBLIC_BASE_URL           the site's address as people reach it, e.g. ``https://cocreate.example.com``;
                            every absolute link (Atom, e-mail) is built on it; required when production
  TRUSTED_PROXY_HOPS        how many proxies in front set X-Forwarded-For/-Proto/-Host/-Prefix; default 0
                            (trust none); 1 behind one nginx
  METRICS_TOKEN             bearer token that /metrics requires; unset = /metrics answers 404; in production
                            as strong as SECRET_KEY (refused at start-up otherwise)
  DB_RETRY_AFTER_SECONDS    Retry-After sent with the 503 while the database is unreachable; default 5
  DB_CONNECT_TIMEOUT        seconds to wait for a PostgreSQL connection before answering 503; default 3
  LOG_REQUESTS              ``json`` (default): one JSON line per request on stderr; ``off``: none
  PROMETHEUS_MULTIPROC_DIR  folder prometheus_client shares metrics through across gunicorn workers, the RQ
                            worker and the scheduler of one host (deploy/gunicorn.conf.py sets a default)
  JOBS_QUEUE                RQ queue name (also names the schedule's entries); default ``cocreate``
  JOBS_EMBEDDED_SCHEDULER   without REDIS_URL, ``flask run`` runs the schedule in a thread; default on in
                            development, off otherwise (``0``/``1``)
  STORAGE_BACKEND           ``filesystem`` (default) or ``s3``; see community/storage.py
  STORAGE_DIR               the filesystem backend's folder; default the instance folder. Production with
                            the filesystem backend requires it (a mount every host shares)
  STORAGE_S3_BUCKET         the s3 backend's bucket (required with STORAGE_BACKEND=s3)
  STORAGE_S3_ENDPOINT_URL   an S3-compatible server (MinIO, Ceph, moto); unset = AWS
  STORAGE_S3_REGION         default AWS_DEFAULT_REGION, else us-east-1
  STORAGE_S3_PREFIX         key prefix inside the bucket (several deployments share one bucket); default none
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN   read by boto3 itself (or an instance role)
  VEHICLE_EVIDENCE_DAYS     days a vehicle's proof photo (and full VIN) is kept after the moderator's decision;
                            default 30 (community/accounts/evidence.py)
  IDEMPOTENCY_KEY_HOURS     hours an API Idempotency-Key and its first answer are kept; default 24
  IDEMPOTENCY_LEASE_SECONDS seconds a key whose request never answered stays locked; default 300
  SUBMISSION_TOKEN_DAYS     days a web form's consumed one-time submission token is remembered; default 7
  FORM_DRAFT_MINUTES        minutes the text of a form posted after its session expired waits; default 120
  WEBHOOK_ALLOW_PRIVATE     1: webhook URLs may point at loopback/private addresses (tests, a lab; never in
                            production, where it is ignored: see community.webhooks.service.check_url)
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


# Keys that ship in tutorials, templates and our own tests: a production app signed with one of these
# lets anyone forge a session. Compared case-insensitively; anything shorter than 32 bytes is refused anyway.
WELL_KNOWN_SECRETS = frozenset({
    "dev", "development", "secret", "secret-key", "secret_key", "secretkey", "changeme", "change-me",
    "change_me", "changeit", "password", "test", "test-secret", "testing", "default", "x", "flask",
    "your-secret-key", "your_secret_key", "super-secret", "supersecret", "super-secret-key",
    "replace-me", "please-change-me", "change-this-secret-key", "change-me-to-a-long-random-secret-key",
    "change-this-to-a-long-random-string", "your-secret-key-here-change-in-production",
    "0123456789abcdef0123456789abcdef", "00000000000000000000000000000000",
    "12345678901234567890123456789012", "abcdefghijklmnopqrstuvwxyz123456",
})
MIN_SECRET_BYTES = 32
# Distinct characters a secret must hold: `openssl rand -hex 32` gives 16 (fewer than 8 of 16 in 64 draws happens
# about once in 10^19), base64 more; "changemechangeme..." has 7.
MIN_SECRET_VARIETY = 8


def weak_secret(name: str, value: str) -> str | None:
    """Why the secret ``value`` of the variable ``name`` is too weak for production, or None.

    Refused: shorter than 32 bytes (UTF-8), a well-known default, fewer than 8 distinct characters, or a shorter
    string repeated ("changeme" four times, "9f3c" sixteen): each is guessed long before its length suggests.
    """
    advice = "generate one with `openssl rand -hex 32`"
    if len(value.encode()) < MIN_SECRET_BYTES:
        return f"{name} is shorter than {MIN_SECRET_BYTES} bytes; {advice}"
    if value.strip().lower() in WELL_KNOWN_SECRETS:
        return f"{name} is a well-known default; {advice}"
    if len(set(value)) < MIN_SECRET_VARIETY or any(value[n:] == value[:-n] for n in range(1, len(value) // 2 + 1)):
        return f"{name} has too little variety (few characters, or a short string repeated); {advice}"
    return None


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` must not sign production sessions, or None when it may (missing, or ``weak_secret``)."""
    if not key:
        return "SECRET_KEY must be set in the environment when COCREATE_ENV=production"
    return weak_secret("SECRET_KEY", key)


def load_config(app, overrides: dict | None = None) -> None:
    """Fill ``app.config``.

    Raises RuntimeError naming the variable when production lacks a good SECRET_KEY (environment only),
    DATABASE_URL, a shared rate-limit store (REDIS_URL / RATELIMIT_STORAGE_URI, not ``memory://``), REDIS_URL
    (jobs) or shared storage (STORAGE_BACKEND=s3 or STORAGE_DIR).
    """
    env = (overrides or {}).get("COCREATE_ENV") or os.environ.get("COCREATE_ENV", "development")
    cfg = app.config
    cfg.update(
        COCREATE_ENV=env,
        SQLALCHEMY_DATABASE_URI="sqlite:///" + os.path.join(app.instance_path, "cocreate.db"),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True},
        REDIS_URL=None,
        RATELIMIT_STORAGE_URI=None,  # None: REDIS_URL, else memory:// (see below)
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_KEY_PREFIX="cocreate",
        # Redis down: every worker falls back to counting in its own memory (Flask-Limiter's fallback, which
        # probes Redis again and switches back by itself) rather than refusing everyone or counting nothing:
        # the site keeps serving, and logins stay throttled, per worker, until Redis returns.
        RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
        RATELIMIT_SWALLOW_ERRORS=True,
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
        # Longest request target (path and query, in bytes) the app answers; longer ones get a 414 in the error
        # shape (JSON under /api/). gunicorn and nginx let longer lines through to it (deploy/).
        MAX_URL_BYTES=8192,
        # Feedback routing: the folder of trained model versions (relative paths are inside instance/; the
        # active version is recorded in the database) and the confidence below which an item goes to triage.
        ROUTER_MODELS_DIR="models",
        ROUTER_THRESHOLD=0.5,
        ROUTER_TARGET_PRECISION=0.98,
        # Seconds a worker trusts its cached answer to "which version is active" (routing_service).
        ROUTER_REVALIDATE_SECONDS=5.0,
        # Retrain once this many routing corrections came in since the last training (retrain.retrain_due).
        ROUTER_RETRAIN_EVERY=100,
        # False: versions learn from the app's corrections only, without the shipped seed corpus.
        ROUTER_TRAIN_ON_SEED=True,
        # SLA for items in triage and teams without pledge items: (first response, resolution) hours.
        FEEDBACK_DEFAULT_SLA_HOURS=(24, 168),
        # Logins: every address (any account) and every account (from anywhere; failures only) is throttled.
        # The account limits step up (5 failures wait out the quarter hour, 10 the hour, 20 the day): a
        # backoff that a guesser spreading over many addresses cannot escape.
        LOGIN_ADDRESS_RATE_LIMIT="10 per minute; 50 per hour",
        LOGIN_ACCOUNT_RATE_LIMIT="5 per 15 minutes; 10 per hour; 20 per day",
        REGISTER_ADDRESS_RATE_LIMIT="10 per hour",
        FEEDBACK_ANON_RATE_LIMIT="5 per hour",
        FEEDBACK_RATE_LIMIT="30 per hour",
        PLEDGE_SCORECARD_CACHE_SECONDS=60,  # the public /pledge figures, per worker
        # The page cache (community.cache). Tests get their own key prefix per app: the tables are emptied
        # between tests behind the ORM's back and ids come round again.
        PAGE_CACHE_SECONDS=300,
        CACHE_KEY_PREFIX=f"cocreate-test-{secrets.token_hex(4)}:" if env == "testing" else "cocreate:",
        # E-mail (Flask-Mailman): the console backend in development prints digests instead of sending.
        MAIL_BACKEND="locmem" if env == "testing" else ("smtp" if env == "production" else "console"),
        MAIL_DEFAULT_SENDER="Cocreate <no-reply@cocreate.example>",
        PUBLIC_BASE_URL=None,
        TRUSTED_PROXY_HOPS=0,
        METRICS_TOKEN=None,
        DB_RETRY_AFTER_SECONDS=5,
        DB_CONNECT_TIMEOUT=3,
        LOG_REQUESTS="json",
        # Jobs (community/jobs.py): RQ on REDIS_URL, or inline without it (the embedded default).
        JOBS_QUEUE="cocreate",
        JOBS_EMBEDDED_SCHEDULER=env == "development",
        # Storage (community/storage.py): shopper photos, router model files, the duplicates index.
        STORAGE_BACKEND="filesystem",
        STORAGE_DIR=None,
        STORAGE_S3_BUCKET=None,
        STORAGE_S3_ENDPOINT_URL=None,
        STORAGE_S3_REGION=None,
        STORAGE_S3_PREFIX="",
        # Vehicle verification proof (community/accounts/evidence.py): storage folder, days kept after review.
        VEHICLE_EVIDENCE_DIR="vehicle_evidence",
        VEHICLE_EVIDENCE_DAYS=30,
        # API Idempotency-Key (community/api/idempotency.py): hours kept, seconds a dead request's claim holds.
        IDEMPOTENCY_KEY_HOURS=24,
        IDEMPOTENCY_LEASE_SECONDS=300,
        # Web forms (community/submissions.py): days a consumed one-time submission token is remembered.
        SUBMISSION_TOKEN_DAYS=7,
        # Web forms (community/drafts.py): minutes the text of a form posted after its session expired is kept.
        FORM_DRAFT_MINUTES=120,
    )
    cfg.from_pyfile("config.py", silent=True)
    production = env == "production"
    if production:
        # Only the environment may hold the production key: a file on one host's disk would differ per host.
        cfg.pop("SECRET_KEY", None)
    for key in ("SECRET_KEY", "REDIS_URL", "RATELIMIT_STORAGE_URI", "DEFAULT_TIMEZONE", "ROUTER_MODELS_DIR",
                "MAIL_BACKEND", "MAIL_SERVER",
                "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_DEFAULT_SENDER", "MAIL_FILE_PATH", "CACHE_KEY_PREFIX",
                "PUBLIC_BASE_URL", "METRICS_TOKEN", "LOG_REQUESTS",
                "JOBS_QUEUE", "STORAGE_BACKEND", "STORAGE_DIR", "STORAGE_S3_BUCKET",
                "STORAGE_S3_ENDPOINT_URL", "STORAGE_S3_REGION", "STORAGE_S3_PREFIX"):
        if os.environ.get(key):
            cfg[key] = os.environ[key]
    for key in ("ROUTER_THRESHOLD", "ROUTER_TARGET_PRECISION", "ROUTER_REVALIDATE_SECONDS"):
        if os.environ.get(key):
            cfg[key] = float(os.environ[key])
    if os.environ.get("PAGE_CACHE_ENABLED"):
        cfg["PAGE_CACHE_ENABLED"] = os.environ["PAGE_CACHE_ENABLED"].lower() in ("1", "true", "yes")
    if os.environ.get("PAGE_CACHE_SECONDS"):
        cfg["PAGE_CACHE_SECONDS"] = int(os.environ["PAGE_CACHE_SECONDS"])
    for key in ("MAIL_PORT", "TRUSTED_PROXY_HOPS", "DB_RETRY_AFTER_SECONDS", "DB_CONNECT_TIMEOUT",
                "VEHICLE_EVIDENCE_DAYS", "IDEMPOTENCY_KEY_HOURS", "IDEMPOTENCY_LEASE_SECONDS",
                "SUBMISSION_TOKEN_DAYS", "FORM_DRAFT_MINUTES"):
        if os.environ.get(key):
            cfg[key] = int(os.environ[key])
    for key in ("MAIL_USE_TLS", "MAIL_USE_SSL", "JOBS_EMBEDDED_SCHEDULER", "RATELIMIT_ENABLED",
                "WEBHOOK_ALLOW_PRIVATE"):
        if os.environ.get(key):
            cfg[key] = os.environ[key].lower() in ("1", "true", "yes")
    if os.environ.get("DATABASE_URL"):
        cfg["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    if overrides:
        cfg.update(overrides)
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if not cfg.get("RATELIMIT_STORAGE_URI"):
        cfg["RATELIMIT_STORAGE_URI"] = cfg.get("REDIS_URL") or "memory://"
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # An unreachable server must turn into a quick 503, not a worker stuck until gunicorn's timeout.
        options = dict(cfg["SQLALCHEMY_ENGINE_OPTIONS"])
        options["connect_args"] = {"connect_timeout": int(cfg["DB_CONNECT_TIMEOUT"]),
                                   **options.get("connect_args", {})}
        options.setdefault("pool_timeout", 10)
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = options
    if cfg.get("PUBLIC_BASE_URL"):
        cfg["PUBLIC_BASE_URL"] = cfg["PUBLIC_BASE_URL"].rstrip("/")
    from community.storage import validate_config

    cfg["STORAGE_BACKEND"] = validate_config(cfg)
    if production:
        problem = secret_key_problem(cfg.get("SECRET_KEY"))
        if problem:
            raise RuntimeError(problem)
        if cfg.get("METRICS_TOKEN"):  # unset: /metrics is a 404; set, it guards the figures like a password
            problem = weak_secret("METRICS_TOKEN", cfg["METRICS_TOKEN"])
            if problem:
                raise RuntimeError(problem)
        if cfg["RATELIMIT_STORAGE_URI"].startswith("memory://"):
            raise RuntimeError("REDIS_URL (or RATELIMIT_STORAGE_URI) must name a shared Redis when "
                               "COCREATE_ENV=production: memory:// counts per worker, so limits would not hold")
        if not os.environ.get("DATABASE_URL") and "DATABASE_URL" not in (overrides or {}):
            raise RuntimeError("DATABASE_URL must be set when COCREATE_ENV=production")
        if not cfg.get("PUBLIC_BASE_URL"):
            raise RuntimeError("PUBLIC_BASE_URL must be set when COCREATE_ENV=production "
                               "(e.g. https://cocreate.example.com): links in e-mails and feeds are built on it")
        if not cfg.get("REDIS_URL"):
            raise RuntimeError("REDIS_URL must be set when COCREATE_ENV=production (jobs and shared state live "
                               "in Redis)")
        if cfg["STORAGE_BACKEND"] == "filesystem" and not cfg.get("STORAGE_DIR"):
            raise RuntimeError("STORAGE_BACKEND=s3 (with STORAGE_S3_BUCKET), or STORAGE_DIR naming a folder every "
                               "host shares, must be set when COCREATE_ENV=production")
        cfg["SESSION_COOKIE_SECURE"] = cfg["REMEMBER_COOKIE_SECURE"] = True
    elif not cfg.get("SECRET_KEY"):
        cfg["SECRET_KEY"] = _dev_secret(app.instance_path)
