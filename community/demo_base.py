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
