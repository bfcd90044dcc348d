"""Readers for SNAP signed edge lists and KONECT networks.

SNAP signed (``snap-signed``)
    Bitcoin OTC/Alpha: comma-separated ``source,target,rating,time`` without a header, rating an
    integer in −10..10 scaled to strength ``rating / 10``, time in Unix seconds (the referral date).
    Epinions/Slashdot: ``#`` comment lines, then tab-separated ``from to sign`` with sign ±1 (strength
    ±1, no date: the import date given by ``--date``, default 1970-01-01). Gzip is read transparently.
KONECT (``konect``)
    Advogato: ``%`` comment or a ``source_id target_id trust_value`` header, then ``from to level``
    with level 0.6 apprentice, 0.8 journeyer, 1.0 master (the strength); names from a sibling
    ``ent.<name>.user.name`` file when present. Self-certifications are dropped (a party cannot vouch
    for itself); their number is reported.
"""

from __future__ import annotations

import gzip
import io
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InvalidDataError, Problem
from ..ingest import object_frame
from ..model import TABLES

__all__ = ["FORMATS", "read_snap_signed", "read_konect", "ImportResult"]

FORMATS = ("snap-signed", "konect")


class ImportResult(dict[str, pd.DataFrame]):
    """Canonical frames plus ``notes`` (what was dropped or assumed)."""

    notes: list[str]


def _open_text(path: Path) -> str:
    data = path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        bad = repr(data[err.start : err.start + 4])
        raise InvalidDataError(f"{path}: not UTF-8 text", [Problem(path.name, line, None, bad, "UTF-8 text")]) from err


def _bad(path: Path, line: int | None, value: str, expected: str) -> InvalidDataError:
    problem = Problem(path.name, line, None, value, expected)
    return InvalidDataError(f"{path}: 1 problem found; nothing was written", [problem])


def _build(src: np.ndarray, dst: np.ndarray, strength: np.ndarray, dates: np.ndarray,
           names: dict[str, str] | None, path: Path, notes: list[str]) -> ImportResult:
    src = src.astype(str)
    dst = dst.astype(str)
    # Every party in the file becomes an organisation, even one seen only in a self-referral.
    parties = np.concatenate([src, dst])
    self_loop = src == dst
    if self_loop.any():
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
    width = len(str(len(src)))
    refs = object_frame({
        "id": np.char.add("r", np.char.zfill(np.arange(1, len(src) + 1).astype(str), width)).astype(object),
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


def read_snap_signed(path: str | Path, *, date: str = "1970-01-01") -> ImportResult:
    """Read a SNAP signed network (Bitcoin OTC/Alpha or Epinions/Slashdot); see the module docs.

    Raises
    ------
    InvalidDataError
        When a line has the wrong number of fields, a rating is outside −10..10 or not a number.
    """
    path = Path(path)
    text = _open_text(path)
    body = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if not body:
        raise _bad(path, 1, "", "at least one edge line")
    sep = "," if "," in body[0] else "\t" if "\t" in body[0] else r"\s+"
    try:
        frame = pd.read_csv(io.StringIO("\n".join(body)), sep=sep, header=None, dtype=str,
                            engine="python" if sep == r"\s+" else "c")
    except pd.errors.ParserError as err:
        raise _bad(path, None, str(err).split("\n")[0], "edge lines with the same number of fields") from err
    notes: list[str] = []
    if frame.shape[1] == 4:
        rating = pd.to_numeric(frame[2], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(rating) | (np.abs(rating) > 10)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _bad(path, i + 1, str(frame[2][i]), "a rating in -10..10")
        seconds = pd.to_numeric(frame[3], errors="coerce")
        dates = pd.to_datetime(seconds, unit="s", errors="coerce").dt.strftime("%Y-%m-%d").fillna(date).to_numpy()
        strength = rating / 10.0
    elif frame.shape[1] == 3:
        sign = pd.to_numeric(frame[2], errors="coerce").to_numpy(dtype=float)
        bad = np.isnan(sign) | (np.abs(sign) > 1)
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise _bad(path, i + 1, str(frame[2][i]), "a sign of -1 or 1")
        strength = sign
        dates = np.full(len(frame), date, dtype=object)
        notes.append(f"no dates in the file: referrals dated {date}")
    else:
        raise _bad(path, 1, body[0], "3 fields (from to sign) or 4 (source,target,rating,time)")
    return _build(frame[0].to_numpy(), frame[1].to_numpy(), strength, dates, None, path, notes)


def read_konect(path: str | Path, *, date: str = "1970-01-01") -> ImportResult:
    """Read a KONECT network such as Advogato's ``out.advogato``; see the module docs.

    Raises
    ------
    InvalidDataError
        When a line is not ``from to weight`` or a weight is outside [−1, 1].
    """
    path = Path(path)
    text = _open_text(path)
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("%")]
    if lines and not lines[0].split()[0].lstrip("-").isdigit():
        lines = lines[1:]  # a header row such as "source_id target_id trust_value"
    if not lines:
        raise _bad(path, 1, "", "at least one edge line")
    try:
        frame = pd.read_csv(io.StringIO("\n".join(lines)), sep=r"\s+", header=None, dtype=str, engine="python")
    except pd.errors.ParserError as err:
        raise _bad(path, None, str(err).split("\n")[0], "lines of 'from to weight'") from err
    if frame.shape[1] < 3:
        raise _bad(path, 1, lines[0], "lines of 'from to weight'")
    weight = pd.to_numeric(frame[2], errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(weight) | (np.abs(weight) > 1)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise _bad(path, i + 1, str(frame[2][i]), "a weight in [-1, 1]")
    names: dict[str, str] | None = None
    stem = path.name.split(".", 1)[1] if path.name.startswith("out.") else None
    if stem:
        name_file = path.with_name(f"ent.{stem}.user.name")
        if name_file.exists():
            raw = name_file.read_text(encoding="utf-8", errors="replace").splitlines()
            # The first line is a header ("User_name"); line i after it names user i.
            names = {str(i + 1): n.strip() for i, n in enumerate(raw[1:])}
    dates = np.full(len(frame), date, dtype=object)
    notes = [] if names is None else [f"names from ent.{stem}.user.name"]
    return _build(frame[0].to_numpy(), frame[1].to_numpy(), weight, dates, names, path, notes)
