"""Attack-resistant group acceptance: Levien's Advogato trust metric.

Levien's metric (R. Levien, *Attack-Resistant Trust Metrics*, PhD thesis, UC Berkeley 2004; Levien
& Aiken, "Attack-resistant trust metrics for public key certification", USENIX Security 1998) decides
which parties a group accepts, given a few trusted *seeds*, so that an attacker who fools some
accepted parties into certifying a region of fake parties gets no more fakes accepted than the
fooled parties' capacity — however large the fake region.

How it is computed (:func:`group_acceptance`)
---------------------------------------------
1. Keep the certifications at or above the level asked for (a party certifies another at level
   ``ℓ`` when its certification strength is ≥ ``ℓ``; Advogato's levels are apprentice 0.6,
   journeyer 0.8, master 1.0).
2. A virtual *root* certifies every seed. Breadth-first distances from the root give each party a
   capacity: ``capacities[d]`` at distance ``d`` (the root is at 0, the seeds at 1; the last value
   applies to every larger distance). Advogato uses 800, 200, 200, 50, 12, 4, 2, 1.
3. Every party ``x`` is split into ``x⁻ → x⁺`` with capacity ``c(x) − 1``, plus an edge
   ``x⁻ → sink`` of capacity 1; a certification ``x → y`` becomes ``x⁺ → y⁻`` of unbounded capacity.
4. A maximum flow from the root to the sink; a party is accepted when its ``x⁻ → sink`` edge
   carries flow. The root's own unit is not counted.

The number accepted is the maximum flow (unique); which parties share a tie for the last units may
depend on the max-flow solver. On the real Advogato network with seeds raph, miguel, federico and
alan the three live seeds' capacity (200 each) is the bottleneck: 601 accounts are accepted at every
level, as an independent implementation finds.

Certification strength
----------------------
With ``weight=None`` a hop's certification strength is the net decayed evidence of the trust graph,
``positive − negative`` (capped at 1): one referral of strength 0.8 certifies at journeyer level, a
completed partnership (1.0) at master level, a warning certifies nothing. Pass ``weight`` to use an
edge attribute instead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import NotFoundError
from ..snapshot import Snapshot

if TYPE_CHECKING:  # imported where used: scipy for the flow, NetworkX for its solver and graphs
    import networkx as nx

__all__ = [
    "LEVELS",
    "ADVOGATO_CAPACITIES",
    "ADVOGATO_SEEDS",
    "Acceptance",
    "certification_graph",
    "capacities_by_distance",
    "group_acceptance",
    "advogato_levels",
]

#: Advogato's certification levels (minimum strength for each).
LEVELS: dict[str, float] = {"apprentice": 0.6, "journeyer": 0.8, "master": 1.0}
#: Advogato's capacities by distance from the virtual root (root, seeds, then one step further each).
ADVOGATO_CAPACITIES: tuple[int, ...] = (800, 200, 200, 50, 12, 4, 2, 1)
#: Advogato's historical seed accounts.
ADVOGATO_SEEDS: tuple[str, ...] = ("raph", "miguel", "federico", "alan")

#: Tolerance when comparing a strength with a level (0.8 read from text may be 0.7999999…).
_EPS = 1e-9
def _name(G: Snapshot | nx.DiGraph | None, node: Any) -> str | None:
    if G is None:
        return None
    if isinstance(G, Snapshot):
        i = G.find(node)
        return None if i is None else G.names[i]
    return G.nodes[node].get("name") if node in G else None


@dataclass(frozen=True)
class Acceptance:
    """Who a group accepts at one certification level.

    ``accepted`` is sorted by (distance, id); ``distance`` and ``capacity`` cover every party the
    root reaches (distance 1 = a seed); ``flow`` equals ``len(accepted)``.
    """

    level: str
    threshold: float
    seeds: tuple[Any, ...]
    capacities: tuple[int, ...]
    accepted: tuple[Any, ...]
    distance: Mapping[Any, int]
    capacity: Mapping[Any, int]
    flow: int

    def rows(self, G: Snapshot | nx.DiGraph | None = None) -> list[dict[str, Any]]:
        """One row per accepted party: ``id``, ``name`` (from ``G``), ``certification`` (the level it is
        accepted at), ``distance``, ``capacity``."""
        return [
            {
                "id": n,
                "name": _name(G, n),
                "certification": self.level,
                "distance": self.distance[n],
                "capacity": self.capacity[n],
            }
            for n in self.accepted
        ]


def _strength(data: Mapping[str, Any], weight: str | None) -> float:
    if weight is not None:
        value = data.get(weight)
        return float("nan") if value is None else float(value)
    return min(1.0, float(data.get("positive", 0.0)) - float(data.get("negative", 0.0)))


@dataclass(frozen=True)
class _Certifications:
    """The certifications at one level as arrays of party indices, in the graph's edge order."""

    n: int
    src: np.ndarray
    dst: np.ndarray
    find: Callable[[Any], int | None]
    node: Callable[[int], Any]


