"""Benchmark data: a generated community, bulk-loaded into a database already at Alembic head.

Shape (defaults of ``Plan``): ~10k owners with a verified vehicle each, 100k proposals in Chinese and
English, 1M votes skewed Zipf-like (a few proposals hold thousands of votes, the long tail a handful),
status-change milestones along each proposal's path, comments on the popular proposals.

Invariants the app relies on are kept by construction: ``vote_count`` is set from the rows inserted
(and recounted set-based after phase B), (proposal_id, user_id) is unique (voters are sampled without
replacement per proposal; the unique constraint from the migration still checks it), ``comment_count``
equals the comment rows, search terms come from ``community.search.terms``. For seeding speed only
titles are indexed for search, not bodies.

Votes load in two phases so the same server can be measured at ~10k votes and at the full 1M:
``phase_a`` goes in with everything else, ``phase_b`` afterwards, followed by a set-based recount.
"""
from __future__ import annotations

import json
import random
import secrets
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from community.accounts.identity import identity_key
from community.accounts.models import User
from community.accounts.vehicles import vin_hash, with_check_digit
from community.demo import EN_BODY, EN_TOPICS, STATUS_WEIGHTS, ZH_BODY, ZH_TOPICS, _status_note
from community.proposals.models import CATEGORIES
from community.search import terms
from community.text import render_markdown

PATH = ["submitted", "under_review", "accepted", "in_progress", "delivered"]
MODELS = ["001", "001", "009", "007", "7X", "X", "MIX"]
ZH_CITIES = ["北京", "上海", "深圳", "杭州", "成都", "广州", "武汉", "西安", "南京", "重庆"]
EN_CITIES = ["Beijing", "Shanghai", "Shenzhen", "Hangzhou", "Chengdu", "Guangzhou", "Wuhan", "Nanjing"]
ZH_SUFFIX = ["", "", "（{model} 车主）", "，希望尽快", "——{city}车友建议", "，{model} 也需要"]
EN_SUFFIX = ["", "", " ({model} owners)", ", please", " in {city}", " for the {model}"]
COMMENTS = ["+1，非常需要。", "同意，**强烈支持**。", "我们车友会也在讨论这个。", "Agree, this matters for daily use.",
            "Would pay for this as an upgrade.", "希望官方给个时间表：\n\n- 什么时候评审\n- 什么时候交付"]
PASSWORD = "bench-password-not-for-login"


@dataclass
class Plan:
    proposals: int = 100_000
    votes: int = 1_000_000
    voters: int = 10_000
    phase_a_votes: int = 10_000
    zipf_s: float = 0.8  # weight of the proposal ranked r is r**-s: ~40% of votes land on the top 1%
    hidden_share: float = 0.005
    seed: int = 2026


@dataclass
class Dataset:
    """Rows per table as tuples in the column order of ``COLUMNS``; datetimes naive UTC."""

    tables: dict[str, list[tuple]] = field(default_factory=dict)
    phase_a: list[tuple] = field(default_factory=list)
    phase_b: list[tuple] = field(default_factory=list)
    detail_id: int = 0  # the most-voted proposal, with comments and a timeline


COLUMNS = {
    "users": ("id", "email", "display_name", "email_skeleton", "name_skeleton", "password_hash", "is_blocked",
              "session_token", "created_at"),
    "user_roles": ("user_id", "role", "granted_at"),
    "vehicles": ("id", "owner_id", "model", "model_year", "hardware", "vin_hash", "vin_prefix", "vin_last4",
                 "status", "reviewed_by_id", "reviewed_at", "created_at"),
    "proposals": ("id", "title", "body", "body_html", "category", "status", "author_id", "vote_count",
                  "comment_count", "created_at", "updated_at", "hidden_at"),
    "proposal_terms": ("term", "proposal_id"),
    "milestones": ("proposal_id", "kind", "occurred_at", "recorded_at", "text_zh", "text_en", "status_from",
                   "status_to", "actor_id"),
    "comments": ("proposal_id", "author_id", "body", "body_html", "created_at"),
    "votes": ("proposal_id", "user_id", "created_at"),
}
# Tables whose ids we assign ourselves; their sequences are moved past the max afterwards (PostgreSQL).
EXPLICIT_IDS = ("users", "vehicles", "proposals")


