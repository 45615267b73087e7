"""Web settings page where users create and revoke their API tokens."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from community.api import tokens
from community.errors import DomainError
from community.util import apply_errors, options

bp = Blueprint("api_tokens", __name__)


class TokenForm(FlaskForm):
    name = StringField(_l("Name (e.g. my phone)"), validators=[DataRequired(), Length(max=60)])
    scope = SelectField(_l("Scope"), choices=options([("read", _l("Read only")), ("write", _l("Read and write"))]))
    days = IntegerField(_l("Expires after (days; empty for never)"),
                        validators=[Optional(), NumberRange(1, tokens.MAX_DAYS)], default=90)
    submit = SubmitField(_l("Create token"))


class RevokeForm(FlaskForm):
    """Empty: exists for its CSRF token."""


@bp.route("/settings/tokens", methods=["GET", "POST"])
@login_required
def index():
    form, secret = TokenForm(), None
    if form.validate_on_submit():
        try:
            _token, secret = tokens.create_token(current_user, form.name.data, form.scope.data, form.days.data)
        except DomainError as err:
            apply_errors(form, err)
        else:
            form = TokenForm(formdata=None)
    # The secret is rendered once in this response; it is never flashed (flashes live in the cookie).
    return render_template("api/tokens.html", form=form, secret=secret, tokens=tokens.tokens_of(current_user),
                           revoke_form=RevokeForm()), 422 if form.errors else 200


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required
def revoke(token_id):
    if RevokeForm().validate_on_submit():
        tokens.revoke_token(current_user, token_id)
        flash(_("Token revoked."), "success")
    return redirect(url_for("api_tokens.index"))
