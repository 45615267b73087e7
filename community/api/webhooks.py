"""/api/v1/webhooks for admins: register endpoints, read their delivery logs, redeliver.

What receivers get (body, signature header, retries, order) is described in community.webhooks.delivery
and in the README.
"""
from functools import partial

from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.api.auth import requires
from community.api.fields import Blueprint, Text
from community.api.schemas import error_responses
from community.errors import PermissionDenied
from community.events import TYPES
from community.util import MAX_ID
from community.webhooks import service
from community.webhooks.models import DELIVERY_STATUSES

URL_PREFIX = "/webhooks"
blp = Blueprint("api_webhooks", __name__, description="Admins: webhook endpoints, delivery logs, redelivery.")
_errors = partial(error_responses, blp, descriptions={403: "Forbidden (admins only)"})

_TYPES = fields.List(fields.String(validate=validate.OneOf(list(TYPES))), required=True,
                     validate=validate.Length(1, len(TYPES)), metadata={"description": "Event types to send."})


class EndpointInSchema(Schema):
    url = Text(blank=False, required=True, validate=validate.Length(1, service.MAX_URL),
                        metadata={"description": "http(s); no loopback or private addresses in production."})
    event_types = _TYPES
    description = Text(load_default=None, allow_none=True, validate=validate.Length(max=200))


class EndpointCreateSchema(EndpointInSchema):
    secret = Text(load_default=None, allow_none=True, validate=validate.Length(16, 100),
                           metadata={"description": "Signing secret; a random one is made when left out."})


class EndpointUpdateSchema(EndpointInSchema):
    active = fields.Boolean(load_default=True, metadata={"description": "Re-enabling clears the failure clock."})


class EndpointSchema(Schema):
    id = fields.Integer(required=True)
    url = fields.String(required=True)
    description = fields.String(allow_none=True, required=True)
    event_types = fields.List(fields.String(validate=validate.OneOf(list(TYPES))), required=True)
    active = fields.Boolean(attribute="is_active", required=True)
    failing_since = fields.AwareDateTime(allow_none=True, required=True)
    disabled_at = fields.AwareDateTime(allow_none=True, required=True)
    disabled_reason = fields.String(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)


class EndpointCreatedSchema(EndpointSchema):
    secret = fields.String(required=True, metadata={"description": "Shown in this answer only."})


class DeliverySchema(Schema):
    id = fields.Integer(required=True)
    event_id = fields.String(attribute="event.uid", required=True, metadata={"description": "The body's `id`."})
    event_type = fields.String(attribute="event.type", required=True, validate=validate.OneOf(list(TYPES)))
    status = fields.String(required=True, validate=validate.OneOf(list(DELIVERY_STATUSES)))
    attempts = fields.Integer(required=True, validate=validate.Range(0))
    last_attempt_at = fields.AwareDateTime(allow_none=True, required=True)
    last_status_code = fields.Integer(allow_none=True, required=True)
    last_latency_ms = fields.Integer(allow_none=True, required=True, validate=validate.Range(0))
    last_error = fields.String(allow_none=True, required=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True, required=True, metadata={"description": "Next retry."})
    delivered_at = fields.AwareDateTime(allow_none=True, required=True)
    created_at = fields.AwareDateTime(required=True)


class DeliveryArgs(Schema):
    before = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID),
                            metadata={"description": "`next_before` of the previous page."})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 100))


class DeliveryPageSchema(Schema):
    items = fields.List(fields.Nested(DeliverySchema), required=True)
    next_before = fields.Integer(allow_none=True, required=True)


def _admin():
    if not service.can_manage(current_user):
        raise PermissionDenied("Only admins manage webhooks.")


@blp.route("/endpoints")
@requires("read")
@blp.response(200, EndpointSchema(many=True))
@_errors(401, 403)
def list_endpoints():
    """Every registered endpoint (secrets are never shown again)."""
    _admin()
    return service.endpoints()


@blp.route("/endpoints", methods=["POST"])
@requires("write")
@blp.arguments(EndpointCreateSchema)
@blp.response(201, EndpointCreatedSchema)
@_errors(401, 403, 422)
def create_endpoint(data):
    """Register an endpoint; the answer carries its signing secret, once."""
    return service.create_endpoint(current_user, data["url"], data["event_types"], data["description"],
                                   data["secret"])


@blp.route("/endpoints/<int:endpoint_id>")
@requires("read")
@blp.response(200, EndpointSchema)
@_errors(401, 403, 404)
def get_endpoint(endpoint_id):
    """One endpoint."""
    return service.get_endpoint(current_user, endpoint_id)


@blp.route("/endpoints/<int:endpoint_id>", methods=["PUT"])
@requires("write")
@blp.arguments(EndpointUpdateSchema)
@blp.response(200, EndpointSchema)
@_errors(401, 403, 404, 422)
def update_endpoint(data, endpoint_id):
    """Change an endpoint's URL, event types, description or whether it is active."""
    endpoint = service.get_endpoint(current_user, endpoint_id)
    return service.update_endpoint(current_user, endpoint, data["url"], data["event_types"], data["description"],
                                   data["active"])


@blp.route("/endpoints/<int:endpoint_id>", methods=["DELETE"])
@requires("write")
@blp.response(204)
@_errors(401, 403, 404)
def delete_endpoint(endpoint_id):
    """Remove an endpoint and its delivery log."""
    service.delete_endpoint(current_user, service.get_endpoint(current_user, endpoint_id))


@blp.route("/endpoints/<int:endpoint_id>/deliveries")
@requires("read")
@blp.arguments(DeliveryArgs, location="query")
@blp.response(200, DeliveryPageSchema)
@_errors(401, 403, 404, 422)
def deliveries(args, endpoint_id):
    """The endpoint's delivery log, newest first: status, attempts, last response code and latency, next retry."""
    rows, next_before = service.delivery_log(service.get_endpoint(current_user, endpoint_id), args["before"],
                                             args["limit"])
    return {"items": rows, "next_before": next_before}


@blp.route("/endpoints/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@requires("write")
@blp.response(200, DeliverySchema)
@_errors(401, 403, 404)
def redeliver(endpoint_id, delivery_id):
    """Send a delivery again now (same event id), with a fresh 24 h of retries."""
    endpoint = service.get_endpoint(current_user, endpoint_id)
    return service.redeliver(current_user, service.get_delivery(current_user, endpoint, delivery_id))
