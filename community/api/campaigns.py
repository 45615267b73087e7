"""/api/v1 crowdfunding: campaigns (list, detail), my eligibility per vehicle, pledge, cancel, my pledges;
for moderators: create, publish and cancel a campaign.

Every rule is ``community.campaigns``': the window, eligibility and its reasons, one pledge per vehicle,
the cap. Refusals keep the web's messages; statuses: 403 not a verified owner or an ineligible car,
404 not yours / not there, 409 not open yet / already pledged / full, 410 closed or cancelled.
"""
from functools import partial

from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.accounts.vehicles import HARDWARE, MODEL_YEARS, MODELS
from community.api.auth import requires
from community.api.fields import (
    YEARS_2000_2099,
    Blueprint,
    OneLanguageString,
    Pattern,
    Text,
    one_of_texts,
    written_in_years,
)
from community.api.schemas import CursorArgs, error_responses
from community.campaigns import pledges, service
from community.campaigns.eligibility import describe_rule
from community.campaigns.models import STATUS_LABELS
from community.dbtypes import utcnow
from community.errors import PermissionDenied
from community.proposals.service import get_visible
from community.util import MAX_ID, decode_cursor, encode_cursor

URL_PREFIX = ""
blp = Blueprint("api_campaigns", __name__, description="Crowdfunding campaigns and owners' pledges.")
_errors = partial(error_responses, blp, descriptions={
    403: "Forbidden (token scope, not a verified owner, ineligible vehicle)",
    409: "Conflict (not open yet, already pledged, full)", 410: "Gone (the campaign has closed or was cancelled)"})


# More than 0, less than MAX_PRICE (1,000,000), at most two decimals, thousands optionally separated by a comma
# (community.campaigns.service._price).
PRICE_PATTERN = r"^(([1-9][0-9]{0,5}|[1-9][0-9]{0,2},[0-9]{3})(\.[0-9]{1,2})?|0\.(0[1-9]|[1-9][0-9]?))$"


class CampaignListArgs(CursorArgs):
    proposal_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID),
                                 metadata={"description": "Only this proposal's campaigns."})
    status = fields.String(load_default=None, validate=validate.OneOf(["open"]),
                           metadata={"description": "`open`: only campaigns taking pledges now."})


class CampaignSchema(Schema):
    id = fields.Integer(required=True)
    proposal_id = fields.Integer(required=True)
    proposal_title = fields.String(attribute="proposal.title", required=True)
    title = fields.String(required=True, metadata={"description": "In the caller's language when it exists."})
    title_zh = fields.String(allow_none=True)
    title_en = fields.String(allow_none=True)
    description_html = fields.String(required=True, metadata={"description": "Rendered and sanitised HTML."})
    price_cny = fields.Function(lambda c: f"{c.price_cny:.2f}", required=True,
                                metadata={"type": "string", "description": "Exact decimal, e.g. \"12800.00\"."})
    target = fields.Integer(required=True)
    cap = fields.Integer(allow_none=True, metadata={"description": "Most pledges taken; null: no cap."})
    pledge_count = fields.Integer(required=True, metadata={"description": "Active pledges."})
    progress_percent = fields.Integer(required=True)
    opens_at = fields.AwareDateTime(required=True)
    closes_at = fields.AwareDateTime(required=True, metadata={"description": "The last second that counts."})
    status = fields.Function(lambda c: c.status_at(utcnow()), required=True,
                             metadata={"type": "string", "enum": list(STATUS_LABELS)})
    status_label = fields.Function(lambda c: str(STATUS_LABELS[c.status_at(utcnow())]), required=True,
                                   metadata={"type": "string"})
    rule = fields.Function(lambda c: describe_rule(c), required=True,
                           metadata={"type": "array", "items": {"type": "string"},
                                     "description": "The eligibility rule as the web shows it."})
    models = fields.List(fields.String(), required=True)
    model_years = fields.List(fields.Integer(), required=True)
    hardware_required = fields.List(fields.String(), required=True)
    hardware_excluded = fields.List(fields.String(), required=True)
    verified_only = fields.Boolean(required=True)
    cancel_reason = OneLanguageString(allow_none=True)


