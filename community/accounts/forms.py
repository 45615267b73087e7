from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, EqualTo, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from community.accounts.evidence import KIND_LABELS
from community.accounts.service import MIN_PASSWORD
from community.accounts.vehicles import HARDWARE, MODEL_YEARS, MODELS
from community.util import options


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class RegisterForm(FlaskForm):
    # Stripped: a space pasted along with the address must not make it "invalid".
    email = StringField(_l("E-mail"), validators=[DataRequired(), Email(), Length(max=254)], filters=[_strip])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)])
    confirm = PasswordField(_l("Repeat password"),
                            validators=[DataRequired(), EqualTo("password", _l("Passwords do not match."))])
    submit = SubmitField(_l("Create account"))


class LoginForm(FlaskForm):
    email = StringField(_l("E-mail"), validators=[DataRequired(), Length(max=254)], filters=[_strip])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Log in"))


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD, max=200)])
    confirm = PasswordField(_l("Repeat new password"),
                            validators=[DataRequired(), EqualTo("new_password", _l("Passwords do not match."))])
    submit = SubmitField(_l("Change password"))


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=options([("zh", "中文"), ("en", "English")]))
    timezone = SelectField(_l("Time zone"), choices=options((z, z) for z in (
        "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Singapore", "Asia/Tokyo", "Europe/Amsterdam", "Europe/London",
        "Europe/Stockholm", "America/Los_Angeles", "America/New_York", "UTC")))
    submit = SubmitField(_l("Save preferences"))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class VehicleForm(FlaskForm):
    model = SelectField(_l("Model"), choices=options(MODELS))
    model_year = IntegerField(_l("Model year"),
                              validators=[DataRequired(), NumberRange(MODEL_YEARS[0], MODEL_YEARS[-1])])
    hardware = MultiCheckboxField(_l("Hardware"), choices=options(HARDWARE), validators=[Optional()])
    # Up to 25 typed characters: the spaces people type between groups are dropped before the 17 are checked.
    vin = StringField(_l("VIN"), validators=[DataRequired(),
                                             Length(min=17, max=25, message=_l("A VIN has exactly 17 characters."))],
                      description=_l("17 characters, on the windscreen and your registration certificate."))
    # Checked by the service (community.accounts.evidence), which names the field in its errors.
    evidence_kind = RadioField(_l("Proof of ownership"), choices=options(KIND_LABELS),
                               validators=[Optional()], validate_choice=False)
    evidence = FileField(_l("Photo of the proof"), render_kw={"accept": "image/jpeg,image/png"},
                         description=_l("A JPEG or PNG photo, at most 5 MB, where the VIN can be read. Only "
                                        "moderators see it; it is deleted some days after their decision."))
    submit = SubmitField(_l("Add vehicle"))


class EvidenceForm(FlaskForm):
    """Proof for a car already added (pending without proof, or rejected); prefixed per car on the page."""

    evidence_kind = RadioField(_l("Proof of ownership"), choices=options(KIND_LABELS),
                               validators=[Optional()], validate_choice=False)
    vin = StringField(_l("VIN"), validators=[DataRequired(), Length(min=17, max=25,
                                                                    message=_l("A VIN has exactly 17 characters."))],
                      description=_l("The car's full VIN again, so we know the photo belongs to it."))
    evidence = FileField(_l("Photo of the proof"), render_kw={"accept": "image/jpeg,image/png"},
                         description=_l("A JPEG or PNG photo, at most 5 MB, where the VIN can be read."))
    submit = SubmitField(_l("Send proof"))


class ReviewVehicleForm(FlaskForm):
    reason = TextAreaField(_l("Reason (required to reject)"), validators=[Optional(), Length(max=500)])
    verify = SubmitField(_l("Verify"))
    reject = SubmitField(_l("Reject"))
