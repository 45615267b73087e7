"""Duplicate suggestions: the visible proposals most similar to a draft, by TF-IDF cosine.

The vectoriser is the routing package's (``community.routing.model.make_vectorizer``: character
n-grams within word boundaries, so Chinese needs no segmentation and English words stay whole); this
module only fits it on the proposals and ranks them. The candidate set is identified by a key, (count,
sum of ids, newest created_at) of the candidate rows: one aggregate query, unaffected by votes and
comments, changed by every new, hidden, restored or merged proposal.

Fitting is a job's work, never a request's (about 2 ms per proposal: 200 s at 100k proposals): ``refit``
(scheduled every 10 minutes, and enqueued once by the first request that sees the key change) fits the
index and puts it in storage (``duplicates/index.joblib``, with ``duplicates/index.json`` naming its key),
where every web worker of every host loads it. Until the refit lands a request answers from the index it
has: a stale index cannot leak hidden content because ``similar`` re-checks every hit in the database.
Without Redis (``make run``, tests) there is no worker: the request refits inline, as the demo always did,
so a new proposal is suggested at once.
"""
from __future__ import annotations

import io
import json
import threading
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from community import jobs, storage
from community.extensions import db
from community.moderation.glossary import concepts, overlap
from community.proposals.models import Proposal

MAX_BODY_CHARS = 500  # enough to characterise a proposal; fitting cost grows with text length
MIN_SCORE = 0.15  # below this cosine the "similar" proposals are noise (see bench/duplicates_eval.py)
MIN_QUERY_CHARS = 4
# Weight of the shared glossary ideas (0..1 cosine) added to the n-gram cosine: enough for "方向盘加热" to find
# "steering wheel heating" first (bench/duplicates_eval.py: cross-language precision@5), no more.
GLOSSARY_WEIGHT = 1.0
INDEX_KEY = "duplicates/index.joblib"
POINTER_KEY = "duplicates/index.json"
DOCUMENT_VERSION = 2  # bump when ``document`` changes (2: glossary expansion), so stored indexes are refitted
STORED_CHECK_SECONDS = 5.0  # a worker with a stale index looks in storage at most this often


@dataclass
class _Index:
    key: str
    ids: list[int]
    vectorizer: object
    matrix: object
    ideas: list  # frozenset of glossary idea indexes per proposal, in ``ids`` order


_lock = threading.Lock()
_index: _Index | None = None
_checked_at = 0.0


def _candidates():
    """Visible, unmerged proposals: the only ones a suggestion may show."""
    return (Proposal.hidden_at.is_(None), Proposal.status != "merged")


def document(title: str, body: str) -> str:
    """The text a proposal is compared by: the title twice (it names the idea), then the body's start."""
    title = (title or "").strip()
    return f"{title}\n{title}\n{(body or '')[:MAX_BODY_CHARS]}"


def ideas(title: str, body: str) -> frozenset[int]:
    """The bilingual glossary's ideas in a proposal's title and the start of its body."""
    return concepts(f"{title or ''}\n{(body or '')[:MAX_BODY_CHARS]}")


def _current_key() -> str:
    count, id_sum, newest = db.session.execute(
        select(func.count(Proposal.id), func.coalesce(func.sum(Proposal.id), 0), func.max(Proposal.created_at))
        .where(*_candidates())).one()
    return json.dumps([DOCUMENT_VERSION, db.engine.url.render_as_string(hide_password=True), int(count), int(id_sum),
                       newest.isoformat() if newest else None])


def _build(key: str) -> _Index:
    from community.routing.model import make_vectorizer

    rows = db.session.execute(select(Proposal.id, Proposal.title, Proposal.body).where(*_candidates())
                              .order_by(Proposal.id)).all()
    vectorizer = make_vectorizer()
    matrix = vectorizer.fit_transform([document(t, b) for _id, t, b in rows]) if rows else None
    return _Index(key, [r[0] for r in rows], vectorizer, matrix, [ideas(t, b) for _id, t, b in rows])


def _stored_key() -> str | None:
    try:
        return json.loads(storage.get(POINTER_KEY))["key"]
    except (storage.MissingObject, ValueError, KeyError, TypeError):
        return None


