"""Posting a proposal: who may, validation beside the fields, Markdown rendered and sanitised."""
import pytest

from community.errors import PermissionDenied, ValidationError
from community.proposals import service
from community.proposals.models import Proposal
from tests import factories as f
from tests.html import field

GOOD = {"title": "Seat ventilation levels", "category": "comfort", "body": "Three levels are not enough."}


def test_owner_posts_a_proposal_and_lands_on_its_page(client, auth):
    author = f.owner(display_name="Chen Chen")
    auth.login_as(author)
    assert client.get("/proposals/new").status_code == 200
    resp = client.post("/proposals/new", data=GOOD)
    assert resp.status_code == 302
    proposal = Proposal.query.one()
    assert resp.headers["Location"] == f"/proposals/{proposal.id}"
    assert (proposal.title, proposal.status, proposal.author_id, proposal.vote_count) == (
        GOOD["title"], "submitted", author.id, 0)
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Seat ventilation levels" in page and "Three levels are not enough." in page and "Chen Chen" in page


def test_a_user_without_a_verified_car_is_sent_to_add_one(client, auth):
    auth.login_as(f.UserFactory())
    resp = client.get("/proposals/new")
    assert resp.status_code == 302 and resp.headers["Location"] == "/vehicles"
    assert client.post("/proposals/new", data=GOOD).status_code == 302
    assert Proposal.query.count() == 0
    with pytest.raises(PermissionDenied):
        service.create_proposal(f.UserFactory(), **GOOD)


def test_council_members_and_moderators_may_propose_without_a_car(app):
    assert service.create_proposal(f.council_member(), **GOOD).id
    assert service.create_proposal(f.moderator(), **GOOD).id


@pytest.mark.parametrize(("changes", "bad_field"), [
    ({"title": "x" * 121}, "title"),
    ({"title": "   "}, "title"),
    ({"body": ""}, "body"),
    ({"body": "x" * 20_001}, "body"),
    ({"category": "weather"}, "category"),
])
def test_invalid_input_is_refused_beside_the_field_keeping_what_was_typed(client, auth, changes, bad_field):
    auth.login_as(f.owner())
    data = {**GOOD, **changes}
    resp = client.post("/proposals/new?lang=en", data=data)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert field(page, bad_field).invalid and field(page, bad_field).error
    for name in ("title", "body"):
        if name != bad_field:
            assert field(page, name).value == data[name]
    assert Proposal.query.count() == 0


def test_a_title_of_exactly_120_characters_is_fine(app):
    assert service.create_proposal(f.owner(), "t" * 120, "body", "other").title == "t" * 120
    with pytest.raises(ValidationError) as err:
        service.create_proposal(f.owner(), "t" * 121, "", "nope")
    assert set(err.value.fields) == {"title", "body", "category"}


def test_markdown_is_rendered_and_only_safe_html_survives(client):
    body = ("**bold** and a [good link](https://example.com/x)\n\n"
            "[bad](javascript:alert(1)) [mail](mailto:a@example.com) [data](data:text/html;base64,PHNjcmlwdD4=)\n\n"
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n- one\n- two")
    proposal = f.proposal(body=body)
    page = client.get(f"/proposals/{proposal.id}").get_data(as_text=True)
    assert "<strong>bold</strong>" in page and "<li>one</li>" in page
    assert '<a href="https://example.com/x" rel="nofollow noopener noreferrer">good link</a>' in page
    assert 'href="mailto:a@example.com"' in page
    assert 'href="javascript:' not in page.lower() and 'href="data:' not in page
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # shown as text, not run
