"""Search terms that behave the same on SQLite and PostgreSQL, for Chinese, English and other languages.

Chinese and Japanese have no spaces, so runs of CJK ideographs and kana are indexed as overlapping character
bigrams ("辅助驾驶" -> 辅助, 助驾, 驾驶); other words (any script's letters and digits) are whole words,
NFKC-normalised, case-folded and with the accents of Latin, Greek and Cyrillic letters folded away, so
``Müller``, ``müller`` and ``muller`` are one term and ``Straße`` meets ``strasse``. A query is tokenised the
same way and a document matches when it has every query term, so results depend only on these Python
functions, never on a database's full-text engine or collation.

Rows indexed by an earlier tokenizer are rewritten by ``reindex`` (the migration that changed the tokenizer
ran it; ``flask search reindex`` runs it again).
"""
from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

import sqlalchemy as sa

_CJK = r"\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # kana, ideographs (extension A, unified, compat)
# A word: letters and digits of any script but CJK, joined by . _ - as in "v2.1" or "e-mail".
_WORD = rf"[^\W_{_CJK}]+"
_TOKEN = re.compile(rf"[{_CJK}]+|{_WORD}(?:[._-]{_WORD})*")
_IS_CJK = re.compile(rf"[{_CJK}]")
MAX_TERM = 40
# Accents are dropped from letters below U+0530 (Latin, IPA, Greek, Cyrillic); elsewhere a combining mark
# is part of the letter (Japanese dakuten, Indic vowel signs) and stays.
_FOLDED_BELOW = "\u0530"


def fold(text: str) -> str:
    """``text`` NFKC-normalised, case-folded, without the accents of Latin, Greek and Cyrillic letters."""
    out, base = [], ""
    for char in unicodedata.normalize("NFD", unicodedata.normalize("NFKC", text).casefold()):
        if unicodedata.combining(char):
            if base and base < _FOLDED_BELOW:
                continue
        else:
            base = char
        out.append(char)
    return unicodedata.normalize("NFC", "".join(out))


def terms(text: str) -> set[str]:
    """Distinct index terms of ``text``: CJK bigrams (a lone CJK character stays a unigram) and folded words."""
    out: set[str] = set()
    for tok in _TOKEN.findall(fold(text or "")):
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


def reindex(conn: sa.Connection, proposals: sa.TableClause, proposal_terms: sa.TableClause,
            batch: int = 500) -> int:
    """Rewrite the stored terms of every proposal whose terms differ from ``terms(title + "\\n" + body)``.

    ``proposals`` needs columns id, title, body; ``proposal_terms`` term, proposal_id (Core tables, so the
    migration can pass its own). Walks by id in batches of ``batch``; ASCII-only text is skipped, since every
    tokenizer this project has had indexed it alike. Returns how many proposals were rewritten; the caller
    commits.
    """
    rewritten, last = 0, 0
    while True:
        rows = conn.execute(sa.select(proposals.c.id, proposals.c.title, proposals.c.body)
                            .where(proposals.c.id > last).order_by(proposals.c.id).limit(batch)).all()
        if not rows:
            return rewritten
        last = rows[-1].id
        wanted = {r.id: terms(f"{r.title}\n{r.body}") for r in rows if not f"{r.title}{r.body}".isascii()}
        stored = defaultdict(set)
        if wanted:
            for pid, term in conn.execute(sa.select(proposal_terms.c.proposal_id, proposal_terms.c.term)
                                          .where(proposal_terms.c.proposal_id.in_(wanted))):
                stored[pid].add(term)
        stale = [pid for pid, found in wanted.items() if found != stored[pid]]
        if stale:
            conn.execute(proposal_terms.delete().where(proposal_terms.c.proposal_id.in_(stale)))
            fresh = [{"term": t, "proposal_id": pid} for pid in stale for t in wanted[pid]]
            if fresh:
                conn.execute(proposal_terms.insert(), fresh)
            rewritten += len(stale)
