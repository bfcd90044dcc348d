"""A first load into an empty local Neo4j through Neo4j's own offline importer (``load --bulk``).

The validated frames are written as CSV files in the header format of ``neo4j-admin database import``
(one file per label or relationship type, typed columns, nodes numbered per label for the importer's
``--id-type=integer``, the ``id`` a string property), and ``scripts/neo4j-local import`` runs the
importer from the neo4j-local module's jars: it pauses the local server's databases (the JVM stays up),
imports into a staging folder, swaps the staged database in only when the import succeeded, and starts
the databases again. The graph is the one an online load writes
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from pandas.util import hash_array

from ..errors import ConfigurationError, TrustgraphError
from ..model import TABLE_ORDER, TABLES
from .neo4j import (
    _META,
    _META_KEY,
    GRAPH_MODEL,
    META_LABEL,
    NODE_LABELS,
    OUTSIDE_LABELS,
    Neo4jStore,
    NodeMapping,
    RelationshipMapping,
    _bump,
    _label,
    _type,
)

__all__ = ["bulk_load", "importer_seconds", "local_server_dir", "BULK_CHUNK_ROWS"]

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
    elif kind in ("int", "node"):
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
    parts: list[Path] = field(default_factory=list)  # the file, then its later parts (no header)

    @property
    def importer_argument(self) -> str:
        return f"{self.argument}={','.join(str(p) for p in self.parts or [self.path])}"


_BOOLS = np.array(["false", "true"], dtype=object)


def _cells(values: np.ndarray, kind: str) -> tuple[list[Any], bool] | None:
    """One column as values for :func:`csv.writer` (``None``: an empty, unquoted field = no property),
    typed like the online load's values, and whether one holds a line break; ``None`` when a string
    is empty (the writer would not quote it, and the importer would take it for a missing value).

    Each step runs over the whole column in numpy or C (a Python loop over ten million cells costs
    seconds): the importer's node numbers (``node``) as they are, floats through :func:`repr` (the
    writer's :class:`str`), booleans picked from a table."""
    if kind == "node":  # the importer's integer ids: never missing
        return values.tolist(), False
    missing = np.asarray(pd.isna(values), dtype=bool)
    multiline = False
    if kind == "float":
        out = np.asarray(pd.to_numeric(pd.Series(values, dtype=object)), dtype=float).astype(object)
    elif kind == "int":
        if missing.any() or pd.api.types.infer_dtype(values, skipna=True) != "integer":
            out = np.array([None if m else int(v) for v, m in zip(values, missing)], dtype=object)
        else:
            out = np.asarray(values).astype(np.int64).astype(object)
    elif kind == "bool":
        flags = np.zeros(len(values), dtype=np.intp)
        flags[~missing] = np.asarray(values[~missing]).astype(bool)
        out = _BOOLS[flags]
    else:  # str, tags
        if kind == "tags":
            values = np.array([None if m else ";".join(t for t in str(v).split(";") if t) or None
                               for v, m in zip(values, missing)], dtype=object)
            missing = np.asarray(pd.isna(values), dtype=bool)
        out = _text(values, missing)
        present = out[~missing]
        if (present == "").any():
            return None
        joined = "\x00".join(present.tolist())
        multiline = "\n" in joined or "\r" in joined
    if missing.any():
        out = out.copy()
        out[missing] = None
    return out.tolist(), multiline


