from flask import Blueprint

bp = Blueprint("council", __name__, url_prefix="/council")

from community.council import views  # noqa: E402,F401
