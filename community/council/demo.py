"""Demo data for the council and moderation: a current council in several regions, a past term, the
14 Sep Lijiang session (published, three agenda items, the story proposal's decision a company
commitment), a draft session, internal notes, open reports, a hidden spam post and one merged duplicate.
"""
from __future__ import annotations

from datetime import date, timedelta

from community.council import service, sessions
from community.dbtypes import utcnow
from community.demo_base import DemoContext, redate, sh
from community.moderation import service as moderation
from community.proposals import service as proposals
from community.proposals.models import Proposal

DUPLICATE_OF = "Separate switch for steering wheel heating"  # a crowd title in community.demo
MINUTES = """## 丽江全球用户委员会 · 理事共创会

**议程**

1. 2024 款 001 / 009 激光雷达车型的辅助驾驶升级（众筹方式）
2. 其他车主提案

**纪要**

- 车主理事介绍了老车主的诉求：车辆具备激光雷达，但没有最新的辅助驾驶系统。
- 公司代表承诺尽快评估软硬件付费升级的可行性，并在评估完成后公开回应。
- 理事会将持续跟进，进展在公开进展页面发布。
"""


def load(ctx: DemoContext) -> None:
    """Idempotent only as part of ``community.demo.load`` (which runs once per empty database)."""
    year, admin, mod = ctx.year, ctx.admin, ctx.moderator
    crowd = ctx.crowd
    members = [(ctx.council, "云南", "member"), (crowd[0], "华东", "chair"), (crowd[1], "华南", "member"),
               (crowd[2], "华北", "member"), (crowd[3], "西南", "member"), (crowd[4], "海外", "member")]
    for user, region, seat in members:
        service.appoint(admin, user, region, seat, date(year, 1, 1), date(year + 1, 12, 31))
    for user, region in [(crowd[5], "华东"), (crowd[6], "华中")]:
        service.appoint(admin, user, region, "member", date(year - 2, 1, 1), date(year - 1, 12, 31))

    start = utcnow()
    _lijiang_session(ctx, [m[0] for m in members])
    redate(start, sh(year, 9, 14, 21, 30), occurred=False)  # the minutes went up the evening of the session
    upcoming = sessions.create_session(mod, "线上理事会 · 冬季提案评审", utcnow() + timedelta(days=21),
                                       online_url="https://meeting.example/council-winter")
    queue, _more = service.queue(ctx.council, "votes", 1, 3)
    if queue:
        sessions.add_to_agenda(ctx.council, upcoming, queue[0])
    service.add_note(ctx.council, ctx.story, "南方车主群里也有很多人关心升级价格，众筹定价前建议再做一次问卷。")
    service.add_note(mod, ctx.story, "Eligibility rule to be confirmed with the assisted-driving team before November.")
    _moderation(ctx)


def _pick(statuses: tuple[str, ...], before, exclude: set[int], category: str | None = None) -> Proposal | None:
    q = proposals.visible_query().filter(Proposal.status.in_(statuses), Proposal.created_at < before,
                                         Proposal.id.notin_(exclude or {0}))
    if category:
        q = q.filter(Proposal.category == category)
    return q.order_by(Proposal.vote_count.desc(), Proposal.id).first()


def _lijiang_session(ctx: DemoContext, members) -> None:
    year, mod = ctx.year, ctx.moderator
    held = sh(year, 9, 14, 16)
    s = sessions.create_session(mod, "丽江全球用户委员会·理事共创会", held, place="云南丽江",
                                guests="集团 CEO、辅助驾驶与产品团队")
    sessions.update_session(mod, s, title=s.title, starts_at=held, place=s.place, online_url=None, guests=s.guests,
                            minutes=MINUTES, attendee_ids=[u.id for u in members])
    taken = {ctx.story.id}
    second = _pick(("submitted",), held, taken, "assisted_driving") or _pick(("submitted",), held, taken)
    taken.add(second.id)
    third = _pick(("submitted",), held, taken, "charging") or _pick(("submitted",), held, taken)
    plan = [(ctx.story, "commitment", "公司承诺研究为符合条件的老车提供软硬件付费升级方案，并以众筹方式组织。"),
            (second, "accept", "理事会一致支持，纳入研发排期评估。"),
            (third, "needs_info", "请补充具体场景和所在城市，便于相关团队评估。")]
    for proposal, decision, text in plan:
        item = sessions.add_to_agenda(ctx.council, s, proposal)
        sessions.decide(mod, item, decision, text)
    sessions.publish(mod, s)


def _moderation(ctx: DemoContext) -> None:
    """Reports, a hidden spam post, a blocked spammer and one merged duplicate, each on a believable past day
    (the services stamp the load's minute; ``redate`` moves those rows back)."""
    mod, crowd, year = ctx.moderator, ctx.crowd, ctx.year
    # One merged duplicate: an owner asks in Chinese for what another asked in English weeks earlier.
    original = Proposal.query.filter_by(title=DUPLICATE_OF).first()
    if original is not None:
        start = utcnow()
        asked = max(original.created_at + timedelta(days=9), sh(year, 6, 1, 21))
        duplicate = proposals.create_proposal(crowd[20], "方向盘加热能不能单独开关？",
                                              "冬天只想热方向盘，不想开座椅加热，希望给方向盘加热一个独立开关。",
                                              "comfort", created_at=asked)
        for voter in crowd[21:25]:
            proposals.vote(voter, duplicate)
        moderation.merge(mod, duplicate.id, original.id, "与更早的提案重复，支持票已合并。")
        redate(start, asked + timedelta(days=2, hours=3))

    start = utcnow()
    spammer = crowd[-1]
    spam = proposals.create_proposal(spammer, "加微信低价代购原厂配件", "私聊加微信 xxxxx，全网最低价。", "other",
                                     created_at=sh(year, 11, 2, 23, 40))
    fans = [u for u in crowd[7:12] if u.id != spammer.id]
    for user in fans[:3]:
        moderation.flag(user, "proposal", spam.id, "广告")
    moderation.set_hidden(mod, "proposal", spam.id, True, "广告，违反社区规则。")
    moderation.set_blocked(mod, spammer, True, "发布广告。")
    redate(start, sh(year, 11, 3, 9, 12))

    start = utcnow()
    target = _pick(("submitted", "under_review"), utcnow(), set())
    rude = proposals.add_comment(crowd[12], target, "这种提案也好意思提？")
    proposals.add_comment(crowd[13], target, "支持！希望尽快安排。")
    moderation.flag(crowd[14], "comment", rude.id, "不友善的评论")
    moderation.flag(crowd[15], "comment", rude.id, "人身攻击")
    other = _pick(("submitted",), utcnow(), {target.id})
    moderation.flag(crowd[16], "proposal", other.id, "可能与另一个提案重复")
    redate(start, max(utcnow() - timedelta(days=2), target.created_at + timedelta(days=3)))
