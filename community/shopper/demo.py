"""Demo: eight stores in four cities and six months of mystery-shopper reports that tell a story.

- 上海·静安体验中心 improves month by month (a new store manager fixed pricing talk and test drives);
- 北京·亦庄服务中心 slides (repairs started before quotes, slow answers), so its recent findings sit open
  in the after-sales queue;
- 成都·太古里体验店 stays the best; the others hold steady around the middle.
Every report goes through the real service (submit files the findings as feedback); findings older than
two weeks were answered and resolved by the team's agent, the recent ones are still open. shopper@ also
has a draft to finish. Some comments carry phone numbers, plates and staff names, to show the redaction.
"""
from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale

from community.accounts.models import User, UserRole
from community.dbtypes import utcnow
from community.extensions import db
from community.feedback import service as feedback
from community.pledge import service as pledge
from community.shopper import service, stores
from community.shopper.models import ShopperReport, Store

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHOPPER_EMAIL = "shopper@cocreate.example"
# (city, name, kind, staff, score at the oldest month, score now): 1..5 means the lines are drawn around
STORES = [
    ("上海", "静安体验中心", "sales", ["王小明", "陈静"], 2.4, 4.6),
    ("上海", "浦东服务中心", "service", ["赵师傅", "孙丽"], 4.3, 4.4),
    ("上海", "虹桥交付中心", "delivery", ["周凯"], 4.1, 4.0),
    ("北京", "三里屯体验店", "sales", ["刘洋", "Zhang Wei"], 3.8, 3.9),
    ("北京", "亦庄服务中心", "service", ["马强", "杨帆"], 4.5, 1.9),
    ("杭州", "西湖体验店", "sales", ["何琳"], 3.2, 3.9),
    ("成都", "太古里体验店", "sales", ["罗敏"], 4.7, 4.8),
    ("成都", "成华服务中心", "service", ["黄磊"], 3.1, 3.2),
]
# Which promises (positions in community.pledge.demo.PROMISES) a visit to each kind of store observes.
OBSERVES = {"sales": [0, 1, 10, 7], "service": [4, 5, 6, 7], "delivery": [2, 3, 10, 7]}
VISIT_KIND = {"sales": ["test_drive", "purchase"], "service": ["service"], "delivery": ["delivery"]}
LOW_COMMENTS = {
    0: ["报价单上多了一项“金融服务费”，顾问说不交就不能锁单。",
        "门店价格比 App 高 3000 元，顾问{staff}说是“门店政策”。"],
    1: ["试驾预约等了两天才确认，顾问留的电话 13912345678 一直没人接。", "试驾过程中一直被推销，说今天不订就没优惠。"],
    2: ["问交付周期，顾问说不清楚，也没给书面答复。"],
    3: ["交付时没有讲解功能，车上还贴着别人车牌 沪A·D12345 的临牌。"],
    4: ["打救援电话 30 分钟没有回应。"],
    5: ["没有先报价就开始拆保险杠，工单上写的联系人是{staff}，电话 010-67891234。",
        "维修进度 App 里三天没更新，问前台{staff}说系统坏了。"],
    6: ["门店超充桩坏了两个，现场没人知道什么时候修。"],
    7: ["App 蓝牙钥匙在门店连不上，工作人员让我自己重装。"],
    10: ["金融方案只给口头利率，不给书面材料。"],
}
GOOD_COMMENTS = ["流程清楚，态度很好。", "主动说明了价格构成。", "准时，讲解耐心。", ""]


def _shopper(email: str, name: str, password_hash: str) -> User:
    user = User.query.filter_by(email=email).first()
    if user is None:
        user = User(email=email, display_name=name, session_token=secrets.token_hex(16), password_hash=password_hash)
        db.session.add(user)
    if "mystery_shopper" not in user.role_names:
        user.roles.append(UserRole(role="mystery_shopper"))
    return user


def _months_back(now: datetime, n: int) -> list[tuple[int, int]]:
    local = now.astimezone(SHANGHAI)
    year, month, out = local.year, local.month, []
    for _ in range(n):
        out.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out[::-1]


def _line(rng, level: float) -> int | None:
    if rng.random() < 0.15:
        return None  # not observed on this visit
    return max(1, min(5, round(level + rng.gauss(0, 0.7))))


