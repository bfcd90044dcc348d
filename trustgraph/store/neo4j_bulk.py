"""A first load into an empty local Neo4j through Neo4j's own offline importer (``load --bulk``).

The validated frames are written as CSV files in the header format of ``neo4j-admin database import``
(one file per label or relationship type, typed columns, ``:ID``/``:START_ID``/``:END_ID`` in one
ID space per label), and ``scripts/neo4j-local import`` runs the importer from the neo4j-local module's
jars: it stops the local server, imports into a staging folder, swaps the staged database in only when
the import succeeded, and starts the server again. The graph is the one an online load writes
(:data:`~trustgraph.store.neo4j.GRAPH_MODEL`, the same property types), then the uniqueness constraints
are created (indexes built from the imported data) and the version node is written, so that
``trustgraph export`` gives the same files either way (``tests/test_neo4j_bulk.py``).

Only the local server managed by ``scripts/neo4j-local`` can be imported into (the importer writes
its files); a database that holds any node is refused, as is a remote URI (exit 6).
"""

from __future__ import annotations

import csv
import os
import re
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from ..errors import ConfigurationError, TrustgraphError
from ..model import TABLE_ORDER, TABLES
from .neo4j import (
    _META,
    _META_KEY,
    GRAPH_MODEL,
    META_LABEL,
    Neo4jStore,
    NodeMapping,
    RelationshipMapping,
    _bump,
    _label,
    _type,
)

__all__ = ["bulk_load", "local_server_dir", "BULK_CHUNK_ROWS"]

ROOT = Path(__file__).resolve().parents[2]
#: Rows formatted at a time when the CSV files are written (bounds the client's memory).
BULK_CHUNK_ROWS = 1_000_000
_CSV_TYPES = {"str": "string", "int": "long", "float": "double", "bool": "boolean", "tags": "string[]"}


def _script() -> Path:
    return Path(os.environ.get("NEO4J_LOCAL_SCRIPT") or ROOT / "scripts" / "neo4j-local")


def local_server_dir(uri: str) -> Path:
    """The state folder of the ``scripts/neo4j-local`` server that answers at ``uri``.

    The folder is ``NEO4J_LOCAL_DIR`` (default ``<repository>/.neo4j-local``); the server must be
    running there and its URI must be ``uri``.

    Raises
    ------
    ConfigurationError
        When ``uri`` is not the local server started by ``scripts/neo4j-local`` (a remote server, Aura,
        Docker: the offline importer cannot reach their files).
    """
    state = Path(os.environ.get("NEO4J_LOCAL_DIR") or ROOT / ".neo4j-local")
    parts = urlsplit(uri)
    local = parts.scheme in ("bolt", "neo4j") and parts.hostname in ("127.0.0.1", "localhost")
    recorded = (state / "uri").read_text().strip() if (state / "uri").is_file() else None
    same = recorded is not None and urlsplit(recorded).port == (parts.port or 7687) and local
    if not same or not _script().is_file():
        raise ConfigurationError(
            f"--bulk imports with Neo4j's offline importer, so it works only with the local server started by "
            f"scripts/neo4j-local (state folder {state}, NEO4J_LOCAL_DIR; "
            f"{'its URI is ' + recorded if recorded else 'no server is running there'}), not with {uri}; "
            "load without --bulk (online, batched) into any other server"
        )
    return state


# -- CSV in the importer's format ----------------------------------------------------------------


def _quoted(values: np.ndarray) -> tuple[pd.Series, bool]:
    """Strings as quoted CSV fields (missing: an empty, unquoted field = no property); also whether one
    holds a line break (the importer then needs ``--multiline-fields``)."""
    s = pd.Series(values, dtype=object)
    missing = s.isna().to_numpy()
    text = s.where(~missing, "").astype(str)
    multiline = bool(text.str.contains("[\r\n]", regex=True).any())
    out = '"' + text.str.replace('"', '""', regex=False) + '"'
    out[missing] = ""
    return out, multiline


def _field(values: np.ndarray, kind: str) -> tuple[pd.Series, bool]:
    """One column as CSV fields, typed like the online load's values (:func:`~trustgraph.store.neo4j._to_graph`)."""
    if kind == "str":
        return _quoted(values)
    if kind == "tags":  # the array delimiter is ';', which is also the tags' own separator
        tags = [None if pd.isna(v) else ";".join(t for t in str(v).split(";") if t) or None for v in values]
        return _quoted(np.array(tags, dtype=object))
    s = pd.Series(values, dtype=object)
    missing = s.isna().to_numpy()
    if kind == "float":
        text = [repr(float(v)) if not m else "" for v, m in zip(values, missing)]
    elif kind == "int":
        text = [str(int(v)) if not m else "" for v, m in zip(values, missing)]
    else:  # bool
        text = [("true" if bool(v) else "false") if not m else "" for v, m in zip(values, missing)]
    return pd.Series(text, dtype=object), False


