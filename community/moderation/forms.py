from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from community.moderation.service import MAX_REASON
from community.util import MAX_ID


class FlagForm(FlaskForm):
    reason = TextAreaField(_l("What is wrong with it?"), validators=[DataRequired(), Length(max=MAX_REASON)])
    submit = SubmitField(_l("Report"))


class ReasonForm(FlaskForm):
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_REASON)])
    submit = SubmitField(_l("Confirm"))


class MergeForm(FlaskForm):
    original_id = IntegerField(_l("Merge into proposal number"),
                               validators=[DataRequired(), NumberRange(min=1, max=MAX_ID)])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=MAX_REASON)])
    submit = SubmitField(_l("Merge"))
