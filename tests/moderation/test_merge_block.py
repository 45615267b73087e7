import pytest

from community.audit.models import AuditEntry
from community.errors import Conflict, PermissionDenied, ValidationError
from community.moderation import service
from community.proposals import service as proposals
from community.proposals.models import Vote
from community.timeline.models import Milestone
from tests import factories as f


def _rows(p):
    return Vote.query.filter_by(proposal_id=p.id).count()


def test_merge_counts_each_voter_once(app, client):
    mod = f.moderator()
    original, duplicate = f.proposal(title="Rear USB-C"), f.proposal(title="USB-C in the back")
    a, b, c, d = (f.owner() for _ in range(4))
    for voter in (a, b, d):
        proposals.vote(voter, original)
    for voter in (a, b, c):
        proposals.vote(voter, duplicate)
    result = service.merge(mod, duplicate.id, original.id, "same idea")
    assert result["moved"] == 1 and result["already"] == 2
    assert original.vote_count == 4 == _rows(original)  # a, b, c, d: A and B counted once
    assert duplicate.vote_count == _rows(duplicate) == 3  # the duplicate's own rows are kept, not deleted
    assert duplicate.status == "merged" and duplicate.merged_into_id == original.id
    assert client.get(f"/proposals/{duplicate.id}").location.endswith(f"/proposals/{original.id}")
    assert Milestone.query.filter_by(proposal_id=duplicate.id, status_to="merged").count() == 1
    assert Milestone.query.filter_by(proposal_id=original.id, kind="progress_update").count() == 1
    assert AuditEntry.query.filter_by(action="moderation.merge", target_id=duplicate.id).count() == 1
    assert proposals.recount_votes() == []
    with pytest.raises(Conflict):
        service.merge(mod, duplicate.id, original.id, "again")
    with pytest.raises(Conflict):
        proposals.vote(f.owner(), duplicate)  # merged: voting closed


def test_merge_refusals(app):
    mod, p, q = f.moderator(), f.proposal(), f.proposal()
    with pytest.raises(ValidationError):
        service.merge(mod, p.id, p.id, "self")
    with pytest.raises(PermissionDenied):
        service.merge(f.owner(), p.id, q.id, "not a moderator")
    service.set_hidden(mod, "proposal", q.id, True, "spam")
    with pytest.raises(ValidationError):
        service.merge(mod, p.id, q.id, "into hidden")
    assert p.status == "submitted"


def test_merge_through_the_web(client, auth, app):
    mod, original, duplicate = f.moderator(), f.proposal(), f.proposal()
    proposals.vote(f.owner(), duplicate)
    auth.login(mod)
    assert client.post(f"/moderation/proposals/{duplicate.id}/merge",
                       data={"original_id": 9999, "reason": "dup"}).status_code == 422
    resp = client.post(f"/moderation/proposals/{duplicate.id}/merge", data={"original_id": original.id,
                                                                             "reason": "dup"})
    assert resp.status_code == 302 and original.vote_count == 1


def test_blocked_user_cannot_act_but_votes_stay_until_removed(app):
    mod, voter, p = f.moderator(), f.owner(), f.proposal()
    proposals.vote(voter, p)
    service.set_blocked(mod, voter, True, "abuse")
    for action in (lambda: proposals.vote(voter, f.proposal()), lambda: proposals.add_comment(voter, p, "x"),
                   lambda: proposals.create_proposal(voter, "t", "b", "other"),
                   lambda: service.flag(voter, "proposal", p.id, "x")):
        with pytest.raises(PermissionDenied):
            action()
    assert p.vote_count == 1
    assert service.remove_votes(mod, voter, "fake account") == 1
    assert p.vote_count == 0 == _rows(p)
    entry = AuditEntry.query.filter_by(action="moderation.remove_votes").one()
    assert entry.before["votes"][0]["proposal_id"] == p.id  # the removed rows are kept in the log
    service.set_blocked(mod, voter, False, "appeal accepted")
    assert proposals.vote(voter, p) == 1


def test_block_refusals(app):
    mod, user = f.moderator(), f.owner()
    with pytest.raises(Conflict):
        service.remove_votes(mod, user, "not blocked")
    with pytest.raises(PermissionDenied):
        service.set_blocked(mod, mod, True, "self")
    with pytest.raises(PermissionDenied):
        service.set_blocked(mod, f.admin(), True, "staff")
    service.set_blocked(f.admin(), f.moderator(), True, "admins may")
    service.set_blocked(mod, user, True, "x")
    with pytest.raises(Conflict):
        service.set_blocked(mod, user, True, "x")
    with pytest.raises(PermissionDenied):
        service.set_blocked(f.owner(), user, False, "x")


def test_block_through_the_web(client, auth, app):
    mod, user = f.moderator(), f.owner(email="troll@example.com")
    auth.login(mod)
    assert "troll@example.com" in client.get("/moderation/users?q=troll").get_data(as_text=True)
    assert client.post(f"/moderation/users/{user.id}/block", data={"reason": "trolling"}).status_code == 302
    assert user.is_blocked
    assert "troll@example.com" in client.get("/moderation/users").get_data(as_text=True)  # blocked list
    assert client.post(f"/moderation/users/{user.id}/remove-votes", data={"reason": "x"}).status_code == 302
    assert client.post(f"/moderation/users/{user.id}/unblock", data={"reason": "ok"}).status_code == 302
    assert not user.is_blocked


def test_merge_into_a_number_beyond_any_id_is_a_form_error_not_a_500(client, auth, app):
    """Found by hand: 99999999999999999999 overflowed SQLite's INTEGER (and 99999999999 PostgreSQL's)."""
    mod, duplicate = f.moderator(), f.proposal()
    auth.login(mod)
    for too_big in ("2147483648", "99999999999999999999"):
        resp = client.post(f"/moderation/proposals/{duplicate.id}/merge",
                           data={"original_id": too_big, "reason": "dup"})
        assert resp.status_code == 422
    assert duplicate.status == "submitted"


def test_a_blocked_owner_is_told_so_on_the_proposal_page_and_by_the_vote(client, auth, app):
    """A blocked owner is neither offered a vote button or comment form the server would refuse nor told to add
    a car they already have: the page and the refusal say the account is blocked; unblocking gives both back."""
    mod, owner, p = f.moderator(), f.owner(), f.proposal()
    other = f.proposal(title="Voted before the block")
    proposals.vote(owner, other)
    service.set_blocked(mod, owner, True, "abuse")
    auth.login_as(owner)
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Your account is blocked from voting." in page and "Only verified owners can vote." not in page
    assert "Your account is blocked from commenting." in page and 'name="body"' not in page
    assert 'id="vote"' not in page
    assert 'id="unvote"' in client.get(f"/proposals/{other.id}").get_data(as_text=True)  # a vote kept can go
    with pytest.raises(PermissionDenied, match="blocked from voting"):
        proposals.vote(owner, p)
    service.set_blocked(mod, owner, False, "appeal accepted")
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'id="vote"' in page and 'name="body"' in page and "blocked" not in page
