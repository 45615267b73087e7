from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional


class AnnouncementForm(FlaskForm):
    title_zh = StringField(_l("Title (Chinese)"), validators=[Optional(), Length(max=160)])
    title_en = StringField(_l("Title (English)"), validators=[Optional(), Length(max=160)])
    body_zh = TextAreaField(_l("Announcement (Chinese)"), validators=[Optional(), Length(max=20000)],
                            description=_l("Markdown."))
    body_en = TextAreaField(_l("Announcement (English)"), validators=[Optional(), Length(max=20000)])
    proposal_ids = StringField(_l("Proposals it answers"), validators=[InputRequired(), Length(max=500)],
                               description=_l("Proposal numbers separated by commas, e.g. 12, 15."))
    submit = SubmitField(_l("Publish announcement"))