def _vote_counts(plan: Plan, rng: random.Random) -> list[int]:
    """Votes per proposal: Zipf-like over a shuffled rank, capped at the number of voters, summing to plan.votes."""
    ranks = list(range(1, plan.proposals + 1))
    rng.shuffle(ranks)
    weights = [r ** -plan.zipf_s for r in ranks]
    total_w = sum(weights)
    counts = [min(plan.voters, int(plan.votes * w / total_w)) for w in weights]
    short = plan.votes - sum(counts)
    if short > plan.proposals * plan.voters - sum(counts):
        raise ValueError("more votes than proposals x voters")
    while short > 0:
        i = rng.randrange(plan.proposals)
        if counts[i] < plan.voters:
            counts[i] += 1
            short -= 1
    return counts


def generate(plan: Plan, now: datetime | None = None) -> Dataset:
    """Build every row in memory (needs an app context: VIN hashes use the app's key); ~450 MB at 1M votes."""
    rng = random.Random(plan.seed)
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    data = Dataset()
    start = now - timedelta(days=730)
    hashed = User(email="x", display_name="x", session_token="x")
    hashed.set_password(PASSWORD)  # scrypt once; every bench user shares the hash (nobody logs in)

    users, vehicles = [], []
    moderator_id = plan.voters + 1
    for uid in range(1, plan.voters + 1):
        name = f"车主 {uid}" if uid % 3 else f"Owner {uid}"
        joined = start + timedelta(seconds=rng.random() * 86400 * 60)
        email = f"bench{uid}@bench.example"
        users.append((uid, email, name, identity_key(email), identity_key(name), hashed.password_hash, False,
                      secrets.token_hex(16), joined))
        vin = with_check_digit(f"LB5B3NCH0R{uid:07d}")
        model = rng.choice(MODELS)
        hardware = json.dumps(sorted({"lidar", rng.choice(["adas_gen1", "adas_latest"])}))
        vehicles.append((uid, uid, model, rng.choice([2022, 2023, 2024, 2025]), hardware, vin_hash(vin), vin[:2],
                         vin[-4:], "verified", moderator_id, joined + timedelta(days=1), joined))
    users.append((moderator_id, "moderator@bench.example", "运营 Bench", identity_key("moderator@bench.example"),
                  identity_key("运营 Bench"), hashed.password_hash, False, secrets.token_hex(16), start))
    data.tables["users"] = users
    data.tables["user_roles"] = [(moderator_id, "moderator", start)]
    data.tables["vehicles"] = vehicles

    counts = _vote_counts(plan, rng)
    data.detail_id = max(range(plan.proposals), key=counts.__getitem__) + 1
    cats = list(CATEGORIES)
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    html_cache: dict[str, str] = {}
    terms_cache: dict[str, list[str]] = {}
    proposals, term_rows, milestones, comments, votes = [], [], [], [], []
    span = (now - start).total_seconds()
    for pid in range(1, plan.proposals + 1):
        cat = cats[pid % len(cats)]
        model = rng.choice(MODELS)
        if pid % 3 == 2:
            topic = rng.choice(EN_TOPICS[cat])
            title = topic + rng.choice(EN_SUFFIX).format(model=model, city=rng.choice(EN_CITIES))
            body = EN_BODY.format(model=model, topic=topic)
        else:
            topic = rng.choice(ZH_TOPICS[cat])
            title = topic + rng.choice(ZH_SUFFIX).format(model=model, city=rng.choice(ZH_CITIES))
            body = ZH_BODY.format(model=model, topic=topic)
        if body not in html_cache:
            html_cache[body] = render_markdown(body)
        if title not in terms_cache:
            terms_cache[title] = sorted(terms(title))
        term_rows.extend((t, pid) for t in terms_cache[title])
        created = start + timedelta(seconds=rng.random() * span * 0.97)
        status = "in_progress" if pid == data.detail_id else rng.choices(statuses, weights)[0]
        hidden = created + timedelta(days=1) if pid != data.detail_id and rng.random() < plan.hidden_share else None
        at = created
        path = PATH[:PATH.index(status) + 1] if status in PATH else ["submitted", "under_review", "declined"]
        for before, after in zip(path, path[1:], strict=False):
            at = min(now, at + timedelta(days=rng.randint(3, 30)))
            zh, en = _status_note(after)
            milestones.append((pid, "status_change", at, at, zh, en, before, after, moderator_id))
        n_comments = 30 if pid == data.detail_id else (rng.randint(1, 12) if counts[pid - 1] >= 100 else 0)
        for _ in range(n_comments):
            text = rng.choice(COMMENTS)
            if text not in html_cache:
                html_cache[text] = render_markdown(text)
            at = min(now, at + timedelta(hours=rng.randint(1, 48)))
            comments.append((pid, rng.randint(1, plan.voters), text, html_cache[text], at))
        proposals.append([pid, title[:120], body, html_cache[body], cat, status, rng.randint(1, plan.voters), 0,
                          n_comments, created, at, hidden])
        left = (now - created).total_seconds()
        for uid in rng.sample(range(1, plan.voters + 1), counts[pid - 1]):
            votes.append((pid, uid, created + timedelta(seconds=rng.random() * left)))

    in_a = set(rng.sample(range(len(votes)), min(plan.phase_a_votes, len(votes))))
    for i, row in enumerate(votes):
        (data.phase_a if i in in_a else data.phase_b).append(row)
        if i in in_a:
            proposals[row[0] - 1][7] += 1  # vote_count = phase A rows; phase B is recounted after loading
    data.tables["proposals"] = [tuple(p) for p in proposals]
    data.tables["proposal_terms"] = term_rows
    data.tables["milestones"] = milestones
    data.tables["comments"] = comments
    return data


