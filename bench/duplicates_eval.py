"""Precision@5 of the duplicate suggestions on the demo data (prints figures; no pass/fail).

    python bench/duplicates_eval.py                         # a fresh demo in a temporary SQLite file
    python bench/duplicates_eval.py --database-url URL      # an existing database with the demo loaded

For each labelled pair in bench/duplicate_pairs.json the query (an owner's own title for an idea) is
run through ``community.moderation.duplicates.similar`` exactly as the new-proposal page does; a
suggestion is relevant when its title is one of the pair's ``same_as`` titles. Pairs whose idea is
not among the demo's visible proposals are skipped (the demo samples its topics at random).

Figures: precision@5 (relevant among the 5 shown / 5), its ceiling (min(relevant, 5) / 5: a topic
with two demo proposals cannot score above 0.4), the ceiling counting only duplicates in the query's
language (character n-grams cannot match 蓝牙钥匙 to "Bluetooth key"), recall@5 against the full
ceiling, and hit@1; then precision@5 and hit@1 apart for same-language pairs (some duplicate in the
query's language) and cross-language pairs (every duplicate in the other language: 方向盘加热 -> "steering
wheel heating"). Each figure is printed with the bilingual glossary (``community.moderation.glossary``, what
the site uses) and without it (the bare character n-grams), in one run.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

PAIRS = REPO / "bench" / "duplicate_pairs.json"


def _is_zh(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def evaluate(pairs: list[dict], with_body: bool = False) -> dict:
    from community.moderation import duplicates
    from community.proposals.models import Proposal

    visible = [p for p in Proposal.query.filter(Proposal.hidden_at.is_(None), Proposal.status != "merged")]
    p5, ceil, ceil_same, rec, hit1, used, times = [], [], [], [], [], 0, []
    split = {"same": ([], []), "cross": ([], [])}  # kind -> (precision@5s, hit@1s)
    for pair in pairs:
        same = set(pair["same_as"])
        relevant = {p.id for p in visible if p.title in same}
        if not relevant:
            continue
        used += 1
        body = f"{pair['query']}。希望官方考虑。" if with_body else ""
        started = time.perf_counter()
        shown = [p.id for p, _score in duplicates.similar(pair["query"], body, limit=5)]
        times.append(time.perf_counter() - started)
        hits = sum(1 for pid in shown if pid in relevant)
        best = min(len(relevant), 5)
        same_script = {p.id for p in visible if p.title in same and _is_zh(p.title) == _is_zh(pair["query"])}
        p5.append(hits / 5)
        ceil.append(best / 5)
        ceil_same.append(min(len(same_script), 5) / 5)
        rec.append(hits / best)
        hit1.append(1.0 if shown and shown[0] in relevant else 0.0)
        kind = split["same" if same_script else "cross"]
        kind[0].append(hits / 5)
        kind[1].append(hit1[-1])
    mean = lambda xs: sum(xs) / len(xs) if xs else 0.0  # noqa: E731
    times.sort()
    return {"pairs_used": used, "pairs_total": len(pairs), "precision@5": mean(p5), "ceiling@5": mean(ceil),
            "ceiling@5_same_language": mean(ceil_same),
            "recall@5_of_ceiling": mean(rec), "hit@1": mean(hit1),
            "median_ms": 1000 * times[len(times) // 2] if times else 0.0,
            **{f"{k}_{name}": mean(v[i]) for k, v in split.items() for i, name in enumerate(("p@5", "hit@1"))},
            **{f"{k}_pairs": len(v[0]) for k, v in split.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database with the demo data already loaded")
    args = parser.parse_args()
    from flask_migrate import upgrade

    from community import create_app, demo
    from community.extensions import db
    from community.moderation import duplicates

    url = args.database_url
    tmp = None
    if not url:
        tmp = tempfile.mkdtemp()
        url = f"sqlite:///{os.path.join(tmp, 'demo.db')}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "COCREATE_ENV": "testing", "SECRET_KEY": "bench"})
    with app.app_context():
        if tmp:
            upgrade()
            print("loading the demo data (about half a minute)...", flush=True)
            print(demo.load())
        pairs = json.loads(PAIRS.read_text())["pairs"]
        import community.routing.model  # noqa: F401  (time the fit, not scikit-learn's import)
        from community.moderation import glossary

        weight = duplicates.GLOSSARY_WEIGHT
        for setting, w in (("with the glossary", weight), ("bare n-grams", 0.0)):
            duplicates.GLOSSARY_WEIGHT = w
            started = time.perf_counter()
            duplicates.index()
            print(f"== {setting}: index build {1000 * (time.perf_counter() - started):.0f} ms for "
                  f"{len(duplicates.index().ids)} proposals ({len(glossary.ENTRIES)} glossary entries)")
            for label, with_body in (("title only", False), ("title + one-line body", True)):
                r = evaluate(pairs, with_body)
                print(f"{label:>22}: precision@5 {r['precision@5']:.3f} (ceiling {r['ceiling@5']:.3f}), "
                      f"recall@5 of ceiling {r['recall@5_of_ceiling']:.3f}, hit@1 {r['hit@1']:.3f}; "
                      f"same-language p@5 {r['same_p@5']:.3f} hit@1 {r['same_hit@1']:.3f} "
                      f"({r['same_pairs']} pairs), cross-language p@5 {r['cross_p@5']:.3f} "
                      f"hit@1 {r['cross_hit@1']:.3f} ({r['cross_pairs']} pairs); "
                      f"{r['pairs_used']}/{r['pairs_total']} pairs in the demo, median query {r['median_ms']:.1f} ms")
        duplicates.GLOSSARY_WEIGHT = weight
        db.session.remove()


if __name__ == "__main__":
    main()
