"""Signed webhooks: admins register endpoints; events are written to an outbox in the transaction that
made them and delivered, signed, by an idempotent job with retries (see service.py and delivery.py)."""
from flask import Blueprint

bp = Blueprint("webhooks", __name__, url_prefix="/admin/webhooks")

from community.webhooks import views  # noqa: E402,F401
