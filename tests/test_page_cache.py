"""The page cache (community.cache): cached pages change the moment the data does, hidden content leaves at
once, and nobody sees another visitor's state or token. Each test runs on the in-process cache and again on
Redis (TEST_REDIS_URL, default redis://127.0.0.1:6379/0, a random key prefix per app; skipped when no Redis
answers there)."""
from __future__ import annotations

import os
import re
import secrets

import pytest

from community import cache as page_cache
from community.moderation import service as moderation
from community.proposals import service
from tests import factories as f

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _redis_answers() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5).ping())
    except Exception:  # noqa: BLE001
        return False


@pytest.fixture(params=["memory", "redis"])
def app(request, make_app):
    overrides = {}
    if request.param == "redis":
        if not _redis_answers():
            pytest.skip(f"no Redis at {REDIS_URL}")
        overrides = {"REDIS_URL": REDIS_URL, "CACHE_KEY_PREFIX": f"cc-test-{secrets.token_hex(6)}:"}
    app = make_app(**overrides)
    with app.app_context():
        yield app


def _stored(app) -> bool:
    return app.extensions["page_cache_enabled"]


def _count(body: str) -> str:
    return re.search(r'id="vote-count">(\d+)<', body).group(1)


def test_the_cache_is_on_and_serves_a_second_visit_without_the_database(app, client):
    from sqlalchemy import event

    from community.extensions import db

    p = f.proposal(title="Cached once")
    assert _stored(app)
    client.get(f"/proposals/{p.id}")
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        body = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert "Cached once" in body and statements == []


def test_a_vote_shows_at_once_on_the_cached_list_and_detail(app, client, make_app):
    p = f.proposal(title="Wireless CarPlay")
    first = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert _count(first) == "0"
    assert client.get("/?sort=top").get_data(as_text=True).count("Wireless CarPlay") == 1
    voter_client = app.test_client()
    voter = f.owner()
    with voter_client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = voter.get_id(), True
    assert voter_client.post(f"/proposals/{p.id}/vote").status_code == 302
    assert _count(client.get(f"/proposals/{p.id}").get_data(as_text=True)) == "1"
    assert re.search(r'class="vote-count">1<', client.get("/?sort=top").get_data(as_text=True))
    service.withdraw_vote(voter, p)
    assert _count(client.get(f"/proposals/{p.id}").get_data(as_text=True)) == "0"


def test_a_status_change_shows_at_once_on_list_detail_timeline_and_feed(app, client):
    p = f.proposal(title="Battery preconditioning")
    for path in ("/", f"/proposals/{p.id}", "/timeline", "/timeline.atom"):
        client.get(path)
    badge = ">Under review</span>"
    assert badge not in client.get("/").get_data(as_text=True)
    service.change_status(p, "under_review", f.moderator(), note_en="The team is looking at it")
    assert badge in client.get("/").get_data(as_text=True)
    assert badge in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "The team is looking at it" in client.get("/timeline").get_data(as_text=True)
    assert "The team is looking at it" in client.get("/timeline.atom").get_data(as_text=True)


def test_hidden_content_leaves_cached_pages_at_once(app, client, auth):
    p = f.proposal(title="Spam proposal")
    keep = f.proposal(title="Kept proposal")
    c = f.comment(keep, body="Rude comment here")
    f.milestone(p, text_en="Milestone of the spam")
    reader = f.owner()
    readers = [client, app.test_client()]
    with readers[1].session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = reader.get_id(), True  # logged in: the shared fragments
    for r in readers:
        for path in ("/", f"/proposals/{p.id}", f"/proposals/{keep.id}", "/timeline", "/timeline.atom"):
            assert r.get(path).status_code == 200
    mod = f.moderator()
    moderation.set_hidden(mod, "proposal", p.id, True, "Spam, hidden by a moderator")
    moderation.set_hidden(mod, "comment", c.id, True, "Rude, hidden by a moderator")
    for r in readers:
        assert "Spam proposal" not in r.get("/").get_data(as_text=True)
        assert r.get(f"/proposals/{p.id}").status_code == 404
        assert "Rude comment here" not in r.get(f"/proposals/{keep.id}").get_data(as_text=True)
        assert "Milestone of the spam" not in r.get("/timeline").get_data(as_text=True)
        assert "Milestone of the spam" not in r.get("/timeline.atom").get_data(as_text=True)
    moderation.set_hidden(mod, "comment", c.id, False, "Restored after review")
    assert "Rude comment here" in client.get(f"/proposals/{keep.id}").get_data(as_text=True)


