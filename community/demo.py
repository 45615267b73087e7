"""The demo data set: the canonical story from shared/DOMAIN.md and a believable crowd around it.

``load()`` is idempotent: it does nothing when the demo admin already exists. The story keeps its real
days and months (14 Sep council session ... 24 Nov-24 Dec crowdfunding) in the most recent year in
which 24 Nov has already passed, so the crowdfunding window is current when the demo is fresh.
"""
from __future__ import annotations

import random
import secrets
from datetime import datetime, timedelta

from sqlalchemy import insert, update

from community.accounts.models import User, UserRole
from community.dbtypes import utcnow
from community.demo_base import PASSWORD, SHANGHAI, DemoContext, chinese_names, sh
from community.demo_base import vehicle as _vehicle
from community.extensions import db
from community.proposals import service as proposals
from community.proposals.models import Comment, Proposal, ProposalTerm, Vote
from community.search import terms
from community.text import render_markdown
from community.timeline.models import Milestone

LOGINS = {
    "admin": "admin@cocreate.example",
    "moderator": "moderator@cocreate.example",
    "owner": "owner@cocreate.example",
    "agent": "agent@cocreate.example",
    "changer": "changer@cocreate.example",  # changed car, kept the charging credit (community.entitlements.demo)
}
# Every demo login by role, as `make run` prints them: (role, e-mail, what the account shows). Keep in step
# with the loaders that create them (campaigns, pledge, shopper, entitlements demos).
LOGIN_ROLES = [
    ("admin", LOGINS["admin"], "users, roles, audit log, router versions"),
    ("moderator", LOGINS["moderator"], "verifies cars, moves statuses, triage, campaigns"),
    ("council member", "council@cocreate.example", "council queue, sessions, internal notes"),
    # one line per team agent: see logins_text()
    ("mystery shopper", "shopper@cocreate.example", "a draft report to finish"),
    ("mystery shopper", "shopper2@cocreate.example", "a second shopper's visits"),
    ("owner", LOGINS["owner"], "verified 2024 001 with lidar: may pledge"),
    ("owner, not eligible", "owner2023@cocreate.example", "2023 car: the crowdfunding says why not"),
    ("owner, not eligible", "nolidar@cocreate.example", "no lidar"),
    ("owner, not eligible", "upgraded@cocreate.example", "already on the newest system"),
    ("owner who changed car", LOGINS["changer"], "kept the charging credit across cars"),
    ("registered, no car", "newcomer@cocreate.example", "add a car and wait for verification"),
]
STORY_TITLE = "为 2024 款 001/009 老车主提供辅助驾驶软硬件付费升级（众筹）"


def story_year(now: datetime | None = None) -> int:
    now = (now or utcnow()).astimezone(SHANGHAI)
    return now.year if (now.month, now.day) >= (11, 24) else now.year - 1


def _user(email: str, name: str, roles=()) -> User:
    user = User(email=email, display_name=name, session_token=secrets.token_hex(16))
    user.set_password(PASSWORD)
    user.roles = [UserRole(role=r) for r in roles]
    db.session.add(user)
    return user


