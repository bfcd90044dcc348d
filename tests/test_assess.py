"""Entry assessment (trustgraph.analysis.assess): profiles, hand-checked thresholds, the sample's
planted situations, the profiles file, and the ``assess`` command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import trustgraph.cli.lifecycle_commands  # noqa: F401  (registers the commands until cli/__init__ imports it)
from trustgraph.analysis.assess import (
    FLAGS,
    OUTCOMES,
    PROFILE_KEYS,
    assess,
    assess_all,
    incident_history,
    load_profiles,
    most_cautious,
)
from trustgraph.errors import ConfigurationError, NotFoundError, TrustgraphError
from trustgraph.ingest import load_dataset
from trustgraph.model import TABLES, TRUST_PROFILES

ROOT = Path(__file__).resolve().parents[1]


def write_dataset(folder: Path, **tables: str) -> dict[str, pd.DataFrame]:
    """Write CSV texts (table name → text) to ``folder`` and load them through ingest."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return load_dataset(folder)


def orgs(*rows: str) -> str:
    return "id,name,culture,risk_appetite\n" + "\n".join(rows) + "\n"


def refs(*rows: tuple[str, str, float]) -> str:
    lines = ["id,source,target,strength,date,recipient,note"]
    lines += [f"R{i},{s},{t},{v},2024-06-01,," for i, (s, t, v) in enumerate(rows, 1)]
    return "\n".join(lines) + "\n"


def reason(doc: dict[str, Any], check: str) -> dict[str, Any]:
    hits = [r for r in doc["reasons"] if r["check"] == check]
    assert len(hits) == 1, [r["check"] for r in doc["reasons"]]
    return hits[0]


def checks(doc: dict[str, Any]) -> dict[str, str]:
    return {r["check"]: r["outcome"] for r in doc["reasons"]}


# --- the outcome order -----------------------------------------------------------------------------


def test_outcomes_are_ordered_by_caution() -> None:
    assert OUTCOMES == ("proceed", "proceed-with-monitoring", "needs-vouching", "decline")
    assert most_cautious([]) == "proceed"
    assert most_cautious(["proceed", "decline", "needs-vouching"]) == "decline"
    assert most_cautious(["proceed-with-monitoring", "proceed"]) == "proceed-with-monitoring"


# --- verify-later: hand-checked at proceed_trust ----------------------------------------------------
#
# No decay (half-life None), one referral A → C of strength s: trust = (s + 1) / (s + 2).
# s = 0.5 → 0.6 exactly = proceed_trust (medium) → proceed; s = 0.4 → 0.5833 → proceed-with-monitoring.
# A warning of −1 from X about C is a red flag (decline for verify-later at medium); listed C declines.


@pytest.mark.parametrize(("strength", "trust", "decision"), [
    (0.5, 0.6, "proceed"),
    (0.4, 1.4 / 2.4, "proceed-with-monitoring"),
])
def test_verify_later_at_proceed_trust(tmp_path: Path, strength: float, trust: float, decision: str) -> None:
    t = write_dataset(tmp_path, organizations=orgs("A,Assessor,verify-later,medium", "C,Candidate,,"),
                      referrals=refs(("A", "C", strength)))
    doc = assess(t, "C", "A", half_life_days=None)
    assert doc["profile"] == "verify-later" and doc["chosen_by"] == "culture"
    assert doc["decision"] == decision
    first = reason(doc, "first_hand")
    assert first["evidence"]["own_trust"]["trust"] == pytest.approx(trust)
    assert checks(doc)["screen"] == "proceed"


def test_verify_later_without_history_proceeds_with_monitoring(tmp_path: Path) -> None:
    t = write_dataset(tmp_path, organizations=orgs("A,Assessor,verify-later,medium", "C,Candidate,,", "X,Other,,"),
                      referrals=refs(("X", "C", 1.0)))
    doc = assess(t, "C", "A", half_life_days=None)
    assert doc["decision"] == "proceed-with-monitoring"
    assert reason(doc, "first_hand")["evidence"]["own_trust"] is None


