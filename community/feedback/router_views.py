"""Admins' page of the router's model versions: metrics of each, which one serves, activate another."""
from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from community.errors import DomainError
from community.feedback import bp, retrain, router_versions
from community.feedback.forms import RouterActivateForm
from community.pledge import service as pledge
from community.security import role_required


def _trained_at(row: router_versions.VersionRow) -> datetime | None:
    try:
        return datetime.fromisoformat(row.summary["trained_at"])
    except (TypeError, ValueError):
        return None


@bp.route("/router")
@role_required("admin")
def router_versions_page():
    rows = router_versions.list_versions()
    active = next((r for r in rows if r.is_active and not r.error), None)
    held = (active.metadata.get("heldout_metrics") or {}) if active else {}
    return render_template("feedback/router.html", rows=rows, trained_at={r.version: _trained_at(r) for r in rows},
                           form=RouterActivateForm(formdata=None), active=active, routing=held.get("routing"),
                           thresholds=(active.metadata.get("team_thresholds") or {}) if active else {},
                           waiting=retrain.waiting(),
                           team_names={t.slug: t.name(str(get_locale() or "zh")[:2]) for t in pledge.all_teams()})


@bp.route("/router/activate", methods=["POST"])
@role_required("admin")
def activate_router():
    form = RouterActivateForm()
    if not form.validate_on_submit():
        flash(_("Choose a version to activate."), "warning")
    else:
        try:
            router_versions.activate(form.version.data, current_user)
        except DomainError as err:
            flash(err.message, "warning")
        else:
            flash(_("Router model version %(version)s is now active.", version=form.version.data), "success")
    return redirect(url_for("feedback.router_versions_page"))
