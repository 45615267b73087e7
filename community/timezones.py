"""The viewer's zone and conversions between local wall-clock input and UTC instants."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, has_request_context
from flask_login import current_user


def viewer_timezone() -> str:
    """The logged-in user's zone, else the app default (Asia/Shanghai)."""
    if has_request_context():
        user = current_user._get_current_object()
        if user is not None and user.is_authenticated and user.timezone:
            return user.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def local_to_utc(naive: datetime, zone: str | None = None) -> datetime:
    """Interpret a naive wall-clock time (e.g. from a form) in ``zone`` (default: the viewer's) -> aware UTC."""
    try:
        tz = ZoneInfo(zone or viewer_timezone())
    except ZoneInfoNotFoundError:
        tz = ZoneInfo(current_app.config["DEFAULT_TIMEZONE"])
    return naive.replace(tzinfo=tz).astimezone(ZoneInfo("UTC"))
