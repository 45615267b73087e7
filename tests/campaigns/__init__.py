from datetime import datetime
from zoneinfo import ZoneInfo

SH = ZoneInfo("Asia/Shanghai")


def sh(*args) -> datetime:
    """A Shanghai wall-clock instant, aware: ``sh(2025, 12, 24, 23, 59, 59)``."""
    return datetime(*args, tzinfo=SH)
