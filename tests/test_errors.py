"""Errors answer HTML to browsers and JSON to JSON clients; a failed write leaves nothing behind."""
import pytest

from community.audit.models import AuditEntry
from community.extensions import db
from community.proposals import service
from community.proposals.models import Proposal, Vote
from community.timeline import service as timeline
from community.timeline.models import Milestone
from tests import factories as f

JSON = {"Accept": "application/json"}


def _json_error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status and resp.is_json
    error = resp.json["error"]
    assert set(error) == {"code", "message", "fields"} and error["code"] == code and error["message"]
    return error


def test_404_html_and_json(client):
    resp = client.get("/no/such/page")
    assert resp.status_code == 404 and resp.mimetype == "text/html" and "Not found" in resp.get_data(as_text=True)
    _json_error(client.get("/no/such/page", headers=JSON), 404, "not_found")
    _json_error(client.get("/proposals/999999", headers=JSON), 404, "not_found")
    assert client.get("/proposals/999999").mimetype == "text/html"


def test_an_id_is_ascii_digits_without_leading_zeros(client, auth):
    p = f.proposal()
    assert client.get(f"/proposals/{p.id}").status_code == 200
    wide = str(p.id).translate(str.maketrans("0123456789", "０１２３４５６７８９"))  # full-width digits
    assert client.get(f"/proposals/{wide}").status_code == 404
    assert client.get(f"/api/v1/proposals/{wide}", headers=JSON).status_code == 404
    for padded in (f"0{p.id}", "0" * 40 + str(p.id)):  # nor leading zeros: one address, one stored copy
        assert client.get(f"/proposals/{padded}").status_code == 404, padded
        assert client.get(f"/api/v1/proposals/{padded}", headers=JSON).status_code == 404, padded


def test_403_html_and_json(client, auth):
    auth.login_as(f.owner())
    resp = client.get("/moderation/vehicles")
    assert resp.status_code == 403 and resp.mimetype == "text/html" and "Not allowed" in resp.get_data(as_text=True)
    _json_error(client.get("/moderation/vehicles", headers=JSON), 403, "forbidden")


def test_a_browser_that_accepts_anything_gets_html(client):
    resp = client.get("/no/such/page", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert resp.mimetype == "text/html"


def test_domain_errors_carry_their_code_and_fields_as_json(client, auth):
    p, voter = f.proposal(), f.owner()
    auth.login_as(voter)
    client.post(f"/proposals/{p.id}/vote")
    error = _json_error(client.post(f"/proposals/{p.id}/vote", headers=JSON), 409, "conflict")
    assert error["fields"] == {}
    _json_error(client.get(f"/proposals/{p.id}/vote", headers=JSON), 405, "method_not_allowed")


@pytest.fixture
def broken_app(make_app, monkeypatch):
    """An app that answers 500 as production does (tests normally re-raise), with the list page broken."""
    def boom(*args, **kwargs):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(service, "list_proposals", boom)
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        yield app


def test_500_html_and_json_without_leaking_the_exception(broken_app):
    client = broken_app.test_client()
    resp = client.get("/")
    assert resp.status_code == 500 and resp.mimetype == "text/html"
    page = resp.get_data(as_text=True)
    assert "Something went wrong" in page and "database on fire" not in page
    error = _json_error(client.get("/", headers=JSON), 500, "server_error")
    assert "fire" not in error["message"]


def _fail_after_real_milestone(monkeypatch):
    """Make add_milestone write its milestone and audit rows, then fail: a crash half-way through the move."""
    real = timeline.add_milestone

    def half_then_fail(*args, **kwargs):
        real(*args, **kwargs)
        db.session.flush()
        raise RuntimeError("disk full")

    monkeypatch.setattr(service, "add_milestone", half_then_fail)


def test_a_failed_status_change_rolls_back_whole(app, monkeypatch):
    p, mod = f.proposal(), f.moderator()
    _fail_after_real_milestone(monkeypatch)
    with pytest.raises(RuntimeError):
        service.change_status(p, "under_review", mod, note_en="Reviewing")
    db.session.expire_all()
    assert db.session.get(Proposal, p.id).status == "submitted"
    assert Milestone.query.count() == 0
    assert AuditEntry.query.filter_by(target_type="proposal").count() == 0


def test_a_failed_status_change_through_the_web_answers_500_and_changes_nothing(make_app, monkeypatch):
    app = make_app(PROPAGATE_EXCEPTIONS=False)
    with app.app_context():
        p, mod = f.proposal(), f.moderator()
        _fail_after_real_milestone(monkeypatch)
        client = app.test_client()
        with client.session_transaction() as sess:
            sess["_user_id"] = mod.get_id()
        resp = client.post(f"/proposals/{p.id}/status", data={"st-status": "under_review", "st-text_en": "Reviewing"})
        assert resp.status_code == 500
        db.session.expire_all()
        assert db.session.get(Proposal, p.id).status == "submitted"
        assert Milestone.query.count() == 0 and AuditEntry.query.filter_by(target_type="proposal").count() == 0


def test_a_failed_vote_counter_update_leaves_no_vote_row(app, monkeypatch):
    p, voter = f.proposal(), f.owner()
    original = db.session.execute

    def fail_on_counter(statement, *args, **kwargs):
        if statement is service._vote_update() or statement is service._vote_in_one():  # PostgreSQL: all in one
            raise RuntimeError("lost connection")
        return original(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", fail_on_counter)
    with pytest.raises(RuntimeError):
        service.vote(voter, p)
    monkeypatch.undo()
    # The caller carries on (a CLI loop, a job) and commits its next unit of work: the half-written
    # vote must not ride along with it.
    service.add_comment(voter, p, "Still keen")
    db.session.expire_all()
    assert Vote.query.count() == 0 and db.session.get(Proposal, p.id).vote_count == 0


def test_a_failed_withdrawal_keeps_the_vote(app, monkeypatch):
    p, voter = f.proposal(), f.owner()
    service.vote(voter, p)
    original = db.session.execute

    def fail_on_counter(statement, *args, **kwargs):
        if getattr(statement, "is_update", False) and getattr(statement.table, "name", "") == "proposals":
            raise RuntimeError("lost connection")
        return original(statement, *args, **kwargs)

    monkeypatch.setattr(db.session, "execute", fail_on_counter)
    with pytest.raises(RuntimeError):
        service.withdraw_vote(voter, p)
    monkeypatch.undo()
    service.add_comment(voter, p, "Changed my mind, then not")
    db.session.expire_all()
    assert Vote.query.count() == 1 and db.session.get(Proposal, p.id).vote_count == 1
