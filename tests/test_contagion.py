"""Blacklist contagion: hand-computed exposures, listings in time, paths, what-if, real data."""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustgraph.analysis.contagion import (
    LISTING_WINDOW_DAYS,
    combined_risk,
    contagion,
    contagion_scores,
    exposure_paths,
    listed_parties,
    shared_people,
    what_if,
)
from trustgraph.errors import ConfigurationError, NotFoundError
from trustgraph.graph import project
from trustgraph.ingest import load_dataset

HEADERS = {
    "organizations": "id,name",
    "referrals": "id,source,target,strength,date,recipient,note",
    "partnerships": "id,name,kind,start,end,status",
    "partnership_members": "partnership,organization,role",
    "blacklist": "id,lister,listed,date,until,reason,source",
    "people": "id,name,organization,role,from,until,previous",
}


def dataset(tmp_path: Path, orgs: str, **tables: list[str]) -> dict[str, pd.DataFrame]:
    """Write a tiny dataset (organisation ids, then rows per table) and load it through ingest."""
    folder = tmp_path / "data"
    folder.mkdir(exist_ok=True)
    (folder / "organizations.csv").write_text(
        HEADERS["organizations"] + "\n" + "".join(f"{o},Org {o}\n" for o in orgs.split()), encoding="utf-8")
    for name, rows in tables.items():
        (folder / f"{name}.csv").write_text(HEADERS[name] + "\n" + "".join(r + "\n" for r in rows), encoding="utf-8")
    return load_dataset(folder)


def referral(i: int, src: str, dst: str, strength: float, date: str = "2024-01-01") -> str:
    return f"R{i},{src},{dst},{strength},{date},,"


@pytest.fixture()
def chain(tmp_path: Path) -> nx.DiGraph:
    """d → a → b → c → L, every tie one full-strength referral, no decay."""
    refs = [referral(1, "d", "a", 1), referral(2, "a", "b", 1), referral(3, "b", "c", 1), referral(4, "c", "L", 1)]
    return project(dataset(tmp_path, "a b c d L", referrals=refs), half_life_days=None)


# -- decay per hop, cut-off ------------------------------------------------------------------------


def test_decay_per_hop_with_the_default_prior(chain: nx.DiGraph) -> None:
    # Each party's only tie is one unit of evidence: share = 1 / (1 + prior 1) = 1/2 per tie,
    # and every hop beyond the first is halved (decay 0.5).
    s = contagion_scores(chain, listed=["L"])
    assert s["L"] == 1.0
    assert s["c"] == pytest.approx(0.5)
    assert s["b"] == pytest.approx(0.5 * 0.5 * 0.5)  # δ · ½ · ½
    assert s["a"] == pytest.approx(0.25 * 0.5**3)  # δ² · ½³
    assert s["d"] == 0.0  # four ties away: beyond the default cut-off of 3


def test_decay_parameter_and_cut_off(chain: nx.DiGraph) -> None:
    s = contagion_scores(chain, listed=["L"], decay=0.25, prior=0.0)
    assert (s["c"], s["b"], s["a"], s["d"]) == pytest.approx((1.0, 0.25, 0.0625, 0.0))
    s = contagion_scores(chain, listed=["L"], hops=4, prior=0.0)
    assert s["d"] == pytest.approx(0.125)  # δ³
    s = contagion_scores(chain, listed=["L"], hops=1, prior=0.0)
    assert (s["c"], s["b"]) == (1.0, 0.0)


def test_older_ties_count_less(tmp_path: Path) -> None:
    # c's referral of L is one half-life old: 0.5 units of evidence, share 0.5 / (0.5 + 1) = 1/3.
    refs = [referral(1, "c", "L", 1, "2022-01-01"), referral(2, "a", "b", 1, "2024-01-01")]
    G = project(dataset(tmp_path, "a b c L", referrals=refs), half_life_days=730.0)
    assert contagion_scores(G, listed=["L"])["c"] == pytest.approx(1 / 3)


# -- listings in time ------------------------------------------------------------------------------


def test_a_listing_stops_spreading_when_it_expires(tmp_path: Path) -> None:
    tables = dataset(
        tmp_path, "c L X",
        referrals=[referral(1, "c", "L", 1, "2018-06-01")],
        blacklist=["B1,X,L,2019-01-01,2021-03-01,Late accounts,notice"],
    )
    during = project(tables, as_of="2020-06-01", half_life_days=None)
    assert listed_parties(during) == {"L"}
    assert contagion_scores(during)["c"] == pytest.approx(0.5)
    for day in ("2021-03-01", "2022-01-01"):  # `until` is the first day it no longer applies
        after = project(tables, as_of=day, half_life_days=None)
        assert listed_parties(after) == set()
        assert contagion_scores(after) == {"c": 0.0, "L": 0.0, "X": 0.0}
    before = project(tables, as_of="2018-12-31", half_life_days=None)
    assert contagion_scores(before)["c"] == 0.0


def test_expired_and_open_listings_together(tmp_path: Path) -> None:
    tables = dataset(
        tmp_path, "c d L M X",
        referrals=[referral(1, "c", "L", 1, "2018-06-01"), referral(2, "d", "M", 1, "2018-06-01")],
        blacklist=["B1,X,L,2019-01-01,2021-03-01,Late accounts,notice", "B2,X,M,2019-01-01,,Fraud,notice"],
    )
    G = project(tables, as_of="2022-01-01", half_life_days=None)
    s = contagion_scores(G)
    assert (s["c"], s["d"]) == (0.0, pytest.approx(0.5))


# -- normalisation ---------------------------------------------------------------------------------


