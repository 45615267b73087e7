"""The shipped seed corpus: valid teams, balance, languages, and reproducible from its generator."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from community.routing.corpus import SEED_FEEDBACK, SEED_OFFTOPIC, load_seed
from community.routing.corpus.generate import dedupe_key, write_corpus
from community.routing.teams import TEAMS


def test_at_least_1500_rows_labelled_with_the_nine_teams_and_balanced() -> None:
    rows = load_seed()
    assert SEED_FEEDBACK.parent.name == "data" and SEED_FEEDBACK.name == "feedback_seed.csv"
    assert len(rows) >= 1500
    counts = Counter(r.team for r in rows)
    assert set(counts) == set(TEAMS) and len(TEAMS) == 9
    assert all(160 <= n <= 180 for n in counts.values()), counts


def test_no_duplicates_and_varied_lengths() -> None:
    rows = load_seed()
    texts = [r.text for r in rows]
    assert len(set(texts)) == len(texts), "duplicate texts would leak across the split"
    assert len({dedupe_key(t) for t in texts}) == len(texts), "near-duplicates differing in case or ending"
    lengths = sorted(len(t) for t in texts)
    assert lengths[0] <= 8 and lengths[-1] >= 100  # one-word notes and whole stories
    mixed = [r.text for r in rows if r.lang == "mixed"]
    assert any("CarPlay连接断开" in t for t in mixed)


def test_about_two_thirds_chinese() -> None:
    rows = load_seed()
    langs = Counter(r.lang for r in rows)
    assert set(langs) == {"zh", "en", "mixed"}
    assert 0.6 <= (langs["zh"] + langs["mixed"]) / len(rows) <= 0.72
    assert len({r.text for r in rows}) == len(rows), "duplicate texts would leak across the split"


def test_unknown_team_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("text,team,lang\n充电桩坏了,charging,zh\n门店太远,marketing,zh\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.csv:3: unknown team 'marketing'"):
        load_seed(bad)


def test_generator_reproduces_the_committed_files(tmp_path: Path) -> None:
    """Edit frames.py and re-run the generator; never hand-edit the CSVs."""
    feedback, offtopic = write_corpus(tmp_path)
    assert feedback.read_bytes() == SEED_FEEDBACK.read_bytes()
    assert offtopic.read_bytes() == SEED_OFFTOPIC.read_bytes()
