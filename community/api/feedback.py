"""/api/v1/feedback: submit, my items, and the team queue actions for agents and moderators."""
from functools import partial

from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.api.auth import requires
from community.api.fields import Blueprint, OneLanguageString, Text, text_required_when
from community.api.schemas import CursorArgs, error_responses
from community.errors import PermissionDenied
from community.feedback import service
from community.feedback.models import CHANNELS
from community.pledge import service as pledge
from community.util import decode_cursor, encode_cursor

URL_PREFIX = "/feedback"
blp = Blueprint("api_feedback", __name__, description="Owners' feedback, routed to the service-pledge teams.")


class FeedbackInSchema(Schema):
    text = Text(blank=False, required=True, validate=validate.Length(1, service.MAX_TEXT))
    channel = fields.String(load_default="app", validate=validate.OneOf(list(CHANNELS)))
    vehicle_id = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, 2**31 - 1),
                                metadata={"description": "One of the caller's own cars (`GET /me/vehicles`); any "
                                                         "other id is a 422."})


class ReplyOutSchema(Schema):
    body = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class FeedbackSchema(Schema):
    id = fields.Integer(required=True)
    text = fields.String(required=True)
    channel = fields.String(required=True)
    status = fields.String(required=True)
    team = fields.Function(lambda item: item.team.slug if item.team else None,
                           metadata={"type": ["string", "null"], "description": "Team slug; null = in triage."})
    vehicle_id = fields.Integer(allow_none=True)
    created_at = fields.AwareDateTime(required=True)
    first_response_due_at = fields.AwareDateTime(allow_none=True)
    resolution_due_at = fields.AwareDateTime(allow_none=True)
    first_responded_at = fields.AwareDateTime(allow_none=True)
    resolved_at = fields.AwareDateTime(allow_none=True)
    resolution_note = OneLanguageString(allow_none=True)
    replies = fields.List(fields.Nested(ReplyOutSchema), required=True)


class FeedbackPageSchema(Schema):
    items = fields.List(fields.Nested(FeedbackSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class QueueArgs(CursorArgs):
    team = Text(required=True, validate=validate.Length(1, 32),
                metadata={"description": "Team slug, e.g. after_sales; `triage` for the triage queue."})


class ActionSchema(Schema):
    # What each action needs (community.feedback.service: reply, resolve, reassign, assign_from_triage)
    openapi_rules = {"allOf": [text_required_when("action", ["reply", "resolve"], "body"),
                               text_required_when("action", ["reassign", "assign"], "team")]}
    action = fields.String(required=True, validate=validate.OneOf(["reply", "start", "resolve", "reassign", "assign"]))
    body = Text(load_default=None, validate=validate.Length(max=5000),
                metadata={"description": "The reply (reply) or the resolution note (resolve)."})
    team = Text(load_default=None, validate=validate.Length(max=32),
                metadata={"description": "Target team slug (reassign, assign from triage)."})


_errors = partial(error_responses, blp)


@blp.route("", methods=["POST"])
@requires("write")
@blp.arguments(FeedbackInSchema)
@blp.response(201, FeedbackSchema)
@_errors(401, 422)
def submit(data):
    """Submit feedback; it is routed at once (or lands in triage: never lost, never an error)."""
    return service.submit(current_user, data["text"], data["channel"], data["vehicle_id"])


@blp.route("/mine")
@requires("read")
@blp.response(200, FeedbackSchema(many=True))
@_errors(401)
def mine():
    """The caller's own feedback, newest first, with status, team and replies."""
    return service.my_items(current_user)


@blp.route("/queue")
@requires("read")
@blp.arguments(QueueArgs, location="query")
@blp.response(200, FeedbackPageSchema)
@_errors(401, 403, 404)
def queue(args):
    """A team's open items, soonest due first (agents of that team and moderators); team=triage for triage."""
    after = decode_cursor(args["cursor"])
    if args["team"] == "triage":
        if not service.is_moderator(current_user):
            raise PermissionDenied("Only moderators work the triage queue.")
        page = service.triage_queue(after, args["limit"])
    else:
        team = pledge.team_by_slug(args["team"], active_only=False)
        if team is None:
            from community.errors import NotFound

            raise NotFound("No such team.")
        if not (pledge.is_agent_of(current_user, team.id) or service.is_moderator(current_user)):
            raise PermissionDenied("Only this team's agents and moderators see its queue.")
        page = service.team_queue(team, after, args["limit"])
    return {"items": page.items, "next_cursor": encode_cursor(page.next_cursor) if page.next_cursor else None}


@blp.route("/<int:item_id>")
@requires("read")
@blp.response(200, FeedbackSchema)
@_errors(401, 404)
def detail(item_id):
    """One item the caller may see (its author, its team's agents, moderators)."""
    return service.get_viewable(item_id, current_user)


@blp.route("/<int:item_id>/actions", methods=["POST"])
@requires("write")
@blp.arguments(ActionSchema)
@blp.response(200, FeedbackSchema)
@_errors(401, 403, 404, 409, 422)
def act(data, item_id):
    """Work an item: reply (first reply acknowledges), start, resolve (with note), reassign or assign (triage)."""
    item = service.get_viewable(item_id, current_user)
    action = data["action"]
    if action == "reply":
        service.reply(item, current_user, data["body"])
    elif action == "start":
        service.start(item, current_user)
    elif action == "resolve":
        service.resolve(item, current_user, data["body"])
    elif action == "reassign":
        service.reassign(item, data["team"] or "", current_user)
    else:
        service.assign_from_triage(item, data["team"] or "", current_user)
    return service.get_item(item.id)
