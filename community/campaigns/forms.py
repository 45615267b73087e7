from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from community.accounts.vehicles import HARDWARE, MODEL_YEARS, MODELS
from community.util import options


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class CampaignForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=120)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=120)])
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=20000)],
                                   description=_l("Markdown."))
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=20000)])
    # Text, not DecimalField: "12,800.00" is how people write prices; the service parses it exactly.
    price_cny = StringField(_l("Price per vehicle (CNY)"), validators=[InputRequired(), Length(max=20)],
                            description=_l("e.g. 12,800.00"))
    target = IntegerField(_l("Target (pledges)"), validators=[InputRequired(), NumberRange(min=1)])
    cap = IntegerField(_l("Cap (pledges, optional)"), validators=[Optional(), NumberRange(min=1)])
    opens_at = DateTimeLocalField(_l("Opens (Asia/Shanghai)"), format="%Y-%m-%dT%H:%M",
                                  validators=[InputRequired()])
    closes_on = DateField(_l("Last day (Asia/Shanghai, inclusive to 23:59:59)"), validators=[InputRequired()])
    models = MultiCheckboxField(_l("Models (none ticked: any)"), choices=options(MODELS))
    model_years = MultiCheckboxField(_l("Model years (none ticked: any)"), coerce=int,
                                     choices=options((y, str(y)) for y in MODEL_YEARS))
    hardware_required = MultiCheckboxField(_l("Hardware required"), choices=options(HARDWARE))
    hardware_excluded = MultiCheckboxField(_l("Hardware excluded (e.g. already upgraded)"),
                                           choices=options(HARDWARE))
    verified_only = BooleanField(_l("Verified vehicles only"), default=True)
    publish = BooleanField(_l("Publish now (otherwise saved as a draft)"))
    submit = SubmitField(_l("Create campaign"))


class PledgeForm(FlaskForm):
    vehicle_id = HiddenField(validators=[DataRequired()])


class ButtonForm(FlaskForm):
    """Empty: exists for its CSRF token (cancel pledge, publish)."""


class CancelCampaignForm(FlaskForm):
    reason = TextAreaField(_l("Public reason"), validators=[DataRequired(), Length(max=500)],
                           description=_l("Shown on the campaign page and the proposal's public timeline."))
    submit = SubmitField(_l("Cancel campaign"))
