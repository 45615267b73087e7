from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_required

from community.errors import DomainError, wants_json
from community.extensions import limiter
from community.moderation import bp, duplicates, service
from community.moderation.forms import FlagForm, MergeForm, ReasonForm
from community.moderation.targets import TARGETS, get_target
from community.security import role_required, safe_next
from community.util import apply_errors


@bp.app_context_processor
def _moderation_helpers():
    return {"can_flag": service.can_flag, "moderation_reason_form": ReasonForm}


@bp.route("/report/<target_type>/<int:target_id>", methods=["GET", "POST"])
@login_required
@limiter.limit("30 per hour", methods=["POST"])
def flag(target_type, target_id):
    """Report a proposal, comment or any registered kind of content (HTML form or JSON)."""
    target = get_target(target_type)
    obj = target.load(target_id)
    if target.is_hidden(obj) or not target.can_see(current_user, obj):
        abort(404)
    form = FlagForm()
    back = safe_next(request.values.get("next"), target.url(obj) or url_for("proposals.index"))
    if form.validate_on_submit():
        try:
            service.flag(current_user, target_type, target_id, form.reason.data)
        except DomainError as err:
            if wants_json():
                raise
            apply_errors(form, err)
        else:
            if wants_json():
                return jsonify(ok=True), 201
            flash(_("Thank you. A moderator will look at it."), "success")
            return redirect(back)
    elif wants_json() and request.method == "POST":
        return jsonify(error={"code": "validation_failed", "message": _("Give a reason."),
                              "fields": {k: v[0] for k, v in form.errors.items()}}), 422
    return render_template("moderation/flag.html", form=form, label=target.label, excerpt=target.describe(obj),
                           back=back), 422 if form.errors or form.form_errors else 200


@bp.route("/moderation")
@role_required("moderator")
def queue():
    return render_template("moderation/queue.html", entries=service.open_queue(current_user), form=ReasonForm())


def _act(action, success):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "warning")
    else:
        try:
            action(form.reason.data)
        except DomainError as err:
            if wants_json():
                raise
            flash(err.message, "warning")
        else:
            if wants_json():
                return jsonify(ok=True)
            flash(success, "success")
    return redirect(safe_next(request.form.get("next"), url_for("moderation.queue")))


@bp.route("/moderation/<target_type>/<int:target_id>/hide", methods=["POST"])
@role_required("moderator")
def hide(target_type, target_id):
    return _act(lambda r: service.set_hidden(current_user, target_type, target_id, True, r),
                _("Hidden. It no longer appears anywhere public."))


@bp.route("/moderation/<target_type>/<int:target_id>/restore", methods=["POST"])
@role_required("moderator")
def restore(target_type, target_id):
    return _act(lambda r: service.set_hidden(current_user, target_type, target_id, False, r),
                _("Restored."))


@bp.route("/moderation/<target_type>/<int:target_id>/dismiss", methods=["POST"])
@role_required("moderator")
def dismiss(target_type, target_id):
    return _act(lambda r: service.dismiss(current_user, target_type, target_id, r),
                _("Reports dismissed."))


@bp.route("/moderation/hidden")
@role_required("moderator")
def hidden():
    items = service.hidden_items(current_user)
    return render_template("moderation/hidden.html", items=items, form=ReasonForm(), reason=service.hide_reason,
                           targets=TARGETS)


@bp.route("/moderation/users")
@role_required("moderator")
def users():
    q = (request.args.get("q") or "").strip()[:100]
    return render_template("moderation/users.html", users=service.find_users(current_user, q), q=q,
                           form=ReasonForm())


def _user_action(user_id, action, success):
    user = service.get_user(user_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        flash(_("Give a reason."), "warning")
    else:
        try:
            result = action(user, form.reason.data)
        except DomainError as err:
            if wants_json():
                raise
            flash(err.message, "warning")
        else:
            if wants_json():
                return jsonify(ok=True, result=result if isinstance(result, int) else None)
            flash(success(result), "success")
    return redirect(url_for("moderation.users", q=user.email))


@bp.route("/moderation/users/<int:user_id>/block", methods=["POST"])
@role_required("moderator")
def block(user_id):
    return _user_action(user_id, lambda u, r: service.set_blocked(current_user, u, True, r),
                        lambda _u: _("User blocked."))


@bp.route("/moderation/users/<int:user_id>/unblock", methods=["POST"])
@role_required("moderator")
def unblock(user_id):
    def act(user, reason):
        before = user.display_name
        service.set_blocked(current_user, user, False, reason)
        return (before, user.display_name)

    def said(names):
        if names[0] == names[1]:
            return _("User unblocked.")
        return _("User unblocked. Another active user now has their display name, so they are shown as "
                 "“%(name)s”.", name=names[1])

    return _user_action(user_id, act, said)


@bp.route("/moderation/users/<int:user_id>/remove-votes", methods=["POST"])
@role_required("moderator")
def remove_votes(user_id):
    return _user_action(user_id, lambda u, r: service.remove_votes(current_user, u, r),
                        lambda n: ngettext("%(num)d vote removed; counts recounted.",
                                                  "%(num)d votes removed; counts recounted.", n))


@bp.route("/moderation/proposals/<int:proposal_id>/merge", methods=["GET", "POST"])
@role_required("moderator")
def merge(proposal_id):
    duplicate = get_target("proposal").load(proposal_id)
    form = MergeForm()
    if form.validate_on_submit():
        try:
            result = service.merge(current_user, duplicate.id, form.original_id.data, form.reason.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Merged: %(moved)d supporters moved, %(already)d had already voted for the original.",
                    moved=result["moved"], already=result["already"]), "success")
            return redirect(url_for("proposals.detail", proposal_id=form.original_id.data))
    return render_template("moderation/merge.html", form=form, duplicate=duplicate), \
        422 if form.errors or form.form_errors else 200


@bp.route("/proposals/similar")
@limiter.limit("60 per minute")
def similar():
    """JSON: the 5 visible proposals most like a draft (``?title=&body=``), for the new-proposal page.

    A read-only GET (no CSRF needed); logged-in users only (401 JSON otherwise), rate-limited.
    """
    if not current_user.is_authenticated:
        abort(401)
    title = (request.args.get("title") or "")[:200]
    body = (request.args.get("body") or "")[:5000]
    items = duplicates.similar(title, body)
    return jsonify(items=[{"id": p.id, "title": p.title, "status": p.status, "status_label": p.status_label,
                           "vote_count": p.vote_count, "score": score,
                           "url": url_for("proposals.detail", proposal_id=p.id)} for p, score in items])
