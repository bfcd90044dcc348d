"""Readers for SNAP signed edge lists and KONECT networks.

SNAP signed (``snap-signed``)
    Bitcoin OTC/Alpha: comma-separated ``source,target,rating,time`` without a header, rating an
    integer in −10..10 scaled to strength ``rating / 10``, time in Unix seconds (the referral date;
    it must fall in the plausible range of :func:`trustgraph.model.check_date`).
    Epinions/Slashdot: ``#`` comment lines, then tab-separated ``from to sign`` with sign ±1 (strength
    ±1, no date: the import date given by ``--date``, default 1970-01-01). Gzip is read transparently.
KONECT (``konect``)
    Advogato: ``%`` comment or a ``source_id target_id trust_value`` header, then ``from to level``
    with level 0.6 apprentice, 0.8 journeyer, 1.0 master (the strength); names from a sibling
    ``ent.<name>.user.name`` file when present.

Self-ratings are dropped (a party cannot vouch for itself) and their number is reported; a file
with nothing else is refused. Files are read through :mod:`trustgraph.files`: regular files only
(no FIFOs, devices or symlink loops), gzip streamed under a size cap, a truncated gzip reported as
such.

Referral ids
------------
A referral's id is derived from what it says, ``<source>><target>@<date>`` (``6>2@2010-11-08``),
so that imports of different files cannot reuse each other's ids; the second and later referrals
of a file with the same id get ``~2``, ``~3``, ... in file order. :func:`trustgraph.importers.merge_import`
extends the rule to what a store already holds.
"""

from __future__ import annotations

import datetime as _dt
import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, Problem
from ..files import read_bytes_limited
from ..ingest import object_frame
from ..model import DATE_MIN, TABLES, check_date, latest_date

__all__ = ["FORMATS", "read_snap_signed", "read_konect", "ImportResult", "referral_ids", "check_import_date"]

FORMATS = ("snap-signed", "konect")
_EPOCH = _dt.date(1970, 1, 1)


class ImportResult(dict[str, pd.DataFrame]):
    """Canonical frames plus ``notes`` (what was dropped or assumed)."""

    notes: list[str]


def check_import_date(date: str) -> str:
    """``date`` when it is a valid date for referrals without one (the rule of
    :func:`trustgraph.model.check_date`: exactly ``YYYY-MM-DD``, from 1900-01-01 to one year after
    today).

    Raises
    ------
    InvalidDataError
        Naming the value and what was expected.
    """
    expected = check_date(date)
    if expected is not None:
        raise InvalidDataError("import --date: not a valid date; nothing was written",
                               [Problem("import --date", None, None, date, expected)])
    return date


