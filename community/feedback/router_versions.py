"""The router's model versions from the app's side: list them, activate one (roll back/forward).

Files live under config ROUTER_MODELS_DIR (``community.routing.versions``); which one serves is the latest
``RouterActivation`` row. Shared by ``flask routing ...`` and the admin page. Training a new version from the
app's data is ``retrain.py`` (it reads feedback's corrections, which sit above this module).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import NotFound, ValidationError
from community.extensions import db
from community.feedback.models import RouterActivation


def models_root() -> Path:
    """Config ROUTER_MODELS_DIR; a relative path is inside the instance folder."""
    folder = current_app.config.get("ROUTER_MODELS_DIR") or "models"
    return Path(folder if os.path.isabs(folder) else os.path.join(current_app.instance_path, folder))


def active_version() -> str | None:
    """The version that serves (one indexed read), or None when none was ever activated."""
    return db.session.scalar(select(RouterActivation.version).order_by(RouterActivation.id.desc()).limit(1))


def latest_activation() -> RouterActivation | None:
    """The activation row of the version that serves (who, when, why), or None."""
    return db.session.scalar(select(RouterActivation).order_by(RouterActivation.id.desc()).limit(1))


def model_version(router) -> str | None:
    """A loaded router's version name (from its metadata), or None."""
    return (getattr(router, "metadata", None) or {}).get("version") if router is not None else None


@dataclass(frozen=True)
class VersionRow:
    """A version as a listing shows it; ``summary`` from ``versions.summary``; ``error`` if unreadable."""

    version: str
    summary: dict
    metadata: dict
    error: str | None
    is_active: bool


def list_versions() -> list[VersionRow]:
    """Every version folder, newest first; the active one flagged (and listed even if its folder is gone)."""
    from community.routing import versions

    active = active_version()
    infos = versions.list_versions(models_root())
    rows = [VersionRow(i.version, versions.summary(i.metadata), i.metadata, i.error, i.version == active)
            for i in infos]
    if active and all(i.version != active for i in infos):
        rows.insert(0, VersionRow(active, versions.summary({}), {}, f"no folder under {models_root()}", True))
    return rows


def activate(version: str, actor=None, reason: str = "activate", now: datetime | None = None) -> RouterActivation:
    """Make ``version`` the one that serves; audit it; commit. Workers pick it up on their next routing.

    Refuses (NotFound) a version without a folder and (ValidationError) one whose model does not load,
    so a typo cannot send every item to triage. Activating the active version again is allowed (no-op
    for routing, but recorded). ``actor`` None means the CLI.
    """
    from community.routing import RouterUnavailable, versions

    if not versions.is_version_name(version) or not (models_root() / version).is_dir():
        raise NotFound(_("No router model version %(version)s.", version=str(version)[:80]))
    try:
        versions.load_version(models_root(), version)
    except RouterUnavailable as exc:
        raise ValidationError(_("Router model version %(version)s cannot be loaded: %(error)s",
                                version=version, error=str(exc))) from exc
    previous = active_version()
    row = RouterActivation(version=version, reason=reason, actor_id=getattr(actor, "id", None),
                           activated_at=now or utcnow())
    db.session.add(row)
    db.session.flush()
    audit.record(actor, "routing.activate", "router_activation", row.id, {"version": previous},
                 {"version": version}, note=reason)
    db.session.commit()
    return row


def has_usable_active() -> bool:
    """True when a version is active and its files load (``flask routing train --if-missing``)."""
    from community.routing import RouterUnavailable, versions

    version = active_version()
    if version is None:
        return False
    try:
        versions.load_version(models_root(), version)
    except RouterUnavailable:
        return False
    return True
