"""Idempotency-Key on API writes: a retry replays the first answer, another body is a 422, a retry while the
first still runs is a 409 (the database's unique row decides), per token, 24 hours, failures not kept."""
import threading
from datetime import timedelta

import pytest
from sqlalchemy.exc import IntegrityError

from community import jobs
from community.api import idempotency, tokens
from community.api.models import ApiToken, IdempotencyKey
from community.campaigns.models import Pledge
from community.dbtypes import utcnow
from community.extensions import db
from community.proposals import service
from community.proposals.models import Proposal, Vote
from tests import factories as f


def headers(secret, key=None):
    out = {"Authorization": f"Bearer {secret}", "Accept-Language": "en"}
    if key is not None:
        out["Idempotency-Key"] = key
    return out


def token(user):
    return tokens.create_token(user, "phone", "write", None)[1]


@pytest.fixture
def voter(app):
    user = f.owner()
    return user, token(user)


def test_a_retried_vote_counts_once_and_replays_the_first_answer(client, voter):
    _user, secret = voter
    p = f.proposal()
    url = f"/api/v1/proposals/{p.id}/vote"
    first = client.post(url, headers=headers(secret, "vote-1"))
    assert first.status_code == 200 and first.json == {"vote_count": 1, "voted": True}
    assert "Idempotent-Replayed" not in first.headers
    again = client.post(url, headers=headers(secret, "vote-1"))
    assert again.status_code == 200 and again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Content-Type"] == first.headers["Content-Type"]
    assert Vote.query.count() == 1 and db.session.get(Proposal, p.id).vote_count == 1
    assert client.post(url, headers=headers(secret)).status_code == 409  # without a key: the rule answers


def test_a_retried_pledge_counts_once_and_replays_the_first_answer(client, app):
    user = f.eligible_owner()
    secret = token(user)
    live = f.open_campaign()
    url = f"/api/v1/campaigns/{live.id}/pledges"
    body = {"vehicle_id": user.vehicles[0].id}
    first = client.post(url, headers=headers(secret, "pledge 7"), json=body)
    assert first.status_code == 201, first.get_data(as_text=True)
    again = client.post(url, headers=headers(secret, "pledge 7"), json=body)
    assert again.status_code == 201 and again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Pledge.query.count() == 1


def test_a_retried_proposal_with_the_same_json_in_another_order_is_the_same_request(client, voter):
    _user, secret = voter
    body = {"title": "Rear seat USB-C", "body": "Please add USB-C ports for the rear seats.", "category": "comfort"}
    first = client.post("/api/v1/proposals", headers=headers(secret, "p-1"), json=body)
    assert first.status_code == 201, first.get_data(as_text=True)
    reordered = dict(reversed(list(body.items())))
    again = client.post("/api/v1/proposals", headers=headers(secret, "p-1"), json=reordered)
    assert again.status_code == 201 and again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert Proposal.query.filter_by(title="Rear seat USB-C").count() == 1


def test_the_same_key_with_another_request_is_a_422_and_writes_nothing(client, voter):
    _user, secret = voter
    body = {"title": "Rear seat USB-C", "body": "Please add USB-C ports for the rear seats.", "category": "comfort"}
    assert client.post("/api/v1/proposals", headers=headers(secret, "p-2"), json=body).status_code == 201
    other = client.post("/api/v1/proposals", headers=headers(secret, "p-2"), json={**body, "title": "Other"})
    assert other.status_code == 422
    assert set(other.json["error"]) == {"code", "message", "fields"}
    assert other.json["error"]["code"] == "validation_failed" and "Idempotency-Key" in other.json["error"]["fields"]
    p = f.proposal()
    elsewhere = client.post(f"/api/v1/proposals/{p.id}/vote", headers=headers(secret, "p-2"))
    assert elsewhere.status_code == 422
    assert Proposal.query.count() == 2 and Vote.query.count() == 0