def test_red_flags_warning_listing_incident(tmp_path: Path) -> None:
    t = write_dataset(
        tmp_path,
        organizations=orgs("A,Assessor,verify-later,medium", "C,Candidate,,", "X,Other,,"),
        referrals=refs(("X", "C", -1.0)),
        incidents="id,reporter,subject,kind,severity,date,partnership,description\n"
                  "I1,X,C,missed_commitment,2,2024-01-10,,late\nI2,X,C,fraud,4,2024-02-10,,invoices\n",
        incident_actions="id,incident,kind,date,note\nA1,I1,post_mortem,2024-02-01,\nA2,I2,mediation,2024-03-01,\n"
                         "A3,I2,termination,2024-04-01,\n",
        blacklist="id,lister,listed,date,until,reason,source\nB1,X,C,2024-05-01,,debarred,\n",
    )
    doc = assess(t, "C", "A", half_life_days=None)
    got = checks(doc)
    assert got["flag:warning"] == "decline"
    assert got["flag:listed"] == "decline"
    assert doc["decision"] == "decline"
    incidents = {r["evidence"]["incidents"][0]["id"]: r["check"] for r in doc["reasons"] if "incidents" in r["evidence"]
                 and r["evidence"]["incidents"]}
    # I1 repaired by a post-mortem; I2's mediation failed and it was terminated: escalated, not repaired.
    assert incidents == {"I1": "flag:repaired_incident", "I2": "flag:open_incident"}
    states = {i["id"]: i["status"] for i in incident_history(t, "C")}
    assert states == {"I1": "repaired", "I2": "escalated"}
    listed = reason(doc, "flag:listed")["evidence"]["listings"]
    assert [x["id"] for x in listed] == ["B1"] and listed[0]["reason"] == "debarred"


def test_own_distrust_is_a_flag(tmp_path: Path) -> None:
    t = write_dataset(tmp_path, organizations=orgs("A,Assessor,reputation-first,medium", "C,Candidate,,"),
                      referrals=refs(("A", "C", -0.5)))
    doc = assess(t, "C", "A", half_life_days=None)
    assert checks(doc)["flag:own_distrust"] == "decline"
    assert reason(doc, "flag:own_distrust")["evidence"]["own_trust"]["trust"] == pytest.approx(1 / 2.5)


# --- reputation-first: the referral path through a known partner ------------------------------------
#
# No decay. A and K completed a partnership (1.0 each way: trust 2/3); K referred C (1.0: trust 2/3).
# The chain A > K > C has strength 4/9 = 0.444 ≥ 0.30 and K is a known partner → proceed (when the
# reputation passes too). A > J > C is as strong, but J is no partner of A: it does not count.


def _reputation_tables(tmp_path: Path, *, via_partner: bool) -> dict[str, pd.DataFrame]:
    voucher = "K" if via_partner else "J"
    return write_dataset(
        tmp_path,
        organizations="id,name,culture,risk_appetite,pretrusted\nA,Assessor,reputation-first,medium,true\n"
                      "K,Partner,,,false\nJ,Stranger,,,false\nC,Candidate,,,false\n",
        partnerships="id,name,kind,start,end,status\nP1,Grant,grant,2023-01-01,2024-06-01,completed\n",
        partnership_members="partnership,organization,role\nP1,A,funder\nP1,K,implementer\n",
        referrals=refs(("A", "J", 1.0), (voucher, "C", 1.0)),
    )


def _book_with(tmp_path: Path, text: str) -> Any:
    path = tmp_path / "profiles.toml"
    path.write_text(text, encoding="utf-8")
    return load_profiles(path)


def test_reputation_first_needs_a_known_partner(tmp_path: Path) -> None:
    t = _reputation_tables(tmp_path / "k", via_partner=True)
    book = _book_with(tmp_path, "[profiles.reputation-first]\nmin_reputation = 0.5\ndecline_reputation = 0.4\n")
    doc = assess(t, "C", "A", profiles=book, half_life_days=None)
    path = reason(doc, "referral_path")
    assert path["outcome"] == "proceed"
    assert path["evidence"]["chain"]["path"] == ["A", "K", "C"]
    assert path["evidence"]["chain"]["strength"] == pytest.approx(4 / 9)
    assert [r["id"] for r in path["evidence"]["referrals"]] == ["R2"]

    t = _reputation_tables(tmp_path / "j", via_partner=False)
    doc = assess(t, "C", "A", profiles=book, half_life_days=None)
    path = reason(doc, "referral_path")
    assert path["outcome"] == "needs-vouching"
    assert path["evidence"]["best_chains"][0]["path"] == ["A", "J", "C"]  # a chain, but not via a partner


