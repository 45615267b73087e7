from zoneinfo import ZoneInfo

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.accounts.models import User
from community.council import bp, service, sessions
from community.council.forms import (
    AgendaForm,
    AppointForm,
    ConfirmForm,
    DecisionForm,
    EndTermForm,
    NoteForm,
    SessionEditForm,
    SessionForm,
)
from community.council.models import CouncilSession
from community.dates import format_date
from community.errors import DomainError, wants_json
from community.extensions import db
from community.proposals import service as proposals
from community.security import role_required
from community.timezones import local_to_utc, viewer_timezone
from community.util import apply_errors, int_arg

COUNCIL = ("council_member", "moderator")


@bp.app_context_processor
def _council_helpers():
    return {"council_can_see_internal": service.can_see_internal}


@bp.route("")
def index():
    """The public council page: current members, past terms, published sessions."""
    return render_template("council/index.html", current=service.current_terms(), past=service.past_terms(),
                           upcoming=service.upcoming_terms() if service.can_appoint(current_user) else [],
                           sessions=sessions.list_sessions(current_user), end_form=EndTermForm(formdata=None),
                           can_appoint=service.can_appoint(current_user),
                           can_manage=sessions.can_manage(current_user))


@bp.route("/terms/new", methods=["GET", "POST"])
@role_required("admin")
def appoint():
    form = AppointForm()
    if form.validate_on_submit():
        user = User.query.filter(db.func.lower(User.email) == form.email.data.strip().lower()).first()
        if user is None:
            form.email.errors.append(_("No user with this e-mail."))
        else:
            try:
                service.appoint(current_user, user, form.region.data, form.seat.data, form.first_day.data,
                                form.last_day.data)
            except DomainError as err:
                apply_errors(form, err)
            else:
                flash(_("%(name)s is appointed to the council.", name=user.display_name), "success")
                return redirect(url_for("council.index"))
    return render_template("council/appoint.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/terms/<int:term_id>/end", methods=["POST"])
@role_required("admin")
def end_term(term_id):
    term = service.get_term(term_id)
    form = EndTermForm()
    if not form.validate_on_submit():
        flash(_("Say why the term ends early."), "warning")
    else:
        try:
            service.end_term(current_user, term, form.reason.data)
        except DomainError as err:
            flash(err.message, "warning")
        else:
            flash(_("The term of %(name)s has ended.", name=term.user.display_name), "success")
    return redirect(url_for("council.index"))


# ---- sessions ----

def _attendee_choices(session: CouncilSession) -> list[tuple[int, str]]:
    people = {t.user.id: t.user for t in service.current_terms(session.starts_at)}
    people.update({u.id: u for u in session.attendees})
    return [(u.id, f"{u.display_name}") for u in sorted(people.values(), key=lambda u: u.display_name)]


