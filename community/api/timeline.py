"""/api/v1/timeline: the platform's public milestones, newest first."""
from marshmallow import Schema, fields

from community.api.fields import Blueprint
from community.api.schemas import MilestoneSchema, TimelineArgs, error_responses
from community.timeline.service import feed_page

URL_PREFIX = "/timeline"
blp = Blueprint("api_timeline", __name__, description="The public progress timeline.")


class FeedMilestoneSchema(MilestoneSchema):
    proposal_title = fields.String(attribute="proposal.title", required=True)


class FeedPageSchema(Schema):
    items = fields.List(fields.Nested(FeedMilestoneSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


@blp.route("")
@blp.etag
@blp.arguments(TimelineArgs, location="query")
@blp.response(200, FeedPageSchema)
@error_responses(blp, 422)
def timeline(args):
    """Public milestones across the platform, newest first, cursor-paged; filter by kind. Hidden milestones and
    those of hidden proposals are left out, as on ``/timeline``."""
    items, cursor = feed_page(args["kind"], args["cursor"], args["limit"])
    return {"items": items, "next_cursor": cursor}
