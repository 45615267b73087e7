"""Evaluate the router recipe on any labelled file: ``flask routing evaluate --data PATH ...``.

Reads CSV (``.csv``; ``.tsv`` tab-separated) or JSON-lines (``.jsonl``, ``.ndjson``, ``.json`` with one
object per line), trains a fresh ``Router`` on the training part and prints, for the test part:
accuracy and macro-F1 of the top label, per-label precision/recall/F1, the confusion matrix, and
precision at 50/70/80/90/100 % auto-route coverage (route only the most confident share).
"""

from __future__ import annotations

import csv
import json
import math
import os
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, precision_recall_fscore_support
from sklearn.model_selection import train_test_split

from community.routing.model import DEFAULT_THRESHOLD, Router

COVERAGES: tuple[float, ...] = (0.5, 0.7, 0.8, 0.9, 1.0)
TEST_SHARE = 0.2
SPLIT_SEED = 0
#: Beyond this many labels the full matrix is unreadable: the most frequent confusions are listed instead.
MATRIX_MAX_LABELS = 25
_JSONL = {".jsonl", ".ndjson", ".json"}


def read_labelled(path: str | os.PathLike[str], text_col: str, label_col: str) -> tuple[list[str], list[str]]:
    """(texts, labels) from a CSV or JSON-lines file; rows without a label are skipped.

    Labels are compared as strings (JSON numbers become "3"). Raises ValueError when the file has
    neither column, a JSON line is not an object, or no labelled row remains.
    """
    path = Path(path)
    texts: list[str] = []
    labels: list[str] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        if path.suffix.lower() in _JSONL:
            records = []
            for number, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as exc:
                    raise ValueError(f"{path}:{number}: not a JSON line ({exc})") from exc
                if not isinstance(record, dict):
                    raise ValueError(f"{path}:{number}: a JSON-lines row must be an object")
                records.append(record)
            columns = set().union(*(r.keys() for r in records)) if records else set()
        else:
            reader = csv.DictReader(fh, delimiter="\t" if path.suffix.lower() == ".tsv" else ",")
            records = list(reader)
            columns = set(reader.fieldnames or ())
    missing = [c for c in (text_col, label_col) if c not in columns]
    if missing:
        raise ValueError(f"{path}: no column {', '.join(map(repr, missing))}; it has {sorted(columns)}")
    for record in records:
        label = record.get(label_col)
        if label is None or str(label).strip() == "":
            continue
        text = record.get(text_col)
        texts.append("" if text is None else str(text))
        labels.append(str(label).strip())
    if not labels:
        raise ValueError(f"{path}: no labelled rows")
    return texts, labels


def coverage_precision(confidence: Sequence[float], correct: Sequence[bool],
                       coverages: Sequence[float] = COVERAGES) -> list[tuple[float, float, float]]:
    """(coverage, precision, confidence cut-off) when only the most confident share is routed automatically.

    For coverage c, the ceil(c * n) most confident items are routed and precision is the share of
    them whose top label is right; the cut-off is the lowest confidence routed. Ties keep input order.
    """
    conf = np.asarray(confidence, dtype=float)
    right = np.asarray(correct, dtype=bool)
    order = np.argsort(-conf, kind="stable")
    rows = []
    for c in coverages:
        k = max(1, math.ceil(c * len(conf)))
        chosen = order[:k]
        rows.append((c, float(right[chosen].mean()), float(conf[chosen].min())))
    return rows


def _dedupe(texts: list[str], labels: list[str]) -> tuple[list[str], list[str], int]:
    seen: set[tuple[str, str]] = set()
    out_t, out_y = [], []
    for t, y in zip(texts, labels, strict=True):
        if (t, y) not in seen:
            seen.add((t, y))
            out_t.append(t)
            out_y.append(y)
    return out_t, out_y, len(texts) - len(out_t)


def _split(texts: list[str], labels: list[str]) -> tuple[list[str], list[str], list[str], list[str], str]:
    counts = Counter(labels)
    stratify = labels if min(counts.values()) >= 2 and len(labels) * TEST_SHARE >= len(counts) else None
    tr_x, te_x, tr_y, te_y = train_test_split(texts, labels, test_size=TEST_SHARE, random_state=SPLIT_SEED,
                                              stratify=stratify)
    how = "stratified" if stratify else "random"
    return tr_x, tr_y, te_x, te_y, f"{how} {100 - round(100 * TEST_SHARE)}/{round(100 * TEST_SHARE)} split"


