"""Profile pages in-process against an existing database (e.g. the one bench/run.py left behind).

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_cocreate \\
        python bench/profile_pages.py "/?sort=top" /proposals/1 [--repeat 50] [--profile] \\
        [--fresh] [--user ID] [--redis redis://127.0.0.1:6379/0]

Prints, per path, the SQL statements one request runs (to spot N+1 queries) and the mean time per
request; with ``--profile`` also a pyinstrument call tree (pyinstrument is a dev tool: pip install it
into the venv, it is deliberately not in requirements). ``--fresh`` sends every request without cookies,
as the bench's anonymous client does (a first-time visitor each time); ``--user`` logs that user in;
``--redis`` keeps the page cache in Redis (a fresh key prefix), as production does.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from community import create_app  # noqa: E402
from community.extensions import db  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("paths", nargs="+")
    ap.add_argument("--repeat", type=int, default=50)
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--fresh", action="store_true", help="no cookies: every request a first-time visitor")
    ap.add_argument("--user", type=int, help="log this user id in (a session cookie)")
    ap.add_argument("--redis", help="page cache in this Redis (production's backend), under a fresh prefix")
    args = ap.parse_args()
    overrides = {"SECRET_KEY": "profile", "LOG_REQUESTS": "off"}
    if args.redis:
        import secrets

        overrides.update(REDIS_URL=args.redis, CACHE_KEY_PREFIX=f"profile-{secrets.token_hex(4)}:")
    app = create_app(overrides)
    client = app.test_client(use_cookies=not args.fresh)
    if args.user:
        with client.session_transaction() as sess, app.app_context():
            from community.accounts.models import User

            sess["_user_id"] = db.session.get(User, args.user).get_id()
            sess["_fresh"] = True
    statements: list[str] = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute",
                     lambda conn, cur, sql, params, ctx, many: statements.append(sql))
    for path in args.paths:
        client.get(path)  # warm caches (templates, translations, connection pool)
        statements.clear()
        resp = client.get(path)
        print(f"== {path}: HTTP {resp.status_code}, {len(resp.data):,} bytes, {len(statements)} SQL statements")
        for sql in statements:
            print("   ", " ".join(sql.split())[:160])
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(args.repeat):
            client.get(path)
        wall, cpu = ((time.perf_counter() - t0) / args.repeat * 1000, (time.process_time() - c0) / args.repeat * 1000)
        print(f"   {wall:.2f} ms wall, {cpu:.2f} ms CPU per request (in-process, no HTTP; CPU is steadier)")
        if args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            with profiler:
                for _ in range(args.repeat):
                    client.get(path)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
