import pytest

from community.errors import Conflict, PermissionDenied
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
