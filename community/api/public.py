"""/api/v1: the public service-pledge scorecard and published council sessions (read only)."""
from flask_babel import get_locale
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from community.api.schemas import ErrorSchema
from community.council import sessions
from community.feedback import scorecard
from community.pledge import service as pledge

URL_PREFIX = ""
blp = Blueprint("api_public", __name__, description="The service pledge scorecard and council sessions.")


class WindowSchema(Schema):
    days = fields.Integer(required=True)
    decided = fields.Integer(required=True, metadata={"description": "Items whose first-response promise is settled."})
    within_sla_share = fields.Float(allow_none=True, required=True, metadata={"description": "0..1"})
    open_breaches = fields.Integer(required=True)
    median_first_response_hours = fields.Float(allow_none=True, required=True)


class PromiseSchema(Schema):
    text = fields.String(required=True)
    first_response_hours = fields.Integer(required=True)
    resolution_hours = fields.Integer(required=True)


class TeamScoreSchema(Schema):
    team = fields.String(required=True)
    name = fields.String(required=True)
    promises = fields.List(fields.Nested(PromiseSchema), required=True)
    windows = fields.List(fields.Nested(WindowSchema), required=True)


class AgendaItemSchema(Schema):
    proposal_id = fields.Integer(required=True)
    proposal_title = fields.String(attribute="proposal.title", required=True)
    decision = fields.String(allow_none=True)
    decision_text = fields.String(allow_none=True)


class SessionSchema(Schema):
    id = fields.Integer(required=True)
    title = fields.String(required=True)
    starts_at = fields.AwareDateTime(required=True)
    place = fields.String(allow_none=True)
    online_url = fields.String(allow_none=True)
    state = fields.String(required=True)
    minutes_html = fields.String(required=True, metadata={"description": "Sanitised HTML."})
    items = fields.Function(lambda s: AgendaItemSchema(many=True).dump(sessions.public_items(s)),
                            metadata={"type": "array", "items": {"type": "object"}})


def _zh() -> bool:
    return str(get_locale() or "zh")[:2] == "zh"


@blp.route("/pledge/scorecard")
@blp.etag
@blp.response(200, TeamScoreSchema(many=True))
def scorecard_view():
    """Per team: its promises and, over the last 30 and 90 days, the share answered within the SLA,
    open breaches and the median first-response time (hours)."""
    teams = pledge.all_teams(active_only=True)
    cards = scorecard.team_cards([t.id for t in teams])
    items = pledge.pledge_items()
    zh = _zh()
    out = []
    for team in teams:
        card = cards[team.id]
        out.append({
            "team": team.slug, "name": team.name_zh if zh else team.name_en,
            "promises": [{"text": i.text_zh if zh else i.text_en, "first_response_hours": i.first_response_hours,
                          "resolution_hours": i.resolution_hours} for i in items if i.team_id == team.id],
            "windows": [{"days": days, "decided": fig.decided, "within_sla_share": fig.share,
                         "open_breaches": fig.open_breaches, "median_first_response_hours": fig.median_hours}
                        for days, fig in sorted(card.windows.items())],
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
