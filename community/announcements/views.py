from datetime import datetime

from feedgen.feed import FeedGenerator
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from community import cache as page_cache
from community.announcements import bp, service
from community.announcements.forms import AnnouncementForm
from community.errors import DomainError
from community.roadmap.service import parse_ids
from community.security import role_required
from community.urls import public_url
from community.util import apply_errors, decode_cursor, encode_cursor


@bp.app_template_global("proposal_announcements")
def proposal_announcements(proposal_id: int):
    return service.for_proposal(proposal_id)


@bp.app_template_global("milestone_announcement_id")
def milestone_announcement_id(milestone_id: int):
    return service.announcement_of_milestone(milestone_id)


@bp.route("/announcements")
def index():
    items, cursor = service.list_page(decode_cursor(request.args.get("after")))
    next_url = url_for("announcements.index", after=encode_cursor(cursor)) if cursor else None
    return render_template("announcements/index.html", items=items, next_url=next_url, answered=service.answered,
                           can_manage=service.can_manage(current_user))


@bp.route("/announcements/<int:announcement_id>")
def detail(announcement_id):
    item = service.get_announcement(announcement_id)
    return render_template("announcements/detail.html", item=item, proposals=service.answered(item))


@bp.route("/announcements.atom")
@page_cache.public_page(lambda: [page_cache.SITE, page_cache.ANNOUNCEMENTS], everyone=True)
def atom():
    """Atom 1.0 feed of the newest 30 announcements; the content is the sanitised HTML body."""
    fg = FeedGenerator()
    fg.id(public_url("announcements.index"))
    fg.title(_("Cocreate official announcements"))
    fg.link(href=public_url("announcements.index"), rel="alternate")
    fg.link(href=public_url("announcements.atom", **request.args.to_dict()), rel="self")
    fg.language("en" if str(get_locale()) == "en" else "zh-CN")
    items, _cursor = service.list_page(None, 30)
    fg.updated(items[0].published_at if items else datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    for a in reversed(items):  # feedgen prepends; reversed keeps newest first in the output
        entry = fg.add_entry()
        link = public_url("announcements.detail", announcement_id=a.id)
        entry.id(link)
        entry.title(a.title)
        entry.link(href=link)
        entry.published(a.published_at)
        entry.updated(a.published_at)
        entry.content(a.body_html, type="html")  # only the nh3-sanitised rendering, never the source
    return Response(fg.atom_str(pretty=True), mimetype="application/atom+xml")


@bp.route("/announcements/new", methods=["GET", "POST"])
@role_required("moderator")
def new():
    form = AnnouncementForm()
    if request.method == "GET" and request.args.get("proposal", "").isdigit():
        form.proposal_ids.data = request.args["proposal"]
    if form.validate_on_submit():
        try:
            data = service.AnnouncementInput(title_zh=form.title_zh.data, title_en=form.title_en.data,
                                             body_zh=form.body_zh.data, body_en=form.body_en.data,
                                             proposal_ids=parse_ids(form.proposal_ids.data))
            item = service.post_announcement(current_user, data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Announcement published."), "success")
            return redirect(url_for("announcements.detail", announcement_id=item.id))
    return render_template("announcements/new.html", form=form), 422 if form.errors or form.form_errors else 200
