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

from load import USER_AGENT, Result, pick_client, run_jobs  # noqa: E402  (bench/ is the script's directory)
from seed import Plan, PostgresLoader, SqliteLoader, generate, load_base, load_phase_b  # noqa: E402

SEARCH = {"status": "under_review", "category": "charging", "q": "超充"}


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="10k proposals, 100k votes, shorter runs")
    ap.add_argument("--sqlite", action="store_true", help="SQLite only (default: SQLite, then PostgreSQL)")
    ap.add_argument("--postgres", action="store_true", help="PostgreSQL only")
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432",
                    help="PostgreSQL server (trust auth); the database is created fresh on it")
    ap.add_argument("--db-name", default="bench_cocreate")
    ap.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
                    help="Redis (production requires it: jobs, rate limits, the page cache with a random key "
                         "prefix per server)")
    ap.add_argument("--proposals", type=int)
    ap.add_argument("--votes", type=int)
    ap.add_argument("--voters", type=int, default=10_000)
    ap.add_argument("--seconds", type=float, help="measured seconds per page and round (default 3, quick 1.5)")
    ap.add_argument("--rounds", type=int, help="rounds over all pages, each page right after the bare app; the "
                                               "best round per page is kept (default 2)")
    ap.add_argument("--concurrency", type=int, default=4, help="client connections")
    ap.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    ap.add_argument("--client", choices=("auto", "python", "wrk"), default="auto")
    ap.add_argument("--seed-only", action="store_true", help="build the database(s) (all votes) and stop")
    ap.add_argument("--keep", action="store_true",
                    help="reuse the database a previous run or --seed-only left (SQLite bench/out/bench.db, "
                         "PostgreSQL --db-name) when it holds the plan's proposals: no seeding and no flatness "
                         "block (it needs the ~10k-vote state), only pages, votes and memory")
    ap.add_argument("--votes-only", action="store_true",
                    help="with --keep: no pages, the vote block --rounds times (each round's figures printed; the "
                         "table shows the median round per kind of vote)")
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


def kept_database(backend: str, args, plan: Plan) -> str | None:
    """The URL of the database ``--keep`` may reuse (it exists and holds ``plan.proposals`` proposals), or None."""
    from sqlalchemy import create_engine, text

    if backend == "SQLite":
        path = OUT / "bench.db"
        if not path.exists():
            return None
        url = f"sqlite:///{path}"
    else:
        url = f"{args.pg}/{args.db_name}"
    try:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        with engine.connect() as conn:
            count = conn.execute(text("SELECT count(*) FROM proposals")).scalar()
        engine.dispose()
    except Exception:  # noqa: BLE001  (no such database or table: seed afresh)
        return None
    return url if count == plan.proposals else None


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
def gunicorn(env: dict, workers: int, app: str = "wsgi:app"):
    """Serve ``app`` on a free port until the block ends; yields (port, worker CPU reader, master pid)."""
    port = free_port()
    log = open(OUT / "gunicorn.log", "a")  # noqa: SIM115  (closed below)
    health = "/healthz" if app == "wsgi:app" else "/"
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(REPO / "bench" / "gunicorn_hooks.py"),
                             "--workers", str(workers), "--worker-class", "sync", "--bind", f"127.0.0.1:{port}",
                             "--log-level", "warning", "--chdir", str(REPO if app == "wsgi:app" else REPO / "bench"),
                             app], cwd=REPO, env=env, stdout=log, stderr=log)
    try:
        deadline = time.time() + 120
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{health}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                if proc.poll() is not None or time.time() > deadline:
                    raise SystemExit(f"gunicorn did not start; see {OUT / 'gunicorn.log'}") from None
                time.sleep(0.3)
        yield port, worker_cpu(proc.pid), proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


