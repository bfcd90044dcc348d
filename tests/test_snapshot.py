"""The compiled snapshot: same graph as the projection, cached per store version, never stale, never half-read."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from trustgraph.graph import project
from trustgraph.snapshot import (
    Snapshot,
    cached_facts,
    compile_tables,
    from_graph,
    open_snapshot,
    snapshot_folder,
)
from trustgraph.store import SqliteStore

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The real CLI in a separate process (as another analyst or a concurrent writer would run it)."""
    env = {k: v for k, v in os.environ.items() if k not in ("TRUSTGRAPH_STORE", "NEO4J_URI")}
    return subprocess.run([sys.executable, "-c", "from trustgraph.cli import main; main()", *args],
                          capture_output=True, text=True, cwd=cwd or ROOT, env=env, timeout=300)


def _edges(G) -> dict[tuple[str, str], dict]:
    return {(u, v): d for u, v, d in G.edges(data=True)}


def test_snapshot_edges_equal_the_beta_trust_of_the_evidence(sample_tables: dict[str, pd.DataFrame]) -> None:
    """Independent path: pandas' groupby in :func:`local_trust` over the evidence rows."""
    from trustgraph.evidence import evidence_frame, local_trust

    snap = compile_tables(sample_tables, half_life_days=730.0)
    lt = local_trust(evidence_frame(sample_tables, as_of=snap.as_of, half_life_days=730.0))
    assert snap.m == len(lt)
    H = snap.to_networkx()
    assert list(H.nodes) == sample_tables["organizations"]["id"].tolist()
    ours = _edges(H)
    for row in lt.itertuples(index=False):
        d = ours[(row.src, row.dst)]
        for attr in ("trust", "uncertainty", "positive", "negative"):
            assert math.isclose(d[attr], getattr(row, attr), rel_tol=1e-12, abs_tol=1e-15), (row.src, row.dst, attr)
        assert (d["evidence"], d["kinds"], d["last"]) == (row.evidence, row.kinds, row.last)
    listed = {v for v, flag in H.nodes(data="listed") if flag}
    assert listed and listed == set(snap.listings)
    assert H.graph == {"as_of": snap.as_of, "half_life_days": 730.0}


def test_kind_net_splits_each_edge_by_evidence_kind(sample_tables: dict[str, pd.DataFrame]) -> None:
    snap = compile_tables(sample_tables, half_life_days=730.0)
    np.testing.assert_allclose(snap.kind_net.sum(axis=1), snap.positive - snap.negative, atol=1e-12)
    # a pair with a single kind of evidence has all of its net evidence in that kind's column
    single = [k for k in range(snap.m) if bin(int(snap.kinds[k])).count("1") == 1]
    assert single
    for k in single[:50]:
        col = int(snap.kinds[k]).bit_length() - 1
        assert math.isclose(snap.kind_net[k, col], snap.positive[k] - snap.negative[k], abs_tol=1e-12)


def test_subgraph_and_lookups(sample_tables: dict[str, pd.DataFrame]) -> None:
    snap = compile_tables(sample_tables, half_life_days=730.0)
    G = project(sample_tables, half_life_days=730.0)
    some = ["ORG001", "ORG002", "ORG045", "ORG010"]
    assert _edges(snap.to_networkx(some)).keys() == _edges(G.subgraph(some)).keys()
    i = snap.index_of("ORG045")
    assert snap.ids[i] == "ORG045" and snap.names[i] == G.nodes["ORG045"]["name"]
    assert snap.resolve(G.nodes["ORG045"]["name"].upper()) == "ORG045"
    assert snap.find("NOPE") is None and "ORG001" in snap


def test_from_graph_keeps_node_order_and_any_hashable_nodes() -> None:
    import networkx as nx

    G = nx.DiGraph()
    G.add_edge(2, 1, trust=0.75)
    G.add_edge(1, 3, trust=0.25)
    snap = from_graph(G)
    assert snap.nodes() == [2, 1, 3]
    assert snap.index_of(3) == 2
    assert snap.edge(0, 1) is not None and snap.edge(1, 0) is None
    assert float(snap.trust[snap.edge(1, 2)]) == 0.25