def test_reputation_first_at_its_thresholds(tmp_path: Path) -> None:
    from trustgraph.analysis.reputation import reputation_scores
    from trustgraph.graph import project

    t = _reputation_tables(tmp_path / "k", via_partner=True)
    score = reputation_scores(project(t, half_life_days=None))["C"]
    assert 0.5 < score < 1.0

    def decide(min_rep: float, decline_rep: float) -> str:
        book = _book_with(tmp_path, f"[profiles.reputation-first]\nmin_reputation = {min_rep!r}\n"
                                    f"decline_reputation = {decline_rep!r}\n")
        return reason(assess(t, "C", "A", profiles=book, half_life_days=None), "reputation")["outcome"]

    assert decide(score, 0.4) == "proceed"  # at the threshold: enough
    assert decide(score + 1e-6, 0.4) == "needs-vouching"  # just below it
    assert decide(score + 1e-6, score) == "needs-vouching"  # at the decline threshold: not yet declined
    assert decide(score + 2e-6, score + 1e-6) == "decline"  # below the decline threshold


# --- vouched: independent vouchers against one complete or three marginal ---------------------------
#
# No decay. A referral of strength s gives trust (s + 1) / (s + 2): s = 0.09 → 0.5215 (≥ 0.52:
# marginal), s = 0.08 → 0.5192 (below: not a usable hop), s = 0.86 → 0.6503 (≥ 0.65: complete),
# s = 0.85 → 0.6491 (marginal). Every voucher Vi → C is a full referral (2/3).


def _vouched(tmp_path: Path, strengths: list[float], *, extra: tuple[tuple[str, str, float], ...] = ()) -> Any:
    names = [f"V{i}" for i in range(1, len(strengths) + 1)]
    rows = [("A", v, s) for v, s in zip(names, strengths)] + [(v, "C", 1.0) for v in names] + list(extra)
    folder = tmp_path / "v".join(str(s) for s in strengths)
    o = orgs("A,Assessor,vouched,medium", "C,Candidate,,", *(f"{v},{v},," for v in names), "W,W,,")
    return write_dataset(folder, organizations=o, referrals=refs(*rows))


@pytest.mark.parametrize(("strengths", "decision", "completes", "marginals"), [
    ([0.09, 0.09], "needs-vouching", 0, 2),  # two marginal: below three
    ([0.09, 0.09, 0.09], "proceed", 0, 3),  # three marginal
    ([0.09, 0.09, 0.08], "needs-vouching", 0, 2),  # the third hop is below marginal_trust: no voucher
    ([0.86], "proceed", 1, 0),  # one complete
    ([0.85], "needs-vouching", 0, 1),  # just below complete: one marginal
])
def test_vouched_at_its_thresholds(tmp_path: Path, strengths: list[float], decision: str, completes: int,
                                   marginals: int) -> None:
    doc = assess(_vouched(tmp_path, strengths), "C", "A", half_life_days=None)
    assert doc["profile"] == "vouched"
    v = reason(doc, "vouchers")
    assert v["outcome"] == decision == doc["decision"]
    assert (v["evidence"]["completes"], v["evidence"]["marginals"]) == (completes, marginals)


def test_vouchers_sharing_an_intermediary_count_once(tmp_path: Path) -> None:
    # A > V1 > C and A > V1 > W > C share V1: one independent voucher, however many paths.
    t = _vouched(tmp_path, [0.09], extra=(("V1", "W", 1.0), ("W", "C", 1.0)))
    v = reason(assess(t, "C", "A", half_life_days=None), "vouchers")
    assert len(v["evidence"]["vouchers"]) == 1
    assert v["outcome"] == "needs-vouching"


def test_risk_appetite_changes_the_vouched_threshold(tmp_path: Path) -> None:
    t = _vouched(tmp_path, [0.09, 0.09])
    assert assess(t, "C", "A", half_life_days=None, risk_appetite="high")["decision"] == "proceed"  # 2 suffice
    low = assess(t, "C", "A", half_life_days=None, risk_appetite="low")
    assert low["thresholds"]["marginal_trust"] == 0.55
    assert reason(low, "vouchers")["evidence"]["marginals"] == 0  # 0.5215 is below the low appetite's 0.55


# --- relationship-first: person-to-person hops -------------------------------------------------------


def _people_tables(tmp_path: Path, ties: list[tuple[str, str]], people: list[tuple[str, str]]) -> Any:
    o = orgs("A,Assessor,relationship-first,medium", "C,Candidate,,", "X,X,,", "Y,Y,,", "Z,Z,,")
    p = "id,name,organization,role,from,until,previous\n" + "".join(
        f"{pid},Person {pid},{org},,2010-01-01,,\n" for pid, org in people)
    pt = "a,b,kind,since\n" + "".join(f"{a},{b},friend,2015-01-01\n" for a, b in ties)
    folder = tmp_path / "_".join(a + b for a, b in ties) if ties else tmp_path / "none"
    return write_dataset(folder, organizations=o, people=p, personal_ties=pt, referrals=refs(("X", "C", 0.5)))


