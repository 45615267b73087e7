"""Internal notes are for active council members and moderators only, on every path."""
from datetime import timedelta

import pytest

from community.council import service, sessions
from community.dbtypes import utcnow
from community.errors import PermissionDenied
from tests import factories as f

SECRET = "Confidential pricing 4321"
JSON = {"Accept": "application/json"}


@pytest.fixture
def noted(app):
    member, p = f.council_member(), f.proposal()
    service.add_note(member, p, SECRET)
    mod = f.moderator()
    s = sessions.create_session(mod, "Session", utcnow() - timedelta(days=1), place="丽江")
    sessions.decide(mod, sessions.add_to_agenda(member, s, p), "needs_info", "Tell us more")
    sessions.publish(mod, s)
    return member, mod, p, s


def _public_paths(p, s):
    return [f"/proposals/{p.id}", "/", "/?q=pricing", "/timeline", "/timeline.atom", "/council",
            f"/council/sessions/{s.id}"]


def test_anonymous_never_sees_notes(noted, client):
    _member, _mod, p, s = noted
    for path in _public_paths(p, s):
        assert SECRET not in client.get(path).get_data(as_text=True), path
    assert SECRET not in client.get(f"/council/sessions/{s.id}", headers=JSON).get_data(as_text=True)
    assert client.get(f"/council/proposals/{p.id}").status_code == 302  # to the login page
    resp = client.get(f"/council/proposals/{p.id}", headers=JSON)
    assert resp.status_code == 401 and SECRET not in resp.get_data(as_text=True)


def test_owner_never_sees_notes(noted, client, auth):
    _member, _mod, p, s = noted
    auth.login(p.author)
    for path in _public_paths(p, s):
        assert SECRET not in client.get(path).get_data(as_text=True), path
    assert client.get(f"/council/proposals/{p.id}").status_code == 403
    resp = client.get(f"/council/proposals/{p.id}", headers=JSON)
    assert resp.status_code == 403 and resp.json["error"]["code"] == "forbidden"
    assert client.post(f"/council/proposals/{p.id}/notes", data={"body": "sneaky"}).status_code == 403
    with pytest.raises(PermissionDenied):
        service.notes_for(p.author, p)


def test_council_and_moderators_see_notes(noted, client, auth):
    member, mod, p, _s = noted
    for user in (member, mod):
        auth.login(user)
        assert SECRET in client.get(f"/council/proposals/{p.id}").get_data(as_text=True)
        assert client.get(f"/council/proposals/{p.id}", headers=JSON).json["notes"][0]["body_html"].count("4321")
        auth.logout()


def test_member_whose_term_ended_loses_access(noted, client, auth):
    member, _mod, p, _s = noted
    service.end_term(f.admin(), service.current_terms()[0], "term over")
    auth.login(member)
    assert client.get(f"/council/proposals/{p.id}").status_code == 403


def test_adding_notes_through_the_web(noted, client, auth):
    member, _mod, p, _s = noted
    auth.login(member)
    assert client.post(f"/council/proposals/{p.id}/notes", data={"body": ""}).status_code == 422
    assert client.post(f"/council/proposals/{p.id}/notes", data={"body": "Second <b>note</b>"}).status_code == 302
    html = client.get(f"/council/proposals/{p.id}").get_data(as_text=True)
    assert "Second" in html and "<b>note</b>" not in html
