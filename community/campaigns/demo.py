"""Demo: the canonical crowdfunding (24 Nov 00:00 - 24 Dec 23:59:59 Asia/Shanghai) on the story proposal.

Eligible: 2024 001/009 with lidar, not already on the newest assisted-driving system, verified. The demo
owner (owner@) is eligible and has NOT pledged, so a visitor can pledge and cancel; three owners show
each refusal reason (wrong year, no lidar, already upgraded), and a crowd of eligible owners has pledged
(a few cancelled, one pledged again). Pledges go through the real service with their own ``now``.
"""
from __future__ import annotations

import random
import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal

from community.accounts.models import User, Vehicle
from community.accounts.vehicles import vin_hash, with_check_digit
from community.campaigns import pledges, service
from community.dbtypes import utcnow
from community.demo_base import DemoContext, chinese_names
from community.extensions import db

INELIGIBLE = [  # (e-mail, name, model, year, hardware): one per refusal reason (2023 car, no lidar, upgraded)
    ("owner2023@cocreate.example", "郑浩", "001", 2023, ["adas_gen1", "lidar"]),
    ("nolidar@cocreate.example", "冯雪", "009", 2024, ["adas_gen1"]),
    ("upgraded@cocreate.example", "唐宁", "001", 2024, ["adas_latest", "lidar"]),
]
PLEDGERS = 24


def _owner(ctx: DemoContext, email: str, name: str, model: str, year: int, hardware: list[str]) -> User:
    user = User(email=email, display_name=name, session_token=secrets.token_hex(16),
                password_hash=ctx.owner.password_hash)  # same demo password, without hashing it again
    vin = with_check_digit("LZ" + "".join(ctx.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(15)))
    db.session.add(user)
    db.session.add(Vehicle(owner=user, model=model, model_year=year, hardware=sorted(hardware), vin_hash=vin_hash(vin),
                           vin_prefix=vin[:2], vin_last4=vin[-4:], status="verified", reviewed_by_id=ctx.moderator.id,
                           reviewed_at=utcnow()))
    return user


def load(ctx: DemoContext) -> None:
    year = ctx.year
    opens_at, closes_at = service.window_from_local(datetime(year, 11, 24), date(year, 12, 24))
    data = service.CampaignInput(
        title_zh="2024 款 001/009 辅助驾驶软硬件升级众筹",
        title_en="Assisted-driving hardware and software upgrade for 2024 001/009",
        description_zh=("面向 2024 款 001、009 配备激光雷达、尚未搭载最新辅助驾驶系统的车辆。\n\n"
                        "- 每台车认筹一份，众筹结束前可随时取消\n- 达到目标人数后启动升级，由服务中心预约施工"),
        description_en=("For 2024 001 and 009 cars with lidar that are not yet on the newest assisted-driving "
                        "system.\n\n- One pledge per car; cancel any time before the close\n"
                        "- Once the target is reached, service centres book the upgrade"),
        price_cny=Decimal("12800.00"), target=1000, opens_at=opens_at, closes_at=closes_at,
        models=["001", "009"], model_years=[2024], hardware_required=["lidar"], hardware_excluded=["adas_latest"],
        verified_only=True)
    campaign = service.create_campaign(ctx.moderator, ctx.story, data, publish=True,
                                       now=opens_at - timedelta(days=4))
    for email, name, model, year_, hardware in INELIGIBLE:
        _owner(ctx, email, name, model, year_, hardware)
    names = chinese_names(random.Random(ctx.year), PLEDGERS)
    crowd = [_owner(ctx, f"pledger{i:02d}@cocreate.example", names[i], ("001", "009")[i % 2], 2024,
                    ["adas_gen1", "lidar"]) for i in range(PLEDGERS)]
    db.session.commit()
    # Pledge times spread from the opening to now (or the close), busiest on the first days.
    last = min(utcnow(), closes_at) - timedelta(minutes=5)
    span = max((last - opens_at).total_seconds(), 60)
    times = sorted(opens_at + timedelta(seconds=span * ctx.rng.random() ** 2) for _ in crowd)
    made = [pledges.pledge(user, campaign, user.vehicles[0].id, now=at) for user, at in zip(crowd, times, strict=True)]
    for p in made[3:6]:  # a few changed their minds; one came back
        pledges.cancel_pledge(p.user, p.id, now=p.created_at + (last - p.created_at) / 2)
    back = made[3]
    pledges.pledge(back.user, campaign, back.vehicle_id, now=back.created_at + (last - back.created_at) * 3 / 4)
    # The window opened in the past: the opening is posted the minute it opened, not when the demo loads.
    service.sync_milestones(campaign, now=min(utcnow(), opens_at + timedelta(minutes=1)))
