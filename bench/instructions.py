"""Instructions per request in-process, counted by valgrind (callgrind): repeatable on a shared, noisy machine
where CPU seconds are not. Each path is requested N and N + 400 times in two runs under valgrind; the difference
in instructions over 400 is the figure (start-up, imports and warm-up cancel out).

    DATABASE_URL=sqlite:////abs/path/bench/out/bench.db REDIS_URL=redis://127.0.0.1:6379/0 \\
        python bench/instructions.py /proposals/1 ["/?sort=top" ...] [--user ID]
    python bench/instructions.py / --bare          # bench/bare.py, the baseline

Same app configuration as ``profile_wsgi.py`` (production, page cache and limiter in Redis, the request log on,
written to /dev/null). ``--user`` sends that user's session cookie (``run.session_cookie``). Needs valgrind
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
    import secrets
    import tempfile

    sys.path.insert(0, str(HERE.parent))
    sys.path.insert(0, str(HERE))
    from werkzeug.test import EnvironBuilder

    from community import create_app

    if bare:
        from bare import app
    else:
        app = create_app({
            "COCREATE_ENV": "production", "SECRET_KEY": secrets.token_hex(32),
            "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
            "CACHE_KEY_PREFIX": f"icount-{secrets.token_hex(3)}:", "API_RATE_LIMIT": "100000000 per minute",
            "PUBLIC_BASE_URL": "http://127.0.0.1:8000", "SESSION_COOKIE_SECURE": False,
            "STORAGE_DIR": tempfile.mkdtemp(prefix="cocreate-icount-")})
    for handler in logging.getLogger("community.request").handlers:
        handler.setStream(open(os.devnull, "w"))  # noqa: SIM115  (the line is built and written, as in production)
    headers = {}
    if user:
        from run import session_cookie

        headers.update(session_cookie(app, user)[0])

    def call(path: str) -> None:
        environ = EnvironBuilder(path=path, headers=headers, base_url="http://127.0.0.1:8000",
                                 environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_environ()
        body = app(environ, lambda *a: None)
        b"".join(body)
        getattr(body, "close", lambda: None)()

    for path in paths:
        for _ in range(30):  # warm: the first requests take the full path, store the page, learn the headers
            call(path)
        for _ in range(n):
            call(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
