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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_flow

from ..errors import NotFoundError

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
_ROOT = object()


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

    def rows(self, G: nx.DiGraph | None = None) -> list[dict[str, Any]]:
        """One row per accepted party: ``id``, ``name``, ``level``, ``distance``, ``capacity``."""
        return [
            {
                "id": n,
                "name": None if G is None or n not in G else G.nodes[n].get("name"),
                "level": self.level,
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


def certification_graph(G: nx.DiGraph, threshold: float, *, weight: str | None = None) -> dict[Any, list[Any]]:
    """Adjacency lists of the certifications at strength ≥ ``threshold`` (self-certifications dropped)."""
    adj: dict[Any, list[Any]] = {}
    for u, v, data in G.edges(data=True):
        if u != v and _strength(data, weight) >= threshold - _EPS:
            adj.setdefault(u, []).append(v)
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


def _max_flow_scipy(
    n_nodes: int, rows: list[int], cols: list[int], caps: list[int], source: int, sink: int
) -> np.ndarray:
    """Flow on each listed edge (scipy's Dinic)."""
    data = np.asarray(caps, dtype=np.int32)
    graph = sp.csr_array((data, (np.asarray(rows), np.asarray(cols))), shape=(n_nodes, n_nodes))
    result = maximum_flow(graph, source, sink, method="dinic")
    flow = sp.csr_array(result.flow)
    return np.asarray(flow[np.asarray(rows), np.asarray(cols)]).ravel()


def _max_flow_networkx(rows: list[int], cols: list[int], caps: list[int], source: int, sink: int) -> np.ndarray:
    """Flow on each listed edge (networkx's preflow-push)."""
    H = nx.DiGraph()
    H.add_edges_from((r, c, {"capacity": cap}) for r, c, cap in zip(rows, cols, caps, strict=True))
    _, flow = nx.maximum_flow(H, source, sink, flow_func=nx.algorithms.flow.preflow_push)
    return np.array([flow[r][c] for r, c in zip(rows, cols, strict=True)])


def group_acceptance(
    G: nx.DiGraph,
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
    G : networkx.DiGraph
        The trust graph (edges carry ``positive``/``negative`` evidence, or ``weight``).
    seeds : sequence of nodes
        The trusted seeds (certified by the virtual root).
    level : str or float, default "apprentice"
        A name in :data:`LEVELS` or a minimum certification strength.
    capacities : sequence of int, default :data:`ADVOGATO_CAPACITIES`
        Capacity by distance from the root (index 0: the root, 1: the seeds, …); the last value
        applies to every larger distance. Each must be ≥ 1.
    weight : str, optional
        Edge attribute holding the certification strength (default: net evidence, see module docs).
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
        For an unknown level name or method, no seeds, or a capacity below 1.

    Examples
    --------
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
    G: nx.DiGraph,
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
    missing = [s for s in seeds if s not in G]
    if missing:
        raise NotFoundError(f"seed(s) not in the trust graph: {', '.join(map(str, missing))}")

    adj = certification_graph(G, threshold, weight=weight)
    distance, capacity = capacities_by_distance(adj, seeds, capacities)
    parties = sorted(distance, key=lambda n: (distance[n], str(n)))
    pos = {n: i + 1 for i, n in enumerate(parties)}  # 0 is the root
    n_split = len(parties) + 1
    sink = 2 * n_split
    unbounded = min(2**31 - 1, int(capacities[0]) + sum(capacity.values()) + 1)
    rows: list[int] = []
    cols: list[int] = []
    caps: list[int] = []

    def edge(a: int, b: int, c: int) -> None:
        if c > 0:
            rows.append(a)
            cols.append(b)
            caps.append(c)

    # The root: x⁻ = 0, x⁺ = 1; it certifies the seeds.
    edge(0, 1, int(capacities[0]) - 1)
    edge(0, sink, 1)
    for s in dict.fromkeys(seeds):
        edge(1, 2 * pos[s], unbounded)
    sink_edges: dict[Any, int] = {}
    for n in parties:
        i = pos[n]
        edge(2 * i, 2 * i + 1, capacity[n] - 1)
        sink_edges[n] = len(rows)
        edge(2 * i, sink, 1)
        for v in adj.get(n, ()):
            edge(2 * i + 1, 2 * pos[v], unbounded)
    if method == "scipy":
        flow = _max_flow_scipy(sink + 1, rows, cols, caps, 0, sink)
    else:
        flow = _max_flow_networkx(rows, cols, caps, 0, sink)
    accepted = tuple(n for n in parties if flow[sink_edges[n]] > 0)
    return Acceptance(
        level=name, threshold=threshold, seeds=tuple(seeds), capacities=tuple(int(c) for c in capacities),
        accepted=accepted, distance=distance, capacity=capacity, flow=len(accepted),
    )


def advogato_levels(
    G: nx.DiGraph,
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
        row: dict[str, Any] = {"id": n, "name": G.nodes[n].get("name") if n in G else None, "level": best}
        for name in order:
            row[name] = n in accepted_sets[name]
        row["distance"] = first.distance.get(n)
        rows.append(row)
    return per_level, rows
