"""Read and validate a dataset folder into typed frames.

Validation happens here, once, at the boundary: every problem is collected (file, line, column, bad
value, what was expected) and reported together in one :class:`~trustgraph.errors.InvalidDataError`;
nothing downstream re-checks. The typed ("canonical") frames returned use ``object`` columns holding
``str``, ``int``, ``float``, ``bool`` or ``None`` as the column type says (dates stay ISO strings), so
that both stores and the exporter see exactly the same values.

Line numbers count the header as line 1 and follow quoted fields that span lines.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from .errors import InvalidDataError, Problem
from .files import read_bytes_limited
from .model import DATE_MIN, TABLE_ORDER, TABLES, Table, check_date, latest_date

__all__ = [
    "MAX_PROBLEMS",
    "check_date",
    "invalid_dates",
    "read_dataset",
    "validate",
    "load_dataset",
    "typed_frame",
    "empty_frame",
    "object_frame",
]

#: How many problems are kept in an error (the total is still counted).
MAX_PROBLEMS = 200

_DATE_RE = r"^\d{4}-\d{2}-\d{2}$"
_TRUE = {"true", "1", "yes", "y", "t"}
_FALSE = {"false", "0", "no", "n", "f"}


class _Collector:
    """Collects problems up to a cap while counting all of them."""

    def __init__(self) -> None:
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.total = 0

    def add(self, problem: Problem) -> None:
        if problem.severity == "warning":
            self.warnings.append(problem)
            return
        self.total += 1
        if len(self.errors) < MAX_PROBLEMS:
            self.errors.append(problem)

    def add_rows(
        self, table: Table, frame: pd.DataFrame, mask: np.ndarray, column: str, expected: str
    ) -> None:
        """Record one problem per row where ``mask`` is true (counting beyond the cap cheaply)."""
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        room = max(0, MAX_PROBLEMS - len(self.errors))
        values = frame[column].to_numpy() if column in frame.columns else None
        lines = frame["__line__"].to_numpy()
        for i in idx[:room]:
            value = None if values is None else str(values[i])
            self.errors.append(Problem(table.file, int(lines[i]), column, value, expected))
        self.total += len(idx)


def object_frame(columns: Mapping[str, object]) -> pd.DataFrame:
    """A frame whose columns keep Python objects (pandas would otherwise infer ``str`` and turn
    ``None`` into NaN)."""
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})


def empty_frame(table: Table) -> pd.DataFrame:
    """An empty canonical frame with the table's columns."""
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in table.column_names})


def _read_text(path: Path, table: Table, problems: _Collector) -> str | None:
    try:  # regular files only (no FIFO, device, symlink loop), bounded (no gzip bomb, /dev/zero)
        data = read_bytes_limited(path, what="CSV file")
    except InvalidDataError as err:
        expected = err.problems[0].expected if err.problems else "a regular file"
        problems.add(Problem(table.file, None, None, str(err), expected))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        bad = data[err.start : err.start + 4]
        problems.add(Problem(table.file, line, None, repr(bad)[2:-1], "UTF-8 text (re-save the file as UTF-8)"))
        return None
    if not text.strip():
        problems.add(Problem(table.file, 1, None, "", "a header row naming the columns (the file is empty)"))
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.add(Problem(table.file, line, None, "NUL byte", "CSV text (this looks like a binary file)"))
        return None
    return text


def _parse_csv(text: str, table: Table, problems: _Collector) -> pd.DataFrame | None:
    # A first pass with the csv module finds rows with the wrong number of fields (pandas pads
    # short rows silently) and the true line number of every row, even across quoted newlines.
    lines: list[int] = []
    bad: list[tuple[int, int]] = []
    width = 0
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        for row in reader:
            if not row:
                continue
            if not width:
                width = len(row)
                continue
            lines.append(reader.line_num)
            if len(row) != width:
                bad.append((reader.line_num, len(row)))
    except csv.Error as err:
        problems.add(Problem(table.file, reader.line_num, None, str(err), "well-formed CSV (check the quotes)"))
        return None
    for line, n in bad:
        problems.add(Problem(table.file, line, None, f"{n} fields", f"{width} fields, as in the header row"))
    if bad:
        return None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        match = re.search(r"line (\d+)", str(err))
        at = int(match.group(1)) if match else None
        detail = str(err).strip().split("\n")[0]
        problems.add(Problem(table.file, at, None, detail, "comma-separated rows with as many fields as the header"))
        return None
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.fillna("")
    numbers = lines[: len(frame)] if len(lines) >= len(frame) else np.arange(2, len(frame) + 2)
    frame.insert(0, "__line__", np.array(numbers))
    return frame