def _certifications(G: Snapshot | nx.DiGraph, threshold: float, weight: str | None) -> _Certifications:
    """The certifications of ``G`` at strength ≥ ``threshold``, self-certifications dropped."""
    if isinstance(G, Snapshot):
        if weight not in (None, "trust"):
            raise ValueError(f"a snapshot has no edge attribute {weight!r} (only 'trust')")
        if weight is None:
            strength = np.minimum(1.0, np.asarray(G.positive) - np.asarray(G.negative))
        else:
            strength = np.asarray(G.trust)
        keep = (G.src != G.dst) & (strength >= threshold - _EPS)
        return _Certifications(G.n, G.src[keep], G.dst[keep], G.find, G.node)
    nodes = list(G)
    index = {v: i for i, v in enumerate(nodes)}
    pairs = [(index[u], index[v]) for u, v, data in G.edges(data=True)
             if u != v and _strength(data, weight) >= threshold - _EPS]
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)

    def find(node: Any) -> int | None:
        try:
            return index.get(node)
        except TypeError:  # unhashable
            return None

    return _Certifications(len(nodes), arr[:, 0], arr[:, 1], find, nodes.__getitem__)


def certification_graph(
    G: Snapshot | nx.DiGraph, threshold: float, *, weight: str | None = None
) -> dict[Any, list[Any]]:
    """Adjacency lists of the certifications at strength ≥ ``threshold`` (self-certifications dropped)."""
    certs = _certifications(G, threshold, weight)
    adj: dict[Any, list[Any]] = {}
    for u, v in zip(certs.src.tolist(), certs.dst.tolist(), strict=True):
        adj.setdefault(certs.node(u), []).append(certs.node(v))
    return adj


def capacities_by_distance(
    adj: Mapping[Any, Sequence[Any]], seeds: Iterable[Any], capacities: Sequence[int]
) -> tuple[dict[Any, int], dict[Any, int]]:
    """Breadth-first distance from the virtual root (seeds at 1) and the capacity it gives.

    Returns ``(distance, capacity)`` for the root's reach, the root itself excluded.
    """
    distance: dict[Any, int] = {}
    queue: deque[Any] = deque()
    for s in seeds:
        if s not in distance:
            distance[s] = 1
            queue.append(s)
    while queue:
        u = queue.popleft()
        for v in adj.get(u, ()):
            if v not in distance:
                distance[v] = distance[u] + 1
                queue.append(v)
    last = len(capacities) - 1
    capacity = {n: int(capacities[min(d, last)]) for n, d in distance.items()}
    return distance, capacity


def _distances(certs: _Certifications, seeds: np.ndarray) -> np.ndarray:
    """Breadth-first distance from the virtual root (seeds at 1; 0 where unreached), one vectorised
    sweep of the certifications per level."""
    dist = np.zeros(certs.n, dtype=np.int64)
    dist[seeds] = 1
    frontier = np.zeros(certs.n, dtype=bool)
    frontier[seeds] = True
    d = 1
    while True:
        nxt = certs.dst[frontier[certs.src]]
        nxt = np.unique(nxt[dist[nxt] == 0])
        if not len(nxt):
            return dist
        d += 1
        dist[nxt] = d
        frontier[:] = False
        frontier[nxt] = True


def _max_flow_scipy(
    n_nodes: int, rows: np.ndarray, cols: np.ndarray, caps: np.ndarray, source: int, sink: int
) -> np.ndarray:
    """Flow on each listed edge (scipy's Dinic)."""
    import scipy.sparse as sp
    from scipy.sparse.csgraph import maximum_flow

    graph = sp.csr_array((caps.astype(np.int32), (rows, cols)), shape=(n_nodes, n_nodes))
    result = maximum_flow(graph, source, sink, method="dinic")
    flow = sp.csr_array(result.flow)
    return np.asarray(flow[rows, cols]).ravel()


