"""Official announcements: a milestone on every answered proposal, sanitised bodies, the Atom feed,
hidden proposals kept out of public pages."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from community.announcements import service
from community.audit.models import AuditEntry
from community.dbtypes import utcnow
from community.errors import PermissionDenied, ValidationError
from community.extensions import db
from community.timeline.models import Milestone
from tests import factories as f

ATOM = "{http://www.w3.org/2005/Atom}"
EVIL = ("# Our answer\n\n<script>alert('x')</script>\n\n[click](javascript:alert(1)) "
        "[ok](https://example.com) <img src=x onerror=alert(1)>")


def _post(mod, proposals, body_en="We will ship **both** in Q1.", **fields):
    data = service.AnnouncementInput(title_zh="官方回应：城市领航", title_en="Our answer on city navigation",
                                     body_en=body_en, body_zh=fields.pop("body_zh", "我们将在一季度推送。"),
                                     proposal_ids=[p.id for p in proposals])
    return service.post_announcement(mod, data, **fields)


def test_each_answered_proposal_gets_a_milestone_linking_back(app, client):
    mod = f.moderator()
    a, b, untouched = f.proposal(title="Idea A"), f.proposal(title="Idea B"), f.proposal(title="Idea C")
    item = _post(mod, [a, b])
    milestones = Milestone.query.filter_by(kind="announcement").order_by(Milestone.proposal_id).all()
    assert [m.proposal_id for m in milestones] == [a.id, b.id]
    assert all(m.text_en == "Official announcement: Our answer on city navigation" for m in milestones)
    assert {ans.milestone_id for ans in item.answers} == {m.id for m in milestones}
    assert Milestone.query.filter_by(proposal_id=untouched.id, kind="announcement").count() == 0
    assert AuditEntry.query.filter_by(action="announcement.post", target_id=item.id).count() == 1
    for p in (a, b):
        page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
        assert f"/announcements/{item.id}" in page and "Official announcement" in page
    timeline = client.get("/timeline").get_data(as_text=True)
    assert timeline.count(f"/announcements/{item.id}") == 2


def test_announcement_needs_a_proposal_text_and_a_moderator(app):
    mod = f.moderator()
    with pytest.raises(ValidationError) as err:
        _post(mod, [])
    assert "proposal_ids" in err.value.fields
    with pytest.raises(ValidationError) as err:
        _post(mod, [f.proposal()], body_en="", body_zh="")
    assert "body_zh" in err.value.fields
    with pytest.raises(PermissionDenied):
        _post(f.owner(), [f.proposal()])


def test_hidden_proposal_cannot_be_answered_and_nothing_is_written(app):
    mod = f.moderator()
    ok, hidden = f.proposal(), f.proposal()
    hidden.hidden_at = utcnow()
    db.session.commit()
    with pytest.raises(ValidationError):
        _post(mod, [ok, hidden])
    assert Milestone.query.filter_by(kind="announcement").count() == 0


def test_bodies_are_sanitised(app, client):
    item = _post(f.moderator(), [f.proposal()], body_en=EVIL, body_zh=EVIL)
    for html in (item.body_en_html, item.body_zh_html):
        assert "<script" not in html and 'href="javascript:' not in html and "<img" not in html
        assert "&lt;script&gt;" in html  # shown as text, never run
        assert '<a href="https://example.com"' in html
    page = client.get(f"/announcements/{item.id}").get_data(as_text=True)
    assert "<script>alert" not in page and 'href="javascript:' not in page
    feed = client.get("/announcements.atom").get_data(as_text=True)
    assert "<script" not in feed and "&lt;script" not in feed.replace("&amp;lt;script", "")
    assert 'href="javascript:' not in feed and "href=&quot;javascript:" not in feed


def test_atom_feed_lists_newest_first(app, client):
    mod = f.moderator()
    p = f.proposal()
    first = _post(mod, [p])
    second = _post(mod, [p], body_en="A second answer.")
    resp = client.get("/announcements.atom?lang=en")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    root = ET.fromstring(resp.data)
    ids = [e.find(f"{ATOM}id").text for e in root.findall(f"{ATOM}entry")]
    assert ids == [f"http://localhost/announcements/{second.id}", f"http://localhost/announcements/{first.id}"]
    assert root.find(f"{ATOM}entry/{ATOM}content").attrib["type"] == "html"


def test_hidden_proposals_do_not_leak_through_announcement_pages(app, client):
    shown, hidden = f.proposal(title="Visible idea"), f.proposal(title="Hidden abuse")
    item = _post(f.moderator(), [shown, hidden])
    hidden.hidden_at = utcnow()
    db.session.commit()
    for url in ("/announcements", f"/announcements/{item.id}"):
        page = client.get(url).get_data(as_text=True)
        assert "Visible idea" in page and "Hidden abuse" not in page
    assert "Hidden abuse" not in client.get("/timeline").get_data(as_text=True)


def test_moderator_form(app, client, auth):
    mod = f.moderator()
    a, b = f.proposal(), f.proposal()
    auth.login_as(mod)
    assert f'value="{a.id}"' in client.get(f"/announcements/new?proposal={a.id}").get_data(as_text=True)
    resp = client.post("/announcements/new", data={"title_en": "Answer", "body_en": "Yes.",
                                                    "proposal_ids": f"{a.id}, {b.id}"})
    assert resp.status_code == 302
    assert Milestone.query.filter_by(kind="announcement").count() == 2
    assert client.post("/announcements/new", data={"title_en": "x", "body_en": "y",
                                                   "proposal_ids": "abc"}).status_code == 422


def test_list_pages(app, client):
    mod = f.moderator()
    p = f.proposal()
    for i in range(23):
        _post(mod, [p], body_en=f"Answer {i}")
    first = client.get("/announcements").get_data(as_text=True)
    assert first.count('class="list-group-item announcement"') == 20 and "after=" in first
