"""Review findings on the page cache for members (community.cache, community.layout): each test runs on the
in-process cache and on Redis, as tests/test_page_cache.py does (its ``app`` fixture)."""
from __future__ import annotations

import re

from community.accounts import service as accounts
from community.proposals import service
from community.roadmap import service as roadmap
from tests import factories as f
from tests.test_page_cache import app  # noqa: F401  (the fixture: memory and Redis)


def test_a_head_request_never_gives_later_visitors_a_language_switch_without_the_query(app, client):  # noqa: F811
    """The anonymous bar is put into a stored page once per process; a HEAD (a monitor, a link checker) that
    comes first must not make every later GET of ``/?sort=new`` switch language back to ``/``."""
    from community.extensions import db

    p = f.proposal(title="Headed")
    client.get("/?sort=new")
    service.vote(f.owner(), p)  # a new version: the next request stores and fills the page afresh
    db.session.commit()
    assert client.head("/?sort=new").status_code == 200
    for _ in range(2):
        page = client.get("/?sort=new").get_data(as_text=True)
        assert re.findall(r'name="next" value="([^"]*)"', page) == ["/?sort=new"]


# A newcomer's pass (issue 13): writes the page cache did not see.

def _roadmap_item(mod, proposals):
    data = roadmap.ItemInput(title_en="City navigation assist", title_zh="城市领航辅助", description_en="Soon",
                             kind="ota", window="2027-Q1", models=["001"], model_years=[2024],
                             proposal_ids=[p.id for p in proposals])
    return roadmap.create_item(mod, data)


def _roadmap_card(page: str) -> str:
    found = re.search(r'id="roadmap".*?</div></div>', page, re.S)
    return found.group(0) if found else ""


def test_a_roadmap_state_change_shows_at_once_on_the_linked_proposals_page(app, client):  # noqa: F811
    """A proposal's page shows the state of each roadmap item answering it: ``roadmap_items`` was in no scope."""
    mod, p = f.moderator(), f.proposal()
    item = _roadmap_item(mod, [p])
    before = _roadmap_card(client.get(f"/proposals/{p.id}").get_data(as_text=True))
    assert "City navigation assist" in before and "Planned" in before
    roadmap.change_state(item, mod, "in_development")
    after = _roadmap_card(client.get(f"/proposals/{p.id}").get_data(as_text=True))
    assert "In development" in after and "Planned" not in after


def test_unlinking_a_proposal_from_a_roadmap_item_shows_at_once(app, client):  # noqa: F811
    """The link row goes as an orphan of ``item.links`` (delete-orphan), which ``session.deleted`` never lists."""
    mod, p, other = f.moderator(), f.proposal(), f.proposal()
    item = _roadmap_item(mod, [p, other])
    assert "City navigation assist" in client.get(f"/proposals/{p.id}").get_data(as_text=True)
    roadmap.set_links(item, mod, [other.id])
    assert "City navigation assist" not in client.get(f"/proposals/{p.id}").get_data(as_text=True)


def test_a_revoked_role_leaves_the_members_stored_pages_at_once(app, client):  # noqa: F811
    """Same cause: ``revoke_role`` removes the row from ``user.roles``; the member's snapshot kept the staff menu."""
    alice = f.owner(display_name="Alice Revoked")
    client.get("/")  # stored by an anonymous visit
    as_alice = app.test_client()
    with as_alice.session_transaction() as sess:
        sess["_user_id"], sess["_fresh"] = alice.get_id(), True
    as_alice.get("/"), as_alice.get("/")  # learns the headers; the second is served from the store
    accounts.grant_role(alice, "moderator")
    assert ">Moderation<" in as_alice.get("/").get_data(as_text=True)  # an INSERT: shows at once
    accounts.revoke_role(alice, "moderator")
    assert ">Moderation<" not in as_alice.get("/").get_data(as_text=True)
