"""The API's rate limit counted before the request hooks, and a stored API read answered there (``hit``).

Every API request counts toward its caller's one shared limit (``API_RATE_LIMIT``, bucket ``rate_key``).
Flask-Limiter's hook resolves the limits, counts and builds the headers for each request: a good part of a
cached read's cost and a tenth of a vote's. When the bucket is known before the hooks -- a valid bearer
token (``token:<id>``, the token read once per request as before) or a plainly anonymous caller (no
Authorization header, no user or flash in the session, no remember cookie: ``ip:<address>``) -- the
request is counted here instead, in the same Redis counter by the same script (``ratelimits.hit_early``),
Flask-Limiter skips it (a request filter) and ``add_headers`` adds X-RateLimit-Limit, -Remaining, -Reset
and Retry-After as Flask-Limiter builds them. A breach goes on to Flask-Limiter, which answers its 429 with
its headers and counts nothing more; so does anything else (a session caller, a bad token, a Redis error,
a config this does not know: several limits, another strategy or storage).

Then, for an anonymous GET of a page ``cache.public_page`` stored (the list, a detail: ``fast=False`` keeps
``cache.fast_hit`` off them), the stored body is served here with the headers the hooks add, learned from
this process's own normal responses (``cache.learn_headers``): same key, same versions as the view's
decorator uses. A token's or a session's caller always gets the view (their ``voted``).
"""
from __future__ import annotations

import secrets
import time
from functools import lru_cache

from flask import current_app, g, request
from flask_limiter import HeaderNames
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter
from werkzeug.http import http_date, parse_date

from community import cache
from community.ops import requestlog
from community.ratelimits import OneTripRedisStorage, hit_early

API_SCOPE = "api"  # the shared limit's scope (community.api.init_api)
LIMITED: set[str] = set()  # the blueprints carrying it, filled by init_api


@lru_cache(maxsize=8)
def _one_limit(text: str):
    items = parse_many(text)
    return items[0] if len(items) == 1 else None


def hit():
    """Before the hooks of a request to a limited API blueprint: count it (``_count``); the response for an
    anonymous GET of a stored page, or None for the usual path."""
    if request.routing_exception is not None or request.blueprint not in LIMITED:
        return None
    anonymous = cache._plainly_anonymous()
    if _count(anonymous) is None or not anonymous or request.method not in ("GET", "HEAD") or \
            not cache.enabled():
        return None
    spec = getattr(current_app.view_functions.get(request.endpoint), "page_cache", None)
    template = cache._header_templates.get((request.endpoint, request.scheme))
    if spec is None or spec.fast or template is None:
        return None
    requestlog.start()
    try:
        looked = cache._lookup(spec, request.view_args or {})
        stored = cache._get(looked[4])
    except Exception:  # noqa: BLE001  (the view reads again, or renders uncached)
        cache.log.exception("page cache: read failed")
        return None
    if stored is None:
        g._page_cache_lookup = looked  # the view's decorator stores the body under the same key
        return None
    nonce = secrets.token_urlsafe(24) if any(cache.NONCE_PLACEHOLDER in v for _, v in template) else ""
    extra = [(name, value.replace(cache.NONCE_PLACEHOLDER, nonce)) for name, value in template]
    return requestlog.finish(add_headers(cache._serve(stored, spec, *looked[:4], nonce, extra)))


def shared_limit(app) -> tuple[OneTripRedisStorage, object] | None:
    """(storage, limit) of the API's one shared limit when it can be counted outside Flask-Limiter (enabled, one
    fixed-window limit, the one-trip Redis storage answering), else None. No request context needed."""
    from community.extensions import limiter

    if not limiter.enabled:
        return None
    storage, item = limiter._storage, _one_limit(app.config["API_RATE_LIMIT"])
    if item is None or type(storage) is not OneTripRedisStorage or limiter._storage_dead or \
            not isinstance(limiter.limiter, FixedWindowRateLimiter):
        return None
    return storage, item


