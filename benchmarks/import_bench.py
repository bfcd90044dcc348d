"""Epinions into the embedded store and out again as a NetworkX projection: time and peak memory.

Stages: read + validate the SNAP file, write it to a fresh SQLite store (one transaction), read the
tables back, project to the trust graph (evidence → Beta local trust → DiGraph). Beside them, as a
peer on the same input in the same run: ``networkx.read_edgelist``-style construction of a plain
weighted DiGraph from the same edges, and python-igraph's ``Graph.TupleList`` (if installed).

Targets (issue 2): import ≤ 30 s, projection ≤ 15 s, peak ≤ 2 GiB on a 2-core machine.

Then what most users load: the same network as a **dataset folder** (``organizations.csv``,
``referrals.csv``, 42 MB, written by ``export_dataset``): read + validate it (``load_dataset``: every
cell checked, each problem with its line), beside pandas' C parser reading the same files as text
with no checks (the floor of any CSV reader in Python); and a cold ``trustgraph load FOLDER``
process into a new SQLite store, timed with its peak memory, as the user runs it.

Run: ``.venv/bin/python benchmarks/import_bench.py [PATH]``
"""

from __future__ import annotations

import resource
import subprocess
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


#: Runs ``trustgraph`` in this interpreter and writes the process's own peak RSS (``VmHWM``: per address
#: space, so not inherited from the benchmark that started it, unlike ``RUSAGE_CHILDREN``) to stderr.
_CLI_WITH_PEAK = (
    "import atexit, sys\n"
    "atexit.register(lambda: sys.stderr.write(next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))))\n"
    "from trustgraph.cli.app import main\n"
    "sys.argv[0] = 'trustgraph'\n"
    "main()\n"
)


def _cold_load(folder: Path, store: Path) -> tuple[float, float]:
    """Wall time and peak RSS (MiB) of a ``trustgraph load FOLDER`` process into a new store."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _CLI_WITH_PEAK, "-q", "--store", str(store), "load", str(folder),
                           "--format", "json"], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - t0
    peak = [line.split()[1] for line in done.stderr.splitlines() if line.startswith("VmHWM")]
    return elapsed, int(peak[-1]) / 2**10 if peak else float("nan")


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
        core_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20  # the import and projection's
        folder = Path(tmp) / "epinions-folder"
        from trustgraph.export import export_dataset
        from trustgraph.ingest import load_dataset

        export_dataset(dict(data), folder)
        stage("dataset folder: read + validate (load_dataset)", lambda: load_dataset(folder), results)
        import pandas as pd

        stage("peer: pandas read_csv of the same files (no checks)", lambda: [
            pd.read_csv(f, dtype=str, keep_default_na=False) for f in sorted(folder.glob("*.csv"))], results)
        cold = _cold_load(folder, Path(tmp) / "cold.db")
        print(f"{'cold `trustgraph load FOLDER` (new SQLite)':<44} {cold[0]:8.2f} s   its peak RSS {cold[1]:8.1f} MiB")
    t = {name: secs for name, secs, _ in results}
    imp = t["read + validate SNAP file"] + t["write to SQLite (one transaction)"]
    proj = t["read tables back from SQLite"] + t["project: evidence + local trust + DiGraph"]
    print()
    print(f"import (read + validate + write):   {imp:6.2f} s  (target <= 30 s)")
    print(f"projection (read back + project):    {proj:6.2f} s  (target <= 15 s)")
    print(f"projection / networkx plain DiGraph: {t['project: evidence + local trust + DiGraph'] / t['peer: networkx DiGraph from the same edges']:6.2f}x")
    print(f"process peak RSS:                    {core_peak:6.2f} GiB (target <= 2 GiB; import, projection and peers)")


if __name__ == "__main__":
    main()
