"""/api/v1/timeline: the platform's public milestones, newest first."""
from flask_smorest import Blueprint

from community.api.schemas import MilestonePageSchema, TimelineArgs
from community.timeline.service import feed_page

URL_PREFIX = "/timeline"
blp = Blueprint("api_timeline", __name__, description="The public progress timeline.")


@blp.route("")
@blp.etag
@blp.arguments(TimelineArgs, location="query")
@blp.response(200, MilestonePageSchema)
def timeline(args):
    """Public milestones across the platform, newest first, cursor-paged; filter by kind."""
    items, cursor = feed_page(args["kind"], args["cursor"], args["limit"])
    return {"items": items, "next_cursor": cursor}
