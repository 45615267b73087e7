from flask import Blueprint

bp = Blueprint("timeline", __name__)

from community.timeline import views  # noqa: E402,F401
