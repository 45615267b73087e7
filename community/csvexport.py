"""CSV exports, streamed and safe to open in a spreadsheet: every export (audit log, entitlement ledger,
campaign pledges, store scorecards) goes through ``csv_lines`` and ``csv_response``.

Formula guard (CSV injection, OWASP): a text cell starting with ``= + - @``, a tab or a carriage return is
run as a formula by Excel, LibreOffice and Sheets, so it is written with a leading apostrophe, which they
show as text. Numbers are left alone: ``-5`` is a number to a spreadsheet, never a formula.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence

from flask import Response, stream_with_context

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"  # Excel reads a CSV file as UTF-8 (Chinese names) only when it starts with this mark


def safe_cell(value):
    """``value`` as a spreadsheet will take it: None -> "", text that would start a formula -> "'" + text,
    anything else (numbers, dates already formatted by the caller) unchanged."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence], *, bom: bool = False,
              rows_per_chunk: int = 200) -> Iterator[str]:
    """CSV text in chunks: the header alone first (so a download starts at once), then ``rows_per_chunk`` rows
    per chunk. Every cell goes through ``safe_cell``. ``rows`` is consumed lazily, so a caller that reads the
    database in batches keeps memory flat however long the export is. ``bom`` puts the UTF-8 mark first."""
    buf = io.StringIO()
    writer = csv.writer(buf)

    def take() -> str:
        text = buf.getvalue()
        buf.seek(0)
        buf.truncate()
        return text

    writer.writerow(header)
    yield (BOM if bom else "") + take()
    pending = 0
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
        pending += 1
        if pending == rows_per_chunk:
            yield take()
            pending = 0
    if pending:
        yield take()


def csv_response(lines: Iterable[str], filename: str) -> Response:
    """A streamed ``text/csv`` download named ``filename``. The request context stays open while the body is
    written, so ``lines`` may read the database lazily."""
    return Response(stream_with_context(lines), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