def _close(item, agent, at: datetime) -> None:
    """Answer, start and resolve a finding's feedback item at believable instants after ``at``."""
    feedback.reply(item, agent, "感谢反馈，我们已联系门店核实，会在承诺时间内处理。", now=at)
    feedback.start(item, agent, now=at + timedelta(hours=2))
    feedback.resolve(item, agent, "已与门店负责人复盘，整改措施已落实并复查。", now=at + timedelta(days=2))


def load(ctx) -> None:
    if Store.query.first():
        return
    rng, now = ctx.rng, utcnow()
    shops = [(stores.save_store(None, ctx.admin, name=name, city=city, kind=kind, staff_names=staff), a, b)
             for city, name, kind, staff, a, b in STORES]
    main = _shopper(SHOPPER_EMAIL, "体验官 陈晨", ctx.owner.password_hash)
    second = _shopper("shopper2@cocreate.example", "体验官 刘洋", ctx.owner.password_hash)
    db.session.commit()
    items = pledge.pledge_items()
    months = _months_back(now, 6)
    with force_locale("zh"):
        for shop, start, end in shops:
            for m, (year, month) in enumerate(months):
                level = start + (end - start) * m / (len(months) - 1)
                for visit in range(2):
                    day = datetime(year, month, 3 + visit * 12 + rng.randrange(8), 10 + rng.randrange(8),
                                   rng.choice([0, 15, 30, 45]), tzinfo=SHANGHAI).astimezone(UTC)
                    if day > now - timedelta(days=2):
                        continue
                    _report(rng, shop, main if visit == 0 else second, items, level, day)
        # a bad visit three days ago: its findings are new in the after-sales queue
        _report(rng, shops[4][0], second, items, 1.6, now - timedelta(days=3))
        _draft(main, shops[0][0], items, now)
    _answer_old_findings(now)


def _report(rng, shop: Store, author: User, items, level: float, visited_at: datetime) -> None:
    lines = {}
    for index in OBSERVES[shop.kind]:
        if index >= len(items):
            continue
        score = _line(rng, level)
        comment = ""
        if score is not None and score <= 2:
            comment = rng.choice(LOW_COMMENTS.get(index, ["不符合承诺。"])).format(staff=rng.choice(shop.staff_names))
        elif score is not None and rng.random() < 0.3:
            comment = rng.choice(GOOD_COMMENTS)
        lines[items[index].id] = service.LineInput(score, comment, False)
    narrative = (f"{visited_at.astimezone(SHANGHAI):%m月%d日} 以普通顾客身份到店，未提前预约。"
                 + ("整体体验良好，接待及时。" if level >= 3.5 else "等待较久，接待人员对公约内容不熟悉。"))
    data = service.ReportInput(store_id=shop.id, visited_at=visited_at, visit_kind=rng.choice(VISIT_KIND[shop.kind]),
                               narrative=narrative, lines=lines)
    report = service.save_draft(None, author, data, now=visited_at + timedelta(hours=3))
    service.submit(report, author, now=visited_at + timedelta(hours=20))


def _draft(author: User, shop: Store, items, now: datetime) -> None:
    """A visit the demo shopper has started writing up: finish it, add a photo, submit."""
    visited = now - timedelta(days=1)
    lines = {items[0].id: service.LineInput(4, "报价透明。", False),
             items[1].id: service.LineInput(2, "试驾要求先留身份证号 310101199001011234 才给排期。", True)}
    data = service.ReportInput(store_id=shop.id, visited_at=visited, visit_kind="test_drive",
                               narrative="周末下午到店，顾问王小明接待。", lines=lines)
    service.save_draft(None, author, data, now=visited + timedelta(hours=2))


def _answer_old_findings(now: datetime) -> None:
    """Findings older than a month were answered and resolved by the team's agent; those of the last month
    but one week were answered and are being worked on; the last week's are new in the queues."""
    for report in ShopperReport.query.filter(ShopperReport.status == "submitted",
                                             ShopperReport.submitted_at < now - timedelta(days=7)).all():
        for finding in report.findings:
            item = finding.feedback
            if item is None or item.team is None or not item.team.agents or item.status != "new":
                continue
            agent, at = item.team.agents[0], item.created_at + timedelta(hours=6)
            if item.created_at < now - timedelta(days=30):
                _close(item, agent, at)
            else:
                feedback.reply(item, agent, "收到，已转门店负责人核实，本周内给出整改方案。", now=at)
                feedback.start(item, agent, now=at + timedelta(hours=2))
