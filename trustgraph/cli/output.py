"""Output formats shared by every command: table, json, ndjson, csv.

Rows are plain dicts. JSON keeps nested values; table and CSV flatten them (lists joined with ``; ``,
dicts as ``key=value``). Output streams to stdout; nothing here prints anywhere else.
"""

from __future__ import annotations

import csv
import io
import json
import math
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

__all__ = ["FORMATS", "format_option", "emit", "emit_document", "to_json", "flatten"]

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
    """Serialise with stable key order as given, UTF-8 text kept as is."""
    return json.dumps(_clean(value), indent=indent, ensure_ascii=False)


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
    cells = [[flatten(r.get(c)) for c in columns] for r in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
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
        writer.writerow(cols)
        for row in rows:
            writer.writerow([flatten(row.get(c)) for c in cols])
        click.echo(buf.getvalue(), nl=False)
    else:
        if title:
            click.echo(title)
        if not rows:
            click.echo("(no rows)")
            return
        click.echo(_table(rows, _columns(rows, columns)))


def emit_document(document: dict[str, Any], fmt: str | None, *, text: Callable[[dict[str, Any]], str],
                  rows: Sequence[dict[str, Any]] | None = None, columns: Sequence[str] | None = None) -> None:
    """Print one structured result: JSON as is, ndjson/CSV as ``rows``, table via ``text``."""
    fmt = resolve_format(fmt)
    if fmt == "json":
        click.echo(to_json(document))
    elif fmt == "table":
        click.echo(text(document))
    else:
        emit(rows if rows is not None else [document], fmt, columns=columns)
