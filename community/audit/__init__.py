"""The audit log: who did what to which record, with before/after, written in the same transaction."""
from flask import Blueprint

bp = Blueprint("audit", __name__, url_prefix="/admin")

from community.audit import views  # noqa: E402,F401
