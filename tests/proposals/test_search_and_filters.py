"""The proposals list page: sorts, filters, "Next page" links without gaps or repeats, search in Chinese and English.

Every test here runs on SQLite and on PostgreSQL (the suite runs twice), and asserts exact id sets,
so search and paging answer the same on both.
"""
import re
from datetime import timedelta

import pytest

from community.dbtypes import utcnow
from community.extensions import db
from community.proposals import service
from tests import factories as f

LINK = re.compile(r'href="/proposals/(\d+)"')
NEXT = re.compile(r'href="([^"]+)" rel="next"')


def _ids(page: str) -> list[int]:
    return [int(i) for i in LINK.findall(page)]


def _walk(client, url: str) -> list[int]:
    """Follow "Next page" from ``url`` to the end; the ids in the order shown."""
    seen, pages = [], 0
    while url:
        page = client.get(url).get_data(as_text=True)
        seen += _ids(page)
        nxt = NEXT.search(page)
        url = nxt.group(1).replace("&amp;", "&") if nxt else None
        pages += 1
        assert pages < 50
    return seen


def _make_crowd():
    """Ten proposals with tied vote counts and tied timestamps, so paging must break ties by id."""
    author = f.owner()
    base = utcnow() - timedelta(days=10)
    votes = [3, 0, 5, 3, 0, 1, 3, 5, 0, 2]
    made = []
    for i, n in enumerate(votes):
        p = service.create_proposal(author, f"Idea {i}", "Body", "charging" if i % 2 else "app",
                                    created_at=base + timedelta(days=i // 3))
        p.vote_count = n  # order only; counts vs rows are tested in test_votes
        p.updated_at = base + timedelta(days=(7 * i) % 10)
        made.append(p)
    made[4].status = "accepted"
    made[5].status = "accepted"
    db.session.commit()
    return made


@pytest.fixture
def crowd(app):
    return _make_crowd()


def _expected(items, key):
    return [p.id for p in sorted(items, key=lambda p: (key(p), p.id), reverse=True)]


@pytest.mark.parametrize(("sort", "key"), [
    ("top", lambda p: p.vote_count), ("newest", lambda p: p.created_at), ("updated", lambda p: p.updated_at)])
def test_each_sort_pages_through_every_proposal_once_in_order(make_app, sort, key):
    app = make_app(PROPOSALS_PER_PAGE=3)
    with app.app_context():
        made = _make_crowd()
        expected = _expected(made, key)
        shown = _walk(app.test_client(), f"/?sort={sort}")
    assert shown == expected
    assert len(set(shown)) == len(shown) == 10


def test_default_sort_is_top_and_unknown_sorts_fall_back(client, crowd):
    top = _expected(crowd, lambda p: p.vote_count)[:20]
    assert _ids(client.get("/").get_data(as_text=True)) == top
    assert _ids(client.get("/?sort=bogus").get_data(as_text=True)) == top


def test_filters_by_status_and_category_and_pages_within_the_filter(make_app):
    app = make_app(PROPOSALS_PER_PAGE=2)
    with app.app_context():
        made = _make_crowd()
        client = app.test_client()
        charging = [p for p in made if p.category == "charging"]
        assert _walk(client, "/?category=charging") == _expected(charging, lambda p: p.vote_count)
        assert set(_walk(client, "/?status=accepted")) == {made[4].id, made[5].id}
        assert _walk(client, "/?status=accepted&category=app") == [made[4].id]
        assert _walk(client, "/?status=delivered") == []


def test_a_hidden_proposal_leaves_the_list(client, crowd):
    crowd[2].hidden_at = utcnow()
    db.session.commit()
    assert crowd[2].id not in _ids(client.get("/").get_data(as_text=True))
    assert client.get(f"/proposals/{crowd[2].id}").status_code == 404


def test_a_garbled_cursor_is_a_400_not_the_first_page(client, crowd):
    assert client.get("/?after=%%%not-base64").status_code == 400
    assert client.get("/?sort=newest&after=WyJub3QtYS1kYXRlIiwxXQ").status_code == 400


@pytest.fixture
def corpus(app):
    author = f.owner()
    make = lambda title, body="": service.create_proposal(author, title, body or title, "other").id  # noqa: E731
    return {
        "zh_adas": make("辅助驾驶升级", "希望老车也能用上最新的辅助驾驶系统。"),
        "zh_seat": make("驾驶座椅通风", "夏天驾驶座太热。"),
        "zh_charge": make("超充站增加遮雨棚"),
        "en_lidar": make("Lidar upgrade for Assisted Driving", "Older cars have LIDAR hardware."),
        "mixed": make("2024 款 001 辅助驾驶 upgrade", "lidar 车主"),
        "single": make("车 wash service", "Free wash."),
        "de": make("Wallbox bei Müller", "Frau Müller lädt zu Hause."),
        "ru": make("Зарядка в Москве", "Станция у дома."),
        "ja": make("ドライブレコーダーのカメラ", "夜の画質"),
    }


@pytest.mark.parametrize(("query", "expected"), [
    ("辅助驾驶", {"zh_adas", "mixed"}),
    ("驾驶", {"zh_adas", "zh_seat", "mixed"}),
    ("驾", {"zh_adas", "zh_seat", "mixed"}),
    ("车", {"zh_adas", "mixed", "single"}),
    ("雨", {"zh_charge"}),
    ("座椅 通风", {"zh_seat"}),
    ("lidar", {"en_lidar", "mixed"}),
    ("LIDAR", {"en_lidar", "mixed"}),
    ("assisted driving", {"en_lidar"}),
    ("辅助驾驶 lidar", {"mixed"}),
    ("upgrade", {"en_lidar", "mixed"}),
    ("001", {"mixed"}),
    ("ＬＩＤＡＲ", {"en_lidar", "mixed"}),  # full-width letters from a Chinese keyboard
    ("飞行汽车", set()),
    ("!!!", set()),
    ("muller", {"de"}),  # accents folded, the same on both databases
    ("Müller", {"de"}),
    ("MÜLLER", {"de"}),
    ("Mu\u0308ller", {"de"}),  # u + combining diaeresis
    ("ladt hause", {"de"}),
    ("москве", {"ru"}),  # non-Latin words are words
    ("МОСКВЕ", {"ru"}),
    ("カメラ", {"ja"}),  # kana in bigrams like Chinese
    ("m", set()),  # "Müller" is no longer indexed as "m" + "ller"
])
def test_search_finds_the_same_proposals_on_every_database(client, corpus, query, expected):
    want = {corpus[k] for k in expected}
    assert {p.id for p in service.list_proposals(q=query, limit=100).items} == want
    assert set(_ids(client.get("/", query_string={"q": query}).get_data(as_text=True))) == want


def test_search_combines_with_filters_and_paging(make_app):
    app = make_app(PROPOSALS_PER_PAGE=2)
    with app.app_context():
        author = f.owner()
        ids = {service.create_proposal(author, f"充电 idea {i}", "body", "charging" if i < 5 else "app").id
               for i in range(7)}
        service.create_proposal(author, "unrelated", "body", "charging")
        shown = _walk(app.test_client(), "/?q=%E5%85%85%E7%94%B5&category=charging&sort=newest")
        assert len(shown) == 5 and set(shown) < ids


def test_search_reindex_rewrites_terms_an_older_tokenizer_wrote(app, runner, corpus):
    """Rows indexed before accents were folded ("müller" stored as "m" + "ller") are found after the command."""
    from community.proposals.models import ProposalTerm

    ProposalTerm.query.filter_by(proposal_id=corpus["de"]).delete()
    db.session.add_all([ProposalTerm(term=t, proposal_id=corpus["de"]) for t in ("m", "ller", "wallbox", "bei")])
    db.session.commit()
    assert service.list_proposals(q="muller").items == []
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "1 proposal(s) reindexed" in result.output
    assert [p.id for p in service.list_proposals(q="Müller").items] == [corpus["de"]]
    assert "0 proposal(s) reindexed" in runner.invoke(args=["search", "reindex"]).output
