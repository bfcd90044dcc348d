"""The pair's factor profile (trustgraph.analysis.factors), its weighing by culture in ``assess``,
capability evidence (assessments.csv) and the ``factors`` command.

Each factor is tested on two hand-built worlds that differ only in that factor's evidence: the
values move in the right direction, and under a profile that weighs only that factor the decision
differs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import trustgraph.cli.factors_commands  # noqa: F401  (registers the command)
from trustgraph.analysis.assess import assess, load_profiles
from trustgraph.analysis.factors import (
    ADVERSE,
    ASSESSMENT_UNITS,
    FACTORS,
    METHOD_WEIGHTS,
    capability,
    factor_profile,
    factor_score,
)
from trustgraph.errors import ConfigurationError, InvalidDataError, NotFoundError, TrustgraphError
from trustgraph.ingest import load_dataset

ROOT = Path(__file__).resolve().parents[1]

ORGS = "id,name,sector,country,region,culture,risk_appetite,pretrusted,tags"
#: The base world: A considers C. X and Y are third parties; F and G fund; D is C's regional peer.
BASE_ORGS = {
    "A": "A,Assessor Org,foundation,NL,Western Europe,verify-later,medium,true,water;governance",
    "C": "C,Candidate Org,ngo,KE,East Africa,relationship-first,medium,false,health;education",
    "X": "X,Third Party X,ngo,KE,East Africa,vouched,medium,false,health",
    "Y": "Y,Third Party Y,private,US,North America,verify-later,medium,false,logistics",
    "F": "F,Funder F,foundation,US,North America,verify-later,medium,false,health",
    "G": "G,Funder G,foundation,US,North America,verify-later,medium,false,health",
    "D": "D,Peer D,ngo,KE,East Africa,vouched,medium,false,health",
}
BASE_TABLES = {
    "referrals": ["id,source,target,strength,date,recipient,note", "R1,A,X,0.8,2024-01-10,,", "R2,X,C,0.6,2024-02-10,,"],
    "partnerships": ["id,name,kind,start,end,status", "P1,Grant one,grant,2023-01-01,,active",
                     "P2,Grant two,grant,2023-01-01,2024-06-01,completed",
                     "P3,Project with Y,bilateral,2022-01-01,2024-03-01,completed"],
    "partnership_members": ["partnership,organization,role", "P1,F,funder", "P1,A,implementer",
                            "P2,G,funder", "P2,C,implementer", "P3,C,lead", "P3,Y,member"],
    "communications": ["id,a,b,date,channel", "M1,X,Y,2024-01-01,call"],
    "assessments": ["id,assessor,subject,dimension,rating,date,valid_until,method,source"],
}
AS_OF = "2024-07-01"


def world(tmp_path: Path, name: str, *, orgs: dict[str, str] | None = None,
          **extra: list[str]) -> dict[str, pd.DataFrame]:
    """The base world with ``orgs`` replacing organisation rows and ``extra`` rows added (or, for a
    table given as ``table_replace``, replacing its rows)."""
    folder = tmp_path / name
    folder.mkdir()
    rows = {**BASE_ORGS, **(orgs or {})}
    (folder / "organizations.csv").write_text("\n".join([ORGS, *rows.values()]) + "\n", encoding="utf-8")
    tables = {k: list(v) for k, v in BASE_TABLES.items()}
    for key, lines in extra.items():
        if key.endswith("_replace"):
            table = key[: -len("_replace")]
            tables[table] = [tables[table][0], *lines]
        else:
            tables[key] = tables[key] + lines
    for table, lines in tables.items():
        (folder / f"{table}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_dataset(folder)


def factors_of(tables: dict[str, pd.DataFrame], candidate: str = "C", assessor: str = "A") -> dict[str, Any]:
    doc = factor_profile(tables, candidate, assessor, as_of=AS_OF, half_life_days=None)
    return {f["factor"]: f for f in doc["factors"]}


def value(tables: dict[str, pd.DataFrame], factor: str) -> float | None:
    v = factors_of(tables)[factor]["level"]
    return None if v is None else float(v)


def only(tmp_path: Path, factor: str, min_score: float) -> Any:
    """A profile (verify-later's rule) that weighs only ``factor``; below ``min_score``: needs-vouching."""
    weights = ", ".join(f"{f} = {1.0 if f == factor else 0.0}" for f in FACTORS)
    path = tmp_path / f"only-{factor}.toml"
    path.write_text(f"""
[profiles.only]
rule = "verify-later"
description = "weighs only {factor}"
proceed_trust = 0.99
max_exposure = 1.0
nearby_hops = 1
nearby_min_strength = 1.0
flags = {{ listed = "decline", past_listing = "proceed", open_incident = "proceed", repaired_incident = "proceed", warning = "proceed", own_distrust = "proceed", exposure = "proceed", listed_nearby = "proceed" }}
factors = {{ {weights}, min_score = {min_score}, shortfall = "needs-vouching" }}
""", encoding="utf-8")
    return load_profiles(path)


def decision(tables: dict[str, pd.DataFrame], book: Any) -> str:
    return str(assess(tables, "C", "A", profile="only", profiles=book, as_of=AS_OF, half_life_days=None)["decision"])


def oriented(factor: str, v: float) -> float:
    return float(factor_score({"factors": [{"factor": factor, "level": v}]}, {factor: 1.0})["weighted"])


def check_pair(tmp_path: Path, factor: str, better: dict[str, pd.DataFrame], worse: dict[str, pd.DataFrame]) -> None:
    """``better`` argues more for the partnership on ``factor`` than ``worse``: a higher value (a lower
    one for an adverse factor), and with only that factor weighed, proceed-with-monitoring against
    needs-vouching."""
    hi, lo = value(better, factor), value(worse, factor)
    assert hi is not None and lo is not None, (hi, lo)
    assert (hi < lo) if factor in ADVERSE else (hi > lo), (hi, lo)
    # every other factor is the same in both worlds, but for the links that evidence shares
    middle = (oriented(factor, hi) + oriented(factor, lo)) / 2
    book = only(tmp_path, factor, middle)
    assert decision(better, book) == "proceed-with-monitoring"
    assert decision(worse, book) == "needs-vouching"


# --- one pair per factor --------------------------------------------------------------------------------


def test_reputation_a_voucher_the_seed_trusts_raises_it(tmp_path: Path) -> None:
    # Y's referral of C counts more when the pre-trusted A vouches for Y (than for G): same referral of C
    better = world(tmp_path, "b", referrals=["R7,Y,C,0.9,2024-03-01,,", "R8,A,Y,0.9,2024-01-01,,"])
    worse = world(tmp_path, "w", referrals=["R7,Y,C,0.9,2024-03-01,,", "R8,A,G,0.9,2024-01-01,,"])
    assert factors_of(better)["track_record"]["level"] == factors_of(worse)["track_record"]["level"]
    check_pair(tmp_path, "reputation", better, worse)


def test_capability_an_audit_counts_more_than_a_self_assessment(tmp_path: Path) -> None:
    audit = world(tmp_path, "b", assessments=["S1,KPMG,C,governance,90,2024-01-01,2026-01-01,audit,"])
    own = world(tmp_path, "w", assessments=["S1,C,C,governance,90,2024-01-01,2026-01-01,audit,"])
    # the same score: the self-assessment (assessor = subject, whatever the method) stays nearer 0.5
    a, s = value(audit, "capability"), value(own, "capability")
    assert a == pytest.approx((ASSESSMENT_UNITS * 0.9 + 1) / (ASSESSMENT_UNITS + 2))
    w = ASSESSMENT_UNITS * METHOD_WEIGHTS["self_assessment"]
    assert s == pytest.approx((w * 0.9 + 1) / (w + 2))
    assert a is not None and s is not None and a > s > 0.5
    check_pair(tmp_path, "capability", audit, own)


def test_capability_low_scores_lower_it(tmp_path: Path) -> None:
    strong = world(tmp_path, "b", assessments=["S1,KPMG,C,financial_management,85,2024-01-01,,audit,"])
    weak = world(tmp_path, "w", assessments=["S1,KPMG,C,financial_management,30,2024-01-01,,audit,"])
    check_pair(tmp_path, "capability", strong, weak)
    assert value(weak, "capability") < 0.5  # type: ignore[operator]


def test_an_expired_assessment_is_unknown(tmp_path: Path) -> None:
    expired = world(tmp_path, "e", assessments=["S1,KPMG,C,governance,95,2021-01-01,2023-01-01,audit,"])
    f = factors_of(expired)["capability"]
    assert f["level"] is None and "expired" in f["summary"]
    assert [r["status"] for r in f["evidence"]["rows"]] == ["expired"]
    # and it leaves the weighted score alone: unknown is left out, not counted as 0.5 or 0
    assert factor_score({"factors": [f]}, {"capability": 1.0})["weighted"] is None
    fresh = world(tmp_path, "f", assessments=["S1,KPMG,C,governance,95,2024-01-01,2026-01-01,audit,"])
    assert value(fresh, "capability") is not None


def test_capability_decays_with_the_half_life() -> None:
    rows = pd.DataFrame([{"id": "a", "assessor": "K", "subject": "C", "dimension": "governance", "rating": 90.0,
                          "date": "2022-07-02", "valid_until": None, "method": "audit", "source": None}])
    fresh = capability(rows, "C", day="2022-07-02", half_life_days=730)["capability"]
    old = capability(rows, "C", day="2024-07-01", half_life_days=730)["capability"]  # one half-life later
    assert old == pytest.approx((1.5 * 0.9 + 1) / (1.5 + 2)) and fresh > old > 0.5


def test_track_record_terminated_is_worse_than_completed(tmp_path: Path) -> None:
    completed = world(tmp_path, "b")
    terminated = world(tmp_path, "w", partnerships_replace=[
        "P1,Grant one,grant,2023-01-01,,active", "P2,Grant two,grant,2023-01-01,2024-06-01,completed",
        "P3,Project with Y,bilateral,2022-01-01,2024-03-01,terminated"])
    check_pair(tmp_path, "track_record", completed, terminated)
    counts = factors_of(terminated)["track_record"]["evidence"]["counts"]
    assert counts["partnership_terminated"] == 1


def test_track_record_counts_the_assessors_own_record_twice(tmp_path: Path) -> None:
    # the same positive referral of C, from A (first-hand) or from Y
    mine = world(tmp_path, "b", referrals=["R9,A,C,0.5,2024-03-01,,"])
    theirs = world(tmp_path, "w", referrals=["R9,Y,C,0.5,2024-03-01,,"])
    assert factors_of(mine)["track_record"]["evidence"]["pair"]["rows"] == 1
    assert value(mine, "track_record") > value(theirs, "track_record")  # type: ignore[operator]


def test_similarity_same_culture(tmp_path: Path) -> None:
    same = world(tmp_path, "b", orgs={"C": BASE_ORGS["C"].replace("relationship-first", "verify-later")})
    other = world(tmp_path, "w")
    check_pair(tmp_path, "similarity", same, other)
    assert factors_of(same)["similarity"]["evidence"]["components"]["culture"] == 1.0


def test_aligned_interests_shared_themes(tmp_path: Path) -> None:
    shared = world(tmp_path, "b", orgs={"C": BASE_ORGS["C"].replace("health;education", "water;education")})
    apart = world(tmp_path, "w")
    check_pair(tmp_path, "aligned_interests", shared, apart)
    assert factors_of(shared)["aligned_interests"]["evidence"]["shared_tags"] == ["water"]


def test_shared_funders_raise_competition(tmp_path: Path) -> None:
    # C's grant funded by G (A's funder is F) against by F: the same grant, another funder
    apart = world(tmp_path, "b")
    rivals = world(tmp_path, "w", partnership_members_replace=[
        "P1,F,funder", "P1,A,implementer", "P2,F,funder", "P2,C,implementer", "P3,C,lead", "P3,Y,member"])
    f = factors_of(rivals)["competition"]
    assert f["evidence"]["shared_funders"] == ["F"] and f["adverse"] is True
    assert value(apart, "competition") == 0.0 and f["level"] == pytest.approx(0.5)
    check_pair(tmp_path, "competition", apart, rivals)


def test_overlapping_implementers_compete(tmp_path: Path) -> None:
    # same region, sector and themes as A: the "steals our donors" risk without a shared funder yet
    same_patch = {"C": "C,Candidate Org,foundation,KE,Western Europe,relationship-first,medium,false,water;governance"}
    rivals = world(tmp_path, "w", orgs=same_patch)
    assert factors_of(rivals)["competition"]["evidence"]["components"]["overlap"] == 1.0
    assert value(rivals, "competition") > value(world(tmp_path, "b"), "competition")  # type: ignore[operator]


def test_situational_need_the_only_capable_party_in_its_region(tmp_path: Path) -> None:
    audit = "S1,KPMG,C,delivery_capacity,85,2024-01-01,2026-01-01,audit,"
    alone = world(tmp_path, "b", assessments=[audit])
    crowded = world(tmp_path, "w", assessments=[audit, "S2,KPMG,D,delivery_capacity,85,2024-01-01,2026-01-01,audit,"])
    f = factors_of(alone)["situational_need"]
    assert f["level"] == 1.0 and f["evidence"]["capable_in_region"]["capable"][0]["id"] == "C"
    assert value(crowded, "situational_need") == 0.5
    # situational need only raises the score: no need at all is neutral
    assert oriented("situational_need", 0.0) == 0.5
    check_pair(tmp_path, "situational_need", alone, crowded)


def test_communication_two_way_beats_one_way(tmp_path: Path) -> None:
    dates = ["2024-01-05", "2024-02-05", "2024-03-05", "2024-04-05"]
    two_way = world(tmp_path, "b", communications=[
        f"K{i},{'A' if i % 2 else 'C'},{'C' if i % 2 else 'A'},{d},call" for i, d in enumerate(dates)])
    one_way = world(tmp_path, "w", communications=[f"K{i},A,C,{d},call" for i, d in enumerate(dates)])
    f = factors_of(two_way)["communication"]
    assert f["evidence"]["components"]["two_way"] == 1.0 and f["evidence"]["contacts"] == 4
    assert factors_of(one_way)["communication"]["evidence"]["components"]["two_way"] == 0.0
    # contacts are evidence both ways: reputation and track record are the same in both worlds
    assert value(two_way, "reputation") == pytest.approx(value(one_way, "reputation"))  # type: ignore[arg-type]
    check_pair(tmp_path, "communication", two_way, one_way)


def test_communication_regularity(tmp_path: Path) -> None:
    regular = world(tmp_path, "b", communications=[
        f"K{i},A,C,2024-0{m}-01,call" for i, m in enumerate((1, 3, 5))])
    bursty = world(tmp_path, "w", communications=[
        f"K{i},A,C,{d},call" for i, d in enumerate(("2024-01-01", "2024-01-02", "2024-05-01"))])
    r = factors_of(regular)["communication"]["evidence"]["components"]["regularity"]
    b = factors_of(bursty)["communication"]["evidence"]["components"]["regularity"]
    assert r == pytest.approx(1.0, abs=0.02) and b < r


def test_unknown_where_nothing_speaks_to_a_factor(tmp_path: Path) -> None:
    f = factors_of(world(tmp_path, "b"))
    assert f["capability"]["level"] is None  # no assessment
    assert f["communication"]["level"] is None  # neither party's contacts are recorded
    # both record contacts, none with each other: that is known, and it is none
    talking = factors_of(world(tmp_path, "t", communications=["M2,A,X,2024-03-01,call", "M3,C,Y,2024-03-01,call"]))
    assert talking["communication"]["level"] == 0.0
    assert set(f) == set(FACTORS)
    for row in f.values():
        assert row["level"] is None or 0.0 <= row["level"] <= 1.0


def test_errors(tmp_path: Path) -> None:
    t = world(tmp_path, "b")
    with pytest.raises(NotFoundError):
        factor_profile(t, "NOPE", "A")
    with pytest.raises(TrustgraphError):
        factor_profile(t, "A", "A")


# --- profiles -----------------------------------------------------------------------------------------


def test_builtin_profiles_weigh_every_factor_and_say_why() -> None:
    book = load_profiles()
    for name in book.names():
        p = book.resolve(name)
        assert set(p.factors["weights"]) == set(FACTORS)
        assert 0 < p.factors["min_score"] < 1
    text = (ROOT / "trustgraph" / "profiles.toml").read_text(encoding="utf-8")
    assert text.count("33-country") >= 1 and "Latin American leaders" in text
    # the cultures differ in what they weigh most
    top = {n: max(FACTORS, key=lambda f: book.resolve(n).factors["weights"][f]) for n in book.names()}
    assert top == {"verify-later": "aligned_interests", "reputation-first": "reputation",
                   "vouched": "track_record", "relationship-first": "communication"}
    doc = (ROOT / "docs" / "lifecycle.md").read_text(encoding="utf-8")
    for factor in FACTORS:
        assert f"`{factor}`" in doc, factor


def test_bad_factor_weights_are_refused(tmp_path: Path) -> None:
    for body, key in (("[profiles.vouched.factors]\nkindness = 1.0\n", "kindness"),
                      ("[profiles.vouched.factors]\nreputation = -1\n", "reputation"),
                      ("[profiles.vouched.factors]\nshortfall = \"maybe\"\n", "shortfall")):
        path = tmp_path / "bad.toml"
        path.write_text(body, encoding="utf-8")
        with pytest.raises(ConfigurationError, match=key):
            load_profiles(path)


def test_a_new_profile_without_weights_uses_its_rules_weights(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text("[profiles.mine]\nrule = \"vouched\"\ncomplete_trust = 0.65\nmarginal_trust = 0.52\n"
                    "completes_needed = 1\nmarginals_needed = 3\nmax_hops = 5\nmax_exposure = 0.1\nnearby_hops = 2\n"
                    "nearby_min_strength = 0.01\nflags = { listed = \"decline\", past_listing = \"decline\", "
                    "open_incident = \"decline\", repaired_incident = \"decline\", warning = \"decline\", "
                    "own_distrust = \"decline\", exposure = \"decline\", listed_nearby = \"decline\" }\n",
                    encoding="utf-8")
    book = load_profiles(path)
    assert book.resolve("mine").factors == book.resolve("vouched").factors


def test_assess_shows_the_factor_profile_and_its_drivers(tmp_path: Path) -> None:
    t = world(tmp_path, "b", assessments=["S1,KPMG,C,governance,90,2024-01-01,2026-01-01,audit,"])
    doc = assess(t, "C", "A", profile="vouched", as_of=AS_OF, half_life_days=None)
    assert [f["factor"] for f in doc["factors"]] == list(FACTORS)
    check = next(r for r in doc["reasons"] if r["check"] == "factors")
    score = check["evidence"]["factor_score"]
    assert score["drivers"] and set(score["drivers"]) <= set(FACTORS)
    assert score["weights"] == load_profiles().resolve("vouched").factors["weights"]
    assert "driven by" in check["reason"]


# --- assessments.csv ------------------------------------------------------------------------------------


def test_bad_assessment_rows_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    (folder / "organizations.csv").write_text(ORGS + "\n" + BASE_ORGS["A"] + "\n" + BASE_ORGS["C"] + "\n",
                                              encoding="utf-8")
    (folder / "assessments.csv").write_text(
        "id,assessor,subject,dimension,rating,date,valid_until,method,source\n"
        "S1,A,C,governance,120,2024-01-01,,audit,\n"        # rating out of range
        "S2,A,C,charm,50,2024-01-01,,audit,\n"              # unknown dimension
        "S3,A,NOPE,governance,50,2024-01-01,,audit,\n"      # unknown subject
        "S4,A,C,governance,50,2024-01-01,2023-01-01,audit,\n"  # expires before it was made
        "S5,A,C,governance,50,2024-01-01,,gossip,\n",       # unknown method
        encoding="utf-8")
    with pytest.raises(InvalidDataError) as err:
        load_dataset(folder)
    problems = {(p.line, p.column) for p in err.value.problems}
    assert {(2, "rating"), (3, "dimension"), (4, "subject"), (6, "method")} <= problems
    assert any(p.line == 5 for p in err.value.problems)
    assert all(p.file == "assessments.csv" for p in err.value.problems)


def test_a_bad_assessment_writes_nothing(sample, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "more"
    folder.mkdir()
    orgs = (ROOT / "data" / "sample" / "organizations.csv").read_text(encoding="utf-8").splitlines()
    (folder / "organizations.csv").write_text("\n".join([orgs[0], *[r for r in orgs if r.startswith("ORG045,")]]) + "\n",
                                              encoding="utf-8")
    (folder / "assessments.csv").write_text(
        "id,assessor,subject,dimension,rating,date,valid_until,method,source\n"
        "S1,ORG001,ORG045,governance,80,2025-01-01,,audit,\n"
        "S2,ORG001,ORG045,governance,-5,2025-01-01,,audit,\n", encoding="utf-8")
    _, before, _ = run_cli("stats --format json")
    code, _, err = run_cli(["load", str(folder)])
    assert code == 3 and "assessments.csv:3" in err and "rating" in err
    _, after, _ = run_cli("stats --format json")
    assert json.loads(after)["rows"] == json.loads(before)["rows"]  # the valid row S1 was not written either


# --- the command ----------------------------------------------------------------------------------------


@pytest.fixture()
def sample(sample_dir: Path, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, _, err = run_cli(["load", str(sample_dir)])
    assert code == 0, err


def test_factors_command_on_the_sample(sample, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli("factors ORG011 --for ORG001 --format json")
    assert code == 0, err
    doc = json.loads(out)
    rows = {r["factor"]: r for r in doc["rows"]}
    assert doc["schema"] == "trustgraph.factors/1" and list(rows) == list(FACTORS)
    cap = rows["capability"]  # the planted audited party: two audits and ORG001's site visit
    assert cap["level"] > 0.7 and {r["method"] for r in cap["evidence"]["rows"]} == {"audit", "site_visit"}
    code, out, _ = run_cli("factors ORG064 --for ORG001 --format json")  # only self-assessments
    self_only = {r["factor"]: r for r in json.loads(out)["rows"]}["capability"]
    assert 0.5 < self_only["level"] < cap["level"]
    assert not any(r["independent"] for r in self_only["evidence"]["rows"])
    code, out, _ = run_cli("factors ORG050 --for ORG001 --format table")  # an expired audit
    assert code == 0 and "capability         unknown   1 assessment, all expired" in out
    code, out, err = run_cli("factors 'Fair Harvest' --for Brugwerk --format table")  # names resolve
    assert code == 0 and out.startswith("ORG011 Fair Harvest Cooperative — for ORG001 Brugwerk Foundation")
    code, _, err = run_cli("factors ORG999 --for ORG001")
    assert code == 4 and "ORG999" in err
    code, _, err = run_cli("factors ORG001 --for ORG001")
    assert code == 2


def test_record_assessment(sample, run_cli) -> None:  # type: ignore[no-untyped-def]
    code, out, err = run_cli("record assessment --assessor 'Grant Thornton' --subject ORG066 --dimension safeguarding "
                             "--rating 70 --date 2025-05-01 --valid-until 2027-05-01 --method audit --format json")
    assert code == 0, err
    row = json.loads(out)["rows"][0]
    assert (row["assessor"], row["subject"], row["rating"]) == ("Grant Thornton", "ORG066", 70.0)
    assert row["id"].startswith("asm-")
    code, _, err = run_cli("record assessment --assessor ORG001 --subject ORG066 --dimension safeguarding "
                           "--rating 101 --date 2025-05-01 --method audit")
    assert code == 3 and "[0, 100]" in err
    code, out, _ = run_cli("factors ORG066 --for ORG001 --format json")
    cap = {r["factor"]: r for r in json.loads(out)["rows"]}["capability"]
    assert cap["level"] is not None and cap["evidence"]["rows"][0]["assessor"] == "Grant Thornton"
