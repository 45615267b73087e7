"""The page cache: the one module that owns cache keys, versions and invalidation.

Backend (Flask-Caching): Redis when ``REDIS_URL`` is set (production; every worker shares it), an
in-process ``SimpleCache`` on the embedded default (``make run``: one process), nothing in production
without Redis (in-process copies in several workers could not be invalidated together).

Keys: ``page:<endpoint>:<lang>:<tz>:<version>`` (a whole anonymous page) and
``frag:<name>:<lang>:<tz>:<version>`` (the shared part of a page), where ``<version>`` is a digest of
the versions of the scopes the page shows, of the request path with its query and of a variant (who
may see it: anonymous, may report). Scopes:

  ``lists``          every proposal list page (any proposal row changed)
  ``timeline``       the public timeline and its Atom feed (milestones; proposal titles, hides)
  ``proposal:<id>``  one proposal's detail page (its row, comments, milestones)
  ``proposals``      every detail page (a bulk change whose proposal cannot be told; a roadmap item, whose
                     state shows on the pages of the proposals it answers)
  ``announcements``  the announcements feed
  ``site``           everything (a display name, which every page may show)
  ``user:<id>``      one user as a member's stored page shows them (row, roles, cars, council terms, unread,
                     votes, follows)
  ``users``          every user (a bulk write whose users cannot be told)

A version is a fresh ``<time_ns hex><random hex>`` token, never a counter, so a version key that Redis
evicts comes back as a value no stored page was built with. Versions are bumped automatically: the
session events below see every ORM write (objects flushed, orphans of a ``delete-orphan`` collection
included, and bulk ``update(Proposal)...`` statements, whose ``proposals.id = :id`` condition names the
proposal), remember the scopes on the session, and
bump them right after the transaction commits (nothing on rollback). Writes that bypass the ORM call
``changed(...)`` themselves.

Freshness: a page built by a request that read its versions before a writer's bump is stored under the
old versions, which nobody reads afterwards. So a reader sees a change as soon as the writer's commit
has returned (the stale window is the instant between the database commit and the bump, both inside
the writer's request). Were a worker to die in that instant, or Redis to be unreachable for the bump,
pages would be stale until they expire: ``PAGE_CACHE_SECONDS`` (default 300). Redis errors never break
a page: it is rendered uncached.

Hits before the hooks: a GET for a page stored for anonymous visitors (or everyone) is answered by
``fast_hit`` from inside the request context but before any request hook (``CocreateFlask``): the rate
limiter, CSRF, login and Babel hooks have nothing to do for it. The headers those hooks add are learned
from this process's own cached responses, the CSP nonce is fresh per response (stored pages hold a
placeholder for it, as for the CSRF token), the request is logged and counted as usual. Views with a
rate limit (the API) opt out. An anonymous visitor's hit is answered earlier still, from the WSGI environ in
front of Flask (``community.front``), by the same keys and with what this process learned here.

Personal parts: a whole page is stored for anonymous visitors without pending flash messages; the CSRF
token, the CSP nonce and the navigation bar in it are placeholders put in per response (a page whose
rendering asked for a real token is not stored). Members (``public_page(members=...)``) are served a stored
page too, before the hooks: the anonymous one where they see nothing of their own besides the bar (lists,
the timeline), else a copy stored for members like them whose personal parts (``hole``: their vote, follow
and comment form) are drawn per response. Staff, members with a message or a kept draft waiting, and
bearer-token callers get the page rendered whole, around the shared fragments. The member on such a page comes
from this process's snapshot of them (``accounts.models.load_session_user``), valid while the versions of their
scopes (``session_user_scopes``, read in the same Redis MGET as the page's) stand: a member's list or timeline
costs no database statement, and any write about them shows on their next page.
"""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from functools import wraps

from flask import current_app, g, has_app_context, has_request_context, make_response, request, session
from flask_caching import Cache
from markupsafe import Markup
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList
from werkzeug.datastructures import Headers
from werkzeug.http import http_date

log = logging.getLogger(__name__)
cache = Cache()

