from datetime import datetime
from zoneinfo import ZoneInfo

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community import drafts, storage, submissions
from community.audit import service as audit
from community.csvexport import csv_response
from community.dates import format_month
from community.errors import Conflict, DomainError, ValidationError, wants_json
from community.extensions import db
from community.pledge import service as pledge
from community.security import has_role, role_required
from community.shopper import bp, photos, scorecard, service, stores
from community.shopper.forms import NOT_OBSERVED, ButtonForm, StoreForm, report_form
from community.shopper.models import STORE_KINDS
from community.timezones import local_to_utc, viewer_timezone
from community.util import apply_errors, decode_cursor, encode_cursor, int_arg


def _locale() -> str:
    return str(get_locale() or "zh")[:2]


@bp.app_template_global("shopper_finding_of")
def shopper_finding_of(feedback_id: int):
    """The mystery-shopper finding behind a feedback item, if any (the feedback page links back)."""
    return service.finding_for_feedback(feedback_id)


# ---- reports (shoppers) ----

@bp.route("/shopper/reports")
@role_required("mystery_shopper")
def mine():
    return render_template("shopper/mine.html", reports=service.my_reports(current_user))


drafts.register("shopper.new")
drafts.register("shopper.edit")


def _form(report=None):
    items = service.rubric_items()
    if report is not None:  # a draft keeps the lines it was started with, even if an item was retired since
        known = {i.id for i in items}
        items += [line.pledge_item for line in report.lines if line.pledge_item_id and line.pledge_item_id not in known]
    form = report_form(items)
    form.store_id.choices = [(None, "—")] + [(s.id, f"{s.city} · {s.name} · {s.kind_label}")
                                             for s in stores.all_stores(active_only=True)]
    if report is not None and request.method == "GET":
        form.store_id.data, form.visit_kind.data, form.narrative.data = report.store_id, report.visit_kind or "", \
            report.narrative
        if report.visited_at:
            form.visited_at.data = report.visited_at.astimezone(ZoneInfo(viewer_timezone())).replace(tzinfo=None)
        for line in report.lines:
            key = line.pledge_item_id or "general"
            if line.pledge_item_id:
                form[f"score_{key}"].data = str(line.score) if line.score else NOT_OBSERVED
            form[f"comment_{key}"].data, form[f"issue_{key}"].data = line.comment, line.is_issue
    drafts.restore(form)
    return form, items


def _input(form, items) -> service.ReportInput:
    lines = {item.id: service.LineInput(int(form[f"score_{item.id}"].data) if form[f"score_{item.id}"].data
                                        not in (None, NOT_OBSERVED) else None,
                                        form[f"comment_{item.id}"].data or "", form[f"issue_{item.id}"].data)
             for item in items}
    lines[None] = service.LineInput(None, form.comment_general.data or "", form.issue_general.data)
    visited = form.visited_at.data
    return service.ReportInput(store_id=form.store_id.data, visit_kind=form.visit_kind.data or None,
                               visited_at=local_to_utc(visited) if isinstance(visited, datetime) else None,
                               narrative=form.narrative.data or "", lines=lines)


def _render_form(form, items, report=None, status=200):
    teams = []
    for item in items:
        if not teams or teams[-1][0].id != item.team_id:
            teams.append((item.team, []))
        teams[-1][1].append(item)
    return render_template("shopper/form.html", form=form, teams=teams, report=report, locale=_locale(),
                           delete_form=ButtonForm()), status


def _save(form, items, report):
    """Save the draft, then its photos, then submit if asked. Returns a response."""
    try:
        if report is None:
            report, earlier = submissions.submit_once(
                form, "shopper_report", lambda: service.save_draft(None, current_user, _input(form, items)),
                lambda made: url_for("shopper.detail", report_id=made.id), url_for("shopper.mine"))
            if earlier:
                return submissions.to_earlier(earlier)
        else:
            report = service.save_draft(report, current_user, _input(form, items))
    except DomainError as err:
        if isinstance(err, Conflict) and not wants_json():
            flash(err.message, "warning")
            return redirect(url_for("shopper.detail", report_id=report.id))
        apply_errors(form, err)
        return _render_form(form, items, report, 422 if err.status == 422 else err.status)
    refused = []
    for upload in form.photos.data or []:
        if not getattr(upload, "filename", ""):
            continue
        try:
            service.add_photo(report, current_user, upload.filename, upload.stream)
        except ValidationError as err:
            refused.append(err.message)
    if refused:
        form.photos.errors = list(form.photos.errors) + refused
        flash(_("Your draft is saved, but some photos were refused; see below."), "warning")
        return _render_form(form, items, report, 422)
    if form.submit_report.data:
        try:
            findings = service.submit(report, current_user)
        except DomainError as err:
            apply_errors(form, err)
            flash(_("Your draft is saved, but it cannot be submitted yet."), "warning")
            return _render_form(form, items, report, err.status)
        flash(_("Report submitted. %(n)d finding(s) were sent to the responsible teams.", n=len(findings)),
              "success")
        return redirect(url_for("shopper.detail", report_id=report.id))
    flash(_("Draft saved."), "success")
    return redirect(url_for("shopper.edit", report_id=report.id))