# Every idea appears once, in one language: the English titles below have no Chinese twin here (owners who
# ask again are merged: community.council.demo). Titles are unique across both lists.
ZH_TOPICS = {
    "assisted_driving": ["高速领航在匝道汇入时更果断一些", "车道保持在弯道不要太靠外侧", "增加驾驶员注意力提醒的灵敏度设置",
                         "辅助驾驶接管提示音可以调节音量", "雨夜识别锥桶更早减速", "隧道出入口辅助驾驶不要急刹",
                         "自适应巡航跟车距离增加一档", "记忆泊车支持公司地库"],
    "charging": ["充电桩占位费规则透明化", "高速服务区增加超充站", "充电完成后推送提醒到手表", "超充站增加洗手间指引",
                 "第三方充电桩也能在 App 里支付", "节假日高速超充预约功能", "充电口盖冬天防冻", "充电账单按月开具发票"],
    "app": ["OTA 更新说明写得更详细", "车机支持微信小程序", "App 里查看每次行程能耗", "家人共享钥匙时可以设置限速",
            "车机导航同步手机收藏地址", "App 小组件显示剩余续航", "OTA 支持预约夜间安装", "车机语音支持方言识别"],
    "vehicle": ["雨刮支持更多档位", "大灯自动远近光更灵敏", "后视镜加热与后挡除雾联动", "后备箱增加挂钩",
                "冬季续航显示更准确", "座椅记忆关联到每把钥匙", "遥控一键关闭全部车窗", "轮胎花纹深度提醒"],
    "service": ["交付时讲解更详细", "门店试驾流程更简单", "保养后提供检查报告", "售后维修期间提供代步车",
                "钣喷维修支持上门定损", "延保条款写得更清楚", "服务中心周末延长营业时间", "交付前可以预约验车"],
    "comfort": ["后排遮阳帘电动化", "香氛系统可以关闭", "车内氛围灯更多颜色", "后排座椅加热单独控制",
                "空调内循环自动切换更聪明", "主驾腿托加长", "后排出风口增加开关", "副驾座椅一键放倒"],
    "safety": ["哨兵模式录像保存更久", "胎压异常推送到手机", "紧急呼叫按键加保护盖", "疲劳驾驶提醒增加座椅振动",
               "下车时提醒带走手机", "坡道溜车风险提醒", "夜间行人识别更灵敏", "碰撞后自动解锁车门并呼救"],
    "community": ["各城市车友会定期线下聚会", "积分商城增加周边", "新车主入门课程", "车主自驾路线分享",
                  "公益活动招募车主志愿者", "积分可以兑换充电度数", "车主故事征集", "线下活动报名候补通知"],
    "other": ["发票开具流程线上化", "二手车置换评估更透明", "增加车主专属客服热线", "车辆年检到期提醒",
              "违章信息推送到 App", "购车金融方案对比说明", "保养费用透明公示", "购车合同电子化"],
}
EN_TOPICS = {
    "assisted_driving": ["Smoother lane changes on highway pilot", "Bring city navigation assist to older cars",
                         "Let auto-park handle angled bays"],
    "charging": ["Show live queue length at supercharging stations", "Scheduled off-peak home charging",
                 "Roofs over supercharger bays"],
    "app": ["Faster Bluetooth key pairing", "Switch between several cars in the app", "Timers for remote climate"],
    "vehicle": ["USB-C fast charging in the rear", "Drain holes in the frunk", "Camping mode for air suspension"],
    "service": ["Live repair progress in the app", "Pick-up and delivery service in more cities",
                "Choose a technician when booking service"],
    "comfort": ["More levels for seat ventilation", "Separate switch for steering wheel heating"],
    "safety": ["Child presence detection", "Sound alert for door-opening warning"],
    "community": ["Family-friendly owner events", "Livestream council sessions"],
    "other": ["Searchable digital owner's manual", "Track insurance claims online"],
}
ZH_BODY = "我是{model}车主，日常通勤和长途都用车。{topic}。\n\n- 目前的体验：不够方便\n- 希望的改进：{topic}\n\n很多车友在群里也提到过，希望官方考虑。"
EN_BODY = "I drive a {model} every day. {topic}.\n\n- Today: it is inconvenient\n- Wish: {topic}\n\nOther owners in my club agree; please consider it."
STATUS_WEIGHTS = [("submitted", 45), ("under_review", 20), ("accepted", 12), ("in_progress", 10), ("delivered", 6),
                  ("declined", 7)]
PATH = ["submitted", "under_review", "accepted", "in_progress", "delivered"]
# Proposals the roadmap answers (community.roadmap.demo): their status agrees with the roadmap item, and they were
# posted early in the year, before the item that answers them.
PINNED = {"Switch between several cars in the app": "delivered", "Timers for remote climate": "delivered",
          "Bring city navigation assist to older cars": "accepted", "Roofs over supercharger bays": "accepted",
          "车机支持微信小程序": "declined"}



