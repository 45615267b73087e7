"""Webhooks against a real HTTP receiver on loopback: signed bodies that verify with the README's snippet,
retries after 500s and timeouts with backoff, order per resource, at least once when the sender is killed
mid-send, disabling after 24 h of failures, SSRF refused, nothing hidden or secret in a body."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from community.api import tokens
from community.dbtypes import utcnow
from community.errors import PermissionDenied, ValidationError
from community.extensions import db
from community.proposals import service as proposals
from community.webhooks import delivery, service
from community.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests import factories as f
from tests.webhooks import receiver as rx

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def receiver():
    r = rx.start()
    yield r
    rx.stop(r)


@pytest.fixture
def admin(app):
    return f.admin()


def readme_verify():
    """The verification snippet exactly as the README shows it."""
    text = (ROOT / "README.md").read_text()
    code = re.search(r"```python\n(import hashlib, hmac, time\n.*?)```", text, re.S).group(1)
    scope: dict = {}
    exec(code, scope)  # noqa: S102 - our own README, to prove its snippet verifies what we send
    return scope["verify"]


def _bearer(user, scope="write"):
    return {"Authorization": f"Bearer {tokens.create_token(user, 'app', scope, None)[1]}"}


def _deliveries(endpoint) -> list[WebhookDelivery]:
    db.session.expire_all()
    return WebhookDelivery.query.filter_by(endpoint_id=endpoint.id).order_by(WebhookDelivery.id).all()


def test_an_api_write_is_delivered_signed_and_verifies_with_the_readme_snippet(client, admin, receiver):
    endpoint = service.create_endpoint(admin, receiver.url, ["proposal.created"])
    owner = f.owner(display_name="Ada", email="ada@example.com")
    resp = client.post("/api/v1/proposals", headers=_bearer(owner),
                       json={"title": "Rear fog lamp", "body": "Please", "category": "comfort"})
    assert resp.status_code == 201
    [got] = receiver.requests  # sent right after the request that made the event
    body = got.json
    assert body["type"] == "proposal.created" and body["data"]["id"] == resp.json["id"]
    assert body["data"]["title"] == "Rear fog lamp" and body["created_at"].endswith("Z")
    assert got.headers["Cocreate-Event-Id"] == body["id"] and got.headers["Cocreate-Event-Type"] == body["type"]
    verify = readme_verify()
    assert verify(endpoint.secret, got.headers["Cocreate-Signature"], got.body)
    assert not verify("whsec_someone_else_entirely", got.headers["Cocreate-Signature"], got.body)
    assert not verify(endpoint.secret, got.headers["Cocreate-Signature"], got.body.replace(b"fog", b"fig"))
    stale = re.sub(r"t=\d+", "t=1000000000", got.headers["Cocreate-Signature"])
    assert not verify(endpoint.secret, stale, got.body)  # outside the replay window
    assert "ada@example.com" not in got.body.decode()
    [d] = _deliveries(endpoint)
    assert (d.status, d.attempts, d.last_status_code) == ("delivered", 1, 200) and d.last_latency_ms >= 0


def test_500s_and_timeouts_are_retried_with_backoff_until_delivered(make_app, receiver):
    app = make_app(WEBHOOK_TIMEOUT=0.5, WEBHOOK_RETRY_BASE=30)
    with app.app_context():
        endpoint = service.create_endpoint(f.admin(), receiver.url, ["proposal.created"])
        receiver.script[:] = [500, "hang", 200]
        f.proposal()
        t0 = utcnow()
        assert delivery.run_due(t0) == 1
        [d] = _deliveries(endpoint)
        assert (d.status, d.last_status_code, d.attempts) == ("pending", 500, 1)
        assert timedelta(seconds=29) < d.next_attempt_at - t0 <= timedelta(seconds=31)
        assert delivery.run_due(t0 + timedelta(seconds=10)) == 0  # not due yet
        assert delivery.run_due(t0 + timedelta(seconds=31)) == 1  # the receiver hangs: a timeout
        [d] = _deliveries(endpoint)
        assert d.status == "pending" and d.last_status_code is None and "timed out" in d.last_error
        assert d.next_attempt_at - (t0 + timedelta(seconds=31)) == timedelta(seconds=60)  # doubled
        receiver.release.set()
        assert delivery.run_due(t0 + timedelta(seconds=92)) == 1
        [d] = _deliveries(endpoint)
        assert (d.status, d.attempts, d.next_attempt_at) == ("delivered", 3, None)
        assert [a.status_code for a in WebhookAttempt.query.order_by(WebhookAttempt.id)] == [500, None, 200]
        assert len(set(receiver.ids())) == 1 and len(receiver.requests) == 3  # one event, sent three times


def test_events_about_one_resource_go_out_in_order(app, admin, receiver):
    endpoint = service.create_endpoint(admin, receiver.url, ["proposal.created", "proposal.status_changed"])
    receiver.script[:] = [500]
    proposal = f.proposal()
    other = f.proposal(title="Another resource")
    proposals.change_status(proposal, "under_review", f.moderator(), note_en="Looking")
    t0 = utcnow()
    delivery.run_due(t0)
    # the first event of `proposal` failed: its status change waits; the other proposal's event went out
    assert [(r.json["type"], r.json["data"]["id"]) for r in receiver.requests] == [
        ("proposal.created", proposal.id), ("proposal.created", other.id)]
    delivery.run_due(t0 + timedelta(minutes=1))
    assert [(r.json["type"], r.json["data"]["id"]) for r in receiver.requests[2:]] == [
        ("proposal.created", proposal.id), ("proposal.status_changed", proposal.id)]
    assert receiver.requests[-1].json["data"]["status"] == "under_review"
    assert {d.status for d in _deliveries(endpoint)} == {"delivered"}


def test_no_delivery_is_lost_when_the_sender_is_killed_mid_send(app, admin, receiver, database_url):
    endpoint = service.create_endpoint(admin, receiver.url, ["proposal.created"])
    receiver.script[:] = ["hang"]
    f.proposal()
    db.session.commit()
    code = ("from community import create_app\nfrom community.webhooks import delivery\n"
            f"app = create_app({{'COCREATE_ENV': 'testing', 'SQLALCHEMY_DATABASE_URI': {database_url!r}, "
            "'SECRET_KEY': 'x', 'WEBHOOK_ALLOW_PRIVATE': True})\n"
            "with app.app_context():\n    delivery.run_due()\n")
    worker = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert receiver.got.wait(60), worker.stderr.read() if worker.poll() is not None else "no request"
        os.kill(worker.pid, signal.SIGKILL)  # dies with the request in flight, before recording anything
    finally:
        worker.wait(10)
    [d] = _deliveries(endpoint)
    assert d.status == "pending" and d.attempts == 1 and d.locked_until > utcnow()  # claimed, never finished
    assert delivery.run_due() == 0  # the lease still holds: no second sender meanwhile
    assert delivery.run_due(d.locked_until + timedelta(seconds=1)) == 1
    [d] = _deliveries(endpoint)
    assert d.status == "delivered" and d.attempts == 2
    assert len(receiver.requests) == 2 and len(set(receiver.ids())) == 1  # at least once; same id to dedupe


def test_an_endpoint_failing_for_24_hours_is_disabled_and_admins_told(app, admin, receiver):
    endpoint = service.create_endpoint(admin, receiver.url, ["proposal.created"])
    receiver.script[:] = [503, 503]
    f.proposal()
    delivery.run_due()
    assert _deliveries(endpoint)[0].endpoint.failing_since is not None and endpoint.is_active
    endpoint.failing_since = utcnow() - timedelta(hours=25)
    db.session.commit()
    f.proposal(title="Second")
    delivery.run_due()
    db.session.refresh(endpoint)
    assert not endpoint.is_active and endpoint.disabled_at is not None
    [mail] = app.extensions["mailman"].outbox
    assert admin.email in mail.to and receiver.url in mail.body
    before = len(receiver.requests)
    f.proposal(title="Third")  # a disabled endpoint gets no new events and sends nothing
    delivery.run_due(utcnow() + timedelta(days=1))
    assert len(receiver.requests) == before


def test_retries_stop_after_24_hours(app, admin, receiver):
    endpoint = service.create_endpoint(admin, receiver.url, ["proposal.created"])
    receiver.script[:] = [500]
    f.proposal()
    [d] = _deliveries(endpoint)
    d.created_at = utcnow() - timedelta(hours=23, minutes=59, seconds=50)
    db.session.commit()
    delivery.run_due()
    [d] = _deliveries(endpoint)
    assert (d.status, d.next_attempt_at) == ("failed", None)


@pytest.mark.parametrize("url", ["http://127.0.0.1/hook", "http://localhost:8080/", "http://10.1.2.3/",
                                 "http://192.168.0.10/", "http://169.254.169.254/latest/meta-data",
                                 "http://[::1]/", "http://0.0.0.0/", "ftp://example.com/", "file:///etc/passwd",
                                 "http://user:pw@example.com/", "gopher://127.0.0.1/"])
def test_ssrf_urls_are_refused(make_app, url):
    app = make_app(WEBHOOK_ALLOW_PRIVATE=False)
    with app.app_context():
        with pytest.raises(ValidationError) as err:
            service.create_endpoint(f.admin(), url, ["proposal.created"])
        assert "url" in err.value.fields


def test_a_url_turned_private_is_refused_at_send_time_and_production_never_allows_private(make_app, receiver):
    app = make_app()
    with app.app_context():
        endpoint = service.create_endpoint(f.admin(), receiver.url, ["proposal.created"])
        app.config["WEBHOOK_ALLOW_PRIVATE"] = False
        f.proposal()
        delivery.run_due()
        [d] = _deliveries(endpoint)
        assert receiver.requests == [] and d.status == "pending" and "refused" in d.last_error
        app.config.update(COCREATE_ENV="production", WEBHOOK_ALLOW_PRIVATE=True)  # ignored in production
        with pytest.raises(service.UnsafeURL):
            service.check_url(receiver.url)


def test_hidden_content_and_shopper_identity_never_leave(app, admin, receiver):
    from community.feedback import service as feedback

    endpoint = service.create_endpoint(admin, receiver.url, ["proposal.created", "feedback.created"])
    proposal = f.proposal(title="Soon hidden")
    proposal.hidden_at = utcnow()  # a moderator hides it before the event went out
    db.session.commit()
    delivery.run_due()
    assert [d.status for d in _deliveries(endpoint)] == ["withheld"] and receiver.requests == []
    shopper = f.UserFactory(roles=["mystery_shopper"], display_name="Secret Shopper", email="shh@example.com")
    feedback.submit(shopper, "Prices were unclear", "store")
    delivery.run_due(utcnow() + timedelta(hours=2))
    body = receiver.requests[-1].body.decode()
    assert json.loads(body)["type"] == "feedback.created"
    assert "Secret Shopper" not in body and "shh@example.com" not in body and "author" not in body


def test_admins_manage_endpoints_and_redeliver_through_the_api(client, admin, receiver):
    headers = _bearer(admin)
    resp = client.post("/api/v1/webhooks/endpoints", headers=headers,
                       json={"url": receiver.url, "event_types": ["proposal.created"], "description": "CRM"})
    assert resp.status_code == 201 and resp.json["secret"].startswith("whsec_")
    endpoint_id = resp.json["id"]
    assert "secret" not in client.get("/api/v1/webhooks/endpoints", headers=headers).json[0]
    assert client.post("/api/v1/webhooks/endpoints", headers=headers,
                       json={"url": receiver.url, "event_types": ["nope"]}).status_code == 422
    assert client.get("/api/v1/webhooks/endpoints", headers=_bearer(f.moderator())).status_code == 403
    f.proposal()
    delivery.run_due()
    [row] = client.get(f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries", headers=headers).json["items"]
    assert (row["status"], row["attempts"], row["last_status_code"]) == ("delivered", 1, 200)
    resp = client.post(f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries/{row['id']}/redeliver", headers=headers)
    assert resp.status_code == 200
    assert len(receiver.requests) == 2 and receiver.ids()[0] == receiver.ids()[1] == row["event_id"]
    resp = client.put(f"/api/v1/webhooks/endpoints/{endpoint_id}", headers=headers,
                      json={"url": receiver.url, "event_types": ["vehicle.verified"], "active": False})
    assert resp.status_code == 200 and resp.json["active"] is False
    assert client.delete(f"/api/v1/webhooks/endpoints/{endpoint_id}", headers=headers).status_code == 204
    assert WebhookEndpoint.query.count() == 0


def test_the_settings_page_registers_shows_the_secret_once_and_logs(client, auth, admin, receiver):
    auth.login_as(admin)
    resp = client.post("/admin/webhooks", data={"url": receiver.url, "event_types": ["vehicle.verified"],
                                                "active": "y"})
    assert resp.status_code == 200
    endpoint = WebhookEndpoint.query.one()
    assert endpoint.secret in resp.get_data(as_text=True)
    assert endpoint.secret not in client.get("/admin/webhooks").get_data(as_text=True)
    vehicle = f.VehicleFactory(status="pending")
    from community.accounts import service as accounts

    accounts.review_vehicle(vehicle, f.moderator(), True)
    delivery.run_due()
    page = client.get(f"/admin/webhooks/{endpoint.id}").get_data(as_text=True)
    assert "vehicle.verified" in page and "delivered" in page
    assert client.post("/admin/webhooks", data={"url": "http://127.0.0.1:1/", "event_types": []}).status_code == 422
    with pytest.raises(PermissionDenied):
        service.create_endpoint(f.moderator(), receiver.url, ["vehicle.verified"])


def test_with_redis_the_commit_queues_one_rq_job_that_sends(make_app, redis_config, receiver):
    """With REDIS_URL the request only queues the job (after its commit); an RQ worker sends."""
    from rq import SimpleWorker

    from community import jobs

    app = make_app(**redis_config)
    with app.app_context():
        endpoint = service.create_endpoint(f.admin(), receiver.url, ["proposal.created"])
        queued = len(jobs.queue())
        resp = app.test_client().post("/api/v1/proposals", headers=_bearer(f.owner()),
                                      json={"title": "Queued", "body": "Please", "category": "comfort"})
        assert resp.status_code == 201 and receiver.requests == []  # nothing sent in the request
        assert len(jobs.queue()) == queued + 1
        done_before = set(jobs.queue().finished_job_registry.get_job_ids())
        SimpleWorker([jobs.queue()], connection=jobs.redis_connection()).work(burst=True)
        for job_id in set(jobs.queue().finished_job_registry.get_job_ids()) - done_before:
            jobs.queue().finished_job_registry.remove(job_id, delete_job=True)  # the queue is shared by this run
        assert [r.json["data"]["title"] for r in receiver.requests] == ["Queued"]
        assert [d.status for d in _deliveries(endpoint)] == ["delivered"]
    assert "webhooks-deliver" in jobs.BY_NAME and jobs.resolve(jobs.BY_NAME["webhooks-deliver"].target)
