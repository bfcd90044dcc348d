"""Epinions into the embedded store and out again as a NetworkX projection: time and peak memory.

Stages: read + validate the SNAP file, write it to a fresh SQLite store (one transaction), read the
tables back, project to the trust graph (evidence → Beta local trust → DiGraph). Beside them, as a
peer on the same input in the same run: ``networkx.read_edgelist``-style construction of a plain
weighted DiGraph from the same edges, and python-igraph's ``Graph.TupleList`` (if installed).

Targets (issue 2): import ≤ 30 s, projection ≤ 15 s, peak ≤ 2 GiB on a 2-core machine.

Run: ``.venv/bin/python benchmarks/import_bench.py [PATH]``
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx

from trustgraph.graph import project
from trustgraph.importers import read_snap_signed
from trustgraph.store import SqliteStore
from trustgraph.store.base import tables as store_tables

DEFAULT = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "epinions" / "soc-sign-epinions.txt.gz"


def stage(name: str, func, results: list[tuple[str, float, float]]):  # type: ignore[no-untyped-def]
    """Time one stage (no tracemalloc: it slows allocation-heavy code several-fold) and report the
    process's peak resident memory after it (peak RSS only grows, so it bounds each stage)."""
    t0 = time.perf_counter()
    value = func()
    elapsed = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10
    results.append((name, elapsed, peak))
    print(f"{name:<44} {elapsed:8.2f} s   process peak RSS so far {peak:8.1f} MiB", flush=True)
    return value


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    results: list[tuple[str, float, float]] = []
    print(f"input: {path}")
    with tempfile.TemporaryDirectory() as tmp:
        data = stage("read + validate SNAP file", lambda: read_snap_signed(path), results)
        store = SqliteStore(Path(tmp) / "epinions.db")
        stage("write to SQLite (one transaction)", lambda: store.load(dict(data)), results)
        tables = stage("read tables back from SQLite", lambda: store_tables(store), results)
        G = stage("project: evidence + local trust + DiGraph", lambda: project(tables, half_life_days=None), results)
        print(f"graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges")
        refs = data["referrals"]
        edges = list(zip(refs["source"], refs["target"], refs["strength"].astype(float)))
        stage("peer: networkx DiGraph from the same edges", lambda: nx.DiGraph(
            (u, v, {"weight": w}) for u, v, w in edges), results)
        try:
            import igraph as ig

            stage("peer: igraph Graph.TupleList (C)", lambda: ig.Graph.TupleList(edges, directed=True, weights=True),
                  results)
        except ImportError:
            print("python-igraph not installed (pip install -e '.[bench]')")
        store.close()
    t = {name: secs for name, secs, _ in results}
    imp = t["read + validate SNAP file"] + t["write to SQLite (one transaction)"]
    proj = t["read tables back from SQLite"] + t["project: evidence + local trust + DiGraph"]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print()
    print(f"import (read + validate + write):   {imp:6.2f} s  (target <= 30 s)")
    print(f"projection (read back + project):    {proj:6.2f} s  (target <= 15 s)")
    print(f"projection / networkx plain DiGraph: {t['project: evidence + local trust + DiGraph'] / t['peer: networkx DiGraph from the same edges']:6.2f}x")
    print(f"process peak RSS:                    {rss:6.2f} GiB (target <= 2 GiB)")


if __name__ == "__main__":
    main()
