"""Free texts stored as "中文 / English" show only the viewer's language (the other side only when one is empty):
pages, the API, milestone texts written from a reason, notifications."""
from __future__ import annotations

from datetime import timedelta

import pytest

from community.dbtypes import utcnow
from community.moderation import service as moderation
from community.timeline.models import Milestone
from community.util import one_language, split_bilingual
from tests import factories as f

BOTH = "演示数据：按真实日期补录 / demo data at its real date"


@pytest.mark.parametrize("text, zh, en", [
    (BOTH, "演示数据：按真实日期补录", "demo data at its real date"),
    ("OTA 延期补偿 / for a delayed OTA", "OTA 延期补偿", "for a delayed OTA"),
    ("会后发布 / ", "会后发布", "会后发布"),
    (" / published after the session", "published after the session", "published after the session"),
    ("2024 款 001 / 009", "2024 款 001 / 009", "2024 款 001 / 009"),  # not a pair: no English after the slash
    ("speed / power", "speed / power", "speed / power"),
    ("多地审批延后", "多地审批延后", "多地审批延后"),
    (None, "", ""),
])
def test_one_language_takes_the_viewers_side(text, zh, en):
    assert one_language(text, "zh") == zh and one_language(text, "en") == en


def test_split_needs_chinese_before_and_english_after():
    assert split_bilingual("速度 / 功率 / speed") == ("速度 / 功率", "speed")
    assert split_bilingual("a / b") is None and split_bilingual("") is None


@pytest.fixture
def backdated(app):
    proposal = f.proposal(title="Upgrade for 2024 cars")
    f.milestone(proposal, "commitment", occurred_at=utcnow() - timedelta(days=30), backdate_reason=BOTH)
    return proposal


@pytest.mark.parametrize("lang, shown, hidden", [("zh", "演示数据：按真实日期补录", "demo data at its real date"),
                                                  ("en", "demo data at its real date", "演示数据")])
def test_pages_show_one_side_of_a_backdate_reason(client, backdated, lang, shown, hidden):
    for path in (f"/proposals/{backdated.id}?lang={lang}", f"/timeline?lang={lang}"):
        page = client.get(path).get_data(as_text=True)
        assert shown in page and hidden not in page and " / demo" not in page, path


def test_the_api_writes_one_side_of_a_backdate_reason(client, backdated):
    for lang, expected in (("zh", "演示数据：按真实日期补录"), ("en", "demo data at its real date")):
        items = client.get("/api/v1/timeline", headers={"Accept-Language": lang}).json["items"]
        assert [m["backdate_reason"] for m in items if m.get("backdate_reason")] == [expected]


def test_a_merge_reason_goes_to_each_language_once(app):
    mod = f.moderator()
    original, duplicate = f.proposal(title="Heated wheel switch"), f.proposal(title="Wheel heating on its own")
    moderation.merge(mod, duplicate.id, original.id, "同一个想法 / the same idea")
    merged = Milestone.query.filter_by(proposal_id=duplicate.id, status_to="merged").one()
    assert merged.text_zh.endswith("同一个想法") and "same idea" not in merged.text_zh
    assert merged.text_en.endswith("the same idea") and "同一个" not in merged.text_en


def test_a_text_with_a_link_is_never_split():
    assert split_bilingual("这是广告，证据见 / https://proof.example/abc") is None
    assert one_language("这是广告，证据见 / https://proof.example/abc", "en") == "这是广告，证据见 / https://proof.example/abc"


def test_moderators_read_a_report_reason_whole_in_either_language(client, auth):
    """A report's reason is the reporter's own words: never cut to one side of a " / "."""
    proposal = f.proposal()
    moderation.flag(f.owner(), "proposal", proposal.id, "广告 / Spam, see the seller's shop")
    auth.login_as(f.moderator())
    for lang in ("zh", "en"):
        page = client.get(f"/moderation?lang={lang}").get_data(as_text=True)
        assert "广告 / Spam, see the seller&#39;s shop" in page, lang


@pytest.mark.parametrize("lang,shown", [("zh", "（已超时）"), ("en", "(overdue)")])
def test_templates_write_the_parentheses_of_the_viewers_language(app, lang, shown):
    """Marks beside Chinese are full width (docs/copy-guide.zh.md); English keeps ASCII."""
    from flask import render_template_string
    from flask_babel import force_locale

    with app.test_request_context(), force_locale(lang):
        assert render_template_string("{{ _('overdue')|parens }}") == shown
