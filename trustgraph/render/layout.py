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

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

__all__ = [
    "DEFAULT_PIVOTS",
    "DEFAULT_ITERATIONS",
    "VIEW_ASPECT",
    "VIEW_SPACING",
    "layout_positions",
    "pivot_mds",
    "refine",
    "community_positions",
    "radial_positions",
    "spine_positions",
]

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
        pos = _normalise(pivot_mds(sub, pivots=pivots, seed=(seed + comp) % 2**32), s, d)
        parts.append(refine(pos, s, d, iterations=iterations, seed=(seed + comp) % 2**32))
    placed = _pack(parts)
    out = np.empty((n, 2))
    for idx, pos in zip(members, placed, strict=True):
        out[idx] = pos
    out -= (out.max(axis=0) + out.min(axis=0)) / 2
    out *= float(scale)
    return {v: (float(out[i, 0]), float(out[i, 1])) for v, i in index.items()}


# --------------------------------------------------------------------------------------------------
# Readable views: communities, distance from a focus, a chain as a spine

#: Width : height of the views below, about that of the map canvas beside its side panel
#: (1080 × 760 pixels in a 1400 × 900 window), so that the fitted view fills the canvas.
VIEW_ASPECT = 1.4
#: Layout units between neighbouring nodes (vis-network pixels at zoom 1).
VIEW_SPACING = 70.0
#: The least gap between two rings of a focus view, as a share of the inner ring's radius (beside
#: 1.6 spacings): the fitted view shrinks a big map by its outer radius, so a fixed gap of 1.6
#: spacings (112 units) shrank with it — on radii of about 2,000 (Advogato, a 300-party focus map)
#: under 6 % of the radius, and the rings read as one dense band; an eighth keeps the same
#: proportion on every size of map, and leaves small maps (radii under 900) as they were.
RING_GAP = 1 / 8


def _to_box(pos: np.ndarray, n: int, aspect: float, spacing: float) -> np.ndarray:
    """Centre ``pos`` and stretch each axis so the bounding box is ``aspect`` : 1, about ``spacing``² per node."""
    out = np.array(pos, dtype=float)
    if n == 0:
        return out
    height = spacing * float(np.sqrt(max(n, 2) / aspect))
    lo, hi = out.min(axis=0), out.max(axis=0)
    span = np.where(hi - lo > 1e-9, hi - lo, 1.0)
    out = (out - (lo + hi) / 2) / span * np.array([aspect * height, height])
    return out


def _separate(centres: np.ndarray, radii: np.ndarray, *, rounds: int = 300, gap: float = 0.6) -> np.ndarray:
    """Move discs apart until none overlap, each round pulling all a little towards their centroid."""
    c = np.array(centres, dtype=float)
    for _ in range(rounds):
        c -= 0.02 * (c - c.mean(axis=0))
        delta = c[:, None, :] - c[None, :, :]
        dist = np.sqrt((delta**2).sum(axis=2)) + np.eye(len(c))
        need = radii[:, None] + radii[None, :] + gap - dist
        np.fill_diagonal(need, 0.0)
        push = np.where(need > 0, need / 2 / dist, 0.0)
        if not push.any() and _ > 50:
            break
        c += (delta * push[:, :, None]).sum(axis=1)
    return c


