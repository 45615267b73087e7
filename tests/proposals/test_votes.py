"""Votes: one per verified owner, the count equals the rows, closed means closed, and the recount repairs."""
import pytest
from sqlalchemy import text

from community.audit.models import AuditEntry
from community.errors import Conflict, PermissionDenied
from community.extensions import db
from community.proposals import service
from community.proposals.models import Vote
from tests import factories as f


def test_verified_owner_votes_once_and_count_matches_rows(app):
    p = f.proposal()
    voter = f.owner()
    assert service.vote(voter, p) == 1
    with pytest.raises(Conflict, match="already voted"):
        service.vote(voter, p)
    assert Vote.query.filter_by(proposal_id=p.id).count() == p.vote_count == 1


def test_unverified_user_cannot_vote(app):
    p = f.proposal()
    with pytest.raises(PermissionDenied):
        service.vote(f.UserFactory(), p)
    assert p.vote_count == 0


def test_withdraw_then_vote_again(app):
    p, voter = f.proposal(), f.owner()
    service.vote(voter, p)
    assert service.withdraw_vote(voter, p) == 0
    with pytest.raises(Conflict):
        service.withdraw_vote(voter, p)
    assert service.vote(voter, p) == 1


def test_closed_proposal_refuses_votes(app):
    p, mod = f.proposal(), f.moderator()
    service.change_status(p, "declined", mod, note_en="Not feasible")
    with pytest.raises(Conflict, match="closed"):
        service.vote(f.owner(), p)
    assert Vote.query.count() == 0


def test_vote_button_through_the_web(client, auth, app):
    p, voter = f.proposal(), f.owner()
    auth.login(voter)
    assert client.post(f"/proposals/{p.id}/vote").status_code == 302
    resp = client.post(f"/proposals/{p.id}/vote", headers={"Accept": "application/json"})
    assert resp.status_code == 409
    assert resp.json["error"]["message"] == "You have already voted for this proposal."
    assert Vote.query.count() == 1


def test_the_count_shown_equals_the_rows_after_votes_and_withdrawals(client, auth):
    p = f.proposal()
    voters = [f.owner() for _ in range(5)]
    for v in voters:
        service.vote(v, p)
    service.withdraw_vote(voters[0], p)
    rows = Vote.query.filter_by(proposal_id=p.id).count()
    assert p.vote_count == rows == 4
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert '<div class="vote-count" id="vote-count">4</div>' in page
    assert '<div class="vote-count">4</div>' in client.get("/").get_data(as_text=True)


def test_withdraw_through_the_web(client, auth):
    p, voter = f.proposal(), f.owner()
    service.vote(voter, p)
    auth.login_as(voter)
    assert 'id="unvote"' in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    resp = client.post(f"/proposals/{p.id}/unvote", headers={"Accept": "application/json"})
    assert resp.status_code == 200 and resp.json == {"vote_count": 0, "voted": False}
    assert Vote.query.count() == 0 and p.vote_count == 0
    assert 'id="vote"' in client.get(f"/proposals/{p.id}").get_data(as_text=True)


def test_a_closed_proposal_refuses_on_the_server_although_the_page_showed_a_button(client, auth):
    p, voter, mod = f.proposal(), f.owner(), f.moderator()
    auth.login_as(voter)
    assert 'id="vote"' in client.get(f"/proposals/{p.id}").get_data(as_text=True)  # the open page
    service.change_status(p, "declined", mod, note_en="Out of scope")  # meanwhile, elsewhere
    resp = client.post(f"/proposals/{p.id}/vote", headers={"Accept": "application/json"})
    assert resp.status_code == 409 and "closed" in resp.json["error"]["message"]
    resp = client.post(f"/proposals/{p.id}/vote?lang=en", follow_redirects=True)
    assert "Voting on this proposal is closed." in resp.get_data(as_text=True)
    assert Vote.query.count() == 0 and p.vote_count == 0
    assert 'id="vote"' not in resp.get_data(as_text=True)


