from flask import Blueprint

bp = Blueprint("entitlements", __name__, cli_group="entitlements")

from community.entitlements import cli, views  # noqa: E402,F401
