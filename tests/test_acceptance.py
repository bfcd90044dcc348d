"""Levien's Advogato group-acceptance metric: hand-worked flows, the real Advogato network (601
accepted at every level) and the Sybil bound."""

from __future__ import annotations

import random

import networkx as nx
import pandas as pd
import pytest

from trustgraph.analysis.acceptance import (
    ADVOGATO_CAPACITIES,
    ADVOGATO_SEEDS,
    advogato_levels,
    capacities_by_distance,
    certification_graph,
    group_acceptance,
)
from trustgraph.errors import NotFoundError
from trustgraph.graph import project
from trustgraph.snapshot import compile_tables


def certs(edges: list[tuple[str, str, float]]) -> nx.DiGraph:
    G = nx.DiGraph()
    G.add_edges_from((u, v, {"level": w}) for u, v, w in edges)
    return G


def test_chain_capacity_runs_out() -> None:
    # Root (4) → s (3) → a (1) → b (1): s keeps 1, passes 2; a keeps its 1 and cannot pass (1 − 1 = 0).
    G = certs([("s", "a", 1.0), ("a", "b", 1.0), ("b", "c", 1.0)])
    result = group_acceptance(G, ["s"], capacities=(4, 3, 1), weight="level")
    assert result.accepted == ("s", "a")
    assert result.distance == {"s": 1, "a": 2, "b": 3, "c": 4}
    assert result.capacity == {"s": 3, "a": 1, "b": 1, "c": 1}


def test_seed_capacity_is_the_bottleneck() -> None:
    # s (capacity 3) certifies a, b, c: s accepts itself and passes 2 units, so 2 of 3 get in.
    G = certs([("s", "a", 1.0), ("s", "b", 1.0), ("s", "c", 1.0)])
    result = group_acceptance(G, ["s"], capacities=(10, 3, 1), weight="level")
    assert result.flow == 3 and result.accepted[0] == "s" and set(result.accepted) < {"s", "a", "b", "c"}


def test_root_capacity_limits_the_seeds() -> None:
    # The virtual root (capacity 3) keeps one unit and can feed only two of the three seeds.
    G = certs([("s1", "x", 1.0), ("s2", "x", 1.0), ("s3", "x", 1.0)])
    assert group_acceptance(G, ["s1", "s2", "s3"], capacities=(3, 5, 1), weight="level").flow == 2


def test_flow_goes_around_a_dead_end() -> None:
    # s (5) → a (2) and s → b (2); a → c, b → d, d → e. Capacity 2 passes one unit on from a and b.
    G = certs([("s", "a", 1.0), ("s", "b", 1.0), ("a", "c", 1.0), ("b", "d", 1.0), ("d", "e", 1.0)])
    result = group_acceptance(G, ["s"], capacities=(10, 5, 2, 1), weight="level")
    assert set(result.accepted) == {"s", "a", "b", "c", "d"}


def test_levels_filter_certifications() -> None:
    G = certs([("s", "a", 0.6), ("s", "b", 0.8), ("s", "c", 1.0), ("c", "d", 0.6)])
    per_level, rows = advogato_levels(G, ["s"], weight="level")
    assert {k: set(v.accepted) for k, v in per_level.items()} == {
        "apprentice": {"s", "a", "b", "c", "d"}, "journeyer": {"s", "b", "c"}, "master": {"s", "c"}}
    assert {r["id"]: r["certification"] for r in rows} == {
        "s": "master", "c": "master", "b": "journeyer", "a": "apprentice", "d": "apprentice"}
    assert rows[0] == {"id": "s", "name": None, "certification": "master", "apprentice": True, "journeyer": True,
                       "master": True, "distance": 1}


