"""Comments: any logged-in user may comment; shown on the page; the count follows."""
import pytest

from community.errors import PermissionDenied, ValidationError
from community.proposals import service
from community.proposals.models import Comment
from tests import factories as f
from tests.html import field


def test_a_logged_in_user_comments_and_sees_it_on_the_page(client, auth):
    proposal = f.proposal()
    auth.login_as(f.UserFactory(display_name="Wang Lei"))
    resp = client.post(f"/proposals/{proposal.id}/comments", data={"body": "I would pay for this *today*."})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/proposals/{proposal.id}#comments")
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "I would pay for this <em>today</em>." in page and "Wang Lei" in page
    assert proposal.comment_count == Comment.query.count() == 1


def test_an_empty_comment_is_refused_beside_the_field(client, auth):
    proposal = f.proposal()
    auth.login_as(f.UserFactory())
    resp = client.post(f"/proposals/{proposal.id}/comments?lang=en", data={"body": "   "})
    assert resp.status_code == 422
    assert field(resp.get_data(as_text=True), "body").invalid
    too_long = "x" * 5001
    resp = client.post(f"/proposals/{proposal.id}/comments?lang=en", data={"body": too_long})
    assert resp.status_code == 422 and field(resp.get_data(as_text=True), "body").value == too_long
    assert Comment.query.count() == 0 and proposal.comment_count == 0


def test_anonymous_visitors_are_asked_to_log_in(client):
    proposal = f.proposal()
    resp = client.post(f"/proposals/{proposal.id}/comments", data={"body": "hi"})
    assert resp.status_code == 303 and resp.headers["Location"].startswith("/login")  # the text waits (drafts)
    assert "Log in to comment." in client.get(f"/proposals/{proposal.id}?lang=en").get_data(as_text=True)
    assert Comment.query.count() == 0


def test_a_blocked_user_cannot_comment_and_is_told_why(client, auth):
    proposal = f.proposal()
    user = f.UserFactory(is_blocked=True)
    with pytest.raises(PermissionDenied):
        service.add_comment(user, proposal, "spam")
    auth.login_as(user)
    resp = client.post(f"/proposals/{proposal.id}/comments?lang=en", data={"body": "spam"})
    assert resp.status_code == 422 and "Your account is blocked from commenting." in resp.get_data(as_text=True)
    assert Comment.query.count() == 0


def test_comments_on_a_hidden_proposal_are_refused(client, auth):
    from community.dbtypes import utcnow

    proposal = f.proposal()
    proposal.hidden_at = utcnow()
    auth.login_as(f.UserFactory())
    assert client.post(f"/proposals/{proposal.id}/comments", data={"body": "hello"}).status_code == 404
    with pytest.raises(ValidationError):
        service.add_comment(f.UserFactory(), f.proposal(), "")
