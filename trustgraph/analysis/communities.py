"""Communities of a weighted undirected graph by modularity: Louvain, with its local moves vectorised.

Louvain (Blondel, Guillaume, Lambiotte & Lefebvre 2008) alternates two phases until modularity stops
rising: *local moving* — each node moves to the neighbouring community that raises modularity most —
and *aggregation* — each community becomes one node of a new graph (its internal weight a self-loop).
:func:`networkx.community.louvain_communities` moves one node at a time in a Python loop (5–9 s on the
34,000 mutually endorsing parties of Epinions). Here the nodes of a sweep are taken in a seeded random
order and split into :data:`BATCHES` batches; the nodes of one batch choose their best move together,
against the communities as the earlier batches left them, with sparse-matrix operations (a block
Gauss–Seidel form of the sequential sweep, as in the parallel Louvain heuristics of Lu,
Halappanavar & Kalyanaraman 2015). Two nodes of a batch may choose at the same moment; the usual
guard against the swap that would follow — two lone nodes each joining the other — is kept: a lone
node joins another lone node *of the same batch* only if that node's label is smaller (Lu et al.'s
minimum-label rule; applied to every lone node, it also blocks the sequential sweep's own moves and
costs about 0.01 of modularity on LFR graphs).
A sweep that would lower modularity is undone and ends the level.

The gain of moving node ``i`` (degree ``k_i``) out of its community ``a`` into ``b`` is networkx's:
``(w_ib − w_ia) / m − γ · k_i · (tot_b − (tot_a − k_i)) / (2 m²)``, with ``w_ic`` the weight of ``i``'s
edges into ``c`` (its self-loop not counted), ``tot_c`` the summed degree of ``c``, ``m`` the total
edge weight and ``γ`` the resolution. The communities found are not networkx's node for node (the
order of the moves differs) but of the same quality: tests/test_communities.py compares modularity
with networkx on planted and LFR graphs, benchmarks/communities_bench.py on Epinions and a big map.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

#: How many batches a sweep over the nodes is split into (more: closer to the sequential sweep, slower).
BATCHES = 16
#: The least rise in modularity for which a sweep or a level counts (networkx's default threshold).
THRESHOLD = 1e-7
#: A level stops after this many sweeps even if some node still moves (a guard; rarely reached).
MAX_SWEEPS = 200


def louvain(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, *, resolution: float = 1.0,
            seed: int = 0) -> np.ndarray:
    """Each node's community (``0..k-1``, numbered by their smallest node) in the undirected graph of
    ``n`` nodes with edges ``src – dst`` of positive ``weight`` (an edge given twice, in either
    direction, adds up). A node with no edge is a community of its own."""
    src, dst = np.asarray(src, dtype=np.int64), np.asarray(dst, dtype=np.int64)
    weight = np.asarray(weight, dtype=float)
    keep = (src != dst) & (weight > 0)
    src, dst, weight = src[keep], dst[keep], weight[keep]
    out = np.arange(n, dtype=np.int64)
    if not len(src):
        return out
    # Only the nodes with an edge take part (the rest stay alone); ``nodes[i]`` is the i-th of them.
    nodes, ends = np.unique(np.r_[src, dst], return_inverse=True)
    n_in = len(nodes)
    a, b = ends[: len(src)], ends[len(src):]
    G = sp.csr_matrix((np.r_[weight, weight], (np.r_[a, b], np.r_[b, a])), shape=(n_in, n_in))
    G.sum_duplicates()
    m = float(G.sum()) / 2.0
    rng = np.random.default_rng(seed)
    label = np.arange(n_in, dtype=np.int64)
    quality = modularity(G, label, m, resolution)
    while True:
        comm = _local_moving(G, m, resolution, rng, quality)
        k = int(comm.max()) + 1
        if k == G.shape[0]:  # nobody moved
            break
        label = comm[label]
        rising = modularity(G, comm, m, resolution)
        if rising - quality <= THRESHOLD:
            break
        quality = rising
        P = sp.csr_matrix((np.ones(len(comm)), (np.arange(len(comm)), comm)), shape=(len(comm), k))
        G = (P.T @ G @ P).tocsr()
    out[nodes] = nodes[_first_member(label)]
    return _by_first(out)


def modularity(G: sp.csr_matrix, comm: np.ndarray, m: float, resolution: float = 1.0) -> float:
    """Newman's modularity of the partition ``comm`` of the symmetric weight matrix ``G`` (a self-loop
    on the diagonal counted twice, as an aggregated community's internal weight is), total weight ``m``."""
    coo = G.tocoo()
    inside = float(coo.data[comm[coo.row] == comm[coo.col]].sum())
    tot = np.bincount(comm, weights=np.asarray(G.sum(axis=1)).ravel())
    return inside / (2.0 * m) - resolution * float(tot @ tot) / (4.0 * m * m)


