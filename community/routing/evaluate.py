"""Held-out evaluation of the router on the seed corpus and the public datasets.

Never training-set scores: each benchmark trains a fresh ``Router`` on its train part and scores
its test part (splits in ``datasets.py``). Usage::

    python -m community.routing.evaluate [--datasets PATH] [--threshold T] [--jieba] [--compare-jieba]

About 110 s of CPU, run in 2 processes (``--workers``), so about 1 minute on 2 idle cores
(``--compare-jieba`` doubles it); prints one table row per benchmark.
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from community.routing.datasets import PUBLIC, Benchmark, datasets_root, seed_benchmark
from community.routing.model import DEFAULT_THRESHOLD, USE_JIEBA, Prediction, Router


def score(
    router: Router, texts: Sequence[str], labels: Sequence[str], outside: Sequence[str] = ()
) -> dict[str, float]:
    """Metrics of ``router`` on labelled ``texts`` (and on ``outside`` texts that fit no label).

    accuracy, macro_precision, macro_recall, macro_f1: of the top label, abstention ignored
        (classifier quality; macro over the labels present in ``labels``).
    abstain_rate: share of ``texts`` below the threshold (sent to triage).
    kept_accuracy: accuracy on the texts not abstained (how often an automatic routing is right).
    routed_accuracy: share routed to the right label, abstentions counted wrong (Larson et al.'s
        in-scope accuracy).
    outside_abstain_rate: share of ``outside`` abstained (out-of-scope recall); NaN if none given.
    All are fractions in 0..1.
    """
    return metrics_of(router.predict(list(texts)), labels, router.predict(list(outside)))


def metrics_of(
    preds: Sequence[Prediction], labels: Sequence[str], outside_preds: Sequence[Prediction] = ()
) -> dict[str, float]:
    """``score``'s figures from predictions already made (parallel to ``labels``)."""
    top = np.array([p.top3[0][0] if p.top3 else "" for p in preds], dtype=object)
    truth = np.array(labels, dtype=object)
    kept = np.array([p.team is not None for p in preds])
    precision, recall, f1, _ = precision_recall_fscore_support(
        truth, top, labels=sorted(set(labels)), average="macro", zero_division=0
    )
    return {
        "n_test": len(truth),
        "accuracy": float(np.mean(top == truth)),
        "macro_precision": float(precision),
        "macro_recall": float(recall),
        "macro_f1": float(f1),
        "abstain_rate": float(1.0 - kept.mean()),
        "kept_accuracy": float(np.mean(top[kept] == truth[kept])) if kept.any() else float("nan"),
        "routed_accuracy": float(np.mean(kept & (top == truth))),
        "outside_abstain_rate": (
            float(np.mean([p.team is None for p in outside_preds])) if outside_preds else float("nan")
        ),
    }


@dataclass(frozen=True)
class Result:
    """One benchmark's figures; ``metrics`` as returned by ``score``."""

    bench: Benchmark
    metrics: dict[str, float]
    n_classes: int
    fit_seconds: float
    per_lang: dict[str, float]


def evaluate(bench: Benchmark, threshold: float = DEFAULT_THRESHOLD, use_jieba: bool = USE_JIEBA) -> Result:
    """Train on ``bench``'s train part, score its test part; per-language accuracy when langs are known."""
    started = time.perf_counter()
    router = Router.train(bench.train_texts, bench.train_labels, threshold=threshold, use_jieba=use_jieba)
    fit_seconds = time.perf_counter() - started
    preds = router.predict(bench.test_texts)
    metrics = metrics_of(preds, bench.test_labels, router.predict(bench.outside))
    per_lang: dict[str, float] = {}
    for lang in sorted(set(bench.test_langs)):
        rows = zip(preds, bench.test_labels, bench.test_langs, strict=True)
        hits = [bool(p.top3) and p.top3[0][0] == y for p, y, x in rows if x == lang]
        per_lang[lang] = float(np.mean(hits))
    return Result(bench, metrics, len(router.classes), fit_seconds, per_lang)


def _load_and_evaluate(load: Callable[[], Benchmark], threshold: float, use_jieba: bool) -> Result:
    return evaluate(load(), threshold, use_jieba)


