"""/api/v1/me: the caller's account and vehicles."""
from flask_login import current_user
from flask_smorest import Blueprint

from community.accounts import service as accounts
from community.api.auth import requires
from community.api.schemas import ErrorSchema, MeSchema, VehicleSchema

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
