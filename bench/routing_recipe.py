"""Choose the router's recipe on validation splits carved from each set's training part only.

    nice -n 10 python bench/routing_recipe.py [--datasets PATH] [--only NAME ...] [--variants NAME ...]
                                              [--train-size N]

For every set (the seed corpus and the public sets of ``community.routing.datasets``) the *training* part
is split again, stratified 80/20 with its own seed, and each recipe variant is fitted on the 80 % and scored
on the 20 %: macro-F1 of the top label and precision when the 80 % most confident are routed. The sets'
test parts (``bench/routing.py``'s figures) are never read, so the choice does not peek at them.
A recipe is adopted when it helps the car-forum and seed sets and costs the others no more than the
split noise (about one point of macro-F1 on these sizes). Several minutes of one core: run it ``nice``d.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `community` importable
os.environ.setdefault("OMP_NUM_THREADS", "1")

from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from community.routing.datasets import PUBLIC, Benchmark, datasets_root, seed_benchmark  # noqa: E402
from community.routing.model import Router, build_pipeline  # noqa: E402
from community.routing.report import coverage_precision  # noqa: E402

VALIDATION_SEED = 1  # not the test split's seed: another carving of the training part
#: name -> build_pipeline keyword arguments (the rest its defaults). "before" is the recipe before issue 16's
#: fourth pass (no jieba words); "jieba1w7" the one adopted then.
VARIANTS: dict[str, dict] = {
    "before": dict(char_range=(1, 3), analyzer="char_wb", class_weight=None, c=0.5, use_jieba=False),
    "wb14-bal": dict(char_range=(1, 4), analyzer="char_wb", class_weight="balanced", c=0.5, use_jieba=False),
    "char14-bal": dict(char_range=(1, 4), analyzer="char", class_weight="balanced", c=0.5, use_jieba=False),
    "wb14-bal-c1": dict(char_range=(1, 4), analyzer="char_wb", class_weight="balanced", c=1.0, use_jieba=False),
    "wb13-bal": dict(char_range=(1, 3), analyzer="char_wb", class_weight="balanced", c=0.5, use_jieba=False),
    "jieba1": dict(use_jieba=True, jieba_range=(1, 1), jieba_weight=1.0),
    "jieba1w5": dict(use_jieba=True, jieba_range=(1, 1), jieba_weight=0.5),
    "jieba1w7": dict(use_jieba=True, jieba_range=(1, 1), jieba_weight=0.7),  # adopted: build_pipeline's default
    "jieba1c4": dict(use_jieba=True, jieba_range=(1, 1), jieba_weight=1.0, c=0.4),
    "jieba12": dict(use_jieba=True, jieba_range=(1, 2), jieba_weight=1.0),
}


def validation_split(bench: Benchmark) -> tuple[list[str], list[str], list[str], list[str]]:
    """(train texts, train labels, validation texts, validation labels) carved from ``bench``'s training part."""
    labels = bench.train_labels
    counts = {y: labels.count(y) for y in set(labels)}
    keep = [i for i, y in enumerate(labels) if counts[y] >= 2]  # stratifying needs two of each
    texts, labels = [bench.train_texts[i] for i in keep], [labels[i] for i in keep]
    tr_x, va_x, tr_y, va_y = train_test_split(texts, labels, test_size=0.2, random_state=VALIDATION_SEED,
                                              stratify=labels)
    return tr_x, tr_y, va_x, va_y


def score_variant(split, params: dict) -> tuple[float, float, float]:
    """(macro-F1, precision at 80 % coverage, fit seconds) of one variant on one validation split."""
    tr_x, tr_y, va_x, va_y = split
    counts = {y: tr_y.count(y) for y in set(tr_y)}
    keep = [i for i, y in enumerate(tr_y) if counts[y] >= 2]  # calibration needs two of each label, as in training
    tr_x, tr_y = [tr_x[i] for i in keep], [tr_y[i] for i in keep]
    started = time.perf_counter()
    folds = min(3, min(counts[y] for y in tr_y))
    router = Router(build_pipeline(folds=folds, **params).fit(tr_x, tr_y), 0.0)
    fit = time.perf_counter() - started
    preds = router.predict(va_x)
    top = [p.top3[0][0] if p.top3 else "" for p in preds]
    f1 = f1_score(va_y, top, labels=sorted(set(va_y)), average="macro", zero_division=0)
    right = [t == y for t, y in zip(top, va_y, strict=True)]
    at80 = next(p for c, p, _ in coverage_precision([p.confidence for p in preds], right) if c == 0.8)
    return float(f1), float(at80), fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="folder of the public datasets")
    parser.add_argument("--only", nargs="*", help="sets to run (seed and the public folder names)")
    parser.add_argument("--variants", nargs="*", choices=sorted(VARIANTS), help="variants to run (default all)")
    parser.add_argument("--train-size", type=int,
                        help="fit on a stratified sample of this many of the 80 %% (the few-corrections regime)")
    args = parser.parse_args()
    root = datasets_root(args.datasets)
    wanted = args.only or ["seed", *PUBLIC]
    names = args.variants or list(VARIANTS)
    print("validation: 20 % carved (seed 1) from each set's training part; F1 = macro-F1, P@80 = precision of the "
          f"80 % most confident{f'; fitted on {args.train_size} of the 80 %' if args.train_size else ''}")
    print(f"{'set':<22}{'variant':<13}{'F1':>7}{'P@80':>7}{'fit s':>7}")
    for name in wanted:
        if name == "seed":
            bench = seed_benchmark()
        elif (root / name).is_dir():
            bench = PUBLIC[name](root)
        else:
            print(f"{name}: skipped, no folder under {root}")
            continue
        split = validation_split(bench)
        if args.train_size and args.train_size < len(split[0]):
            try:
                tr_x, _, tr_y, _ = train_test_split(split[0], split[1], train_size=args.train_size,
                                                    random_state=VALIDATION_SEED, stratify=split[1])
            except ValueError:  # a label too rare to stratify at this size
                tr_x, _, tr_y, _ = train_test_split(split[0], split[1], train_size=args.train_size,
                                                    random_state=VALIDATION_SEED)
            split = (tr_x, tr_y, split[2], split[3])
        base = None
        for variant in names:
            f1, at80, fit = score_variant(split, VARIANTS[variant])
            base = f1 if base is None else base
            delta = "" if variant == names[0] else f"  ({100 * (f1 - base):+.1f})"
            print(f"{name:<22}{variant:<13}{f1:7.3f}{at80:7.3f}{fit:7.1f}{delta}", flush=True)


if __name__ == "__main__":
    main()
