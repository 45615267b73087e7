"""Look-alike identities: an address or display name that only looks like a taken one is taken (TS #39 skeleton)."""
import pytest
from sqlalchemy.exc import IntegrityError

from community.accounts.models import User
from community.extensions import db
from tests import factories as f
from tests.html import field, text

GOOD = {"password": "long-enough-pw", "confirm": "long-enough-pw"}
TAKEN = "An account with this e-mail already exists."


def _register(client, email, name="Someone New"):
    return client.post("/register?lang=en", data={"email": email, "display_name": name, **GOOD})


@pytest.mark.parametrize("lookalike", [
    "j\u043ehn@example.com",  # Cyrillic о
    "john@ex\u0430mple.com",  # Cyrillic а in the domain
    "\uff4a\uff4f\uff48\uff4e@example.com",  # full-width ｊｏｈｎ
    "JOHN@EXAMPLE.COM",
])
def test_an_address_that_looks_like_a_registered_one_is_refused_as_taken(client, lookalike):
    f.UserFactory(email="john@example.com")
    resp = _register(client, lookalike)
    assert resp.status_code == 422
    email = field(resp.get_data(as_text=True), "email")
    assert email.invalid and email.error == TAKEN  # word for word what the plain duplicate gets
    assert User.query.count() == 1


@pytest.mark.parametrize("address, part", [("j\u043ehn@example.com", "j\u043ehn"),
                                           ("john@ex\u0430mple.com", "ex\u0430mple")])
def test_an_address_mixing_scripts_in_one_part_is_refused_with_the_reason(client, address, part):
    resp = _register(client, address)
    assert resp.status_code == 422
    email = field(resp.get_data(as_text=True), "email")
    assert email.invalid and f"“{part}” mixes letters of different scripts" in email.error
    assert User.query.count() == 0


@pytest.mark.parametrize("address", ["\u0438\u0432\u0430\u043d@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
                                     "john@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444",
                                     "\u5f20\u4f1f@example.com"])
def test_addresses_in_one_script_per_part_register(client, address):
    """Cyrillic throughout, a Latin mailbox at a Cyrillic domain, a Chinese mailbox: none of them mixes in a part."""
    assert _register(client, address).status_code == 302
    assert User.query.one().email == address


def test_display_names_are_stored_and_shown_composed(client):
    assert _register(client, "zoe@example.com", "  Zoe\u0308   M\u00fcller ").status_code == 302
    assert User.query.one().display_name == "Zo\u00eb M\u00fcller"
    assert "Zo\u00eb M\u00fcller" in client.get("/settings").get_data(as_text=True)  # the menu shows the name


@pytest.mark.parametrize("lookalike", ["Zo\u00eb", "Zoe\u0308", "ZO\u00cb", "Z\u043e\u00eb", "\uff3a\uff4f\u00eb"])
def test_a_display_name_like_an_active_users_is_refused_beside_the_field(client, lookalike):
    f.UserFactory(display_name="Zoe\u0308")
    resp = _register(client, "other@example.com", lookalike)
    assert resp.status_code == 422
    name = field(resp.get_data(as_text=True), "display_name")
    assert name.invalid and name.error == ("Someone already uses this display name, or one that looks the same. "
                                           "Choose another.")
    assert field(resp.get_data(as_text=True), "email").value == "other@example.com"
    assert User.query.count() == 1


def test_a_blocked_users_display_name_is_free_and_unblocking_renames_the_returning_user(client, auth):
    impostor = f.UserFactory(display_name="Zo\u00eb")
    auth.login(f.moderator())
    assert client.post(f"/moderation/users/{impostor.id}/block", data={"reason": "impersonation"}).status_code == 302
    auth.logout()
    assert _register(client, "zoe@example.com", "Zoe\u0308").status_code == 302
    zoe = User.query.filter_by(email="zoe@example.com").one()
    auth.logout()
    auth.login(f.moderator())
    resp = client.post(f"/moderation/users/{impostor.id}/unblock?lang=en", data={"reason": "appeal"},
                       follow_redirects=True)
    shown = f"Zo\u00eb #{impostor.id}"
    assert f"they are shown as “{shown}”" in text(resp.get_data(as_text=True))
    db.session.refresh(impostor)
    assert (impostor.is_blocked, impostor.display_name, zoe.display_name) == (False, shown, "Zo\u00eb")


def test_the_database_refuses_look_alikes_that_skip_the_rules(app):
    """The unique indexes decide, not only the check before them: a second writer racing the first is refused."""
    f.UserFactory(email="john@example.com", display_name="John")
    for clash in ({"email": "j\u043ehn@example.com"}, {"display_name": "J\u043ehn"}):
        with pytest.raises(IntegrityError):
            f.UserFactory(**clash)
        db.session.rollback()
    f.UserFactory(display_name="J\u043ehn", is_blocked=True)  # blocked users do not hold a name
    assert User.query.count() == 2


def test_users_create_refuses_a_look_alike(app, runner):
    f.UserFactory(email="john@example.com")
    result = runner.invoke(args=["users", "create", "\uff4a\uff4f\uff48\uff4e@example.com",
                                 "--password", "a-very-long-password"])
    assert result.exit_code != 0 and TAKEN in result.output
    assert User.query.count() == 1


def test_the_migration_settles_look_alikes_already_stored_oldest_first(tmp_path):
    """Rows from before the keys existed: the later look-alike address keeps its login, the later active
    look-alike name is renamed ``name #id``, a blocked one keeps its name; the demo-style names stay as typed."""
    from flask_migrate import upgrade

    from community import create_app
    from tests.conftest import BASE

    app = create_app({**BASE, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}"})
    rows = [(1, "john@example.com", "Zoe\u0308", False), (2, "j\u043ehn@example.com", "Zo\u00eb", False),
            (3, "ann@example.com", "ZO\u00cb", True), (4, "li@example.com", "车主 刘洋（换车）", False)]
    with app.app_context():
        upgrade(revision="b285233474e1")
        with db.engine.begin() as conn:
            for row in rows:
                conn.exec_driver_sql("INSERT INTO users (id, email, display_name, password_hash, is_blocked, "
                                     "session_token, created_at) VALUES (?, ?, ?, 'x', ?, 't', "
                                     "'2026-01-01 00:00:00')", row)
        upgrade()
        got = {u.id: (u.email, u.display_name) for u in User.query.all()}
        assert got == {1: ("john@example.com", "Zo\u00eb"), 2: ("j\u043ehn@example.com", "Zo\u00eb #2"),
                       3: ("ann@example.com", "ZO\u00cb"), 4: ("li@example.com", "车主 刘洋（换车）")}
        with pytest.raises(IntegrityError):  # and the look-alike of both is still refused
            f.UserFactory(email="\uff4a\uff4f\uff48\uff4e@example.com")
        db.session.rollback()
        db.engine.dispose()


def test_a_name_whose_normal_form_is_huge_is_a_form_error_not_a_500(client):
    """U+FDFA is one character that NFKC writes as 18: sixty of them would not fit the key column."""
    resp = _register(client, "long@example.com", "\ufdfa" * 60)
    assert resp.status_code == 422 and field(resp.get_data(as_text=True), "display_name").invalid
    assert User.query.count() == 0