def test_cached_snapshot_is_reused_memory_mapped(sample_store: SqliteStore) -> None:
    first = open_snapshot(sample_store, half_life_days=730.0)
    folders = [p for p in snapshot_folder(sample_store).iterdir() if not p.name.startswith(".")]
    assert len(folders) == 1 and (folders[0] / "meta.json").exists()
    second = open_snapshot(sample_store, half_life_days=730.0)
    assert isinstance(second.trust, np.memmap)  # opened from disk, not compiled again
    np.testing.assert_array_equal(first.trust, second.trust)
    assert second.version == sample_store.version()


def test_a_long_lived_reader_answers_id_look_ups_from_a_dict_with_the_same_answers(
        sample_store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    import trustgraph.snapshot as snapshot_module

    snap = open_snapshot(sample_store, half_life_days=730.0)
    ids = snap.nodes()
    asked = [*ids, "no-such-party", ids[0].upper() + "x", "", 7]
    searched = [snap.find(v) for v in asked]  # binary search over the memory-mapped ids
    assert snap._index is None and searched[: len(ids)] == list(range(len(ids)))
    monkeypatch.setattr(snapshot_module, "INDEX_AFTER", 3)
    reader = open_snapshot(sample_store, half_life_days=730.0)
    assert [reader.find(v) for v in asked] == searched  # a dict after the third look-up
    assert reader._index is not None and len(reader._index) == len(ids)


def test_a_write_makes_the_old_snapshot_unusable(sample_store: SqliteStore, tmp_path: Path) -> None:
    before = open_snapshot(sample_store, half_life_days=730.0)
    version = sample_store.version()
    # another process writes: a new referral between two parties with no tie yet
    path = sample_store.path
    done = _cli("--store", path, "record", "referral", "--source", "ORG090", "--target", "ORG091",
                "--strength", "1", "--date", "2025-06-20")
    assert done.returncode == 0, done.stderr
    assert sample_store.version() != version
    after = open_snapshot(sample_store, half_life_days=730.0)
    a, b = after.index_of("ORG090"), after.index_of("ORG091")
    assert before.edge(before.index_of("ORG090"), before.index_of("ORG091")) is None or \
        after.evidence[after.edge(a, b)] > before.evidence[before.edge(before.index_of("ORG090"),
                                                                          before.index_of("ORG091"))]
    assert after.edge(a, b) is not None
    assert after.version == sample_store.version()


def test_cli_answers_change_after_a_write_from_another_process(tmp_path: Path, sample_dir: Path) -> None:
    store = str(tmp_path / "s.db")
    assert _cli("--store", store, "load", str(sample_dir)).returncode == 0
    first = json.loads(_cli("--store", store, "stats", "--format", "json").stdout)
    assert _cli("--store", store, "record", "listing", "--lister", "ORG001", "--listed", "ORG002",
                "--date", "2025-06-01", "--reason", "test").returncode == 0
    second = json.loads(_cli("--store", store, "stats", "--format", "json").stdout)
    assert second["listed_now"] == first["listed_now"] + 1
    def count(doc: dict, table: str) -> int:
        return next(r["count"] for r in doc["rows"] if r["table"] == table)

    assert count(second, "blacklist") == count(first, "blacklist") + 1


def test_a_half_written_snapshot_is_never_read(sample_store: SqliteStore, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"n": 0}
    real_save = np.save

    def failing_save(*args: object, **kwargs: object) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError("disk full (simulated)")
        real_save(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(np, "save", failing_save)
    snap = open_snapshot(sample_store, half_life_days=730.0)  # answers without caching
    assert snap.n == 96
    folder = snapshot_folder(sample_store)
    assert not folder.exists() or not [p for p in folder.iterdir()]  # no folder left, not even a temporary one
    monkeypatch.setattr(np, "save", real_save)
    # A folder at the final name without meta.json (or with a missing array) is not opened.
    again = open_snapshot(sample_store, half_life_days=730.0)
    target = [p for p in folder.iterdir() if not p.name.startswith(".")][0]
    (target / "trust.npy").unlink()
    third = open_snapshot(sample_store, half_life_days=730.0)  # rebuilt, not read half
    np.testing.assert_array_equal(third.trust, again.trust)
    assert (target / "trust.npy").exists()  # and the damaged folder replaced
    assert isinstance(open_snapshot(sample_store, half_life_days=730.0).trust, np.memmap)


def test_concurrent_readers_never_see_a_partial_snapshot(tmp_path: Path, sample_dir: Path) -> None:
    store = str(tmp_path / "s.db")
    assert _cli("--store", store, "load", str(sample_dir)).returncode == 0
    # four processes race to build the same snapshot; every one must answer the same
    procs = [subprocess.Popen([sys.executable, "-c", "from trustgraph.cli import main; main()", "--store", store,
                              "stats", "--format", "json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             cwd=ROOT) for _ in range(4)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e for _, e in outs]
    docs = [json.loads(o) for o, _ in outs]
    assert all(d == docs[0] for d in docs)
    folder = Path(store + ".snapshots")
    assert len([p for p in folder.iterdir() if not p.name.startswith(".")]) == 1
    assert not list(folder.glob(".tmp-*"))


def test_missing_store_is_refused_and_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "x.db"
    for args in (["stats"], ["reputation", "--limit", "3"], ["chain", "A", "B"], ["contagion"]):
        done = _cli("--store", str(missing), *args)
        assert done.returncode == 5, (args, done.stderr)
        assert str(missing) in done.stderr and "trustgraph load" in done.stderr
    assert not (tmp_path / "nowhere").exists()
    # run from a folder without a store: the default ./trustgraph.db is not silently created
    done = _cli("reputation", cwd=tmp_path)
    assert done.returncode == 5 and not (tmp_path / "trustgraph.db").exists()


def test_opening_an_existing_store_writes_nothing(sample_store: SqliteStore) -> None:
    path = Path(sample_store.path)
    version = sample_store.version()
    stamp = path.stat().st_mtime_ns
    reader = SqliteStore(path, create=False)
    assert reader.version() == version
    reader.close()
    assert path.stat().st_mtime_ns == stamp


def test_stats_facts_come_from_the_snapshot_metadata(sample_store: SqliteStore) -> None:
    facts = cached_facts(sample_store, half_life_days=730.0)
    assert facts["tables"]["organizations"] == 96 and facts["trust_edges"] > 0
    assert cached_facts(sample_store, half_life_days=730.0) == facts


@pytest.mark.parametrize("args", [["--version"], ["--help"]])
def test_start_up_imports_no_heavy_library(args: list[str]) -> None:
    code = (f"import sys\nfrom trustgraph.cli import main\ntry:\n    main({args!r})\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'scipy', 'networkx', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_stats_imports_neither_pandas_scipy_nor_networkx(sample_store: SqliteStore) -> None:
    cached_facts(sample_store, half_life_days=730.0)  # the snapshot exists (a later stats reads its metadata)
    code = (f"import sys\nfrom trustgraph.cli import main\ntry:\n    main(['--store', {sample_store.path!r}, 'stats'])\n"
            "except SystemExit:\n    pass\n"
            "print(sorted(m for m in ('pandas', 'scipy', 'networkx') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stderr


def test_help_lists_every_command_with_its_own_first_line() -> None:
    import click

    from trustgraph.cli.app import COMMANDS, cli

    cli.load_all()
    assert set(cli.commands) == set(COMMANDS)
    for name, (module, line) in COMMANDS.items():
        cmd = cli.commands[name]
        own = cmd.short_help or (cmd.help or "").split("\n\n")[0]
        assert " ".join(own.split()) == line, name
        assert cmd.callback is not None and (cmd.callback.__module__ == f"trustgraph.cli.{module}"
                                             or isinstance(cmd, click.Group))


def test_snapshot_roundtrip_through_disk(tmp_path: Path, sample_tables: dict[str, pd.DataFrame]) -> None:
    snap = compile_tables(sample_tables, half_life_days=None)
    snap.save(tmp_path / "s")
    back = Snapshot.load(tmp_path / "s")
    assert back.nodes() == snap.nodes() and back.names.tolist() == snap.names.tolist()
    assert back.listings == snap.listings and back.as_of == snap.as_of and back.half_life_days is None
    for name in ("indptr", "src", "dst", "trust", "kind_net", "received", "people_src", "people_weight"):
        np.testing.assert_array_equal(getattr(back, name), getattr(snap, name))
    # a second writer of the same snapshot leaves the first in place (rename, never a rewrite in place)
    stamp = (tmp_path / "s" / "meta.json").stat().st_mtime_ns
    snap.save(tmp_path / "s")
    assert (tmp_path / "s" / "meta.json").stat().st_mtime_ns == stamp
    assert not list(tmp_path.glob(".tmp-*"))


def test_derived_arrays_are_kept_beside_the_snapshot(sample_store: SqliteStore) -> None:
    """A costly array derived from a snapshot (the vouching groups) is computed once per store version:
    later processes read it from the snapshot's folder; a damaged file is computed again; the
    snapshot's own arrays are untouched by it."""
    calls: list[int] = []

    def build() -> np.ndarray:
        calls.append(1)
        return np.arange(5)

    first = open_snapshot(sample_store, half_life_days=730.0)
    assert first.folder is not None and first.folder.parent == snapshot_folder(sample_store)
    np.testing.assert_array_equal(first.derived("test-1", build), np.arange(5))
    np.testing.assert_array_equal(first.derived("test-1", build), np.arange(5))  # memoised
    assert len(calls) == 1 and (first.folder / "derived.test-1.npy").exists()
    second = open_snapshot(sample_store, half_life_days=730.0)  # as another process would
    assert second.folder == first.folder
    np.testing.assert_array_equal(second.derived("test-1", build), np.arange(5))
    assert len(calls) == 1  # read from disk
    np.testing.assert_array_equal(second.trust, first.trust)
    (first.folder / "derived.test-1.npy").write_bytes(b"damaged")
    np.testing.assert_array_equal(open_snapshot(sample_store, half_life_days=730.0).derived("test-1", build),
                                  np.arange(5))
    assert len(calls) == 2
    np.testing.assert_array_equal(np.load(first.folder / "derived.test-1.npy"), np.arange(5))  # rewritten
    from trustgraph.store.base import tables

    in_memory = compile_tables(tables(sample_store))
    assert in_memory.folder is None
    np.testing.assert_array_equal(in_memory.derived("test-1", build), np.arange(5))
    assert len(calls) == 3


def test_vouching_groups_are_computed_once_per_store_version(tmp_path: Path, sample_dir: Path) -> None:
    """`contagion` keeps the vouching groups beside the snapshot; the next process reads them and answers
    the same."""
    store = tmp_path / "s.db"
    assert _cli("--store", str(store), "-q", "load", str(sample_dir)).returncode == 0
    first = _cli("--store", str(store), "contagion", "--format", "json")
    assert first.returncode == 0, first.stderr
    derived = list(Path(str(store) + ".snapshots").glob("*/derived.vouching-groups-*.npy"))
    assert len(derived) == 1
    stamp = derived[0].stat().st_mtime_ns
    second = _cli("--store", str(store), "contagion", "--format", "json")
    assert json.loads(second.stdout)["rows"] == json.loads(first.stdout)["rows"]
    assert derived[0].stat().st_mtime_ns == stamp  # read, not written again
    # What-if listings ("nothing is written") compute their own groups and keep no file of them.
    for args in (["contagion", "--what-if", "ORG010"], ["contagion", "--what-if", "ORG011,ORG012"],
                 ["exposure", "ORG001", "--what-if", "ORG013"]):
        done = _cli("--store", str(store), "-q", *args, "--format", "json")
        assert done.returncode == 0, done.stderr
    assert list(Path(str(store) + ".snapshots").glob("*/derived.*")) == derived
