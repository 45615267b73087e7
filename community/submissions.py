"""One-time submission tokens: a create form sent twice (a double click, a back-button resubmit, a browser
retry) creates one item, and the second post is sent to it.

``SubmitOnceForm`` carries a hidden random token, made when the form is rendered. ``submit_once`` records the
token (``form_submissions``, unique) in the same transaction as the item the service creates: the service's
own commit writes both, or neither. A second post with the token finds the row (or, when both posts ran at
once, loses on the unique key and is rolled back) and is sent to the first one's item. A post without a
token (an old page, a script) is not deduplicated. Rows are deleted after ``SUBMISSION_TOKEN_DAYS`` by the
``form-state-purge`` job.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from flask import current_app, flash, redirect, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from wtforms import HiddenField

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

T = TypeVar("T")
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
ALREADY_SENT = _l("You had already sent this form; here is what it created. Nothing was sent twice.")


class FormSubmission(db.Model):
    """A consumed submission token: ``kind`` of form, who sent it (NULL: a visitor), the created item's URL
    (NULL for the moment between the item's commit and this row's update)."""

    __tablename__ = "form_submissions"

    id = db.Column(db.Integer, primary_key=True)
    token = db.Column(db.String(64), nullable=False, unique=True)
    kind = db.Column(db.String(32), nullable=False)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"))
    item_url = db.Column(db.String(300))
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow, index=True)


def new_token() -> str:
    """A fresh submission token (32 URL-safe characters) for a create form about to be shown."""
    return secrets.token_urlsafe(24)


class SubmitOnceForm(FlaskForm):
    """A create form with a one-time ``submission_token`` (hidden), issued when the form is built without one."""

    submission_token = HiddenField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.submission_token.data:
            self.submission_token.data = new_token()


def _token(form) -> str | None:
    """The token the browser posted (not one the form made up for a post that came without)."""
    field = getattr(form, "submission_token", None)
    value = request.form.get(field.name) if field is not None else None
    return value if value and _TOKEN.fullmatch(value) else None


def _user_id() -> int | None:
    return current_user.id if current_user.is_authenticated else None


def _earlier(token: str) -> FormSubmission | None:
    return db.session.execute(select(FormSubmission).where(FormSubmission.token == token)
                              .execution_options(populate_existing=True)).scalar_one_or_none()


def _target(row: FormSubmission, fallback: str) -> str:
    """Where the second post goes: the first one's item, to the one who sent it only."""
    return row.item_url if row.item_url and row.user_id == _user_id() else fallback


def submit_once(form, kind: str, create: Callable[[], T], url_of: Callable[[T], str],
                fallback: str) -> tuple[T | None, str | None]:
    """Run ``create`` (a service call that commits) at most once per ``form``'s submission token.

    Returns (item, None) when it ran; (None, url) when an earlier post with the token already did (``url``: its
    item, or ``fallback`` when that is not known yet or not the caller's). Raises what ``create`` raised
    (DomainError...), after a rollback, unless a concurrent post with the same token created the item.
    """
    token = _token(form)
    if token is None:
        return create(), None
    earlier = _earlier(token)
    if earlier is not None:
        return None, _target(earlier, fallback)
    db.session.add(FormSubmission(token=token, kind=kind, user_id=_user_id(), created_at=utcnow()))
    try:
        item = create()
    except (IntegrityError, OperationalError):
        # Another post with this token committed first (the unique key; on SQLite possibly a stale snapshot).
        db.session.rollback()
        earlier = _earlier(token)
        if earlier is None:
            raise
        return None, _target(earlier, fallback)
    except Exception:
        db.session.rollback()  # the pending token must not ride on a later commit
        raise
    url = url_of(item)
    db.session.execute(update(FormSubmission).where(FormSubmission.token == token).values(item_url=url))
    db.session.commit()
    return item, None


def to_earlier(url: str):
    """The answer to a resubmitted form: its item, with a message."""
    flash(str(ALREADY_SENT), "info")
    return redirect(url)


def purge(now: datetime | None = None) -> int:
    """Delete submission tokens older than ``SUBMISSION_TOKEN_DAYS``; returns how many. Commits; idempotent."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["SUBMISSION_TOKEN_DAYS"])
    gone = db.session.execute(delete(FormSubmission).where(FormSubmission.created_at < cutoff)).rowcount or 0
    db.session.commit()
    return gone
