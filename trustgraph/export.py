"""Write a store's tables back as a dataset folder: exactly what ``load`` reads.

Values are written in their canonical text form: booleans ``true``/``false``, floats with Python's
shortest round-tripping ``repr`` (``1`` rather than ``1.0``), missing values as empty cells, text as
it is stored (no spreadsheet formula neutralisation: that is for ``--format csv`` output only).
Loading the export into an empty store reproduces every table (the round trip is property-tested).

The folder must be new or empty unless ``force`` (then only the table files the model names are
replaced, so no stale table of an older export is loaded back); every file is written to a temporary
file and renamed into place, never through a symlink.
"""

from __future__ import annotations

import csv
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .errors import TrustgraphError
from .files import atomic_path, write_text_atomic
from .model import TABLE_ORDER, TABLES, Table, template_text

__all__ = ["export_dataset", "canonical_text", "write_templates"]


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
    tables: Mapping[str, pd.DataFrame], folder: str | Path, *, include_empty: bool = False, force: bool = False
) -> dict[str, int]:
    """Write canonical frames as ``<table>.csv`` files in ``folder`` (created if needed).

    The folder must be empty (or missing) unless ``force``: files left from an older export would
    otherwise be loaded back with the new ones. With ``force`` every table file the model names
    (``organizations.csv`` ... ``communications.csv``, including tables not written this time) is
    removed first, and nothing else in the folder is touched. Each file is written to a temporary
    file beside it and renamed (:func:`trustgraph.files.atomic_path`), never through a symlink.

    Parameters
    ----------
    tables : mapping
        Canonical frames by table name.
    folder : str or Path
        Destination folder.
    include_empty : bool
        Also write header-only files for empty tables (``organizations.csv`` is always written).
    force : bool
        Export into a folder that is not empty, replacing its table files.

    Returns
    -------
    dict
        Rows written per table.

    Raises
    ------
    TrustgraphError
        When ``folder`` is not a folder, is not empty and ``force`` is not given, or (with ``force``)
        a table file's name is taken by something other than a file or a symlink.
    """
    out = _prepare_folder(Path(folder), force=force)
    written: dict[str, int] = {}
    for name in TABLE_ORDER:
        frame = tables.get(name)
        if frame is None or (not len(frame) and not include_empty and name != "organizations"):
            continue
        table = TABLES[name]
        cols = table.column_names
        with atomic_path(out / table.file, what="export file") as tmp, \
                tmp.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(cols)
            arrays = [frame[c].to_numpy() for c in cols]
            for i in range(len(frame)):
                writer.writerow([canonical_text(a[i]) for a in arrays])
        written[name] = len(frame)
    return written


def write_templates(folder: str | Path, *, force: bool = False) -> list[tuple[Table, Path]]:
    """Write every table's template (:func:`trustgraph.model.template_text`: its header and one
    commented example row) into ``folder``, as ``trustgraph init`` does; returns (table, file) pairs.

    The folder must be new or empty unless ``force``, which replaces its table files and leaves
    other files alone (the rule of :func:`export_dataset`).

    Raises
    ------
    TrustgraphError
        When ``folder`` is not a folder, or is not empty and ``force`` is not given.
    """
    out = _prepare_folder(Path(folder), force=force, doing="write a template")
    written = []
    for name in TABLE_ORDER:
        table = TABLES[name]
        write_text_atomic(out / table.file, template_text(table), what="template file")
        written.append((table, out / table.file))
    return written


def _prepare_folder(out: Path, *, force: bool, doing: str = "export") -> Path:
    """Check (and create) the export folder; with ``force`` remove the table files it holds."""
    if out.exists() and not out.is_dir():
        raise TrustgraphError(f"cannot {doing} to {out}: it exists and is not a folder")
    if not out.exists():
        try:
            out.mkdir(parents=True)
        except OSError as err:
            raise TrustgraphError(f"cannot create the folder {out}: {err.strerror}") from err
        return out
    entries = sorted(p.name for p in out.iterdir())
    if not entries:
        return out
    if not force:
        shown = ", ".join(entries[:5]) + (f" and {len(entries) - 5} more" if len(entries) > 5 else "")
        raise TrustgraphError(
            f"refusing to {doing} into {out}: the folder is not empty ({shown})"
            + ("; files of an older export would be loaded back with the new ones" if doing == "export" else "")
            + ". Choose an empty or new folder, or use --force to replace its table files (other files are left "
            "alone)"
        )
    owned = [out / TABLES[name].file for name in TABLE_ORDER]
    for path in owned:
        if (path.exists() or path.is_symlink()) and not (path.is_symlink() or path.is_file()):
            raise TrustgraphError(f"refusing to {doing} into {out}: {path.name} is not a file (remove it first)")
    for path in owned:
        path.unlink(missing_ok=True)  # a symlink itself, never its target
    return out
