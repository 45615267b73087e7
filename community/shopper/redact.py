"""Redaction of personal data in reports' text before anyone beyond moderators reads it.

Replaced, in this order (so a longer pattern is not eaten by a shorter one):
  Chinese resident ID numbers   18 characters: 17 digits and a digit or X
  VINs                          17 characters of A-Z (without I, O, Q) and 0-9, with at least one digit
  licence plates                province character + letter + 5 characters (6 for new-energy plates),
                                with an optional separator: 粤B·12345, 沪A D12345, 京AF12345
  mobile numbers                1[3-9]x xxxx xxxx, with optional +86 and spaces or dashes
  landlines                     area code 0xx / 0xxx (optionally in brackets) + 7-8 digits (+ extension)
  e-mail addresses               name@domain.tld
  WeChat ids                    wxid_..., or an id written after 微信/WeChat
  staff names                   the names listed for the store, also with spaces between the characters
                                (Latin names case-insensitively)
Each is replaced by a bracketed label ("[phone]"). Full-width letters and digits (１３８…) are matched
as their ASCII forms, and the text around a match is kept exactly as written. Pure functions: no
database, no request.
"""
from __future__ import annotations

import re
from collections.abc import Iterable

_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

PATTERNS: list[tuple[str, re.Pattern]] = [
    ("id_number", re.compile(_NOT_ALNUM_BEFORE + r"[1-9]\d{5}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])"
                             r"(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]" + _NOT_ALNUM_AFTER)),
    ("vin", re.compile(_NOT_ALNUM_BEFORE + r"(?=[A-HJ-NPR-Za-hj-npr-z0-9]*\d)[A-HJ-NPR-Za-hj-npr-z0-9]{17}"
                       + _NOT_ALNUM_AFTER)),
    ("plate", re.compile(f"[{_PROVINCES}]" + r"\s?[A-HJ-NP-Za-hj-np-z][\s·•.\-]?"
                         r"(?:[A-HJ-NP-Za-hj-np-z0-9]{6}|[A-HJ-NP-Za-hj-np-z0-9]{4}[A-HJ-NP-Za-hj-np-z0-9挂学警港澳])"
                         + _NOT_ALNUM_AFTER)),
    ("phone", re.compile(r"(?<![\d+])(?:(?:\+|00)86[\s\-.]?)?1[3-9]\d[\s\-.]?\d{4}[\s\-.]?\d{4}(?!\d)")),
    ("phone", re.compile(r"(?<!\d)(?:\(0\d{2,3}\)|0\d{2,3})[\s\-]?\d{3,4}[\s\-]?\d{4}(?:\s?(?:-|转|ext\.?)\s?\d{1,6})?"
                         r"(?!\d)")),
    ("email", re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")),
    ("wechat", re.compile(r"wxid_[A-Za-z0-9_\-]{3,}|(?<=微信)[号：:\s]*[A-Za-z][A-Za-z0-9_\-]{5,19}"
                          r"|(?i:(?<=wechat)[\s:：]*[A-Za-z][A-Za-z0-9_\-]{5,19})")),
]
# Full-width ASCII (U+FF01-FF5E) and the ideographic space, one character for one: spans found in the
# translated text are the same spans in the original.
_HALF_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def redact(text: str | None, staff_names: Iterable[str] = (), labels: dict[str, str] | None = None) -> str:
    """``text`` with every kind above replaced by ``labels[kind]`` (default "[kind]").

    ``labels`` keys: id_number, vin, plate, phone, email, wechat, staff.
    """
    if not text:
        return ""
    labels = labels or {}
    probe = text.translate(_HALF_WIDTH)
    patterns = list(PATTERNS)
    names = sorted({n.strip() for n in staff_names if n and len(n.strip()) >= 2}, key=len, reverse=True)
    if names:
        # "王小明" also matches "王 小明": whitespace between the characters is allowed.
        spaced = (r"\s*".join(re.escape(ch) for ch in name if not ch.isspace()) for name in names)
        patterns.append(("staff", re.compile("|".join(spaced), re.IGNORECASE)))
    spans: list[tuple[int, int, str]] = []
    for kind, pattern in patterns:  # in order: an earlier kind's match wins over an overlapping later one
        for m in pattern.finditer(probe):
            if m.end() > m.start() and not any(m.start() < e and s < m.end() for s, e, _ in spans):
                spans.append((m.start(), m.end(), labels.get(kind, f"[{kind}]")))
    out, at = [], 0
    for start, end, label in sorted(spans):
        out += [text[at:start], label]
        at = end
    out.append(text[at:])
    return "".join(out)
