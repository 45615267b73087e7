from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.campaigns import bp, pledges, reports, service
from community.campaigns.charts import pledges_chart
from community.campaigns.eligibility import describe_rule
from community.campaigns.forms import ButtonForm, CampaignForm, CancelCampaignForm, PledgeForm
from community.campaigns.models import STATUS_LABELS
from community.csvexport import csv_response
from community.dbtypes import utcnow
from community.errors import DomainError, wants_json
from community.security import role_required
from community.util import apply_errors, decode_cursor, encode_cursor


@bp.app_template_filter("cny")
def cny(value) -> str:
    """An exact Decimal price as CNY in the viewer's locale (e.g. ¥12,800.00)."""
    return format_currency(value, "CNY")


@bp.app_template_global("proposal_campaigns")
def proposal_campaigns(proposal_id: int):
    """Campaigns of a proposal for its detail page (drafts only for moderators)."""
    return service.for_proposal(proposal_id, current_user)


@bp.app_template_global("campaign_status_label")
def campaign_status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


@bp.app_template_global("campaign_now")
def campaign_now():
    return utcnow()


def _time_left(campaign, now) -> str | None:
    left = service.time_left(campaign, now)
    if left is None:
        return None
    minutes = int(left.total_seconds() // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return _("%(days)d days %(hours)d hours left", days=days, hours=hours)
    return _("%(hours)d hours %(minutes)d minutes left", hours=hours, minutes=mins)


@bp.route("/campaigns")
def index():
    items, cursor = service.list_campaigns(current_user, decode_cursor(request.args.get("after")))
    next_url = url_for("campaigns.index", after=encode_cursor(cursor)) if cursor else None
    return render_template("campaigns/index.html", campaigns=items, next_url=next_url, now=utcnow())


@bp.route("/campaigns/mine")
@login_required
def mine():
    return render_template("campaigns/mine.html", pledges=pledges.pledges_of(current_user), now=utcnow(),
                           form=ButtonForm())


@bp.route("/campaigns/<int:campaign_id>")
def detail(campaign_id):
    campaign = service.get_campaign(campaign_id, current_user)
    now = utcnow()
    service.sync_milestones(campaign, now)  # the first view after open/close announces it, if cron has not
    return _render_detail(campaign, now)


def _render_detail(campaign, now, cancel_form=None, status=200):
    return render_template(
        "campaigns/detail.html", campaign=campaign, now=now, status=campaign.status_at(now),
        time_left=_time_left(campaign, now), rule=describe_rule(campaign),
        standing=pledges.standing(current_user, campaign), can_pledge=service.can_pledge(current_user),
        can_manage=service.can_manage(current_user), pledge_form=PledgeForm(), button_form=ButtonForm(),
        cancel_form=cancel_form or CancelCampaignForm(formdata=None)), status


def _refused(err: DomainError, campaign_id: int):
    if wants_json():
        raise err
    flash(err.message, "warning")
    return redirect(url_for("campaigns.detail", campaign_id=campaign_id))


@bp.route("/campaigns/<int:campaign_id>/pledge", methods=["POST"])
@role_required("owner")
def pledge(campaign_id):
    campaign = service.get_campaign(campaign_id, current_user)
    form = PledgeForm()
    if not form.validate_on_submit() or not form.vehicle_id.data.isdigit():
        abort(400, _("The form expired; please reload the page."))
    try:
        made = pledges.pledge(current_user, campaign, int(form.vehicle_id.data))
    except DomainError as err:
        return _refused(err, campaign.id)
    if wants_json():
        return jsonify(pledge_id=made.id, pledge_count=campaign.pledge_count), 201
    flash(_("Pledged for %(vin)s. You can cancel until the campaign closes.", vin=made.masked_vin), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/pledges/<int:pledge_id>/cancel", methods=["POST"])
@login_required
def cancel_pledge(pledge_id):
    if not ButtonForm().validate_on_submit():
        abort(400, _("The form expired; please reload the page."))
    own = pledges.get_own_pledge(current_user, pledge_id)
    try:
        pledges.cancel_pledge(current_user, own.id)
    except DomainError as err:
        return _refused(err, own.campaign_id)
    if wants_json():
        return jsonify(pledge_id=own.id, status=own.status)
    flash(_("Your pledge is cancelled."), "info")
    return redirect(url_for("campaigns.detail", campaign_id=own.campaign_id))


@bp.route("/proposals/<int:proposal_id>/campaigns/new", methods=["GET", "POST"])
@role_required("moderator")
def new(proposal_id):
    proposal = service.proposal_for_new_campaign(proposal_id)
    form = CampaignForm()
    if request.method == "GET":
        form.verified_only.data = True
    if form.validate_on_submit():
        opens_at, closes_at = service.window_from_local(form.opens_at.data, form.closes_on.data)
        data = service.CampaignInput(
            title_zh=form.title_zh.data, title_en=form.title_en.data, description_zh=form.description_zh.data,
            description_en=form.description_en.data, price_cny=form.price_cny.data, target=form.target.data,
            cap=form.cap.data, opens_at=opens_at, closes_at=closes_at, models=form.models.data,
            model_years=form.model_years.data, hardware_required=form.hardware_required.data,
            hardware_excluded=form.hardware_excluded.data, verified_only=form.verified_only.data)
        try:
            campaign = service.create_campaign(current_user, proposal, data, publish=form.publish.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Campaign created."), "success")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return render_template("campaigns/new.html", form=form, proposal=proposal), 422 if form.errors else 200


@bp.route("/campaigns/<int:campaign_id>/publish", methods=["POST"])
@role_required("moderator")
def publish(campaign_id):
    campaign = service.get_campaign(campaign_id, current_user)
    if not ButtonForm().validate_on_submit():
        abort(400, _("The form expired; please reload the page."))
    try:
        service.publish(campaign, current_user)
    except DomainError as err:
        return _refused(err, campaign.id)
    flash(_("Campaign published."), "success")
    return redirect(url_for("campaigns.detail", campaign_id=campaign.id))


@bp.route("/campaigns/<int:campaign_id>/cancel", methods=["POST"])
@role_required("moderator")
def cancel(campaign_id):
    campaign = service.get_campaign(campaign_id, current_user)
    form = CancelCampaignForm()
    if form.validate_on_submit():
        try:
            service.cancel_campaign(campaign, current_user, form.reason.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Campaign cancelled."), "info")
            return redirect(url_for("campaigns.detail", campaign_id=campaign.id))
    return _render_detail(campaign, utcnow(), cancel_form=form, status=422)


@bp.route("/campaigns/<int:campaign_id>/dashboard")
@role_required("moderator")
def dashboard(campaign_id):
    campaign = service.get_campaign(campaign_id, current_user)
    now = utcnow()
    days = reports.daily(campaign, now)
    cancelled_total, recent_cancellations = reports.cancellations(campaign)
    return render_template("campaigns/dashboard.html", campaign=campaign, now=now, days=days,
                           chart=pledges_chart(days, campaign.target, _("Pledges over time"),
                                               _("target %(n)d ↑", n=campaign.target)),
                           by_model=reports.by_model(campaign), cancelled_total=cancelled_total,
                           recent_cancellations=recent_cancellations)


@bp.route("/campaigns/<int:campaign_id>/pledges.csv")
@role_required("moderator")
def export(campaign_id):
    campaign = service.get_campaign(campaign_id, current_user)
    service.record_export(campaign, current_user)
    return csv_response(reports.csv_lines(campaign), f"campaign-{campaign.id}-pledges.csv")
