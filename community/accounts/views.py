from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.exceptions import HTTPException

from community import drafts, storage
from community.accounts import bp, evidence, service
from community.accounts.forms import (
    EvidenceForm,
    LoginForm,
    PasswordForm,
    PreferencesForm,
    RegisterForm,
    ReviewVehicleForm,
    VehicleForm,
)
from community.accounts.models import Vehicle
from community.accounts.vehicles import HARDWARE
from community.errors import DomainError, NotFound
from community.extensions import csrf, db, limiter
from community.security import ROLE_LABELS, role_required, safe_next, same_origin_post
from community.util import apply_errors


@bp.app_template_filter("hardware_labels")
def hardware_labels(keys: list[str] | None) -> list[str]:
    """Stored hardware keys (``["lidar"]``) as labels in the viewer's language."""
    return [str(HARDWARE.get(k, k)) for k in keys or ()]


@bp.app_template_filter("role_label")
def role_label(role: str) -> str:
    """A stored role key (``council_member``) in the viewer's language."""
    return str(ROLE_LABELS.get(role, role))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_ADDRESS_RATE_LIMIT"], methods=["POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = service.register(form.email.data, form.display_name.data, form.password.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            login_user(user)
            flash(_("Welcome! Add your car to become a verified owner and vote."), "success")
            return redirect(url_for("accounts.vehicles"))
    return render_template("accounts/register.html", form=form), 422 if form.errors else 200


def _login_account_key() -> str:
    """The account a login attempt names, as the rate limiter's bucket: the normalised address, whether or
    not such an account exists, so the limit (and its 429) says nothing about which addresses are registered."""
    return "login-account:" + service.login_key(request.form.get("email", ""))


def _failed_login(response) -> bool:
    return response.status_code == 422


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ADDRESS_RATE_LIMIT"], methods=["POST"])
@limiter.limit(lambda: current_app.config["LOGIN_ACCOUNT_RATE_LIMIT"], methods=["POST"], key_func=_login_account_key,
               deduct_when=_failed_login)
def login():
    form = LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data, form.password.data)
        if user:
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(request.args.get("next"), url_for("proposals.index")))
        form.password.errors.append(_("E-mail or password is wrong."))
    return render_template("accounts/login.html", form=form), 422 if form.errors else 200


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        service.log_out_everywhere(current_user)
    logout_user()  # Flask-Login also clears the remember cookie on the response
    flash(_("You are logged out."), "info")
    response = redirect(url_for("proposals.index"))
    drafts.forget(response)
    return response


@bp.route("/settings", methods=["GET", "POST"])
@login_required
def settings():
    pw_form = PasswordForm(prefix="pw")
    pref_form = PreferencesForm(prefix="pref", obj=None)
    if request.method == "GET":
        pref_form.locale.data = current_user.locale or session.get("lang") or "zh"
        pref_form.timezone.data = current_user.timezone or current_app.config["DEFAULT_TIMEZONE"]
    if pw_form.submit.data and pw_form.validate_on_submit():
        try:
            service.change_password(current_user, pw_form.current_password.data, pw_form.new_password.data)
        except DomainError as err:
            apply_errors(pw_form, err)
        else:
            # Re-issue this session with the new token; every other session is now dead.
            login_user(current_user._get_current_object())
            flash(_("Password changed. Other sessions have been logged out."), "success")
            return redirect(url_for("accounts.settings"))
    elif pref_form.submit.data and pref_form.validate_on_submit():
        current_user.locale, current_user.timezone = pref_form.locale.data, pref_form.timezone.data
        session["lang"] = pref_form.locale.data
        db.session.commit()
        flash(_("Preferences saved."), "success")
        return redirect(url_for("accounts.settings"))
    status = 422 if (pw_form.errors or pref_form.errors) else 200
    return render_template("accounts/settings.html", pw_form=pw_form, pref_form=pref_form), status


