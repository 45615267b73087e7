"""Fixtures in the style of the Flask tutorial: ``app``, ``client``, ``runner``, ``auth``.

The schema is built once per run by the real Alembic migrations. The database is SQLite unless
``COCREATE_TEST_DB`` names another (the Makefile runs the suite again with TEST_DATABASE_URL).
Tables are emptied after each test, so tests may commit and use threads.

Parallel runs (``pytest -n 2``, pytest-xdist; ``make test`` does this): every worker is its own process with its
own session, so session fixtures run once per worker. Each worker gets its own database: a SQLite file of its
own, or on PostgreSQL the database ``<COCREATE_TEST_DB's name>_<worker>`` (e.g. ``test_gw0``), created with the
schema at the worker's start and dropped at its end. A session fixture that starts a server (moto, a live app)
starts one per worker: on a free port (``_free_port()``), never a fixed one, stopped by its PID (``s3_server``).
"""
from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, has_app_context
from flask.testing import FlaskClient
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from community import create_app
from community.extensions import db

# Pages default to English in tests so assertions read like the source strings; the zh default (the
# production setting) and the zh catalogue are checked in tests/test_i18n.py.
BASE = {"COCREATE_ENV": "testing", "TESTING": True, "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "SECRET_KEY": "test-secret", "SERVER_NAME": "localhost", "BABEL_DEFAULT_LOCALE": "en",
        "WEBHOOK_ALLOW_PRIVATE": True}  # webhook tests receive on loopback
# Rate limits are counted in the real Redis, shared with other test runs and CI: every key of this session
# carries its own prefix, so resetting the limiter between tests deletes only this session's counters.
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
REDIS_PREFIX = f"cocreate-test-{secrets.token_hex(6)}"
TRANSLATIONS = Path(__file__).resolve().parent.parent / "community" / "translations"
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1"... under pytest-xdist; "" in a plain run


@pytest.fixture(scope="session", autouse=True)
def compiled_translations() -> None:
    """Compile stale or missing .mo files as `make translations` does (they are git-ignored), so a bare
    ``pytest`` renders zh pages exactly as CI and production do."""
    for po_path in TRANSLATIONS.glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po)
        with mo_path.open("wb") as mo:
            write_mo(mo, catalog)


def _sqlite_folder(tmp_path_factory) -> Path:
    """SQLite writes to memory-backed /dev/shm when there is one: every test commits, and the disk's fsyncs
    (shared with every other job on the machine) were a good part of the run's wall time."""
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        return Path(tempfile.mkdtemp(prefix=f"cocreate-test-{WORKER or 'main'}-", dir=shm))
    return tmp_path_factory.mktemp("db")


def _admin_engine(url):
    """An autocommit connection to the server's maintenance database (CREATE/DROP DATABASE)."""
    return create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """The worker's test database, its schema built by the migrations; dropped at the end when it was made here."""
    given = os.environ.get("COCREATE_TEST_DB")
    made_db = made_dir = None
    if not given:
        made_dir = _sqlite_folder(tmp_path_factory)
        url = f"sqlite:///{made_dir / 'test.db'}"
    elif WORKER and given.startswith("postgres"):
        base = make_url(given)
        made_db = base.set(database=f"{base.database}_{WORKER}")
        with _admin_engine(base).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{made_db.database}" WITH (FORCE)'))  # left by a killed run
            conn.execute(text(f'CREATE DATABASE "{made_db.database}"'))
        url = made_db.render_as_string(hide_password=False)
    else:
        url = given
    app = create_app({**BASE, "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        if db.engine.dialect.name == "postgresql" and made_db is None:
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade()
        db.engine.dispose()
    yield url
    if made_db is not None:
        with _admin_engine(made_db).connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{made_db.database}" WITH (FORCE)'))
    if made_dir is not None:
        shutil.rmtree(made_dir, ignore_errors=True)


def _empty_tables() -> None:
    """DELETE, children first: on tables this small it is ~10x quicker than TRUNCATE on PostgreSQL."""
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


class _TemplateCode(BytecodeCache):
    """Compiled templates shared by every app of this worker (Jinja's bytecode cache, in memory).

    Each test builds its own app, and each app its own Jinja environment, which compiled every template it
    rendered afresh: ~25 ms a template, a tenth of the suite. Entries are keyed by template and checked against
    the source's checksum by Jinja, so an edited template is compiled again.
    """

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket) -> None:
        if bucket.key in self._code:
            bucket.bytecode_from_string(self._code[bucket.key])

    def dump_bytecode(self, bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CODE = _TemplateCode()


class IsolatedClient(FlaskClient):
    """A test client whose every request gets a fresh ``g``.

    The ``app`` fixture keeps an app context open (so tests can use the database directly), and
    Flask reuses an open app context for requests: without this, ``g`` (Flask-Login's cached user,
    the API token) would leak from one request into the next, unlike in production.
    """

    def open(self, *args, **kwargs):
        saved = dict(g.__dict__) if has_app_context() else None
        if saved is not None:
            g.__dict__.clear()
        # Buffered: a served file (send_file) is read and closed here rather than left open for the test to
        # close, which surfaced as ResourceWarnings in the suite.
        kwargs.setdefault("buffered", True)
        try:
            return super().open(*args, **kwargs)
        finally:
            if saved is not None:
                g.__dict__.clear()
                g.__dict__.update(saved)


@pytest.fixture
def make_app(database_url, tmp_path):
    """Build an app on the test database with extra config, e.g. ``make_app(WTF_CSRF_ENABLED=True)``."""
    made = []

    def _make(**overrides):
        limits = {}
        if overrides.get("RATELIMIT_ENABLED") and "RATELIMIT_STORAGE_URI" not in overrides:
            limits = {"RATELIMIT_STORAGE_URI": TEST_REDIS_URL, "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": False,
                      "RATELIMIT_SWALLOW_ERRORS": False, "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": REDIS_PREFIX}}
        app = create_app({**BASE, "SQLALCHEMY_DATABASE_URI": database_url, **limits, **overrides})
        app.instance_path = str(tmp_path)
        app.test_client_class = IsolatedClient
        app.jinja_env.bytecode_cache = TEMPLATE_CODE
        if limits:
            from community.extensions import limiter

            limiter.reset()  # each test starts with no counters (this session's keys only)
        made.append(app)
        return app

    yield _make
    for app in made:
        with app.app_context():
            db.session.remove()
    if made:
        with made[0].app_context():
            _empty_tables()
    # Every app has its own engine and pool: close them all, or a PostgreSQL run holds ~45 idle
    # connections and two runs at once exhaust the server's max_connections.
    for app in made:
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def app(make_app):
    app = make_app()
    with app.app_context():
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, user_or_email, password: str = "correct-horse-battery"):
        email = getattr(user_or_email, "email", user_or_email)
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")

    def login_as(self, user) -> None:
        """Log ``user`` in by writing the session Flask-Login reads: no password check (scrypt is slow)."""
        with self._client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = user.get_id(), True


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def is_postgres(app) -> bool:
    return db.engine.dialect.name == "postgresql"