def community_positions(
    nodes: Sequence[Hashable],
    edges: Iterable[tuple[Hashable, Hashable]],
    communities: Mapping[Hashable, int],
    *,
    seed: int = 0,
    aspect: float = VIEW_ASPECT,
    spacing: float = VIEW_SPACING,
    iterations: int = 200,
    base: Mapping[Hashable, tuple[float, float]] | None = None,
) -> dict[Hashable, tuple[float, float]]:
    """A whole-network layout that keeps communities apart: one disc per community.

    Each community is laid out on its own with ForceAtlas2 (Jacomy, Venturini, Heymann & Bastian,
    "ForceAtlas2, a Continuous Graph Layout Algorithm for Handy Network Visualization Designed for
    the Gephi Software", PLoS ONE 2014; :func:`networkx.forceatlas2_layout`, or
    :func:`networkx.spring_layout` on NetworkX older than 3.4) and scaled into a disc whose area
    grows with its size. The discs are placed by a spring layout of the community graph (communities
    with more ties between them closer), then pushed apart until none overlap and pulled together so
    that no small community floats far away. The result is stretched to an ``aspect`` : 1 box.

    Parameters
    ----------
    nodes : sequence of hashable
        The nodes to place (their order fixes the result together with ``seed``).
    edges : iterable of (node, node)
        Ties between them (direction and multiplicity are ignored; unknown ends are skipped).
    communities : mapping
        Node → community number (e.g. Louvain, seeded); nodes missing from it are communities of one.
    seed : int
        Random seed of the layouts.
    aspect, spacing : float
        Width : height of the result, and layout units per node spacing.
    iterations : int
        ForceAtlas2 rounds within a community.
    base : mapping, optional
        Positions of every node from a layout of the whole graph (e.g. :func:`layout_positions`):
        each community then keeps its members' arrangement from it, centred and scaled into its
        disc, instead of a ForceAtlas2 run of its own (NetworkX's costs about 0.5 s per community
        of 100) — for maps of thousands of parties.

    Returns
    -------
    dict
        Node → ``(x, y)``, the bounding box centred on the origin.

    Examples
    --------
    >>> pos = community_positions(["a", "b", "c"], [("a", "b")], {"a": 0, "b": 0, "c": 1}, seed=1)
    >>> sorted(pos) == ["a", "b", "c"]
    True
    """
    import networkx as nx

    order = list(dict.fromkeys(nodes))
    if not order:
        return {}
    comm = {v: communities.get(v, -1 - i) for i, v in enumerate(order)}
    groups: dict[int, list[Hashable]] = {}
    for v in order:
        groups.setdefault(comm[v], []).append(v)
    labels = sorted(groups, key=lambda c: (-len(groups[c]), str(min(map(str, groups[c])))))
    index = {c: i for i, c in enumerate(labels)}
    inner = {c: nx.Graph() for c in labels}
    for c in labels:
        inner[c].add_nodes_from(groups[c])
    between = nx.Graph()
    between.add_nodes_from(range(len(labels)))
    for u, v in edges:
        if u not in comm or v not in comm or u == v:
            continue
        if comm[u] == comm[v]:
            inner[comm[u]].add_edge(u, v)
        else:
            a, b = index[comm[u]], index[comm[v]]
            between.add_edge(a, b, weight=between.get_edge_data(a, b, {}).get("weight", 0) + 1)
    radii = np.array([0.75 * np.sqrt(len(groups[c])) for c in labels])
    local: dict[Hashable, np.ndarray] = {}
    for i, c in enumerate(labels):
        members = groups[c]
        if len(members) == 1:
            local[members[0]] = np.zeros(2)
            continue
        H = inner[c]
        if base is not None:
            raw = {v: np.asarray(base[v], dtype=float) for v in members}
        elif hasattr(nx, "forceatlas2_layout") and len(members) > 2:
            raw = nx.forceatlas2_layout(H, max_iter=iterations, seed=(seed + i) % 2**32, strong_gravity=True)
        else:  # pragma: no cover - NetworkX older than 3.4, or a pair
            raw = nx.spring_layout(H, iterations=iterations, seed=(seed + i) % 2**32)  # seeds stay in range
        pts = np.array([raw[v] for v in members], dtype=float)
        pts -= pts.mean(axis=0)
        reach = float(np.sqrt((pts**2).sum(axis=1)).max()) or 1.0
        for v, p in zip(members, pts * (radii[i] / reach), strict=True):
            local[v] = p
    if len(labels) > 1:
        start = nx.spring_layout(between, weight="weight", seed=seed, scale=float(radii.sum()))
        centres = _separate(np.array([start[i] for i in range(len(labels))], dtype=float), radii)
    else:
        centres = np.zeros((1, 2))
    pos = np.array([centres[index[comm[v]]] + local[v] for v in order])
    pos = _to_box(pos, len(order), aspect, spacing)
    return {v: (float(pos[i, 0]), float(pos[i, 1])) for i, v in enumerate(order)}


