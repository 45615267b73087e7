"""One JSON log line per request with its id; Prometheus metrics behind a token, summed across workers."""
from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from community import metrics
from community.campaigns import pledges
from community.errors import Conflict
from community.feedback import sla
from community.ops.requestlog import _json_handler
from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]


def _value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "community.request"]


def test_one_line_per_request_with_the_proxy_request_id_echoed(app, client, auth, caplog):
    user = f.owner()
    auth.login_as(user)
    with caplog.at_level(logging.INFO, logger="community.request"):
        response = client.get("/notifications", headers={"X-Request-ID": "nginx-7f3a"})
    assert response.headers["X-Request-ID"] == "nginx-7f3a"
    [line] = _lines(caplog)
    assert (line.request_id, line.user_id, line.endpoint, line.status) == ("nginx-7f3a", user.id,
                                                                           "notifications.index", 200)
    assert line.method == "GET" and line.path == "/notifications" and line.duration_ms > 0
    out = json.loads(_json_handler().format(line))  # what lands on stderr: one JSON object per line
    assert {k: out[k] for k in ("request_id", "user_id", "endpoint", "status")} == {
        "request_id": "nginx-7f3a", "user_id": user.id, "endpoint": "notifications.index", "status": 200}
    assert "duration_ms" in out and "timestamp" in out and "\n" not in _json_handler().format(line)


def test_request_id_made_when_missing_or_unsafe_and_anonymous_logged_as_none(client, caplog):
    with caplog.at_level(logging.INFO, logger="community.request"):
        first = client.get("/healthz")
        forged = client.get("/healthz", headers={"X-Request-ID": "<script>" + "a" * 300})
        missing = client.get("/no/such/page")
    ids = [r.headers["X-Request-ID"] for r in (first, forged, missing)]
    assert len(set(ids)) == 3 and all(len(i) == 32 for i in ids)
    assert [(r.request_id, r.user_id, r.status) for r in _lines(caplog)] == [
        (ids[0], None, 200), (ids[1], None, 200), (ids[2], None, 404)]
    assert _lines(caplog)[2].endpoint is None


def test_metrics_need_the_bearer_token(make_app):
    assert make_app().test_client().get("/metrics").status_code == 404  # no token configured: not served
    client = make_app(METRICS_TOKEN="s3cret-token").test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    before = _value("cocreate_http_requests_total", endpoint="ops.healthz", method="GET", status="200")
    client.get("/healthz")
    client.get("/healthz")
    ok = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert ok.status_code == 200 and ok.mimetype == "text/plain"
    body = ok.get_data(as_text=True)
    line = f'cocreate_http_requests_total{{endpoint="ops.healthz",method="GET",status="200"}} {before + 2}'
    assert line in body
    assert 'cocreate_http_request_duration_seconds_bucket{endpoint="ops.healthz"' in body


def test_feedback_routed_and_triaged_sla_breaches_and_pledges_are_counted(app):
    routed, triaged = _value("cocreate_feedback_submitted_total", outcome="routed"), \
        _value("cocreate_feedback_submitted_total", outcome="triaged")
    f.pledge_item("charging", first_hours=1, resolution_hours=2)
    t0 = datetime(2026, 11, 30, tzinfo=UTC)
    f.feedback(team="charging", created_at=t0)
    f.feedback(team=None, created_at=t0)
    f.feedback(team=None, created_at=t0)
    assert _value("cocreate_feedback_submitted_total", outcome="routed") == routed + 1
    assert _value("cocreate_feedback_submitted_total", outcome="triaged") == triaged + 2

    breaches = _value("cocreate_sla_breaches_total")
    assert sla.sweep(now=t0 + timedelta(hours=3)).total == 2  # routed item: first answer and resolution late
    sla.sweep(now=t0 + timedelta(hours=3))  # idempotent: nothing new to count
    assert _value("cocreate_sla_breaches_total") == breaches + 2

    made = _value("cocreate_pledges_total", action="made")
    cancelled = _value("cocreate_pledges_total", action="cancelled")
    campaign, owner = f.open_campaign(), f.eligible_owner()
    pledge = pledges.pledge(owner, campaign, owner.vehicles[0].id)
    with pytest.raises(Conflict):
        pledges.pledge(owner, campaign, owner.vehicles[0].id)  # refused: not counted
    pledges.cancel_pledge(owner, pledge.id)
    assert _value("cocreate_pledges_total", action="made") == made + 1
    assert _value("cocreate_pledges_total", action="cancelled") == cancelled + 1