LISTS, TIMELINE, PROPOSALS, ANNOUNCEMENTS, SITE = "lists", "timeline", "proposals", "announcements", "site"
USERS = "users"
CSRF_PLACEHOLDER = "\x00csrf-token\x00"  # no template can produce a NUL, so the replace hits only this
NONCE_PLACEHOLDER = "\x00csp-nonce\x00"
NAV_PLACEHOLDER = "\x00layout-nav\x00"  # where the navigation bar goes: each response gets its visitor's own
HOLE = "\x00hole:"  # a personal part of a member's stored page: HOLE + name + US + JSON arguments + NUL
ANONYMOUS = "anon"  # the variant of the page stored for anonymous visitors
_PENDING = "cache_pending_scopes"
# Columns a vote or a comment changes: the lists and the proposal's page show them, the timeline does not.
_COUNT_COLUMNS = {"vote_count", "comment_count", "updated_at"}
_USER_SHOWN = {"display_name"}
# Rows shown on (or deciding what is on) one proposal's page, each with a ``proposal_id``.
_PER_PROPOSAL = ("comments", "milestones", "campaigns", "roadmap_links")
# Rows about one user that a member's stored page shows (bar, vote box): table -> the column naming the user.
_PER_USER = {"user_roles": "user_id", "vehicles": "owner_id", "council_terms": "user_id", "notifications": "user_id",
             "votes": "user_id", "follows": "user_id"}
# An announcement is linked from its milestones on the detail pages and the timeline; rare writes.
_ANNOUNCED = {ANNOUNCEMENTS, TIMELINE, PROPOSALS}
# A roadmap item's title, state and window show on the page of every proposal it answers; rare writes.
_ROADMAP = {"roadmap_items", "roadmap_entries"}


def proposal_scope(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


def detail_scopes(proposal_id: int) -> list[str]:
    """The scopes a proposal's detail page shows."""
    return [SITE, PROPOSALS, proposal_scope(proposal_id)]


def user_scope(user_id: int) -> str:
    return f"user:{user_id}"


def session_user_scopes(user_id: int) -> list[str]:
    """The scopes of what a member's stored page shows of them (``accounts.models.load_session_user``'s
    snapshot): their own, every user's, and the timeline (a hide changes which notifications are unread)."""
    return [USERS, TIMELINE, user_scope(user_id)]


# ---- set-up ----

def init_app(app) -> None:
    """Choose the backend from the config (see the module docstring) and hook the session events once."""
    cfg = app.config
    redis_url = cfg.get("REDIS_URL")
    timeout = int(cfg.get("PAGE_CACHE_SECONDS", 300))
    settings = {"CACHE_DEFAULT_TIMEOUT": timeout, "CACHE_KEY_PREFIX": cfg.get("CACHE_KEY_PREFIX", "cocreate:")}
    if not cfg.get("PAGE_CACHE_ENABLED", True):
        settings["CACHE_TYPE"] = "NullCache"
    elif redis_url:
        settings.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url,
                        CACHE_OPTIONS={"socket_timeout": 0.5, "socket_connect_timeout": 0.5})
    elif cfg.get("COCREATE_ENV") == "production":
        settings["CACHE_TYPE"] = "NullCache"
    else:
        settings.update(CACHE_TYPE="SimpleCache", CACHE_THRESHOLD=int(cfg.get("PAGE_CACHE_THRESHOLD", 5000)))
    cache.init_app(app, config=settings)
    app.extensions["page_cache_enabled"] = settings["CACHE_TYPE"] != "NullCache"
    # Flask-WTF offers ``csrf_token`` as a global and from a context processor; this processor runs after
    # its, so pages being stored for everyone get the placeholder instead of this visitor's token.

    def csrf_token() -> str:
        return CSRF_PLACEHOLDER if g.get("_page_cache_storing") else page_token()

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["hole"] = hole
    app.context_processor(lambda: {"csrf_token": csrf_token})
    _listen()


def enabled() -> bool:
    return has_app_context() and current_app.extensions.get("page_cache_enabled", False)


# ---- versions ----

def _new_version() -> str:
    return f"{time.time_ns():x}{secrets.token_hex(3)}"


def versions(scopes: Iterable[str]) -> list[str]:
    """The current version of each scope; a scope never bumped (or evicted) gets a fresh one.

    Read once per request: a logged-in detail page asks for the same scopes for each of its fragments (one
    Redis round trip, not four), and all its parts are built from one consistent set. The request's own
    ``bump`` forgets them, so a page rendered after a commit in the same request reads the new ones."""
    scopes = list(scopes)
    if not has_request_context():
        return _read_versions(scopes)
    memo = g.get("_cache_versions")
    if memo is None:
        memo = g._cache_versions = {}
    missing = [s for s in scopes if s not in memo]
    if missing:
        memo.update(zip(missing, _read_versions(missing), strict=True))
    return [memo[s] for s in scopes]


def _read_versions(scopes: list[str]) -> list[str]:
    keys = [f"v:{s}" for s in scopes]
    found = cache.get_many(*keys)
    missing = {k: _new_version() for k, v in zip(keys, found, strict=True) if v is None}
    if missing:
        for key, value in missing.items():
            cache.cache.add(key, value, timeout=0)  # add: two workers racing keep one value
        again = cache.get_many(*missing)
        fresh = dict(zip(missing, again, strict=True))
        found = [v if v is not None else (fresh[k] or missing[k]) for k, v in zip(keys, found, strict=True)]
    return found


