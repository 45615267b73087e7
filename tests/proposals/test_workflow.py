"""The status workflow and typed milestones: who may move what where, and what each move leaves behind."""
from datetime import UTC, datetime, timedelta

import pytest

from community.audit.models import AuditEntry
from community.dbtypes import utcnow
from community.errors import Conflict, PermissionDenied, ValidationError
from community.extensions import db
from community.proposals import service
from community.proposals.models import OPEN_STATUSES, Proposal
from community.timeline.models import Milestone
from tests import factories as f

PATH = ["submitted", "under_review", "accepted", "in_progress", "delivered"]


def _walk_to(proposal, status, mod):
    for nxt in PATH[1:PATH.index(status) + 1]:
        service.change_status(proposal, nxt, mod, note_en=f"Now {nxt}")


def test_the_forward_path_one_step_at_a_time(app):
    p, mod = f.proposal(), f.moderator()
    for current, nxt in zip(PATH, PATH[1:], strict=False):
        assert service.allowed_transitions(p) == [nxt, "declined"]
        skip = PATH[PATH.index(nxt) + 1] if nxt != "delivered" else "submitted"
        with pytest.raises(ValidationError):
            service.change_status(p, skip, mod, note_en="skip ahead")
        service.change_status(p, nxt, mod, note_en=f"{current} -> {nxt}")
        assert p.status == nxt
    assert service.allowed_transitions(p) == []
    with pytest.raises(ValidationError):
        service.change_status(p, "declined", mod, note_en="too late")


@pytest.mark.parametrize("start", OPEN_STATUSES)
def test_declined_from_any_open_status_and_then_closed(app, start):
    p, mod = f.proposal(), f.moderator()
    _walk_to(p, start, mod)
    service.change_status(p, "declined", mod, note_zh="经评估暂不采纳。")
    assert p.status == "declined" and service.allowed_transitions(p) == []
    with pytest.raises(ValidationError):
        service.change_status(p, "under_review", mod, note_en="reopen")


def test_only_moderators_move_proposals(client, auth):
    p = f.proposal()
    for user in (f.owner(), f.council_member(), f.UserFactory(roles=["team_agent"])):
        with pytest.raises(PermissionDenied):
            service.change_status(p, "under_review", user, note_en="please")
    auth.login_as(f.owner())
    resp = client.post(f"/proposals/{p.id}/status", data={"st-status": "under_review", "st-text_en": "x"})
    assert resp.status_code == 403
    assert p.status == "submitted" and Milestone.query.count() == 0
    assert AuditEntry.query.filter_by(target_type="proposal").count() == 0


def test_a_public_note_is_required(client, auth):
    p, mod = f.proposal(), f.moderator()
    with pytest.raises(ValidationError) as err:
        service.change_status(p, "under_review", mod, note_zh="  ", note_en="")
    assert "text_zh" in err.value.fields
    auth.login_as(mod)
    resp = client.post(f"/proposals/{p.id}/status?lang=en", data={"st-status": "under_review"})
    assert resp.status_code == 422 and "Write the milestone in Chinese, English or both." in resp.get_data(
        as_text=True)
    db.session.expire_all()
    assert p.status == "submitted" and Milestone.query.count() == 0 and AuditEntry.query.count() == 0


def test_each_move_writes_a_milestone_and_an_audit_entry(client, auth):
    p, mod = f.proposal(), f.moderator(display_name="Ops Zhou")
    auth.login_as(mod)
    before = utcnow()
    resp = client.post(f"/proposals/{p.id}/status", data={"st-status": "under_review", "st-text_zh": "评审中",
                                                          "st-text_en": "In review"})
    assert resp.status_code == 302
    assert p.status == "under_review"
    ms = Milestone.query.one()
    assert (ms.kind, ms.status_from, ms.status_to, ms.actor_id, ms.text_zh, ms.text_en) == (
        "status_change", "submitted", "under_review", mod.id, "评审中", "In review")
    entry = AuditEntry.query.filter_by(action="proposal.status").one()
    assert (entry.actor_id, entry.target_type, entry.target_id) == (mod.id, "proposal", p.id)
    assert (entry.before, entry.after) == ({"status": "submitted"}, {"status": "under_review"})
    assert before - timedelta(seconds=1) <= entry.created_at <= utcnow() and entry.created_at.tzinfo is not None
    page = client.get(f"/proposals/{p.id}?lang=en").get_data(as_text=True)
    assert "In review" in page and "Submitted → Under review" in page and "Ops Zhou" in page


def test_the_status_form_offers_only_allowed_moves(client, auth):
    p = f.proposal()
    auth.login_as(f.moderator())
    page = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert 'value="under_review"' in page and 'value="declined"' in page and 'value="accepted"' not in page
    resp = client.post(f"/proposals/{p.id}/status", data={"st-status": "delivered", "st-text_en": "done"})
    assert resp.status_code == 422 and p.status == "submitted"


