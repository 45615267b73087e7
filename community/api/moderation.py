"""/api/v1 for moderators: verify vehicles, move proposals through the workflow, post milestones, the flag
queue, hide/restore/dismiss, block/unblock, vote removal, merging duplicates; and reporting content (anyone)."""
from functools import partial

from flask import url_for
from flask_login import current_user
from marshmallow import Schema, fields, validate

from community import storage
from community.accounts import evidence
from community.accounts import service as accounts
from community.accounts.models import Vehicle
from community.api.auth import requires
from community.api.fields import Blueprint, Text, one_of_texts, text_required_when
from community.api.schemas import (
    AuthorSchema,
    ErrorSchema,
    MilestoneSchema,
    ProposalDetailSchema,
    VehicleSchema,
    error_responses,
)
from community.errors import NotFound, PermissionDenied
from community.extensions import db
from community.moderation import service as moderation
from community.moderation.targets import get_target
from community.proposals import service as proposals
from community.proposals.models import STATUS_LABELS
from community.timeline.models import POSTABLE_KINDS
from community.util import MAX_ID

URL_PREFIX = ""
blp = Blueprint("api_moderation", __name__, description="Moderators: vehicles, statuses and milestones.")


class DecodedVinSchema(Schema):
    wmi = fields.String(required=True, metadata={"description": "World manufacturer identifier: positions 1-3."})
    manufacturer = fields.String(allow_none=True, metadata={"description": "As the vininfo library knows it."})
    model_years = fields.List(fields.Integer(), required=True,
                              metadata={"description": "Position 10's candidates (every 30 years), newest first."})
    model_year = fields.Integer(allow_none=True, metadata={"description": "The candidate the brand sold; compare "
                                                                           "with the claimed model_year."})
    check_digit_ok = fields.Boolean(required=True, metadata={"description": "Position 9 (ISO 3779)."})


class ProofSchema(Schema):
    """The proof under review, for moderators: the full VIN, what it decodes to, and where the photo is."""

    id = fields.Integer(required=True)
    kind = fields.String(required=True)
    uploaded_at = fields.AwareDateTime(required=True)
    vin = fields.String(required=True, metadata={"description": "The full VIN as the owner typed it."})
    decoded = fields.Function(lambda e: DecodedVinSchema().dump(evidence.decode_vin(e.vin)), required=True)
    photo_url = fields.Function(lambda e: url_for("api_moderation.proof_photo", evidence_id=e.id), required=True,
                                metadata={"description": "GET it with the same credentials (moderators only)."})


def _open_proof(vehicle):
    proof = vehicle.latest_evidence
    return proof if proof is not None and proof.decision is None and proof.has_photo else None


class PendingVehicleSchema(VehicleSchema):
    owner_id = fields.Integer(dump_only=True)
    proof = fields.Function(lambda v: ProofSchema().dump(p) if (p := _open_proof(v)) else None, allow_none=True,
                            metadata={"description": "null: no proof sent yet; ask the owner before verifying."})


class ReviewSchema(Schema):
    # A rejection needs a reason (community.accounts.service.review_vehicle)
    openapi_rules = text_required_when("approve", [False], "reason")
    approve = fields.Boolean(required=True)
    reason = Text(load_default="", validate=validate.Length(max=500),
                  metadata={"description": "Required to reject (not blank); shown to the owner."})


class _Dated(Schema):
    openapi_rules = one_of_texts("text_zh", "text_en")
    text_zh = Text(load_default=None, validate=validate.Length(max=5000))
    text_en = Text(load_default=None, validate=validate.Length(max=5000),
                   metadata={"description": "The public note in Chinese, English or both (not blank)."})
    occurred_at = fields.AwareDateTime(load_default=None, metadata={
        "description": "Default now; not in the future, not before 2000; more than an hour ago needs "
                       "backdate_reason."})
    backdate_reason = Text(load_default=None, validate=validate.Length(max=500))


class StatusSchema(_Dated):
    status = fields.String(required=True, validate=validate.OneOf(list(STATUS_LABELS)))


class MilestoneInSchema(_Dated):
    kind = fields.String(required=True, validate=validate.OneOf(list(POSTABLE_KINDS)))
    progress_percent = fields.Integer(load_default=None, validate=validate.Range(0, 100))


class ReasonSchema(Schema):
    reason = Text(blank=False, required=True, validate=validate.Length(1, moderation.MAX_REASON),
                  metadata={"description": "Why (1 to 1000 characters); kept in the audit log."})


class MergeSchema(ReasonSchema):
    original_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID),
                                 metadata={"description": "The proposal the duplicate is merged into."})


class ReportSchema(Schema):
    id = fields.Integer(required=True)
    target_type = fields.String(required=True)
    target_id = fields.Integer(required=True)
    reason = fields.String(required=True)
    created_at = fields.AwareDateTime(required=True)


class OpenFlagSchema(ReportSchema):
    reporter = fields.Nested(AuthorSchema, required=True)


