from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import InputRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from community.events import TYPES
from community.util import options


class EndpointForm(FlaskForm):
    url = StringField(_l("Receiver URL (http or https)"), validators=[InputRequired(), Length(max=500)])
    description = StringField(_l("Description"), validators=[Optional(), Length(max=200)])
    event_types = SelectMultipleField(_l("Event types"), choices=options((t, t) for t in TYPES),
                                      widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save endpoint"))


class ConfirmForm(FlaskForm):
    """Empty: exists for its CSRF token (redeliver, delete)."""