def load(if_empty: bool = False, owners: int = 60, n_proposals: int = 200, votes_target: int = 2400,
         seed: int = 2024) -> str:
    """Create the demo data set and commit. Returns a one-line summary. Idempotent."""
    if User.query.filter_by(email=LOGINS["admin"]).first():
        return "demo data already loaded"
    if if_empty and User.query.first():
        return "database not empty; demo data not loaded"
    rng = random.Random(seed)
    loaded_at = utcnow()
    year = story_year()
    admin = _user(LOGINS["admin"], "管理员 郑凯", ["admin"])
    mod = _user(LOGINS["moderator"], "运营 小周", ["moderator"])
    council = _user("council@cocreate.example", "理事 王磊")  # seat: community.council.demo
    _user("agent@cocreate.example", "售后 李娜", ["team_agent"])
    _user("shopper@cocreate.example", "体验官 陈晨", ["mystery_shopper"])
    db.session.flush()
    owner = _user(LOGINS["owner"], "车主 张伟")
    _vehicle(owner, rng, "001", 2024, ["lidar", "adas_gen1"], reviewer=mod)
    _vehicle(council, rng, "009", 2024, ["lidar", "adas_gen1"], reviewer=mod)
    _user("newcomer@cocreate.example", "新用户 小林")  # registered, no car yet
    crowd = []
    models = ["001", "001", "009", "007", "7X", "X"]
    for i, name in enumerate(chinese_names(rng, owners)):
        u = _user(f"owner{i:02d}@cocreate.example", name)
        model = rng.choice(models)
        year_ = rng.choice([2022, 2023, 2024, 2024, 2025])
        hw = {"lidar"} if rng.random() < 0.6 else set()
        hw.add("adas_latest" if year_ >= 2025 or rng.random() < 0.15 else "adas_gen1")
        status = "pending" if i % 17 == 5 else "verified"
        _vehicle(u, rng, model, year_, hw, status=status, reviewer=None if status == "pending" else mod)
        if status == "verified":
            crowd.append(u)
    db.session.commit()

    story = _load_story(year, owner, council, mod, admin, crowd)
    _load_crowd(rng, year, crowd, mod, n_proposals, votes_target)
    ctx = DemoContext(rng=rng, year=year, story=story, owner=owner, council=council, moderator=mod, admin=admin,
                      crowd=crowd)
    for loader in feature_loaders():
        loader(ctx)
        db.session.commit()
    _posted_when_they_happened(loaded_at)
    return (f"demo loaded: {User.query.count()} users, {Proposal.query.count()} proposals, "
            f"{Vote.query.count()} votes, {Milestone.query.count()} milestones")


def feature_loaders() -> list:
    """Each feature's ``demo.load(ctx)``, in dependency order. A feature adds its line here."""
    from community.accounts import demo as accounts_demo
    from community.announcements import demo as announcements
    from community.campaigns import demo as campaigns
    from community.council import demo as council
    from community.entitlements import demo as entitlements
    from community.feedback import demo as feedback_demo
    from community.notifications import demo as notifications
    from community.pledge import demo as pledge_demo
    from community.roadmap import demo as roadmap
    from community.shopper import demo as shopper_demo

    # notifications last: it fans out what the others emitted
    return [accounts_demo.load, council.load, pledge_demo.load, feedback_demo.load, campaigns.load, shopper_demo.load, roadmap.load,
            announcements.load, entitlements.load, notifications.load]


def _load_story(year, owner, council, mod, admin, crowd) -> Proposal:
    body = (f"在 {year} 年 9 月 14 日丽江全球用户委员会·理事共创会上，2024 款 001、009 的车主理事提出："
            "我们的车有激光雷达，但没有最新的辅助驾驶系统。\n\n"
            "**提议**：为符合条件的老车提供软硬件付费升级，以众筹方式组织，达到人数即启动。\n\n"
            "- 适用：2024 款 001 / 009，配备激光雷达，尚未搭载最新辅助驾驶系统\n"
            "- 方式：在 App 中认筹，每台车一份\n")
    p = proposals.create_proposal(council, STORY_TITLE, body, "assisted_driving", created_at=sh(year, 9, 14, 16))
    for voter in [owner, *crowd[:38]]:
        proposals.vote(voter, p)
    # The 14 Sep council_session milestone is written by publishing that session (community.council.demo).
    steps = [
        ("commitment", sh(year, 9, 17, 10), "集团 CEO 公开表示将尽快拿出解决方案。",
         "The group CEO committed publicly to a solution as soon as possible."),
    ]
    for kind, at, zh, en in steps:
        proposals.post_milestone(p, mod, kind, text_zh=zh, text_en=en, occurred_at=at,
                                 backdate_reason="演示数据：按真实日期补录 / demo data at its real date")
    proposals.change_status(p, "under_review", mod, "理事会与公司共同评审中。", "Under review by the council and the company.",
                            occurred_at=sh(year, 9, 17, 12), backdate_reason="演示数据 / demo data")
    proposals.change_status(p, "accepted", mod, "《零距离》栏目回应：已正式立项，启动方案细节研究和前序研发。",
                            "Officially approved: solution design and preliminary development started.",
                            occurred_at=sh(year, 9, 27, 20), backdate_reason="演示数据 / demo data")
    proposals.post_milestone(p, mod, "approval", text_zh="项目已批准立项。", text_en="Project approved.",
                             occurred_at=sh(year, 9, 27, 20), backdate_reason="演示数据 / demo data")
    proposals.change_status(p, "in_progress", mod, "研发进行中。", "Development in progress.",
                            occurred_at=sh(year, 10, 10, 18), backdate_reason="演示数据 / demo data")
    proposals.post_milestone(p, mod, "progress_update", text_zh="最新进展：将于 11 月启动软硬件系统更换众筹。",
                             text_en="Progress update: the hardware and software crowdfunding opens in November.",
                             progress_percent=40, occurred_at=sh(year, 10, 10, 18),
                             backdate_reason="演示数据 / demo data")
    return p


