"""Absolute links people follow from outside the site: Atom feeds, e-mails, headers.

Behind a proxy the request's own host is whatever nginx passed on (or an internal address), and a job
or the CLI has no request at all, so every absolute link is built on ``PUBLIC_BASE_URL`` when it is set.
Without it (development, tests) the current request's address is used, then SERVER_NAME, then
``http://localhost``.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, has_request_context, request


def base_url() -> str:
    """The site's address without a trailing slash, e.g. ``https://cocreate.example.com/community``."""
    configured = current_app.config.get("PUBLIC_BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.host_url.rstrip("/") + (request.script_root or "")
    server = current_app.config.get("SERVER_NAME") or "localhost"
    return f"{current_app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}"


def public_url(endpoint: str, _anchor: str | None = None, **values) -> str:
    """The absolute URL of ``endpoint`` with ``values`` (query arguments for unknown keys), on base_url().

    Raises werkzeug.routing.BuildError for an unknown endpoint or missing arguments, as url_for does.
    """
    parts = urlsplit(base_url())
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme)
    url = adapter.build(endpoint, {k: v for k, v in values.items() if v is not None}, force_external=True)
    return f"{url}#{_anchor}" if _anchor else url


def absolute(path: str) -> str:
    """``path`` (``/proposals/3``, as stored on a notification) made absolute on base_url()."""
    if path.startswith(("http://", "https://")):
        return path
    return base_url() + "/" + path.lstrip("/")
