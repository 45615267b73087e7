"""The council's work through the API: the queue, the agenda, internal notes (which must never leak)."""
from datetime import timedelta

from community.api import tokens
from community.audit.models import AuditEntry
from community.council import sessions
from community.council.models import AgendaItem, InternalNote
from community.dbtypes import utcnow
from community.moderation import service as moderation
from community.proposals import service as proposals
from tests import factories as f


def bearer(user, scope="write"):
    _, secret = tokens.create_token(user, "t", scope, None)
    return {"Authorization": f"Bearer {secret}"}


def test_the_council_queue_is_for_members_and_moderators(client, app):
    mod = f.moderator()
    ps = [f.proposal(title=f"Idea {i}") for i in range(3)]
    for voter in f.owners(2):
        proposals.vote(voter, ps[2])
    moderation.set_hidden(mod, "proposal", ps[0].id, True, "spam")
    draft = sessions.create_session(mod, "Autumn", utcnow() + timedelta(days=7), place="Lijiang")
    assert client.get("/api/v1/council/queue").status_code == 401
    assert client.get("/api/v1/council/queue", headers=bearer(f.owner())).status_code == 403
    member = bearer(f.council_member(), "read")
    first = client.get("/api/v1/council/queue?limit=1", headers=member)
    assert first.status_code == 200 and [p["id"] for p in first.json["items"]] == [ps[2].id]
    second = client.get(f"/api/v1/council/queue?limit=1&cursor={first.json['next_cursor']}", headers=member)
    assert [p["id"] for p in second.json["items"]] == [ps[1].id] and second.json["next_cursor"] is None
    by_age = client.get("/api/v1/council/queue?sort=age", headers=bearer(mod))
    assert [p["id"] for p in by_age.json["items"]] == [ps[1].id, ps[2].id]  # the hidden one never appears
    assert client.get("/api/v1/council/queue?sort=random", headers=member).status_code == 422
    # Once on an agenda, a proposal leaves the queue.
    sessions.add_to_agenda(mod, draft, ps[2])
    assert [p["id"] for p in client.get("/api/v1/council/queue", headers=member).json["items"]] == [ps[1].id]


def test_adding_to_a_sessions_agenda(client, app):
    mod = f.moderator()
    p, closed = f.proposal(), f.proposal()
    proposals.change_status(closed, "declined", mod, note_en="No")
    draft = sessions.create_session(mod, "Autumn", utcnow() + timedelta(days=7), place="Lijiang")
    published = sessions.create_session(mod, "Spring", utcnow() - timedelta(days=7), place="Online")
    sessions.decide(mod, sessions.add_to_agenda(mod, published, f.proposal()), "needs_info", "More, please.")
    sessions.publish(mod, published)
    member = f.council_member()
    h = bearer(member)
    url = f"/api/v1/council/sessions/{draft.id}/agenda"
    assert client.post(url, json={"proposal_id": p.id}).status_code == 401
    assert client.post(url, headers=bearer(member, "read"), json={"proposal_id": p.id}).status_code == 403
    owner_h = bearer(f.owner())
    assert client.post(url, headers=owner_h, json={"proposal_id": p.id}).status_code == 403
    assert client.post(url, headers=h, json={}).status_code == 422
    assert client.post(url, headers=h, json={"proposal_id": closed.id}).status_code == 422
    assert client.post(url, headers=h, json={"proposal_id": 999999}).status_code == 404
    assert client.post("/api/v1/council/sessions/999999/agenda", headers=h, json={"proposal_id": p.id}
                       ).status_code == 404
    added = client.post(url, headers=h, json={"proposal_id": p.id})
    assert added.status_code == 201
    assert added.json["session_id"] == draft.id and added.json["proposal_id"] == p.id and added.json["position"] == 1
    assert client.post(url, headers=h, json={"proposal_id": p.id}).status_code == 409
    assert client.post(f"/api/v1/council/sessions/{published.id}/agenda", headers=h,
                       json={"proposal_id": p.id}).status_code == 409
    assert AgendaItem.query.filter_by(session_id=draft.id).count() == 1
    assert AuditEntry.query.filter_by(action="council.agenda_add", actor_id=member.id).count() == 1


def test_internal_notes_never_leak(client, app):
    p = f.proposal()
    member, mod = f.council_member(), f.moderator()
    url = f"/api/v1/council/proposals/{p.id}/notes"
    assert client.post(url, json={"body": "x"}).status_code == 401
    assert client.post(url, headers=bearer(member, "read"), json={"body": "x"}).status_code == 403
    assert client.post(url, headers=bearer(p.author), json={"body": "x"}).status_code == 403
    assert client.post(url, headers=bearer(member), json={"body": "  "}).status_code == 422
    made = client.post(url, headers=bearer(member), json={"body": "Talked to **R&D**: feasible in Q3."})
    assert made.status_code == 201 and "<strong>R&amp;D</strong>" in made.json["body_html"]
    assert "body" not in made.json and made.json["author"]["id"] == member.id
    assert client.post(url, headers=bearer(mod), json={"body": "Legal has no objection."}).status_code == 201
    # Members and moderators read them, oldest first.
    notes = client.get(url, headers=bearer(mod, "read"))
    assert notes.status_code == 200 and [n["author"]["id"] for n in notes.json] == [member.id, mod.id]
    # Anonymous callers, owners (the author included) and plain users never see them, anywhere.
    assert client.get(url).status_code == 401
    for outsider in (p.author, f.owner(), f.UserFactory()):
        resp = client.get(url, headers=bearer(outsider))
        assert resp.status_code == 403 and "R&amp;D" not in resp.get_data(as_text=True)
    for public in (f"/api/v1/proposals/{p.id}", f"/api/v1/proposals/{p.id}/comments",
                   f"/api/v1/proposals/{p.id}/timeline", "/api/v1/timeline", "/api/v1/proposals"):
        assert "R&amp;D" not in client.get(public, headers=bearer(p.author)).get_data(as_text=True)
        assert "feasible" not in client.get(public).get_data(as_text=True)
    # A hidden proposal's notes are not reachable through the API either (404 for the council).
    moderation.set_hidden(mod, "proposal", p.id, True, "spam")
    assert client.get(url, headers=bearer(member)).status_code == 404
    assert client.get("/api/v1/council/proposals/999999/notes", headers=bearer(member)).status_code == 404
    assert InternalNote.query.count() == 2
    assert AuditEntry.query.filter_by(action="council.note").count() == 2