def _matrix_lines(truth: list[str], top: list[str], labels: list[str]) -> list[str]:
    matrix = confusion_matrix(truth, top, labels=labels)
    if len(labels) > MATRIX_MAX_LABELS:
        pairs = [(int(matrix[i, j]), labels[i], labels[j]) for i in range(len(labels)) for j in range(len(labels))
                 if i != j and matrix[i, j]]
        pairs.sort(key=lambda p: (-p[0], p[1], p[2]))
        lines = [f"confusion matrix: {len(labels)} labels, too many to print; the 20 most frequent confusions "
                 "(true -> predicted: count):"]
        lines += [f"  {t} -> {p}: {n}" for n, t, p in pairs[:20]] or ["  none"]
        return lines
    width = max(4, len(str(int(matrix.max()))) + 1)
    name_width = max(len(x) for x in labels) + 5
    lines = ["confusion matrix (rows: true label, columns: predicted, numbered as the rows):",
             " " * name_width + "".join(f"{j + 1:>{width}}" for j in range(len(labels)))]
    for i, label in enumerate(labels):
        lines.append(f"{i + 1:>3}. {label:<{name_width - 5}}" + "".join(f"{int(v):>{width}}" for v in matrix[i]))
    return lines


def report(router: Router, test_texts: Sequence[str], test_labels: Sequence[str]) -> str:
    """The figures of ``router`` on a labelled test set, as plain text (see the module docstring)."""
    preds = router.predict(list(test_texts))
    truth = [str(y) for y in test_labels]
    top = [p.top3[0][0] if p.top3 else "" for p in preds]  # "" = nothing to route (empty/emoji text)
    conf = [p.confidence for p in preds]
    correct = [t == y for t, y in zip(top, truth, strict=True)]
    labels = sorted(set(truth) | {t for t in top if t})
    present = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(truth, top, labels=present, zero_division=0)
    macro = precision_recall_fscore_support(truth, top, labels=present, average="macro", zero_division=0)
    kept = [p.team is not None for p in preds]
    n = len(truth)
    lines = [
        f"accuracy        {np.mean(correct):.3f}",
        f"macro-F1        {macro[2]:.3f}   (macro precision {macro[0]:.3f}, macro recall {macro[1]:.3f})",
        f"at threshold {router.threshold:.2f}: {100 * (1 - np.mean(kept)):.1f} % abstained (triage), "
        f"{100 * np.mean([k and c for k, c in zip(kept, correct, strict=True)]):.1f} % routed right",
        "",
        f"{'label':<28}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}",
    ]
    for i, label in enumerate(present):
        lines.append(f"{label[:27]:<28}{precision[i]:>10.3f}{recall[i]:>8.3f}{f1[i]:>7.3f}{int(support[i]):>9}")
    lines.append("")
    lines += _matrix_lines(truth, top, labels)
    lines += ["", "precision at auto-route coverage (the most confident share routed, the rest to triage):"]
    for c, p, cut in coverage_precision(conf, correct):
        lines.append(f"  {100 * c:3.0f} % coverage: precision {p:.3f}  (confidence >= {cut:.3f}, "
                     f"{max(1, math.ceil(c * n))} of {n})")
    return "\n".join(lines)


def evaluate_files(data: str | os.PathLike[str], text_col: str, label_col: str,
                   test: str | os.PathLike[str] | None = None, threshold: float = DEFAULT_THRESHOLD) -> str:
    """Train on ``data`` (or its 80 % when no ``test`` file is given), score the test part; the report text.

    Exact duplicate (text, label) rows are dropped before splitting (they would leak into the test part),
    and so are training labels with fewer than 2 examples (calibration needs two). Raises ValueError
    for unreadable files (see ``read_labelled``) or too little data.
    """
    texts, labels = read_labelled(data, text_col, label_col)
    texts, labels, dropped = _dedupe(texts, labels)
    notes = [f"{dropped} duplicate (text, label) rows dropped"] if dropped else []
    if test is None:
        tr_x, tr_y, te_x, te_y, how = _split(texts, labels)
        source = f"{Path(data).name}, {how}"
    else:
        tr_x, tr_y = texts, labels
        te_x, te_y = read_labelled(test, text_col, label_col)
        source = f"{Path(data).name} -> {Path(test).name}"
        overlap = len(set(tr_x) & set(te_x))
        if overlap:
            notes.append(f"{overlap} test texts also occur in the training file")
    rare = {y for y, k in Counter(tr_y).items() if k < 2}
    if rare:
        notes.append(f"{len(rare)} labels with a single training example left out of training")
        keep = [i for i, y in enumerate(tr_y) if y not in rare]
        tr_x, tr_y = [tr_x[i] for i in keep], [tr_y[i] for i in keep]
    if len(set(tr_y)) < 2:
        raise ValueError("need at least two labels with two or more training examples each")
    started = time.perf_counter()
    router = Router.train(tr_x, tr_y, threshold=threshold)
    fit = time.perf_counter() - started
    head = [f"{source}: {len(tr_x)} training rows, {len(te_x)} test rows, {len(set(tr_y))} labels trained, "
            f"fitted in {fit:.1f} s"] + [f"note: {n}" for n in notes]
    return "\n".join(head + ["", report(router, te_x, te_y)])
