"""Vouching chains, independent vouchers, the GnuPG rule and referral lookups, on small graphs whose
answers are worked out by hand (and a brute-force check of the search on random graphs)."""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence

import networkx as nx
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustgraph.analysis.chains import (
    ChainIndex,
    ReferralBook,
    independent_vouchers,
    vouching_chains,
    web_of_trust,
)
from trustgraph.errors import NotFoundError, TrustgraphError
from trustgraph.evidence import evidence_frame
from trustgraph.graph import project
from trustgraph.snapshot import compile_tables


def graph(edges: list[tuple[str, str, float]], listed: tuple[str, ...] = ()) -> nx.DiGraph:
    G = nx.DiGraph()
    for u, v, t in edges:
        G.add_edge(u, v, trust=t)
    for n in G:
        G.nodes[n]["listed"] = n in listed
        G.nodes[n]["name"] = n.upper()
    return G


# A small vouching network:   us → a → x (0.9 · 0.8 = 0.72), us → b → c → x (0.95 · 0.9 · 0.9 = 0.7695),
# us → x directly (0.6), us → d → x (0.7 · 0.7 = 0.49), us → e → x with a warning e → x (0.3).
NET = [
    ("us", "a", 0.9), ("a", "x", 0.8),
    ("us", "b", 0.95), ("b", "c", 0.9), ("c", "x", 0.9),
    ("us", "x", 0.6),
    ("us", "d", 0.7), ("d", "x", 0.7),
    ("us", "e", 0.99), ("e", "x", 0.3),
]


def test_chain_order_strength_and_weakest_link() -> None:
    chains = vouching_chains(graph(NET), "us", "x", k=5)
    assert [c.path for c in chains] == [
        ("us", "b", "c", "x"), ("us", "a", "x"), ("us", "x"), ("us", "d", "x"),
    ]
    assert [round(c.strength, 6) for c in chains] == [0.7695, 0.72, 0.6, 0.49]
    assert [c.hops for c in chains] == [3, 2, 1, 2]
    # Weakest links: b→c and c→x tie at 0.9 (the first is reported), a→x, the direct hop, us→d.
    assert [(c.weakest.source, c.weakest.target, c.weakest.trust) for c in chains] == [
        ("b", "c", 0.9), ("a", "x", 0.8), ("us", "x", 0.6), ("us", "d", 0.7),
    ]
    assert [c.voucher for c in chains] == ["c", "a", "us", "d"]


def test_k_max_hops_and_min_trust() -> None:
    G = graph(NET)
    assert [c.path for c in vouching_chains(G, "us", "x")] == [("us", "b", "c", "x"), ("us", "a", "x"), ("us", "x")]
    assert [c.path for c in vouching_chains(G, "us", "x", k=2, max_hops=2)] == [("us", "a", "x"), ("us", "x")]
    assert [c.path for c in vouching_chains(G, "us", "x", k=1, max_hops=1)] == [("us", "x")]
    # min_trust 0.75 drops us→x, us→d, d→x and a→x stays (0.8).
    assert [c.path for c in vouching_chains(G, "us", "x", k=5, min_trust=0.75)] == [
        ("us", "b", "c", "x"), ("us", "a", "x")]


def test_warnings_and_neutral_hops_never_vouch() -> None:
    G = graph([("us", "a", 0.99), ("a", "x", 0.5), ("us", "b", 0.99), ("b", "x", 0.2)])
    assert vouching_chains(G, "us", "x", min_trust=0.0) == []


def test_listed_intermediaries_are_excluded_by_default() -> None:
    G = graph([("us", "bad", 0.9), ("bad", "x", 0.9), ("us", "ok", 0.6), ("ok", "x", 0.6)], listed=("bad",))
    assert [c.path for c in vouching_chains(G, "us", "x")] == [("us", "ok", "x")]
    included = vouching_chains(G, "us", "x", exclude_listed=False)
    assert [c.path for c in included] == [("us", "bad", "x"), ("us", "ok", "x")]
    assert included[0].listed == ("bad",)


def test_listed_ends_are_allowed_and_reported() -> None:
    G = graph([("us", "a", 0.9), ("a", "x", 0.9)], listed=("x",))
    (c,) = vouching_chains(G, "us", "x")
    assert c.path == ("us", "a", "x") and c.listed == ("x",)


