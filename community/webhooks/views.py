"""Admins' webhook settings: endpoints, their delivery logs, manual redelivery."""
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from community.errors import DomainError
from community.security import role_required
from community.util import apply_errors, int_arg
from community.webhooks import bp, delivery, service
from community.webhooks.forms import ConfirmForm, EndpointForm


@bp.route("", methods=["GET", "POST"])
@role_required("admin")
def index():
    form, secret = EndpointForm(), None
    if form.validate_on_submit():
        try:
            endpoint = service.create_endpoint(current_user, form.url.data, form.event_types.data,
                                               form.description.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            secret = endpoint.secret  # shown in this response only, never flashed (flashes live in the cookie)
            form = EndpointForm(formdata=None)
    endpoints = service.endpoints()
    status = 422 if form.errors or form.form_errors else 200
    return render_template("webhooks/index.html", form=form, secret=secret, endpoints=endpoints,
                           counts=delivery.counts([e.id for e in endpoints]),
                           replay_window=service.replay_window()), status


@bp.route("/<int:endpoint_id>", methods=["GET", "POST"])
@role_required("admin")
def endpoint(endpoint_id):
    ep = service.get_endpoint(current_user, endpoint_id)
    form = EndpointForm(obj=ep) if request.method == "POST" else EndpointForm(formdata=None, obj=ep)
    if request.method == "GET":
        form.active.data = ep.is_active
    if request.method == "POST" and form.validate_on_submit():
        try:
            service.update_endpoint(current_user, ep, form.url.data, form.event_types.data, form.description.data,
                                    form.active.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Endpoint saved."), "success")
            return redirect(url_for("webhooks.endpoint", endpoint_id=ep.id))
    rows, next_before = service.delivery_log(ep, int_arg("before"))
    status = 422 if form.errors or form.form_errors else 200
    return render_template("webhooks/endpoint.html", endpoint=ep, form=form, deliveries=rows,
                           next_before=next_before, confirm=ConfirmForm()), status


@bp.route("/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver", methods=["POST"])
@role_required("admin")
def redeliver(endpoint_id, delivery_id):
    ep = service.get_endpoint(current_user, endpoint_id)
    if ConfirmForm().validate_on_submit():
        service.redeliver(current_user, service.get_delivery(current_user, ep, delivery_id))
        flash(_("Queued for delivery again."), "success")
    return redirect(url_for("webhooks.endpoint", endpoint_id=ep.id))


@bp.route("/<int:endpoint_id>/delete", methods=["POST"])
@role_required("admin")
def delete(endpoint_id):
    ep = service.get_endpoint(current_user, endpoint_id)
    if ConfirmForm().validate_on_submit():
        service.delete_endpoint(current_user, ep)
        flash(_("Endpoint removed."), "success")
    return redirect(url_for("webhooks.index"))
