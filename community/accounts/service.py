"""Account and vehicle rules, shared by the web pages, the API and the CLI. No request, no flash."""
from __future__ import annotations

import secrets

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from community import events
from community.accounts import evidence
from community.accounts.identity import MAX_KEY, display_form, identity_key, mixed_script_part
from community.accounts.models import User, UserRole, Vehicle
from community.accounts.vehicles import HARDWARE, MODEL_YEARS, MODELS, normalise_vin, vin_hash, vin_problem
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import Conflict, NotFound, PermissionDenied, ValidationError
from community.extensions import db
from community.security import ROLES

MIN_PASSWORD = 10


def normalise_email(raw: str) -> str:
    """Lower-cased, IDNA-normalised address. Raises ValidationError(fields={"email"}) if malformed."""
    try:
        info = validate_email((raw or "").strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValidationError(_("Enter a valid e-mail address."), {"email": str(exc)}) from exc
    return info.normalized.lower()


def _check_password(password: str, field: str = "password") -> None:
    if len(password or "") < MIN_PASSWORD:
        raise ValidationError(_("Use at least %(n)d characters.", n=MIN_PASSWORD),
                              {field: _("Use at least %(n)d characters.", n=MIN_PASSWORD)})


def _email_taken_message() -> str:
    return _("An account with this e-mail already exists.")


def email_taken(email: str) -> bool:
    """Whether an account's address looks like ``email`` (the same identity key, see accounts.identity)."""
    return db.session.scalar(select(exists().where(User.email_skeleton == identity_key(email))))


def display_name_taken(name: str, except_user_id: int | None = None) -> bool:
    """Whether an active (not blocked) user other than ``except_user_id`` has a name that looks like ``name``."""
    query = exists().where(User.name_skeleton == identity_key(display_form(name)), User.is_blocked.is_(False))
    if except_user_id is not None:
        query = query.where(User.id != except_user_id)
    return db.session.scalar(select(query))


def _display_name_taken_error() -> Conflict:
    msg = _("Someone already uses this display name, or one that looks the same. Choose another.")
    return Conflict(msg, {"display_name": msg})


def check_new_identity(email: str, display_name: str) -> tuple[str, str]:
    """(normalised e-mail, display name as stored) for a new account, or the error to show.

    Raises ValidationError (malformed; a part of the address mixing scripts; a name out of length) or
    Conflict: the address or an active user's display name looks like an existing one (NFKC, case and
    Unicode confusables, per TS #39). A look-alike of a registered address gets the very message a plain
    duplicate gets, so it tells no more than registering the address itself would.
    """
    email = normalise_email(email)
    display_name = display_form(display_name)
    # A key over MAX_KEY comes only from characters NFKC expands many times over (U+FDFA is 18 letters).
    if not 1 <= len(display_name) <= 60 or len(identity_key(display_name)) > MAX_KEY:
        raise ValidationError(_("Display name is required (at most 60 characters)."),
                              {"display_name": _("Display name is required (at most 60 characters).")})
    if len(identity_key(email)) > MAX_KEY:
        raise ValidationError(_("Enter a valid e-mail address."), {"email": _("Enter a valid e-mail address.")})
    if email_taken(email):
        raise Conflict(_email_taken_message(), {"email": _email_taken_message()})
    part = mixed_script_part(email)
    if part is not None:
        msg = _("“%(part)s” mixes letters of different scripts (for example Latin and Cyrillic). "
                "Type the address with one script in each part.", part=part)
        raise ValidationError(msg, {"email": msg})
    if display_name_taken(display_name):
        raise _display_name_taken_error()
    return email, display_name


def register(email: str, display_name: str, password: str, roles: tuple[str, ...] = ()) -> User:
    """Create and commit a user. Raises ValidationError (bad fields) or Conflict (e-mail or display name
    taken, also by a look-alike: see ``check_new_identity``)."""
    email, display_name = check_new_identity(email, display_name)
    _check_password(password)
    bad = set(roles) - set(ROLES)
    if bad:
        raise ValidationError(_("Unknown role: %(r)s", r=", ".join(sorted(bad))))
    user = User(email=email, display_name=display_name, session_token=secrets.token_hex(16))
    user.set_password(password)
    user.roles = [UserRole(role=r) for r in sorted(set(roles))]
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError as exc:  # the unique indexes decide, also under a race
        db.session.rollback()
        if email_taken(email):
            raise Conflict(_email_taken_message(), {"email": _email_taken_message()}) from exc
        raise _display_name_taken_error() from exc
    return user


def free_display_name(user: User) -> str:
    """``user``'s display name, or, when an active user now has one that looks the same, the name with
    `` #<id>`` appended (cut to fit 60 characters): what a returning (unblocked) user is called."""
    name = user.display_name
    if not display_name_taken(name, except_user_id=user.id):
        return name
    suffix = f" #{user.id}"
    return name[:60 - len(suffix)].rstrip() + suffix


def login_key(raw_email: str) -> str:
    """The form of an address that login throttling counts by: normalised when valid, else lower-cased as typed
    (bounded), so ``John@Example.com`` and ``john@example.com`` share one bucket."""
    try:
        return normalise_email(raw_email)
    except ValidationError:
        return (raw_email or "").strip().lower()[:254]


def authenticate(email: str, password: str) -> User | None:
    """The user for these credentials, or None. Blocked users may still log in (to read), not act."""
    try:
        email = normalise_email(email)
    except ValidationError:
        return None
    user = User.query.filter_by(email=email).first()
    if user is None or not user.check_password(password or ""):
        return None
    return user


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password and rotate the session token, which logs out every other session."""
    if not user.check_password(current or ""):
        raise ValidationError(_("Current password is wrong."), {"current_password": _("Current password is wrong.")})
    _check_password(new, "new_password")
    user.set_password(new)
    rotate_session(user)
    db.session.commit()


def log_out_everywhere(user: User) -> None:
    """End every session and remember-me cookie of ``user``, including copies of them; commits.

    Flask's session lives in a signed cookie, so clearing it in one browser does not stop a copy
    taken earlier; only changing the token the cookies carry does.
    """
    rotate_session(user)
    db.session.commit()


def rotate_session(user: User) -> None:
    """Invalidate every session and remember-me cookie issued so far (caller commits)."""
    user.session_token = secrets.token_hex(16)


def grant_role(user: User, role: str, actor: User | None = None) -> None:
    """Give ``user`` a stored role (idempotent) and audit it; commits."""
    if role not in ROLES:
        raise ValidationError(_("Unknown role: %(r)s", r=role))
    if role not in user.role_names:
        before = sorted(user.role_names)
        user.roles.append(UserRole(role=role))
        audit.record(actor, "role.grant", "user", user.id, {"roles": before}, {"roles": sorted(user.role_names)})
        db.session.commit()


def revoke_role(user: User, role: str, actor: User | None = None) -> None:
    if role in user.role_names:
        before = sorted(user.role_names)
        user.roles = [r for r in user.roles if r.role != role]
        audit.record(actor, "role.revoke", "user", user.id, {"roles": before}, {"roles": sorted(user.role_names)})
        db.session.commit()


def add_vehicle(user: User, model: str, model_year: int, hardware: list[str], vin: str,
                evidence_kind: str | None = None, evidence_file: tuple[str, object] | None = None,
                evidence_required: bool = False) -> Vehicle:
    """Claim a vehicle (status pending until a moderator verifies it), with its proof when given; commits.

    ``evidence_file`` is ``(file name, binary stream)`` of a photo of the vehicle licence or purchase
    invoice, ``evidence_kind`` says which (``licence``/``invoice``); the web form requires them
    (``evidence_required``), the API may send the proof later. Raises ValidationError for an unknown
    model/year/hardware, an invalid VIN or a refused photo (every field at once), Conflict when the VIN
    is already claimed and not rejected (enforced by a partial unique index).
    """
    errors = {}
    if model not in MODELS:
        errors["model"] = _("Choose a model from the list.")
    if model_year not in MODEL_YEARS:
        errors["model_year"] = _("Choose a model year from the list.")
    if set(hardware) - set(HARDWARE):
        errors["hardware"] = _("Unknown hardware option.")
    vin = normalise_vin(vin)
    problem = vin_problem(vin)
    if problem:
        errors["vin"] = problem
    image = None
    if evidence_required or evidence_file is not None:
        errors.update(evidence.check_kind(evidence_kind))
        try:
            image = evidence.clean_photo(*(evidence_file or ("", None)))
        except ValidationError as err:
            errors.update(err.fields)
    if errors:
        raise ValidationError(_("Please correct the highlighted fields."), errors)
    vehicle = Vehicle(owner=user, model=model, model_year=model_year, hardware=sorted(set(hardware)),
                      vin_hash=vin_hash(vin), vin_prefix=vin[:2], vin_last4=vin[-4:])
    db.session.add(vehicle)
    proof = evidence.attach(vehicle, evidence_kind, image, vin) if image is not None else None
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if proof is not None:
            evidence.discard(proof)
        msg = _("This VIN is already registered. Contact a moderator if it is yours.")
        raise Conflict(msg, {"vin": msg}) from exc
    return vehicle


def review_vehicle(vehicle: Vehicle, actor: User, approve: bool, reason: str = "") -> Vehicle:
    """Verify or reject a claimed vehicle; rejection needs a reason shown to the owner. Audited; commits.

    The proof under review gets the decision (its photo is deleted ``VEHICLE_EVIDENCE_DAYS`` later); the
    audit entry names the outcome, the reason and the kind of proof, never the photo. The owner is told
    through the ``vehicle.verified``/``vehicle.rejected`` events (community.notifications listens).
    Verifying moves the owner's entitlements that wait for a car onto this one (community.entitlements).
    Raises PermissionDenied, ValidationError (no reason), Conflict (VIN clash; a transferred vehicle).
    """
    if not actor.has_role("moderator"):
        raise PermissionDenied(_("Only moderators review vehicles."))
    if vehicle.status == "transferred":  # a sold car's row is history; its next owner has a row of their own
        raise Conflict(_("This vehicle was transferred to a new owner; its record is kept as it is."))
    reason = (reason or "").strip()
    if not approve and not reason:
        raise ValidationError(_("Give the owner a reason for the rejection."), {"reason": _("A reason is required.")})
    now = utcnow()
    before = {"status": vehicle.status}
    vehicle.status = "verified" if approve else "rejected"
    vehicle.reject_reason = None if approve else reason[:500]
    vehicle.reviewed_by_id, vehicle.reviewed_at = actor.id, now
    proof = evidence.mark_decided(vehicle, vehicle.status, now)
    after = {"status": vehicle.status}
    if proof is not None:
        after.update(evidence_id=proof.id, evidence_kind=proof.kind)
    audit.record(actor, "vehicle.verify" if approve else "vehicle.reject", "vehicle", vehicle.id,
                 before, after, reason or None)
    try:
        if approve:  # entitlements waiting for the owner's next car move onto this one, in this transaction
            from community.entitlements.transfers import carry_to  # entitlements builds on accounts

            db.session.flush()
            carry_to(vehicle.owner, vehicle, actor)
        else:
            db.session.flush()
        events.emit("vehicle.verified" if approve else "vehicle.rejected", vehicle)
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("Another live claim uses this VIN.")) from exc
    return vehicle


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("No such user."))
    return user


def find_by_email(raw: str) -> User | None:
    """The user with this e-mail (normalised as at registration), or None. Raises ValidationError if malformed."""
    return User.query.filter_by(email=normalise_email(raw)).first()


def pending_vehicles(limit: int = 100) -> list[Vehicle]:
    """Cars waiting for a moderator, oldest first, with their proof loaded."""
    return Vehicle.query.filter_by(status="pending").order_by(Vehicle.id).limit(limit).all()
