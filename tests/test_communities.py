"""Louvain communities with vectorised local moves (trustgraph.analysis.communities) against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp

from trustgraph.analysis.communities import louvain, modularity


def _edges(G: nx.Graph) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    index = {v: i for i, v in enumerate(G.nodes)}
    src = np.array([index[u] for u, _ in G.edges], dtype=np.int64)
    dst = np.array([index[v] for _, v in G.edges], dtype=np.int64)
    weight = np.array([w for _, _, w in G.edges(data="weight", default=1.0)], dtype=float)
    return G.number_of_nodes(), src, dst, weight


def _quality(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, label: np.ndarray) -> float:
    A = sp.csr_matrix((np.r_[weight, weight], (np.r_[src, dst], np.r_[dst, src])), shape=(n, n))
    return modularity(A, label, float(weight.sum()))


def _nx_quality(G: nx.Graph, seed: int) -> float:
    return float(nx.community.modularity(G, nx.community.louvain_communities(G, weight="weight", seed=seed)))


def test_modularity_agrees_with_networkx() -> None:
    G = nx.karate_club_graph()
    n, src, dst, weight = _edges(G)
    label = louvain(n, src, dst, weight)
    groups = [set(np.flatnonzero(label == c).tolist()) for c in range(label.max() + 1)]
    assert _quality(n, src, dst, weight, label) == pytest.approx(nx.community.modularity(G, groups, weight="weight"))


def test_separate_cliques_are_separate_communities_and_lone_nodes_stay_alone() -> None:
    G = nx.disjoint_union_all([nx.complete_graph(5), nx.complete_graph(4), nx.complete_graph(6)])
    G.add_edge(0, 5)  # one bridge between the first two cliques
    n, src, dst, weight = _edges(G)
    label = louvain(n + 3, src, dst, weight)  # three more nodes without an edge
    assert label.tolist() == [0] * 5 + [1] * 4 + [2] * 6 + [3, 4, 5]  # numbered by first member


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_planted_communities_are_found(seed: int) -> None:
    # 12 planted groups of 25, dense inside, sparse between: the planted partition is recovered.
    G = nx.planted_partition_graph(12, 25, 0.5, 0.01, seed=seed)
    n, src, dst, weight = _edges(G)
    label = louvain(n, src, dst, weight, seed=seed)
    truth = np.repeat(np.arange(12), 25)
    pairs = np.triu_indices(n, 1)
    same, same_truth = label[pairs[0]] == label[pairs[1]], truth[pairs[0]] == truth[pairs[1]]
    assert (same == same_truth).mean() > 0.995


@pytest.mark.parametrize("seed", [0, 1])
def test_quality_is_networkx_louvains_on_weighted_graphs(seed: int) -> None:
    rng = np.random.default_rng(seed)
    G = nx.LFR_benchmark_graph(1000, 3, 1.5, 0.3, average_degree=10, max_degree=50, min_community=20,
                                seed=seed)
    G = nx.Graph(G)
    G.remove_edges_from(nx.selfloop_edges(G))
    for u, v in G.edges:
        G[u][v]["weight"] = float(rng.lognormal())
    n, src, dst, weight = _edges(G)
    ours = _quality(n, src, dst, weight, louvain(n, src, dst, weight, seed=seed))
    theirs = [_nx_quality(G, s) for s in range(3)]
    assert ours > min(theirs) - 0.01


def test_deterministic_and_duplicate_edges_add_up() -> None:
    G = nx.les_miserables_graph()
    n, src, dst, weight = _edges(G)
    once = louvain(n, src, dst, weight)
    assert np.array_equal(once, louvain(n, src, dst, weight))
    # every edge given as two halves, one of them reversed: the same graph
    halves = louvain(n, np.r_[src, dst], np.r_[dst, src], np.r_[weight, weight] / 2)
    assert np.array_equal(once, halves)


def test_no_edges() -> None:
    assert louvain(3, np.zeros(0), np.zeros(0), np.zeros(0)).tolist() == [0, 1, 2]
    assert louvain(0, np.zeros(0), np.zeros(0), np.zeros(0)).tolist() == []
