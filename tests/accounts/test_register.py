"""Registration: e-mail normalised and unique (case-insensitively), password length, errors beside fields."""
from community.accounts.models import User
from tests import factories as f
from tests.html import field

GOOD = {"display_name": "Zhang Wei", "password": "long-enough-pw", "confirm": "long-enough-pw"}


def test_register_normalises_email_logs_in_and_sends_to_vehicles(client):
    resp = client.post("/register?lang=en", data={"email": "  Zhang.Wei@Example.COM ", **GOOD})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/vehicles")
    user = User.query.one()
    assert user.email == "zhang.wei@example.com"
    assert user.password_hash != GOOD["password"] and user.check_password(GOOD["password"])
    assert client.get("/settings").status_code == 200  # logged in straight away


def test_duplicate_email_in_other_case_is_refused_beside_the_field_keeping_input(client):
    f.UserFactory(email="zhang.wei@example.com")
    resp = client.post("/register?lang=en", data={"email": "ZHANG.Wei@example.com", **GOOD})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    email = field(page, "email")
    assert email.invalid and email.error == "An account with this e-mail already exists."
    assert email.value == "ZHANG.Wei@example.com"
    assert field(page, "display_name").value == "Zhang Wei"
    assert User.query.count() == 1


def test_short_password_is_refused_beside_the_field(client):
    data = {"email": "new@example.com", "display_name": "New", "password": "123456789", "confirm": "123456789"}
    resp = client.post("/register?lang=en", data=data)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert field(page, "password").invalid and field(page, "password").error
    assert field(page, "email").value == "new@example.com"
    assert User.query.count() == 0


def test_malformed_email_and_mismatched_confirmation_are_refused(client):
    resp = client.post("/register?lang=en", data={**GOOD, "email": "not-an-email", "confirm": "something-else"})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert field(page, "email").invalid and field(page, "confirm").invalid
    assert User.query.count() == 0
