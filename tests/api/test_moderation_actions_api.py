"""The moderators' actions through the API: flag queue, hide/restore, dismiss, block, vote removal, merge.

Same services as the web pages, so the same refusals and the same audit entries."""
from community.api import tokens
from community.audit.models import AuditEntry
from community.extensions import db
from community.moderation import service as moderation
from community.moderation.models import Flag
from community.proposals import service as proposals
from community.proposals.models import Proposal, Vote
from tests import factories as f


def bearer(user, scope="write"):
    _, secret = tokens.create_token(user, "t", scope, None)
    return {"Authorization": f"Bearer {secret}"}


def test_the_flag_queue_is_for_moderators(client, app):
    p = f.proposal()
    reporters = [f.UserFactory(), f.UserFactory()]
    for r in reporters:
        moderation.flag(r, "proposal", p.id, "Spam")
    assert client.get("/api/v1/moderation/flags").status_code == 401
    assert client.get("/api/v1/moderation/flags", headers=bearer(f.owner())).status_code == 403
    resp = client.get("/api/v1/moderation/flags", headers=bearer(f.moderator(), "read"))
    assert resp.status_code == 200
    [entry] = resp.json
    assert entry["target_type"] == "proposal" and entry["target_id"] == p.id and entry["hidden"] is False
    assert [fl["reporter"]["id"] for fl in entry["flags"]] == [r.id for r in reporters]
    assert entry["excerpt"].startswith(f"#{p.id}")


def test_hide_and_restore_with_a_reason(client, app):
    p = f.proposal()
    moderation.flag(f.UserFactory(), "proposal", p.id, "Spam")
    mod = f.moderator()
    h = bearer(mod)
    url = f"/api/v1/moderation/proposal/{p.id}"
    assert client.post(url + "/hide", json={"reason": "x"}).status_code == 401
    assert client.post(url + "/hide", headers=bearer(mod, "read"), json={"reason": "x"}).status_code == 403
    assert client.post(url + "/hide", headers=bearer(f.owner()), json={"reason": "x"}).status_code == 403
    assert client.post(url + "/hide", headers=bearer(f.council_member()), json={"reason": "x"}).status_code == 403
    assert client.post(url + "/hide", headers=h, json={"reason": " "}).status_code == 422
    assert client.post(url + "/hide", headers=h, json={}).status_code == 422
    assert client.post("/api/v1/moderation/proposal/999999/hide", headers=h, json={"reason": "x"}).status_code == 404
    assert client.post(f"/api/v1/moderation/spaceship/{p.id}/hide", headers=h, json={"reason": "x"}).status_code == 404
    hidden = client.post(url + "/hide", headers=h, json={"reason": "Advertising"})
    assert hidden.status_code == 200 and hidden.json == {"target_type": "proposal", "target_id": p.id, "hidden": True}
    assert client.post(url + "/hide", headers=h, json={"reason": "again"}).status_code == 409
    # Gone from the API's public reads, its reports resolved, the action audited.
    assert p.id not in [x["id"] for x in client.get("/api/v1/proposals").json["items"]]
    assert client.get(f"/api/v1/proposals/{p.id}").status_code == 404
    assert Flag.query.filter(Flag.resolved_at.is_(None)).count() == 0
    assert client.get("/api/v1/moderation/flags", headers=h).json == []
    entry = AuditEntry.query.filter_by(action="moderation.hide").one()
    assert entry.actor_id == mod.id and entry.note == "Advertising"
    restored = client.post(url + "/restore", headers=h, json={"reason": "Appeal upheld"})
    assert restored.status_code == 200 and restored.json["hidden"] is False
    assert client.post(url + "/restore", headers=h, json={"reason": "again"}).status_code == 409
    assert p.id in [x["id"] for x in client.get("/api/v1/proposals").json["items"]]
    assert AuditEntry.query.filter_by(action="moderation.restore").count() == 1


def test_hiding_a_comment_leaves_the_comment_list(client, app):
    p = f.proposal()
    c = f.comment(p)
    h = bearer(f.moderator())
    assert client.post(f"/api/v1/moderation/comment/{c.id}/hide", headers=h, json={"reason": "rude"}).status_code == 200
    assert client.get(f"/api/v1/proposals/{p.id}/comments").json["items"] == []
    assert client.get(f"/api/v1/proposals/{p.id}").json["comment_count"] == 0


def test_dismissing_reports(client, app):
    p = f.proposal()
    c = f.comment(p)
    moderation.flag(f.UserFactory(), "comment", c.id, "Rude?")
    moderation.flag(f.UserFactory(), "comment", c.id, "Rude!")
    h = bearer(f.moderator())
    url = f"/api/v1/moderation/comment/{c.id}/dismiss"
    assert client.post(url, headers=bearer(f.owner()), json={"reason": "fine"}).status_code == 403
    assert client.post(url, headers=h, json={"reason": ""}).status_code == 422
    done = client.post(url, headers=h, json={"reason": "Robust, not rude"})
    assert done.status_code == 200 and done.json == {"count": 2}
    assert client.post(url, headers=h, json={"reason": "again"}).status_code == 409
    assert client.get(f"/api/v1/proposals/{p.id}/comments").json["items"][0]["id"] == c.id  # still visible
    assert AuditEntry.query.filter_by(action="moderation.dismiss").count() == 1


