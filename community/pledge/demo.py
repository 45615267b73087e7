"""Demo pledge: the nine teams, a believable 用户服务公约 of twelve promises, and one agent per team.

The promises are modelled on the kind of service pledge car brands publish (response and repair
times, transparent pricing, delivery commitments); the numbers are ours, not any brand's.
"""
from __future__ import annotations

import secrets

from community.accounts.models import User, UserRole
from community.extensions import db
from community.pledge import service
from community.pledge.models import PledgeItem, TeamAgent

AGENT_EMAIL = "agent@cocreate.example"  # the README's demo agent; works for after-sales
# (team, zh, en, first-response hours, resolution hours)
PROMISES = [
    ("sales", "价格透明：官网、App 与门店同价，购车合同列明全部费用，不加收任何未列明的费用。",
     "Transparent prices: the same price online, in the app and in stores; the contract lists every fee.", 8, 72),
    ("sales", "门店咨询与试驾预约在 4 小时内确认，试驾不强制留资、不强制推销。",
     "Store enquiries and test drives confirmed within 4 hours; no pressure selling.", 4, 48),
    ("delivery", "锁单时告知预计交付周期；若交付推迟超过 7 天，我们主动告知原因并提供补偿方案。",
     "We tell you the delivery window when you order; a delay of more than 7 days is explained and compensated.",
     24, 120),
    ("delivery", "交付前完成全车 PDI 检测，交付时当面讲解功能，交付后 24 小时内回访。",
     "A full pre-delivery inspection, a walk-through at hand-over, and a call within 24 hours after.", 24, 72),
    ("after_sales", "7×24 小时道路救援：接到求助 30 分钟内响应，城区 2 小时内到达。",
     "Roadside assistance 24/7: response within 30 minutes, on site within 2 hours in cities.", 2, 24),
    ("after_sales", "维修保养先报价后施工，工单进度在 App 中实时可见；维修质量问题 24 小时内响应。",
     "Repairs are quoted before work starts and tracked live in the app; repair complaints answered in 24 hours.",
     24, 120),
    ("charging", "品牌超充站故障 2 小时内响应、24 小时内修复或给出替代补能方案。",
     "A faulty brand supercharger: response within 2 hours, fixed or an alternative offered within 24 hours.", 2, 24),
    ("app_connectivity", "App、车机与 OTA 问题 24 小时内答复；影响用车的问题 3 天内给出修复计划。",
     "App, infotainment and OTA issues answered within 24 hours; a fix plan within 3 days if it affects driving.",
     24, 72),
    ("assisted_driving", "辅助驾驶问题由专职工程师 24 小时内回复，并在 10 天内给出分析结论。",
     "Assisted-driving reports answered by an engineer within 24 hours, with an analysis within 10 days.", 24, 240),
    ("vehicle_quality", "整车质量问题 24 小时内响应，5 天内给出处理方案；同一问题三次未修复，启动换车或退车评估。",
     "Quality problems answered within 24 hours with a plan within 5 days; three failed repairs start a "
     "replacement review.", 24, 120),
    ("finance_insurance", "金融与保险咨询 1 个工作日内答复，理赔进度每个节点主动通知。",
     "Finance and insurance questions answered within one working day; every claim step notified.", 24, 120),
    ("community_events", "车主活动报名与积分问题 48 小时内答复；活动取消提前 72 小时通知。",
     "Event sign-up and points questions answered within 48 hours; cancellations announced 72 hours ahead.",
     48, 168),
]
AGENT_NAMES = {
    "sales": "销售顾问 周敏", "delivery": "交付专员 孙浩", "after_sales": "售后 李娜", "charging": "补能 郑凯",
    "app_connectivity": "车联 吴倩", "assisted_driving": "智驾 何俊", "vehicle_quality": "质量 林涛",
    "finance_insurance": "金融 马丽", "community_events": "社区 高远",
}


def _agent(email: str, name: str, password: str) -> User:
    user = User.query.filter_by(email=email).first()
    if user is None:
        user = User(email=email, display_name=name, session_token=secrets.token_hex(16))
        user.set_password(password)
        db.session.add(user)
    if "team_agent" not in user.role_names:
        user.roles.append(UserRole(role="team_agent"))
    return user


def agent_email(slug: str) -> str:
    """The demo agent's login for a team slug: agent@ for after-sales (the README's), agent.<team>@ otherwise."""
    return AGENT_EMAIL if slug == "after_sales" else f"agent.{slug.replace('_', '-')}@cocreate.example"


def load(ctx) -> None:
    """Teams, promises and agents (idempotent on the promises: skipped when any exist)."""
    from community.demo_base import PASSWORD

    teams = {t.slug: t for t in service.ensure_teams()}
    if not PledgeItem.query.first():
        for i, (slug, zh, en, first, resolution) in enumerate(PROMISES):
            db.session.add(PledgeItem(team_id=teams[slug].id, text_zh=zh, text_en=en, first_response_hours=first,
                                      resolution_hours=resolution, position=i))
    for slug, name in AGENT_NAMES.items():
        email = agent_email(slug)
        user = _agent(email, name, PASSWORD)
        db.session.flush()
        if not TeamAgent.query.filter_by(team_id=teams[slug].id, user_id=user.id).first():
            db.session.add(TeamAgent(team_id=teams[slug].id, user_id=user.id))
    db.session.commit()
