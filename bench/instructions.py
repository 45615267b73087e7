"""Instructions per request in-process, counted by valgrind (callgrind): repeatable on a shared, noisy machine
where CPU seconds are not. Each path is requested N and N + 400 times in two runs under valgrind; the difference
in instructions over 400 is the figure (start-up, imports and warm-up cancel out).

    DATABASE_URL=sqlite:////abs/path/bench/out/bench.db REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/instructions.py /proposals/1 ["/?sort=top" ...] [--user ID]
    python bench/instructions.py / --bare          # bench/bare.py, the baseline
    python bench/instructions.py web-vote --user ID   # a vote by that owner's session, on open proposals
    python bench/instructions.py api-vote --user ID [--per-token 4]   # by bearer token, a new one every 4 votes

Same app as ``profile_wsgi.py`` (``production_app``: page cache and limiter in Redis), the request log on, written
to /dev/null. ``--user`` sends that user's session cookie (``run.session_cookie``). Needs valgrind
(Debian's package); each path takes about a minute, a vote on PostgreSQL a few. Votes: both runs build the same
set-up (proposals, tokens, environs for N + 400 + 30 votes), so only the votes made differ.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXTRA = 400


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--user", type=int)
    ap.add_argument("--bare", action="store_true")
    ap.add_argument("--per-token", type=int, default=4)
    ap.add_argument("--loop", type=int, help=argparse.SUPPRESS)  # inside valgrind: run the requests
    args = ap.parse_args()
    if args.loop is not None:
        return loop(args.paths, args.loop, args.user, args.bare, args.per_token)
    for path in args.paths:
        counts = [count(path, n, args.user, args.bare, args.per_token) for n in (10, 10 + EXTRA)]
        print(f"{path}{' (user ' + str(args.user) + ')' if args.user else ''}: "
              f"{(counts[1] - counts[0]) / EXTRA:,.0f} instructions per request", flush=True)
    return 0


def count(path: str, n: int, user: int | None, bare: bool, per_token: int = 4) -> int:
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, path,
           "--loop", str(n), "--per-token", str(per_token)] + (["--user", str(user)] if user else []) + \
        (["--bare"] if bare else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def loop(paths: list[str], n: int, user: int | None, bare: bool = False, per_token: int = 4) -> int:
    import logging

    sys.path.insert(0, str(HERE))
    from profile_wsgi import call, environ, production_app

    if bare:
        from bare import app
    else:
        app = production_app(log=True)
    for handler in logging.getLogger("community.request").handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115  (the line is built and written, as in production)
    headers = {}
    if user:
        from run import session_cookie

        headers.update(session_cookie(app, user)[0])
    if paths[0] in ("web-vote", "api-vote"):
        return votes(app, paths[0], n, user, per_token)
    for path in paths:
        for _ in range(30):  # warm: the first requests take the full path, store the page, learn the headers
            call(app, environ(path, headers))
        for _ in range(n):
            call(app, environ(path, headers))
    return 0


def votes(app, kind: str, n: int, user: int, per_token: int) -> int:
    """30 warm-up votes, then ``n``, by ``user`` on open proposals; the set-up is the same whatever ``n``."""
    from urllib.parse import urlencode

    from profile_wsgi import bearer, call, environ, open_proposals

    total = 30 + 10 + EXTRA
    ids = open_proposals(app, user, total)
    if kind == "api-vote":
        tokens = [bearer(app, user) for _ in range(total // per_token + 1)]
        envs = [environ(f"/api/v1/proposals/{pid}/vote", {"Authorization": f"Bearer {tokens[i // per_token]}"},
                        "POST") for i, pid in enumerate(ids)]
    else:
        from run import session_cookie

        cookie, csrf = session_cookie(app, user)
        envs = [environ(f"/proposals/{pid}/vote", {**cookie, "Content-Type": "application/x-www-form-urlencoded"},
                        "POST", urlencode({"csrf_token": csrf})) for pid in ids]
    for env in envs[:30 + n]:
        call(app, env)
    return 0


if __name__ == "__main__":
    sys.exit(main())
