"""Stored pages answered in front of Flask: the WSGI layer that serves an anonymous visitor's cache hit.

``cache.fast_hit`` answers a stored page before Flask's request hooks, but by then Flask has built the request
and app contexts, opened the session and matched the URL: most of what a hit still costs. For the commonest
request -- an anonymous GET (no Authorization header, no remember cookie, no user or flash message in the
session) of a page ``cache.public_page`` stores with ``fast`` -- ``StoredPages`` answers from the raw WSGI
environ instead, with the key, versions, body and headers ``fast_hit`` would use:

- the route from ``app.url_map`` (remembered per path), the language from ``?lang=`` or the session's ``lang``
  (the cookie checked by Flask's own session serializer, remembered per cookie for up to a minute and never
  past its own expiry), the app's
  default zone (an anonymous visitor has no other);
- the scopes' versions and the page from the cache backend; the anonymous bar and the headers the hooks add
  as this process learned them from its own full responses (``cache._anonymous_body``,
  ``cache.learn_headers``); a fresh CSP nonce; ETag and Last-Modified, a conditional request answered by
  Werkzeug (304);
- the request id, the metrics and the JSON log line (``requestlog.record``).

Anything else goes on to Flask unchanged: a member, a POST, a page this process has not yet served in full
(its headers and bar are not learned), a page not stored under the current versions, a page that would need
a CSRF token, any error (Flask renders it as usual; after a failed read, Redis down, the layer stands aside
for ``_RESTING_SECONDS`` so that no visitor waits for a dead Redis twice). Freshness is ``cache``'s: a vote, a
hide or a status change bumps a version, and the next request here misses as it would in ``fast_hit``.
"""
from __future__ import annotations

import logging
import secrets
import time
from urllib.parse import parse_qsl

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.datastructures import LanguageAccept
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header, parse_cookie
from werkzeug.routing import RequestRedirect
from werkzeug.utils import get_content_type

from community import cache
from community.api import early
from community.ops import requestlog

log = logging.getLogger(__name__)
_MAX = 4096  # entries per small memo below (FIFO); whole pages are kept as many as ``cache._LOCAL_MAX``
_SESSION_SECONDS = 60  # a session cookie verified once is trusted this long by this process
_RESTING_SECONDS = 5  # after a failure (Redis down): Flask alone answers, rather than each request waiting twice


def _remember(memo: dict, key, value, most: int = _MAX) -> None:
    if len(memo) >= most:
        memo.pop(next(iter(memo)), None)
    memo[key] = value


