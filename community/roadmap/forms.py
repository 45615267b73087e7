from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from community.accounts.vehicles import MODEL_YEARS, MODELS
from community.campaigns.forms import MultiCheckboxField
from community.roadmap.models import KINDS, STATES
from community.util import options


class ItemForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=120)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=120)])
    description_zh = TextAreaField(_l("Description (Chinese)"), validators=[Optional(), Length(max=20000)],
                                   description=_l("Markdown."))
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=20000)])
    kind = SelectField(_l("Kind"), choices=options(KINDS), validators=[InputRequired()])
    window = StringField(_l("Planned window"), validators=[InputRequired(), Length(max=20)],
                         description=_l("A quarter like 2026-Q1 or a month like 2026-03, never a day."))
    models = MultiCheckboxField(_l("Models (none ticked: every model)"), choices=options(MODELS))
    model_years = MultiCheckboxField(_l("Model years (none ticked: every year)"), coerce=int,
                                     choices=options((y, str(y)) for y in MODEL_YEARS))
    proposal_ids = StringField(_l("Linked proposals"), validators=[Optional(), Length(max=500)],
                               description=_l("Proposal numbers separated by commas, e.g. 12, 15."))
    submit = SubmitField(_l("Publish roadmap item"))


class StateForm(FlaskForm):
    state = SelectField(_l("New state"), choices=options(STATES), validators=[InputRequired()])
    window = StringField(_l("New window (optional; required when postponing)"),
                         validators=[Optional(), Length(max=20)])
    reason = TextAreaField(_l("Public reason (required when postponing or cancelling)"),
                           validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Change state"))


class LinksForm(FlaskForm):
    proposal_ids = StringField(_l("Linked proposals"), validators=[Optional(), Length(max=500)],
                               description=_l("Proposal numbers separated by commas, e.g. 12, 15."))
    submit = SubmitField(_l("Save links"))