def test_a_hub_with_one_listed_partner_scores_below_a_small_party_whose_only_partner_is_listed(
    tmp_path: Path,
) -> None:
    hub_partners = [f"p{i}" for i in range(1, 10)] + ["L"]
    ships = [f"S{i},Project {i},bilateral,2020-01-01,2021-01-01,completed" for i in range(1, 12)]
    members = [m for i, p in enumerate(hub_partners, 1) for m in (f"S{i},H,lead", f"S{i},{p},member")]
    members += ["S11,S,lead", "S11,L,member"]
    G = project(dataset(tmp_path, "H S L " + " ".join(hub_partners[:-1]), partnerships=ships,
                        partnership_members=members), half_life_days=None)
    s = contagion_scores(G, listed=["L"])
    # S: one completed partnership (1 unit) with L out of 1 unit + prior 1.
    assert s["S"] == pytest.approx(0.5)
    # H: 1 unit of 10 (+1) with L; and walks H → p_i → H → L (p_i's one unit of 1 + 1 is with H).
    assert s["H"] == pytest.approx(1 / 11 + 9 * 0.25 * (1 / 11) * (1 / 2) * (1 / 11))
    assert s["p1"] == pytest.approx(0.5 * (1 / 2) * (1 / 11))
    assert s["H"] < s["S"]
    risk = combined_risk(s, {"H": 0.8, "S": 0.5})
    # S knows nothing else (reputation 0.5 on the prior's one voice); exposure ½ speaks with voice
    # ½ / (1 − ½) = 1: x' = (0 − 1) / (1 + 1).
    assert risk["H"] < risk["S"] == pytest.approx(0.75)


def test_combined_risk_weighs_exposure_against_what_is_known() -> None:
    exposure = {"new": 0.5, "known": 0.5, "clean": 0.0, "distanced": -0.4, "L": 1.0}
    reputation = dict.fromkeys(exposure, 0.7)
    support = {"new": 1.0, "known": 20.0, "clean": 1.0, "distanced": 1.0, "L": 50.0}
    risk = combined_risk(exposure, reputation, support)
    # x = 0.4; exposure ½ speaks with voice 1. new: (1·0.4 − 1) / 2 = −0.3; known: (20·0.4 − 1) / 21 = 1/3.
    assert risk["new"] == pytest.approx(0.65)
    assert risk["known"] == pytest.approx(1 / 3)
    # As exposure nears 1 the risk nears a listed party's, whatever the record.
    assert combined_risk({"k": 0.999}, {"k": 0.95}, {"k": 50.0})["k"] > 0.9
    assert risk["clean"] == pytest.approx(0.3)  # no exposure: 1 − reputation
    # Distancing −0.4 speaks for the party with voice 0.4 / 0.6 = ⅔: x' = (0.4 + ⅔) / (1 + ⅔) = 0.64.
    assert risk["distanced"] == pytest.approx(0.18)
    # With nothing known (reputation 0.5 on the prior's one voice) risk ranks exactly as exposure.
    grades = {"a": -0.6, "b": -0.1, "c": 0.0, "d": 0.05, "e": 0.4, "f": 0.9}
    unknown = combined_risk(grades, None)
    assert sorted(grades, key=unknown.__getitem__) == sorted(grades, key=grades.__getitem__)
    assert len(set(unknown.values())) == len(grades) and unknown["c"] == pytest.approx(0.5)
    assert risk["L"] == 1.0  # listed
    assert combined_risk({"a": 0.3}, None) == combined_risk({"a": 0.3}, {"a": 0.5}, {"a": 1.0})


def test_a_warning_is_a_distancing_and_being_vouched_for_exposes_nobody(tmp_path: Path) -> None:
    refs = [referral(1, "x", "L", -1), referral(2, "x", "y", 1), referral(3, "L", "z", 1)]
    G = project(dataset(tmp_path, "x y z L", referrals=refs), half_life_days=None)
    s = contagion_scores(G, listed=["L"], prior=0.0)
    assert s["x"] == pytest.approx(-0.5)  # half of x's activity is a warning about L
    assert s["z"] == 0.0  # L vouching for z says nothing about z's choices
    assert s["y"] == 0.0


def test_shared_people_tie_organisations(tmp_path: Path) -> None:
    people = ["P1,Ana,L,director,2015-01-01,2020-01-01,", "P2,Ana,z,director,2020-01-01,,P1"]
    tables = dataset(tmp_path, "z L", people=people)
    ties = shared_people(tables, as_of="2024-01-01", half_life_days=None)
    assert sorted(zip(ties["src"], ties["dst"], strict=True)) == [("L", "z"), ("z", "L")]
    assert set(ties["kind"]) == {"person"} and set(ties["positive"]) == {0.5}
    G = project(tables, as_of="2024-01-01", half_life_days=None)
    assert contagion_scores(G, listed=["L"])["z"] == 0.0
    assert contagion_scores(G, listed=["L"], people=ties)["z"] == pytest.approx(0.5 / 1.5)
    doc = exposure_paths(G, "z", listed=["L"], people=ties)
    assert doc["paths"][0]["ties"][0]["kinds"] == ["person"]
    assert "moved from L (P1) to z (P2)" in doc["paths"][0]["ties"][0]["evidence"][0]["detail"]


# -- explanations ----------------------------------------------------------------------------------


def diamond() -> nx.DiGraph:
    G = nx.DiGraph()
    for u, v, pos, neg in [("a", "b", 2, 0), ("a", "c", 1, 0), ("a", "L", 0, 1), ("b", "L", 1, 0),
                           ("b", "M", 1, 0), ("c", "M", 3, 1), ("c", "d", 1, 0)]:
        G.add_edge(u, v, positive=float(pos), negative=float(neg), kinds="referral", last="2024-01-01")
    return G


