"""Security headers on every answer (Flask-Talisman), and pages that still work under the strict CSP."""
from __future__ import annotations

import re

from tests import factories as f


def _csp(resp) -> dict[str, str]:
    return {part.split(" ", 1)[0]: part.split(" ", 1)[1] if " " in part else ""
            for part in (p.strip() for p in resp.headers["Content-Security-Policy"].split(";")) if part}


def test_pages_carry_the_security_headers(client):
    resp = client.get("/")
    assert resp.status_code == 200
    csp = _csp(resp)
    assert csp["frame-ancestors"] == "'none'" and csp["object-src"] == "'none'"
    assert "unsafe-inline" not in resp.headers["Content-Security-Policy"]
    assert re.fullmatch(r"'self' 'nonce-[\w-]+'", csp["script-src"])
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in resp.headers["Permissions-Policy"] and "geolocation=()" in resp.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in resp.headers  # development and tests speak plain HTTP


def test_the_nonce_is_new_on_every_page_and_used_by_the_scripts_tags(client):
    first, second = client.get("/"), client.get("/")
    nonce = _csp(first)["script-src"].split("'nonce-")[1].rstrip("'")
    assert nonce != _csp(second)["script-src"].split("'nonce-")[1].rstrip("'")
    page = first.get_data(as_text=True)
    assert f'nonce="{nonce}"' in page


def test_no_page_has_inline_script_or_style(client, auth, app):
    """Inline code would be blocked by the CSP in the browser: every script and style comes from a file."""
    owner = f.owner(roles=["moderator", "admin"])
    proposal = f.proposal(owner)
    f.milestone(proposal)
    auth.login_as(owner)
    for path in ("/", f"/proposals/{proposal.id}", "/proposals/new", "/timeline", "/campaigns", "/roadmap/new",
                 "/moderation/users", "/api/v1/docs", "/login", "/pledge", "/feedback/new"):
        page = client.get(path).get_data(as_text=True)
        assert client.get(path).status_code == 200, path
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), path
        assert "<style" not in page and not re.search(r"\sstyle=\"", page), path
        assert not re.search(r"\son[a-z]+=\"", page), path


def test_api_docs_load_their_setup_from_a_file(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/static/js/swagger-init.js" in page and 'data-spec-url="/api/v1/openapi.json"' in page
    assert client.get("/static/js/swagger-init.js").status_code == 200


def test_production_sends_hsts_over_https(make_app, monkeypatch, database_url, tmp_path):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://cocreate.example")
    monkeypatch.setenv("STORAGE_DIR", str(tmp_path))
    app = make_app(COCREATE_ENV="production", SECRET_KEY="9f8e7d6c5b4a39281706f5e4d3c2b1a0aa")
    client = app.test_client()
    resp = client.get("/healthz", base_url="https://localhost")
    assert resp.headers["Strict-Transport-Security"].startswith("max-age=31556926")
    assert "Strict-Transport-Security" not in client.get("/healthz").headers  # plain HTTP: nginx redirects


def test_405_names_the_allowed_methods_for_pages_and_the_api(client):
    page = client.delete("/login")
    assert page.status_code == 405 and set(page.headers["Allow"].split(", ")) >= {"GET", "POST"}
    api = client.put("/api/v1/proposals")
    assert api.status_code == 405 and "POST" in api.headers["Allow"].split(", ")
    assert api.json["error"]["code"]
