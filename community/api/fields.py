"""Fields shared by the read-parity endpoints: instants in the caller's zone, decimals as exact strings."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from marshmallow import fields

from community.timezones import viewer_timezone


class LocalDateTime(fields.AwareDateTime):
    """An aware instant written in the caller's zone (the account's, else the platform default,
    Asia/Shanghai), as the web shows it: ``2026-11-24T00:00:00+08:00``. The same instant as UTC."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        return super()._serialize(value.astimezone(ZoneInfo(viewer_timezone())), attr, obj, **kwargs)


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
