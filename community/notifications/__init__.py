"""Follows, in-app notifications and daily digests: owners hear when a proposal moves, without floods."""
from flask import Blueprint

from community.accounts.models import register_user_fact, user_fact

bp = Blueprint("notifications", __name__, cli_group="notifications")

from community.notifications import cli, service, views  # noqa: E402,F401

bp.after_app_request(service.fan_out_request_events)


@bp.record_once
def _listen(state) -> None:
    from community import events

    events.subscribe(state.app, service.on_domain_event)


def unread_notifications() -> int:
    """The current visitor's unread in-app notifications (0 for anonymous), read with the user when possible."""
    from flask_login import current_user

    user = current_user._get_current_object()
    if not user.is_authenticated:
        return 0
    return user_fact(user, "unread_notifications", lambda: service.unread_count(user))


@bp.app_context_processor
def _helpers():
    return {"is_following": service.is_following, "unread_notifications": unread_notifications}


def _unread():
    """The unread in-app notifications of the user (``users.id`` of the enclosing query): read with the user."""
    from sqlalchemy import func, select

    from community.accounts.models import User
    from community.notifications.models import Notification

    return service.visible_select(select(func.count(Notification.id)).where(
        Notification.user_id == User.id, Notification.channel == "in_app", Notification.read_at.is_(None))
    ).scalar_subquery()


register_user_fact("unread_notifications", _unread)
