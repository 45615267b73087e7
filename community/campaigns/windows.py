"""A campaign's window as SQL and as announced text: the rules both ``service`` and ``reminders`` build on.

It sits below them both (``service`` -> ``reminders`` -> here), so neither imports the other back.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from community.campaigns.models import Campaign

CAMPAIGN_ZONE = ZoneInfo("Asia/Shanghai")  # the brand's zone: windows are announced in Beijing time


def _second(now: datetime) -> datetime:
    """``now`` floored to the second, compared with the inclusive ``closes_at`` in SQL."""
    return now.replace(microsecond=0)


def open_clause(now: datetime):
    """SQL condition: the campaign is published, not cancelled and ``now`` is inside its window."""
    return (Campaign.published_at.is_not(None), Campaign.cancelled_at.is_(None), Campaign.opens_at <= now,
            Campaign.closes_at >= _second(now))


def beijing_time(instant: datetime, lang: str) -> str:
    """``instant`` as Shanghai wall-clock text for announcements in ``lang``'s one date-time format
    (community.dates), e.g. 2025年12月24日 23:59 / 24 Dec 2025, 23:59."""
    from community.dates import format_datetime

    return format_datetime(instant, lang, str(CAMPAIGN_ZONE))
