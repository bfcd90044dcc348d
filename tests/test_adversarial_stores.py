"""Hostile and careless stores (issue 13, items 6 and 7): another application's SQLite file, a damaged
``meta`` table, a read-only store, and a Neo4j load interrupted half-way.

Each test runs the real CLI and checks the exit code, the message, and that nothing was written (the
file's bytes for a file that is not a trustgraph store, ``store_digest`` for a store).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
from conftest import ROOT, SAMPLE, store_digest
from neo4j_server import Server, neo4j_server  # noqa: F401  (fixture)

from trustgraph.errors import StoreUnavailableError
from trustgraph.ingest import load_dataset
from trustgraph.model import TABLE_ORDER
from trustgraph.store import SqliteStore

RunCli = Callable[..., tuple[int, str, str]]
CLI = [sys.executable, "-c", "from trustgraph.cli import main; main()"]
RECORD = ["record", "referral", "--source", "ORG001", "--target", "ORG045", "--strength", "0.5",
          "--date", "2024-05-01"]


def _bytes(path: Path) -> str:
    """sha256 of a file's bytes (the first 64 characters), then the files beside it that share its
    name (journals; a reader of a WAL store may leave an empty -wal and -shm there)."""
    beside = sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path)
    return hashlib.sha256(path.read_bytes()).hexdigest() + repr(beside)


@pytest.fixture()
def sample_db(tmp_path: Path) -> Path:
    path = tmp_path / "s.db"
    store = SqliteStore(path)
    store.load(load_dataset(SAMPLE))
    store.close()
    return path


# -- another application's SQLite file --------------------------------------------------------------


def _foreign(path: Path, ddl: list[str]) -> Path:
    db = sqlite3.connect(path)
    for statement in ddl:
        db.execute(statement)
    db.commit()
    db.close()
    return path


FOREIGN = {
    "notes": ["CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)", "INSERT INTO notes (body) VALUES ('keep me')"],
    "organizations": ["CREATE TABLE organizations (code TEXT, label TEXT)",
                      "INSERT INTO organizations VALUES ('x', 'their own row')"],
    "meta": ["CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)", "INSERT INTO meta VALUES ('app', 'other')"],
}


@pytest.mark.parametrize("kind", sorted(FOREIGN))
@pytest.mark.parametrize("command", ["stats", "load", "record", "import"])
def test_another_applications_database_is_refused_before_anything_is_written(
    run_cli: RunCli, tmp_path: Path, kind: str, command: str
) -> None:
    path = _foreign(tmp_path / "theirs.db", FOREIGN[kind])
    before = _bytes(path)
    edges = tmp_path / "edges.csv"
    edges.write_text("1,2,5,1300000000\n", encoding="utf-8")
    args = {"stats": ["stats"], "load": ["load", str(SAMPLE)], "record": RECORD,
            "import": ["import", "snap-signed", str(edges)]}[command]
    code, out, err = run_cli(["--store", str(path), *args])
    assert code == 5 and out == "", err
    assert err.startswith(f"error: {path} is not a trustgraph store: it is another SQLite database (it has {kind}")
    assert "nothing was written" in err and "Traceback" not in err
    assert _bytes(path) == before


def test_a_trustgraph_table_of_another_shape_is_refused(run_cli: RunCli, sample_db: Path) -> None:
    db = sqlite3.connect(sample_db)
    db.execute("ALTER TABLE organizations RENAME COLUMN sector TO industry")
    db.commit()
    db.close()
    before = _bytes(sample_db)
    for args in (["stats"], ["load", str(SAMPLE)]):
        code, _, err = run_cli(["--store", str(sample_db), *args])
        assert code == 5 and f"the store {sample_db} has a table organizations with columns (" in err, err
        assert "industry" in err and _bytes(sample_db)[:64] == before[:64]


@pytest.mark.parametrize("value, message", [
    ("abc", "records schema version 'abc', which is not a number: it is damaged or was not written by trustgraph"),
    ("", "records schema version '', which is not a number"),
    ("2", "has schema version 2, this trustgraph needs 1"),
])
def test_a_bad_schema_version_is_a_clear_exit_5(run_cli: RunCli, sample_db: Path, value: str, message: str) -> None:
    db = sqlite3.connect(sample_db)
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    db.commit()
    db.close()
    before = _bytes(sample_db)
    for args in (["stats"], ["reputation", "--limit", "3"], RECORD, ["load", str(SAMPLE)]):
        code, out, err = run_cli(["--store", str(sample_db), *args])
        assert code == 5 and out == "" and message in err and str(sample_db) in err, err
        assert "ValueError" not in err and "Traceback" not in err
    assert _bytes(sample_db) == before


def test_an_empty_file_is_not_a_store_to_read_but_a_new_store_to_write(run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    path.write_bytes(b"")
    code, _, err = run_cli(["--store", str(path), "stats"])
    assert code == 5 and f"error: {path} is an empty file, not a trustgraph store yet" in err
    assert path.read_bytes() == b""  # a reader wrote nothing
    code, _, err = run_cli(["--store", str(path), "-q", "load", str(SAMPLE)])
    assert code == 0, err
    code, _, err = run_cli(["--store", str(tmp_path / "new" / "folder" / "s.db"), "-q", "load", str(SAMPLE)])
    assert code == 0, err


def test_opening_a_store_to_read_writes_nothing(run_cli: RunCli, sample_db: Path) -> None:
    """Readers use a read-only connection: even a store set up before store versions existed (which
    a writer completes) is read without a change."""
    db = sqlite3.connect(sample_db)
    db.execute("DELETE FROM meta WHERE key IN ('store_id', 'version')")
    db.commit()
    db.close()
    before = hashlib.sha256(sample_db.read_bytes()).hexdigest()
    for args in (["stats"], ["reputation", "--limit", "3"], ["health", "ORG001"]):
        code, _, err = run_cli(["--store", str(sample_db), *args])
        assert code == 0, err
    assert hashlib.sha256(sample_db.read_bytes()).hexdigest() == before
    code, _, err = run_cli(["--store", str(sample_db), *RECORD])
    assert code == 0, err  # the first write completes the store
    store = SqliteStore(sample_db, create=False)
    assert not store.version().startswith("unversioned:")
    store.close()


# -- a read-only store --------------------------------------------------------------------------------


def _can_mount_read_only(tmp_path: Path) -> bool:
    probe = tmp_path / "probe"
    probe.mkdir()
    try:
        done = subprocess.run(["unshare", "-m", "sh", "-c", 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1"'
                               ' && ! touch "$1/x" 2>/dev/null', "sh", str(probe)], capture_output=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


@pytest.fixture()
def read_only(tmp_path: Path) -> Iterator[Callable[[Path, list[str]], subprocess.CompletedProcess[str]]]:
    """Run the CLI with ``target`` (a file or a folder) read-only.

    As root, permission bits do not stop writes, so the CLI runs in a private mount namespace where
    ``target`` is bind-mounted read-only (the files cannot change, even for root: ``EROFS``); as
    another user, ``target`` loses its write permission bits for the call.
    """
    root = os.geteuid() == 0
    if root and not _can_mount_read_only(tmp_path):
        pytest.skip("running as root without the right to mount: a read-only store cannot be made here")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])

    def run(target: Path, args: list[str]) -> subprocess.CompletedProcess[str]:
        if root:
            command = ["unshare", "-m", "sh", "-c",
                       'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" "$1" && shift && exec "$@"',
                       "sh", str(target), *CLI, *args]
            return subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        mode = target.stat().st_mode
        target.chmod(0o555 if target.is_dir() else 0o444)
        try:
            return subprocess.run([*CLI, *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=300)
        finally:
            target.chmod(mode)

    yield run


@pytest.mark.parametrize("what", ["folder", "file"])
def test_a_read_only_store_is_readable_and_refuses_writes_clearly(
    read_only: Callable[[Path, list[str]], subprocess.CompletedProcess[str]], tmp_path: Path, what: str
) -> None:
    folder = tmp_path / "media"
    folder.mkdir()
    store = folder / "s.db"
    shutil.copy(_sample(tmp_path), store)
    target = folder if what == "folder" else store
    digest, listing = store_digest(store), sorted(p.name for p in folder.iterdir())
    for args in (["stats", "--format", "json"], ["reputation", "--limit", "3"], ["health", "ORG001"],
                 ["chain", "ORG001", "ORG045"], ["export", str(tmp_path / "exported")]):
        done = read_only(target, ["--store", str(store), *args])
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
    done = read_only(target, ["--store", str(store), *RECORD])
    assert done.returncode == 5, done.stderr
    assert done.stderr.startswith(f"error: cannot write the store {store}: the file or its folder is read-only")
    assert "commands that only read it work" in done.stderr and "Traceback" not in done.stderr
    assert store_digest(store) == digest
    if what == "folder":
        assert sorted(p.name for p in folder.iterdir()) == listing  # no -wal, -shm or snapshot left there


def _sample(tmp_path: Path) -> Path:
    """A sample store closed cleanly (WAL checkpointed, no -wal or -shm beside it)."""
    path = tmp_path / "made" / "sample.db"
    store = SqliteStore(path)
    store.load(load_dataset(SAMPLE))
    store.close()
    assert sorted(p.name for p in path.parent.iterdir()) == ["sample.db"]
    return path


# -- Neo4j: a load that commits in several transactions, interrupted ---------------------------------


class _Interrupted(Exception):
    """Stands for the kill of a loading process between two of its transactions."""


def _neo4j_frames(n_orgs: int = 60, n_referrals: int = 600) -> dict[str, pd.DataFrame]:
    from trustgraph.ingest import validate

    orgs = pd.DataFrame({"id": [f"Z{i:03d}" for i in range(n_orgs)], "name": [f"Party {i}" for i in range(n_orgs)]})
    refs = pd.DataFrame({
        "id": [f"ZR{i:04d}" for i in range(n_referrals)],
        "source": [f"Z{i % n_orgs:03d}" for i in range(n_referrals)],
        "target": [f"Z{(i * 7 + 1) % n_orgs:03d}" if (i * 7 + 1) % n_orgs != i % n_orgs else f"Z{(i + 1) % n_orgs:03d}"
                   for i in range(n_referrals)],
        "strength": ["0.5"] * n_referrals,
        "date": ["2024-05-01"] * n_referrals,
    })
    return validate({"organizations": orgs.astype(str), "referrals": refs.astype(str)})


@pytest.mark.neo4j
def test_readers_refuse_an_unfinished_neo4j_load_until_it_is_rerun(
    neo4j_server: Server, run_cli: RunCli  # noqa: F811
) -> None:
    frames = _neo4j_frames()
    store = neo4j_server.store(batch_rows=100, transaction_rows=200)  # 660 rows: seven transactions
    reader = neo4j_server.store()
    try:
        store.clear()
        seen: list[str] = []

        def interrupt(rows: int) -> None:
            # the first transaction has committed: readers must already refuse
            with pytest.raises(StoreUnavailableError) as refused:
                reader.version()
            seen.append(str(refused.value))
            if len(seen) == 3:
                raise _Interrupted

        with pytest.raises(_Interrupted):
            store.load(frames, progress=interrupt)
        partial = reader.counts()
        assert 0 < sum(partial.values()) < sum(len(f) for f in frames.values())
        [unfinished] = reader.unfinished_loads()
        assert unfinished["rows"] == 660 and unfinished["started"].endswith("Z")
        assert all(f"holds an unfinished load: load {unfinished['load']} of 660 rows" in s for s in seen)

        for args in (["stats"], ["reputation", "--limit", "3"], ["export", "out"], ["health", "Z001"]):
            code, out, err = run_cli([*neo4j_server.cli_args(), *args])
            assert code == 5 and out == "", (args, err)
            assert err.startswith(f"error: Neo4j at {neo4j_server.uri} holds an unfinished load: "
                                  f"load {unfinished['load']} of 660 rows, started {unfinished['started']}")
            assert "rerun the same load" in err and "REMOVE m.loading" in err
            assert neo4j_server.password not in err
        for read in (lambda: reader.table("referrals"), lambda: reader.about(["Z001"]), reader.scores,
                     lambda: reader.run_read("MATCH (o:Organization) RETURN count(o)")):
            with pytest.raises(StoreUnavailableError, match="holds an unfinished load"):
                read()

        # Another load, small (one transaction) or large, does not finish this one.
        store.load({"organizations": frames["organizations"].head(2)})
        other = _neo4j_frames(n_orgs=300, n_referrals=0)
        store.load({"organizations": other["organizations"]})
        assert [u["load"] for u in reader.unfinished_loads()] == [unfinished["load"]]

        # Rerunning the same load completes it: readers answer again, with every row once.
        store.load(frames)
        assert reader.unfinished_loads() == []
        code, _, err = run_cli([*neo4j_server.cli_args(), "stats", "--format", "json"])
        assert code == 0, err
        assert reader.counts()["referrals"] == len(frames["referrals"])
        for name in ("organizations", "referrals"):
            got = reader.table(name)
            assert got["id"].is_unique and set(frames[name]["id"]) <= set(got["id"])
    finally:
        store.clear()
        store.close()
        reader.close()


@pytest.mark.neo4j
def test_an_unfinished_neo4j_load_can_be_accepted_as_it_is(neo4j_server: Server) -> None:  # noqa: F811
    frames = _neo4j_frames()
    store = neo4j_server.store(batch_rows=100, transaction_rows=200)
    try:
        store.clear()

        def interrupt(rows: int) -> None:
            raise _Interrupted

        with pytest.raises(_Interrupted):
            store.load(frames, progress=interrupt)
        with pytest.raises(StoreUnavailableError):
            store.version()
        store.forget_unfinished_loads()
        assert store.unfinished_loads() == [] and ":" in store.version()
        assert set(store.counts()) == set(TABLE_ORDER)
    finally:
        store.clear()
        store.close()


# -- a first load of a large table builds its indexes after the rows --------------------------------


def _big_referrals(n: int, orgs: int, bad: str | None = None) -> dict[str, pd.DataFrame]:
    from trustgraph.ingest import object_frame

    ids = [f"O{i}" for i in range(orgs)]
    org = object_frame({"id": ids, "name": ids, **{c: [None] * orgs for c in (
        "sector", "country", "region", "culture", "risk_appetite", "pretrusted", "tags")}})
    src = [ids[i % orgs] for i in range(n)]
    dst = [ids[(7 * i + 1) % orgs] for i in range(n)]
    if bad is not None:
        src[n // 2] = bad
    ref = object_frame({"id": [f"R{i}" for i in range(n)], "source": src, "target": dst, "strength": [0.5] * n,
                        "date": ["2024-01-01"] * n, "recipient": [None] * n, "note": [None] * n})
    return {"organizations": org, "referrals": ref}


def _indexes(path: Path, table: str) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[1] for r in db.execute(f"PRAGMA index_list({table})") if r[1].startswith("ix_")}


def test_a_first_large_load_keeps_every_index_and_a_failed_one_restores_them(tmp_path: Path) -> None:
    from trustgraph.errors import TrustgraphError

    path = tmp_path / "big.db"
    store = SqliteStore(path)
    before = _indexes(path, "referrals")
    assert len(before) == 2  # source and target
    # a load that fails at commit (a referral from an unknown party: the deferred foreign key)
    with pytest.raises(TrustgraphError, match="nothing was written"):
        store.load(_big_referrals(30_000, 500, bad="NOBODY"))
    assert _indexes(path, "referrals") == before
    assert store.counts()["referrals"] == 0
    # the same load without the bad row
    store.load(_big_referrals(30_000, 500))
    assert _indexes(path, "referrals") == before
    target = next(name for name in before if name.endswith("_target"))
    with sqlite3.connect(path) as db:
        plan = " ".join(str(r[-1]) for r in db.execute("EXPLAIN QUERY PLAN SELECT id FROM referrals WHERE target = 'O8'"))
        assert f"USING INDEX {target}" in plan, plan
        found = db.execute(f"SELECT count(*) FROM referrals INDEXED BY {target} WHERE target = 'O8'").fetchone()[0]
    assert found == int((store.table("referrals")["target"] == "O8").sum()) > 0
    assert store.counts()["referrals"] == 30_000
    store.close()
