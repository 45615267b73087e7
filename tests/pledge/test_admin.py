"""Admins edit teams, their agents and the promises; errors show beside the fields."""
import pytest

from community.audit.models import AuditEntry
from community.errors import Conflict, NotFound
from community.pledge import service
from community.pledge.models import PledgeItem, TeamAgent
from tests import factories as f


@pytest.fixture
def admin(client, auth):
    user = f.UserFactory(roles=["admin"])
    auth.login(user)
    return user


def test_admin_renames_and_deactivates_a_team(client, admin, app):
    team = f.teams()["community_events"]
    resp = client.post(f"/pledge/admin/teams/{team.id}", data={"name_zh": "车主社区", "name_en": "Owner community"})
    assert resp.status_code == 302
    team = service.get_team(team.id)
    assert (team.name_zh, team.name_en, team.is_active, team.slug) == ("车主社区", "Owner community", False,
                                                                        "community_events")
    assert service.team_by_slug("community_events") is None  # inactive teams receive nothing
    assert AuditEntry.query.filter_by(action="team.update").count() == 1


def test_admin_adds_and_removes_an_agent(client, admin, app):
    team = f.teams()["charging"]
    user = f.UserFactory(email="new.agent@example.com")
    assert client.post(f"/pledge/admin/teams/{team.id}/agents", data={"ag-email": "New.Agent@example.com"}
                       ).status_code == 302
    assert user.has_role("team_agent") and service.is_agent_of(user, team.id)
    resp = client.post(f"/pledge/admin/teams/{team.id}/agents", data={"ag-email": "new.agent@example.com"})
    assert resp.status_code == 422 and "Already an agent of this team." in resp.get_data(as_text=True)
    resp = client.post(f"/pledge/admin/teams/{team.id}/agents", data={"ag-email": "nobody@example.com"})
    assert resp.status_code == 422 and "No user with that e-mail." in resp.get_data(as_text=True)
    assert client.post(f"/pledge/admin/teams/{team.id}/agents/{user.id}/remove").status_code == 302
    assert TeamAgent.query.count() == 0


def test_service_refusals(app):
    team = f.teams()["sales"]
    user = f.UserFactory()
    with pytest.raises(NotFound):
        service.remove_agent(team, user.id, None)
    service.add_agent(team, user.email, None)
    with pytest.raises(Conflict):
        service.add_agent(team, user.email, None)


def test_admin_creates_and_edits_a_promise_with_errors_beside_fields(client, admin, app):
    team = f.teams()["delivery"]
    data = {"team_id": team.id, "text_zh": "交付延迟主动告知", "text_en": "Delays announced", "position": 0,
            "first_response_hours": 24, "resolution_hours": 12, "is_active": "y"}
    resp = client.post("/pledge/admin/items/new", data=data)
    assert resp.status_code == 422
    assert "Resolution cannot be promised sooner than the first response." in resp.get_data(as_text=True)
    assert PledgeItem.query.count() == 0
    assert client.post("/pledge/admin/items/new", data={**data, "resolution_hours": 120}).status_code == 302
    item = PledgeItem.query.one()
    assert (item.first_response_hours, item.resolution_hours, item.team_id) == (24, 120, team.id)
    assert service.sla_hours(team) == (24, 120)
    assert client.post(f"/pledge/admin/items/{item.id}", data={**data, "first_response_hours": 8,
                                                                "resolution_hours": 72}).status_code == 302
    assert service.sla_hours(team) == (8, 72)


def test_strictest_promise_applies_and_default_without_any(app):
    teams = f.teams()
    f.pledge_item("after_sales", 24, 120)
    f.pledge_item("after_sales", 2, 24)
    assert service.sla_hours(teams["after_sales"]) == (2, 24)
    assert service.sla_hours(teams["sales"]) == (24, 168)
    assert service.sla_hours(None) == (24, 168)