@pytest.mark.parametrize("closed", ["delivered", "declined"])
def test_votes_cannot_be_withdrawn_once_closed(app, closed):
    p, voter, mod = f.proposal(), f.owner(), f.moderator()
    service.vote(voter, p)
    path = ["under_review", "accepted", "in_progress", "delivered"] if closed == "delivered" else ["declined"]
    for status in path:
        service.change_status(p, status, mod, note_en=f"to {status}")
    with pytest.raises(Conflict, match="closed"):
        service.withdraw_vote(voter, p)
    assert Vote.query.count() == p.vote_count == 1


def test_votes_stay_open_through_review_acceptance_and_progress(app):
    p, mod = f.proposal(), f.moderator()
    for i, status in enumerate(["under_review", "accepted", "in_progress"], start=1):
        service.change_status(p, status, mod, note_en=status)
        assert service.vote(f.owner(), p) == i


def test_a_blocked_owner_cannot_vote(app):
    p = f.proposal()
    with pytest.raises(PermissionDenied):
        service.vote(f.owner(is_blocked=True), p)


def test_hidden_proposals_cannot_be_voted_on(client, auth):
    from community.dbtypes import utcnow

    p, voter = f.proposal(), f.owner()
    auth.login_as(voter)
    p.hidden_at = utcnow()
    db.session.commit()
    assert client.post(f"/proposals/{p.id}/vote").status_code == 404
    with pytest.raises(Conflict):
        service.vote(voter, p)
    assert Vote.query.count() == 0


def test_recount_detects_and_repairs_a_corrupted_count(runner):
    good, bad = f.proposal(), f.proposal()
    for _ in range(3):
        service.vote(f.owner(), bad)
    service.vote(f.owner(), good)
    db.session.execute(text("UPDATE proposals SET vote_count = 7 WHERE id = :id"), {"id": bad.id})
    db.session.commit()

    dry = runner.invoke(args=["votes", "recount", "--dry-run"])
    assert dry.exit_code == 0
    assert f"proposal {bad.id}: stored 7, rows 3" in dry.output and "1 mismatch(es)" in dry.output
    assert db.session.scalar(text("SELECT vote_count FROM proposals WHERE id = :id"), {"id": bad.id}) == 7

    fix = runner.invoke(args=["votes", "recount"])
    assert fix.exit_code == 0 and "repaired" in fix.output
    db.session.expire_all()
    assert (bad.vote_count, good.vote_count) == (3, 1)
    entry = AuditEntry.query.filter_by(action="proposal.recount").one()
    assert (entry.target_id, entry.before, entry.after) == (bad.id, {"vote_count": 7}, {"vote_count": 3})
    assert "0 mismatch(es)" in runner.invoke(args=["votes", "recount"]).output


def test_a_web_vote_is_five_statements_and_follows_the_proposal_once(app, client):
    """A vote runs the session user (with roles, cars and facts), then the counter (RETURNING the new count), the
    vote row and the follow (an insert that does nothing when already following): three statements, or on
    PostgreSQL one (data-modifying CTEs, one round trip)."""
    from sqlalchemy import event

    from community.notifications.models import Follow

    p, voter = f.proposal(), f.owner()
    db.session.add(Follow(user_id=voter.id, proposal_id=p.id))  # already following: the vote keeps one row
    db.session.commit()
    with client.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = voter.get_id(), True
    voter_id, proposal_id = voter.id, p.id
    db.session.remove()  # a request starts with an empty session, not the test's loaded objects
    statements: list[str] = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        r = client.post(f"/proposals/{proposal_id}/vote", headers={"Accept": "application/json"})
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert r.get_json() == {"vote_count": 1, "voted": True}
    writes = [s for s in statements if not s.lstrip().upper().startswith(("SELECT", "BEGIN", "COMMIT"))]
    assert len([s for s in statements if s.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE"))]) <= 5, \
        "\n".join(" ".join(s.split())[:140] for s in statements)
    assert len(writes) == (1 if db.engine.dialect.name == "postgresql" else 3)
    assert Follow.query.filter_by(user_id=voter_id, proposal_id=proposal_id).count() == 1
    assert Vote.query.filter_by(proposal_id=proposal_id).count() == 1
    assert service.withdraw_vote(db.session.get(type(voter), voter_id), service.get_visible(proposal_id)) == 0
