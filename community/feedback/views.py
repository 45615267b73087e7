from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community import drafts, submissions
from community.dbtypes import utcnow
from community.errors import DomainError, PermissionDenied
from community.extensions import limiter
from community.feedback import bp, service
from community.feedback.forms import ActionForm, FeedbackForm, ReplyForm, ResolveForm, TeamForm
from community.pledge import service as pledge
from community.security import role_required
from community.util import apply_errors, decode_cursor, encode_cursor


def _locale() -> str:
    return str(get_locale() or "zh")[:2]


def _team_choices(exclude_id: int | None = None) -> list[tuple[str, str]]:
    return [(t.slug, t.name(_locale())) for t in pledge.all_teams(active_only=True) if t.id != exclude_id]


def _user_key() -> str:
    """Rate-limit bucket: the account when logged in, else the client address."""
    return f"user:{current_user.id}" if current_user.is_authenticated else (request.remote_addr or "?")


drafts.register("feedback.new", login=False)


@bp.route("/new", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["FEEDBACK_ANON_RATE_LIMIT"], methods=["POST"],
               exempt_when=lambda: current_user.is_authenticated)
@limiter.limit(lambda: current_app.config["FEEDBACK_RATE_LIMIT"], methods=["POST"], key_func=_user_key,
               exempt_when=lambda: not current_user.is_authenticated)
def new():
    form = FeedbackForm()
    vehicles = current_user.vehicles if current_user.is_authenticated else []
    form.vehicle_id.choices = [(None, _("No particular car"))] + [
        (v.id, f"{v.model} · {v.model_year} · {v.masked_vin}") for v in vehicles if v.status in ("pending", "verified")]
    if current_user.is_authenticated:
        del form.contact
    drafts.restore(form)
    if form.validate_on_submit():
        contact = form.contact.data if "contact" in form else None
        signed_in = current_user.is_authenticated
        try:
            item, earlier = submissions.submit_once(
                form, "feedback",
                lambda: service.submit(current_user, form.text.data, form.channel.data, form.vehicle_id.data, contact),
                lambda made: url_for("feedback.detail", item_id=made.id) if signed_in else url_for("feedback.new"),
                url_for("feedback.mine") if signed_in else url_for("feedback.new"))
        except DomainError as err:
            apply_errors(form, err)
        else:
            if earlier:
                return submissions.to_earlier(earlier)
            if current_user.is_authenticated:
                flash(_("Thank you. We have your feedback (#%(id)d); the team's answer will appear here.",
                        id=item.id), "success")
                return redirect(url_for("feedback.detail", item_id=item.id))
            flash(_("Thank you. Your reference is #%(id)d; we will answer you at the contact you left.",
                    id=item.id), "success")
            return redirect(url_for("feedback.new"))
    return render_template("feedback/new.html", form=form), 422 if form.errors else 200


@bp.route("/mine")
@login_required
def mine():
    return render_template("feedback/mine.html", items=service.my_items(current_user))


def _render_detail(item, reply_form=None, resolve_form=None, team_form=None, status=200):
    team_form = team_form or TeamForm(prefix="re", formdata=None)
    team_form.team.choices = _team_choices(exclude_id=item.team_id)
    show_internal = service.can_work(current_user, item) or service.is_moderator(current_user)
    return render_template(
        "feedback/detail.html", item=item, can_work=service.can_work(current_user, item),
        author_named=service.author_named_to(current_user, item),
        can_reassign=service.can_reassign(current_user, item), show_internal=show_internal,
        corrections=service.corrections_for(item) if show_internal else [],
        reply_form=reply_form or ReplyForm(prefix="rp", formdata=None),
        resolve_form=resolve_form or ResolveForm(prefix="rs", formdata=None), team_form=team_form,
        action_form=ActionForm(), team_names={t.slug: t.name(_locale()) for t in pledge.all_teams()}), status


@bp.route("/<int:item_id>")
@login_required
def detail(item_id):
    return _render_detail(service.get_viewable(item_id, current_user))


def _workable(item_id: int):
    """The item, if the current user is an agent of its team (404 if they may not see it, else 403)."""
    item = service.get_viewable(item_id, current_user)
    if not service.can_work(current_user, item):
        raise PermissionDenied(_("Only agents of this feedback's team can work on it."))
    return item


