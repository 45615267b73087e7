"""marshmallow schemas: the API's shapes, and the source of its OpenAPI document."""
from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.accounts.vehicles import HARDWARE, MODEL_YEARS, MODELS
from community.api.fields import LocalDateTime, OneLanguageString, Pattern, Text
from community.proposals.models import CATEGORIES, STATUS_LABELS
from community.proposals.service import MAX_BODY, MAX_COMMENT, MAX_TITLE, has_voted
from community.timeline.models import KINDS

# 17 characters of ISO 3779's alphabet (no I, O or Q), either case; position 9, the check digit, is checked by
# the server (community.accounts.vehicles.vin_problem) and cannot be written as a pattern: the document names it
# as the format "vin" (validators that do not know a format ignore it; a client generator can register one).
VIN_PATTERN = r"^[A-HJ-NPR-Za-hj-npr-z0-9]{17}$"
VIN_FORMAT = "vin"
VIN_DESCRIPTION = "17 characters, no I, O or Q; the 9th is the ISO 3779 check digit (422 when it does not match)."


class CursorArgs(Schema):
    cursor = fields.String(load_default=None, validate=Pattern(r"^[A-Za-z0-9_-]{0,512}$", error="Not a cursor."),
                           metadata={"description": "`next_cursor` of the previous page, as given (a cursor made up "
                                                    "or changed by the client is a 422)."})
    limit = fields.Integer(load_default=20, validate=validate.Range(1, 100))


class ProposalListArgs(CursorArgs):
    sort = fields.String(load_default="top", validate=validate.OneOf(["top", "newest", "updated"]))
    status = fields.String(load_default=None, validate=validate.OneOf(list(STATUS_LABELS)))
    category = fields.String(load_default=None, validate=validate.OneOf(list(CATEGORIES)))
    q = Text(load_default=None, validate=validate.Length(max=100),
             metadata={"description": "Search: every term must match (Chinese and English)."})


class AuthorSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)


class ProposalSchema(Schema):
    id = fields.Integer(dump_only=True)
    title = Text(blank=False, required=True, validate=validate.Length(1, MAX_TITLE))
    body = Text(blank=False, required=True, validate=validate.Length(1, MAX_BODY),
                metadata={"description": "Markdown source."})
    body_html = fields.String(dump_only=True, metadata={"description": "Rendered and sanitised HTML."})
    category = fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    status = fields.String(dump_only=True)
    vote_count = fields.Integer(dump_only=True)
    comment_count = fields.Integer(dump_only=True)
    author = fields.Nested(AuthorSchema, dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)
    updated_at = fields.AwareDateTime(dump_only=True)


class ProposalDetailSchema(ProposalSchema):
    voted = fields.Function(lambda p: has_voted(current_user, p), dump_only=True,
                            metadata={"type": "boolean", "description": "Whether the caller has voted."})
    voting_open = fields.Boolean(attribute="is_open", dump_only=True)


class ProposalPageSchema(Schema):
    items = fields.List(fields.Nested(ProposalSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CommentSchema(Schema):
    id = fields.Integer(dump_only=True)
    proposal_id = fields.Integer(dump_only=True)
    body = Text(blank=False, required=True, validate=validate.Length(1, MAX_COMMENT),
                metadata={"description": "Markdown source."})
    body_html = fields.String(dump_only=True, metadata={"description": "Rendered and sanitised HTML."})
    author = fields.Nested(AuthorSchema, dump_only=True)
    created_at = fields.AwareDateTime(dump_only=True)


class CommentArgs(CursorArgs):
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))


class CommentPageSchema(Schema):
    items = fields.List(fields.Nested(CommentSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class VoteSchema(Schema):
    vote_count = fields.Integer(required=True)
    voted = fields.Boolean(required=True)


class MilestoneSchema(Schema):
    id = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(KINDS)))
    kind_label = fields.String(required=True, metadata={"description": "In the caller's language."})
    occurred_at = LocalDateTime(required=True, metadata={"description": "In the caller's zone."})
    recorded_at = LocalDateTime(required=True)
    backdate_reason = OneLanguageString(allow_none=True)
    text_zh = fields.String(allow_none=True)
    text_en = fields.String(allow_none=True)
    text = fields.String(required=True, metadata={"description": "In the caller's language, else the other one."})
    progress_percent = fields.Integer(allow_none=True)
    status_from = fields.String(allow_none=True)
    status_to = fields.String(allow_none=True)


class TimelineArgs(CursorArgs):
    kind = fields.String(load_default=None, validate=validate.OneOf(list(KINDS)))


class EvidenceStateSchema(Schema):
    """What the owner may know of the proof under review: never the photo, never the full VIN."""

    kind = fields.String(required=True, metadata={"description": "licence (行驶证) or invoice (purchase invoice)."})
    uploaded_at = fields.AwareDateTime(required=True)
    state = fields.Function(lambda e: "deleted" if e.purged_at else ("under_review" if e.decision is None
                                                                       else "decided"),
                            required=True, metadata={"description": "under_review, decided (the photo is kept "
                                                     "VEHICLE_EVIDENCE_DAYS after the decision) or deleted."})
    decided_at = fields.AwareDateTime(allow_none=True)


class VehicleSchema(Schema):
    id = fields.Integer(dump_only=True)
    model = fields.String(required=True, validate=validate.OneOf(list(MODELS)))
    model_year = fields.Integer(required=True, validate=validate.OneOf(list(MODEL_YEARS)))
    hardware = fields.List(fields.String(validate=validate.OneOf(list(HARDWARE))), load_default=list)
    vin = fields.String(required=True, load_only=True, validate=Pattern(VIN_PATTERN),
                        metadata={"description": VIN_DESCRIPTION, "format": VIN_FORMAT})
    masked_vin = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    reject_reason = OneLanguageString(dump_only=True, allow_none=True)
    evidence = fields.Nested(EvidenceStateSchema, attribute="latest_evidence", dump_only=True, allow_none=True,
                             metadata={"description": "The proof sent last, or null: send it with "
                                                      "POST /me/vehicles/{id}/evidence."})


class MeSchema(Schema):
    id = fields.Integer(required=True)
    email = fields.String(required=True)
    display_name = fields.String(required=True)
    is_owner = fields.Boolean(required=True)
    roles = fields.List(fields.String(), required=True)
    vehicles = fields.List(fields.Nested(VehicleSchema), required=True)


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(data_key="fields", keys=fields.String(), values=fields.String())


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


ERROR_DESCRIPTIONS = {401: "Not authenticated", 403: "Forbidden", 404: "Not found", 409: "Conflict", 410: "Gone",
                      422: "Validation failed"}


def error_responses(blp, *codes: int, descriptions: dict[int, str] | None = None):
    """Endpoint decorator: document each status in ``codes`` as an ErrorSchema answer of ``blp`` (OpenAPI only;
    the answers themselves come from community.errors). ``descriptions`` overrides the default texts."""
    texts = {**ERROR_DESCRIPTIONS, **(descriptions or {})}

    def decorator(view):
        for code in codes:
            view = blp.alt_response(code, schema=ErrorSchema, description=texts[code])(view)
        return view
    return decorator
