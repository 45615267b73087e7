"""jieba with its prefix dictionary in a memory-mapped marisa-trie instead of a Python dict.

jieba keeps ``Tokenizer.FREQ``: a dict of ~500k str keys (every word of its dict.txt and every prefix of
one, prefixes at frequency 0) that costs each process ~62 MB. Here the same mapping is a ``marisa_trie.Trie``
of the words (1.3 MB on disk) plus their frequencies as a uint32 array (1.4 MB), both mapped from files
cached in the temp directory, so every worker on a host shares one copy in the page cache. jieba's own code
(``cut``, the HMM for unknown runs, ``suggest_freq``) runs unchanged on it; ``get_DAG`` and ``calc`` are
overridden only to ask the trie once per position instead of once per prefix (jieba's own methods ran 3x
slower on the trie, these 1.4x), with the same arithmetic, so the tokens are exactly jieba's
(``tests/routing/test_jieba_dict.py``; trained models stay valid).

The files are built once per host by a short subprocess (jieba's own ``gen_pfdict`` parses dict.txt there: the
big dict never exists in a web worker, whose freed small objects pymalloc would keep in RSS), written to a
temporary directory and renamed into place (one builder per host: a file lock), named after jieba's version
and dict.txt's SHA-256.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import subprocess
import sys
import tempfile
from math import log
from pathlib import Path
from typing import Any

import jieba

#: Bump when the files' layout changes: the cache directory's name carries it.
FORMAT = 1
_TRIE = "words.marisa"
_FREQ = "freq.u32"  # 8 bytes: total (uint64), then one uint32 frequency per trie key id, native byte order
_MISSING = object()


class CompactFreq:
    """Read-only stand-in for jieba's ``Tokenizer.FREQ`` (str -> int) over a marisa trie of the words.

    ``key in freq`` is true for every word and every prefix of a word (as in jieba's dict); ``freq[key]`` and
    ``freq.get(key, default)`` give a word's frequency, 0 for a prefix that is not itself a word, and
    ``KeyError`` / ``default`` for anything else. ``trie`` is a ``marisa_trie.Trie``; ``freqs`` is indexed by
    its key ids (any sequence of int, e.g. a ``memoryview`` cast to "I").
    """

    __slots__ = ("trie", "freqs")

    def __init__(self, trie: Any, freqs: Any) -> None:
        self.trie = trie
        self.freqs = freqs

    def __len__(self) -> int:
        return len(self.trie)  # the words only, not their prefixes

    def __contains__(self, key: object) -> bool:
        # a prefix of a word iff some key starts with it (iterkeys is lazy: one key is enough)
        return isinstance(key, str) and key != "" and next(self.trie.iterkeys(key), None) is not None

    def get(self, key: str, default: Any = None) -> Any:
        key_id = self.trie.get(key)
        if key_id is not None:
            return self.freqs[key_id]
        return 0 if key in self else default

    def __getitem__(self, key: str) -> int:
        value = self.get(key, _MISSING)
        if value is _MISSING:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: int) -> None:
        raise TypeError("the compact jieba dictionary is read-only (add_word / load_userdict are not supported)")


class _DAG(dict):
    """jieba's DAG (start -> [end, ...]) carrying each edge's frequency for ``CompactTokenizer.calc``."""

    __slots__ = ("freqs",)


class CompactTokenizer(jieba.Tokenizer):
    """A ``jieba.Tokenizer`` over a ``CompactFreq`` (``tokenizer()`` makes one). Same tokens as jieba."""

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:  # noqa: N802 (jieba's name)
        """jieba's DAG: for each start k, the ends of the dictionary words (frequency > 0) starting there, or
        [k]. jieba walks k's prefixes while they are in FREQ; every prefix of a word is, so asking the trie for
        the words that are prefixes of sentence[k:] gives the same ends, in the same (increasing) order."""
        prefixes, freqs = self.FREQ.trie.iter_prefixes_with_ids, self.FREQ.freqs
        dag = _DAG()
        edge_freqs = dag.freqs = {}
        for k in range(len(sentence)):
            ends, found = [], []
            for word, key_id in prefixes(sentence[k:]):
                if freq := freqs[key_id]:
                    ends.append(k + len(word) - 1)
                    found.append(freq)
            if ends:
                dag[k], edge_freqs[k] = ends, found
            else:
                dag[k], edge_freqs[k] = [k], (1,)  # jieba: FREQ.get(char) or 1
        return dag

    def calc(self, sentence: str, DAG: dict, route: dict) -> None:  # noqa: N803 (jieba's signature)
        """jieba's ``calc`` (best route by log frequency), term for term, with the frequencies ``get_DAG`` found."""
        edge_freqs = getattr(DAG, "freqs", None)
        if edge_freqs is None:
            return super().calc(sentence, DAG, route)
        n = len(sentence)
        route[n] = (0, 0)
        logtotal = log(self.total)
        for idx in range(n - 1, -1, -1):
            route[idx] = max(
                (log(f) - logtotal + route[x + 1][0], x) for x, f in zip(DAG[idx], edge_freqs[idx], strict=True)
            )

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        raise TypeError("the compact jieba dictionary is read-only")

    def load_userdict(self, f: Any) -> None:
        raise TypeError("the compact jieba dictionary is read-only")


def dict_path() -> Path:
    """Path of jieba's bundled dict.txt (``jieba.get_dict_file()``, which opens it; closed here)."""
    with jieba.get_dict_file() as f:
        return Path(f.name)


def cache_dir(dictionary: Path | None = None, root: Path | None = None) -> Path:
    """Where the compact files of ``dictionary`` (default: jieba's dict.txt) live under ``root`` (default: the
    temp directory, as jieba's own cache): the name carries jieba's version, ``FORMAT`` and the file's SHA-256."""
    dictionary = dictionary or dict_path()
    with open(dictionary, "rb") as f:
        digest = hashlib.file_digest(f, "sha256").hexdigest()[:16]
    root = Path(root) if root else Path(tempfile.gettempdir())
    return root / f"cocreate-jieba-{jieba.__version__}-f{FORMAT}-{digest}"


def build(dictionary: Path, target: Path) -> None:
    """Parse ``dictionary`` with jieba's ``gen_pfdict`` and write the trie and frequency files into ``target``
    (created; must not exist). Peaks at ~150 MB: run it in a subprocess (``ensure``), not in a worker.

    Raises ``ValueError`` on a malformed dictionary line (jieba's message) and ``AssertionError`` if the
    compact mapping disagrees with jieba's dict on any key (a bug, checked on every build).
    """
    from array import array

    import marisa_trie

    with open(dictionary, "rb") as f:
        pfdict, total = jieba.Tokenizer.gen_pfdict(f)
    words = [k for k, v in pfdict.items() if v]
    trie = marisa_trie.Trie(words)
    # A word listed at frequency 0 that no longer word extends is a key of its own (jieba's dict.txt has none).
    lone = [k for k, v in pfdict.items() if not v and next(trie.iterkeys(k), None) is None]
    if lone:
        trie = marisa_trie.Trie(words + lone)
    freqs = array("I", bytes(4 * len(trie)))
    for key, key_id in trie.iteritems():
        freqs[key_id] = pfdict[key]
    compact = CompactFreq(trie, freqs)
    assert all(compact.get(k) == v for k, v in pfdict.items()), "compact jieba dict differs from jieba's"
    target.mkdir(parents=True)
    trie.save(str(target / _TRIE))
    with open(target / _FREQ, "wb") as f:
        f.write(total.to_bytes(8, sys.byteorder))
        freqs.tofile(f)


def ensure(directory: Path, dictionary: Path | None = None, timeout: float = 300) -> Path:
    """Build the compact files into ``directory`` unless they are there: in a subprocess, into a sibling
    temporary directory renamed into place (atomic), under an exclusive lock on ``<directory>.lock`` so that a
    host's workers starting together build it once (the others wait, then map it). Returns ``directory``.
    Raises ``subprocess.CalledProcessError`` (bad dictionary), ``TimeoutExpired`` or ``OSError``."""
    if (directory / _FREQ).exists():
        return directory
    directory.parent.mkdir(parents=True, exist_ok=True)
    with open(directory.with_name(directory.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (directory / _FREQ).exists():  # built while we waited
            return directory
        tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".tmp-", dir=directory.parent))
        try:
            staging = tmp / "d"
            # -P: the script's own directory (community/routing) must not shadow top-level modules.
            subprocess.run(
                [sys.executable, "-P", __file__, str(dictionary or dict_path()), str(staging)],
                check=True, timeout=timeout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            )
            staging.rename(directory)
        finally:
            for leftover in sorted(tmp.rglob("*"), reverse=True):
                leftover.unlink() if leftover.is_file() else leftover.rmdir()
            tmp.rmdir()
    return directory


def load(directory: Path) -> tuple[CompactFreq, int]:
    """Map the files of ``directory`` (``ensure``): returns (``CompactFreq``, jieba's ``total``: the sum of
    the dictionary's frequencies). Both maps are read-only and shared between processes."""
    import marisa_trie

    trie = marisa_trie.Trie()
    trie.mmap(str(directory / _TRIE))
    with open(directory / _FREQ, "rb") as f:
        mapped = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    total = int.from_bytes(mapped[:8], sys.byteorder)
    freqs = memoryview(mapped)[8:].cast("I")
    if len(freqs) != len(trie):
        raise ValueError(f"{directory}: {len(freqs)} frequencies for {len(trie)} words")
    return CompactFreq(trie, freqs), total


def tokenizer(root: Path | None = None) -> CompactTokenizer:
    """A tokenizer of its own (the global ``jieba.dt`` is left alone) whose FREQ is the compact, memory-mapped
    dictionary, built on first use on this host (a few seconds, cached under ``root``, default the temp
    directory). Its ``lcut``/``cut`` give exactly jieba's tokens; adding words raises ``TypeError``. Raises
    what ``ensure`` and ``load`` raise (the caller may fall back to plain jieba)."""
    freq, total = load(ensure(cache_dir(root=root)))
    tok = CompactTokenizer()
    tok.FREQ, tok.total = freq, total
    tok.initialized = True  # never load the big dict (initialize() would)
    return tok


if __name__ == "__main__":  # the builder subprocess of ``ensure``: python -P jieba_dict.py DICT TARGET
    build(Path(sys.argv[1]), Path(sys.argv[2]))