def _max_flow_networkx(rows: np.ndarray, cols: np.ndarray, caps: np.ndarray, source: int, sink: int) -> np.ndarray:
    """Flow on each listed edge (networkx's preflow-push)."""
    import networkx as nx

    r, c = rows.tolist(), cols.tolist()
    H = nx.DiGraph()
    H.add_edges_from((a, b, {"capacity": cap}) for a, b, cap in zip(r, c, caps.tolist(), strict=True))
    _, flow = nx.maximum_flow(H, source, sink, flow_func=nx.algorithms.flow.preflow_push)
    return np.array([flow[a][b] for a, b in zip(r, c, strict=True)])


def group_acceptance(
    G: Snapshot | nx.DiGraph,
    seeds: Sequence[Any],
    *,
    level: str | float = "apprentice",
    capacities: Sequence[int] = ADVOGATO_CAPACITIES,
    weight: str | None = None,
    method: str = "scipy",
) -> Acceptance:
    """The parties accepted by Levien's max-flow trust metric at one certification level.

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph: a snapshot (its ``positive``/``negative`` evidence arrays), or a NetworkX
        graph whose edges carry ``positive``/``negative`` evidence, or ``weight``.
    seeds : sequence of nodes
        The trusted seeds (certified by the virtual root).
    level : str or float, default "apprentice"
        A name in :data:`LEVELS` or a minimum certification strength.
    capacities : sequence of int, default :data:`ADVOGATO_CAPACITIES`
        Capacity by distance from the root (index 0: the root, 1: the seeds, …); the last value
        applies to every larger distance. Each must be ≥ 1.
    weight : str, optional
        Edge attribute holding the certification strength (default: net evidence, see module docs);
        a snapshot has only ``"trust"``.
    method : {"scipy", "networkx"}
        Max-flow solver: scipy's Dinic (fast) or networkx's preflow-push.

    Returns
    -------
    Acceptance

    Raises
    ------
    NotFoundError
        If a seed is not in ``G``.
    ValueError
        For an unknown level name or method, no seeds, a capacity below 1, or a ``weight`` a
        snapshot lacks.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edges_from([("s", "a"), ("a", "b"), ("b", "c")], level=1.0)
    >>> group_acceptance(G, ["s"], capacities=(4, 3, 1), weight="level").accepted
    ('s', 'a')
    """
    if isinstance(level, str):
        if level not in LEVELS:
            raise ValueError(f"unknown level {level!r}; expected one of {', '.join(LEVELS)}")
        name, threshold = level, LEVELS[level]
    else:
        name, threshold = f"≥{level:g}", float(level)
    return _accept(G, seeds, name, threshold, capacities=capacities, weight=weight, method=method)


def _accept(
    G: Snapshot | nx.DiGraph,
    seeds: Sequence[Any],
    name: str,
    threshold: float,
    *,
    capacities: Sequence[int],
    weight: str | None,
    method: str,
) -> Acceptance:
    if not seeds:
        raise ValueError("at least one seed is needed")
    if not capacities or min(capacities) < 1:
        raise ValueError("capacities must be a non-empty list of integers ≥ 1")
    if method not in ("scipy", "networkx"):
        raise ValueError(f"unknown max-flow method {method!r}")
    certs = _certifications(G, threshold, weight)
    found = [certs.find(s) for s in seeds]
    missing = [s for s, i in zip(seeds, found, strict=True) if i is None]
    if missing:
        raise NotFoundError(f"seed(s) not in the trust graph: {', '.join(map(str, missing))}")
    seed_idx = np.array(list(dict.fromkeys(i for i in found if i is not None)), dtype=np.int64)
    dist = _distances(certs, seed_idx)
    reached = np.flatnonzero(dist > 0)
    ids = [certs.node(i) for i in reached.tolist()]
    depth = dist[reached].tolist()
    rank = sorted(range(len(ids)), key=lambda j: (depth[j], str(ids[j])))
    parties = reached[np.array(rank, dtype=np.int64)] if rank else reached
    party_ids = [ids[j] for j in rank]
    distances = [depth[j] for j in rank]
    cap_table = np.asarray(capacities, dtype=np.int64)
    cap = cap_table[np.minimum(dist[parties], len(capacities) - 1)]
    flow, sink_edges = _flow(certs, seed_idx, parties, cap, capacities, method)
    accepted = tuple(party_ids[j] for j in np.flatnonzero(flow[sink_edges] > 0).tolist())
    return Acceptance(
        level=name, threshold=threshold, seeds=tuple(seeds), capacities=tuple(int(c) for c in capacities),
        accepted=accepted, distance=dict(zip(party_ids, distances, strict=True)),
        capacity=dict(zip(party_ids, cap.tolist(), strict=True)), flow=len(accepted),
    )