def test_exposure_paths_strongest_first_and_summing_to_the_score() -> None:
    G = diamond()
    doc = exposure_paths(G, "a", listed=["L", "M"], prior=0.0)
    # a's activity 4: shares b 1/2, c 1/4, L −1/4; b: L 1/2, M 1/2; c: activity 5, M net 2 → 2/5.
    got = [(p["path"], p["strength"]) for p in doc["paths"]]
    assert got == [
        (["a", "L"], pytest.approx(-0.25)),
        (["a", "b", "L"], pytest.approx(0.125)),
        (["a", "b", "M"], pytest.approx(0.125)),
        (["a", "c", "M"], pytest.approx(0.05)),
    ]
    assert doc["score"] == pytest.approx(sum(p["strength"] for p in doc["paths"]))
    assert doc["paths"][0]["ties"][0]["sign"] == "distancing"
    assert [p["path"] for p in exposure_paths(G, "a", listed=["L", "M"], prior=0.0, limit=2)["paths"]] == [
        ["a", "L"], ["a", "b", "L"]]
    assert exposure_paths(G, "a", listed=["L", "M"], prior=0.0, hops=1)["paths"][0]["path"] == ["a", "L"]


def test_contagion_rows_explain_the_score() -> None:
    G = diamond()
    rows = contagion(G, listed=["L", "M"], prior=0.0, max_exposures=10)
    assert [r["id"] for r in rows[:2]] == ["L", "M"] and rows[0]["rank"] == rows[1]["rank"] == 1
    by_id = {r["id"]: r for r in rows}
    a = by_id["a"]
    assert a["exposed_to"] == 2
    assert sum(e["contribution"] for e in a["exposures"]) == pytest.approx(a["score"])
    assert {e["id"]: e["contribution"] for e in a["exposures"]} == pytest.approx({"L": -0.125, "M": 0.175})
    # L's strongest path is by |strength|: the direct warning (−1/4) beats the endorsement via b (1/8).
    paths = {e["id"]: (e["path"], e["path_strength"]) for e in a["exposures"]}
    assert paths["L"] == (["a", "L"], pytest.approx(-0.25))
    assert paths["M"] == (["a", "b", "M"], pytest.approx(0.125))
    assert by_id["d"]["score"] == 0.0 and by_id["d"]["exposures"] == []
    assert [r["id"] for r in contagion(G, listed=["L", "M"], limit=3)] == ["L", "M", "b"]


def test_what_if_reports_changes_and_leaves_the_graph_alone() -> None:
    G = diamond()
    nx.set_node_attributes(G, {"L": True}, "listed")
    snapshot = copy.deepcopy(G)
    rows = what_if(G, ["M"], prior=0.0)
    assert nx.utils.graphs_equal(G, snapshot)
    assert listed_parties(G) == {"L"}
    got = {r["id"]: (r["before"], r["after"], r["change"]) for r in rows}
    assert set(got) == {"M", "a", "b", "c"}
    assert got["b"] == pytest.approx((0.5, 1.0, 0.5))
    assert got["c"] == pytest.approx((0.0, 0.4, 0.4))
    assert rows[0]["id"] == "M" and rows[0]["hypothetical"] and rows[0]["score"] == 1.0
    assert what_if(G, ["L"], prior=0.0) == []  # already listed: nothing changes


def test_errors() -> None:
    G = diamond()
    with pytest.raises(NotFoundError, match="nope"):
        contagion_scores(G, listed=["nope"])
    with pytest.raises(NotFoundError):
        exposure_paths(G, "nope", listed=["L"])
    with pytest.raises(NotFoundError):
        what_if(G, ["nope"], listed=["L"])
    for bad in ({"hops": 0}, {"decay": 0.0}, {"decay": 1.5}, {"prior": -1.0}):
        with pytest.raises(ConfigurationError):
            contagion_scores(G, listed=["L"], **bad)
    assert contagion_scores(nx.DiGraph()) == {} and contagion(nx.DiGraph()) == []


@st.composite
def signed_graphs(draw: st.DrawFn) -> tuple[nx.DiGraph, list[int]]:
    n = draw(st.integers(2, 9))
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    for u in range(n):
        for v in range(n):
            if u != v and draw(st.booleans()):
                G.add_edge(u, v, positive=draw(st.floats(0, 3)), negative=draw(st.floats(0, 3)))
    listed = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=n, unique=True))
    return G, listed


@settings(max_examples=60, deadline=None)
@given(signed_graphs(), st.integers(1, 4), st.floats(0.05, 1.0), st.floats(0.0, 2.0))
def test_scores_are_bounded_and_decompose_exactly(case: tuple[nx.DiGraph, list[int]], hops: int, decay: float,
                                                  prior: float) -> None:
    G, listed = case
    rows = contagion(G, listed=listed, hops=hops, decay=decay, prior=prior, max_exposures=len(G))
    for r in rows:
        assert -1.0 <= r["score"] <= 1.0
        if r["listed"]:
            assert r["score"] == 1.0
            continue
        assert sum(e["contribution"] for e in r["exposures"]) == pytest.approx(r["score"], abs=1e-9)
        for e in r["exposures"]:
            path = e["path"]
            assert path[0] == r["id"] and path[-1] == e["id"] and len(path) - 1 <= hops
            assert all(G.has_edge(u, v) for u, v in zip(path, path[1:], strict=False))
            assert not any(p in listed for p in path[1:-1])


def _brute_force_paths(G: nx.DiGraph, source: int, listed: set[int], hops: int, decay: float,
                       prior: float) -> dict[tuple[int, ...], float]:
    """Every path the module docs define, enumerated depth-first with its strength from the edge
    attributes alone: net-positive shares through unlisted parties, one signed share into a listed one."""
    def share(u: int, v: int) -> float:
        activity = sum(d["positive"] + d["negative"] for _, _, d in G.out_edges(u, data=True)) + prior
        d = G.edges[u, v]
        return (d["positive"] - d["negative"]) / activity if activity > 0 else 0.0

    out: dict[tuple[int, ...], float] = {}

    def walk(path: list[int], prod: float) -> None:
        u = path[-1]
        for v in G.successors(u):
            if v in path:
                continue
            s = share(u, v)
            if v in listed and s != 0.0:
                out[(*path, v)] = prod * s * decay ** (len(path) - 1)
            elif v not in listed and s > 0.0 and len(path) < hops:
                walk([*path, v], prod * s)

    walk([source], 1.0)
    return out


