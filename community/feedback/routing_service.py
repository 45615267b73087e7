"""The Flask side of the router: load the active model version once per worker and never let it fail a submission.

The active version is recorded in the database (``router_versions``); each worker keeps the loaded model
keyed by its version name and loads again only when another version is activated (a retrain or a rollback
takes effect without a restart). Which version is active is read again at most every config
ROUTER_REVALIDATE_SECONDS (default 5) per worker, not on every routing (that read cost about 3 ms, more than
the prediction): an activation on another host or worker serves everywhere within that bound (plus one
model load), one in this worker at once (``router_versions.activate`` bumps ``activations``). Whatever goes
wrong -- no version, missing or corrupt files, an exception inside ``predict`` -- the answer is "triage",
with a note saying why.
"""
from __future__ import annotations

import logging
import threading
import time
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


#: After a version failed to load, try it again at most this often (seconds): a restored folder is
#: picked up without a restart, and a broken one costs one load attempt per minute, not one per request.
RETRY_FAILED_SECONDS = 60.0


#: Re-read which version is active at most this often per worker (seconds), unless config
#: ROUTER_REVALIDATE_SECONDS says otherwise; 0 reads it on every routing.
REVALIDATE_SECONDS = 5.0


def _load():
    """The Router of the active version, cached per worker by version; None when there is none or it is broken.

    Per call, nothing but a clock read while the cached answer is younger than config ROUTER_REVALIDATE_SECONDS
    and no activation happened in this process since; otherwise one indexed read of the active version's
    name. The model is unpickled only when that name (or the threshold) differs from the cached one.
    """
    from community.feedback import router_versions

    cache = current_app.extensions.setdefault("feedback_router", {})
    threshold = float(current_app.config.get("ROUTER_THRESHOLD", 0.5))
    ttl = float(current_app.config.get("ROUTER_REVALIDATE_SECONDS", REVALIDATE_SECONDS))
    seen = cache.get("seen")  # (activations counter, threshold, monotonic time) of the last read
    now = time.monotonic()
    if (seen is not None and seen[0] == router_versions.activations and seen[1] == threshold
            and now - seen[2] < ttl and "answer" in cache):
        return cache["answer"]
    generation = router_versions.activations
    version = router_versions.active_version()
    if version is None:
        cache.update(seen=(generation, threshold, now), answer=None)
        return None
    root = router_versions.models_location()
    key = (root, version, threshold)

    def fresh() -> bool:
        return cache.get("key") == key and (
            cache.get("router") is not None or time.monotonic() - cache["failed_at"] < RETRY_FAILED_SECONDS)

    if not fresh():
        with _lock:
            if not fresh():
                router = None
                try:
                    router = router_versions.load_version(version, threshold=threshold)
                except Exception:  # RouterUnavailable, or anything a broken file throws: log it, remember it
                    log.exception("router version %s under %s could not be loaded; feedback goes to triage", version,
                                  root)
                cache.update(key=key, router=router, failed_at=time.monotonic())
    cache.update(seen=(generation, threshold, now), answer=cache.get("router"))
    return cache.get("router")


def available() -> bool:
    """True when the active version loads (never raises)."""
    try:
        return _load() is not None
    except Exception:
        return False


def model_version(router) -> str | None:
    """The model's version name (its folder, e.g. ``20261130T111502Z-3fa2c1d9``), from its metadata."""
    meta = getattr(router, "metadata", None) or {}
    version = getattr(router, "version", None) or meta.get("version")
    return str(version)[:64] if version else None


def route(text: str) -> Routing:
    """Route one feedback text. Never raises. The team must reach its own threshold, saved with the model
    version (precision-first, chosen on validation); teams without one use config ROUTER_THRESHOLD (0..1)."""
    try:
        router = _load()
        if router is None:
            return Routing(None, note="model unavailable")
        prediction = router.predict([text])[0]
        top3 = [(str(slug), round(float(p), 4)) for slug, p in (prediction.top3 or [])][:3]
        confidence = float(prediction.confidence) if prediction.confidence is not None else None
        version = model_version(router)
        # A real Router already applied the threshold of the team it chose (per-team, chosen on validation
        # and saved with the version; config ROUTER_THRESHOLD for teams without one); ask it again, so
        # stand-ins without per-team thresholds get the config's.
        threshold_for = getattr(router, "threshold_for", None)
        threshold = (threshold_for(str(prediction.team)) if threshold_for and prediction.team is not None
                     else float(current_app.config.get("ROUTER_THRESHOLD", 0.5)))
        if prediction.team is None or confidence is None or threshold is None or confidence < threshold:
            return Routing(None, confidence, top3, version, note="unsure")
        return Routing(str(prediction.team), confidence, top3, version)
    except Exception:  # the owner must never see the model's error; a person routes it instead
        log.exception("router failed; feedback goes to triage")
        return Routing(None, note="model failed")


def reset_cache() -> None:
    """Forget the loaded model (tests; after training in the same process)."""
    current_app.extensions.pop("feedback_router", None)
