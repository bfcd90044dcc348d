"""The embedded default store: one SQLite file, transactional, zero set-up.

Schema: one SQL table per model table (typed columns, primary key = the table's key, foreign keys
deferred to commit), ``meta`` (schema version, the store's id and its data version) and ``scores``.
Every ``load`` is one transaction: a failure rolls everything back. Every write bumps the data
version in its own transaction (:meth:`SqliteStore.version`), so a compiled snapshot
(:mod:`trustgraph.snapshot`) of older data is never used. Opening an existing store does not write.
"""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import StoreUnavailableError, TrustgraphError
from ..model import TABLE_ORDER, TABLES, Table
from .base import SCORE_COLUMNS

if TYPE_CHECKING:  # pandas is imported where frames are built: `stats` and `--version` stay light
    import pandas as pd

__all__ = ["SqliteStore", "SCHEMA_VERSION"]

#: Bump when the schema changes; a store with another version is refused with a clear message.
SCHEMA_VERSION = 1

_SQL_TYPES = {"int": "INTEGER", "float": "REAL", "bool": "INTEGER"}
_BATCH = 50_000


_P = "(SELECT id FROM _about)"
_STAFF = f"(SELECT id FROM people WHERE organization IN {_P})"
_SHIPS = f"(SELECT partnership FROM partnership_members WHERE organization IN {_P})"
#: Per table, the rows that concern the parties in the temporary table ``_about`` (see ``about``):
#: every row an evidence computation about them needs, found through indexes.
_ABOUT = {
    "organizations": f"t.id IN {_P}",
    "people": (f"t.organization IN {_P} OR t.id IN (SELECT previous FROM people WHERE organization IN {_P}) "
               f"OR t.previous IN {_STAFF} OR t.id IN (SELECT b FROM personal_ties WHERE a IN {_STAFF}) "
               f"OR t.id IN (SELECT a FROM personal_ties WHERE b IN {_STAFF})"),
    "partnerships": f"t.id IN {_SHIPS}",
    "partnership_members": f"t.partnership IN {_SHIPS}",
    "referrals": f"t.source IN {_P} OR t.target IN {_P}",
    "relationship_holders": f"t.partnership IN {_SHIPS}",
    "personal_ties": f"t.a IN {_STAFF} OR t.b IN {_STAFF}",
    "incidents": f"t.reporter IN {_P} OR t.subject IN {_P}",
    "incident_actions": f"t.incident IN (SELECT id FROM incidents WHERE reporter IN {_P} OR subject IN {_P})",
    "blacklist": f"t.listed IN {_P} OR t.lister IN {_P}",
    "communications": f"t.a IN {_P} OR t.b IN {_P}",
}


def _q(name: str) -> str:
    """Quote an identifier that comes from the fixed model (``from`` is a keyword)."""
    return '"' + name.replace('"', '""') + '"'


def _create_sql(table: Table) -> str:
    cols = []
    for c in table.columns:
        null = " NOT NULL" if c.required else ""
        cols.append(f"{_q(c.name)} {_SQL_TYPES.get(c.type, 'TEXT')}{null}")
    cols.append("PRIMARY KEY (" + ", ".join(_q(k) for k in table.key) + ")")
    for c in table.columns:
        if c.ref:
            cols.append(
                f"FOREIGN KEY ({_q(c.name)}) REFERENCES {_q(c.ref)}(id) DEFERRABLE INITIALLY DEFERRED"
            )
    return f"CREATE TABLE IF NOT EXISTS {_q(table.name)} (\n  " + ",\n  ".join(cols) + "\n)"


def _upsert_sql(table: Table) -> str:
    names = table.column_names
    updates = [n for n in names if n not in table.key]
    sql = (
        f"INSERT INTO {_q(table.name)} ({', '.join(_q(n) for n in names)}) "
        f"VALUES ({', '.join('?' for _ in names)}) "
        f"ON CONFLICT ({', '.join(_q(k) for k in table.key)}) DO "
    )
    if updates:
        sql += "UPDATE SET " + ", ".join(f"{_q(n)} = excluded.{_q(n)}" for n in updates)
    else:
        sql += "NOTHING"
    return sql


