"""Issue 7's list, item by item, where no other test in tests/api walks it through the API: the proposals
list's sort/filter/search, the global timeline's filter and cursor, council sessions and the scorecard
with ETags, my vehicles, token expiry and scopes from the web page and the CLI, and the agents' actions."""
from datetime import timedelta

import pytest

from community.api import tokens
from community.api.models import ApiToken
from community.council import sessions
from community.dbtypes import utcnow
from community.errors import ValidationError
from community.extensions import db
from community.feedback.models import FeedbackItem
from community.proposals import service as proposals
from tests import factories as f


def bearer(user, scope="write"):
    return {"Authorization": f"Bearer {tokens.create_token(user, 't', scope, None)[1]}"}


def _ids(resp):
    assert resp.status_code == 200, resp.get_data(as_text=True)
    return [p["id"] for p in resp.json["items"]]


def test_proposals_list_sorts_filters_and_searches_like_the_web(client, app):
    author, mod = f.owner(), f.moderator()
    seats = f.proposal(author, title="后排座椅加热 Heated rear seats", category="comfort")
    usb = f.proposal(author, title="Rear USB-C ports", body="Fast charging for phones", category="vehicle")
    app_ = f.proposal(author, title="App dark mode", body="Night theme", category="app")
    for voter in f.owners(2):
        proposals.vote(voter, usb)
    proposals.vote(f.owner(), app_)
    proposals.change_status(seats, "under_review", mod, note_en="Council reviews it")
    assert _ids(client.get("/api/v1/proposals?sort=top")) == [usb.id, app_.id, seats.id]
    assert _ids(client.get("/api/v1/proposals?sort=newest")) == [app_.id, usb.id, seats.id]
    assert _ids(client.get("/api/v1/proposals?sort=updated"))[0] == seats.id
    assert _ids(client.get("/api/v1/proposals?status=under_review")) == [seats.id]
    assert _ids(client.get("/api/v1/proposals?category=vehicle")) == [usb.id]
    assert _ids(client.get("/api/v1/proposals", query_string={"q": "座椅"})) == [seats.id]
    assert _ids(client.get("/api/v1/proposals", query_string={"q": "rear charging"})) == [usb.id]
    bad = client.get("/api/v1/proposals?sort=oldest&status=lost")
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"sort", "status"}


def test_global_timeline_filters_by_kind_and_pages_by_cursor(client, app):
    p, mod = f.proposal(), f.moderator()
    proposals.change_status(p, "under_review", mod, note_en="Looking")
    for pct in (10, 40, 70):
        proposals.post_milestone(p, mod, "progress_update", text_en=f"{pct}%", progress_percent=pct)
    updates = client.get("/api/v1/timeline?kind=progress_update&limit=2").json
    assert [m["progress_percent"] for m in updates["items"]] == [70, 40]
    rest = client.get("/api/v1/timeline", query_string={"kind": "progress_update", "cursor": updates["next_cursor"]})
    assert [m["progress_percent"] for m in rest.json["items"]] == [10] and rest.json["next_cursor"] is None
    assert client.get("/api/v1/timeline?kind=nonsense").status_code == 422


def test_council_sessions_read_published_only_with_decisions_and_etags(client, app):
    mod, p = f.moderator(), f.proposal()
    draft = sessions.create_session(mod, "Autumn session", utcnow() + timedelta(days=7), place="Lijiang")
    sessions.add_to_agenda(mod, draft, p)
    done = sessions.create_session(mod, "Spring session", utcnow() - timedelta(days=7), place="Online")
    item = sessions.add_to_agenda(mod, done, p)
    sessions.decide(mod, item, "needs_info", "Please add the hardware list.")
    sessions.publish(mod, done)
    listed = client.get("/api/v1/council/sessions")
    assert [s["id"] for s in listed.json] == [done.id]
    one = client.get(f"/api/v1/council/sessions/{done.id}")
    assert one.json["items"][0]["decision"] == "needs_info" and one.json["items"][0]["proposal_id"] == p.id
    assert client.get(f"/api/v1/council/sessions/{draft.id}").status_code == 404
    assert client.get(f"/api/v1/council/sessions/{draft.id}", headers=bearer(mod)).status_code == 200
    for url, resp in (("/api/v1/council/sessions", listed), (f"/api/v1/council/sessions/{done.id}", one)):
        assert client.get(url, headers={"If-None-Match": resp.headers["ETag"]}).status_code == 304
    f.teams()
    card = client.get("/api/v1/pledge/scorecard")
    assert client.get("/api/v1/pledge/scorecard", headers={"If-None-Match": card.headers["ETag"]}).status_code == 304


