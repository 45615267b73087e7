"""/api/v1/notifications: the caller's in-app notifications, follows and notification settings."""
from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.api.auth import requires
from community.api.fields import Blueprint
from community.api.schemas import CursorArgs, ErrorSchema
from community.notifications import service
from community.notifications.models import CHANNELS, KINDS
from community.util import cursor_values, decode_cursor, encode_cursor

URL_PREFIX = ""
blp = Blueprint("api_notifications", __name__, description="Notifications, follows and their settings.")


class NotificationSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    created_at = fields.AwareDateTime(required=True)
    read = fields.Function(lambda n: n.read_at is not None, metadata={"type": "boolean"})
    proposal_id = fields.Integer(attribute="event.proposal_id", allow_none=True)
    text = fields.Function(lambda n: service.describe(n.event), metadata={"type": "string"})
    link = fields.String(attribute="event.link", allow_none=True)


class NotificationPageSchema(Schema):
    items = fields.List(fields.Nested(NotificationSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    unread = fields.Integer(required=True)


class ReadSchema(Schema):
    ids = fields.List(fields.Integer(validate=validate.Range(1, 2**31 - 1)), load_default=None,
                      validate=validate.Length(max=1000),
                      metadata={"description": "Notification ids (at most 1000); omit to mark all read."})


class ReadResultSchema(Schema):
    marked = fields.Integer(required=True)


class FollowSchema(Schema):
    following = fields.Boolean(required=True)


SettingsSchema = Schema.from_dict({k: fields.String(validate=validate.OneOf(list(CHANNELS))) for k in KINDS},
                                  name="NotificationSettings")


@blp.route("/notifications")
@requires("read")
@blp.arguments(CursorArgs, location="query")
@blp.response(200, NotificationPageSchema)
@blp.alt_response(401, schema=ErrorSchema, description="Not authenticated")
def notifications(args):
    """The caller's in-app notifications, newest first, with the unread count."""
    before = cursor_values(decode_cursor(args["cursor"]), "int")
    items = service.for_user(current_user, before[0] if before else None, args["limit"])
    cursor = encode_cursor([items[-1].id]) if len(items) == args["limit"] else None
    return {"items": items, "next_cursor": cursor, "unread": service.unread_count(current_user)}


@blp.route("/notifications/read", methods=["POST"])
@requires("write")
@blp.arguments(ReadSchema, required=False)
@blp.response(200, ReadResultSchema)
@blp.alt_response(401, schema=ErrorSchema, description="Not authenticated")
def mark_read(data):
    """Mark some or all of the caller's notifications read."""
    return {"marked": service.mark_read(current_user, data["ids"])}


@blp.route("/proposals/<int:proposal_id>/follow", methods=["PUT", "DELETE"])
@requires("write")
@blp.response(200, FollowSchema)
@blp.alt_response(404, schema=ErrorSchema, description="No such proposal")
def follow(proposal_id):
    """PUT follows the proposal, DELETE unfollows it (both idempotent)."""
    from flask import request

    from community.proposals.service import get_visible

    on = request.method == "PUT"
    service.set_following(current_user, get_visible(proposal_id).id, on)
    return {"following": on}


@blp.route("/me/notification-settings")
@requires("read")
@blp.response(200, SettingsSchema)
def get_settings():
    """{kind: off | in_app | digest} for every notification kind."""
    return service.settings_for(current_user)


@blp.route("/me/notification-settings", methods=["PUT"])
@requires("write")
@blp.arguments(SettingsSchema, required=False)
@blp.response(200, SettingsSchema)
@blp.alt_response(422, schema=ErrorSchema, description="Unknown kind or channel")
def put_settings(data):
    """Change some kinds' channels; the others keep theirs."""
    service.save_settings(current_user, data)
    return service.settings_for(current_user)
