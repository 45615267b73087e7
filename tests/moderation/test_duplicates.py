"""Duplicate suggestions while typing a new proposal: similar, visible proposals only."""
import pytest

from community.moderation import duplicates
from community.moderation import service as moderation
from community.proposals import service as proposals
from tests import factories as f


@pytest.fixture
def corpus(app):
    author = f.owner()
    made = {
        "usb": f.proposal(author, "后排增加 USB-C 快充口", "后排乘客手机充电太慢，希望增加 USB-C 快充口。", "vehicle"),
        "frunk": f.proposal(author, "前备箱增加排水孔", "下雨后前备箱积水。", "vehicle"),
        "queue": f.proposal(author, "Show live queue length at supercharging stations",
                            "I want to see how many cars wait before I drive there.", "charging"),
        "seat": f.proposal(author, "座椅通风增加档位", "夏天座椅通风只有三档不够。", "comfort"),
    }
    return made


def _ids(results):
    return [p.id for p, _score in results]


def test_chinese_without_spaces_and_english_find_their_duplicate(corpus):
    assert _ids(duplicates.similar("后排加一个USB-C快充接口"))[0] == corpus["usb"].id
    assert _ids(duplicates.similar("Queue length at supercharging stations"))[0] == corpus["queue"].id
    assert _ids(duplicates.similar("前备箱进水了"))[0] == corpus["frunk"].id
    assert duplicates.similar("x") == []
    assert len(duplicates.similar("后排 前备箱 座椅 queue", limit=2)) <= 2


def test_a_draft_in_one_language_finds_its_duplicate_in_the_other(corpus):
    """The glossary carries the idea across languages; bare character n-grams could not."""
    author = f.owner()
    heating = f.proposal(author, "Separate switch for steering wheel heating",
                         "Heat the wheel without the seats.", "comfort")
    assert _ids(duplicates.similar("希望方向盘加热有独立开关"))[0] == heating.id
    assert _ids(duplicates.similar("Ventilated seats need more levels"))[0] == corpus["seat"].id
    assert _ids(duplicates.similar("Drain holes in the frunk, please"))[0] == corpus["frunk"].id


def test_hidden_and_merged_proposals_are_never_suggested(corpus):
    mod = f.moderator()
    first = duplicates.index()
    moderation.set_hidden(mod, "proposal", corpus["usb"].id, True, "spam")
    assert corpus["usb"].id not in _ids(duplicates.similar("后排增加 USB-C 快充口"))
    assert duplicates.index() is not first  # the hide changed the candidate set: refitted
    dup = f.proposal(title="前备箱增加排水孔", body="同上")
    proposals.vote(f.owner(), dup)
    moderation.merge(mod, dup.id, corpus["frunk"].id, "same")
    assert _ids(duplicates.similar("前备箱增加排水孔")) == [corpus["frunk"].id]


def test_a_stale_index_still_cannot_show_hidden_content(corpus, monkeypatch):
    idx = duplicates.index()
    monkeypatch.setattr(duplicates, "index", lambda: idx)  # as if a background refit were still running
    moderation.set_hidden(f.moderator(), "proposal", corpus["seat"].id, True, "abuse")
    assert duplicates.similar("座椅通风增加档位") == []


def test_new_proposals_are_suggested_at_once(corpus):
    assert duplicates.similar("哨兵模式录像保存更久") == []
    p = f.proposal(title="哨兵模式录像保存更久", body="希望保存 30 天。")
    assert _ids(duplicates.similar("哨兵模式的录像能多保存几天"))[0] == p.id


def test_the_json_endpoint(corpus, client, auth):
    url = "/proposals/similar?title=前备箱进水"
    assert client.get(url, headers={"Accept": "application/json"}).status_code == 401
    auth.login(f.owner())
    data = client.get(url).json
    assert data["items"][0]["id"] == corpus["frunk"].id
    assert set(data["items"][0]) == {"id", "title", "status", "status_label", "vote_count", "score", "url"}
    assert client.get("/proposals/similar?title=").json == {"items": []}
    html = client.get("/proposals/new").get_data(as_text=True)
    assert 'id="similar"' in html and "/proposals/similar" in html


def test_with_redis_a_request_never_fits_the_index_a_job_does_and_every_host_loads_it(
        make_app, redis_config, s3_config, monkeypatch):
    from rq import SimpleWorker

    from community import jobs

    app = make_app(**redis_config, **s3_config)
    with app.app_context():
        author = f.owner()
        usb = f.proposal(author, "后排增加 USB-C 快充口", "后排乘客手机充电太慢，希望增加 USB-C 快充口。", "vehicle")
        f.proposal(author, "前备箱增加排水孔", "下雨后前备箱积水。", "vehicle")
        monkeypatch.setattr(duplicates, "_index", None)
        real_build = duplicates._build
        monkeypatch.setattr(duplicates, "_build", lambda key: pytest.fail("a web request fitted the index"))
        queued = jobs.queue().count
        assert duplicates.similar("后排加一个USB-C快充接口") == []  # nothing fitted yet: no suggestions, no wait
        duplicates.similar("后排加一个USB-C快充接口")
        assert jobs.queue().count == queued + 1  # one refit queued, however many requests asked
        monkeypatch.setattr(duplicates, "_build", real_build)
        SimpleWorker([jobs.queue()], connection=jobs.redis_connection()).work(burst=True)
        monkeypatch.setattr(duplicates, "_index", None)  # another host: nothing in its memory
        monkeypatch.setattr(duplicates, "_build", lambda key: pytest.fail("a web request fitted the index"))
        assert _ids(duplicates.similar("后排加一个USB-C快充接口"))[0] == usb.id  # loaded from the bucket


def test_only_one_refit_runs_at_a_time(make_app, redis_config):
    from community import jobs

    app = make_app(**redis_config)
    with app.app_context():
        with jobs.exclusive("duplicates-refit") as mine:
            assert mine and duplicates.refit() == "another refit is running"
        assert duplicates.refit().startswith("index refitted")
        assert duplicates.refit() == "index up to date"  # a second run does nothing
