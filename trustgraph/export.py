"""Write a store's tables back as a dataset folder: exactly what ``load`` reads.

Values are written in their canonical text form: booleans ``true``/``false``, floats with Python's
shortest round-tripping ``repr`` (``1`` rather than
``1.0``), missing values as empty cells. Loading the export into an empty store
reproduces every table (the round trip is property-tested).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .model import TABLE_ORDER, TABLES

__all__ = ["export_dataset", "canonical_text"]


def canonical_text(value: object) -> str:
    """The CSV text of one canonical value."""
    if value is None:
        return ""
    if hasattr(value, "item") and not isinstance(value, str):  # numpy scalars
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:  # NaN
            return ""
        text = repr(value)  # shortest text that reads back as the same float
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def export_dataset(
    tables: Mapping[str, pd.DataFrame], folder: str | Path, *, include_empty: bool = False
) -> dict[str, int]:
    """Write canonical frames as ``<table>.csv`` files in ``folder`` (created if needed).

    Parameters
    ----------
    tables : mapping
        Canonical frames by table name.
    folder : str or Path
        Destination folder.
    include_empty : bool
        Also write header-only files for empty tables (``organizations.csv`` is always written).

    Returns
    -------
    dict
        Rows written per table.
    """
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for name in TABLE_ORDER:
        frame = tables.get(name)
        if frame is None or (not len(frame) and not include_empty and name != "organizations"):
            continue
        table = TABLES[name]
        cols = table.column_names
        path = out / table.file
        tmp = path.with_suffix(".csv.tmp")
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(cols)
            arrays = [frame[c].to_numpy() for c in cols]
            for i in range(len(frame)):
                writer.writerow([canonical_text(a[i]) for a in arrays])
        tmp.replace(path)
        written[name] = len(frame)
    return written
