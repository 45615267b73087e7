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
  ``proposals``      every detail page (a bulk change whose proposal cannot be told)
  ``announcements``  the announcements feed
  ``site``           everything (a display name, which every page may show)

A version is a fresh ``<time_ns hex><random hex>`` token, never a counter, so a version key that Redis
evicts comes back as a value no stored page was built with. Versions are bumped automatically: the
session events below see every ORM write (objects flushed, and bulk ``update(Proposal)...`` statements,
whose ``proposals.id = :id`` condition names the proposal), remember the scopes on the session, and
bump them right after the transaction commits (nothing on rollback). Writes that bypass the ORM call
``changed(...)`` themselves.

Freshness: a page built by a request that read its versions before a writer's bump is stored under the
old versions, which nobody reads afterwards. So a reader sees a change as soon as the writer's commit
has returned (the stale window is the instant between the database commit and the bump, both inside
the writer's request). Were a worker to die in that instant, or Redis to be unreachable for the bump,
pages would be stale until they expire: ``PAGE_CACHE_SECONDS`` (default 300). Redis errors never break
a page: it is rendered uncached.

Personal parts: a whole page is cached only for anonymous visitors without pending flash messages; the
CSRF token in it is a placeholder replaced per response (and a page whose rendering asked for a real
token is not stored). Logged-in visitors get the shared fragments; their vote, cars, follow button and
tools are rendered per request around them.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from functools import wraps

from flask import current_app, g, has_app_context, make_response, request, session
from flask_caching import Cache
from markupsafe import Markup
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, BooleanClauseList

log = logging.getLogger(__name__)
cache = Cache()

LISTS, TIMELINE, PROPOSALS, ANNOUNCEMENTS, SITE = "lists", "timeline", "proposals", "announcements", "site"
CSRF_PLACEHOLDER = "\x00csrf-token\x00"  # no template can produce a NUL, so the replace hits only this
_PENDING = "cache_pending_scopes"
# Columns a vote or a comment changes: the lists and the proposal's page show them, the timeline does not.
_COUNT_COLUMNS = {"vote_count", "comment_count", "updated_at"}
_USER_SHOWN = {"display_name"}
# Rows shown on (or deciding what is on) one proposal's page, each with a ``proposal_id``.
_PER_PROPOSAL = ("comments", "milestones", "campaigns", "roadmap_links")
# An announcement is linked from its milestones on the detail pages and the timeline; rare writes.
_ANNOUNCED = {ANNOUNCEMENTS, TIMELINE, PROPOSALS}


def proposal_scope(proposal_id: int) -> str:
    return f"proposal:{proposal_id}"


def detail_scopes(proposal_id: int) -> list[str]:
    """The scopes a proposal's detail page shows."""
    return [SITE, PROPOSALS, proposal_scope(proposal_id)]


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
    from flask_wtf.csrf import generate_csrf

    def csrf_token() -> str:
        return CSRF_PLACEHOLDER if g.get("_page_cache_storing") else generate_csrf()

    app.jinja_env.globals["csrf_token"] = csrf_token
    app.context_processor(lambda: {"csrf_token": csrf_token})
    _listen()


def enabled() -> bool:
    return has_app_context() and current_app.extensions.get("page_cache_enabled", False)


# ---- versions ----

def _new_version() -> str:
    return f"{time.time_ns():x}{secrets.token_hex(3)}"


def versions(scopes: Iterable[str]) -> list[str]:
    """The current version of each scope; a scope never bumped (or evicted) gets a fresh one."""
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
    if table == "users" and not is_new:
        touched = {a.key for a in inspect(obj).attrs if a.history.has_changes()}
        return {SITE} if touched & _USER_SHOWN else set()
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
    for obj in session.deleted:
        scopes |= _scopes_for_object(obj, True)
    if scopes:
        session.info.setdefault(_PENDING, set()).update(scopes)


def _ids_in(where, column: str) -> set | None:
    """The values of ``<table>.<column> = :value`` in a WHERE of ANDed conditions, or None if absent."""
    if where is None:
        return None
    clauses = where.clauses if isinstance(where, BooleanClauseList) and where.operator.__name__ == "and_" \
        else [where]
    for clause in clauses:
        if not (isinstance(clause, BinaryExpression) and getattr(clause.left, "key", None) == column
                and isinstance(clause.right, BindParameter)):
            continue
        if clause.operator.__name__ == "eq":
            return {clause.right.effective_value}
        if clause.operator.__name__ == "in_op" and clause.right.expanding:
            return set(clause.right.effective_value)
    return None


def _on_execute(state) -> None:
    if not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(getattr(state.statement, "table", None), "name", None)
    scopes: set[str] = set()
    if table == "proposals":
        ids = _ids_in(state.statement.whereclause, "id") if not state.is_insert else None
        values = {getattr(c, "key", str(c)) for c in (getattr(state.statement, "_values", None) or {})}
        scopes.add(LISTS)
        scopes |= {proposal_scope(i) for i in ids} if ids else {PROPOSALS}
        if not ids or state.is_delete or not values or values - _COUNT_COLUMNS:
            scopes.add(TIMELINE)
    elif table in _PER_PROPOSAL:
        ids = _ids_in(state.statement.whereclause, "proposal_id") if not state.is_insert else None
        scopes |= {proposal_scope(i) for i in ids} if ids else {PROPOSALS}
        if table == "milestones":
            scopes |= {TIMELINE, LISTS}
    elif table == "users" and not state.is_insert:
        scopes.add(SITE)
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
    local = current_app.config["CACHE_KEY_PREFIX"] + key  # apps (tests) with their own caches never share
    hit = _local.get(local)
    if hit is None:
        hit = cache.get(key)
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
    raw = "\x1f".join([*version_list, variant, request.full_path])
    return hashlib.sha1(raw.encode()).hexdigest()[:20]


def _lang_tz() -> tuple[str, str]:
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


def _etag(digest: str, personal: bool, lang: str, tz: str) -> str:
    # The language and zone are in the tag: after the visitor switches language, the copy their browser
    # holds in the other language must not be answered with a 304.
    # A stored page carries the visitor's CSRF token: the tag changes with the session's raw token and
    # every half hour, so a browser never revalidates a copy whose token has expired (1 hour).
    extra = f"{session.get('csrf_token', '')}:{int(time.time() // 1800)}" if personal else ""
    return hashlib.sha1(f"{digest}:{lang}:{tz}:{extra}".encode()).hexdigest()[:24]


def _csrf() -> str:
    from flask_wtf.csrf import generate_csrf

    return generate_csrf()


def _with_real_token(response):
    """A response rendered for storing but not stored: its placeholders become this visitor's token."""
    if response.direct_passthrough or not response.mimetype.startswith("text/"):
        return response
    body = response.get_data(as_text=True)
    if CSRF_PLACEHOLDER in body:
        response.set_data(body.replace(CSRF_PLACEHOLDER, _csrf()))
    return response


def public_page(scopes: Callable[..., list[str]], everyone: bool = False):
    """View decorator: store the whole response for anonymous visitors (or ``everyone``, for feeds that
    show nothing personal), answer conditional requests with 304. ``scopes(**view_args)`` lists the
    scopes the page shows. Only 200 responses are stored; anything else passes through."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not enabled() or not (everyone or _anonymous_and_plain()):
                return view(*args, **kwargs)
            try:
                lang, tz = _lang_tz()
                vs = versions(scopes(**kwargs))
                digest = _digest(vs, "all" if everyone else "anon")
                key = f"page:{request.endpoint}:{lang}:{tz}:{digest}"
                hit = _get(key)
            except Exception:  # noqa: BLE001
                log.exception("page cache: read failed")
                return view(*args, **kwargs)
            if hit is None:
                had_token = "csrf_token" in g
                g._page_cache_storing = not everyone
                try:
                    response = make_response(view(*args, **kwargs))
                finally:
                    g._page_cache_storing = False
                if response.status_code != 200 or response.direct_passthrough or (not had_token and "csrf_token" in g):
                    return _with_real_token(response)  # not a plain page, or it holds this visitor's token
                hit = (response.get_data(as_text=True), response.mimetype)
                try:
                    _set(key, hit)
                except Exception:  # noqa: BLE001
                    log.exception("page cache: write failed")
            body, mimetype = hit
            if not everyone and CSRF_PLACEHOLDER in body:
                body = body.replace(CSRF_PLACEHOLDER, _csrf())
            response = current_app.response_class(body, mimetype=mimetype)
            response.set_etag(_etag(digest, not everyone, lang, tz))
            response.vary.update(("Cookie", "Accept-Language"))
            response.last_modified = last_modified(vs)
            response.cache_control.no_cache = True  # a browser may keep it but asks us (cheaply) first
            if not everyone:
                response.cache_control.private = True
            return response.make_conditional(request)

        return wrapped

    return decorator