def _flow(
    certs: _Certifications, seeds: np.ndarray, parties: np.ndarray, cap: np.ndarray, capacities: Sequence[int],
    method: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Max flow on the split graph of the module docs; returns the flow per edge and the position of
    each party's ``x⁻ → sink`` edge.

    The root is ``0 → 1``; party ``parties[j]`` is ``2(j+1) → 2(j+1)+1``. Edges are listed root
    first, then party by party (split edge, sink edge, its certifications in the graph's order).
    """
    R = len(parties)
    sink = 2 * (R + 1)
    unbounded = min(2**31 - 1, int(capacities[0]) + int(cap.sum()) + 1)
    pos = np.zeros(certs.n, dtype=np.int64)
    pos[parties] = np.arange(1, R + 1)
    root_split = int(capacities[0]) - 1 > 0
    head_rows = [0] * root_split + [0] + [1] * len(seeds)
    head_cols = [1] * root_split + [sink] + (2 * pos[seeds]).tolist()
    head_caps = [int(capacities[0]) - 1] * root_split + [1] + [unbounded] * len(seeds)
    # Certifications out of reached parties (they reach only reached parties), party by party.
    out = np.flatnonzero(pos[certs.src] > 0)
    out = out[np.argsort(pos[certs.src[out]], kind="stable")]
    owner = pos[certs.src[out]]
    deg = np.bincount(owner, minlength=R + 1)[1:]
    split = (cap - 1 > 0).astype(np.int64)
    size = split + 1 + deg
    base = len(head_rows) + np.cumsum(size) - size
    total = len(head_rows) + int(size.sum())
    rows = np.empty(total, dtype=np.int64)
    cols = np.empty(total, dtype=np.int64)
    caps = np.empty(total, dtype=np.int64)
    rows[:len(head_rows)], cols[:len(head_rows)], caps[:len(head_rows)] = head_rows, head_cols, head_caps
    j = np.arange(1, R + 1)
    at = base[split == 1]
    rows[at], cols[at], caps[at] = 2 * j[split == 1], 2 * j[split == 1] + 1, cap[split == 1] - 1
    sink_edges = base + split
    rows[sink_edges], cols[sink_edges], caps[sink_edges] = 2 * j, sink, 1
    first = np.cumsum(deg) - deg
    at = base[owner - 1] + split[owner - 1] + 1 + (np.arange(len(out)) - first[owner - 1])
    rows[at], cols[at], caps[at] = 2 * owner + 1, 2 * pos[certs.dst[out]], unbounded
    if method == "scipy":
        return _max_flow_scipy(sink + 1, rows, cols, caps, 0, sink), sink_edges
    return _max_flow_networkx(rows, cols, caps, 0, sink), sink_edges


def advogato_levels(
    G: Snapshot | nx.DiGraph,
    seeds: Sequence[Any],
    *,
    capacities: Sequence[int] = ADVOGATO_CAPACITIES,
    levels: Mapping[str, float] | None = None,
    weight: str | None = None,
    method: str = "scipy",
) -> tuple[dict[str, Acceptance], list[dict[str, Any]]]:
    """Run :func:`group_acceptance` at every level, as Advogato does.

    Returns
    -------
    (per_level, rows)
        ``per_level`` maps a level name to its :class:`Acceptance`; ``rows`` has one dict per party
        accepted at some level: ``id``, ``name``, ``level`` (the highest level it is accepted at, as
        Advogato shows it), one boolean per level, and the ``distance`` at the lowest level.
    """
    levels = dict(LEVELS if levels is None else levels)
    per_level = {
        name: _accept(G, seeds, name, threshold, capacities=capacities, weight=weight, method=method)
        for name, threshold in levels.items()
    }
    order = sorted(levels, key=lambda n: levels[n])
    accepted_sets = {name: set(per_level[name].accepted) for name in order}
    everyone = {n for s in accepted_sets.values() for n in s}
    first = per_level[order[0]]
    rows = []
    for n in sorted(everyone, key=lambda x: (first.distance.get(x, 1 << 30), str(x))):
        best = [name for name in order if n in accepted_sets[name]][-1]
        row: dict[str, Any] = {"id": n, "name": _name(G, n), "certification": best}
        for name in order:
            row[name] = n in accepted_sets[name]
        row["distance"] = first.distance.get(n)
        rows.append(row)
    return per_level, rows
