"""Vouching chains at scale: ``chain`` (k = 3, max-hops 5) on Epinions between 100 seeded random
connected pairs, beside ``networkx.shortest_simple_paths`` and python-igraph's
``get_k_shortest_paths`` (C) on the same pairs.

Run: ``.venv/bin/python benchmarks/chains_bench.py [--pairs 100] [--seed 7]`` (a few minutes, most of
it networkx).

Setup (timed apart, not part of the per-query latency): import Epinions (131,828 parties, 841,372
signed statements) and project it with no decay (every positive statement is one referral: trust
2/3, cost −log(2/3); warnings are not hops), then compile the :class:`ChainIndex` once per graph
(compressed sparse rows forward and reverse, ``−log(trust)`` costs). A pair (s, t) is *connected*
when a breadth-first search over the positive statements (networkx, independent of trustgraph)
finds t within 5 hops of s; pairs are drawn with ``random.Random(seed)`` among parties with an
outgoing and an incoming positive statement.

Timed per pair: :func:`trustgraph.analysis.chains.vouching_chains` (k = 3, ``max_hops`` = 5,
through the prebuilt index, result objects with their links included); the raw search
(:meth:`ChainIndex.search`); ``itertools.islice(networkx.shortest_simple_paths(U, s, t, "cost"), 3)``
(Yen's algorithm over bidirectional Dijkstra, no hop limit); igraph's ``get_k_shortest_paths``
(Yen, C; no hop limit). Peak memory (tracemalloc, Python allocations incl. numpy buffers) for
compiling the index and for the trustgraph queries. Agreement: where the peers' three best paths
are all within 5 hops, their costs must equal trustgraph's.

Why it is fast: the query first computes exact hop-bounded distances to t, ``b[r][v]`` = cheapest
walk v → t in ≤ r hops, by a Bellman–Ford that meets in the middle (⌊5/2⌋ = 2 vectorised rounds
backward from t over its in-neighbourhood, the other rounds only on parties within reach of s), and
then enumerates partial chains best first with priority cost + ``b[hops left][node]``. ``b`` is an
exact, consistent lower bound, so the search walks straight down the cheapest chains and the first k
complete chains off the queue are the k strongest; siblings are pushed lazily, so a hub with
thousands of partners costs one push. Yen's algorithm instead reruns a shortest-path search from
every node of every chain found ("spur" searches), each exploring a large part of the graph.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import math
import random
import statistics
import time
import tracemalloc
from pathlib import Path

import networkx as nx
import numpy as np

from trustgraph.analysis.chains import ChainIndex, vouching_chains
from trustgraph.graph import project
from trustgraph.importers import read_snap_signed

EPINIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "epinions" / "soc-sign-epinions.txt.gz"
K = 3
MAX_HOPS = 5


def summary(name: str, seconds: list[float]) -> str:
    ms = np.array(seconds) * 1000
    return (f"  {name:<44} median {np.median(ms):8.2f} ms   p95 {np.percentile(ms, 95):8.2f} ms   "
            f"max {ms.max():8.1f} ms   total {ms.sum() / 1000:6.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=EPINIONS)
    parser.add_argument("--pairs", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-peers", action="store_true", help="time trustgraph only")
    args = parser.parse_args()

    t0 = time.perf_counter()
    tables = read_snap_signed(args.data)
    t1 = time.perf_counter()
    G = project(tables, half_life_days=None)
    t2 = time.perf_counter()
    del tables
    gc.collect()
    tracemalloc.start()
    t3 = time.perf_counter()
    index = ChainIndex(G)
    t4 = time.perf_counter()
    _, index_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"Epinions: {G.number_of_nodes():,} parties, {G.number_of_edges():,} trust edges, "
          f"{index.edges:,} usable hops (positive)")
    print(f"  import {t1 - t0:.1f} s, project {t2 - t1:.1f} s, ChainIndex {t4 - t3:.2f} s "
          f"(peak {index_peak / 2**20:.0f} MiB) — once per graph, not per query")

    U = nx.DiGraph()
    U.add_nodes_from(G)
    U.add_edges_from((u, v, {"cost": -math.log(t)}) for u, v, t in G.edges(data="trust") if t > 0.5)
    rng = random.Random(args.seed)
    outs = sorted((n for n in U if U.out_degree(n)), key=str)
    ins = sorted((n for n in U if U.in_degree(n)), key=str)
    pairs: list[tuple[str, str]] = []
    drawn = 0
    while len(pairs) < args.pairs:
        s, t = rng.choice(outs), rng.choice(ins)
        if s == t:
            continue
        drawn += 1
        try:
            hops = len(nx.bidirectional_shortest_path(U, s, t)) - 1
        except nx.NetworkXNoPath:
            continue
        if hops <= MAX_HOPS:
            pairs.append((s, t))
    print(f"  {len(pairs)} connected pairs (≤ {MAX_HOPS} hops) out of {drawn} drawn, seed {args.seed}\n")

    ours: list[float] = []
    raw: list[float] = []
    found: list[list[float]] = []
    for s, t in pairs:
        gc.collect()
        a = time.perf_counter()
        chains = vouching_chains(G, s, t, k=K, max_hops=MAX_HOPS, index=index)
        ours.append(time.perf_counter() - a)
        a = time.perf_counter()
        index.search(s, t, k=K, max_hops=MAX_HOPS)
        raw.append(time.perf_counter() - a)
        found.append([-math.log(c.strength) for c in chains])
        for c in chains:
            if c.hops > MAX_HOPS or any(not G.has_edge(u, v) for u, v in itertools.pairwise(c.path)):
                raise SystemExit(f"bad chain {c.path}")
    tracemalloc.start()
    for s, t in pairs[:20]:
        vouching_chains(G, s, t, k=K, max_hops=MAX_HOPS, index=index)
    _, query_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"chain k={K} max-hops {MAX_HOPS} ({len(pairs)} pairs; chains found: "
          f"{statistics.mean(len(f) for f in found):.2f} per pair on average)")
    print(summary("trustgraph vouching_chains", ours) + f"   peak {query_peak / 2**20:.1f} MiB")
    print(summary("trustgraph ChainIndex.search (paths only)", raw))
    med, p95 = np.median(ours) * 1000, np.percentile(ours, 95) * 1000
    print(f"  targets: median ≤ 100 ms ({'met' if med <= 100 else 'MISSED'}), "
          f"p95 ≤ 1000 ms ({'met' if p95 <= 1000 else 'MISSED'})")
    if args.no_peers:
        return

    theirs: list[float] = []
    agree = comparable = longer = 0
    for (s, t), mine in zip(pairs, found, strict=True):
        gc.collect()
        a = time.perf_counter()
        paths = list(itertools.islice(nx.shortest_simple_paths(U, s, t, weight="cost"), K))
        theirs.append(time.perf_counter() - a)
        if all(len(p) - 1 <= MAX_HOPS for p in paths):
            comparable += 1
            costs = [nx.path_weight(U, p, "cost") for p in paths]
            agree += len(costs) == len(mine) and all(abs(x - y) < 1e-9 for x, y in zip(costs, mine, strict=True))
        else:
            longer += 1
    print(summary("networkx.shortest_simple_paths (first 3)", theirs))
    print(f"    same costs as trustgraph on {agree}/{comparable} pairs whose 3 best paths are ≤ {MAX_HOPS} hops "
          f"({longer} pairs have a longer path among networkx's 3)")

    import igraph as ig

    names = list(U)
    pos = {n: i for i, n in enumerate(names)}
    edges = [(pos[u], pos[v]) for u, v in U.edges]
    H = ig.Graph(n=len(names), edges=edges, directed=True)
    H.es["cost"] = [c for _, _, c in U.edges(data="cost")]
    peer: list[float] = []
    for s, t in pairs:
        a = time.perf_counter()
        H.get_k_shortest_paths(pos[s], to=pos[t], k=K, weights="cost", mode="out")
        peer.append(time.perf_counter() - a)
    print(summary("igraph get_k_shortest_paths (C, Yen)", peer))
    print(f"\n  speed-up of trustgraph (median): ×{np.median(theirs) / np.median(ours):.0f} over networkx, "
          f"×{np.median(peer) / np.median(ours):.1f} over igraph")


if __name__ == "__main__":
    main()