def _text(values: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """``values`` as an object array of :class:`str` (missing ones left as they are)."""
    values = np.asarray(values, dtype=object)
    if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
        return values
    return np.array([v if m else str(v) for v, m in zip(values, missing)], dtype=object)


def _write(path: Path, header: list[str] | None, columns: list[tuple[np.ndarray, str]], n: int) -> tuple[int, bool]:
    """Write ``n`` rows of typed ``columns`` under ``header`` (none: a later part of a file), chunk by
    chunk: with :mod:`csv` (quotes only where needed), or, for a chunk that holds an empty string, with
    every string quoted."""
    multiline = False
    with path.open("w", encoding="utf-8", newline="") as out:
        if header is not None:
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
                text, more = _field(values[lo : lo + BULK_CHUNK_ROWS], kind)
                fields.append(text.reset_index(drop=True))
                multiline |= more
            if not fields or not len(fields[0]):
                continue
            lines = fields[0].str.cat(list(fields[1:]), sep=",") if len(fields) > 1 else fields[0]  # type: ignore[arg-type]
            out.write("\n".join(lines.tolist()))
            out.write("\n")
    return n, multiline


#: Rows from which a file is written in parts at once, one forked process per core.
PARALLEL_ROWS = 2_000_000


def _parts(path: Path, n: int) -> int:
    if n < PARALLEL_ROWS or not hasattr(os, "fork") or "," in str(path):  # the importer splits its list at ','
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return max(1, min(cores, n // (PARALLEL_ROWS // 2)))


def _write_parts(
    path: Path, header: list[str], columns: list[tuple[np.ndarray, str]], n: int
) -> tuple[list[Path], bool]:
    """Write the rows as one file, or, when they are many, as parts written at once by forked processes
    (the importer reads a list of files as one: the header in the first). Python's CSV writing is
    single-threaded; with two free cores the files of 10 M referrals took 18.8 s instead of 25.6 s
    (docs/neo4j.md; on a busy machine the second process gains nothing).

    Raises
    ------
    TrustgraphError
        When a part could not be written.
    """
    parts = _parts(path, n)
    if parts == 1:
        return [path], _write(path, header, columns, n)[1]
    size = -(-n // parts)
    bounds = [(lo, min(lo + size, n)) for lo in range(0, n, size)]
    paths = [path] + [path.with_name(f"{path.stem}.part{k}.csv") for k in range(1, len(bounds))]
    children = []
    for k in range(1, len(bounds)):
        pid = os.fork()
        if pid == 0:  # the child writes its part and leaves at once: no cleanup of the parent's objects
            code = 1
            try:
                lo, hi = bounds[k]
                code = 3 if _write(paths[k], None, [(v[lo:hi], kind) for v, kind in columns], hi - lo)[1] else 0
            finally:
                os._exit(code)
        children.append(pid)
    try:
        lo, hi = bounds[0]
        multiline = _write(path, header, [(v[lo:hi], kind) for v, kind in columns], hi - lo)[1]
    finally:
        codes = [os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]) for pid in children]
    if any(code not in (0, 3) for code in codes):
        raise TrustgraphError(f"the import files could not be written: a process writing part of {path.name} "
                              f"exited with {codes}")
    return paths, multiline or 3 in codes


def _types(name: str) -> dict[str, str]:
    """Column kinds as the online load converts them: int, float, bool, tags, everything else text."""
    return {c.name: c.type if c.type in _CSV_TYPES else "str" for c in TABLES[name].columns}


def _ids(frame: pd.DataFrame, column: str) -> np.ndarray:
    return np.asarray(frame[column].to_numpy(dtype=object))


def _present(frame: pd.DataFrame, columns: list[str]) -> list[str]:
    """The ``columns`` that hold a value in some row: a column missing everywhere sets no property
    either way, so its file leaves it out (ten million empty fields cost the writer seconds)."""
    return [c for c in columns if not frame[c].isna().all()]


_UNKNOWN, _MISSING = -1, -2  # node numbers of an id outside the load and of a missing value


class _Nodes:
    """The nodes of one label, numbered 0, 1, ... in the order their files list them: the importer's
    integer ids (``--id-type=integer``), which spare it the mapping of string ids; the ``id`` property
    is written as an ordinary string column.

    Ids are looked up by a 64-bit hash of their text (pandas' ``hash_array``, in C) in an integer
    index, and every match is checked against the text: at ten million references this is about
    three times faster than a look-up of the strings themselves."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.ids = np.array([], dtype=object)
        self.hashes = np.array([], dtype=np.uint64)
        self.keys: pd.Index = pd.Index(self.hashes)

    def add(self, table: str, ids: np.ndarray) -> np.ndarray:
        """Number ``ids`` (as text) after those already added; a repeated id is refused."""
        text = _text(ids, np.zeros(len(ids), dtype=bool))
        first = len(self.ids)
        self.ids = np.concatenate([self.ids, text])
        self.hashes = np.concatenate([self.hashes, hash_array(text, categorize=False)])  # the new ids only
        self.keys = pd.Index(self.hashes)
        if not self.keys.is_unique:
            repeated = pd.Index(self.ids)
            if not repeated.is_unique:
                names = sorted(set(repeated[repeated.duplicated()].astype(str)))
                raise TrustgraphError(
                    f"the bulk load was refused, nothing was written: {table}.id repeats ids of {self.label} "
                    f"nodes ({', '.join(map(repr, names[:5]))}); every node's id must be unique")
            self.keys = repeated  # two ids with one hash (about 1 in 10^10 at a million ids): look up the text
        return np.arange(first, len(self.ids), dtype=np.int64)

    def numbers(self, values: np.ndarray) -> np.ndarray:
        """The node number of each of ``values`` (as text); :data:`_UNKNOWN` for an id that is not among
        them, :data:`_MISSING` for a missing value."""
        missing = np.asarray(pd.isna(values), dtype=bool)
        found = np.full(len(values), _MISSING, dtype=np.int64)
        if missing.all():
            return found
        text = _text(values[~missing], missing[~missing])
        hashed = self.keys.dtype == np.uint64
        numbers = np.asarray(self.keys.get_indexer(pd.Index(hash_array(text, categorize=False) if hashed else text)))
        hit = numbers >= 0
        if hit.all():
            wrong = np.flatnonzero(self.ids[numbers] != text)
        else:
            wrong = np.flatnonzero(hit)[self.ids[numbers[hit]] != text[hit]]
        numbers[wrong] = _UNKNOWN  # the hash of an id outside the load that equals a known id's hash
        numbers[numbers < 0] = _UNKNOWN
        found[~missing] = numbers
        return found

    def refuse_missing(self, table: str, column: str, values: np.ndarray, numbers: np.ndarray) -> None:
        unknown = numbers == _UNKNOWN
        if unknown.any():
            missing = sorted({str(v) for v in values[unknown]})
            examples = ", ".join(map(repr, missing[:5]))
            more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
            raise TrustgraphError(
                f"the bulk load was refused, nothing was written: {table}.{column} refers to ids that are not in "
                f"the load ({examples}{more}); a bulk load fills an empty database, so every id it refers to "
                "must be in it"
            )


def write_import_files(frames: Mapping[str, pd.DataFrame], folder: Path, meta: tuple[str, int]) -> list[_File]:
    """The import's CSV files for ``frames`` (the graph of :data:`GRAPH_MODEL`) and the version node.

    Nodes carry integer ids, numbered per label (the importer runs with ``--id-type=integer``); their
    ``id`` is a string property, as an online load writes it.

    Raises
    ------
    TrustgraphError
        When a row refers to an id that is not in ``frames``, or a node id repeats (nothing is written
        to the database).
    """
    files: list[_File] = []
    nodes = {label: _Nodes(label) for label in NODE_LABELS}
    numbered: dict[str, np.ndarray] = {}
    for name, m in GRAPH_MODEL.items():  # every node first: links and relationships refer to them
        if isinstance(m, NodeMapping) and name in frames and len(frames[name]):
            numbered[name] = nodes[m.label].add(name, _ids(frames[name], "id"))

    def add(argument: str, stem: str, header: list[str], columns: list[tuple[np.ndarray, str]], n: int) -> None:
        if n == 0:
            return
        path = folder / f"{stem}.csv"
        parts, multiline = _write_parts(path, header, columns, n)
        files.append(_File(argument, path, n, multiline, parts))

    for name in TABLE_ORDER:
        mapping = GRAPH_MODEL.get(name)
        if name not in frames or mapping is None or not len(frames[name]):
            continue
        m = mapping
        frame = frames[name]
        types = _types(name)
        if isinstance(m, NodeMapping):
            label = _label(m.label).strip("`")
            props = _present(frame, [p for p in m.properties if p != "id"])
            header = [f":ID({label})", "id:string"] + [f"{p}:{_CSV_TYPES[types[p]]}" for p in props]
            columns = [(numbered[name], "node"), (_ids(frame, "id"), "str")]
            columns += [(_ids(frame, p), types[p]) for p in props]
            add(f"--nodes={label}", f"nodes-{name}", header, columns, len(frame))
            for link in m.links:
                targets = _ids(frame, link.column)
                found = nodes[link.label].numbers(targets)
                nodes[link.label].refuse_missing(name, link.column, targets, found)
                keep = found != _MISSING
                mine, other = numbered[name][keep], found[keep]
                start, end = (mine, other) if link.outgoing else (other, mine)
                start_label, end_label = (m.label, link.label) if link.outgoing else (link.label, m.label)
                rel = _type(link.type).strip("`")
                add(f"--relationships={rel}", f"links-{name}-{link.column}",
                    [f":START_ID({start_label})", f":END_ID({end_label})"],
                    [(start, "node"), (end, "node")], int(keep.sum()))
        elif isinstance(m, RelationshipMapping):
            rel = _type(m.type).strip("`")
            props = _present(frame, list(m.properties))  # id included (a property of the relationship) when keyed by id
            starts, ends = _ids(frame, m.start), _ids(frame, m.end)
            end_numbers = nodes[m.end_label].numbers(ends)
            nodes[m.end_label].refuse_missing(name, m.end, ends, end_numbers)
            start_numbers = nodes[m.start_label].numbers(starts)
            inside = start_numbers >= 0
            if m.start_outside is None or inside.all():
                nodes[m.start_label].refuse_missing(name, m.start, starts, start_numbers)
                groups = [(inside, m.start_label, "", start_numbers)]
            else:  # parties outside the load (an authority that lists): nodes of their own label
                outside = nodes[m.start_outside]
                absent = start_numbers == _UNKNOWN
                new = pd.unique(_text(starts[absent], np.zeros(int(absent.sum()), dtype=bool)))
                new = np.array(sorted(set(new) - set(outside.ids)), dtype=object)
                outside.add(name, new)
                groups = [(inside, m.start_label, "", start_numbers),
                          (~inside, m.start_outside, "-outside", outside.numbers(starts))]
            for mask, start_label, suffix, numbers in groups:
                header = [f":START_ID({start_label})", f":END_ID({m.end_label})"] + [
                    f"{p}:{_CSV_TYPES[types[p]]}" for p in props]
                columns = [(numbers[mask], "node"), (end_numbers[mask], "node")]
                columns += [(_ids(frame, p)[mask], types[p]) for p in props]
                add(f"--relationships={rel}", f"rels-{name}{suffix}", header, columns, int(mask.sum()))
    for label in sorted(OUTSIDE_LABELS):
        ids = np.asarray(nodes[label].ids, dtype=object)
        add(f"--nodes={_label(label).strip('`')}", f"nodes-outside-{label.lower()}", [f":ID({label})", "id:string"],
            [(np.arange(len(ids), dtype=np.int64), "node"), (ids, "str")], len(ids))
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
    "importer": the importer's own time, "importer_peak_mib": its own peak memory, "pause" and
    "restart": the server's pause (or stop) and restart}}``.
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
        args = [f.importer_argument for f in files] + ["--id-type=integer"]
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
        reported = importer_seconds(done.stderr)
        if reported is not None:  # the importer's own time, without pausing and starting the server
            seconds["importer"] = reported
        for key, pattern in (("pause", r"server (?:paused|stopped) in ([0-9.]+)s"),
                             ("restart", r"(?:databases|server) started again in ([0-9.]+)s")):
            step = re.search(pattern, done.stderr)
            if step:  # the script's own account of the server's pause (or stop) and restart
                seconds[key] = float(step.group(1))
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


def importer_seconds(output: str) -> float | None:
    """The importer's own time from its ``IMPORT DONE in 1m 2s 345ms.`` line (a unit that is zero is
    left out: ``1m 345ms``), or ``None`` when the line is not there."""
    line = re.search(r"IMPORT DONE in ((?:\d+(?:ms|h|m|s) ?)+)", output)
    if line is None:
        return None
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    return sum(int(n) * scale[unit] for n, unit in re.findall(r"(\d+)(ms|h|m|s)", line.group(1)))


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

