"""The rate limiter's Redis storage, one round trip per limited request instead of three.

Flask-Limiter counts a hit (``incr``), then, for the ``X-RateLimit-*`` headers, reads the same counter
again (``get``) and its time to live (``get_expiry``): three Redis round trips on every API request. Here
the hit's script answers the count and the TTL together, and both are kept for the rest of the request
(``flask.g``), so the headers are built from what the hit saw. Outside a request, and for keys the request
did not hit, the reads go to Redis as before. Installed by ``install`` over the Redis storage
Flask-Limiter made from ``RATELIMIT_STORAGE_URI`` (other storages are left alone).

``hit_early``: the API's cached reads are counted before Flask-Limiter runs (``community.api.early``); when
such a request goes on to the limiter after all (a breach, whose 429 the limiter answers), the limiter's own
hit of the same key adds nothing: every request is counted once.
"""
from __future__ import annotations

import time

from flask import g, has_request_context
from limits.storage import RedisStorage

# limits' incr_expire.lua, returning the TTL as well.
_INCR_TTL = """
local amount = tonumber(ARGV[2])
local current = redis.call("incrby", KEYS[1], amount)
if tonumber(current) == amount then
    redis.call("expire", KEYS[1], ARGV[1])
end
return {current, redis.call("ttl", KEYS[1])}
"""


def _seen() -> dict | None:
    if not has_request_context():
        return None
    seen = g.get("_rate_counts")
    if seen is None:
        seen = g._rate_counts = {}
    return seen


class OneTripRedisStorage(RedisStorage):
    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        seen = _seen()
        early = g.get("_rate_counted_early") if seen is not None else None
        if early and key in early:  # hit_early counted this request already
            early.discard(key)
            return seen[key][0]
        counted = self.count(key, expiry, amount)
        if seen is not None:
            seen[key] = counted
        return counted[0]

    def count(self, key: str, expiry: int, amount: int = 1) -> tuple[int, float]:
        """Add ``amount`` to ``key`` (a window of ``expiry`` seconds from its first hit): (count, reset time in
        epoch seconds), one round trip. No request context needed."""
        script = self.__dict__.get("_lua_incr_ttl")
        if script is None:
            script = self._lua_incr_ttl = self.get_connection().register_script(_INCR_TTL)
        count, ttl = script([self.prefixed_key(key)], [expiry, amount])
        return int(count), max(int(ttl), 0) + time.time()

    def get(self, key: str) -> int:
        seen = _seen()
        if seen and key in seen:
            return seen[key][0]
        return super().get(key)

    def get_expiry(self, key: str) -> float:
        seen = _seen()
        if seen and key in seen:
            return seen[key][1]
        return super().get_expiry(key)

    def clear(self, key: str) -> None:
        seen = _seen()
        if seen:
            seen.pop(key, None)
        super().clear(key)

    def reset(self) -> int | None:
        seen = _seen()
        if seen:
            seen.clear()
        return super().reset()


def hit_early(storage: OneTripRedisStorage, key: str, expiry: int,
              counted: tuple[int, float] | None = None) -> tuple[int, float]:
    """Count the current request in ``key`` now, before the hooks: (count, reset time in epoch seconds), or
    take ``counted`` when it was counted already (in front of Flask: ``community.front``). Flask-Limiter's own
    hit of ``key`` later in this request, if it comes to that, returns this count."""
    if counted is None:
        storage.incr(key, expiry)
    else:
        _seen()[key] = counted
    g.setdefault("_rate_counted_early", set()).add(key)
    return g._rate_counts[key]


def install(limiter) -> None:
    """After ``limiter.init_app``: make its Redis storage answer the headers from the hit."""
    storage = getattr(limiter, "_storage", None)
    if type(storage) is RedisStorage:
        storage.__class__ = OneTripRedisStorage
