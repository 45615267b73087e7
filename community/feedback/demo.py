"""Demo feedback: ~150 items over the last 90 days in Chinese and English, routed, answered and resolved at
believable speeds (most within the promise, some late, some still open), a few misroutes corrected by
agents, some items still in triage, then one SLA sweep.

Routing goes through the real router when a model is trained; without one (e.g. in tests) the router's
answer is simulated from the known team and marked with model version ``demo-simulated``.
"""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from community.accounts.models import User
from community.dbtypes import utcnow
from community.extensions import db
from community.feedback import routing_service, service, sla
from community.feedback.demo_texts import (
    CITIES_EN,
    CITIES_ZH,
    EN,
    REPLIES_EN,
    REPLIES_ZH,
    RESOLUTIONS_EN,
    RESOLUTIONS_ZH,
    ZH,
)
from community.feedback.models import FeedbackItem
from community.feedback.routing_service import Routing
from community.pledge import service as pledge
from community.pledge.models import TeamAgent

N_ITEMS = 150
TEAM_WEIGHTS = {"sales": 10, "delivery": 12, "after_sales": 20, "charging": 12, "app_connectivity": 16,
                "assisted_driving": 10, "vehicle_quality": 12, "finance_insurance": 5, "community_events": 5}
CHANNEL_WEIGHTS = {"app": 45, "web": 30, "hotline": 15, "store": 10}


def _text(rng: random.Random, team: str) -> tuple[str, bool]:
    zh = rng.random() < 0.7
    template = rng.choice((ZH if zh else EN)[team])
    city = rng.choice(CITIES_ZH if zh else CITIES_EN)
    return template.format(model=rng.choice(["001", "009", "007", "7X"]), city=city, n=rng.randint(2, 6)), zh


def _simulated(rng: random.Random, team: str) -> Routing:
    others = [t for t in TEAM_WEIGHTS if t != team]
    rng.shuffle(others)
    roll = rng.random()
    if roll < 0.12:  # unsure: the right team is somewhere in the top 3
        probs = sorted([rng.uniform(0.25, 0.45), rng.uniform(0.15, 0.3), rng.uniform(0.05, 0.15)], reverse=True)
        slugs = [others[0], team, others[1]] if rng.random() < 0.5 else [team, others[0], others[1]]
        return Routing(None, probs[0], list(zip(slugs, probs, strict=True)), "demo-simulated", "unsure")
    best = others[0] if roll < 0.17 else team  # a confident misroute now and then
    p = rng.uniform(0.55, 0.97)
    rest = [t for t in (team, others[1]) if t != best][:1] + [others[2]]
    top3 = [(best, p), (rest[0], (1 - p) * 0.6), (rest[1], (1 - p) * 0.25)]
    return Routing(best, p, top3, "demo-simulated")


def _hours(h: float) -> timedelta:
    return timedelta(hours=h)


def _work(rng, item: FeedbackItem, agent, start_at: datetime, now: datetime, zh: bool) -> None:
    """Answer, start and resolve at believable times after ``start_at`` (only steps already in the past)."""
    first_h, resolution_h = pledge.sla_hours(item.team)
    clock = (start_at - item.created_at).total_seconds() / 3600
    roll = rng.random()
    if roll < 0.88:
        delay = max(0.1, first_h * rng.uniform(0.1, 0.95) - clock)
    elif roll < 0.96:
        delay = first_h * rng.uniform(1.1, 2.5)
    else:
        return  # forgotten: stays unanswered (the sweep will flag it)
    answered = start_at + _hours(delay)
    if answered > now:
        return
    service.reply(item, agent, rng.choice(REPLIES_ZH if zh else REPLIES_EN), now=answered)
    started = answered + _hours(rng.uniform(0.5, 12))
    if started > now or rng.random() < 0.1:
        return
    service.start(item, agent, now=started)
    resolved = started + _hours(resolution_h * rng.uniform(0.15, 1.3))
    if resolved > now or rng.random() < 0.1:
        return
    service.resolve(item, agent, rng.choice(RESOLUTIONS_ZH if zh else RESOLUTIONS_EN), now=resolved)


def load(ctx) -> None:
    """Create the demo feedback (skipped when any feedback exists)."""
    if FeedbackItem.query.first():
        return
    rng = random.Random(ctx.rng.random())
    now = utcnow()
    agents = {}
    for link in TeamAgent.query.order_by(TeamAgent.user_id):
        agents.setdefault(link.team_id, db.session.get(User, link.user_id))
    use_router = routing_service.available()
    authors = [ctx.owner, *ctx.crowd]
    slugs, weights = zip(*TEAM_WEIGHTS.items(), strict=True)
    channels, channel_weights = zip(*CHANNEL_WEIGHTS.items(), strict=True)
    for _ in range(N_ITEMS):
        true_team = rng.choices(slugs, weights)[0]
        text, zh = _text(rng, true_team)
        created = now - timedelta(days=90) + _hours(rng.uniform(1, 90 * 24 - 0.5))
        channel = rng.choices(channels, channel_weights)[0]
        anonymous = channel in ("hotline", "store") and rng.random() < 0.4
        author = None if anonymous else rng.choice(authors)
        vehicle_id = author.vehicles[0].id if author and author.vehicles and rng.random() < 0.5 else None
        if vehicle_id and author.vehicles[0].status == "rejected":
            vehicle_id = None
        contact = f"138{rng.randint(10000000, 99999999)}" if anonymous else None
        routing = routing_service.route(text) if use_router else _simulated(rng, true_team)
        item = service.submit(author, text, channel, vehicle_id, contact, now=created, routing=routing)
        age_h = (now - created).total_seconds() / 3600
        clock = created
        if item.team_id is None:
            if age_h < 30 or rng.random() < 0.1:
                continue  # still waiting for a moderator
            clock = created + _hours(rng.uniform(0.2, 3))
            service.assign_from_triage(item, true_team, ctx.moderator, now=clock)
        elif item.team.slug != true_team and age_h > 12:
            clock = created + _hours(rng.uniform(0.2, 2))
            service.reassign(item, true_team, agents[item.team_id], now=clock)
        _work(rng, item, agents[item.team_id], clock, now, zh)
    sla.sweep(now)
