from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from community.shopper.models import STORE_KINDS, VISIT_KINDS
from community.shopper.service import MAX_COMMENT, MAX_NARRATIVE
from community.submissions import SubmitOnceForm
from community.util import options

NOT_OBSERVED = ""


def _int_or_none(value):
    return int(value) if value not in (None, "", "None") and str(value).isdigit() else None


class StoreForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    city = StringField(_l("City"), validators=[DataRequired(), Length(max=60)])
    kind = SelectField(_l("Kind"), choices=options(STORE_KINDS))
    staff_names = TextAreaField(_l("Staff names"), render_kw={"rows": 3},
                                description=_l("One per line (or separated by ;). These names are hidden in "
                                               "reports from everyone but moderators."))
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save store"))


class ReportForm(SubmitOnceForm):
    """The fixed part of a report; ``report_form`` adds score_<id>, comment_<id>, issue_<id> per pledge item."""

    store_id = SelectField(_l("Store"), coerce=_int_or_none, validators=[DataRequired()])
    visited_at = DateTimeLocalField(_l("Visit time"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    visit_kind = SelectField(_l("Kind of visit"), choices=options([("", "—"), *VISIT_KINDS.items()]),
                             validators=[Optional()])
    narrative = TextAreaField(_l("Narrative"), validators=[Optional(), Length(max=MAX_NARRATIVE)],
                              render_kw={"rows": 8},
                              description=_l("What happened, in order. Phone numbers, ID numbers, plates, VINs and "
                                             "the store's staff names are hidden from everyone but moderators."))
    comment_general = TextAreaField(_l("Other observations"), validators=[Optional(), Length(max=MAX_COMMENT)],
                                    render_kw={"rows": 2})
    issue_general = BooleanField(_l("This is an issue"))
    photos = MultipleFileField(_l("Photos"), description=_l("JPEG or PNG, at most 5 MB each, at most 5 per report. "
                                                            "Location and camera data are removed."))
    save = SubmitField(_l("Save draft"))
    submit_report = SubmitField(_l("Submit report"))


def report_form(items, **kwargs) -> ReportForm:
    """A ReportForm with one rubric line (score, comment, issue mark) per pledge item in ``items``."""

    class RubricForm(ReportForm):
        pass

    choices = options([(NOT_OBSERVED, _l("Not observed"))] + [(str(s), str(s)) for s in range(1, 6)])
    for item in items:
        setattr(RubricForm, f"score_{item.id}", SelectField(_l("Score"), choices=choices, default=NOT_OBSERVED,
                                                            validators=[Optional()]))
        setattr(RubricForm, f"comment_{item.id}", TextAreaField(_l("Comment"), render_kw={"rows": 1},
                                                                validators=[Optional(), Length(max=MAX_COMMENT)]))
        setattr(RubricForm, f"issue_{item.id}", BooleanField(_l("This is an issue")))
    return RubricForm(**kwargs)


class ButtonForm(FlaskForm):
    """Empty: exists for its CSRF token."""
