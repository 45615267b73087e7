"""Demo: a roadmap around the story. The story's upgrade is in development for next Q1; an app OTA was
released; supercharger roofs were postponed (original window kept); a mini-programme was cancelled; a new
model and a month-dated OTA are planned. Items are dated at their real steps (``now`` of each call)."""
from __future__ import annotations

from community.demo_base import DemoContext, sh
from community.proposals.models import Proposal
from community.roadmap import service


def find_proposals(*needles: str, limit: int = 2) -> list[int]:
    """Ids of the most-voted visible crowd proposals whose title contains one of ``needles``."""
    ids = []
    for needle in needles:
        p = (Proposal.query.filter(Proposal.title.contains(needle), Proposal.hidden_at.is_(None))
             .order_by(Proposal.vote_count.desc(), Proposal.id).first())
        if p and p.id not in ids:
            ids.append(p.id)
    return ids[:limit]


def load(ctx: DemoContext) -> None:
    y, mod = ctx.year, ctx.moderator

    def item(at, **fields):
        return service.create_item(mod, service.ItemInput(**fields), now=at)

    upgrade = item(sh(y, 9, 28, 10), kind="hardware", window=f"{y + 1}-Q1", models=["001", "009"], model_years=[2024],
                   title_zh="2024 款 001/009 辅助驾驶软硬件升级", title_en="Assisted-driving upgrade for 2024 001/009",
                   description_zh=("为配备激光雷达的 2024 款 001、009 提供最新辅助驾驶系统的软硬件升级，"
                                   "经众筹确认人数后排期施工。"),
                   description_en=("The newest assisted-driving hardware and software for 2024 001 and 009 cars "
                                   "with lidar; booked once the crowdfunding confirms the numbers."),
                   proposal_ids=[ctx.story.id, *find_proposals("城市 NOA", "city navigation", limit=1)])
    service.change_state(upgrade, mod, "in_development", now=sh(y, 10, 10, 11))

    ota = item(sh(y, 6, 3, 10), kind="ota", window=f"{y}-Q3", models=[], model_years=[],
               title_zh="OTA 5.2：App 多车切换与远程空调定时",
               title_en="OTA 5.2: several cars in the app, climate timers",
               description_zh="- App 支持一个账号管理多辆车\n- 远程空调可设置定时", description_en=(
                   "- One account, several cars in the app\n- Timers for remote climate"),
               proposal_ids=find_proposals("多辆车切换", "远程空调", "Switch between several cars",
                                           "Timers for remote climate"))
    service.change_state(ota, mod, "in_development", now=sh(y, 7, 1, 10))
    service.change_state(ota, mod, "released", now=sh(y, 9, 5, 20))

    roofs = item(sh(y, 5, 20, 10), kind="service", window=f"{y}-Q4", models=[], model_years=[],
                 title_zh="超充站遮雨棚（首批 50 座）", title_en="Roofs over supercharger bays (first 50 sites)",
                 description_zh="首批 50 座超充站加装遮雨棚。",
                 description_en="Roofs at the first 50 supercharging sites.",
                 proposal_ids=find_proposals("遮雨棚", "Roofs over supercharger"))
    service.change_state(roofs, mod, "postponed", now=sh(y, 10, 20, 15), new_window=f"{y + 1}-Q2",
                         reason="多地规划审批晚于预期，首批站点顺延。")

    mini = item(sh(y, 4, 8, 10), kind="ota", window=f"{y}-Q3", models=["001", "009"], model_years=[],
                title_zh="车机微信小程序", title_en="WeChat mini-programmes in the car",
                proposal_ids=find_proposals("微信小程序"))
    service.change_state(mini, mod, "cancelled", now=sh(y, 8, 12, 10),
                         reason="改为通过手机投屏提供，避免行车中分心。")

    item(sh(y, 11, 5, 10), kind="new_model", window=f"{y + 1}-Q3", models=["009"], model_years=[],
         title_zh="009 改款车型", title_en="Refreshed 009", description_zh="新一代 009，标配最新辅助驾驶系统与热泵。",
         description_en="The next 009, with the newest assisted driving and a heat pump as standard.")
    item(sh(y, 11, 12, 10), kind="ota", window=f"{y + 1}-03", models=["001", "009"], model_years=[2023],
         title_zh="城市领航辅助开放至 2023 款", title_en="City navigation assist for 2023 cars",
         proposal_ids=find_proposals("城市 NOA", "Bring city navigation", limit=2))