def test_a_second_move_from_the_same_old_status_is_a_conflict(app):
    p, mod, other_mod = f.proposal(), f.moderator(), f.moderator()
    stale = p  # this moderator's page still says "submitted"
    with app.app_context():  # another moderator, another session, moves first
        fresh = db.session.get(Proposal, p.id)
        service.change_status(fresh, "under_review", other_mod, note_en="Taking it")
    with pytest.raises(Conflict):
        service.change_status(stale, "declined", mod, note_en="Duplicate")
    db.session.expire_all()
    assert p.status == "under_review"
    assert [m.status_to for m in Milestone.query.all()] == ["under_review"]
    assert AuditEntry.query.filter_by(action="proposal.status").count() == 1


def test_backdating_needs_a_reason_and_future_dates_are_refused(app):
    p, mod = f.proposal(), f.moderator()
    last_week = utcnow() - timedelta(days=7)
    with pytest.raises(ValidationError) as err:
        service.change_status(p, "under_review", mod, note_en="late entry", occurred_at=last_week)
    assert "backdate_reason" in err.value.fields and p.status == "submitted"
    with pytest.raises(ValidationError) as err:
        service.post_milestone(p, mod, "commitment", text_en="soon", occurred_at=utcnow() + timedelta(days=1))
    assert "occurred_at" in err.value.fields
    service.change_status(p, "under_review", mod, note_en="late entry", occurred_at=last_week,
                          backdate_reason="Decided at the council session, entered today")
    ms = Milestone.query.one()
    assert ms.occurred_at == last_week.replace(microsecond=ms.occurred_at.microsecond)
    assert ms.recorded_at > ms.occurred_at and ms.backdate_reason.startswith("Decided")


def test_a_backdated_milestone_through_the_form_is_read_in_the_viewers_zone(client, auth):
    p, mod = f.proposal(), f.moderator()
    auth.login_as(mod)
    data = {"ms-kind": "council_session", "ms-text_zh": "丽江理事共创会", "ms-occurred_at": "2026-09-14T16:00"}
    resp = client.post(f"/proposals/{p.id}/milestones?lang=en", data=data)
    assert resp.status_code == 422 and "Say why this milestone is dated in the past." in resp.get_data(as_text=True)
    resp = client.post(f"/proposals/{p.id}/milestones", data={**data, "ms-backdate_reason": "Entered afterwards"})
    assert resp.status_code == 302
    assert Milestone.query.one().occurred_at == datetime(2026, 9, 14, 8, 0, tzinfo=UTC)  # 16:00 in Shanghai


@pytest.mark.parametrize("kind", ["council_session", "commitment", "approval", "progress_update",
                                  "campaign_opened", "campaign_closed", "delivered"])
def test_moderators_post_each_typed_milestone(app, kind):
    p = f.proposal()
    ms = f.milestone(p, kind, text_zh="进展", text_en=None)
    assert (ms.kind, ms.text_zh, ms.status_to) == (kind, "进展", None)
    assert AuditEntry.query.filter_by(action=f"milestone.{kind}", target_id=p.id).count() == 1
    assert p.status == "submitted"


@pytest.mark.parametrize(("percent", "ok"), [(0, True), (40, True), (100, True), (-1, False), (101, False)])
def test_progress_updates_carry_a_percent_from_0_to_100(app, percent, ok):
    p, mod = f.proposal(), f.moderator()
    if ok:
        service.post_milestone(p, mod, "progress_update", text_en="Coding", progress_percent=percent)
        assert Milestone.query.one().progress_percent == percent
    else:
        with pytest.raises(ValidationError) as err:
            service.post_milestone(p, mod, "progress_update", text_en="Coding", progress_percent=percent)
        assert "progress_percent" in err.value.fields and Milestone.query.count() == 0


def test_the_milestone_form_shows_errors_beside_fields(client, auth):
    p = f.proposal()
    auth.login_as(f.moderator())
    resp = client.post(f"/proposals/{p.id}/milestones?lang=en",
                       data={"ms-kind": "progress_update", "ms-text_en": "Coding", "ms-progress_percent": "150"})
    assert resp.status_code == 422
    from tests.html import field

    pct = field(resp.get_data(as_text=True), "ms-progress_percent")
    assert pct.invalid and pct.value == "150" and Milestone.query.count() == 0
    assert field(resp.get_data(as_text=True), "ms-text_en").value == "Coding"


def test_status_changes_cannot_be_posted_as_typed_milestones_nor_by_non_moderators(app):
    p = f.proposal()
    with pytest.raises(ValidationError):
        service.post_milestone(p, f.moderator(), "status_change", text_en="sneaky")
    with pytest.raises(PermissionDenied):
        service.post_milestone(p, f.owner(), "commitment", text_en="I promise")
    with pytest.raises(ValidationError):
        service.post_milestone(p, f.moderator(), "rumour", text_en="?")
    assert Milestone.query.count() == 0