@dataclass
class _File:
    """One CSV file of the import and the importer argument that names it."""

    argument: str  # --nodes=Label or --relationships=TYPE
    path: Path
    rows: int = 0
    multiline: bool = False


def _cells(values: np.ndarray, kind: str) -> tuple[list[Any], bool] | None:
    """One column as values for :func:`csv.writer` (``None``: an empty, unquoted field = no property),
    typed like the online load's values, and whether one holds a line break; ``None`` when a string
    is empty (the writer would not quote it, and the importer would take it for a missing value)."""
    missing = pd.isna(values)
    if kind == "float":
        floats = np.asarray(pd.to_numeric(pd.Series(values, dtype=object)), dtype=float)  # repr, like _field
        out: list[Any] = floats.astype(object).tolist()
    elif kind in ("str", "tags"):
        if kind == "tags":
            values = np.array([None if m else ";".join(t for t in str(v).split(";") if t) or None
                               for v, m in zip(values, missing)], dtype=object)
            missing = pd.isna(values)
        if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
            values = np.array([v if m else str(v) for v, m in zip(values, missing)], dtype=object)
        if (values == "").any():
            return None
        out = values.tolist()
        joined = "\x00".join(v for v, m in zip(out, missing) if not m)
        if "\n" in joined or "\r" in joined:
            return _with_missing(out, missing), True
    elif kind == "int":
        out = [None if m else int(v) for v, m in zip(values, missing)]
    else:  # bool
        out = [None if m else ("true" if bool(v) else "false") for v, m in zip(values, missing)]
    return _with_missing(out, missing), False


def _with_missing(cells: list[Any], missing: np.ndarray) -> list[Any]:
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            cells[i] = None
    return cells


def _write(path: Path, header: list[str], columns: list[tuple[np.ndarray, str]], n: int) -> tuple[int, bool]:
    """Write ``n`` rows of typed ``columns`` under ``header``, chunk by chunk: with :mod:`csv` (quotes
    only where needed), or, for a chunk that holds an empty string, with every string quoted."""
    multiline = False
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(header) + "\n")
        writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        for lo in range(0, n, BULK_CHUNK_ROWS):
            cells = [_cells(values[lo : lo + BULK_CHUNK_ROWS], kind) for values, kind in columns]
            if all(c is not None for c in cells):
                writer.writerows(zip(*(c[0] for c in cells if c is not None)))
                multiline |= any(c[1] for c in cells if c is not None)
                continue
            fields = []
            for values, kind in columns:
                field, more = _field(values[lo : lo + BULK_CHUNK_ROWS], kind)
                fields.append(field.reset_index(drop=True))
                multiline |= more
            if not fields or not len(fields[0]):
                continue
            lines = fields[0].str.cat(list(fields[1:]), sep=",") if len(fields) > 1 else fields[0]  # type: ignore[arg-type]
            out.write("\n".join(lines.tolist()))
            out.write("\n")
    return n, multiline


def _types(name: str) -> dict[str, str]:
    """Column kinds as the online load converts them: int, float, bool, tags, everything else text."""
    return {c.name: c.type if c.type in _CSV_TYPES else "str" for c in TABLES[name].columns}


