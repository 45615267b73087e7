"""Every route added by the council, moderation and audit features, against every kind of visitor.

Each cell is the status the server must answer: anonymous browsers are sent to the login page (302);
the wrong role gets 403 whatever the page would have shown. Expected statuses for the allowed role are
"not 302/401/403" (a 200, a redirect after success, or a 4xx about the input).
"""
from datetime import timedelta

import pytest

from community.council import sessions
from community.dbtypes import utcnow
from community.proposals import service as proposals
from tests import factories as f

DENIED, LOGIN, OK, UNAUTHORIZED = "denied", "login", "ok", "401"
ROLES = ("anonymous", "owner", "council", "moderator", "admin")


def _matrix(ids):
    p, s, item, c, u, t = ids["p"], ids["s"], ids["item"], ids["c"], ids["u"], ids["term"]
    public = {r: OK for r in ROLES}
    logged = {"anonymous": LOGIN, **{r: OK for r in ROLES[1:]}}
    council = {"anonymous": LOGIN, "owner": DENIED, "council": OK, "moderator": OK, "admin": OK}
    mod = {"anonymous": LOGIN, "owner": DENIED, "council": DENIED, "moderator": OK, "admin": OK}
    admin = {"anonymous": LOGIN, "owner": DENIED, "council": DENIED, "moderator": DENIED, "admin": OK}
    return [
        ("GET", "/council", public),
        ("GET", f"/council/sessions/{s}", public),
        ("GET", "/council/terms/new", admin),
        ("POST", f"/council/terms/{t}/end", admin),
        ("GET", "/council/sessions/new", mod),
        ("POST", f"/council/sessions/{s}/edit", mod),
        ("POST", f"/council/sessions/{s}/agenda", council),
        ("POST", f"/council/sessions/{s}/items/{item}/decision", mod),
        ("POST", f"/council/sessions/{s}/items/{item}/remove", mod),
        ("POST", f"/council/sessions/{s}/publish", mod),
        ("GET", "/council/queue", council),
        ("POST", "/council/queue/agenda", council),
        ("GET", f"/council/proposals/{p}", council),
        ("POST", f"/council/proposals/{p}/notes", council),
        ("GET", f"/report/proposal/{p}", logged),
        ("POST", f"/report/comment/{c}", logged),
        ("GET", "/moderation", mod),
        ("POST", f"/moderation/proposal/{p}/hide", mod),
        ("POST", f"/moderation/proposal/{p}/restore", mod),
        ("POST", f"/moderation/comment/{c}/dismiss", mod),
        ("GET", "/moderation/hidden", mod),
        ("GET", "/moderation/users", mod),
        ("POST", f"/moderation/users/{u}/block", mod),
        ("POST", f"/moderation/users/{u}/unblock", mod),
        ("POST", f"/moderation/users/{u}/remove-votes", mod),
        ("GET", f"/moderation/proposals/{p}/merge", mod),
        ("GET", "/admin/audit", admin),
        ("GET", "/admin/audit.csv", admin),
        ("GET", "/proposals/similar?title=abcd", {"anonymous": UNAUTHORIZED, **{r: OK for r in ROLES[1:]}}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_authorization_matrix(role, client, auth, app):
    mod = f.moderator()
    p = f.proposal()
    c = proposals.add_comment(f.owner(), p, "comment")
    s = sessions.create_session(mod, "S", utcnow() - timedelta(days=1), place="x")
    item = sessions.add_to_agenda(mod, s, f.proposal())
    term = f.council_term(f.owner())
    ids = {"p": p.id, "s": s.id, "item": item.id, "c": c.id, "u": f.owner().id, "term": term.id}
    users = {"owner": f.owner, "council": f.council_member, "moderator": f.moderator, "admin": f.admin}
    if role != "anonymous":
        auth.login(users[role]())
    for method, path, expected in _matrix(ids):
        resp = client.open(path, method=method, data={})
        want = expected[role]
        if want == UNAUTHORIZED:
            assert resp.status_code == 401, (method, path)
        elif want == LOGIN:
            assert resp.status_code == 302 and "/login" in resp.location, (method, path)
        elif want == DENIED:
            assert resp.status_code == 403, (method, path, resp.status_code)
        else:
            assert resp.status_code not in (401, 403, 500) and not (
                resp.status_code == 302 and "/login" in (resp.location or "")), (method, path, resp.status_code)