def test_nobody_sees_another_visitors_vote_name_or_tools(app, client):
    p = f.proposal(title="Heat pump")
    voter, other, mod = f.owner(display_name="Voter Vivian"), f.owner(display_name="Other Otto"), f.moderator()
    service.vote(voter, p)

    def as_user(user):
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = user.get_id(), True
        return c

    f.comment(p, body="A comment to report")
    mod_page = as_user(mod).get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Moderator: hide this proposal" in mod_page
    voter_page = as_user(voter).get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="unvote"' in voter_page and "Voter Vivian" in voter_page
    other_page = as_user(other).get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="vote"' in other_page and 'id="unvote"' not in other_page
    assert "Voter Vivian" not in other_page and "Other Otto" in other_page
    assert "Moderator:" not in other_page and ">Hide<" not in other_page
    assert "Report" in other_page  # may report: the shared variant for reporters
    anonymous = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Log in to vote" in anonymous
    for name in ("Voter Vivian", "Other Otto", "Report", "Moderator:"):
        assert name not in anonymous
    assert "Voter Vivian" not in client.get("/").get_data(as_text=True)


def test_reading_a_page_starts_no_session_and_the_language_switch_is_checked_by_origin(make_app):
    """Anonymous pages carry no CSRF token, so a first-time reader gets no cookie (a cached page is answered
    without signing anything). Their one form, the language switch, is accepted from our own pages
    (Sec-Fetch-Site, else Origin, else Referer) and refused from another site or with no word at all; a
    logged-in visitor's switch still needs the token their page carries."""
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        p = f.proposal(title="Token test")
        for path in ("/", f"/proposals/{p.id}", "/timeline"):
            for _ in range(3):  # the miss, then hits (before the hooks from the second on)
                r = app.test_client().get(path)
                body = r.get_data(as_text=True)
                assert r.status_code == 200 and "Set-Cookie" not in r.headers
                assert 'name="csrf_token"' not in body
                assert page_cache.CSRF_PLACEHOLDER not in body
        c = app.test_client()
        for headers in ({"Sec-Fetch-Site": "same-origin"}, {"Origin": "http://localhost"},
                        {"Referer": f"http://localhost/proposals/{p.id}"}):
            switched = c.post("/lang/en", data={"next": "/"}, headers=headers)
            assert switched.status_code == 302, headers
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"},
                        {"Referer": "https://evil.example/x"}, {"Origin": "null"}, {},
                        {"Sec-Fetch-Site": "cross-site", "Origin": "http://localhost"}):
            assert c.post("/lang/zh", data={"next": "/"}, headers=headers).status_code == 400, headers
        assert c.post("/lang/zh", data={"csrf_token": "forged", "next": "/"},
                      headers={"Sec-Fetch-Site": "same-origin"}).status_code == 400
        member = app.test_client()
        owner = f.owner(display_name="Switching Sam")
        with member.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = owner.get_id(), True
        page = member.get("/").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        assert member.post("/lang/en", data={"next": "/"}, headers={"Sec-Fetch-Site": "same-origin"}
                           ).status_code == 400  # logged in: the token, not only the origin
        assert member.post("/lang/en", data={"csrf_token": token, "next": "/"}).status_code == 302


