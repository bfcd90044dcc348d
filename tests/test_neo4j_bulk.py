"""``trustgraph load --bulk``: a first load through Neo4j's offline importer (issue 19).

A dedicated server (its own port and state folder: the import pauses its databases, so the shared
test server is never used). The contract: the sample loaded in bulk and loaded online export the same
files byte for byte, with the same constraints and a working version node; a database that is not
empty, a server that is not the local one and bad data are refused before anything is written.
"""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from neo4j_server import Server, start_private_server, unavailable

from trustgraph.errors import TrustgraphError
from trustgraph.ingest import load_dataset
from trustgraph.model import TABLES
from trustgraph.store.neo4j_bulk import importer_seconds, write_import_files

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    try:
        server = start_private_server("trustgraph-bulk-")
    except RuntimeError as err:
        unavailable(str(err))
    yield server
    server.stop()


def _cli(server: Server, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))}
    assert server.state_dir is not None
    env.update({"NEO4J_LOCAL_DIR": str(server.state_dir), "NEO4J_PASSWORD": server.password,
                "TRUSTGRAPH_CACHE": str(cwd / "cache")})
    return subprocess.run([sys.executable, "-c", "from trustgraph.cli import main; main()", "-q",
                           "--neo4j-uri", server.uri, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=900, check=False)


def _constraints(server: Server) -> list[tuple[str, str]]:
    store = server.store()
    try:
        _, rows = store.run_read("SHOW CONSTRAINTS YIELD name, type RETURN name, type ORDER BY name")
    finally:
        store.close()
    return [(str(r[0]), str(r[1])) for r in rows]


def _same_tree(a: Path, b: Path) -> None:
    names = sorted(p.name for p in a.iterdir())
    assert names == sorted(p.name for p in b.iterdir())
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert mismatch == [] and errors == [], mismatch


@pytest.mark.neo4j
@pytest.mark.slow
def test_bulk_and_online_loads_export_the_same_files(server: Server, tmp_path: Path) -> None:
    store = server.store()
    try:
        store.clear()
        before = store.version()  # the version node of the empty database (an identity to keep)
    finally:
        store.close()
    pid = server.pid()

    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "organizations.csv").write_text("id,name\nA,Alpha\n", encoding="utf-8")
    (bad / "referrals.csv").write_text("source,target,strength,date\nA,NOPE,0.5,2024-01-01\n", encoding="utf-8")
    refused = _cli(server, "load", str(bad), "--bulk", cwd=tmp_path)
    assert refused.returncode == 3, refused.stderr  # validated first: nothing written, server untouched
    assert server.pid() == pid

    done = _cli(server, "load", str(SAMPLE), "--bulk", "--format", "json", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert '"bulk": true' in done.stdout
    assert server.pid() == pid  # the import paused the server's databases: same process, no new JVM
    bulk_constraints = _constraints(server)
    store = server.store()
    try:
        after = store.version()
        counts = store.counts()
    finally:
        store.close()
    # the store keeps its identity and its version moves on (a cached snapshot is never reused)
    assert after.rpartition(":")[0] == before.rpartition(":")[0]
    assert int(after.rpartition(":")[2]) > int(before.rpartition(":")[2])
    assert counts == {name: len(frame) for name, frame in load_dataset(SAMPLE).items()} | {
        n: 0 for n in counts if n not in load_dataset(SAMPLE)}
    assert _cli(server, "export", str(tmp_path / "bulk"), cwd=tmp_path).returncode == 0

    # a second bulk load into the now full database is refused (exit 6), nothing changes
    again = _cli(server, "load", str(SAMPLE), "--bulk", cwd=tmp_path)
    assert again.returncode == 6, again.stderr
    assert again.stderr.startswith(f"error: Neo4j at {server.uri} is not empty (")
    assert "--bulk only fills an empty database" in again.stderr and "Traceback" not in again.stderr
    store = server.store()
    try:
        assert store.version() == after
        store.clear()
    finally:
        store.close()

    online = _cli(server, "load", str(SAMPLE), cwd=tmp_path)
    assert online.returncode == 0, online.stderr
    assert _cli(server, "export", str(tmp_path / "online"), cwd=tmp_path).returncode == 0
    _same_tree(tmp_path / "bulk", tmp_path / "online")
    assert _constraints(server) == bulk_constraints


def test_bulk_refuses_a_server_that_is_not_the_local_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))}
    env["NEO4J_LOCAL_DIR"] = str(tmp_path / "no-server-here")
    done = subprocess.run([sys.executable, "-c", "from trustgraph.cli import main; main()", "--neo4j-uri",
                           "neo4j+s://example.databases.neo4j.io", "load", str(SAMPLE), "--bulk"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    # refused before any connection: the offline importer cannot reach a remote server's files
    assert done.returncode == 6, done.stderr
    assert done.stderr.startswith("error: --bulk imports with Neo4j's offline importer, so it works only with "
                                  "the local server started by scripts/neo4j-local"), done.stderr
    assert "not with neo4j+s://example.databases.neo4j.io" in done.stderr


def test_bulk_on_sqlite_is_refused(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))}
    done = subprocess.run([sys.executable, "-c", "from trustgraph.cli import main; main()", "--store",
                           str(tmp_path / "s.db"), "load", str(SAMPLE), "--bulk"],
                          env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 6, done.stderr
    assert done.stderr.startswith("error: --bulk loads into Neo4j"), done.stderr


def _header_and_rows(path: Path) -> tuple[str, list[str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return lines[0], lines[1:]


def test_import_files_quote_type_and_split_outside_parties(tmp_path: Path) -> None:
    frames = {
        "organizations": pd.DataFrame({
            "id": ["A", "B,1"], "name": ['say "hi"', "Bee"], "sector": [None, "ngo"], "country": [None, None],
            "region": [None, None], "culture": [None, None], "risk_appetite": [None, None],
            "pretrusted": [True, None], "tags": ["x;y", None]}),
        "blacklist": pd.DataFrame({
            "id": ["L1", "L2"], "lister": ["A", "World Bank"], "listed": ["B,1", "B,1"],
            "date": ["2024-01-01", "2024-02-01"], "until": [None, None], "reason": ["fraud", None],
            "source": [None, None]}),
    }
    for name, frame in frames.items():
        for column in TABLES[name].column_names:
            if column not in frame.columns:
                frame[column] = None
    files = write_import_files(frames, tmp_path, ("store-1", 7))
    by_name = {f.path.name: f for f in files}
    header, rows = _header_and_rows(tmp_path / "nodes-organizations.csv")
    # integer node ids numbered per label (--id-type=integer), the id itself a string property; the
    # columns missing in every row (country, region, culture, risk_appetite) are left out
    assert header == ":ID(Organization),id:string,name:string,sector:string,pretrusted:boolean,tags:string[]"
    # quoted only where the CSV needs it; a missing value is an empty field (no property)
    assert rows == ['0,A,"say ""hi""",,true,x;y', '1,"B,1",Bee,ngo,,']

    header, inside = _header_and_rows(tmp_path / "rels-blacklist.csv")
    assert header == ":START_ID(Organization),:END_ID(Organization),id:string,date:string,reason:string"
    assert inside == ["0,1,L1,2024-01-01,fraud"]
    header, outside = _header_and_rows(tmp_path / "rels-blacklist-outside.csv")
    assert header.startswith(":START_ID(Authority),:END_ID(Organization),id:string")
    assert outside == ["0,1,L2,2024-02-01,"]
    assert _header_and_rows(tmp_path / "nodes-outside-authority.csv") == (":ID(Authority),id:string",
                                                                        ["0,World Bank"])
    assert _header_and_rows(tmp_path / "nodes-meta.csv")[1] == ["store,store-1,7"]
    assert not any(f.multiline for f in files)
    assert by_name["rels-blacklist.csv"].argument == "--relationships=LISTS"

    frames["organizations"].loc[1, "name"] = "two\nlines"
    (tmp_path / "again").mkdir()
    assert [f.path.name for f in write_import_files(frames, tmp_path / "again", ("s", 0)) if f.multiline] == [
        "nodes-organizations.csv"]

    # an empty string is a value, not a missing one: its file quotes every string ("" = empty string)
    frames["organizations"].loc[1, "name"] = ""
    (tmp_path / "empty").mkdir()
    write_import_files(frames, tmp_path / "empty", ("s", 0))
    _, rows = _header_and_rows(tmp_path / "empty" / "nodes-organizations.csv")
    assert rows == ['0,"A","say ""hi""",,true,"x;y"', '1,"B,1","","ngo",,']


def test_import_files_write_numbers_floats_and_booleans_as_the_online_load(tmp_path: Path) -> None:
    orgs = pd.DataFrame({c: [None] * 3 for c in TABLES["organizations"].column_names})
    orgs["id"] = ["A", "B", "C"]
    orgs["pretrusted"] = [False, None, True]
    refs = pd.DataFrame({c: [None] * 3 for c in TABLES["referrals"].column_names})
    refs["id"], refs["source"], refs["target"] = ["R1", "R2", "R3"], ["A", "B", "C"], ["C", "A", "A"]
    refs["strength"] = pd.Series([0.1, -1.0, 1e-20], dtype=object)
    refs["date"] = ["2024-01-01", None, "2024-03-01"]
    write_import_files({"organizations": orgs, "referrals": refs}, tmp_path, ("s", 0))
    assert _header_and_rows(tmp_path / "nodes-organizations.csv") == (
        ":ID(Organization),id:string,pretrusted:boolean", ["0,A,false", "1,B,", "2,C,true"])
    assert _header_and_rows(tmp_path / "rels-referrals.csv") == (
        ":START_ID(Organization),:END_ID(Organization),id:string,strength:double,date:string",
        ["0,2,R1,0.1,2024-01-01", "1,0,R2,-1.0,", "2,0,R3,1e-20,2024-03-01"])


def test_import_files_refuse_a_repeated_node_id(tmp_path: Path) -> None:
    orgs = pd.DataFrame({c: [None] * 2 for c in TABLES["organizations"].column_names})
    orgs["id"] = ["A", "A"]
    with pytest.raises(TrustgraphError, match="organizations.id repeats ids of Organization nodes \\('A'\\)"):
        write_import_files({"organizations": orgs}, tmp_path, ("s", 0))
    assert list(tmp_path.iterdir()) == []


def test_import_files_refuse_a_reference_outside_the_load(tmp_path: Path) -> None:
    orgs = pd.DataFrame({c: [None] for c in TABLES["organizations"].column_names})
    orgs.loc[0, "id"], orgs.loc[0, "name"] = "A", "Alpha"
    refs = pd.DataFrame({c: [None] for c in TABLES["referrals"].column_names})
    refs.loc[0, ["id", "source", "target", "strength", "date"]] = ["R1", "A", "NOPE", 0.5, "2024-01-01"]
    refs["strength"] = refs["strength"].astype(object)
    with pytest.raises(TrustgraphError, match="referrals.target refers to ids that are not in the load \\('NOPE'\\)"):
        write_import_files({"organizations": orgs, "referrals": refs}, tmp_path, ("s", 0))


def test_large_files_are_written_in_parts_that_join_to_the_single_file(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import trustgraph.store.neo4j_bulk as bulk

    n = 1_000
    orgs = pd.DataFrame({c: [None] * n for c in TABLES["organizations"].column_names})
    orgs["id"] = [f"O{i}" for i in range(n)]
    orgs["name"] = [f"name, {i}" if i % 7 else None for i in range(n)]
    (tmp_path / "one").mkdir()
    single = write_import_files({"organizations": orgs}, tmp_path / "one", ("s", 0))[0]
    monkeypatch.setattr(bulk, "PARALLEL_ROWS", 100)  # forked writers from 100 rows
    monkeypatch.setattr(bulk.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    (tmp_path / "parts").mkdir()
    parted = write_import_files({"organizations": orgs}, tmp_path / "parts", ("s", 0))[0]
    assert [p.name for p in parted.parts] == [
        "nodes-organizations.csv", "nodes-organizations.part1.csv", "nodes-organizations.part2.csv"]
    assert parted.importer_argument == "--nodes=Organization=" + ",".join(str(p) for p in parted.parts)
    assert b"".join(p.read_bytes() for p in parted.parts) == single.path.read_bytes()
    assert parted.rows == single.rows == n and not parted.multiline

    orgs.loc[950, "name"] = "two\nlines"  # in the last part, written by a child process
    (tmp_path / "multiline").mkdir()
    assert write_import_files({"organizations": orgs}, tmp_path / "multiline", ("s", 0))[0].multiline


def test_the_importers_own_time_is_read_whatever_units_it_prints() -> None:
    assert importer_seconds("...\nIMPORT DONE in 8s 573ms. \nImported:") == 8.573
    assert importer_seconds("IMPORT DONE in 1m 2s 3ms.") == 62.003
    assert importer_seconds("IMPORT DONE in 1m 45ms.") == 60.045  # zero seconds left out
    assert importer_seconds("IMPORT DONE in 2m 5s.") == 125.0
    assert importer_seconds("import failed") is None


def test_id_lookups_stay_exact_when_hashes_collide(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ids are numbered through a 64-bit hash of their text; two ids with one hash (about 1 in 10^10
    at a million ids, never seen in practice) must still be told apart. A hash that collides all the
    time (the text's length) takes the fallbacks on every load: the files are the same as with the
    real hash, and an unknown id that shares a known id's hash is still refused."""
    import numpy as np

    import trustgraph.store.neo4j_bulk as bulk

    tables = load_dataset(SAMPLE)
    real = tmp_path / "real"
    real.mkdir()
    write_import_files(tables, real, ("s", 0))

    def by_length(values: np.ndarray, categorize: bool = False) -> np.ndarray:
        return np.array([len(str(v)) for v in values], dtype=np.uint64)

    monkeypatch.setattr(bulk, "hash_array", by_length)
    nodes = bulk._Nodes("Organization")
    nodes.add("organizations", np.array(["A1", "B22"], dtype=object))  # distinct hashes: the hash index
    assert nodes.keys.dtype == np.uint64
    assert nodes.numbers(np.array(["B22", "Q9", "A1", None], dtype=object)).tolist() == [
        1, bulk._UNKNOWN, 0, bulk._MISSING]  # "Q9" has the hash of "A1" but is not "A1"
    nodes.add("organizations", np.array(["C3"], dtype=object))  # "C3" collides with "A1": the text index
    assert nodes.keys.dtype != np.uint64
    assert nodes.numbers(np.array(["C3", "A1", "Q9"], dtype=object)).tolist() == [2, 0, bulk._UNKNOWN]

    weak = tmp_path / "weak"
    weak.mkdir()
    write_import_files(tables, weak, ("s", 0))
    _same_tree(real, weak)
    refs = tables["referrals"].copy()
    refs.loc[refs.index[0], "target"] = "X" * len(str(refs["target"].iloc[0]))  # the same length: the same hash
    refused = tmp_path / "refused"
    refused.mkdir()
    with pytest.raises(TrustgraphError, match="referrals.target refers to ids that are not in the load"):
        write_import_files({**tables, "referrals": refs}, refused, ("s", 0))
