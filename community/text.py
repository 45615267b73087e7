"""User text: Markdown rendered by markdown-it-py, then sanitised by nh3 (the only HTML we ever mark safe)."""
from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").enable("strikethrough")

_TAGS = {"p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "a",
         "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table", "thead", "tbody", "tr", "th", "td"}


def render_markdown(source: str) -> str:
    """Markdown -> safe HTML string. Only http, https and mailto links survive; no scripts, no handlers.

    Raw HTML in the source is shown as text (markdown-it ``html=False``) and the result is cleaned
    again by nh3, so a bug in either layer alone cannot let script through.
    """
    html = _md.render(source or "")
    return nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}, "th": {"align"}, "td": {"align"}},
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer")
