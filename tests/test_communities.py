"""Louvain communities with vectorised local moves (trustgraph.analysis.communities) against networkx."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 60).flatmap(lambda n: st.tuples(
    st.just(n),
    st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.floats(0.01, 100.0)), max_size=4 * n),
    st.integers(0, 3))))
def test_any_graph_gives_connected_well_numbered_communities(case: tuple[int, list[tuple[int, int, float]], int]) -> None:
    n, edges, seed = case
    src = np.array([a for a, _, _ in edges], dtype=np.int64)
    dst = np.array([b for _, b, _ in edges], dtype=np.int64)
    weight = np.array([w for _, _, w in edges], dtype=float)
    label = louvain(n, src, dst, weight, seed=seed)
    assert len(label) == n
    # numbered 0..k-1 by first member
    firsts = [int(np.flatnonzero(label == c)[0]) for c in range(int(label.max()) + 1)] if n else []
    assert firsts == sorted(firsts) and set(label.tolist()) == set(range(len(firsts)))
    # a community never joins parties of two connected components (moves go to neighbours only)
    G = nx.Graph()
    G.add_nodes_from(range(n))
    G.add_edges_from((a, b) for a, b, _ in edges if a != b)
    component = {v: i for i, c in enumerate(nx.connected_components(G)) for v in c}
    for c in range(len(firsts)):
        assert len({component[v] for v in np.flatnonzero(label == c).tolist()}) == 1
    # never worse than leaving every node alone; weights scaled by a power of two change nothing
    keep = src != dst
    if keep.any():
        A = sp.csr_matrix((np.r_[weight[keep], weight[keep]], (np.r_[src[keep], dst[keep]], np.r_[dst[keep], src[keep]])),
                          shape=(n, n))
        m = float(weight[keep].sum())
        assert modularity(A, label, m) >= modularity(A, np.arange(n), m) - 1e-12
    assert np.array_equal(label, louvain(n, src, dst, weight * 1024.0, seed=seed))
