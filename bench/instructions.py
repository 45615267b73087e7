"""Instructions per request in-process, counted by valgrind (callgrind): repeatable on a shared, noisy machine
where CPU seconds are not. Each path is requested N and N + 400 times in two runs under valgrind; the difference
in instructions over 400 is the figure (start-up, imports and warm-up cancel out).

    DATABASE_URL=sqlite:////abs/path/bench/out/bench.db REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/instructions.py /proposals/1 ["/?sort=top" ...] [--user ID]
    python bench/instructions.py / --bare          # bench/bare.py, the baseline

Same app as ``profile_wsgi.py`` (``production_app``: page cache and limiter in Redis), the request log on, written
to /dev/null. ``--user`` sends that user's session cookie (``run.session_cookie``). Needs valgrind
(Debian's package); each path takes about a minute.
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
    ap.add_argument("--loop", type=int, help=argparse.SUPPRESS)  # inside valgrind: run the requests
    args = ap.parse_args()
    if args.loop is not None:
        return loop(args.paths, args.loop, args.user, args.bare)
    for path in args.paths:
        counts = [count(path, n, args.user, args.bare) for n in (10, 10 + EXTRA)]
        print(f"{path}{' (user ' + str(args.user) + ')' if args.user else ''}: "
              f"{(counts[1] - counts[0]) / EXTRA:,.0f} instructions per request", flush=True)
    return 0


def count(path: str, n: int, user: int | None, bare: bool) -> int:
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable, __file__, path,
           "--loop", str(n)] + (["--user", str(user)] if user else []) + (["--bare"] if bare else [])
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stderr
    return int(re.search(r"Collected : (\d+)", out).group(1))


def loop(paths: list[str], n: int, user: int | None, bare: bool = False) -> int:
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
    for path in paths:
        for _ in range(30):  # warm: the first requests take the full path, store the page, learn the headers
            call(app, environ(path, headers))
        for _ in range(n):
            call(app, environ(path, headers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
