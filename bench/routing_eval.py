"""Feedback-router benchmark: the held-out evaluation table, then speed and size of the seed router.

    python bench/routing_eval.py [--datasets PATH] [--skip-eval]

Speed is measured on the router ``python -m community.routing.train`` would save (full seed
corpus): predictions per second for one batch of 1000 texts, and the latency of single-text
calls (p50/p99 over 300 calls, ms). Size is the saved joblib file. Prints figures, not pass/fail.
About 1-2 minutes on 2 cores, nearly all of it the evaluation.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `community` importable

from community.routing.corpus import load_offtopic, load_seed
from community.routing.evaluate import evaluate_all, format_table
from community.routing.model import DEFAULT_THRESHOLD, Router
from community.routing.train import train_seed_router

BATCH = 1000
SINGLE_CALLS = 300


def speed(router: Router, texts: list[str]) -> dict[str, float]:
    """Batch throughput (predictions/s) and single-call latency percentiles (ms) on ``texts`` (cycled)."""
    batch = [texts[i % len(texts)] for i in range(BATCH)]
    router.predict(batch[:20])  # warm up caches and lazy imports outside the timed part
    started = time.perf_counter()
    router.predict(batch)
    batch_seconds = time.perf_counter() - started
    latencies = []
    for text in batch[:SINGLE_CALLS]:
        started = time.perf_counter()
        router.predict([text])
        latencies.append(1000 * (time.perf_counter() - started))
    return {
        "batch_per_second": BATCH / batch_seconds,
        "p50_ms": float(np.percentile(latencies, 50)),
        "p99_ms": float(np.percentile(latencies, 99)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="folder of the public datasets (default ../shared/datasets)")
    parser.add_argument("--skip-eval", action="store_true", help="only speed and size")
    args = parser.parse_args()
    if not args.skip_eval:
        results, skipped = evaluate_all(args.datasets)
        print(format_table(results, DEFAULT_THRESHOLD))
        for name in skipped:
            print(f"{name}: skipped (folder absent)")
        print()

    started = time.perf_counter()
    router = train_seed_router()
    train_seconds = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as tmp:
        path = router.save(Path(tmp) / "router.joblib")
        size_kib = path.stat().st_size / 1024
        started = time.perf_counter()
        router = Router.load(path)
        load_ms = 1000 * (time.perf_counter() - started)
    texts = [row.text for row in load_seed()] + load_offtopic()
    figures = speed(router, texts)
    print(f"seed router: trained in {train_seconds:.1f} s (80/20 probe + full fit), "
          f"file {size_kib:.0f} KiB, load {load_ms:.0f} ms")
    print(f"batch of {BATCH}: {figures['batch_per_second']:.0f} predictions/s; "
          f"single text: p50 {figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms")


if __name__ == "__main__":
    main()
