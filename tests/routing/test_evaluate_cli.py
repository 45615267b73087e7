"""``flask routing evaluate --data PATH --text-col C --label-col C [--test PATH]`` on generated CSV and JSON-lines."""
from __future__ import annotations

import csv
import json

import pytest

from community.routing.report import coverage_precision, read_labelled

WORDS = {
    "charge": ["充电桩", "超充站", "charger", "charging pile", "充电枪", "快充"],
    "app": ["App", "蓝牙钥匙", "CarPlay", "车机", "bluetooth", "OTA"],
    "leak": ["漏水", "漏油", "异响", "water leak", "天窗", "rattle"],
}
TAILS = ["坏了", "不能用", "broken again", "有问题", "fails every morning", "一直报错", "太慢了", "断开"]


def _rows() -> list[tuple[str, str]]:
    return [(f"{w}{tail}", label) for label, words in WORDS.items() for w in words for tail in TAILS]


def _write_csv(path, rows, text_col="body", label_col="team") -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", text_col, label_col])
        writer.writerows((i, t, y) for i, (t, y) in enumerate(rows))


def _write_jsonl(path, rows, text_col="body", label_col="team") -> None:
    path.write_text("".join(json.dumps({text_col: t, label_col: y}, ensure_ascii=False) + "\n" for t, y in rows),
                    encoding="utf-8")


def _check_report(output: str, labels) -> None:
    for needle in ("accuracy", "macro-F1", "precision", "recall", "confusion matrix",
                   " 50 % coverage", " 70 % coverage", " 80 % coverage", " 90 % coverage", "100 % coverage"):
        assert needle in output, needle
    for label in labels:
        assert label in output


def test_csv_split_80_20(runner, tmp_path) -> None:
    data = tmp_path / "data.csv"
    _write_csv(data, _rows() + _rows()[:5])  # 5 exact duplicates
    result = runner.invoke(args=["routing", "evaluate", "--data", str(data), "--text-col", "body",
                                 "--label-col", "team"])
    assert result.exit_code == 0, result.output
    _check_report(result.output, WORDS)
    assert "stratified 80/20 split: 115 training rows, 29 test rows" in result.output
    assert "5 duplicate (text, label) rows dropped" in result.output


def test_jsonl_train_and_separate_test_file(runner, tmp_path) -> None:
    rows = _rows()
    train, test = tmp_path / "train.jsonl", tmp_path / "test.csv"
    _write_jsonl(train, rows[::2] + rows[1::4])
    _write_csv(test, rows[3::4])
    result = runner.invoke(args=["routing", "evaluate", "--data", str(train), "--test", str(test),
                                 "--text-col", "body", "--label-col", "team"])
    assert result.exit_code == 0, result.output
    _check_report(result.output, WORDS)
    assert "train.jsonl -> test.csv" in result.output and f"{len(rows[3::4])} test rows" in result.output


def test_a_missing_column_is_a_clear_error(runner, tmp_path) -> None:
    data = tmp_path / "data.csv"
    _write_csv(data, _rows())
    result = runner.invoke(args=["routing", "evaluate", "--data", str(data), "--text-col", "content",
                                 "--label-col", "team"])
    assert result.exit_code != 0 and "no column 'content'" in result.output


def test_test_file_needs_data(runner, tmp_path) -> None:
    result = runner.invoke(args=["routing", "evaluate", "--test", str(tmp_path / "x.csv")])
    assert result.exit_code != 0


def test_read_labelled_skips_unlabelled_rows_and_reads_numbers_as_labels(tmp_path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_text('{"t": "a", "y": 3}\n\n{"t": "b", "y": ""}\n{"t": null, "y": "z"}\n', encoding="utf-8")
    assert read_labelled(path, "t", "y") == (["a", ""], ["3", "z"])
    path.write_text('[1, 2]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="must be an object"):
        read_labelled(path, "t", "y")


def test_coverage_precision_routes_the_most_confident_share() -> None:
    conf = [0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]
    right = [True, True, True, True, True, False, True, False, False, False]
    rows = {c: (p, cut) for c, p, cut in coverage_precision(conf, right)}
    assert rows[0.5] == (1.0, 0.5)
    assert rows[0.7] == (6 / 7, 0.3)
    assert rows[1.0] == (0.6, 0.05)
