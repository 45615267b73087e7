"""Listing: keyset pages cover every visible proposal once, in order, ties included; pages do not
run a query per author or commenter (the benchmark's hot spots, kept from coming back)."""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, update

from community.extensions import db
from community.proposals import service
from community.proposals.models import Proposal
from community.util import encode_cursor
from tests import factories as f

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def crowd(app):
    """13 proposals with many ties in votes (0-2, real vote rows) and in creation time; one hidden."""
    author, voters = f.owner(), [f.owner(), f.owner()]
    made = []
    for i in range(13):
        at = T0 + timedelta(hours=i // 3)
        p = service.create_proposal(author, f"Proposal {i}", "Body", "charging", created_at=at)
        for voter in voters[: i % 3]:
            service.vote(voter, p)
        made.append(p)
    db.session.execute(update(Proposal).where(Proposal.id == made[4].id).values(hidden_at=T0))
    db.session.commit()
    return made


def _walk(sort: str, limit: int = 4) -> list[int]:
    seen, after = [], None
    for _ in range(20):
        page = service.list_proposals(sort, after=after, limit=limit)
        seen += [p.id for p in page.items]
        if not page.next_cursor:
            return seen
        after = page.next_cursor
    raise AssertionError("pagination does not end")


@pytest.mark.parametrize("sort, key", [("top", "vote_count"), ("newest", "created_at"), ("updated", "updated_at")])
def test_keyset_pages_cover_each_visible_proposal_once_in_order(crowd, sort, key):
    visible = [p for p in crowd if p.hidden_at is None]
    expected = [p.id for p in sorted(visible, key=lambda p: (getattr(p, key), p.id), reverse=True)]
    assert _walk(sort) == expected
    assert crowd[4].id not in expected


def test_next_page_link_continues_after_the_last_row(crowd, client):
    first = service.list_proposals("top", limit=20)
    last = first.items[5]
    cursor = encode_cursor([last.vote_count, last.id])
    resp = client.get(f"/?sort=top&after={cursor}")
    assert resp.status_code == 200
    shown = [p.title for p in first.items[6:]]
    body = resp.get_data(as_text=True)
    assert all(title in body for title in shown)
    assert first.items[5].title not in body and first.items[0].title not in body


def test_a_malformed_cursor_is_a_clear_400_not_page_one(crowd, client):
    resp = client.get("/?sort=newest&after=not-a-cursor")
    assert resp.status_code == 400
    assert service.list_proposals("newest", limit=1).items[0].title not in resp.get_data(as_text=True)


@contextmanager
def _count_sql():
    statements: list[str] = []

    def listen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)


def _sql_for(client, path: str) -> int:
    """Statements one anonymous request runs when the page cache is off (what a miss costs); none of them may
    load authors' roles or vehicles."""
    client.application.extensions["page_cache_enabled"] = False
    try:
        with _count_sql() as statements:
            assert client.get(path).status_code == 200
    finally:
        client.application.extensions["page_cache_enabled"] = True
    assert not [s for s in statements if "FROM user_roles" in s or "FROM vehicles" in s]
    return len(statements)


def test_list_page_shows_authors_without_loading_their_roles_or_cars(app, client):
    f.proposal(title="One author")
    few = _sql_for(client, "/")
    for i in range(6):
        f.proposal(title=f"Another author {i}")  # each by a new owner
    assert _sql_for(client, "/") == few


def test_detail_page_queries_do_not_grow_with_commenters_or_milestones(app, client):
    p = f.proposal()
    service.add_comment(f.owner(), p, "First")
    service.change_status(p, "under_review", f.moderator(), note_en="Looking")
    few = _sql_for(client, f"/proposals/{p.id}")
    for i in range(5):
        service.add_comment(f.owner(), p, f"Comment {i}")
    service.change_status(p, "accepted", f.moderator(), note_en="Yes")
    body = client.get(f"/proposals/{p.id}").get_data(as_text=True)
    assert "Comment 4" in body and p.author.display_name in body
    assert _sql_for(client, f"/proposals/{p.id}") == few


def test_list_dates_follow_each_viewers_language_and_zone(make_app):
    """The formatted instants are memoised per process; the memo must never leak one viewer's format.

    Requests run outside an app context here so each gets its own ``g`` (locale, zone), as in production.
    """
    app = make_app()
    with app.app_context():
        service.create_proposal(f.owner(), "Dated", "Body", "charging", created_at=T0)  # 08:00 UTC
        berliner = f.owner()
        berliner.timezone = "Europe/Berlin"
        db.session.commit()
        email = berliner.email
    client = app.test_client()
    assert "2026年3月1日 16:00" in client.get("/?lang=zh").get_data(as_text=True)  # Asia/Shanghai
    assert "1 Mar 2026, 16:00" in client.get("/?lang=en").get_data(as_text=True)
    client.post("/login", data={"email": email, "password": f.PASSWORD})
    body = client.get("/?lang=zh").get_data(as_text=True)
    assert "2026年3月1日 09:00" in body and "16:00" not in body
