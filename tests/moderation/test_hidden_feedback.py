"""Feedback can be reported by those who can read it, and a hidden item leaves every read path."""
from datetime import UTC, datetime, timedelta

import pytest

from community.api import tokens
from community.audit.models import AuditEntry
from community.errors import NotFound
from community.feedback import scorecard, sla
from community.feedback import service as feedback
from community.moderation import service
from community.moderation.models import Flag
from tests import factories as f

TEXT = "Buy cheap followers at spam.example"


def bearer(user):
    _, secret = tokens.create_token(user, "t", "read", None)
    return {"Authorization": f"Bearer {secret}"}


def test_only_people_who_can_read_an_item_can_report_it(app, client, auth):
    item = f.feedback(text=TEXT, team="app_connectivity")
    stranger, agent = f.owner(), f.agent("app_connectivity")
    auth.login(stranger)
    for method in (client.get, client.post):
        resp = method(f"/report/feedback/{item.id}", data={"reason": "spam"})
        assert resp.status_code == 404 and TEXT not in resp.get_data(as_text=True)
    with pytest.raises(NotFound):
        service.flag(stranger, "feedback", item.id, "spam")
    auth.logout()
    auth.login(agent)
    page = client.get(f"/feedback/{item.id}").get_data(as_text=True)
    assert f"/report/feedback/{item.id}" in page
    assert client.post(f"/report/feedback/{item.id}", data={"reason": "advertising"}).status_code == 302
    assert [(fl.target_type, fl.target_id, fl.reporter_id) for fl in Flag.query] == [("feedback", item.id, agent.id)]
    auth.logout()
    auth.login(f.moderator())
    assert TEXT[:40] in client.get("/moderation").get_data(as_text=True)


def test_hidden_feedback_leaves_queues_lists_counts_and_training(app, client, auth):
    t0 = datetime.now(UTC) - timedelta(days=3)
    f.pledge_item("app_connectivity", first_hours=2, resolution_hours=24)
    author = f.owner()
    item = f.feedback(author=author, text=TEXT, team="app_connectivity", created_at=t0)
    triaged = f.feedback(author=author, text=TEXT + " again", team=None, created_at=t0)
    mod, agent = f.moderator(), f.agent("app_connectivity")
    feedback.reassign(item, "charging", mod)  # a correction: training data until hidden
    feedback.reassign(item, "app_connectivity", mod)
    team = item.team
    assert len(feedback.training_examples()) == 1
    before = scorecard.team_cards([team.id])[team.id].windows[30].decided

    service.set_hidden(mod, "feedback", item.id, True, "spam")
    service.set_hidden(mod, "feedback", triaged.id, True, "spam")

    assert feedback.my_items(author) == []
    assert feedback.team_queue(team).items == [] and feedback.triage_queue().items == []
    assert feedback.training_examples() == []
    assert scorecard.team_cards([team.id])[team.id].windows[30].decided == before - 1
    assert sla.sweep().total == 0  # a hidden item never breaches
    for user, paths in ((author, ["/feedback/mine"]), (agent, ["/feedback/queue?team=app_connectivity"])):
        auth.login(user)
        for path in paths:
            assert TEXT not in client.get(path).get_data(as_text=True), path
        assert client.get(f"/feedback/{item.id}").status_code == 404
        assert client.get(f"/api/v1/feedback/{item.id}", headers=bearer(user)).status_code == 404
        auth.logout()
    assert client.get("/api/v1/feedback/mine", headers=bearer(author)).json == []
    auth.login(mod)
    assert TEXT not in client.get("/feedback/triage").get_data(as_text=True)
    page = client.get(f"/feedback/{item.id}").get_data(as_text=True)
    assert 'id="feedback-hidden"' in page and TEXT in page  # moderators still see it, marked
    assert TEXT[:40] in client.get("/moderation/hidden").get_data(as_text=True)


def test_restore_brings_feedback_back_and_both_actions_are_audited(app, client, auth):
    author = f.owner()
    item = f.feedback(author=author, text=TEXT, team="app_connectivity")
    mod = f.moderator()
    auth.login(mod)
    resp = client.post(f"/moderation/feedback/{item.id}/hide", data={"reason": "spam"})
    assert resp.status_code == 302 and feedback.get_item(item.id).hidden_at is not None
    client.post(f"/moderation/feedback/{item.id}/restore", data={"reason": "a real complaint"})
    assert feedback.get_item(item.id).hidden_at is None
    assert [i.id for i in feedback.my_items(author)] == [item.id]
    assert [i.id for i in feedback.team_queue(item.team).items] == [item.id]
    actions = [(e.action, e.target_type, e.target_id) for e in
               AuditEntry.query.filter(AuditEntry.action.like("moderation.%")).order_by(AuditEntry.id)]
    assert actions == [("moderation.hide", "feedback", item.id), ("moderation.restore", "feedback", item.id)]
