"""/api/v1 for moderators: verify vehicles, move proposals through the workflow, post milestones."""
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from community.accounts import service as accounts
from community.accounts.models import Vehicle
from community.api.auth import requires
from community.api.schemas import ErrorSchema, MilestoneSchema, ProposalDetailSchema, VehicleSchema
from community.errors import NotFound, PermissionDenied
from community.extensions import db
from community.proposals import service as proposals
from community.proposals.models import STATUS_LABELS
from community.timeline.models import POSTABLE_KINDS

URL_PREFIX = ""
blp = Blueprint("api_moderation", __name__, description="Moderators: vehicles, statuses and milestones.")


class PendingVehicleSchema(VehicleSchema):
    owner_id = fields.Integer(dump_only=True)


class ReviewSchema(Schema):
    approve = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=500),
                           metadata={"description": "Required to reject; shown to the owner."})


class _Dated(Schema):
    text_zh = fields.String(load_default=None, validate=validate.Length(max=5000))
    text_en = fields.String(load_default=None, validate=validate.Length(max=5000))
    occurred_at = fields.AwareDateTime(load_default=None, metadata={"description": "Default now; earlier needs "
                                                                                   "backdate_reason."})
    backdate_reason = fields.String(load_default=None, validate=validate.Length(max=500))


class StatusSchema(_Dated):
    status = fields.String(required=True, validate=validate.OneOf(list(STATUS_LABELS)))


class MilestoneInSchema(_Dated):
    kind = fields.String(required=True, validate=validate.OneOf(list(POSTABLE_KINDS)))
    progress_percent = fields.Integer(load_default=None, validate=validate.Range(0, 100))


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
