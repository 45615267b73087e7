"""Demo: entitlement kinds, and an owner who changes car and keeps their charging credit.

changer@ bought a 2022 009 with 2,000 kWh of free charging (follows the owner), 36 months of extended
warranty (stays with the car) and lifetime connectivity (follows the owner). They used some credit, sold
the 009 to another demo owner (moderator-verified), and their new 2025 001 was verified: the credit and
connectivity moved to the 001, the warranty went with the 009 to its buyer. The ledger shows each move.
"""
from __future__ import annotations

import secrets
from datetime import timedelta

from community.accounts import service as accounts
from community.accounts.models import User
from community.accounts.vehicles import with_check_digit
from community.dbtypes import utcnow
from community.demo_base import DemoContext
from community.demo_base import vehicle as _vehicle
from community.entitlements import service, transfers
from community.extensions import db

CHANGER = "changer@cocreate.example"


def load(ctx: DemoContext) -> None:
    admin, mod = ctx.admin, ctx.moderator
    charging = service.create_kind(admin, "charging_credit", "免费充电额度", "Free charging credit", "kwh", "owner")
    warranty = service.create_kind(admin, "extended_warranty", "延长质保", "Extended warranty", "months", "vehicle")
    connect = service.create_kind(admin, "lifetime_connectivity", "终身免费流量", "Lifetime connectivity", "flag",
                                  "owner")
    service.create_kind(admin, "service_voucher", "保养代金券", "Service voucher", "cny", "vehicle")

    changer = User(email=CHANGER, display_name="车主 刘洋（换车）", session_token=secrets.token_hex(16),
                   password_hash=ctx.owner.password_hash)
    db.session.add(changer)
    old = _vehicle(changer, ctx.rng, "009", 2022, ["adas_gen1", "heat_pump"], reviewer=mod)
    db.session.commit()
    now = utcnow()
    bought = now - timedelta(days=420)
    service.grant(mod, charging, "2000", "purchase", user=changer, note="购车权益 / with the car", now=bought)
    service.grant(mod, warranty, "36", "purchase", vehicle=old, now=bought)
    service.grant(mod, connect, "1", "purchase", user=changer, now=bought)
    holding = service.holdings_of(changer)[0]
    for days, kwh in ((380, "86.5"), (300, "120"), (210, "64.2"), (90, "150")):
        service.use(mod, holding, kwh, note="超充站充电 / supercharging", now=now - timedelta(days=days))
    service.grant(mod, charging, "200", "goodwill", user=changer, note="OTA 延期补偿 / for a delayed OTA",
                  now=now - timedelta(days=60))
    wrong = service.use(mod, holding, "45", now=now - timedelta(days=40))
    service.correct(mod, wrong, "45", "重复记账，冲回 / booked twice, reversed", now=now - timedelta(days=39))

    buyer = ctx.crowd[3]
    transfers.transfer_vehicle(mod, old, buyer, note="过户资料已核验 / transfer papers checked",
                               now=now - timedelta(days=12))
    vin = with_check_digit("LZ" + "".join(ctx.rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ0123456789") for _ in range(15)))
    new_car = accounts.add_vehicle(changer, "001", 2025, ["adas_latest", "lidar"], vin)
    accounts.review_vehicle(new_car, mod, approve=True)  # the credit waiting for a car moves onto it here
    service.grant(mod, charging, "500", "campaign", user=changer, note="换购活动 / trade-in campaign")