def test_a_retry_while_the_first_still_runs_is_a_409_and_the_vote_counts_once(client, voter, app, monkeypatch):
    _user, secret = voter
    p = f.proposal()
    url = f"/api/v1/proposals/{p.id}/vote"
    inside, release = threading.Event(), threading.Event()
    real_vote = service.vote

    def slow_vote(user, proposal):
        inside.set()
        assert release.wait(30)
        return real_vote(user, proposal)

    monkeypatch.setattr(service, "vote", slow_vote)
    answers = {}

    def first():
        answers["first"] = app.test_client().post(url, headers=headers(secret, "slow"))

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert inside.wait(30)  # the first request holds the key and is inside the vote
        second = client.post(url, headers=headers(secret, "slow"))
        assert second.status_code == 409 and second.json["error"]["code"] == "conflict"
        assert "still being processed" in second.json["error"]["message"]
    finally:
        release.set()
        thread.join(30)
    assert answers["first"].status_code == 200
    third = client.post(url, headers=headers(secret, "slow"))
    assert third.get_data() == answers["first"].get_data() and third.headers["Idempotent-Replayed"] == "true"
    assert Vote.query.count() == 1 and db.session.get(Proposal, p.id).vote_count == 1


def test_the_database_refuses_a_second_row_for_the_same_token_and_key(app, voter):
    token_id = ApiToken.query.one().id
    now = utcnow()
    for _ in range(2):
        db.session.add(IdempotencyKey(token_id=token_id, key="k", request_hash="0" * 64, expires_at=now))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_keys_are_kept_per_token(client, voter):
    _user, secret = voter
    other_secret = token(f.owner())
    p = f.proposal()
    url = f"/api/v1/proposals/{p.id}/vote"
    assert client.post(url, headers=headers(secret, "same")).json == {"vote_count": 1, "voted": True}
    theirs = client.post(url, headers=headers(other_secret, "same"))
    assert theirs.json == {"vote_count": 2, "voted": True} and "Idempotent-Replayed" not in theirs.headers
    assert Vote.query.count() == 2 and IdempotencyKey.query.count() == 2


