"""An expired CSRF token or session never loses what the owner typed: the form comes back filled in (after a
new login when needed), and submitting it then creates the item exactly once."""
import re
import time
from datetime import timedelta

from community import drafts, jobs
from community.dbtypes import utcnow
from community.drafts import FormDraft
from community.extensions import db
from community.feedback.models import FeedbackItem
from community.proposals.models import Comment, Proposal
from community.shopper import service as shopper
from tests import factories as f
from tests.shopper import factories as sf

LONG = "A long proposal typed over an hour: heated rear seats, with a separate switch for each side."
KEPT = "your text was kept"


def field(page: str, name: str) -> str:
    tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert tag, f"no {name} in the page"
    return re.search(r'value="([^"]*)"', tag.group(0)).group(1)


def csrf_app(make_app, **config):
    return make_app(WTF_CSRF_ENABLED=True, **config)


def login(client, user):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"email": user.email, "password": "correct-horse-battery",
                                       "csrf_token": field(page, "csrf_token")})


def test_an_expired_csrf_token_keeps_the_proposal_and_a_second_submit_creates_it_once(make_app):
    app = csrf_app(make_app, WTF_CSRF_TIME_LIMIT=1)
    with app.app_context():
        client = app.test_client()
        user = f.owner()
        assert login(client, user).status_code == 302
        page = client.get("/proposals/new").get_data(as_text=True)
        data = {"title": "Heated rear seats", "category": "comfort", "body": LONG,
                "csrf_token": field(page, "csrf_token"), "submission_token": field(page, "submission_token")}
        time.sleep(2)  # past WTF_CSRF_TIME_LIMIT
        expired = client.post("/proposals/new", data=data)
        assert expired.status_code == 303 and expired.headers["Location"].endswith("/proposals/new")
        assert Proposal.query.count() == 0
        back = client.get("/proposals/new").get_data(as_text=True)
        assert KEPT in back and LONG in back and 'value="Heated rear seats"' in back
        fresh = {**data, "csrf_token": field(back, "csrf_token"), "submission_token": field(back, "submission_token")}
        assert fresh["submission_token"] == data["submission_token"]  # still the same one-time form
        assert client.post("/proposals/new", data=fresh).status_code == 302
        assert client.post("/proposals/new", data=fresh).status_code == 302  # a double click on top
        assert Proposal.query.filter_by(body=LONG).count() == 1
        assert FormDraft.query.count() == 0  # shown once, then gone
        assert LONG not in client.get("/proposals/new").get_data(as_text=True)


def test_after_the_session_ended_the_owner_logs_in_and_finds_the_form_filled_in(make_app):
    app = csrf_app(make_app)
    with app.app_context():
        client = app.test_client()
        user = f.owner()
        login(client, user)
        page = client.get("/proposals/new").get_data(as_text=True)
        data = {"title": "Heated rear seats", "category": "comfort", "body": LONG,
                "csrf_token": field(page, "csrf_token"), "submission_token": field(page, "submission_token")}
        with client.session_transaction() as sess:
            sess.clear()  # the browser session ended (closed, expired, logged out elsewhere)
        expired = client.post("/proposals/new", data=data)
        assert expired.status_code == 303 and "/login" in expired.headers["Location"]
        assert expired.headers["Location"].endswith("next=/proposals/new")
        assert LONG not in expired.headers["Location"]  # the text stays on the server
        page = client.get(expired.headers["Location"]).get_data(as_text=True)
        assert KEPT in page
        again = client.post(expired.headers["Location"], data={
            "email": user.email, "password": "correct-horse-battery", "csrf_token": field(page, "csrf_token")})
        assert again.status_code == 302 and again.headers["Location"].endswith("/proposals/new")
        back = client.get("/proposals/new").get_data(as_text=True)
        assert LONG in back
        resp = client.post("/proposals/new", data={**data, "csrf_token": field(back, "csrf_token")})
        assert resp.status_code == 302
        assert Proposal.query.filter_by(body=LONG).count() == 1


def test_a_logged_out_post_without_csrf_checks_is_kept_too(client, auth, app):
    user = f.owner()
    resp = client.post("/proposals/new", data={"title": "T", "category": "comfort", "body": LONG})
    assert resp.status_code == 303 and "/login" in resp.headers["Location"]
    auth.login_as(user)
    assert LONG in client.get("/proposals/new").get_data(as_text=True)