class CampaignPageSchema(Schema):
    items = fields.List(fields.Nested(CampaignSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class VehicleStandingSchema(Schema):
    vehicle_id = fields.Integer(required=True)
    model = fields.String(required=True)
    model_year = fields.Integer(required=True)
    masked_vin = fields.String(required=True)
    verification = fields.String(required=True, metadata={"description": "pending | verified | rejected"})
    eligible = fields.Boolean(required=True, metadata={"description": "The rule admits this vehicle."})
    reasons = fields.List(fields.String(), required=True,
                          metadata={"description": "Why not, in the caller's language, as on the web."})
    pledge_id = fields.Integer(allow_none=True, required=True, metadata={"description": "Its active pledge."})


class EligibilitySchema(Schema):
    can_pledge = fields.Boolean(required=True, metadata={"description": "The caller is a verified owner."})
    status = fields.String(required=True, metadata={"description": "The campaign's status now."})
    vehicles = fields.List(fields.Nested(VehicleStandingSchema), required=True)


class CampaignInSchema(Schema):
    openapi_rules = one_of_texts("title_zh", "title_en")
    title_zh = Text(load_default="", validate=validate.Length(max=120))
    title_en = Text(load_default="", validate=validate.Length(max=120),
                    metadata={"description": "A title in Chinese, English or both (not blank)."})
    description_zh = Text(load_default="", validate=validate.Length(max=20000), metadata={"description": "Markdown."})
    description_en = Text(load_default="", validate=validate.Length(max=20000))
    price_cny = fields.String(required=True, validate=Pattern(PRICE_PATTERN),
                              metadata={"description": "Per vehicle, more than 0 and less than 1,000,000, at most "
                                                       "two decimals: \"12800\", \"12,800.5\", \"12800.00\"."})
    target = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))
    cap = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(1, MAX_ID),
                         metadata={"description": "At least the target; null: no cap."})
    opens_at = fields.AwareDateTime(required=True, validate=written_in_years(2000, 2099),
                                    metadata={"description": "When pledging opens (any offset), written in the years "
                                                             "2000-2099; before `closes_on`.",
                                              "pattern": YEARS_2000_2099})
    closes_on = fields.Date(required=True, validate=written_in_years(2000, 2099),
                            metadata={"description": "The last day, Asia/Shanghai, inclusive to 23:59:59.",
                                      "pattern": YEARS_2000_2099})
    models = fields.List(fields.String(validate=validate.OneOf(list(MODELS))), load_default=list)
    model_years = fields.List(fields.Integer(validate=validate.OneOf(list(MODEL_YEARS))), load_default=list)
    hardware_required = fields.List(fields.String(validate=validate.OneOf(list(HARDWARE))), load_default=list)
    hardware_excluded = fields.List(fields.String(validate=validate.OneOf(list(HARDWARE))), load_default=list)
    verified_only = fields.Boolean(load_default=True)
    publish = fields.Boolean(load_default=False, metadata={"description": "Publish now; otherwise a draft."})


class CancelCampaignSchema(Schema):
    reason = Text(blank=False, required=True, validate=validate.Length(1, 500),
                  metadata={"description": "Public: shown on the campaign and the proposal's timeline."})


class PledgeInSchema(Schema):
    vehicle_id = fields.Integer(required=True, validate=validate.Range(1, MAX_ID))


class PledgeSchema(Schema):
    id = fields.Integer(required=True)
    campaign_id = fields.Integer(required=True)
    campaign_title = fields.String(attribute="campaign.title", required=True)
    campaign_pledge_count = fields.Integer(attribute="campaign.pledge_count", required=True)
    vehicle_id = fields.Integer(required=True)
    model = fields.String(required=True)
    model_year = fields.Integer(required=True)
    masked_vin = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(["active", "cancelled"]))
    created_at = fields.AwareDateTime(required=True)
    cancelled_at = fields.AwareDateTime(allow_none=True)


@blp.route("/campaigns")
@blp.etag
@blp.arguments(CampaignListArgs, location="query")
@blp.response(200, CampaignPageSchema)
@_errors(422)
def list_campaigns(args):
    """Published campaigns, newest window first, cursor-paged; filter by proposal and/or open now."""
    items, cursor = service.list_campaigns(current_user, decode_cursor(args["cursor"]), args["limit"],
                                           proposal_id=args["proposal_id"],
                                           open_at=utcnow() if args["status"] == "open" else None)
    return {"items": items, "next_cursor": encode_cursor(cursor) if cursor else None}


@blp.route("/campaigns/<int:campaign_id>")
@blp.etag
@blp.response(200, CampaignSchema)
@_errors(404)
def get_campaign(campaign_id):
    """One campaign: window, price, target, cap, progress, status and its eligibility rule."""
    campaign = service.get_campaign(campaign_id, current_user)
    service.sync_milestones(campaign)  # as the web page does: the first read after open/close announces it
    return campaign


