from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from community.feedback.models import CHANNELS, MAX_TEXT
from community.feedback.service import MAX_REPLY
from community.submissions import SubmitOnceForm
from community.util import options


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") else None


class FeedbackForm(SubmitOnceForm):
    text = TextAreaField(_l("Your feedback"), validators=[DataRequired(), Length(max=MAX_TEXT)],
                         render_kw={"rows": 6},
                         description=_l("What happened, where and when. Chinese or English; at most 5,000 characters."))
    channel = SelectField(_l("Where are you telling us this?"), choices=options(CHANNELS), default="web")
    vehicle_id = SelectField(_l("Which car (optional)"), coerce=_int_or_none, validators=[Optional()])
    contact = StringField(_l("Phone or e-mail for our answer"), validators=[Optional(), Length(max=200)])
    submit = SubmitField(_l("Send feedback"))


class ReplyForm(FlaskForm):
    body = TextAreaField(_l("Public reply to the owner"), validators=[DataRequired(), Length(max=MAX_REPLY)],
                         render_kw={"rows": 3})
    submit = SubmitField(_l("Send reply"))


class ResolveForm(FlaskForm):
    note = TextAreaField(_l("Resolution note (shown to the owner)"),
                         validators=[DataRequired(), Length(max=MAX_REPLY)], render_kw={"rows": 3})
    submit = SubmitField(_l("Mark resolved"))


class TeamForm(FlaskForm):
    team = SelectField(_l("Team"), validators=[DataRequired()])
    submit = SubmitField(_l("Reassign"))


class ActionForm(FlaskForm):
    """Empty: exists for its CSRF token (start work, one-click triage buttons)."""


class RouterActivateForm(FlaskForm):
    """Make one router model version the one that serves (admin page)."""

    version = HiddenField(validators=[DataRequired(), Length(max=64)])
    submit = SubmitField(_l("Activate"))
