from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from community.entitlements.models import FOLLOWS, SOURCES, UNITS
from community.util import MAX_ID, options


class KindForm(FlaskForm):
    code = StringField(_l("Code"), validators=[InputRequired(), Length(max=40)],
                       description=_l("e.g. charging_credit"))
    name_zh = StringField(_l("Name (Chinese)"), validators=[InputRequired(), Length(max=80)])
    name_en = StringField(_l("Name (English)"), validators=[InputRequired(), Length(max=80)])
    unit = SelectField(_l("Unit"), choices=options(UNITS), validators=[InputRequired()])
    follows = SelectField(_l("When the car is sold"), choices=options(FOLLOWS), validators=[InputRequired()])
    submit = SubmitField(_l("Define kind"))


class GrantForm(FlaskForm):
    kind_id = SelectField(_l("Entitlement"), coerce=int, validators=[InputRequired()])
    email = StringField(_l("Owner's e-mail (entitlements that follow the owner)"),
                        validators=[Optional(), Length(max=254)])
    vehicle_id = IntegerField(_l("Vehicle number (entitlements that stay with the vehicle)"),
                              validators=[Optional(), NumberRange(min=1, max=MAX_ID)])
    amount = StringField(_l("Amount"), validators=[InputRequired(), Length(max=20)])
    source = SelectField(_l("Source"), choices=options(SOURCES), validators=[InputRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Grant"))


class UseForm(FlaskForm):
    amount = StringField(_l("Amount used"), validators=[InputRequired(), Length(max=20)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record use"))


class CorrectionForm(FlaskForm):
    amount = StringField(_l("Correction (+ or -)"), validators=[InputRequired(), Length(max=20)])
    note = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("Add correction"))


class TransferForm(FlaskForm):
    vehicle_id = IntegerField(_l("Vehicle number (the seller's verified car)"),
                              validators=[InputRequired(), NumberRange(min=1, max=MAX_ID)])
    email = StringField(_l("New owner's e-mail (empty: not on the platform)"), validators=[Optional(), Length(max=254)])
    note = StringField(_l("Note (documents checked)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Record verified transfer"))
