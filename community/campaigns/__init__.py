from flask import Blueprint

bp = Blueprint("campaigns", __name__, cli_group="campaigns")

from community.campaigns import cli, views  # noqa: E402,F401


def _published_for(proposal_id: int):
    """A published campaign of the proposal (what a visitor who is not a moderator is shown)."""
    from sqlalchemy import exists

    from community.campaigns.models import Campaign

    return exists().where(Campaign.proposal_id == proposal_id, Campaign.published_at.is_not(None))


from community.proposals.service import register_detail_part  # noqa: E402

register_detail_part("campaigns", _published_for)