@settings(max_examples=80, deadline=None)
@given(signed_graphs(), st.integers(1, 4), st.floats(0.05, 1.0), st.floats(0.0, 2.0), st.integers(1, 6))
def test_exposure_paths_are_every_path_strongest_first(case: tuple[nx.DiGraph, list[int]], hops: int,
                                                       decay: float, prior: float, limit: int) -> None:
    """The best-first walk, ordered by what a partial path can still become, returns exactly the paths
    a depth-first enumeration finds, strongest first; with a limit, the strongest ones."""
    G, listed = case
    for source in (v for v in G if v not in listed):
        expected = _brute_force_paths(G, source, set(listed), hops, decay, prior)
        got = exposure_paths(G, source, listed=listed, hops=hops, decay=decay, prior=prior)["paths"]
        assert {tuple(p["path"]): p["strength"] for p in got} == pytest.approx(expected, abs=1e-12)
        strengths = [abs(p["strength"]) for p in got]
        assert all(a >= b - 1e-12 for a, b in zip(strengths, strengths[1:], strict=False))
        top = exposure_paths(G, source, listed=listed, hops=hops, decay=decay, prior=prior, limit=limit)["paths"]
        assert [p["path"] for p in top] == [p["path"] for p in got[:limit]]
        if len(got) > limit:
            assert min(abs(p["strength"]) for p in top) >= max(strengths[limit:]) - 1e-12


# -- the sample's planted situations ---------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_graph(sample_tables: dict[str, pd.DataFrame]) -> tuple[nx.DiGraph, pd.DataFrame]:
    G = project(sample_tables)
    return G, shared_people(sample_tables, as_of=G.graph["as_of"], half_life_days=G.graph["half_life_days"])


def test_sample_ring_and_front_rank_first_and_the_honest_hub_is_not_condemned(sample_graph) -> None:
    G, people = sample_graph
    assert listed_parties(G) == {"ORG015", "ORG026", "ORG054"}  # ORG061's listing lapsed in 2021
    rows = contagion(G, people=people)
    rank = {r["id"]: r["rank"] for r in rows}
    score = {r["id"]: r["score"] for r in rows}
    unlisted = [r for r in rows if not r["listed"]]
    top = {r["id"] for r in unlisted[:5]}
    assert {"ORG013", "ORG014", "ORG063", "ORG016"} <= top  # the ring's shells and the front
    assert score["ORG019"] < 0  # honest hub: reported, terminated and warned about ORG054
    assert rank["ORG019"] > len(rows) // 2
    exposed = next(r for r in rows if r["id"] == "ORG021")  # exposed partner, two hops from ORG026
    assert exposed["score"] > 0 and exposed["exposures"][0]["path"] == ["ORG021", "ORG025", "ORG026"]


def test_sample_exposure_paths_carry_the_evidence(sample_graph, sample_tables) -> None:
    from trustgraph.evidence import evidence_frame

    G, people = sample_graph
    ev = evidence_frame(sample_tables, as_of=G.graph["as_of"], half_life_days=G.graph["half_life_days"])
    doc = exposure_paths(G, "ORG021", people=people, evidence=ev)
    first = doc["paths"][0]
    assert first["path"] == ["ORG021", "ORG025", "ORG026"] and first["hops"] == 2
    assert first["listed"]["listings"][0]["lister"] == "ORG027"
    tie = first["ties"][1]
    assert tie["from"] == "ORG025" and "partnership" in tie["kinds"]
    assert any(row["ref"] == "PS005" for row in tie["evidence"])
    assert all(row["date"] <= tie["date"] for row in tie["evidence"])
    strengths = [abs(p["strength"]) for p in doc["paths"]]
    assert strengths == sorted(strengths, reverse=True)
    assert not any(p["path"][0] != "ORG021" for p in doc["paths"])


# -- real data: protocol B of EVALUATION.md on leak-free Bitcoin OTC -----------------------------------


