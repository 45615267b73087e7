"""Fields shared by the read-parity endpoints: instants in the caller's zone, decimals as exact strings."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from marshmallow import fields

from community.timezones import viewer_timezone

_fixed_zone: ContextVar[str | None] = ContextVar("api_fixed_zone", default=None)


@contextmanager
def instants_in(zone: str) -> Iterator[None]:
    """Write every LocalDateTime in ``zone`` inside the block, whoever is logged in (webhook bodies: UTC)."""
    token = _fixed_zone.set(zone)
    try:
        yield
    finally:
        _fixed_zone.reset(token)


class LocalDateTime(fields.AwareDateTime):
    """An aware instant written in the caller's zone (the account's, else the platform default,
    Asia/Shanghai), as the web shows it: ``2026-11-24T00:00:00+08:00``. The same instant as UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        zone = _fixed_zone.get() or viewer_timezone()
        return super()._serialize(value.astimezone(ZoneInfo(zone)), attr, obj, **kwargs)


class DecimalString(fields.Field):
    """An exact decimal written as a string with two places, e.g. ``"12.50"`` (never a float)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else f"{value:.2f}"


def decimal_string(**kwargs) -> DecimalString:
    return DecimalString(metadata={"type": "string", "pattern": r"^-?\d+\.\d{2}$", **kwargs.pop("metadata", {})},
                         **kwargs)


class NestedFrom(fields.Nested):
    """A nested schema filled from ``getter(obj)`` (a service function), documented like any Nested field,
    e.g. ``NestedFrom(ProposalRefSchema, service.visible_proposals, many=True)``."""

    def __init__(self, nested, getter, **kwargs):
        super().__init__(nested, **kwargs)
        self.getter = getter

    def serialize(self, attr, obj, accessor=None, **kwargs):
        return self._serialize(self.getter(obj), attr, obj, **kwargs)
