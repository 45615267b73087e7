"""Train/test splits of the seed corpus and of the public datasets in ``../shared/datasets``.

The public files are read where they lie (their terms forbid copying them into the repository).
Every split is fixed: a given seed and the files' current content give the same split each run.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sklearn.model_selection import train_test_split

from community.routing.corpus import load_offtopic, load_seed, split_seed

DATASETS_ENV = "COCREATE_DATASETS"
_REPO_ROOT = Path(__file__).resolve().parents[2]
SPLIT_SEED = 0
TEST_SHARE = 0.2


@dataclass(frozen=True)
class Benchmark:
    """Parallel train and test lists; ``outside`` holds texts that fit no label (should abstain)."""

    name: str
    lang: str
    train_texts: list[str]
    train_labels: list[str]
    test_texts: list[str]
    test_labels: list[str]
    note: str
    outside: list[str] = field(default_factory=list)
    test_langs: list[str] = field(default_factory=list)


def datasets_root(override: str | os.PathLike[str] | None = None) -> Path:
    """Folder of the public datasets: ``override``, else $COCREATE_DATASETS, else ``<repo>/../shared/datasets``."""
    chosen = override or os.environ.get(DATASETS_ENV)
    return Path(chosen) if chosen else _REPO_ROOT.parent / "shared" / "datasets"


def _stratified(name: str, lang: str, texts: list[str], labels: list[str], note: str) -> Benchmark:
    tr_x, te_x, tr_y, te_y = train_test_split(
        texts, labels, test_size=TEST_SHARE, random_state=SPLIT_SEED, stratify=labels
    )
    return Benchmark(name, lang, tr_x, tr_y, te_x, te_y, note)


def seed_benchmark() -> Benchmark:
    """The shipped seed corpus: fixed stratified 80/20 split (``corpus.split_seed``).

    ``outside`` is the off-topic list, so the abstention on it is reported too; note that the
    same list helped choose ``DEFAULT_THRESHOLD`` (see ``threshold.py``), so it is validation
    evidence, not a blind test.
    """
    train, heldout = split_seed(load_seed())
    return Benchmark(
        "seed", "zh+en",
        [r.text for r in train], [r.team for r in train],
        [r.text for r in heldout], [r.team for r in heldout],
        "data/feedback_seed.csv, stratified 80/20",
        outside=load_offtopic(),
        test_langs=[r.lang for r in heldout],
    )


def ccf2018(root: Path) -> Benchmark:
    """CCF BDCI 2018 car comments, label ``subject`` (10 aspects).

    One row per distinct ``content`` (stripped); a comment tagged with several different subjects
    is excluded (about 1.2k of 8.5k): it has no single right answer for a single-label router.
    """
    subjects: dict[str, set[str]] = {}
    with (root / "ccf2018-car-subjects" / "train.csv").open(encoding="utf-8", newline="") as fh:
        for rec in csv.DictReader(fh):
            subjects.setdefault(rec["content"].strip(), set()).add(rec["subject"])
    single = [(text, next(iter(s))) for text, s in subjects.items() if len(s) == 1]
    return _stratified(
        "ccf2018-car-subjects", "zh", [t for t, _ in single], [y for _, y in single],
        "unique single-subject comments, stratified 80/20",
    )


def dataclue_cic(root: Path) -> Benchmark:
    """DataCLUE CIC e-commerce intents, label ``label_des`` (118): train.json -> dev.json (both noisy)."""

    def read(name: str) -> tuple[list[str], list[str]]:
        with (root / "dataclue-cic" / name).open(encoding="utf-8") as fh:
            recs = [json.loads(line) for line in fh if line.strip()]
        return [r["sentence"] for r in recs], [r["label_des"] for r in recs]

    (tr_x, tr_y), (te_x, te_y) = read("train.json"), read("dev.json")
    return Benchmark("dataclue-cic", "zh", tr_x, tr_y, te_x, te_y, "train.json -> dev.json")


def banking77(root: Path) -> Benchmark:
    """PolyAI banking77 queries, label ``category`` (77 intents): stratified 80/20 of train.csv."""
    with (root / "banking77" / "train.csv").open(encoding="utf-8", newline="") as fh:
        recs = list(csv.DictReader(fh))
    return _stratified(
        "banking77", "en", [r["text"] for r in recs], [r["category"] for r in recs], "train.csv, stratified 80/20"
    )


def clinc150(root: Path) -> Benchmark:
    """CLINC150 (Larson et al. 2019): train -> val (150 in-scope intents); ``outside`` = oos_val."""
    with (root / "clinc150" / "data_train_val.json").open(encoding="utf-8") as fh:
        data = json.load(fh)
    return Benchmark(
        "clinc150", "en",
        [t for t, _ in data["train"]], [y for _, y in data["train"]],
        [t for t, _ in data["val"]], [y for _, y in data["val"]],
        "train -> val; out-of-scope: oos_val",
        outside=[t for t, _ in data["oos_val"]],
    )


#: Public benchmarks by folder name, in report order.
PUBLIC: dict[str, Callable[[Path], Benchmark]] = {
    "ccf2018-car-subjects": ccf2018,
    "dataclue-cic": dataclue_cic,
    "banking77": banking77,
    "clinc150": clinc150,
}