def refit() -> str:
    """The job: fit the index for the current candidates and store it, unless the stored one is current.

    Idempotent: a second run finds the stored key current and does nothing, and one fired while another
    runs (the schedule and a request's enqueue at once) skips (``jobs.exclusive``). Returns what it did.
    """
    global _index
    with jobs.exclusive("duplicates-refit") as mine:
        if not mine:
            return "another refit is running"
        key = _current_key()
        if _stored_key() == key:
            return "index up to date"
        built = _build(key)
        _store(built)
    with _lock:
        _index = built
    return f"index refitted on {len(built.ids)} proposals"


def _store(built: _Index) -> None:
    import joblib

    buffer = io.BytesIO()
    joblib.dump({"key": built.key, "ids": built.ids, "vectorizer": built.vectorizer, "matrix": built.matrix,
                 "ideas": built.ideas}, buffer, compress=3)
    storage.put(INDEX_KEY, buffer.getvalue(), "application/octet-stream")
    # The pointer after the index it names: a reader never finds a pointer ahead of its index.
    storage.put(POINTER_KEY, json.dumps({"key": built.key}).encode(), "application/json")


def _load_stored() -> _Index | None:
    """The stored index, or None when there is none or it cannot be read (the next refit replaces it)."""
    import joblib

    try:
        payload = joblib.load(io.BytesIO(storage.get(INDEX_KEY)))
        return _Index(payload["key"], payload["ids"], payload["vectorizer"], payload["matrix"], payload["ideas"])
    except Exception:  # missing, half-written by an older version, unreadable: refit instead of failing the page
        return None


def index() -> _Index | None:
    """The index for the current candidates, or the latest one there is while a refit is pending (None
    before the first refit). Never fits here: it loads the stored index or enqueues ``refit`` once."""
    global _index, _checked_at
    key = _current_key()
    current = _index
    if current is not None and current.key == key:
        return current
    if current is None or not jobs.uses_redis() or time.monotonic() - _checked_at >= STORED_CHECK_SECONDS:
        _checked_at = time.monotonic()
        stored_key = _stored_key()
        if stored_key is not None and (current is None or stored_key != current.key):
            loaded = _load_stored()
            if loaded is not None:
                with _lock:
                    _index = current = loaded
        if current is not None and current.key == key:
            return current
        if jobs.uses_redis():
            jobs.enqueue_once("duplicates-refit", "community.moderation.duplicates:refit")
        else:  # the embedded default has no worker: fit here (read-only, so safe inside a request)
            refit()
    return _index


def similar(title: str, body: str = "", limit: int = 5, exclude_id: int | None = None) -> list[tuple[Proposal, float]]:
    """Up to ``limit`` visible proposals most similar to ``title``/``body``: [(proposal, score)], best first.

    The score is the character n-gram cosine plus GLOSSARY_WEIGHT times the overlap of the bilingual
    glossary's ideas (so it may pass 1.0). Returns [] for a query shorter than MIN_QUERY_CHARS or when
    nothing scores MIN_SCORE or more.
    Hidden and merged proposals are never returned (they are not in the index, and are re-checked).
    """
    import numpy as np
    from sklearn.metrics.pairwise import cosine_similarity

    text = f"{title or ''} {body or ''}".strip()
    if len(text) < MIN_QUERY_CHARS:
        return []
    idx = index()
    if idx is None or idx.matrix is None:
        return []
    scores = cosine_similarity(idx.vectorizer.transform([document(title, body)]), idx.matrix)[0]
    wanted = ideas(title, body)
    if wanted and GLOSSARY_WEIGHT:
        scores = scores + GLOSSARY_WEIGHT * np.array([overlap(wanted, have) for have in idx.ideas])
    order = scores.argsort()[::-1]
    picked = [(idx.ids[i], float(scores[i])) for i in order[: limit + 1]
              if scores[i] >= MIN_SCORE and idx.ids[i] != exclude_id][:limit]
    if not picked:
        return []
    found = {p.id: p for p in Proposal.query.filter(Proposal.id.in_([i for i, _s in picked]), *_candidates())}
    return [(found[i], round(s, 3)) for i, s in picked if i in found]