class StoredPages:
    """WSGI middleware around ``app.wsgi_app``: an anonymous visitor's stored page, or the app's answer.
    Installed by the app factory inside the proxy fix (``REMOTE_ADDR`` and the scheme are the client's)."""

    def __init__(self, app: Flask, wsgi_app):
        self.app, self.wsgi_app = app, wsgi_app
        cfg = app.config
        self._prefix = cfg["CACHE_KEY_PREFIX"]
        self._session_cookie = cfg["SESSION_COOKIE_NAME"]
        self._remember_cookie = cfg.get("REMEMBER_COOKIE_NAME", "remember_token")
        self._default_lang, self._tz = cfg["BABEL_DEFAULT_LOCALE"], cfg["DEFAULT_TIMEZONE"]
        # A TRUSTED_HOSTS check, host matching or server-side sessions are Flask's to apply: not handled here.
        self._on = not cfg.get("TRUSTED_HOSTS") and not app.url_map.host_matching and \
            type(app.session_interface) is SecureCookieSessionInterface
        self._routes: dict[str, tuple | None] = {}  # PATH_INFO -> (endpoint, view args, spec) or None
        self._sessions: dict[str, tuple[dict | None, float]] = {}  # cookie -> (session, trusted until)
        self._bodies: dict[tuple, bytes] = {}  # (prefix, digest, lang) -> encoded page, bar in
        self._content_types: dict[str, str] = {}
        self._accept: dict[str, str] = {}  # Accept-Language -> the API's language
        self._max_url = cfg["MAX_URL_BYTES"]
        self._resting_until = 0.0

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") in ("GET", "HEAD") and "HTTP_AUTHORIZATION" not in environ and \
                self._on and self.app.extensions.get("page_cache_enabled") and time.monotonic() >= self._resting_until:
            started = time.perf_counter()
            try:
                answer = self._answer(environ, started)
            except Exception:  # noqa: BLE001  (Flask answers: it reads again, or renders uncached)
                log.exception("page cache: answering in front of Flask failed; Flask alone answers for %s s",
                              _RESTING_SECONDS)
                self._resting_until = time.monotonic() + _RESTING_SECONDS
                answer = None
            if answer is not None:
                return answer(environ, start_response)
        return self.wsgi_app(environ, start_response)

    # ---- what the request is ----

    def _route(self, environ) -> tuple | None:
        key = environ.get("PATH_INFO", "")
        if key in self._routes:
            return self._routes[key]
        route = None
        try:  # as Flask's create_url_adapter binds (3.1: the host does not restrict the match)
            adapter = self.app.url_map.bind_to_environ(environ, server_name=self.app.config["SERVER_NAME"],
                                                       subdomain=self.app.url_map.default_subdomain or "")
            endpoint, args = adapter.match(method="GET")
        except (HTTPException, RequestRedirect):
            endpoint, args = None, None
        spec = getattr(self.app.view_functions.get(endpoint), "page_cache", None) if endpoint else None
        # Pages stored with ``fast``; the API's stored reads (``fast=False``: they count toward its rate limit).
        if spec is not None and spec.fast != (endpoint.rpartition(".")[0] in early.LIMITED):
            route = (endpoint, args, spec)
        _remember(self._routes, key, route)
        return route

    def _session(self, environ) -> dict | None:
        """The anonymous visitor's session ({} without a cookie), or None: a member, a flash message waiting, a
        remember cookie, a cookie Flask would not accept."""
        header = environ.get("HTTP_COOKIE")
        if not header or (self._session_cookie not in header and self._remember_cookie not in header):
            return {}
        cookies = parse_cookie(header)
        if self._remember_cookie in cookies:
            return None
        raw = cookies.get(self._session_cookie)
        if not raw:
            return {}
        now = time.monotonic()
        known = self._sessions.get(raw)
        if known is None or known[1] < now:
            data, lifetime = self._load_session(raw)
            known = (data, now + min(_SESSION_SECONDS, lifetime))
            _remember(self._sessions, raw, known)
        data = known[0]
        if data is None or "_user_id" in data or "_flashes" in data:
            return None
        return data

    def _load_session(self, raw: str) -> tuple[dict | None, float]:
        """(the cookie's session as Flask's serializer reads it, or None; seconds until Flask would refuse it)."""
        serializer = self.app.session_interface.get_signing_serializer(self.app)
        if serializer is None:
            return None, 0.0
        max_age = int(self.app.permanent_session_lifetime.total_seconds())
        try:
            data, signed = serializer.loads(raw, max_age=max_age, return_timestamp=True)
        except Exception:  # noqa: BLE001  (a bad or expired cookie: Flask starts an empty session, and says so)
            return None, 0.0
        return (data if isinstance(data, dict) else None), signed.timestamp() + max_age - time.time()

    def _lang(self, environ, session: dict, api: bool) -> str:
        """``community.visitor_locale`` for an anonymous visitor."""
        query = environ.get("QUERY_STRING", "")
        if "lang=" in query:
            for name, value in parse_qsl(query, keep_blank_values=True):
                if name == "lang":
                    if value in ("zh", "en"):
                        return value
                    break
        if session.get("lang"):
            return session["lang"]
        if not api:
            return self._default_lang
        header = environ.get("HTTP_ACCEPT_LANGUAGE", "")
        lang = self._accept.get(header)
        if lang is None:
            lang = parse_accept_header(header, LanguageAccept).best_match(["zh", "en"]) or self._default_lang
            _remember(self._accept, header, lang)
        return lang

    def _count(self, environ) -> tuple[int, int, float] | None:
        """Count an anonymous API read toward its address's share of the API limit (as ``early.hit`` does):
        (limit, count, reset time); None when Flask must (the limiter cannot be counted here, or the limit is
        breached: Flask-Limiter answers the 429). The count travels in the environ, so Flask never adds a second."""
        limit, remote = early.shared_limit(self.app), environ.get("REMOTE_ADDR")
        if limit is None or not remote:
            return None
        storage, item = limit
        key = early.bucket_key(item, f"ip:{remote}")
        count, reset = storage.count(key, item.get_expiry())
        environ[early.COUNTED] = (key, count, reset)
        return (item.amount, count, reset) if count <= item.amount else None

    # ---- the answer ----

    def _answer(self, environ, started: float):
        target = environ.get("RAW_URI") or environ.get("REQUEST_URI") or \
            f"{environ.get('PATH_INFO', '')}?{environ.get('QUERY_STRING', '')}"
        route = self._route(environ) if len(target) <= self._max_url else None  # too long: Flask's 414
        if route is None:
            return None
        endpoint, args, spec = route
        api = not spec.fast
        template = cache._header_templates.get((endpoint, environ.get("wsgi.url_scheme", "http")))
        if template is None:
            return None
        session = self._session(environ)
        if session is None:
            return None
        lang, tz = self._lang(environ, session, api), self._tz
        backend = self.app.extensions["cache"][cache.cache]
        scopes = spec.scopes(**args)
        vs = backend.get_many(*[f"v:{s}" for s in scopes])
        if None in vs:
            return None  # a version to create: Flask's path does that
        digest = cache.digest_of(environ, vs, "all" if spec.everyone else cache.ANONYMOUS)
        body = self._body(backend, f"page:{endpoint}:{lang}:{tz}:{digest}", (self._prefix, digest, lang), spec)
        if body is None:
            return None
        counted = self._count(environ) if api else ()
        if counted is None:
            return None
        stored_body, mimetype = body
        # A fresh nonce whenever the page or the CSP header has its placeholder (the API's JSON: the header only).
        nonce = secrets.token_urlsafe(24) if not api or b"\x00" in stored_body or \
            any(cache.NONCE_PLACEHOLDER in value for _, value in template) else ""
        if b"\x00" in stored_body:
            stored_body = stored_body.replace(cache.NONCE_PLACEHOLDER.encode(), nonce.encode())
        content_type = self._content_types.get(mimetype)
        if content_type is None:
            content_type = self._content_types[mimetype] = get_content_type(mimetype, "utf-8")
        rid = requestlog.incoming_id(environ.get("HTTP_X_REQUEST_ID"))
        headers = [*cache.anonymous_headers(spec, lang, tz, vs, digest, session.get("csrf_token", "")),
                   *[(name, value.replace(cache.NONCE_PLACEHOLDER, nonce)) for name, value in template],
                   ("Content-Type", content_type), ("Content-Length", str(len(stored_body))), ("X-Request-ID", rid),
                   *(early.rate_headers(*counted) if api else ())]
        if "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ:
            response = self.app.response_class(stored_body, headers=cache._trusted(headers))
            response.make_conditional(environ)
            status, answer = response.status_code, response
        else:
            status = 200

            def answer(environ, start_response):
                start_response("200 OK", headers)
                return [] if environ["REQUEST_METHOD"] == "HEAD" else [stored_body]
        path = environ.get("PATH_INFO", "").encode("latin-1").decode("utf-8", "replace")
        requestlog.record(self.app, rid, environ["REQUEST_METHOD"], path, endpoint, status,
                          time.perf_counter() - started, None, environ.get("REMOTE_ADDR"))
        return answer

    def _body(self, backend, key: str, local: tuple, spec) -> tuple[bytes, str] | None:
        """The stored page with the anonymous bar in it, encoded; None when this process cannot answer it here."""
        stored = cache.stored(backend, self._prefix, key)
        if stored is None:
            return None
        text, mimetype = stored
        if not spec.everyone and cache.CSRF_PLACEHOLDER in text:
            return None  # a token to sign into the session: Flask's path
        encoded = self._bodies.get(local)
        if encoded is None:
            if cache.NAV_PLACEHOLDER in text:
                text = cache._with_anonymous_nav.get(local)  # drawn by a full answer of this process
                if text is None:
                    return None
            encoded = text.encode()
            _remember(self._bodies, local, encoded, cache._LOCAL_MAX)
        return encoded, mimetype
