"""Stored API reads answered before the request hooks (community.api.early): every request still counts toward
the caller's rate limit, with the usual headers and 429; nobody sees another caller's ``voted``; a vote shows at
once."""
from __future__ import annotations

import re
import time

import pytest
from limits import parse

from community import front
from community.api import early, tokens
from community.extensions import db, limiter
from community.proposals import service
from tests import factories as f


@pytest.fixture
def served_early(monkeypatch):
    """A list of booleans, one per API request: whether it was answered before the request hooks, in front of
    Flask (``community.front``) or by ``early.hit``."""
    calls = []
    real_call, real_answer, real_hit = front.StoredPages.__call__, front.StoredPages._answer, early.hit

    def call(self, environ, start_response):
        if environ["PATH_INFO"].startswith("/api/"):
            calls.append(False)
        return real_call(self, environ, start_response)

    def answer(self, environ, started):
        found = real_answer(self, environ, started)
        if found is not None and environ["PATH_INFO"].startswith("/api/"):
            calls[-1] = True
        return found

    def hit():
        response = real_hit()
        if response is not None:
            calls[-1] = True
        return response

    monkeypatch.setattr(front.StoredPages, "__call__", call)
    monkeypatch.setattr(front.StoredPages, "_answer", answer)
    monkeypatch.setattr(early, "hit", hit)
    return calls


def _count(limit: str) -> int:
    """The limiter's own counter for the test client's address (127.0.0.1) in the API's shared bucket."""
    item = parse(limit)
    return limiter.storage.get(item.key_for(limiter._key_prefix, "ip:127.0.0.1", "api"))


def test_stored_reads_count_toward_the_rate_limit_with_its_headers_and_429(make_app, served_early):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="6 per minute")
    with app.app_context():
        p = f.proposal(title="Counted")
        client = app.test_client()
        remaining = []
        for path in ["/api/v1/proposals", f"/api/v1/proposals/{p.id}"] * 3:
            r = client.get(path)
            assert r.status_code == 200 and r.headers["X-RateLimit-Limit"] == "6"
            assert time.time() < int(r.headers["X-RateLimit-Reset"]) <= time.time() + 61
            assert 0 < int(r.headers["Retry-After"]) <= 60
            assert r.headers["X-Content-Type-Options"] == "nosniff" and r.headers.get("X-Request-ID")
            assert re.search(r"script-src 'self' 'nonce-[A-Za-z0-9_-]{20,}'", r.headers["Content-Security-Policy"])
            remaining.append(int(r.headers["X-RateLimit-Remaining"]))
        assert remaining == [5, 4, 3, 2, 1, 0]  # the usual path (first of each) and the early one: one counter
        assert served_early == [False, False, True, True, True, True]  # each read's first answer is the view's
        for _ in range(2):
            r = client.get("/api/v1/proposals")
            assert r.status_code == 429 and r.json["error"]["code"] == "rate_limited"
            assert r.headers["X-RateLimit-Remaining"] == "0" and int(r.headers["Retry-After"]) > 0
        assert _count("6 per minute") == 8  # each request once, the refused ones too


def test_a_token_or_a_session_never_gets_the_early_answer_nor_an_anonymous_voted(make_app, served_early):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="100 per minute")
    with app.app_context():
        p = f.proposal(title="Whose vote")
        voter, other = f.owner(), f.owner()
        voter_secret = tokens.create_token(voter, "phone", "write", 30)[1]
        other_secret = tokens.create_token(other, "phone", "write", 30)[1]
        db.session.commit()
        anonymous = app.test_client()
        path = f"/api/v1/proposals/{p.id}"
        assert [anonymous.get(path).json["voted"] for _ in range(3)] == [False] * 3
        assert served_early[-1]
        r = anonymous.post(f"{path}/vote", headers={"Authorization": f"Bearer {voter_secret}"})
        assert r.status_code == 200 and r.json == {"vote_count": 1, "voted": True}
        served_early.clear()
        for secret, voted in ((voter_secret, True), (other_secret, False), (voter_secret, True)):
            r = app.test_client().get(path, headers={"Authorization": f"Bearer {secret}"})
            assert r.json["voted"] is voted and r.json["vote_count"] == 1
        session = app.test_client()
        with session.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = voter.get_id(), True
        assert session.get(path).json["voted"] is True
        assert served_early == [False] * 4
        assert [anonymous.get(path).json["voted"] for _ in range(2)] == [False, False]
        assert served_early[-1]


