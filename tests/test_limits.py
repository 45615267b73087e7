"""Rate limits counted in the shared Redis: per token for the API, per account and per address for logins.

Every test here talks to the real Redis at TEST_REDIS_URL under this session's own key prefix (conftest).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from community.api import tokens
from community.config import load_config
from tests import factories as f
from tests.conftest import BASE, REDIS_PREFIX, TEST_REDIS_URL

ROOT = Path(__file__).resolve().parent.parent


def _other_host(database_url: str, requests: list, **config) -> list[int]:
    """Run ``requests`` on a second app instance in its own process (its own memory), sharing only Redis
    and the database with this one, as a second web host would."""
    overrides = {**BASE, "SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_ENABLED": True,
                 "RATELIMIT_STORAGE_URI": TEST_REDIS_URL, "RATELIMIT_STORAGE_OPTIONS": {"key_prefix": REDIS_PREFIX},
                 **config}
    env = {**os.environ, "HOST_CONFIG": json.dumps(overrides), "HOST_REQUESTS": json.dumps(requests)}
    out = subprocess.run([sys.executable, "-m", "tests.limits_host"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _login(client, email, password="wrong-password-1"):
    return client.post("/login", data={"email": email, "password": password})


def test_login_failures_on_one_host_count_on_another(make_app, database_url):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        f.UserFactory(email="victim@example.com")
        f.UserFactory(email="bystander@example.com")
    attempt = ["POST", "/login", {"email": "Victim@Example.com", "password": "wrong-password-1"}]
    assert _other_host(database_url, [attempt] * 5) == [422] * 5  # host A: five wrong guesses
    client = app.test_client()  # host B: the account is throttled here too, even for the right password
    resp = _login(client, "victim@example.com", f.PASSWORD)
    assert resp.status_code == 429 and 0 < int(resp.headers["Retry-After"]) <= 15 * 60
    assert _login(client, "bystander@example.com", f.PASSWORD).status_code == 302  # other accounts are unaffected


def test_the_account_limit_does_not_tell_which_accounts_exist(make_app):
    app = make_app(RATELIMIT_ENABLED=True)
    with app.app_context():
        f.UserFactory(email="real@example.com")
    answers = {}
    for email in ("real@example.com", "ghost@example.com"):
        client = app.test_client()
        resps = [_login(client, email) for _ in range(6)]
        answers[email] = [(r.status_code, r.get_data(as_text=True).count("wrong")) for r in resps]
        assert "E-mail or password is wrong." in resps[0].get_data(as_text=True)
        assert int(resps[-1].headers["Retry-After"]) > 0
    assert answers["real@example.com"] == answers["ghost@example.com"]
    assert [code for code, _ in answers["ghost@example.com"]] == [422] * 5 + [429]


def test_successful_logins_do_not_use_up_the_account_limit(make_app):
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_ADDRESS_RATE_LIMIT="100 per minute")
    with app.app_context():
        email = f.UserFactory().email
    client = app.test_client()
    for _ in range(7):
        assert _login(client, email, f.PASSWORD).status_code == 302
        client.post("/logout")


def test_the_account_backoff_steps_up(make_app):
    """Past the first step the wait grows: once the short window has passed, one more failure meets the
    longer limit, whose Retry-After is the rest of the hour."""
    app = make_app(RATELIMIT_ENABLED=True, LOGIN_ADDRESS_RATE_LIMIT="100 per minute",
                   LOGIN_ACCOUNT_RATE_LIMIT="2 per 2 seconds; 3 per hour")
    client = app.test_client()
    assert [_login(client, "x@example.com").status_code for _ in range(3)] == [422, 422, 429]
    assert int(_login(client, "x@example.com").headers["Retry-After"]) <= 2
    time.sleep(2.1)
    assert [_login(client, "x@example.com").status_code for _ in range(2)] == [422, 429]
    assert int(_login(client, "x@example.com").headers["Retry-After"]) > 60


def test_registration_is_limited_per_address_across_hosts(make_app, database_url):
    app = make_app(RATELIMIT_ENABLED=True, REGISTER_ADDRESS_RATE_LIMIT="3 per hour")
    attempt = ["POST", "/register", {"email": "bad"}]
    assert _other_host(database_url, [attempt] * 3, REGISTER_ADDRESS_RATE_LIMIT="3 per hour") == [422] * 3
    resp = app.test_client().post("/register", data={"email": "bad"})
    assert resp.status_code == 429 and int(resp.headers["Retry-After"]) > 0


def test_the_api_counts_per_token_not_per_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with app.app_context():
        _, first = tokens.create_token(f.owner(), "phone", "read", None)
        _, second = tokens.create_token(f.owner(), "tablet", "read", None)
        client = app.test_client()  # every request comes from the same address
        one = {"Authorization": f"Bearer {first}"}
        # one bucket for the whole API: three different endpoints use it up
        codes = [client.get(path, headers=one).status_code
                 for path in ("/api/v1/proposals", "/api/v1/me", "/api/v1/timeline", "/api/v1/proposals")]
        assert codes == [200, 200, 200, 429]
        assert client.get("/api/v1/proposals", headers={"Authorization": f"Bearer {second}"}).status_code == 200
        assert client.get("/api/v1/proposals").status_code == 200  # anonymous: the address's own bucket


def test_unknown_tokens_count_against_their_address(make_app):
    app = make_app(RATELIMIT_ENABLED=True, API_RATE_LIMIT="3 per minute")
    with app.app_context():
        client = app.test_client()
        bad = {"Authorization": "Bearer cc_not-a-token"}
        assert [client.get("/api/v1/proposals", headers=bad).status_code for _ in range(4)] == [401] * 3 + [429]
        resp = client.get("/api/v1/proposals")
        assert resp.status_code == 429 and resp.json["error"]["code"] == "rate_limited"


def test_when_redis_is_down_pages_still_answer_and_logins_stay_throttled(database_url):
    """The decision documented in the README: Redis down = each worker counts in its own memory."""
    codes = _other_host(database_url, [["GET", "/login", {}]] + [["POST", "/login", {"email": "a@example.com",
                                                                                       "password": "w" * 12}]] * 6,
                        RATELIMIT_STORAGE_URI="redis://127.0.0.1:9/0", RATELIMIT_IN_MEMORY_FALLBACK_ENABLED=True,
                        RATELIMIT_SWALLOW_ERRORS=True)
    assert codes == [200] + [422] * 5 + [429]



@pytest.mark.parametrize("secret", ["x", "dev", "changeme", "test-secret", "a" * 40,
                                    "change-me-to-a-long-random-secret-key", "short-but-random-7f3a",
                                    "changemechangemechangemechangeme", "9f3c" * 16, "abababababababababababababababab",
                                    "0101010101010101010101010101010101", "aaaabbbbccccddddaaaabbbbccccdddd"])
def test_production_refuses_weak_secret_keys(monkeypatch, tmp_path, secret):
    from flask import Flask

    monkeypatch.setenv("SECRET_KEY", secret)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/cocreate")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        load_config(Flask("t", instance_path=str(tmp_path)), {"COCREATE_ENV": "production"})


@pytest.mark.parametrize("token", ["t", "s3cret-token", "changeme", "metricsmetricsmetricsmetricsmetrics",
                                   "0123456789abcdef0123456789abcdef"])
def test_production_refuses_a_weak_metrics_token(monkeypatch, tmp_path, token):
    from flask import Flask

    for name, value in (("SECRET_KEY", "9f8e7d6c5b4a39281706f5e4d3c2b1a0aa"), ("METRICS_TOKEN", token),
                        ("DATABASE_URL", "postgresql://db/cocreate"), ("REDIS_URL", "redis://127.0.0.1:6379/0"),
                        ("PUBLIC_BASE_URL", "https://cocreate.example.com"), ("STORAGE_DIR", str(tmp_path))):
        monkeypatch.setenv(name, value)
    with pytest.raises(RuntimeError, match="METRICS_TOKEN"):
        load_config(Flask("t", instance_path=str(tmp_path)), {"COCREATE_ENV": "production"})
    monkeypatch.setenv("METRICS_TOKEN", "c4d0e9b1f7a25e8c3b6d1f0a9e7c2b5d")
    load_config(Flask("t", instance_path=str(tmp_path)), {"COCREATE_ENV": "production"})
    monkeypatch.delenv("METRICS_TOKEN")  # unset: /metrics is a 404, nothing to guard
    load_config(Flask("t", instance_path=str(tmp_path)), {"COCREATE_ENV": "production"})


def test_production_takes_the_secret_key_from_the_environment_only(monkeypatch, tmp_path):
    from flask import Flask

    (tmp_path / "config.py").write_text("SECRET_KEY = '" + "k" * 20 + "9f8e7d6c5b4a39281706f5e4d3c2b1a0'\n")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/cocreate")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    app = Flask("t", instance_path=str(tmp_path), instance_relative_config=True)
    with pytest.raises(RuntimeError, match="SECRET_KEY must be set in the environment"):
        load_config(app, {"COCREATE_ENV": "production"})
    good = "9f8e7d6c5b4a39281706f5e4d3c2b1a0aa"
    monkeypatch.setenv("SECRET_KEY", good)
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cocreate.example.com")  # also required in production
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path))
    load_config(app, {"COCREATE_ENV": "production"})
    assert app.config["SECRET_KEY"] == good and app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_production_refuses_per_worker_rate_limits(monkeypatch, tmp_path):
    from flask import Flask

    monkeypatch.setenv("SECRET_KEY", "9f8e7d6c5b4a39281706f5e4d3c2b1a0aa")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/cocreate")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.delenv("RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        load_config(Flask("t", instance_path=str(tmp_path)), {"COCREATE_ENV": "production"})
    monkeypatch.setenv("RATELIMIT_STORAGE_URI", "memory://")
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI"):
        load_config(Flask("t", instance_path=str(tmp_path)), {"COCREATE_ENV": "production"})