def read_dataset(path: str | Path) -> dict[str, pd.DataFrame]:
    """Read every table file of the dataset folder ``path`` as raw string frames.

    Parameters
    ----------
    path : str or Path
        A folder holding ``organizations.csv`` and optionally the other tables' CSV files.

    Returns
    -------
    dict
        Table name to a frame of strings with an extra ``__line__`` column (the CSV line number).

    Raises
    ------
    InvalidDataError
        When the folder is missing, a required file is missing, or a file is not UTF-8 CSV.
    """
    folder = Path(path)
    problems = _Collector()
    if not folder.is_dir():
        raise InvalidDataError(f"{folder}: not a dataset folder (expected a folder of CSV files)",
                               [Problem(str(folder), None, None, None, "a folder of CSV files")])
    raw: dict[str, pd.DataFrame] = {}
    known_files = {t.file for t in TABLES.values()}
    for extra in sorted(p.name for p in folder.glob("*.csv") if p.name not in known_files):
        problems.add(Problem(extra, None, None, None, "a known table file (ignored)", severity="warning"))
    for name in TABLE_ORDER:
        table = TABLES[name]
        file = folder / table.file
        if not file.exists() and not file.is_symlink():  # a looping or dangling link is an error, not "absent"
            if table.required:
                problems.add(Problem(table.file, None, None, None, "this file (it is required)"))
            continue
        text = _read_text(file, table, problems)
        if text is None:
            continue
        frame = _parse_csv(text, table, problems)
        if frame is not None:
            raw[name] = frame
    if problems.total:
        raise _error(problems, folder)
    raw["__warnings__"] = pd.DataFrame({"problem": [str(w) for w in problems.warnings]})
    return raw


def _error(problems: _Collector, where: Path | str) -> InvalidDataError:
    n = problems.total
    return InvalidDataError(
        f"{where}: {n} problem{'s' if n != 1 else ''} found; nothing was written",
        problems.errors,
        total=n,
    )


