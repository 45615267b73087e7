"""Train the production router on the seed corpus (plus any extra labelled examples) as a new version.

    python -m community.routing.train [--models instance/models] [--threshold T] [--target-precision P]

One fit: on everything except the fixed validation slice (``split_training``), which then gives the
version's held-out figures (metadata ``heldout_metrics``, with per-team precision, coverage and the
confusion matrix under ``routing``). Every version is kept off the same slice, so two versions can be
compared on it fairly (``community.routing.promotion``). A few seconds on 2 cores. The app's
``flask routing train`` does the same with the corrections people made and decides whether to activate.
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from community.routing.corpus import SEED_FEEDBACK, SeedRow, load_offtopic, load_seed, split_seed
from community.routing.evaluate import score
from community.routing.model import DEFAULT_THRESHOLD, TARGET_PRECISION, USE_JIEBA, Router, routing_figures
from community.routing.text import normalize
from community.routing.versions import save_version, training_data_hash

DEFAULT_MODELS = Path("instance") / "models"
#: Share of the corrections kept out of training as the fixed validation slice (with the seed's held-out 20%).
#: A tenth: the slice only compares versions (the thresholds are chosen on out-of-fold predictions of the
#: training data), and every correction it keeps is one the router does not learn from. With the equal-coverage
#: promotion, the car-forum replay routed 0-7 points more after 1,000 corrections than with a fifth (README).
VALIDATION_SHARE = 0.1


def in_validation_slice(text: str) -> bool:
    """Whether a correction's text belongs to the fixed validation slice: a hash of the normalised text.

    Fixed for ever (the same text always falls on the same side, however often it is corrected), and
    identical texts never sit on both sides. About ``VALIDATION_SHARE`` of texts fall in it.
    """
    digest = hashlib.sha256(normalize(str(text)).strip().encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") < VALIDATION_SHARE * 2**32


def split_training(
    extra: Sequence[tuple[str, str]] = (), seed_rows: Sequence[SeedRow] | None = None,
) -> tuple[list[tuple[str, str]], list[tuple[str, str]], dict[str, int]]:
    """(training pairs, validation-slice pairs, row counts) from the seed corpus and ``extra`` (text, team) pairs.

    The slice is the seed's fixed held-out 20% (``split_seed``) plus the corrections ``in_validation_slice``;
    a correction whose text is already in the slice stays out of training. Labels with a single training
    example are dropped from training (calibration needs two): the first correction naming a new team waits
    for a second. Counts: seed, corrections, total (training), validation, dropped.
    """
    rows = list(load_seed() if seed_rows is None else seed_rows)
    seed_train, seed_held = split_seed(rows) if len(rows) >= 10 else (rows, [])
    extra = [(str(t), str(y)) for t, y in extra]
    held = [(r.text, r.team) for r in seed_held] + [(t, y) for t, y in extra if in_validation_slice(t)]
    held_texts = {t for t, _ in held}
    corrections = [(t, y) for t, y in extra if not in_validation_slice(t) and t not in held_texts]
    train = [(r.text, r.team) for r in seed_train] + corrections
    counts = Counter(y for _, y in train)
    kept = [(t, y) for t, y in train if counts[y] >= 2]
    return kept, held, {"seed": len(seed_train), "corrections": sum(counts[y] >= 2 for _, y in corrections),
                        "total": len(kept), "validation": len(held), "dropped": len(train) - len(kept)}


def slice_metrics(router: Router, held: Sequence[tuple[str, str]], outside: Sequence[str] = ()) -> dict | None:
    """Figures of ``router`` on validation pairs: ``evaluate.score``'s plus ``routing`` (``routing_figures``)."""
    if not held:
        return None
    texts, labels = [t for t, _ in held], [y for _, y in held]
    preds = router.predict(texts)
    metrics = score(router, texts, labels, outside)
    metrics["routing"] = routing_figures([p.team for p in preds], [p.top3[0][0] if p.top3 else "" for p in preds],
                                         labels)
    return metrics


def train_router(
    extra: Sequence[tuple[str, str]] = (),
    threshold: float = DEFAULT_THRESHOLD,
    use_jieba: bool = USE_JIEBA,
    seed_rows: Sequence[SeedRow] | None = None,
    target_precision: float | None = TARGET_PRECISION,
) -> Router:
    """A router fitted on the seed corpus plus ``extra`` (text, team) pairs (the app's corrections), minus the slice.

    ``metadata["heldout_metrics"]`` holds its figures on the fixed validation slice (``split_training``;
    ``evaluate.score``'s keys plus ``routing``), None when the slice is empty; ``metadata["rows"]`` the counts;
    ``metadata["training_data_sha256"]`` identifies the examples and ``metadata["validation_sha256"]`` the
    slice. ``target_precision`` chooses per-team thresholds (``Router.train``). Raises ValueError as
    ``Router.train`` does (fewer than two labels with two examples each).
    """
    pairs, held, counts = split_training(extra, seed_rows)
    router = Router.train([t for t, _ in pairs], [y for _, y in pairs], threshold=threshold, use_jieba=use_jieba,
                          target_precision=target_precision,
                          extra_metadata={"rows": counts, "training_data_sha256": training_data_hash(pairs),
                                          "validation_sha256": training_data_hash(held)})
    metrics = slice_metrics(router, held, load_offtopic() if seed_rows is None else ())
    if metrics is not None:
        metrics = {"split": f"{SEED_FEEDBACK.name} held-out 20% + {VALIDATION_SHARE:.0%} of corrections", **metrics}
    return router.with_metadata(heldout_metrics=metrics)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the feedback router on the seed corpus as a new version.")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS,
                        help=f"folder of model versions (default {DEFAULT_MODELS})")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--jieba", action=argparse.BooleanOptionalAction, default=USE_JIEBA)
    parser.add_argument("--target-precision", type=float, default=TARGET_PRECISION,
                        help=f"per-team thresholds reach this precision on validation (default {TARGET_PRECISION})")
    args = parser.parse_args(argv)
    router = train_router(threshold=args.threshold, use_jieba=args.jieba, target_precision=args.target_precision)
    held = router.metadata["heldout_metrics"]
    print(f"held-out ({held['split']}, {held['n_test']} items, threshold {router.threshold:.2f}):")
    for key in ("accuracy", "macro_precision", "macro_recall", "macro_f1", "abstain_rate", "kept_accuracy",
                "outside_abstain_rate"):
        print(f"  {key:<22}{100 * held[key]:6.1f} %")
    version = save_version(router, args.models, router.metadata["training_data_sha256"])
    meta = router.metadata
    print(f"saved {args.models / version}: {len(meta['classes'])} teams, {meta['training_size']} examples, "
          f"scikit-learn {meta['sklearn_version']} (not activated: use `flask routing activate {version}`)")


if __name__ == "__main__":
    main()