def _ids(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.asarray(frame[column].to_numpy(dtype=object))


def _known(values: np.ndarray, known: pd.Index) -> np.ndarray:
    """Which ``values`` (as text; missing ones count as known) are among the ids ``known`` (a hash look-up)."""
    present = ~pd.isna(values)
    found = np.ones(len(values), dtype=bool)
    found[present] = pd.Index(pd.Series(values[present], dtype=object).astype(str)).isin(known)
    return found


def _refuse_missing(table: str, column: str, values: np.ndarray, known: pd.Index) -> None:
    missing = sorted({str(v) for v in values[~_known(values, known)]})
    if missing:
        examples = ", ".join(map(repr, missing[:5]))
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise TrustgraphError(
            f"the bulk load was refused, nothing was written: {table}.{column} refers to ids that are not in the "
            f"load ({examples}{more}); a bulk load fills an empty database, so every id it refers to must be in it"
        )


def write_import_files(frames: Mapping[str, pd.DataFrame], folder: Path, meta: tuple[str, int]) -> list[_File]:
    """The import's CSV files for ``frames`` (the graph of :data:`GRAPH_MODEL`) and the version node.

    Raises
    ------
    TrustgraphError
        When a row refers to an id that is not in ``frames`` (nothing is written to the database).
    """
    files: list[_File] = []
    node_ids: dict[str, pd.Index] = {}
    for name, m in GRAPH_MODEL.items():
        if isinstance(m, NodeMapping):
            if name in frames:
                text = pd.Series(_ids(frames[name], "id"), dtype=object).astype(str)
                node_ids[m.label] = node_ids.get(m.label, pd.Index([], dtype=object)).append(pd.Index(text))
            node_ids.setdefault(m.label, pd.Index([], dtype=object))

    def add(argument: str, stem: str, header: list[str], columns: list[tuple[np.ndarray, str]], n: int) -> None:
        if n == 0:
            return
        path = folder / f"{stem}.csv"
        rows, multiline = _write(path, header, columns, n)
        files.append(_File(argument, path, rows, multiline))

    outside: dict[str, set[str]] = {}
    for name in TABLE_ORDER:
        mapping = GRAPH_MODEL.get(name)
        if name not in frames or mapping is None or not len(frames[name]):
            continue
        m = mapping
        frame = frames[name]
        types = _types(name)
        if isinstance(m, NodeMapping):
            label = _label(m.label).strip("`")
            props = [p for p in m.properties if p != "id"]
            header = [f"id:ID({label})"] + [f"{p}:{_CSV_TYPES[types[p]]}" for p in props]
            columns = [(_ids(frame, "id"), "str")] + [(_ids(frame, p), types[p]) for p in props]
            add(f"--nodes={label}", f"nodes-{name}", header, columns, len(frame))
            for link in m.links:
                targets = _ids(frame, link.column)
                _refuse_missing(name, link.column, targets, node_ids[link.label])
                keep = ~pd.isna(targets)
                mine, other = _ids(frame, "id")[keep], targets[keep]
                start, end = (mine, other) if link.outgoing else (other, mine)
                start_label, end_label = (m.label, link.label) if link.outgoing else (link.label, m.label)
                rel = _type(link.type).strip("`")
                add(f"--relationships={rel}", f"links-{name}-{link.column}",
                    [f":START_ID({start_label})", f":END_ID({end_label})"],
                    [(start, "str"), (end, "str")], int(keep.sum()))
        elif isinstance(m, RelationshipMapping):
            rel = _type(m.type).strip("`")
            props = [p for p in m.properties]  # id included (a property of the relationship) when keyed by id
            starts, ends = _ids(frame, m.start), _ids(frame, m.end)
            _refuse_missing(name, m.end, ends, node_ids[m.end_label])
            known = node_ids[m.start_label]
            inside = _known(starts, known) & ~pd.isna(starts)
            if m.start_outside is None:
                _refuse_missing(name, m.start, starts, known)
            groups = [(inside, m.start_label, "")]
            if m.start_outside is not None and not inside.all():
                outside.setdefault(m.start_outside, set()).update(str(v) for v in starts[~inside])
                groups.append((~inside, m.start_outside, "-outside"))
            for mask, start_label, suffix in groups:
                header = [f":START_ID({start_label})", f":END_ID({m.end_label})"] + [
                    f"{p}:{_CSV_TYPES[types[p]]}" for p in props]
                columns = [(starts[mask], "str"), (ends[mask], "str")]
                columns += [(_ids(frame, p)[mask], types[p]) for p in props]
                add(f"--relationships={rel}", f"rels-{name}{suffix}", header, columns, int(mask.sum()))
    for label, names in sorted(outside.items()):
        ids = np.array(sorted(names), dtype=object)
        add(f"--nodes={_label(label).strip('`')}", f"nodes-outside-{label.lower()}", [f"id:ID({label})"],
            [(ids, "str")], len(ids))
    store_id, version = meta
    add(f"--nodes={META_LABEL}", "nodes-meta", ["key:string", "store_id:string", "version:long"],
        [(np.array([_META_KEY], dtype=object), "str"), (np.array([store_id], dtype=object), "str"),
         (np.array([version], dtype=object), "int")], 1)
    return files


# -- the load ------------------------------------------------------------------------------------


_NOT_EMPTY = f"MATCH (n) WHERE NOT n:{_META} RETURN count(n) AS n"
_META_READ = f"OPTIONAL MATCH (m:{_META} {{key: $key}}) RETURN m.store_id AS id, m.version AS n"


def bulk_load(
    store: Neo4jStore,
    tables: Mapping[str, pd.DataFrame],
    *,
    workdir: Path | None = None,
    progress: Callable[[str], object] | None = None,
    timeout: float = 3600,
) -> dict[str, Any]:
    """Load ``tables`` (canonical, validated frames) into the empty database of the local server.

    Returns ``{"written": rows per table, "seconds": {"files": ..., "import": ..., "schema": ...,
    "importer": the importer's own time, "importer_peak_mib": its own peak memory}}``.
    The store stays usable afterwards (its driver reconnects to the restarted server).

    Raises
    ------
    ConfigurationError
        When the store is not the local server of ``scripts/neo4j-local`` or its database holds any
        node (exit 6; nothing is written).
    TrustgraphError
        When a row lacks a required value or refers to an id that is not in the load, or when the
        importer fails (the database is left as it was).
    """
    import time

    say = progress or (lambda text: None)
    frames = {n: tables[n] for n in TABLE_ORDER if n in tables}
    store._check_required(frames)
    state = local_server_dir(store.uri)
    with store._errors("read"):
        found = int(store._read(lambda tx: tx.run(_NOT_EMPTY).single(strict=True)["n"]))
        record = store._read(lambda tx: tx.run(_META_READ, key=_META_KEY).single(strict=True))
    if found:
        raise ConfigurationError(
            f"{store.where} is not empty ({found:,} nodes): --bulk only fills an empty database (Neo4j's offline "
            "importer replaces the whole database). Load without --bulk to add to or update the data, or empty "
            "the database first"
        )
    meta = (str(record["id"]) if record["id"] else str(uuid.uuid4()), int(record["n"] or 0))
    seconds: dict[str, float] = {}
    folder = Path(tempfile.mkdtemp(prefix="trustgraph-bulk-", dir=workdir))
    try:
        t0 = time.perf_counter()
        files = write_import_files(frames, folder, meta)
        seconds["files"] = time.perf_counter() - t0
        say(f"wrote {len(files)} import files; importing")
        args = [f"{f.argument}={f.path}" for f in files]
        if any(f.multiline for f in files):
            args.append("--multiline-fields=true")
        env = dict(os.environ, NEO4J_LOCAL_DIR=str(state))
        t0 = time.perf_counter()
        done = subprocess.run([str(_script()), "import", *args], env=env, capture_output=True, text=True,
                              timeout=timeout, check=False)
        seconds["import"] = time.perf_counter() - t0
        if done.returncode != 0:
            tail = "\n".join(done.stderr.strip().splitlines()[-15:])
            if "neo4j-local: imported" in done.stderr:
                raise TrustgraphError(f"the import succeeded but the local server did not start again "
                                      f"(scripts/neo4j-local start):\n{tail}")
            raise TrustgraphError(f"Neo4j's importer failed; the database was left as it was:\n{tail}")
        reported = re.search(r"IMPORT DONE in (?:(\d+)m )?(\d+)s (\d+)ms", done.stderr)
        if reported:  # the importer's own time, without stopping and starting the server
            minutes, secs, millis = (int(g or 0) for g in reported.groups())
            seconds["importer"] = minutes * 60 + secs + millis / 1000
        peak = re.search(r"Peak memory usage: ([0-9.]+)\s*([KMG])iB", done.stderr)
        if peak:  # the importer's own account of its memory (heap and off-heap), in MiB
            seconds["importer_peak_mib"] = float(peak.group(1)) * {"K": 1 / 1024, "M": 1, "G": 1024}[peak.group(2)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    t0 = time.perf_counter()
    store._schema_ready = False
    _wait_until_up(store)
    store._ensure_schema()  # constraints (and their indexes) built from the imported data
    with store._errors("load"):
        store._write(_bump)  # a write like any load: the version moves on from the imported one
    seconds["schema"] = time.perf_counter() - t0
    return {"written": {n: len(f) for n, f in frames.items()}, "seconds": seconds}


def _wait_until_up(store: Neo4jStore, attempts: int = 60) -> None:
    """The driver's pooled connections died with the server: retry a read until the new server answers."""
    import time

    from ..errors import StoreUnavailableError

    for attempt in range(attempts):
        try:
            with store._errors("connection"):
                store._read(lambda tx: tx.run("RETURN 1").consume())
            return
        except StoreUnavailableError:
            if attempt == attempts - 1:
                raise
            time.sleep(1)