class SqliteStore:
    """A :class:`~trustgraph.store.base.Store` in one SQLite file.

    Parameters
    ----------
    path : str or Path
        The database file. ``":memory:"`` works for tests.
    create : bool
        Create the file (and its folder, and the schema) when missing (default). With ``False`` a
        missing file is refused: read commands never create a store.

    Raises
    ------
    StoreUnavailableError
        When the file cannot be opened, is missing and ``create`` is false, or was written by
        another schema version.
    """

    kind = "sqlite"

    def __init__(self, path: str | Path = "trustgraph.db", *, create: bool = True) -> None:
        self.path = str(path)
        if not create and self.path != ":memory:" and not Path(self.path).is_file():
            raise StoreUnavailableError(
                f"no trustgraph store at {self.path}: create one with `trustgraph load DIR` (a dataset folder), "
                "`trustgraph import FORMAT FILE` or `trustgraph demo`, or point --store / TRUSTGRAPH_STORE at one"
            )
        try:
            if self.path != ":memory:":
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=30.0)
            self._db.execute("PRAGMA foreign_keys = ON")
            self._db.execute("PRAGMA journal_mode = WAL" if self.path != ":memory:" else "PRAGMA journal_mode = MEMORY")
            self._db.execute("PRAGMA synchronous = NORMAL")
            # A large page cache keeps index pages of bulk loads in memory (random-order keys).
            self._db.execute("PRAGMA cache_size = -262144")
            self._db.execute("PRAGMA temp_store = MEMORY")
            self._init_schema()
        except sqlite3.DatabaseError as err:
            raise StoreUnavailableError(f"cannot open the store {self.path}: {err}") from err

    def _meta(self) -> dict[str, str]:
        exists = self._db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchone()
        if not exists:
            return {}
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def _init_schema(self) -> None:
        db = self._db
        meta = self._meta()
        row = meta.get("schema_version")
        if row is not None and int(row) != SCHEMA_VERSION:
            raise StoreUnavailableError(
                f"the store {self.path} has schema version {row}, this trustgraph needs {SCHEMA_VERSION}; "
                "export it with the matching version and load it into a new store"
            )
        if row is not None and "store_id" in meta and "version" in meta:
            return  # set up already: opening a store to read it writes nothing
        db.execute("BEGIN IMMEDIATE")
        try:
            for name in TABLE_ORDER:
                db.execute(_create_sql(TABLES[name]))
            cols = ", ".join(
                f"{_q(c)} {'REAL' if c in ('reputation', 'risk') else 'INTEGER' if c.endswith('rank') else 'TEXT'}"
                for c in SCORE_COLUMNS
            )
            db.execute(f"CREATE TABLE IF NOT EXISTS scores ({cols}, PRIMARY KEY (id))")
            for idx, (tname, col) in enumerate(
                [("referrals", "target"), ("referrals", "source"), ("incidents", "subject"),
                 ("blacklist", "listed"), ("partnership_members", "organization"), ("people", "organization")]
            ):
                db.execute(f"CREATE INDEX IF NOT EXISTS ix_{idx}_{tname}_{col} ON {_q(tname)} ({_q(col)})")
            for idx, (tname, col) in enumerate(
                [("communications", "a"), ("communications", "b"), ("incidents", "reporter"),
                 ("incident_actions", "incident"), ("people", "previous"), ("personal_ties", "b"),
                 ("relationship_holders", "partnership")], start=6
            ):
                db.execute(f"CREATE INDEX IF NOT EXISTS ix_{idx}_{tname}_{col} ON {_q(tname)} ({_q(col)})")
            db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            for key, value in (("schema_version", str(SCHEMA_VERSION)), ("store_id", uuid.uuid4().hex),
                               ("version", "0")):
                db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    # -- writes ------------------------------------------------------------------------------

    def _bump(self) -> None:
        """Count one more write (inside the caller's transaction)."""
        self._db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'version'")

    def load(
        self,
        tables: Mapping[str, pd.DataFrame],
        *,
        progress: Callable[[int], object] | None = None,
    ) -> dict[str, int]:
        """Upsert canonical frames in one transaction; see :meth:`Store.load`."""
        written: dict[str, int] = {}
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for name in TABLE_ORDER:
                if name not in tables:
                    continue
                table = TABLES[name]
                frame = tables[name][table.column_names]
                sql = _upsert_sql(table)
                rows = frame.itertuples(index=False, name=None)
                n = 0
                batch: list[tuple[object, ...]] = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= _BATCH:
                        db.executemany(sql, batch)
                        n += len(batch)
                        if progress:
                            progress(len(batch))
                        batch = []
                if batch:
                    db.executemany(sql, batch)
                    n += len(batch)
                    if progress:
                        progress(len(batch))
                written[name] = n
            self._bump()
            db.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            db.execute("ROLLBACK")
            raise TrustgraphError(f"the store {self.path} refused the write, nothing was written: {err}") from err
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return written

    def write_scores(self, scores: pd.DataFrame) -> int:
        """Replace the stored scores; see :meth:`Store.write_scores`."""
        frame = scores[list(SCORE_COLUMNS)].astype(object).where(scores[list(SCORE_COLUMNS)].notna(), None)
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("DELETE FROM scores")
            db.executemany(
                f"INSERT INTO scores VALUES ({', '.join('?' for _ in SCORE_COLUMNS)})",
                frame.itertuples(index=False, name=None),
            )
            self._bump()
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return len(frame)

    # -- reads -------------------------------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame:
        """One table as a canonical frame sorted by key; see :meth:`Store.table`."""
        table = TABLES[name]
        names = table.column_names
        cur = self._db.execute(
            f"SELECT {', '.join(_q(n) for n in names)} FROM {_q(name)} ORDER BY {', '.join(_q(k) for k in table.key)}"
        )
        return self._frame(name, cur.fetchall())

    def _frame(self, name: str, rows: list[tuple[object, ...]]) -> pd.DataFrame:
        """A canonical frame of rows already ordered by key (SQLite's BINARY collation orders text by
        code point, as Python does, so no second sort is needed)."""
        from ..ingest import object_frame

        table = TABLES[name]
        names = table.column_names
        # Column-wise object arrays keep None as None (pandas would infer str and use NaN).
        columns = list(zip(*rows)) if rows else [()] * len(names)
        data: dict[str, object] = {}
        for c, values in zip(table.columns, columns):
            if c.type == "bool":
                values = tuple(None if v is None else bool(v) for v in values)
            data[c.name] = values
        return object_frame(data)

    def ids(self, names: Iterable[str] | None = None) -> dict[str, set[str]]:
        """Ids per table; see :meth:`Store.ids`."""
        out: dict[str, set[str]] = {}
        for name in names or [n for n in TABLE_ORDER if TABLES[n].key == ("id",)]:
            out[name] = {r[0] for r in self._db.execute(f"SELECT id FROM {_q(name)}")}
        return out

    def counts(self) -> dict[str, int]:
        """Rows per table; see :meth:`Store.counts`."""
        return {n: self._db.execute(f"SELECT count(*) FROM {_q(n)}").fetchone()[0] for n in TABLE_ORDER}

    def about(self, parties: Iterable[str], names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
        """The rows that concern ``parties`` (of the tables ``names``, default all), by indexed
        lookups; see :meth:`Store.about`."""
        wanted = sorted({str(p) for p in parties})
        out: dict[str, pd.DataFrame] = {}
        db = self._db
        db.execute("BEGIN")
        try:
            db.execute("CREATE TEMP TABLE IF NOT EXISTS _about (id TEXT PRIMARY KEY)")
            db.execute("DELETE FROM _about")
            db.executemany("INSERT OR IGNORE INTO _about VALUES (?)", ((p,) for p in wanted))
            chosen = None if names is None else set(names)
            for name, where in _ABOUT.items():
                if chosen is not None and name not in chosen:
                    continue
                table = TABLES[name]
                cols = ", ".join(f"t.{_q(c)}" for c in table.column_names)
                order = ", ".join(f"t.{_q(k)}" for k in table.key)
                rows = db.execute(f"SELECT {cols} FROM {_q(name)} AS t WHERE {where} ORDER BY {order}").fetchall()
                out[name] = self._frame(name, rows)
        finally:
            db.execute("COMMIT")
        return out

    def version(self) -> str:
        """The store's identity and data version; see :meth:`Store.version`."""
        meta = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('store_id', 'version')").fetchall())
        return f"{meta.get('store_id', 'unknown')}:{meta.get('version', '0')}"

    def scores(self) -> pd.DataFrame:
        """The stored scores; see :meth:`Store.scores`."""
        import pandas as pd

        rows = self._db.execute(f"SELECT * FROM scores ORDER BY {_q('id')}").fetchall()
        return pd.DataFrame.from_records(rows, columns=list(SCORE_COLUMNS))

    def schema_version(self) -> int:
        """The schema version recorded in the file."""
        return int(self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqliteStore({self.path!r})"