def evaluate_all(
    root: str | Path | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    use_jieba: bool = USE_JIEBA,
    workers: int = 2,
) -> tuple[list[Result], list[str]]:
    """Evaluate the seed corpus and every public dataset found under ``datasets_root(root)``.

    Benchmarks run in ``workers`` processes (1: in this process). Returns (results in report
    order, skipped) where ``skipped`` names the datasets whose folder is absent.
    """
    folder = datasets_root(root)
    loads: list[Callable[[], Benchmark]] = [seed_benchmark]
    skipped = []
    for name, loader in PUBLIC.items():
        if (folder / name).is_dir():
            loads.append(partial(loader, folder))
        else:
            skipped.append(name)
    if workers <= 1:
        return [_load_and_evaluate(load, threshold, use_jieba) for load in loads], skipped
    with ProcessPoolExecutor(workers) as pool:
        # The largest sets come last in report order: start them first so no worker idles at the end.
        futures = [pool.submit(_load_and_evaluate, load, threshold, use_jieba) for load in reversed(loads)]
        return [f.result() for f in reversed(futures)], skipped


def _pct(value: float) -> str:
    return "    -" if math.isnan(value) else f"{100 * value:5.1f}"  # NaN: no such figure


def format_table(results: Sequence[Result], threshold: float) -> str:
    """A plain-text table, percentages; ``oos abst`` is the abstention on texts fitting no label."""
    head = (
        f"{'dataset':<21}{'lang':<6}{'cls':>4}{'train':>7}{'test':>6}  {'acc':>5} {'P':>5} {'R':>5} {'F1':>5}"
        f"  {'abst':>5} {'kept':>5} {'routd':>5} {'oos':>5}  {'fit s':>5}"
    )
    lines = [f"threshold {threshold:.2f}; acc/P/R/F1: top label, macro; abst: abstained; "
             "kept: acc. of routed; routd: routed right; oos: abstained on out-of-scope", head, "-" * len(head)]
    for r in results:
        m = r.metrics
        lines.append(
            f"{r.bench.name:<21}{r.bench.lang:<6}{r.n_classes:>4}{len(r.bench.train_texts):>7}{m['n_test']:>6}"
            f"  {_pct(m['accuracy'])} {_pct(m['macro_precision'])} {_pct(m['macro_recall'])} {_pct(m['macro_f1'])}"
            f"  {_pct(m['abstain_rate'])} {_pct(m['kept_accuracy'])} {_pct(m['routed_accuracy'])}"
            f" {_pct(m['outside_abstain_rate'])}  {r.fit_seconds:5.1f}"
        )
    for r in results:
        if r.per_lang:
            langs = ", ".join(f"{k} {_pct(v).strip()}" for k, v in r.per_lang.items())
            lines.append(f"{r.bench.name}: accuracy by language: {langs}")
    lines.extend(f"{r.bench.name}: {r.bench.note}" for r in results)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Evaluate the feedback router on held-out data.")
    parser.add_argument("--datasets", help="folder of the public datasets (default: $COCREATE_DATASETS "
                        "or ../shared/datasets next to the repository)")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--jieba", action=argparse.BooleanOptionalAction, default=USE_JIEBA,
                        help="add jieba word features")
    parser.add_argument("--compare-jieba", action="store_true", help="run without and with jieba, print both")
    parser.add_argument("--workers", type=int, default=2, help="benchmarks evaluated in parallel (default 2)")
    args = parser.parse_args(argv)
    settings = [False, True] if args.compare_jieba else [args.jieba]
    macro_f1: dict[bool, dict[str, float]] = {}
    for use_jieba in settings:
        results, skipped = evaluate_all(args.datasets, args.threshold, use_jieba, args.workers)
        print(f"== jieba word features: {'on' if use_jieba else 'off'}")
        print(format_table(results, args.threshold))
        for name in skipped:
            print(f"{name}: skipped, no folder under {datasets_root(args.datasets)}")
        macro_f1[use_jieba] = {r.bench.name: r.metrics["macro_f1"] for r in results}
        print()
    if args.compare_jieba:
        print("macro-F1 without -> with jieba")
        for name, off in macro_f1[False].items():
            on = macro_f1[True][name]
            print(f"  {name:<21} {100 * off:5.1f} -> {100 * on:5.1f} ({100 * (on - off):+.1f})")


if __name__ == "__main__":
    main()
