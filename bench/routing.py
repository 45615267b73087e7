"""Feedback-router benchmark against issue 3's targets, on held-out data only. Prints figures, not pass/fail.

    nice -n 10 python bench/routing.py [--datasets PATH] [--only NAME ...] [--skip-speed]

Public sets are read from ../shared/datasets (or --datasets / $COCREATE_DATASETS), never copied:
- ccf2018-car-subjects: unique single-subject comments, stratified 80/20 -> macro-F1 (target >= 0.92) and
  precision when only the most confident 80 % is routed (target >= 0.98);
- dataclue-cic: train.json -> dev.json (both noisy) -> macro-F1 (target >= 0.75);
- banking77: stratified 80/20 of train.csv -> accuracy, macro-F1 (no target; the paper reports ~93-94 %);
- clinc150: train -> val -> in-scope accuracy (target >= 0.92) and out-of-scope recall at the router's
  threshold (share of oos_val abstained, target >= 0.5). In-scope accuracy is given two ways: of the top
  label, and "routed right" (abstaining on an in-scope query counts wrong: Larson et al.'s definition);
- speed: latency of one prediction with the production router (seed corpus; target < 2 ms) and the fit
  time on the 10k CIC training texts in this single process (target < 30 s on one core).
Also the seed corpus's own 80/20 figures. Each benchmark trains a fresh Router (the production recipe).
Several minutes of one core: run it with ``nice``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `community` importable
os.environ.setdefault("OMP_NUM_THREADS", "1")  # "one core": no BLAS threads behind our back

from community.routing.corpus import load_offtopic, load_seed  # noqa: E402
from community.routing.datasets import PUBLIC, Benchmark, datasets_root, seed_benchmark  # noqa: E402
from community.routing.evaluate import metrics_of  # noqa: E402
from community.routing.model import DEFAULT_THRESHOLD, Router  # noqa: E402
from community.routing.report import coverage_precision  # noqa: E402
from community.routing.train import train_router  # noqa: E402

SINGLE_CALLS = 1000


def _met(value: float, target: float, above: bool = True) -> str:
    ok = value >= target if above else value < target
    return f"target {'>=' if above else '<'} {target:g}: {'met' if ok else 'NOT met'}"


def run(bench: Benchmark, threshold: float) -> tuple[dict, Router, float, list]:
    started = time.perf_counter()
    router = Router.train(bench.train_texts, bench.train_labels, threshold=threshold)
    fit = time.perf_counter() - started
    preds = router.predict(bench.test_texts)
    metrics = metrics_of(preds, bench.test_labels, router.predict(bench.outside))
    return metrics, router, fit, preds


def _percentiles(call, texts: list[str]) -> str:
    """p50/p99 of ``call(text)`` in ms, wall clock and CPU time of this process (``time.process_time``): on a
    machine shared by many jobs the wall clock's tail is mostly waiting for a core, the CPU time is the work."""
    wall, cpu = [], []
    for i in range(SINGLE_CALLS):
        started, started_cpu = time.perf_counter(), time.process_time()
        call(texts[i % len(texts)])
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
    p99 = float(np.percentile(cpu, 99))
    return (f"wall p50 {np.percentile(wall, 50):.2f} ms, p99 {np.percentile(wall, 99):.2f} ms; CPU p50 "
            f"{np.percentile(cpu, 50):.2f} ms, p99 {p99:.2f} ms  ({_met(p99, 2.0, False)} on CPU time)")


def latency(router: Router, texts: list[str]) -> str:
    """Figures of ``router.predict([text])``, one text per call (see ``_percentiles``)."""
    router.predict(texts[:20])  # warm-up outside the timed part
    return _percentiles(lambda text: router.predict([text]), texts)


