"""Comments and reports through the API: the web's rules (proposals and moderation services), one error shape."""
from community.api import tokens
from community.extensions import db
from community.moderation import service as moderation
from community.moderation.models import Flag
from community.proposals.models import Comment, Proposal
from tests import factories as f


def bearer(user, scope="write"):
    _, secret = tokens.create_token(user, "t", scope, None)
    return {"Authorization": f"Bearer {secret}"}


def test_comments_list_visible_only_and_page_by_cursor(client, app):
    p = f.proposal()
    made = [f.comment(p, body=f"comment {i}") for i in range(5)]
    moderation.set_hidden(f.moderator(), "comment", made[1].id, True, "spam")
    first = client.get(f"/api/v1/proposals/{p.id}/comments?limit=2")
    assert first.status_code == 200 and first.headers.get("ETag")
    assert [c["body"] for c in first.json["items"]] == ["comment 0", "comment 2"]
    assert first.json["items"][0]["author"]["display_name"] and "body_html" in first.json["items"][0]
    second = client.get(f"/api/v1/proposals/{p.id}/comments?limit=2&cursor={first.json['next_cursor']}")
    assert [c["body"] for c in second.json["items"]] == ["comment 3", "comment 4"]
    assert second.json["next_cursor"] is None
    # A tampered cursor (an id past 32 bits) and a bad limit are 422s, never a 500 or a silent page one.
    assert client.get(f"/api/v1/proposals/{p.id}/comments?cursor=WzEwMDAwMDAwMDAwMDAwXQ").status_code == 422
    assert client.get(f"/api/v1/proposals/{p.id}/comments?limit=0").status_code == 422
    assert client.get("/api/v1/proposals/999999/comments").status_code == 404


def test_a_hidden_proposal_has_no_comments_to_read_or_write(client, app):
    p = f.proposal()
    moderation.set_hidden(f.moderator(), "proposal", p.id, True, "off-topic")
    assert client.get(f"/api/v1/proposals/{p.id}/comments").status_code == 404
    resp = client.post(f"/api/v1/proposals/{p.id}/comments", headers=bearer(f.UserFactory()), json={"body": "hi"})
    assert resp.status_code == 404 and resp.json["error"]["code"]


def test_posting_a_comment(client, app):
    p = f.proposal()
    assert client.post(f"/api/v1/proposals/{p.id}/comments", json={"body": "x"}).status_code == 401
    user = f.UserFactory()
    assert client.post(f"/api/v1/proposals/{p.id}/comments", headers=bearer(user, "read"),
                       json={"body": "x"}).status_code == 403
    blank = client.post(f"/api/v1/proposals/{p.id}/comments", headers=bearer(user), json={"body": "   "})
    assert blank.status_code == 422 and "body" in blank.json["error"]["fields"]
    assert client.post(f"/api/v1/proposals/{p.id}/comments", headers=bearer(user), json={}).status_code == 422
    ok = client.post(f"/api/v1/proposals/{p.id}/comments", headers=bearer(user), json={"body": "**Yes** please"})
    assert ok.status_code == 201 and "<strong>Yes</strong>" in ok.json["body_html"]
    assert ok.json["author"]["id"] == user.id
    assert db.session.get(Proposal, p.id).comment_count == 1


def test_blocked_users_cannot_comment_or_report(client, app):
    p = f.proposal()
    blocked = f.UserFactory(is_blocked=True)
    h = bearer(blocked)
    resp = client.post(f"/api/v1/proposals/{p.id}/comments", headers=h, json={"body": "hello"})
    assert resp.status_code == 403 and Comment.query.count() == 0
    assert client.post(f"/api/v1/reports/proposal/{p.id}", headers=h, json={"reason": "spam"}).status_code == 403
    assert Flag.query.count() == 0


def test_reporting_content(client, app):
    p = f.proposal()
    c = f.comment(p)
    user = f.UserFactory()
    h = bearer(user)
    url = f"/api/v1/reports/proposal/{p.id}"
    assert client.post(url, json={"reason": "spam"}).status_code == 401
    assert client.post(url, headers=bearer(user, "read"), json={"reason": "spam"}).status_code == 403
    assert client.post(url, headers=h, json={"reason": "  "}).status_code == 422
    assert client.post(url, headers=h, json={}).status_code == 422
    made = client.post(url, headers=h, json={"reason": "Advertising"})
    assert made.status_code == 201 and made.json["target_type"] == "proposal" and made.json["target_id"] == p.id
    again = client.post(url, headers=h, json={"reason": "Still advertising"})
    assert again.status_code == 409 and again.json["error"]["message"]
    assert client.post(f"/api/v1/reports/comment/{c.id}", headers=h, json={"reason": "Rude"}).status_code == 201
    assert client.post(f"/api/v1/reports/spaceship/{p.id}", headers=h, json={"reason": "x"}).status_code == 404
    assert client.post("/api/v1/reports/comment/999999", headers=h, json={"reason": "x"}).status_code == 404
    assert Flag.query.filter_by(reporter_id=user.id).count() == 2


def test_hidden_or_unseeable_content_cannot_be_reported(client, app):
    p = f.proposal()
    moderation.set_hidden(f.moderator(), "proposal", p.id, True, "spam")
    h = bearer(f.UserFactory())
    assert client.post(f"/api/v1/reports/proposal/{p.id}", headers=h, json={"reason": "x"}).status_code == 404
    # Feedback is private: only those who may read it may report it.
    item = f.feedback(author=f.owner())
    assert client.post(f"/api/v1/reports/feedback/{item.id}", headers=h, json={"reason": "x"}).status_code == 404
    assert client.post(f"/api/v1/reports/feedback/{item.id}", headers=bearer(item.author),
                       json={"reason": "sent by mistake"}).status_code == 201
