"""Concurrency on the SQLite store: writers wait for each other, readers never wait for a writer.

Every test runs the real CLI in separate processes (``python -c "from trustgraph.cli import main;
main()"``), several at once, on one store file; see ``docs/snapshot.md`` (concurrency) for the rules
they check: WAL, read-only connections for readers, ``BEGIN IMMEDIATE`` with a bounded wait.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLE

from trustgraph.errors import StoreUnavailableError
from trustgraph.ingest import load_dataset
from trustgraph.store import SqliteStore

CLI = [sys.executable, "-c", "from trustgraph.cli import main; main()"]
WRITERS, RECORDS = 20, 25
BIG_PARTIES, BIG_REFERRALS = 100_000, 1_000_000

#: One writer process: RECORDS `record referral` invocations of the CLI entry point, one after the
#: other (each opens the store, writes one row and closes it), printing the exit codes and errors
#: as JSON. One interpreter per writer keeps 500 invocations within seconds on two cores.
WRITER = """
import contextlib, io, json, sys
from trustgraph.cli import main
store, writer, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
results = []
for i in range(n):
    err = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        try:
            main(["--store", store, "-q", "record", "referral", "--id", f"W{writer:02d}-{i:03d}",
                  "--source", "ORG001", "--target", "ORG045", "--strength", "0.5", "--date", "2024-05-01",
                  "--note", f"writer {writer} row {i}"])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
    results.append([code, err.getvalue()])
print(json.dumps(results))
"""


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    return env


def _cli(args: list[str], tmp_path: Path, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], env=_env(tmp_path), cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, **kwargs)  # type: ignore[call-overload]


def _sample_store(path: Path) -> Path:
    store = SqliteStore(path)
    store.load(load_dataset(SAMPLE))
    store.close()
    return path


def _writer_active(path: Path) -> bool:
    """Whether a process holds the store's write lock now (a probe that does not wait)."""
    db = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        if db.in_transaction:
            db.execute("ROLLBACK")
        db.close()
    return False


@pytest.mark.slow
def test_twenty_concurrent_writers_record_every_row_once(tmp_path: Path) -> None:
    store = _sample_store(tmp_path / "s.db")
    before = SqliteStore(store, create=False)
    referrals = before.counts()["referrals"]
    before.close()

    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(store), str(w), str(RECORDS)], env=_env(tmp_path),
                         cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for w in range(WRITERS)
    ]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err
        results.extend(json.loads(out))
    failures = [r for r in results if r[0] != 0]
    assert len(results) == WRITERS * RECORDS and failures == []

    db = sqlite3.connect(f"file:{store}?mode=ro", uri=True)
    try:
        total, distinct = db.execute("SELECT count(*), count(DISTINCT id) FROM referrals").fetchone()
        new, notes = db.execute(
            "SELECT count(*), count(DISTINCT note) FROM referrals WHERE id LIKE 'W__-___'").fetchone()
    finally:
        db.close()
    assert new == notes == WRITERS * RECORDS  # 500 new rows, each written once
    assert total == distinct == referrals + new  # no duplicates, nothing lost or overwritten


