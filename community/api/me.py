"""/api/v1/me: the caller's account and vehicles."""
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from community.accounts import evidence
from community.accounts import service as accounts
from community.accounts.models import EVIDENCE_KINDS, Vehicle
from community.api.auth import requires
from community.api.fields import Blueprint, Pattern
from community.api.schemas import VIN_FORMAT, VIN_PATTERN, ErrorSchema, MeSchema, VehicleSchema
from community.errors import NotFound
from community.extensions import db

URL_PREFIX = "/me"
blp = Blueprint("api_me", __name__, description="The caller's account and vehicles.")


@blp.route("")
@requires("read")
@blp.response(200, MeSchema)
@blp.alt_response(401, schema=ErrorSchema, description="Not authenticated")
def me():
    """Who the caller is: roles, owner flag and vehicles."""
    user = current_user
    return {"id": user.id, "email": user.email, "display_name": user.display_name, "is_owner": user.is_owner,
            "roles": sorted(user.role_names), "vehicles": user.vehicles}


@blp.route("/vehicles")
@requires("read")
@blp.response(200, VehicleSchema(many=True))
@blp.alt_response(401, schema=ErrorSchema, description="Not authenticated")
def vehicles():
    """The caller's vehicles with verification status (VINs masked)."""
    return current_user.vehicles


@blp.route("/vehicles", methods=["POST"])
@requires("write")
@blp.arguments(VehicleSchema)
@blp.response(201, VehicleSchema)
@blp.alt_response(409, schema=ErrorSchema, description="VIN already registered")
@blp.alt_response(422, schema=ErrorSchema, description="Validation failed (e.g. VIN check digit)")
def add_vehicle(data):
    """Claim a vehicle; it waits for a moderator's verification."""
    return accounts.add_vehicle(current_user, data["model"], data["model_year"], data["hardware"], data["vin"])


class EvidenceUploadSchema(Schema):
    """multipart/form-data: what the photo shows, the car's VIN again, and the photo."""

    kind = fields.String(required=True, validate=validate.OneOf(EVIDENCE_KINDS),
                         metadata={"description": "licence (行驶证) or invoice (purchase invoice)."})
    vin = fields.String(required=True, validate=Pattern(VIN_PATTERN),
                        metadata={"description": "The car's full VIN: it must be the one given when adding the car.",
                                  "format": VIN_FORMAT})
    photo = Upload(load_default=None, metadata={"description": "JPEG or PNG, at most 5 MB; re-encoded without "
                                                               "metadata, seen by moderators only."})


def _own_vehicle(vehicle_id: int) -> Vehicle:
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.owner_id != current_user.id:
        raise NotFound(_("No such vehicle."))
    return vehicle


@blp.route("/vehicles/<int:vehicle_id>/evidence", methods=["POST"])
@requires("write", first=_own_vehicle)
@blp.arguments(EvidenceUploadSchema, location="form", content_type="multipart/form-data")
@blp.response(201, VehicleSchema)
@blp.alt_response(404, schema=ErrorSchema, description="Not one of the caller's cars")
@blp.alt_response(409, schema=ErrorSchema, description="Another live claim took the VIN meanwhile")
@blp.alt_response(422, schema=ErrorSchema, description="Refused photo, wrong VIN, unknown kind, or a car that "
                                                       "needs no proof (verified, transferred)")
def send_evidence(data, vehicle_id):
    """Send proof for a pending car, or new proof for a rejected one (which goes back to the queue)."""
    vehicle = _own_vehicle(vehicle_id)
    upload = request.files.get("photo")
    evidence.submit(vehicle, current_user, data["kind"], data["vin"],
                    *((upload.filename, upload.stream) if upload and upload.filename else ("", None)))
    return vehicle
