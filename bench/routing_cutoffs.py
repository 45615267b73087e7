"""How the per-team cut-offs hold on comments after training, for many stream orders at once (minutes, not hours).

    nice -n 10 python bench/routing_cutoffs.py [--orders 1 2 3 ...] [--train 1700] [--window 500]
                                               [--margins 0 0.5 0.75 1 1.5] [--target 0.95] [--recipe before|after]

A quick stand-in for ``bench/routing_replay.py``'s figure (the comments after the 1,000th correction, which on the
car-forum stream come after about 1,400-2,100 comments): for each order (``--orders``: seeds of the shuffle), the
first ``--train`` comments of the car-forum set's *training part* (its test part is never read) are the only labels,
trained as the app trains them (``train.split_training``: a tenth kept out as the validation slice), and the
cut-offs chosen as ``Router.train`` chooses them (out-of-fold predictions, shrinkage toward the pooled precision)
with each margin of ``--margins`` (``MARGIN_Z``); the next ``--window`` comments are routed. Printed per margin: share
routed and precision of what was routed, per order, their mean and the lowest precision. ``--recipe before``: the
character n-grams without the jieba words.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `community` importable
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from community.routing import model  # noqa: E402
from community.routing.datasets import ccf2018, datasets_root  # noqa: E402
from community.routing.train import split_training  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="folder of the public datasets")
    parser.add_argument("--orders", type=int, nargs="*", default=[1, 2, 3, 4, 5, 6, 8, 9, 10, 11])
    parser.add_argument("--train", type=int, default=1700, help="comments learnt from (default 1700)")
    parser.add_argument("--window", type=int, default=500, help="comments routed after them (default 500)")
    parser.add_argument("--margins", type=float, nargs="*", default=[0.0, 0.5, 0.75, 1.0, 1.5])
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--recipe", choices=["before", "after"], default="after")
    args = parser.parse_args()
    bench = ccf2018(datasets_root(args.datasets))
    pairs = sorted(zip(bench.train_texts, bench.train_labels, strict=True))
    recipe = {"use_jieba": False} if args.recipe == "before" else {}
    rows: dict[float, list[tuple[int, float, float]]] = {m: [] for m in args.margins}
    for order in args.orders:
        items = list(pairs)
        random.Random(order).shuffle(items)
        learnt, window = items[:args.train], items[args.train:args.train + args.window]
        train, _, _ = split_training(learnt, seed_rows=[])
        texts, labels = [t for t, _ in train], [y for _, y in train]
        counts = {y: labels.count(y) for y in set(labels)}
        pipeline = model.build_pipeline(folds=min(model.CALIBRATION_FOLDS, min(counts.values())), **recipe)
        pipeline.fit(texts, labels)
        classes = [str(c) for c in pipeline.classes_]
        proba = model.out_of_fold_proba(pipeline, texts, labels, model.threshold_folds(labels))
        conf, top = proba.max(axis=1), [classes[j] for j in proba.argmax(axis=1)]
        routed = model.fast_predict_proba(pipeline, [t for t, _ in window])
        w_conf, w_top = routed.max(axis=1), [classes[j] for j in routed.argmax(axis=1)]
        w_right = np.asarray(w_top) == np.asarray([y for _, y in window])
        for margin in args.margins:
            teams, pooled = model.cut_offs(conf, top, labels, classes, args.target, margin_z=margin)
            cuts = [teams.get(t, pooled.get("*", model.DEFAULT_THRESHOLD)) for t in w_top]
            sent = np.asarray([cut is not None and c >= cut for c, cut in zip(w_conf, cuts, strict=True)])
            rows[margin].append((order, float(sent.mean()), float(w_right[sent].mean()) if sent.any() else 1.0))
        print(f"order {order} done", file=sys.stderr, flush=True)
    print(f"car-forum training part, first {args.train} comments learnt, next {args.window} routed; recipe "
          f"{args.recipe}; target {args.target}; routed@precision per order")
    for margin, found in rows.items():
        per = " ".join(f"{o}:{c:.2f}@{p:.3f}" for o, c, p in found)
        print(f"margin {margin:<5} mean {np.mean([c for _, c, _ in found]):.3f}@{np.mean([p for *_, p in found]):.3f}"
              f"  lowest precision {min(p for *_, p in found):.3f}  | {per}")


if __name__ == "__main__":
    main()
