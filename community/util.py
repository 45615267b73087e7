"""Small helpers for views: form options, turning service errors into form errors, paging cursors."""
from __future__ import annotations

import base64
import json

from werkzeug.routing import IntegerConverter
from wtforms.fields import SelectChoice

# Our integer primary keys are 32-bit; a larger number typed into a form must be refused before it reaches the
# database (SQLite raises OverflowError past 64 bits, PostgreSQL a DataError past 32: both were a 500).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """``<int:...>`` limited to the 32-bit range of our integer primary keys.

    PostgreSQL rejects larger literals with an error; bounding the URL makes them a plain 404.
    """

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
    from flask_babel import get_locale

    lang = str(get_locale() or "zh")[:2]
    first, second = (en, zh) if lang == "en" else (zh, en)
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


def decode_cursor(cursor: str | None) -> list | None:
    """The values of a cursor, or None when absent or malformed (a bad cursor means page one)."""
    if not cursor:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except ValueError:
        return None
    return data if isinstance(data, list) else None
