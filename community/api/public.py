"""/api/v1: the public service-pledge scorecard, published council sessions and their decisions (read only)."""
from flask_babel import get_locale
from flask_login import current_user
from marshmallow import Schema, fields, validate

from community.api.fields import Blueprint, LocalDateTime
from community.api.schemas import CursorArgs, ErrorSchema
from community.council import sessions
from community.council.models import DECISIONS
from community.feedback import scorecard
from community.pledge import service as pledge
from community.util import MAX_ID, decode_cursor, encode_cursor

URL_PREFIX = ""
blp = Blueprint("api_public", __name__, description="The service pledge scorecard and council sessions.")


class PledgeWeekSchema(Schema):
    decided = fields.Integer(required=True, validate=validate.Range(0))
    within_sla_share = fields.Float(allow_none=True, required=True, validate=validate.Range(0, 1),
                                    metadata={"description": "0..1; null when nothing was decided that week."})
    open_breaches = fields.Integer(required=True, validate=validate.Range(0))


class WindowSchema(PledgeWeekSchema):
    days = fields.Integer(required=True, validate=validate.OneOf(list(scorecard.WINDOWS)))
    decided = fields.Integer(required=True, validate=validate.Range(0),
                             metadata={"description": "Items whose first-response promise is settled."})
    median_first_response_hours = fields.Float(allow_none=True, required=True, validate=validate.Range(0))


class PromiseSchema(Schema):
    text = fields.String(required=True)
    first_response_hours = fields.Integer(required=True)
    resolution_hours = fields.Integer(required=True)


class TeamScoreSchema(Schema):
    team = fields.String(required=True)
    name = fields.String(required=True)
    promises = fields.List(fields.Nested(PromiseSchema), required=True)
    windows = fields.List(fields.Nested(WindowSchema), required=True, metadata={"description": "30 and 90 days."})
    weekly = fields.List(fields.Nested(PledgeWeekSchema), required=True,
                         metadata={"description": f"The last {scorecard.WEEKS} weeks, oldest first."})


class AgendaItemSchema(Schema):
    proposal_id = fields.Integer(required=True)
    proposal_title = fields.String(attribute="proposal.title", required=True)
    decision = fields.String(allow_none=True, validate=validate.OneOf(list(DECISIONS)))
    decision_label = fields.String(required=True, metadata={"description": "In the caller's language; \"\" "
                                                                           "while undecided."})
    decision_text = fields.String(allow_none=True)


class SessionSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    starts_at = LocalDateTime(required=True)
    place = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    state = fields.String(required=True, validate=validate.OneOf(["draft", "published"]))
    minutes_html = fields.String(required=True, metadata={"description": "Sanitised HTML."})
    attendees = fields.Function(lambda s: [u.display_name for u in s.attendees], required=True,
                                metadata={"type": "array", "items": {"type": "string"},
                                          "description": "Council members present (display names)."})
    guests = fields.String(allow_none=True, metadata={"description": "Others present (free text)."})
    items = fields.Function(lambda s: AgendaItemSchema(many=True).dump(sessions.public_items(s)),
                            metadata={"type": "array", "items": {"type": "object"}})


class CouncilDecisionArgs(CursorArgs):
    proposal_id = fields.Integer(load_default=None, validate=validate.Range(1, MAX_ID),
                                 metadata={"description": "Only this proposal's decisions."})


class CouncilDecisionSchema(Schema):
    session_id = fields.Integer(required=True)
    session_title = fields.String(attribute="session.title", required=True)
    session_starts_at = LocalDateTime(attribute="session.starts_at", required=True)
    proposal_id = fields.Integer(required=True)
    proposal_title = fields.String(attribute="proposal.title", required=True)
    decision = fields.String(required=True, validate=validate.OneOf(list(DECISIONS)))
    decision_label = fields.String(required=True)
    decision_text = fields.String(allow_none=True, required=True)


class CouncilDecisionPageSchema(Schema):
    items = fields.List(fields.Nested(CouncilDecisionSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


def _figures(fig) -> dict:
    return {"decided": fig.decided, "within_sla_share": fig.share, "open_breaches": fig.open_breaches}


def _zh() -> bool:
    return str(get_locale() or "zh")[:2] == "zh"


@blp.route("/pledge/scorecard")
@blp.etag
@blp.response(200, TeamScoreSchema(many=True))
def scorecard_view():
    """Per team: its promises and, over the last 30 and 90 days, the share answered within the SLA,
    open breaches and the median first-response time (hours)."""
    teams = pledge.all_teams(active_only=True)
    cards = scorecard.cached_team_cards([t.id for t in teams])  # the figures /pledge shows
    items = pledge.pledge_items()
    zh = _zh()
    out = []
    for team in teams:
        card = cards[team.id]
        out.append({
            "team": team.slug, "name": team.name_zh if zh else team.name_en,
            "promises": [{"text": i.text_zh if zh else i.text_en, "first_response_hours": i.first_response_hours,
                          "resolution_hours": i.resolution_hours} for i in items if i.team_id == team.id],
            "windows": [{"days": days, **_figures(fig), "median_first_response_hours": fig.median_hours}
                        for days, fig in sorted(card.windows.items())],
            "weekly": [_figures(fig) for fig in card.weekly],
        })
    return out


@blp.route("/council/sessions")
@blp.etag
@blp.response(200, SessionSchema(many=True))
def council_sessions():
    """Council sessions, newest first (drafts only for council members and moderators)."""
    return sessions.list_sessions(current_user)


@blp.route("/council/sessions/<int:session_id>")
@blp.etag
@blp.response(200, SessionSchema)
@blp.alt_response(404, schema=ErrorSchema, description="Not found")
def council_session(session_id):
    """One session with its agenda and decisions."""
    return sessions.get_session(current_user, session_id)


@blp.route("/council/decisions")
@blp.etag
@blp.arguments(CouncilDecisionArgs, location="query")
@blp.response(200, CouncilDecisionPageSchema)
@blp.alt_response(422, schema=ErrorSchema, description="Validation failed")
def council_decisions(args):
    """The council's published decisions, newest session first, cursor-paged; hidden proposals left out."""
    items, cursor = sessions.public_decisions(args["proposal_id"], decode_cursor(args["cursor"]), args["limit"])
    return {"items": items, "next_cursor": encode_cursor(cursor) if cursor else None}