def test_block_unblock_and_remove_votes(client, app):
    p = f.proposal()
    voter = f.owner()
    proposals.vote(voter, p)
    mod = f.moderator()
    h = bearer(mod)
    base = f"/api/v1/moderation/users/{voter.id}"
    assert client.post(base + "/block", headers=bearer(f.owner()), json={"reason": "x"}).status_code == 403
    assert client.post(base + "/block", headers=bearer(mod, "read"), json={"reason": "x"}).status_code == 403
    assert client.post(base + "/block", headers=h, json={"reason": ""}).status_code == 422
    assert client.post("/api/v1/moderation/users/999999/block", headers=h, json={"reason": "x"}).status_code == 404
    assert client.post(f"/api/v1/moderation/users/{mod.id}/block", headers=h, json={"reason": "x"}).status_code == 403
    assert client.post(f"/api/v1/moderation/users/{f.moderator().id}/block", headers=h,
                       json={"reason": "x"}).status_code == 403  # staff: admins only
    # Votes go only once the user is blocked.
    assert client.post(base + "/remove-votes", headers=h, json={"reason": "bot"}).status_code == 409
    blocked = client.post(base + "/block", headers=h, json={"reason": "Vote ring"})
    assert blocked.status_code == 200 and blocked.json["is_blocked"] is True
    assert client.post(base + "/block", headers=h, json={"reason": "again"}).status_code == 409
    # A blocked user's own token can no longer vote or comment.
    assert client.post(f"/api/v1/proposals/{p.id}/comments", headers=bearer(voter),
                       json={"body": "hi"}).status_code == 403
    removed = client.post(base + "/remove-votes", headers=h, json={"reason": "Vote ring"})
    assert removed.status_code == 200 and removed.json == {"count": 1}
    assert db.session.get(Proposal, p.id).vote_count == 0 and Vote.query.count() == 0
    unblocked = client.post(base + "/unblock", headers=h, json={"reason": "Appeal"})
    assert unblocked.status_code == 200 and unblocked.json["is_blocked"] is False
    assert client.post(base + "/unblock", headers=h, json={"reason": "again"}).status_code == 409
    actions = [e.action for e in AuditEntry.query.filter_by(target_type="user").order_by(AuditEntry.id)]
    assert actions == ["moderation.block", "moderation.remove_votes", "moderation.unblock"]


def test_merge_moves_votes_counting_each_voter_once(client, app):
    original, duplicate = f.proposal(title="Heated rear seats"), f.proposal(title="Rear seat heating")
    both, only_dup, only_orig = f.owner(), f.owner(), f.owner()
    for user, targets in ((both, (original, duplicate)), (only_dup, (duplicate,)), (only_orig, (original,))):
        for target in targets:
            proposals.vote(user, target)
    moderation.flag(f.UserFactory(), "proposal", duplicate.id, "Duplicate of another")
    mod = f.moderator()
    h = bearer(mod)
    url = f"/api/v1/moderation/proposals/{duplicate.id}/merge"
    assert client.post(url, json={"original_id": original.id, "reason": "dup"}).status_code == 401
    assert client.post(url, headers=bearer(f.owner()), json={"original_id": original.id, "reason": "dup"}
                       ).status_code == 403
    assert client.post(url, headers=h, json={"original_id": original.id, "reason": ""}).status_code == 422
    assert client.post(url, headers=h, json={"reason": "dup"}).status_code == 422
    itself = client.post(url, headers=h, json={"original_id": duplicate.id, "reason": "dup"})
    assert itself.status_code == 422 and "original_id" in itself.json["error"]["fields"]
    assert client.post(url, headers=h, json={"original_id": 999999, "reason": "dup"}).status_code == 404
    assert client.post("/api/v1/moderation/proposals/999999/merge", headers=h,
                       json={"original_id": original.id, "reason": "dup"}).status_code == 404
    merged = client.post(url, headers=h, json={"original_id": original.id, "reason": "Same idea"})
    assert merged.status_code == 200
    assert merged.json == {"moved": 1, "already": 1, "original_votes": 3}
    assert db.session.get(Proposal, original.id).vote_count == 3
    assert Vote.query.filter_by(proposal_id=original.id).count() == 3
    assert client.get(f"/api/v1/proposals/{duplicate.id}").json["status"] == "merged"
    assert client.post(url, headers=h, json={"original_id": original.id, "reason": "again"}).status_code == 409
    assert Flag.query.filter_by(resolution="merged").count() == 1
    entry = AuditEntry.query.filter_by(action="moderation.merge").one()
    assert entry.actor_id == mod.id and entry.target_id == duplicate.id
