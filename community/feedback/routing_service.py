"""The Flask side of the router: load the trained model once per worker and never let it fail a submission.

The model file is config ROUTER_PATH (default ``instance/router.joblib``); it is loaded on first use and
again only when the file changes (a retrain takes effect without a restart). Whatever goes wrong -- no
file, a corrupt file, an exception inside ``predict`` -- the answer is "triage", with a note saying why.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass, field

from flask import current_app

log = logging.getLogger(__name__)
_lock = threading.Lock()


@dataclass(frozen=True)
class Routing:
    """What routing decided for one text.

    ``team``: the slug to assign, or None for the triage queue. ``confidence``: the model's probability
    for its best team (0..1; None when the model gave nothing). ``top3``: [(slug, probability)], best first.
    ``note``: why the item went to triage ("unsure", "model unavailable", "model failed"), else None.
    """

    team: str | None
    confidence: float | None = None
    top3: list[tuple[str, float]] = field(default_factory=list)
    version: str | None = None
    note: str | None = None


def router_path() -> str:
    path = current_app.config.get("ROUTER_PATH") or "router.joblib"
    return path if os.path.isabs(path) else os.path.join(current_app.instance_path, path)


def _load():
    """The Router for the current file, cached per app and file mtime; None when unavailable."""
    path = router_path()
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return None
    threshold = float(current_app.config.get("ROUTER_THRESHOLD", 0.5))
    key = (path, stamp, threshold)
    cache = current_app.extensions.setdefault("feedback_router", {})
    if cache.get("key") == key:
        return cache.get("router")
    with _lock:
        if cache.get("key") != key:
            router = None
            try:
                from community.routing.model import Router

                router = Router.load(path, threshold=threshold)
            except Exception:  # RouterUnavailable, or anything a broken file throws: log it, remember it
                log.exception("router model at %s could not be loaded; feedback goes to triage", path)
            cache.update(key=key, router=router)
    return cache.get("router")


def available() -> bool:
    """True when a model file loads (never raises)."""
    try:
        return _load() is not None
    except Exception:
        return False


def model_version(router) -> str | None:
    """The model's training instant and size, e.g. ``2026-11-30T09:55:01+00:00/n1523`` (from its metadata)."""
    meta = getattr(router, "metadata", None) or {}
    version = getattr(router, "version", None) or meta.get("trained_at")
    if not version:
        return None
    size = meta.get("training_size")
    return f"{version}/n{size}"[:64] if size else str(version)[:64]


def route(text: str) -> Routing:
    """Route one feedback text. Never raises; the threshold is config ROUTER_THRESHOLD (0..1)."""
    try:
        router = _load()
        if router is None:
            return Routing(None, note="model unavailable")
        prediction = router.predict([text])[0]
        top3 = [(str(slug), round(float(p), 4)) for slug, p in (prediction.top3 or [])][:3]
        confidence = float(prediction.confidence) if prediction.confidence is not None else None
        version = model_version(router)
        threshold = float(current_app.config.get("ROUTER_THRESHOLD", 0.5))
        if prediction.team is None or confidence is None or confidence < threshold:
            return Routing(None, confidence, top3, version, note="unsure")
        return Routing(str(prediction.team), confidence, top3, version)
    except Exception:  # the owner must never see the model's error; a person routes it instead
        log.exception("router failed; feedback goes to triage")
        return Routing(None, note="model failed")


def reset_cache() -> None:
    """Forget the loaded model (tests; after training in the same process)."""
    current_app.extensions.pop("feedback_router", None)