def test_no_chain_unknown_party_and_same_ends() -> None:
    G = graph(NET)
    assert vouching_chains(G, "x", "us") == []
    with pytest.raises(NotFoundError, match="nobody"):
        vouching_chains(G, "us", "nobody")
    with pytest.raises(TrustgraphError):
        vouching_chains(G, "us", "us")
    with pytest.raises(ValueError):
        vouching_chains(G, "us", "x", k=0)


def test_as_dict_is_json_ready() -> None:
    (c,) = vouching_chains(graph(NET), "us", "x", k=1)
    d = c.as_dict(rank=1)
    assert list(d) == ["rank", "strength", "hops", "path", "names", "weakest_link", "listed", "listings", "links"]
    assert d["rank"] == 1 and d["strength"] == c.strength and d["hops"] == 3 and c.voucher == "c"
    assert d["listed"] is False and d["listings"] == []
    assert d["path"] == ["us", "b", "c", "x"] and d["names"] == ["US", "B", "C", "X"]
    assert d["weakest_link"] == {"from": "b", "to": "c", "trust": 0.9}
    assert [link["from"] for link in d["links"]] == ["us", "b", "c"]


# -- evidence: decay and incident actions, seen through chains -----------------------------------

def _tables(referrals: Sequence[tuple], incidents: Sequence[tuple] = (), actions: Sequence[tuple] = ()) -> dict:
    orgs = sorted({r[1] for r in referrals} | {r[2] for r in referrals})
    t = {
        "organizations": pd.DataFrame({"id": orgs, "name": orgs}),
        "referrals": pd.DataFrame(referrals, columns=["id", "source", "target", "strength", "date"]).assign(
            recipient=None, note=lambda f: "note " + f["id"]),
    }
    if incidents:
        t["incidents"] = pd.DataFrame(incidents, columns=["id", "reporter", "subject", "severity", "date"]).assign(
            kind="quality_failure", partnership=None, description="late")
    if actions:
        t["incident_actions"] = pd.DataFrame(actions, columns=["id", "incident", "kind", "date"]).assign(note=None)
    return t


def test_a_referral_hop_stands_at_one_half_life() -> None:
    # us → a dated one half-life (730 days) before a → x: a referral is a standing opinion, its weight in
    # trust stays 1 (trust (1 + 1) / (1 + 2) = 2/3, "decay" 1), while as activity it counts half.
    tables = _tables([("R1", "us", "a", 1.0, "2020-01-01"), ("R2", "a", "x", 1.0, "2021-12-31")])
    ev = evidence_frame(tables, half_life_days=730)
    G = project(tables, half_life_days=730, evidence=ev)
    (c,) = vouching_chains(G, "us", "x", evidence=ev)
    assert [round(link.trust, 12) for link in c.links] == [round(2 / 3, 12), round(2 / 3, 12)]
    assert c.strength == pytest.approx(4 / 9)
    (e,) = c.links[0].evidence
    assert e == {"kind": "referral", "ref": "R1", "date": "2020-01-01", "value": 1.0, "decay": 1.0,
                 "positive": 1.0, "negative": 0.0, "note": "note R1"}
    assert G["us"]["a"]["activity"] == pytest.approx([0.5, 0.0, 0.5])


def test_post_mortem_restores_a_broken_hop() -> None:
    refs = [("R1", "us", "a", 1.0, "2024-01-01"), ("R2", "a", "x", 1.0, "2024-01-01")]
    incident = [("I1", "a", "x", 2, "2024-01-01")]
    # Incident severity 2 → 0.5 · 2 = 1 unit against x: (1 + 1) / (1 + 1 + 2) = 0.5, not a vouch.
    broken = project(_tables(refs, incident), half_life_days=None)
    assert broken["a"]["x"]["trust"] == 0.5
    assert vouching_chains(broken, "us", "x") == []
    # A post-mortem keeps 0.6 of the damage: (1 + 1) / (1 + 0.6 + 2) = 0.5556 — the chain is back.
    repaired = project(_tables(refs, incident, [("A1", "I1", "post_mortem", "2024-02-01")]), half_life_days=None)
    (c,) = vouching_chains(repaired, "us", "x")
    assert c.links[1].trust == pytest.approx(2 / 3.6)
    # Legal action deepens it instead: 2 units against, (1 + 1) / (1 + 2 + 2) = 0.4.
    deepened = project(_tables(refs, incident, [("A1", "I1", "legal_action", "2024-02-01")]), half_life_days=None)
    assert deepened["a"]["x"]["trust"] == pytest.approx(0.4)


# -- the search against brute force -------------------------------------------------------------

