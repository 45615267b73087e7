"""Fields shared by the read-parity endpoints: instants in the caller's zone, decimals as exact strings."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from zoneinfo import ZoneInfo

from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask_smorest import Blueprint as SmorestBlueprint
from marshmallow import fields, validate
from webargs.flaskparser import FlaskParser
from webargs.multidictproxy import MultiDictProxy

from community.timezones import viewer_timezone
from community.util import one_language

# Text no request may carry anywhere (community.security refuses it with 422 before any view): NUL.
NO_NUL = r"^[^\x00]*$"
# ... and text with something besides whitespace: the services strip text and refuse what is left empty.
NOT_BLANK = r"^\s*[^\s\x00][^\x00]*$"
# A date or instant written in the years 2000-2099 (as written, in its own offset).
YEARS_2000_2099 = r"^20[0-9]{2}-"


class Pattern(validate.Regexp):
    """A regular expression the whole value must match, as JSON Schema's anchored ``pattern`` does (``re.match``
    would let ``$`` pass a trailing newline). Written in the syntax both Python and ECMA-262 read."""

    def __call__(self, value):
        if self.regex.fullmatch(value) is None:
            raise validate.ValidationError(self._format_error(value))
        return value


def written_in_years(first: int, last: int):
    """Validator: a date or datetime whose year, as written, is within ``first``..``last`` (document it with
    ``metadata={"pattern": YEARS_2000_2099}``: JSON Schema has no range for dates)."""

    def check(value):
        if not first <= value.year <= last:
            raise validate.ValidationError(f"Must be in the years {first}-{last}.")
    return check


def text_required_when(field: str, values: list, name: str) -> dict:
    """An ``openapi_rules`` entry: when ``field`` is one of ``values``, the text ``name`` is required, not blank."""
    return {"if": {"required": [field], "properties": {field: {"enum": values}}},
            "then": {"required": [name], "properties": {name: {"type": "string", "pattern": NOT_BLANK}}}}


def one_of_texts(*names: str) -> dict:
    """``openapi_rules`` for "at least one of these texts, not blank" (e.g. a title in Chinese, English or both)."""
    return {"anyOf": [{"required": [name], "properties": {name: {"type": "string", "pattern": NOT_BLANK}}}
                      for name in names]}

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


class OneLanguageString(fields.String):
    """A free text that may be stored as "中文 / English", written in the caller's language only, the other
    side when that one is empty (community.util.one_language); other text as it is."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else one_language(value)


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


class Text(fields.String):
    """Text a client sends, declared as the server checks it: never with NUL, and with ``blank=False`` never
    empty or only whitespace. Both are one ``pattern`` in the OpenAPI document and a validator here."""

    def __init__(self, *, blank: bool = True, **kwargs):
        given = kwargs.pop("validate", None)
        given = [] if given is None else list(given) if isinstance(given, (list, tuple)) else [given]
        pattern = Pattern(NO_NUL, error="Text must not contain NUL characters.") if blank else \
            Pattern(NOT_BLANK, error="Must not be blank.")
        super().__init__(validate=[pattern, *given], **kwargs)


class _SingleValues(MultiDictProxy):
    """A query or form key given more than once reaches its field as a list, so a field that takes one value
    (``?limit=5&limit=7``) refuses it with 422 instead of silently using the first."""

    def __getitem__(self, key):
        values = self.data.getlist(key) if hasattr(self.data, "getlist") else []
        return values if len(values) > 1 else super().__getitem__(key)


class ApiParser(FlaskParser):
    def load_querystring(self, req, schema):
        return _SingleValues(req.args, schema)

    def load_form(self, req, schema):
        return _SingleValues(req.form, schema)


class Blueprint(SmorestBlueprint):
    """flask-smorest's Blueprint with the API's argument parser."""

    ARGUMENTS_PARSER = ApiParser()


class RulesPlugin(MarshmallowPlugin):
    """The marshmallow plugin, plus a schema's ``openapi_rules``: JSON Schema keywords for rules that span
    fields (``anyOf``, ``if``/``then``), which the service behind the endpoint enforces."""

    def schema_helper(self, name, definition, schema=None, **kwargs):
        json_schema = super().schema_helper(name, definition, schema=schema, **kwargs)
        rules = getattr(resolve_schema_cls(schema), "openapi_rules", None) if schema is not None else None
        return {**json_schema, **rules} if rules else json_schema
