from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    DateTimeLocalField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from community.council.models import DECISIONS, SEATS
from community.council.service import MAX_NOTE
from community.council.sessions import MAX_MINUTES
from community.util import MAX_ID, options


class AppointForm(FlaskForm):
    email = StringField(_l("Member's e-mail"), validators=[DataRequired(), Email(), Length(max=254)])
    region = StringField(_l("Region"), validators=[DataRequired(), Length(max=60)],
                         description=_l("e.g. East China, Yunnan, Overseas"))
    seat = SelectField(_l("Seat"), choices=options(SEATS))
    first_day = DateField(_l("First day of the term"), validators=[DataRequired()])
    last_day = DateField(_l("Last day of the term (inclusive)"), validators=[DataRequired()])
    submit = SubmitField(_l("Appoint"))


class EndTermForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])
    submit = SubmitField(_l("End term now"))


class _MultiCheckbox(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SessionForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    starts_at = DateTimeLocalField(_l("Date and time (your time zone)"), format="%Y-%m-%dT%H:%M",
                                   validators=[DataRequired()])
    place = StringField(_l("Place"), validators=[Optional(), Length(max=200)])
    online_url = StringField(_l("Online link"), validators=[Optional(), Length(max=500)])
    guests = StringField(_l("Other attendees (company, guests)"), validators=[Optional(), Length(max=500)])
    submit = SubmitField(_l("Save session"))


class SessionEditForm(SessionForm):
    attendees = _MultiCheckbox(_l("Council members present"), coerce=int, validators=[Optional()])
    minutes = TextAreaField(_l("Minutes"), validators=[Optional(), Length(max=MAX_MINUTES)],
                            description=_l("Markdown: **bold**, lists, links."))


class AgendaForm(FlaskForm):
    proposal_id = IntegerField(_l("Proposal number"), validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])
    session_id = SelectField(_l("Session"), coerce=int)
    submit = SubmitField(_l("Put on the agenda"))


class DecisionForm(FlaskForm):
    decision = SelectField(_l("Decision"), choices=options(DECISIONS))
    text = TextAreaField(_l("Decision text"), validators=[DataRequired(), Length(max=5000)])
    submit = SubmitField(_l("Record decision"))


class NoteForm(FlaskForm):
    body = TextAreaField(_l("Internal note"), validators=[DataRequired(), Length(max=MAX_NOTE)],
                         description=_l("Only council members and moderators see this."))
    submit = SubmitField(_l("Add note"))


class ConfirmForm(FlaskForm):
    """Empty: exists for its CSRF token."""
