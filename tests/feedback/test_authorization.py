"""Who may call every feedback and pledge route. Denied: 302 to login (anonymous), 403 (wrong role),
404 (may not even know the item exists)."""
import pytest
from flask import g

from tests import factories as f

ALLOWED = "allowed"
LOGIN = 302


@pytest.fixture
def world(app):
    f.teams()
    author = f.owner()
    item = f.feedback(author=author, team="sales")
    triage = f.feedback(team=None)
    agent = f.agent("sales")
    other_agent = f.agent("charging")
    users = {"author": author, "owner": f.owner(), "agent": agent, "other_agent": other_agent,
             "moderator": f.moderator(), "admin": f.UserFactory(roles=["admin"])}
    from community.feedback import service

    service.reply(item, agent, "ack")  # acknowledged, so "start" is a legal move for the right agent
    return {"item": item.id, "triage": triage.id, "team": f.teams()["sales"].id, "agent_id": agent.id,
            "pledge_item": f.pledge_item("sales").id, "users": users}


ROUTES = [
    # (method, path, data, {user: expected}; users not listed are denied with the default code)
    ("GET", "/pledge", None, {"anon": 200, "*": 200}),
    ("GET", "/feedback/new", None, {"anon": 200, "*": 200}),
    ("GET", "/feedback/mine", None, {"anon": LOGIN, "*": 200}),
    ("GET", "/feedback/{item}", None, {"anon": LOGIN, "author": 200, "agent": 200, "moderator": 200, "admin": 200,
                                       "*": 404}),
    ("POST", "/feedback/{item}/reply", {"rp-body": "hi"},
     {"anon": LOGIN, "agent": ALLOWED, "author": 403, "moderator": 403, "admin": 403, "*": 404}),
    ("POST", "/feedback/{item}/start", {}, {"anon": LOGIN, "agent": ALLOWED, "author": 403, "moderator": 403,
                                           "admin": 403, "*": 404}),
    ("POST", "/feedback/{item}/resolve", {"rs-note": "done"},
     {"anon": LOGIN, "agent": ALLOWED, "author": 403, "moderator": 403, "admin": 403, "*": 404}),
    ("POST", "/feedback/{item}/reassign", {"re-team": "delivery"},
     {"anon": LOGIN, "agent": ALLOWED, "moderator": ALLOWED, "admin": ALLOWED, "author": 403, "*": 404}),
    ("GET", "/feedback/queue", None, {"anon": LOGIN, "agent": 200, "other_agent": 200, "moderator": 200,
                                      "admin": 200, "*": 403}),
    ("GET", "/feedback/queue?team=sales", None, {"anon": LOGIN, "agent": 200, "moderator": 200, "admin": 200,
                                                 "*": 403}),
    ("GET", "/feedback/triage", None, {"anon": LOGIN, "moderator": 200, "admin": 200, "*": 403}),
    ("POST", "/feedback/{triage}/assign", {"team": "sales"},
     {"anon": LOGIN, "moderator": ALLOWED, "admin": ALLOWED, "*": 403}),
    ("GET", "/pledge/admin", None, {"anon": LOGIN, "admin": 200, "*": 403}),
    ("GET", "/pledge/admin/teams/{team}", None, {"anon": LOGIN, "admin": 200, "*": 403}),
    ("POST", "/pledge/admin/teams/{team}", {"name_zh": "销售", "name_en": "Sales", "is_active": "y"},
     {"anon": LOGIN, "admin": ALLOWED, "*": 403}),
    ("POST", "/pledge/admin/teams/{team}/agents", {"ag-email": "x@example.com"},
     {"anon": LOGIN, "admin": ALLOWED, "*": 403}),
    ("POST", "/pledge/admin/teams/{team}/agents/{agent_id}/remove", {},
     {"anon": LOGIN, "admin": ALLOWED, "*": 403}),
    ("GET", "/pledge/admin/items/new", None, {"anon": LOGIN, "admin": 200, "*": 403}),
    ("GET", "/pledge/admin/items/{pledge_item}", None, {"anon": LOGIN, "admin": 200, "*": 403}),
    ("POST", "/pledge/admin/items/{pledge_item}", {"team_id": "x"}, {"anon": LOGIN, "admin": ALLOWED, "*": 403}),
]
WHO = ["anon", "author", "owner", "agent", "other_agent", "moderator", "admin"]


def _login(client, user) -> None:
    """Put ``user`` (None: nobody) in the session directly: 140 password checks would dominate the run.

    Flask-Login caches the user on ``g``, which lives in the test's app context across requests: drop it.
    """
    g.pop("_login_user", None)
    with client.session_transaction() as session:
        session.clear()
        if user is not None:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True


@pytest.mark.parametrize("method,path,data,expect", ROUTES, ids=[f"{r[0]} {r[1]}" for r in ROUTES])
def test_route_authorization(client, world, method, path, data, expect):
    url = path.format(**world)
    # Refused callers first, so the state they see is the state the allowed callers change afterwards.
    order = sorted(WHO, key=lambda who: expect.get(who, expect["*"]) == ALLOWED)
    for who in order:
        _login(client, world["users"].get(who))
        resp = client.get(url) if method == "GET" else client.post(url, data=data)
        wanted = expect.get(who, expect["*"])
        if wanted == ALLOWED:
            assert resp.status_code in (200, 302, 422), (who, resp.status_code)
            if resp.status_code == 302:
                assert "/login" not in resp.headers["Location"], who
        else:
            assert resp.status_code == wanted, (who, resp.status_code)
            if wanted == LOGIN:
                assert "/login" in resp.headers["Location"], who
