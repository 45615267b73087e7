"""Cocreate: the owner community's proposals, votes, council review and public progress timeline."""
from __future__ import annotations

import os
from functools import cached_property

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user

from community.config import load_config
from community.extensions import babel, bootstrap, csrf, db, limiter, login_manager, mail, migrate, talisman


class CocreateFlask(Flask):
    """Flask, with a stored page answered before the request hooks (``community.cache.fast_hit``): on a hit
    the rate limiter, CSRF, login and Babel hooks have nothing to do, and skipping them is most of what a
    cached page costs. The first request of a process always takes the full path. A stored API read is
    answered there too, its rate limit counted (``community.api.early``). The plainest hits, an anonymous
    visitor's, are answered earlier still, in front of Flask (``community.front``)."""

    def full_dispatch_request(self):
        from community import cache
        from community.api import PREFIX, early

        if self._got_first_request:
            hit = early.hit() if request.path.startswith(PREFIX) else cache.fast_hit()
            if hit is not None:
                return hit
        response = super().full_dispatch_request()
        cache.learn_headers(response)
        return response

    def ensure_sync(self, func):
        """Flask's, remembered per function: it inspects each hook for a coroutine on every request."""
        done = self._sync.get(func)
        if done is None:
            done = self._sync[func] = super().ensure_sync(func)
        return done

    @cached_property
    def _sync(self) -> dict:
        return {}


def create_app(config: dict | None = None) -> Flask:
    """The app factory. ``config`` overrides everything else (tests pass the database URL here)."""
    # COCREATE_INSTANCE_PATH: several app hosts (or checkouts) on one machine each keep their own instance/.
    instance = os.environ.get("COCREATE_INSTANCE_PATH")
    app = CocreateFlask(__name__, instance_path=os.path.abspath(instance) if instance else None,
                        instance_relative_config=True, template_folder="../templates")
    from community.util import IdConverter

    app.url_map.converters["int"] = IdConverter  # ids beyond the column's range are a 404, not a 500
    load_config(app, config)
    from community.ops import init_ops

    init_ops(app)  # first: its hooks wrap every other (request id first, log line last, even for a CSRF 400)
    register_extensions(app)
    register_blueprints(app)
    from community.errors import register_errorhandlers
    from community.security import refuse_malformed_input

    register_errorhandlers(app)
    app.before_request(refuse_malformed_input)
    from community.api import idempotency

    idempotency.init_app(app)  # last of the request hooks: a write's key is claimed just before its view
    register_template_helpers(app)
    from community import cli, jobs

    cli.register(app)
    jobs.init_app(app)
    from community.front import StoredPages
    from community.ops import trust_proxies

    app.wsgi_app = StoredPages(app, app.wsgi_app)  # an anonymous visitor's stored page, before Flask
    trust_proxies(app)
    return app


def _select_locale():
    """``?lang=``, then the language switch (session), then the account's choice, then BABEL_DEFAULT_LOCALE (zh)."""
    if not has_request_context():
        return "en"  # CLI and jobs speak English; pages and mails pick per request/user
    return visitor_locale(current_user)


def visitor_locale(user) -> str:
    """The request's language for ``user`` (None or anonymous: the visitor's switch, the API's
    Accept-Language, the default). The page cache calls it with None for a visitor it knows is anonymous
    without loading the user."""
    if request.args.get("lang") in ("zh", "en"):
        return request.args["lang"]
    if session.get("lang"):
        return session["lang"]
    if user is not None and user.is_authenticated and user.locale:
        return user.locale
    if request.path.startswith("/api/"):  # apps say what they want in Accept-Language
        return request.accept_languages.best_match(["zh", "en"]) or current_app.config["BABEL_DEFAULT_LOCALE"]
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _select_timezone():
    from community.timezones import viewer_timezone

    return viewer_timezone()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    """SQLite (the embedded default): a write-ahead log, so readers do not wait for a writer (page views
    during a vote) and a commit appends to one file. ``synchronous=NORMAL`` is durable against a crash of the
    app; only a power cut can lose the last commits."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    from community.ops import release_session

    app.teardown_appcontext(release_session)  # before Flask-SQLAlchemy's own: a dead connection is no 500
    with app.app_context():
        if db.engine.dialect.name == "sqlite":
            from sqlalchemy import event

            event.listen(db.engine, "connect", _sqlite_pragmas)
    migrate.init_app(app, db, render_as_batch=True, directory=str(app.root_path + "/../migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    from community import ratelimits

    ratelimits.install(limiter)  # one Redis round trip per limited request (was three)
    from community.security import talisman_options

    talisman.init_app(app, **talisman_options(app.config))
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_timezone,
                   default_translation_directories="translations")
    bootstrap.init_app(app)
    mail.init_app(app)
    login_manager.init_app(app)
    from community import cache

    cache.init_app(app)  # after csrf: it wraps the template's csrf_token
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"

    from flask_babel import lazy_gettext

    login_manager.login_message = lazy_gettext("Please log in to continue.")
    from community.security import login_first

    login_manager.unauthorized_handler(login_first)

    @login_manager.user_loader
    def load_user(session_id: str):
        from community.accounts.models import load_session_user

        user_id, _, token = (session_id or "").partition(":")
        if not user_id.isdigit():
            return None
        user = load_session_user(int(user_id))
        return user if user and user.session_token == token else None


def register_blueprints(app: Flask) -> None:
    from community.accounts import bp as accounts
    from community.announcements import bp as announcements
    from community.audit import bp as audit
    from community.campaigns import bp as campaigns
    from community.council import bp as council
    from community.entitlements import bp as entitlements
    from community.feedback import bp as feedback
    from community.feedback.cli import sla_cli
    from community.feedback.routing_cli import routing_cli
    from community.moderation import bp as moderation
    from community.notifications import bp as notifications
    from community.pledge import bp as pledge
    from community.proposals import bp as proposals
    from community.proposals.cli import search_cli, votes_cli
    from community.roadmap import bp as roadmap
    from community.shopper import bp as shopper
    from community.shopper import stores_cli
    from community.timeline import bp as timeline
    from community.webhooks import bp as webhooks
    from community.webhooks.cli import webhooks_cli

    for bp in (accounts, proposals, votes_cli, search_cli, timeline, council, moderation, audit, pledge, feedback,
               sla_cli, routing_cli, notifications, campaigns, shopper, stores_cli, roadmap, announcements,
               entitlements, webhooks, webhooks_cli):
        app.register_blueprint(bp)
    from community.webhooks.delivery import init_app as init_webhooks

    init_webhooks(app)

    from community.api import init_api

    init_api(app)


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    from community.layout import layout_nav, nav_html
    from community.security import has_role
    from community.util import in_parens, one_language, with_colon

    app.jinja_env.globals["layout_nav"] = layout_nav
    app.extensions["layout_nav_html"] = nav_html  # the page cache puts each visitor's bar into stored pages
    app.jinja_env.filters["one_language"] = one_language  # "中文 / English" -> the viewer's side
    app.jinja_env.filters["colon"] = with_colon  # "提案：" / "Proposal: "
    app.jinja_env.filters["parens"] = in_parens  # "（已超时）" / "(overdue)"

    @app.context_processor
    def inject():
        from community.timezones import viewer_timezone

        return {"has_role": has_role, "current_locale": str(get_locale() or "zh")[:2],
                "current_timezone_name": viewer_timezone()}

    from community import dates

    dates.register(app)  # when, day, ago: one date and one date-time format per language
