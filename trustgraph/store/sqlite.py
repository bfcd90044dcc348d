"""The embedded default store: one SQLite file, transactional, zero set-up.

Schema: one SQL table per model table (typed columns, primary key = the table's key, foreign keys
deferred to commit), ``meta`` (schema version, the store's id and its data version) and ``scores``.
Every ``load`` is one transaction: a failure rolls everything back. Every write bumps the data
version in its own transaction (:meth:`SqliteStore.version`), so a compiled snapshot
(:mod:`trustgraph.snapshot`) of older data is never used.

Concurrency (also in ``docs/snapshot.md``): the file is in WAL mode, so readers never wait for a
writer and see the data as it was before the write in progress. A store opened for reading
(``create=False``) uses a read-only connection and writes nothing at open; a read-only file or folder
can be read. Writers take the write lock with ``BEGIN IMMEDIATE`` and wait for it, up to
``lock_timeout`` seconds (default :data:`LOCK_TIMEOUT_S`), so concurrent writes are serialised.
A file that is not a trustgraph store (another application's database) is refused before anything
is written to it.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

from ..errors import InvalidDataError, StoreUnavailableError, TrustgraphError
from ..model import TABLE_ORDER, TABLES, Table
from .base import SCORE_COLUMNS

if TYPE_CHECKING:  # pandas is imported where frames are built: `stats` and `--version` stay light
    import pandas as pd

__all__ = ["SqliteStore", "SCHEMA_VERSION", "LOCK_TIMEOUT_S"]

#: Bump when the schema changes; a store with another version is refused with a clear message.
SCHEMA_VERSION = 1

#: How long a writer waits for another process's write to end before giving up (seconds). A load of
#: ten million referrals holds the lock for a few minutes on a small machine.
LOCK_TIMEOUT_S = 600.0
#: SQLite's own wait inside one attempt (its busy handler), in seconds.
_BUSY_TIMEOUT_S = 30.0

# Primary result codes (``sqlite3.Error.sqlite_errorcode & 0xFF``).
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY, _SQLITE_CANTOPEN = 5, 6, 8, 14

_SQL_TYPES = {"int": "INTEGER", "float": "REAL", "bool": "INTEGER"}
_BATCH = 50_000
#: Rows from which a first load into an empty table builds its secondary indexes afterwards
#: (:meth:`SqliteStore._indexes_set_aside`); below it the difference is lost in the noise.
_SET_ASIDE_ROWS = 10_000


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
    "assessments": f"t.subject IN {_P} OR t.assessor IN {_P}",
}
#: With ``between``: the rows of two-party tables that join two of the parties (both ends in ``_about``).
_BETWEEN = {
    "referrals": f"t.source IN {_P} AND t.target IN {_P}",
    "incidents": f"t.reporter IN {_P} AND t.subject IN {_P}",
    "incident_actions": f"t.incident IN (SELECT id FROM incidents WHERE reporter IN {_P} AND subject IN {_P})",
    "communications": f"t.a IN {_P} AND t.b IN {_P}",
}


def _late_missing(table: str, found: Iterable[str]) -> set[str]:
    """The late columns (``Column.late``) of the model's ``table`` missing from ``found``."""
    have = set(found)
    return {c.name for c in TABLES[table].columns if c.late and c.name not in have}


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
        if c.ref and not c.outside:  # an outside column may name a party that is no row of c.ref
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


#: The indexes every store has: the reference columns that ``about`` and the analyses look up.
_INDEXES = (("referrals", "target"), ("referrals", "source"), ("incidents", "subject"), ("blacklist", "listed"),
            ("partnership_members", "organization"), ("people", "organization"), ("communications", "a"),
            ("communications", "b"), ("incidents", "reporter"), ("incident_actions", "incident"),
            ("people", "previous"), ("personal_ties", "b"), ("relationship_holders", "partnership"),
            ("assessments", "subject"), ("assessments", "assessor"))

def _indexes(table: str | None = None) -> list[tuple[str, str]]:
    """``(name, CREATE INDEX statement)`` of each index of :data:`_INDEXES` (those of ``table`` when given)."""
    return [(f"ix_{idx}_{tname}_{col}", f"CREATE INDEX IF NOT EXISTS ix_{idx}_{tname}_{col} ON {_q(tname)} ({_q(col)})")
            for idx, (tname, col) in enumerate(_INDEXES) if table is None or tname == table]