def test_certification_strength_from_evidence() -> None:
    # Net evidence: a referral of 0.8 certifies at journeyer level; two of 0.6 add up to master (1.2,
    # capped at 1); a warning certifies nothing.
    orgs = pd.DataFrame({"id": list("sabcd"), "name": list("SABCD")})
    refs = pd.DataFrame({
        "id": ["R1", "R2", "R3", "R4", "R5"], "source": ["s", "s", "s", "s", "s"],
        "target": ["a", "b", "b", "c", "d"], "strength": [0.8, 0.6, 0.6, -0.5, 0.59],
        "date": ["2024-01-01"] * 5, "recipient": None, "note": None,
    })
    G = project({"organizations": orgs, "referrals": refs}, half_life_days=None)
    assert certification_graph(G, 0.6) == {"s": ["a", "b"]}
    assert certification_graph(G, 0.8) == {"s": ["a", "b"]}
    assert certification_graph(G, 1.0) == {"s": ["b"]}


def test_capacities_by_distance_repeats_the_last_value() -> None:
    adj = {"s": ["a"], "a": ["b"], "b": ["c"]}
    distance, capacity = capacities_by_distance(adj, ["s"], (9, 5, 2))
    assert distance == {"s": 1, "a": 2, "b": 3, "c": 4}
    assert capacity == {"s": 5, "a": 2, "b": 2, "c": 2}


def test_scipy_and_networkx_solvers_agree() -> None:
    rng = random.Random(11)
    for trial in range(20):
        G = nx.gnp_random_graph(60, rng.uniform(0.02, 0.15), seed=trial, directed=True)
        for u, v in G.edges:
            G[u][v]["level"] = rng.choice([0.6, 0.8, 1.0])
        seeds = rng.sample(sorted(G), 2)
        caps = (20, 8, 4, 2, 1)
        a = group_acceptance(G, seeds, capacities=caps, weight="level", method="scipy")
        b = group_acceptance(G, seeds, capacities=caps, weight="level", method="networkx")
        assert a.flow == b.flow


def test_bad_arguments() -> None:
    G = certs([("s", "a", 1.0)])
    with pytest.raises(NotFoundError, match="nobody"):
        group_acceptance(G, ["s", "nobody"], weight="level")
    with pytest.raises(ValueError):
        group_acceptance(G, ["s"], level="grandmaster", weight="level")
    with pytest.raises(ValueError):
        group_acceptance(G, ["s"], capacities=(10, 0), weight="level")
    with pytest.raises(ValueError):
        group_acceptance(G, [], weight="level")


# -- the real Advogato network -------------------------------------------------------------------

@pytest.fixture(scope="module")
def advogato(advogato_tables: dict[str, pd.DataFrame]) -> tuple[nx.DiGraph, list[str]]:
    G = project(advogato_tables, half_life_days=None)
    by_name = {name: node for node, name in G.nodes(data="name")}
    return G, [by_name[s] for s in ADVOGATO_SEEDS]


@pytest.mark.realdata
def test_advogato_accepts_601_at_every_level(advogato: tuple[nx.DiGraph, list[str]]) -> None:
    G, seeds = advogato
    per_level, rows = advogato_levels(G, seeds, capacities=ADVOGATO_CAPACITIES)
    assert {name: r.flow for name, r in per_level.items()} == {"apprentice": 601, "journeyer": 601, "master": 601}
    # Three live seeds pass 200 each; federico certifies nobody and accepts only himself.
    for r in per_level.values():
        assert set(seeds) <= set(r.accepted)
    assert G.out_degree(seeds[ADVOGATO_SEEDS.index("federico")]) == 0


