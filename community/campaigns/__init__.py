from flask import Blueprint

bp = Blueprint("campaigns", __name__, cli_group="campaigns")

from community.campaigns import cli, views  # noqa: E402,F401
