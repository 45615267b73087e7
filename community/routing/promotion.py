"""Safe promotion: is a retrained router at least as good as the one serving, on the fixed validation slice?

Pure (no Flask): the app (``community.feedback.retrain``) loads both versions, scores them here on the same
slice (``train.split_training``: neither version trained on it) and activates the new one automatically only
when ``decide`` says so; otherwise the version waits for an admin, who sees ``Comparison.figures``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from community.routing.model import TARGET_PRECISION, Router, routing_figures

#: "At least as good" allows for the noise of a few hundred validation items: macro-F1 may be this much lower
#: (fraction), and precision lower by one binomial standard error of the candidate's own precision.
F1_TOLERANCE = 0.01


@dataclass(frozen=True)
class Comparison:
    """The verdict and its evidence. ``figures``: {"candidate": {...}, "active": {...} or None, "n": items};
    each side holds ``macro_f1``, ``precision`` (of what it routes at its own thresholds; None if it routes
    nothing) and ``coverage`` (share routed), fractions 0..1. ``reasons``: why not, empty when promoted."""

    promote: bool
    figures: dict
    reasons: list[str] = field(default_factory=list)


def figures_on(router: Router, held: Sequence[tuple[str, str]]) -> dict:
    """macro-F1 (top label), precision and coverage of automatic routing of ``router`` on (text, team) pairs,
    and ``routed``: how many items it routed automatically."""
    preds = router.predict([t for t, _ in held])
    figures = routing_figures([p.team for p in preds], [p.top3[0][0] if p.top3 else "" for p in preds],
                              [y for _, y in held])
    return {"macro_f1": figures["macro_f1"], "precision": figures["precision"], "coverage": figures["coverage"],
            "routed": sum(p.team is not None for p in preds)}


def decide(candidate: dict, active: dict | None, target_precision: float = TARGET_PRECISION,
           f1_tolerance: float = F1_TOLERANCE) -> list[str]:
    """Reasons the candidate is worse than the active version (empty list: promote it).

    Macro-F1 must not drop by more than ``f1_tolerance``. Precision at each one's own thresholds must not
    drop below the active version's, except that reaching ``target_precision`` is enough (a version routing
    far more items at 0.985 is not worse than one routing a few at 1.0); either allowing one standard error
    of the candidate's precision, sqrt(p(1-p)/routed). A candidate routing nothing automatically is worse
    than an active version routing something. No active version: promote.
    """
    if active is None:
        return []
    reasons = []
    if (candidate["macro_f1"] or 0.0) < (active["macro_f1"] or 0.0) - f1_tolerance:
        reasons.append("macro_f1")
    new, old = candidate["precision"], active["precision"]
    if old is not None:
        routed = candidate.get("routed") or 0
        noise = (new * (1 - new) / routed) ** 0.5 if new is not None and routed else 0.0
        if new is None or new + noise < min(old, target_precision):
            reasons.append("precision")
    return reasons


def compare(candidate: Router, active: Router | None, held: Sequence[tuple[str, str]],
            target_precision: float = TARGET_PRECISION) -> Comparison:
    """Score both on the slice ``held`` and decide. An empty slice cannot tell them apart: promote only
    when nothing is active."""
    if not held:
        return Comparison(active is None, {"candidate": None, "active": None, "n": 0},
                          [] if active is None else ["no validation items"])
    new = figures_on(candidate, held)
    old = figures_on(active, held) if active is not None else None
    reasons = decide(new, old, target_precision)
    return Comparison(not reasons, {"candidate": new, "active": old, "n": len(held)}, reasons)
