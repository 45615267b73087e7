"""A URL longer than the app takes is a 414 in the error shape: JSON for /api/, the HTML error page elsewhere,
also behind gunicorn as deploy/gunicorn.conf.py sets it up (gunicorn's own 414 would be HTML for the API too)."""
import http.client
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.html import text

ROOT = Path(__file__).resolve().parents[1]
LONG_QUERY = "q=" + "a" * 9000  # over MAX_URL_BYTES (8192)


def test_a_too_long_api_url_is_a_json_414(client):
    for path in ("/api/v1/proposals", "/api/v1/no-such-thing"):
        resp = client.get(f"{path}?{LONG_QUERY}")
        assert resp.status_code == 414 and resp.is_json
        assert resp.json["error"] == {"code": "uri_too_long", "message": "This address is too long.", "fields": {}}


def test_a_too_long_page_url_is_the_html_error_page(client):
    resp = client.get(f"/?{LONG_QUERY}&lang=en")
    assert resp.status_code == 414 and resp.mimetype == "text/html"
    assert "This address is too long." in text(resp.get_data(as_text=True))


def test_a_long_url_within_the_limit_is_answered_as_usual(client):
    assert client.get("/?q=" + "a" * 8000).status_code == 200
    resp = client.get("/api/v1/proposals?q=" + "a" * 8000)
    assert resp.status_code == 422 and "q" in resp.json["error"]["fields"]  # the search's own length rule answers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_behind_gunicorn_a_20k_api_url_still_gets_the_json_414(tmp_path):
    port = _free_port()
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1",
           "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prom"), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "SECRET_KEY": "x", "COCREATE_ENV": "development", "LOG_REQUESTS": "off"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def get(target: str):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            conn.request("GET", target)
            resp = conn.getresponse()
            return resp.status, resp.getheader("Content-Type"), resp.read()
        finally:
            conn.close()

    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                get("/healthz")
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-2000:]
                time.sleep(0.3)
        status, kind, body = get("/api/v1/proposals?q=" + "a" * 20000)  # past gunicorn's own 8,190 maximum
        assert (status, kind) == (414, "application/json")
        assert json.loads(body)["error"]["code"] == "uri_too_long"
        status, kind, _ = get("/?q=" + "a" * 20000)
        assert status == 414 and kind.startswith("text/html")
    finally:
        server.terminate()
        server.wait(timeout=30)
