from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField

from community.errors import DomainError
from community.notifications import bp, service
from community.notifications.models import CHANNELS, KINDS
from community.security import safe_next
from community.util import int_arg, options


class EmptyForm(FlaskForm):
    """Exists for its CSRF token."""


def settings_form(current: dict[str, str]) -> FlaskForm:
    """One select per notification kind, built from KINDS so a new kind needs no form change."""

    class SettingsForm(FlaskForm):
        submit = SubmitField(_("Save"))

    for kind, label in KINDS.items():
        setattr(SettingsForm, kind, SelectField(label, choices=options(CHANNELS), default=current[kind]))
    return SettingsForm()


@bp.route("/notifications")
@login_required
def index():
    before = int_arg("before")
    items = service.for_user(current_user, before)
    return render_template("notifications/index.html", items=items, form=EmptyForm(), describe=service.describe,
                           next_before=items[-1].id if len(items) == 30 else None)


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read():
    if EmptyForm().validate_on_submit():
        service.mark_read(current_user)
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
@login_required
def settings():
    form = settings_form(service.settings_for(current_user))
    if form.validate_on_submit():
        try:
            service.save_settings(current_user, {k: getattr(form, k).data for k in KINDS})
        except DomainError as err:
            flash(err.message, "danger")
        else:
            flash(_("Notification settings saved."), "success")
            return redirect(url_for("notifications.settings"))
    return render_template("notifications/settings.html", form=form, kinds=KINDS), 422 if form.errors else 200


@bp.route("/proposals/<int:proposal_id>/follow", methods=["POST"])
@login_required
def follow(proposal_id):
    from community.proposals.service import get_visible  # proposals' service itself calls ours

    proposal = get_visible(proposal_id)
    if EmptyForm().validate_on_submit():
        on = request.form.get("on") == "1"
        service.set_following(current_user, proposal.id, on)
        flash(_("You follow this proposal.") if on else _("You no longer follow this proposal."), "info")
    return redirect(safe_next(request.form.get("next"), url_for("proposals.detail", proposal_id=proposal.id)))