# ---- real servers: an S3-compatible one (moto) started here, and the machine's Redis ----

def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server on a free loopback port for the whole run; yields its URL; stopped by its PID.

    Production's code path: the s3 storage backend talks to it through boto3 over HTTP.
    """
    port = _free_port()
    log = (tmp_path_factory.mktemp("moto") / "moto.log").open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    os.environ.update(AWS_ACCESS_KEY_ID="cocreate-test", AWS_SECRET_ACCESS_KEY="cocreate-test",
                      AWS_DEFAULT_REGION="us-east-1")
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"moto's S3 server did not start on port {port} (see {log.name})")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def s3_bucket(s3_server) -> str:
    from community.storage import S3Storage

    bucket = f"cocreate-test-{secrets.token_hex(4)}"
    S3Storage(bucket, endpoint_url=s3_server).ensure_bucket()
    return bucket


@pytest.fixture
def s3_config(s3_server, s3_bucket) -> dict:
    """Config for the s3 storage backend, under a key prefix of this test's own."""
    return {"STORAGE_BACKEND": "s3", "STORAGE_S3_BUCKET": s3_bucket, "STORAGE_S3_ENDPOINT_URL": s3_server,
            "STORAGE_S3_PREFIX": f"t-{secrets.token_hex(6)}"}


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The shared Redis (env TEST_REDIS_URL). Never flushed: tests use a queue name of this run's own."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    try:
        Redis.from_url(url, socket_connect_timeout=3).ping()
    except RedisError as exc:
        pytest.fail(f"Redis is unreachable at {url} ({exc}); the job tests need a real one (set TEST_REDIS_URL)")
    return url


@pytest.fixture(scope="session")
def jobs_queue(redis_url):
    """A queue name of this test run's own; its RQ keys are deleted at the end."""
    from redis import Redis
    from rq import Queue

    name = f"cocreate-test-{secrets.token_hex(6)}"
    yield name
    connection = Redis.from_url(redis_url)
    q = Queue(name, connection=connection)
    job_ids = set(q.job_ids)
    for registry in (q.finished_job_registry, q.failed_job_registry, q.started_job_registry,
                     q.deferred_job_registry, q.scheduled_job_registry, q.canceled_job_registry):
        job_ids.update(registry.get_job_ids())
        connection.delete(registry.key)
    for job_id in job_ids:
        connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
    q.delete(delete_jobs=True)
    for key in connection.scan_iter(f"cocreate:jobs:once:{name}:*"):
        connection.delete(key)
    for key in connection.scan_iter(f"rq:cron_job:{name}:*"):
        connection.delete(key)
    ours = [m for m in connection.zrange("rq:cron_jobs", 0, -1) if m.decode().startswith(f"{name}:")]
    if ours:
        connection.zrem("rq:cron_jobs", *ours)


@pytest.fixture
def redis_config(redis_url, jobs_queue) -> dict:
    """Config that sends jobs to RQ on the real Redis, on this run's own queue."""
    return {"REDIS_URL": redis_url, "JOBS_QUEUE": jobs_queue}