def _brute(G: nx.DiGraph, s: str, t: str, k: int, max_hops: int) -> list[float]:
    costs = []
    for path in nx.all_simple_paths(G, s, t, cutoff=max_hops):
        if any(G.nodes[n].get("listed") for n in path[1:-1]):
            continue
        trusts = [G[u][v]["trust"] for u, v in itertools.pairwise(path)]
        if min(trusts) > 0.5:
            costs.append(sum(-math.log(x) for x in trusts))
    return sorted(costs)[:k]


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n=st.integers(2, 11),
    density=st.floats(0.05, 0.6),
    k=st.integers(1, 6),
    max_hops=st.integers(1, 6),
)
def test_search_matches_brute_force(seed: int, n: int, density: float, k: int, max_hops: int) -> None:
    rng = random.Random(seed)
    G = nx.gnp_random_graph(n, density, seed=seed, directed=True)
    G = nx.relabel_nodes(G, {i: f"n{i}" for i in G})
    for u, v in G.edges:
        G[u][v]["trust"] = rng.choice([0.3, 0.5, 0.55, 0.7, 0.9, round(rng.uniform(0.4, 1.0), 3)])
    for node in G:
        G.nodes[node]["listed"] = rng.random() < 0.15
    s, t = rng.sample(sorted(G), 2)
    got = ChainIndex(G).search(s, t, k=k, max_hops=max_hops)
    assert [c for _, c in got] == pytest.approx(_brute(G, s, t, k, max_hops), abs=1e-9)
    for path, cost in got:
        assert len(set(path)) == len(path) <= max_hops + 1
        assert all(G.has_edge(u, v) for u, v in itertools.pairwise(path))
        assert cost == pytest.approx(sum(-math.log(G[u][v]["trust"]) for u, v in itertools.pairwise(path)))


def test_matches_networkx_shortest_simple_paths_without_hop_limit() -> None:
    rng = random.Random(3)
    G = nx.gnp_random_graph(40, 0.12, seed=3, directed=True)
    for u, v in G.edges:
        G[u][v]["trust"] = rng.uniform(0.51, 0.99)
        G[u][v]["cost"] = -math.log(G[u][v]["trust"])
    for s, t in [(0, 7), (3, 30), (12, 25)]:
        ours = [round(c, 9) for _, c in ChainIndex(G, exclude_listed=False).search(s, t, k=5, max_hops=39)]
        ref = [round(nx.path_weight(G, p, "cost"), 9)
               for p in itertools.islice(nx.shortest_simple_paths(G, s, t, weight="cost"), 5)]
        assert ours == ref


# -- independent vouchers ------------------------------------------------------------------------

def test_independent_vouchers_are_node_disjoint() -> None:
    G = graph([
        ("us", "a", 0.9), ("a", "x", 0.9),
        ("us", "b", 0.8), ("b", "a", 0.9), ("b", "x", 0.8),   # us→b→a→x would reuse a
        ("us", "c", 0.7), ("c", "d", 0.7), ("d", "x", 0.7),
        ("us", "x", 0.55),
    ])
    chains = independent_vouchers(G, "us", "x")
    assert [c.path for c in chains] == [("us", "a", "x"), ("us", "b", "x"), ("us", "x"), ("us", "c", "d", "x")]
    inner = [set(c.intermediaries) for c in chains]
    assert all(not (p & q) for p, q in itertools.combinations(inner, 2))
    assert [c.path for c in independent_vouchers(G, "us", "x", limit=2)] == [("us", "a", "x"), ("us", "b", "x")]
    assert independent_vouchers(G, "x", "us") == []


# -- the GnuPG rule ------------------------------------------------------------------------------

def test_owner_signature_makes_valid() -> None:
    v = web_of_trust(graph([("me", "t", 0.52)]), "me", "t")
    assert (v.valid, v.validity, v.depth) == (True, "full", 1)
    assert v.introducers[0].level == "ultimate"


def test_one_complete_introducer_at_the_threshold() -> None:
    # me trusts a at exactly 0.65 (= complete_trust): a is a complete introducer, t valid at depth 2.
    v = web_of_trust(graph([("me", "a", 0.65), ("a", "t", 0.9)]), "me", "t")
    assert (v.valid, v.validity, v.depth, v.completes, v.marginals) == (True, "full", 2, 1, 0)
    assert v.introducers[0].level == "complete" and v.introducers[0].trust_from == "direct"
    # Just below: marginal, and one marginal is not enough (GnuPG's "marginal" validity).
    v = web_of_trust(graph([("me", "a", 0.6499), ("a", "t", 0.9)]), "me", "t")
    assert (v.valid, v.validity, v.depth, v.completes, v.marginals) == (False, "marginal", None, 0, 1)