def radial_positions(
    nodes: Sequence[Hashable],
    edges: Iterable[tuple[Hashable, Hashable]],
    distance: Mapping[Hashable, int],
    *,
    aspect: float = VIEW_ASPECT,
    spacing: float = VIEW_SPACING,
) -> dict[Hashable, tuple[float, float]]:
    """A focus view: the node at distance 0 at the origin, one ring per hop around it.

    Rings are ellipses of ``aspect`` : 1. Each ring's nodes are ordered by the mean angle of their
    neighbours on the ring inside it (a barycentre ordering, as in radial tree drawings), then spread
    evenly over the whole ring so that the view is balanced around the focus; a ring is made large
    enough to give every node ``spacing`` of its circumference.

    Parameters
    ----------
    nodes : sequence of hashable
        The nodes to place.
    edges : iterable of (node, node)
        Ties between them (for the ordering on each ring).
    distance : mapping
        Node → hops from the focus (0 for the focus; nodes missing from it go on the outer ring).

    Returns
    -------
    dict
        Node → ``(x, y)``; the focus at ``(0, 0)``.

    Examples
    --------
    >>> pos = radial_positions(["f", "a", "b"], [("f", "a"), ("a", "b")], {"f": 0, "a": 1, "b": 2})
    >>> pos["f"]
    (0.0, 0.0)
    """
    order = list(dict.fromkeys(nodes))
    if not order:
        return {}
    far = max((int(distance[v]) for v in order if v in distance), default=0) + 1
    hop = {v: int(distance.get(v, far)) for v in order}
    neighbours: dict[Hashable, set[Hashable]] = {v: set() for v in order}
    for u, v in edges:
        if u in neighbours and v in neighbours and u != v:
            neighbours[u].add(v)
            neighbours[v].add(u)
    rings: dict[int, list[Hashable]] = {}
    for v in order:
        rings.setdefault(hop[v], []).append(v)
    theta: dict[Hashable, float] = {}
    out: dict[Hashable, tuple[float, float]] = {}
    radius = 0.0
    for h in sorted(rings):
        members = rings[h]
        if h == 0:
            for i, v in enumerate(members):  # normally one focus; several share the centre's row
                out[v] = (float(spacing * (i - (len(members) - 1) / 2)), 0.0)
                theta[v] = 0.0
            continue

        def barycentre(v: Hashable) -> float:
            inner = [theta[u] for u in neighbours[v] if u in theta]
            if not inner:
                return 10.0  # unattached nodes last
            return float(np.arctan2(np.mean(np.sin(inner)), np.mean(np.cos(inner))) % (2 * np.pi))

        members = sorted(members, key=lambda v: (barycentre(v), -len(neighbours[v]), str(v)))
        # Mean circumference of an aspect:1 ellipse of semi-minor axis r is about π·r·(1 + aspect).
        radius = max(radius + max(1.6 * spacing, RING_GAP * radius), len(members) * spacing / (np.pi * (1 + aspect)))
        offset = np.pi / 2 if len(members) % 2 else np.pi / 2 + np.pi / len(members)
        for i, v in enumerate(members):
            t = (offset + 2 * np.pi * i / len(members)) % (2 * np.pi)
            theta[v] = t
            out[v] = (float(aspect * radius * np.cos(t)), float(radius * np.sin(t)))
    return out


