"""Log in (remember-me), log out, change password: which cookies still open an account afterwards."""
from urllib.parse import quote

import pytest

from community.accounts import service
from tests import factories as f

OTHER = "another-long-password"


def _login(client, user, remember=False, next_=None):
    url = "/login" + (f"?next={next_}" if next_ is not None else "")
    return client.post(url, data={"email": user.email, "password": f.PASSWORD, "remember": "y" if remember else ""})


def _is_logged_in(client) -> bool:
    resp = client.get("/settings")
    assert resp.status_code in (200, 302)
    return resp.status_code == 200


def _replay(app, name, value):
    """A fresh browser that carries only one stolen/old cookie."""
    other = app.test_client()
    other.set_cookie(name, value, domain="localhost")
    return other


def test_login_is_case_insensitive_and_wrong_password_shows_an_error(client):
    user = f.UserFactory(email="li.na@example.com")
    assert client.post("/login?lang=en", data={"email": "Li.Na@Example.com", "password": "wrong-password"}
                       ).status_code == 422
    assert not _is_logged_in(client)
    resp = client.post("/login", data={"email": "Li.Na@Example.com", "password": f.PASSWORD})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    assert _is_logged_in(client)
    assert user.email == "li.na@example.com"


def test_remember_me_sets_a_cookie_that_logs_in_a_new_browser_session(app, client):
    user = f.UserFactory()
    _login(client, user, remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only
    assert _is_logged_in(_replay(app, "remember_token", cookie.value))


def test_without_remember_me_no_remember_cookie(client):
    _login(client, f.UserFactory())
    assert client.get_cookie("remember_token") is None


def test_logout_kills_the_session_and_the_remember_cookie(app, client):
    user = f.UserFactory()
    _login(client, user, remember=True)
    remember, session_cookie = client.get_cookie("remember_token").value, client.get_cookie("session").value
    resp = client.post("/logout")
    assert resp.status_code == 302
    assert client.get_cookie("remember_token") is None  # the browser was told to drop it
    assert not _is_logged_in(client)
    # Replaying either old cookie (copied before logout) must not open the account any more.
    assert not _is_logged_in(_replay(app, "remember_token", remember))
    assert not _is_logged_in(_replay(app, "session", session_cookie))


def test_change_password_logs_out_other_sessions_but_keeps_this_one(app, client):
    user = f.UserFactory()
    _login(client, user, remember=True)
    elsewhere = app.test_client()
    _login(elsewhere, user, remember=True)
    old_remember = elsewhere.get_cookie("remember_token").value
    old_token = user.session_token
    resp = client.post("/settings", data={"pw-current_password": f.PASSWORD, "pw-new_password": OTHER,
                                          "pw-confirm": OTHER, "pw-submit": "y"})
    assert resp.status_code == 302
    assert user.session_token != old_token
    assert _is_logged_in(client)
    assert not _is_logged_in(elsewhere)
    assert not _is_logged_in(_replay(app, "remember_token", old_remember))
    assert service.authenticate(user.email, OTHER) == user
    assert service.authenticate(user.email, f.PASSWORD) is None


def test_change_password_needs_the_current_one_and_10_characters(client, auth):
    user = f.UserFactory()
    auth.login_as(user)
    token = user.session_token
    resp = client.post("/settings?lang=en", data={"pw-current_password": "not-my-password", "pw-new_password": OTHER,
                                                  "pw-confirm": OTHER, "pw-submit": "y"})
    assert resp.status_code == 422 and "Current password is wrong." in resp.get_data(as_text=True)
    resp = client.post("/settings?lang=en", data={"pw-current_password": f.PASSWORD, "pw-new_password": "short",
                                                  "pw-confirm": "short", "pw-submit": "y"})
    assert resp.status_code == 422
    assert user.session_token == token and user.check_password(f.PASSWORD)


@pytest.mark.parametrize("target", ["//evil.com", "https://evil.com", "/\\evil.com", "javascript:alert(1)",
                                    "http:/evil.com", "\\\\evil.com", "/\t/evil.com", "evil.com"])
def test_next_never_leaves_the_site(client, target):
    resp = _login(client, f.UserFactory(), next_=quote(target, safe=""))
    assert resp.status_code == 302
    assert resp.headers["Location"] == "/"  # the proposals list, not the attacker's page


def test_next_to_a_local_path_is_followed(client):
    resp = _login(client, f.UserFactory(), next_="/timeline?kind=commitment")
    assert resp.headers["Location"] == "/timeline?kind=commitment"


def test_a_protected_page_sends_anonymous_visitors_to_login_and_back(client):
    user = f.UserFactory()
    resp = client.get("/vehicles")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login?next=")
    resp = client.post(resp.headers["Location"], data={"email": user.email, "password": f.PASSWORD})
    assert resp.headers["Location"] == "/vehicles"


def test_login_is_rate_limited_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [client.post("/login", data={"email": f"nobody{i}@example.com", "password": "x" * 12}).status_code
             for i in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    assert client.get("/login").status_code == 200  # reading the form is not limited


def test_register_is_rate_limited(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    client = app.test_client()
    codes = [client.post("/register", data={"email": "bad"}).status_code for _ in range(11)]
    assert codes[:10] == [422] * 10 and codes[10] == 429
    json_resp = client.post("/register", data={"email": "bad"}, headers={"Accept": "application/json"})
    assert json_resp.status_code == 429 and json_resp.json["error"]["code"]


def test_csrf_is_enforced_when_enabled(make_app):
    app = make_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        user = f.UserFactory()
        email = user.email
    client = app.test_client()
    assert client.post("/login", data={"email": email, "password": f.PASSWORD}).status_code == 400
    assert not _is_logged_in(client)
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/login", data={"email": email, "password": f.PASSWORD, "csrf_token": token})
    assert resp.status_code == 302 and _is_logged_in(client)
    assert client.post("/logout").status_code == 400  # logging out needs the token too
    assert _is_logged_in(client)