def last_modified(version_list: Iterable[str]) -> float:
    """Seconds since the epoch of the newest version (its time part)."""
    return max((int(v[:-6], 16) / 1e9 for v in version_list), default=0.0)


def bump(scopes: Iterable[str]) -> None:
    """Give each scope a new version now (after the commit). Errors are logged, not raised."""
    scopes = set(scopes)
    if not scopes or not enabled():
        return
    if has_request_context():
        g.pop("_cache_versions", None)
    try:
        cache.set_many({f"v:{s}": _new_version() for s in scopes}, timeout=0)
    except Exception:  # noqa: BLE001  (the write committed; pages expire within PAGE_CACHE_SECONDS)
        log.exception("page cache: could not bump %s", sorted(scopes))


def changed(*scopes: str) -> None:
    """Mark scopes changed by the current transaction: bumped when it commits, forgotten on rollback.

    For writes the session events cannot see (raw SQL); ORM writes are tracked automatically."""
    from community.extensions import db

    db.session.info.setdefault(_PENDING, set()).update(scopes)


# ---- automatic invalidation from the ORM ----

_listening = False


def _listen() -> None:
    global _listening
    if _listening:
        return
    _listening = True
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "persistent_to_deleted", _deleted)
    event.listen(Session, "do_orm_execute", _on_execute)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_rollback", _after_rollback)


def _scopes_for_object(obj, is_new: bool) -> set[str]:
    table = getattr(obj, "__tablename__", None)
    if table == "proposals":
        if obj.id is None:
            return {LISTS}
        state = inspect(obj)
        touched = {a.key for a in state.attrs if a.history.has_changes()}
        scopes = {LISTS, proposal_scope(obj.id)}
        if is_new or touched - _COUNT_COLUMNS:
            scopes.add(TIMELINE)
        return scopes
    if table in _PER_PROPOSAL:
        scopes = {proposal_scope(obj.proposal_id)} if obj.proposal_id else {PROPOSALS}
        return scopes | ({TIMELINE, LISTS} if table == "milestones" else set())
    if table == "users":
        if obj.id is None:
            return set()
        if is_new:
            return {user_scope(obj.id)}
        touched = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
        return {user_scope(obj.id)} | ({SITE} if touched & _USER_SHOWN else set())
    if table in _PER_USER:
        return _user_scopes({getattr(obj, _PER_USER[table])})
    if table in _ROADMAP:
        return {PROPOSALS}
    if table and table.startswith("announcement"):
        return _ANNOUNCED | ({proposal_scope(obj.proposal_id)} if getattr(obj, "proposal_id", None) else set())
    return set()


def _after_flush(session, _context) -> None:
    scopes: set[str] = set()
    for obj in session.new:
        scopes |= _scopes_for_object(obj, True)
    for obj in session.dirty:
        if session.is_modified(obj, include_collections=False):
            scopes |= _scopes_for_object(obj, False)
    if scopes:
        session.info.setdefault(_PENDING, set()).update(scopes)


def _deleted(session, obj) -> None:
    """Each row a flush deleted: explicit ``session.delete`` calls and orphans of a ``delete-orphan`` collection
    alike (``session.deleted`` lists only the former: a role revoked, a roadmap link removed left the pages
    showing them stale)."""
    try:
        scopes = _scopes_for_object(obj, True)
    except Exception:  # noqa: BLE001  (an attribute that can no longer load: never fail the write, bump broadly)
        log.exception("page cache: scopes of a deleted %s", type(obj).__name__)
        scopes = {SITE, LISTS, TIMELINE, PROPOSALS, USERS}
    if scopes:
        session.info.setdefault(_PENDING, set()).update(scopes)


def _ids_in(where, column: str, params=None) -> set | None:
    """The values of ``<table>.<column> = :value`` in a WHERE of ANDed conditions, or None if absent.
    A ``bindparam`` without a value of its own takes it from the statement's execute ``params``."""
    if where is None:
        return None
    clauses = where.clauses if isinstance(where, BooleanClauseList) and where.operator.__name__ == "and_" \
        else [where]
    for clause in clauses:
        if not (isinstance(clause, BinaryExpression) and getattr(clause.left, "key", None) == column
                and isinstance(clause.right, BindParameter)):
            continue
        if clause.operator.__name__ == "eq":
            value = clause.right.effective_value
            if value is None:
                if not isinstance(params, dict) or params.get(clause.right.key) is None:
                    return None  # not known (executemany, or really NULL): the caller bumps them all
                value = params[clause.right.key]
            return {value}
        if clause.operator.__name__ == "in_op" and clause.right.expanding:
            return set(clause.right.effective_value)
    return None


