"""What every feature's demo loader shares: the context it is handed and a few helpers.

It sits below ``community.demo`` (which imports each feature's ``demo.load``), so a feature's demo module
imports from here and the imports point one way: features' demos -> demo_base, demo -> features' demos.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from community.accounts.models import User, Vehicle
from community.accounts.vehicles import vin_hash, with_check_digit
from community.dbtypes import utcnow
from community.extensions import db
from community.proposals.models import Proposal

SHANGHAI = ZoneInfo("Asia/Shanghai")
PASSWORD = "cocreate-demo"


SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉鹏宇欣怡浩然子涵思雨晨阳佳琪嘉宁"


def chinese_names(rng: random.Random, n: int) -> list[str]:
    """``n`` different believable Chinese names (surname plus one or two characters)."""
    names: list[str] = []
    while len(names) < n:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in names:
            names.append(name)
    return names


@dataclass
class DemoContext:
    """What feature demo loaders get: the story proposal, the demo users and a seeded random source."""

    rng: random.Random
    year: int
    story: Proposal
    owner: User
    council: User
    moderator: User
    admin: User
    crowd: list[User]


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A Shanghai wall-clock time as an aware UTC instant."""
    return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def _vin(rng: random.Random) -> str:
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
    body = "LZ" + "".join(rng.choice(alphabet) for _ in range(15))
    return with_check_digit(body)


def vehicle(user, rng, model, year, hardware, status="verified", reviewer=None) -> Vehicle:
    """A demo car for ``user`` with a random valid VIN (kept hashed, as real claims are); added, not committed."""
    vin = _vin(rng)
    v = Vehicle(owner=user, model=model, model_year=year, hardware=sorted(hardware), vin_hash=vin_hash(vin),
                vin_prefix=vin[:2], vin_last4=vin[-4:], status=status, reviewed_by_id=getattr(reviewer, "id", None),
                reviewed_at=utcnow() if status != "pending" else None)
    db.session.add(v)
    return v


def redate(since: datetime, at: datetime, occurred: bool = True) -> None:
    """Move what the demo just wrote through services that take no ``now`` (merges, reports, hiding,
    comments, their milestones, audit entries and notification events) from the load's minute to ``at``,
    a believable past moment. Touches only rows stamped at or after ``since``; ``occurred=False`` keeps the
    milestones' own dates (a session published after it was held) and moves only when they were posted.
    Flushes; the caller commits."""
    from sqlalchemy import update

    from community.audit.models import AuditEntry
    from community.moderation.models import Flag
    from community.notifications.models import Event
    from community.proposals.models import Comment
    from community.timeline.models import Milestone

    db.session.flush()
    stamped = [(Milestone, ("occurred_at", "recorded_at") if occurred else ("recorded_at",)),
               (Comment, ("created_at",)), (Flag, ("created_at",)), (AuditEntry, ("created_at",)),
               (Event, ("created_at",))]
    for model, columns in stamped:
        for column in columns:
            db.session.execute(update(model).where(getattr(model, column) >= since).values({column: at}))
    db.session.execute(update(Flag).where(Flag.resolved_at >= since).values(resolved_at=at))
    db.session.execute(update(Proposal).where(Proposal.hidden_at >= since).values(hidden_at=at))
    db.session.execute(update(Comment).where(Comment.hidden_at >= since).values(hidden_at=at))
