"""Read and validate a dataset folder into typed frames.

Validation happens here, once, at the boundary: every problem is collected (file, line, column, bad
value, what was expected) and reported together in one :class:`~trustgraph.errors.InvalidDataError`;
nothing downstream re-checks. The typed ("canonical") frames returned use ``object`` columns holding
``str``, ``int``, ``float``, ``bool`` or ``None`` as the column type says (dates stay ISO strings), so
that both stores and the exporter see exactly the same values.

Line numbers count the header as line 1 and follow quoted fields that span lines.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import InvalidDataError, Problem
from .files import read_bytes_limited
from .model import DATE_MIN, TABLE_ORDER, TABLES, Table, check_date, latest_date
from .sheets import Sheet, csv_sheet, normal_name, workbook_sheets

__all__ = [
    "MAX_PROBLEMS",
    "derived_id",
    "enum_key",
    "nearest_choice",
    "nearest_table",
    "check_date",
    "invalid_dates",
    "read_dataset",
    "validate",
    "load_dataset",
    "typed_frame",
    "empty_frame",
    "object_frame",
    "careers",
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
        #: Per table, the file or worksheet its rows came from (default: ``<table>.csv``).
        self.where: dict[str, str] = {}
        #: Tables given but not readable, or required and missing: their ids are unknown, so references
        #: to them are not checked (each would repeat the table's own problem).
        self.unread: set[str] = set()

    def file(self, table: Table) -> str:
        return self.where.get(table.name, table.file)

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
            self.errors.append(Problem(self.file(table), int(lines[i]), column, value, expected))
        self.total += len(idx)


def object_frame(columns: Mapping[str, object]) -> pd.DataFrame:
    """A frame whose columns keep Python objects (pandas would otherwise infer ``str`` and turn
    ``None`` into NaN)."""
    return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})


def empty_frame(table: Table) -> pd.DataFrame:
    """An empty canonical frame with the table's columns."""
    return pd.DataFrame({c: pd.Series([], dtype=object) for c in table.column_names})


def _read_text(path: Path, where: str, problems: _Collector) -> str | None:
    try:  # regular files only (no FIFO, device, symlink loop), bounded (no gzip bomb, /dev/zero)
        data = read_bytes_limited(path, what="CSV file")
    except InvalidDataError as err:
        expected = err.problems[0].expected if err.problems else "a regular file"
        problems.add(Problem(where, None, None, str(err), expected))
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        problems.add(_not_utf8(data, err, where))
        return None
    if not text.strip():
        problems.add(Problem(where, 1, None, "", "a header row naming the columns (the file is empty)"))
        return None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        problems.add(Problem(where, line, None, "NUL byte", "CSV text (this looks like a binary file)"))
        return None
    return text


