"""/api/v1/announcements: official announcements (官方回应) with the proposals they answer."""
from functools import partial

from marshmallow import Schema, fields

from community.announcements import service
from community.api.fields import Blueprint, LocalDateTime, NestedFrom
from community.api.roadmap import LinkedProposalSchema
from community.api.schemas import CursorArgs, error_responses
from community.util import decode_cursor, encode_cursor

URL_PREFIX = "/announcements"
blp = Blueprint("api_announcements", __name__, description="Official announcements answering owners' proposals.")
_errors = partial(error_responses, blp)


class AnnouncementSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True, metadata={"description": "In the caller's language when it exists."})
    title_zh = fields.String(allow_none=True, required=True)
    title_en = fields.String(allow_none=True, required=True)
    body_html = fields.String(required=True, metadata={"description": "Rendered and sanitised HTML, in the caller's "
                                                                      "language when it exists."})
    published_at = LocalDateTime(required=True)
    proposals = NestedFrom(LinkedProposalSchema, service.answered, many=True, required=True,
                           metadata={"description": "The visible proposals it answers."})


class AnnouncementPageSchema(Schema):
    items = fields.List(fields.Nested(AnnouncementSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@blp.route("")
@blp.etag
@blp.arguments(CursorArgs, location="query")
@blp.response(200, AnnouncementPageSchema)
@_errors(422)
def announcements(args):
    """Announcements, newest first, cursor-paged."""
    items, cursor = service.list_page(decode_cursor(args["cursor"]), args["limit"])
    return {"items": items, "next_cursor": encode_cursor(cursor) if cursor else None}


@blp.route("/<int:announcement_id>")
@blp.etag
@blp.response(200, AnnouncementSchema)
@_errors(404)
def announcement(announcement_id):
    """One announcement."""
    return service.get_announcement(announcement_id)