@bp.route("/lang/<code>", methods=["POST"])
@csrf.exempt
def set_language(code):
    """Remember the language (session, and the account when logged in), then show the same page again.

    Anonymous pages carry no CSRF token (a reader gets no session cookie: the cached page is answered
    without one), so this form is checked here: a token when the form carries one (logged-in pages),
    else the browser's word that the post comes from our own pages (``same_origin_post``)."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        from flask_wtf.csrf import CSRFError, ValidationError, validate_csrf

        token = request.form.get("csrf_token")
        if token:
            try:
                validate_csrf(token)
            except ValidationError as e:
                raise CSRFError(e.args[0]) from None
        elif current_user.is_authenticated:
            raise CSRFError("The CSRF token is missing.")
        elif not same_origin_post():
            raise CSRFError("The request does not come from this site.")
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
        if current_user.is_authenticated:
            current_user.locale = code
            db.session.commit()
    return redirect(_same_page(request.form.get("next")))


def _same_page(target: str | None) -> str:
    """``target`` (a same-site path) without ``?lang=``, which would override the choice just made.

    Falls back to the proposal list when ``target`` is unsafe or does not answer GET (the switch was
    clicked on a page that re-rendered a failed POST, e.g. a moderator form).
    """
    default = url_for("proposals.index")
    parts = urlsplit(safe_next(target, default))
    try:
        current_app.create_url_adapter(request).match(parts.path, method="GET")
    except HTTPException:  # NotFound, MethodNotAllowed, RequestRedirect
        return default
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "lang"])
    return urlunsplit(("", "", parts.path, query, ""))


def _evidence_forms(only: int | None = None, form: EvidenceForm | None = None) -> dict[int, EvidenceForm]:
    """One proof form per car that may take proof: pending without open proof, or rejected."""
    forms = {}
    for v in current_user.vehicles:
        open_proof = v.latest_evidence is not None and v.latest_evidence.decision is None
        if v.status == "rejected" or (v.status == "pending" and not open_proof):
            forms[v.id] = form if (form is not None and v.id == only) else EvidenceForm(prefix=f"ev{v.id}",
                                                                                        formdata=None)
    return forms


def _upload(field) -> tuple[str, object] | None:
    data = field.data
    return (data.filename, data.stream) if data and getattr(data, "filename", "") else None


@bp.route("/vehicles", methods=["GET", "POST"])
@login_required
def vehicles():
    form = VehicleForm()
    if form.validate_on_submit():
        try:
            service.add_vehicle(current_user, form.model.data, form.model_year.data, form.hardware.data, form.vin.data,
                                evidence_kind=form.evidence_kind.data, evidence_file=_upload(form.evidence),
                                evidence_required=True)
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Vehicle added with its proof. A moderator will check it soon; we will tell you the result."),
                  "success")
            return redirect(url_for("accounts.vehicles"))
    return render_template("accounts/vehicles.html", form=form, evidence_forms=_evidence_forms(),
                           kind_labels=evidence.KIND_LABELS), 422 if form.errors else 200


@bp.route("/vehicles/<int:vehicle_id>/evidence", methods=["POST"])
@login_required
def send_evidence(vehicle_id):
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None or vehicle.owner_id != current_user.id:
        raise NotFound(_("No such vehicle."))
    form = EvidenceForm(prefix=f"ev{vehicle.id}")
    if form.validate_on_submit():
        try:
            evidence.submit(vehicle, current_user, form.evidence_kind.data, form.vin.data,
                            *(_upload(form.evidence) or ("", None)))
        except DomainError as err:
            apply_errors(form, err)
        else:
            flash(_("Proof received. A moderator will check it soon; we will tell you the result."), "success")
            return redirect(url_for("accounts.vehicles"))
    return render_template("accounts/vehicles.html", form=VehicleForm(formdata=None),
                           evidence_forms=_evidence_forms(vehicle.id, form), kind_labels=evidence.KIND_LABELS,
                           open_form=vehicle.id), 422


@bp.route("/moderation/vehicles")
@role_required("moderator")
def review_queue():
    pending = service.pending_vehicles()
    decoded = {v.id: evidence.decode_vin(v.latest_evidence.vin) for v in pending
               if v.latest_evidence is not None and v.latest_evidence.vin}
    return render_template("accounts/review_queue.html", vehicles=pending, decoded=decoded,
                           kind_labels=evidence.KIND_LABELS, form=ReviewVehicleForm())


@bp.route("/moderation/vehicles/evidence/<int:evidence_id>")
@login_required
def evidence_photo(evidence_id):
    """The proof's photo, for moderators only (404 to anyone else), streamed privately."""
    row = evidence.photo_for(evidence_id, current_user)
    try:
        return evidence.serve(row)
    except storage.MissingObject:
        raise NotFound(_("No such photo.")) from None


@bp.route("/moderation/vehicles/<int:vehicle_id>", methods=["POST"])
@role_required("moderator")
def review(vehicle_id):
    vehicle = db.session.get(Vehicle, vehicle_id)
    if vehicle is None:
        raise NotFound(_("No such vehicle."))
    form = ReviewVehicleForm()
    if form.validate_on_submit():
        try:
            service.review_vehicle(vehicle, current_user, approve=bool(form.verify.data), reason=form.reason.data)
        except DomainError as err:
            flash(err.message, "danger")
        else:
            flash(_("Vehicle verified. The owner is told.") if vehicle.is_verified
                  else _("Vehicle rejected. The owner is told, with your reason."), "success")
    else:
        flash(_("The form expired; please try again."), "danger")
    return redirect(url_for("accounts.review_queue"))
