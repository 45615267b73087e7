"""Versioned router artefacts: ``<root>/<version>/model.joblib`` and ``<root>/<version>/metadata.json``.

Pure file handling (no Flask, no database): which version serves is recorded by the app. A version
folder is written under a temporary name and renamed into place, so a reader never sees half of
one, and is never modified afterwards: rolling back is pointing at an older folder.

Version names sort chronologically: ``<trained-at UTC, YYYYMMDDTHHMMSSZ>-<first 8 hex of the
training-data hash>``, e.g. ``20261130T111502Z-3fa2c1d9`` (a ``-2``, ``-3``... suffix if that exists).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from community.routing.model import Router, RouterUnavailable

MODEL_FILE = "model.joblib"
METADATA_FILE = "metadata.json"
#: A version folder's name: no path separators, no leading dot (temporary folders start with one).
VERSION_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,63}$")


def is_version_name(name: object) -> bool:
    """True when ``name`` could be a version folder (safe to join to the models root)."""
    return isinstance(name, str) and bool(VERSION_PATTERN.match(name))


def training_data_hash(pairs: Iterable[tuple[str, str]]) -> str:
    """SHA-256 (hex) of the (text, label) pairs, independent of their order.

    Two trainings on the same examples, however listed, give the same hash.
    """
    digest = hashlib.sha256()
    for text, label in sorted((str(t), str(y)) for t, y in pairs):
        digest.update(json.dumps([text, label], ensure_ascii=False).encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save_version(router: Router, root: str | os.PathLike[str], data_hash: str) -> str:
    """Write ``router`` as a new version folder under ``root``; return the version name.

    ``metadata.json`` holds the router's metadata (labels as ``classes``, ``trained_at`` UTC,
    ``training_size``, ``heldout_metrics``, ``rows``...) plus ``version``, ``training_data_sha256``,
    ``labels`` and the model file's SHA-256, which ``load_version`` checks before unpickling.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    meta = router.metadata
    stamp = datetime.fromisoformat(meta["trained_at"]).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    base = f"{stamp}-{data_hash[:8]}"
    tmp = Path(tempfile.mkdtemp(dir=root, prefix=".tmp-"))
    try:
        router.save(tmp / MODEL_FILE)
        for n in range(1, 1000):
            version = base if n == 1 else f"{base}-{n}"
            metadata = {**meta, "version": version, "labels": router.classes, "training_data_sha256": data_hash,
                        "model_file": MODEL_FILE, "model_sha256": _file_sha256(tmp / MODEL_FILE)}
            (tmp / METADATA_FILE).write_text(json.dumps(metadata, ensure_ascii=False, indent=2, sort_keys=True)
                                             + "\n", encoding="utf-8")
            try:
                os.rename(tmp, root / version)  # fails if the folder exists: never overwrite a version
            except OSError:
                if (root / version).exists():
                    continue
                raise
            return version
        raise RuntimeError(f"too many versions named {base}")
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def read_metadata(root: str | os.PathLike[str], version: str) -> dict:
    """The version's ``metadata.json`` as a dict. Raises RouterUnavailable if absent or unreadable."""
    if not is_version_name(version):
        raise RouterUnavailable(f"not a version name: {version!r}")
    path = Path(root) / version / METADATA_FILE
    try:
        metadata = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise RouterUnavailable(f"cannot read {path}: {exc}") from exc
    if not isinstance(metadata, dict):
        raise RouterUnavailable(f"{path} is not a JSON object")
    return metadata


def load_version(root: str | os.PathLike[str], version: str, threshold: float | None = None) -> Router:
    """The router of one version; ``threshold`` overrides the saved one.

    Raises RouterUnavailable when the folder, either file, or the model's checksum is wrong, or the
    model cannot be loaded (see ``Router.load``). ``router.metadata["version"]`` is ``version``.
    """
    metadata = read_metadata(root, version)
    path = Path(root) / version / MODEL_FILE
    expected = metadata.get("model_sha256")
    try:
        actual = _file_sha256(path)
    except OSError as exc:
        raise RouterUnavailable(f"cannot read {path}: {exc}") from exc
    if expected and actual != expected:
        raise RouterUnavailable(f"{path} does not match the checksum in its metadata.json")
    router = Router.load(path, threshold)
    return Router(router.pipeline, router.threshold, {**router.metadata, **metadata, "version": version,
                                                      "threshold": router.threshold})


@dataclass(frozen=True)
class VersionInfo:
    """One folder under the models root: its metadata, or why it cannot be read (``error``)."""

    version: str
    metadata: dict
    error: str | None = None


def list_versions(root: str | os.PathLike[str]) -> list[VersionInfo]:
    """Every version folder under ``root``, newest first (names sort by training instant)."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = []
    for entry in root.iterdir():
        if not (entry.is_dir() and is_version_name(entry.name)):
            continue
        try:
            found.append(VersionInfo(entry.name, read_metadata(root, entry.name)))
        except RouterUnavailable as exc:
            found.append(VersionInfo(entry.name, {}, str(exc)))
    return sorted(found, key=lambda v: v.version, reverse=True)


def summary(metadata: dict) -> dict[str, object]:
    """The figures a listing shows: trained_at, rows (total/seed/corrections), held-out accuracy and macro-F1."""
    rows = metadata.get("rows") or {}
    held = metadata.get("heldout_metrics") or {}
    return {
        "trained_at": metadata.get("trained_at"),
        "rows": rows.get("total", metadata.get("training_size")),
        "seed_rows": rows.get("seed"),
        "correction_rows": rows.get("corrections"),
        "accuracy": held.get("accuracy"),
        "macro_f1": held.get("macro_f1"),
        "labels": len(metadata.get("labels") or metadata.get("classes") or []),
    }


def describe(infos: Sequence[VersionInfo], active: str | None) -> list[str]:
    """Plain-text lines for ``flask routing versions``: ``*`` marks the active version."""
    lines = []
    for info in infos:
        mark = "*" if info.version == active else " "
        if info.error:
            lines.append(f"{mark} {info.version}  unreadable: {info.error}")
            continue
        s = summary(info.metadata)
        f1 = "-" if s["macro_f1"] is None else f"{100 * float(s['macro_f1']):.1f} %"
        acc = "-" if s["accuracy"] is None else f"{100 * float(s['accuracy']):.1f} %"
        lines.append(f"{mark} {info.version}  trained {s['trained_at']}  {s['rows']} rows "
                     f"({s['correction_rows'] or 0} corrections)  {s['labels']} teams  "
                     f"held-out accuracy {acc}, macro-F1 {f1}")
    return lines
