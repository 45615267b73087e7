"""Stored pages answered in front of Flask (community.front): an anonymous visitor gets the same page, in their
language, with the same headers, log line and metrics as from Flask; anyone or anything else reaches Flask."""
from __future__ import annotations

import logging
import re

import pytest
from prometheus_client import REGISTRY

from community import front
from tests import factories as f


@pytest.fixture
def reached(app, monkeypatch):
    """The paths of the requests that reached Flask (the rest were answered in front of it)."""
    paths = []
    flask_app = app.wsgi_app.wsgi_app

    def counted(environ, start_response):
        paths.append(environ["PATH_INFO"])
        return flask_app(environ, start_response)

    monkeypatch.setattr(app.wsgi_app, "wsgi_app", counted)
    return paths


def _without_ids(headers) -> dict:
    """Headers that are the same for every anonymous visitor of a page (not its nonce or request id)."""
    return {k: re.sub(r"'nonce-[^']+'", "'nonce-'", v) for k, v in headers.items() if k != "X-Request-ID"}


def test_an_anonymous_visitor_gets_from_the_front_what_flask_gave(app, reached):
    p = f.proposal(title="Front page proposal")
    path = f"/proposals/{p.id}"
    first = app.test_client().get(path)  # Flask: renders and stores, learns the headers and the bar
    second = app.test_client().get(path)
    assert reached == [path]
    assert second.status_code == 200 and _without_ids(second.headers) == _without_ids(first.headers)
    nonce = re.compile(r'nonce="[^"]+"')
    assert nonce.sub("", second.get_data(as_text=True)) == nonce.sub("", first.get_data(as_text=True))
    head = app.test_client().head(path)
    assert head.status_code == 200 and head.data == b""
    assert head.headers["Content-Length"] == second.headers["Content-Length"]
    assert reached == [path]


def test_the_session_language_and_the_query_choose_the_stored_copy(app, client, reached):
    f.proposal(title="Bilingual")
    for _ in range(2):
        assert "Proposals" in app.test_client().get("/").get_data(as_text=True)  # the default (en in tests)
    assert client.post("/lang/zh", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 302
    pages = [client.get("/").get_data(as_text=True) for _ in range(3)]
    assert all("提案" in page and "Proposals" not in page for page in pages)
    assert "Proposals" in client.get("/?lang=en").get_data(as_text=True)
    assert reached.count("/") == 3  # the first visit of each copy (en, zh, ?lang=en); the rest in front
    tampered = app.test_client()
    tampered.set_cookie("session", client.get_cookie("session").value[:-3] + "abc")
    assert "Proposals" in tampered.get("/").get_data(as_text=True)  # a forged cookie is no session: the default
    assert reached.count("/") == 4  # ... as Flask decides


def test_members_messages_remember_cookies_tokens_and_long_urls_reach_flask(app, client, reached):
    p = f.proposal(title="Who reaches Flask")
    path = f"/proposals/{p.id}"
    for _ in range(2):
        client.get(path)
    assert reached == [path]
    member = app.test_client()
    with member.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = f.owner().get_id(), True
    member.get(path)
    with client.session_transaction() as sess:
        sess["_flashes"] = [("info", "Saved")]
    client.get(path)
    remembered = app.test_client()
    remembered.set_cookie("remember_token", "1|x")
    remembered.get(path)
    app.test_client().get(path, headers={"Authorization": "Bearer nothing"})
    long = app.test_client().get(path + "?" + "q=" + "x" * app.config["MAX_URL_BYTES"])
    assert long.status_code == 414
    assert len(reached) == 6


def test_a_front_answer_is_logged_and_counted(app, reached, caplog):
    p = f.proposal(title="Logged in front")
    path = f"/proposals/{p.id}"
    app.test_client().get(path)
    labels = {"endpoint": "proposals.detail", "method": "GET", "status": "200"}
    before = REGISTRY.get_sample_value("cocreate_http_requests_total", labels) or 0.0
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="community.request"):
        r = app.test_client().get(path, headers={"X-Request-ID": "req-from-nginx"})
    assert reached == [path] and r.headers["X-Request-ID"] == "req-from-nginx"
    line = [x for x in caplog.records if x.name == "community.request"][-1]
    assert (line.request_id, line.method, line.path, line.endpoint, line.status, line.user_id, line.remote_addr) == \
        ("req-from-nginx", "GET", path, "proposals.detail", 200, None, "127.0.0.1")
    assert REGISTRY.get_sample_value("cocreate_http_requests_total", labels) == before + 1


