from flask import Blueprint

bp = Blueprint("roadmap", __name__)

from community.roadmap import views  # noqa: E402,F401