@pytest.mark.realdata
@pytest.mark.parametrize("k, near", [(1, False), (5, False), (20, False), (3, True)])
def test_sybil_region_is_bounded_by_the_compromised_capacity(
    advogato: tuple[nx.DiGraph, list[str]], k: int, near: bool
) -> None:
    G, seeds = advogato
    # With Advogato's capacities the seeds are the bottleneck and a max flow need not admit any fake;
    # the worst case widens the seeds (5,000 each) so that the fakes compete only with the bound.
    caps = (100_000, 5_000, 200, 50, 12, 4, 2, 1) if near else ADVOGATO_CAPACITIES
    honest = group_acceptance(G, seeds, level="apprentice", capacities=caps)
    rng = random.Random(1000 + k)
    pool = [n for n in honest.accepted if n not in seeds]
    if near:  # the worst case: users right next to the seeds, with the largest capacity
        pool = [n for n in pool if honest.distance[n] == 2]
    compromised = rng.sample(pool, k)
    attacked = G.copy()
    fakes = [f"fake{i}" for i in range(1000)]
    cert = {"positive": 1.0, "negative": 0.0}
    for f in fakes:
        for g in rng.sample(fakes, 10):
            if g != f:
                attacked.add_edge(f, g, **cert)
    for c in compromised:
        for f in rng.sample(fakes, 10):
            attacked.add_edge(c, f, **cert)
    result = group_acceptance(attacked, seeds, level="apprentice", capacities=caps)
    accepted_fakes = sum(1 for n in result.accepted if str(n).startswith("fake"))
    bound = sum(result.capacity[c] for c in compromised)
    assert accepted_fakes <= bound
    if near:
        assert accepted_fakes > 0  # the attack does get fakes in: the bound is what stops it


def test_snapshot_gives_the_graphs_answers() -> None:
    # The same evidence compiled as a snapshot (arrays) and projected as a NetworkX graph.
    orgs = pd.DataFrame({"id": list("sabcdef"), "name": list("SABCDEF")})
    refs = pd.DataFrame({
        "id": [f"R{i}" for i in range(9)], "source": ["s", "s", "s", "s", "a", "b", "c", "d", "e"],
        "target": ["a", "b", "c", "d", "e", "e", "f", "f", "s"], "strength": [0.8, 1.0, 0.6, -0.5, 1.0, 0.6, 1.0,
                                                                            1.0, 1.0],
        "date": ["2024-01-01"] * 9, "recipient": None, "note": None,
    })
    tables = {"organizations": orgs, "referrals": refs}
    G = project(tables, half_life_days=None)
    snap = compile_tables(tables, half_life_days=None)
    for threshold in (0.6, 0.8, 1.0):
        assert certification_graph(snap, threshold) == certification_graph(G, threshold)
    for caps in ((5, 3, 2, 1), ADVOGATO_CAPACITIES, (2, 1)):
        a_levels, a_rows = advogato_levels(snap, ["s"], capacities=caps)
        b_levels, b_rows = advogato_levels(G, ["s"], capacities=caps)
        assert a_rows == b_rows and a_levels == b_levels
        assert a_levels["apprentice"].rows(snap) == b_levels["apprentice"].rows(G)
    assert advogato_levels(snap, ["s"], capacities=(5, 3, 2, 1))[1][0]["name"] == "S"
    with pytest.raises(ValueError, match="snapshot"):
        group_acceptance(snap, ["s"], weight="level")
    with pytest.raises(NotFoundError, match="nobody"):
        group_acceptance(snap, ["s", "nobody"])


@pytest.mark.realdata
def test_advogato_snapshot_accepts_the_same(
    advogato_tables: dict[str, pd.DataFrame], advogato: tuple[nx.DiGraph, list[str]]
) -> None:
    G, seeds = advogato
    snap = compile_tables(advogato_tables, half_life_days=None)
    per_level, rows = advogato_levels(snap, seeds, capacities=ADVOGATO_CAPACITIES)
    assert {name: r.flow for name, r in per_level.items()} == {"apprentice": 601, "journeyer": 601, "master": 601}
    graph_levels, graph_rows = advogato_levels(G, seeds, capacities=ADVOGATO_CAPACITIES)
    assert rows == graph_rows
    assert all(per_level[k].accepted == graph_levels[k].accepted for k in per_level)
