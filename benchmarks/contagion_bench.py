"""Contagion at scale: Epinions (131,828 parties, 841,372 signed statements) with 1,000 seeded listings.

Times, in one process on the same loaded graph :func:`trustgraph.graph.project` built once:

* ``contagion_scores`` — trustgraph's exposure of every party, end to end from the networkx graph
  (reading the edges into sparse matrices included), 3 hops;
* ``contagion(limit=20)`` — the same plus the explained top 20 (exposures and strongest paths);
* peer: ``networkx.pagerank`` personalised on the listed parties on the reversed graph, the
  Anti-TrustRank primitive (Krishnan & Raj 2006), also end to end from the graph;
* peer: python-igraph's ``personalized_pagerank`` (C), conversion from networkx timed apart.

Each is run ``--repeat`` times (best and median wall time printed); peak memory is measured in a
separate run under ``tracemalloc`` (Python allocations, numpy/scipy buffers included). Targets:
contagion within 2× of networkx.pagerank and ≤ 10 s from a loaded graph.

Run: ``.venv/bin/python benchmarks/contagion_bench.py`` (about a minute, most of it loading).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from trustgraph.analysis.contagion import contagion, contagion_scores
from trustgraph.graph import project
from trustgraph.importers import read_snap_signed

EPINIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "epinions" / "soc-sign-epinions.txt.gz"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times = []
    result = None
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return times, result


def peak_mib(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description="Contagion on Epinions next to networkx and igraph PageRank.")
    ap.add_argument("--path", type=Path, default=EPINIONS)
    ap.add_argument("--listed", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    t = time.perf_counter()
    tables = read_snap_signed(args.path)
    G = project(tables, half_life_days=None)
    load = time.perf_counter() - t
    nodes = sorted(G.nodes, key=lambda v: (len(str(v)), str(v)))
    listed = [str(v) for v in np.random.default_rng(args.seed).choice(nodes, size=args.listed, replace=False)]
    print(f"Epinions: {G.number_of_nodes():,} parties, {G.number_of_edges():,} edges; loaded and projected in "
          f"{load:.1f} s (not counted below). {len(listed)} listings drawn with seed {args.seed}.\n")

    R = G.reverse(copy=False)
    personalization = dict.fromkeys(listed, 1.0)

    def ours() -> Any:
        return contagion_scores(G, listed=listed)

    def ours_explained() -> Any:
        return contagion(G, listed=listed, limit=20)

    def nx_pagerank() -> Any:
        return nx.pagerank(R, alpha=0.85, personalization=personalization, weight=None)

    runs: list[tuple[str, Callable[[], Any]]] = [
        ("trustgraph contagion_scores (3 hops)", ours),
        ("trustgraph contagion, top 20 explained", ours_explained),
        ("networkx.pagerank, reversed, personalised", nx_pagerank),
    ]
    try:
        import igraph as ig

        index = {v: i for i, v in enumerate(G.nodes)}

        def to_igraph() -> Any:
            edges = [(index[v], index[u]) for u, v in G.edges]  # reversed
            return ig.Graph(n=len(index), edges=edges, directed=True)

        conv_times, H = timed(to_igraph, 1)
        reset = [index[v] for v in listed]

        def igraph_pagerank() -> Any:
            return H.personalized_pagerank(damping=0.85, reset_vertices=reset, directed=True)

        runs.append(("igraph personalized_pagerank (C)", igraph_pagerank))
    except ImportError:  # igraph is a benchmark-only dependency
        conv_times = []

    print(f"{'method':<44} {'best s':>7} {'median s':>9} {'peak MiB':>9}")
    best: dict[str, float] = {}
    for name, fn in runs:
        times, _ = timed(fn, args.repeat)
        mem = peak_mib(fn)
        best[name] = min(times)
        print(f"{name:<44} {min(times):>7.2f} {statistics.median(times):>9.2f} {mem:>9.0f}")
    if conv_times:
        print(f"{'  (networkx -> igraph conversion, once)':<44} {conv_times[0]:>7.2f}")
    ratio = best["trustgraph contagion_scores (3 hops)"] / best["networkx.pagerank, reversed, personalised"]
    print(f"\ncontagion / networkx.pagerank = {ratio:.2f} (target <= 2); "
          f"contagion end to end {best['trustgraph contagion_scores (3 hops)']:.2f} s (target <= 10 s)")


if __name__ == "__main__":
    main()
