"""How ``DEFAULT_THRESHOLD`` was chosen, reproducibly: ``python -m community.routing.threshold``.

Validation data only (never the seed held-out 20% nor any public test split):
- in-scope: out-of-fold probabilities on the seed corpus's training 80% (10-fold cross-validation);
- out-of-scope: the off-topic list (``data/feedback_offtopic.csv``) scored by a model fitted on that 80%.

Criterion, for each threshold t on a grid: the expected cost per feedback item,
``(1 - OFFTOPIC_SHARE) * (misrouted + TRIAGE_COST * abstained) + OFFTOPIC_SHARE * off-topic routed``,
where a wrong team costs 1 (it must notice, bounce the item, and the SLA clock has run) and a
needless triage costs ``TRIAGE_COST`` (a person reads and assigns it). Abstaining on off-topic text
costs nothing: it needs a person anyway. Both constants are assumptions, stated here so they can
be argued with. The curve is flat near its minimum and estimated from few items, so the choice
follows the one-standard-error rule: the lowest t whose cost is within one standard error of the
minimum (less triage work whenever the difference is noise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from community.routing.corpus import load_offtopic, load_seed, split_seed
from community.routing.model import build_pipeline
from community.routing.text import has_content

GRID: tuple[float, ...] = tuple(round(0.20 + 0.05 * i, 2) for i in range(15))  # 0.20 .. 0.90
FOLDS = 10  # validation models see 90% of the training split: closest to the production model's size
SEED = 0
TRIAGE_COST = 0.5
OFFTOPIC_SHARE = 0.1


class SweepRow(NamedTuple):
    threshold: float
    routed_right: float  # in-scope share routed to the right team (abstentions count wrong)
    abstain_in: float  # in-scope share abstained
    abstain_out: float  # out-of-scope share abstained
    cost: float  # expected cost per item (see module docstring)
    cost_se: float  # its standard error


def validation_confidences(
    texts: Sequence[str], labels: Sequence[str], outside: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return (in-scope top probability, in-scope top-is-right flags, out-of-scope top probability).

    Shapes (n_texts,), (n_texts,), (n_outside,). Out-of-scope texts without content are left out:
    the router abstains on them before any model runs.
    """
    classes = np.unique(labels)  # cross_val_predict orders probability columns like np.unique
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    proba = cross_val_predict(build_pipeline(), list(texts), list(labels), cv=folds, method="predict_proba")
    pipeline = build_pipeline().fit(list(texts), list(labels))
    outside_proba = pipeline.predict_proba([t for t in outside if has_content(t)])
    return proba.max(axis=1), classes[proba.argmax(axis=1)] == np.asarray(labels), outside_proba.max(axis=1)


def sweep(
    conf_in: np.ndarray, right_in: np.ndarray, conf_out: np.ndarray, grid: Sequence[float] = GRID
) -> list[SweepRow]:
    """Figures of each candidate threshold (fractions 0..1), in grid order."""
    rows = []
    for t in grid:
        kept = conf_in >= t
        cost_in = np.where(kept, np.where(right_in, 0.0, 1.0), TRIAGE_COST)  # per in-scope item
        cost_out = (conf_out >= t).astype(float)  # per off-topic item: 1 if routed to a team
        cost = (1 - OFFTOPIC_SHARE) * cost_in.mean() + OFFTOPIC_SHARE * cost_out.mean()
        variance = (1 - OFFTOPIC_SHARE) ** 2 * cost_in.var() / len(cost_in)
        variance += OFFTOPIC_SHARE**2 * cost_out.var() / len(cost_out)
        rows.append(SweepRow(
            t, float(np.mean(kept & right_in)), float(1 - kept.mean()), float(1 - cost_out.mean()),
            float(cost), float(np.sqrt(variance)),
        ))
    return rows


def choose_threshold(rows: Sequence[SweepRow]) -> float:
    """The lowest threshold whose cost is within one standard error of the minimum cost."""
    best = min(rows, key=lambda r: r.cost)
    return min(r.threshold for r in rows if r.cost <= best.cost + best.cost_se)


def main() -> None:
    train, _ = split_seed(load_seed())
    rows = sweep(*validation_confidences([r.text for r in train], [r.team for r in train], load_offtopic()))
    print("threshold  routed-right %  abstain(in) %  abstain(off-topic) %  cost/100 items (+-SE)  (validation)")
    for r in rows:
        print(f"{r.threshold:9.2f}  {100 * r.routed_right:14.1f}  {100 * r.abstain_in:13.1f}"
              f"  {100 * r.abstain_out:20.1f}  {100 * r.cost:14.1f} +-{100 * r.cost_se:.1f}")
    print(f"chosen: {choose_threshold(rows):.2f}")


if __name__ == "__main__":
    main()
