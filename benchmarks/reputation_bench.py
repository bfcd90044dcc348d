"""Reputation on Epinions (131,828 parties, 841,372 signed statements): time and memory per stage.

Stages, from a SQLite store loaded beforehand (the load itself is timed apart, as set-up):

1. read the tables back from the store;
2. evidence rows (``evidence_frame``) and Beta local trust (``local_trust``);
3. projection to the trust DiGraph (``project`` with the evidence of stage 2);
4. reputation (``reputation``): edge arrays from the DiGraph, EigenTrust propagation (BiCGSTAB over a
   SciPy CSR matrix), one-step distrust, ranks; the propagation alone is timed too.

Peers on the same graph, in the same run: ``networkx.pagerank`` (weight = local trust) and
python-igraph's PageRank (PRPACK, C) on the same edges, plus igraph's personalised PageRank from the
same teleport set. As a correctness check, trustgraph's propagated trust with Kamvar's normalised
endorsement over the positive statements is compared with igraph's PageRank of the positive
subgraph (the same vector in exact arithmetic): the L1 distance is printed.

Memory: the process's peak RSS after each stage (a high-water mark, it never decreases) and the
peak of Python/NumPy allocations inside the stage (``tracemalloc``, only with ``--trace``, which
slows Python-heavy stages down).

Targets (issue 5): propagation within 2× igraph's PageRank time; end-to-end from the store ≤ 20 s;
peak ≤ 2 GiB.

Run: ``.venv/bin/python benchmarks/reputation_bench.py [PATH] [--trace] [--no-networkx]``
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import networkx as nx
import numpy as np

from trustgraph.analysis.reputation import EVERYONE, _edges, _propagate, _teleport, propagated_trust, reputation
from trustgraph.evidence import evidence_frame, local_trust
from trustgraph.graph import project
from trustgraph.importers import read_snap_signed
from trustgraph.store import SqliteStore, Store
from trustgraph.store.base import tables as store_tables

DEFAULT = Path(__file__).resolve().parents[2] / "shared" / "data" / "epinions" / "soc-sign-epinions.txt.gz"
T = TypeVar("T")


def rss_gib() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


class Stages:
    def __init__(self, trace: bool) -> None:
        self.trace = trace
        self.seconds: dict[str, float] = {}

    def run(self, name: str, func: Callable[[], T], repeat: int = 1) -> T:
        """Time ``func``; with ``repeat`` > 1 the median of that many runs (for the fast primitives
        compared with each other, where one run on a shared machine is mostly noise)."""
        if self.trace:
            tracemalloc.start()
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            value = func()
            times.append(time.perf_counter() - t0)
        elapsed = float(np.median(times))
        traced = ""
        if self.trace:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            traced = f"   stage peak {peak / 2**20:7.1f} MiB"
        self.seconds[name] = elapsed
        label = f"{name} (median of {repeat})" if repeat > 1 else name
        print(f"  {label:<70} {elapsed:7.3f} s   process peak RSS {rss_gib():5.2f} GiB{traced}", flush=True)
        return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--trace", action="store_true", help="also trace Python/NumPy allocations per stage")
    parser.add_argument("--no-networkx", action="store_true", help="skip the (slow) networkx.pagerank peer")
    args = parser.parse_args(argv)
    st = Stages(args.trace)
    print(f"input: {args.path}")
    with tempfile.TemporaryDirectory() as tmp:
        print("set-up (not part of end-to-end):")
        store = SqliteStore(Path(tmp) / "epinions.db")
        st.run("import SNAP file into a fresh SQLite store", lambda: store.load(dict(read_snap_signed(args.path))))
        store.close()

        print("trustgraph, end to end from the store:")
        store = SqliteStore(Path(tmp) / "epinions.db")
        tables = st.run("1. read tables from SQLite", lambda: store_tables(cast(Store, store)))
        ev = st.run("2a. evidence rows (evidence_frame)", lambda: evidence_frame(tables, half_life_days=None))
        st.run("2b. local trust (local_trust; again inside 3)", lambda: local_trust(ev))
        G = st.run("3. projection: local trust + DiGraph (project)",
                   lambda: project(tables, half_life_days=None, evidence=ev))
        result = st.run("4. reputation (arrays + propagation + scores)", lambda: reputation(G, pretrusted=EVERYONE))
        store.close()
        e2e_rss = rss_gib()
        print(f"  graph: {G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges; "
              f"{result.iterations} solver iterations (BiCGSTAB)")

        print("propagation alone, on arrays already extracted from the graph:")
        nodes = list(G)
        index = {v: i for i, v in enumerate(nodes)}
        src, dst, opinion, _ = st.run("edge arrays from the DiGraph", lambda: _edges(G, index, "trust"))
        p, _ = _teleport(G, index, EVERYONE, None)
        n = len(nodes)
        t_ours, iters = st.run("EigenTrust propagation (BiCGSTAB on SciPy CSR, capped)",
                               lambda: _propagate(n, src, dst, opinion, p, 0.85, 1e-10, 1000, "capped"), repeat=5)
        top = np.argsort(-t_ours)[:100]
        seeds = [nodes[i] for i in top]
        ps, _ = _teleport(G, index, seeds, None)
        st.run("EigenTrust propagation, personalised (100 seeds)",
               lambda: _propagate(n, src, dst, opinion, ps, 0.85, 1e-10, 1000, "capped"), repeat=5)

        print("peers on the same graph:")
        import igraph as ig

        graph = st.run("igraph: Graph from the same edge arrays", lambda: ig.Graph(
            n=n, edges=np.column_stack([src, dst]).tolist(), directed=True))
        weights = (opinion + 1.0) / 2.0
        st.run("igraph: pagerank (PRPACK), weight = local trust",
               lambda: graph.pagerank(weights=weights.tolist(), damping=0.85, directed=True), repeat=5)
        st.run("igraph: personalized_pagerank (100 seeds)",
               lambda: graph.personalized_pagerank(weights=weights.tolist(), damping=0.85, directed=True,
                                                   reset_vertices=[int(i) for i in top]), repeat=5)
        positive = opinion > 0
        pos_graph = ig.Graph(n=n, edges=np.column_stack([src[positive], dst[positive]]).tolist(), directed=True)
        pr_pos: Any = st.run("igraph: pagerank of the positive subgraph", lambda: pos_graph.pagerank(damping=0.85))
        if not args.no_networkx:
            st.run("networkx.pagerank, weight = local trust", lambda: nx.pagerank(G, alpha=0.85, weight="trust"))

    kamvar = propagated_trust(G, pretrusted=EVERYONE, endorsement="normalised")
    l1 = float(np.abs(np.array([kamvar[v] for v in nodes]) - np.array(pr_pos)).sum())
    s = st.seconds
    e2e = (s["1. read tables from SQLite"] + s["2a. evidence rows (evidence_frame)"]
           + s["3. projection: local trust + DiGraph (project)"] + s["4. reputation (arrays + propagation + scores)"])
    prop = s["EigenTrust propagation (BiCGSTAB on SciPy CSR, capped)"]
    ig_pr = s["igraph: pagerank (PRPACK), weight = local trust"]
    print()
    print(f"check: L1(trustgraph normalised EigenTrust, igraph PageRank of positive subgraph) = {l1:.2e}")
    print(f"end to end from the store (1 + 2a + 3 + 4): {e2e:6.2f} s   (target <= 20 s)")
    print(f"propagation / igraph pagerank:             {prop / ig_pr:6.2f}x  ({prop:.3f} s vs {ig_pr:.3f} s;"
          f" target <= 2x) in {iters} iterations")
    if "networkx.pagerank, weight = local trust" in s:
        ratio = s["4. reputation (arrays + propagation + scores)"] / s["networkx.pagerank, weight = local trust"]
        print(f"reputation (4) / networkx.pagerank:         {ratio:6.2f}x")
    print(f"peak RSS after trustgraph's stages:        {e2e_rss:6.2f} GiB (target <= 2 GiB); "
          f"after the peers {rss_gib():.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
