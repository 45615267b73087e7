from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, IntegerField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from community.proposals.models import CATEGORIES, STATUS_LABELS
from community.proposals.service import MAX_BODY, MAX_COMMENT, MAX_TITLE
from community.submissions import SubmitOnceForm
from community.timeline.models import KINDS, POSTABLE_KINDS
from community.util import options


class ProposalForm(SubmitOnceForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=MAX_TITLE)])
    category = SelectField(_l("Category"), choices=options(CATEGORIES))
    body = TextAreaField(_l("Proposal"), validators=[DataRequired(), Length(max=MAX_BODY)],
                         description=_l("Markdown: **bold**, lists, links."))
    submit = SubmitField(_l("Publish proposal"))


class CommentForm(SubmitOnceForm):
    body = TextAreaField(_l("Comment"), validators=[DataRequired(), Length(max=MAX_COMMENT)])
    submit = SubmitField(_l("Post comment"))


class VoteForm(FlaskForm):
    """Empty: exists for its CSRF token."""


class _DatedTextForm(FlaskForm):
    text_zh = TextAreaField(_l("Text (Chinese)"), validators=[Optional(), Length(max=5000)])
    text_en = TextAreaField(_l("Text (English)"), validators=[Optional(), Length(max=5000)])
    occurred_at = DateTimeLocalField(_l("Date (your time zone; leave empty for now)"), format="%Y-%m-%dT%H:%M",
                                     validators=[Optional()])
    backdate_reason = StringField(_l("Reason for an earlier date"), validators=[Optional(), Length(max=500)])


class StatusForm(_DatedTextForm):
    status = SelectField(_l("New status"), choices=options(STATUS_LABELS))
    submit = SubmitField(_l("Change status"))


class MilestoneForm(_DatedTextForm):
    kind = SelectField(_l("Kind"), choices=options((k, KINDS[k]) for k in POSTABLE_KINDS))
    progress_percent = IntegerField(_l("Progress %"), validators=[Optional(), NumberRange(0, 100)])
    submit = SubmitField(_l("Post milestone"))