def bucket_key(item, bucket: str) -> str:
    """Flask-Limiter's key for ``bucket`` (``ip:<address>``, ``token:<id>``) under the shared limit, exactly."""
    from community.extensions import limiter

    args = [limiter._key_prefix] if limiter._key_prefix else []
    return item.key_for(*args, bucket, API_SCOPE)


COUNTED = "cocreate.api_counted"  # environ: (key, count, reset) of a request counted in front of Flask


def _count(anonymous: bool):
    """Count this request in its bucket when that is known before the hooks and the limit is not breached:
    (limit, count, reset time), kept for ``add_headers``; None leaves the request to Flask-Limiter."""
    from community.api.auth import bearer_token

    limit = shared_limit(current_app)
    if limit is None or _too_long():
        return None
    storage, item = limit
    try:
        if request.headers.get("Authorization"):
            token = bearer_token()  # read once per request: _api_auth takes it from here
            bucket = f"token:{token.id}" if token is not None else None  # else the limiter: by address
        else:
            bucket = f"ip:{request.remote_addr}" if anonymous and request.remote_addr else None
        if bucket is None:
            return None
        key = bucket_key(item, bucket)
        front = request.environ.get(COUNTED)  # counted in front of Flask already (community.front)
        count, reset = hit_early(storage, key, item.get_expiry(), front[1:] if front and front[0] == key else None)
    except Exception:  # noqa: BLE001  (the usual path reads the token again, the limiter falls back)
        cache.log.exception("API rate limit: counting before the hooks failed")
        g.pop("_rate_counted_early", None)
        _clean_session()  # a failed token read leaves the transaction to the usual path as it found it
        return None
    if count > item.amount:
        return None  # Flask-Limiter answers the 429 (the request is counted once: hit_early)
    g._api_counted = (item.amount, count, reset)
    return g._api_counted


def _clean_session() -> None:
    from community.extensions import db

    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001  (the database is down: the usual path answers that)
        pass


def _too_long() -> bool:
    """``refuse_long_urls`` answers 414 before any count, as before."""
    from community.errors import refuse_long_urls

    try:
        refuse_long_urls()
    except Exception:  # noqa: BLE001
        return True
    return False


def counted() -> bool:
    """Flask-Limiter's request filter: this request was counted here."""
    return "_api_counted" in g


def add_headers(response):
    """X-RateLimit-Limit, -Remaining, -Reset and Retry-After for a request counted here (after_request), as
    Flask-Limiter writes them (a Retry-After already set, e.g. a 503's, moves the reset later)."""
    from community.extensions import limiter

    seen = g.get("_api_counted")
    if seen is None or not limiter._headers_enabled:
        return response
    headers = response.headers
    *counts, retry = rate_headers(*seen, headers.get("Retry-After"))
    for name, value in counts:
        headers.add(name, value)
    headers.set(*retry)  # in place of the response's own
    return response


def rate_headers(amount: int, count: int, reset: float, retry_after: str | None = None) -> list[tuple[str, str]]:
    """X-RateLimit-Limit, -Remaining, -Reset and Retry-After as Flask-Limiter writes them, for a request that
    left ``count`` of ``amount`` used, the window ending at ``reset`` (epoch seconds); a ``retry_after`` the
    response has already (e.g. a 503's) moves the reset later; Retry-After comes last. [] when the limiter
    sends no headers."""
    from community.extensions import limiter

    if not limiter._headers_enabled:
        return []
    names, reset_at = limiter._header_mapping, int(reset + 1)  # Flask-Limiter's RequestLimit.reset_at
    if retry_after is not None:
        when = parse_date(retry_after)
        reset_at = max(int(when.timestamp() if when else time.time() + int(retry_after)), reset_at)
    return [(names[HeaderNames.LIMIT], str(amount)), (names[HeaderNames.REMAINING], str(max(0, amount - count))),
            (names[HeaderNames.RESET], str(reset_at)),
            (names[HeaderNames.RETRY_AFTER], http_date(reset_at) if limiter._retry_after == "http-date"
             else str(int(reset_at - time.time())))]
