"""Small helpers for views: form options, text in the viewer's language, turning service errors into form errors,
paging cursors."""
from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime

from werkzeug.routing import IntegerConverter
from wtforms.fields import SelectChoice

# Our integer primary keys are 32-bit; a larger number typed into a form must be refused before it reaches the
# database (SQLite raises OverflowError past 64 bits, PostgreSQL a DataError past 32: both were a 500).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` limited to the 32-bit range of our integer primary keys.

    PostgreSQL rejects larger literals with an error; bounding the URL makes them a plain 404. ASCII digits
    only: Werkzeug's ``\\d+`` also matched full-width and other Unicode digits (``/proposals/８５`` served
    proposal 85 under a second address, a second copy in the page cache).
    """

    regex = r"(?:0|[1-9][0-9]*)"  # no leading zeros: /proposals/007 is not a second address of 7

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def options(pairs) -> list[SelectChoice]:
    """``(value, label)`` pairs, or a ``{value: label}`` dict, as WTForms ``choices`` (bare tuples are
    deprecated since WTForms 3.3 and go in 3.4)."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


def in_viewer_language(zh: str | None, en: str | None) -> str:
    """The text in the viewer's language (zh or en), falling back to the other one; "" when both are empty."""
    return in_language(zh, en, _viewer_language())


def _viewer_language() -> str:
    """The current request's locale ("zh", "en"...); "zh" when none is chosen."""
    from flask_babel import get_locale

    return str(get_locale() or "zh")


_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")
_BILINGUAL_SEPARATOR = re.compile(r"\s+/\s+")


def split_bilingual(text: str | None) -> tuple[str, str] | None:
    """``"中文 / English"`` -> ``("中文", "English")``: the first " / " with Chinese before it and English
    (letters, no Chinese) after it; None when ``text`` is not written that way ("2024 款 001 / 009" is not).
    One side may be empty ("中文 / " or " / English"). A text with a link is never split: a link is no half
    of a translation, and cutting it would hide evidence ("广告，见 / https://...")."""
    if not text or "://" in text:
        return None
    for found in _BILINGUAL_SEPARATOR.finditer(f" {text} "):
        zh, en = f" {text} "[:found.start()].strip(), f" {text} "[found.end():].strip()
        if _CJK.search(en):
            continue
        if (_CJK.search(zh) or not zh) and (_LATIN.search(en) or not en) and (zh or en):
            return zh, en
    return None


def one_language(text: str | None, lang: str | None = None) -> str:
    """A free text stored as "中文 / English" in one language: ``lang`` (default: the viewer's), else the
    other side when that one is empty. Text not written that way is returned as it is ("" for None)."""
    parts = split_bilingual(text)
    if parts is None:
        return text or ""
    lang = lang or _viewer_language()
    return in_language(parts[0], parts[1], lang)


def with_colon(label: str, lang: str | None = None) -> str:
    """``label`` followed by the colon of ``lang`` (default: the viewer's): "提案：" in zh (full width, no space),
    "Proposal: " in en. For a label a template writes before a value (docs/copy-guide.zh.md)."""
    lang = lang or _viewer_language()
    return f"{label}: " if lang[:2] == "en" else f"{label}："


def in_parens(text: str, lang: str | None = None) -> str:
    """``text`` in the parentheses of ``lang`` (default: the viewer's): "（已超时）" in zh (full width), "(overdue)"
    in en (docs/copy-guide.zh.md)."""
    lang = lang or _viewer_language()
    return f"({text})" if lang[:2] == "en" else f"（{text}）"


def in_language(zh: str | None, en: str | None, lang: str) -> str:
    """``zh`` or ``en`` for ``lang`` ("zh", "en", "zh_Hans"...), falling back to the other; "" when both are empty."""
    first, second = (en, zh) if lang[:2] == "en" else (zh, en)
    return first or second or ""


def apply_errors(form, err) -> None:
    """Attach a DomainError's field messages to a WTForms form; unplaced messages go to ``form.form_errors``."""
    placed = False
    for name, message in (err.fields or {}).items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors) + [message]
            placed = True
    if not placed:
        form.form_errors.append(err.message)


def encode_cursor(values: list) -> str:
    """Opaque, URL-safe cursor for keyset pagination."""
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


_CURSOR_CHARS = re.compile(r"[A-Za-z0-9_-]{1,512}")
_INT64 = 2**63


def _no_constant(name: str):
    raise ValueError(name)  # NaN, Infinity: json.loads would accept them


def decode_cursor(cursor: str | None) -> list | None:
    """The values of a cursor made by ``encode_cursor``: None when absent (page one).

    Raises InvalidCursor for anything else: not URL-safe base64, not JSON, not a list of 1 to 3 strings
    (at most 64 characters) and 64-bit integers. Floats are refused too: no cursor of ours holds one
    (``1e999`` would be infinity). The list's length and kinds are checked by ``cursor_values``.
    """
    from community.errors import InvalidCursor

    if not cursor:
        return None
    if not _CURSOR_CHARS.fullmatch(cursor):
        raise InvalidCursor()
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)), parse_constant=_no_constant)
    except (ValueError, RecursionError):  # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors
        raise InvalidCursor() from None
    if not isinstance(data, list) or not 1 <= len(data) <= 3 or not all(
            (isinstance(v, str) and len(v) <= 64)
            or (isinstance(v, int) and not isinstance(v, bool) and -_INT64 <= v < _INT64) for v in data):
        raise InvalidCursor()
    return data


def cursor_values(values: list | None, *kinds: str) -> tuple | None:
    """A decoded cursor's values checked against ``kinds`` (one per value) and parsed; None when ``values`` is.

    Kinds: ``"instant"``, an ISO 8601 string with a zone, returned as an aware UTC datetime; ``"int"``, an
    integer in 0..MAX_ID (our ids and counters are 32-bit columns: a larger literal is an error on PostgreSQL).
    Raises InvalidCursor when the length or a value does not fit (a forged cursor, or one from another sort).
    """
    from community.errors import InvalidCursor

    if values is None:
        return None
    if len(values) != len(kinds):
        raise InvalidCursor()
    parsed = []
    for kind, value in zip(kinds, values, strict=True):
        if kind == "int":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ID:
                raise InvalidCursor()
            parsed.append(value)
        elif kind == "instant":
            try:
                at = datetime.fromisoformat(value)
                if at.tzinfo is None:
                    raise ValueError(value)
                parsed.append(at.astimezone(UTC))  # OverflowError: year 1 or 9999 moved past the calendar
            except (TypeError, ValueError, OverflowError):
                raise InvalidCursor() from None
        else:
            raise ValueError(f"unknown cursor value kind {kind!r}")
    return tuple(parsed)


def int_arg(name: str, low: int = 0, high: int = MAX_ID) -> int | None:
    """The integer query argument ``name`` that our own links carry (a keyset id, a page number, a filter id):
    None when absent or empty; InvalidCursor when it is not a decimal number in ``low``..``high`` (a number
    past 64 bits was a 500 on SQLite, past 32 on PostgreSQL; garbage silently showed page one)."""
    from flask import request

    from community.errors import InvalidCursor

    raw = request.args.get(name)
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 10 and low <= int(raw) <= high):
        raise InvalidCursor()
    return int(raw)
