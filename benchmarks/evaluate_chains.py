"""Protocol V of ../shared/EVALUATION.md: vouching chains on leak-free Bitcoin OTC, Advogato group
acceptance per level, and the Sybil bound.

Run from the repository root::

    .venv/bin/python benchmarks/evaluate_chains.py [--data ../shared/data] [--seed 7]

Chains (leak-free OTC, see ``otc_protocol.py``): the ratings are projected with no decay
(``project(..., half_life_days=None)``), so a hop is usable exactly when its rating is positive
(Beta trust > 0.5). For each of the 280 labelled users outside T the script asks trustgraph's public
API (:func:`trustgraph.analysis.chains.vouching_chains`, one compiled :class:`ChainIndex`) for the
strongest chain of at most 2 and at most 3 hops from any member of T, and reports the share of benign
and of fraudulent users that have one (independent figures: 87 % / 19 % and 91 % / 32 %). Every
returned chain is checked hop by hop against the leak-free rating file (each hop must be a positive
rating that is still there), and the shares are recomputed by a plain breadth-first search over the
positive ratings, independently of trustgraph.

Advogato: :func:`trustgraph.analysis.acceptance.advogato_levels` with seeds raph, miguel, federico,
alan and capacities 800, 200, 200, 50, 12, 4, 2, 1 (an independent implementation accepts 601 at
every level). Sybil bound: k accepted users (chosen with ``--seed``) each certify 10 members of a
1,000-node fake region whose members certify 10 others each; the accepted fakes are counted against
the compromised users' total capacity, with Advogato's capacities and with the seeds widened to
5,000 each (so that the seeds are no longer the bottleneck and fakes compete for real).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import deque
from pathlib import Path

import networkx as nx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from otc_protocol import DATA_DIR, leak_free_otc  # noqa: E402

from trustgraph.analysis.acceptance import (  # noqa: E402
    ADVOGATO_CAPACITIES,
    ADVOGATO_SEEDS,
    advogato_levels,
    group_acceptance,
)
from trustgraph.analysis.chains import ChainIndex, vouching_chains  # noqa: E402
from trustgraph.graph import project  # noqa: E402
from trustgraph.importers import read_konect  # noqa: E402

ANCHORS = {2: (0.87, 0.19), 3: (0.91, 0.32)}


def otc_chains(data_dir: Path) -> None:
    tables, trusted, labels = leak_free_otc(data_dir)
    refs = tables["referrals"]
    positive = {(str(s), str(t)) for s, t, w in zip(refs["source"], refs["target"], refs["strength"].astype(float),
                                                    strict=True) if w > 0}
    t0 = time.perf_counter()
    G = project(tables, half_life_days=None)
    index = ChainIndex(G)
    build = time.perf_counter() - t0
    print(f"leak-free Bitcoin OTC: {len(refs):,} ratings left, |T| = {len(trusted)}, "
          f"{sum(labels.values())} fraudulent + {len(labels) - sum(labels.values())} benign labelled users outside T")
    print(f"  projection + index: {build:.2f} s")
    sources = sorted(trusted, key=int)

    # Independent: hop distance from T over positive ratings (breadth-first, multi-source).
    out: dict[str, list[str]] = {}
    for s, t in positive:
        out.setdefault(s, []).append(t)
    dist = {s: 0 for s in sources}
    queue = deque(sources)
    while queue:
        u = queue.popleft()
        for v in out.get(u, ()):
            if v not in dist:
                dist[v] = dist[u] + 1
                queue.append(v)

    print(f"  {'hops':>4}  {'benign':>7}  {'fraud':>7}  {'anchor':>11}  {'BFS check':>11}  chains  bad hops  time")
    for hops in (2, 3):
        t0 = time.perf_counter()
        reached: dict[str, bool] = {}
        checked = bad = 0
        for user in sorted(labels, key=int):
            best = None
            for s in sources:
                chains = vouching_chains(G, s, user, k=1, max_hops=hops, index=index)
                if chains and (best is None or chains[0].strength > best.strength):
                    best = chains[0]
            reached[user] = best is not None
            if best is not None:
                checked += 1
                bad += sum((a, b) not in positive for a, b in zip(best.path[:-1], best.path[1:], strict=True))
                assert best.hops <= hops and best.path[0] in trusted and best.path[-1] == user
        elapsed = time.perf_counter() - t0
        benign = [u for u, y in labels.items() if y == 0]
        fraud = [u for u, y in labels.items() if y == 1]
        share_b = sum(reached[u] for u in benign) / len(benign)
        share_f = sum(reached[u] for u in fraud) / len(fraud)
        bfs_b = sum(dist.get(u, 99) <= hops for u in benign) / len(benign)
        bfs_f = sum(dist.get(u, 99) <= hops for u in fraud) / len(fraud)
        anchor = ANCHORS[hops]
        print(f"  {'≤' + str(hops):>4}  {share_b:7.1%}  {share_f:7.1%}  {anchor[0]:4.0%} / {anchor[1]:3.0%}  "
              f"{bfs_b:5.1%}/{bfs_f:5.1%}  {checked:6d}  {bad:8d}  {elapsed:.1f} s")
        if bad:
            raise SystemExit(f"{bad} hop(s) of returned chains are not positive ratings in the leak-free file")


def _advogato(data_dir: Path) -> tuple[nx.DiGraph, list[str]]:
    G = project(read_konect(data_dir / "advogato" / "out.advogato"), half_life_days=None)
    by_name = {name: node for node, name in G.nodes(data="name")}
    return G, [by_name[s] for s in ADVOGATO_SEEDS]


def advogato(data_dir: Path, seed: int) -> None:
    G, seeds = _advogato(data_dir)
    t0 = time.perf_counter()
    per_level, rows = advogato_levels(G, seeds, capacities=ADVOGATO_CAPACITIES)
    elapsed = time.perf_counter() - t0
    print(f"\nAdvogato: {G.number_of_nodes():,} accounts, {G.number_of_edges():,} certifications; seeds "
          f"{', '.join(ADVOGATO_SEEDS)}; capacities {','.join(map(str, ADVOGATO_CAPACITIES))}")
    print(f"  {'level':<11} {'accepted':>8} {'reached':>8}  (independent implementation: 601 each)")
    for name, r in per_level.items():
        print(f"  {name:<11} {r.flow:8d} {len(r.distance):8d}")
    print(f"  three levels in {elapsed:.2f} s; {len(rows)} accounts accepted at some level")

    print("\nSybil bound: k compromised accepted users certify into a 1,000-node fake region")
    print(f"  {'capacities':<28} {'k':>3} {'fakes accepted':>15} {'bound Σc(x)':>12}")
    rng = random.Random(seed)
    fakes = [f"fake{i}" for i in range(1000)]
    fake_edges = [(f, g) for f in fakes for g in rng.sample(fakes, 10) if g != f]
    for caps in (ADVOGATO_CAPACITIES, (100_000, 5_000, 200, 50, 12, 4, 2, 1)):
        honest = group_acceptance(G, seeds, level="apprentice", capacities=caps)
        pool = [n for n in honest.accepted if n not in seeds]
        for k in (1, 5, 20, 50):
            compromised = rng.sample(pool, k)
            attacked = G.copy()
            attacked.add_edges_from(fake_edges, positive=1.0, negative=0.0)
            for c in compromised:
                attacked.add_edges_from(((c, f) for f in rng.sample(fakes, 10)), positive=1.0, negative=0.0)
            result = group_acceptance(attacked, seeds, level="apprentice", capacities=caps)
            n_fakes = sum(1 for n in result.accepted if str(n).startswith("fake"))
            bound = sum(result.capacity[c] for c in compromised)
            flag = "" if n_fakes <= bound else "  VIOLATED"
            print(f"  {','.join(map(str, caps[:3])) + ',…':<28} {k:3d} {n_fakes:15d} {bound:12d}{flag}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="the shared data folder")
    parser.add_argument("--seed", type=int, default=7, help="seed for the Sybil experiment")
    args = parser.parse_args()
    otc_chains(args.data)
    advogato(args.data, args.seed)


if __name__ == "__main__":
    main()
