"""Offline check that the compact jieba dictionary (community/routing/jieba_dict.py) segments exactly as jieba.

    COCREATE_DATASETS=/work/shared/datasets nice -n 10 .venv/bin/python bench/jieba_identity.py [--datasets PATH]

Every text the router benchmark reads (seed corpus, off-topic texts, each public set's training, test and
outside parts), raw and as the router sees it (``normalize``), cut by jieba's own ``lcut`` (its global
tokenizer, big dict) and by the compact tokenizer. Prints the count compared and the mismatches (expected 0);
exits 1 on any mismatch. About a minute of one core.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: make `community` importable

import jieba  # noqa: E402

from community.routing import jieba_dict  # noqa: E402
from community.routing.corpus import load_offtopic, load_seed  # noqa: E402
from community.routing.datasets import PUBLIC, datasets_root  # noqa: E402
from community.routing.text import normalize  # noqa: E402


def texts(root: Path) -> dict[str, list[str]]:
    """Name -> every text of that source (duplicates kept: they cost little and prove nothing new)."""
    out = {"seed": [r.text for r in load_seed()], "offtopic": list(load_offtopic())}
    for name, load in PUBLIC.items():
        if (root / name).is_dir():
            bench = load(root)
            out[name] = [*bench.train_texts, *bench.test_texts, *bench.outside]
        else:
            print(f"{name}: not under {root}, skipped")
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--datasets", help="folder of the public datasets")
    args = parser.parse_args()
    jieba.setLogLevel(60)
    jieba.initialize()
    compact = jieba_dict.tokenizer()
    compared = mismatched = 0
    for name, items in texts(datasets_root(args.datasets)).items():
        bad = 0
        for text in items:
            for variant in {text, normalize(text)}:
                compared += 1
                if compact.lcut(variant) != jieba.lcut(variant):
                    bad += 1
                    if bad <= 3:
                        print(f"  {name}: {variant!r}: {compact.lcut(variant)} != {jieba.lcut(variant)}")
        mismatched += bad
        print(f"{name}: {len(items)} texts, {bad} mismatches")
    print(f"total: {compared} segmentations compared (raw and normalised), {mismatched} mismatches")
    return 1 if mismatched else 0


if __name__ == "__main__":
    raise SystemExit(main())
