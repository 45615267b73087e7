"""Memory of one process with the app imported and the feedback router loaded, jieba's own dict vs the compact one.

    nice .venv/bin/python bench/router_memory.py [--model PATH]

Trains the production recipe on the seed corpus (or loads ``--model``, a ``model.joblib``), then, in a fresh
subprocess per variant, side by side: ``create_app()`` (SQLite in a temporary instance folder), the router
loaded (``Router.load``), one prediction (which segments with jieba). Prints VmRSS, Pss and private memory
(MB, /proc/self/smaps_rollup) after each step:

- ``jieba-dict``: jieba's global tokenizer with its own prefix dict (``jieba.initialize()``: what main did);
- ``compact``: ``community.routing.jieba_dict`` (the app's tokenizer), the memory-mapped marisa-trie.

Pss shares a mapped page's cost among the processes mapping it (the trie's pages among a host's workers).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # run as a script: make `community` importable
TEXT = "充电桩一直显示故障，app 里也找不到附近可用的桩"  # bench/gunicorn_hooks.py's text


def memory_mb() -> dict[str, float]:
    """VmRSS, Pss and Private (clean + dirty) of this process, MB."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0]) / 1024
    return {"rss": fields["Rss"], "pss": fields["Pss"], "private": fields["Private_Clean"] + fields["Private_Dirty"]}


def child(variant: str, model: str) -> None:
    steps = {"start": memory_mb()}
    with tempfile.TemporaryDirectory() as instance:
        os.environ["COCREATE_INSTANCE_PATH"] = instance
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{instance}/cocreate.db")
        from community import create_app

        create_app()
        steps["app imported"] = memory_mb()
        from community.routing import Router, text

        if variant == "jieba-dict":  # main before the compact dict: jieba's global tokenizer, its own dict
            import jieba

            def plain():
                jieba.setLogLevel(60)
                jieba.initialize()
                return jieba

            text._jieba = plain
        router = Router.load(model)
        steps["router loaded"] = memory_mb()
        router.predict([TEXT])
        steps["one prediction"] = memory_mb()
    print(json.dumps(steps))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="a model.joblib to load (default: train the seed corpus's, ~30 s)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.model)
    with tempfile.TemporaryDirectory() as tmp:
        model = args.model
        if not model:
            from community.routing.train import train_router

            model = str(train_router().save(Path(tmp) / "model.joblib"))
        results = {}
        for variant in ("jieba-dict", "compact"):
            done = subprocess.run([sys.executable, __file__, "--child", variant, "--model", model],
                                  capture_output=True, text=True, check=True, cwd=REPO)
            results[variant] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"{'MB: rss / pss / private':<24}" + "".join(f"{v:>28}" for v in results))
    for step in results["compact"]:
        cells = [f"{m['rss']:.1f} / {m['pss']:.1f} / {m['private']:.1f}" for m in (r[step] for r in results.values())]
        print(f"{step:<24}" + "".join(f"{c:>28}" for c in cells))


if __name__ == "__main__":
    main()
