"""Owners' feedback: submission, routing to a pledge team, triage, the agents' queue and the SLA sweep."""
from flask import Blueprint

bp = Blueprint("feedback", __name__, url_prefix="/feedback")

from community.feedback import moderation, router_views, views  # noqa: E402,F401