def spine_positions(
    nodes: Sequence[Hashable],
    edges: Iterable[tuple[Hashable, Hashable]],
    chain: Sequence[Hashable],
    *,
    aspect: float = VIEW_ASPECT,
    spacing: float = VIEW_SPACING,
) -> dict[Hashable, tuple[float, float]]:
    """A chain view: the chain as a left-to-right spine, its context above and below its members.

    Every other node joins the chain member it is nearest to (fewest ties; ties broken by the
    earlier member) and is set in a block of rows above and below that member, nearest rows first
    and, within a row, the best connected nearest the spine. Each member's column is as wide as its
    block needs; the spine is stretched to ``aspect`` times the height.

    Parameters
    ----------
    nodes : sequence of hashable
        The nodes to place.
    edges : iterable of (node, node)
        Ties between them.
    chain : sequence of hashable
        The chain's members, source first (those not in ``nodes`` are skipped).

    Returns
    -------
    dict
        Node → ``(x, y)``; chain members on ``y = 0``, left to right.

    Examples
    --------
    >>> pos = spine_positions(["a", "b", "c", "x"], [("a", "b"), ("b", "c"), ("b", "x")], ["a", "b", "c"])
    >>> [pos[v][1] for v in "abc"], pos["a"][0] < pos["b"][0] < pos["c"][0]
    ([0.0, 0.0, 0.0], True)
    """
    order = list(dict.fromkeys(nodes))
    spine = [v for v in dict.fromkeys(chain) if v in set(order)]
    if not spine:
        return radial_positions(order, edges, {}, aspect=aspect, spacing=spacing)
    neighbours: dict[Hashable, set[Hashable]] = {v: set() for v in order}
    for u, v in edges:
        if u in neighbours and v in neighbours and u != v:
            neighbours[u].add(v)
            neighbours[v].add(u)
    # Multi-source breadth-first search; the earlier member wins ties (it is searched first).
    owner = {v: i for i, v in enumerate(spine)}
    dist = dict.fromkeys(spine, 0)
    frontier = list(spine)
    while frontier:
        nxt = []
        for u in frontier:
            for w in sorted(neighbours[u], key=str):
                if w not in dist:
                    dist[w], owner[w] = dist[u] + 1, owner[u]
                    nxt.append(w)
        frontier = nxt
    blocks: list[list[Hashable]] = [[] for _ in spine]
    far = max(dist.values()) + 1
    for v in order:
        if v not in spine:
            blocks[owner.get(v, len(spine) - 1)].append(v)
    for block in blocks:
        block.sort(key=lambda v: (dist.get(v, far), -len(neighbours[v]), str(v)))
    # Columns per member so that the blocks are about as tall as the spine is long / aspect.
    total = sum(len(b) for b in blocks)
    rows = max(2, int(np.ceil(np.sqrt(total / aspect))))
    half_rows = max(1, rows // 2)
    out: dict[Hashable, tuple[float, float]] = {}
    x = 0.0
    for member, block in zip(spine, blocks, strict=True):
        cols = max(1, int(np.ceil(len(block) / (2 * half_rows))))
        width = max(cols, 2) * spacing
        centre = x + width / 2
        out[member] = (centre, 0.0)
        for k, v in enumerate(block):
            row, col = divmod(k // 2, cols)
            side = -1.0 if k % 2 == 0 else 1.0
            dx = (col - (cols - 1) / 2) * spacing
            # Alternate columns sit a little off the row, so that a tie along a row is not hidden by the nodes.
            out[v] = (centre + dx, side * (row + 1 + 0.3 * (col % 2)) * spacing)
        x += width + spacing
    pos = np.array([out[v] for v in order], dtype=float)
    lo, hi = pos.min(axis=0), pos.max(axis=0)
    width, height = max(hi[0] - lo[0], spacing), max(hi[1] - lo[1], spacing)
    # Stretch the shorter side only: the spine stays straight, the rows stay apart.
    sx, sy = max(1.0, aspect * height / width), max(1.0, width / (aspect * height))
    pos = (pos - (lo + hi) / 2) * np.array([sx, sy])
    return {v: (float(pos[i, 0]), float(pos[i, 1])) for i, v in enumerate(order)}
