"""XSS: script tags, event handlers and javascript: links typed by users are inert on every page they reach.

One set of payloads goes into every user-controlled text: proposal titles and bodies, comments,
milestone notes and backdate reasons, status notes, display names, rejection and report reasons,
and the search box. Each page that shows them is checked as HTML (or XML for Atom).
"""
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from html.parser import HTMLParser

import pytest

from community.accounts import service as accounts
from community.dbtypes import utcnow
from community.moderation import service as moderation
from community.proposals import service
from tests import factories as f

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
QUOTE = '" onmouseover="alert(3)'
SQUOTE = "' onmouseover='alert(4)"
JS = "javascript:alert(5)"
ALL = f"{SCRIPT} {IMG} {QUOTE} {SQUOTE} {JS}"
BODY = f"{ALL}\n\n[click me](javascript:alert(6)) [also](JaVaScRiPt:alert(7)) <a href=\"javascript:alert(8)\">a</a>"

URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}


class _Elements(HTMLParser):
    """Collects what a browser would build from the page: elements and their attributes."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>: event handler")
            if name in URL_ATTRS and re.sub(r"[\x00-\x20]", "", value or "").lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}={value!r}>: javascript: URL")
        if tag == "img" and dict(attrs).get("src") == "x":
            self.problems.append("<img src=x>: injected image")
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.problems.append(f"<script>{data[:40]}: injected script")


def _assert_inert(page: str, where: str) -> None:
    """No injected element, event handler or javascript: URL, as a browser would parse ``page``."""
    parser = _Elements()
    parser.feed(page)
    parser.close()
    assert parser.problems == [], f"{where}: {parser.problems}"
    assert "<script>alert" not in page and "<img src=x" not in page, where


@pytest.fixture
def world(app):
    """Every user-typed text carries the payloads."""
    mod = f.moderator(display_name=f"{SCRIPT}{IMG}"[:60])
    author = f.owner(display_name=f"{QUOTE}{SQUOTE}"[:60])
    commenter = f.UserFactory(display_name=f"{IMG}{JS}"[:60])
    proposal = service.create_proposal(author, f"{SCRIPT}{IMG}{QUOTE}"[:120], BODY, "safety")
    service.add_comment(commenter, proposal, BODY)
    service.change_status(proposal, "under_review", mod, note_zh=ALL, note_en=ALL)
    service.post_milestone(proposal, mod, "progress_update", text_zh=ALL, text_en=ALL, progress_percent=10,
                           occurred_at=utcnow() - timedelta(days=3), backdate_reason=ALL[:500])
    claimant = f.UserFactory(display_name=f"{SCRIPT}{QUOTE}"[:60])
    accounts.add_vehicle(claimant, "001", 2024, [], f.spare_vin(77))
    rejected = accounts.add_vehicle(author, "009", 2024, [], f.spare_vin(78))
    accounts.review_vehicle(rejected, mod, approve=False, reason=ALL)
    moderation.flag(commenter, "proposal", proposal.id, ALL)
    return {"proposal": proposal, "mod": mod, "author": author, "commenter": commenter}


def _pages(world) -> list[str]:
    pid = world["proposal"].id
    return ["/", "/?sort=newest", f"/?q={SCRIPT}", f"/proposals/{pid}", "/timeline", "/timeline?kind=progress_update"]


def test_public_pages_are_inert_for_anonymous_visitors(client, world):
    for url in _pages(world):
        resp = client.get(url)
        assert resp.status_code == 200, url
        _assert_inert(resp.get_data(as_text=True), url)
    page = client.get(f"/proposals/{world['proposal'].id}").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, so the check above is not vacuous


def test_pages_are_inert_for_the_moderator_with_all_the_forms(client, auth, world):
    auth.login_as(world["mod"])
    pages = _pages(world) + ["/moderation/vehicles", "/moderation", f"/moderation/users?q={SCRIPT}", "/settings",
                             f"/proposals/{world['proposal'].id}?lang=zh"]
    for url in pages:
        resp = client.get(url)
        assert resp.status_code == 200, url
        _assert_inert(resp.get_data(as_text=True), url)


def test_the_owner_sees_the_rejection_reason_inert(client, auth, world):
    auth.login_as(world["author"])
    for url in ("/vehicles", "/settings", f"/proposals/{world['proposal'].id}"):
        _assert_inert(client.get(url).get_data(as_text=True), url)


def test_a_failed_form_echoes_the_payload_inert(client, auth, world):
    auth.login_as(world["author"])
    resp = client.post("/proposals/new", data={"title": ALL * 3, "body": BODY, "category": "safety"})
    assert resp.status_code == 422
    _assert_inert(resp.get_data(as_text=True), "new proposal (422)")
    resp = client.post("/register", data={"email": f"{QUOTE}@x", "display_name": ALL, "password": "x"})
    _assert_inert(resp.get_data(as_text=True), "register (422)")


def test_the_atom_feed_carries_the_payload_as_text(client, world):
    raw = client.get("/timeline.atom").get_data(as_text=True)
    assert "<script" not in raw and "<img" not in raw
    ns = "{http://www.w3.org/2005/Atom}"
    entries = ET.fromstring(raw.encode()).findall(f"{ns}entry")
    assert len(entries) == 2
    for entry in entries:
        content = entry.find(f"{ns}content")
        assert content.get("type") == "text" and content.text == ALL  # readers show it, never run it
        assert SCRIPT in entry.findtext(f"{ns}title")


@pytest.mark.parametrize("bad", ['<a href=" JaVaScRiPt:alert(1)">x</a>', '<p title="" onmouseover="alert(1)">x</p>',
                                 "<script>alert(1)</script>", '<img src=x onerror="alert(2)">',
                                 '<form action="javascript:alert(1)"></form>'])
def test_the_checker_itself_catches_live_payloads(bad):
    with pytest.raises(AssertionError):
        _assert_inert(f"<html><body>{bad}</body></html>", "sample")
