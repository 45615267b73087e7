"""The JSON API: tokens and scopes, the same rules as the web, one error shape, cursors and ETags."""
import re
import time
from datetime import timedelta

import pytest

from community.api import tokens
from community.api.models import ApiToken
from community.dbtypes import utcnow
from community.extensions import db
from community.proposals import service
from community.proposals.models import Vote
from tests import factories as f


def bearer(secret):
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def owner_token(app):
    user = f.owner()
    _, secret = tokens.create_token(user, "phone", "write", 30)
    return user, secret


def test_token_is_stored_hashed_and_shown_once(client, auth, app):
    user = f.owner()
    auth.login(user)
    resp = client.post("/settings/tokens", data={"name": "phone", "scope": "write", "days": "30"})
    secret = resp.get_data(as_text=True).split('id="new-token">')[1].split("<")[0]
    assert secret.startswith("cc_")
    row = ApiToken.query.one()
    assert secret not in (row.token_hash, row.prefix) and row.prefix == secret[:10]
    assert secret not in client.get("/settings/tokens").get_data(as_text=True)
    assert client.get("/api/v1/me", headers=bearer(secret)).json["email"] == user.email


def test_revoked_and_expired_tokens_are_refused(client, owner_token):
    user, secret = owner_token
    assert client.get("/api/v1/me", headers=bearer(secret)).status_code == 200
    tokens.revoke_token(user, ApiToken.query.one().id)
    resp = client.get("/api/v1/me", headers=bearer(secret))
    assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    _, fresh = tokens.create_token(user, "old", "read", 1)
    ApiToken.query.filter_by(name="old").update({"expires_at": utcnow() - timedelta(seconds=1)})
    db.session.commit()
    assert client.get("/api/v1/me", headers=bearer(fresh)).status_code == 401


def test_a_bearer_token_and_its_owner_are_one_statement(app, owner_token):
    """The token, its owner, the owner's roles and cars and the registered facts: one statement (the token's
    last use is written at most every 5 minutes, not on this read)."""
    from sqlalchemy import event

    user, secret = owner_token
    user_id = user.id
    assert tokens.resolve(secret) is not None  # writes last_used_at once
    db.session.remove()
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        with app.test_request_context("/api/v1/me"):
            token = tokens.resolve(secret)
            assert token.user.id == user_id and token.user.has_role("owner") and token.allows("write")
            assert not token.user.has_role("council_member")  # a fact read with the user
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(statements) == 1, statements
    assert tokens.resolve(secret[:-1] + ("x" if secret[-1] != "x" else "y")) is None


def test_someone_elses_token_cannot_be_revoked(app, owner_token):
    _, _secret = owner_token
    with pytest.raises(Exception, match="No such token"):
        tokens.revoke_token(f.owner(), ApiToken.query.one().id)
    assert ApiToken.query.one().revoked_at is None


def test_read_scope_cannot_write(client, app):
    user, p = f.owner(), f.proposal()
    _, secret = tokens.create_token(user, "ro", "read", None)
    resp = client.post(f"/api/v1/proposals/{p.id}/vote", headers=bearer(secret))
    assert resp.status_code == 403 and "write" in resp.json["error"]["message"]
    assert Vote.query.count() == 0
    assert client.get(f"/api/v1/proposals/{p.id}", headers=bearer(secret)).status_code == 200


def test_vote_and_withdraw_follow_the_web_rules(client, owner_token):
    _user, secret = owner_token
    p = f.proposal()
    url = f"/api/v1/proposals/{p.id}/vote"
    assert client.post(url, headers=bearer(secret)).json == {"vote_count": 1, "voted": True}
    again = client.post(url, headers=bearer(secret))
    assert again.status_code == 409 and again.json["error"]["code"] == "conflict"
    assert client.delete(url, headers=bearer(secret)).json == {"vote_count": 0, "voted": False}
    assert client.delete(url, headers=bearer(secret)).status_code == 409
    service.change_status(p, "declined", f.moderator(), note_en="No")
    closed = client.post(url, headers=bearer(secret))
    assert closed.status_code == 409 and "closed" in closed.json["error"]["message"]
    assert Vote.query.count() == 0


