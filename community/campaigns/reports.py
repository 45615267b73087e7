"""The operators' view of a campaign: pledges per day, by model and model year, cancellations, CSV export."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import lazyload

from community import csvexport
from community.campaigns.models import Campaign, Pledge
from community.campaigns.service import CAMPAIGN_ZONE, local_day
from community.dbtypes import utcnow
from community.extensions import db


@dataclass
class Day:
    """One Asia/Shanghai day of the window: pledges made, pledges cancelled, active pledges at its end."""

    day: date
    new: int
    cancelled: int
    active: int


def daily(campaign: Campaign, now: datetime | None = None) -> list[Day]:
    """Per-day figures from the first day of the window to today (or the last day), in Shanghai days.

    Reads two timestamps per pledge row; a campaign has at most a few thousand.
    """
    now = now or utcnow()
    start, end = local_day(campaign.opens_at), local_day(min(now, campaign.closes_at))
    if end < start:
        return []
    rows = db.session.execute(select(Pledge.created_at, Pledge.cancelled_at)
                              .where(Pledge.campaign_id == campaign.id)).all()
    made = Counter(local_day(created) for created, _ in rows)
    gone = Counter(local_day(cancelled) for _, cancelled in rows if cancelled)
    days, active, day = [], 0, start
    while day <= end:
        active += made[day] - gone[day]
        days.append(Day(day, made[day], gone[day], active))
        day += timedelta(days=1)
    return days


def by_model(campaign: Campaign) -> list[tuple[str, int, int]]:
    """Active pledges per (model, model year), most first: [("001", 2024, 31), ...]."""
    n = func.count(Pledge.id)
    return [tuple(r) for r in db.session.execute(
        select(Pledge.model, Pledge.model_year, n)
        .where(Pledge.campaign_id == campaign.id, Pledge.status == "active")
        .group_by(Pledge.model, Pledge.model_year).order_by(n.desc(), Pledge.model, Pledge.model_year)).all()]


def cancellations(campaign: Campaign, limit: int = 20) -> tuple[int, list[Pledge]]:
    """(number of cancelled pledges, the latest ``limit`` of them)."""
    q = Pledge.query.filter_by(campaign_id=campaign.id, status="cancelled")
    return q.count(), q.order_by(Pledge.cancelled_at.desc(), Pledge.id.desc()).limit(limit).all()


CSV_HEADER = ["pledge_id", "status", "pledged_at", "cancelled_at", "model", "model_year", "vin_masked", "owner"]


def _local(instant: datetime | None) -> str:
    return instant.astimezone(CAMPAIGN_ZONE).strftime("%Y-%m-%d %H:%M:%S") if instant else ""


def csv_lines(campaign: Campaign, batch: int = 500) -> Iterator[str]:
    """The pledges (active and cancelled) as CSV lines, header first; times in Asia/Shanghai; VINs
    only ever masked (``LZ***********1234``). Streams in id order, ``batch`` rows per query."""
    def rows():
        last = 0
        while True:
            # Each row's campaign is the one being exported: skip its (joined-by-default) load.
            pledges = (Pledge.query.options(lazyload(Pledge.campaign))
                       .filter(Pledge.campaign_id == campaign.id, Pledge.id > last)
                       .order_by(Pledge.id).limit(batch).all())
            if not pledges:
                return
            for p in pledges:
                yield [p.id, p.status, _local(p.created_at), _local(p.cancelled_at), p.model, p.model_year,
                       p.masked_vin, p.user.display_name]
            last = pledges[-1].id

    return csvexport.csv_lines(CSV_HEADER, rows())
