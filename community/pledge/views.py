from datetime import timedelta

from flask import flash, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from community.dates import format_date
from community.dbtypes import utcnow
from community.errors import DomainError
from community.feedback import scorecard
from community.pledge import bp, service
from community.pledge.forms import AgentForm, PledgeItemForm, RemoveForm, TeamEditForm
from community.security import role_required
from community.util import apply_errors


def _locale() -> str:
    return str(get_locale() or "zh")[:2]


@bp.route("/pledge")
def index():
    """The public service pledge and each team's record over the last 30 and 90 days."""
    teams = service.all_teams(active_only=True)
    cards = scorecard.cached_team_cards([t.id for t in teams])
    now = utcnow()
    weeks = [format_date(now - timedelta(weeks=scorecard.WEEKS - k) + timedelta(days=1))
             for k in range(scorecard.WEEKS)]  # the first day of each weekly bucket, oldest first
    charts = {t.id: scorecard.chart_svg(cards[t.id].weekly,
                                        _("%(team)s: weekly share answered within the promised time",
                                          team=t.name(_locale())),
                                        weeks[0], _("this week"), f"weeks-{t.slug}")
              for t in teams}
    legend = [(scorecard.SHARE_COLOURS[0][0], _("%(share)s or more within time", share="90%")),
              (scorecard.SHARE_COLOURS[1][0], _("%(low)s to %(high)s", low="70%", high="89%")),
              (scorecard.SHARE_COLOURS[2][0], _("under %(share)s", share="70%")),
              (scorecard.NO_DECISION, _("nothing decided that week"))]
    return render_template("pledge/index.html", teams=teams, items=service.pledge_items(), cards=cards,
                           charts=charts, weeks=weeks, legend=legend,
                           legend_intro=_("Weekly bars: height = share answered within the promised time "
                                          "(%(low)s to %(high)s).", low="0%", high="100%"),
                           windows=scorecard.WINDOWS, locale=_locale())


@bp.route("/pledge/admin")
@role_required("admin")
def admin():
    return render_template("pledge/admin.html", teams=service.all_teams(), items=service.pledge_items(False),
                           locale=_locale())


@bp.route("/pledge/admin/teams/<int:team_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_team(team_id):
    team = service.get_team(team_id)
    form = TeamEditForm(obj=team)
    if form.validate_on_submit():
        try:
            service.update_team(team, current_user, form.name_zh.data, form.name_en.data, form.is_active.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Team saved."), "success")
            return redirect(url_for("pledge.edit_team", team_id=team.id))
    return _team_page(team, form=form, status=422 if form.errors else 200)


def _team_page(team, form=None, agent_form=None, status=200):
    return render_template("pledge/team.html", team=team, form=form or TeamEditForm(obj=team, formdata=None),
                           agent_form=agent_form or AgentForm(prefix="ag", formdata=None),
                           remove_form=RemoveForm()), status


@bp.route("/pledge/admin/teams/<int:team_id>/agents", methods=["POST"])
@role_required("admin")
def add_agent(team_id):
    team = service.get_team(team_id)
    form = AgentForm(prefix="ag")
    if form.validate_on_submit():
        try:
            service.add_agent(team, form.email.data, current_user)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Agent added."), "success")
            return redirect(url_for("pledge.edit_team", team_id=team.id))
    return _team_page(team, agent_form=form, status=422)


@bp.route("/pledge/admin/teams/<int:team_id>/agents/<int:user_id>/remove", methods=["POST"])
@role_required("admin")
def remove_agent(team_id, user_id):
    team = service.get_team(team_id)
    if RemoveForm().validate_on_submit():
        service.remove_agent(team, user_id, current_user)
        flash(_("Agent removed from the team."), "success")
    return redirect(url_for("pledge.edit_team", team_id=team.id))


@bp.route("/pledge/admin/items/new", methods=["GET", "POST"], defaults={"item_id": None})
@bp.route("/pledge/admin/items/<int:item_id>", methods=["GET", "POST"])
@role_required("admin")
def edit_item(item_id):
    item = service.get_pledge_item(item_id) if item_id else None
    form = PledgeItemForm(obj=item)
    form.team_id.choices = [(t.id, t.name(_locale())) for t in service.all_teams()]
    if form.validate_on_submit():
        try:
            service.save_pledge_item(item, current_user, team_id=form.team_id.data, text_zh=form.text_zh.data,
                                     text_en=form.text_en.data, first_response_hours=form.first_response_hours.data,
                                     resolution_hours=form.resolution_hours.data, is_active=form.is_active.data,
                                     position=form.position.data or 0)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Promise saved."), "success")
            return redirect(url_for("pledge.admin"))
    return render_template("pledge/item.html", form=form, item=item), 422 if form.errors else 200