def _load_crowd(rng, year, crowd, mod, n_proposals, votes_target) -> None:
    """Bulk-insert the crowd's proposals, votes and milestones (counts set from the rows inserted)."""
    start = sh(year, 3, 1)
    span = (sh(year, 11, 20) - start).total_seconds()
    statuses, weights = zip(*STATUS_WEIGHTS, strict=True)
    created = []
    ideas = [(cat, title, "zh") for cat, titles in ZH_TOPICS.items() for title in titles]
    ideas += [(cat, title, "en") for cat, titles in EN_TOPICS.items() for title in titles]
    rng.shuffle(ideas)
    for cat, title, lang in ideas[:n_proposals]:
        author = rng.choice(crowd)
        model = author.vehicles[0].model
        body = (EN_BODY if lang == "en" else ZH_BODY).format(model=model, topic=title)
        if title in PINNED:  # posted in spring, before the roadmap item that answers it
            at, status = start + timedelta(days=rng.uniform(0, 30)), PINNED[title]
        else:
            at, status = start + timedelta(seconds=rng.random() * span), rng.choices(statuses, weights)[0]
        p = Proposal(title=title[:120], body=body, body_html=render_markdown(body), category=cat, status=status,
                     author_id=author.id, created_at=at, updated_at=at)
        db.session.add(p)
        created.append(p)
    db.session.flush()
    term_rows, vote_rows, ms_rows = [], [], []
    per = max(1, votes_target // len(created))
    now = utcnow()
    horizon = min(now, sh(year, 11, 23))  # the crowd's history ends before the crowdfunding opens

    def step(at, end=horizon):
        """A later instant before ``end``: each step takes a share of the time left, so a proposal's
        milestones stay in order, in the past, and spread over the year instead of piling up on today."""
        return at + (end - at) * rng.uniform(0.15, 0.45)

    for p in created:
        term_rows += [{"term": t, "proposal_id": p.id} for t in terms(f"{p.title}\n{p.body}")]
        k = min(len(crowd), max(0, int(rng.paretovariate(1.3) * per * 0.5)))
        voters = rng.sample(crowd, k)
        for v in voters:
            vote_rows.append({"proposal_id": p.id, "user_id": v.id,
                              "created_at": min(now, p.created_at + timedelta(hours=rng.randint(1, 400)))})
        p.vote_count = len(voters)
        at = p.created_at
        # A delivered roadmap answer shipped with the OTA of 5 Sep (community.roadmap.demo).
        end = sh(year, 9, 5, 20) if p.title in PINNED else horizon
        path = PATH[:PATH.index(p.status) + 1] if p.status in PATH else ["submitted", "under_review", "declined"]
        for before, after in zip(path, path[1:], strict=False):
            at = end if (after == "delivered" and p.title in PINNED) else step(at, end)
            zh, en = _status_note(after)
            ms_rows.append({"proposal_id": p.id, "kind": "status_change", "occurred_at": at, "recorded_at": at,
                            "text_zh": zh, "text_en": en, "status_from": before, "status_to": after,
                            "actor_id": mod.id})
        if p.status == "in_progress":
            at = step(at)
            ms_rows.append({"proposal_id": p.id, "kind": "progress_update", "occurred_at": at, "recorded_at": at,
                            "text_zh": "研发进展顺利。", "text_en": "Development is on track.",
                            "progress_percent": rng.choice([20, 35, 50, 70]), "actor_id": mod.id})
        p.updated_at = at
    db.session.execute(insert(ProposalTerm), term_rows)
    db.session.execute(insert(Vote), vote_rows)
    db.session.execute(insert(Milestone), [{"progress_percent": None, **r} for r in ms_rows])
    _comment_on_popular(rng, created, vote_rows, horizon)
    db.session.commit()


ZH_COMMENTS = ["+1，我也遇到过同样的问题。", "支持！希望下次 OTA 就能安排上。", "在车友群里问了一圈，大家都有这个需求。",
               "上周长途正好碰到，确实不方便。", "建议先在部分城市试点，再全国推广。", "希望官方给个大概的时间表。",
               "我是 2023 款车主，也希望覆盖到老车型。", "这个改进很实用，顶一下。"]
EN_COMMENTS = ["+1, I ran into this too.", "Supported. Hope it makes the next OTA.",
               "Everyone in our owners' club asked for this.", "Hit exactly this on a road trip last week.",
               "Maybe pilot it in a few cities first?", "A rough timeline from the team would help.",
               "Please include the 2023 cars as well.", "Small change, big difference. Bumping this."]


def _comment_on_popular(rng, created, vote_rows, horizon) -> None:
    """The 20 most supported crowd proposals get 2-6 comments each from their supporters, in the proposal's
    language, between its posting and the horizon; ``comment_count`` equals the rows."""
    supporters: dict[int, list[int]] = {}
    for row in vote_rows:
        supporters.setdefault(row["proposal_id"], []).append(row["user_id"])
    rows = []
    for p in sorted(created, key=lambda p: (-p.vote_count, p.id))[:20]:
        pool = EN_COMMENTS if p.title.isascii() else ZH_COMMENTS
        people = supporters.get(p.id, [])
        texts = rng.sample(pool, min(len(people), rng.randint(2, 6)))
        times = sorted(p.created_at + (horizon - p.created_at) * rng.uniform(0.02, 0.9) for _ in texts)
        for text, author_id, at in zip(texts, rng.sample(people, len(texts)), times, strict=True):
            rows.append({"proposal_id": p.id, "author_id": author_id, "body": text, "body_html": render_markdown(text),
                         "created_at": at})
        p.comment_count = len(texts)
    if rows:
        db.session.execute(insert(Comment), rows)


def _posted_when_they_happened(since: datetime) -> None:
    """The demo replays history through services that stamp the load's minute as the posting time: every
    milestone written by the load is posted when it happened (no "dated earlier" note), and each notice
    is dated like the news it carries."""
    from community.notifications.demo import date_notifications

    db.session.execute(update(Milestone).where(Milestone.recorded_at >= since)
                       .values(recorded_at=Milestone.occurred_at, backdate_reason=None))
    date_notifications()
    db.session.commit()


def _status_note(status: str) -> tuple[str, str]:
    return {
        "under_review": ("已进入理事会评审。", "Now under council review."),
        "accepted": ("已立项，进入研发排期。", "Accepted and scheduled for development."),
        "in_progress": ("开发中。", "In development."),
        "delivered": ("已通过 OTA 交付。", "Delivered by OTA update."),
        "declined": ("经评估暂不采纳，感谢建议。", "Declined after review; thank you for the idea."),
    }[status]


def logins_text() -> str:
    """Every demo login, one line each, grouped by role, and the shared password."""
    from community.pledge.demo import AGENT_NAMES, agent_email

    agents = [("team agent", agent_email(slug), f"{slug.replace('_', '-')} queue") for slug in AGENT_NAMES]
    rows = [*LOGIN_ROLES[:3], *agents, *LOGIN_ROLES[3:]]
    lines = [f"  {role:<22} {email:<41} {what}" for role, email, what in rows]
    return "\n".join([*lines, f"  (every demo account's password: {PASSWORD})"])