PEOPLE = [("pa", "A"), ("px", "X"), ("px2", "X"), ("py", "Y"), ("pz", "Z"), ("pc", "C")]


@pytest.mark.parametrize(("ties", "hops", "decision"), [
    ([("pa", "pc")], 1, "proceed"),
    ([("pa", "px"), ("px", "pc")], 2, "proceed"),
    ([("pa", "px"), ("px2", "pc")], 3, "needs-vouching"),  # px and px2 are colleagues at X
    ([("pa", "px"), ("px", "py"), ("py", "pz"), ("pz", "pc")], 4, "needs-vouching"),
    ([("pa", "px"), ("px2", "py"), ("py", "pz"), ("pz", "pc")], 5, "decline"),
    ([("pa", "px")], None, "decline"),
])
def test_relationship_first_at_its_thresholds(tmp_path: Path, ties: list[tuple[str, str]], hops: int | None,
                                              decision: str) -> None:
    doc = assess(_people_tables(tmp_path, ties, PEOPLE), "C", "A", half_life_days=None)
    r = reason(doc, "person_path")
    assert r["outcome"] == decision == doc["decision"]
    path = r["evidence"]["path"]
    assert (path["hops"] if path else None) == hops
    if path:
        assert path["people"][0]["id"] == "pa" and path["people"][-1]["id"] == "pc"


def test_relationship_first_risk_appetite(tmp_path: Path) -> None:
    t = _people_tables(tmp_path, [("pa", "px"), ("px2", "pc")], PEOPLE)  # 3 hops
    decisions = {a: assess(t, "C", "A", half_life_days=None, risk_appetite=a)["decision"]
                 for a in ("low", "medium", "high")}
    assert decisions == {"low": "needs-vouching", "medium": "needs-vouching", "high": "proceed"}


def test_errors(tmp_path: Path) -> None:
    t = write_dataset(tmp_path, organizations=orgs("A,Assessor,,", "C,Candidate,,"))
    with pytest.raises(ConfigurationError, match="no trust culture"):
        assess(t, "C", "A")
    with pytest.raises(NotFoundError):
        assess(t, "Q", "A", profile="vouched")
    with pytest.raises(TrustgraphError, match="itself"):
        assess(t, "A", "A", profile="vouched")
    with pytest.raises(NotFoundError, match="unknown profile"):
        assess(t, "C", "A", profile="trusting")
    assert assess(t, "C", "A", profile="vouched")["risk_appetite"] == "medium"  # default when not recorded


# --- the profiles file ----------------------------------------------------------------------------------


def test_builtin_profiles_are_complete_and_documented() -> None:
    book = load_profiles()
    assert book.names() == ["verify-later", "reputation-first", "vouched", "relationship-first"]
    doc = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    for name in book.names():
        for appetite in ("low", "medium", "high"):
            p = book.resolve(name, appetite)
            assert set(p.thresholds) == set(PROFILE_KEYS[p.rule])
            assert set(p.flags) == set(FLAGS)
        assert f"`{name}`" in doc
    for key in {k for keys in PROFILE_KEYS.values() for k in keys} | set(FLAGS):
        assert f"`{key}`" in doc, key


def test_override_file_merges_and_adds(tmp_path: Path) -> None:
    book = _book_with(tmp_path, """
[profiles.vouched]
marginals_needed = 2
[profiles.vouched.flags]
warning = "decline"
[profiles.cautious]
rule = "verify-later"
description = "verify-later, but every flag declines"
proceed_trust = 0.7
max_exposure = 0.01
nearby_hops = 3
nearby_min_strength = 0.0
flags = { listed = "decline", past_listing = "decline", open_incident = "decline", repaired_incident = "decline", warning = "decline", own_distrust = "decline", exposure = "decline", listed_nearby = "decline" }
""")
    vouched = book.resolve("vouched")
    assert vouched.thresholds["marginals_needed"] == 2 and vouched.thresholds["complete_trust"] == 0.65
    assert vouched.flags["warning"] == "decline" and vouched.flags["listed"] == "decline"
    assert book.resolve("vouched", "high").thresholds["marginals_needed"] == 2  # the high override stays
    assert book.names()[-1] == "cautious"
    assert book.resolve("cautious").thresholds["proceed_trust"] == 0.7
    assert book.resolve("cautious").source.endswith("profiles.toml") and "cautious" in book.origin