def _marginals(n: int, trust: float = 0.6) -> nx.DiGraph:
    edges = []
    for i in range(n):
        edges += [("me", f"m{i}", trust), (f"m{i}", "t", 0.9)]
    return graph(edges)


def test_three_marginal_introducers() -> None:
    assert web_of_trust(_marginals(3), "me", "t").valid
    v = web_of_trust(_marginals(2), "me", "t")
    assert (v.valid, v.validity, v.marginals) == (False, "marginal", 2)
    # Exactly at the marginal threshold counts; just below does not.
    assert web_of_trust(_marginals(3, 0.55), "me", "t").valid
    v = web_of_trust(_marginals(3, 0.5499), "me", "t")
    assert (v.valid, v.validity) == (False, "unknown")
    assert all(i.level == "none" for i in v.introducers)
    # Configurable: two marginals suffice with marginals_needed=2; one complete no longer with 2 needed.
    assert web_of_trust(_marginals(2), "me", "t", marginals_needed=2).valid
    assert not web_of_trust(graph([("me", "a", 0.9), ("a", "t", 0.9)]), "me", "t", completes_needed=2).valid


def test_complete_introducers_do_not_count_as_marginals() -> None:
    G = graph([("me", "c", 0.9), ("c", "t", 0.9), ("me", "m", 0.6), ("m", "t", 0.9)])
    v = web_of_trust(G, "me", "t", completes_needed=2, marginals_needed=2)
    assert (v.valid, v.completes, v.marginals) == (False, 1, 1)


def test_depth_limit() -> None:
    # me → a1 → … → a5 → t: delegated trust min(0.9, …) = 0.9 keeps each a_i complete.
    edges = [("me", "a1", 0.9)] + [(f"a{i}", f"a{i + 1}", 0.9) for i in range(1, 5)] + [("a5", "t", 0.9)]
    G = graph(edges)
    v = web_of_trust(G, "me", "t")
    assert (v.valid, v.depth) == (False, None)
    assert web_of_trust(G, "me", "a5").depth == 5
    v = web_of_trust(G, "me", "t", max_depth=6)
    assert (v.valid, v.depth) == (True, 6)
    intro = v.introducers[0]
    assert (intro.id, intro.level, intro.trust_from, intro.trust) == ("a5", "complete", "chain", 0.9)
    assert intro.chain == ("me", "a1", "a2", "a3", "a4", "a5")


def test_delegated_trust_is_the_weakest_link_and_own_opinion_wins() -> None:
    G = graph([("me", "a", 0.9), ("a", "b", 0.6), ("b", "t", 0.9), ("me", "c", 0.9), ("c", "d", 0.95),
               ("d", "t", 0.9)])
    v = web_of_trust(G, "me", "t", completes_needed=2)
    levels = {i.id: (i.level, round(i.trust or 0.0, 4)) for i in v.introducers}
    assert levels == {"b": ("marginal", 0.6), "d": ("complete", 0.9)}
    # me's own (poor) opinion of d overrides the strong delegation through c.
    G.add_edge("me", "d", trust=0.4)
    v = web_of_trust(G, "me", "t")
    d = next(i for i in v.introducers if i.id == "d")
    assert (d.level, d.trust_from, d.trust) == ("none", "direct", 0.4)


def test_listed_introducers_do_not_count() -> None:
    G = graph([("me", "a", 0.9), ("a", "t", 0.9)], listed=("a",))
    v = web_of_trust(G, "me", "t")
    assert not v.valid and v.introducers[0].counted is False
    assert web_of_trust(G, "me", "t", exclude_listed=False).valid


def test_reasoning_mentions_every_introducer() -> None:
    v = web_of_trust(_marginals(2), "me", "t")
    assert len(v.reasoning) == 3 and v.reasoning[-1].startswith("marginal: 0 complete and 2 marginal")
    assert "m0: marginal introducer" in v.reasoning[0]


def test_bad_thresholds() -> None:
    with pytest.raises(ValueError):
        web_of_trust(_marginals(1), "me", "t", marginal_trust=0.8, complete_trust=0.7)
    with pytest.raises(NotFoundError):
        web_of_trust(_marginals(1), "me", "nobody")


