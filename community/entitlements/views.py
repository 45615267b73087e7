from flask import flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from community.accounts import service as accounts
from community.csvexport import csv_response
from community.entitlements import bp, service, transfers
from community.entitlements.forms import CorrectionForm, GrantForm, KindForm, TransferForm, UseForm
from community.errors import DomainError, ValidationError, wants_json
from community.security import role_required
from community.util import apply_errors, in_parens, int_arg


@bp.app_template_filter("ent_amount")
def ent_amount(value, unit: str | None = None) -> str:
    """A ledger amount in the viewer's locale; a flag shows as yes/no."""
    if unit == "flag":
        return _("yes") if value and value > 0 else _("no")
    return format_decimal(value, format="#,##0.##")


def _user_by_email(raw: str | None, field: str = "email"):
    if not (raw or "").strip():
        return None
    user = accounts.find_by_email(raw)
    if user is None:
        msg = _("No account with this e-mail.")
        raise ValidationError(msg, {field: msg})
    return user


@bp.route("/entitlements")
@login_required
def mine():
    return render_template("entitlements/mine.html", holdings=service.holdings_of(current_user),
                           entries_of=service.entries_of)


@bp.route("/entitlements/<int:holding_id>")
@login_required
def detail(holding_id):
    holding = service.get_holding(holding_id, current_user)
    return _render_detail(holding)


def _render_detail(holding, use_form=None, correction_form=None, status=200):
    return render_template("entitlements/detail.html", holding=holding, entries=service.entries_of(holding),
                           can_manage=service.can_manage(current_user), use_form=use_form or UseForm(formdata=None),
                           correction_form=correction_form or CorrectionForm(formdata=None)), status


def _grant_form(formdata=True):
    form = GrantForm() if formdata else GrantForm(formdata=None)
    sep = "; " if str(get_locale() or "zh")[:2] == "en" else "；"
    form.kind_id.choices = [(k.id, f"{k.name} {in_parens(f'{k.unit_label}{sep}{k.follows_label}')}")
                            for k in service.kinds()]
    return form


@bp.route("/entitlements/manage")
@role_required("moderator")
def manage(grant_form=None, status=200):
    email = (request.args.get("email") or "").strip() or None
    page = int_arg("page", 1, 99_999) or 1
    holdings, more = service.list_holdings(email, page)
    return render_template("entitlements/manage.html", holdings=holdings, more=more, page=page, email=email,
                           grant_form=grant_form or _grant_form(False), kinds=service.kinds(),
                           is_admin=service.can_define(current_user)), status


@bp.route("/entitlements/grant", methods=["POST"])
@role_required("moderator")
def grant():
    form = _grant_form()
    if form.validate_on_submit():
        try:
            kind = service.get_kind(form.kind_id.data)
            user = _user_by_email(form.email.data) if kind.follows == "owner" else None
            vehicle = None
            if kind.follows == "vehicle" and form.vehicle_id.data:
                vehicle = transfers.verified_vehicle(form.vehicle_id.data)
            entry = service.grant(current_user, kind, form.amount.data, form.source.data, user=user,
                                  vehicle=vehicle, note=form.note.data)
        except DomainError as err:
            if wants_json() and not isinstance(err, ValidationError):
                raise
            apply_errors(form, err)
        else:
            flash(_("Granted."), "success")
            return redirect(url_for("entitlements.detail", holding_id=entry.entitlement_id))
    return manage(grant_form=form, status=422)


@bp.route("/entitlements/<int:holding_id>/use", methods=["POST"])
@role_required("moderator")
def use(holding_id):
    holding = service.get_holding(holding_id, current_user)
    form = UseForm()
    if form.validate_on_submit():
        try:
            service.use(current_user, holding, form.amount.data, form.note.data)
        except DomainError as err:
            if wants_json():
                raise
            apply_errors(form, err)
        else:
            flash(_("Use recorded."), "success")
            return redirect(url_for("entitlements.detail", holding_id=holding.id))
    return _render_detail(holding, use_form=form, status=422)


@bp.route("/entitlements/entries/<int:entry_id>/correct", methods=["POST"])
@role_required("moderator")
def correct(entry_id):
    entry = service.get_entry(entry_id)
    form = CorrectionForm()
    if form.validate_on_submit():
        try:
            service.correct(current_user, entry, form.amount.data, form.note.data)
        except DomainError as err:
            if wants_json():
                raise
            apply_errors(form, err)
        else:
            flash(_("Correction added."), "success")
            return redirect(url_for("entitlements.detail", holding_id=entry.entitlement_id))
    return _render_detail(entry.entitlement, correction_form=form, status=422)


@bp.route("/entitlements/transfers", methods=["GET", "POST"])
@role_required("moderator")
def transfer():
    form = TransferForm()
    if form.validate_on_submit():
        try:
            vehicle = transfers.verified_vehicle(form.vehicle_id.data)
            done = transfers.transfer_vehicle(current_user, vehicle, _user_by_email(form.email.data), form.note.data)
        except DomainError as err:
            if wants_json() and not isinstance(err, ValidationError):
                raise
            apply_errors(form, err)
        else:
            flash(_("Transfer recorded; entitlements moved as shown in the ledger (transfer #%(id)d).", id=done.id),
                  "success")
            return redirect(url_for("entitlements.transfer"))
    status = 422 if request.method == "POST" else 200
    return render_template("entitlements/transfers.html", form=form, transfers=transfers.transfers()), status


@bp.route("/entitlements/kinds", methods=["GET", "POST"])
@role_required("admin")
def kinds():
    form = KindForm()
    if form.validate_on_submit():
        try:
            service.create_kind(current_user, form.code.data, form.name_zh.data, form.name_en.data, form.unit.data,
                                form.follows.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Entitlement kind defined."), "success")
            return redirect(url_for("entitlements.kinds"))
    status = 422 if request.method == "POST" else 200
    return render_template("entitlements/kinds.html", form=form, kinds=service.kinds()), status


@bp.route("/entitlements/ledger.csv")
@role_required("moderator")
def export():
    service.record_export(current_user)
    return csv_response(service.csv_lines(), "entitlement-ledger.csv")
