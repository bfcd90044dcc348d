"""Fast, seeded node positions for large maps (so the browser needs no physics to draw them).

Live force simulation in the browser is pleasant for a hundred nodes and unusable for thousands:
the page would be frozen for seconds and the picture would change under the analyst's eyes. Maps
above a few hundred nodes therefore ship precomputed positions, computed here in two steps:

1. **Pivot MDS** (Brandes & Pich, "Eigensolver Methods for Progressive Multidimensional Scaling of
   Large Data", Graph Drawing 2006): breadth-first distances from ``k`` pivots (chosen max-min,
   the first one by ``seed``), double-centred, projected on the two leading eigenvectors. It places
   the global structure in ``O(k·(n + m))``.
2. **Local force refinement**: Fruchterman & Reingold's repulsion ``k²/d`` ("Graph Drawing by
   Force-directed Placement", 1991) cut off at 2.5 units (neighbour pairs found with a k-d tree),
   against linear (Hooke) attraction along edges rather than FR's quadratic one, which crowds the
   leaves of hubs. It spreads the nodes Pivot MDS puts on top of each other without the quadratic
   cost of full repulsion. Before it, positions are scaled to about one node per unit², the density
   at which the cut-off repulsion meets a dozen neighbours per node.

Connected components are laid out separately and packed in rows, largest first, so a handful of
isolated parties do not stretch the picture. Everything is deterministic for a given ``seed``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

__all__ = ["DEFAULT_PIVOTS", "DEFAULT_ITERATIONS", "layout_positions", "pivot_mds", "refine"]

#: Pivots of Pivot MDS; Brandes & Pich find 50 enough for graphs of many thousand nodes.
DEFAULT_PIVOTS = 50
#: Refinement rounds; the cooling schedule is linear over them.
DEFAULT_ITERATIONS = 60


def _adjacency(n: int, src: np.ndarray, dst: np.ndarray) -> sparse.csr_matrix:
    """Symmetric, unweighted adjacency without self-loops or duplicate entries."""
    keep = src != dst
    src, dst = src[keep], dst[keep]
    data = np.ones(2 * len(src), dtype=np.int8)
    adj = sparse.coo_matrix((data, (np.r_[src, dst], np.r_[dst, src])), shape=(n, n)).tocsr()
    adj.data[:] = 1
    return adj


def pivot_mds(adj: sparse.csr_matrix, *, pivots: int = DEFAULT_PIVOTS, seed: int = 0) -> np.ndarray:
    """Pivot MDS positions of a *connected* graph (Brandes & Pich 2006).

    Parameters
    ----------
    adj : scipy.sparse.csr_matrix
        Symmetric adjacency of a connected graph with at least two nodes.
    pivots : int
        Number of pivots ``k`` (all nodes when the graph is smaller).
    seed : int
        Chooses the first pivot; the others follow max-min.

    Returns
    -------
    numpy.ndarray
        ``(n, 2)`` positions, in units of hops (about one per edge).
    """
    n = adj.shape[0]
    k = min(int(pivots), n)
    rng = np.random.default_rng(seed)
    dist = np.empty((n, k))
    nearest = np.full(n, np.inf)
    pivot = int(rng.integers(n))
    for t in range(k):
        d = np.asarray(csgraph.shortest_path(adj, method="D", unweighted=True, indices=pivot), dtype=float)
        dist[:, t] = d
        nearest = np.minimum(nearest, d)
        pivot = int(np.argmax(nearest))
    sq = dist**2
    centred = -0.5 * (sq - sq.mean(axis=0, keepdims=True) - sq.mean(axis=1, keepdims=True) + sq.mean())
    _, vectors = np.linalg.eigh(centred.T @ centred)
    pos = centred @ vectors[:, ::-1][:, :2]
    if pos.shape[1] < 2:
        pos = np.c_[pos, np.zeros(n)]
    return np.asarray(pos)


def refine(
    pos: np.ndarray,
    src: np.ndarray,
    dst: np.ndarray,
    *,
    iterations: int = DEFAULT_ITERATIONS,
    seed: int = 0,
) -> np.ndarray:
    """Cut-off Fruchterman–Reingold repulsion against linear edge attraction (a new array).

    Parameters
    ----------
    pos : numpy.ndarray
        ``(n, 2)`` starting positions, about one node per unit².
    src, dst : numpy.ndarray
        Edge end indices.
    iterations : int
        Rounds; the largest step falls linearly from 0.5 to 0.02 edge lengths.
    seed : int
        Seeds the jitter that separates nodes placed on the same point.

    Returns
    -------
    numpy.ndarray
        The refined ``(n, 2)`` positions.
    """
    n = len(pos)
    rng = np.random.default_rng(seed)
    p = np.array(pos, dtype=float) + rng.normal(scale=0.05, size=(n, 2))
    keep = src != dst
    src, dst = src[keep], dst[keep]
    cutoff = 2.5
    for it in range(max(int(iterations), 0)):
        step = 0.5 - (0.5 - 0.02) * it / max(iterations - 1, 1)
        disp = np.zeros((n, 2))
        pairs = cKDTree(p).query_pairs(cutoff, output_type="ndarray")
        if len(pairs):
            a, b = pairs[:, 0], pairs[:, 1]
            delta = p[a] - p[b]
            d2 = np.maximum((delta**2).sum(axis=1), 1e-6)
            # FR repulsion k²/d along the unit vector: delta · k² / d² (k = 1).
            push = delta / d2[:, None]
            for c in (0, 1):
                disp[:, c] += np.bincount(a, weights=push[:, c], minlength=n)
                disp[:, c] -= np.bincount(b, weights=push[:, c], minlength=n)
        if len(src):
            delta = p[src] - p[dst]
            # Hooke attraction d along the unit vector: delta itself.
            pull = delta
            for c in (0, 1):
                disp[:, c] -= np.bincount(src, weights=pull[:, c], minlength=n)
                disp[:, c] += np.bincount(dst, weights=pull[:, c], minlength=n)
        length = np.sqrt((disp**2).sum(axis=1))
        scale = np.minimum(length, step) / np.maximum(length, 1e-12)
        p += disp * scale[:, None]
    return p


def _small(size: int) -> np.ndarray:
    if size == 1:
        return np.zeros((1, 2))
    if size == 2:
        return np.array([[-0.5, 0.0], [0.5, 0.0]])
    return np.array([[-0.5, -0.29], [0.5, -0.29], [0.0, 0.58]])


def _normalise(pos: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Scale so that the median edge is at least one unit long and the density about one node per unit².

    Small-world graphs have a small diameter: scaled by edge length alone their thousands of nodes
    would sit on a few units, and cut-off repulsion would meet every pair.
    """
    factor = 1.0
    if len(src):
        lengths = np.sqrt(((pos[src] - pos[dst]) ** 2).sum(axis=1))
        lengths = lengths[lengths > 1e-9]
        if len(lengths):
            factor = 1.0 / float(np.median(lengths))
    rms = float(np.sqrt(((pos - pos.mean(axis=0)) ** 2).sum(axis=1).mean()))
    if rms > 1e-12:
        # A uniform disc of n nodes at one per unit² has radius √(n/π) and RMS radius √(n/2π).
        factor = max(factor, float(np.sqrt(len(pos) / (2 * np.pi))) / rms)
    return pos * factor


