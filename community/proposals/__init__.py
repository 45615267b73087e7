from flask import Blueprint

bp = Blueprint("proposals", __name__)

from community.proposals import cli, views  # noqa: E402,F401
