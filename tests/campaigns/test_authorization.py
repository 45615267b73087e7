"""Every campaign route against every kind of visitor: the server decides, whatever the page shows."""
import pytest

from community.campaigns import pledges
from tests import factories as f

LOGIN = "login"  # a redirect to the login page


@pytest.fixture
def world(app):
    mod = f.moderator()
    live = f.open_campaign(actor=mod)
    draft = f.open_campaign(actor=mod, publish=False, proposal=live.proposal)
    pledger = f.eligible_owner()
    pledge = pledges.pledge(pledger, live, pledger.vehicles[0].id)
    return {"mod": mod, "owner": f.eligible_owner(), "user": f.UserFactory(), "pledger": pledger,
            "live": live.id, "draft": draft.id, "pledge": pledge.id, "proposal": live.proposal_id}


# (method, url template, data, expected status per visitor: anon, user (no car), owner, moderator)
MATRIX = [
    ("GET", "/campaigns", None, (200, 200, 200, 200)),
    ("GET", "/campaigns/mine", None, (LOGIN, 200, 200, 200)),
    ("GET", "/campaigns/{live}", None, (200, 200, 200, 200)),
    ("GET", "/campaigns/{draft}", None, (404, 404, 404, 200)),
    ("POST", "/campaigns/{live}/pledge", "vehicle", (LOGIN, 403, 302, 403)),
    ("POST", "/pledges/{pledge}/cancel", None, (LOGIN, 404, 404, 404)),
    ("GET", "/proposals/{proposal}/campaigns/new", None, (LOGIN, 403, 403, 200)),
    ("POST", "/proposals/{proposal}/campaigns/new", None, (LOGIN, 403, 403, 422)),
    ("POST", "/campaigns/{draft}/publish", None, (LOGIN, 403, 403, 302)),
    ("POST", "/campaigns/{live}/cancel", "reason", (LOGIN, 403, 403, 302)),
    ("GET", "/campaigns/{live}/dashboard", None, (LOGIN, 403, 403, 200)),
    ("GET", "/campaigns/{live}/pledges.csv", None, (LOGIN, 403, 403, 200)),
]
VISITORS = ("anon", "user", "owner", "mod")


@pytest.mark.parametrize("visitor", VISITORS)
def test_route_access(client, auth, world, visitor):
    """One visitor walks the whole matrix (rows that change state come last), every mismatch reported."""
    if visitor != "anon":
        auth.login(world[visitor])
    cars = world[visitor].vehicles if visitor != "anon" else []
    bodies = {"vehicle": {"vehicle_id": cars[0].id if cars else 1}, "reason": {"reason": "Testing access"}}
    wrong = []
    for method, url, data, expected in MATRIX:
        resp = client.open(url.format(**world), method=method, data=bodies.get(data, {}))
        want = expected[VISITORS.index(visitor)]
        got = LOGIN if resp.status_code == 302 and "/login" in (resp.location or "") else resp.status_code
        if got != want:
            wrong.append(f"{method} {url}: {got}, expected {want}")
    assert wrong == []


def test_anonymous_api_clients_get_401_not_a_redirect(client, world):
    resp = client.post(f"/campaigns/{world['live']}/pledge", data={"vehicle_id": 1},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 401


def test_the_pledger_may_cancel_their_own_pledge(client, auth, world):
    auth.login(world["pledger"])
    assert client.post(f"/pledges/{world['pledge']}/cancel").status_code == 302
