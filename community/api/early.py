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


def _count(anonymous: bool):
    """Count this request in its bucket when that is known before the hooks and the limit is not breached:
    (limit, count, reset time), kept for ``add_headers``; None leaves the request to Flask-Limiter."""
    from community.api.auth import bearer_token
    from community.extensions import limiter

    if not limiter.enabled:
        return None
    storage, item = limiter._storage, _one_limit(current_app.config["API_RATE_LIMIT"])
    if item is None or type(storage) is not OneTripRedisStorage or limiter._storage_dead or \
            not isinstance(limiter.limiter, FixedWindowRateLimiter) or _too_long():
        return None
    try:
        if request.headers.get("Authorization"):
            token = bearer_token()  # read once per request: _api_auth takes it from here
            bucket = f"token:{token.id}" if token is not None else None  # else the limiter: by address
        else:
            bucket = f"ip:{request.remote_addr}" if anonymous and request.remote_addr else None
        if bucket is None:
            return None
        args = [limiter._key_prefix] if limiter._key_prefix else []  # Flask-Limiter's key, exactly
        count, reset = hit_early(storage, item.key_for(*args, bucket, API_SCOPE), item.get_expiry())
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
    amount, count, reset = seen
    names, reset_at = limiter._header_mapping, int(reset + 1)  # Flask-Limiter's RequestLimit.reset_at
    existing = response.headers.get("Retry-After")
    if existing is not None:
        when = parse_date(existing)
        reset_at = max(int(when.timestamp() if when else time.time() + int(existing)), reset_at)
    headers = response.headers
    headers.add(names[HeaderNames.LIMIT], str(amount))
    headers.add(names[HeaderNames.REMAINING], str(max(0, amount - count)))
    headers.add(names[HeaderNames.RESET], str(reset_at))
    headers.set(names[HeaderNames.RETRY_AFTER], http_date(reset_at) if limiter._retry_after == "http-date"
                else str(int(reset_at - time.time())))
    return response