@bp.route("/<int:item_id>/reply", methods=["POST"])
@login_required
def reply(item_id):
    item = _workable(item_id)
    form = ReplyForm(prefix="rp")
    if form.validate_on_submit():
        try:
            service.reply(item, current_user, form.body.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Reply sent."), "success")
            return redirect(url_for("feedback.detail", item_id=item.id))
    return _render_detail(item, reply_form=form, status=422)


@bp.route("/<int:item_id>/start", methods=["POST"])
@login_required
def start(item_id):
    item = _workable(item_id)
    if ActionForm().validate_on_submit():
        service.start(item, current_user)
        flash(_("Marked as in progress."), "success")
    return redirect(url_for("feedback.detail", item_id=item.id))


@bp.route("/<int:item_id>/resolve", methods=["POST"])
@login_required
def resolve(item_id):
    item = _workable(item_id)
    form = ResolveForm(prefix="rs")
    if form.validate_on_submit():
        try:
            service.resolve(item, current_user, form.note.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Resolved. The owner sees your note."), "success")
            return redirect(url_for("feedback.detail", item_id=item.id))
    return _render_detail(item, resolve_form=form, status=422)


@bp.route("/<int:item_id>/reassign", methods=["POST"])
@login_required
def reassign(item_id):
    item = service.get_viewable(item_id, current_user)
    if not service.can_reassign(current_user, item):
        raise PermissionDenied(_("Only this team's agents or a moderator can reassign it."))
    form = TeamForm(prefix="re")
    form.team.choices = _team_choices(exclude_id=item.team_id)
    if form.validate_on_submit():
        try:
            service.reassign(item, form.team.data, current_user)
        except DomainError as err:
            if err.status != 422:
                raise
            apply_errors(form, err)
        else:
            flash(_("Sent to %(team)s.", team=item.team.name(_locale())), "success")
            if service.can_view(current_user, item):
                return redirect(url_for("feedback.detail", item_id=item.id))
            return redirect(url_for("feedback.queue"))
    return _render_detail(item, team_form=form, status=422)


@bp.route("/queue")
@role_required("team_agent", "moderator")
def queue():
    """An agent's team queue, soonest due first. Agents see only their own teams; moderators any team."""
    mine = pledge.agent_teams(current_user)
    choosable = pledge.all_teams() if service.is_moderator(current_user) else mine
    slug = request.args.get("team")
    team = next((t for t in choosable if t.slug == slug), None) if slug else (choosable[0] if choosable else None)
    if slug and team is None:
        raise PermissionDenied(_("That is not your team's queue."))
    page = service.team_queue(team, decode_cursor(request.args.get("after"))) if team else None
    next_url = None
    if page and page.next_cursor:
        next_url = url_for("feedback.queue", team=team.slug, after=encode_cursor(page.next_cursor))
    return render_template("feedback/queue.html", team=team, teams=choosable, page=page, next_url=next_url,
                           now=utcnow())


@bp.route("/triage")
@role_required("moderator")
def triage():
    page = service.triage_queue(decode_cursor(request.args.get("after")))
    next_url = url_for("feedback.triage", after=encode_cursor(page.next_cursor)) if page.next_cursor else None
    teams = pledge.all_teams(active_only=True)
    return render_template("feedback/triage.html", page=page, next_url=next_url, teams=teams,
                           team_names={t.slug: t.name(_locale()) for t in pledge.all_teams()},
                           breaches=service.recent_breaches(), form=ActionForm())


@bp.route("/<int:item_id>/assign", methods=["POST"])
@role_required("moderator")
def assign(item_id):
    item = service.get_item(item_id)
    if not ActionForm().validate_on_submit():
        flash(_("The form expired; please reload the page."), "warning")
        return redirect(url_for("feedback.triage"))
    try:
        slug = request.form.get("team") or request.form.get("other_team") or ""
        service.assign_from_triage(item, slug, current_user)
    except DomainError as err:
        flash(err.message, "warning")
    else:
        flash(_("Feedback #%(id)d sent to %(team)s.", id=item.id, team=item.team.name(_locale())), "success")
    return redirect(url_for("feedback.triage"))
