"""Worker CPU per request in-process: the WSGI app called directly (no HTTP, no test client), production
config with the page cache and rate limiter in Redis, on an existing database (e.g. the bench's kept one).

    DATABASE_URL=sqlite:////abs/path/bench/out/bench.db REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/profile_wsgi.py /api/v1/proposals [/api/v1/proposals/7 ...] [-n 2000] [--user ID]
        [--token ID] [--votes N --user ID | --token ID] [--profile [--sort cumtime] [--top 60]]

``--user`` sends a session cookie of that user, ``--token`` a new bearer token of that user (write scope).
``--votes N``: N votes (web form with --user, API with --token) on open proposals the voter has not voted
on; CPU per vote. Bare Flask in the same process is ~0.09 ms per request for comparison (``--bare``).
The request log line is off unless ``--log``; the API limit is lifted (one address sends thousands).
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import secrets
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from werkzeug.test import EnvironBuilder  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="*")
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--user", type=int)
    ap.add_argument("--token", type=int)
    ap.add_argument("--votes", type=int)
    ap.add_argument("--per-token", type=int, help="with --token: a new token every this many votes (the bench's "
                    "API votes: 4 per token, each token's first use records last_used_at)")
    ap.add_argument("--bare", action="store_true")
    ap.add_argument("--log", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--sort", default="tottime")
    ap.add_argument("--top", type=int, default=40)
    args = ap.parse_args()
    if args.bare:
        from bare import app  # noqa: PLC0415  (bench/bare.py)
        return report(app, ["/"], {}, args)
    app = production_app(log=args.log)
    headers, form = {}, None
    if args.user:
        from run import session_cookie  # noqa: PLC0415  (bench/run.py: the bench's own logged-in browser)

        cookie, csrf = session_cookie(app, args.user)
        headers.update(cookie)
        form = urlencode({"csrf_token": csrf})
    if args.token:
        headers["Authorization"] = f"Bearer {bearer(app, args.token)}"
    if args.votes:
        voter = args.token or args.user
        ids = open_proposals(app, voter, args.votes * (2 if args.profile else 1) + 20)
        api = bool(args.token)
        jobs = iter(ids)

        made = iter(range(10**9))

        def vote_env():
            pid = next(jobs)
            if api:
                if args.per_token and next(made) % args.per_token == 0:
                    headers["Authorization"] = f"Bearer {bearer(app, args.token)}"
                return environ(f"/api/v1/proposals/{pid}/vote", headers, "POST")
            return environ(f"/proposals/{pid}/vote", {**headers, "Content-Type": "application/x-www-form-urlencoded"},
                           "POST", form)
        return report(app, None, headers, args, make=vote_env, count=args.votes)
    return report(app, args.paths, headers, args)


def production_app(log: bool):
    """The app as production runs it (page cache and rate limiter in Redis, ``REDIS_URL``), on ``DATABASE_URL``,
    with a fresh cache key prefix, the API limit lifted, the request log line on (``log``) or off."""
    from community import create_app

    return create_app({
        "COCREATE_ENV": "production", "SECRET_KEY": secrets.token_hex(32), "METRICS_TOKEN": secrets.token_hex(32),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": f"prof-{secrets.token_hex(3)}:", "LOG_REQUESTS": "json" if log else "off",
        "API_RATE_LIMIT": "100000000 per minute", "PREFERRED_URL_SCHEME": "http",
        "PUBLIC_BASE_URL": "http://127.0.0.1:8000", "SESSION_COOKIE_SECURE": False,
        "STORAGE_DIR": tempfile.mkdtemp(prefix="cocreate-prof-")})


def environ(path, headers, method="GET", data=None):
    return EnvironBuilder(path=path, method=method, headers=headers, data=data,
                          base_url="http://127.0.0.1:8000",
                          environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()


def call(app, env):
    def start_response(status, _headers, _exc=None):
        call.status = status
    body = app(env, start_response)
    data = b"".join(body)
    getattr(body, "close", lambda: None)()
    return data


def report(app, paths, headers, args, make=None, count=None) -> int:
    for path in paths or [None]:
        def env(path=path):
            return make() if make else environ(path, headers)
        n = count or args.n
        warm = 20 if not make else 20
        for _ in range(warm):
            data = call(app, env())
        label = path or ("API vote" if args.token else "web vote")
        print(f"== {label}: {call.status}, {len(data):,} bytes")
        envs = [env() for _ in range(n)]  # built beforehand: not part of the figure
        per_batch = []  # 5 batches: on a shared machine the least disturbed one says most
        for batch in range(5):
            part = envs[batch * n // 5:(batch + 1) * n // 5]
            c0 = time.process_time()
            for e in part:
                call(app, e)
            per_batch.append((time.process_time() - c0) / len(part) * 1000)
        per_batch.sort()
        print(f"   {sum(per_batch) / 5:.3f} ms CPU per request over {n} (5 batches: best {per_batch[0]:.3f}, "
              f"median {per_batch[2]:.3f}; last {call.status})")
        if args.profile:
            envs = [env() for _ in range(n)]
            profiler = cProfile.Profile(time.process_time)  # CPU, not waits on Redis or the database
            profiler.enable()
            for e in envs:
                call(app, e)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
            print(out.getvalue())
    return 0


def bearer(app, user_id: int) -> str:
    from community.accounts.models import User
    from community.api.tokens import create_token
    from community.extensions import db

    with app.app_context():
        return create_token(db.session.get(User, user_id), "profile", "write", 1)[1]


def open_proposals(app, voter: int, n: int) -> list[int]:
    from sqlalchemy import select

    from community.extensions import db
    from community.proposals.models import OPEN_STATUSES, Proposal, Vote

    with app.app_context():
        voted = select(Vote.proposal_id).where(Vote.user_id == voter)
        return list(db.session.scalars(select(Proposal.id).where(
            Proposal.status.in_(OPEN_STATUSES), Proposal.hidden_at.is_(None), Proposal.id.not_in(voted))
            .order_by(Proposal.vote_count, Proposal.id).limit(n)))


if __name__ == "__main__":
    sys.exit(main())