def test_a_draft_is_never_shown_to_another_account(client, auth, app):
    owner, other = f.owner(), f.owner()
    auth.login_as(owner)
    with client.session_transaction() as sess:
        sess["_user_id"] = f"{owner.id}:stale"  # a session that ended (logged out everywhere)
    client.post("/proposals/new", data={"title": "T", "category": "comfort", "body": LONG})
    assert FormDraft.query.one().user_id == owner.id
    auth.login_as(other)
    assert LONG not in client.get("/proposals/new").get_data(as_text=True)
    fresh_browser = app.test_client()
    with fresh_browser.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = owner.get_id(), True
    assert LONG not in fresh_browser.get("/proposals/new").get_data(as_text=True)  # another browser
    auth.login_as(owner)
    assert LONG in client.get("/proposals/new").get_data(as_text=True)


def test_feedback_text_survives_an_expired_token_for_a_visitor(make_app):
    app = csrf_app(make_app)
    with app.app_context():
        f.teams()
        client = app.test_client()
        page = client.get("/feedback/new").get_data(as_text=True)
        data = {"text": "The charger at the Jing'an store was broken for a week.", "channel": "app",
                "contact": "me@example.com", "csrf_token": "stale", "submission_token": field(page, "submission_token")}
        expired = client.post("/feedback/new", data=data)
        assert expired.status_code == 303 and expired.headers["Location"].endswith("/feedback/new")
        back = client.get("/feedback/new").get_data(as_text=True)
        assert KEPT in back and "broken for a week" in back and 'value="me@example.com"' in back
        assert client.post("/feedback/new", data={**data, "csrf_token": field(back, "csrf_token")}).status_code == 302
        assert client.post("/feedback/new", data={**data, "csrf_token": field(back, "csrf_token")}).status_code == 302
        assert FeedbackItem.query.count() == 1


def test_a_shopper_narrative_survives_the_end_of_the_session(client, auth, app):
    author, shop = sf.shopper(), sf.store()
    sf.items()
    data = {"store_id": str(shop.id), "visit_kind": "purchase", "narrative": "Waited 40 minutes for anyone.",
            "save": "1"}
    resp = client.post("/shopper/reports/new", data=data)
    assert resp.status_code == 303 and "/login" in resp.headers["Location"]
    auth.login_as(author)
    back = client.get("/shopper/reports/new").get_data(as_text=True)
    assert "Waited 40 minutes for anyone." in back
    assert client.post("/shopper/reports/new", data=data).status_code == 302
    assert len(shopper.my_reports(author)) == 1


def test_a_comment_comes_back_on_the_proposal_page(client, auth, app):
    p = f.proposal()
    user = f.owner()
    resp = client.post(f"/proposals/{p.id}/comments", data={"body": "Kept comment text"})
    assert resp.status_code == 303 and resp.headers["Location"].endswith(f"next=/proposals/{p.id}")
    auth.login_as(user)
    assert "Kept comment text" in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert Comment.query.count() == 0


def test_logging_out_forgets_the_browsers_drafts_and_the_job_purges_old_ones(client, auth, app):
    auth.login_as(f.owner())
    with client.session_transaction() as sess:
        sess.pop("_user_id")
    client.post("/proposals/new", data={"title": "T", "category": "comfort", "body": LONG})
    assert FormDraft.query.count() == 1
    auth.login_as(f.owner())
    client.post("/logout")
    assert FormDraft.query.count() == 0
    db.session.add(FormDraft(browser="b", path="/proposals/new", data="{}", expires_at=utcnow() - timedelta(1)))
    db.session.add(FormDraft(browser="b", path="/feedback/new", data="{}", expires_at=utcnow() + timedelta(1)))
    db.session.commit()
    assert "done (1)" in jobs.run_periodic("form-drafts-purge")
    assert drafts.purge() == 0 and FormDraft.query.count() == 1


def test_a_post_from_another_site_is_not_kept(client, auth, app):
    auth.login_as(f.owner())
    with client.session_transaction() as sess:
        sess.pop("_user_id")
    for headers in ({"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}):
        resp = client.post("/proposals/new", data={"title": "T", "category": "comfort", "body": LONG},
                           headers=headers)
        assert resp.status_code == 302 and FormDraft.query.count() == 0
    resp = client.post("/proposals/new", data={"title": "T", "category": "comfort", "body": LONG},
                       headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert resp.status_code == 303 and FormDraft.query.count() == 1


def test_other_refused_posts_answer_as_before(make_app):
    app = csrf_app(make_app)
    with app.app_context():
        client = app.test_client()
        resp = client.post("/login", data={"email": "a@example.com", "password": "x", "csrf_token": "stale"})
        assert resp.status_code == 400 and FormDraft.query.count() == 0
