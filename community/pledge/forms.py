from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from community.pledge.service import MAX_SLA_HOURS


class TeamEditForm(FlaskForm):
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=60)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=60)])
    is_active = BooleanField(_l("Active (receives feedback)"))
    submit = SubmitField(_l("Save team"))


class AgentForm(FlaskForm):
    email = StringField(_l("Agent's e-mail"), validators=[DataRequired(), Length(max=254)])
    submit = SubmitField(_l("Add agent"))


class PledgeItemForm(FlaskForm):
    team_id = SelectField(_l("Owning team"), coerce=int)
    text_zh = TextAreaField(_l("Promise (Chinese)"), validators=[DataRequired(), Length(max=500)])
    text_en = TextAreaField(_l("Promise (English)"), validators=[DataRequired(), Length(max=500)])
    first_response_hours = IntegerField(_l("First response within (hours)"),
                                        validators=[DataRequired(), NumberRange(1, MAX_SLA_HOURS)])
    resolution_hours = IntegerField(_l("Resolution within (hours)"),
                                    validators=[DataRequired(), NumberRange(1, MAX_SLA_HOURS)])
    position = IntegerField(_l("Order"), default=0, validators=[NumberRange(0, 1000)])
    is_active = BooleanField(_l("Published"), default=True)
    submit = SubmitField(_l("Save promise"))


class RemoveForm(FlaskForm):
    """Empty: exists for its CSRF token."""