# -- referral lookups ----------------------------------------------------------------------------

def test_referral_lookup() -> None:
    tables = _tables([
        ("R1", "us", "a", 0.9, "2024-01-01"), ("R2", "a", "x", 0.8, "2024-03-01"),
        ("R3", "b", "x", -0.5, "2024-02-01"), ("R4", "x", "b", 0.3, "2024-04-01"),
        ("R5", "a", "x", 0.4, "2024-05-01"),
    ])
    G = project(tables, half_life_days=None)
    book = ReferralBook(tables["referrals"], G)
    r = book.lookup("x", for_org="us")
    assert r["id"] == "x" and r["for"] == "us" and book.as_of == "2024-05-01"
    assert list(r) == ["id", "name", "listed", "listings", "referred_by", "referred", "for", "chain"]
    assert [(e["referral"], e["id"], e["strength"], e["date"]) for e in r["referred_by"]] == [
        ("R5", "a", 0.4, "2024-05-01"), ("R2", "a", 0.8, "2024-03-01"), ("R3", "b", -0.5, "2024-02-01")]
    assert [e["referral"] for e in r["referred"]] == ["R4"]
    assert r["referred_by"][0]["note"] == "note R5"
    assert r["chain"]["path"] == ["us", "a", "x"]
    # As of a date: later referrals are hidden.
    early = ReferralBook(tables["referrals"], project(tables, as_of="2024-02-15", half_life_days=None))
    assert [e["referral"] for e in early.lookup("x")["referred_by"]] == ["R3"]
    assert ReferralBook(tables["referrals"], G).lookup("us", for_org="x")["chain"] is None
    with pytest.raises(NotFoundError):
        book.lookup("nobody")


# -- the snapshot gives the answers the NetworkX graph gives ----------------------------------------

def _rich_tables() -> dict:
    tables = _tables([
        ("R1", "us", "a", 1.0, "2024-01-01"), ("R2", "a", "x", 0.8, "2024-03-01"),
        ("R3", "us", "b", 0.9, "2023-06-01"), ("R4", "b", "c", 1.0, "2024-02-01"), ("R5", "c", "x", 1.0, "2024-04-01"),
        ("R6", "us", "bad", 1.0, "2024-01-01"), ("R7", "bad", "x", 1.0, "2024-01-01"), ("R8", "x", "us", -0.5, "2024-05-01"),
        ("R9", "us", "d", 0.4, "2024-01-01"), ("R10", "d", "x", 1.0, "2024-01-01"), ("R11", "b", "x", 0.3, "2022-01-01"),
    ], incidents=[("I1", "c", "x", 1, "2024-03-01")])
    tables["blacklist"] = pd.DataFrame([("L1", "us", "bad", "2023-01-01", None, "fraud", "board")],
                                       columns=["id", "lister", "listed", "date", "until", "reason", "source"])
    return tables


@pytest.mark.parametrize("half_life", [None, 365.0])
def test_snapshot_and_graph_give_the_same_answers(half_life: float | None) -> None:
    tables = _rich_tables()
    ev = evidence_frame(tables, half_life_days=half_life)
    G = project(tables, half_life_days=half_life, evidence=ev)
    snap = compile_tables(tables, half_life_days=half_life)
    for exclude in (True, False):
        a = vouching_chains(snap, "us", "x", k=10, evidence=ev, exclude_listed=exclude)
        b = vouching_chains(G, "us", "x", k=10, evidence=ev, exclude_listed=exclude)
        assert [c.as_dict() for c in a] == [c.as_dict() for c in b] and len(a) >= 3
        through_bad = [c.as_dict() for c in a if "bad" in c.path]
        assert all(d["listed"] and [x["id"] for x in d["listings"]] == ["L1"] for d in through_bad)
        assert bool(through_bad) is not exclude
        a = independent_vouchers(snap, "us", "x", evidence=ev, exclude_listed=exclude)
        b = independent_vouchers(G, "us", "x", evidence=ev, exclude_listed=exclude)
        assert [c.as_dict() for c in a] == [c.as_dict() for c in b]
        for owner, target in (("us", "x"), ("us", "c"), ("a", "us")):
            assert (web_of_trust(snap, owner, target, exclude_listed=exclude, marginals_needed=1).as_dict()
                    == web_of_trust(G, owner, target, exclude_listed=exclude, marginals_needed=1).as_dict())
    assert ChainIndex(snap).widest_from("us") == ChainIndex(G).widest_from("us")
    assert (ReferralBook(tables["referrals"], snap, evidence=ev).lookup("x", for_org="us")
            == ReferralBook(tables["referrals"], G, evidence=ev).lookup("x", for_org="us"))
    with pytest.raises(ValueError, match="snapshot"):
        ChainIndex(snap, weight="positive")


