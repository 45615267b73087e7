"""Duplicate suggestions: the visible proposals most similar to a draft, by TF-IDF cosine.

The vectoriser is the routing package's (``community.routing.model.make_vectorizer``: character
n-grams within word boundaries, so Chinese needs no segmentation and English words stay whole); this
module only fits it on the proposals and ranks them. The fitted matrix is cached per process and
rebuilt when the set of candidate proposals changes, detected by (count, sum of ids, newest created_at)
of the candidate rows: one aggregate query per request, unaffected by votes and comments, changed by
every new, hidden, restored or merged proposal (proposals have no edit path; one would bump this key too).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import func, select

from community.extensions import db
from community.proposals.models import Proposal

MAX_BODY_CHARS = 500  # enough to characterise a proposal; fitting cost grows with text length
SYNC_REBUILD_MAX = 5000  # above this many proposals a rebuild runs in a background thread
MIN_SCORE = 0.15  # below this cosine the "similar" proposals are noise (see bench/duplicates_eval.py)
MIN_QUERY_CHARS = 4


@dataclass
class _Index:
    key: tuple
    ids: list[int]
    vectorizer: object
    matrix: object


_lock = threading.Lock()
_index: _Index | None = None


def _candidates():
    """Visible, unmerged proposals: the only ones a suggestion may show."""
    return (Proposal.hidden_at.is_(None), Proposal.status != "merged")


def document(title: str, body: str) -> str:
    """The text a proposal is compared by: the title twice (it names the idea), then the body's start."""
    title = (title or "").strip()
    return f"{title}\n{title}\n{(body or '')[:MAX_BODY_CHARS]}"


def _current_key() -> tuple:
    count, id_sum, newest = db.session.execute(
        select(func.count(Proposal.id), func.coalesce(func.sum(Proposal.id), 0), func.max(Proposal.created_at))
        .where(*_candidates())).one()
    return (db.engine.url.render_as_string(hide_password=True), int(count), int(id_sum), newest)


def _build(key: tuple) -> _Index:
    from community.routing.model import make_vectorizer

    rows = db.session.execute(select(Proposal.id, Proposal.title, Proposal.body).where(*_candidates())
                              .order_by(Proposal.id)).all()
    vectorizer = make_vectorizer()
    matrix = vectorizer.fit_transform([document(t, b) for _id, t, b in rows]) if rows else None
    return _Index(key, [r[0] for r in rows], vectorizer, matrix)


def index() -> _Index:
    """The fitted index for the current candidates, rebuilt at most once per change (thread-safe).

    Up to SYNC_REBUILD_MAX proposals the rebuild happens here (about 2 ms per proposal). Above it the
    previous index keeps answering while a background thread refits, so no request waits for it; a
    stale index cannot leak hidden content because ``similar`` re-checks every hit in the database.
    """
    global _index
    key = _current_key()
    current = _index
    if current is not None and current.key == key:
        return current
    if current is not None and key[1] > SYNC_REBUILD_MAX:
        _rebuild_in_background(key)
        return current
    with _lock:
        if _index is None or _index.key != key:
            _index = _build(key)
        return _index


_building: set[tuple] = set()


def _rebuild_in_background(key: tuple) -> None:
    app = current_app._get_current_object()

    def run() -> None:
        global _index
        with app.app_context():
            try:
                built = _build(key)
                with _lock:
                    _index = built
            finally:
                db.session.remove()
                _building.discard(key)

    with _lock:
        if key in _building:
            return
        _building.add(key)
    threading.Thread(target=run, name="duplicates-index", daemon=True).start()


def similar(title: str, body: str = "", limit: int = 5, exclude_id: int | None = None) -> list[tuple[Proposal, float]]:
    """Up to ``limit`` visible proposals most similar to ``title``/``body``: [(proposal, cosine 0..1)], best first.

    Returns [] for a query shorter than MIN_QUERY_CHARS or when nothing scores MIN_SCORE or more.
    Hidden and merged proposals are never returned (they are not in the index, and are re-checked).
    """
    from sklearn.metrics.pairwise import cosine_similarity

    text = f"{title or ''} {body or ''}".strip()
    if len(text) < MIN_QUERY_CHARS:
        return []
    idx = index()
    if idx.matrix is None:
        return []
    scores = cosine_similarity(idx.vectorizer.transform([document(title, body)]), idx.matrix)[0]
    order = scores.argsort()[::-1]
    picked = [(idx.ids[i], float(scores[i])) for i in order[: limit + 1]
              if scores[i] >= MIN_SCORE and idx.ids[i] != exclude_id][:limit]
    if not picked:
        return []
    found = {p.id: p for p in Proposal.query.filter(Proposal.id.in_([i for i, _s in picked]), *_candidates())}
    return [(found[i], round(s, 3)) for i, s in picked if i in found]