def test_my_vehicles_are_mine_only_and_masked(client, app):
    owner, other = f.owner(), f.owner()
    f.VehicleFactory(owner=owner, status="pending", model="009")
    mine = client.get("/api/v1/me/vehicles", headers=bearer(owner, "read"))
    assert sorted(v["status"] for v in mine.json) == ["pending", "verified"]
    assert {v["id"] for v in mine.json} == {v.id for v in owner.vehicles}
    assert other.vehicles[0].id not in {v["id"] for v in mine.json}
    assert all("*" in v["masked_vin"] and "vin" not in v for v in mine.json)
    assert client.get("/api/v1/me/vehicles").status_code == 401


def test_token_lifetime_and_scope_from_the_web_page_and_the_cli(client, auth, app, runner):
    user = f.owner()
    auth.login_as(user)
    assert client.post("/settings/tokens", data={"name": "phone", "scope": "write", "days": "400"}).status_code == 422
    assert client.post("/settings/tokens", data={"name": "phone", "scope": "admin", "days": "30"}).status_code == 422
    assert ApiToken.query.count() == 0
    with pytest.raises(ValidationError):
        tokens.create_token(user, "phone", "write", 0)
    out = runner.invoke(args=["tokens", "create", user.email, "--scope", "read", "--days", "7"])
    secret = out.output.strip().splitlines()[-1]
    row = ApiToken.query.one()
    assert row.scope == "read" and timedelta(days=6) < row.expires_at - utcnow() <= timedelta(days=7)
    reader = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=reader).status_code == 200
    assert client.post("/api/v1/feedback", headers=reader, json={"text": "x"}).status_code == 403
    forever = runner.invoke(args=["tokens", "create", user.email, "--days", "0", "--name", "kiosk"])
    assert forever.exit_code == 0 and ApiToken.query.filter_by(name="kiosk").one().expires_at is None


def test_agents_start_resolve_and_reassign_moderators_assign_from_triage(client, app):
    f.teams()
    agent, other_agent, mod = f.agent("after_sales"), f.agent("charging"), f.moderator()
    item = f.feedback(team="after_sales")
    url = f"/api/v1/feedback/{item.id}/actions"
    ah = bearer(agent)
    assert client.post(url, headers=ah, json={"action": "start"}).status_code == 409  # a reply acknowledges first
    assert client.post(url, headers=ah, json={"action": "reply", "body": "On it"}).json["status"] == "acknowledged"
    assert client.post(url, headers=ah, json={"action": "start"}).json["status"] == "in_progress"
    no_note = client.post(url, headers=ah, json={"action": "resolve"})
    assert no_note.status_code == 422
    done = client.post(url, headers=ah, json={"action": "resolve", "body": "Technician visited"})
    assert done.json["status"] == "resolved" and done.json["resolution_note"] == "Technician visited"
    moved = f.feedback(team="after_sales")
    answer = client.post(f"/api/v1/feedback/{moved.id}/actions", headers=ah, json={"action": "reassign",
                                                                                  "team": "charging"})
    assert answer.status_code == 200 and answer.json["team"] == "charging"
    assert client.get("/api/v1/feedback/queue?team=charging", headers=bearer(other_agent)).json["items"][0]["id"] \
        == moved.id
    stray = f.feedback(team=None)
    mh = bearer(mod)
    assert [i["id"] for i in client.get("/api/v1/feedback/queue?team=triage", headers=mh).json["items"]] == [stray.id]
    refused = client.post(f"/api/v1/feedback/{stray.id}/actions", headers=ah, json={"action": "assign",
                                                                                   "team": "charging"})
    assert refused.status_code == 404  # triage is for moderators: to an agent the item is not there
    assigned = client.post(f"/api/v1/feedback/{stray.id}/actions", headers=mh, json={"action": "assign",
                                                                                    "team": "charging"})
    assert assigned.status_code == 200 and assigned.json["team"] == "charging"
    assert client.get("/api/v1/feedback/queue?team=nowhere", headers=mh).status_code == 404
    assert db.session.get(FeedbackItem, stray.id).team.slug == "charging"
