"""Look-alike identities: the Unicode skeleton of Unicode TS #39 (section 4) and its mixed-script test (section 5).

Two e-mail addresses or display names are the same identity when their keys are equal: NFKC, case-folded
(NFKC_Casefold, approximated with Python's ``casefold`` between two NFKC passes), then ``skeleton``: NFD,
default-ignorable code points removed, each character replaced by its prototype from Unicode's
``confusables.txt``, NFD again. So ``jоhn`` (Cyrillic о), ``ｊｏｈｎ`` (full width) and ``JOHN`` meet ``john``.

The confusables data is the one shipped by ``confusable-homoglyphs`` 3.3.1 (generated in January 2024 from
Unicode's "latest" ``confusables.txt``, 15.1.0). That package keeps each mapping in both directions, so the
prototype direction is rebuilt here: every source character has exactly one neighbour, its prototype; a
prototype with several sources is the centre of its star; for a pair of lone characters the source is the
one the package's generator recorded first (it walks the file line by line, source before target). Checked
once against the raw ``confusables.txt`` 13.0 shipped by the ``confusables`` package: all 6,307 mappings the
package parsed agree; it drops four lines (U+2028, U+2029, U+3164 Hangul filler, U+1F16D), of which U+3164
is default-ignorable and removed here anyway.

Scripts come from the same package (``Scripts.txt``, Script property only, not Script_Extensions). Pure
functions, no Flask: the migration that backfilled the key columns imports them too.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from confusable_homoglyphs.categories import alias
from confusable_homoglyphs.confusables import confusables_data

# Longest key kept (characters): NFKC and the prototypes can lengthen a string, and PostgreSQL's btree
# index refuses entries over ~2,700 bytes; 600 characters of at most 4 bytes stay under it.
MAX_KEY = 600

_LRM = "\u200e"  # the package wraps right-to-left characters in these marks for display


def _prototypes() -> dict[str, str]:
    keys = [k.replace(_LRM, "") for k in confusables_data]
    order = {k: i for i, k in enumerate(keys)}
    neighbours = {k.replace(_LRM, ""): [e["c"].replace(_LRM, "") for e in v] for k, v in confusables_data.items()}
    out = {}
    for char, near in neighbours.items():
        if len(near) != 1:
            continue  # a prototype with several sources
        other = near[0]
        if len(other) > 1 or len(neighbours.get(other, ())) > 1 or order[char] < order[other]:
            out[char] = other
    return out


_PROTOTYPE = _prototypes()

# Default_Ignorable_Code_Point (DerivedCoreProperties.txt) without the data file: format controls (Cf) except
# those the property leaves out, variation selectors, and the listed Other_Default_Ignorable_Code_Point ranges.
_NOT_IGNORABLE_CF = re.compile("[\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\U000110bd\U000110cd\ufff9-\ufffb"
                               "\U00013430-\U0001343f]")
_IGNORABLE = re.compile("[\u034f\u115f\u1160\u17b4\u17b5\u180b-\u180f\u2065\u3164\ufe00-\ufe0f\uffa0\ufff0-\ufff8"
                        "\U000e0000-\U000e0fff]")


def _ignorable(char: str) -> bool:
    if _IGNORABLE.match(char):
        return True
    return unicodedata.category(char) == "Cf" and not _NOT_IGNORABLE_CF.match(char)


def skeleton(text: str) -> str:
    """TS #39 ``skeleton(X)``: NFD, drop default-ignorables, map each character to its prototype, NFD."""
    chars = (c for c in unicodedata.normalize("NFD", text) if not _ignorable(c))
    return unicodedata.normalize("NFD", "".join(_PROTOTYPE.get(c, c) for c in chars))


def identity_key(text: str) -> str:
    """The key two identities share when they look alike: ``skeleton`` of the NFKC case-fold of ``text``.

    ``identity_key("ｊｏｈｎ") == identity_key("jоhn") == identity_key("John") == "john"``. Case-folding
    first means capital ``I`` meets ``i``, not ``l`` (``BilI`` and ``Bill`` stay apart).
    """
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return skeleton(folded)


def display_form(name: str) -> str:
    """A display name as stored and shown: NFC (``Zoe`` + U+0308 becomes ``Zoë``), runs of white space
    as one space, trimmed. NFC rather than NFKC, so full-width Chinese punctuation stays as typed."""
    return " ".join(unicodedata.normalize("NFC", name or "").split())


# UTS #39 5.1 augmented script sets: Han text mixes with Japanese kana, Korean hangul or bopomofo.
_AUGMENT = {"HAN": {"HAN", "JPAN", "KORE", "HANB"}, "HIRAGANA": {"HIRAGANA", "JPAN"},
            "KATAKANA": {"KATAKANA", "JPAN"}, "HANGUL": {"HANGUL", "KORE"}, "BOPOMOFO": {"BOPOMOFO", "HANB"}}


@lru_cache(maxsize=4096)
def _scripts(char: str) -> frozenset[str] | None:
    """The augmented script set of ``char``; None for Common and Inherited (they go with any script)."""
    name = alias(char)
    if name in ("COMMON", "INHERITED", None):
        return None
    return frozenset(_AUGMENT.get(name, {name}))


def is_mixed_script(label: str) -> bool:
    """True when no single script covers every letter of ``label`` (its resolved script set is empty).

    ``"jоhn"`` (Latin and Cyrillic) is mixed; ``"john"``, ``"иван"``, ``"車主さん"`` (Han and kana) are not.
    """
    resolved: frozenset[str] | None = None
    for char in unicodedata.normalize("NFKC", label):
        found = _scripts(char)
        if found is None:
            continue
        resolved = found if resolved is None else resolved & found
        if not resolved:
            return True
    return False


def mixed_script_part(email: str) -> str | None:
    """The first part of ``email`` (the local part, then each domain label) that mixes scripts, else None."""
    local, _, domain = email.rpartition("@")
    for part in (local, *domain.split(".")):
        if is_mixed_script(part):
            return part
    return None