def _not_utf8(data: bytes, err: UnicodeDecodeError, where: str) -> Problem:
    """The problem of a file that is not UTF-8: its line and column, the cell as far as it reads, and
    the byte that is not UTF-8 — or that the file is UTF-16 (Excel's "Unicode Text")."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return Problem(where, None, None, None, "UTF-8 text (this file is UTF-16, Excel's \"Unicode Text\": save it "
                                                "as \"CSV UTF-8\")")
    line = data[: err.start].count(b"\n") + 1
    byte = f"byte 0x{data[err.start]:02X}"
    column, value = None, None
    sheet, _ = csv_sheet(data.decode("utf-8-sig", errors="replace"), where)
    if sheet is not None and line in sheet.lines:
        row = sheet.rows[sheet.lines.index(line)]
        at = next((k for k, cell in enumerate(row) if "\ufffd" in cell), None)
        if at is not None and at < len(sheet.header):
            column, value = normal_name(sheet.header[at]), row[at].replace("\ufffd", "?")
    return Problem(where, line, column, value, f"UTF-8 text ({byte} is not UTF-8 — Latin-1 or Windows-1252? "
                                               "re-save the file as UTF-8)")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while a large input is read and checked.

    Reading a file makes a list per row and a string per cell — millions of objects that form no
    cycles — and the collector, which runs every few hundred new containers and now and then walks
    every live one, spent over half the time of reading a network of a million rows (Epinions as a
    dataset folder: 3.0 s → 1.2 s to parse its referrals). Collections resume on exit, error or not.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sheet_frame(sheet: Sheet, problems: _Collector) -> pd.DataFrame | None:
    """A raw frame of ``sheet``: columns named by :func:`~trustgraph.sheets.normal_name`, a
    ``__line__`` column; ``None`` when two header cells name the same column."""
    names = [normal_name(h) for h in sheet.header]
    seen: dict[str, str] = {}
    clash = False
    for raw_name, name in zip(sheet.header, names):
        if name and name in seen:
            problems.add(Problem(sheet.where, sheet.header_line, raw_name, raw_name,
                                 f"each column once (the header also has {seen[name]!r})"))
            clash = True
        seen.setdefault(name, raw_name)
    if clash:
        return None
    # unnamed columns (a trailing delimiter) are kept only when they hold something
    keep = [i for i, name in enumerate(names) if name or any(r[i].strip() for r in sheet.rows)]
    # column by column (a transpose in C), each an object column of the cells as read
    cells = list(zip(*sheet.rows)) if sheet.rows else [()] * len(names)
    frame = object_frame({names[i] or f"column {i + 1}": cells[i] for i in keep})
    frame.insert(0, "__line__", np.array(sheet.lines, dtype=np.int64))
    frame.attrs.update(where=sheet.where, header_line=sheet.header_line)
    return frame


#: Names people give table files (or sheets) that are not a table, with the table they probably
#: mean: used for suggestions only (such a file is still an unknown file).
_NAME_HINTS: dict[str, str] = {
    "debarments": "blacklist", "debarment": "blacklist", "debarred": "blacklist", "listings": "blacklist",
    "listing": "blacklist", "sanctions": "blacklist", "blacklists": "blacklist", "organisations": "organizations",
    "organisation": "organizations", "organization": "organizations", "orgs": "organizations",
    "parties": "organizations", "partners": "organizations", "persons": "people", "staff": "people",
    "contacts": "people", "members": "partnership_members", "actions": "incident_actions",
    "ties": "personal_ties", "holders": "relationship_holders", "meetings": "communications",
    "vouches": "referrals", "referral": "referrals", "incident": "incidents", "partnership": "partnerships",
}


def nearest_table(name: str) -> str:
    """The table a file or sheet called ``name`` most probably means (for a suggestion).

    >>> nearest_table("debarments.csv"), nearest_table("refferals"), nearest_table("Incident Action")
    ('blacklist', 'referrals', 'incident_actions')
    """
    from rapidfuzz import fuzz, process

    key = normal_name(Path(name).stem if Path(name).suffix.lower() in _TABLE_SUFFIXES + (".xlsx",) else name)
    if key in _NAME_HINTS:
        return _NAME_HINTS[key]
    best = process.extractOne(key, TABLE_ORDER, scorer=fuzz.WRatio)
    return str(best[0]) if best else TABLE_ORDER[0]


#: File name endings of table files in a dataset folder (any case); ``.xlsx`` files are workbooks.
_TABLE_SUFFIXES = (".csv", ".tsv")
#: Spreadsheet formats that are not read, with what to do instead.
_OTHER_SHEETS = (".xls", ".ods", ".numbers", ".xlsm", ".xlsb")


def _unknown(where: str, problems: _Collector, ignore_unknown: bool, sheet: bool = False) -> None:
    near = nearest_table(where)
    shown = f"the sheet {near!r}" if sheet else f"{near}.csv"
    if ignore_unknown:
        problems.add(Problem(where, None, None, None, f"a table name, such as {shown} (ignored: --ignore-unknown)",
                             severity="warning"))
    else:
        problems.add(Problem(where, None, None, None, f"a table name: did you mean {shown}? (tables: "
                             f"{', '.join(TABLE_ORDER)}; --ignore-unknown skips what is not a table)"))


def _workbook(path: Path, problems: _Collector, ignore_unknown: bool) -> list[tuple[str, Sheet]]:
    """(table, sheet) of every worksheet of the workbook ``path``."""
    try:
        data = read_bytes_limited(path, what="workbook")
    except InvalidDataError as err:
        problems.add(Problem(path.name, None, None, str(err), "a regular file"))
        return []
    sheets, found = workbook_sheets(data, path.name)
    for problem in found:
        problems.add(problem)
    out = []
    for sheet in sheets:
        title = sheet.where[len(path.name) + 2 : -1]
        if normal_name(title) in TABLES:
            out.append((normal_name(title), sheet))
        else:
            _unknown(sheet.where, problems, ignore_unknown, sheet=True)
    return out


def _table_sources(target: Path, problems: _Collector, ignore_unknown: bool) -> list[tuple[str, Path | Sheet]]:
    """(table, CSV file or worksheet) for every table the dataset ``target`` holds."""
    suffix = target.suffix.lower()
    if target.is_dir():
        entries = sorted(target.iterdir(), key=lambda p: p.name)
    elif suffix in _TABLE_SUFFIXES + (".xlsx",) + _OTHER_SHEETS:
        entries = [target]
    else:
        raise InvalidDataError(
            f"cannot load {target}: not a dataset",
            [Problem(str(target), None, None, None,
                     "a folder of CSV files, an .xlsx workbook or one table's CSV file")])
    sources: list[tuple[str, Path | Sheet]] = []
    for entry in entries:
        suffix = entry.suffix.lower()
        if entry.name.startswith((".", "~$")):  # hidden files, a spreadsheet's lock file
            continue
        if suffix == ".xlsx":
            sources.extend(_workbook(entry, problems, ignore_unknown))
        elif suffix in _OTHER_SHEETS:
            problems.add(Problem(entry.name, None, None, None, "an .xlsx workbook or CSV files (save it as "
                                 ".xlsx, one sheet per table, or as one CSV file per table)"))
        elif suffix in _TABLE_SUFFIXES:
            name = normal_name(entry.stem)
            if name in TABLES:
                sources.append((name, entry))
            else:
                _unknown(entry.name, problems, ignore_unknown)
    return sources


def read_dataset(path: str | Path, *, ignore_unknown: bool = False) -> dict[str, pd.DataFrame]:
    """Read every table of the dataset ``path`` as raw string frames.

    Parameters
    ----------
    path : str or Path
        A folder of table files (``organizations.csv`` and optionally the other tables' files, in
        any case, ``.csv`` or ``.tsv``) and/or ``.xlsx`` workbooks (one sheet per table, named like
        the table); or one workbook. CSV may be comma-, semicolon- or tab-separated, with a byte
        order mark and CRLF line ends; see :mod:`trustgraph.sheets`.
    ignore_unknown : bool
        Skip (with a warning) files and sheets whose name is not a table's, instead of refusing them.

    Returns
    -------
    dict
        Table name to a frame of strings with normalised column names and an extra ``__line__``
        column (the line or worksheet row number); ``frame.attrs["where"]`` names its source.

    Raises
    ------
    InvalidDataError
        When the path is missing, organisations are missing, a file or sheet is not a table's (unless
        ``ignore_unknown``; the message names the nearest table), a table is given twice, or a file
        is not readable CSV or xlsx.
    """
    problems = _Collector()
    raw = _read_dataset(Path(path), ignore_unknown, problems)
    if problems.total:
        raise _error(problems, path)
    raw["__warnings__"] = pd.DataFrame({"problem": [str(w) for w in problems.warnings]})
    return raw


def _read_dataset(target: Path, ignore_unknown: bool, problems: _Collector,
                  stored: frozenset[str] = frozenset(), replacing: bool = False) -> dict[str, pd.DataFrame]:
    """:func:`read_dataset`, with the problems put into ``problems`` (raises only when there is
    nothing to read at all): the tables that could be read are returned, so that their cells are
    checked too and one run lists every problem."""
    if not target.exists():
        raise InvalidDataError(f"cannot load {target}: no such file or folder",
                               [Problem(str(target), None, None, None, "a folder of CSV files, an .xlsx workbook "
                                        "or one table's CSV file")])
    raw: dict[str, pd.DataFrame] = {}
    origin: dict[str, str] = {}
    for name, source in _table_sources(target, problems, ignore_unknown):
        where = source.where if isinstance(source, Sheet) else source.name
        if name in origin:
            problems.add(Problem(where, None, None, None, f"each table once ({name} is also in {origin[name]})"))
            continue
        origin[name] = where
        if isinstance(source, Sheet):
            sheet: Sheet | None = source
        else:
            text = _read_text(source, where, problems)
            if text is None:
                continue
            sheet, found = csv_sheet(text, where)
            for problem in found:
                problems.add(problem)
        if sheet is not None:
            frame = _sheet_frame(sheet, problems)
            if frame is not None:
                raw[name] = frame
    # A required table the store already holds need not be given again (a month of referrals alone).
    for name in TABLE_ORDER:
        if TABLES[name].required and name not in origin and name not in stored:
            why = ("--replace makes the store exactly this dataset" if replacing
                   else "the store holds no organisations yet")
            problems.add(Problem(TABLES[name].file, None, None, None, f"this file (it is required: {why})"))
    problems.unread.update(name for name in TABLE_ORDER
                           if name not in raw and (name in origin or (TABLES[name].required and name not in stored)))
    return raw


def _error(problems: _Collector, where: Path | str) -> InvalidDataError:
    """The error listing ``problems`` file by file (in the order the files were met), each file's by
    line (its own problems first), whatever check found them."""
    n = problems.total
    files: dict[str, int] = {}
    for problem in problems.errors:
        files.setdefault(problem.file, len(files))
    ordered = sorted(problems.errors, key=lambda p: (files[p.file], -1 if p.line is None else p.line))
    return InvalidDataError(f"{where}: {n} problem{'s' if n != 1 else ''} found; nothing was written", ordered, total=n)


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


def _stripped(values: pd.Series) -> pd.Series:
    """The cells as text without surrounding blanks, in an object column; a missing cell (``None``,
    NaN) stays missing (NaN), anything else is written as text (``str``) first."""
    cells = values.to_numpy(dtype=object)
    out = np.empty(len(cells), dtype=object)
    if pd.api.types.infer_dtype(cells, skipna=False) in ("string", "empty"):  # all text: the common case, in C
        out[:] = list(map(str.strip, cells))
    else:
        out[:] = [c.strip() if type(c) is str else np.nan if c is None or c is pd.NA or c != c else str(c).strip()
                  for c in cells]
    return pd.Series(out, index=values.index, dtype=object, copy=False)


def _numbers(cells: pd.Series) -> pd.Series:
    """:func:`pandas.to_numeric` (unparseable → NaN) of each distinct cell once: a column of a million
    cells holds far fewer distinct numbers."""
    codes, uniques = pd.factorize(cells.to_numpy(dtype=object), use_na_sentinel=True)
    parsed = pd.to_numeric(pd.Series(np.asarray(uniques, dtype=object), dtype=object), errors="coerce")
    values = np.append(parsed.to_numpy(dtype=float, na_value=np.nan), np.nan)[codes]
    return pd.Series(values + 0.0, index=cells.index)  # + 0.0: "-0" is 0 (stores and exports agree)


#: Tables whose ``date`` is when something happened: one after today moves every answer's as-of.
_DATED_EVENTS = ("referrals", "incidents", "incident_actions", "communications")


def _future_events(table: Table, frame: pd.DataFrame, raw: pd.Series, valid: np.ndarray,
                   problems: _Collector) -> None:
    """A warning (not a problem) for events dated after today: the reference date of every answer is
    the newest event, so one typing slip (2027 for 2017) silently moves them all."""
    import datetime as _dt

    today = _dt.date.today().isoformat()
    later = valid & (raw.to_numpy(dtype=object) > today)
    if later.any():
        first = np.flatnonzero(later)[0]
        newest = max(raw.to_numpy(dtype=object)[later])
        count = int(later.sum())
        problems.add(Problem(problems.file(table), int(frame["__line__"].to_numpy()[first]), "date",
                             str(raw.iloc[first]),
                             f"a date not after today ({today}): {count:,} row{'' if count == 1 else 's'} dated "
                             f"later (the newest {newest}) move{'s' if count == 1 else ''} the reference date of "
                             "every answer there; "
                             "a typing slip? (give --as-of to answer as of another day)", severity="warning"))


#: The longest id: a key both stores index (Neo4j's index keys hold about 8 kB; four bytes a character).
MAX_ID_LENGTH = 1000


def _check_column(table: Table, frame: pd.DataFrame, name: str, problems: _Collector) -> pd.Series:
    """Validate one raw column and return it converted to canonical values."""
    col = table.column(name)
    raw = _stripped(frame[name])
    empty = raw.to_numpy() == ""
    if col.required and not (name == "id" and table.id_prefix):  # an event's id is derived when empty
        problems.add_rows(table, frame, empty, name, f"a value ({name} is required)")
    if name == "id" or (col.ref and not col.outside):  # ids are keys: Neo4j indexes at most ~8 kB per key
        long = (raw.str.len() > MAX_ID_LENGTH).to_numpy()
        if long.any():
            problems.add_rows(table, frame, long, name, f"an id of at most {MAX_ID_LENGTH:,} characters")
    out = raw
    if col.type in ("int", "float"):
        numbers = _numbers(raw.where(~empty, None))
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
        if name == "date" and table.name in _DATED_EVENTS:
            _future_events(table, frame, raw, (~empty) & ~malformed & ~outside, problems)
    elif col.type == "bool":
        lowered = raw.str.lower()
        wrong = (~empty) & ~lowered.isin(_TRUE | _FALSE).to_numpy()
        problems.add_rows(table, frame, wrong, name, col.expected)
        flags = [None if e or w else v in _TRUE for e, w, v in zip(empty, wrong, lowered)]
        return pd.Series(flags, index=raw.index, dtype="object")
    elif col.type == "enum":
        out = _enum_values(table, frame, name, raw, empty, problems)
    elif col.type == "tags":
        raw = raw.map(lambda s: ";".join(t.strip() for t in s.split(";") if t.strip()))
        out = raw.astype(object)
        empty = (raw == "").to_numpy()
    out = out.copy()
    out[empty] = None
    return out


def enum_key(text: str) -> str:
    """An enum value with case and separators ignored: how a cell is matched to a choice.

    >>> {enum_key(v) for v in ("Post-mortem", "postmortem", "POST MORTEM", "post_mortem")}
    {'postmortem'}
    """
    return re.sub(r"[\s_\-]+", "", text.casefold())


def nearest_choice(text: str, choices: tuple[str, ...]) -> str | None:
    """The choice nearest to ``text`` (rapidfuzz similarity of :func:`enum_key`), or ``None`` when
    none is even half similar.

    >>> nearest_choice("postmortm", ("post_mortem", "mediation")), nearest_choice("zzz", ("ngo",))
    ('post_mortem', None)
    """
    from rapidfuzz import fuzz, process

    keys = {enum_key(c): c for c in choices}
    best = process.extractOne(enum_key(text), list(keys), scorer=fuzz.ratio, score_cutoff=50)
    return keys[best[0]] if best else None


def _enum_values(table: Table, frame: pd.DataFrame, name: str, raw: pd.Series, empty: np.ndarray,
                 problems: _Collector) -> pd.Series:
    """An enum column as its choices: case and separators are ignored (``Post-mortem`` is
    ``post_mortem``, ``Active`` is ``active``); a value matching none is a problem naming the nearest."""
    col = table.column(name)
    keys = {enum_key(c): c for c in col.choices}
    codes, uniques = pd.factorize(raw.to_numpy(dtype=object), use_na_sentinel=False)  # each distinct value once
    chosen = np.array([keys.get(enum_key(v)) if isinstance(v, str) else None for v in uniques], dtype=object)
    out = pd.Series(chosen[codes] if len(codes) else np.empty(0, dtype=object), index=raw.index, dtype=object)
    bad = (~empty) & out.isna().to_numpy()
    if bad.any():
        values = raw.to_numpy(dtype=object)
        for value in dict.fromkeys(values[bad]):
            near = nearest_choice(str(value), col.choices)
            hint = f" (did you mean {near!r}?)" if near else ""
            problems.add_rows(table, frame, bad & (values == value), name, col.expected + hint)
    return out


def derived_id(table: Table, row: Mapping[Any, object]) -> str:
    """The id of an event row given without one: ``<table.id_prefix>-`` and 12 hex digits of a hash
    of its canonical cells (every column but ``id``), so that the same row always gets the same id
    and reloading a sheet changes nothing.

    >>> from trustgraph.model import TABLES
    >>> derived_id(TABLES["communications"], {"a": "A", "b": "B", "date": "2024-01-02", "channel": "call"})
    'com-8a1c16e3170c'
    """
    from .export import canonical_text

    # a late column's empty cell is left out: rows from before it existed keep their ids
    cells = "\x1f".join(canonical_text(row.get(c.name)) for c in table.columns
                         if c.name != "id" and not (c.late and canonical_text(row.get(c.name)) == ""))
    return f"{table.id_prefix}-{hashlib.sha256(cells.encode()).hexdigest()[:12]}"


def _derive_ids(table: Table, out: pd.DataFrame, problems: _Collector) -> pd.DataFrame:
    """Fill the empty ids of an event table (:func:`derived_id`); a row identical to an earlier one
    without an id is the same event: kept once, with a warning."""
    empty = out["id"].isna().to_numpy()
    if not empty.any():
        return out
    out = out.copy()
    ids = out["id"].to_numpy(dtype=object).copy()
    records = out.to_dict("records")
    for i in np.flatnonzero(empty):
        ids[i] = derived_id(table, records[i])
    out["id"] = pd.Series(ids, index=out.index, dtype=object)
    twin = empty & out["id"].duplicated(keep="first").to_numpy()
    if twin.any():
        lines = out["__line__"].to_numpy()
        first = dict(zip(ids[~twin][::-1], lines[~twin][::-1]))
        for i in np.flatnonzero(twin):
            problems.add(Problem(problems.file(table), int(lines[i]), "id", None,
                                 f"a row different from line {first[ids[i]]} (the same cells and no id: "
                                 "one event, kept once)", severity="warning"))
        out = out[~twin]
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
    where, header = problems.file(table), int(frame.attrs.get("header_line", 1))
    for extra in present:
        if extra not in table.column_names:
            near = nearest_column(extra, table)
            hint = f"; did you mean {near!r}?" if near else ""
            problems.add(Problem(where, header, extra, extra, f"a known column (ignored{hint})", severity="warning"))
    missing = [c.name for c in table.columns
               if c.required and c.name not in present and not (c.name == "id" and table.id_prefix)]
    for name in missing:
        problems.add(Problem(where, header, name, None, f"a column named {name!r} in the header"))
    typed = {"__line__": frame["__line__"].to_numpy()}
    for col in table.columns:
        if col.name in present:
            typed[col.name] = _check_column(table, frame, col.name, problems).to_numpy()
        else:
            typed[col.name] = np.full(len(frame), None, dtype=object)
    out = object_frame(typed)
    if table.name in _UNDIRECTED and not missing:
        out = _canonical_pairs(out, *_UNDIRECTED[table.name])
    if table.id_prefix:
        out = _derive_ids(table, out, problems)
    if not missing:
        keys = out[list(table.key)]
        dup = keys.duplicated(keep="first").to_numpy()
        expected = "a unique " + ("id" if table.key == ("id",) else "(" + ", ".join(table.key) + ") pair")
        expected += " (already used above)"
        if table.name in _UNDIRECTED:
            expected = "a pair not given above in either order (the tie is undirected)"
        k0 = table.key[0]
        given = frame[k0].to_numpy(dtype=object)[out.index.to_numpy()] if k0 in frame.columns else out[k0]
        problems.add_rows(table, out.assign(**{k0: given}), dup, k0, expected)
    return out.reset_index(drop=True)


def nearest_column(name: str, table: Table) -> str | None:
    """The column of ``table`` nearest to an unknown header ``name`` (``None`` when none is close)."""
    from rapidfuzz import fuzz, process

    best = process.extractOne(name, table.column_names, scorer=fuzz.ratio, score_cutoff=70)
    return str(best[0]) if best else None


_CROSS_CHECKS: dict[str, list[tuple[str, str, str]]] = {
    # table: (column a, column b, relation) — a row is wrong when the relation fails
    "referrals": [("source", "target", "ne")],
    "incidents": [("reporter", "subject", "ne")],
    "communications": [("a", "b", "ne")],
    "personal_ties": [("a", "b", "ne")],
    "partnerships": [("start", "end", "le")],
    "people": [("from", "until", "le")],
    "blacklist": [("date", "until", "le")],
    "assessments": [("date", "valid_until", "le")],
}


def validate(
    raw: Mapping[str, pd.DataFrame],
    *,
    known_ids: Mapping[str, set[str]] | None = None,
    where: str = "dataset",
    warnings: list[str] | None = None,
    stored_people: Callable[[], pd.DataFrame] | None = None,
    problems: _Collector | None = None,
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
    stored_people : callable, optional
        Gives the store's ``people`` table; called only when an incident names a person who is not
        in ``raw`` (:func:`incident_people_problems`: the person must work or have worked at the
        organisation on their side of the incident).
    problems : optional
        Problems already found while reading ``raw`` (:func:`load_dataset`), reported with these.

    Returns
    -------
    dict
        Table name to canonical frame (only tables present in ``raw``).

    Raises
    ------
    InvalidDataError
        With every problem found (up to :data:`MAX_PROBLEMS`, and the total).
    """
    problems = _Collector() if problems is None else problems
    typed: dict[str, pd.DataFrame] = {}
    for name in TABLE_ORDER:
        if name not in raw:
            continue
        frame = raw[name]
        if "where" in frame.attrs:
            problems.where[name] = str(frame.attrs["where"])
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
            if not col.ref or col.ref in problems.unread:
                continue
            values = frame[col.name]
            known = ids.get(col.ref, set())
            bad = (values.notna() & ~values.isin(known)).to_numpy()
            if col.outside:
                named = typed.get(col.ref)
                by_name = ({} if not bad.any() or named is None or "name" not in named.columns else
                           {str(n).casefold(): str(i) for i, n in zip(named["id"], named["name"]) if n is not None})
                _outside_parties(table, frame, col.name, bad, known, problems, by_name)
                continue
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
    if "incidents" in typed:
        _check_incident_people(typed, stored_people, problems)
    if warnings is not None:
        warnings.extend(str(w) for w in problems.warnings)
    if problems.total:
        raise _error(problems, where)
    return {name: frame.drop(columns="__line__").reset_index(drop=True) for name, frame in typed.items()}


