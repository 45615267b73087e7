"""Train the production router on the whole seed corpus and save it.

    python -m community.routing.train --out instance/router.joblib [--threshold T]

First trains on the fixed 80% split and prints its metrics on the held-out 20% (and its abstention
on the off-topic list); those figures go into the saved file's metadata. Then trains on 100% and
saves. A few seconds on 2 cores.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from community.routing.corpus import load_offtopic, load_seed, split_seed
from community.routing.evaluate import score
from community.routing.model import DEFAULT_THRESHOLD, USE_JIEBA, Router

DEFAULT_OUT = Path("instance") / "router.joblib"


def train_seed_router(threshold: float = DEFAULT_THRESHOLD, use_jieba: bool = USE_JIEBA) -> Router:
    """A router fitted on the full seed corpus; ``metadata["heldout_metrics"]`` holds the 80/20 figures
    (see ``evaluate.score``) of the same recipe, plus the split's name."""
    rows = load_seed()
    train, heldout = split_seed(rows)
    probe = Router.train([r.text for r in train], [r.team for r in train], threshold=threshold, use_jieba=use_jieba)
    metrics = score(probe, [r.text for r in heldout], [r.team for r in heldout], load_offtopic())
    return Router.train(
        [r.text for r in rows],
        [r.team for r in rows],
        threshold=threshold,
        use_jieba=use_jieba,
        heldout_metrics={"split": "seed_feedback.csv stratified 80/20", **metrics},
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the feedback router on the seed corpus and save it.")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"model file (default {DEFAULT_OUT})")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--jieba", action=argparse.BooleanOptionalAction, default=USE_JIEBA)
    args = parser.parse_args(argv)
    router = train_seed_router(args.threshold, args.jieba)
    held = router.metadata["heldout_metrics"]
    print(f"held-out ({held['split']}, {held['n_test']} items, threshold {router.threshold:.2f}):")
    for key in ("accuracy", "macro_precision", "macro_recall", "macro_f1", "abstain_rate", "kept_accuracy",
                "outside_abstain_rate"):
        print(f"  {key:<22}{100 * held[key]:6.1f} %")
    path = router.save(args.out)
    meta = router.metadata
    print(f"saved {path} ({path.stat().st_size / 1024:.0f} KiB): {len(meta['classes'])} teams, "
          f"{meta['training_size']} examples, scikit-learn {meta['sklearn_version']}")


if __name__ == "__main__":
    main()
