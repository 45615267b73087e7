"""What someone typed survives an expired form: a post refused for its CSRF token (the token's time limit, a
session that ended) or for a login that is gone is kept as a short-lived draft, and the form comes back
filled in, after a new login when one is needed.

Forms opt in with ``register(endpoint, back=..., login=...)``. On such a refusal ``keep_and_redirect`` stores
the posted text fields (never the CSRF token, never files) in ``form_drafts`` under a random browser id held
in an HttpOnly cookie, and answers 303 to the form's page (or to the login page with ``next`` set to it).
The page calls ``restore(form)``, which fills the form once and deletes the draft. A draft belongs to its
browser, and to the account that was logged in when it was kept (or whose ended session the browser still
sent); one kept with no account known (the session cookie was gone) goes to whoever logs in on that browser
next, within ``FORM_DRAFT_MINUTES``. Logging out forgets the browser's drafts; expired ones are deleted by
the ``form-drafts-purge`` job. The text stays on the server: never in a URL.
"""
from __future__ import annotations

import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import delete, select
from werkzeug.datastructures import MultiDict

from community.dbtypes import UTCDateTime, utcnow
from community.extensions import db

COOKIE = "cocreate_draft"
MAX_BYTES = 200_000  # larger posts are not kept (the forms' own limits are far below)
SKIPPED_TYPES = {"CSRFTokenField", "SubmitField", "FileField", "MultipleFileField"}
KEPT = _l("Your session expired; your text was kept. Please submit it again.")
KEPT_LOG_IN = _l("Your session expired; your text was kept. Log in, then submit it again.")


class FormDraft(db.Model):
    """A form's posted text kept after an expired session or CSRF token: ``browser`` is the cookie's id,
    ``path`` the form page it goes back to, ``data`` a JSON object of field name -> list of values."""

    __tablename__ = "form_drafts"

    id = db.Column(db.Integer, primary_key=True)
    browser = db.Column(db.String(64), nullable=False, index=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"))
    path = db.Column(db.String(300), nullable=False)
    data = db.Column(db.Text, nullable=False)
    created_at = db.Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = db.Column(UTCDateTime, nullable=False, index=True)


@dataclass(frozen=True)
class _Kept:
    back: Callable[[dict], str]
    login: bool


_FORMS: dict[str, _Kept] = {}


def register(endpoint: str, back: Callable[[dict], str] | None = None, login: bool = True) -> None:
    """Keep posts to ``endpoint`` that arrive expired. ``back(view_args)`` is the page that shows the form
    (default: the same address); ``login``: the form needs an account."""
    _FORMS[endpoint] = _Kept(back or (lambda _args: request.path), login)


def _owner_id() -> int | None:
    """The account the post came from: the logged-in one, else the one the browser's ended session named."""
    if current_user.is_authenticated:
        return current_user.id
    stale = str(session.get("_user_id") or "").partition(":")[0]
    return int(stale) if stale.isdigit() else None


def _same_site() -> bool:
    """The post came from one of our pages: another site must not fill someone's form with its text."""
    if request.headers.get("Sec-Fetch-Site") not in (None, "same-origin", "none"):
        return False
    origin = request.headers.get("Origin")
    return origin in (None, "null") or urlsplit(origin).netloc == request.host


def keep_and_redirect():
    """For a registered form's refused post from our own pages: keep its text and answer 303 to the form (or
    the login page). None when the request is not such a post (the caller answers as before)."""
    kept = _FORMS.get(request.endpoint or "")
    if kept is None or request.method != "POST" or (request.content_length or 0) > MAX_BYTES or not _same_site():
        return None
    data = {name: values for name, values in request.form.lists()
            if name not in ("csrf_token",) and not name.endswith("-csrf_token")}
    back = kept.back(request.view_args or {})
    browser = request.cookies.get(COOKIE) or secrets.token_urlsafe(24)
    minutes = current_app.config["FORM_DRAFT_MINUTES"]
    now = utcnow()
    db.session.rollback()
    db.session.execute(delete(FormDraft).where(FormDraft.browser == browser, FormDraft.path == back))
    db.session.add(FormDraft(browser=browser, user_id=_owner_id(), path=back, data=json.dumps(data),
                             created_at=now, expires_at=now + timedelta(minutes=minutes)))
    db.session.commit()
    if kept.login and not current_user.is_authenticated:
        flash(str(KEPT_LOG_IN), "warning")
        response = redirect(url_for("accounts.login", next=back), 303)
    else:
        response = redirect(back, 303)  # the form page says what happened when it shows the text (restore)
    response.set_cookie(COOKIE, browser, max_age=minutes * 60, httponly=True, samesite="Lax",
                        secure=current_app.config.get("SESSION_COOKIE_SECURE", False))
    return response


def restore(form) -> bool:
    """Fill ``form`` (built for this page, choices set) from this browser's draft for this page, once; the
    draft is deleted. True when it did."""
    browser = request.cookies.get(COOKIE)
    if not browser or request.method != "GET":
        return False
    user_id = current_user.id if current_user.is_authenticated else None
    draft = db.session.execute(
        select(FormDraft).where(FormDraft.browser == browser, FormDraft.path == request.path,
                                FormDraft.expires_at > utcnow())
        .order_by(FormDraft.id.desc()).limit(1)).scalar_one_or_none()
    if draft is None or draft.user_id not in (None, user_id):
        return False
    formdata = MultiDict([(name, value) for name, values in json.loads(draft.data).items() for value in values])
    db.session.delete(draft)
    db.session.commit()
    for field in form:
        if field.type not in SKIPPED_TYPES:
            field.process(formdata)
    flash(str(KEPT), "warning")
    return True


def forget(response) -> None:
    """At logout: this browser's drafts are deleted and its cookie dropped. Commits."""
    browser = request.cookies.get(COOKIE)
    if browser:
        db.session.execute(delete(FormDraft).where(FormDraft.browser == browser))
        db.session.commit()
        response.delete_cookie(COOKIE)


def purge(now: datetime | None = None) -> int:
    """Delete expired drafts; returns how many (the ``form-drafts-purge`` job). Commits; idempotent."""
    gone = db.session.execute(delete(FormDraft).where(FormDraft.expires_at <= (now or utcnow()))).rowcount or 0
    db.session.commit()
    return gone
