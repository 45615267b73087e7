from flask import Blueprint

bp = Blueprint("announcements", __name__)

from community.announcements import views  # noqa: E402,F401


def _answering(proposal_id: int):
    from sqlalchemy import exists

    from community.announcements.models import AnnouncementAnswer

    return exists().where(AnnouncementAnswer.proposal_id == proposal_id)


from community.proposals.service import register_detail_part  # noqa: E402

register_detail_part("announcements", _answering)
