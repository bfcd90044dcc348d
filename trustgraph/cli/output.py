"""Output formats shared by every command: table, json, ndjson, csv.

Rows are plain dicts. JSON keeps nested values; table and CSV flatten them (lists joined with ``; ``,
dicts as ``key=value``). Output streams to stdout; nothing here prints anywhere else.

Names and notes come from data, so each format is made safe for where it goes (docs/output.md):

* **table** (and every text report): control characters are shown escaped, never passed to the
  terminal — C0 controls, DEL, C1 controls and the bidirectional overrides become ``\\x1b``,
  ``\\u202e`` …; in a table cell line breaks and tabs are escaped too (``\\n``, ``\\t``), so a value
  stays on its row (:func:`terminal_text`).
* **csv** (for spreadsheets): a text cell, or a ``;``-separated part of one, that starts with ``=``,
  ``+``, ``-``, ``@``, a tab, a carriage return or NUL gets a leading apostrophe, so a spreadsheet
  shows it as text instead of running it as a formula (OWASP "CSV Injection"); numbers, and text
  that is a plain number such as ``-0.25``, are unchanged (:func:`spreadsheet_cell`).
* **json**/**ndjson**: exact. JSON escapes C0 controls; DEL, C1 controls, the bidirectional
  overrides and U+2028/U+2029 are written as ``\\uXXXX`` escapes too, so the text is safe on a
  terminal and parses to the same values (:func:`to_json`).
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

__all__ = ["FORMATS", "format_option", "emit", "emit_document", "emit_answer", "to_json", "flatten",
           "terminal_text", "spreadsheet_cell", "csv_text", "ndjson_text"]

FORMATS = ("table", "json", "ndjson", "csv")
F = TypeVar("F", bound=Callable[..., Any])


def format_option(func: F) -> F:
    """Add ``--format`` (default: table on a terminal, json otherwise)."""
    return click.option(
        "--format", "fmt", type=click.Choice(FORMATS), default=None,
        help="Output format [default: table on a terminal, else json].",
    )(func)


def resolve_format(fmt: str | None) -> str:
    if fmt:
        return fmt
    return "table" if sys.stdout.isatty() else "json"


# Characters a terminal may act on: C0 controls, DEL, C1 controls (U+009B is a one-character CSI), and
# the bidirectional embeddings, overrides and isolates that reorder what is shown.
_UNSAFE_CELL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")  # keeps \t and \n
_UNSAFE_JSON = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What makes a spreadsheet read a cell as a formula (OWASP), the separator of composite text, and
# text that is only a number (left as it is).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\x00")
_SEPARATOR = re.compile(r"(;[ \t]*)")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def terminal_text(text: str, *, one_line: bool = False) -> str:
    r"""``text`` with every character a terminal could act on shown escaped.

    C0 controls (except newline and tab), DEL, C1 controls and the bidirectional overrides become
    ``\xNN`` / ``\uNNNN`` (a carriage return ``\r``); with ``one_line`` (a table cell) newlines and
    tabs become ``\n`` and ``\t`` too. Text without them is returned unchanged.

    >>> terminal_text("\x1b[31mred\x1b[0m\tok")
    '\\x1b[31mred\\x1b[0m\tok'
    >>> terminal_text("two\nlines", one_line=True)
    'two\\nlines'
    """
    pattern = _UNSAFE_CELL if one_line else _UNSAFE_TEXT
    return pattern.sub(_escape, text) if pattern.search(text) else text


def _terminal_safe(value: Any) -> Any:
    """A copy of a document whose text (values and keys) is :func:`terminal_text` on one line each."""
    if isinstance(value, str):
        return terminal_text(value, one_line=True)
    if isinstance(value, dict):
        return {_terminal_safe(k) if isinstance(k, str) else k: _terminal_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_terminal_safe(v) for v in value)
    return value


def _formula(text: str) -> bool:
    return text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text)


def spreadsheet_cell(value: Any) -> str:
    r"""One CSV cell (:func:`flatten`), safe to open in a spreadsheet.

    Text that starts with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or NUL, and each
    ``;``-separated part of a text cell that does (lists and composite text such as "A (+0.1); B"),
    gets a leading apostrophe, which spreadsheets read as "this is text". Numbers, and text that is
    a plain number (``-0.25``, ``+0.0130``), are left as they are.

    >>> spreadsheet_cell('=HYPERLINK("http://x")'), spreadsheet_cell(-0.25), spreadsheet_cell("-0.25")
    ('\'=HYPERLINK("http://x")', '-0.25', '-0.25')
    >>> spreadsheet_cell(["Alpha", "@SUM(A1)", "-2"])
    "Alpha; '@SUM(A1); -2"
    """
    text = flatten(value)
    if isinstance(_clean(value), (int, float)) or not text:
        return text
    if ";" not in text:
        return "'" + text if _formula(text) else text
    pieces = _SEPARATOR.split(text)  # parts at even positions, separators at odd ones
    return "".join("'" + p if i % 2 == 0 and _formula(p) else p for i, p in enumerate(pieces))


def _clean(value: Any) -> Any:
    """Make a value JSON-safe: NaN/inf become null, numpy scalars plain numbers."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return round(value, 6)
    return value