class QueueEntrySchema(Schema):
    target_type = fields.String(required=True)
    target_id = fields.Integer(required=True)
    label = fields.String(required=True, metadata={"description": "The kind of content, in the caller's language."})
    excerpt = fields.String(required=True)
    hidden = fields.Boolean(required=True)
    first_at = fields.AwareDateTime(required=True, metadata={"description": "When it was first reported."})
    flags = fields.List(fields.Nested(OpenFlagSchema), required=True)


class TargetStateSchema(Schema):
    target_type = fields.String(required=True)
    target_id = fields.Integer(required=True)
    hidden = fields.Boolean(required=True)


class CountSchema(Schema):
    count = fields.Integer(required=True, metadata={"description": "How many flags or votes the action closed "
                                                                   "or removed."})


class UserStateSchema(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)
    is_blocked = fields.Boolean(required=True)


class MergeResultSchema(Schema):
    moved = fields.Integer(required=True, metadata={"description": "Supporters copied to the original."})
    already = fields.Integer(required=True, metadata={"description": "Supporters who had voted for both: "
                                                                     "counted once."})
    original_votes = fields.Integer(required=True)


def _moderator():
    if not proposals.can_moderate(current_user):
        raise PermissionDenied("Moderators only.")


@blp.route("/moderation/vehicles")
@requires("read")
@blp.response(200, PendingVehicleSchema(many=True))
@blp.alt_response(403, schema=ErrorSchema, description="Moderators only")
def pending():
    """Vehicles waiting for verification, oldest first."""
    _moderator()
    return accounts.pending_vehicles()


@blp.route("/moderation/vehicles/evidence/<int:evidence_id>/photo")
@requires("read")
@blp.response(200, content_type="image/jpeg", description="The photo (image/jpeg or image/png), not to be stored")
@blp.alt_response(404, schema=ErrorSchema, description="No such photo, deleted, or the caller is no moderator")
def proof_photo(evidence_id):
    """The proof's photo, moderators only (404 for anyone else, so an id tells nothing)."""
    row = evidence.photo_for(evidence_id, current_user)
    try:
        return evidence.serve(row)
    except storage.MissingObject:
        raise NotFound("No such photo.") from None


@blp.route("/moderation/vehicles/<int:vehicle_id>", methods=["POST"])
@requires("write")
@blp.arguments(ReviewSchema)
@blp.response(200, VehicleSchema)
@blp.alt_response(403, schema=ErrorSchema, description="Moderators only")
@blp.alt_response(404, schema=ErrorSchema, description="No such vehicle")
@blp.alt_response(422, schema=ErrorSchema, description="A rejection needs a reason")
def review(data, vehicle_id):
    """Verify (approve=true) or reject a claimed vehicle."""
    _moderator()
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound("No such vehicle.")
    return accounts.review_vehicle(vehicle, current_user, data["approve"], data["reason"])


@blp.route("/proposals/<int:proposal_id>/status", methods=["POST"])
@requires("write")
@blp.arguments(StatusSchema)
@blp.response(200, ProposalDetailSchema)
@blp.alt_response(403, schema=ErrorSchema, description="Moderators only")
@blp.alt_response(409, schema=ErrorSchema, description="Changed by someone else meanwhile")
@blp.alt_response(422, schema=ErrorSchema, description="Transition not allowed or no public note")
def change_status(data, proposal_id):
    """Move a proposal to an allowed next status with a public note (writes a milestone)."""
    proposal = proposals.get_visible(proposal_id)
    return proposals.change_status(proposal, data["status"], current_user, data["text_zh"], data["text_en"],
                                   occurred_at=data["occurred_at"], backdate_reason=data["backdate_reason"])


@blp.route("/proposals/<int:proposal_id>/milestones", methods=["POST"])
@requires("write")
@blp.arguments(MilestoneInSchema)
@blp.response(201, MilestoneSchema)
@blp.alt_response(403, schema=ErrorSchema, description="Moderators only")
@blp.alt_response(422, schema=ErrorSchema, description="Validation failed")
def post_milestone(data, proposal_id):
    """Post a typed public milestone (commitment, progress update...)."""
    proposal = proposals.get_visible(proposal_id)
    return proposals.post_milestone(proposal, current_user, data["kind"], text_zh=data["text_zh"],
                                    text_en=data["text_en"], occurred_at=data["occurred_at"],
                                    backdate_reason=data["backdate_reason"],
                                    progress_percent=data["progress_percent"])


# ---- reporting content (any logged-in, unblocked user) and the moderators' flag queue ----

_errors = partial(error_responses, blp)


def _target(target_type: str, target_id: int) -> None:
    get_target(target_type).load(target_id)


def _moderated_target(target_type: str, target_id: int) -> None:
    _moderator()
    get_target(target_type).load(target_id)


def _moderated_user(user_id: int) -> None:
    _moderator()
    moderation.get_user(user_id)