def _local_moving(G: sp.csr_matrix, m: float, resolution: float, rng: np.random.Generator,
                  quality: float) -> np.ndarray:
    """One Louvain level's local moving on ``G``: each node's community, numbered ``0..k-1`` by first node."""
    n = G.shape[0]
    degree = np.asarray(G.sum(axis=1)).ravel()
    off = G - sp.diags(G.diagonal())
    off = sp.csr_matrix(off)
    off.eliminate_zeros()
    comm = np.arange(n, dtype=np.int64)
    tot = degree.copy()
    size = np.ones(n, dtype=np.int64)
    scale = resolution / (2.0 * m * m)
    for _ in range(MAX_SWEEPS):
        before = comm.copy()
        moved = 0
        for batch in np.array_split(rng.permutation(n), min(BATCHES, n)):
            rows = off[batch]
            if not rows.nnz:
                continue
            r = np.repeat(np.arange(len(batch)), np.diff(rows.indptr))
            # Each batch node's weight into each neighbouring community (duplicates summed).
            W = sp.csr_matrix((rows.data, (r, comm[rows.indices])), shape=(len(batch), n))
            W.sum_duplicates()
            r = np.repeat(np.arange(len(batch)), np.diff(W.indptr))
            c, w = W.indices, W.data
            node = batch[r]
            own = comm[node]
            w_own = np.zeros(len(batch))
            w_own[r[c == own]] = w[c == own]
            k_i = degree[node]
            gain = (w - w_own[r]) / m - scale * k_i * (tot[c] - (tot[own] - k_i))
            # A lone node of the batch joins another lone node of the batch only downwards (no swaps).
            lone = np.zeros(n, dtype=bool)
            lone[own[size[own] == 1]] = True
            gain[lone[own] & lone[c] & (c > own)] = -np.inf
            best = np.lexsort((c, -gain, r))  # per row: largest gain, then smallest community
            first = best[np.r_[True, r[best][1:] != r[best][:-1]]]
            go = first[gain[first] > 0.0]
            if not len(go):
                continue
            who, old, new, k_go = node[go], own[go], c[go], k_i[go]
            np.subtract.at(tot, old, k_go)
            np.add.at(tot, new, k_go)
            np.subtract.at(size, old, 1)
            np.add.at(size, new, 1)
            comm[who] = new
            moved += len(go)
        if not moved:
            break
        rising = modularity(G, comm, m, resolution)
        if rising < quality:  # simultaneous moves went wrong: undo the sweep and stop
            comm = before
            break
        if rising - quality <= THRESHOLD:
            break
        quality = rising
    return _by_first(comm)


def _first_member(label: np.ndarray) -> np.ndarray:
    """For each node, the smallest node with the same label."""
    first = np.full(int(label.max()) + 1, len(label), dtype=np.int64)
    np.minimum.at(first, label, np.arange(len(label)))
    return first[label]


def _by_first(label: np.ndarray) -> np.ndarray:
    """Labels renumbered ``0..k-1`` in the order of each label's first node."""
    _, first, inverse = np.unique(label, return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=np.int64)
    rank[np.argsort(first, kind="stable")] = np.arange(len(first))
    return rank[inverse].astype(np.int64)
