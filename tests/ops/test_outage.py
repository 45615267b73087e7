"""While the database is unreachable: 503 with Retry-After (HTML page or the API's JSON error), never 500;
/healthz stays up, /readyz names the failing part; service comes back by itself when the database does."""
from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import pytest

from community import create_app
from community.extensions import db
from tests.conftest import BASE, IsolatedClient

CLOSED = "postgresql://postgres@127.0.0.1:9/nothing"  # the discard port: nothing listens on loopback


def _app(url: str, storage_dir, **config):
    # A storage folder of the test's own: readiness must fail on the database alone, also in a fresh checkout
    # that has no instance/ folder yet.
    app = create_app({**BASE, "SQLALCHEMY_DATABASE_URI": url, "DB_RETRY_AFTER_SECONDS": 7,
                      "STORAGE_DIR": str(storage_dir), **config})
    app.test_client_class = IsolatedClient
    return app


def _assert_unavailable(client):
    page = client.get("/?lang=en")
    assert page.status_code == 503 and page.headers["Retry-After"] == "7"
    assert "briefly unavailable" in page.get_data(as_text=True) and page.mimetype == "text/html"
    api = client.get("/api/v1/proposals")
    assert api.status_code == 503 and api.headers["Retry-After"] == "7"
    assert api.json["error"]["code"] == "unavailable" and api.json["error"]["fields"] == {}
    assert client.get("/healthz").status_code == 200  # alive: a load balancer must not restart the host
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["failing"] == ["database"]


def test_unreachable_database_answers_503_with_retry_after_never_500(tmp_path):
    app = _app(CLOSED, tmp_path)
    with app.app_context():
        _assert_unavailable(app.test_client())
        # A logged-in visitor too: loading the user from the session is what fails first.
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = "1:token"
        assert client.get("/settings/notifications").status_code == 503
        db.engine.dispose()


def test_readyz_names_every_failing_part(make_app, monkeypatch):
    from community.feedback import router_versions

    app = make_app(REDIS_URL="redis://127.0.0.1:9/0")
    monkeypatch.setattr(router_versions, "active_version", lambda: "20260101T000000Z-missing")
    ready = app.test_client().get("/readyz")
    assert ready.status_code == 503
    assert ready.json["failing"] == ["redis", "router"] and ready.json["checks"]["database"] == "ok"
    assert "does not load" in ready.json["checks"]["router"]


def test_readyz_ok_when_everything_answers(make_app):
    ready = make_app().test_client().get("/readyz")
    assert ready.status_code == 200 and ready.json["ok"] is True and ready.json["failing"] == []


class Outage:
    """A TCP relay in front of the real PostgreSQL that can drop every connection and refuse new ones
    (the database unreachable, as in a network cut or a restart) and then relay again, on the same port.
    The shared server itself is never stopped."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.port = 0
        self.conns: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.start()

    def start(self) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.upstream)
            self.conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept(); close() alone would not
        except OSError:
            pass
        self.listener.close()
        for s in self.conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass
        self.conns.clear()


def test_service_comes_back_by_itself_when_postgresql_returns(database_url, tmp_path):
    if not database_url.startswith("postgres"):
        pytest.skip("the outage is simulated in front of PostgreSQL (the PostgreSQL run covers it)")
    parts = urlsplit(database_url)
    outage = Outage(parts.hostname or "127.0.0.1", parts.port or 5432)
    relayed = urlunsplit(parts._replace(netloc=f"{parts.username or 'postgres'}@127.0.0.1:{outage.port}"))
    app = _app(relayed, tmp_path)
    try:
        with app.app_context():
            client = app.test_client()
            assert client.get("/").status_code == 200  # the pool now holds a live connection
            outage.cut()
            _assert_unavailable(client)
            _assert_unavailable(client)  # still 503 (not 500) once the pool knows the connections are dead
            outage.start()
            assert client.get("/").status_code == 200  # no restart, no new app
            assert client.get("/api/v1/proposals").status_code == 200
            assert client.get("/readyz").status_code == 200
    finally:
        outage.cut()
        with app.app_context():
            db.engine.dispose()


def test_request_failing_after_the_view_is_503_too(make_app, monkeypatch):
    """A hook that touches the database after the view (notification fan-out) fails as a 500 handler
    would see it; production (errors not propagated) still answers 503."""
    from sqlalchemy.exc import OperationalError

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.after_request
    def _broken(response):
        raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    response = app.test_client().get("/healthz", headers={"Accept": "application/json"})
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"


def test_a_connection_that_dies_under_the_closing_rollback_does_not_turn_the_answer_into_a_500(make_app):
    """PostgreSQL shutting down between the answer and the end of the request: the ROLLBACK that ends the
    session fails ("terminating connection due to administrator command"); the answer already made stands."""
    from sqlalchemy import text
    from sqlalchemy.exc import OperationalError

    app = make_app(PROPAGATE_EXCEPTIONS=False)

    @app.get("/_dies_after_answer")
    def _dies_after_answer():
        db.session.execute(text("SELECT 1"))

        def close():
            raise OperationalError("ROLLBACK", {}, Exception("terminating connection due to administrator command"))

        db.session().close = close
        return {"ok": True}

    assert app.test_client().get("/_dies_after_answer").status_code == 200


def test_readyz_checks_the_real_redis_and_object_storage(make_app, redis_config, s3_config):
    ready = make_app(**redis_config, **s3_config).test_client().get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"]["redis"] == "ok" and ready.json["checks"]["storage"] == "ok"
    missing = make_app(**redis_config, **{**s3_config, "STORAGE_S3_BUCKET": "no-such-bucket"})
    ready = missing.test_client().get("/readyz")
    assert ready.status_code == 503 and ready.json["failing"] == ["storage"]
    assert "no-such-bucket" in ready.json["checks"]["storage"]