@blp.route("/reports/<target_type>/<int:target_id>", methods=["POST"])
@requires("write", first=_target)
@blp.arguments(ReasonSchema)
@blp.response(201, ReportSchema)
@_errors(401, 403, 404, 409, 422, descriptions={
    403: "Blocked users cannot report", 404: "Unknown kind, missing, hidden or not visible to the caller",
    409: "The caller already has an open report on it"})
def report(data, target_type, target_id):
    """Report content (``proposal``, ``comment``, ``milestone``, ``feedback``...) to the moderators."""
    return moderation.flag(current_user, target_type, target_id, data["reason"])


@blp.route("/moderation/flags")
@requires("read")
@blp.response(200, QueueEntrySchema(many=True))
@_errors(401, 403)
def flag_queue():
    """Open reports grouped by content, the longest-waiting first (moderators)."""
    _moderator()
    return moderation.open_queue(current_user)


def _content_action(action: str, schema: type[Schema], conflict: str, doc: str, act) -> None:
    """Register ``POST /moderation/<target_type>/<target_id>/<action>`` (endpoint ``api_moderation.<action>``).

    hide, restore and dismiss share one shape: a moderator, the content (404 before the reason is looked at,
    as for every missing id), a reason; ``act(actor, target_type, target_id, reason)`` answers the body.
    """
    def view(data, target_type, target_id):
        return act(current_user, target_type, target_id, data["reason"])

    view.__name__ = view.__qualname__ = action
    view.__doc__ = doc
    documented = _errors(401, 403, 404, 409, 422, descriptions={409: conflict})(view)
    documented = blp.arguments(ReasonSchema)(blp.response(200, schema)(documented))
    blp.route(f"/moderation/<target_type>/<int:target_id>/{action}", methods=["POST"])(
        requires("write", first=_moderated_target)(documented))


def _set_hidden(hidden: bool):
    def act(actor, target_type: str, target_id: int, reason: str) -> dict:
        moderation.set_hidden(actor, target_type, target_id, hidden, reason)
        return {"target_type": target_type, "target_id": target_id, "hidden": hidden}

    return act


_content_action("hide", TargetStateSchema, "Already hidden",
                "Hide content with a reason: it leaves every public read path; its open reports are resolved.",
                _set_hidden(True))
_content_action("restore", TargetStateSchema, "Not hidden", "Restore hidden content with a reason.", _set_hidden(False))
_content_action("dismiss", CountSchema, "No open reports on it",
                "Close the open reports on content without hiding it; answers how many were closed.",
                lambda actor, target_type, target_id, reason: {
                    "count": moderation.dismiss(actor, target_type, target_id, reason)})


def _user_state(user) -> dict:
    return {"id": user.id, "display_name": user.display_name, "is_blocked": user.is_blocked}


@blp.route("/moderation/users/<int:user_id>/block", methods=["POST"])
@requires("write", first=_moderated_user)
@blp.arguments(ReasonSchema)
@blp.response(200, UserStateSchema)
@_errors(401, 403, 404, 409, 422, descriptions={
    403: "Not a moderator, the caller themself, or staff (admins only)", 409: "Already blocked"})
def block(data, user_id):
    """Block a user: they keep reading but no longer post, comment, vote, report or pledge."""
    return _user_state(moderation.set_blocked(current_user, moderation.get_user(user_id), True, data["reason"]))


@blp.route("/moderation/users/<int:user_id>/unblock", methods=["POST"])
@requires("write", first=_moderated_user)
@blp.arguments(ReasonSchema)
@blp.response(200, UserStateSchema)
@_errors(401, 403, 404, 409, 422, descriptions={409: "Not blocked"})
def unblock(data, user_id):
    """Unblock a user."""
    return _user_state(moderation.set_blocked(current_user, moderation.get_user(user_id), False, data["reason"]))


@blp.route("/moderation/users/<int:user_id>/remove-votes", methods=["POST"])
@requires("write", first=_moderated_user)
@blp.arguments(ReasonSchema)
@blp.response(200, CountSchema)
@_errors(401, 403, 404, 409, 422, descriptions={409: "The user is not blocked"})
def remove_votes(data, user_id):
    """Remove every vote of a blocked user and recount; answers how many votes went."""
    return {"count": moderation.remove_votes(current_user, moderation.get_user(user_id), data["reason"])}


@blp.route("/moderation/proposals/<int:proposal_id>/merge", methods=["POST"])
@requires("write", first=lambda proposal_id: _moderated_target("proposal", proposal_id))
@blp.arguments(MergeSchema)
@blp.response(200, MergeResultSchema)
@_errors(401, 403, 404, 409, 422, descriptions={
    409: "Already merged, or a vote collided: retry", 422: "No reason, the same proposal, or a hidden or merged "
                                                           "original"})
def merge(data, proposal_id):
    """Merge a duplicate proposal into its original: supporters move, each voter counted once."""
    return moderation.merge(current_user, proposal_id, data["original_id"], data["reason"])
