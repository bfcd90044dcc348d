"""Louvain communities: trustgraph's vectorised Louvain next to networkx's and igraph's, same graphs.

Two graphs, both the ones the product groups:

* **Epinions' mutual endorsements** — the vouching groups of ``contagion`` (docs/contagion.md,
  "Vouching groups"): the pairs of unlisted parties that each gave the other a net-positive
  referral, weighted by the lesser of the two, with 1,000 seeded listings (as ``contagion_bench.py``);
* **a big map's positive ties** — the synthetic 20,000-organisation network of ``map_bench.py``,
  its projected ties counted per pair, as an aggregated map groups its drawn ties (docs/maps.md,
  "Big networks").

For each: wall time (best of ``--repeat``) and Newman modularity of the partition, for
``trustgraph.analysis.communities.louvain`` (seeds 0..``--seeds``-1), ``networkx.community.louvain_communities``
(same seeds) and python-igraph's ``community_multilevel`` (C, a benchmark-only extra; seeded through
Python's ``random``). The graph is built from the same edge arrays for each; building it is timed
apart for the peers.

Run: ``.venv/bin/python benchmarks/communities_bench.py`` (about a minute); ``--batches 8`` (or 32,
128) to run trustgraph's with another number of batches per sweep.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from trustgraph.analysis import communities
from trustgraph.analysis.communities import louvain, modularity

sys.path.insert(0, str(Path(__file__).resolve().parent))

EPINIONS = Path(__file__).resolve().parents[2] / "shared" / "data" / "epinions" / "soc-sign-epinions.txt.gz"


def epinions_mutual(path: Path, listed: int, seed: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    from trustgraph.analysis.contagion import _endorsements, _listed_mask
    from trustgraph.graph import project
    from trustgraph.importers import read_snap_signed
    from trustgraph.snapshot import from_graph

    G = project(read_snap_signed(path), half_life_days=None)
    nodes = sorted(G.nodes, key=lambda v: (len(str(v)), str(v)))
    chosen = [str(v) for v in np.random.default_rng(seed).choice(nodes, size=listed, replace=False)]
    snap = from_graph(G)
    mask = _listed_mask(snap, chosen)
    src, dst, pos, neg = _endorsements(snap)
    net = np.maximum(pos - neg, 0.0)
    keep = (net > 0) & (src != dst) & ~mask[src] & ~mask[dst]
    A = sp.csr_matrix((net[keep], (src[keep], dst[keep])), shape=(snap.n, snap.n))
    A.sum_duplicates()
    mutual = sp.triu(A.minimum(A.T), k=1).tocoo()
    return snap.n, mutual.row.astype(np.int64), mutual.col.astype(np.int64), mutual.data


def map_ties(n: int) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    from map_bench import synthetic_tables

    from trustgraph.graph import project

    G = project(synthetic_tables(n))
    index = {v: i for i, v in enumerate(sorted(G.nodes, key=str))}
    counts: dict[tuple[int, int], float] = {}
    for u, v in G.edges:
        a, b = sorted((index[u], index[v]))
        if a != b:
            counts[(a, b)] = counts.get((a, b), 0.0) + 1.0
    pairs = np.array(list(counts), dtype=np.int64)
    return len(index), pairs[:, 0], pairs[:, 1], np.array(list(counts.values()))


def best_of(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def compare(name: str, n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray, seeds: int, repeat: int) -> None:
    A = sp.csr_matrix((np.r_[w, w], (np.r_[src, dst], np.r_[dst, src])), shape=(n, n))
    m = float(w.sum())

    def labels(groups: Any) -> np.ndarray:
        out = np.arange(n, dtype=np.int64)
        for i, g in enumerate(groups):
            out[np.fromiter(g, dtype=np.int64)] = n + i
        return np.unique(out, return_inverse=True)[1]

    print(f"\n{name}: {n:,} nodes, {len(src):,} weighted pairs")
    print(f"{'method':<46} {'seed':>4} {'best s':>7} {'modularity':>10} {'communities':>11}")
    rows: dict[str, list[tuple[float, float]]] = {}

    def row(method: str, seed: int, secs: float, label: np.ndarray) -> None:
        q = modularity(A, label, m)
        k = len(np.unique(label[np.unique(np.r_[src, dst])]))
        rows.setdefault(method, []).append((secs, q))
        print(f"{method:<46} {seed:>4} {secs:>7.2f} {q:>10.4f} {k:>11,}")

    for seed in range(seeds):
        secs, label = best_of(lambda s=seed: louvain(n, src, dst, w, seed=s), repeat)
        row("trustgraph louvain (vectorised)", seed, secs, label)
    t = time.perf_counter()
    H = nx.Graph()  # the nodes with an edge only (the rest are communities of one): networkx's best case
    H.add_weighted_edges_from(zip(src.tolist(), dst.tolist(), w.tolist(), strict=True))
    print(f"{'  (networkx graph built, once)':<46} {'':>4} {time.perf_counter() - t:>7.2f}")
    for seed in range(seeds):
        secs, groups = best_of(lambda s=seed: nx.community.louvain_communities(H, weight="weight", seed=s), 1)
        row("networkx louvain_communities", seed, secs, labels(groups))
    try:
        import igraph as ig
    except ImportError:
        print("python-igraph not installed (pip install -e '.[bench]'): its row is left out")
    else:
        t = time.perf_counter()
        g = ig.Graph(n=n, edges=np.c_[src, dst].tolist(), directed=False)
        print(f"{'  (igraph graph built, once)':<46} {'':>4} {time.perf_counter() - t:>7.2f}")
        for seed in range(seeds):
            ig.set_random_number_generator(random.Random(seed))
            try:
                secs, part = best_of(lambda: g.community_multilevel(weights=w.tolist()), repeat)
            finally:
                ig.set_random_number_generator(random)
            row("igraph community_multilevel (C)", seed, secs, np.asarray(part.membership))
    ours = rows["trustgraph louvain (vectorised)"]
    for method, vals in rows.items():
        print(f"  {method:<44} mean {np.mean([s for s, _ in vals]):.2f} s, modularity "
              f"{np.mean([q for _, q in vals]):.4f} ({min(q for _, q in vals):.4f}-{max(q for _, q in vals):.4f}); "
              f"time / ours {np.mean([s for s, _ in vals]) / np.mean([s for s, _ in ours]):.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--path", type=Path, default=EPINIONS)
    ap.add_argument("--listed", type=int, default=1000)
    ap.add_argument("--map-size", type=int, default=20000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--batches", type=int, help="batches per sweep (default: the product's, "
                    f"{communities.BATCHES}); to see that the choice only trades speed")
    args = ap.parse_args()
    if args.batches:
        communities.BATCHES = args.batches
    compare("Epinions mutual endorsements (1,000 listed)", *epinions_mutual(args.path, args.listed, 0),
            args.seeds, args.repeat)
    compare(f"map_bench network of {args.map_size:,}: positive ties", *map_ties(args.map_size), args.seeds,
            args.repeat)


if __name__ == "__main__":
    main()
