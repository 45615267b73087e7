"""Cocreate benchmark (``make bench``): seed a fresh database, serve it with gunicorn, measure pages.

    python bench/run.py                # PostgreSQL database bench_cocreate: 100k proposals, 1M votes
    python bench/run.py --quick        # 10k proposals, 100k votes: a smoke run of a few minutes
    python bench/run.py --sqlite       # a fresh SQLite file bench/out/bench.db instead

Steps: create the database fresh, ``flask db upgrade`` (the real migrations), generate the data
(bench/seed.py), bulk-load everything but most votes (~10k votes), serve with gunicorn (2 sync
workers, COCREATE_ENV=production), measure, load the remaining votes and recount, serve and measure
again. Each page is measured with a closed-loop client in separate processes (bench/load.py; wrk
when installed) and its throughput is compared with /healthz on the same server.

Prints figures, not pass/fail: exits 0 whatever the numbers (a crash still exits non-zero).
Results also go to bench/out/results-<time>.json (bench/out/ is not committed).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
OUT = REPO / "bench" / "out"

from load import Result, pick_client  # noqa: E402  (bench/ is the script's directory)
from seed import Plan, PostgresLoader, SqliteLoader, generate, load_base, load_phase_b  # noqa: E402

SEARCH = {"status": "under_review", "category": "charging", "q": "超充"}


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10k proposals, 100k votes, shorter runs")
    ap.add_argument("--sqlite", action="store_true", help="fresh SQLite file under bench/out/ instead of PostgreSQL")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432",
                    help="PostgreSQL server (trust auth); the database is created fresh on it")
    ap.add_argument("--db-name", default="bench_cocreate")
    ap.add_argument("--proposals", type=int)
    ap.add_argument("--votes", type=int)
    ap.add_argument("--voters", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, help="measured seconds per page and round (default 8, quick 3)")
    ap.add_argument("--rounds", type=int, help="rounds over all pages; the best round per page is kept "
                                               "(default 2, quick 1): the machine is shared and noisy")
    ap.add_argument("--concurrency", type=int, default=4, help="client connections")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    ap.add_argument("--client", choices=("auto", "python", "wrk"), default="auto")
    return ap.parse_args(argv)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fresh_postgres(server: str, name: str) -> str:
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def fresh_sqlite() -> str:
    path = OUT / "bench.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


class Timer:
    def __init__(self):
        self.marks: dict[str, float] = {}

    @contextmanager
    def __call__(self, label: str):
        print(f"  {label} ...", flush=True)
        t0 = time.perf_counter()
        yield
        self.marks[label] = time.perf_counter() - t0
        print(f"  {label}: {self.marks[label]:.1f} s", flush=True)


def worker_cpu(master_pid: int):
    """A callable giving the CPU seconds used so far by gunicorn's workers (Linux /proc), or None elsewhere."""
    if not Path("/proc/self/stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")

    def read() -> float:
        total = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, ...
            except OSError:
                continue
            if int(fields[1]) == master_pid:
                total += int(fields[11]) + int(fields[12])  # utime + stime, in clock ticks
        return total / tick

    return read


