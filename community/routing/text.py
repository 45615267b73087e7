"""Text helpers shared by the vectorisers: normalisation, the "is there anything to route" test,
and a lazily initialised jieba word tokenizer.

These are module-level functions (not lambdas) because fitted vectorisers keep references to
them and joblib pickles functions by their import path.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import cache
from typing import Any


def normalize(text: str) -> str:
    """NFKC-fold and lowercase: full-width "ＡＰＰ，" becomes "app," so zh and en keyboards agree.

    Used as the vectorisers' ``preprocessor`` (which replaces their own lowercasing).
    """
    return unicodedata.normalize("NFKC", text).lower()


def has_content(text: object) -> bool:
    """True when ``text`` is a str holding at least one letter or digit (any script).

    None, "", whitespace, emoji-only ("😡👍") and punctuation-only ("？！。...") give False:
    such feedback carries nothing to route on and goes to triage.
    """
    if not isinstance(text, str):
        return False
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


@cache
def _jieba() -> Any:
    """The jieba tokenizer, made on first use: ``jieba_dict.tokenizer()``, jieba over a memory-mapped
    marisa-trie (same tokens; ~1 MB per process instead of jieba's ~62 MB prefix dict; the first use on a host
    builds the trie, a few seconds). Should that fail (no writable temp directory, marisa-trie missing), plain
    jieba with its own dict, logged as a warning: routing works either way.

    jieba's logger is set to WARNING first so that neither import nor initialisation prints
    "Building prefix dict..." into the app's or the tests' output.
    """
    import jieba

    jieba.setLogLevel(logging.WARNING)
    try:
        from community.routing import jieba_dict

        return jieba_dict.tokenizer()
    except Exception:  # noqa: BLE001 (any failure: the plain dict still gives the same tokens)
        logging.getLogger(__name__).warning("compact jieba dictionary unavailable, using jieba's own", exc_info=True)
        jieba.initialize()
        return jieba.dt


def jieba_tokens(text: str) -> list[str]:
    """Segment already-normalised text into words with jieba (precise mode).

    Whitespace and punctuation tokens are dropped; Latin words such as "ota" or "app" come out whole.
    Example: "ota 升级后 app 连不上车" -> ["ota", "升级", "后", "app", "连", "不", "上车"].
    """
    return [tok for tok in _jieba().lcut(text) if has_content(tok)]