#: Every table of a trustgraph store and its columns (the model's tables, ``scores`` and ``meta``).
_EXPECTED: dict[str, tuple[str, ...]] = {
    **{name: tuple(TABLES[name].column_names) for name in TABLE_ORDER},
    "scores": tuple(SCORE_COLUMNS),
    "meta": ("key", "value"),
}


def _scores_sql() -> str:
    cols = ", ".join(
        f"{_q(c)} {'REAL' if c in ('reputation', 'risk') else 'INTEGER' if c.endswith('rank') else 'TEXT'}"
        for c in SCORE_COLUMNS
    )
    return f"CREATE TABLE IF NOT EXISTS scores ({cols}, PRIMARY KEY (id))"


def _code(err: sqlite3.Error) -> int:
    """SQLite's primary result code of ``err`` (0 when unknown)."""
    return int(getattr(err, "sqlite_errorcode", 0) or 0) & 0xFF


def _is_busy(err: sqlite3.Error) -> bool:
    return _code(err) in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in str(err) or "busy" in str(err)


def _rollback(db: sqlite3.Connection) -> None:
    """Undo the open transaction, if there is one: an exception (SIGTERM's included) can arrive before
    ``BEGIN`` took effect or after ``COMMIT`` did, and a ROLLBACK then would raise "no transaction is
    active" in place of the exception being handled."""
    if db.in_transaction:
        try:
            db.execute("ROLLBACK")
        except sqlite3.OperationalError:  # SQLite already rolled back (an I/O error, a full disk)
            pass


def _is_readonly(err: sqlite3.Error) -> bool:
    return _code(err) == _SQLITE_READONLY or "readonly" in str(err)


def _uri(path: str, mode: str, *, immutable: bool = False) -> str:
    """A ``file:`` URI for ``path`` (any character of the path quoted) opened in ``mode``."""
    return f"file:{quote(os.path.abspath(path))}?mode={mode}" + ("&immutable=1" if immutable else "")


