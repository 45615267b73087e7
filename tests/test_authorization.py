"""The authorization matrix: every route x every kind of visitor -> the answer they get.

Visitors: anonymous, a user without a verified car, an owner, a council member, a moderator, an
admin, and a team agent (of the team the world's feedback is routed to).

ROWS is the one table. A new route fails ``test_every_route_is_in_the_matrix`` until it has a row,
so no route ships without its authorization written down and tested. Outcomes:

  ok     the route served the request (2xx, or the view itself answered 400/409/422 to the input)
  moved  a redirect somewhere other than the login page (a view's own answer, e.g. back to the page)
  login  must log in first: 302 to /login for browsers, 401 for JSON clients
  403    logged in, but not allowed       404   not there (or not for this visitor)     405  wrong method

GET rows are sent as a browser; POST rows as a JSON client (``Accept: application/json``), so a
service refusal shows as its status (403/409) instead of a flash message. POSTs carry no form data
(or a harmless one): the matrix checks who gets through, the feature tests check what happens next.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from community.accounts import service as accounts
from community.api import tokens
from community.council import sessions
from community.council.models import CouncilTerm
from community.dbtypes import utcnow
from community.extensions import db
from tests import factories as f
from tests.shopper.factories import image_bytes

VISITORS = ("anonymous", "user", "owner", "council", "moderator", "admin", "agent")
OK, MOVED, LOGIN = "ok", "moved", "login"


def who(anonymous=OK, user=OK, owner=OK, council=OK, moderator=OK, admin=OK, agent=None) -> dict[str, object]:
    """Expected outcome per visitor. ``agent`` (a team agent of the world's feedback team, no car)
    defaults to what a plain ``user`` gets: only the feedback routes treat agents differently."""
    return dict(zip(VISITORS, (anonymous, user, owner, council, moderator, admin, user if agent is None else agent),
                    strict=True))


PUBLIC = who()
MEMBERS = who(anonymous=LOGIN)
COUNCIL = who(LOGIN, 403, 403)  # active council members, moderators, admins
MODERATORS = who(LOGIN, 403, 403, 403)
ADMINS = who(LOGIN, 403, 403, 403, 403)


@dataclass(frozen=True)
class Row:
    endpoint: str
    method: str
    url: str  # formatted with the world's ids: {proposal}, {comment}, {vehicle}, {session}, {item}, {term}, {user}
    expect: dict = field(hash=False)
    data: dict | None = field(default=None, hash=False)
    why: str = ""
    last: bool = False


ROWS: list[Row] = [
    # ---- public reading ----
    Row("proposals.index", "GET", "/", PUBLIC),
    Row("proposals.detail", "GET", "/proposals/{proposal}", PUBLIC),
    Row("timeline.index", "GET", "/timeline", PUBLIC),
    Row("timeline.atom", "GET", "/timeline.atom", PUBLIC),
    Row("ops.healthz", "GET", "/healthz", PUBLIC),
    Row("ops.readyz", "GET", "/readyz", PUBLIC, why="names failing parts, never secrets"),
    Row("ops.metrics", "GET", "/metrics", who(404, 404, 404, 404, 404, 404),
        why="bearer METRICS_TOKEN only (unset here: not served); a session grants nothing"),
    Row("bootstrap.static", "GET", "/bootstrap/static/css/bootstrap.min.css", PUBLIC),
    Row("static", "GET", "/static/nothing-here.css", who(404, 404, 404, 404, 404, 404), why="no static files yet"),
    Row("council.index", "GET", "/council", PUBLIC),
    Row("council.session", "GET", "/council/sessions/{session}", who(404, 404, 404),
        why="a draft session exists only for the council and moderators"),
    Row("council.session", "GET", "/council/sessions/{published}", PUBLIC),
    # ---- accounts ----
    Row("accounts.register", "GET", "/register", PUBLIC),
    Row("accounts.register", "POST", "/register", PUBLIC, why="empty form: 422 for everyone"),
    Row("accounts.login", "GET", "/login", PUBLIC),
    Row("accounts.login", "POST", "/login", PUBLIC),
    Row("accounts.logout", "POST", "/logout", who(MOVED, MOVED, MOVED, MOVED, MOVED, MOVED)),
    Row("accounts.set_language", "POST", "/lang/en", who(MOVED, MOVED, MOVED, MOVED, MOVED, MOVED)),
    Row("accounts.settings", "GET", "/settings", MEMBERS),
    Row("accounts.settings", "POST", "/settings", MEMBERS),
    Row("accounts.vehicles", "GET", "/vehicles", MEMBERS),
    Row("accounts.vehicles", "POST", "/vehicles", MEMBERS),
    Row("accounts.review_queue", "GET", "/moderation/vehicles", MODERATORS),
    Row("accounts.review", "POST", "/moderation/vehicles/{vehicle}", who(LOGIN, 403, 403, 403, MOVED, MOVED)),
    Row("accounts.send_evidence", "POST", "/vehicles/{vehicle}/evidence",
        who(LOGIN, OK, 404, 404, 404, 404, agent=404),
        why="the car's owner only; empty form: 422"),
    Row("accounts.evidence_photo", "GET", "/moderation/vehicles/evidence/{evidence}",
        who(LOGIN, 404, 404, 404, OK, OK), why="the owner is told it arrived, never shown it; 404 hides it"),
    # ---- proposals ----
    Row("proposals.new", "GET", "/proposals/new", who(LOGIN, MOVED, OK, OK, OK, OK),
        why="no verified car: sent to add one"),
    Row("proposals.new", "POST", "/proposals/new", who(LOGIN, MOVED, OK, OK, OK, OK)),
    Row("proposals.vote", "POST", "/proposals/{proposal}/vote", who(LOGIN, 403, OK, OK, 403, 403),
        why="only verified owners vote; the demo moderator and admin have no car"),
    Row("proposals.unvote", "POST", "/proposals/{proposal}/unvote", MEMBERS,
        why="anyone logged in may withdraw their vote (409 here: nobody has voted)"),
    Row("proposals.comment", "POST", "/proposals/{proposal}/comments", MEMBERS, why="empty comment: 422"),
    Row("proposals.change_status", "POST", "/proposals/{proposal}/status", MODERATORS),
    Row("proposals.post_milestone", "POST", "/proposals/{proposal}/milestones", MODERATORS),
    # ---- moderation ----
    Row("moderation.flag", "GET", "/report/proposal/{proposal}", MEMBERS),
    Row("moderation.flag", "POST", "/report/proposal/{proposal}", MEMBERS, why="no reason: 422"),
    Row("moderation.similar", "GET", "/proposals/similar?title=heated%20seats", MEMBERS,
        why="a JSON helper of the new-proposal page (anonymous: 401)"),
    Row("moderation.queue", "GET", "/moderation", MODERATORS),
    Row("moderation.hidden", "GET", "/moderation/hidden", MODERATORS),
    Row("moderation.users", "GET", "/moderation/users", MODERATORS),
    Row("moderation.hide", "POST", "/moderation/proposal/{proposal}/hide", who(LOGIN, 403, 403, 403, MOVED, MOVED),
        why="no reason given: sent back with a warning"),
    Row("moderation.restore", "POST", "/moderation/proposal/{proposal}/restore",
        who(LOGIN, 403, 403, 403, MOVED, MOVED)),
    Row("moderation.dismiss", "POST", "/moderation/comment/{comment}/dismiss",
        who(LOGIN, 403, 403, 403, MOVED, MOVED)),
    Row("moderation.block", "POST", "/moderation/users/{user}/block", who(LOGIN, 403, 403, 403, MOVED, MOVED)),
    Row("moderation.unblock", "POST", "/moderation/users/{user}/unblock", who(LOGIN, 403, 403, 403, MOVED, MOVED)),
    Row("moderation.remove_votes", "POST", "/moderation/users/{user}/remove-votes",
        who(LOGIN, 403, 403, 403, MOVED, MOVED)),
    Row("moderation.merge", "GET", "/moderation/proposals/{proposal}/merge", MODERATORS),
    Row("moderation.merge", "POST", "/moderation/proposals/{proposal}/merge", MODERATORS),
    # ---- council ----
    Row("council.queue", "GET", "/council/queue", COUNCIL),
    Row("council.queue_add", "POST", "/council/queue/agenda", who(LOGIN, 403, 403, MOVED, MOVED, MOVED)),
    Row("council.review", "GET", "/council/proposals/{proposal}", COUNCIL),
    Row("council.add_note", "POST", "/council/proposals/{proposal}/notes", COUNCIL),
    Row("council.new_session", "GET", "/council/sessions/new", MODERATORS),
    Row("council.new_session", "POST", "/council/sessions/new", MODERATORS),
    Row("council.edit_session", "POST", "/council/sessions/{session}/edit", MODERATORS),
    Row("council.add_to_agenda", "POST", "/council/sessions/{session}/agenda", COUNCIL),
    Row("council.decide", "POST", "/council/sessions/{session}/items/{item}/decision", MODERATORS),
    Row("council.remove_item", "POST", "/council/sessions/{session}/items/{item}/remove",
        who(LOGIN, 403, 403, 403, MOVED, MOVED), why="the moderator removes it; the admin is told it is gone",
        last=True),
    Row("council.publish", "POST", "/council/sessions/{published}/publish", who(LOGIN, 403, 403, 403, MOVED, MOVED),
        why="already published: the view answers, nothing changes"),
    Row("council.appoint", "GET", "/council/terms/new", ADMINS),
    Row("council.appoint", "POST", "/council/terms/new", ADMINS),
    Row("council.end_term", "POST", "/council/terms/{term}/end", who(LOGIN, 403, 403, 403, 403, MOVED),
        why="no reason: sent back with a warning"),
    # ---- JSON API: visitors send a personal write token instead of a session (scopes: tests/api) ----
    Row("api-docs.openapi_json", "GET", "/api/v1/openapi.json", PUBLIC),
    Row("api-docs.openapi_swagger_ui", "GET", "/api/v1/docs", PUBLIC),
    Row("api_proposals.list_proposals", "GET", "/api/v1/proposals", PUBLIC),
    Row("api_proposals.get_proposal", "GET", "/api/v1/proposals/{proposal}", PUBLIC),
    Row("api_proposals.proposal_timeline", "GET", "/api/v1/proposals/{proposal}/timeline", PUBLIC),
    Row("api_timeline.timeline", "GET", "/api/v1/timeline", PUBLIC),
    Row("api_proposals.create_proposal", "POST", "/api/v1/proposals", MEMBERS, why="empty body: 422"),
    Row("api_proposals.vote", "POST", "/api/v1/proposals/{proposal}/vote", who(LOGIN, 403, OK, OK, 403, 403)),
    Row("api_proposals.withdraw", "DELETE", "/api/v1/proposals/{proposal}/vote", MEMBERS),
    Row("api_me.me", "GET", "/api/v1/me", MEMBERS),
    Row("api_me.vehicles", "GET", "/api/v1/me/vehicles", MEMBERS),
    Row("api_me.add_vehicle", "POST", "/api/v1/me/vehicles", MEMBERS, why="empty body: 422"),
    Row("api_me.send_evidence", "POST", "/api/v1/me/vehicles/{vehicle}/evidence",
        who(LOGIN, OK, 404, 404, 404, 404, agent=404), why="the car's owner only; no photo: 422"),
    Row("api_moderation.proof_photo", "GET", "/api/v1/moderation/vehicles/evidence/{evidence}/photo",
        who(LOGIN, 404, 404, 404, OK, OK), why="moderators only; 404 hides it from everyone else"),
    Row("api_public.council_sessions", "GET", "/api/v1/council/sessions", PUBLIC),
    Row("api_public.council_session", "GET", "/api/v1/council/sessions/{published}", PUBLIC),
    Row("api_public.council_session", "GET", "/api/v1/council/sessions/{session}", who(404, 404, 404)),
    Row("api_public.scorecard_view", "GET", "/api/v1/pledge/scorecard", PUBLIC),
    Row("api_public.council_decisions", "GET", "/api/v1/council/decisions", PUBLIC),
    Row("api_roadmap.roadmap", "GET", "/api/v1/roadmap?model=001", PUBLIC),
    Row("api_roadmap.roadmap", "GET", "/api/v1/roadmap?mine=true", MEMBERS, why="my cars: who am I?"),
    Row("api_roadmap.roadmap_item", "GET", "/api/v1/roadmap/{roadmap_item}", PUBLIC),
    Row("api_announcements.announcements", "GET", "/api/v1/announcements", PUBLIC),
    Row("api_announcements.announcement", "GET", "/api/v1/announcements/{announcement}", PUBLIC),
    Row("api_entitlements.my_entitlements", "GET", "/api/v1/me/entitlements", MEMBERS),
    Row("api_entitlements.my_entitlement", "GET", "/api/v1/me/entitlements/{holding}", who(LOGIN, 404, OK, 404, OK, OK),
        why="the holder and moderators, as on the web"),
    Row("api_scorecards.scorecards", "GET", "/api/v1/scorecards", PUBLIC),
    Row("api_scorecards.store_scorecard", "GET", "/api/v1/scorecards/stores/{store}", PUBLIC),
    # ---- webhooks (admins) ----
    Row("webhooks.index", "GET", "/admin/webhooks", ADMINS),
    Row("webhooks.index", "POST", "/admin/webhooks", ADMINS, why="empty form: 422"),
    Row("webhooks.endpoint", "GET", "/admin/webhooks/{webhook}", ADMINS),
    Row("webhooks.endpoint", "POST", "/admin/webhooks/{webhook}", ADMINS, why="empty form: 422"),
    Row("webhooks.redeliver", "POST", "/admin/webhooks/{webhook}/deliveries/{delivery}/redeliver",
        who(LOGIN, 403, 403, 403, 403, MOVED)),
    Row("webhooks.delete", "POST", "/admin/webhooks/{webhook}/delete", who(LOGIN, 403, 403, 403, 403, MOVED),
        last=True),
    Row("api_webhooks.list_endpoints", "GET", "/api/v1/webhooks/endpoints", ADMINS),
    Row("api_webhooks.create_endpoint", "POST", "/api/v1/webhooks/endpoints", ADMINS,
        data={"url": "ftp://example.com/", "event_types": ["proposal.created"]}, why="not http(s): 422"),
    Row("api_webhooks.get_endpoint", "GET", "/api/v1/webhooks/endpoints/{webhook}", ADMINS),
    Row("api_webhooks.update_endpoint", "PUT", "/api/v1/webhooks/endpoints/{webhook}", ADMINS,
        data={"url": "ftp://example.com/", "event_types": ["proposal.created"]}, why="not http(s): 422"),
    Row("api_webhooks.delete_endpoint", "DELETE", "/api/v1/webhooks/endpoints/{webhook_spare}", ADMINS, last=True),
    Row("api_webhooks.deliveries", "GET", "/api/v1/webhooks/endpoints/{webhook}/deliveries", ADMINS),
    Row("api_webhooks.redeliver", "POST", "/api/v1/webhooks/endpoints/{webhook}/deliveries/{delivery}/redeliver",
        ADMINS),
    Row("api_feedback.submit", "POST", "/api/v1/feedback", MEMBERS, why="the API needs a token; empty body: 422"),
    Row("api_feedback.mine", "GET", "/api/v1/feedback/mine", MEMBERS),
    Row("api_feedback.detail", "GET", "/api/v1/feedback/{feedback}", who(LOGIN, 404, OK, 404, OK, OK, agent=OK)),
    # API writes carry a well-formed body: the schema is checked before the caller's rights, and the
    # matrix is about the rights. Each body is refused by a rule afterwards, so nothing changes.
    Row("api_feedback.act", "POST", "/api/v1/feedback/{feedback}/actions",
        who(LOGIN, 404, 403, 404, 403, 403, agent=OK), data={"action": "resolve"}, why="no note: 422 for the agent"),
    Row("api_feedback.queue", "GET", "/api/v1/feedback/queue?team=app_connectivity",
        who(LOGIN, 403, 403, 403, OK, OK, agent=OK)),
    Row("api_moderation.pending", "GET", "/api/v1/moderation/vehicles", MODERATORS),
    Row("api_moderation.review", "POST", "/api/v1/moderation/vehicles/{vehicle}", MODERATORS,
        data={"approve": False, "reason": ""}, why="rejection without a reason: 422"),
    Row("api_moderation.change_status", "POST", "/api/v1/proposals/{proposal}/status", MODERATORS,
        data={"status": "delivered", "text_en": "skip"}, why="not an allowed move: 422"),
    Row("api_moderation.post_milestone", "POST", "/api/v1/proposals/{proposal}/milestones", MODERATORS,
        data={"kind": "commitment"}, why="no text: 422"),
    Row("api_tokens.index", "GET", "/settings/tokens", MEMBERS),
    Row("api_tokens.index", "POST", "/settings/tokens", MEMBERS),
    Row("api_tokens.revoke", "POST", "/settings/tokens/{token}/revoke", who(LOGIN, 404, MOVED, 404, 404, 404),
        why="revokes the owner's token; anyone else is told it does not exist", last=True),
    # ---- feedback and the service pledge (agent = agent of the feedback's team) ----
    Row("feedback.new", "GET", "/feedback/new", PUBLIC),
    Row("feedback.new", "POST", "/feedback/new", PUBLIC, why="anyone may give feedback; empty: 422"),
    Row("feedback.mine", "GET", "/feedback/mine", MEMBERS),
    Row("feedback.detail", "GET", "/feedback/{feedback}", who(LOGIN, 404, OK, 404, OK, OK, agent=OK),
        why="the author, the team's agents and moderators; others are told it does not exist"),
    Row("feedback.reply", "POST", "/feedback/{feedback}/reply", who(LOGIN, 404, 403, 404, 403, 403, agent=OK)),
    Row("feedback.start", "POST", "/feedback/{feedback}/start", who(LOGIN, 404, 403, 404, 403, 403, agent=OK)),
    Row("feedback.resolve", "POST", "/feedback/{feedback}/resolve", who(LOGIN, 404, 403, 404, 403, 403, agent=OK)),
    Row("feedback.reassign", "POST", "/feedback/{feedback}/reassign", who(LOGIN, 404, 403, 404, OK, OK, agent=OK)),
    Row("feedback.queue", "GET", "/feedback/queue", who(LOGIN, 403, 403, 403, OK, OK, agent=OK)),
    Row("feedback.triage", "GET", "/feedback/triage", MODERATORS),
    Row("feedback.assign", "POST", "/feedback/{feedback}/assign", who(LOGIN, 403, 403, 403, MOVED, MOVED)),
    Row("feedback.router_versions_page", "GET", "/feedback/router", ADMINS),
    Row("feedback.activate_router", "POST", "/feedback/router/activate", who(LOGIN, 403, 403, 403, 403, MOVED),
        why="no version chosen: a warning and back to the list"),
    Row("pledge.index", "GET", "/pledge", PUBLIC),
    Row("pledge.admin", "GET", "/pledge/admin", ADMINS),
    Row("pledge.edit_team", "GET", "/pledge/admin/teams/{team}", ADMINS),
    Row("pledge.edit_team", "POST", "/pledge/admin/teams/{team}", who(LOGIN, 403, 403, 403, 403, MOVED)),
    Row("pledge.add_agent", "POST", "/pledge/admin/teams/{team}/agents", ADMINS),
    Row("pledge.remove_agent", "POST", "/pledge/admin/teams/{team}/agents/{agent}/remove",
        who(LOGIN, 403, 403, 403, 403, MOVED), why="removes the world's agent", last=True),
    Row("pledge.edit_item", "GET", "/pledge/admin/items/new", ADMINS),
    Row("pledge.edit_item", "POST", "/pledge/admin/items/new", ADMINS),
    Row("pledge.edit_item", "GET", "/pledge/admin/items/{pledge_item}", ADMINS),
    Row("pledge.edit_item", "POST", "/pledge/admin/items/{pledge_item}", who(LOGIN, 403, 403, 403, 403, MOVED)),
    # ---- notifications ----
    Row("notifications.index", "GET", "/notifications", MEMBERS),
    Row("notifications.mark_read", "POST", "/notifications/read", who(LOGIN, MOVED, MOVED, MOVED, MOVED, MOVED)),
    Row("notifications.settings", "GET", "/settings/notifications", MEMBERS),
    Row("notifications.settings", "POST", "/settings/notifications", who(LOGIN, MOVED, MOVED, MOVED, MOVED, MOVED)),
    Row("notifications.follow", "POST", "/proposals/{proposal}/follow", who(LOGIN, MOVED, MOVED, MOVED, MOVED, MOVED)),
    Row("api_notifications.notifications", "GET", "/api/v1/notifications", MEMBERS),
    Row("api_notifications.mark_read", "POST", "/api/v1/notifications/read", MEMBERS),
    Row("api_notifications.get_settings", "GET", "/api/v1/me/notification-settings", MEMBERS),
    Row("api_notifications.put_settings", "PUT", "/api/v1/me/notification-settings", MEMBERS),
    Row("api_notifications.follow", "PUT", "/api/v1/proposals/{proposal}/follow", MEMBERS),
    Row("api_notifications.follow", "DELETE", "/api/v1/proposals/{proposal}/follow", MEMBERS),
    # ---- audit log ----
    Row("audit.index", "GET", "/admin/audit", ADMINS),
    Row("audit.export", "GET", "/admin/audit.csv", ADMINS),
    # ---- campaigns (crowdfunding) ----
    Row("campaigns.index", "GET", "/campaigns", PUBLIC),
    Row("campaigns.mine", "GET", "/campaigns/mine", MEMBERS),
    Row("campaigns.detail", "GET", "/campaigns/{campaign}", PUBLIC),
    Row("campaigns.detail", "GET", "/campaigns/{campaign_draft}", who(404, 404, 404, 404, OK, OK),
        why="a draft exists only for moderators"),
    Row("campaigns.pledge", "POST", "/campaigns/{campaign}/pledge", who(LOGIN, 403, OK, OK, 403, 403),
        why="only verified owners pledge (no vehicle chosen: 400); moderator and admin have no car"),
    Row("campaigns.cancel_pledge", "POST", "/pledges/{pledge}/cancel", who(LOGIN, 404, 404, 404, 404, 404),
        why="only the pledger may cancel; to anyone else the pledge is not there"),
    Row("campaigns.new", "GET", "/proposals/{accepted}/campaigns/new", MODERATORS),
    Row("campaigns.new", "POST", "/proposals/{accepted}/campaigns/new", MODERATORS, why="empty form: 422"),
    Row("campaigns.cancel", "POST", "/campaigns/{campaign}/cancel", MODERATORS, why="no public reason: 422"),
    Row("campaigns.dashboard", "GET", "/campaigns/{campaign}/dashboard", MODERATORS),
    Row("campaigns.export", "GET", "/campaigns/{campaign}/pledges.csv", MODERATORS),
    Row("campaigns.publish", "POST", "/campaigns/{campaign_draft}/publish", who(LOGIN, 403, 403, 403, MOVED, OK),
        why="the moderator publishes; the admin (a JSON client) gets 409: already published", last=True),
    # ---- mystery-shopper reports and store scorecards (the admin holds every stored role, shopper included) ----
    Row("shopper.scorecards", "GET", "/scorecards", PUBLIC),
    Row("shopper.store_scorecard", "GET", "/scorecards/stores/{store}", PUBLIC),
    Row("shopper.export", "GET", "/scorecards.csv", MODERATORS),
    Row("shopper.mine", "GET", "/shopper/reports", ADMINS, why="mystery shoppers (and admins) only"),
    Row("shopper.new", "GET", "/shopper/reports/new", ADMINS, why="mystery shoppers (and admins) only"),
    Row("shopper.new", "POST", "/shopper/reports/new", ADMINS, why="empty form: 422"),
    Row("shopper.edit", "GET", "/shopper/reports/{report_draft}/edit", who(LOGIN, 403, 403, 403, 403, 404),
        why="only its author edits a draft; to another shopper it is not there"),
    Row("shopper.edit", "POST", "/shopper/reports/{report_draft}/edit", who(LOGIN, 403, 403, 403, 403, 404)),
    Row("shopper.delete_photo", "POST", "/shopper/reports/{report_draft}/photos/{photo_draft}/delete",
        who(LOGIN, 403, 403, 403, 403, 404)),
    Row("shopper.detail", "GET", "/shopper/reports/{report}", who(LOGIN, 404, 404, 404, OK, OK, agent=OK),
        why="a submitted report: its author, moderators and team agents"),
    Row("shopper.detail", "GET", "/shopper/reports/{report_draft}", who(LOGIN, 404, 404, 404, 404, 404),
        why="a draft: its author only"),
    Row("shopper.photo", "GET", "/shopper/photos/{photo}", who(LOGIN, 404, 404, 404, OK, OK, agent=OK)),
    Row("shopper.internal", "GET", "/shopper/internal", who(LOGIN, 403, 403, 403, OK, OK, agent=OK)),
    Row("shopper.store_list", "GET", "/shopper/stores", ADMINS),
    Row("shopper.store_edit", "GET", "/shopper/stores/new", ADMINS),
    Row("shopper.store_edit", "POST", "/shopper/stores/new", ADMINS, why="empty form: 422"),
    Row("shopper.store_edit", "GET", "/shopper/stores/{store}", ADMINS),
    Row("shopper.store_edit", "POST", "/shopper/stores/{store}", who(LOGIN, 403, 403, 403, 403, MOVED),
        why="no form data: the store's own values are saved back"),
    Row("api_campaigns.list_campaigns", "GET", "/api/v1/campaigns", PUBLIC),
    Row("api_campaigns.list_campaigns", "GET", "/api/v1/campaigns?status=open&proposal_id={accepted}", PUBLIC),
    Row("api_campaigns.get_campaign", "GET", "/api/v1/campaigns/{campaign}", PUBLIC),
    Row("api_campaigns.get_campaign", "GET", "/api/v1/campaigns/{campaign_draft}", who(404, 404, 404, 404, OK, OK),
        why="a draft exists only for moderators"),
    Row("api_campaigns.eligibility", "GET", "/api/v1/campaigns/{campaign}/eligibility", MEMBERS),
    Row("api_campaigns.pledge", "POST", "/api/v1/campaigns/{campaign}/pledges", who(LOGIN, 403, 404, 404, 403, 403),
        data={"vehicle_id": 999999}, why="verified owners only; then the car must be theirs (none is: 404)"),
    Row("api_campaigns.cancel_pledge", "POST", "/api/v1/pledges/{pledge}/cancel", who(LOGIN, 404, 404, 404, 404, 404),
        why="only the pledger may cancel; to anyone else the pledge is not there"),
    Row("api_campaigns.my_pledges", "GET", "/api/v1/me/pledges", MEMBERS),
    Row("api_campaigns.create_campaign", "POST", "/api/v1/proposals/{accepted}/campaigns", MODERATORS,
        data={"price_cny": "0", "target": 1, "opens_at": "2030-01-01T00:00:00+08:00", "closes_on": "2030-01-31"},
        why="no title, price 0: 422 for moderators"),
    Row("api_campaigns.publish_campaign", "POST", "/api/v1/campaigns/{campaign}/publish", MODERATORS,
        why="already published: 409 for moderators"),
    Row("api_campaigns.cancel_campaign", "POST", "/api/v1/campaigns/{campaign}/cancel", MODERATORS,
        data={"reason": ""}, why="no public reason: 422 for moderators"),
    # ---- roadmap ----
    Row("roadmap.index", "GET", "/roadmap", PUBLIC),
    Row("roadmap.index", "GET", "/roadmap?mine=1&model=001", PUBLIC),
    Row("roadmap.detail", "GET", "/roadmap/{roadmap_item}", PUBLIC),
    Row("roadmap.new", "GET", "/roadmap/new", MODERATORS),
    Row("roadmap.new", "POST", "/roadmap/new", MODERATORS, why="empty form: 422"),
    Row("roadmap.change_state", "POST", "/roadmap/{roadmap_item}/state", MODERATORS, why="empty form: 422"),
    Row("roadmap.links", "POST", "/roadmap/{roadmap_item}/links", who(LOGIN, 403, 403, 403, MOVED, MOVED),
        why="no proposals listed: the links are cleared and the page reloads", last=True),
    # ---- official announcements ----
    Row("announcements.index", "GET", "/announcements", PUBLIC),
    Row("announcements.detail", "GET", "/announcements/{announcement}", PUBLIC),
    Row("announcements.atom", "GET", "/announcements.atom", PUBLIC),
    Row("announcements.new", "GET", "/announcements/new", MODERATORS),
    Row("announcements.new", "POST", "/announcements/new", MODERATORS, why="empty form: 422"),
    # ---- entitlements ----
    Row("entitlements.mine", "GET", "/entitlements", MEMBERS),
    Row("entitlements.detail", "GET", "/entitlements/{holding}", who(LOGIN, 404, OK, 404, OK, OK),
        why="the holder's own, or a moderator's view"),
    Row("entitlements.manage", "GET", "/entitlements/manage", MODERATORS),
    Row("entitlements.grant", "POST", "/entitlements/grant", MODERATORS, why="empty form: 422"),
    Row("entitlements.use", "POST", "/entitlements/{holding}/use", MODERATORS, why="empty form: 422"),
    Row("entitlements.correct", "POST", "/entitlements/entries/{ledger_entry}/correct", MODERATORS,
        why="empty form: 422"),
    Row("entitlements.transfer", "GET", "/entitlements/transfers", MODERATORS),
    Row("entitlements.transfer", "POST", "/entitlements/transfers", MODERATORS, why="empty form: 422"),
    Row("entitlements.kinds", "GET", "/entitlements/kinds", ADMINS),
    Row("entitlements.kinds", "POST", "/entitlements/kinds", ADMINS, why="empty form: 422"),
    Row("entitlements.export", "GET", "/entitlements/ledger.csv", MODERATORS),
    # ---- API: comments, reports, the moderators' actions, the council's work (rights as on the web) ----
    Row("api_proposals.list_comments", "GET", "/api/v1/proposals/{proposal}/comments", PUBLIC),
    Row("api_proposals.create_comment", "POST", "/api/v1/proposals/{proposal}/comments", MEMBERS,
        data={"body": " "}, why="a blank comment: 422"),
    Row("api_moderation.report", "POST", "/api/v1/reports/proposal/{proposal}", MEMBERS, data={"reason": " "},
        why="no reason: 422"),
    Row("api_moderation.flag_queue", "GET", "/api/v1/moderation/flags", MODERATORS),
    Row("api_moderation.hide", "POST", "/api/v1/moderation/proposal/{proposal}/hide", MODERATORS,
        data={"reason": ""}, why="no reason: 422 for moderators"),
    Row("api_moderation.restore", "POST", "/api/v1/moderation/proposal/{proposal}/restore", MODERATORS,
        data={"reason": ""}, why="no reason: 422 for moderators"),
    Row("api_moderation.dismiss", "POST", "/api/v1/moderation/comment/{comment}/dismiss", MODERATORS,
        data={"reason": ""}, why="no reason: 422 for moderators"),
    Row("api_moderation.block", "POST", "/api/v1/moderation/users/{user}/block", MODERATORS, data={"reason": ""},
        why="no reason: 422 for moderators"),
    Row("api_moderation.unblock", "POST", "/api/v1/moderation/users/{user}/unblock", MODERATORS,
        data={"reason": ""}, why="no reason: 422 for moderators"),
    Row("api_moderation.remove_votes", "POST", "/api/v1/moderation/users/{user}/remove-votes", MODERATORS,
        data={"reason": ""}, why="no reason: 422 for moderators"),
    Row("api_moderation.merge", "POST", "/api/v1/moderation/proposals/{proposal}/merge", MODERATORS,
        data={"original_id": 1, "reason": ""}, why="no reason: 422 for moderators"),
    Row("api_council.queue", "GET", "/api/v1/council/queue", COUNCIL),
    Row("api_council.add_to_agenda", "POST", "/api/v1/council/sessions/{published}/agenda",
        who(LOGIN, 403, 403, 404, 404, 404), data={"proposal_id": 999999},
        why="the council and moderators pass the gate; then no such proposal: 404"),
    Row("api_council.notes", "GET", "/api/v1/council/proposals/{proposal}/notes", COUNCIL,
        why="internal notes: owners get 403 as on the web, never the notes"),
    Row("api_council.add_note", "POST", "/api/v1/council/proposals/{proposal}/notes", COUNCIL,
        data={"body": " "}, why="a blank note: 422"),
]


@pytest.fixture
def world(app):
    """One of each thing the routes act on, and one user per kind of visitor."""
    people = {"user": f.UserFactory(), "owner": f.owner(), "council": f.council_member(),
              "moderator": f.moderator(), "admin": f.admin(), "agent": f.agent("app_connectivity")}
    mod = people["moderator"]
    proposal = f.proposal(author=people["owner"])
    comment = f.comment(proposal)
    vehicle = accounts.add_vehicle(people["user"], "001", 2024, [], f.spare_vin(99), evidence_kind="licence",
                                   evidence_file=("licence.jpg", io.BytesIO(image_bytes())))
    draft = sessions.create_session(mod, "Autumn session", utcnow() + timedelta(days=7), place="Lijiang")
    item = sessions.add_to_agenda(mod, draft, proposal)
    published = sessions.create_session(mod, "Spring session", utcnow() - timedelta(days=7), place="Online")
    done = sessions.add_to_agenda(mod, published, proposal)
    sessions.decide(mod, done, "needs_info", "Please add the hardware list.")
    sessions.publish(mod, published)
    term = CouncilTerm.query.filter_by(user_id=people["council"].id).one()
    secrets = {who_: tokens.create_token(user, "phone", "write", 30)[1] for who_, user in people.items()}
    token = tokens.tokens_of(people["owner"])[0]
    feedback = f.feedback(author=people["owner"], team="app_connectivity")
    ids = {"proposal": proposal.id, "comment": comment.id, "vehicle": vehicle.id, "user": people["user"].id,
           "evidence": vehicle.latest_evidence.id,
           "session": draft.id, "item": item.id, "published": published.id, "term": term.id, "token": token.id,
           "feedback": feedback.id, "team": f.teams()["app_connectivity"].id, "agent": people["agent"].id,
           "pledge_item": f.pledge_item("app_connectivity").id, **_campaign_world(mod), **_shopper_world(),
           **_roadmap_world(mod, people["admin"], people["owner"], proposal), **_webhook_world(people["admin"])}
    return people, ids, secrets


def _campaign_world(mod) -> dict:
    """An open campaign with someone else's pledge in it, and a draft campaign."""
    from community.campaigns import pledges

    live = f.open_campaign(actor=mod)
    draft = f.open_campaign(actor=mod, publish=False, proposal=live.proposal)
    pledger = f.eligible_owner()
    pledge = pledges.pledge(pledger, live, pledger.vehicles[0].id)
    return {"campaign": live.id, "campaign_draft": draft.id, "pledge": pledge.id, "accepted": live.proposal_id}


def _shopper_world() -> dict:
    """A store, a submitted report with a photo, and a draft with a photo, by a shopper who is no visitor."""
    import io

    from community.shopper import service as shopper
    from tests.shopper import factories as sf

    author, store = sf.shopper(), sf.store()
    report = sf.draft(author, store)
    photo = shopper.add_photo(report, author, "a.jpg", io.BytesIO(sf.image_bytes()))
    shopper.submit(report, author)
    draft = sf.draft(author, store)
    draft_photo = shopper.add_photo(draft, author, "b.png", io.BytesIO(sf.image_bytes("PNG")))
    return {"store": store.id, "report": report.id, "photo": photo.id, "report_draft": draft.id,
            "photo_draft": draft_photo.id}


def _webhook_world(admin) -> dict:
    """Two webhook endpoints (one for each delete row) and a pending delivery; nothing listens on port 9."""
    from community.webhooks import service as webhooks
    from community.webhooks.models import WebhookDelivery

    endpoint = webhooks.create_endpoint(admin, "http://127.0.0.1:9/hook", ["proposal.created"])
    spare = webhooks.create_endpoint(admin, "http://127.0.0.1:9/spare", ["vehicle.verified"])
    f.proposal(title="Announced to the webhook")
    delivery = WebhookDelivery.query.filter_by(endpoint_id=endpoint.id).one()
    return {"webhook": endpoint.id, "webhook_spare": spare.id, "delivery": delivery.id}


def _roadmap_world(mod, admin, owner, proposal) -> dict:
    """A roadmap item and an announcement on the proposal, and the owner's charging credit with one entry."""
    from community.announcements import service as announcements
    from community.entitlements import service as entitlements
    from community.roadmap import service as roadmap

    item = roadmap.create_item(mod, roadmap.ItemInput(title_en="City NOA", kind="ota", window="2026-Q2",
                                                      proposal_ids=[proposal.id]))
    answer = announcements.post_announcement(mod, announcements.AnnouncementInput(
        title_en="Our answer", body_en="Yes.", proposal_ids=[proposal.id]))
    kind = entitlements.create_kind(admin, "charging_credit", "充电额度", "Charging credit", "kwh", "owner")
    entry = entitlements.grant(mod, kind, "100", "purchase", user=owner)
    return {"roadmap_item": item.id, "announcement": answer.id, "holding": entry.entitlement_id,
            "ledger_entry": entry.id}


def _client(app, user=None):
    """A browser of its own, logged in as ``user`` (session written directly: no password hashing)."""
    client = app.test_client()
    if user is not None:
        with client.session_transaction() as sess:
            sess["_user_id"], sess["_fresh"] = user.get_id(), True
    return client


def _outcome(resp) -> object:
    if resp.status_code in (301, 302, 303, 307, 308):
        return LOGIN if resp.headers["Location"].startswith("/login") else MOVED
    if resp.status_code == 401:
        return LOGIN
    if resp.status_code in (403, 404, 405) or resp.status_code >= 500:
        return resp.status_code
    return OK


def _request(client, method: str, url: str, data: dict | None = None, secret: str | None = None):
    """GET as a browser; other methods as a JSON client. /api/ calls carry ``secret`` as a bearer token."""
    headers = {"Authorization": f"Bearer {secret}"} if secret else {}
    if method == "GET":
        return client.get(url, headers=headers)
    body = {"json": data} if url.startswith("/api/") and data else {"data": data or {}}
    return client.open(url, method=method, headers={"Accept": "application/json", **headers}, **body)


def test_matrix(app, world):
    """Every row, every visitor, on one shared world (rebuilding it per row costs ~1 s each).

    Rows marked ``last`` change the world (e.g. remove an agenda item) and run after the others.
    """
    people, ids, secrets = world
    failures = []
    for row in sorted(ROWS, key=lambda r: r.last):
        url = row.url.format(**ids)
        api = url.startswith("/api/")
        got = {}
        for visitor in VISITORS:
            client = _client(app, None if api else people.get(visitor))
            got[visitor] = _outcome(_request(client, row.method, url, row.data, secrets.get(visitor) if api else None))
        if got != row.expect:
            wrong = {v: f"expected {row.expect[v]}, got {got[v]}" for v in VISITORS if got[v] != row.expect[v]}
            failures.append(f"{row.method} {url} [{row.why}]: {wrong}")
    assert failures == [], "\n".join(failures)


def _rule_of(app, row: Row) -> str:
    """The URL rule a row's URL reaches (ids filled with 1), so two rules of one endpoint count apart."""
    path = re.sub(r"\{\w+\}", "1", row.url).split("?")[0]
    rule, _args = app.url_map.bind("localhost").match(path, method=row.method, return_rule=True)
    return rule.rule


def test_every_route_is_in_the_matrix(app):
    covered = {(_rule_of(app, r), r.method) for r in ROWS}
    missing = sorted((rule.rule, method, rule.endpoint) for rule in app.url_map.iter_rules()
                     for method in rule.methods - {"HEAD", "OPTIONS"} if (rule.rule, method) not in covered)
    assert missing == [], "add a row to ROWS in tests/test_authorization.py for each of these"


def test_wrong_methods_answer_405(client):
    allowed: dict[str, set[str]] = {}
    for rule in client.application.url_map.iter_rules():
        allowed.setdefault(rule.rule, set()).update(rule.methods)
    for pattern, methods in allowed.items():
        url = re.sub(r"<int:\w+>", "1", re.sub(r"<path:\w+>", "x", pattern))
        url = re.sub(r"<\w+>", "proposal", url)
        for method in {"GET", "POST", "DELETE"} - methods:
            assert client.open(url, method=method).status_code == 405, f"{method} {url}"


# Routes that answer something other than 404 for an id that does not exist, and why.
NOT_404 = {("moderation.dismiss", "POST"): 409,  # closes open reports by target id: "no open reports"
           ("campaigns.pledge", "POST"): 403}  # the admin has no car: the owners-only gate answers first


def test_missing_ids_answer_404_to_those_allowed_in(app, world):
    people, ids, secrets = world
    client = _client(app, people["admin"])
    bodies = {(_rule_of(app, r), r.method): r.data for r in ROWS if r.data}
    wrong = []
    for rule in app.url_map.iter_rules():
        if not any(conv in rule.rule for conv in ("<int:", "<target_type>")):
            continue
        url = rule.rule
        for arg in rule.arguments:
            url = url.replace(f"<int:{arg}>", "999999").replace(f"<{arg}>", "proposal")
        for method in rule.methods & {"GET", "POST", "DELETE"}:
            api = url.startswith("/api/")
            data = bodies.get((rule.rule, method)) if api else {"reason": "spam"}
            status = _request(client, method, url, data, secrets["admin"] if api else None).status_code
            if status != NOT_404.get((rule.endpoint, method), 404):
                wrong.append((method, url, status))
    assert wrong == []


def test_an_unknown_content_type_is_404(app, world):
    people, ids, _ = world
    client = _client(app, people["admin"])
    assert client.get(f"/report/spaceship/{ids['proposal']}").status_code == 404
    assert _request(client, "POST", f"/moderation/spaceship/{ids['proposal']}/hide",
                    {"reason": "spam"}).status_code == 404


def test_blocked_users_lose_their_roles_on_every_gate(app, world):
    people, ids, _ = world
    mod = people["moderator"]
    mod.is_blocked = True
    db.session.commit()
    client = _client(app, mod)
    assert client.get("/moderation").status_code == 403
    assert _request(client, "POST", f"/proposals/{ids['proposal']}/status").status_code == 403
