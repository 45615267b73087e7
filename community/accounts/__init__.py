from flask import Blueprint

bp = Blueprint("accounts", __name__)

from community.accounts import cli, views  # noqa: E402,F401