def _user_scopes(ids: set | None) -> set[str]:
    """The scopes of these users; every user's when they are not known (or so many that one bump is cheaper)."""
    if not ids or None in ids or len(ids) > 100:
        return {USERS}
    return {user_scope(i) for i in ids}


def _inserted(params, column: str) -> set | None:
    """The values of ``column`` in an INSERT's parameters (one row's dict, or a list of them), or None."""
    rows = [params] if isinstance(params, dict) else params if isinstance(params, list | tuple) else []
    found = {row.get(column) for row in rows if isinstance(row, dict)}
    return None if not found or None in found else found


def _on_execute(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    scopes: set[str] = set()
    if table == "proposals":
        ids = _ids_in(state.statement.whereclause, "id", state.parameters) if not state.is_insert else None
        values = {getattr(c, "key", str(c)) for c in (getattr(state.statement, "_values", None) or {})}
        scopes.add(LISTS)
        scopes |= {proposal_scope(i) for i in ids} if ids else {PROPOSALS}
        if not ids or state.is_delete or not values or values - _COUNT_COLUMNS:
            scopes.add(TIMELINE)
    elif table in _PER_PROPOSAL:
        ids = _ids_in(state.statement.whereclause, "proposal_id", state.parameters) if not state.is_insert else None
        scopes |= {proposal_scope(i) for i in ids} if ids else {PROPOSALS}
        if table == "milestones":
            scopes |= {TIMELINE, LISTS}
    elif table == "users" and not state.is_insert:
        scopes |= {SITE} | _user_scopes(_ids_in(state.statement.whereclause, "id", state.parameters))
    elif table in _PER_USER:
        ids = _inserted(state.parameters, _PER_USER[table]) if state.is_insert else \
            _ids_in(state.statement.whereclause, _PER_USER[table], state.parameters)
        scopes |= _user_scopes(ids)
    elif table in _ROADMAP:
        scopes.add(PROPOSALS)
    elif table and table.startswith("announcement"):
        scopes |= _ANNOUNCED
    if scopes:
        state.session.info.setdefault(_PENDING, set()).update(scopes)


def _after_commit(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        bump(pending)


def _after_rollback(session) -> None:
    session.info.pop(_PENDING, None)


# ---- what views call ----

# Rendered bodies this process has seen, by full key. A key names the versions it was built with, so an entry
# here is never stale; it saves the second Redis round trip (and the unpickling) on a hit. FIFO-bounded.
_local: dict[str, object] = {}
_LOCAL_MAX = 256


def _get(key: str):
    return stored(cache.cache, current_app.config["CACHE_KEY_PREFIX"], key)


def stored(backend, prefix: str, key: str):
    """The value stored under ``key``: this process's copy, else ``backend``'s (then kept here), or None.
    ``prefix`` is the app's CACHE_KEY_PREFIX: apps (tests) with their own caches never share copies."""
    local = prefix + key
    hit = _local.get(local)
    if hit is None:
        hit = backend.get(key)
        if hit is not None:
            _remember(local, hit)
    return hit


def _set(key: str, value) -> None:
    _remember(current_app.config["CACHE_KEY_PREFIX"] + key, value)
    cache.set(key, value)


def _remember(local_key: str, value) -> None:
    if len(_local) >= _LOCAL_MAX:
        _local.pop(next(iter(_local)), None)
    _local[local_key] = value

def _digest(version_list: list[str], variant: str) -> str:
    return digest_of(request.environ, version_list, variant)


def digest_of(environ: dict, version_list: list[str], variant: str) -> str:
    """The digest naming a stored page: its scopes' versions, the variant, the raw path and query (what names
    the page; ``request.full_path`` re-quotes both), and the host and script root its links were built for (a
    request through another Host or X-Forwarded-Prefix never stores links for everyone else's copy)."""
    raw = "\x1f".join([*version_list, variant, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                       environ.get("HTTP_HOST", ""), environ.get("SCRIPT_NAME", "")])
    return hashlib.sha1(raw.encode()).hexdigest()[:20]


def _lang_tz() -> tuple[str, str]:
    if _plainly_anonymous():  # the same answer as Babel's selectors give anonymous visitors, without them
        from community import visitor_locale

        return visitor_locale(None), current_app.config["DEFAULT_TIMEZONE"]
    from flask_babel import get_locale

    from community.timezones import viewer_timezone

    return str(get_locale() or "zh"), viewer_timezone()


def fragment(name: str, scopes: list[str], render: Callable[[], str], variant: str | None = "") -> Markup:
    """The shared part of a page: ``render()`` (which runs the queries) only when not cached.

    ``variant`` names who may see this rendering (e.g. ``"flag"`` for people with report links); None
    means it is personal and is never cached. Keyed by the request path and query, language and zone.
    """
    if variant is None or not enabled():
        return Markup(render())
    try:
        lang, tz = _lang_tz()
        key = f"frag:{name}:{lang}:{tz}:{_digest(versions(scopes), variant)}"
        hit = _get(key)
    except Exception:  # noqa: BLE001
        log.exception("page cache: read failed")
        return Markup(render())
    if hit is not None:
        return Markup(hit)
    html = str(render())
    try:
        _set(key, html)
    except Exception:  # noqa: BLE001
        log.exception("page cache: write failed")
    return Markup(html)


def value(name: str, scopes: list[str], compute: Callable[[], object]):
    """A small picklable value (e.g. which optional parts a page has), recomputed when a scope changes.
    ``name`` must say everything the value depends on besides the scopes (e.g. the proposal id)."""
    if not enabled():
        return compute()
    try:
        key = f"data:{name}:{hashlib.sha1(chr(31).join(versions(scopes)).encode()).hexdigest()[:20]}"
        hit = _get(key)
    except Exception:  # noqa: BLE001
        log.exception("page cache: read failed")
        return compute()
    if hit is not None:
        return hit
    result = compute()
    try:
        _set(key, result)
    except Exception:  # noqa: BLE001
        log.exception("page cache: write failed")
    return result


def _anonymous_and_plain() -> bool:
    from flask_login import current_user

    return (request.method in ("GET", "HEAD") and not current_user.is_authenticated
            and not session.get("_flashes"))


def _signed_in_and_plain() -> bool:
    """A GET by a logged-in visitor (session, not a bearer token) with nothing pending on the session: no flash
    message to show, no remember-me cookie for Flask-Login to set or clear after the view."""
    if request.method not in ("GET", "HEAD") or "_flashes" in session or "_remember" in session \
            or "Authorization" in request.headers or current_app.config.get("REMEMBER_COOKIE_REFRESH_EACH_REQUEST"):
        return False
    from flask_login import current_user

    return "_user_id" in session and current_user.is_authenticated


def anonymous_headers(spec: _Spec, lang: str, tz: str, vs: list[str], digest: str, raw_token: str) -> list:
    """ETag, Vary, Last-Modified and Cache-Control of a stored page served to an anonymous visitor whose session
    holds ``raw_token`` (its raw CSRF token, "" for none)."""
    return [("ETag", f'"{_etag(digest, not spec.everyone, lang, tz, raw_token)}"'),
            ("Vary", "Cookie, Accept-Language"), ("Last-Modified", http_date(last_modified(vs))),
            ("Cache-Control", "no-cache" if spec.everyone else "no-cache, private")]


def _etag(digest: str, personal: bool, lang: str, tz: str, raw_token: str) -> str:
    # The language and zone are in the tag: after the visitor switches language, the copy their browser
    # holds in the other language must not be answered with a 304.
    # A stored page carries the visitor's CSRF token: the tag changes with the session's raw token and
    # every half hour, so a browser never revalidates a copy whose token has expired (1 hour).
    extra = f"{raw_token}:{int(time.time() // 1800)}" if personal else ""
    return hashlib.sha1(f"{digest}:{lang}:{tz}:{extra}".encode()).hexdigest()[:24]


def _csrf() -> str:
    return page_token()


# Per process: the signed CSRF token last made for each session's raw token, and when. Flask-WTF signs a new
# one on every request (an HMAC per page); a member's pages reuse one for up to a minute, which shortens its
# life (WTF_CSRF_TIME_LIMIT, an hour) by at most that minute. Keyed by the session's secret raw token.
_signed_tokens: dict[str, tuple[str, float]] = {}
_TOKEN_REUSE_SECONDS = 60


def page_token() -> str:
    """This visitor's CSRF token for the forms of a page (Flask-WTF's ``generate_csrf``, signed at most a
    minute ago); later ``generate_csrf`` calls in the request return the same token."""
    from flask_wtf.csrf import generate_csrf

    if "csrf_token" in g:
        return g.csrf_token
    raw, now = session.get("csrf_token"), time.monotonic()
    kept = _signed_tokens.get(raw) if raw else None
    if kept is not None and now - kept[1] < _TOKEN_REUSE_SECONDS:
        g.csrf_token = kept[0]
        return kept[0]
    token = generate_csrf()
    raw = session.get("csrf_token")
    if raw:
        if len(_signed_tokens) >= 4096:
            _signed_tokens.pop(next(iter(_signed_tokens)), None)
        _signed_tokens[raw] = (token, now)
    return token


def _with_real_token(response):
    """A response rendered for storing but not stored: its placeholders become this visitor's token."""
    if response.direct_passthrough or not response.mimetype.startswith("text/"):
        return response
    body = response.get_data(as_text=True)
    if CSRF_PLACEHOLDER in body:
        response.set_data(body.replace(CSRF_PLACEHOLDER, _csrf()))
    return response


class _Spec:
    """What ``public_page`` knows about a view, for the hit path in front of the hooks (``fast_hit``)."""

    __slots__ = ("scopes", "everyone", "fast", "members")

    def __init__(self, scopes, everyone: bool, fast: bool, members: Callable[[], str | None] | None = None):
        self.scopes, self.everyone, self.fast, self.members = scopes, everyone, fast, members


def _lookup(spec: _Spec, kwargs: dict, variant: str | None = None) -> tuple[str, str, list[str], str, str]:
    """(lang, tz, versions, digest, key) of the current request's page; Redis errors raise. ``variant``: a
    member's (``public_page``'s ``members``), else the anonymous page ("all" for ``everyone``)."""
    lang, tz = _lang_tz()
    vs = versions(spec.scopes(**kwargs))
    digest = _digest(vs, variant or ("all" if spec.everyone else ANONYMOUS))
    return lang, tz, vs, digest, f"page:{request.endpoint}:{lang}:{tz}:{digest}"


def _trusted(pairs: list[tuple[str, str]]) -> Headers:
    """Werkzeug ``Headers`` holding ``pairs`` as given. ``Headers(pairs)`` checks every value for line breaks
    on each response (a tenth of a stored API answer's CPU); these are ours: built here from digests, dates and
    a URL-safe nonce, or learned from this process's own responses, which Werkzeug checked then. Relies on
    ``Headers._list`` (the list Werkzeug's own ``Headers.copy`` hands over), with the pinned Werkzeug."""
    headers = Headers()
    headers._list = pairs
    return headers


def _serve(hit, spec: _Spec, lang: str, tz: str, vs: list[str], digest: str, nonce: str | None,
           extra: list[tuple[str, str]] | None = None, signed_in: bool = False):
    """The response for a stored page: this visitor's navigation bar, CSRF token and CSP nonce in it,
    ETag/304 (not for a ``signed_in`` visitor: their bar is theirs, the page is answered whole).

    Headers are given as one list (Werkzeug's ``etag``/``vary``/``cache_control`` properties each parse and
    re-serialise their header); ``make_conditional`` only for a request that asks a question. ``extra``:
    headers to add (``fast_hit``'s learned ones)."""
    body, mimetype = hit
    if NAV_PLACEHOLDER in body:  # drawn by community.layout.nav_html, registered by the app factory
        if signed_in:
            body = body.replace(NAV_PLACEHOLDER, current_app.extensions["layout_nav_html"](lang[:2]))
            if HOLE in body:
                body = _fill_holes(body)
        else:  # every anonymous visitor of this page gets the same bar: put in once per process
            body = _anonymous_body(body, lang, digest)
    if not spec.everyone and CSRF_PLACEHOLDER in body:
        body = body.replace(CSRF_PLACEHOLDER, _csrf())
    if NONCE_PLACEHOLDER in body:
        body = body.replace(NONCE_PLACEHOLDER, nonce or "")
    if signed_in:
        headers = [("Vary", "Cookie"), ("Cache-Control", "no-cache, private")]
    else:
        headers = anonymous_headers(spec, lang, tz, vs, digest, session.get("csrf_token", ""))
    if extra:
        headers += extra
    response = current_app.response_class(body, mimetype=mimetype, headers=_trusted(headers))
    environ = request.environ
    if not signed_in and ("HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ):
        return response.make_conditional(request)
    return response


def public_page(scopes: Callable[..., list[str]], everyone: bool = False, fast: bool = True,
                members: Callable[[], str | None] | None = None):
    """View decorator: store the whole response for anonymous visitors (or ``everyone``, for feeds that
    show nothing personal), answer conditional requests with 304. ``scopes(**view_args)`` lists the
    scopes the page shows. Only 200 responses are stored; anything else passes through.

    ``fast``: a stored copy may be served by ``fast_hit`` before the request hooks run (no rate limit,
    CSRF or login hooks); pass False for views with a rate limit (the API).
    ``members``: logged-in visitors are served a stored page too, with their own navigation bar and
    personal parts (``hole``) put in per response. It names the copy the current member gets: ``ANONYMOUS``
    (the page shows them nothing of their own outside the bar: a list, the timeline), another variant (a
    copy stored for members like them, holes left open), or None (their page is rendered whole)."""
    spec = _Spec(scopes, everyone, fast, members)

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            variant = None  # a member's copy; None: the anonymous (or everyone's) page
            if not enabled():
                return view(*args, **kwargs)
            if not everyone and not _anonymous_and_plain():
                variant = members() if members is not None and _signed_in_and_plain() else None
                if variant is None:
                    return view(*args, **kwargs)
            try:
                looked = g.pop("_page_cache_lookup", None)  # fast_hit read the versions already (a miss)
                lang, tz, vs, digest, key = looked or _lookup(spec, kwargs, variant)
                hit = _get(key)
            except Exception:  # noqa: BLE001
                log.exception("page cache: read failed")
                return view(*args, **kwargs)
            if variant and hit is not None and NAV_PLACEHOLDER not in hit[0]:
                return view(*args, **kwargs)  # stored by an older release with the anonymous bar in it
            nonce = getattr(request, "csp_nonce", None)  # Talisman's, for this response's CSP header
            if hit is None:
                had_token = "csrf_token" in g
                g._page_cache_storing = not everyone
                g._page_cache_holes = variant not in (None, ANONYMOUS)
                try:
                    response = make_response(view(*args, **kwargs))
                finally:
                    g._page_cache_storing = g._page_cache_holes = False
                if response.status_code != 200 or response.direct_passthrough or (not had_token and "csrf_token" in g):
                    return _with_real_token(response)  # not a plain page, or it holds this visitor's token
                body = response.get_data(as_text=True)
                if nonce:  # stored with a placeholder: every response carries the nonce of its own CSP header
                    body = body.replace(nonce, NONCE_PLACEHOLDER)
                hit = (body, response.mimetype)
                try:
                    _set(key, hit)
                except Exception:  # noqa: BLE001
                    log.exception("page cache: write failed")
            g._page_cache_served = request.endpoint  # process_response's headers become fast_hit's template
            return _serve(hit, spec, lang, tz, vs, digest, nonce, signed_in=variant is not None)

        wrapped.page_cache = spec
        return wrapped

    return decorator


# ---- personal parts of members' pages ----

def the_anonymous_page() -> str:
    """``public_page(members=...)`` for pages that show a member nothing of their own besides the bar."""
    return ANONYMOUS


_holes: dict[str, Callable[..., str]] = {}


def personal(name: str):
    """Register ``render(**args) -> HTML`` as the personal part ``name`` (e.g. a proposal's vote button),
    drawn for the current visitor. Templates place it with ``hole(name, **args)``; the arguments (ints,
    strings, booleans: JSON) travel inside a stored page, so they may only say what the page shows anyway."""
    def register(render):
        _holes[name] = render
        return render
    return register


def hole(name: str, **args) -> Markup:
    """A template global: the personal part ``name`` for this visitor, or, in a member page being stored, a
    placeholder that ``_serve`` fills for each member."""
    if g.get("_page_cache_holes"):
        return Markup(f"{HOLE}{name}\x1f{json.dumps(args, separators=(',', ':'))}\x00")
    return Markup(_holes[name](**args))


# Per process: personal parts as rendered for a given context, CSRF token left open; FIFO-bounded.
_parts: dict[tuple, str] = {}


def render_part(template: str, **context) -> str:
    """A personal part's small template (e.g. the vote button in one of its few states) with only what it is
    given and ``request``: rendered once per process for each context, language and path, this visitor's
    CSRF token put in per response. ``context`` values must be hashable."""
    from flask_babel import get_locale

    key = (current_app.config["CACHE_KEY_PREFIX"], template, str(get_locale()), request.path,
           tuple(sorted(context.items())))
    html = _parts.get(key)
    if html is None:
        storing = g.get("_page_cache_storing", False)
        g._page_cache_storing = True  # csrf_token() gives the placeholder
        try:
            html = current_app.jinja_env.get_template(template).render(request=request, **context)
        finally:
            g._page_cache_storing = storing
        if len(_parts) >= 1024:
            _parts.pop(next(iter(_parts)), None)
        _parts[key] = html
    return html.replace(CSRF_PLACEHOLDER, page_token()) if CSRF_PLACEHOLDER in html else html


# Per process: stored pages with the anonymous bar put in, by (prefix, digest, lang); FIFO-bounded. The digest
# names the script root the bar's links are built for.
_with_anonymous_nav: dict[tuple, str] = {}


def _anonymous_body(body: str, lang: str, digest: str) -> str:
    key = (current_app.config["CACHE_KEY_PREFIX"], digest, lang)
    done = _with_anonymous_nav.get(key)
    if done is None:
        done = body.replace(NAV_PLACEHOLDER, current_app.extensions["layout_nav_html"](lang[:2]))
        if len(_with_anonymous_nav) >= _LOCAL_MAX:
            _with_anonymous_nav.pop(next(iter(_with_anonymous_nav)), None)
        _with_anonymous_nav[key] = done
    return done


def _fill_holes(body: str) -> str:
    parts = body.split(HOLE)
    out = [parts[0]]
    for part in parts[1:]:
        spec, _, rest = part.partition("\x00")
        name, _, raw = spec.partition("\x1f")
        out += [str(_holes[name](**json.loads(raw))), rest]
    return "".join(out)


# ---- hits before the request hooks ----

# Per (endpoint, scheme): the headers the request hooks (Talisman's CSP and friends) added to a page this
# process served from the cache, with the CSP nonce as a placeholder. Learned from the first such response.
_header_templates: dict[tuple[str, str], list[tuple[str, str]]] = {}
# Set per response, or this visitor's own: never copied from one response to another.
_OWN_HEADERS = {"content-type", "content-length", "set-cookie", "x-request-id", "etag", "last-modified", "date",
                "vary", "cache-control", "retry-after"}


def learn_headers(response) -> None:
    """After the hooks ran on a page ``public_page`` served: remember its hook-added headers (once)."""
    endpoint = g.get("_page_cache_served")
    if endpoint is None or response.status_code not in (200, 304):
        return
    key = (endpoint, request.scheme)
    if key in _header_templates:
        return
    nonce = getattr(request, "csp_nonce", None)
    _header_templates[key] = [
        (name, value.replace(nonce, NONCE_PLACEHOLDER) if nonce else value)
        for name, value in response.headers.items()
        if name.lower() not in _OWN_HEADERS and not name.lower().startswith(("x-ratelimit", "ratelimit"))]


def _plainly_anonymous() -> bool:
    """Anonymous without loading anyone: no user in the session or remember cookie, no bearer token, no
    flash messages waiting (Flask-Login has no request loader here; the API reads bearer tokens itself)."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return ("_user_id" not in session and "_flashes" not in session and cookie not in request.cookies
            and "Authorization" not in request.headers)


def _snapshot_session_user(spec: _Spec) -> None:
    """Before a member is loaded: read the versions of their snapshot's scopes with the page's (one MGET), and
    let ``load_session_user`` answer from this process's snapshot while they are current."""
    user_id = str(session.get("_user_id", "")).partition(":")[0]
    if user_id.isdigit():
        own = session_user_scopes(int(user_id))
        found = versions([*own, *spec.scopes(**(request.view_args or {}))])
        g.session_user_snapshot = tuple(found[:len(own)])


def _not_served() -> None:
    """The request takes the full path: its user is loaded anew, attached to the request's session."""
    for name in ("session_user_snapshot", "_login_user", "user_facts"):
        g.pop(name, None)


def fast_hit():
    """The response to a GET for a page stored for anonymous visitors (or everyone), built inside the request
    context but before any request hook runs, or None to let the request take the usual path.

    What the hooks would add is added here: the headers learned from this process's own cached responses
    (``learn_headers``; no template yet means None), a fresh CSP nonce, the request id and log line, and the
    session cookie when the page gave a first-time visitor a CSRF token. Views with rate limits opt out
    (``fast=False``). The page itself is the one ``public_page`` serves, same key, same versions."""
    if request.method not in ("GET", "HEAD") or request.routing_exception is not None or not enabled():
        return None
    spec = getattr(current_app.view_functions.get(request.endpoint), "page_cache", None)
    if spec is None or not spec.fast:
        return None
    template = _header_templates.get((request.endpoint, request.scheme))
    if template is None:
        return None
    anonymous = spec.everyone or _plainly_anonymous()
    if not anonymous and not (spec.members is not None and "_user_id" in session):
        return None
    from community.ops import requestlog

    requestlog.start()
    # A member is loaded (one statement: roles, cars, unread count) only once the request is known to be one
    # their page could be served from; a session whose user is gone or logged out takes the full path.
    variant = None
    if not anonymous:
        try:
            _snapshot_session_user(spec)
        except Exception:  # noqa: BLE001
            log.exception("page cache: read failed")
            return None
        variant = spec.members() if _signed_in_and_plain() else None
        if variant is None:
            return _not_served()
    try:
        looked = _lookup(spec, request.view_args or {}, variant)
        hit = _get(looked[4])
    except Exception:  # noqa: BLE001
        log.exception("page cache: read failed")
        return _not_served()
    if hit is None or not (anonymous or NAV_PLACEHOLDER in hit[0]):
        g._page_cache_lookup = looked  # the view's decorator stores the page under the same key
        return _not_served()
    nonce = secrets.token_urlsafe(24)
    response = _serve(hit, spec, *looked[:4], nonce,
                      [(name, value.replace(NONCE_PLACEHOLDER, nonce)) for name, value in template],
                      signed_in=not anonymous)
    if session.modified or not anonymous:  # a member's session is saved as Flask would (it may refresh it)
        app = current_app._get_current_object()
        app.session_interface.save_session(app, session, response)
    return requestlog.finish(response)