def test_unverified_user_cannot_vote_through_api(client, app):
    p = f.proposal()
    _, secret = tokens.create_token(f.UserFactory(), "x", "write", None)
    assert client.post(f"/api/v1/proposals/{p.id}/vote", headers=bearer(secret)).status_code == 403


def test_anonymous_writes_are_401_and_reads_are_public(client, app):
    p = f.proposal()
    assert client.post(f"/api/v1/proposals/{p.id}/vote").status_code == 401
    assert client.get(f"/api/v1/proposals/{p.id}").json["voted"] is False


def test_session_cookie_writes_need_csrf(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user, p = f.owner(), f.proposal()
        client = app.test_client()
        client.post("/login", data={"email": user.email, "password": f.PASSWORD})  # refused: no token either
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        resp = client.post(f"/api/v1/proposals/{p.id}/vote")
        assert resp.status_code == 400
        assert Vote.query.count() == 0
        _, secret = tokens.create_token(user, "t", "write", None)
        assert client.post(f"/api/v1/proposals/{p.id}/vote", headers=bearer(secret)).status_code == 200


def test_validation_errors_name_the_fields(client, owner_token):
    _, secret = owner_token
    resp = client.post("/api/v1/proposals", headers=bearer(secret), json={"title": "x" * 121, "body": "b",
                                                                          "category": "nope"})
    assert resp.status_code == 422
    assert set(resp.json["error"]["fields"]) == {"title", "category"}
    bad_vin = client.post("/api/v1/me/vehicles", headers=bearer(secret),
                          json={"model": "001", "model_year": 2024, "vin": "LZ5A1B2C0RN000001"})
    assert bad_vin.status_code == 422 and "vin" in bad_vin.json["error"]["fields"]


def test_create_proposal_and_add_vehicle(client, owner_token):
    _, secret = owner_token
    resp = client.post("/api/v1/proposals", headers=bearer(secret),
                       json={"title": "Rear USB-C", "body": "<script>x</script> **please**", "category": "vehicle"})
    assert resp.status_code == 201
    assert "<script>" not in resp.json["body_html"] and "<strong>please</strong>" in resp.json["body_html"]
    vin = f.make_vin(987654)
    car = client.post("/api/v1/me/vehicles", headers=bearer(secret), json={"model": "009", "model_year": 2024,
                                                                           "hardware": ["lidar"], "vin": vin})
    assert car.status_code == 201 and car.json["status"] == "pending"
    assert car.json["masked_vin"].endswith(vin[-4:]) and vin not in car.get_data(as_text=True)
    dup = client.post("/api/v1/me/vehicles", headers=bearer(secret), json={"model": "009", "model_year": 2024,
                                                                           "vin": vin})
    assert dup.status_code == 409


def test_cursor_pagination_walks_every_proposal_once(client, app):
    author = f.owner()
    ids = {f.proposal(author, title=f"Idea {i}").id for i in range(7)}
    seen, cursor = [], None
    while True:
        resp = client.get("/api/v1/proposals", query_string={"sort": "newest", "limit": 3, "cursor": cursor})
        seen += [p["id"] for p in resp.json["items"]]
        cursor = resp.json["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == sorted(ids) and len(seen) == len(set(seen))


def test_etag_gives_304_until_something_changes(client, owner_token):
    _, secret = owner_token
    p = f.proposal()
    first = client.get(f"/api/v1/proposals/{p.id}")
    etag = first.headers["ETag"]
    assert client.get(f"/api/v1/proposals/{p.id}", headers={"If-None-Match": etag}).status_code == 304
    client.post(f"/api/v1/proposals/{p.id}/vote", headers=bearer(secret))
    assert client.get(f"/api/v1/proposals/{p.id}", headers={"If-None-Match": etag}).status_code == 200


def test_timeline_lists_milestones_newest_first(client, app):
    p, mod = f.proposal(), f.moderator()
    service.change_status(p, "under_review", mod, note_en="Looking")
    service.post_milestone(p, mod, "progress_update", text_en="Halfway", progress_percent=50)
    items = client.get("/api/v1/timeline").json["items"]
    assert [m["kind"] for m in items] == ["progress_update", "status_change"]
    own = client.get(f"/api/v1/proposals/{p.id}/timeline").json
    assert own[0]["progress_percent"] == 50 and own[1]["status_to"] == "under_review"
    assert client.get("/api/v1/proposals/999/timeline").json["error"]["code"] == "not_found"


def test_hidden_proposal_is_gone_from_the_api(client, app):
    p = f.proposal()
    p.hidden_at = utcnow()
    db.session.commit()
    assert client.get(f"/api/v1/proposals/{p.id}").status_code == 404
    assert client.get("/api/v1/proposals").json["items"] == []


def test_openapi_document_and_docs_page(client):
    spec = client.get("/api/v1/openapi.json").json
    assert spec["openapi"].startswith("3.1")
    assert {"/api/v1/proposals", "/api/v1/proposals/{proposal_id}/vote", "/api/v1/me/vehicles"} <= set(spec["paths"])
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200 and b"/static/swagger-ui/swagger-ui-bundle.js" in docs.data
    assert client.get("/static/swagger-ui/swagger-ui-bundle.js").status_code == 200
    # every asset the docs page loads is served (the standalone preset was a 404 in the browser console)
    for asset in re.findall(r'(?:src|href)="(/static/swagger-ui/[^"]+)"', docs.get_data(as_text=True)):
        assert client.get(asset).status_code == 200, asset


def test_rate_limit_answers_429_with_retry_after(make_app):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        statuses = [client.get("/api/v1/proposals").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        resp = client.get("/api/v1/proposals")
        assert resp.json["error"]["code"] == "rate_limited" and int(resp.headers["Retry-After"]) > 0


def test_a_limited_request_is_one_redis_round_trip_and_its_headers_agree_with_the_count(make_app, monkeypatch):
    """The hit's script answers the count and the TTL (community.ratelimits): the headers do not read the
    counter again."""
    from limits.storage import RedisStorage

    from community.extensions import limiter
    from community.ratelimits import OneTripRedisStorage

    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="5 per minute")
    assert type(limiter.storage) is OneTripRedisStorage

    def no_second_trip(*_args, **_kwargs):
        raise AssertionError("the headers read Redis again")

    monkeypatch.setattr(RedisStorage, "get", no_second_trip)
    monkeypatch.setattr(RedisStorage, "get_expiry", no_second_trip)
    with app.app_context():
        client = app.test_client()
        seen = []
        for _ in range(3):
            r = client.get("/api/v1/proposals")
            reset = int(r.headers["X-RateLimit-Reset"])
            assert r.status_code == 200 and time.time() < reset <= time.time() + 61
            seen.append(int(r.headers["X-RateLimit-Remaining"]))
        assert seen == [4, 3, 2]
        statuses = [client.get("/api/v1/proposals").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_nul_characters_are_refused_everywhere_not_a_500(client, owner_token, auth):
    user, secret = owner_token
    resp = client.post("/api/v1/proposals", headers=bearer(secret),
                       json={"title": "ok", "body": "a\x00b", "category": "other"})
    assert resp.status_code == 422
    auth.login(user)
    assert client.post("/proposals/new", data={"title": "t\x00", "body": "b", "category": "other"}).status_code == 422
    assert client.get("/?q=%00").status_code == 422
    from community.proposals.models import Proposal
    assert Proposal.query.count() == 0


def test_api_errors_follow_accept_language(client):
    zh = client.get("/api/v1/proposals/12345", headers={"Accept-Language": "zh-CN"}).json["error"]["message"]
    en = client.get("/api/v1/proposals/12345", headers={"Accept-Language": "en"}).json["error"]["message"]
    assert en == "No such proposal." and zh != en
