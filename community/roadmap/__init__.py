from flask import Blueprint

bp = Blueprint("roadmap", __name__)

from community.roadmap import views  # noqa: E402,F401


def _linked_to(proposal_id: int):
    from sqlalchemy import exists

    from community.roadmap.models import RoadmapLink

    return exists().where(RoadmapLink.proposal_id == proposal_id)


from community.proposals.service import register_detail_part  # noqa: E402

register_detail_part("roadmap", _linked_to)
