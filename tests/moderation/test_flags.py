import pytest

from community.audit.models import AuditEntry
from community.errors import Conflict, NotFound, PermissionDenied
from community.moderation import service
from community.moderation.models import Flag
from community.proposals import service as proposals
from tests import factories as f


def test_any_logged_in_user_flags_once(app):
    p, user = f.proposal(), f.UserFactory()
    service.flag(user, "proposal", p.id, "spam")
    with pytest.raises(Conflict):
        service.flag(user, "proposal", p.id, "spam again")
    service.flag(f.UserFactory(), "proposal", p.id, "also spam")
    [entry] = service.open_queue(f.moderator())
    assert (entry.target_type, entry.target_id, len(entry.flags)) == ("proposal", p.id, 2)


def test_flag_refusals(app):
    p = f.proposal()
    blocked = f.UserFactory(is_blocked=True)
    with pytest.raises(PermissionDenied):
        service.flag(blocked, "proposal", p.id, "x")
    with pytest.raises(NotFound):
        service.flag(f.UserFactory(), "feedback_item", 1, "x")  # not registered (yet)
    with pytest.raises(NotFound):
        service.flag(f.UserFactory(), "proposal", 999, "x")
    with pytest.raises(PermissionDenied):
        service.open_queue(f.owner())


def test_hiding_resolves_flags_dismissing_too(app):
    mod, p = f.moderator(), f.proposal()
    c = proposals.add_comment(f.owner(), p, "meh")
    service.flag(f.UserFactory(), "proposal", p.id, "spam")
    service.flag(f.UserFactory(), "comment", c.id, "rude")
    service.dismiss(mod, "proposal", p.id, "not spam")
    service.set_hidden(mod, "comment", c.id, True, "rude indeed")
    assert service.open_queue(mod) == []
    assert {(fl.target_type, fl.resolution) for fl in Flag.query} == {("proposal", "dismissed"), ("comment", "hidden")}
    with pytest.raises(Conflict):
        service.dismiss(mod, "proposal", p.id, "nothing open")
    assert [e.action for e in AuditEntry.query.order_by(AuditEntry.id)] == ["moderation.dismiss", "moderation.hide"]
    # a fresh report after the resolution is allowed again (the unique index covers open flags only)
    service.flag(Flag.query.first().reporter, "proposal", p.id, "spam again")


def test_flag_and_work_the_queue_through_the_web(client, auth, app):
    p, reporter, mod = f.proposal(), f.UserFactory(), f.moderator()
    assert client.get(f"/report/proposal/{p.id}").status_code == 302
    auth.login(reporter)
    assert client.post(f"/report/proposal/{p.id}", data={"reason": ""}).status_code == 422
    assert client.post(f"/report/proposal/{p.id}", data={"reason": "Advertising"}).status_code == 302
    resp = client.post(f"/report/proposal/{p.id}", data={"reason": "again"}, headers={"Accept": "application/json"})
    assert resp.status_code == 409
    assert client.get("/moderation").status_code == 403
    auth.logout()
    auth.login(mod)
    assert "Advertising" in client.get("/moderation").get_data(as_text=True)
    assert client.post(f"/moderation/proposal/{p.id}/hide", data={"reason": "ads"}).status_code == 302
    assert p.hidden_at is not None
    assert p.title in client.get("/moderation/hidden").get_data(as_text=True)
    client.post(f"/moderation/proposal/{p.id}/restore", data={"reason": "ok"})
    assert p.hidden_at is None
