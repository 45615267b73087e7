"""Held-out quality floors, on the seed corpus and (when present) on real car-forum comments.

Floors sit well under the measured figures so that split noise never fails them, yet far above
what real breakage gives (a misaligned label order, or a word tokenizer that sees whole Chinese
clauses as one token, scores macro-F1 below 0.3).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from community.routing import Router
from community.routing.corpus import SeedRow, load_offtopic, load_seed, split_seed
from community.routing.datasets import ccf2018, datasets_root
from community.routing.evaluate import score
from community.routing.model import MARGIN_Z
from community.routing.train import main as train_main
from community.routing.train import train_router
from community.routing.versions import list_versions, load_version

# Measured 0.967 on the 303 held-out rows of the 1,512-row corpus (10 errors); one more error costs
# about 0.3 point of macro-F1, so 0.90 tolerates three times today's errors and still catches a real
# regression.
SEED_F1_FLOOR = 0.90
# Measured 0.864 on 1471 held-out comments (datasets/README.md: char n-grams reach ~0.89 accuracy,
# sklearn's default word tokenizer 0.14); 0.80 leaves room for other splits and small changes.
CCF_F1_FLOOR = 0.80


def test_seed_heldout_macro_f1(seed_router: Router, seed_split: tuple[list[SeedRow], list[SeedRow]]) -> None:
    heldout = seed_split[1]
    metrics = score(seed_router, [r.text for r in heldout], [r.team for r in heldout], load_offtopic())
    assert metrics["macro_f1"] >= SEED_F1_FLOOR, metrics
    assert metrics["kept_accuracy"] >= 0.95, metrics  # what the router does route, it routes right
    assert metrics["outside_abstain_rate"] >= 0.3, metrics  # measured 0.40 on the off-topic list


def test_ccf2018_heldout_macro_f1() -> None:
    root = datasets_root()
    if not (root / "ccf2018-car-subjects").is_dir():
        pytest.skip(f"public dataset absent: no {root / 'ccf2018-car-subjects'} (set COCREATE_DATASETS)")
    bench = ccf2018(root)
    router = Router.train(bench.train_texts, bench.train_labels, target_precision=None)  # F1 only: skip thresholds
    metrics = score(router, bench.test_texts, bench.test_labels)
    assert metrics["macro_f1"] >= CCF_F1_FLOOR, metrics


# Learning from corrections (issue 16): 1,800 car-forum comments as the app's only labels (the training path
# keeps a tenth out as the validation slice), thresholds for 0.95 precision; on the 1,471 held-out comments
# measured 0.585 routed automatically at precision 0.977 (the next two runs of 1,800 training comments:
# 0.656 at 0.959, 0.691 at 0.957). Before the margin and the jieba words: 0.62 routed at 0.960 on 1,000.
# What is routed must reach the target itself: about four standard errors under the measured precision.
CORRECTIONS_COVERAGE_FLOOR = 0.55
CORRECTIONS_PRECISION_FLOOR = 0.95


def test_thresholds_learnt_from_corrections_route_most_held_out_comments_at_the_target_precision() -> None:
    root = datasets_root()
    if not (root / "ccf2018-car-subjects").is_dir():
        pytest.skip(f"public dataset absent: no {root / 'ccf2018-car-subjects'} (set COCREATE_DATASETS)")
    bench = ccf2018(root)
    corrections = list(zip(bench.train_texts[:1800], bench.train_labels[:1800], strict=True))
    router = train_router(corrections, seed_rows=[], target_precision=CORRECTIONS_PRECISION_FLOOR)
    preds = router.predict(bench.test_texts)  # never trained on, never used to choose a cut-off
    routed = [(p.team, y) for p, y in zip(preds, bench.test_labels, strict=True) if p.team is not None]
    precision = sum(team == y for team, y in routed) / len(routed)
    assert len(routed) / len(preds) >= CORRECTIONS_COVERAGE_FLOOR, (len(routed), precision)
    assert precision >= CORRECTIONS_PRECISION_FLOOR, (len(routed), precision)
    assert router.metadata["margin_z"] == MARGIN_Z and router.metadata["use_jieba"]  # the app's recipe and margin


def test_train_command_writes_a_loadable_version(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "instance" / "models"
    train_main(["--models", str(models)])
    printed = capsys.readouterr().out
    [version] = [info.version for info in list_versions(models)]
    assert "macro_f1" in printed and f"saved {models / version}" in printed
    router = load_version(models, version)
    train, held = split_seed(load_seed())  # the seed's held-out fifth is the validation slice: never trained on
    assert router.metadata["training_size"] == len(train) >= 1200
    assert router.metadata["rows"] == {"seed": len(train), "corrections": 0, "total": len(train),
                                       "validation": len(held), "dropped": 0}
    assert router.metadata["heldout_metrics"]["macro_f1"] >= SEED_F1_FLOOR
    routed = router.metadata["heldout_metrics"]["routing"]
    assert routed["precision"] >= 0.95 and routed["coverage"] >= 0.6, routed  # measured 0.98-0.99 at 83-88 %
    assert router.predict(["小区物业不让装家充桩怎么办"])[0].team == "charging"
