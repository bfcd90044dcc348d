"""Table files as analysts' tools write them: CSV in the common dialects, and ``.xlsx`` workbooks.

A *sheet* is one table's cells as text: a header row and the data rows, each with the line (or
worksheet row) number a person would look for. What is tolerated, and why:

* **CSV**: UTF-8 with or without a byte-order mark (Excel writes one); ``\\r\\n`` or ``\\n`` line
  ends; the delimiter is ``,``, ``;`` (what spreadsheets write where the decimal mark is a comma)
  or a tab, chosen by :func:`sniff_delimiter` from the header line.
* **xlsx**: one worksheet per table, read with openpyxl (cell values, not formulas); numbers, dates
  and booleans are turned into the text a CSV would hold (:func:`cell_text`).
* In both, a row whose first cell starts with ``#`` is a comment (``trustgraph init`` writes its
  example rows that way) and a row of empty cells is skipped (spreadsheets export trailing ones).

Header names are matched to columns by :func:`normal_name` (any case, surrounding spaces, spaces or
hyphens for underscores); that is the caller's business, as is every check of the values.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from .errors import Problem

__all__ = ["Sheet", "normal_name", "sniff_delimiter", "csv_sheet", "workbook_sheets", "cell_text"]

#: The delimiters a CSV file may use, in order of preference when the header is ambiguous.
DELIMITERS = (",", ";", "\t")
_SEPARATORS = re.compile(r"[\s\-.]+")


@dataclass
class Sheet:
    """One table's cells as text: ``header``, then ``rows`` with their ``lines`` (1-based, as the
    file or worksheet numbers them). ``where`` names it in messages (``referrals.csv``,
    ``book.xlsx [referrals]``)."""

    where: str
    header: list[str]
    header_line: int = 1
    rows: list[list[str]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)


def normal_name(text: str) -> str:
    """A header, file or sheet name as a column or table name: lower case, trimmed, runs of spaces,
    hyphens and dots as one underscore.

    >>> normal_name(" Risk Appetite "), normal_name("Incident-Actions"), normal_name("ID")
    ('risk_appetite', 'incident_actions', 'id')
    """
    return _SEPARATORS.sub("_", str(text).strip().lower()).strip("_")


def _skipped(cells: list[str]) -> bool:
    """A comment row (first cell starts with ``#``) or a row of empty cells."""
    # the cells joined are blank exactly when every cell is (one string operation, not one per cell)
    return not "".join(cells).strip() or cells[0].lstrip().startswith("#")


def sniff_delimiter(line: str) -> str:
    """The delimiter of a CSV file from its header line: the one of :data:`DELIMITERS` that splits it
    into the most fields (quotes respected); ``,`` when none splits it.

    >>> sniff_delimiter("ID;Name;Sector"), sniff_delimiter("id\\tname"), sniff_delimiter('"a;b",c')
    (';', '\\t', ',')
    """
    best, most = ",", 1
    for delimiter in DELIMITERS:
        try:
            fields = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:
            continue
        if len(fields) > most:
            best, most = delimiter, len(fields)
    return best


def csv_sheet(text: str, where: str) -> tuple[Sheet | None, list[Problem]]:
    """Read CSV ``text`` (already decoded, byte-order mark removed) as a :class:`Sheet`.

    Returns the sheet, or ``None`` with the problems that stop it: malformed quoting, no header, or
    rows whose number of fields differs from the header's (each listed with its line).
    """
    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    delimiter = sniff_delimiter(first)
    sheet: Sheet | None = None
    problems: list[Problem] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        for row in reader:
            if _skipped(row):
                continue
            sheet = Sheet(where, row, reader.line_num)
            break
        if sheet is not None:
            # the data rows: the loop does as little as it can per row (a network has millions)
            width, rows, lines = len(sheet.header), sheet.rows, sheet.lines
            add_row, add_line = rows.append, lines.append
            for row in reader:
                first = row[0][:1] if row else ""
                if len(row) == width and first and first != "#" and not first.isspace():
                    add_row(row)  # neither blank nor a comment: its first character says so
                    add_line(reader.line_num)
                elif _skipped(row):
                    continue
                elif len(row) != width:
                    problems.append(Problem(where, reader.line_num, None, f"{len(row)} fields",
                                            f"{width} fields, as in the header row "
                                            f"({_delimiter_name(delimiter)}-separated)"))
                else:
                    add_row(row)
                    add_line(reader.line_num)
    except csv.Error as err:
        return None, [Problem(where, reader.line_num, None, str(err), "well-formed CSV (check the quotes)")]
    if sheet is None:
        return None, [Problem(where, 1, None, "", "a header row naming the columns (the file has none)")]
    return (None if problems else sheet), problems


def _delimiter_name(delimiter: str) -> str:
    return {",": "comma", ";": "semicolon", "\t": "tab"}[delimiter]


def cell_text(value: Any) -> str:
    """A worksheet cell as the text a CSV file would hold: empty for none, ``YYYY-MM-DD`` for a date
    (or a date-time at midnight), ``true``/``false``, integers without ``.0``, other numbers in the
    shortest form that reads back the same.

    >>> [cell_text(v) for v in (None, 3.0, 0.8, True, _dt.datetime(2024, 5, 1), " x ")]
    ['', '3', '0.8', 'true', '2024-05-01', ' x ']
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, _dt.datetime):
        return value.date().isoformat() if value.time() == _dt.time(0) else value.isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    return str(value)


def workbook_sheets(data: bytes, where: str) -> tuple[list[Sheet], list[Problem]]:
    """Every worksheet of the ``.xlsx`` workbook ``data`` as a :class:`Sheet` named
    ``<where> [<sheet title>]`` (empty worksheets are left out).

    Cells beyond the header's last named column must be empty; a row that has one is a problem.
    Formulas are read as their values as last saved by the spreadsheet.
    """
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as err:
        return [], [Problem(where, None, None, type(err).__name__,
                            "an .xlsx workbook (save it from the spreadsheet as .xlsx, or as CSV)")]
    sheets: list[Sheet] = []
    problems: list[Problem] = []
    try:
        for ws in book.worksheets:
            sheet: Sheet | None = None
            label = f"{where} [{ws.title}]"
            for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
                cells = [cell_text(v) for v in values]
                if _skipped(cells):
                    continue
                if sheet is None:
                    while cells and not cells[-1].strip():
                        cells.pop()
                    sheet = Sheet(label, cells, number)
                    continue
                width = len(sheet.header)
                extra = [c for c in cells[width:] if c.strip()]
                if extra:
                    problems.append(Problem(label, number, None, extra[0],
                                            f"no value right of the last named column ({width} columns)"))
                    continue
                sheet.rows.append((cells + [""] * width)[:width])
                sheet.lines.append(number)
            if sheet is not None:
                sheets.append(sheet)
    finally:
        book.close()
    return sheets, problems
