"""One date format and one date-time format per language, in the viewer's zone (docs/copy-guide.zh.md).

zh: ``2026年8月11日`` and ``2026年8月11日 13:50``; en: ``11 Aug 2026`` and ``11 Aug 2026, 13:50``. 24-hour
clock, no seconds, no weekday, no zone name (the footer names the zone once). Recent instants may be shown
relative ("3 小时前" / "3 hours ago") inside ``<time datetime=... title=absolute>``; static/js/times.js keeps
them current on pages served from the cache.

Pages use the Jinja filters ``when`` (date-time), ``day`` (date) and ``ago`` (relative, absolute after a week);
texts written into milestones and notifications call ``format_datetime(value, lang, zone)`` directly.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_datetime as babel_datetime
from flask import has_request_context
from flask_babel import force_locale, get_locale, gettext, ngettext
from markupsafe import Markup, escape

from community.dbtypes import utcnow

DATE = {"zh": "y年M月d日", "en": "d MMM y"}
DATETIME = {"zh": "y年M月d日 HH:mm", "en": "d MMM y, HH:mm"}
MONTH = {"zh": "y年M月", "en": "MMM y"}
RELATIVE_FOR = timedelta(days=7)  # older instants read better as a date


def _lang(lang: str | None) -> str:
    if lang is None:
        lang = str(get_locale() or "zh") if has_request_context() else "zh"
    return "en" if lang[:2] == "en" else "zh"


def _zone(zone: str | None) -> str:
    if zone is None:
        from community.timezones import viewer_timezone

        return viewer_timezone()
    return zone


@lru_cache(maxsize=8192)
def _format(value: datetime | date, pattern: str, lang: str, zone: str) -> str:
    """Babel takes ~0.1 ms per instant and list pages show the same ones to every visitor: cached."""
    if isinstance(value, datetime):
        return babel_datetime(value.astimezone(ZoneInfo(zone)), pattern, locale=lang)
    return babel_datetime(datetime(value.year, value.month, value.day), pattern, locale=lang)


def format_date(value: datetime | date | None, lang: str | None = None, zone: str | None = None) -> str:
    """The day of ``value`` (an aware instant, shown in ``zone``; or a date): 2026年8月11日 / 11 Aug 2026."""
    if value is None:
        return ""
    lang = _lang(lang)
    return _format(value, DATE[lang], lang, _zone(zone) if isinstance(value, datetime) else "UTC")


def format_month(month: str, lang: str | None = None) -> str:
    """A month key ``YYYY-MM`` (as the scorecards keep them) in the viewer's language: 2026年5月 / May 2026."""
    lang = _lang(lang)
    year, _, number = month.partition("-")
    return _format(date(int(year), int(number), 1), MONTH[lang], lang, "UTC")


def format_datetime(value: datetime | None, lang: str | None = None, zone: str | None = None) -> str:
    """An aware instant in ``zone`` (default the viewer's): 2026年8月11日 13:50 / 11 Aug 2026, 13:50."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return format_date(value, lang)
    lang = _lang(lang)
    return _format(value, DATETIME[lang], lang, _zone(zone))


def format_relative(value: datetime, now: datetime | None = None, lang: str | None = None) -> str | None:
    """"3 小时前" / "3 hours ago" for an instant within the last week (also "in 3 hours" ahead); None beyond."""
    delta = (now or utcnow()) - value
    ahead = delta < timedelta(0)
    seconds = abs(delta.total_seconds())
    if seconds >= RELATIVE_FOR.total_seconds():
        return None
    with force_locale(_lang(lang)):
        if seconds < 60:
            return gettext("just now")
        for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
            if seconds >= size:
                n = int(seconds // size)
                return _relative_text(unit, n, ahead)
    return None


def _relative_text(unit: str, n: int, ahead: bool) -> str:
    if ahead:
        if unit == "day":
            return ngettext("in %(num)d day", "in %(num)d days", n)
        if unit == "hour":
            return ngettext("in %(num)d hour", "in %(num)d hours", n)
        return ngettext("in %(num)d minute", "in %(num)d minutes", n)
    if unit == "day":
        return ngettext("%(num)d day ago", "%(num)d days ago", n)
    if unit == "hour":
        return ngettext("%(num)d hour ago", "%(num)d hours ago", n)
    return ngettext("%(num)d minute ago", "%(num)d minutes ago", n)


def time_tag(value: datetime | None, relative: bool = False) -> Markup:
    """``<time datetime="2026-08-11T05:50:00+00:00" title="2026年8月11日 13:50">3 小时前</time>``; the absolute
    text when ``relative`` is off or the instant is more than a week away."""
    if value is None:
        return Markup("")
    absolute = format_datetime(value)
    shown = format_relative(value) if relative else None
    iso = value.isoformat()
    if shown is None:
        return Markup('<time datetime="{}">{}</time>').format(iso, absolute)
    return Markup('<time datetime="{}" title="{}" data-relative>{}</time>').format(iso, absolute, escape(shown))


def register(app) -> None:
    """The Jinja filters: ``when`` (date-time), ``day`` (date), ``ago`` (a <time>, relative when recent)."""
    app.jinja_env.filters["when"] = lambda value: format_datetime(value)
    app.jinja_env.filters["day"] = lambda value: format_date(value)
    app.jinja_env.filters["month"] = lambda value: format_month(value)
    app.jinja_env.filters["ago"] = lambda value: time_tag(value, relative=True)
    app.jinja_env.filters["time_tag"] = lambda value: time_tag(value)
