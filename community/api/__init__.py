"""The versioned JSON API (``/api/v1``) for the owners' app, documented by flask-smorest as OpenAPI 3.1.

Every endpoint calls the same service functions as the web pages: no rule is written twice here.
Auth: a personal access token as ``Authorization: Bearer cc_...`` (no cookies, no CSRF), or the
browser session (then CSRF applies to writes, as on the web).
"""
from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from flask_smorest import Api

from community.api.auth import authenticate_bearer, bearer_token
from community.api.fields import RulesPlugin
from community.api.schemas import ErrorSchema
from community.errors import error_response
from community.util import IdConverter

PREFIX = "/api/v1"


class CocreateApi(Api):
    """flask-smorest with the app's own error handling: one JSON error shape for API and web alike."""

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        pass  # community.errors handles HTTPException for the whole app

    def handle_http_exception(self, error):  # pragma: no cover - not registered
        return error_response(error.code, "error", str(error))


api = CocreateApi()
_limits_attached = False


def rate_key() -> str:
    """Rate-limit bucket: the token, else the logged-in user, else the client address.

    The limiter runs before the view and before ``_api_auth``, so the token is read here (once per
    request, shared with ``_api_auth``); an unknown or revoked token counts against its address.
    """
    token = bearer_token() if request.headers.get("Authorization") else None
    if token is not None:
        return f"token:{token.id}"
    if current_user.is_authenticated:
        return f"user:{current_user.id}"
    return f"ip:{request.remote_addr}"


def init_api(app) -> None:
    from community.api import (
        announcements,
        campaigns,
        council,
        entitlements,
        feedback,
        me,
        moderation,
        notifications,
        proposals,
        public,
        roadmap,
        scorecards,
        timeline,
        tokens_views,
        webhooks,
    )
    from community.extensions import csrf, limiter

    # The web's remaining public pages and the owner's own things, read with the same service functions.
    READ_PARITY = (roadmap, announcements, entitlements, scorecards)  # noqa: N806

    app.config.setdefault("API_RATE_LIMIT", "300 per minute")

    app.config.update(
        API_TITLE="Cocreate API", API_VERSION="v1", OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX=PREFIX, OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs", OPENAPI_SWAGGER_UI_URL="/static/swagger-ui/",
        API_SPEC_OPTIONS={
            "info": {"description": "Cocreate's JSON API for the owners' app. Authenticate with a personal "
                                    "access token from Settings → API tokens: `Authorization: Bearer cc_...`."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}, {}],
        },
    )
    from community.api.idempotency import IdempotencyDoc

    api.init_app(app, spec_kwargs={"marshmallow_plugin": RulesPlugin(), "extra_plugins": [IdempotencyDoc()]})
    api.register_converter(IdConverter, lambda conv: {"type": "integer", "minimum": 0, "maximum": conv.max})
    # One bucket for the whole API per caller (a shared scope), not one per blueprint. The limiter and the
    # blueprints live as long as the process, so the limit is attached once, however many apps are made
    # (tests make many; twice would count every request twice).
    # Counted before the hooks where the caller's bucket is known then (community.api.early): Flask-Limiter
    # skips those requests and ``early.add_headers`` writes their headers.
    global _limits_attached
    from community.api import early

    api_limit = limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope=early.API_SCOPE,
                                     key_func=rate_key)
    for module in (proposals, timeline, me, notifications, feedback, public, moderation, campaigns, council,
                   *READ_PARITY, webhooks):
        csrf.exempt(module.blp)
        if not _limits_attached:
            api_limit(module.blp)
        api.register_blueprint(module.blp, url_prefix=PREFIX + module.URL_PREFIX)
        early.LIMITED.add(module.blp.name)
    if not _limits_attached:
        limiter.request_filter(early.counted)
    _limits_attached = True
    app.after_request(early.add_headers)
    app.register_blueprint(tokens_views.bp)
    from community.api.cli import tokens_cli

    app.register_blueprint(tokens_cli)

    @app.before_request
    def _api_auth():
        if not request.path.startswith(PREFIX + "/"):
            return None
        g.api_token = None
        if request.headers.get("Authorization"):
            return authenticate_bearer()
        if request.method not in ("GET", "HEAD", "OPTIONS") and current_user.is_authenticated:
            csrf.protect()  # cookie-authenticated writes keep CSRF; anonymous ones get the endpoint's 401
        return None