@contextmanager
def gunicorn(env: dict, workers: int):
    """Serve wsgi:app on a free port until the block ends; yields (port, worker CPU reader)."""
    port = free_port()
    log = open(OUT / "gunicorn.log", "a")  # noqa: SIM115  (closed below)
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "--workers", str(workers), "--worker-class", "sync",
                             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "wsgi:app"],
                            cwd=REPO, env=env, stdout=log, stderr=log)
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"gunicorn did not start; see {OUT / 'gunicorn.log'}") from None
                time.sleep(0.3)
        yield port, worker_cpu(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def targets(app, detail_id: int) -> dict[str, str]:
    """The measured paths. The deep page is the one starting halfway down the visible proposals by votes;
    the detail page is the proposal that ends up with the most votes (30 comments, a timeline)."""
    from sqlalchemy import func, select

    from community.extensions import db
    from community.proposals.models import Proposal, ProposalTerm
    from community.util import encode_cursor

    with app.app_context():
        visible = Proposal.hidden_at.is_(None)
        total = db.session.scalar(select(func.count()).where(visible))
        depth = total // 2
        votes, pid = db.session.execute(select(Proposal.vote_count, Proposal.id).where(visible)
                                        .order_by(Proposal.vote_count.desc(), Proposal.id.desc())
                                        .offset(depth - 1).limit(1)).one()
        matches = db.session.scalar(select(func.count()).where(
            visible, Proposal.status == SEARCH["status"], Proposal.category == SEARCH["category"],
            Proposal.id.in_(select(ProposalTerm.proposal_id).where(ProposalTerm.term == SEARCH["q"]))))
    return {
        "trivial": "/healthz",
        "top": "/?sort=top",
        f"deep (page {depth // 20 + 1:,})": "/?" + urlencode({"sort": "top", "after": encode_cursor([votes, pid])}),
        "detail": f"/proposals/{detail_id}",
        f"search ({matches:,} hits)": "/?" + urlencode({"sort": "top", **SEARCH}),
    }


def check_page(port: int, path: str) -> str:
    """Fetch once: the page must answer 200; list pages must list proposals."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=30) as r:
        body = r.read().decode()
    if path.startswith("/?") and "list-group-item-action" not in body:
        raise SystemExit(f"{path} lists no proposals")
    return body


def measure(app, env: dict, args, run, detail_id: int) -> dict[str, tuple[str, Result]]:
    """Every target, ``rounds`` times round-robin; the best round (by req/s) per page is kept."""
    paths = targets(app, detail_id)
    best: dict[str, tuple[str, Result]] = {}
    with gunicorn(env, args.workers) as (port, cpu):
        for path in paths.values():
            check_page(port, path)
        for r in range(args.rounds):
            for label, path in paths.items():
                res = run("127.0.0.1", port, path, args.seconds, args.concurrency, warmup=1.0 if r == 0 else 0.5,
                          cpu=cpu)
                print(f"    round {r + 1} {label:<22} {res.rps:8.1f} req/s  p50 {res.p50_ms:6.1f} ms  "
                      f"p99 {res.p99_ms:6.1f} ms  CPU {_ms(res.cpu_ms)} ms/req  errors {res.errors}", flush=True)
                if label not in best or res.rps > best[label][1].rps:
                    best[label] = (path, res)
    return best


def _ms(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


def table(title: str, results: dict[str, tuple[str, Result]]) -> str:
    """req/s, latency and the ratio to /healthz; 'CPU ms' is gunicorn worker CPU per request and
    'CPU ratio' = trivial CPU / page CPU: the same ratio, far less disturbed by other load on the box."""
    base = results["trivial"][1]
    lines = [title, f"  {'page':<24}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ratio':>8}{'CPU ms':>9}{'CPU ratio':>11}"
                    f"{'errors':>8}  path"]
    for label, (path, res) in results.items():
        shown = path if len(path) < 60 else path[:57] + "..."
        cpu_ratio = base.cpu_ms / res.cpu_ms if base.cpu_ms and res.cpu_ms else None
        lines.append(f"  {label:<24}{res.rps:>9.1f}{res.p50_ms:>9.1f}{res.p99_ms:>9.1f}"
                     f"{res.rps / base.rps if base.rps else 0:>8.2f}{_ms(res.cpu_ms):>9}{_ms(cpu_ratio):>11}"
                     f"{res.errors:>8}  {shown}")
    return "\n".join(lines)


def invariants(app) -> str:
    from sqlalchemy import func, select

    from community.extensions import db
    from community.proposals.models import Comment, Proposal, Vote
    from community.proposals.service import recount_votes

    with app.app_context():
        mismatches = recount_votes(repair=False)
        votes = db.session.scalar(select(func.count()).select_from(Vote))
        stored = db.session.scalar(select(func.sum(Proposal.vote_count)))
        comments = db.session.scalar(select(func.count()).select_from(Comment))
        comment_sum = db.session.scalar(select(func.sum(Proposal.comment_count)))
    return (f"{votes:,} vote rows, sum(vote_count) {stored:,}, recount mismatches {len(mismatches)}; "
            f"{comments:,} comments, sum(comment_count) {comment_sum:,}")


def main(argv=None) -> int:
    args = parse_args(argv)
    quick = args.quick
    plan = Plan(proposals=args.proposals or (10_000 if quick else 100_000),
                votes=args.votes or (100_000 if quick else 1_000_000), voters=args.voters)
    args.seconds = args.seconds or (3.0 if quick else 8.0)
    args.rounds = args.rounds or (1 if quick else 2)
    OUT.mkdir(parents=True, exist_ok=True)
    run = pick_client(args.client)
    client = run.__name__.removeprefix("run_")
    timer = Timer()

    print(f"== Cocreate bench: {'SQLite' if args.sqlite else 'PostgreSQL'}, {plan.proposals:,} proposals, "
          f"{plan.votes:,} votes, {plan.voters:,} voters", flush=True)
    url = fresh_sqlite() if args.sqlite else fresh_postgres(args.pg, args.db_name)
    # Production refuses to start without Redis (jobs) and shared storage: the machine's Redis, a queue of
    # this run's own (no worker: nothing here should enqueue), and a scratch folder standing in for a mount.
    env = {**os.environ, "COCREATE_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
           "FLASK_APP": "wsgi.py", "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
           "JOBS_QUEUE": f"bench-{secrets.token_hex(4)}", "STORAGE_DIR": tempfile.mkdtemp(prefix="cocreate-bench-"),
           "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1")}
    env.pop("RATELIMIT_STORAGE_URI", None)
    os.environ.update({k: env[k] for k in ("COCREATE_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "JOBS_QUEUE",
                                           "STORAGE_DIR", "PUBLIC_BASE_URL")})
    with timer("migrations (flask db upgrade)"):
        subprocess.run([str(Path(sys.executable).with_name("flask")), "db", "upgrade"], cwd=REPO, env=env,
                       check=True, capture_output=True)
    from community import create_app

    app = create_app()
    with timer("generate rows"), app.app_context():
        data = generate(plan)
    loader = SqliteLoader(url.removeprefix("sqlite:///")) if args.sqlite else PostgresLoader(url)
    with timer(f"load users, proposals, terms, milestones, comments, {len(data.phase_a):,} votes"):
        load_base(loader, data)
    print("  check:", invariants(app), flush=True)

    small = f"{len(data.phase_a):,} votes"
    print(f"== measuring at {small} ({client}, {args.concurrency} connections, {args.seconds:g} s x "
          f"{args.rounds} round(s) per page)", flush=True)
    at_small = measure(app, env, args, run, data.detail_id)

    with timer(f"load {len(data.phase_b):,} more votes + recount"):
        load_phase_b(loader, data)
    loader.close()
    print("  check:", invariants(app), flush=True)
    big = f"{len(data.phase_a) + len(data.phase_b):,} votes"
    print(f"== measuring at {big}", flush=True)
    at_big = measure(app, env, args, run, data.detail_id)

    seeding = sum(timer.marks.values())
    print()
    print(f"Cocreate benchmark: {'SQLite' if args.sqlite else 'PostgreSQL'}, {plan.proposals:,} proposals, "
          f"{plan.voters + 1:,} users; gunicorn {args.workers} sync workers; client {client} x"
          f"{args.concurrency}, {args.seconds:g} s per page, best of {args.rounds} round(s).")
    print("Seeding: " + ", ".join(f"{k} {v:.1f} s" for k, v in timer.marks.items()) + f"; total {seeding:.1f} s")
    print("Search terms: titles only (bodies not indexed, for seeding speed).")
    print("Numbers are noisy: 2 shared cores, client and server on the same machine.\n")
    print(table(f"At {big} (ratio = page req/s / trivial req/s; target >= 0.5)", at_big))
    print()
    print(table(f"At {small} (same proposals, before the remaining votes)", at_small))
    print()
    print(f"List latency at {big} vs {small} (p50; target within 1.5x):")
    for label in at_big:
        if label == "trivial" or label.startswith("detail"):
            continue
        small_label = next(k for k in at_small if k.split(" ")[0] == label.split(" ")[0])
        a, b = at_small[small_label][1], at_big[label][1]
        cpu = f", server CPU {b.cpu_ms / a.cpu_ms:.2f}x" if a.cpu_ms and b.cpu_ms else ""
        print(f"  {label.split(' ')[0]:<8} {b.p50_ms:7.1f} ms vs {a.p50_ms:7.1f} ms = {b.p50_ms / a.p50_ms:5.2f}x   "
              f"(p99 {b.p99_ms / a.p99_ms:.2f}x{cpu})")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    dump = {"plan": asdict(plan), "backend": "sqlite" if args.sqlite else "postgresql", "seeding_s": timer.marks,
            "client": client, "concurrency": args.concurrency, "seconds": args.seconds,
            "at_big": {k: {"path": p, **asdict(r), "rps": r.rps} for k, (p, r) in at_big.items()},
            "at_small": {k: {"path": p, **asdict(r), "rps": r.rps} for k, (p, r) in at_small.items()}}
    (OUT / f"results-{stamp}.json").write_text(json.dumps(dump, indent=1, ensure_ascii=False))
    print(f"\n(results saved to bench/out/results-{stamp}.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
