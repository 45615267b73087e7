"""Mystery-shopper reports (体验报告) on stores, their findings as routed feedback, and store scorecards."""
from flask import Blueprint

bp = Blueprint("shopper", __name__)
stores_cli = Blueprint("stores", __name__, cli_group="stores")

from community.shopper import cli, views  # noqa: E402,F401