def test_a_vote_and_a_hide_show_at_once_in_front(app, reached):
    from community.moderation import service as moderation
    from community.proposals import service

    p = f.proposal(title="Counted in front")
    path = f"/proposals/{p.id}"
    for _ in range(2):
        assert 'id="vote-count">0<' in app.test_client().get(path).get_data(as_text=True)
        assert "Counted in front" in app.test_client().get("/").get_data(as_text=True)
    service.vote(f.owner(), p)
    assert 'id="vote-count">1<' in app.test_client().get(path).get_data(as_text=True)
    moderation.set_hidden(f.moderator(), "proposal", p.id, True, "Spam, hidden by a moderator")
    assert app.test_client().get(path).status_code == 404
    assert "Counted in front" not in app.test_client().get("/").get_data(as_text=True)


def test_the_layer_sits_inside_the_proxy_fix(make_app):
    from werkzeug.middleware.proxy_fix import ProxyFix

    behind = make_app(TRUSTED_PROXY_HOPS=1)
    assert isinstance(behind.wsgi_app, ProxyFix) and isinstance(behind.wsgi_app.app, front.StoredPages)
    assert isinstance(make_app().wsgi_app, front.StoredPages)


def test_a_forwarded_prefix_or_host_never_changes_the_links_others_get(make_app):
    """Links are built for the request's host and script root; a copy stored for one is never served for
    another (a client that sends its own X-Forwarded-Prefix or Host to a trusting app)."""
    app = make_app(TRUSTED_PROXY_HOPS=1)
    with app.app_context():
        f.milestone(f.proposal(title="Prefixed"), text_en="Work started.")
        for _ in range(2):
            assert 'href="/evil/' in app.test_client().get(
                "/timeline", headers={"X-Forwarded-Prefix": "/evil"}).get_data(as_text=True)
            assert "evil.example" in app.test_client().get(
                "/timeline.atom", headers={"Host": "evil.example"}).get_data(as_text=True)
        for _ in range(2):
            assert "/evil/" not in app.test_client().get("/timeline").get_data(as_text=True)
            assert "evil.example" not in app.test_client().get("/timeline.atom").get_data(as_text=True)


def test_an_expired_session_cookie_is_not_trusted_in_front(make_app):
    import time

    app = make_app(PERMANENT_SESSION_LIFETIME=1)
    with app.app_context():
        f.proposal(title="Short session")
        chooser = app.test_client()
        assert chooser.post("/lang/zh", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 302
        cookie = chooser.get_cookie("session").value
        for _ in range(3):
            assert "提案" in chooser.get("/").get_data(as_text=True)
        time.sleep(2.2)  # past the lifetime: Flask refuses the cookie, so the default language (en in tests)
        late = app.test_client()
        late.set_cookie("session", cookie)
        assert "Proposals" in late.get("/").get_data(as_text=True)


def test_with_the_cache_down_flask_alone_answers_for_a_while(app, reached, monkeypatch):
    """A failed read (Redis down) sends the request on to Flask, which serves the page uncached; the layer then
    stands aside for a few seconds, so visitors do not wait for a dead Redis twice."""
    from community import cache as page_cache

    p = f.proposal(title="Cache down")
    path = f"/proposals/{p.id}"
    for _ in range(2):
        app.test_client().get(path)
    assert reached == [path]
    front_layer, tried = app.wsgi_app, []
    real = front_layer._answer

    def answer(environ, started):
        tried.append(environ["PATH_INFO"])
        return real(environ, started)

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(front_layer, "_answer", answer)
    monkeypatch.setattr(app.extensions["cache"][page_cache.cache], "get_many", broken)
    for _ in range(3):
        assert "Cache down" in app.test_client().get(path).get_data(as_text=True)
    assert len(reached) == 4 and tried == [path]
    monkeypatch.undo()  # Redis is back: pages are served (by Flask until the pause is over)
    assert 'id="vote-count">0<' in app.test_client().get(path).get_data(as_text=True)
