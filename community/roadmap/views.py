from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.accounts.vehicles import MODELS
from community.errors import DomainError, ValidationError, wants_json
from community.roadmap import bp, service
from community.roadmap.forms import ItemForm, LinksForm, StateForm
from community.roadmap.models import STATES
from community.security import role_required
from community.util import apply_errors


@bp.app_template_global("proposal_roadmap_items")
def proposal_roadmap_items(proposal_id: int):
    """Roadmap items linked to a proposal, for its detail page."""
    return service.for_proposal(proposal_id)


@bp.app_template_filter("roadmap_window")
def roadmap_window(key: str | None) -> str:
    return service.window_label(key)


@bp.route("/roadmap")
def index():
    model = request.args.get("model") if request.args.get("model") in MODELS else None
    mine = request.args.get("mine") == "1" and current_user.is_authenticated
    vehicles = service.verified_vehicles(current_user)
    groups = service.list_by_quarter(model, vehicles if mine else None)
    return render_template("roadmap/index.html", groups=groups, model=model, models=MODELS, mine=mine,
                           vehicles=vehicles, affects_any=service.affects_any,
                           can_manage=service.can_manage(current_user))


@bp.route("/roadmap/<int:item_id>")
def detail(item_id):
    item = service.get_item(item_id)
    return _render_detail(item)


def _render_detail(item, state_form=None, links_form=None, status=200):
    if links_form is None:
        links_form = LinksForm(formdata=None, proposal_ids=", ".join(str(link.proposal_id) for link in item.links))
    state_form = state_form or StateForm(formdata=None)
    state_form.state.choices = [(s, STATES[s]) for s in service.TRANSITIONS[item.state]]
    return render_template("roadmap/detail.html", item=item, proposals=service.visible_proposals(item),
                           vehicles=service.verified_vehicles(current_user), affects_any=service.affects_any,
                           can_manage=service.can_manage(current_user), state_form=state_form,
                           links_form=links_form), status


@bp.route("/roadmap/new", methods=["GET", "POST"])
@role_required("moderator")
def new():
    form = ItemForm()
    if form.validate_on_submit():
        try:
            data = service.ItemInput(
                title_zh=form.title_zh.data, title_en=form.title_en.data, description_zh=form.description_zh.data,
                description_en=form.description_en.data, kind=form.kind.data, window=form.window.data,
                models=form.models.data, model_years=form.model_years.data,
                proposal_ids=service.parse_ids(form.proposal_ids.data))
            item = service.create_item(current_user, data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Roadmap item published."), "success")
            return redirect(url_for("roadmap.detail", item_id=item.id))
    return render_template("roadmap/new.html", form=form), 422 if form.errors or form.form_errors else 200


@bp.route("/roadmap/<int:item_id>/state", methods=["POST"])
@role_required("moderator")
def change_state(item_id):
    item = service.get_item(item_id)
    form = StateForm()
    form.state.choices = [(s, STATES[s]) for s in STATES]
    if form.validate_on_submit():
        try:
            service.change_state(item, current_user, form.state.data, form.reason.data, form.window.data)
        except ValidationError as err:
            apply_errors(form, err)
        except DomainError as err:
            if wants_json():
                raise
            flash(err.message, "warning")
            return redirect(url_for("roadmap.detail", item_id=item.id))
        else:
            flash(_("State changed."), "success")
            return redirect(url_for("roadmap.detail", item_id=item.id))
    return _render_detail(item, state_form=form, status=422)


@bp.route("/roadmap/<int:item_id>/links", methods=["POST"])
@role_required("moderator")
def links(item_id):
    item = service.get_item(item_id)
    form = LinksForm()
    if form.validate_on_submit():
        try:
            service.set_links(item, current_user, service.parse_ids(form.proposal_ids.data))
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Links saved."), "success")
            return redirect(url_for("roadmap.detail", item_id=item.id))
    return _render_detail(item, links_form=form, status=422)