@pytest.mark.parametrize(("text", "message"), [
    ("[profiles.vouched]\nmarginals_needed = 'three'\n", "profiles.vouched.marginals_needed: expected an integer"),
    ("[profiles.vouched]\nmarginal_trust = 1.5\n", "profiles.vouched.marginal_trust: expected a number in [0, 1]"),
    ("[profiles.vouched]\nmin_reputation = 0.5\n", "profiles.vouched.min_reputation: unknown key"),
    ("[profiles.vouched.flags]\nlisted = 'ignore'\n", "profiles.vouched.flags.listed: expected one of"),
    ("[profiles.vouched.flags]\nrumour = 'decline'\n", "profiles.vouched.flags.rumour: unknown flag"),
    ("[profiles.new]\nmax_exposure = 0.1\n", "profiles.new.rule: a new profile needs a rule"),
    ("[profiles.new]\nrule = 'vouched'\n", "profiles.new.complete_trust: missing"),
    ("[profiles.vouched.risk_appetite.reckless]\nmax_hops = 2\n", "risk_appetite.reckless: unknown risk appetite"),
    ("[profiles.vouched]\nmarginal_trust = 0.7\n", "marginal_trust (0.7) must not exceed complete_trust"),
    ("[profiles.vouched\n", "not valid TOML"),
    ("colour = 'blue'\n", "colour: unknown key"),
])
def test_bad_profiles_files_name_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError) as err:
        load_profiles(path)
    assert str(path) in str(err.value)
    assert message in str(err.value)


def test_missing_profiles_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="not found"):
        load_profiles(tmp_path / "nowhere.toml")


# --- the sample's planted situations -------------------------------------------------------------------


@pytest.fixture(scope="module")
def candidate(sample_tables: dict[str, pd.DataFrame]) -> dict[str, Any]:
    return assess_all(sample_tables, "ORG066", "ORG001")


def test_assess_candidate_four_profiles_four_documented_decisions(candidate: dict[str, Any]) -> None:
    """data/sample/README.md, situation 7: the intended outcome of each profile."""
    got = {d["profile"]: d["decision"] for d in candidate["decisions"]}
    assert got == {
        "verify-later": "proceed-with-monitoring",
        "reputation-first": "proceed",
        "vouched": "needs-vouching",
        "relationship-first": "needs-vouching",
    }
    assert candidate["differs"] and candidate["culture"] == "verify-later" and candidate["risk_appetite"] == "medium"


def test_assess_candidate_evidence(candidate: dict[str, Any]) -> None:
    by = {d["profile"]: d for d in candidate["decisions"]}
    # verify-later: no red flags, no first-hand record.
    assert checks(by["verify-later"]) == {"screen": "proceed", "first_hand": "proceed-with-monitoring",
                                          "factors": "proceed"}
    # reputation-first: decent reputation and the referral path through the past grantee ORG011.
    rep = reason(by["reputation-first"], "reputation")
    assert rep["outcome"] == "proceed" and rep["evidence"]["reputation"] >= 0.55
    path = reason(by["reputation-first"], "referral_path")["evidence"]
    assert path["chain"]["path"] == ["ORG001", "ORG011", "ORG066"] and path["referrals"][0]["strength"] == 0.7
    # vouched: exactly two independent vouchers, both marginal.
    v = reason(by["vouched"], "vouchers")["evidence"]
    assert sorted(c["chain"]["path"][1] for c in v["vouchers"]) == ["ORG011", "ORG064"]
    assert [c["grade"] for c in v["vouchers"]] == ["marginal", "marginal"]
    assert v["web_of_trust"]["valid"] is False
    # relationship-first: the shortest person-to-person path is three hops.
    p = reason(by["relationship-first"], "person_path")["evidence"]["path"]
    assert p["hops"] == 3
    assert p["people"][0]["organization"] == "ORG001" and p["people"][-1]["organization"] == "ORG066"