def _date_masks(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Per cell: (not a calendar date ``YYYY-MM-DD``, a date outside the plausible range).

    Each distinct cell is checked once (a network has far fewer distinct dates than rows)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    texts = pd.Series(np.asarray(uniques, dtype=object)).astype("string")
    shaped = texts.str.match(_DATE_RE).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(texts.where(shaped, None), format="%Y-%m-%d", errors="coerce")
    malformed = ~shaped | parsed.isna().to_numpy()
    text_values = texts.fillna("").to_numpy(dtype=object)
    outside = ~malformed & ((text_values < DATE_MIN) | (text_values > latest_date()))
    # code −1 (a missing cell) is neither: required-ness is checked separately
    malformed = np.append(malformed, False)[codes]
    outside = np.append(outside, False)[codes]
    return malformed, outside


def invalid_dates(values: pd.Series) -> np.ndarray:
    """Where a non-empty cell of ``values`` is not a valid date by :func:`check_date`'s rule
    (``YYYY-MM-DD``, in the calendar, from 1900-01-01 to one year after today): the vectorised
    rule, for importers that convert millions of Unix times.

    >>> invalid_dates(pd.Series(["2023-02-01", "", None, "1899-12-31", "2019-04-02T10:00"])).tolist()
    [False, False, False, True, True]
    """
    cells = values.astype(object).where(values.notna(), "")
    malformed, outside = _date_masks(cells.astype(str).str.strip())
    empty = (cells.astype(str).str.strip() == "").to_numpy()
    return (~empty) & (malformed | outside)


def _check_column(table: Table, frame: pd.DataFrame, name: str, problems: _Collector) -> pd.Series:
    """Validate one raw column and return it converted to canonical values."""
    col = table.column(name)
    raw = frame[name].astype(str).str.strip()
    empty = (raw == "").to_numpy()
    if col.required:
        problems.add_rows(table, frame, empty, name, f"a value ({name} is required)")
    out = raw.astype(object)
    if col.type in ("int", "float"):
        numbers = pd.to_numeric(raw.where(~empty, None), errors="coerce")
        bad = (~empty) & numbers.isna().to_numpy()
        if col.type == "int":
            frac = (~bad) & (~empty) & (np.asarray(numbers.fillna(0)) % 1 != 0)
            bad = bad | frac
        problems.add_rows(table, frame, bad, name, col.expected)
        ok = (~empty) & (~bad)
        if col.min is not None:
            low = ok & (numbers.fillna(0).to_numpy() < col.min)
            high = ok & (numbers.fillna(0).to_numpy() > col.max) if col.max is not None else low & False
            problems.add_rows(table, frame, low | high, name, col.expected)
        values = numbers.to_numpy(dtype=float, na_value=np.nan)
        if col.type == "int":
            out = pd.Series([int(v) if ok_i else None for v, ok_i in zip(values, ok)], index=raw.index, dtype=object)
        else:
            out = pd.Series(values.astype(object), index=raw.index, dtype=object)
            out[~ok] = None
        return out
    if col.type == "date":
        malformed, outside = _date_masks(raw)
        problems.add_rows(table, frame, (~empty) & malformed, name, col.expected)
        problems.add_rows(table, frame, (~empty) & outside, name,
                          f"a date from {DATE_MIN} to {latest_date()} (one year after today)")
    elif col.type == "bool":
        lowered = raw.str.lower()
        wrong = (~empty) & ~lowered.isin(_TRUE | _FALSE).to_numpy()
        problems.add_rows(table, frame, wrong, name, col.expected)
        flags = [None if e or w else v in _TRUE for e, w, v in zip(empty, wrong, lowered)]
        return pd.Series(flags, index=raw.index, dtype="object")
    elif col.type == "enum":
        bad = (~empty) & ~raw.isin(col.choices).to_numpy()
        problems.add_rows(table, frame, bad, name, col.expected)
    elif col.type == "tags":
        raw = raw.map(lambda s: ";".join(t.strip() for t in s.split(";") if t.strip()))
        out = raw.astype(object)
        empty = (raw == "").to_numpy()
    out = out.copy()
    out[empty] = None
    return out


#: Tables whose key is an unordered pair: stored with the smaller id first, so that a store holds
#: each pair once whatever the order it was given in.
_UNDIRECTED: dict[str, tuple[str, str]] = {"personal_ties": ("a", "b")}


def _canonical_pairs(frame: pd.DataFrame, a: str, b: str) -> pd.DataFrame:
    """``frame`` with ``a`` and ``b`` swapped where both are given and ``a > b``."""
    va, vb = frame[a].to_numpy(dtype=object), frame[b].to_numpy(dtype=object)
    swap = np.array([x is not None and y is not None and str(x) > str(y) for x, y in zip(va, vb)], dtype=bool)
    if not swap.any():
        return frame
    out = frame.copy()
    # object Series: a plain array would be inferred as pandas' string dtype, unlike every other column
    out[a] = pd.Series(np.where(swap, vb, va), index=out.index, dtype=object)
    out[b] = pd.Series(np.where(swap, va, vb), index=out.index, dtype=object)
    return out


def typed_frame(table: Table, frame: pd.DataFrame, problems: _Collector) -> pd.DataFrame:
    """Check columns of one raw frame; return its canonical frame (refs are checked later)."""
    present = [c for c in frame.columns if c != "__line__"]
    for extra in present:
        if extra not in table.column_names:
            problems.add(Problem(table.file, 1, extra, extra, "a known column (ignored)", severity="warning"))
    missing = [c.name for c in table.columns if c.required and c.name not in present]
    for name in missing:
        problems.add(Problem(table.file, 1, name, None, f"a column named {name!r} in the header"))
    typed = {"__line__": frame["__line__"].to_numpy()}
    for col in table.columns:
        if col.name in present:
            typed[col.name] = _check_column(table, frame, col.name, problems).to_numpy()
        else:
            typed[col.name] = np.full(len(frame), None, dtype=object)
    out = object_frame(typed)
    if table.name in _UNDIRECTED and not missing:
        out = _canonical_pairs(out, *_UNDIRECTED[table.name])
    if not missing:
        keys = out[list(table.key)]
        dup = keys.duplicated(keep="first").to_numpy()
        expected = "a unique " + ("id" if table.key == ("id",) else "(" + ", ".join(table.key) + ") pair")
        expected += " (already used above)"
        if table.name in _UNDIRECTED:
            expected = "a pair not given above in either order (the tie is undirected)"
        problems.add_rows(table, out.assign(**{table.key[0]: frame[table.key[0]]}), dup, table.key[0], expected)
    return out


_CROSS_CHECKS: dict[str, list[tuple[str, str, str]]] = {
    # table: (column a, column b, relation) — a row is wrong when the relation fails
    "referrals": [("source", "target", "ne")],
    "incidents": [("reporter", "subject", "ne")],
    "communications": [("a", "b", "ne")],
    "personal_ties": [("a", "b", "ne")],
    "partnerships": [("start", "end", "le")],
    "people": [("from", "until", "le")],
    "blacklist": [("date", "until", "le")],
}


def validate(
    raw: Mapping[str, pd.DataFrame],
    *,
    known_ids: Mapping[str, set[str]] | None = None,
    where: str = "dataset",
    warnings: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Validate raw string frames and convert them to canonical frames.

    Parameters
    ----------
    raw : mapping
        Table name to a frame of strings (as from :func:`read_dataset`; a ``__line__`` column is
        optional).
    known_ids : mapping, optional
        Ids already in the store per table, so that references to them are valid.
    where : str
        Names the input in the error message.
    warnings : list, optional
        Receives one line per warning (unknown columns), which do not stop validation.

    Returns
    -------
    dict
        Table name to canonical frame (only tables present in ``raw``).

    Raises
    ------
    InvalidDataError
        With every problem found (up to :data:`MAX_PROBLEMS`, and the total).
    """
    problems = _Collector()
    typed: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        if name not in raw:
            continue
        frame = raw[name]
        if "__line__" not in frame.columns:
            frame = frame.copy()
            frame.insert(0, "__line__", np.arange(2, len(frame) + 2))
        typed[name] = typed_frame(TABLES[name], frame, problems)
    ids: dict[str, set[str]] = {t: set(v) for t, v in (known_ids or {}).items()}
    for name, frame in typed.items():
        if TABLES[name].key == ("id",):
            ids.setdefault(name, set()).update(v for v in frame["id"] if v is not None)
    for name, frame in typed.items():
        table = TABLES[name]
        for col in table.columns:
            if not col.ref:
                continue
            values = frame[col.name]
            known = ids.get(col.ref, set())
            bad = (values.notna() & ~values.isin(known)).to_numpy()
            problems.add_rows(table, frame, bad, col.name, f"an id that exists in {col.ref}.csv or the store")
        for a, b, rel in _CROSS_CHECKS.get(name, []):
            both = (frame[a].notna() & frame[b].notna()).to_numpy()
            if not both.any():
                continue
            va, vb = frame[a].to_numpy(), frame[b].to_numpy()
            if rel == "ne":
                bad = both & (va == vb)
                expected = f"{b} different from {a}"
            else:
                bad = both & np.array([x is not None and y is not None and str(x) > str(y) for x, y in zip(va, vb)])
                expected = f"{b} on or after {a}"
            problems.add_rows(table, frame, bad, b, expected)
    if warnings is not None:
        warnings.extend(str(w) for w in problems.warnings)
    if problems.total:
        raise _error(problems, where)
    return {name: frame.drop(columns="__line__").reset_index(drop=True) for name, frame in typed.items()}


def load_dataset(
    path: str | Path,
    *,
    known_ids: Mapping[str, set[str]] | None = None,
    warnings: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """Read and validate the dataset folder ``path``; see :func:`read_dataset` and :func:`validate`."""
    raw = read_dataset(path)
    found = raw.pop("__warnings__")
    if warnings is not None:
        warnings.extend(found["problem"])
    return validate(raw, known_ids=known_ids, where=str(path), warnings=warnings)