def test_conditional_requests_get_304_until_the_page_changes(app, client):
    p = f.proposal(title="Etag proposal")
    for path in (f"/proposals/{p.id}", "/", "/timeline.atom", "/announcements.atom"):
        first = client.get(path)
        assert first.headers.get("ETag") and first.headers.get("Last-Modified")
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""
    etag = client.get(f"/proposals/{p.id}").headers["ETag"]
    service.vote(f.owner(), p)
    changed = client.get(f"/proposals/{p.id}", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and _count(changed.get_data(as_text=True)) == "1"


def test_a_failed_write_leaves_versions_alone_and_a_commit_bumps_them(app):
    p = f.proposal()
    scopes = page_cache.detail_scopes(p.id)
    before = page_cache.versions(scopes)
    with pytest.raises(Exception):  # noqa: B017  (a refused vote: PermissionDenied)
        service.vote(f.UserFactory(), p)
    assert page_cache.versions(scopes) == before
    service.vote(f.owner(), p)
    after = page_cache.versions(scopes)
    assert after[2] != before[2] and after[:2] == before[:2]  # only this proposal's pages


def test_the_stale_window_closes_with_the_writers_commit(app, client):
    """A page built from data read before a write is stored under the versions read before it: once the
    writer's commit has returned, no reader gets it."""
    p = f.proposal(title="Race")
    scopes = page_cache.detail_scopes(p.id)
    old = page_cache.versions(scopes)
    service.vote(f.owner(), p)  # commits, then bumps
    assert page_cache.versions(scopes) != old
    assert _count(client.get(f"/proposals/{p.id}").get_data(as_text=True)) == "1"


def test_a_broken_cache_backend_still_serves_pages(app, client, monkeypatch):
    p = f.proposal(title="Still served")

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(page_cache.cache, "get_many", broken)
    monkeypatch.setattr(page_cache.cache, "set_many", broken)
    assert "Still served" in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    service.vote(f.owner(), p)  # the bump fails after the commit: logged, the vote stands
    assert p.vote_count == 1


def test_switching_language_never_revalidates_the_other_languages_copy(app, client):
    """A browser that holds the zh list and switches to English must get the English page, not a 304."""
    f.proposal(title="Language proposal")
    assert client.post("/lang/zh").status_code == 302
    zh = client.get("/")
    assert zh.status_code == 200 and "提案" in zh.get_data(as_text=True)
    assert client.post("/lang/en").status_code == 302
    en = client.get("/", headers={"If-None-Match": zh.headers["ETag"]})
    assert en.status_code == 200 and "Proposals" in en.get_data(as_text=True)


def _nonces(body: str) -> set[str]:
    return set(re.findall(r'nonce="([^"]+)"', body))


def test_a_stored_page_served_before_the_hooks_carries_the_hooks_headers_and_its_own_nonce(app, make_app):
    """Anonymous hits are answered in front of Flask (community.front): each response still has the security
    headers, a request id and a CSP nonce of its own that matches the nonces in the page; a first-time visitor
    gets no session cookie (anonymous pages hold no CSRF token)."""
    p = f.proposal(title="Served early")
    front = app.wsgi_app
    flask_app, reached = front.wsgi_app, []

    def counted(environ, start_response):
        reached.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    front.wsgi_app = counted
    try:
        seen = []
        for _ in range(4):
            visitor = app.test_client()  # a first-time visitor each time
            r = visitor.get(f"/proposals/{p.id}")
            body = r.get_data(as_text=True)
            csp = r.headers["Content-Security-Policy"]
            nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
            assert "Served early" in body and _nonces(body) == {nonce}
            assert r.headers["X-Frame-Options"] == "DENY" and r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers.get("X-Request-ID") and "Set-Cookie" not in r.headers
            assert r.headers["Content-Type"] == "text/html; charset=utf-8"
            assert page_cache.CSRF_PLACEHOLDER not in body and page_cache.NONCE_PLACEHOLDER not in body
            seen.append(nonce)
    finally:
        front.wsgi_app = flask_app
    assert len(set(seen)) == 4
    assert len(reached) == 1, "later visits are answered before Flask"


def test_pages_served_before_the_hooks_stay_anonymous_and_fresh(app, client):
    """A logged-in visitor, or one with a message waiting, never gets the early answer; a vote shows at
    once on it."""
    p = f.proposal(title="Early and fresh")
    for _ in range(3):
        anonymous = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Log in to vote" in anonymous and _count(anonymous) == "0"
    voter = f.owner(display_name="Early Voter")
    member = app.test_client()
    with member.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = voter.get_id(), True
    assert member.post(f"/proposals/{p.id}/vote").status_code == 302
    page = member.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="unvote"' in page and "Early Voter" in page
    again = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert _count(again) == "1" and "Early Voter" not in again and "Log in to vote" in again
    with client.session_transaction() as sess:
        sess["_flashes"] = [("info", "A message for this visitor only")]
    assert "A message for this visitor only" in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "A message for this visitor only" not in app.test_client().get(f"/proposals/{p.id}").get_data(as_text=True)


def test_a_logged_in_detail_page_is_two_statements_and_shows_each_viewer_their_own_vote_and_follow(app):
    """The user (roles, cars, facts) and the proposal with the viewer's vote and follow: one statement each.
    The versions of the page's fragments are read once for the request (one Redis round trip)."""
    from sqlalchemy import event

    from community.extensions import db
    from community.notifications import service as notifications

    p = f.proposal(title="Seat ventilation")
    voter, other = f.owner(), f.owner()
    service.vote(voter, p)  # votes and follows
    clients = {}
    for user in (voter, other):
        c = clients[user.id] = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = user.get_id(), True
        c.get(f"/proposals/{p.id}")  # fills the fragments
    statements, reads = [], []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    real = page_cache._read_versions
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        page_cache._read_versions = lambda scopes: reads.append(scopes) or real(scopes)
        voter_page = clients[voter.id].get(f"/proposals/{p.id}").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
        page_cache._read_versions = real
    assert len(statements) == 2, statements
    assert len(reads) == 1
    assert 'id="unvote"' in voter_page and 'id="unfollow"' in voter_page
    other_page = clients[other.id].get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="vote"' in other_page and 'id="follow"' in other_page and 'id="unvote"' not in other_page
    # a change shows on the next request, and a commit inside a request forgets what it had read
    service.vote(other, p)
    other_page = clients[other.id].get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="unvote"' in other_page and 'id="unfollow"' in other_page and _count(other_page) == "2"
    notifications.unfollow(voter, p.id)
    assert 'id="follow"' in clients[voter.id].get(f"/proposals/{p.id}").get_data(as_text=True)
    with app.test_request_context():
        from flask_login import login_user

        login_user(voter)
        loaded = service.get_visible(p.id, viewer=voter)
        assert service.has_voted(voter, loaded)
        service.withdraw_vote(voter, loaded)
        assert not service.has_voted(voter, service.get_visible(p.id, viewer=voter))


def test_the_api_detail_says_whether_this_caller_voted(app):
    p = f.proposal(title="Trailer mode")
    voter, other = f.owner(), f.owner()
    service.vote(voter, p)
    for user, voted in ((voter, True), (other, False), (voter, True)):
        c = app.test_client()
        with c.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = user.get_id(), True
        assert c.get(f"/api/v1/proposals/{p.id}").json["voted"] is voted


def test_a_vote_by_address_never_loads_the_proposal_and_answers_404_for_a_hidden_one(app, client):
    from community.api.tokens import create_token
    from community.extensions import db

    p, hidden = f.proposal(title="Open one"), f.proposal(title="Hidden one")
    moderation.set_hidden(f.moderator(), "proposal", hidden.id, True, "Spam, hidden by a moderator")
    voter = f.owner()
    web = app.test_client()
    with web.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = voter.get_id(), True
    assert web.post(f"/proposals/{hidden.id}/vote").status_code == 404
    assert web.post("/proposals/999999/vote").status_code == 404
    assert web.post(f"/proposals/{p.id}/vote").status_code == 302
    assert web.post(f"/proposals/{p.id}/vote", headers={"Accept": "application/json"}).status_code == 409
    secret = create_token(f.owner(), "t", "write", 30)[1]
    db.session.commit()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert client.post(f"/api/v1/proposals/{hidden.id}/vote", headers=bearer).status_code == 404
    resp = client.post(f"/api/v1/proposals/{p.id}/vote", headers=bearer)
    assert resp.status_code == 200 and resp.json == {"vote_count": 2, "voted": True}
    assert client.post(f"/api/v1/proposals/{p.id}/vote", headers=bearer).status_code == 409
    assert _count(client.get(f"/proposals/{p.id}").get_data(as_text=True)) == "2"
    closed = f.proposal(title="Closed one")
    closed.status = "declined"
    db.session.commit()
    resp = client.post(f"/api/v1/proposals/{closed.id}/vote", headers=bearer)
    assert resp.status_code == 409 and "closed" in resp.json["error"]["message"]
    assert db.session.get(type(closed), closed.id).vote_count == 0


def _as(app, user):
    c = app.test_client()
    with c.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = user.get_id(), True
    return c


def _early_answers(monkeypatch) -> list[bool]:
    """Record, per request, whether ``fast_hit`` answered it (before the hooks)."""
    calls: list[bool] = []
    real = page_cache.fast_hit

    def counted():
        response = real()
        calls.append(response is not None)
        return response

    monkeypatch.setattr(page_cache, "fast_hit", counted)
    return calls


def test_members_get_the_stored_list_and_timeline_with_their_own_bar(app, client, monkeypatch):
    """The list and the timeline show a member nothing of their own but the navigation bar: they are served
    the stored page with their name, role menus, unread badge and CSRF token put in, never someone else's."""
    from community.extensions import db
    from community.notifications import service as notifications

    p = f.proposal(title="Shared list")
    alice, mod = f.owner(display_name="Alice Member"), f.moderator(display_name="Mod Member")
    client.get("/?sort=top"), client.get("/timeline")  # stored by an anonymous visit
    early = _early_answers(monkeypatch)
    as_alice, as_mod = _as(app, alice), _as(app, mod)
    for path in ("/?sort=top", "/timeline"):
        for _ in range(3):
            r = as_alice.get(path)
            page = r.get_data(as_text=True)
            assert r.status_code == 200 and "Alice Member" in page and "Mod Member" not in page
            assert "Log in" not in page and ">Moderation<" not in page
            assert page_cache.NAV_PLACEHOLDER not in page and page_cache.CSRF_PLACEHOLDER not in page
            tokens = set(re.findall(r'name="csrf_token" value="([^"]+)"', page))
            assert len(tokens) == 1  # the log-out form's, this session's own
            assert "ETag" not in r.headers and "private" in r.headers["Cache-Control"]
        mod_page = as_mod.get(path).get_data(as_text=True)
        assert "Mod Member" in mod_page and ">Moderation<" in mod_page and "Alice Member" not in mod_page
        anonymous = client.get(path).get_data(as_text=True)
        assert "Log in" in anonymous and "Alice Member" not in anonymous and "Mod Member" not in anonymous
    assert "Shared list" in as_alice.get("/?sort=top").get_data(as_text=True)
    assert any(early), "members are answered from the stored page before the hooks"

    # Her own vote and a new notification show at once on the stored page.
    service.vote(alice, p)
    notifications.fan_out(notifications.notify_user(alice.id, "status_change", "已更新", "Updated"))
    db.session.commit()
    page = as_alice.get("/?sort=top").get_data(as_text=True)
    assert 'class="vote-count">1<' in page and "Shared list" in page
    assert re.search(r'badge rounded-pill[^>]*>1<', page)
    assert not re.search(r'badge rounded-pill[^>]*>\d', as_mod.get("/?sort=top").get_data(as_text=True))


def test_a_member_page_from_the_store_respects_their_language_messages_and_log_out(app, client):
    from community.accounts import service as accounts
    from community.extensions import db

    english, chinese = f.owner(display_name="En Member", locale="en"), f.owner(display_name="Zh Member", locale="zh")
    client.get("/timeline")
    as_en, as_zh = _as(app, english), _as(app, chinese)
    for _ in range(2):
        assert '<html lang="en">' in as_en.get("/timeline").get_data(as_text=True)
        assert '<html lang="zh-CN">' in as_zh.get("/timeline").get_data(as_text=True)
    with as_en.session_transaction() as sess:
        sess["_flashes"] = [("info", "Only for En Member")]
    assert "Only for En Member" in as_en.get("/timeline").get_data(as_text=True)
    assert "Only for En Member" not in as_zh.get("/timeline").get_data(as_text=True)
    assert "Only for En Member" not in as_en.get("/timeline").get_data(as_text=True)  # shown once
    accounts.rotate_session(english)  # "log out everywhere": the cookie this client holds is dead
    db.session.commit()
    stale = as_en.get("/timeline").get_data(as_text=True)
    assert "En Member" not in stale and "Log in" in stale


def test_members_get_the_stored_proposal_page_with_their_own_vote_follow_and_comment_form(app, client, monkeypatch):
    """A proposal page is stored once for members like them (report links or not); their vote, follow, comment
    form (fresh tokens each time) and bar are put in per response. Staff pages are rendered whole."""
    p = f.proposal(title="Stored for members")
    voter, other, mod = f.owner(display_name="Voter Vera"), f.owner(display_name="Other Oleg"), f.moderator()
    service.vote(voter, p)  # votes and follows
    as_voter, as_other, as_mod = _as(app, voter), _as(app, other), _as(app, mod)
    as_voter.get(f"/proposals/{p.id}")  # stores the members' copy
    early = _early_answers(monkeypatch)
    seen_tokens = set()
    for _ in range(3):
        page = as_voter.get(f"/proposals/{p.id}").get_data(as_text=True)
        assert 'id="unvote"' in page and 'id="unfollow"' in page and 'id="vote"' not in page
        assert "Voter Vera" in page and "Other Oleg" not in page
        assert page_cache.HOLE not in page and page_cache.CSRF_PLACEHOLDER not in page
        seen_tokens |= set(re.findall(r'name="submission_token" type="hidden" value="([^"]+)"', page))
        assert len(set(re.findall(r'name="csrf_token" value="([^"]+)"', page))) == 1
    assert len(seen_tokens) == 3, "each page gets a submission token of its own"
    other_page = as_other.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="vote"' in other_page and 'id="follow"' in other_page and 'id="unvote"' not in other_page
    assert "Other Oleg" in other_page and "Voter Vera" not in other_page and "Report" in other_page
    assert any(early), "members are answered from the stored page before the hooks"
    mod_page = as_mod.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Moderator: hide this proposal" in mod_page
    assert "Moderator:" not in as_other.get(f"/proposals/{p.id}").get_data(as_text=True)
    anonymous = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Log in to vote" in anonymous and "Log in to comment" in anonymous and 'name="body"' not in anonymous

    # The stored form posts: its comment appears at once, and sending the same form twice adds it once.
    form = as_other.get(f"/proposals/{p.id}").get_data(as_text=True)
    fields = {"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', form).group(1),
              "submission_token": re.search(r'name="submission_token" type="hidden" value="([^"]+)"', form).group(1),
              "body": "Posted from a stored page"}
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for _ in range(2):
            assert as_other.post(f"/proposals/{p.id}/comments", data=fields).status_code in (302, 303)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    page = as_voter.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert page.count("Posted from a stored page") == 1
    # Votes change the card at once for the voter and the count for everyone.
    assert as_other.post(f"/proposals/{p.id}/vote").status_code == 302
    page = as_other.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="unvote"' in page and _count(page) == "2"
    assert _count(client.get(f"/proposals/{p.id}").get_data(as_text=True)) == "2"


def test_a_members_pages_reuse_one_signed_token_for_a_minute_and_it_validates(app, monkeypatch):
    """Signing a CSRF token per page cost an HMAC; a member's pages within a minute carry the same signed
    token (it validates on a post), and a new one is signed after that."""
    import time as real_time

    import flask_wtf.csrf

    member, p = f.owner(display_name="Token Tess"), f.proposal(title="Tokens")
    c = _as(app, member)
    follow = f"/proposals/{p.id}/follow"
    signed = []
    real_sign = flask_wtf.csrf.generate_csrf
    monkeypatch.setattr(flask_wtf.csrf, "generate_csrf", lambda *a, **k: signed.append(1) or real_sign(*a, **k))

    def token() -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', c.get("/timeline").get_data(as_text=True)).group(1)

    first, second = token(), token()
    assert first == second and len(signed) == 1
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert c.post(follow, data={"csrf_token": second, "on": "1"}).status_code in (302, 303)
        clock = real_time.monotonic() + 61
        monkeypatch.setattr(page_cache.time, "monotonic", lambda: clock)
        signed.clear()
        third = token()
        assert len(signed) == 1, "a minute later the token is signed again"
        assert c.post(follow, data={"csrf_token": third, "on": "0"}).status_code in (302, 303)
        assert c.post(follow, data={"csrf_token": "forged", "on": "1"}).status_code == 400
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


def _badge(page: str) -> str | None:
    found = re.search(r'badge rounded-pill[^>]*>(\d+)<', page)
    return found.group(1) if found else None


def test_a_member_served_from_the_store_is_loaded_once_and_every_write_about_them_shows_at_once(
        app, client, monkeypatch):
    """Pages served from the store take the member from this process's snapshot (no statement at all for the
    list), and a new role, a notification, a hide of what it was about, a vote and a blocked account each show
    on the very next page; a council term that merely runs out shows within SNAPSHOT_SECONDS."""
    from datetime import timedelta

    from sqlalchemy import bindparam, event, text

    from community.accounts import models as accounts
    from community.accounts.models import UserRole
    from community.council.models import CouncilTerm
    from community.dbtypes import utcnow
    from community.extensions import db
    from community.notifications import service as notifications

    p, other = f.proposal(title="Snapshot proposal"), f.proposal(title="Another proposal")
    alice, mod = f.owner(display_name="Alice Snapshot"), f.moderator()
    client.get("/"), client.get(f"/proposals/{p.id}")  # stored by anonymous visits
    as_alice = _as(app, alice)
    as_alice.get("/"), as_alice.get(f"/proposals/{p.id}")  # learns the headers, stores the members' copy
    early = _early_answers(monkeypatch)
    statements = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        for _ in range(3):
            assert "Alice Snapshot" in as_alice.get("/").get_data(as_text=True)
            assert 'id="vote"' in as_alice.get(f"/proposals/{p.id}").get_data(as_text=True)
        assert all(early), "members are answered from the stored page before the hooks"
        statements.clear()
        as_alice.get("/"), as_alice.get(f"/proposals/{p.id}")
        assert statements == [], "a member's stored pages read nothing from the database once loaded"
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)

    # A role granted elsewhere shows on the next page.
    db.session.add(UserRole(user_id=alice.id, role="moderator"))
    db.session.commit()
    assert ">Moderation<" in as_alice.get("/").get_data(as_text=True)
    db.session.execute(UserRole.__table__.delete().where(UserRole.user_id == alice.id,
                                                         UserRole.role == "moderator"))
    db.session.commit()
    assert ">Moderation<" not in as_alice.get("/").get_data(as_text=True)

    # A notification about the proposal shows at once; hiding the proposal takes it off the count at once.
    notifications.follow(alice, p.id)
    db.session.commit()
    event_ = notifications.notify_proposal_followers("status_change", p.id, "已更新", "Updated")
    db.session.commit()
    notifications.fan_out(event_)
    db.session.commit()
    assert _badge(as_alice.get("/").get_data(as_text=True)) == "1"
    assert 'id="unfollow"' in as_alice.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert _badge(as_alice.get(f"/proposals/{other.id}").get_data(as_text=True)) == "1"
    moderation.set_hidden(mod, "proposal", p.id, True, "Hidden while the snapshot is held")
    # (the other proposal's stored page is untouched by the hide: only her snapshot can be stale there)
    assert _badge(as_alice.get(f"/proposals/{other.id}").get_data(as_text=True)) is None
    moderation.set_hidden(mod, "proposal", p.id, False, "Restored")

    # Her vote shows on her card at once; another member's copy stays theirs.
    service.vote(alice, p)
    assert 'id="unvote"' in as_alice.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="vote"' in _as(app, f.owner()).get(f"/proposals/{p.id}").get_data(as_text=True)

    # A council term: appointing shows at once; running out (time passing, no write) within SNAPSHOT_SECONDS.
    f.council_term(alice)
    assert ">Council queue<" in as_alice.get("/").get_data(as_text=True)
    when = CouncilTerm.starts_at.type
    db.session.execute(text("UPDATE council_terms SET starts_at = :a, ends_at = :b WHERE user_id = :u").bindparams(
        bindparam("a", type_=when), bindparam("b", type_=when)),
        {"a": utcnow() - timedelta(days=3), "b": utcnow() - timedelta(days=1), "u": alice.id})
    db.session.commit()  # raw SQL: no version moves, as when a term's last day simply passes
    later = [0.0]
    real_clock = accounts.time.monotonic
    monkeypatch.setattr(accounts.time, "monotonic", lambda: real_clock() + later[0])
    page = as_alice.get("/").get_data(as_text=True)
    assert early[-1] and ">Council queue<" in page  # from the snapshot: shown until its deadline ...
    later[0] = accounts.SNAPSHOT_SECONDS + 1
    assert ">Council queue<" not in as_alice.get("/").get_data(as_text=True)  # ... and never after it

    # Blocked: no member page of hers is answered as before.
    alice = db.session.get(type(alice), alice.id)
    alice.is_blocked = True
    db.session.commit()
    assert ">Council queue<" not in as_alice.get("/").get_data(as_text=True)
    assert "Report" not in as_alice.get(f"/proposals/{p.id}").get_data(as_text=True)
