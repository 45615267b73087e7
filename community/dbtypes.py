"""Column types and helpers shared by every feature's models."""
from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current instant as an aware UTC datetime (pass the callable as a column default)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Stores instants as naive UTC on every backend and returns them aware (tz=UTC).

    Raises ValueError on a naive datetime: an instant without a zone is ambiguous, and
    guessing is how deadlines drift by eight hours.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC instant is required")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)
