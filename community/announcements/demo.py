"""Demo: one official announcement answering two owners' proposals (city navigation for older cars and
supercharger roofs). Posted on 14 Nov: each proposal's timeline gets an ``announcement`` milestone."""
from __future__ import annotations

from community.announcements import service
from community.announcements.models import Announcement
from community.dbtypes import utcnow
from community.demo_base import DemoContext, redate, sh
from community.roadmap.demo import find_proposals


def load(ctx: DemoContext) -> None:
    ids = (find_proposals("城市 NOA", "Bring city navigation", limit=1)
           + find_proposals("遮雨棚", "Roofs over supercharger", limit=1))
    if len(ids) < 2:
        return
    start = utcnow()
    service.post_announcement(ctx.moderator, service.AnnouncementInput(
        title_zh="关于城市领航与超充遮雨棚的官方回应",
        title_en="Our answer on city navigation for older cars and supercharger roofs",
        body_zh=("感谢车主们的建议，回应如下：\n\n"
                 "1. **城市领航辅助**将于明年 3 月开放至 2023 款 001/009，详见[产品更新计划](/roadmap)。\n"
                 "2. **超充站遮雨棚**首批 50 座因审批顺延至明年二季度，原计划窗口仍在计划页公示。\n\n"
                 "我们会在每一步更新时通知关注这两条提案的车主。"),
        body_en=("Thank you for the proposals. Our answers:\n\n"
                 "1. **City navigation assist** comes to 2023 001/009 cars next March; see the [roadmap](/roadmap).\n"
                 "2. **Supercharger roofs**: the first 50 sites move to Q2 next year because of permits; the "
                 "original window stays visible on the roadmap.\n\n"
                 "Owners following these proposals hear about every step."),
        proposal_ids=ids))
    # Posted on 14 Nov, after the roadmap's 12 Nov entry it points to (the service stamps the load's minute).
    published = sh(ctx.year, 11, 14, 18)
    redate(start, published)
    Announcement.query.filter(Announcement.published_at >= start).update({"published_at": published})