def _open_text(path: Path) -> str:
    """The file's text (gunzipped, size-capped, regular files only)."""
    data = read_bytes_limited(path, what="network file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        bad = repr(data[err.start : err.start + 4])
        raise InvalidDataError(f"{path}: not UTF-8 text", [Problem(path.name, line, None, bad, "UTF-8 text")]) from err


def _edge_lines(text: str, comment: str) -> tuple[list[str], list[int]]:
    """The non-blank, non-comment lines and their line numbers in the file (1-based)."""
    lines: list[str] = []
    numbers: list[int] = []
    for i, ln in enumerate(text.splitlines(), start=1):
        if ln.strip() and not ln.startswith(comment):
            lines.append(ln)
            numbers.append(i)
    return lines, numbers


def _bad(path: Path, line: int | None, value: str, expected: str) -> InvalidDataError:
    problem = Problem(path.name, line, None, value, expected)
    return InvalidDataError(f"{path}: 1 problem found; nothing was written", [problem])


def _unix_dates(path: Path, column: pd.Series, numbers: list[int]) -> np.ndarray:
    """ISO dates of Unix times in seconds; each must give a date in the plausible range."""
    seconds = pd.to_numeric(column, errors="coerce").to_numpy(dtype=float)
    latest = latest_date()
    low = (_dt.date.fromisoformat(DATE_MIN) - _EPOCH).days * 86400
    high = ((_dt.date.fromisoformat(latest) - _EPOCH).days + 1) * 86400  # the whole last day
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(seconds) | (seconds < low) | (seconds >= high)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _bad(path, numbers[i], str(column.iloc[i]),
                   f"a Unix time in seconds giving a date from {DATE_MIN} to {latest} (one year after today)")
    days = np.floor(seconds / 86400).astype("int64")
    return np.datetime_as_string(days.astype("datetime64[D]"), unit="D").astype(object)


def referral_ids(source: np.ndarray, target: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Ids ``<source>><target>@<date>``, with ``~2``, ``~3``, ... on the second and later
    occurrences of the same id (in order), so that every id is unique."""
    base = pd.Series(source.astype(str), dtype=object) + ">" + pd.Series(target.astype(str), dtype=object) \
        + "@" + pd.Series(np.asarray(dates).astype(str), dtype=object)
    seen = base.groupby(base, sort=False).cumcount().to_numpy()
    ids = base.to_numpy(dtype=object, copy=True)
    again = seen > 0
    if again.any():
        ids[again] = [f"{b}~{n + 1}" for b, n in zip(ids[again], seen[again])]
    return ids


def _build(src: np.ndarray, dst: np.ndarray, strength: np.ndarray, dates: np.ndarray,
           names: dict[str, str] | None, path: Path, notes: list[str]) -> ImportResult:
    src = src.astype(str)
    dst = dst.astype(str)
    # Every party in the file becomes an organisation, even one seen only in a self-referral.
    parties = np.concatenate([src, dst])
    self_loop = src == dst
    if self_loop.any():
        if self_loop.all():
            n = int(self_loop.sum())
            raise _bad(path, None, f"{n} self-referral{'s' if n != 1 else ''} and nothing else",
                       "at least one referral between two different parties (self-ratings are dropped)")
        notes.append(f"dropped {int(self_loop.sum())} self-referrals")
        src, dst, strength, dates = src[~self_loop], dst[~self_loop], strength[~self_loop], dates[~self_loop]
    ids = pd.unique(np.concatenate([parties, np.array(list(names or {}), dtype=str)]))
    ids = np.array(sorted(ids, key=lambda v: (len(v), v)) if all(v.isdigit() for v in ids[:1000]) else sorted(ids))
    # Canonical frames are built directly: the readers have checked every value already, ids are
    # unique by construction and every referral's parties are in ``ids``.
    orgs = object_frame({
        "id": ids,
        "name": [names.get(i, i) for i in ids] if names else ids,
        **{c: np.full(len(ids), None, dtype=object) for c in TABLES["organizations"].column_names[2:]},
    })
    refs = object_frame({
        "id": referral_ids(src, dst, dates),
        "source": src.astype(object),
        "target": dst.astype(object),
        "strength": strength.astype(float).astype(object),
        "date": np.asarray(dates, dtype=object),
        "recipient": np.full(len(src), None, dtype=object),
        "note": np.full(len(src), None, dtype=object),
    })
    result = ImportResult({"organizations": orgs, "referrals": refs})
    result.notes = notes
    return result


def _refuse_short_lines(path: Path, frame: pd.DataFrame, lines: list[str], numbers: list[int], sep: str,
                        fields: str) -> None:
    """The first line with fewer fields than ``frame``'s columns (cut, or a typo), shown as written — not
    the cell pandas filled with NaN; ``fields`` says what was expected. Only rows with a missing cell
    are looked at."""
    width = frame.shape[1]
    for row in frame.isna().any(axis=1).to_numpy().nonzero()[0].tolist():
        given = len(lines[row].split()) if sep == r"\s+" else lines[row].count(sep) + 1
        if given < width:
            raise _bad(path, numbers[row], lines[row], f"{fields}, as on the other lines (a line cut short?)")


def read_snap_signed(path: str | Path, *, date: str = "1970-01-01") -> ImportResult:
    """Read a SNAP signed network (Bitcoin OTC/Alpha or Epinions/Slashdot); see the module docs.

    Parameters
    ----------
    path : str or Path
        The edge list, plain or gzip.
    date : str
        The date of referrals when the file has none (``YYYY-MM-DD``, in the plausible range).

    Raises
    ------
    InvalidDataError
        When the file is not a regular file, too large, damaged gzip or not UTF-8; a line has the
        wrong number of fields; a rating is outside −10..10 or not a number; a time is not a Unix
        time in the plausible range; ``date`` is not a valid date; or every line is a self-rating.
    """
    path = Path(path)
    check_import_date(date)
    text = _open_text(path)
    body, numbers = _edge_lines(text, "#")
    if not body:
        raise _bad(path, 1, "", "at least one edge line")
    sep = "," if "," in body[0] else "\t" if "\t" in body[0] else r"\s+"
    try:
        frame = pd.read_csv(io.StringIO("\n".join(body)), sep=sep, header=None, dtype=str,
                            engine="python" if sep == r"\s+" else "c")
    except pd.errors.ParserError as err:
        raise _bad(path, None, str(err).split("\n")[0], "edge lines with the same number of fields") from err
    notes: list[str] = []
    if frame.shape[1] in (3, 4):
        _refuse_short_lines(path, frame, body, numbers, sep, "4 fields (source,target,rating,time)"
                            if frame.shape[1] == 4 else "3 fields (from to sign)")
    if frame.shape[1] == 4:
        rating = pd.to_numeric(frame[2], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(rating) | (np.abs(rating) > 10)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _bad(path, numbers[i], str(frame[2][i]), "a rating in -10..10")
        _check_not_cut(path, text, frame[3], numbers, body)
        dates = _unix_dates(path, frame[3], numbers)
        strength = rating / 10.0
    elif frame.shape[1] == 3:
        sign = pd.to_numeric(frame[2], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(sign) | (np.abs(sign) > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _bad(path, numbers[i], str(frame[2][i]), "a sign in -1..1 (-1 distrust, 1 trust)")
        strength = sign
        dates = np.full(len(frame), date, dtype=object)
        notes.append(f"no dates in the file: referrals dated {date}")
    else:
        raise _bad(path, numbers[0], body[0], "3 fields (from to sign) or 4 (source,target,rating,time)")
    _check_parties(path, frame, numbers)
    return _build(frame[0].to_numpy(), frame[1].to_numpy(), strength, dates, None, path, notes)


def _check_not_cut(path: Path, text: str, times: pd.Series, numbers: list[int], body: list[str]) -> None:
    """A file that ends without a line end, on a line whose time has fewer digits than every other
    line's, was cut (a download or a ``head -c`` stopped mid-line): its last time would be a date in
    1970. Refused, naming the line."""
    if text.endswith(("\n", "\r")) or len(times) < 2:
        return
    lengths = times.fillna("").astype(str).str.strip().str.len().to_numpy()
    if lengths[-1] < lengths[:-1].min():
        raise _bad(path, numbers[-1], body[-1],
                   f"a complete last line (the file ends without a line end, and this line's time has "
                   f"{lengths[-1]} digits where every other has at least {lengths[:-1].min()}: was the file cut?)")


def _check_parties(path: Path, frame: pd.DataFrame, numbers: list[int]) -> None:
    """Every edge names two parties (a short line leaves a missing cell)."""
    for col in (0, 1):
        missing = frame[col].isna().to_numpy() | (frame[col].fillna("").str.strip() == "").to_numpy()
        if missing.any():
            i = int(np.flatnonzero(missing)[0])
            raise _bad(path, numbers[i], "", "a party id in the first two fields")


def read_konect(path: str | Path, *, date: str = "1970-01-01") -> ImportResult:
    """Read a KONECT network such as Advogato's ``out.advogato``; see the module docs.

    Parameters
    ----------
    path : str or Path
        The ``out.<name>`` file, plain or gzip.
    date : str
        The date of every referral (KONECT files carry none): ``YYYY-MM-DD`` in the plausible range.

    Raises
    ------
    InvalidDataError
        When the file (or its names file) is not a regular file, too large, damaged gzip or not
        UTF-8; a line is not ``from to weight``; a weight is outside [−1, 1]; ``date`` is not a valid
        date; or every line is a self-certification.
    """
    path = Path(path)
    check_import_date(date)
    text = _open_text(path)
    lines, numbers = _edge_lines(text, "%")
    if lines and not lines[0].split()[0].lstrip("-").isdigit():
        lines, numbers = lines[1:], numbers[1:]  # a header row such as "source_id target_id trust_value"
    if not lines:
        raise _bad(path, 1, "", "at least one edge line")
    try:
        frame = pd.read_csv(io.StringIO("\n".join(lines)), sep=r"\s+", header=None, dtype=str, engine="python")
    except pd.errors.ParserError as err:
        raise _bad(path, None, str(err).split("\n")[0], "lines of 'from to weight'") from err
    if frame.shape[1] < 3:
        raise _bad(path, numbers[0], lines[0], "lines of 'from to weight'")
    _refuse_short_lines(path, frame.iloc[:, :3], lines, numbers, r"\s+", "3 fields 'from to weight'")
    weight = pd.to_numeric(frame[2], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(weight) | (np.abs(weight) > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _bad(path, numbers[i], str(frame[2][i]), "a weight in [-1, 1]")
    names: dict[str, str] | None = None
    stem = path.name.split(".", 1)[1] if path.name.startswith("out.") else None
    if stem:
        name_file = path.with_name(f"ent.{stem}.user.name")
        if name_file.exists() or name_file.is_symlink():
            data = read_bytes_limited(name_file, what="names file")
            raw = data.decode("utf-8", errors="replace").splitlines()
            # The first line is a header ("User_name"); line i after it names user i.
            names = {str(i + 1): n.strip() for i, n in enumerate(raw[1:]) if n.strip()}
    dates = np.full(len(frame), date, dtype=object)
    notes = [] if names is None else [f"names from ent.{stem}.user.name"]
    return _build(frame[0].to_numpy(), frame[1].to_numpy(), weight, dates, names, path, notes)