@bp.route("/shopper/reports/new", methods=["GET", "POST"])
@role_required("mystery_shopper")
def new():
    form, items = _form()
    if form.validate_on_submit():
        return _save(form, items, None)
    return _render_form(form, items, status=422 if form.errors else 200)


@bp.route("/shopper/reports/<int:report_id>/edit", methods=["GET", "POST"])
@role_required("mystery_shopper")
def edit(report_id):
    report = service.get_report(report_id)
    try:
        report = service.get_own_draft(report_id, current_user)
    except Conflict as err:
        if wants_json():
            raise
        flash(err.message, "info")
        return redirect(url_for("shopper.detail", report_id=report.id))
    form, items = _form(report)
    if form.validate_on_submit():
        return _save(form, items, report)
    return _render_form(form, items, report, 422 if form.errors else 200)


@bp.route("/shopper/reports/<int:report_id>/photos/<int:photo_id>/delete", methods=["POST"])
@role_required("mystery_shopper")
def delete_photo(report_id, photo_id):
    if not ButtonForm().validate_on_submit():
        abort(400, _("The form expired; please reload the page."))
    report = service.get_report(report_id)
    service.delete_photo(report, current_user, photo_id)
    flash(_("Photo removed."), "info")
    return redirect(url_for("shopper.edit", report_id=report.id))


@bp.route("/shopper/reports/<int:report_id>")
@login_required
def detail(report_id):
    report = service.get_readable(report_id, current_user)
    text = lambda value: service.readable_text(value, report, current_user)  # noqa: E731
    return render_template("shopper/detail.html", report=report, text=text, locale=_locale(),
                           show_shopper=service.sees_unredacted(current_user, report))


@bp.route("/shopper/photos/<int:photo_id>")
@login_required
def photo(photo_id):
    found = service.get_photo(photo_id, current_user)
    try:
        return photos.serve(found.stored_name, found.content_type)
    except storage.MissingObject:
        abort(404)


# ---- internal (moderators and team agents) ----

@bp.route("/shopper/internal")
@role_required("moderator", "team_agent")
def internal():
    store_id = int_arg("store")
    reports, cursor = service.submitted_reports(store_id, decode_cursor(request.args.get("after")))
    next_url = url_for("shopper.internal", store=store_id, after=encode_cursor(cursor)) if cursor else None
    return render_template("shopper/internal.html", reports=reports, next_url=next_url, store_id=store_id,
                           stores=stores.all_stores(), show_shopper=has_role(current_user, "moderator"))


# ---- scorecards (public aggregates) ----

@bp.route("/scorecards")
def scorecards():
    span = scorecard.months()
    cards = scorecard.store_cards(span=span)
    cities = scorecard.city_cards(span=span)
    by_id = {s.id: s for s in stores.all_stores(active_only=True)}
    return render_template("shopper/scorecards.html", span=span, cards=scorecard.ranked(cards), stores=by_id,
                           cities=scorecard.ranked(cities), can_export=has_role(current_user, "moderator"))


@bp.route("/scorecards/stores/<int:store_id>")
def store_scorecard(store_id):
    store = stores.get_store(store_id)
    if not store.is_active:
        abort(404)
    span = scorecard.months()
    card = scorecard.store_cards(span=span)[store.id]
    city = scorecard.city_cards(span=span).get(store.city)
    chart = scorecard.chart_svg(span, card.monthly, city.monthly if city else [None] * len(span),
                                _("%(store)s: monthly score (0-100)", store=store.name), store.name,
                                _("%(city)s average", city=store.city), labels=[format_month(m) for m in span],
                                axes=(_("Month"), _("Score (0-100)")), described_by="item-scores")
    return render_template("shopper/store.html", store=store, span=span, card=card, city=city, chart=chart,
                           items=pledge.pledge_items(active_only=False), locale=_locale(),
                           can_read_reports=service.can_read_internal(current_user))


@bp.route("/scorecards.csv")
@role_required("moderator")
def export():
    audit.record(current_user, "shopper.export", "store", 0, None, {"what": "scores"})
    db.session.commit()
    return csv_response(scorecard.csv_lines(_locale()), "store-scores.csv")


# ---- stores (admins) ----

@bp.route("/shopper/stores")
@role_required("admin")
def store_list():
    return render_template("shopper/stores.html", stores=stores.all_stores())


@bp.route("/shopper/stores/new", methods=["GET", "POST"], defaults={"store_id": None})
@bp.route("/shopper/stores/<int:store_id>", methods=["GET", "POST"])
@role_required("admin")
def store_edit(store_id):
    store = stores.get_store(store_id) if store_id else None
    form = StoreForm(obj=store)
    if request.method == "GET" and store is not None:
        form.staff_names.data = "\n".join(store.staff_names or [])
    if form.validate_on_submit():
        try:
            stores.save_store(store, current_user, name=form.name.data, city=form.city.data, kind=form.kind.data,
                              staff_names=form.staff_names.data, is_active=form.is_active.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Store saved."), "success")
            return redirect(url_for("shopper.store_list"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("shopper/store_edit.html", form=form, store=store, kinds=STORE_KINDS), status