def test_job_runs_failures_and_lag():
    runs, failures = _value("cocreate_job_runs_total", job="t"), _value("cocreate_job_failures_total", job="t")
    lag_sum = _value("cocreate_job_lag_seconds_sum", job="t")
    with metrics.job_run("t", due_at=datetime.now(UTC) - timedelta(seconds=30)):
        pass
    with pytest.raises(ValueError), metrics.job_run("t"):
        raise ValueError("boom")
    assert _value("cocreate_job_runs_total", job="t") == runs + 2
    assert _value("cocreate_job_failures_total", job="t") == failures + 1
    assert 30 <= _value("cocreate_job_lag_seconds_sum", job="t") - lag_sum < 40


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_metrics_add_up_every_gunicorn_worker(tmp_path):
    """Two workers behind one socket: /metrics counts the requests both answered, not one worker's share."""
    port, metrics_dir = _free_port(), tmp_path / "prom"
    env = {**os.environ, "GUNICORN_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "2", "METRICS_TOKEN": "t",
           "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
           "SECRET_KEY": "x", "COCREATE_ENV": "development", "LOG_REQUESTS": "off"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                assert server.poll() is None and time.monotonic() < deadline, server.stderr.read().decode()[-2000:]
                time.sleep(0.3)
        time.sleep(2)  # let the second worker finish importing, so both take requests

        def healthz_count() -> float:
            request = urllib.request.Request(base + "/metrics", headers={"Authorization": "Bearer t"})
            body = urllib.request.urlopen(request, timeout=10).read().decode()
            line = 'cocreate_http_requests_total{endpoint="ops.healthz",method="GET",status="200"} '
            return float(body.split(line, 1)[1].split()[0])

        def hit(_):
            return urllib.request.urlopen(base + "/healthz", timeout=10).status

        for path in ("/healthz", "/static/css/app.css"):  # gunicorn writes Date; the app must not add one
            with urllib.request.urlopen(base + path, timeout=10) as answer:
                assert len(answer.headers.get_all("Date")) == 1, (path, answer.headers.get_all("Date"))

        before = healthz_count()
        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(hit, range(60))) == {200}
        pids = {p.name.split("_")[1] for p in metrics_dir.glob("counter_*.db")}
        assert len(pids) == 2, "both workers should have answered some of the requests"
        assert healthz_count() - before == 60
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_periodic_job_runs_failures_and_lag_behind_their_tick(app, monkeypatch):
    from community import jobs

    record = jobs.Periodic("test-metrics", "tests.job_targets:record", "* * * * *", 60, "test")
    failing = jobs.Periodic("test-metrics-fail", "tests.job_targets:fail", "* * * * *", 60, "test")
    for entry in (record, failing):
        monkeypatch.setitem(jobs.BY_NAME, entry.name, entry)
    runs, lag = _value("cocreate_job_runs_total", job="test-metrics"), \
        _value("cocreate_job_lag_seconds_count", job="test-metrics")
    tick = datetime.now(UTC).replace(second=0, microsecond=0)
    jobs.run_periodic("test-metrics", now=tick + timedelta(seconds=5))
    jobs.run_periodic("test-metrics", now=tick + timedelta(seconds=9))  # the same tick: claimed, not run again
    assert _value("cocreate_job_runs_total", job="test-metrics") == runs + 1
    assert _value("cocreate_job_lag_seconds_count", job="test-metrics") == lag + 1
    failures = _value("cocreate_job_failures_total", job="test-metrics-fail")
    with pytest.raises(RuntimeError):
        jobs.run_periodic("test-metrics-fail")
    assert _value("cocreate_job_failures_total", job="test-metrics-fail") == failures + 1