@pytest.mark.realdata
def test_protocol_b_on_leak_free_otc(otc_path: Path) -> None:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from otc_protocol import leak_free_otc, roc_auc

    from trustgraph.analysis.reputation import reputation_support

    tables, trusted, labels = leak_free_otc(otc_path.parents[1])
    G = project(tables, half_life_days=None)
    reputation, support = reputation_support(G, pretrusted=trusted)
    fraud = sorted(u for u, y in labels.items() if y == 1)
    exposure_auc, risk_auc, reputation_auc = [], [], []
    for seed in range(10):
        listed = set(np.random.default_rng(seed).choice(fraud, len(fraud) // 2, replace=False).tolist())
        rest = {u: y for u, y in labels.items() if u not in listed}
        scores = contagion_scores(G, listed=listed)
        exposure_auc.append(roc_auc(rest, scores))
        risk_auc.append(roc_auc(rest, combined_risk(scores, reputation, support)))
        reputation_auc.append(roc_auc(rest, {u: 1 - reputation[u] for u in rest}))
    assert np.mean(exposure_auc) > 0.6  # the anchors: Anti-TrustRank 0.43, "vouched for a listed party" 0.59
    assert np.mean(risk_auc) >= np.mean(reputation_auc)


def test_snapshot_carries_the_shared_people(sample_tables: dict[str, pd.DataFrame], sample_graph) -> None:
    """The snapshot's own shared-people ties give the scores the graph gets with shared_people()."""
    from trustgraph.snapshot import compile_tables

    G, people = sample_graph
    snap = compile_tables(sample_tables, as_of=G.graph["as_of"], half_life_days=G.graph["half_life_days"])
    assert contagion_scores(snap) == pytest.approx(contagion_scores(G, people=people), abs=1e-12)
    rows_g, rows_s = contagion(G, people=people, limit=10), contagion(snap, limit=10)
    assert [(r["id"], r["rank"], r["exposed_to"]) for r in rows_s] == [
        (r["id"], r["rank"], r["exposed_to"]) for r in rows_g]
    assert [e["path"] for e in rows_s[4]["exposures"]] == [e["path"] for e in rows_g[4]["exposures"]]
    doc_g, doc_s = exposure_paths(G, "ORG021", people=people), exposure_paths(snap, "ORG021")
    assert [p["path"] for p in doc_s["paths"]] == [p["path"] for p in doc_g["paths"]]
    assert [t["kinds"] for p in doc_s["paths"] for t in p["ties"]] == [
        t["kinds"] for p in doc_g["paths"] for t in p["ties"]]
    w_s, w_g = what_if(snap, ["ORG019"]), what_if(G, ["ORG019"], people=people)
    assert [(r["id"], r["rank_after"]) for r in w_s] == [(r["id"], r["rank_after"]) for r in w_g]
    assert [r["change"] for r in w_s] == pytest.approx([r["change"] for r in w_g], abs=1e-12)


def test_exposure_evidence_from_rows_about_the_path(sample_tables: dict[str, pd.DataFrame], sample_graph,
                                                   sample_store) -> None:
    """Evidence fetched for the parties on the paths only equals evidence from the whole tables."""
    from trustgraph.evidence import evidence_frame
    from trustgraph.snapshot import compile_tables

    G, people = sample_graph
    as_of, hl = G.graph["as_of"], G.graph["half_life_days"]
    snap = compile_tables(sample_tables, as_of=as_of, half_life_days=hl)
    asked: list[list[str]] = []

    def about(parties):
        asked.append(list(parties))
        rows = sample_store.about(parties)  # indexed look-ups: the rows about those parties only
        return evidence_frame(rows, as_of=as_of, half_life_days=hl), shared_people(rows, as_of=as_of, half_life_days=hl)

    ev = evidence_frame(sample_tables, as_of=as_of, half_life_days=hl)
    whole = exposure_paths(G, "ORG016", people=people, evidence=ev)
    fetched = exposure_paths(snap, "ORG016", evidence_about=about)
    assert fetched["score"] == pytest.approx(whole["score"], abs=1e-12)
    assert [p["path"] for p in fetched["paths"]] == [p["path"] for p in whole["paths"]]
    for mine, theirs in zip(fetched["paths"], whole["paths"], strict=True):
        for a, b in zip(mine["ties"], theirs["ties"], strict=True):
            assert (a["kinds"], a["date"], a["evidence"]) == (b["kinds"], b["date"], b["evidence"])
            assert a["share"] == pytest.approx(b["share"], abs=1e-12)
            assert a["strength"] == pytest.approx(b["strength"], abs=1e-12)
    assert len(asked) == 1 and set(asked[0]) == {v for p in whole["paths"] for v in p["path"]}


def test_one_risk_assembly(sample_graph) -> None:
    """assess_risk is reputation_support + contagion_scores + combined_risk, and contagion reuses it."""
    from trustgraph.analysis.contagion import assess_risk
    from trustgraph.analysis.reputation import reputation_support

    G, people = sample_graph
    reputation, support = reputation_support(G)
    exposure = contagion_scores(G, people=people)
    assessed = assess_risk(G, people=people)
    assert assessed.to_dict("risk") == pytest.approx(combined_risk(exposure, reputation, support), abs=1e-12)
    assert assessed.to_dict("exposure") == pytest.approx(exposure, abs=1e-12)
    rows = contagion(assessed.snapshot, risk=assessed, limit=5)
    same = contagion(G, people=people, reputation=reputation, support=support, limit=5)
    assert [(r["id"], r["risk"], r["support"]) for r in rows] == [(r["id"], r["risk"], r["support"]) for r in same]
    with pytest.raises(ConfigurationError):
        contagion(assessed.snapshot, risk=assessed, hops=2)


# -- timing relative to the listing, and the endorsement view (issue 16) ---------------------------


def _dated_graph() -> nx.DiGraph:
    G = nx.DiGraph(half_life_days=730.0, as_of="2025-01-01")
    G.add_node("L", listed=True, listings=[{"id": "B1", "lister": "x", "date": "2024-01-01"}])
    for v in ("old", "late", "warned", "endorser", "p1", "p2", "p3", "vouched"):
        G.add_node(v)
    G.add_edge("old", "L", positive=1.0, negative=0.0, kinds="partnership", last="2020-01-01")  # 4 years before
    G.add_edge("late", "L", positive=1.0, negative=0.0, kinds="partnership", last="2024-06-01")  # after the listing
    G.add_edge("warned", "L", positive=0.0, negative=1.0, kinds="incident", last="2016-01-01")
    G.add_edge("endorser", "L", positive=1.0, negative=0.0, kinds="referral", last="2024-03-01")
    for p in ("p1", "p2", "p3"):
        G.add_edge("endorser", p, positive=1.0, negative=0.0, kinds="partnership", last="2024-03-01")
    G.add_edge("L", "vouched", positive=1.0, negative=0.0, kinds="referral", last="2024-03-01")
    return G


def test_timing_discounts_associations_that_ended_before_the_listing() -> None:
    s = contagion_scores(_dated_graph(), prior=0.0)
    # Four years before the listing: a year or more before it counts nothing (its only tie).
    assert s["old"] == 0.0
    assert s["late"] == pytest.approx(1.0)  # evidence after the listing counts fully
    assert s["warned"] == pytest.approx(-1.0)  # distancing is not discounted
    undated = contagion_scores(_dated_graph(), listed=["L"], prior=0.0)  # same listing, from the graph
    assert undated == s
    G = _dated_graph()
    G.graph["half_life_days"] = None  # no decay: no timing either
    assert contagion_scores(G, prior=0.0)["old"] == pytest.approx(1.0)


def test_timing_weighs_each_piece_of_evidence_by_its_own_date(tmp_path: Path) -> None:
    """A tie whose newest evidence is at the listing (a termination) but whose associations all predate
    it counts those associations by their own dates; an association carried on after the listing
    counts fully. The snapshot and its NetworkX form agree."""
    from trustgraph.snapshot import compile_tables, from_graph

    tables = dataset(
        tmp_path, "early ended late L X",
        referrals=[referral(1, "early", "L", 1, "2021-01-01"), referral(2, "late", "L", 1, "2023-06-01")],
        partnerships=["S1,Study,bilateral,2019-01-01,2021-01-01,completed",
                      "S2,Supply,bilateral,2021-06-01,2023-01-01,terminated"],
        partnership_members=["S1,ended,lead", "S1,L,member", "S2,ended,lead", "S2,L,member"],
        blacklist=["B1,X,L,2023-01-01,,Fraud,notice"],
    )
    snap = compile_tables(tables, as_of="2024-01-01", half_life_days=730.0)
    s = contagion_scores(snap, prior=0.0)
    assert s["early"] == 0.0  # dated two years before the listing: no evidence of collusion
    assert s["late"] == pytest.approx(1.0)
    # ended: its completed study (2019-2021, two to four years before) counts nothing though the tie's
    # newest evidence, the termination, is at the listing (and is not discounted: a distancing): the
    # tie is the termination alone. By the newest date alone the study would count fully.
    k = snap.edge(snap.index_of("ended"), snap.index_of("L"))
    pos, neg = float(snap.positive[k]), float(snap.negative[k])
    assert pos > 0 and neg > 0 and snap.last[k] == np.datetime64("2023-01-01", "D").astype(int)
    assert s["ended"] == pytest.approx(-neg / (pos + neg)) and s["ended"] < 0
    assert contagion_scores(from_graph(snap.to_networkx()), prior=0.0) == pytest.approx(s)
    from trustgraph.snapshot import Snapshot

    saved = Snapshot.load(snap.save(tmp_path / "snap"))  # the on-disk cache keeps the timing
    assert saved.timing is not None and contagion_scores(saved, prior=0.0) == pytest.approx(s)
    # Without decay (--half-life 0) evidence counts at face value, whenever dated.
    assert contagion_scores(compile_tables(tables, as_of="2024-01-01", half_life_days=None), prior=0.0)["early"] == 1.0


def test_a_partnership_is_timed_over_its_span(tmp_path: Path) -> None:
    """A partnership is dated at its end, but its dealings ran from its start: relative to a listing it
    counts by the mean timing factor over its days — a long partnership that ended at the listing
    mostly predates it; one that runs on after the listing counts its days since the listing fully."""
    from trustgraph.snapshot import compile_tables

    tables = dataset(
        tmp_path, "long short onward L X",
        partnerships=["S1,Long,bilateral,2018-01-01,2023-01-01,completed",
                      "S2,Short,bilateral,2022-12-01,2023-01-01,completed",
                      "S3,Onward,bilateral,2022-01-01,2024-01-01,completed"],
        partnership_members=["S1,long,lead", "S1,L,member", "S2,short,lead", "S2,L,member",
                             "S3,onward,lead", "S3,L,member"],
        blacklist=["B1,X,L,2023-01-01,,Fraud,notice"],
    )
    s = contagion_scores(compile_tables(tables, as_of="2024-01-01", half_life_days=730.0), prior=0.0)
    reach = 2 * LISTING_WINDOW_DAYS  # a year: τ falls linearly from 1 at the listing to 0 a year before
    # Five years (1,826 days) up to the listing: only its last year counts, by half on average (0.1),
    # where its last day alone would count 1.
    assert s["long"] == pytest.approx(reach / 2 / 1826) and 0.09 < s["long"] < 0.11
    # A month just before the listing counts almost fully (the mean of 1 − gap / reach over 31 days).
    assert s["short"] == pytest.approx(1 - 31 / 2 / reach) and s["short"] > 0.95
    # A year before and a year after: the year after counts fully, the year before by half on average.
    assert s["onward"] == pytest.approx((reach / 2 + 365) / 730)
    assert s["long"] < s["onward"] < s["short"]


def test_timing_falls_to_nothing_a_year_before_the_listing() -> None:
    """At the listing an association counts fully, half a window before it three quarters, a window
    (half a year) before it half, and from two windows (a year) before it nothing; in between it falls
    linearly, so no association, however old, ranks a party above parties with none."""
    G = nx.DiGraph(half_life_days=730.0, as_of="2025-01-01")
    listing = np.datetime64("2024-01-01")
    G.add_node("L", listed=True, listings=[{"id": "B1", "lister": "x", "date": str(listing)}])
    gaps = {"at": 0, "quarter": 91, "window": 182, "late-window": 300, "year": 366, "years": 1000}
    for name, gap in gaps.items():
        G.add_edge(name, "L", positive=1.0, negative=0.0, kinds="referral", last=str(listing - gap))
    s = contagion_scores(G, prior=0.0)
    reach = 2 * LISTING_WINDOW_DAYS
    for name, gap in gaps.items():
        assert s[name] == pytest.approx(max(0.0, 1 - gap / reach)), name
    assert s["at"] > s["quarter"] > s["window"] > s["late-window"] > s["year"] == s["years"] == 0.0


def test_an_exposure_path_shows_the_timing_factor_of_its_last_tie(tmp_path: Path) -> None:
    """The last tie of a path carries the timing factor its share includes (so an analyst can see why
    an early tie counts little), computed for the view that gave the score; other ties carry None."""
    from trustgraph.snapshot import compile_tables

    tables = dataset(
        tmp_path, "a b L X",
        referrals=[referral(1, "a", "L", 1, "2023-07-04"), referral(2, "b", "a", 1, "2024-03-01")],
        blacklist=["B1,X,L,2024-01-01,,Fraud,notice"],
    )
    snap = compile_tables(tables, as_of="2024-06-01", half_life_days=730.0)
    reach = 2 * LISTING_WINDOW_DAYS
    timing = 1 - 181 / reach  # 181 days before the listing: just over a half
    (direct,) = exposure_paths(snap, "a", prior=0.0)["paths"]
    assert direct["ties"][0]["timing"] == pytest.approx(timing)
    assert direct["strength"] == pytest.approx(timing)  # its only activity, counted by the timing
    (through,) = exposure_paths(snap, "b", prior=0.0)["paths"]
    assert [t["timing"] for t in through["ties"]] == [None, pytest.approx(timing)]


def test_endorsement_view_is_not_diluted_by_partnerships() -> None:
    G = _dated_graph()
    rows = {r["id"]: r for r in contagion(G, prior=1.0)}
    # Activity view: 1 of 4 units plus the prior (0.2); endorsement view: its one referral (1 / 2).
    assert rows["endorser"]["score"] == pytest.approx(0.5)
    assert rows["endorser"]["exposures"][0]["contribution"] == pytest.approx(0.5)
    assert rows["endorser"]["exposures"][0]["path"] == ["endorser", "L"]
    assert exposure_paths(G, "endorser", prior=1.0)["paths"][0]["strength"] == pytest.approx(0.5)
    assert rows["vouched"]["score"] == 0.0  # vouched for BY a listed party: what happened to it
    assert rows["warned"]["score"] < 0  # having endorsed nobody clears nothing


# -- vouching groups (docs/contagion.md, "Vouching groups") ----------------------------------------


def test_a_vouching_group_is_assessed_by_its_referrals_to_outsiders(tmp_path: Path) -> None:
    """a and b vouch for each other; a vouches for the listed L, b for three honest parties (each also
    vouched for by v, so none stands on b's word alone). The group's referrals to outsiders are four,
    one of them to L: the group's exposure is 1 / (4 + prior) = 0.2. b gave a fifth of its referral
    activity (with the prior) to the group, so takes 0.2 · 1/5 = 0.04 (its own walks give
    0.5 · 1/5 · 1/3 = 1/30); a keeps its own, larger, exposure."""
    refs = [referral(1, "a", "b", 1), referral(2, "b", "a", 1), referral(3, "a", "L", 1),
            *(referral(4 + k, "b", h, 1) for k, h in enumerate(("h1", "h2", "h3"))),
            *(referral(7 + k, "v", h, 1) for k, h in enumerate(("h1", "h2", "h3")))]
    G = project(dataset(tmp_path, "a b h1 h2 h3 v L", referrals=refs,
                        blacklist=["B1,X,L,2019-01-01,,Fraud,notice"]), half_life_days=None)
    rows = {r["id"]: r for r in contagion(G, prior=1.0)}
    assert rows["a"]["score"] == pytest.approx(1 / 3 + 1 / 180)  # 1/3 + a → b → a → L (0.25 · 1/3 · 1/5 · 1/3)
    assert rows["a"]["view"] == "activity" and rows["a"]["group"] is None
    assert rows["b"]["score"] == pytest.approx(0.04)
    assert rows["b"]["view"] == "group" and rows["b"]["group"] == 2
    assert [e["path"] for e in rows["b"]["exposures"]] == [["b", "a", "L"]]  # b steps to a inside the group
    assert rows["b"]["exposures"][0]["contribution"] == pytest.approx(0.04)
    assert all(rows[h]["score"] == 0.0 for h in ("h1", "h2", "h3"))
    doc = exposure_paths(G, "b", prior=1.0)
    assert (doc["view"], doc["group"], doc["score"]) == ("group", 2, pytest.approx(0.04))
    (path,) = doc["paths"]
    assert path["path"] == ["b", "a", "L"] and path["strength"] == pytest.approx(0.04) and path["hops"] == 1
    assert [t["kinds"] for t in path["ties"]] == [["vouching group"], ["referral"]]
    assert path["ties"][0]["share"] == pytest.approx(0.2)  # b's referrals to its group
    # Without a's referral of b there is no group: b is exposed through a only (0.5 · 1/5 · 1/2).
    alone = project(dataset(tmp_path, "a b h1 h2 h3 v L", referrals=[r for r in refs if not r.startswith("R1,")],
                            blacklist=["B1,X,L,2019-01-01,,Fraud,notice"]), half_life_days=None)
    assert contagion_scores(alone, prior=1.0)["b"] == pytest.approx(1 / 20)


def _ring(tmp_path: Path, others: str, refs: list[str]) -> nx.DiGraph:
    """Four parties s1..s4 vouch for each other and each for three honest parties (each also vouched
    for by v, an outsider), beside ``refs`` between them and ``others``; L is listed."""
    ring = ["s1", "s2", "s3", "s4"]
    k = 100
    for u in ring:
        for w in ring:
            if u != w:
                refs.append(referral(k := k + 1, u, w, 1))
        for j in range(3):
            refs.append(referral(k := k + 1, u, f"h{u}{j}", 1))
            refs.append(referral(k := k + 1, "v", f"h{u}{j}", 1))
    honest = " ".join(f"h{u}{j}" for u in ring for j in range(3))
    tmp_path.mkdir(parents=True, exist_ok=True)
    return project(dataset(tmp_path, f"{' '.join(ring)} {others} v L {honest}", referrals=refs,
                           blacklist=["B1,X,L,2019-01-01,,Fraud,notice"]), half_life_days=None)


def _ring_with_shell(tmp_path: Path, shell_vouched_by_v: bool) -> dict[str, dict]:
    """The ring of :func:`_ring`; s1 vouches (0.2) for shell, which vouches for the listed L."""
    refs = [referral(0, "shell", "L", 1), referral(1, "s1", "shell", 0.2)]
    if shell_vouched_by_v:
        refs.append(referral(2, "v", "shell", 1))
    return {r["id"]: r for r in contagion(_ring(tmp_path, "shell", refs), prior=1.0)}


def test_a_closed_group_is_not_shielded_by_vouching_for_itself(tmp_path: Path) -> None:
    """The shell also stands on v's word, so it is not the ring's: as one actor the ring gave 12.2 in
    referrals to outsiders, 0.2 to shell (0.2/13.2 with the prior, then shell's 1/2 and δ): each of
    s2, s3, s4 takes that by the share of its referrals that went to the group (3 of 6, with the
    prior: 3/7) — more than its own walk through s1 (1/7 · 0.2/7.2 · 1/2 · δ²), which the ring's
    internal vouching dilutes."""
    rows = _ring_with_shell(tmp_path, shell_vouched_by_v=True)
    group = (0.2 / 13.2) * 0.5 * 0.5 * (3 / 7)
    for u in ("s2", "s3", "s4"):
        assert rows[u]["score"] == pytest.approx(group) and rows[u]["view"] == "group" and rows[u]["group"] == 4
        (e,) = rows[u]["exposures"]
        assert e["path"] == [u, "s1", "shell", "L"] and e["contribution"] == pytest.approx(group)
        assert group > (1 / 7) * (0.2 / 7.2) * 0.5 * 0.25  # more than its own walk through s1
    assert rows["shell"]["score"] == pytest.approx(0.5) and rows["shell"]["group"] is None
    assert all(rows[f"h{u}{j}"]["score"] == 0.0 for u in ("s1", "s2", "s3", "s4") for j in range(3))


def test_a_party_that_stands_on_a_groups_word_alone_is_part_of_the_group(tmp_path: Path) -> None:
    """Without v's referral the shell's only voucher is s1: it is the ring's protégé and joins its
    group, so the ring's tie out is shell's referral of L — one of 13 referrals to outsiders (1/14
    with the prior) — and s2 takes 3/7 of it; s1 takes it by its own share (3.2 of 7.2). The shell
    itself keeps its own exposure (it gave nothing to the group); the honest parties, vouched for by
    v too, stay outside."""
    rows = _ring_with_shell(tmp_path, shell_vouched_by_v=False)
    for u in ("s2", "s3", "s4"):
        assert rows[u]["score"] == pytest.approx((1 / 14) * (3 / 7)) and rows[u]["group"] == 5
        (e,) = rows[u]["exposures"]
        assert e["path"] == [u, "shell", "L"]  # a step inside the group, then shell's referral of L
    assert rows["s1"]["score"] == pytest.approx((1 / 14) * (3.2 / 7.2)) and rows["s1"]["view"] == "group"
    assert rows["shell"]["score"] == pytest.approx(0.5) and rows["shell"]["view"] != "group"
    assert all(rows[f"h{u}{j}"]["score"] == 0.0 for u in ("s1", "s2", "s3", "s4") for j in range(3))
    corroborated = _ring_with_shell(tmp_path / "v", shell_vouched_by_v=True)
    assert rows["s2"]["score"] > 15 * corroborated["s2"]["score"]


def _ring_with_chain(tmp_path: Path, chain_vouched_by_v: bool) -> tuple[dict[str, dict], nx.DiGraph]:
    """The ring of :func:`_ring` hangs a chain of three shells from s1: s1 and c1 vouch for each other
    (0.2 each way), the shells c1, c2, c3 for each other both ways (1 each), and c3 for the listed L.
    w, an outsider, vouches for s3 (the ring does not stand on c1's word); optionally v vouches for c2
    too."""
    refs = [referral(0, "c3", "L", 1), referral(1, "s1", "c1", 0.2), referral(2, "c1", "s1", 0.2),
            referral(3, "w", "s3", 1)]
    k = 3
    for a, b in (("c1", "c2"), ("c2", "c3")):
        refs += [referral(k := k + 1, a, b, 1), referral(k := k + 1, b, a, 1)]
    if chain_vouched_by_v:
        refs.append(referral(k := k + 1, "v", "c2", 1))
    G = _ring(tmp_path, "c1 c2 c3 w", refs)
    return {r["id"]: r for r in contagion(G, prior=1.0)}, G


def test_a_group_that_only_one_outsider_vouches_for_stands_on_its_word(tmp_path: Path) -> None:
    """Louvain splits the chain of shells off the ring (its ties among themselves are strong, its one
    tie to the ring weak), yet nobody but s1 vouches for it: the chain is the ring's protégé, as a
    party vouched for by s1 alone would be, and the ring is assessed with the chain's referral of L as
    its own. When v vouches for c2 too, the chain has support of its own and stays apart."""
    rows, G = _ring_with_chain(tmp_path, chain_vouched_by_v=False)
    group = rows["s2"]["group"]
    assert group is not None and rows["c1"]["group"] == group and rows["s4"]["group"] == group
    assert all(rows[u]["view"] == "group" and rows[u]["score"] > 0.01 for u in ("s2", "s3", "s4"))
    assert [rows["s2"]["exposures"][0]["path"][i] for i in (0, -2, -1)] == ["s2", "c3", "L"]
    assert all(rows[f"h{u}{j}"]["score"] == 0.0 for u in ("s1", "s2", "s3", "s4") for j in range(3))
    corroborated, _ = _ring_with_chain(tmp_path / "v", chain_vouched_by_v=True)
    assert corroborated["c1"]["group"] not in (None, corroborated["s2"]["group"])
    assert all(corroborated[u]["score"] < rows[u]["score"] / 10 for u in ("s2", "s3", "s4"))
