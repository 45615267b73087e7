"""Learning from corrections, measured: replay a real labelled stream through the app's own routing path.

    nice -n 10 python bench/routing_replay.py [--start seed|empty|both] [--every N] [--window W] [--limit K]
                                              [--target-precision P] [--order-seed S]

The stream is the car-forum set (``../shared/datasets/ccf2018-car-subjects``: unique single-subject comments,
subjects as teams), in a fixed shuffled order (``--order-seed``, default 2018: the reported order; another seed
checks that a figure is not one order's luck), read where it lies. A throw-away app (temporary SQLite file and
models folder) is set up by the real migrations with the ten subjects as teams (and the nine pledge teams:
a comment routed to one of them counts as misrouted). Each comment is then submitted through
``feedback.service.submit``, so the active version routes it with its per-team thresholds exactly as in the
app; a moderator takes what lands in triage out of it (``assign_from_triage``) and moves what was misrouted
(``reassign``): both are the corrections the app learns from. What was routed right, its team answers
(``reply``), which the app keeps as a confirmed label (``service.training_examples``). Whenever
``retrain.retrain_due()`` (every ``--every`` corrections, config ROUTER_RETRAIN_EVERY) the retraining job's
own function runs
(``retrain.train``: train on seed + corrections, safe promotion against the active version).
``--start seed`` begins with a version trained on the shipped seed corpus (whose nine teams are not the
forum's subjects); ``--start empty`` with no version (config ROUTER_TRAIN_ON_SEED false): everything goes to
triage until the first training.

Printed per window of ``--window`` comments: top-label accuracy (no model counts wrong), share routed
automatically, precision of what was routed automatically, corrections so far, active version trainings.
Then the same figures over the ``--window`` comments after the 1,000th correction, against the target:
precision >= 0.95 with coverage >= 60 %. The app runs with config ROUTER_TARGET_PRECISION = ``--target-precision``
(default 0.95, the issue's target for this stream; the app's own default is 0.98, which on this stream cannot
route 60 %: even cut-offs chosen on the window itself route about a third at 0.98). Minutes of one core: run
it ``nice``d.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `community` importable
os.environ.setdefault("OMP_NUM_THREADS", "1")

from community.routing.datasets import ccf2018, datasets_root  # noqa: E402

SUBJECTS = {"动力": "power", "价格": "price", "油耗": "fuel", "操控": "handling", "舒适性": "comfort",
            "配置": "features", "安全性": "safety", "内饰": "interior", "外观": "exterior", "空间": "space"}
ORDER_SEED = 2018
TARGET_AFTER = 1000
CONTACT = "replay@example.com"


def stream(root: Path, limit: int | None, order_seed: int = ORDER_SEED) -> list[tuple[str, str]]:
    """(text, team slug) of every unique single-subject comment, in a fixed shuffled order (``order_seed``)."""
    bench = ccf2018(root)
    pairs = [(t, SUBJECTS[y]) for t, y in zip(bench.train_texts + bench.test_texts,
                                               bench.train_labels + bench.test_labels, strict=True)]
    pairs.sort()
    random.Random(order_seed).shuffle(pairs)
    return pairs[:limit] if limit else pairs


class Window:
    """Counts over a run of stream items."""

    def __init__(self) -> None:
        self.n = self.top_right = self.auto = self.auto_right = 0

    def add(self, top_right: bool, auto: bool, auto_right: bool) -> None:
        self.n += 1
        self.top_right += top_right
        self.auto += auto
        self.auto_right += auto_right

    def figures(self) -> tuple[float, float, float | None]:
        """(top-label accuracy, share routed automatically, precision of those), fractions."""
        return (self.top_right / self.n, self.auto / self.n, self.auto_right / self.auto if self.auto else None)

    def line(self) -> str:
        acc, cov, prec = self.figures()
        return f"{acc:9.3f}{cov:9.3f}{'-' if prec is None else f'{prec:.3f}':>10}"


def replay(items: list[tuple[str, str]], start: str, every: int, window: int, verbose: bool = False,
           target: float = 0.95, order_seed: int = ORDER_SEED) -> None:
    from flask_migrate import upgrade

    from community import create_app
    from community.accounts.models import User, UserRole
    from community.extensions import db
    from community.feedback import retrain, service
    from community.pledge import service as pledge
    from community.pledge.models import Team, TeamAgent

    # tmpfs when there is one: the app commits per feedback item, and a throw-away database need not wait on disk.
    work = Path(tempfile.mkdtemp(prefix="routing-replay-", dir="/dev/shm" if Path("/dev/shm").is_dir() else None))
    app = create_app({"COCREATE_ENV": "testing", "TESTING": True, "SECRET_KEY": "replay", "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{work / 'replay.db'}",
                      "ROUTER_MODELS_DIR": str(work / "models"), "ROUTER_RETRAIN_EVERY": every,
                      "ROUTER_TRAIN_ON_SEED": start == "seed", "ROUTER_TARGET_PRECISION": target})
    with app.app_context():
        upgrade()
        pledge.ensure_teams()
        db.session.add_all([Team(slug=slug, name_zh=zh, name_en=slug, position=20 + i)
                            for i, (zh, slug) in enumerate(SUBJECTS.items())])
        moderator = User(email="moderator@replay.example", display_name="Moderator", session_token="x" * 32,
                         password_hash="!", roles=[UserRole(role="moderator")])
        db.session.add(moderator)
        agents = {slug: User(email=f"{slug}@replay.example", display_name=slug, session_token="x" * 32,
                             password_hash="!", roles=[UserRole(role="team_agent")]) for slug in SUBJECTS.values()}
        db.session.add_all(agents.values())
        db.session.flush()
        teams = {t.slug: t for t in pledge.all_teams()}
        db.session.add_all([TeamAgent(team_id=teams[slug].id, user_id=user.id) for slug, user in agents.items()])
        db.session.commit()
        trainings, activations, train_seconds = 0, 0, 0.0
        if start == "seed":
            started = time.perf_counter()
            retrain.train()
            trainings, activations, train_seconds = 1, 1, time.perf_counter() - started
        print(f"\n== start: {start}; order seed {order_seed}; retrain every {every} corrections; target precision "
              f"{target}; {len(items)} comments, windows of {window}")
        print(f"{'items':>7}{'accuracy':>9}{'auto':>9}{'precision':>10}{'corrections':>12}{'trainings':>10}"
              f"{'activated':>10}")
        corrections, current, after_target = 0, Window(), None
        for i, (text, truth) in enumerate(items, start=1):
            item = service.submit(None, text, "web", contact=CONTACT)
            auto = item.routed_by == "model"
            current.add(item.model_team == truth, auto, auto and item.team.slug == truth)
            if after_target is not None and after_target.n < window:
                after_target.add(item.model_team == truth, auto, auto and item.team.slug == truth)
            if item.team is None:
                service.assign_from_triage(item, truth, moderator)
                corrections += 1
            elif item.team.slug != truth:
                service.reassign(item, truth, moderator)
                corrections += 1
            else:  # the team answers what is theirs: the app keeps that as a confirmed label
                service.reply(item, agents[truth], "收到，我们来处理。")
            if corrections >= TARGET_AFTER and after_target is None:
                after_target = Window()
            if retrain.retrain_due():
                started = time.perf_counter()
                try:
                    trained = retrain.train()
                    trainings += 1
                    activations += trained.activated
                    if verbose:
                        meta = trained.metadata
                        print(f"  trained at {corrections} corrections: {meta['rows']}, "
                              f"{'activated' if trained.activated else 'waiting: ' + ','.join(trained.reasons)}; "
                              f"thresholds {meta.get('team_thresholds')}")
                except ValueError as err:  # too few labelled teams yet: keep collecting
                    print(f"  (no training at {corrections} corrections: {err})")
                train_seconds += time.perf_counter() - started
            if i % window == 0 or i == len(items):
                print(f"{i:>7}{current.line()}{corrections:>12}{trainings:>10}{activations:>10}", flush=True)
                current = Window()
        if after_target is not None and after_target.n:
            acc, cov, prec = after_target.figures()
            met = prec is not None and prec >= 0.95 and cov >= 0.6
            print(f"after {TARGET_AFTER} corrections, next {after_target.n} comments: accuracy {acc:.3f}, routed "
                  f"automatically {cov:.3f}, precision {'-' if prec is None else f'{prec:.3f}'}  (target precision "
                  f">= 0.95 with coverage >= 0.60: {'met' if met else 'NOT met'})")
        print(f"{trainings} trainings ({activations} activated), {train_seconds:.0f} s in training")
        db.session.remove()
        db.engine.dispose()
    shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="folder of the public datasets")
    parser.add_argument("--start", choices=["seed", "empty", "both"], default="both")
    parser.add_argument("--every", type=int, default=100, help="retrain after this many corrections (default 100)")
    parser.add_argument("--window", type=int, default=500, help="stream items per printed window (default 500)")
    parser.add_argument("--limit", type=int, help="replay only the first K comments of the stream")
    parser.add_argument("--target-precision", type=float, default=0.95,
                        help="config ROUTER_TARGET_PRECISION of the replayed app (default 0.95)")
    parser.add_argument("--order-seed", type=int, default=ORDER_SEED,
                        help=f"seed of the stream's shuffled order (default {ORDER_SEED}, the reported one)")
    parser.add_argument("--verbose", action="store_true", help="one line per training: rows, decision, thresholds")
    args = parser.parse_args()
    root = datasets_root(args.datasets)
    if not (root / "ccf2018-car-subjects").is_dir():
        sys.exit(f"no {root / 'ccf2018-car-subjects'}: pass --datasets or set COCREATE_DATASETS")
    items = stream(root, args.limit, args.order_seed)
    for start in (["seed", "empty"] if args.start == "both" else [args.start]):
        replay(items, start, args.every, args.window, args.verbose, args.target_precision, args.order_seed)


if __name__ == "__main__":
    main()
