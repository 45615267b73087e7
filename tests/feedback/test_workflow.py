"""Agents' state machine, reassignment corrections, and the moderators' triage queue."""
from datetime import UTC, datetime, timedelta

import pytest

from community.audit.models import AuditEntry
from community.errors import Conflict, PermissionDenied, ValidationError
from community.feedback import service
from community.feedback.models import RoutingCorrection
from tests import factories as f


def test_new_acknowledged_in_progress_resolved(app):
    item = f.feedback(team="app_connectivity")
    agent = f.agent("app_connectivity")
    with pytest.raises(Conflict):
        service.start(item, agent)  # not acknowledged yet
    at = datetime.now(UTC)
    service.reply(item, agent, "We are looking into it.", now=at)
    assert item.status == "acknowledged" and item.first_responded_at == at
    assert item.next_due_at == item.resolution_due_at
    service.reply(item, agent, "Update: a fix is planned.")
    assert item.first_responded_at == at  # only the first reply stops the first-response clock
    with pytest.raises(Conflict):
        service.resolve(item, agent, "Fixed")  # must be in progress first
    service.start(item, agent)
    assert item.status == "in_progress" and item.started_at is not None
    with pytest.raises(ValidationError):
        service.resolve(item, agent, "   ")
    service.resolve(item, agent, "Fixed in 5.2.1")
    assert item.status == "resolved" and item.resolution_note == "Fixed in 5.2.1" and item.next_due_at is None
    assert [r.body for r in item.replies] == ["We are looking into it.", "Update: a fix is planned."]
    actions = [a.action for a in AuditEntry.query.order_by(AuditEntry.id)]
    assert actions == ["feedback.acknowledge", "feedback.in_progress", "feedback.resolved"]


def test_agent_of_another_team_cannot_act(app, client, auth):
    item = f.feedback(team="app_connectivity")
    other = f.agent("charging")
    for action in (lambda: service.reply(item, other, "hi"), lambda: service.start(item, other),
                   lambda: service.resolve(item, other, "done"), lambda: service.reassign(item, "charging", other)):
        with pytest.raises(PermissionDenied):
            action()
    auth.login(other)
    assert client.get(f"/feedback/{item.id}").status_code == 404
    assert client.post(f"/feedback/{item.id}/reply", data={"rp-body": "hi"}).status_code == 404
    assert client.get("/feedback/queue?team=app_connectivity").status_code == 403
    assert item.status == "new" and not item.replies


def test_reassignment_is_a_labelled_correction(app, client, auth):
    f.pledge_item("charging", first_hours=2, resolution_hours=24)
    created = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
    item = f.feedback(text="超充站 3 号桩坏了", team="app_connectivity", created_at=created)
    agent = f.agent("app_connectivity")
    auth.login(agent)
    resp = client.post(f"/feedback/{item.id}/reassign", data={"re-team": "charging"})
    assert resp.status_code == 302
    correction = RoutingCorrection.query.one()
    assert (correction.kind, correction.from_team, correction.to_team) == ("reassign", "app_connectivity", "charging")
    assert correction.actor_id == agent.id and correction.created_at is not None
    assert correction.model_team == "app_connectivity" and correction.model_version == "test-model"
    item = service.get_item(item.id)
    assert item.team.slug == "charging" and item.routed_by == "agent"
    assert item.first_response_due_at == created + timedelta(hours=2)  # the new team's SLA, from submission
    with pytest.raises(PermissionDenied):  # no longer their team
        service.reply(item, agent, "hello")
    assert service.training_examples() == [("超充站 3 号桩坏了", "charging")]


def test_reassign_refusals(app):
    item = f.feedback(team="charging")
    agent = f.agent("charging")
    with pytest.raises(ValidationError):
        service.reassign(item, "charging", agent)
    with pytest.raises(ValidationError):
        service.reassign(item, "no_such_team", agent)
    service.reply(item, agent, "ok")
    service.start(item, agent)
    service.resolve(item, agent, "fixed")
    with pytest.raises(Conflict):
        service.reassign(item, "sales", agent)
    assert RoutingCorrection.query.count() == 0


def test_moderator_assigns_from_triage_with_one_action(app, client, auth):
    item = f.feedback(team=None)
    mod = f.moderator()
    auth.login(mod)
    page = client.get("/feedback/triage").get_data(as_text=True)
    assert f'action="/feedback/{item.id}/assign"' in page
    assert client.post(f"/feedback/{item.id}/assign", data={"team": "delivery"}).status_code == 302
    item = service.get_item(item.id)
    assert item.team.slug == "delivery" and item.routed_by == "moderator" and item.assigned_at
    correction = RoutingCorrection.query.one()
    assert (correction.kind, correction.from_team, correction.to_team, correction.actor_id) == \
        ("triage", None, "delivery", mod.id)
    assert AuditEntry.query.filter_by(action="feedback.triage").count() == 1
    with pytest.raises(Conflict):
        service.assign_from_triage(item, "sales", mod)


def test_triage_shows_the_top2_and_only_untriaged_items(app, client, auth):
    from community.feedback.routing_service import Routing

    f.teams()
    service.submit(f.owner(), "???", "web", routing=Routing(None, 0.4, [("delivery", 0.4), ("sales", 0.35),
                                                                         ("after_sales", 0.1)], "m1", "unsure"))
    routed = f.feedback(team="charging")
    auth.login(f.moderator())
    page = client.get("/feedback/triage").get_data(as_text=True)
    assert "40%" in page and "35%" in page and "10%" not in page  # the third suggestion is noise
    assert f"/feedback/{routed.id}/assign" not in page


def test_only_moderators_assign_from_triage(app):
    item = f.feedback(team=None)
    with pytest.raises(PermissionDenied):
        service.assign_from_triage(item, "sales", f.agent("sales"))


def test_queue_is_sorted_by_due_time(app, client, auth):
    f.pledge_item("after_sales", first_hours=2, resolution_hours=48)
    now = datetime.now(UTC)
    late = f.feedback(text="old", team="after_sales", created_at=now - timedelta(hours=30))
    fresh = f.feedback(text="fresh", team="after_sales", created_at=now - timedelta(minutes=5))
    acked = f.feedback(text="acked", team="after_sales", created_at=now - timedelta(hours=1))
    agent = f.agent("after_sales")
    service.reply(acked, agent, "on it")  # next due: resolution, 47 h away
    assert [i.id for i in service.team_queue(f.teams()["after_sales"]).items] == [late.id, fresh.id, acked.id]
    auth.login(agent)
    page = client.get("/feedback/queue").get_data(as_text=True)
    assert page.index(f"/feedback/{late.id}\"") < page.index(f"/feedback/{fresh.id}\"")
    assert "overdue" in page