@bp.route("/sessions/new", methods=["GET", "POST"])
@role_required("moderator")
def new_session():
    form = SessionForm()
    if form.validate_on_submit():
        try:
            session = sessions.create_session(current_user, form.title.data, local_to_utc(form.starts_at.data),
                                              form.place.data, form.online_url.data, form.guests.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Session scheduled. Add the agenda, attendees and minutes."), "success")
            return redirect(url_for("council.session", session_id=session.id))
    return render_template("council/session_new.html", form=form), 422 if form.errors or form.form_errors else 200


def _render_session(session, edit_form=None, decision_forms=None, status=200):
    can_manage = sessions.can_manage(current_user)
    internal = service.can_see_internal(current_user)
    if can_manage and edit_form is None:
        edit_form = SessionEditForm(obj=session, formdata=None)
        edit_form.starts_at.data = session.starts_at.astimezone(_viewer_zone()).replace(tzinfo=None)
        edit_form.attendees.data = [u.id for u in session.attendees]
    if edit_form is not None:
        edit_form.attendees.choices = _attendee_choices(session)
    forms = decision_forms or {}
    if can_manage and not session.is_published:
        for item in session.items:
            if item.id not in forms:
                f = DecisionForm(prefix=f"d{item.id}", formdata=None)
                f.decision.data, f.text.data = item.decision or "accept", item.decision_text or ""
                forms[item.id] = f
    items = session.items if internal else sessions.public_items(session)
    return render_template("council/session.html", session=session, items=items, edit_form=edit_form,
                           decision_forms=forms, can_manage=can_manage, internal=internal,
                           agenda_form=AgendaForm(formdata=None), confirm=ConfirmForm()), status


def _viewer_zone() -> ZoneInfo:
    return ZoneInfo(viewer_timezone())


@bp.route("/sessions/<int:session_id>")
def session(session_id):
    s = sessions.get_session(current_user, session_id)
    if wants_json():
        return jsonify(session_json(s))
    return _render_session(s)


def session_json(s: CouncilSession) -> dict:
    """The public shape of a session (no internal notes, hidden proposals left out)."""
    return {"id": s.id, "title": s.title, "starts_at": s.starts_at.isoformat(), "place": s.place,
            "online_url": s.online_url, "state": s.state, "minutes_html": s.minutes_html,
            "attendees": [u.display_name for u in s.attendees], "guests": s.guests,
            "agenda": [{"proposal_id": i.proposal_id, "title": i.proposal.title, "decision": i.decision,
                        "decision_text": i.decision_text} for i in sessions.public_items(s)]}


@bp.route("/sessions/<int:session_id>/edit", methods=["POST"])
@role_required("moderator")
def edit_session(session_id):
    s = sessions.get_session(current_user, session_id)
    form = SessionEditForm()
    form.attendees.choices = _attendee_choices(s)
    if form.validate_on_submit():
        try:
            sessions.update_session(current_user, s, title=form.title.data,
                                    starts_at=local_to_utc(form.starts_at.data), place=form.place.data,
                                    online_url=form.online_url.data, guests=form.guests.data,
                                    minutes=form.minutes.data, attendee_ids=form.attendees.data or [])
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Session saved."), "success")
            return redirect(url_for("council.session", session_id=s.id))
    return _render_session(s, edit_form=form, status=422)


@bp.route("/sessions/<int:session_id>/agenda", methods=["POST"])
@role_required(*COUNCIL)
def add_to_agenda(session_id):
    s = sessions.get_session(current_user, session_id)
    form = AgendaForm()
    form.session_id.choices = [(s.id, s.title)]
    form.session_id.data = s.id
    if not form.validate_on_submit():
        abort(400, _("Give a proposal number."))
    try:
        sessions.add_to_agenda(current_user, s, proposals.get_visible(form.proposal_id.data))
    except DomainError as err:
        if wants_json():
            raise
        flash(err.message, "warning")
    else:
        if wants_json():
            return jsonify(ok=True), 201
        flash(_("Added to the agenda."), "success")
    return redirect(url_for("council.session", session_id=s.id))


@bp.route("/sessions/<int:session_id>/items/<int:item_id>/decision", methods=["POST"])
@role_required("moderator")
def decide(session_id, item_id):
    s = sessions.get_session(current_user, session_id)
    item = sessions.get_item(s, item_id)
    form = DecisionForm(prefix=f"d{item.id}")
    if form.validate_on_submit():
        try:
            sessions.decide(current_user, item, form.decision.data, form.text.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Decision recorded."), "success")
            return redirect(url_for("council.session", session_id=s.id, _anchor=f"item{item.id}"))
    return _render_session(s, decision_forms={item.id: form}, status=422)


@bp.route("/sessions/<int:session_id>/items/<int:item_id>/remove", methods=["POST"])
@role_required("moderator")
def remove_item(session_id, item_id):
    s = sessions.get_session(current_user, session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, _("The form expired; please reload the page."))
    try:
        sessions.remove_from_agenda(current_user, sessions.get_item(s, item_id))
    except DomainError as err:
        flash(err.message, "warning")
    return redirect(url_for("council.session", session_id=s.id))


@bp.route("/sessions/<int:session_id>/publish", methods=["POST"])
@role_required("moderator")
def publish(session_id):
    s = sessions.get_session(current_user, session_id)
    if not ConfirmForm().validate_on_submit():
        abort(400, _("The form expired; please reload the page."))
    try:
        sessions.publish(current_user, s)
    except DomainError as err:
        flash(err.message, "warning")
    else:
        flash(_("Session published; the agenda proposals' timelines show it."), "success")
    return redirect(url_for("council.session", session_id=s.id))


# ---- council work: queue and internal notes ----

@bp.route("/queue")
@role_required(*COUNCIL)
def queue():
    sort = "age" if request.args.get("sort") == "age" else "votes"
    page = int_arg("page", 1, 100_000) or 1
    rows, more = service.queue(current_user, sort, page)
    form = AgendaForm(formdata=None)
    form.session_id.choices = [(s.id, f"{s.title} · {format_date(s.starts_at)}")
                               for s in sessions.draft_sessions()]
    return render_template("council/queue.html", rows=rows, more=more, page=page, sort=sort, form=form)


@bp.route("/queue/agenda", methods=["POST"])
@role_required(*COUNCIL)
def queue_add():
    form = AgendaForm()
    form.session_id.choices = [(s.id, s.title) for s in sessions.draft_sessions()]
    if not form.validate_on_submit():
        flash(_("Choose a draft session."), "warning")
        return redirect(url_for("council.queue"))
    try:
        s = sessions.get_session(current_user, form.session_id.data)
        sessions.add_to_agenda(current_user, s, proposals.get_visible(form.proposal_id.data))
    except DomainError as err:
        flash(err.message, "warning")
    else:
        flash(_("Added to the agenda of %(t)s.", t=s.title), "success")
    return redirect(url_for("council.queue"))


@bp.route("/proposals/<int:proposal_id>")
@role_required(*COUNCIL)
def review(proposal_id):
    """The council's private page about one proposal: internal notes and agenda history (HTML or JSON)."""
    proposal = proposals.get_visible(proposal_id)
    notes = service.notes_for(current_user, proposal)
    if wants_json():
        return jsonify(proposal_id=proposal.id, notes=[{"id": n.id, "author": n.author.display_name,
                                                        "created_at": n.created_at.isoformat(),
                                                        "body_html": n.body_html} for n in notes])
    return _render_review(proposal, notes, NoteForm(formdata=None))


def _render_review(proposal, notes, note_form, status=200):
    form = AgendaForm(formdata=None)
    form.session_id.choices = [(s.id, s.title) for s in sessions.draft_sessions()]
    form.proposal_id.data = proposal.id
    return render_template("council/review.html", proposal=proposal, notes=notes, note_form=note_form,
                           agenda_form=form, past_sessions=sessions.sessions_for_proposal(proposal.id)), status


@bp.route("/proposals/<int:proposal_id>/notes", methods=["POST"])
@role_required(*COUNCIL)
def add_note(proposal_id):
    proposal = proposals.get_visible(proposal_id)
    form = NoteForm()
    if form.validate_on_submit():
        try:
            service.add_note(current_user, proposal, form.body.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            return redirect(url_for("council.review", proposal_id=proposal.id, _anchor="notes"))
    return _render_review(proposal, service.notes_for(current_user, proposal), form, status=422)
