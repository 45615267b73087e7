"""Train the production router on the seed corpus (plus any extra labelled examples) as a new version.

    python -m community.routing.train [--models instance/models] [--threshold T]

First trains on the seed corpus's fixed 80% split (plus the extra examples) and scores the held-out
20% (and the abstention on the off-topic list); those figures go into the version's metadata. Then
trains on everything and writes ``<models>/<version>/``. A few seconds on 2 cores. The app's
``flask routing train`` does the same with the corrections people made and records the version.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from community.routing.corpus import SEED_FEEDBACK, SeedRow, load_offtopic, load_seed, split_seed
from community.routing.evaluate import score
from community.routing.model import DEFAULT_THRESHOLD, USE_JIEBA, Router
from community.routing.versions import save_version, training_data_hash

DEFAULT_MODELS = Path("instance") / "models"


def train_router(
    extra: Sequence[tuple[str, str]] = (),
    threshold: float = DEFAULT_THRESHOLD,
    use_jieba: bool = USE_JIEBA,
    seed_rows: Sequence[SeedRow] | None = None,
) -> Router:
    """A router fitted on the seed corpus plus ``extra`` (text, team) pairs (the app's corrections).

    ``metadata["heldout_metrics"]`` holds the figures (see ``evaluate.score``) of the same recipe
    trained on the seed's 80% split plus ``extra`` and scored on the seed's held-out 20%;
    ``metadata["rows"]`` counts seed, correction and total rows; ``metadata["training_data_sha256"]``
    identifies the examples. Raises ValueError as ``Router.train`` does.
    """
    rows = list(load_seed() if seed_rows is None else seed_rows)
    extra = [(str(t), str(y)) for t, y in extra]
    train, heldout = split_seed(rows)
    held_texts = {r.text for r in heldout}
    probe_extra = [(t, y) for t, y in extra if t not in held_texts]  # no held-out text in the probe's training
    probe = Router.train([r.text for r in train] + [t for t, _ in probe_extra],
                         [r.team for r in train] + [y for _, y in probe_extra], threshold=threshold,
                         use_jieba=use_jieba)
    metrics = score(probe, [r.text for r in heldout], [r.team for r in heldout], load_offtopic())
    pairs = [(r.text, r.team) for r in rows] + extra
    return Router.train(
        [t for t, _ in pairs], [y for _, y in pairs], threshold=threshold, use_jieba=use_jieba,
        heldout_metrics={"split": f"{SEED_FEEDBACK.name} stratified 80/20 (+ corrections in training)", **metrics},
        extra_metadata={"rows": {"seed": len(rows), "corrections": len(extra), "total": len(pairs)},
                        "training_data_sha256": training_data_hash(pairs)},
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the feedback router on the seed corpus as a new version.")
    parser.add_argument("--models", type=Path, default=DEFAULT_MODELS,
                        help=f"folder of model versions (default {DEFAULT_MODELS})")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--jieba", action=argparse.BooleanOptionalAction, default=USE_JIEBA)
    args = parser.parse_args(argv)
    router = train_router(threshold=args.threshold, use_jieba=args.jieba)
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
