"""Review findings on the page cache for members (community.cache, community.layout): each test runs on the
in-process cache and on Redis, as tests/test_page_cache.py does (its ``app`` fixture)."""
from __future__ import annotations

import re

from community.proposals import service
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
