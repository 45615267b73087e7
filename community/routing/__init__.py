"""Feedback routing: send an owner's free text (zh, en or mixed) to a pledge team, or to triage.

Pure scikit-learn and jieba; no Flask. Typical use by the app::

    try:
        router = load_version(instance_path / "models", version)  # community.routing.versions
    except RouterUnavailable:
        router = None  # every item goes to triage
    team, confidence, top3 = router.predict([text])[0]  # team None -> triage

Train a version with ``python -m community.routing.train --models instance/models`` (the app's
``flask routing train`` also adds the corrections people made and activates it).
"""

from community.routing.model import (
    DEFAULT_THRESHOLD,
    Prediction,
    Router,
    RouterUnavailable,
    build_pipeline,
    make_vectorizer,
)
from community.routing.teams import TEAMS

__all__ = [
    "DEFAULT_THRESHOLD",
    "TEAMS",
    "Prediction",
    "Router",
    "RouterUnavailable",
    "build_pipeline",
    "make_vectorizer",
]
