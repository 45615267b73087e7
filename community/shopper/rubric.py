"""The rubric arithmetic, in one place (pure functions; the scorecards and the report page use these).

- A rubric line is scored 1..5, or not observed (None). Not-observed lines are left out entirely: they
  neither raise nor lower a score.
- A score s on 1..5 maps to 0..100 as ``(s - 1) * 25`` (1 -> 0, 3 -> 50, 5 -> 100).
- A report's score is the mean of its observed lines mapped to 0..100; a report with nothing observed
  has no score (None) and is left out of every average.
- A store's (or city's) score for a month is the mean of its scored reports' scores that month (each
  visit weighs the same, however many items it observed). A pledge item's score for a month is the mean
  of its observed lines that month, mapped to 0..100.
- The current score is the mean over the scored reports of the last ``CURRENT_MONTHS`` months; the trend is
  the latest scored month minus the scored month before it (points); ranks are by current score, highest
  first, ties sharing a rank (1, 1, 3); anything without a current score is unranked.
- A line scored 1 or 2, or marked as an issue, is a finding (becomes a feedback item).
"""
from __future__ import annotations

from collections.abc import Iterable

SCORES = (1, 2, 3, 4, 5)
FINDING_MAX_SCORE = 2
CURRENT_MONTHS = 3


def points(score: int) -> float:
    """A 1..5 score on the 0..100 scale. Raises ValueError outside 1..5."""
    if score not in SCORES:
        raise ValueError(f"score must be 1..5, got {score!r}")
    return (score - 1) * 25.0


def report_score(scores: Iterable[int | None]) -> float | None:
    """The mean of the observed scores (None = not observed) on 0..100; None when nothing was observed."""
    observed = [points(s) for s in scores if s is not None]
    return round(sum(observed) / len(observed), 2) if observed else None


def mean(values: Iterable[float | None]) -> float | None:
    """The mean of the values that are not None (rounded to 0.1); None when there are none."""
    present = [v for v in values if v is not None]
    return round(sum(present) / len(present), 1) if present else None


def is_finding(score: int | None, is_issue: bool) -> bool:
    return bool(is_issue) or (score is not None and score <= FINDING_MAX_SCORE)


def trend(monthly: list[float | None]) -> float | None:
    """The last scored month minus the scored month before it, in points; None with fewer than two."""
    scored = [v for v in monthly if v is not None]
    return round(scored[-1] - scored[-2], 1) if len(scored) >= 2 else None


def ranks(scores: dict) -> dict:
    """{key: rank} by score, highest first, ties sharing a rank (competition ranking: 1, 1, 3).
    Keys whose score is None get no rank."""
    ordered = sorted(((v, k) for k, v in scores.items() if v is not None), key=lambda p: -p[0])
    out, previous, rank = {}, None, 0
    for position, (value, key) in enumerate(ordered, start=1):
        if value != previous:
            rank, previous = position, value
        out[key] = rank
    return out