def _pack(parts: list[np.ndarray], gap: float = 1.5) -> list[np.ndarray]:
    """Shift each component (largest first) into rows of a landscape rectangle."""
    radii = []
    centred = []
    for pos in parts:
        c = pos - pos.mean(axis=0)
        centred.append(c)
        radii.append(float(np.sqrt((c**2).sum(axis=1)).max()) + gap / 2)
    area = sum((2 * r) ** 2 for r in radii)
    width = max(max(2 * r for r in radii), float(np.sqrt(area * 1.6)))
    out = []
    x = y = row_height = 0.0
    for c, r in zip(centred, radii, strict=True):
        if x > 0 and x + 2 * r > width:
            x, y = 0.0, y + row_height
            row_height = 0.0
        out.append(c + np.array([x + r, y + r]))
        x += 2 * r
        row_height = max(row_height, 2 * r)
    return out


def layout_positions(
    nodes: Sequence[Hashable],
    edges: Iterable[tuple[Hashable, Hashable]],
    *,
    seed: int = 0,
    scale: float = 90.0,
    pivots: int = DEFAULT_PIVOTS,
    iterations: int = DEFAULT_ITERATIONS,
) -> dict[Hashable, tuple[float, float]]:
    """Positions for every node: Pivot MDS, local force refinement, components packed in rows.

    Parameters
    ----------
    nodes : sequence of hashable
        The nodes to place (their order fixes the result together with ``seed``).
    edges : iterable of (node, node)
        Ties between them (direction and multiplicity are ignored; unknown ends are skipped).
    seed : int
        Random seed (first pivot, jitter).
    scale : float
        Output units (vis-network pixels) per layout unit, the typical distance between nearby nodes.
    pivots, iterations : int
        See :func:`pivot_mds` and :func:`refine`.

    Returns
    -------
    dict
        Node → ``(x, y)``, centred on the origin, ``y`` growing downwards as on a screen.

    Examples
    --------
    >>> pos = layout_positions(["a", "b", "c"], [("a", "b"), ("b", "c")], seed=1)
    >>> sorted(pos) == ["a", "b", "c"]
    True
    """
    index = {v: i for i, v in enumerate(nodes)}
    n = len(index)
    if n == 0:
        return {}
    pairs = [(index[u], index[v]) for u, v in edges if u in index and v in index]
    arr = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    src, dst = arr[:, 0], arr[:, 1]
    adj = _adjacency(n, src, dst)
    count, labels = csgraph.connected_components(adj, directed=False)
    order = np.argsort(labels, kind="stable")
    bounds = np.r_[0, np.cumsum(np.bincount(labels, minlength=count))]
    members = [order[bounds[c]:bounds[c + 1]] for c in range(count)]
    members.sort(key=lambda m: (-len(m), int(m[0])))
    coo = adj.tocoo()
    upper = coo.row < coo.col
    e_src, e_dst = coo.row[upper], coo.col[upper]
    e_label = labels[e_src]
    e_order = np.argsort(e_label, kind="stable")
    e_bounds = np.r_[0, np.cumsum(np.bincount(e_label, minlength=count))]
    local = np.empty(n, dtype=np.int64)
    parts: list[np.ndarray] = []
    for comp, idx in enumerate(members):
        if len(idx) <= 3:
            parts.append(_small(len(idx)))
            continue
        local[idx] = np.arange(len(idx))
        label = labels[idx[0]]
        sel = e_order[e_bounds[label]:e_bounds[label + 1]]
        s, d = local[e_src[sel]], local[e_dst[sel]]
        sub = _adjacency(len(idx), s, d)
        pos = _normalise(pivot_mds(sub, pivots=pivots, seed=seed + comp), s, d)
        parts.append(refine(pos, s, d, iterations=iterations, seed=seed + comp))
    placed = _pack(parts)
    out = np.empty((n, 2))
    for idx, pos in zip(members, placed, strict=True):
        out[idx] = pos
    out -= (out.max(axis=0) + out.min(axis=0)) / 2
    out *= float(scale)
    return {v: (float(out[i, 0]), float(out[i, 1])) for v, i in index.items()}