def route_latency(router: Router, texts: list[str], revalidate: float | None = None) -> str:
    """Figures of the app's ``routing_service.route(text)``: what a feedback request pays for routing.

    A throw-away app (SQLite on tmpfs, the real migrations) with ``router`` saved and activated as a version;
    each call predicts with the worker's cached model and reads the active version's name (one indexed query)
    only when its answer is older than ``revalidate`` seconds (config ROUTER_REVALIDATE_SECONDS; None: the
    app's default; 0: on every call, as before issue 16).
    """
    import logging
    import shutil
    import tempfile

    from flask_migrate import upgrade

    from community import create_app
    from community.extensions import db
    from community.feedback import router_versions, routing_service
    from community.routing.versions import save_version

    work = Path(tempfile.mkdtemp(prefix="routing-bench-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    app = create_app({"COCREATE_ENV": "testing", "TESTING": True, "SECRET_KEY": "bench",
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'bench.db'}", "STORAGE_DIR": str(work),
                      **({} if revalidate is None else {"ROUTER_REVALIDATE_SECONDS": revalidate})})
    with app.app_context():
        upgrade()
        logging.getLogger("alembic").setLevel(logging.WARNING)
        router_versions.activate(save_version(router, router_versions.models_root(),
                                              router.metadata["training_data_sha256"]))
        routing_service.route(texts[0])  # loads the model once, as a worker's first request does
        figures = _percentiles(routing_service.route, texts)
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(work, ignore_errors=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="folder of the public datasets")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD)
    parser.add_argument("--only", nargs="*", help="benchmarks to run (seed, ccf2018-car-subjects, dataclue-cic, "
                        "banking77, clinc150)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="no held-out figures: latency and fit time only")
    parser.add_argument("--skip-fit-speed", action="store_true", help="latency only: no 10k-text training")
    args = parser.parse_args()
    root = datasets_root(args.datasets)
    wanted = set() if args.speed_only else set(args.only or ["seed", *PUBLIC])
    print(f"threshold {args.threshold:.2f}; datasets under {root}")
    if "seed" in wanted:
        m, _, fit, _ = run(seed_benchmark(), args.threshold)
        print(f"seed corpus (80/20, {m['n_test']} test): accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}, "
              f"off-topic abstained {m['outside_abstain_rate']:.3f}; fit {fit:.1f} s; routed automatically "
              f"{1 - m['abstain_rate']:.3f} at precision {m['kept_accuracy']:.3f} (per-team thresholds)")
    cic_fit = None
    for name, loader in PUBLIC.items():
        if name not in wanted:
            continue
        if not (root / name).is_dir():
            print(f"{name}: skipped, no folder under {root}")
            continue
        bench = loader(root)
        m, router, fit, preds = run(bench, args.threshold)
        head = (f"{name} ({bench.note}; {len(bench.train_texts)} train, {m['n_test']} test, "
                f"{len(router.classes)} labels)")
        print(f"{head}: accuracy {m['accuracy']:.3f}, macro-F1 {m['macro_f1']:.3f}, fit {fit:.1f} s")
        routed = [p for p, y in zip(preds, bench.test_labels, strict=True) if p.team is not None]
        right = sum(p.team == y for p, y in zip(preds, bench.test_labels, strict=True) if p.team is not None)
        print(f"  per-team thresholds (target precision {router.metadata.get('target_precision')}): "
              f"{len(routed) / len(preds):.3f} routed automatically at precision "
              f"{right / len(routed) if routed else float('nan'):.3f}")
        if name == "ccf2018-car-subjects":
            print(f"  macro-F1 {m['macro_f1']:.3f}  ({_met(m['macro_f1'], 0.92)})")
            right = [bool(p.top3) and p.top3[0][0] == y for p, y in zip(preds, bench.test_labels, strict=True)]
            for c, p, cut in coverage_precision([p.confidence for p in preds], right):
                extra = f"  ({_met(p, 0.98)})" if c == 0.8 else ""
                print(f"  precision at {100 * c:.0f} % coverage: {p:.3f} (confidence >= {cut:.2f}){extra}")
        elif name == "dataclue-cic":
            cic_fit = fit
            print(f"  macro-F1 {m['macro_f1']:.3f}  ({_met(m['macro_f1'], 0.75)})")
        elif name == "clinc150":
            print(f"  in-scope accuracy (top label) {m['accuracy']:.3f}  ({_met(m['accuracy'], 0.92)})")
            print(f"  in-scope routed right (abstaining counts wrong) {m['routed_accuracy']:.3f}; "
                  f"in-scope abstained {m['abstain_rate']:.3f}")
            print(f"  out-of-scope recall at threshold {args.threshold:.2f}: {m['outside_abstain_rate']:.3f}  "
                  f"({_met(m['outside_abstain_rate'], 0.5)})")
    if args.skip_speed:
        return
    router = train_router(threshold=args.threshold)
    texts = [r.text for r in load_seed()] + load_offtopic()
    print(f"one prediction (production seed router): {latency(router, texts)}")
    from community.feedback.routing_service import REVALIDATE_SECONDS

    print(f"routing one feedback in the app, active version cached per worker (re-read at most every "
          f"{REVALIDATE_SECONDS:.0f} s): {route_latency(router, texts)}")
    print(f"routing one feedback in the app, active version read on every call (before issue 16): "
          f"{route_latency(router, texts, revalidate=0.0)}")
    if cic_fit is None and (root / "dataclue-cic").is_dir() and not args.skip_fit_speed:
        bench = PUBLIC["dataclue-cic"](root)
        started, started_cpu = time.perf_counter(), time.process_time()
        Router.train(bench.train_texts, bench.train_labels, threshold=args.threshold)
        cic_fit, cic_cpu = time.perf_counter() - started, time.process_time() - started_cpu
        print(f"training on 10k texts (CIC train, 118 labels, one process, thresholds included): CPU "
              f"{cic_cpu:.1f} s ({_met(cic_cpu, 30.0, False)}), wall {cic_fit:.1f} s")
    elif cic_fit is not None:
        print(f"training on 10k texts (CIC train, 118 labels, one process): {cic_fit:.1f} s  "
              f"({_met(cic_fit, 30.0, False)})")


if __name__ == "__main__":
    main()
