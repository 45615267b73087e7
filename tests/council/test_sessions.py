from datetime import timedelta

import pytest

from community.audit.models import AuditEntry
from community.council import sessions
from community.council.models import CouncilSession
from community.dbtypes import utcnow
from community.errors import Conflict, PermissionDenied, ValidationError
from community.extensions import db
from community.proposals import service as proposals
from community.timeline.models import Milestone
from tests import factories as f


@pytest.fixture
def held(app):
    """A draft session held two days ago with three proposals on its agenda."""
    mod, member = f.moderator(), f.council_member()
    session = sessions.create_session(mod, "理事共创会", utcnow() - timedelta(days=2), place="丽江")
    props = [f.proposal(title=f"Idea {i}") for i in range(3)]
    items = [sessions.add_to_agenda(member, session, p) for p in props]
    return mod, member, session, props, items


def _council_milestones(proposal):
    return Milestone.query.filter_by(proposal_id=proposal.id, kind="council_session").all()


def test_publishing_writes_milestones_and_applies_decisions(held):
    mod, _member, session, (a, b, c), (ia, ib, ic) = held
    sessions.decide(mod, ia, "accept", "Great idea")
    sessions.decide(mod, ib, "decline", "Not feasible")
    sessions.decide(mod, ic, "commitment", "The company will look into it")
    sessions.publish(mod, session)
    assert session.is_published
    assert (a.status, b.status, c.status) == ("accepted", "declined", "under_review")
    for p in (a, b, c):
        [m] = _council_milestones(p)
        assert m.occurred_at == session.starts_at and m.backdate_reason  # dated at the session, says why
        assert "丽江" in m.text_zh
    steps = [(m.status_from, m.status_to) for m in
             Milestone.query.filter_by(proposal_id=a.id, kind="status_change").order_by(Milestone.id)]
    assert steps == [("submitted", "under_review"), ("under_review", "accepted")]  # the moderator's rule, twice
    actions = [e.action for e in AuditEntry.query.all()]
    assert actions.count("council.publish") == 1 and actions.count("proposal.status") == 4
    with pytest.raises(Conflict):
        sessions.publish(mod, session)
    assert len(_council_milestones(a)) == 1


def test_publish_needs_every_decision_and_a_past_date(held):
    mod, member, session, _props, (ia, ib, ic) = held
    sessions.decide(mod, ia, "needs_info", "Which city?")
    with pytest.raises(ValidationError, match="every agenda item"):
        sessions.publish(mod, session)
    future = sessions.create_session(mod, "Next", utcnow() + timedelta(days=3), online_url="https://m.example/x")
    sessions.decide(mod, sessions.add_to_agenda(member, future, f.proposal()), "accept", "ok")
    with pytest.raises(ValidationError, match="taken place"):
        sessions.publish(mod, future)
    empty = sessions.create_session(mod, "Empty", utcnow() - timedelta(days=1), place="x")
    with pytest.raises(ValidationError, match="agenda"):
        sessions.publish(mod, empty)
    assert Milestone.query.filter_by(kind="council_session").count() == 0


def test_publish_is_all_or_nothing(held, monkeypatch):
    mod, _member, session, props, items = held
    for item in items:
        sessions.decide(mod, item, "accept", "yes")
    real, calls = proposals.change_status, []

    def flaky(proposal, *args, **kwargs):
        calls.append(proposal.id)
        if proposal.id == props[2].id:
            raise Conflict("changed meanwhile")
        return real(proposal, *args, **kwargs)

    monkeypatch.setattr(proposals, "change_status", flaky)
    with pytest.raises(Conflict):
        sessions.publish(mod, session)
    assert db.session.get(CouncilSession, session.id).state == "draft"
    assert Milestone.query.count() == 0
    assert {p.status for p in props} == {"submitted"}


def test_who_sets_the_agenda_and_decides(held):
    mod, member, session, (a, _b, _c), (ia, _ib, _ic) = held
    with pytest.raises(PermissionDenied):
        sessions.add_to_agenda(f.owner(), session, f.proposal())
    with pytest.raises(Conflict, match="already on the agenda"):
        sessions.add_to_agenda(member, session, a)
    with pytest.raises(PermissionDenied):
        sessions.decide(member, ia, "accept", "yes")  # council members propose; moderators record
    with pytest.raises(PermissionDenied):
        sessions.publish(member, session)
    with pytest.raises(ValidationError):
        sessions.decide(mod, ia, "maybe", "")