@blp.route("/campaigns/<int:campaign_id>/eligibility")
@requires("read")
@blp.response(200, EligibilitySchema)
@_errors(401, 404)
def eligibility(campaign_id):
    """For each of the caller's vehicles: whether it may pledge, every reason why not, and its active pledge."""
    campaign = service.get_campaign(campaign_id, current_user)
    return {"can_pledge": service.can_pledge(current_user), "status": campaign.status_at(utcnow()),
            "vehicles": [{"vehicle_id": v.id, "model": v.model, "model_year": v.model_year,
                          "masked_vin": v.masked_vin, "verification": v.status, "eligible": not reasons,
                          "reasons": reasons, "pledge_id": active.id if active else None}
                         for v, reasons, active in pledges.standing(current_user, campaign)]}


@blp.route("/campaigns/<int:campaign_id>/pledges", methods=["POST"])
@requires("write")
@blp.arguments(PledgeInSchema)
@blp.response(201, PledgeSchema)
@_errors(401, 403, 404, 409, 410, 422)
def pledge(data, campaign_id):
    """Pledge one of the caller's vehicles; the caller follows the proposal from then on."""
    campaign = service.get_campaign(campaign_id, current_user)
    return pledges.pledge(current_user, campaign, data["vehicle_id"])


@blp.route("/pledges/<int:pledge_id>/cancel", methods=["POST"])
@requires("write")
@blp.response(200, PledgeSchema)
@_errors(401, 403, 404, 409, 410)
def cancel_pledge(pledge_id):
    """Cancel the caller's active pledge while the campaign is open (409 already cancelled, 410 closed)."""
    return pledges.cancel_pledge(current_user, pledge_id)


@blp.route("/me/pledges")
@requires("read")
@blp.response(200, PledgeSchema(many=True))
@_errors(401)
def my_pledges():
    """The caller's pledges, active and cancelled, newest first."""
    return pledges.pledges_of(current_user)


# ---- moderators ----

def _managing(**ids) -> None:
    """The campaign or proposal is there (404), then the caller is a moderator (403): before the body."""
    if "campaign_id" in ids:
        service.get_campaign(ids["campaign_id"], current_user)
        refusal = _("Only moderators cancel campaigns.")
    else:
        get_visible(ids["proposal_id"])
        refusal = _("Only moderators create campaigns.")
    if not service.can_manage(current_user):
        raise PermissionDenied(refusal)


@blp.route("/proposals/<int:proposal_id>/campaigns", methods=["POST"])
@requires("write", first=_managing)
@blp.arguments(CampaignInSchema)
@blp.response(201, CampaignSchema)
@_errors(401, 403, 404, 409, 422)
def create_campaign(data, proposal_id):
    """Create a campaign on an accepted proposal (moderators); a draft unless ``publish``."""
    proposal = get_visible(proposal_id)
    local_opening = data["opens_at"].astimezone(service.CAMPAIGN_ZONE).replace(tzinfo=None)
    opens_at, closes_at = service.window_from_local(local_opening, data["closes_on"])
    fields_ = {k: data[k] for k in ("title_zh", "title_en", "description_zh", "description_en", "price_cny",
                                    "target", "cap", "models", "model_years", "hardware_required",
                                    "hardware_excluded", "verified_only")}
    return service.create_campaign(current_user, proposal,
                                   service.CampaignInput(**fields_, opens_at=opens_at, closes_at=closes_at),
                                   publish=data["publish"])


@blp.route("/campaigns/<int:campaign_id>/publish", methods=["POST"])
@requires("write")
@blp.response(200, CampaignSchema)
@_errors(401, 403, 404, 409)
def publish_campaign(campaign_id):
    """Publish a draft (moderators): 409 when already published, cancelled or closed."""
    return service.publish(service.get_campaign(campaign_id, current_user), current_user)


@blp.route("/campaigns/<int:campaign_id>/cancel", methods=["POST"])
@requires("write", first=_managing)
@blp.arguments(CancelCampaignSchema)
@blp.response(200, CampaignSchema)
@_errors(401, 403, 404, 409, 422)
def cancel_campaign(data, campaign_id):
    """Cancel a campaign before it closes, with a public reason (moderators); pledges stop counting."""
    return service.cancel_campaign(service.get_campaign(campaign_id, current_user), current_user, data["reason"])
