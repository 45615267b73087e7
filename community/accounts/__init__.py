from flask import Blueprint

bp = Blueprint("accounts", __name__, cli_group="users")

from community.accounts import cli, views  # noqa: E402,F401
