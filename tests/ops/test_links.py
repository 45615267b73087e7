"""Behind a proxy: trusted hops from configuration, and every absolute link on PUBLIC_BASE_URL."""
import logging
import xml.etree.ElementTree as ET

import pytest

from community import create_app
from community.notifications import service
from community.notifications.models import OutboxEmail
from community.proposals import service as proposals
from tests import factories as f

BASE = "https://cocreate.example.com/community"
ATOM = "{http://www.w3.org/2005/Atom}"


def _remote_addr(caplog, client, **headers) -> str:
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="community.request"):
        client.get("/healthz", headers=headers)
    return caplog.records[-1].remote_addr


def test_forwarded_address_is_trusted_only_for_configured_hops(make_app, caplog):
    spoof = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    assert _remote_addr(caplog, make_app().test_client(), **spoof) == "127.0.0.1"  # default: trust no proxy
    behind = make_app(TRUSTED_PROXY_HOPS=1).test_client()
    assert _remote_addr(caplog, behind, **spoof) == "203.0.113.9"
    # One hop trusted: nginx appends the real client, so a value the client made up earlier in the chain is ignored.
    assert _remote_addr(caplog, behind, **{"X-Forwarded-For": "10.9.9.9, 198.51.100.7"}) == "198.51.100.7"


def test_atom_feeds_use_the_public_base_url_whatever_host_was_asked(make_app):
    app = make_app(PUBLIC_BASE_URL=BASE + "/")
    with app.app_context():
        p = f.proposal()
        proposal_id, milestone_id = p.id, f.milestone(p, text_en="Work started.").id
    client = app.test_client()
    feeds = (("/timeline.atom?kind=progress_update", "/timeline"), ("/announcements.atom", "/announcements"))
    for path, index in feeds:
        feed = ET.fromstring(client.get(path, headers={"Host": "10.0.0.5:8000"}).data)
        assert feed.find(f"{ATOM}id").text == BASE + index
        hrefs = [link.get("href") for link in feed.iter(f"{ATOM}link")]
        assert hrefs and all(h.startswith(BASE + "/") for h in hrefs)
        assert "10.0.0.5" not in client.get(path, headers={"Host": "10.0.0.5:8000"}).get_data(as_text=True)
    feed = ET.fromstring(client.get("/timeline.atom?kind=progress_update").data)
    ids = [e.find(f"{ATOM}id").text for e in feed.iter(f"{ATOM}entry")]
    assert f"{BASE}/proposals/{proposal_id}#m{milestone_id}" in ids
    self_link = [x.get("href") for x in feed.iter(f"{ATOM}link") if x.get("rel") == "self"]
    assert self_link == [f"{BASE}/timeline.atom?kind=progress_update"]


def test_digest_links_each_proposal_and_the_settings_page_and_offers_unsubscribe(make_app):
    app = make_app(PUBLIC_BASE_URL=BASE)
    with app.app_context():
        reader = f.owner()
        p = f.proposal(f.owner())
        proposals.vote(reader, p)
        service.save_settings(reader, {"status_change": "digest"})
        proposals.change_status(p, "under_review", f.moderator(), note_en="Council reviews it")
        service.fan_out_pending()
        assert service.build_digests() == 1  # run as a job runs: no request, so no host to guess from
        body = OutboxEmail.query.one().body
        assert f"{BASE}/proposals/{p.id}" in body
        assert f"{BASE}/settings/notifications" in body
        assert "localhost" not in body
        assert service.deliver_outbox() == (1, 0)
        mail = app.extensions["mailman"].outbox[-1]
        assert mail.extra_headers["List-Unsubscribe"] == f"<{BASE}/settings/notifications>"


def test_production_refuses_to_start_without_public_base_url(monkeypatch):
    monkeypatch.setenv("COCREATE_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "9f8e7d6c5b4a39281706f5e4d3c2b1a0aa")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:9/0")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="PUBLIC_BASE_URL"):
        create_app()