#: The columns of an incident that name a person, with the organisation column of their side.
INCIDENT_PEOPLE: tuple[tuple[str, str], ...] = (("reporter_person", "reporter"), ("subject_person", "subject"))


def careers(people: pd.DataFrame) -> dict[str, set[str]]:
    """Position id → every organisation the person behind it works or worked at: the organisations
    of all positions linked to it by ``previous`` (earlier and later positions of the same person).

    >>> p = pd.DataFrame({"id": ["P1", "P2", "P3"], "organization": ["A", "B", "C"], "previous": [None, "P1", None]})
    >>> {k: sorted(v) for k, v in careers(p).items()}
    {'P1': ['A', 'B'], 'P2': ['A', 'B'], 'P3': ['C']}
    """
    ids = [str(i) for i in people["id"].tolist()]
    orgs = [str(o) for o in people["organization"].tolist()]
    prev = people["previous"].tolist() if "previous" in people.columns else [None] * len(ids)
    parent = {i: i for i in ids}

    def root(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, p in zip(ids, prev):
        if p is not None and p == p and str(p) in parent:
            parent[root(i)] = root(str(p))
    by_root: dict[str, set[str]] = {}
    for i, o in zip(ids, orgs):
        by_root.setdefault(root(i), set()).add(o)
    return {i: by_root[root(i)] for i in ids}


def _check_incident_people(typed: Mapping[str, pd.DataFrame], stored_people: Callable[[], pd.DataFrame] | None,
                           problems: _Collector) -> None:
    """An incident's ``reporter_person`` must work or have worked at the reporter (any position of the
    same person, :func:`careers`), its ``subject_person`` at the subject, and the two must differ."""
    frame = typed["incidents"]
    named = [c for c, _ in INCIDENT_PEOPLE if c in frame.columns and frame[c].notna().any()]
    if not named:
        return
    people = typed.get("people")
    wanted = {str(v) for c in named for v in frame[c].dropna()}
    given = set() if people is None else {str(i) for i in people["id"]}
    if wanted - given and stored_people is not None:
        stored = stored_people()
        stored = stored.loc[~stored["id"].astype(str).isin(given).to_numpy()]
        people = stored if people is None else pd.concat([people.drop(columns="__line__"), stored], ignore_index=True)
    career = careers(people) if people is not None and len(people) else {}
    table = TABLES["incidents"]
    for col, side in INCIDENT_PEOPLE:
        if col not in named:
            continue
        values, orgs = frame[col].to_numpy(dtype=object), frame[side].to_numpy(dtype=object)
        # an unknown person is already a reference problem
        bad = np.array([v is not None and str(v) in career and o not in career[str(v)]
                        for v, o in zip(values, orgs)], dtype=bool)
        for org in dict.fromkeys(orgs[bad]):
            problems.add_rows(table, frame, bad & (orgs == org), col,
                              f"a person who works or worked at the {side}, {org} (people.csv: organization, "
                              "or an earlier or later position of the same person)")
    if all(c in frame.columns for c, _ in INCIDENT_PEOPLE):
        a, b = frame["reporter_person"].to_numpy(dtype=object), frame["subject_person"].to_numpy(dtype=object)
        same = np.array([x is not None and x == y for x, y in zip(a, b)], dtype=bool)
        problems.add_rows(table, frame, same, "subject_person", "subject_person different from reporter_person")


def _outside_parties(table: Table, frame: pd.DataFrame, name: str, outside: np.ndarray, known: set[str],
                     problems: _Collector, by_name: Mapping[str, str] | None = None) -> None:
    """The values of an ``outside`` reference column that are no id: each distinct one is named in a
    warning (an outside party, e.g. an authority, kept as given), except one that equals an id but
    for case, which is a typing slip, or the name of an organisation of the dataset (``by_name``:
    folded name → id), which is that organisation given by name: a problem naming the id."""
    if not outside.any():
        return
    folded: dict[str, str] = {}
    for i in known:
        folded.setdefault(str(i).casefold(), str(i))
    values = frame[name].to_numpy(dtype=object)
    lines = frame["__line__"].to_numpy()
    col = table.column(name)
    for value in dict.fromkeys(values[outside]):
        rows = outside & (values == value)
        same = folded.get(str(value).casefold())
        if same is not None:
            problems.add_rows(table, frame, rows, name, f"an id from {col.ref}.csv as written there: {same!r} "
                              "(or the name of an outside party that is not an id)")
            continue
        owner = (by_name or {}).get(str(value).casefold())
        if owner is not None:  # `record` resolves a name to the id; a sheet names the id itself
            problems.add_rows(table, frame, rows, name, f"an id from {col.ref}.csv: this is the name of "
                              f"{owner!r}; write {owner!r} (an outside party must not share an organisation's name)")
            continue
        first = int(lines[np.flatnonzero(rows)[0]])
        role = _OUTSIDE_ROLE.get(name, "an authority")
        problems.add(Problem(problems.file(table), first, name, str(value),
                             f"an id from {col.ref}.csv; kept as an outside party ({role}, not a party of the network)",
                             severity="warning"))


#: What an outside party in a column is, in load warnings (a listing's lister: an authority).
_OUTSIDE_ROLE = {"assessor": "an outside assessor such as an audit firm"}


def load_dataset(
    path: str | Path,
    *,
    known_ids: Mapping[str, set[str]] | None = None,
    warnings: list[str] | None = None,
    ignore_unknown: bool = False,
    stored_people: Callable[[], pd.DataFrame] | None = None,
    replacing: bool = False,
) -> dict[str, pd.DataFrame]:
    """Read and validate the dataset ``path`` (a folder or an .xlsx workbook); see
    :func:`read_dataset` and :func:`validate`. ``replacing``: the dataset is to replace the whole
    store (``load --replace``; give no ``known_ids``): a missing required table is explained so."""
    problems = _Collector()
    stored = frozenset(name for name, ids in (known_ids or {}).items() if len(ids))
    with collector_paused():
        raw = _read_dataset(Path(path), ignore_unknown, problems, stored, replacing)
        return validate(raw, known_ids=known_ids, where=str(path), warnings=warnings, stored_people=stored_people,
                        problems=problems)