def worker_rss_mb(master_pid: int) -> list[float]:
    """Resident memory of each gunicorn worker (MB, VmRSS from /proc)."""
    sizes = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(master_pid) and "VmRSS" in fields:
            sizes.append(int(fields["VmRSS"].split()[0]) / 1024)
    return sizes


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
        "top": "/?sort=top",
        "newest": "/?sort=newest",
        "updated": "/?sort=updated",
        "status filter": "/?sort=top&status=under_review",
        "category filter": "/?sort=top&category=charging",
        f"search ({matches:,} hits)": "/?" + urlencode({"sort": "top", **SEARCH}),
        f"deep (page {depth // 20 + 1:,})": "/?" + urlencode({"sort": "top", "after": encode_cursor([votes, pid])}),
        "detail": f"/proposals/{detail_id}",
        "timeline": "/timeline",
        "timeline.atom": "/timeline.atom",
        "announcements.atom": "/announcements.atom",
    }


LOGGED_IN = ("top", "deep", "detail", "timeline")  # label prefixes measured again with a session cookie


def session_cookie(app, user_id: int) -> tuple[dict, str]:
    """The headers of a browser logged in as ``user_id`` (its session cookie, as ``login_user`` leaves it for
    this client's address and User-Agent, signed with the server's key: no password round, scrypt would
    dominate) and the CSRF token its forms carry. Flask-Login's session protection marks a session whose
    identifier does not match as not fresh, which re-signs the cookie on every request: a real member's
    browser does not pay that, so neither does the bench."""
    from flask import session
    from flask_login import login_user
    from flask_wtf.csrf import generate_csrf

    from community.accounts.models import User
    from community.extensions import db

    headers = {"User-Agent": USER_AGENT}
    with app.test_request_context(headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"}):
        login_user(db.session.get(User, user_id))
        token = generate_csrf()
        cookie = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return {**headers, "Cookie": f"session={cookie}"}, token


def api_tokens(app, user_ids: list[int]) -> dict[int, str]:
    from community.accounts.models import User
    from community.api.tokens import create_token
    from community.extensions import db

    with app.app_context():
        out = {}
        for uid in user_ids:
            out[uid] = create_token(db.session.get(User, uid), "bench", "write", 1)[1]
        db.session.commit()
    return out


def open_proposals(app, n: int, voters: list[int]) -> list[int]:
    """``n`` open, visible proposals from the long tail that none of ``voters`` has voted on (the seed's votes
    and earlier runs' on a kept database: one of them was a 409 in the vote figures)."""
    from sqlalchemy import select

    from community.extensions import db
    from community.proposals.models import OPEN_STATUSES, Proposal, Vote

    with app.app_context():
        voted = select(Vote.proposal_id).where(Vote.user_id.in_(voters))
        return list(db.session.scalars(select(Proposal.id).where(
            Proposal.status.in_(OPEN_STATUSES), Proposal.hidden_at.is_(None), Proposal.id.not_in(voted))
            .order_by(Proposal.vote_count, Proposal.id).limit(n)))


def check_page(port: int, path: str, headers: dict | None = None) -> str:
    """Fetch once: the page must answer 200; list pages must list proposals."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    with urllib.request.urlopen(req, timeout=60) as r:
        body = r.read().decode()
    if path.startswith("/?") and "list-group-item-action" not in body:
        raise SystemExit(f"{path} lists no proposals")
    return body


def measure_uncached(env: dict, args, run, paths: dict[str, str]) -> dict[str, tuple[str, Result]]:
    """The pages with the page cache off (what a miss costs, and how it grows with the data), ``rounds`` times
    and at least 3; per page the round with the least CPU per request is kept (a single round swung a page's
    figure by +-30 % on 2 shared cores: the same deep page measured 0.54x at one run and 1.29x at the next)."""
    out: dict[str, tuple[str, Result]] = {}
    with gunicorn({**env, "PAGE_CACHE_ENABLED": "0"}, args.workers) as (port, cpu, _pid):
        for path in paths.values():
            check_page(port, path)
        for r in range(max(3, args.rounds)):
            for label, path in paths.items():
                res = run("127.0.0.1", port, path, args.seconds, args.concurrency, warmup=0.5, cpu=cpu)
                print(f"    round {r + 1} uncached {label:<24} {res.rps:8.1f} req/s  CPU {_ms(res.cpu_ms)} ms/req",
                      flush=True)
                if label not in out or (res.cpu_ms or 0) < (out[label][1].cpu_ms or 0):
                    out[label] = (path, res)
    return out


def measure(app, env: dict, args, run, detail_id: int) -> dict:
    """Every page right after the bare app (interleaved), ``rounds`` times; per page the round with the best
    ratio is kept. Then votes (web and API: CPU per vote; 50 voters at once: p99) and worker memory."""
    paths = targets(app, detail_id)
    pages = [(label, path, None) for label, path in paths.items()]
    cookie, csrf = session_cookie(app, 1)
    pages += [(f"{label} (logged in)", path, cookie) for label, path in paths.items()
              if label.split(" ")[0] in LOGGED_IN]
    pages += [("API list", "/api/v1/proposals", {"Accept": "application/json"}),
              ("API detail", f"/api/v1/proposals/{detail_id}", {"Accept": "application/json"})]
    if args.votes_only:
        pages = []
    best: dict[str, dict] = {}
    prefix = f"bench-{secrets.token_hex(4)}:"  # a new prefix per server: the data changed behind the app's back
    app_env = {**env, "CACHE_KEY_PREFIX": prefix, "BENCH_API_LIMIT": "100000000 per minute", "BENCH_ROUTER": "1"}
    with gunicorn(app_env, args.workers) as (port, cpu, master), \
            gunicorn(env, args.workers, app="bare:app") as (bare_port, bare_cpu, _bare):
        for _label, path, headers in pages:
            check_page(port, path, headers)
        for r in range(args.rounds):
            for label, path, headers in pages:
                warm = 0.5
                bare = run("127.0.0.1", bare_port, "/", args.seconds, args.concurrency, warmup=warm, cpu=bare_cpu)
                res = run("127.0.0.1", port, path, args.seconds, args.concurrency, warmup=warm, cpu=cpu,
                          headers=headers)
                ratio = res.rps / bare.rps if bare.rps else 0.0
                print(f"    round {r + 1} {label:<30} {res.rps:8.1f} req/s (bare {bare.rps:7.1f}) ratio {ratio:5.2f}  "
                      f"p99 {res.p99_ms:6.1f} ms  CPU {_ms(res.cpu_ms)} ms (bare {_ms(bare.cpu_ms)})  "
                      f"errors {res.errors}", flush=True)
                if label not in best or ratio > best[label]["ratio"]:
                    best[label] = {"path": path, "res": res, "bare": bare, "ratio": ratio}
        votes = measure_votes(app, port, cpu, cookie, csrf)
        if not pages:  # --votes-only: the median of the rounds, per kind of vote
            rounds = [votes] + [measure_votes(app, port, cpu, cookie, csrf) for _ in range(args.rounds - 1)]
            votes = {label: sorted((r[label] for r in rounds), key=lambda res: res.cpu_ms or 0)[len(rounds) // 2]
                     for label in votes}
        rss = worker_rss_mb(master)
    return {"pages": best, "votes": votes, "rss": rss}


def measure_votes(app, port: int, cpu, cookie: dict, csrf: str) -> dict:
    """Worker CPU per vote (web form and API, 2 clients) and latency with 50 owners voting at once."""
    voters = list(range(2, 52))
    ids = open_proposals(app, 1200, voters)
    sessions = {uid: session_cookie(app, uid) for uid in voters}
    tokens = api_tokens(app, voters)
    form = {"Content-Type": "application/x-www-form-urlencoded"}

    def web(uid, pid):
        headers, token = sessions[uid]
        return ("POST", f"/proposals/{pid}/vote", {**headers, **form}, urlencode({"csrf_token": token}))

    def api(uid, pid):
        return ("POST", f"/api/v1/proposals/{pid}/vote", {"Authorization": f"Bearer {tokens[uid]}"}, None)

    out = {}
    out["web vote"] = run_jobs("127.0.0.1", port, [web(voters[i % 50], ids[i]) for i in range(0, 200)], 2, cpu)
    out["API vote"] = run_jobs("127.0.0.1", port, [api(voters[i % 50], ids[i]) for i in range(200, 400)], 2, cpu)
    out["50 voters at once"] = run_jobs("127.0.0.1", port, [web(voters[i % 50], ids[400 + i]) for i in range(800)],
                                        50, cpu)
    for label, res in out.items():
        print(f"    {label:<20} {res.requests} ok, {res.errors} errors, CPU {_ms(res.cpu_ms)} ms/vote, "
              f"p50 {res.p50_ms:.1f} ms, p99 {res.p99_ms:.1f} ms", flush=True)
    return out


def _ms(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "n/a"


TARGETS = (("API", 0.4), ("(logged in)", 0.25), ("", 0.5))  # the floor per kind of page


def target_for(label: str) -> float:
    return next(t for key, t in TARGETS if key in label)


def table(title: str, best: dict) -> str:
    """Per page: req/s, the bare app's req/s in the same round, the ratio and its target; worker CPU per request
    of both (CPU ratio = bare CPU / page CPU: the same comparison, less disturbed by other load on the box)."""
    lines = [title, f"  {'page':<32}{'req/s':>8}{'bare':>8}{'ratio':>7}{'target':>8}  {'met':<4}{'p99 ms':>8}"
                    f"{'CPU ms':>8}{'bare':>6}{'CPU ratio':>10}{'err':>5}"]
    for label, row in best.items():
        res, bare, ratio = row["res"], row["bare"], row["ratio"]
        target = target_for(label)
        cpu_ratio = bare.cpu_ms / res.cpu_ms if bare.cpu_ms and res.cpu_ms else None
        lines.append(f"  {label:<32}{res.rps:>8.0f}{bare.rps:>8.0f}{ratio:>7.2f}{target:>8.2f}  "
                     f"{'yes' if ratio >= target else 'NO':<4}{res.p99_ms:>8.1f}{_ms(res.cpu_ms):>8}"
                     f"{_ms(bare.cpu_ms):>6}{_ms(cpu_ratio):>10}{res.errors:>5}")
    return "\n".join(lines)


def votes_table(votes: dict, rss: list[float]) -> str:
    lines = ["Votes (each a new vote by a logged-in owner on an open proposal; CPU = gunicorn workers' CPU per vote)"]
    for label, res in votes.items():
        if label == "50 voters at once":
            lines.append(f"  {label:<20} {res.requests} votes, {res.errors} errors: p50 {res.p50_ms:.0f} ms, "
                         f"p99 {res.p99_ms:.0f} ms, CPU {_ms(res.cpu_ms)} ms/vote")
        else:
            met = "yes" if res.cpu_ms is not None and res.cpu_ms <= 5 else "NO"
            lines.append(f"  {label:<20} CPU {_ms(res.cpu_ms)} ms/vote (target <= 5 ms: {met}); p50 {res.p50_ms:.1f} ms"
                         f"; {res.errors} errors in {res.requests + res.errors}")
    worst = max(rss) if rss else 0
    lines.append(f"Worker RSS with the feedback router loaded: {', '.join(f'{r:.0f}' for r in rss)} MB "
                 f"(target < 250 MB: {'yes' if rss and worst < 250 else 'NO'})")
    return "\n".join(lines)


def flatness_table(small: dict, big: dict, small_label: str, big_label: str) -> str:
    lines = [f"Cost at {big_label} vs {small_label}, page cache off (target within 1.2x; CPU per request is the "
             "steadier figure)"]
    for label, (_path, b) in big.items():
        key = label.split(" ")[0]
        a = next(r for k, (_p, r) in small.items() if k.split(" ")[0] == key)
        cpu = b.cpu_ms / a.cpu_ms if a.cpu_ms and b.cpu_ms else None
        p50 = b.p50_ms / a.p50_ms if a.p50_ms else None
        met = "yes" if cpu is not None and cpu <= 1.2 else "NO"
        lines.append(f"  {key:<10} CPU {_ms(b.cpu_ms)} vs {_ms(a.cpu_ms)} ms = {_ms(cpu)}x ({met}); "
                     f"p50 {b.p50_ms:.1f} vs {a.p50_ms:.1f} ms = {_ms(p50)}x")
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


def bench_backend(args, backend: str, plan: Plan, run, client: str) -> dict:
    timer = Timer()
    print(f"== Cocreate bench: {backend}, {plan.proposals:,} proposals, {plan.votes:,} votes, {plan.voters:,} voters",
          flush=True)
    kept = kept_database(backend, args, plan) if args.keep else None
    url = kept or (fresh_sqlite() if backend == "SQLite" else fresh_postgres(args.pg, args.db_name))
    # Production refuses to start without Redis (jobs, rate limits, the page cache) and shared storage: the
    # machine's Redis, a queue of this run's own (no worker: nothing here should enqueue), a scratch folder.
    env = {**os.environ, "COCREATE_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "DATABASE_URL": url,
           "FLASK_APP": "wsgi.py", "ROUTER_MODELS_DIR": str(OUT / "models"), "REDIS_URL": args.redis,
           "JOBS_QUEUE": f"bench-{secrets.token_hex(4)}", "STORAGE_DIR": tempfile.mkdtemp(prefix="cocreate-bench-"),
           "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1")}
    env.pop("RATELIMIT_STORAGE_URI", None)
    os.environ.update({k: env[k] for k in ("COCREATE_ENV", "SECRET_KEY", "DATABASE_URL", "ROUTER_MODELS_DIR",
                                           "REDIS_URL", "JOBS_QUEUE", "STORAGE_DIR", "PUBLIC_BASE_URL")})
    flask = str(Path(sys.executable).with_name("flask"))
    with timer("migrations (flask db upgrade)"):
        subprocess.run([flask, "db", "upgrade"], cwd=REPO, env=env, check=True, capture_output=True)
    with timer("feedback router (train once into bench/out/models, else activate)"):
        models = OUT / "models"
        versions = sorted(p.name for p in models.iterdir() if (p / "model.joblib").exists()) if models.exists() else []
        cmd = ["routing", "activate", versions[-1]] if versions else ["routing", "train"]
        subprocess.run([flask, *cmd], cwd=REPO, env=env, check=True, capture_output=True)
    from community import create_app

    app = create_app()
    if kept:
        return measure_kept(args, backend, plan, run, client, app, env, timer)
    with timer("generate rows"), app.app_context():
        data = generate(plan)
    loader = SqliteLoader(url.removeprefix("sqlite:///")) if backend == "SQLite" else PostgresLoader(url)
    with timer(f"load users, proposals, terms, milestones, comments, {len(data.phase_a):,} votes"):
        load_base(loader, data)
    print("  check:", invariants(app), flush=True)
    flat_paths = {k: v for k, v in targets(app, data.detail_id).items() if k.split(" ")[0] in
                  ("top", "deep", "detail", "search")}
    small = f"{len(data.phase_a):,} votes"
    print(f"== {backend}: page cache off, at {small}", flush=True)
    flat_small = measure_uncached(env, args, run, flat_paths) if not args.seed_only else {}
    with timer(f"load {len(data.phase_b):,} more votes + recount"):
        load_phase_b(loader, data)
    loader.close()
    print("  check:", invariants(app), flush=True)
    big = f"{len(data.phase_a) + len(data.phase_b):,} votes"
    if args.seed_only:
        return {"backend": backend, "plan": asdict(plan), "seeding_s": timer.marks, "report": f"{backend}: seeded"}
    print(f"== {backend}: page cache off, at {big}", flush=True)
    flat_big = measure_uncached(env, args, run, {k: v for k, v in targets(app, data.detail_id).items()
                                                 if k.split(" ")[0] in ("top", "deep", "detail", "search")})
    print(f"== {backend}: at {big}, every page interleaved with the bare app ({client}, {args.concurrency} "
          f"connections, {args.seconds:g} s x {args.rounds} rounds)", flush=True)
    main_run = measure(app, env, args, run, data.detail_id)
    report = "\n\n".join([
        f"{backend}, {plan.proposals:,} proposals, {big}, {plan.voters + 1:,} users; page cache in Redis; gunicorn "
        f"{args.workers} sync workers for the app and for the bare "
        f"Flask app; client {client} x{args.concurrency}, {args.seconds:g} s per page and round, best of "
        f"{args.rounds} rounds. Seeding: " + ", ".join(f"{k} {v:.0f} s" for k, v in timer.marks.items()),
        table(f"Pages at {big} (ratio = page req/s / bare Flask req/s measured just before it)", main_run["pages"]),
        votes_table(main_run["votes"], main_run["rss"]),
        flatness_table(flat_small, flat_big, small, big)])
    dump = {"backend": backend, "plan": asdict(plan), "seeding_s": timer.marks, "report": report,
            "pages": {k: {"path": v["path"], "ratio": v["ratio"], "res": asdict(v["res"]), "bare": asdict(v["bare"])}
                      for k, v in main_run["pages"].items()},
            "votes": {k: asdict(v) for k, v in main_run["votes"].items()}, "rss_mb": main_run["rss"],
            "flat_small": {k: asdict(r) for k, (_p, r) in flat_small.items()},
            "flat_big": {k: asdict(r) for k, (_p, r) in flat_big.items()}}
    return dump


def measure_kept(args, backend: str, plan: Plan, run, client: str, app, env: dict, timer) -> dict:
    """``--keep``: the pages, votes and memory on the database a previous run left (its votes from earlier
    runs' vote blocks included); the detail page is the most-voted visible proposal."""
    from sqlalchemy import select

    from community.extensions import db
    from community.proposals.models import Proposal

    print(f"== {backend}: reusing the kept database", flush=True)
    print("  check:", invariants(app), flush=True)
    with app.app_context():
        detail_id = db.session.scalar(select(Proposal.id).where(Proposal.hidden_at.is_(None))
                                      .order_by(Proposal.vote_count.desc(), Proposal.id).limit(1))
    print(f"== {backend}: every page interleaved with the bare app ({client}, {args.concurrency} connections, "
          f"{args.seconds:g} s x {args.rounds} rounds)", flush=True)
    main_run = measure(app, env, args, run, detail_id)
    report = "\n\n".join([
        f"{backend}, {plan.proposals:,} proposals (kept database, ~{plan.votes:,} votes); page cache in Redis; "
        f"gunicorn {args.workers} sync workers for the app and for the bare Flask app; client {client} "
        f"x{args.concurrency}, {args.seconds:g} s per page and round, best of {args.rounds} rounds. "
        "Flatness not measured (--keep)",
        table("Pages (ratio = page req/s / bare Flask req/s measured just before it)", main_run["pages"]),
        votes_table(main_run["votes"], main_run["rss"])])
    return {"backend": backend, "plan": asdict(plan), "seeding_s": timer.marks, "report": report,
            "pages": {k: {"path": v["path"], "ratio": v["ratio"], "res": asdict(v["res"]), "bare": asdict(v["bare"])}
                      for k, v in main_run["pages"].items()},
            "votes": {k: asdict(v) for k, v in main_run["votes"].items()}, "rss_mb": main_run["rss"]}


def main(argv=None) -> int:
    args = parse_args(argv)
    quick = args.quick
    plan = Plan(proposals=args.proposals or (10_000 if quick else 100_000),
                votes=args.votes or (100_000 if quick else 1_000_000), voters=args.voters)
    args.seconds = args.seconds or (1.5 if quick else 3.0)
    args.rounds = args.rounds or 2
    OUT.mkdir(parents=True, exist_ok=True)
    run = pick_client(args.client)
    client = run.__name__.removeprefix("run_")
    backends = ["SQLite"] if args.sqlite else ["PostgreSQL"] if args.postgres else ["SQLite", "PostgreSQL"]
    dumps = [bench_backend(args, backend, plan, run, client) for backend in backends]
    print("\nNumbers are noisy (2 shared cores, client and servers on one machine): compare ratios, not req/s.\n")
    for d in dumps:
        print(d["report"], end="\n\n")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"results-{stamp}.json").write_text(json.dumps(dumps, indent=1, ensure_ascii=False))
    print(f"(results saved to bench/out/results-{stamp}.json)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
