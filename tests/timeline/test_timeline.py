"""The public timeline: open to everyone, newest first, filterable, paged; per proposal; Atom; hidden stays hidden."""
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest

from community.dbtypes import utcnow
from community.extensions import db
from community.timeline.models import Milestone
from tests import factories as f

ATOM = "{http://www.w3.org/2005/Atom}"
ITEM = re.compile(r'<div class="ms" id="m(\d+)"')
NEXT = re.compile(r'href="([^"]+)" rel="next"')


def _shown(page: str) -> list[int]:
    return [int(i) for i in ITEM.findall(page)]


def _rows(proposal, n: int, start: datetime, step: timedelta, kind: str = "progress_update") -> list[Milestone]:
    """``n`` milestones inserted directly (fast); ``step`` may be zero to make ties."""
    made = [Milestone(proposal_id=proposal.id, kind=kind, occurred_at=start + i * step, recorded_at=utcnow(),
                      text_en=f"{kind} {i}") for i in range(n)]
    db.session.add_all(made)
    db.session.commit()
    return made


def _newest_first(milestones) -> list[int]:
    return [m.id for m in sorted(milestones, key=lambda m: (m.occurred_at, m.id), reverse=True)]


@pytest.fixture
def story(app):
    """Two proposals; milestones posted out of order, some backdated."""
    mod = f.moderator()
    a, b = f.proposal(title="Upgrade for 2024 cars"), f.proposal(title="Roofs over chargers")
    now = utcnow()
    f.milestone(a, "council_session", mod, occurred_at=now - timedelta(days=60), backdate_reason="minutes")
    f.milestone(b, "commitment", mod, occurred_at=now - timedelta(days=10), backdate_reason="press release")
    f.milestone(a, "commitment", mod, occurred_at=now - timedelta(days=57), backdate_reason="CEO post")
    f.milestone(a, "progress_update", mod, progress_percent=40)
    return a, b


def test_anyone_reads_the_timeline_newest_first(client, story):
    resp = client.get("/timeline")
    assert resp.status_code == 200
    assert _shown(resp.get_data(as_text=True)) == _newest_first(Milestone.query.all())


def test_the_timeline_filters_by_kind(client, story):
    shown = _shown(client.get("/timeline?kind=commitment").get_data(as_text=True))
    assert shown == _newest_first(Milestone.query.filter_by(kind="commitment").all()) and len(shown) == 2
    assert _shown(client.get("/timeline?kind=nonsense").get_data(as_text=True)) == _newest_first(
        Milestone.query.all())  # an unknown kind means no filter


def test_paging_walks_every_milestone_once_with_ties(client, app):
    p = f.proposal()
    start = datetime(2026, 3, 1, tzinfo=UTC)
    made = _rows(p, 40, start, timedelta(hours=1)) + _rows(p, 25, start + timedelta(hours=10), timedelta(0))
    seen, url, pages = [], "/timeline", 0
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += _shown(page)
        nxt = NEXT.search(page)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
    assert pages == 3
    assert seen == _newest_first(made)


def test_a_proposal_page_shows_its_own_timeline_only(client, story):
    a, b = story
    page = client.get(f"/proposals/{a.id}").get_data(as_text=True)
    timeline = page[page.index('id="timeline"'):]
    assert _shown(timeline) == _newest_first(Milestone.query.filter_by(proposal_id=a.id).all())
    assert "40%" in timeline


def test_atom_feed_is_valid_xml_newest_first(client, story):
    resp = client.get("/timeline.atom")
    assert resp.status_code == 200 and resp.mimetype == "application/atom+xml"
    root = ET.fromstring(resp.data)
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 4
    published = [datetime.fromisoformat(e.findtext(f"{ATOM}published")) for e in entries]
    assert published == sorted(published, reverse=True)
    ids = [int(e.find(f"{ATOM}link").get("href").rsplit("#m", 1)[1]) for e in entries]
    assert ids == _newest_first(Milestone.query.all())
    titles = [e.findtext(f"{ATOM}title") for e in entries]
    assert "Roofs over chargers" in titles[1]
    kinds = ET.fromstring(client.get("/timeline.atom?kind=council_session").data).findall(f"{ATOM}entry")
    assert len(kinds) == 1


def test_atom_feed_without_milestones_is_still_valid(client):
    root = ET.fromstring(client.get("/timeline.atom").data)
    assert root.findall(f"{ATOM}entry") == [] and root.findtext(f"{ATOM}updated")


def test_hidden_proposals_and_milestones_leave_every_public_view(client, story):
    a, b = story
    a.hidden_at = utcnow()
    hidden_ms = Milestone.query.filter_by(proposal_id=b.id).one()
    db.session.commit()
    only_b = [hidden_ms.id]
    assert _shown(client.get("/timeline").get_data(as_text=True)) == only_b
    entries = ET.fromstring(client.get("/timeline.atom").data).findall(f"{ATOM}entry")
    assert len(entries) == 1 and "Upgrade for 2024 cars" not in client.get("/timeline.atom").get_data(as_text=True)
    assert client.get(f"/proposals/{a.id}").status_code == 404
    hidden_ms.hidden_at = utcnow()
    db.session.commit()
    assert _shown(client.get("/timeline").get_data(as_text=True)) == []
    assert f'id="m{hidden_ms.id}"' not in client.get(f"/proposals/{b.id}").get_data(as_text=True)
