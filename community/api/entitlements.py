"""/api/v1/me/entitlements: the caller's entitlements (权益随行) with balances and their append-only ledger."""
from functools import partial

from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.api.auth import requires
from community.api.fields import Blueprint, LocalDateTime, NestedFrom, OneLanguageString, decimal_string
from community.api.schemas import error_responses
from community.entitlements import service
from community.entitlements.models import ENTRY_KINDS, FOLLOWS, SOURCES, UNITS

URL_PREFIX = "/me/entitlements"
blp = Blueprint("api_entitlements", __name__, description="The caller's entitlements, balances and ledger.")
_errors = partial(error_responses, blp)


class EntitlementKindSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "In the caller's language."})
    unit = fields.String(required=True, validate=validate.OneOf(list(UNITS)))
    unit_label = fields.String(required=True)
    follows = fields.String(required=True, validate=validate.OneOf(list(FOLLOWS)),
                            metadata={"description": "owner: carries over to the next car; vehicle: passes to "
                                                     "the car's next owner."})
    follows_label = fields.String(required=True)


class EntitlementCarSchema(Schema):
    id = fields.Integer(required=True)
    model = fields.String(required=True)
    model_year = fields.Integer(required=True)
    masked_vin = fields.String(required=True)


def _name(user) -> str | None:
    return user.display_name if user else None


class LedgerEntrySchema(Schema):
    id = fields.Integer(required=True)
    seq = fields.Integer(required=True, validate=validate.Range(1),
                         metadata={"description": "1, 2, 3 ... per holding."})
    created_at = LocalDateTime(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(list(ENTRY_KINDS)))
    kind_label = fields.String(required=True)
    source = fields.String(allow_none=True, required=True, validate=validate.OneOf(list(SOURCES)))
    amount = decimal_string(required=True, metadata={"description": "Signed; 0 for a move."})
    balance_after = decimal_string(required=True, metadata={"description": "The balance this entry left (>= 0)."})
    corrects_seq = fields.Function(lambda e: e.corrects.seq if e.corrects_id else None, required=True,
                                   metadata={"type": ["integer", "null"]})
    vehicle = fields.Nested(EntitlementCarSchema, allow_none=True, required=True)
    from_vehicle = fields.Nested(EntitlementCarSchema, allow_none=True, required=True)
    holder_name = fields.Function(lambda e: _name(e.user), required=True, metadata={"type": ["string", "null"]})
    from_holder_name = fields.Function(lambda e: _name(e.from_user), required=True,
                                       metadata={"type": ["string", "null"]})
    note = OneLanguageString(allow_none=True, required=True)


class HoldingSchema(Schema):
    id = fields.Integer(required=True)
    kind = fields.Nested(EntitlementKindSchema, required=True)
    balance = decimal_string(required=True, metadata={"description": "Equals the sum of the ledger (>= 0); "
                                                                     "flags: 1.00 yes, 0.00 no."})
    vehicle = fields.Nested(EntitlementCarSchema, allow_none=True, required=True,
                            metadata={"description": "The car it applies to; null while waiting for the next "
                                                     "verified car."})
    ledger = NestedFrom(LedgerEntrySchema, service.entries_of, many=True, required=True,
                        metadata={"description": "Every entry, oldest first."})


@blp.route("")
@requires("read")
@blp.response(200, HoldingSchema(many=True))
@_errors(401)
def my_entitlements():
    """What the caller holds now, with balances and each holding's ledger (as ``/entitlements`` shows)."""
    return service.holdings_of(current_user)


@blp.route("/<int:holding_id>")
@requires("read")
@blp.response(200, HoldingSchema)
@_errors(401, 404)
def my_entitlement(holding_id):
    """One holding with its ledger: 404 when it is not the caller's (moderators see any, as on the web)."""
    return service.get_holding(holding_id, current_user)
