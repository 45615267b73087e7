"""Safe promotion: is a retrained router at least as good as the one serving, on the fixed validation slice?

Pure (no Flask): the app (``community.feedback.retrain``) loads both versions, scores them here on the same
slice (``train.split_training``: neither version trained on it) and activates the new one automatically only
when ``decide`` says so; otherwise the version waits for an admin, who sees ``Comparison.figures``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from community.routing.model import TARGET_PRECISION, Router, routing_figures

#: "At least as good" allows for the noise of a few hundred validation items: macro-F1 may be this much lower
#: (fraction), or by one standard error of the two versions' macro-F1 difference on the slice when that is
#: larger (``f1_difference_se``), and precision lower by one binomial standard error of the candidate's own
#: precision. With the fixed 0.01 alone, the car-forum replay (``bench/routing_replay.py --start empty``) held
#: 3 of 15 retrained versions on slices of 130-160 items, where the difference's standard error is 0.02-0.04,
#: and served older versions for hundreds of comments.
F1_TOLERANCE = 0.01
#: Bootstrap rounds (resamples of the slice) behind ``f1_difference_se``; fixed seed: the same slice and
#: predictions give the same verdict.
BOOTSTRAP_ROUNDS = 200


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
           f1_tolerance: float = F1_TOLERANCE, equal: dict | None = None) -> list[str]:
    """Reasons the candidate is worse than the active version (empty list: promote it).

    Macro-F1 must not drop by more than ``f1_tolerance``. Precision: reaching ``target_precision`` at its own
    thresholds is enough (a version routing far more items at 0.985 is not worse than one routing a few at
    1.0); otherwise it must be as precise as the active version at equal coverage, ``equal`` (``at_equal_
    coverage``: each one's precision on its ``routed`` most confident items), or, without ``equal``, at each
    one's own thresholds: two versions routing different shares are not compared on the same items, and a
    candidate routing more at a slightly lower precision is not worse for it. Both allow one standard error,
    sqrt(p(1-p)/routed). A candidate routing nothing automatically is worse than an active version routing
    something. No active version: promote.
    """
    if active is None:
        return []
    reasons = []
    if (candidate["macro_f1"] or 0.0) < (active["macro_f1"] or 0.0) - f1_tolerance:
        reasons.append("macro_f1")
    new, old = candidate["precision"], active["precision"]
    if old is not None:
        if new is None or new + _se(new, candidate.get("routed") or 0) < target_precision:
            if new is None:
                reasons.append("precision")
            elif equal and equal.get("routed"):
                mine, theirs, k = equal["candidate"], equal["active"], equal["routed"]
                if mine + max(_se(mine, k), _se(theirs, k)) < theirs:
                    reasons.append("precision")
            elif new + _se(new, candidate.get("routed") or 0) < old:
                reasons.append("precision")
    return reasons


def _se(p: float, n: int) -> float:
    """Binomial standard error of a proportion ``p`` measured on ``n`` items (0 for none)."""
    return (p * (1 - p) / n) ** 0.5 if n else 0.0


def at_equal_coverage(candidate: Sequence, active: Sequence, truth: Sequence[str], routed: int) -> dict | None:
    """Each version's precision on its ``routed`` most confident items of the slice: {"routed", "candidate",
    "active"} (fractions), None when ``routed`` is 0. ``candidate``, ``active``: their ``Prediction``s."""
    if routed <= 0:
        return None

    def precision(preds: Sequence) -> float:
        order = sorted(range(len(preds)), key=lambda i: -preds[i].confidence)[:routed]
        return sum(bool(preds[i].top3) and preds[i].top3[0][0] == truth[i] for i in order) / len(order)

    return {"routed": routed, "candidate": precision(candidate), "active": precision(active)}


def f1_difference_se(truth: Sequence[str], top_a: Sequence[str], top_b: Sequence[str],
                     rounds: int = BOOTSTRAP_ROUNDS, seed: int = 0) -> float:
    """Standard error (fraction) of macro-F1(a) - macro-F1(b) on the same items, by paired bootstrap.

    ``truth``, ``top_a``, ``top_b``: parallel, the right label and each version's top label ("" for none).
    Macro-F1 over the labels of ``truth``, as ``routing_figures``. 0.0 for fewer than two items.
    """
    if len(truth) < 2:
        return 0.0
    labels = sorted(set(truth))
    code = {label: i for i, label in enumerate(labels)}
    y = np.array([code[t] for t in truth])
    k = len(labels)
    weights = np.random.default_rng(seed).multinomial(len(y), np.full(len(y), 1 / len(y)), size=rounds)

    def macro_f1(top: Sequence[str]) -> np.ndarray:  # (rounds,)
        p = np.array([code.get(t, -1) for t in top])
        right = p == y
        f1 = np.zeros((rounds, k))
        for c in range(k):
            tp = weights[:, right & (y == c)].sum(axis=1)
            denominator = weights[:, p == c].sum(axis=1) + weights[:, y == c].sum(axis=1)
            f1[:, c] = np.divide(2 * tp, denominator, out=np.zeros(rounds), where=denominator > 0)
        return f1.mean(axis=1)

    return float(np.std(macro_f1(top_a) - macro_f1(top_b)))


def compare(candidate: Router, active: Router | None, held: Sequence[tuple[str, str]],
            target_precision: float = TARGET_PRECISION) -> Comparison:
    """Score both on the slice ``held`` and decide. An empty slice cannot tell them apart: promote only
    when nothing is active. ``figures["f1_tolerance"]``: the macro-F1 drop allowed (see ``F1_TOLERANCE``);
    ``figures["equal_coverage"]``: both precisions at the smaller of their two coverages (``at_equal_coverage``)."""
    if not held:
        return Comparison(active is None, {"candidate": None, "active": None, "n": 0},
                          [] if active is None else ["no validation items"])
    new = figures_on(candidate, held)
    old = figures_on(active, held) if active is not None else None
    tolerance, equal = F1_TOLERANCE, None
    if active is not None:
        texts, truth = [t for t, _ in held], [y for _, y in held]
        preds = [router.predict(texts) for router in (candidate, active)]
        tops = [[p.top3[0][0] if p.top3 else "" for p in ps] for ps in preds]
        tolerance = max(F1_TOLERANCE, f1_difference_se(truth, *tops))
        equal = at_equal_coverage(*preds, truth, min(new["routed"], old["routed"]))
    reasons = decide(new, old, target_precision, tolerance, equal)
    return Comparison(not reasons, {"candidate": new, "active": old, "n": len(held),
                                    "f1_tolerance": round(tolerance, 4), "equal_coverage": equal}, reasons)
