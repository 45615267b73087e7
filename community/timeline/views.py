from datetime import datetime

from feedgen.feed import FeedGenerator
from flask import Response, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from community import cache as page_cache
from community.timeline import bp
from community.timeline.models import KINDS
from community.timeline.service import feed, feed_page
from community.urls import public_url

PAGE = 30


_SCOPES = [page_cache.SITE, page_cache.TIMELINE]


@bp.route("/timeline")
@page_cache.public_page(lambda: _SCOPES, members=page_cache.the_anonymous_page)
def index():
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None

    def render_feed():
        items, cursor = feed_page(kind, request.args.get("before"), PAGE)
        next_url = url_for("timeline.index", kind=kind, before=cursor) if cursor else None
        return render_template("timeline/_feed.html", items=items, kind=kind, kinds=KINDS, next_url=next_url)

    return render_template("timeline/index.html", content=page_cache.fragment("timeline.index", _SCOPES, render_feed))


@bp.route("/timeline.atom")
@page_cache.public_page(lambda: _SCOPES, everyone=True)
def atom():
    """Atom 1.0 feed of the newest 50 public milestones (optionally ?kind=)."""
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    fg = FeedGenerator()
    fg.id(public_url("timeline.index"))
    fg.title(_("Cocreate public timeline"))
    fg.link(href=public_url("timeline.index"), rel="alternate")
    fg.link(href=public_url("timeline.atom", **request.args.to_dict()), rel="self")
    fg.language("en" if str(get_locale()) == "en" else "zh-CN")  # the language the titles are in
    items = feed(kind, None, 50)
    fg.updated(items[0].recorded_at if items else datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    for m in reversed(items):  # feedgen prepends; reversed keeps newest first in the output
        entry = fg.add_entry()
        link = public_url("proposals.detail", proposal_id=m.proposal_id, _anchor=f"m{m.id}")
        entry.id(f"{link}")
        entry.title(f"{m.kind_label}: {m.proposal.title}")
        entry.link(href=link)
        entry.published(m.occurred_at)
        entry.updated(m.recorded_at)
        entry.content(m.text, type="text")  # text, not html: feed readers must not execute user input
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")
