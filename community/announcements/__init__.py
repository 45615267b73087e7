from flask import Blueprint

bp = Blueprint("announcements", __name__)

from community.announcements import views  # noqa: E402,F401
