"""/api/v1/roadmap: the product roadmap (产品更新计划) with each item's dated history, as ``/roadmap`` shows it."""
from functools import partial

from flask import abort
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.accounts.vehicles import MODELS
from community.api.fields import Blueprint, LocalDateTime, NestedFrom, OneLanguageString
from community.api.schemas import error_responses
from community.roadmap import service
from community.roadmap.models import KINDS, STATES

URL_PREFIX = "/roadmap"
blp = Blueprint("api_roadmap", __name__, description="The product roadmap and each item's public history.")
_errors = partial(error_responses, blp)


class RoadmapArgs(Schema):
    model = fields.String(load_default=None, validate=validate.OneOf(list(MODELS)),
                          metadata={"description": "Only items for this model (or for every model)."})
    mine = fields.Boolean(load_default=False,
                          metadata={"description": "Only items affecting one of the caller's verified cars "
                                                   "(needs authentication)."})


class LinkedProposalSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    status = fields.String(required=True)
    vote_count = fields.Integer(required=True)


class RoadmapEntrySchema(Schema):
    id = fields.Integer(required=True)
    occurred_at = LocalDateTime(required=True)
    state_from = fields.String(allow_none=True, required=True, validate=validate.OneOf(list(STATES)),
                               metadata={"description": "null: the item was published."})
    state_to = fields.String(required=True, validate=validate.OneOf(list(STATES)))
    state_label = fields.String(required=True)
    window_from = fields.String(allow_none=True, required=True)
    window_to = fields.String(required=True)
    window_to_label = fields.Function(lambda e: service.window_label(e.window_to), required=True,
                                      metadata={"type": "string"})
    reason = OneLanguageString(allow_none=True, required=True)
    actor_name = fields.Function(lambda e: e.actor.display_name if e.actor else None, required=True,
                                 metadata={"type": ["string", "null"]})


def _affects_mine(item) -> bool | None:
    vehicles = service.verified_vehicles(current_user)
    return service.affects_any(item, vehicles) if current_user.is_authenticated else None


class RoadmapItemSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True, metadata={"description": "In the caller's language when it exists."})
    title_zh = fields.String(allow_none=True, required=True)
    title_en = fields.String(allow_none=True, required=True)
    description_html = fields.String(required=True, metadata={"description": "Rendered and sanitised HTML."})
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    kind_label = fields.String(required=True)
    models = fields.List(fields.String(), required=True, metadata={"description": "Empty: every model."})
    model_years = fields.List(fields.Integer(), required=True, metadata={"description": "Empty: every year."})
    window = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-(Q[1-4]|\d{2})$"),
                           metadata={"description": "A quarter `2026-Q1` or a month `2026-03`, never a day."})
    window_label = fields.Function(lambda i: service.window_label(i.window), required=True,
                                   metadata={"type": "string"})
    original_window = fields.String(required=True, metadata={"description": "The window first announced."})
    moved = fields.Boolean(required=True)
    state = fields.String(required=True, validate=validate.OneOf(list(STATES)))
    state_label = fields.String(required=True)
    state_reason = OneLanguageString(allow_none=True, required=True,
                                 metadata={"description": "Why it was postponed or cancelled."})
    affects_my_cars = fields.Function(_affects_mine, required=True,
                                      metadata={"type": ["boolean", "null"],
                                                "description": "null for anonymous callers."})
    proposals = NestedFrom(LinkedProposalSchema, service.visible_proposals, many=True, required=True,
                           metadata={"description": "The visible proposals it answers, most votes first."})
    history = fields.List(fields.Nested(RoadmapEntrySchema), attribute="entries", required=True,
                          metadata={"description": "Dated public entries, newest first."})
    created_at = LocalDateTime(required=True)
    updated_at = LocalDateTime(required=True)


class RoadmapQuarterSchema(Schema):
    quarter = fields.String(required=True, validate=validate.Regexp(r"^\d{4}-Q[1-4]$"))
    label = fields.Function(lambda g: service.window_label(g["quarter"]), required=True,
                            metadata={"type": "string"})
    items = fields.List(fields.Nested(RoadmapItemSchema), required=True)


class RoadmapSchema(Schema):
    quarters = fields.List(fields.Nested(RoadmapQuarterSchema), required=True,
                           metadata={"description": "Items grouped by the quarter of their current window."})


@blp.route("")
@blp.etag
@blp.arguments(RoadmapArgs, location="query")
@blp.response(200, RoadmapSchema)
@_errors(401, 422)
def roadmap(args):
    """Every roadmap item by quarter, in window order, with its dated history; filter by model, or only
    the items affecting the caller's verified cars (``mine``, 401 when anonymous)."""
    if args["mine"] and not current_user.is_authenticated:
        abort(401, _("Authenticate to filter by your cars."))
    vehicles = service.verified_vehicles(current_user) if args["mine"] else None
    groups = service.list_by_quarter(args["model"], vehicles)
    return {"quarters": [{"quarter": quarter, "items": items} for quarter, items in groups]}


@blp.route("/<int:item_id>")
@blp.etag
@blp.response(200, RoadmapItemSchema)
@_errors(404)
def roadmap_item(item_id):
    """One roadmap item with its history and the visible proposals it answers."""
    return service.get_item(item_id)