def test_a_key_expires_after_24_hours_and_the_job_purges_it(client, voter, app):
    _user, secret = voter
    body = {"title": "Rear seat USB-C", "body": "Please add USB-C ports for the rear seats.", "category": "comfort"}
    assert client.post("/api/v1/proposals", headers=headers(secret, "daily"), json=body).status_code == 201
    row = IdempotencyKey.query.one()
    assert timedelta(hours=23, minutes=59) < row.expires_at - row.created_at <= timedelta(hours=24)
    assert idempotency.purge_expired() == 0
    assert idempotency.purge_expired(now=utcnow() + timedelta(hours=24, seconds=1)) == 1
    assert IdempotencyKey.query.count() == 0
    # an expired key not yet purged counts as new: the request runs again
    assert client.post("/api/v1/proposals", headers=headers(secret, "daily"), json=body).status_code == 201
    IdempotencyKey.query.update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    again = client.post("/api/v1/proposals", headers=headers(secret, "daily"), json={**body, "title": "Another"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again.headers
    assert Proposal.query.count() == 3
    IdempotencyKey.query.update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    assert "done (1)" in jobs.run_periodic("idempotency-purge")
    assert IdempotencyKey.query.count() == 0
    assert "already claimed" in jobs.run_periodic("idempotency-purge")


@pytest.mark.parametrize("key", ["", " lead", "trail ", "x" * 256, "caf\u00e9", "tab\there"])
def test_a_malformed_key_is_a_422_and_nothing_runs(client, voter, key):
    _user, secret = voter
    p = f.proposal()
    resp = client.post(f"/api/v1/proposals/{p.id}/vote", headers=headers(secret, key))
    assert resp.status_code == 422 and "Idempotency-Key" in resp.json["error"]["fields"]
    assert Vote.query.count() == 0 and IdempotencyKey.query.count() == 0


def test_the_longest_key_and_inner_spaces_are_accepted(client, voter):
    _user, secret = voter
    p = f.proposal()
    assert client.post(f"/api/v1/proposals/{p.id}/vote", headers=headers(secret, "~" * 255)).status_code == 200
    q = f.proposal()
    assert client.post(f"/api/v1/proposals/{q.id}/vote", headers=headers(secret, "a b!")).status_code == 200


def test_a_refusal_is_kept_and_replayed(client, voter):
    _user, secret = voter
    p = f.proposal()
    service.change_status(p, "declined", f.moderator(), note_en="No")
    url = f"/api/v1/proposals/{p.id}/vote"
    first = client.post(url, headers=headers(secret, "closed"))
    assert first.status_code == 409
    again = client.post(url, headers=headers(secret, "closed"))
    assert again.status_code == 409 and again.get_data() == first.get_data()
    assert again.headers["Idempotent-Replayed"] == "true"


def test_a_server_error_is_not_kept_so_the_retry_runs(make_app, monkeypatch):
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        user = f.owner()
        secret = token(user)
        p = f.proposal()
        real_vote = service.vote
        calls = []

        def failing_once(who, proposal):
            calls.append(1)
            if len(calls) == 1:
                raise RuntimeError("the database went away mid-vote")
            return real_vote(who, proposal)

        monkeypatch.setattr(service, "vote", failing_once)
        client = app.test_client()
        url = f"/api/v1/proposals/{p.id}/vote"
        assert client.post(url, headers=headers(secret, "retry-me")).status_code == 500
        assert IdempotencyKey.query.count() == 0
        retried = client.post(url, headers=headers(secret, "retry-me"))
        assert retried.status_code == 200 and "Idempotent-Replayed" not in retried.headers
        assert Vote.query.count() == 1


def test_an_exception_past_every_handler_releases_the_key(client, voter, monkeypatch):
    _user, secret = voter
    p = f.proposal()

    def broken(who, proposal):
        raise RuntimeError("boom")

    monkeypatch.setattr(service, "vote", broken)
    with pytest.raises(RuntimeError):
        client.post(f"/api/v1/proposals/{p.id}/vote", headers=headers(secret, "boom"))
    assert IdempotencyKey.query.count() == 0


def test_a_claim_whose_request_died_is_taken_over_after_the_lease(client, voter):
    _user, secret = voter
    p = f.proposal()
    url = f"/api/v1/proposals/{p.id}/vote"
    client.post(url, headers=headers(secret, "died"))  # stored; make it look like a claim that never answered
    Vote.query.delete()
    Proposal.query.filter_by(id=p.id).update({"vote_count": 0})
    IdempotencyKey.query.update({"status_code": None, "response_body": None, "locked_at": utcnow()})
    db.session.commit()
    assert client.post(url, headers=headers(secret, "died")).status_code == 409  # within the lease
    IdempotencyKey.query.update({"locked_at": utcnow() - timedelta(seconds=301)})
    db.session.commit()
    taken = client.post(url, headers=headers(secret, "died"))
    assert taken.status_code == 200 and taken.json == {"vote_count": 1, "voted": True}
    assert client.post(url, headers=headers(secret, "died")).headers["Idempotent-Replayed"] == "true"


def test_an_anonymous_caller_with_a_key_gets_the_endpoints_401(client):
    p = f.proposal()
    assert client.post(f"/api/v1/proposals/{p.id}/vote", headers={"Idempotency-Key": "x"}).status_code == 401
    assert IdempotencyKey.query.count() == 0


def test_every_write_operation_documents_the_header(client):
    spec = client.get("/api/v1/openapi.json").json
    param = spec["components"]["parameters"]["IdempotencyKey"]
    assert param["in"] == "header" and param["name"] == "Idempotency-Key"
    assert param["schema"]["maxLength"] == 255
    writes = [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()
              if method in ("post", "put", "patch", "delete")]
    assert len(writes) > 20
    for path, method, op in writes:
        assert {"$ref": "#/components/parameters/IdempotencyKey"} in op["parameters"], (method, path)
        assert {"409", "422"} <= set(op["responses"]), (method, path)
    for ops in spec["paths"].values():
        if "get" in ops:
            assert {"$ref": "#/components/parameters/IdempotencyKey"} not in ops["get"].get("parameters", [])
