"""Search terms that behave the same on SQLite and PostgreSQL, for Chinese and English.

Chinese has no spaces, so runs of CJK characters are indexed as overlapping character bigrams
("辅助驾驶" -> 辅助, 助驾, 驾驶); Latin words and numbers are lower-cased whole words. A query is
tokenised the same way and a document matches when it has every query term, so results depend
only on these Python functions, never on a database's full-text engine.
"""
from __future__ import annotations

import re
import unicodedata

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[._-][a-z0-9]+)*")
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_TERM = 40


def terms(text: str) -> set[str]:
    """Distinct index terms of ``text``: CJK bigrams (a lone CJK character stays a unigram) and Latin words."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    out: set[str] = set()
    for tok in _TOKEN.findall(text):
        if _IS_CJK.match(tok):
            if len(tok) == 1:
                out.add(tok)
            out.update(tok[i:i + 2] for i in range(len(tok) - 1))
        else:
            out.add(tok[:MAX_TERM])
    return out


def query_terms(query: str) -> tuple[set[str], set[str]]:
    """(exact terms, single CJK characters) of a search query; single characters match by prefix/suffix."""
    found = terms(query)
    singles = {t for t in found if len(t) == 1 and _IS_CJK.match(t)}
    return found - singles, singles
