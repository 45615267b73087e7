"""One date and one date-time format per language, in the viewer's zone, on every page (community/dates.py):
zh 2026年8月11日 13:50, en 11 Aug 2026, 13:50; no seconds, weekdays, zone names or ISO dates in the text;
recent instants relative inside <time datetime=... title=absolute>."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from community.dates import format_date, format_datetime, format_relative
from community.dbtypes import utcnow
from tests import factories as f
from tests.html import text as visible

ROOT = Path(__file__).resolve().parent.parent
INSTANT = datetime(2026, 8, 11, 5, 50, 31, tzinfo=UTC)  # 13:50:31 in Shanghai
# What the old Babel formats wrote: 2026/8/11, seconds, weekday, zone name, ISO days.
STRAY = re.compile(r"\d{4}/\d{1,2}/\d{1,2}|\d{1,2}:\d{2}:\d{2}|星期|中国标准时间|China Standard|\b\d{4}-\d{2}-\d{2}\b"
                   r"|\b[AP]M\b|(Mon|Tue|Wed|Thu|Fri|Sat|Sun)day")


@pytest.mark.parametrize("lang, day, moment", [("zh", "2026年8月11日", "2026年8月11日 13:50"),
                                                ("en", "11 Aug 2026", "11 Aug 2026, 13:50")])
def test_one_format_per_language_in_shanghai(app, lang, day, moment):
    assert format_date(INSTANT, lang, "Asia/Shanghai") == day
    assert format_datetime(INSTANT, lang, "Asia/Shanghai") == moment
    assert format_date(date(2026, 8, 11), lang) == day


def test_the_zone_moves_the_day(app):
    late = datetime(2026, 8, 11, 17, 0, tzinfo=UTC)
    assert format_datetime(late, "zh", "Asia/Shanghai") == "2026年8月12日 01:00"
    assert format_datetime(late, "en", "Europe/London") == "11 Aug 2026, 18:00"


@pytest.mark.parametrize("ago, zh, en", [
    (timedelta(seconds=20), "刚刚", "just now"),
    (timedelta(minutes=1), "1 分钟前", "1 minute ago"),
    (timedelta(hours=3, minutes=5), "3 小时前", "3 hours ago"),
    (timedelta(days=2), "2 天前", "2 days ago"),
    (-timedelta(hours=5, minutes=1), "5 小时后", "in 5 hours"),
    (timedelta(days=8), None, None),
])
def test_relative_times_for_the_last_week(app, ago, zh, en):
    now = utcnow()
    with app.test_request_context():
        assert format_relative(now - ago, now, "zh") == zh
        assert format_relative(now - ago, now, "en") == en


def test_templates_pass_no_babel_formats_and_no_iso_days():
    """Every date on a page goes through the when/day/ago/time_tag filters (community/dates.py)."""
    found = []
    for path in (ROOT / "templates").rglob("*.html"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\|when\(|strftime|\.isoformat\(\) \}\}<|format_datetime|format_date", line):
                found.append(f"{path.relative_to(ROOT)}:{n}")
    assert found == []


@pytest.fixture
def dated(app):
    mod = f.moderator()
    campaign = f.campaign(actor=mod)
    proposal = campaign.proposal
    f.milestone(proposal, "commitment", mod, occurred_at=utcnow() - timedelta(days=40), backdate_reason="补录 / demo")
    f.comment(proposal)
    return proposal, campaign


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pages_show_one_date_format(client, dated, lang):
    proposal, campaign = dated
    pattern = {"zh": r"\d{4}年\d{1,2}月\d{1,2}日( \d{2}:\d{2})?", "en": r"\d{1,2} [A-Z][a-z]{2} \d{4}(, \d{2}:\d{2})?"}
    for path in ("/", "/proposals", f"/proposals/{proposal.id}", "/timeline", "/campaigns", f"/campaigns/{campaign.id}",
                 "/roadmap", "/announcements", "/pledge"):
        page = visible(client.get(f"{path}?lang={lang}").get_data(as_text=True))
        assert not STRAY.search(page), (path, STRAY.search(page).group(0))
    detail = visible(client.get(f"/campaigns/{campaign.id}?lang={lang}").get_data(as_text=True))
    expected = {"zh": ("2025年11月24日 00:00", "2025年12月24日 23:59"),
                "en": ("24 Nov 2025, 00:00", "24 Dec 2025, 23:59")}[lang]
    assert all(text in detail for text in expected) and re.search(pattern[lang], detail)


def test_recent_times_are_relative_with_the_absolute_in_the_title(client, dated):
    proposal, _ = dated
    page = client.get(f"/proposals/{proposal.id}?lang=zh").get_data(as_text=True)
    tag = re.search(r'<time datetime="([^"]+)" title="([^"]+)" data-relative>([^<]+)</time>', page)
    assert tag and re.fullmatch(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}", tag.group(2))
    assert tag.group(3) in ("刚刚", "1 分钟前")
    assert '<script src="/static/js/times.js' in page


def test_the_campaign_milestone_writes_each_language_in_its_format(app):
    from community.campaigns.windows import beijing_time

    closes = datetime(2025, 12, 24, 15, 59, 59, tzinfo=UTC)
    assert beijing_time(closes, "zh") == "2025年12月24日 23:59"
    assert beijing_time(closes, "en") == "24 Dec 2025, 23:59"
