"""``flask users create`` and the role rules: admin implies every stored role, owner is derived, blocked holds none."""
from community.accounts.models import User
from community.security import ROLES, has_role
from tests import factories as f


def test_users_create_makes_an_admin_who_can_log_in(runner, client):
    result = runner.invoke(args=["users", "create", "Ops@Example.com", "--role", "admin",
                                 "--password", "a-very-long-password"])
    assert result.exit_code == 0, result.output
    user = User.query.filter_by(email="ops@example.com").one()
    assert user.role_names == {"admin"} and user.display_name == "Ops"
    assert "ops@example.com" in result.output
    resp = client.post("/login", data={"email": "ops@example.com", "password": "a-very-long-password"})
    assert resp.status_code == 302
    assert client.get("/moderation/vehicles").status_code == 200


def test_users_create_refuses_a_bad_email_a_short_password_and_a_duplicate(app, runner):
    bad = runner.invoke(args=["users", "create", "not-an-email", "--password", "a-very-long-password"])
    assert bad.exit_code != 0 and "valid e-mail" in bad.output
    short = runner.invoke(args=["users", "create", "a@example.com", "--password", "short"])
    assert short.exit_code != 0 and "10 characters" in short.output
    f.UserFactory(email="taken@example.com")
    dup = runner.invoke(args=["users", "create", "TAKEN@example.com", "--password", "a-very-long-password"])
    assert dup.exit_code != 0 and "already exists" in dup.output
    unknown = runner.invoke(args=["users", "create", "b@example.com", "--role", "emperor", "--password", "x" * 12])
    assert unknown.exit_code != 0
    assert User.query.count() == 1


def test_users_grant_adds_a_role_and_audits(app, runner):
    user = f.UserFactory(email="li@example.com")
    result = runner.invoke(args=["users", "grant", "LI@example.com", "moderator"])
    assert result.exit_code == 0, result.output
    assert has_role(user, "moderator")
    assert runner.invoke(args=["users", "grant", "nobody@example.com", "moderator"]).exit_code != 0


def test_admin_implies_every_stored_role_but_not_owner(app):
    admin = f.admin()
    assert all(has_role(admin, r) for r in ROLES)
    assert not has_role(admin, "owner")


def test_owner_is_derived_from_a_verified_vehicle(app):
    user = f.UserFactory()
    assert not has_role(user, "owner")
    vehicle = f.VehicleFactory(owner=user, status="pending")
    assert not has_role(user, "owner")
    vehicle.status = "verified"
    assert has_role(user, "owner")
    vehicle.status = "rejected"
    assert not has_role(user, "owner")


def test_a_blocked_user_holds_no_role(app):
    user = f.owner(roles=["moderator", "admin"])
    assert has_role(user, "owner") and has_role(user, "moderator")
    user.is_blocked = True
    assert not any(has_role(user, r) for r in (*ROLES, "owner"))


def test_anonymous_holds_no_role(client):
    from flask_login import AnonymousUserMixin

    assert not has_role(AnonymousUserMixin(), "owner") and not has_role(None, "admin")