def test_evidence_and_referrals_fetched_for_the_parties_concerned() -> None:
    tables = _rich_tables()
    ev = evidence_frame(tables, half_life_days=None)
    snap = compile_tables(tables, half_life_days=None)
    asked: list[list[str]] = []

    def evidence_of(parties: list[str]) -> pd.DataFrame:
        asked.append(parties)
        keep = ev["src"].isin(parties) | ev["dst"].isin(parties)
        return ev.loc[keep.to_numpy()]

    chains = vouching_chains(snap, "us", "x", evidence=evidence_of)
    assert asked == [sorted({n for c in chains for n in c.path})]
    assert [c.as_dict() for c in chains] == [c.as_dict() for c in vouching_chains(snap, "us", "x", evidence=ev)]
    assert chains[0].path == ("us", "a", "x")
    assert [[e["ref"] for e in link.evidence] for link in chains[0].links] == [["R1"], ["R2"]]
    # No chain: nothing to fetch.
    assert vouching_chains(snap, "x", "d", evidence=evidence_of) == [] and len(asked) == 1

    refs = tables["referrals"]
    looked_up: list[str] = []

    def referrals_of(party: str) -> pd.DataFrame:
        looked_up.append(party)
        return refs.loc[((refs["source"] == party) | (refs["target"] == party)).to_numpy()]

    whole = ReferralBook(refs, snap, evidence=ev)
    rows = ReferralBook(referrals_of, snap, evidence=evidence_of)
    for party, origin in (("x", "us"), ("us", None), ("b", "x")):
        assert rows.lookup(party, for_org=origin) == whole.lookup(party, for_org=origin)
    assert looked_up == ["x", "us", "b"]
    early = compile_tables(tables, as_of="2024-02-15", half_life_days=None)
    assert [r["referral"] for r in ReferralBook(referrals_of, early).lookup("x")["referred_by"]] == ["R10", "R7", "R11"]


def test_graph_edges_in_any_order() -> None:
    # Adjacency not sorted by target: the index orders the hops itself.
    G = graph(list(reversed(NET)))
    index = ChainIndex(G)
    us, x = index.node_index("us"), index.node_index("x")
    assert index.has_edge(us, x) and not index.has_edge(x, us)
    assert [c.path for c in vouching_chains(G, "us", "x", index=index)] == [
        ("us", "b", "c", "x"), ("us", "a", "x"), ("us", "x")]


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(2, 12), density=st.floats(0.05, 0.6), max_hops=st.integers(1, 6))
def test_reachable_matches_brute_force(seed: int, n: int, density: float, max_hops: int) -> None:
    """The quick "is there any chain" (bidirectional breadth-first search) agrees with enumerating
    every simple path: the search's shortcut and the no-chain hints rely on it."""
    rng = random.Random(seed)
    G = nx.gnp_random_graph(n, density, seed=seed, directed=True)
    G = nx.relabel_nodes(G, {i: f"n{i}" for i in G})
    for u, v in G.edges:
        G[u][v]["trust"] = rng.choice([0.3, 0.5, 0.55, 0.7, 0.9])
    for node in G:
        G.nodes[node]["listed"] = rng.random() < 0.2
    s, t = rng.sample(sorted(G), 2)
    assert ChainIndex(G).reachable(s, t, max_hops) == bool(_brute(G, s, t, 1, max_hops))
    assert ChainIndex(G, exclude_listed=False).reachable(s, t, max_hops) == any(
        min(G[u][v]["trust"] for u, v in itertools.pairwise(p)) > 0.5
        for p in nx.all_simple_paths(G, s, t, cutoff=max_hops))


def test_chain_index_is_kept_with_its_snapshot() -> None:
    from trustgraph.snapshot import as_snapshot

    snap = as_snapshot(graph(NET))
    assert ChainIndex.of(snap) is ChainIndex.of(snap)
    assert ChainIndex.of(snap, min_trust=0.6) is not ChainIndex.of(snap)
    assert ChainIndex.of(snap, exclude_listed=False) is not ChainIndex.of(snap)
    assert [c.path for c in vouching_chains(snap, "us", "x")] == [c.path for c in vouching_chains(graph(NET), "us", "x")]
