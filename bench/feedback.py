"""Feedback at realistic size: how long the public scorecard and the agents' queues take.

    python bench/feedback.py                 # 100k items over 90 days in a fresh SQLite file
    python bench/feedback.py --items 20000 --database postgresql://postgres@127.0.0.1:5432/bench_feedback

Creates the schema with the real migrations (the database must be empty or absent), bulk-inserts items
spread over 90 days and the nine teams (most answered, some late, a few in triage), then times
``scorecard.team_cards`` (what /pledge computes), one team's queue page and the triage queue page.
Prints figures; exits 0 whatever they are.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def _rows(n: int, team_ids: list[int], now, rng: random.Random) -> list[dict]:
    rows = []
    for _ in range(n):
        created = now - timedelta(hours=rng.uniform(0, 90 * 24))
        team = None if rng.random() < 0.03 else rng.choice(team_ids)
        first_due, resolution_due = created + timedelta(hours=24), created + timedelta(hours=120)
        answered = created + timedelta(hours=rng.uniform(0.2, 30)) if rng.random() < 0.95 else None
        answered = answered if answered and answered < now else None
        resolved = answered + timedelta(hours=rng.uniform(1, 150)) if answered and rng.random() < 0.8 else None
        resolved = resolved if resolved and resolved < now else None
        status = "resolved" if resolved else "acknowledged" if answered else "new"
        nxt = None if resolved else resolution_due if answered else first_due
        rows.append({"author_id": None, "contact": "13800000000", "text": "CarPlay 连接断开", "channel": "app",
                     "status": status, "team_id": team, "created_at": created, "updated_at": created,
                     "first_response_due_at": first_due, "resolution_due_at": resolution_due, "next_due_at": nxt,
                     "first_responded_at": answered, "resolved_at": resolved})
    return rows


def _time(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--database", default=f"sqlite:///{REPO / 'bench' / 'out' / 'feedback.db'}")
    args = parser.parse_args()
    if args.database.startswith("sqlite:///"):
        path = Path(args.database.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)

    from flask_migrate import upgrade
    from sqlalchemy import insert

    from community import create_app
    from community.dbtypes import utcnow
    from community.extensions import db
    from community.feedback import scorecard, service
    from community.feedback.models import FeedbackItem
    from community.pledge import service as pledge

    app = create_app({"SQLALCHEMY_DATABASE_URI": args.database, "COCREATE_ENV": "testing"})
    with app.app_context():
        upgrade()
        teams = pledge.ensure_teams()
        now = utcnow()
        rows = _rows(args.items, [t.id for t in teams], now, random.Random(7))
        started = time.perf_counter()
        for i in range(0, len(rows), 5000):
            db.session.execute(insert(FeedbackItem), rows[i:i + 5000])
        db.session.commit()
        print(f"{args.items} items inserted in {time.perf_counter() - started:.1f} s ({db.engine.dialect.name})")
        ids = [t.id for t in teams]
        print(f"scorecard.team_cards, 9 teams, 30+90 days: {_time(lambda: scorecard.team_cards(ids)):.0f} ms")
        busiest = teams[0]
        print(f"team queue, first page of 50:            {_time(lambda: service.team_queue(busiest)):.1f} ms")
        page = service.team_queue(busiest)
        print(f"team queue, second page (keyset):        "
              f"{_time(lambda: service.team_queue(busiest, after=page.next_cursor)):.1f} ms")
        print(f"triage queue, first page of 50:          {_time(service.triage_queue):.1f} ms")


if __name__ == "__main__":
    main()
