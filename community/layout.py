"""The page layout's shared part: the navigation bar, rendered once per process for each language, set of
roles and script root, with the personal bits filled in per request.

On a logged-in page the bar (menus by role, ~40 translated strings, ~25 ``url_for``) cost about half of the
page's rendering. What it shows of the visitor -- the name, the unread badge, the CSRF token of the language
switch and log-out forms, the page to come back to -- goes in as NUL-marked placeholders (no template can
produce a NUL) and is substituted, escaped, per response. Nothing stored names a user: the key is the
language, whether someone is logged in, and which staff roles they hold.
"""
from __future__ import annotations

from flask import current_app, g, render_template, request
from flask_login import current_user
from jinja2 import pass_context
from markupsafe import Markup, escape

from community.cache import NAV_PLACEHOLDER, page_token

# Every role a menu of templates/_nav.html asks about (``has(...)``); a new menu's role goes here.
NAV_ROLES = ("council_member", "moderator", "team_agent", "mystery_shopper", "admin")
_PLACEHOLDERS = {name: f"\x00nav-{name}\x00" for name in ("csrf", "next", "badge", "name")}
_MAX = 256  # per app: languages x role sets x script roots, a handful in practice


@pass_context
def layout_nav(context) -> Markup:
    """The navigation bar for this request (a template global, called by base.html); a placeholder in a
    page being stored for everyone (the cache puts each visitor's bar in when it serves the page)."""
    if g.get("_page_cache_storing"):
        return Markup(NAV_PLACEHOLDER)
    return nav_html(context.get("current_locale") or "zh")


def nav_html(lang: str) -> Markup:
    """The current visitor's navigation bar in ``lang`` ("zh"/"en"): the stored bar for their language and
    role set, with their name, unread badge, CSRF token and return path put in."""
    user = current_user._get_current_object()  # once: each use of the proxy asks Flask-Login again
    authenticated = bool(user is not None and user.is_authenticated)
    held = user.held_roles(NAV_ROLES) if authenticated else frozenset()
    key = (lang, authenticated, held, request.script_root)
    rendered = current_app.extensions.setdefault("layout_nav", {})
    html = rendered.get(key)
    if html is None:
        html = render_template("_nav.html", ph={k: Markup(v) for k, v in _PLACEHOLDERS.items()},
                               has=lambda *roles: any(r in held for r in roles), authenticated=authenticated,
                               current_locale=lang)
        if len(rendered) < _MAX:
            rendered[key] = html
    # HEAD as GET: an anonymous bar is kept per stored page, and a HEAD may be the request that fills it
    nxt = request.full_path.rstrip("?") if request.method in ("GET", "HEAD") else request.path
    # Anonymous: no token (its forms, the language switch, are checked by origin), so reading a page never
    # starts a session: a cached page is answered without a cookie or a token to sign.
    values = {"csrf": page_token() if authenticated else "", "next": str(escape(nxt)), "badge": "", "name": ""}
    if authenticated:
        from community.notifications import unread_notifications

        unread = unread_notifications()
        if unread:
            values["badge"] = f' <span class="badge rounded-pill text-bg-danger">{int(unread)}</span>'
        values["name"] = str(escape(user.display_name))
    for name, placeholder in _PLACEHOLDERS.items():
        html = html.replace(placeholder, values[name])
    return Markup(html)
