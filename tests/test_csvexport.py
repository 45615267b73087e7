"""The one CSV export helper every download uses (audit log, entitlement ledger, campaign pledges, scorecards)."""
from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from community.csvexport import csv_lines, csv_response


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


@pytest.mark.parametrize("danger", ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1",
                                    '=HYPERLINK("http://evil","x")'])
def test_a_cell_a_spreadsheet_would_run_is_written_as_text(danger):
    rows = _rows("".join(csv_lines(["name"], [[danger]])))
    assert rows[1] == ["'" + danger]


def test_plain_text_numbers_and_empty_cells_are_written_as_they_are():
    text = "".join(csv_lines(["a", "b", "c", "d", "e"], [["张三 O'Neil", -5, Decimal("-2.50"), None, "a=b"]]))
    assert _rows(text) == [["a", "b", "c", "d", "e"], ["张三 O'Neil", "-5", "-2.50", "", "a=b"]]


def test_the_header_comes_alone_first_and_rows_follow_in_chunks_read_lazily():
    read = []

    def rows():
        for i in range(5):
            read.append(i)
            yield [i]

    chunks = csv_lines(["n"], rows(), rows_per_chunk=2)
    assert next(chunks) == "n\r\n" and read == []  # nothing read before the download starts
    assert list(chunks) == ["0\r\n1\r\n", "2\r\n3\r\n", "4\r\n"]


def test_the_utf8_mark_only_when_asked():
    assert next(csv_lines(["n"], [], bom=True)) == "\ufeffn\r\n"
    assert "".join(csv_lines(["n"], [])) == "n\r\n"


def test_the_response_is_a_streamed_named_csv_download(app):
    with app.test_request_context():
        resp = csv_response(csv_lines(["n"], [[1], ["=x"]]), "export.csv")
        assert resp.is_streamed and resp.mimetype == "text/csv"
        assert resp.headers["Content-Disposition"] == 'attachment; filename="export.csv"'
        assert _rows(resp.get_data(as_text=True)) == [["n"], ["1"], ["'=x"]]