# ---- loaders -------------------------------------------------------------------------------------------

RECOUNT_SQL = {
    "postgresql": ("UPDATE proposals p SET vote_count = v.n FROM (SELECT proposal_id, count(*) AS n FROM votes "
                   "GROUP BY proposal_id) v WHERE v.proposal_id = p.id AND p.vote_count <> v.n"),
    "sqlite": ("UPDATE proposals SET vote_count = (SELECT count(*) FROM votes WHERE votes.proposal_id = proposals.id) "
               "WHERE vote_count <> (SELECT count(*) FROM votes WHERE votes.proposal_id = proposals.id)"),
}


class PostgresLoader:
    """COPY FROM STDIN through psycopg, one transaction per call, synchronous_commit off (a fresh bench db)."""

    dialect = "postgresql"

    def __init__(self, url: str):
        import psycopg

        self.conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
        self.conn.execute("SET synchronous_commit = off")

    def copy(self, table: str, rows: Iterable[tuple]) -> None:
        cols = COLUMNS[table]
        with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(cols)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def commit(self) -> None:
        for table in EXPLICIT_IDS:
            self.conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                              f"(SELECT coalesce(max(id), 1) FROM {table}))")
        self.conn.commit()

    def analyze(self) -> None:
        """What autovacuum would do shortly after a bulk load: fresh statistics and visibility map."""
        self.conn.autocommit = True
        self.conn.execute("VACUUM ANALYZE")
        self.conn.autocommit = False

    def close(self) -> None:
        self.conn.close()


def _sqlite_value(value):
    # SQLAlchemy's SQLite DateTime storage format; keyset cursors compare these strings.
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, bool):
        return int(value)
    return value


class SqliteLoader:
    """executemany through the stdlib driver; journal off while loading (a throwaway file)."""

    dialect = "sqlite"

    def __init__(self, path: str):
        self.conn = sqlite3.connect(path)
        self.conn.execute("PRAGMA synchronous = OFF")

    def copy(self, table: str, rows: Iterable[tuple]) -> None:
        cols = COLUMNS[table]
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"
        self.conn.executemany(sql, (tuple(_sqlite_value(v) for v in row) for row in rows))

    def execute(self, sql: str) -> None:
        self.conn.execute(sql)

    def commit(self) -> None:
        self.conn.commit()

    def analyze(self) -> None:
        self.conn.execute("ANALYZE")
        self.conn.commit()

    def close(self) -> None:
        self.conn.close()


def load_base(loader, data: Dataset) -> None:
    """Everything but phase-B votes, in foreign-key order, then statistics."""
    for table in ("users", "user_roles", "vehicles", "proposals", "proposal_terms", "milestones", "comments"):
        loader.copy(table, data.tables[table])
    loader.copy("votes", data.phase_a)
    loader.commit()
    loader.analyze()


def load_phase_b(loader, data: Dataset) -> None:
    """The remaining votes, then vote_count recounted from the rows in one set-based UPDATE."""
    loader.copy("votes", data.phase_b)
    loader.execute(RECOUNT_SQL[loader.dialect])
    loader.commit()
    loader.analyze()