def test_decision_must_fit_the_status(held):
    mod, member, session, (a, _b, _c), (ia, _ib, _ic) = held
    proposals.change_status(a, "declined", mod, note_en="No")
    with pytest.raises(ValidationError):
        sessions.decide(mod, ia, "accept", "yes")
    other = sessions.create_session(mod, "Later", utcnow(), place="y")
    with pytest.raises(ValidationError):
        sessions.add_to_agenda(member, other, a)  # declined: no longer open


def test_minutes_are_sanitised_and_agenda_locked_after_publishing(held, client, auth):
    mod, member, session, props, items = held
    for item in items:
        sessions.decide(mod, item, "needs_info", "More please")
    sessions.update_session(mod, session, title=session.title, starts_at=session.starts_at, place="丽江",
                            online_url=None, guests="CEO", minutes="**Done** <script>alert(1)</script>",
                            attendee_ids=[member.id])
    sessions.publish(mod, session)
    html = client.get(f"/council/sessions/{session.id}").get_data(as_text=True)
    assert "<strong>Done</strong>" in html and "<script>alert" not in html
    assert member.display_name in html
    with pytest.raises(Conflict):
        sessions.add_to_agenda(member, session, f.proposal())
    with pytest.raises(ValidationError):
        sessions.update_session(mod, session, title="x", starts_at=utcnow(), place="y", online_url=None,
                                guests=None, minutes="", attendee_ids=[])


def test_draft_sessions_are_not_public(held, client, auth):
    _mod, member, session, _props, _items = held
    assert client.get(f"/council/sessions/{session.id}").status_code == 404
    auth.login(f.owner())
    assert client.get(f"/council/sessions/{session.id}").status_code == 404
    auth.login(member)
    assert client.get(f"/council/sessions/{session.id}").status_code == 200


def test_session_workflow_through_the_web(client, auth, app):
    mod, member, p = f.moderator(), f.council_member(), f.proposal()
    auth.login(mod)
    resp = client.post("/council/sessions/new", data={"title": "Lijiang", "starts_at": "2020-09-14T16:00",
                                                      "place": "丽江"})
    assert resp.status_code == 302
    session = CouncilSession.query.one()
    assert session.starts_at.hour == 8  # 16:00 Shanghai
    bad = client.post("/council/sessions/new", data={"title": "No place", "starts_at": "2020-09-14T16:00"})
    assert bad.status_code == 422
    auth.logout()
    auth.login(member)
    assert client.post(f"/council/sessions/{session.id}/agenda", data={"proposal_id": p.id}).status_code == 302
    item = session.items[0]
    assert client.post(f"/council/sessions/{session.id}/publish").status_code == 403
    auth.logout()
    auth.login(mod)
    resp = client.post(f"/council/sessions/{session.id}/items/{item.id}/decision",
                       data={f"d{item.id}-decision": "accept", f"d{item.id}-text": ""})
    assert resp.status_code == 422
    client.post(f"/council/sessions/{session.id}/items/{item.id}/decision",
                data={f"d{item.id}-decision": "accept", f"d{item.id}-text": "Yes"})
    assert client.post(f"/council/sessions/{session.id}/publish").status_code == 302
    assert p.status == "accepted"
    data = client.get(f"/council/sessions/{session.id}", headers={"Accept": "application/json"}).json
    assert data["agenda"][0]["decision"] == "accept"
    timeline = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Lijiang" in timeline


def test_agenda_form_refuses_a_number_beyond_any_id(client, auth, app):
    """A proposal number past the 32-bit key range is refused by the form (it was a 500 in the database)."""
    mod, member = f.moderator(), f.council_member()
    session = sessions.create_session(mod, "理事共创会", utcnow() + timedelta(days=3), place="online")
    auth.login(member)
    resp = client.post("/council/queue/agenda", data={"proposal_id": "99999999999999999999", "session_id": session.id})
    assert resp.status_code == 302
    assert client.get(resp.location).status_code == 200
    assert sessions.add_to_agenda(member, session, f.proposal())  # the session is still usable