class SqliteStore:
    """A :class:`~trustgraph.store.base.Store` in one SQLite file.

    Parameters
    ----------
    path : str or Path
        The database file. ``":memory:"`` works for tests.
    create : bool
        Open for writing and create the file (and its folder, and the schema) when missing
        (default). With ``False`` the store is opened for reading: a missing file is refused, the
        connection is read-only and nothing is written at open, so a read-only file or folder can be
        read; the first write (:meth:`load`, :meth:`write_scores`) reopens it for writing.
    lock_timeout : float
        Seconds a write waits for another process's write to end (default :data:`LOCK_TIMEOUT_S`).

    Raises
    ------
    StoreUnavailableError
        When the file cannot be opened, is missing and ``create`` is false, is not a trustgraph store
        (another application's database: refused before anything is written to it), or was written
        by another schema version.
    """

    kind = "sqlite"

    def __init__(self, path: str | Path = "trustgraph.db", *, create: bool = True,
                 lock_timeout: float = LOCK_TIMEOUT_S) -> None:
        self.path = str(path)
        self.lock_timeout = float(lock_timeout)
        self._readonly = False
        # The version of a store set up before versions existed: random, so that no snapshot is reused.
        self._unversioned = f"unversioned:{uuid.uuid4().hex}"
        if create or self.path == ":memory:":
            self._open_for_writing(create=True)
        else:
            self._open_for_reading()

    # -- opening -------------------------------------------------------------------------------

    def _connect(self, mode: str, *, immutable: bool = False) -> sqlite3.Connection:
        if self.path == ":memory:":
            db = sqlite3.connect(":memory:", isolation_level=None, timeout=_BUSY_TIMEOUT_S)
        else:
            db = sqlite3.connect(_uri(self.path, mode, immutable=immutable), uri=True, isolation_level=None,
                                 timeout=_BUSY_TIMEOUT_S)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            db.execute("PRAGMA synchronous = NORMAL")
            # A large page cache keeps index pages of bulk loads in memory (random-order keys).
            db.execute("PRAGMA cache_size = -262144")
            db.execute("PRAGMA temp_store = MEMORY")
        except BaseException:
            db.close()
            raise
        return db

    def _missing(self) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"no trustgraph store at {self.path}: create one with `trustgraph load DIR` (a dataset folder), "
            "`trustgraph import FORMAT FILE` or `trustgraph demo`, or point --store / TRUSTGRAPH_STORE at one"
        )

    def _open_for_reading(self) -> None:
        """A read-only connection; nothing is written (a WAL store on read-only media is opened
        ``immutable``: no other process can change it there)."""
        if not Path(self.path).is_file():
            raise self._missing()
        self._readonly = True
        try:
            try:
                self._db = self._connect("ro")
                state = self._inspect()
            except sqlite3.OperationalError as err:
                if _code(err) != _SQLITE_CANTOPEN or self._folder_writable():
                    raise
                # WAL needs a -shm file beside the store; where none can be made the file cannot
                # change either, so it is read as it is.
                if hasattr(self, "_db"):
                    self._db.close()
                self._db = self._connect("ro", immutable=True)
                state = self._inspect()
        except StoreUnavailableError:
            self._db.close()
            raise
        except sqlite3.DatabaseError as err:
            if hasattr(self, "_db"):
                self._db.close()
            raise self._cannot_open(err) from err
        if state == "new":
            self._db.close()
            raise StoreUnavailableError(
                f"{self.path} is an empty file, not a trustgraph store yet: create one with `trustgraph load DIR`, "
                "`trustgraph import FORMAT FILE` or `trustgraph demo`"
            )
        missing = [name for name in _EXPECTED if name not in self._tables()]
        missing += [f"{name}.{column}" for name, column in self._late_columns()]
        if missing and self._upgradable():
            # A store written by an earlier trustgraph lacks only what later versions added (a new
            # optional table, a late column): add it now, in one write transaction, and read on.
            self._db.close()
            self._open_for_writing(create=False)
            self._db.close()
            self._db = self._connect("ro")
            self._readonly = True
            return
        if missing:
            self._db.close()
            raise StoreUnavailableError(
                f"the store {self.path} lacks the table(s) or column(s) {', '.join(missing)}: a command that "
                "writes (load, import, record) completes it"
            )

    def _upgradable(self) -> bool:
        """Whether a store that lacks tables or late columns is a complete store of an earlier trustgraph
        (its identity and version recorded) that this process may complete."""
        if "meta" not in self._tables() or not os.access(self.path, os.W_OK) or not self._folder_writable():
            return False
        keys = {str(r[0]) for r in self._db.execute("SELECT key FROM meta")}
        return {"store_id", "version"} <= keys

    def _open_for_writing(self, *, create: bool) -> None:
        """A read-write connection; a new store gets its schema (one transaction, safe when several
        processes create the same store at once), an existing file is checked first."""
        memory = self.path == ":memory:"
        if not memory and Path(self.path).exists() and not self._folder_writable():
            # SQLite would open the file read-only without a word and fail at the first write
            raise self._read_only("this process may not write to it")
        try:
            if create and not memory:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            self._db = self._connect("rwc" if create else "rw")
        except OSError as err:
            raise StoreUnavailableError(f"cannot create the store {self.path}: {err.strerror or err}") from err
        except sqlite3.DatabaseError as err:
            raise self._cannot_open(err, writing=True) from err
        try:
            if self._inspect() != "ready":
                self._set_up()
            self._drop_outside_keys()
            if memory:
                self._db.execute("PRAGMA journal_mode = MEMORY")
            elif str(self._db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
                self._retry(lambda: self._db.execute("PRAGMA journal_mode = WAL"), "switch to WAL")
        except StoreUnavailableError:
            self._db.close()
            raise
        except sqlite3.DatabaseError as err:
            self._db.close()
            raise self._cannot_open(err, writing=True) from err
        self._readonly = False

    def _writable(self) -> None:
        """Reopen a store opened for reading for writing (before its first write)."""
        if not self._readonly:
            return
        reader = self._db
        try:
            self._open_for_writing(create=False)
        except BaseException:
            self._db = reader
            raise
        reader.close()

    def _folder_writable(self) -> bool:
        path = Path(self.path)
        return os.access(path.parent, os.W_OK) and os.access(path, os.W_OK)

    def _cannot_open(self, err: sqlite3.DatabaseError, *, writing: bool = False) -> StoreUnavailableError:
        if "not a database" in str(err):
            return StoreUnavailableError(
                f"cannot open the store {self.path}: it is not a SQLite database, so not a trustgraph store ({err})"
            )
        if writing and (_is_readonly(err) or not self._folder_writable()):
            return self._read_only(err)
        if _code(err) == _SQLITE_CANTOPEN and writing:
            return StoreUnavailableError(
                f"cannot open the store {self.path} for writing: {err} (a writer creates {self.path}-wal and "
                f"{self.path}-shm beside it)"
            )
        return StoreUnavailableError(f"cannot open the store {self.path}: {err}")

    def _read_only(self, reason: object) -> StoreUnavailableError:
        return StoreUnavailableError(
            f"cannot write the store {self.path}: the file or its folder is read-only ({reason}); nothing was "
            "written, and commands that only read it work"
        )

    def _tables(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}

    def _inspect(self) -> str:
        """What the file holds: ``"new"`` (nothing), ``"ready"`` (a complete trustgraph store) or
        ``"incomplete"`` (a trustgraph store that lacks tables or version keys); reads only.

        Raises
        ------
        StoreUnavailableError
            When the file is another application's database, or a trustgraph store of another
            schema version, or has a trustgraph table of another shape.
        """
        db = self._db
        objects = [r[0] for r in db.execute(
            "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name")]
        if not objects:
            return "new"
        tables = self._tables()
        meta: dict[str, str] | None = None
        if "meta" in tables and [r[1] for r in db.execute("PRAGMA table_info(meta)")] == ["key", "value"]:
            meta = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")}
        if meta is None or "schema_version" not in meta:
            names = sorted(t for t in tables if not t.startswith("sqlite_")) or objects
            shown = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            raise StoreUnavailableError(
                f"{self.path} is not a trustgraph store: it is another SQLite database (it has {shown} but no "
                "trustgraph meta table); nothing was written to it. Give --store a trustgraph store or a new file"
            )
        version = meta["schema_version"]
        try:
            number = int(version)
        except ValueError:
            number = None
        if number is None:
            raise StoreUnavailableError(
                f"the store {self.path} records schema version {version!r}, which is not a number: it is damaged "
                f"or was not written by trustgraph (this trustgraph needs schema version {SCHEMA_VERSION})"
            )
        if number != SCHEMA_VERSION:
            raise StoreUnavailableError(
                f"the store {self.path} has schema version {number}, this trustgraph needs {SCHEMA_VERSION}; "
                "export it with the matching version and load it into a new store"
            )
        for name, columns in _EXPECTED.items():
            if name not in tables:
                continue
            found = [str(r[1]) for r in db.execute(f"PRAGMA table_info({_q(name)})")]
            lacking = set(columns) - set(found)
            if name in TABLES and set(found) <= set(columns) and lacking == _late_missing(name, found):
                continue  # at most lacks columns added later (trustgraph.model.Column.late): completed on write
            if set(found) != set(columns):
                raise StoreUnavailableError(
                    f"the store {self.path} has a table {name} with columns ({', '.join(found)}), trustgraph's has "
                    f"({', '.join(columns)}): it was not written by this trustgraph; nothing was written to it"
                )
        if any(name not in tables for name in _EXPECTED) or "store_id" not in meta or "version" not in meta:
            return "incomplete"
        if self._late_columns():
            return "incomplete"
        return "ready"

    def _late_columns(self) -> list[tuple[str, str]]:
        """(table, column) of the columns added to the model later (``Column.late``) that an existing
        table of the store lacks."""
        tables = self._tables()
        out = []
        for name in TABLE_ORDER:
            if name in tables:
                found = {str(r[1]) for r in self._db.execute(f"PRAGMA table_info({_q(name)})")}
                late = _late_missing(name, found)
                out += [(name, c) for c in TABLES[name].column_names if c in late]
        return out

    def _set_up(self) -> None:
        """Create what a new (or incomplete) store lacks, in one write transaction; the file is
        inspected again under the write lock, so two processes creating one store agree."""
        db = self._db
        self._begin_write()
        try:
            if self._inspect() != "ready":
                for name in TABLE_ORDER:
                    db.execute(_create_sql(TABLES[name]))
                for name, column in self._late_columns():
                    late = TABLES[name].column(column)
                    ref = (f" REFERENCES {_q(late.ref)}(id) DEFERRABLE INITIALLY DEFERRED"
                           if late.ref and not late.outside else "")
                    kind = _SQL_TYPES.get(late.type, "TEXT")
                    db.execute(f"ALTER TABLE {_q(name)} ADD COLUMN {_q(column)} {kind}{ref}")
                db.execute(_scores_sql())
                for _, create in _indexes():
                    db.execute(create)
                db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
                for key, value in (("schema_version", str(SCHEMA_VERSION)), ("store_id", uuid.uuid4().hex),
                                   ("version", "0")):
                    db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING", (key, value))
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
            raise

    def _drop_outside_keys(self) -> None:
        """Remove the foreign key of each ``outside`` column (a listing's lister may be an outside
        authority) from a store created before such columns existed: the table is rebuilt with its rows,
        in one write transaction. Nothing happens when no table has one."""
        db = self._db
        stale = [t for t in TABLES.values()
                 if {str(r[3]) for r in db.execute(f"PRAGMA foreign_key_list({_q(t.name)})")}
                 & {c.name for c in t.columns if c.outside}]
        if not stale:
            return
        self._begin_write()
        try:
            for table in stale:
                name, new = _q(table.name), _q("_new_" + table.name)
                cols = ", ".join(_q(c) for c in table.column_names)
                db.execute(_create_sql(table).replace(f"CREATE TABLE IF NOT EXISTS {name}", f"CREATE TABLE {new}", 1))
                db.execute(f"INSERT INTO {new} ({cols}) SELECT {cols} FROM {name}")
                db.execute(f"DROP TABLE {name}")
                db.execute(f"ALTER TABLE {new} RENAME TO {name}")
                for _, create in _indexes(table.name):
                    db.execute(create)
            db.execute("COMMIT")
        except BaseException:
            _rollback(db)
            raise

    def _retry(self, step: Callable[[], object], doing: str) -> None:
        """Run ``step`` until it gets the lock it needs, for at most :attr:`lock_timeout` seconds.

        SQLite's busy handler already waits inside each attempt; the loop adds the cases where SQLite
        answers "busy" at once, and bounds the whole wait.

        Raises
        ------
        StoreUnavailableError
            When the store stays locked past the bound, or cannot be written at all (read-only).
        """
        deadline = time.monotonic() + self.lock_timeout
        pause = 0.05
        while True:
            left = deadline - time.monotonic()
            self._db.execute(f"PRAGMA busy_timeout = {int(max(1.0, min(_BUSY_TIMEOUT_S, left) * 1000))}")
            try:
                step()
                self._db.execute(f"PRAGMA busy_timeout = {int(_BUSY_TIMEOUT_S * 1000)}")
                return
            except sqlite3.OperationalError as err:
                if _is_readonly(err):
                    raise self._read_only(err) from err
                if not _is_busy(err):
                    raise StoreUnavailableError(f"cannot {doing} in the store {self.path}: {err}") from err
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StoreUnavailableError(
                        f"the store {self.path} is busy: another process kept it locked for more than "
                        f"{self.lock_timeout:g} s, so this command gave up waiting and wrote nothing; run it "
                        "again when the other write has finished"
                    ) from err
                time.sleep(min(pause, left))
                pause = min(pause * 2, 1.0)

    def _begin_write(self) -> None:
        """``BEGIN IMMEDIATE``: take the write lock, waiting for other writers (bounded)."""
        self._retry(lambda: self._db.execute("BEGIN IMMEDIATE"), "start a write")

    # -- writes ------------------------------------------------------------------------------

    def _bump(self) -> None:
        """Count one more write (inside the caller's transaction)."""
        self._db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'version'")

    def load(
        self,
        tables: Mapping[str, pd.DataFrame],
        *,
        progress: Callable[[int], object] | None = None,
        insert_only: Iterable[str] = (),
        replace: bool = False,
    ) -> dict[str, int]:
        """Upsert canonical frames in one transaction; see :meth:`Store.load`.

        Tables named in ``insert_only`` are inserted, not upserted: a row whose key is already stored
        makes the whole write fail (:class:`InvalidDataError`, nothing written) — the check and the
        write are one transaction, so two writers of the same new key cannot both succeed. With
        ``replace`` every stored row and score is deleted first, in the same transaction.
        """
        written: dict[str, int] = {}
        inserting = set(insert_only)
        self._writable()
        db = self._db
        self._begin_write()
        try:
            if replace:
                for name in (*reversed(TABLE_ORDER), "scores"):
                    db.execute(f"DELETE FROM {_q(name)}")
            for name in TABLE_ORDER:
                if name not in tables:
                    continue
                table = TABLES[name]
                frame = tables[name][table.column_names]
                rebuild = self._indexes_set_aside(name, len(frame))
                sql = _upsert_sql(table)
                if name in inserting:
                    sql = sql[: sql.index(" ON CONFLICT")]
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
                for create in rebuild:
                    db.execute(create)
                written[name] = n
            self._bump()
            db.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            _rollback(db)
            if _is_readonly(err):
                raise self._read_only(err) from err
            if inserting and isinstance(err, sqlite3.IntegrityError) and "UNIQUE" in str(err):
                raise InvalidDataError(
                    f"the store {self.path} already holds a row with that key (another writer added it just now); "
                    f"nothing was written: {err}") from err
            raise TrustgraphError(f"the store {self.path} refused the write, nothing was written: {err}") from err
        except BaseException:
            _rollback(db)
            raise
        return written

    def _indexes_set_aside(self, name: str, rows: int) -> list[str]:
        """A first load of many rows into ``name``: drop its secondary indexes (in the caller's
        transaction) and return the statements that build them again once the rows are in.

        Building an index from a full table sorts it once; keeping it while inserting walks and
        splits a B-tree per row — Epinions' 840,799 referrals went into a new store in 10.7 s with its
        two indexes kept, 6.4 s + 1.2 s to build them after. A table that already holds rows keeps
        its indexes (an update touches few rows, and the upsert looks its keys up). A rollback
        restores the indexes with everything else.
        """
        if rows < _SET_ASIDE_ROWS:
            return []
        if self._db.execute(f"SELECT 1 FROM {_q(name)} LIMIT 1").fetchone() is not None:
            return []
        indexes = _indexes(name)
        for index, _ in indexes:
            self._db.execute(f"DROP INDEX IF EXISTS {index}")
        return [create for _, create in indexes]

    def write_scores(self, scores: pd.DataFrame) -> int:
        """Replace the stored scores; see :meth:`Store.write_scores`."""
        frame = scores[list(SCORE_COLUMNS)].astype(object).where(scores[list(SCORE_COLUMNS)].notna(), None)
        self._writable()
        db = self._db
        self._begin_write()
        try:
            db.execute("DELETE FROM scores")
            db.executemany(
                f"INSERT INTO scores VALUES ({', '.join('?' for _ in SCORE_COLUMNS)})",
                frame.itertuples(index=False, name=None),
            )
            self._bump()
            db.execute("COMMIT")
        except sqlite3.DatabaseError as err:
            _rollback(db)
            if _is_readonly(err):
                raise self._read_only(err) from err
            raise TrustgraphError(f"the store {self.path} refused the scores, nothing was written: {err}") from err
        except BaseException:
            _rollback(db)
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
        import numpy as np
        import pandas as pd

        table = TABLES[name]
        # One object block, built from the rows as they come: None stays None (pandas would infer str
        # and use NaN), and a small frame costs ~0.04 ms instead of ~0.3 ms for a Series per column
        # (`exposure` reads eight tables about the parties of its paths on every question).
        values = np.empty((len(rows), len(table.columns)), dtype=object)
        if rows:
            values[:] = rows
        for j, c in enumerate(table.columns):
            if c.type == "bool":
                values[:, j] = [None if v is None else bool(v) for v in values[:, j]]
        return pd.DataFrame(values, columns=list(table.column_names), dtype=object, copy=False)

    def ids(self, names: Iterable[str] | None = None) -> dict[str, set[str]]:
        """Ids per table; see :meth:`Store.ids`."""
        out: dict[str, set[str]] = {}
        for name in names or [n for n in TABLE_ORDER if TABLES[n].key == ("id",)]:
            out[name] = {r[0] for r in self._db.execute(f"SELECT id FROM {_q(name)}")}
        return out

    def counts(self) -> dict[str, int]:
        """Rows per table; see :meth:`Store.counts`."""
        return {n: self._db.execute(f"SELECT count(*) FROM {_q(n)}").fetchone()[0] for n in TABLE_ORDER}

    def about(self, parties: Iterable[str], names: Iterable[str] | None = None, *,
              between: bool = False) -> dict[str, pd.DataFrame]:
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
                if between:
                    where = _BETWEEN.get(name, where)
                table = TABLES[name]
                cols = ", ".join(f"t.{_q(c)}" for c in table.column_names)
                order = ", ".join(f"t.{_q(k)}" for k in table.key)
                rows = db.execute(f"SELECT {cols} FROM {_q(name)} AS t WHERE {where} ORDER BY {order}").fetchall()
                out[name] = self._frame(name, rows)
        finally:
            db.execute("COMMIT")
        return out

    def version(self) -> str:
        """The store's identity and data version; see :meth:`Store.version`. A store set up before
        versions existed (opened for reading, so not completed) answers a version that matches
        nothing but itself, so that no cached snapshot is taken for current."""
        meta = dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('store_id', 'version')").fetchall())
        if "store_id" not in meta or "version" not in meta:
            return self._unversioned
        return f"{meta['store_id']}:{meta['version']}"

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
