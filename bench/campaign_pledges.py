"""Crowdfunding under load (PostgreSQL): many owners pledging at once against a cap, then the operators' reads.

    python bench/campaign_pledges.py [--owners 3000] [--threads 32] [--cap 2000]

Creates the database ``bench_campaigns`` fresh (the real migrations), bulk-inserts verified owners with
eligible cars, opens one campaign and lets ``--threads`` sessions pledge for every owner as fast as they
can through ``pledges.pledge`` (the conditional UPDATE serialises them on the campaign row). Prints
throughput, latency percentiles, accepted/refused counts (accepted must equal the cap), and how long
the dashboard figures and the full CSV export take at that size. Prints figures, not pass/fail.
"""
from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import create_engine, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from community import create_app  # noqa: E402
from community.extensions import db  # noqa: E402


def fresh_database(server: str, name: str) -> str:
    engine = create_engine(f"{server.replace('postgresql://', 'postgresql+psycopg://')}/postgres",
                           isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return f"{server}/{name}"


def seed(owners: int):
    """Bulk-insert ``owners`` verified owners with eligible 2024 cars; returns [(user_id, vehicle_id)]."""
    from community.accounts.models import User, Vehicle
    from community.dbtypes import utcnow

    now = utcnow()
    users = db.session.execute(insert(User).returning(User.id), [
        {"email": f"bench{i}@example.com", "display_name": f"Bench {i}", "password_hash": "x",
         "session_token": secrets.token_hex(16), "created_at": now, "is_blocked": False} for i in range(owners)]
    ).scalars().all()
    vehicles = db.session.execute(insert(Vehicle).returning(Vehicle.id, Vehicle.owner_id), [
        {"owner_id": uid, "model": ("001", "009")[i % 2], "model_year": 2024, "hardware": ["adas_gen1", "lidar"],
         "vin_hash": secrets.token_hex(32), "vin_prefix": "LZ", "vin_last4": f"{i % 10000:04d}",
         "status": "verified", "created_at": now} for i, uid in enumerate(users)]).all()
    db.session.commit()
    return [(owner_id, vid) for vid, owner_id in vehicles]


def open_campaign(cap: int):
    from community.accounts import service as accounts
    from community.campaigns import service
    from community.dbtypes import utcnow
    from community.proposals import service as proposals

    mod = accounts.register("bench-mod@example.com", "Bench moderator", "bench-password-1", ("moderator",))
    p = proposals.create_proposal(mod, "Bench upgrade", "Bench", "assisted_driving")
    proposals.change_status(p, "under_review", mod, note_en="bench")
    proposals.change_status(p, "accepted", mod, note_en="bench")
    now = utcnow()
    data = service.CampaignInput(title_en="Bench", price_cny=Decimal("12800.00"), target=cap // 2, cap=cap,
                                 opens_at=now - timedelta(hours=1), closes_at=now + timedelta(days=1),
                                 models=["001", "009"], model_years=[2024], hardware_required=["lidar"],
                                 hardware_excluded=["adas_latest"])
    return service.create_campaign(mod, p, data, publish=True).id


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    ap.add_argument("--db-name", default="bench_campaigns")
    ap.add_argument("--owners", type=int, default=3000)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--cap", type=int, default=2000)
    args = ap.parse_args()

    url = fresh_database(args.pg, args.db_name)
    os.environ.pop("DATABASE_URL", None)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "COCREATE_ENV": "testing",
                      "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": args.threads + 2, "max_overflow": 0}})
    from flask_migrate import upgrade

    from community.accounts.models import User
    from community.campaigns import pledges, reports
    from community.campaigns.models import Campaign
    from community.errors import Conflict

    with app.app_context():
        upgrade()
        jobs = seed(args.owners)
        campaign_id = open_campaign(args.cap)
    lock = threading.Lock()
    latencies, refused, crashed = [], [], []

    def worker():
        with app.app_context():
            while True:
                with lock:
                    if not jobs:
                        return
                    user_id, vehicle_id = jobs.pop()
                user, campaign = db.session.get(User, user_id), db.session.get(Campaign, campaign_id)
                start = time.perf_counter()
                try:
                    pledges.pledge(user, campaign, vehicle_id)
                except Conflict:
                    refused.append(1)
                except Exception as exc:  # noqa: BLE001 - counted and shown
                    crashed.append(repr(exc))
                latencies.append(time.perf_counter() - start)
                db.session.remove()

    threads = [threading.Thread(target=worker) for _ in range(args.threads)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    with app.app_context():
        c = db.session.get(Campaign, campaign_id)
        print(f"{args.owners} owners, {args.threads} threads, cap {args.cap}: {elapsed:.2f} s, "
              f"{args.owners / elapsed:.0f} attempts/s")
        print(f"  accepted {c.pledge_count} (cap {args.cap}), refused {len(refused)}, crashed {len(crashed)} "
              f"{crashed[:3] if crashed else ''}")
        print(f"  latency ms: p50 {1000 * statistics.median(latencies):.1f}, p95 {1000 * pct(latencies, .95):.1f}, "
              f"max {1000 * max(latencies):.1f}")
        for name, fn in (("daily()", lambda: reports.daily(c)), ("by_model()", lambda: reports.by_model(c)),
                         ("csv export", lambda: sum(1 for _ in reports.csv_lines(c)))):
            t0 = time.perf_counter()
            result = fn()
            print(f"  {name}: {1000 * (time.perf_counter() - t0):.1f} ms"
                  f"{f' ({result} lines)' if isinstance(result, int) else ''}")
        db.engine.dispose()


if __name__ == "__main__":
    main()
