"""/api/v1/council for council members and moderators: the council queue, the agenda, internal notes.

Internal notes never leave through any other endpoint; here they answer 401 to anonymous callers and
403 to everyone else outside the council and moderation, as the web does.
"""
from functools import partial

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.api.auth import requires
from community.api.fields import Blueprint, Text
from community.api.schemas import AuthorSchema, CursorArgs, ProposalSchema, error_responses
from community.council import service, sessions
from community.errors import InvalidCursor, PermissionDenied
from community.proposals import service as proposals
from community.util import MAX_ID, cursor_values, decode_cursor, encode_cursor

URL_PREFIX = "/council"
blp = Blueprint("api_council", __name__, description="Council members and moderators: queue, agenda, internal notes.")
_errors = partial(error_responses, blp)


class CouncilQueueArgs(CursorArgs):
    sort = fields.String(load_default="votes", validate=validate.OneOf(["votes", "age"]),
                         metadata={"description": "votes: most supported first; age: oldest first."})


class QueuePageSchema(Schema):
    items = fields.List(fields.Nested(ProposalSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AgendaInSchema(Schema):
    proposal_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))


class AgendaItemOutSchema(Schema):
    id = fields.Integer(required=True)
    session_id = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True)
    position = fields.Integer(required=True)


class NoteSchema(Schema):
    id = fields.Integer(dump_only=True)
    proposal_id = fields.Integer(dump_only=True)
    body = Text(blank=False, required=True, load_only=True, validate=validate.Length(1, service.MAX_NOTE),
                metadata={"description": "Markdown source."})
    body_html = fields.String(dump_only=True, metadata={"description": "Rendered and sanitised HTML."})
    author = fields.Nested(AuthorSchema, dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


def _council(message: str) -> None:
    """The web's gate for council pages (role_required council_member/moderator): 403 for everyone else,
    before anything about the proposal or session is looked up."""
    if not service.can_see_internal(current_user):
        raise PermissionDenied(message)


def _page(cursor: str | None) -> int:
    """The page number a queue cursor holds (1 without one); InvalidCursor when it holds anything else."""
    page = cursor_values(decode_cursor(cursor), "int")
    if page is None:
        return 1
    if not 1 <= page[0] <= 100_000:
        raise InvalidCursor()
    return page[0]


@blp.route("/queue")
@requires("read")
@blp.arguments(CouncilQueueArgs, location="query")
@blp.response(200, QueuePageSchema)
@_errors(401, 403, 422)
def queue(args):
    """Open proposals no council session has taken up yet (hidden and merged ones never appear)."""
    page = _page(args["cursor"])
    rows, more = service.queue(current_user, args["sort"], page, args["limit"])
    return {"items": rows, "next_cursor": encode_cursor([page + 1]) if more else None}


@blp.route("/sessions/<int:session_id>/agenda", methods=["POST"])
@requires("write")
@blp.arguments(AgendaInSchema)
@blp.response(201, AgendaItemOutSchema)
@_errors(401, 403, 404, 409, 422, descriptions={
    404: "No such session or proposal", 409: "Published session, or already on its agenda",
    422: "Not an open proposal"})
def add_to_agenda(data, session_id):
    """Put an open proposal on a draft session's agenda."""
    _council(_("Only council members and moderators set the agenda."))
    session = sessions.get_session(current_user, session_id)
    return sessions.add_to_agenda(current_user, session, proposals.get_visible(data["proposal_id"]))


@blp.route("/proposals/<int:proposal_id>/notes")
@requires("read")
@blp.response(200, NoteSchema(many=True))
@_errors(401, 403, 404)
def notes(proposal_id):
    """The council's internal notes on a visible proposal, oldest first."""
    _council(_("Internal notes are for council members and moderators."))
    return service.notes_for(current_user, proposals.get_visible(proposal_id))


def _note_writer(proposal_id: int) -> None:
    _council(_("Internal notes are for council members and moderators."))
    proposals.get_visible(proposal_id)


@blp.route("/proposals/<int:proposal_id>/notes", methods=["POST"])
@requires("write", first=_note_writer)
@blp.arguments(NoteSchema)
@blp.response(201, NoteSchema)
@_errors(401, 403, 404, 422)
def add_note(data, proposal_id):
    """Write an internal note (Markdown) on a visible proposal."""
    return service.add_note(current_user, proposals.get_visible(proposal_id), data["body"])
