"""Follows, in-app notifications and daily digests: owners hear when a proposal moves, without floods."""
from flask import Blueprint

bp = Blueprint("notifications", __name__, cli_group="notifications")

from community.notifications import cli, service, views  # noqa: E402,F401

bp.after_app_request(service.fan_out_request_events)


@bp.app_context_processor
def _helpers():
    from flask_login import current_user

    def unread_notifications() -> int:
        return service.unread_count(current_user) if current_user.is_authenticated else 0

    return {"is_following": service.is_following, "unread_notifications": unread_notifications}
