"""The seed corpus the project ships (written for Cocreate; see ``generate.py``) and its fixed split.

The files are ``data/feedback_seed.csv`` (text,team,lang) and ``data/feedback_offtopic.csv`` (text,lang)
at the repository's root; regenerate them with ``python -m community.routing.corpus.generate``.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import NamedTuple

from sklearn.model_selection import train_test_split

from community.routing.teams import TEAMS

DATA_DIR = Path(__file__).resolve().parents[3] / "data"
SEED_FEEDBACK = DATA_DIR / "feedback_seed.csv"
SEED_OFFTOPIC = DATA_DIR / "feedback_offtopic.csv"
SPLIT_SEED = 7
HELDOUT_SHARE = 0.2


class SeedRow(NamedTuple):
    text: str
    team: str
    lang: str  # "zh", "en" or "mixed"


def load_seed(path: Path = SEED_FEEDBACK) -> list[SeedRow]:
    """Read ``text,team,lang`` rows (UTF-8 CSV).

    Raises ValueError naming the line if a team is not one of ``TEAMS``: a typo in the corpus
    must not become a team the app does not know.
    """
    rows: list[SeedRow] = []
    with path.open(encoding="utf-8", newline="") as fh:
        for line, rec in enumerate(csv.DictReader(fh), start=2):
            if rec["team"] not in TEAMS:
                raise ValueError(f"{path}:{line}: unknown team {rec['team']!r}")
            rows.append(SeedRow(rec["text"], rec["team"], rec["lang"]))
    return rows


def load_offtopic(path: Path = SEED_OFFTOPIC) -> list[str]:
    """Texts that fit no team (``text,lang`` CSV): the router should abstain on them."""
    with path.open(encoding="utf-8", newline="") as fh:
        return [rec["text"] for rec in csv.DictReader(fh)]


def split_seed(rows: list[SeedRow], seed: int = SPLIT_SEED) -> tuple[list[SeedRow], list[SeedRow]]:
    """Stratified (by team) fixed-seed split into (train 80%, held-out 20%)."""
    train, heldout = train_test_split(
        rows, test_size=HELDOUT_SHARE, random_state=seed, stratify=[r.team for r in rows]
    )
    return list(train), list(heldout)
