"""One-time submission tokens: a create form posted twice (double click, back-button resubmit, a browser
retry, two posts at once) creates one item and sends the second post to it."""
import re
import threading
from datetime import timedelta

import pytest

from community import jobs, submissions
from community.dbtypes import utcnow
from community.extensions import db
from community.feedback.models import FeedbackItem as Feedback
from community.proposals import service as proposals
from community.proposals.models import Comment, Proposal
from community.shopper import service as shopper
from community.submissions import FormSubmission
from tests import factories as f
from tests.shopper import factories as sf

ALREADY = "You had already sent this form"


def token_in(page: str) -> str:
    tag = re.search(r'<input[^>]*name="submission_token"[^>]*>', page)
    assert tag, "the form carries no submission token"
    return re.search(r'value="([^"]+)"', tag.group(0)).group(1)


def test_a_resubmitted_proposal_creates_one_and_shows_it(client, auth, app):
    auth.login_as(f.owner())
    page = client.get("/proposals/new").get_data(as_text=True)
    token = token_in(page)
    assert token != token_in(client.get("/proposals/new").get_data(as_text=True))  # one per rendering
    data = {"title": "Rear seat USB-C", "category": "comfort", "body": "Please.", "submission_token": token}
    first = client.post("/proposals/new", data=data)
    assert first.status_code == 302
    again = client.post("/proposals/new", data=data)
    assert again.status_code == 302 and again.headers["Location"] == first.headers["Location"]
    assert ALREADY in client.get(again.headers["Location"]).get_data(as_text=True)
    assert Proposal.query.count() == 1
    row = FormSubmission.query.one()
    assert row.kind == "proposal" and row.item_url == first.headers["Location"]


def test_a_refused_post_does_not_use_the_token_up(client, auth, app):
    auth.login_as(f.owner())
    token = token_in(client.get("/proposals/new").get_data(as_text=True))
    data = {"title": "", "category": "comfort", "body": "Please.", "submission_token": token}
    refused = client.post("/proposals/new", data=data)
    assert refused.status_code == 422 and token_in(refused.get_data(as_text=True)) == token
    assert FormSubmission.query.count() == 0
    assert client.post("/proposals/new", data={**data, "title": "Fixed"}).status_code == 302
    assert Proposal.query.count() == 1


def test_two_posts_of_the_same_token_at_once_create_one_proposal(make_app, monkeypatch):
    app = make_app()
    with app.app_context():
        author = f.owner()
        author_id = author.get_id()
    real = proposals.create_proposal
    both_inside = threading.Barrier(2, timeout=30)

    def together(*args, **kwargs):
        both_inside.wait()  # neither post has written yet: both passed the "already sent?" check
        return real(*args, **kwargs)

    monkeypatch.setattr(proposals, "create_proposal", together)
    data = {"title": "Same moment", "category": "comfort", "body": "Twice.", "submission_token": "t" * 32}
    answers = []

    def post():
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = author_id, True
        answers.append(client.post("/proposals/new", data=data))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(r.status_code for r in answers) == [302, 302], [r.get_data(as_text=True)[:300] for r in answers]
    with app.app_context():
        assert Proposal.query.count() == 1 and FormSubmission.query.count() == 1


def test_the_database_refuses_a_token_twice(app):
    for _ in range(2):
        db.session.add(FormSubmission(token="x" * 32, kind="proposal"))
    with pytest.raises(Exception, match="(?i)unique|duplicate"):
        db.session.commit()
    db.session.rollback()


def test_a_resubmitted_comment_posts_once(client, auth, app):
    p = f.proposal()
    auth.login_as(f.owner())
    token = token_in(client.get(f"/proposals/{p.id}").get_data(as_text=True))
    data = {"body": "Agreed.", "submission_token": token}
    first = client.post(f"/proposals/{p.id}/comments", data=data)
    again = client.post(f"/proposals/{p.id}/comments", data=data)
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"] == first.headers["Location"]
    assert Comment.query.count() == 1 and db.session.get(Proposal, p.id).comment_count == 1


def test_resubmitted_feedback_is_sent_once_signed_in_or_not(client, auth, app):
    f.teams()
    token = token_in(client.get("/feedback/new").get_data(as_text=True))
    anonymous = {"text": "CarPlay drops", "channel": "app", "contact": "a@example.com", "submission_token": token}
    assert client.post("/feedback/new", data=anonymous).status_code == 302
    again = client.post("/feedback/new", data=anonymous)
    assert again.status_code == 302 and again.headers["Location"].endswith("/feedback/new")
    assert ALREADY in client.get(again.headers["Location"]).get_data(as_text=True)
    assert Feedback.query.count() == 1
    auth.login_as(f.owner())
    token = token_in(client.get("/feedback/new").get_data(as_text=True))
    mine = {"text": "Charging stops at 80 %", "channel": "app", "vehicle_id": "", "submission_token": token}
    first = client.post("/feedback/new", data=mine)
    second = client.post("/feedback/new", data=mine)
    assert first.headers["Location"] == second.headers["Location"] and "/feedback/" in first.headers["Location"]
    assert Feedback.query.count() == 2


def test_a_resubmitted_shopper_report_is_saved_once(client, auth, app):
    author, shop = sf.shopper(), sf.store()
    sales, _after_sales = sf.items()
    auth.login_as(author)
    token = token_in(client.get("/shopper/reports/new").get_data(as_text=True))
    data = {"store_id": str(shop.id), "visit_kind": "purchase", "narrative": "Fine", f"score_{sales.id}": "3",
            "save": "1", "submission_token": token}
    first = client.post("/shopper/reports/new", data=data)
    assert first.status_code == 302
    again = client.post("/shopper/reports/new", data=data)
    report = shopper.my_reports(author)[0]
    assert again.status_code == 302 and again.headers["Location"].endswith(f"/shopper/reports/{report.id}")
    assert len(shopper.my_reports(author)) == 1


def test_someone_elses_token_does_not_lead_to_their_item(client, auth, app):
    auth.login_as(f.owner())
    token = token_in(client.get("/proposals/new").get_data(as_text=True))
    data = {"title": "Mine", "category": "comfort", "body": "Please.", "submission_token": token}
    assert client.post("/proposals/new", data=data).status_code == 302
    auth.login_as(f.owner())
    other = client.post("/proposals/new", data=data)
    assert other.status_code == 302 and other.headers["Location"] == "/"
    assert Proposal.query.count() == 1


def test_a_post_without_a_token_still_works(client, auth, app):
    auth.login_as(f.owner())
    data = {"title": "Scripted", "category": "comfort", "body": "Please."}
    assert client.post("/proposals/new", data=data).status_code == 302
    assert client.post("/proposals/new", data=data).status_code == 302
    assert Proposal.query.count() == 2 and FormSubmission.query.count() == 0


def test_old_tokens_are_purged_by_the_job(app):
    db.session.add(FormSubmission(token="o" * 32, kind="proposal", created_at=utcnow() - timedelta(days=8)))
    db.session.add(FormSubmission(token="n" * 32, kind="proposal"))
    db.session.commit()
    assert "done (1)" in jobs.run_periodic("form-state-purge")
    assert [r.token for r in FormSubmission.query.all()] == ["n" * 32]
    assert submissions.purge() == 0