def test_a_vote_shows_at_once_in_the_next_early_read(make_app, served_early):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="100 per minute")
    with app.app_context():
        p = f.proposal(title="Fresh count")
        client = app.test_client()
        for _ in range(2):
            assert client.get(f"/api/v1/proposals/{p.id}").json["vote_count"] == 0
            assert client.get("/api/v1/proposals").json["items"][0]["vote_count"] == 0
        secret = tokens.create_token(f.owner(), "phone", "write", 30)[1]
        db.session.commit()
        assert client.post(f"/api/v1/proposals/{p.id}/vote",
                           headers={"Authorization": f"Bearer {secret}"}).status_code == 200
        service.vote(f.owner(), p.id)  # and one by the service, as the web votes
        assert client.get(f"/api/v1/proposals/{p.id}").json["vote_count"] == 2
        assert client.get("/api/v1/proposals").json["items"][0]["vote_count"] == 2
        assert client.get(f"/api/v1/proposals/{p.id}").json["vote_count"] == 2
        assert served_early[2:4] == [True, True] and served_early[-1]  # before the vote and after it


def test_a_tokens_first_call_records_its_use_without_reading_its_owner_again(app):
    """Recording ``last_used_at`` (once per 5 minutes) is one UPDATE; the owner stays loaded for the vote."""
    from sqlalchemy import event

    proposal_id = f.proposal(title="First call").id
    secret = tokens.create_token(f.owner(), "phone", "write", 30)[1]
    db.session.commit()
    db.session.remove()
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split())[:40])

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        r = app.test_client().post(f"/api/v1/proposals/{proposal_id}/vote",
                                       headers={"Authorization": f"Bearer {secret}"})
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert r.status_code == 200 and r.json == {"vote_count": 1, "voted": True}
    assert sum(s.startswith("SELECT") for s in statements) == 1, statements  # the token with its owner
    assert sum(s.startswith("UPDATE api_tokens") for s in statements) == 1, statements
    from community.api.models import ApiToken

    assert db.session.scalars(db.select(ApiToken.last_used_at)).one() is not None


def test_a_tokens_requests_are_counted_once_in_its_bucket_with_the_headers_and_429(make_app):
    """Counted before the hooks (the token read once), Flask-Limiter skipping them: the same counter, headers
    and 429 as before; a session's caller is still counted by Flask-Limiter, in their own bucket."""
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="4 per minute")
    with app.app_context():
        p, voter = f.proposal(title="Token bucket"), f.owner()
        token, secret = tokens.create_token(voter, "phone", "write", 30)
        db.session.commit()
        client, auth = app.test_client(), {"Authorization": f"Bearer {secret}"}
        responses = [client.get("/api/v1/proposals", headers=auth), client.post(f"/api/v1/proposals/{p.id}/vote",
                     headers=auth), client.post(f"/api/v1/proposals/{p.id}/vote", headers=auth),
                     client.get(f"/api/v1/proposals/{p.id}", headers=auth)]
        assert [r.status_code for r in responses] == [200, 200, 409, 200] and responses[3].json["voted"] is True
        assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["3", "2", "1", "0"]
        assert all(r.headers["X-RateLimit-Limit"] == "4" and 0 < int(r.headers["Retry-After"]) <= 60
                   for r in responses)
        refused = client.get("/api/v1/me", headers=auth)
        assert refused.status_code == 429 and refused.headers["X-RateLimit-Remaining"] == "0"
        item = parse("4 per minute")
        assert limiter.storage.get(item.key_for(limiter._key_prefix, f"token:{token.id}", "api")) == 5
        member = app.test_client()
        with member.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = voter.get_id(), True
        r = member.get("/api/v1/me")
        assert r.status_code == 200 and r.headers["X-RateLimit-Remaining"] == "3"  # user:<id>, not the token's
        assert "X-RateLimit-Limit" not in client.get("/api/v1/openapi.json").headers  # never limited


def test_the_api_has_one_limit_the_early_count_knows(app):
    """``early`` counts the API's shared limit only: no API view may carry a limit of its own."""
    from flask_limiter.util import get_qualified_name

    from community.api import early

    views = [view for endpoint, view in app.view_functions.items() if endpoint.split(".")[0] in early.LIMITED]
    assert len(views) > 40 and early.LIMITED >= {"api_proposals", "api_me", "api_webhooks"}
    assert not {get_qualified_name(view) for view in views} & limiter._marked_for_limiting


def test_when_counting_early_fails_the_limiter_counts_as_before(make_app, monkeypatch):
    from redis.exceptions import ConnectionError as RedisDown

    def down(*_args, **_kwargs):
        raise RedisDown("down for this test")

    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with app.app_context():
        secret = tokens.create_token(f.owner(), "phone", "write", 30)[1]
        db.session.commit()
        monkeypatch.setattr(early, "hit_early", down)
        client = app.test_client()
        for auth in ({}, {"Authorization": f"Bearer {secret}"}):
            seen = [client.get("/api/v1/proposals", headers=auth) for _ in range(4)]
            assert [r.status_code for r in seen] == [200, 200, 200, 429]
            assert [r.headers["X-RateLimit-Remaining"] for r in seen] == ["2", "1", "0", "0"]