def to_json(value: Any, *, indent: int | None = 2) -> str:
    """Serialise with stable key order as given, UTF-8 text kept as is except the characters a terminal
    acts on: JSON escapes C0 controls, and DEL, C1 controls, bidirectional overrides and U+2028/9 are
    escaped here (``\\u009b``), which parses to the same value."""
    text = json.dumps(_clean(value), indent=indent, ensure_ascii=False)
    # They can only occur inside JSON strings, where a \\u escape means the same character.
    return _UNSAFE_JSON.sub(lambda m: f"\\u{ord(m.group()):04x}", text) if _UNSAFE_JSON.search(text) else text


def flatten(value: Any) -> str:
    """One cell of text for table and CSV output."""
    value = _clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.4f}".rstrip("0").rstrip(".") if value != int(value) or abs(value) < 1e15 else str(value)
    if isinstance(value, dict):
        return ", ".join(f"{k}={flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(flatten(v) for v in value)
    return str(value)


def _columns(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None) -> list[str]:
    if columns:
        return list(columns)
    seen: dict[str, None] = {}
    for row in rows:
        for key in row:
            seen.setdefault(key, None)
    return list(seen)


def _table(rows: Sequence[dict[str, Any]], columns: list[str], max_width: int = 60) -> str:
    cells = [[terminal_text(flatten(r.get(c)), one_line=True) for c in columns] for r in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    columns = [terminal_text(c, one_line=True) for c in columns]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for row in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
    return "\n".join(lines)


def emit(
    rows: Iterable[dict[str, Any]],
    fmt: str | None,
    *,
    columns: Sequence[str] | None = None,
    document: Any = None,
    title: str | None = None,
) -> None:
    """Print rows in ``fmt``.

    ``columns`` picks and orders table/CSV columns (JSON keeps every field). ``document`` replaces
    the rows in JSON output when a command returns one structured object. ``title`` is shown above a
    table only.
    """
    fmt = resolve_format(fmt)
    rows = list(rows)
    if fmt == "json":
        click.echo(to_json(rows if document is None else document))
    elif fmt == "ndjson":
        for row in rows:
            click.echo(to_json(row, indent=None))
    elif fmt == "csv":
        buf = io.StringIO()
        cols = _columns(rows, columns)
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow([spreadsheet_cell(c) for c in cols])
        for row in rows:
            writer.writerow([spreadsheet_cell(row.get(c)) for c in cols])
        click.echo(buf.getvalue(), nl=False)
    else:
        if title:
            click.echo(terminal_text(title))
        if not rows:
            click.echo("(no rows)")
            return
        click.echo(_table(rows, _columns(rows, columns)))


def emit_document(document: dict[str, Any], fmt: str | None, *, text: Callable[[dict[str, Any]], str],
                  rows: Sequence[dict[str, Any]] | None = None, columns: Sequence[str] | None = None) -> None:
    """Print one structured result: JSON as is, ndjson/CSV as ``rows``, table via ``text``.

    ``text`` is given a copy of ``document`` whose strings are escaped for a terminal on one line each
    (:func:`terminal_text`), and what it returns is escaped again, so a name from the data can neither
    reach the terminal as a control sequence nor start a line of its own.
    """
    fmt = resolve_format(fmt)
    if fmt == "json":
        click.echo(to_json(document))
    elif fmt == "table":
        click.echo(terminal_text(text(_terminal_safe(document))))
    else:
        emit(rows if rows is not None else [document], fmt, columns=columns)


def _csv_value(value: Any) -> Any:
    """A CSV cell's value: lists of objects as compact JSON text (lists of scalars are joined by
    :func:`flatten`)."""
    if isinstance(value, (list, tuple)) and any(isinstance(v, (dict, list, tuple)) for v in value):
        return to_json(value, indent=None)
    return value


def csv_text(document: dict[str, Any]) -> str:
    """The rows of an answer document as CSV: the same fields as NDJSON (``schema``, ``as_of``, then
    the row's), nested objects as dotted columns, lists ``; ``-joined, formula cells neutralised."""
    from ..documents import flat, row_lines

    rows = [flat(r) for r in row_lines(document)]
    cols = _columns(rows, None) or ["schema", "as_of"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow([spreadsheet_cell(c) for c in cols])
    for row in rows:
        writer.writerow([spreadsheet_cell(_csv_value(row.get(c))) for c in cols])
    return buf.getvalue()


def ndjson_text(document: dict[str, Any]) -> str:
    """The rows of an answer document as NDJSON: one row per line, ``schema`` and ``as_of`` first."""
    from ..documents import row_lines

    return "".join(to_json(row, indent=None) + "\n" for row in row_lines(document))


def emit_answer(document: dict[str, Any], fmt: str | None, *, text: Callable[[dict[str, Any]], str] | None = None,
                columns: Sequence[str] | None = None, title: str | None = None) -> None:
    """Print an answer document (:mod:`trustgraph.documents`) in ``fmt``.

    ``json``: the document. ``ndjson``/``csv``: its rows, each with ``schema`` and ``as_of``
    (:func:`ndjson_text`, :func:`csv_text`). ``table``: ``text(document)`` when given (the document's
    strings escaped for a terminal first, the result escaped again), else the rows as a table of
    ``columns`` under ``title``.
    """
    fmt = resolve_format(fmt)
    if fmt == "json":
        click.echo(to_json(document))
    elif fmt == "ndjson":
        click.echo(ndjson_text(document), nl=False)
    elif fmt == "csv":
        click.echo(csv_text(document), nl=False)
    elif text is not None:
        click.echo(terminal_text(text(_terminal_safe(document))))
    else:
        emit(document.get("rows") or [], "table", columns=columns, title=title)
