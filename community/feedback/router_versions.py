"""The router's model versions from the app's side: list them, activate one (roll back/forward).

Files live in object storage (``community.storage``) under the key prefix config ROUTER_MODELS_DIR (default
``models``): ``models/<version>/model.joblib`` and ``metadata.json`` (``community.routing.versions``), so every
host loads the version another trained. ``community.routing`` stays pure file handling: versions are written
to a temporary folder and published (``stage``/``publish``), and read back through one (``fetched``). Which
one serves is the latest ``RouterActivation`` row. Shared by ``flask routing ...`` and the admin page.
Training a new version from the app's data is ``retrain.py`` (it reads feedback's corrections, which sit
above this module).
"""
from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from community import storage
from community.audit import service as audit
from community.dbtypes import utcnow
from community.errors import NotFound, ValidationError
from community.extensions import db
from community.feedback.models import RouterActivation

#: Activations made by this process: ``routing_service`` re-reads the active version at once when it changed
#: (other processes see an activation within config ROUTER_REVALIDATE_SECONDS).
activations = 0


def models_prefix() -> str:
    """The storage key prefix of the versions: config ROUTER_MODELS_DIR (default ``models``)."""
    return (current_app.config.get("ROUTER_MODELS_DIR") or "models").strip("/")


def models_root() -> Path:
    """Where the versions sit when storage is the filesystem backend (its folder / ROUTER_MODELS_DIR)."""
    backend = storage.backend()
    if not isinstance(backend, storage.FilesystemStorage):
        raise RuntimeError(f"router versions are in {backend.describe()}, not in a folder")
    return backend.root / models_prefix()


def models_location() -> str:
    """Where the versions are, for messages: ``filesystem /srv/x/models/`` or ``s3://bucket/models/``."""
    return f"{storage.describe()} {models_prefix()}/"


def stored_versions() -> list[str]:
    """The version names that have objects in storage, newest first."""
    from community.routing import versions

    names = {key.split("/")[-2] for key in storage.list_keys(models_prefix() + "/") if key.count("/") >= 2}
    return sorted((n for n in names if versions.is_version_name(n)), reverse=True)


@contextmanager
def fetched(names: Iterable[str], files: Iterable[str] | None = None) -> Iterator[Path]:
    """A temporary folder laid out as ``community.routing.versions`` reads it, holding these versions' files
    from storage (a missing file is left out, so reading it fails as a missing file does). Removed after."""
    from community.routing import versions

    files = tuple(files or (versions.MODEL_FILE, versions.METADATA_FILE))
    with tempfile.TemporaryDirectory(prefix="cocreate-router-") as tmp:
        root = Path(tmp)
        for name in names:
            if not versions.is_version_name(name):
                continue
            (root / name).mkdir()
            for file in files:
                try:
                    (root / name / file).write_bytes(storage.get(f"{models_prefix()}/{name}/{file}"))
                except storage.MissingObject:
                    pass
        yield root


@contextmanager
def stage() -> Iterator[Path]:
    """A temporary folder to save a new version into, with a placeholder for every stored version so
    ``versions.save_version`` never picks a name that is taken. Publish from it with ``publish``."""
    with tempfile.TemporaryDirectory(prefix="cocreate-router-") as tmp:
        root = Path(tmp)
        for name in stored_versions():
            (root / name).mkdir()
            (root / name / ".taken").touch()
        yield root


def publish(root: Path, version: str) -> None:
    """Put a version saved under ``root`` into storage: the model first, its metadata last (a version is
    listed and loadable only once both are there)."""
    from community.routing import versions

    for file in (versions.MODEL_FILE, versions.METADATA_FILE):
        storage.put(f"{models_prefix()}/{version}/{file}", (root / version / file).read_bytes())


def load_version(version: str, threshold: float | None = None):
    """The Router of one stored version (``versions.load_version`` on a fetched copy). Raises RouterUnavailable."""
    from community.routing import versions

    with fetched([version]) as root:
        return versions.load_version(root, version, threshold=threshold)


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
    with fetched(stored_versions(), [versions.METADATA_FILE]) as root:
        infos = versions.list_versions(root)
    rows = [VersionRow(i.version, versions.summary(i.metadata), i.metadata, i.error, i.version == active)
            for i in infos]
    if active and all(i.version != active for i in infos):
        rows.insert(0, VersionRow(active, versions.summary({}), {}, f"no folder under {models_location()}", True))
    return rows


def activate(version: str, actor=None, reason: str = "activate", now: datetime | None = None) -> RouterActivation:
    """Make ``version`` the one that serves; audit it; commit. This process routes with it at once, other
    workers and hosts within config ROUTER_REVALIDATE_SECONDS (``routing_service``).

    Refuses (NotFound) a version without a folder and (ValidationError) one whose model does not load,
    so a typo cannot send every item to triage. Activating the active version again is allowed (no-op
    for routing, but recorded). ``actor`` None means the CLI.
    """
    from community.routing import RouterUnavailable, versions

    if not versions.is_version_name(version) or version not in stored_versions():
        raise NotFound(_("No router model version %(version)s.", version=str(version)[:80]))
    try:
        load_version(version)
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
    global activations
    activations += 1
    return row


def has_usable_active() -> bool:
    """True when a version is active and its files load (``flask routing train --if-missing``)."""
    from community.routing import RouterUnavailable

    version = active_version()
    if version is None:
        return False
    try:
        load_version(version)
    except RouterUnavailable:
        return False
    return True
