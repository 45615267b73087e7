"""The service pledge: teams, their agents, the published promises with SLAs, and the public scorecard."""
from flask import Blueprint

bp = Blueprint("pledge", __name__)

from community.pledge import views  # noqa: E402,F401