def test_assessor_culture_picks_the_profile(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = assess(sample_tables, "ORG066", "ORG001")
    assert (doc["profile"], doc["chosen_by"], doc["decision"]) == ("verify-later", "culture", "proceed-with-monitoring")


def test_three_vouchers_pass_the_vouched_profile(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = assess(sample_tables, "ORG045", "ORG001", profile="vouched")
    v = reason(doc, "vouchers")
    assert v["outcome"] == "proceed"
    chains = [c["chain"]["path"] for c in v["evidence"]["vouchers"]]
    assert len(chains) == 3
    inner = [set(c[1:-1]) for c in chains]
    assert all(not (a & b) for i, a in enumerate(inner) for b in inner[i + 1:])  # node-disjoint
    assert {c[1] for c in chains} >= {"ORG017", "ORG075"}


def test_no_vouchers(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = assess(sample_tables, "ORG050", "ORG001", profile="vouched")
    assert doc["decision"] == "needs-vouching"
    assert reason(doc, "vouchers")["evidence"]["vouchers"] == []
    warning = reason(doc, "flag:warning")["evidence"]["warnings"][0]
    assert (warning["source"], warning["strength"]) == ("ORG042", -0.6)


def test_exposed_partner_is_flagged_two_hops_out(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = assess(sample_tables, "ORG021", "ORG001", profile="verify-later")
    nearby = reason(doc, "flag:listed_nearby")["evidence"]["paths"]
    assert nearby[0]["path"] == ["ORG021", "ORG025", "ORG026"]
    assert "flag:listed" not in checks(doc)


def test_ring_listed_charity_and_its_front_are_declined(sample_tables: dict[str, pd.DataFrame]) -> None:
    listed = assess_all(sample_tables, "ORG015", "ORG001")
    assert {d["decision"] for d in listed["decisions"]} == {"decline"}
    for d in listed["decisions"]:
        assert reason(d, "flag:listed")["evidence"]["listings"][0]["lister"] == "ORG005"
    front = assess_all(sample_tables, "ORG016", "ORG001")
    assert {d["decision"] for d in front["decisions"]} == {"decline"}
    assert reason(front["decisions"][0], "flag:exposure")["evidence"]["paths"][0]["path"] == ["ORG016", "ORG015"]


def test_honest_hub_is_not_condemned_by_contagion(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = assess_all(sample_tables, "ORG019", "ORG001")
    for d in doc["decisions"]:
        assert not {"flag:exposure", "flag:listed_nearby", "flag:listed"} & set(checks(d))
        assert d["decision"] in ("proceed", "proceed-with-monitoring")
    assert {d["profile"]: d["decision"] for d in doc["decisions"]}["reputation-first"] == "proceed"


def test_repaired_trust_shows_the_repair(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = assess(sample_tables, "ORG043", "ORG044", profile="verify-later")
    inc = reason(doc, "flag:repaired_incident")["evidence"]["incidents"][0]
    assert inc["id"] == "I001" and [a["kind"] for a in inc["actions"]] == ["post_mortem", "reset"]
    assert reason(doc, "first_hand")["outcome"] == "proceed"  # the assessor's own trust has recovered
    assert doc["decision"] == "proceed-with-monitoring"


def test_expired_listing_is_a_past_listing(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = assess(sample_tables, "ORG061", "ORG052", profile="relationship-first")
    past = reason(doc, "flag:past_listing")["evidence"]["listings"][0]
    assert (past["lister"], past["until"]) == ("ORG062", "2021-03-01")
    assert "flag:listed" not in checks(doc)
    # As of a date inside the listing it is an active listing.
    during = assess(sample_tables, "ORG061", "ORG052", profile="relationship-first", as_of="2020-06-30")
    assert checks(during)["flag:listed"] == "decline"


def test_override_file_changes_the_sample_decision(sample_tables: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    book = _book_with(tmp_path, "[profiles.vouched]\nmarginals_needed = 2\n")
    assert assess(sample_tables, "ORG066", "ORG001", profile="vouched", profiles=book)["decision"] == "proceed"


# --- the command -----------------------------------------------------------------------------------------


@pytest.fixture()
def sample(sample_dir: Path, run_cli) -> None:
    code, _, err = run_cli(["load", str(sample_dir)])
    assert code == 0, err


def test_cli_all_profiles_json(sample, run_cli) -> None:
    code, out, err = run_cli("assess ORG066 --for ORG001 --all-profiles --format json")
    assert code == 0, err
    doc = json.loads(out)
    assert [(d["profile"], d["decision"]) for d in doc["rows"]] == [
        ("verify-later", "proceed-with-monitoring"), ("reputation-first", "proceed"),
        ("vouched", "needs-vouching"), ("relationship-first", "needs-vouching")]
    assert all(r["evidence"] is not None for d in doc["rows"] for r in d["reasons"])
    assert doc["differs"] is True and doc["candidate"]["id"] == "ORG066" and doc["for"]["id"] == "ORG001"


def test_cli_table_names_decision_reasons_and_evidence(sample, run_cli) -> None:
    code, out, _ = run_cli(["assess", "Cooperativa Café Altiplano", "--for", "ORG001", "--profile", "vouched",
                            "--format", "table"])
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "ORG066 Cooperativa Café Altiplano — for ORG001 Brugwerk Foundation, as of 2025-06-29"
    assert "decision: NEEDS-VOUCHING" in lines
    assert "      voucher: ORG001 -(0.637)-> ORG011 -(0.694)-> ORG066  strength 0.442 [marginal]" in lines
    assert "      voucher: ORG001 -(0.600)-> ORG064 -(0.695)-> ORG066  strength 0.417 [marginal]" in lines


def test_cli_csv_and_ndjson_carry_every_reason_and_its_evidence(sample, run_cli) -> None:
    code, out, _ = run_cli("assess ORG066 --for ORG001 --all-profiles --format csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))  # one row per profile, its reasons as JSON
    assert {r["profile"] for r in rows} == {"verify-later", "reputation-first", "vouched", "relationship-first"}
    reasons = json.loads(next(r for r in rows if r["profile"] == "reputation-first")["reasons"])
    chain = next(r for r in reasons if r["check"] == "referral_path")
    assert chain["evidence"]["chain"]["path"] == ["ORG001", "ORG011", "ORG066"]
    code, out, _ = run_cli("assess ORG066 --for ORG001 --profile relationship-first --format ndjson")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 1 and [r["check"] for r in rows[0]["reasons"]] == ["screen", "person_path", "factors"]
    assert rows[0]["reasons"][1]["evidence"]["path"]["hops"] == 3 and rows[0]["decision"] == "needs-vouching"


def test_cli_profiles_file_and_risk_appetite(sample, run_cli, tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text("[profiles.vouched]\nmarginals_needed = 2\n", encoding="utf-8")
    code, out, _ = run_cli(f"assess ORG066 --for ORG001 --profile vouched --profiles {tmp_path / 'mine.toml'}"
                           " --format json")
    assert code == 0 and json.loads(out)["rows"][0]["decision"] == "proceed"
    code, out, _ = run_cli("assess ORG066 --for ORG001 --profile relationship-first --risk-appetite high --format json")
    assert code == 0 and json.loads(out)["rows"][0]["decision"] == "proceed"


def test_cli_errors(sample, run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli("assess ORG999 --for ORG001")
    assert code == 4 and err.startswith("error: no organisation")
    code, _, err = run_cli("assess ORG066 --for ORG001 --profile vouched --all-profiles")
    assert code == 2
    code, _, err = run_cli("assess ORG066 --for ORG001 --profile trusting")
    assert code == 4 and "unknown profile 'trusting'" in err and "profiles.toml" not in err  # no install path
    bad = tmp_path / "bad.toml"
    bad.write_text("[profiles.vouched]\nmax_hops = 0\n", encoding="utf-8")
    code, _, err = run_cli(f"assess ORG066 --for ORG001 --profiles {bad}")
    assert code == 6 and f"{bad}: profiles.vouched.max_hops: expected an integer in [1, 10], got 0" in err
    code, _, err = run_cli("assess ORG066")
    assert code == 2


# --- the documentation shows real output ----------------------------------------------------------------


def doc_examples() -> list[tuple[str, str]]:
    """(command, expected output) for every ``$ trustgraph ...`` block of docs/lifecycle.md."""
    text = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    out = []
    for block in text.split("```")[1::2]:
        lines = block.split("\n")
        body = lines[1:] if lines and not lines[0].startswith("$") else lines
        if body and body[0].startswith("$ trustgraph "):
            out.append((body[0][len("$ trustgraph "):], "\n".join(body[1:]).rstrip("\n") + "\n"))
    return out


def test_docs_show_real_output(sample, run_cli, tmp_path: Path) -> None:
    examples = doc_examples()
    assert len(examples) >= 7
    (tmp_path / "mine.toml").write_text("[profiles.vouched]\nmax_hops = 0\n", encoding="utf-8")
    for command, expected in examples:
        command = command.replace("docs/timeline-sample.png", str(tmp_path / "plot.png"))
        code, out, err = run_cli(command)
        got = out if code == 0 else err
        assert got == expected, command


# --- invariants on random small networks -------------------------------------------------------------------


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    cols = TABLES[name].column_names
    return pd.DataFrame([{c: r.get(c) for c in cols} for r in rows], columns=cols)


NODES = ["A", "C", "V1", "V2", "V3", "V4"]
strength = st.floats(-1.0, 1.0).map(lambda x: round(x, 2))
edges = st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES), strength), max_size=14).map(
    lambda es: [(s, t, v) for s, t, v in es if s != t])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edges=edges, profile=st.sampled_from(TRUST_PROFILES), appetite=st.sampled_from(["low", "medium", "high"]))
def test_decision_is_the_most_cautious_check_and_a_warning_never_helps(edges: list[tuple[str, str, float]],
                                                                       profile: str, appetite: str) -> None:
    orgs_frame = _frame("organizations", [{"id": n, "name": n} for n in [*NODES, "W"]])
    rows = [{"id": f"R{i}", "source": s, "target": t, "strength": v, "date": "2024-01-01"}
            for i, (s, t, v) in enumerate(edges)]
    before = {"organizations": orgs_frame, "referrals": _frame("referrals", rows)}
    doc = assess(before, "C", "A", profile=profile, risk_appetite=appetite, half_life_days=None)
    assert doc["decision"] in OUTCOMES
    assert doc["decision"] == most_cautious(r["outcome"] for r in doc["reasons"])
    warned = rows + [{"id": "RW", "source": "W", "target": "C", "strength": -1.0, "date": "2024-01-01"}]
    after = {"organizations": orgs_frame, "referrals": _frame("referrals", warned)}
    doc2 = assess(after, "C", "A", profile=profile, risk_appetite=appetite, half_life_days=None)
    assert OUTCOMES.index(doc2["decision"]) >= OUTCOMES.index(doc["decision"])
    assert "flag:warning" in {r["check"] for r in doc2["reasons"]}


# --- the snapshot and the rows about the two parties give the same answers ---------------------------------


def _about_inputs(store: Any, candidate: str, assessor: str, as_of: str | None = None) -> dict[str, Any]:
    """What the ``assess`` command passes: the snapshot, the two parties' rows, evidence per party set."""
    from trustgraph.analysis.continuity import STAFF_TABLES
    from trustgraph.evidence import evidence_frame
    from trustgraph.snapshot import open_snapshot

    snap = open_snapshot(store, as_of=as_of, half_life_days=730.0)

    def evidence(parties: list[Any]) -> pd.DataFrame:
        return evidence_frame(store.about(parties), as_of=snap.as_of, half_life_days=snap.half_life_days)

    return {"tables": store.about([candidate, assessor]), "graph": snap, "evidence": evidence,
            "staff_tables": {name: store.table(name) for name in STAFF_TABLES}, "half_life_days": 730.0}


@pytest.mark.parametrize(("candidate", "assessor", "as_of"), [
    ("ORG066", "ORG001", None), ("ORG045", "ORG001", None), ("ORG021", "ORG001", None), ("ORG015", "ORG001", None),
    ("ORG019", "ORG001", None), ("ORG043", "ORG044", None), ("ORG061", "ORG052", None),
    ("ORG061", "ORG052", "2020-06-30"),
])
def test_snapshot_and_about_rows_decide_as_the_whole_tables(sample_tables: dict[str, pd.DataFrame], sample_store: Any,
                                                            candidate: str, assessor: str, as_of: str | None) -> None:
    """Every profile's decision and evidence from a snapshot plus ``Store.about`` rows equal those from
    every row (the command's inputs against the library's default)."""
    whole = assess_all(sample_tables, candidate, assessor, as_of=as_of, half_life_days=730.0)
    inputs = _about_inputs(sample_store, candidate, assessor, as_of)
    tables = inputs.pop("tables")
    assert assess_all(tables, candidate, assessor, **inputs) == whole


def test_a_networkx_graph_and_evidence_frame_decide_as_before(sample_tables: dict[str, pd.DataFrame]) -> None:
    """A caller's projected graph and evidence frame (the former interface) give the same decisions."""
    from trustgraph.evidence import evidence_frame
    from trustgraph.graph import project

    ev = evidence_frame(sample_tables, half_life_days=730.0)
    G = project(sample_tables, half_life_days=730.0, evidence=ev)
    for candidate, assessor in (("ORG066", "ORG001"), ("ORG043", "ORG044")):
        expected = assess_all(sample_tables, candidate, assessor, half_life_days=730.0)
        got = assess_all(sample_tables, candidate, assessor, half_life_days=730.0, graph=G, evidence=ev)
        assert got == expected


def test_cli_reads_the_parties_rows_not_every_table(sample, run_cli, table_reads) -> None:
    """Once the snapshot is built, ``assess`` reads the two parties' rows and, for the staff graph of
    relationship-first, the people tables only: never the evidence tables."""

    code, first, err = run_cli("assess ORG066 --for ORG001 --all-profiles --format json")  # builds the snapshot
    assert code == 0, err
    read = table_reads()
    code, again, err = run_cli("assess ORG066 --for ORG001 --all-profiles --format json")
    assert code == 0, err
    assert again == first
    assert sorted(set(read)) == ["people", "personal_ties", "relationship_holders"]
    read.clear()
    code, _, err = run_cli("assess ORG066 --for ORG001 --profile vouched --format json")
    assert code == 0, err
    assert read == []