@pytest.mark.slow
def test_processes_creating_one_new_store_at_once_all_succeed(tmp_path: Path) -> None:
    """The schema set-up of a new store does not race: twelve loads into the same new path."""
    store = tmp_path / "new" / "s.db"
    procs = [subprocess.Popen([*CLI, "--store", str(store), "-q", "load", str(SAMPLE), "--format", "json"],
                              env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(12)]
    outcomes = [(p.communicate(timeout=300), p.returncode) for p in procs]
    assert [code for _, code in outcomes] == [0] * 12, [err for (_, err), _ in outcomes]
    opened = SqliteStore(store, create=False)
    try:
        store_id, version = opened.version().split(":")
        assert int(version) == 12  # every load committed, on one store identity
        expected = {n: len(f) for n, f in load_dataset(SAMPLE).items()}
        assert {n: c for n, c in opened.counts().items() if n in expected} == expected
    finally:
        opened.close()


def test_a_writer_waits_for_a_write_in_progress(tmp_path: Path) -> None:
    path = _sample_store(tmp_path / "s.db")
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    threading.Timer(1.0, lambda: holder.execute("ROLLBACK")).start()
    store = SqliteStore(path, create=False, lock_timeout=30)
    try:
        started = time.monotonic()
        written = store.load({"organizations": load_dataset(SAMPLE)["organizations"].head(1)})
        assert written == {"organizations": 1} and time.monotonic() - started >= 0.9
    finally:
        store.close()
        holder.close()


def test_a_writer_gives_up_with_a_clear_error_past_its_bound(tmp_path: Path) -> None:
    path = _sample_store(tmp_path / "s.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    store = SqliteStore(path, create=False, lock_timeout=0.5)
    try:
        with pytest.raises(StoreUnavailableError, match=r"is busy: another process kept it locked for more than 0.5 s"):
            store.load({"organizations": load_dataset(SAMPLE)["organizations"].head(1)})
    finally:
        store.close()
        holder.execute("ROLLBACK")
        holder.close()


def test_readers_do_not_wait_for_a_writer(tmp_path: Path) -> None:
    """While another connection holds the write lock, a store opened for reading opens and reads."""
    path = _sample_store(tmp_path / "s.db")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("DELETE FROM referrals")  # not committed: readers see the rows
    try:
        result = _cli(["--store", str(path), "stats", "--format", "json"], tmp_path)
        assert result.returncode == 0, result.stderr
        assert _count(json.loads(result.stdout), "referrals") == len(load_dataset(SAMPLE)["referrals"])
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# -- a large load ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def big_dataset(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A 100,000-party, 1,000,000-referral dataset folder (benchmarks/generate_network.py, seeded)."""
    folder = tmp_path_factory.mktemp("big") / "network"
    subprocess.run([sys.executable, str(ROOT / "benchmarks" / "generate_network.py"), str(folder),
                    "--parties", str(BIG_PARTIES), "--referrals", str(BIG_REFERRALS)],
                   check=True, capture_output=True, timeout=300)
    yield folder


def _start_load(store: Path, folder: Path, tmp_path: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*CLI, "--store", str(store), "-q", "load", str(folder), "--format", "json"],
                            env=_env(tmp_path), cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


@pytest.mark.slow
def test_readers_answer_from_the_previous_state_during_a_million_row_load(tmp_path: Path,
                                                                          big_dataset: Path) -> None:
    store = _sample_store(tmp_path / "s.db")
    questions = [["stats", "--format", "json"], ["reputation", "--limit", "3", "--format", "json"]]
    before = []
    for args in questions:
        result = _cli(["--store", str(store), *args], tmp_path)
        assert result.returncode == 0, result.stderr
        before.append(result.stdout)
    # No cached snapshot: the readers below compile theirs from the store while it is being written.
    snapshots = store.with_name(store.name + ".snapshots")
    for entry in sorted(snapshots.rglob("*"), reverse=True):
        entry.unlink() if entry.is_file() else entry.rmdir()

    load = _start_load(store, big_dataset, tmp_path)
    deadline = time.monotonic() + 240
    while not _writer_active(store):
        assert load.poll() is None, f"the load ended before it was seen writing: {load.communicate()}"
        assert time.monotonic() < deadline, "the load never started writing"
        time.sleep(0.05)
    during = []
    for args in questions:
        result = _cli(["--store", str(store), *args], tmp_path)
        assert result.returncode == 0, result.stderr  # no "database is locked"
        during.append(result.stdout)
    still_writing = _writer_active(store)
    out, err = load.communicate(timeout=300)
    assert load.returncode == 0, err
    assert during == before  # the state before the load, not a part of it
    assert still_writing, "the load ended before the readers did: the test proves nothing, use a larger load"

    after = json.loads(_cli(["--store", str(store), "stats", "--format", "json"], tmp_path).stdout)
    assert _count(after, "referrals") == len(load_dataset(SAMPLE)["referrals"]) + BIG_REFERRALS


@pytest.mark.slow
def test_two_concurrent_million_row_loads_serialise(tmp_path: Path, big_dataset: Path) -> None:
    store = tmp_path / "two.db"
    loads = [_start_load(store, big_dataset, tmp_path) for _ in range(2)]
    for load in loads:
        out, err = load.communicate(timeout=600)
        assert load.returncode == 0 and "Traceback" not in err, err
    opened = SqliteStore(store, create=False)
    try:
        assert opened.counts()["referrals"] == BIG_REFERRALS
        assert opened.version().endswith(":2")  # both committed, one after the other
    finally:
        opened.close()


def _count(stats: dict, table: str) -> int:
    """Rows of ``table`` in a ``stats`` document."""
    return int(next(r["count"] for r in stats["rows"] if r["table"] == table))
