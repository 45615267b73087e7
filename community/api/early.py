"""A stored API read answered before the request hooks, with the rate limit counted here (``hit``).

The API's list and detail are stored by ``cache.public_page`` as the web's pages are, but every API request
counts toward its caller's rate limit, so ``cache.fast_hit`` leaves them alone (``fast=False``) and a stored
body used to wait for every request hook (login, Babel, Talisman, the limiter's own bookkeeping: most of its
cost). For a plainly anonymous caller (no Authorization header, no user or flash in the session, no remember
cookie: the bucket ``rate_key`` gives them is their address) this answers it like that path would:

- the request is counted in the same Redis counter, by the same script, as Flask-Limiter counts it (the API's
  one shared limit, ``API_RATE_LIMIT``); a breach goes on to the usual path, whose limiter answers the 429 and
  its headers without counting the request twice (``ratelimits.hit_early``);
- the body is the one ``public_page`` would serve (same key, same versions), with the headers the hooks add:
  those learned from this process's own normal responses (``cache.learn_headers``), and X-RateLimit-Limit,
  -Remaining, -Reset and Retry-After built from this hit as Flask-Limiter builds them.

Everything else takes the usual path: a token or a session (their own bucket, their own ``voted``), a miss (the
view stores the body; the request stays counted once), a config this does not know (several limits, another
strategy or storage), any Redis error.
"""
from __future__ import annotations

import secrets
import time
from functools import lru_cache

from flask import current_app, g, request
from flask_limiter import HeaderNames
from limits import parse_many
from limits.strategies import FixedWindowRateLimiter
from werkzeug.http import http_date

from community import cache
from community.ops import requestlog
from community.ratelimits import OneTripRedisStorage, hit_early

API_SCOPE = "api"  # the shared limit's scope (community.api.init_api)


@lru_cache(maxsize=8)
def _one_limit(text: str):
    items = parse_many(text)
    return items[0] if len(items) == 1 else None


def hit():
    """The response to an anonymous GET of a stored API page, or None for the usual path."""
    from community.extensions import limiter

    if request.method not in ("GET", "HEAD") or request.routing_exception is not None or not cache.enabled():
        return None
    spec = getattr(current_app.view_functions.get(request.endpoint), "page_cache", None)
    template = cache._header_templates.get((request.endpoint, request.scheme))
    if spec is None or spec.fast or template is None or not cache._plainly_anonymous():
        return None
    counting = limiter.enabled
    if counting:
        storage, item = limiter._storage, _one_limit(current_app.config["API_RATE_LIMIT"])
        if item is None or type(storage) is not OneTripRedisStorage or limiter._storage_dead or \
                not isinstance(limiter.limiter, FixedWindowRateLimiter) or not request.remote_addr:
            return None
    requestlog.start()
    try:
        looked = cache._lookup(spec, request.view_args or {})
        stored = cache._get(looked[4])
        if counting:
            # Flask-Limiter's key: its prefix, rate_key's bucket for an anonymous caller, the shared scope.
            args = [limiter._key_prefix] if limiter._key_prefix else []
            count, reset = hit_early(storage, item.key_for(*args, f"ip:{request.remote_addr}", API_SCOPE),
                                     item.get_expiry())
    except Exception:  # noqa: BLE001  (the usual path reads and counts again, or falls back as it does)
        cache.log.exception("API early answer: Redis failed")
        g.pop("_rate_counted_early", None)
        return None
    if stored is None:
        g._page_cache_lookup = looked  # the view's decorator stores the body under the same key
        return None
    if counting and count > item.amount:
        return None  # the limiter answers the 429 (this request counted once)
    nonce = secrets.token_urlsafe(24) if any(cache.NONCE_PLACEHOLDER in v for _, v in template) else ""
    extra = [(name, value.replace(cache.NONCE_PLACEHOLDER, nonce)) for name, value in template]
    if counting and limiter._headers_enabled:
        names, reset_at = limiter._header_mapping, int(reset + 1)  # Flask-Limiter's RequestLimit.reset_at
        extra += [(names[HeaderNames.LIMIT], str(item.amount)),
                  (names[HeaderNames.REMAINING], str(max(0, item.amount - count))),
                  (names[HeaderNames.RESET], str(reset_at)),
                  (names[HeaderNames.RETRY_AFTER], http_date(reset_at) if limiter._retry_after == "http-date"
                   else str(int(reset_at - time.time())))]
    return requestlog.finish(cache._serve(stored, spec, *looked[:4], nonce, extra))
