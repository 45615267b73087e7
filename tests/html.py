"""Small readers for rendered pages, so tests assert what a user sees beside each form field."""
from __future__ import annotations

import html as _html
import re
from dataclasses import dataclass


@dataclass
class Field:
    value: str | None
    invalid: bool
    error: str | None


def field(page: str, name: str) -> Field:
    """The input/textarea/select called ``name``: its shown value, whether it is marked invalid, its error text."""
    m = re.search(rf'<(input|textarea|select)\b[^>]*\bname="{re.escape(name)}"[^>]*>', page)
    assert m, f"no field {name!r} on the page"
    tag = m.group(0)
    value = re.search(r'\bvalue="([^"]*)"', tag)
    shown = _html.unescape(value.group(1)) if value else None
    if m.group(1) == "textarea":
        shown = _html.unescape(page[m.end():page.index("</textarea>", m.end())]).lstrip("\r\n")
    rest = page[m.end():]
    nxt = re.search(r'<div class="mb-3|<(input|textarea|select)\b', rest)
    error = re.search(r'<div class="invalid-feedback[^"]*">(.*?)</div>', rest[:nxt.start() if nxt else len(rest)], re.S)
    return Field(shown, "is-invalid" in tag, _html.unescape(error.group(1)).strip() if error else None)


def text(page: str) -> str:
    """The page's visible text, tags stripped and entities decoded (for "the user reads X" checks)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", _html.unescape(re.sub(r"<[^>]+>", " ", page)))
