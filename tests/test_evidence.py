"""Evidence and local trust, worked out by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from trustgraph.evidence import beta_trust, evidence_frame, local_trust
from trustgraph.graph import project
from trustgraph.ingest import validate


def tables(**raw: list[dict[str, str]]) -> dict[str, pd.DataFrame]:
    frames = {name: pd.DataFrame(rows).fillna("").astype(str) for name, rows in raw.items()}
    orgs = [{"id": x, "name": x.upper()} for x in "abcde"]
    frames["organizations"] = pd.DataFrame(orgs, dtype=str)
    return validate(frames)


def ref(i: str, s: str, t: str, strength: str, date: str) -> dict[str, str]:
    return {"id": i, "source": s, "target": t, "strength": strength, "date": date}


def test_beta_trust_of_no_and_some_evidence() -> None:
    assert beta_trust(0, 0) == (0.5, 1.0)
    assert beta_trust(3, 1) == (4 / 6, 2 / 6)


def test_referral_stands_in_trust_and_fades_to_half_as_activity_at_one_half_life() -> None:
    t = tables(referrals=[ref("r1", "a", "b", "1", "2022-01-01"), ref("r2", "a", "c", "1", "2024-01-01")],
               communications=[{"id": "c1", "a": "a", "b": "d", "date": "2022-01-01"}])
    ev = evidence_frame(t, as_of="2024-01-01", half_life_days=730)
    weights = dict(zip(ev["ref"], ev["weight"]))
    activity = dict(zip(ev["ref"], ev["activity"]))
    # A referral is a standing opinion: full weight in trust, half as activity one half-life on.
    assert weights["r1"] == 1.0 and activity["r1"] == pytest.approx(0.5)
    assert weights["r2"] == 1.0 and activity["r2"] == 1.0
    # A contact is an event: it fades in both.
    assert weights["c1"] == pytest.approx(0.5) and activity["c1"] == pytest.approx(0.5)
    G = project(t, as_of="2024-01-01", half_life_days=730)
    assert G["a"]["b"]["trust"] == pytest.approx(2 / 3) and G["a"]["b"]["positive"] == 1.0
    assert G["a"]["b"]["activity"] == pytest.approx([0.5, 0.0, 0.5])
    assert G["a"]["d"]["trust"] == pytest.approx((0.05 + 1) / (0.05 + 2))
    assert "activity" not in G["a"]["c"] and "activity" not in G["a"]["d"]  # the same as the opinion there
    # Evidence after the as-of date does not exist yet.
    assert not project(t, as_of="2023-01-01", half_life_days=730).has_edge("a", "c")


def test_exposure_reads_referrals_as_activity_and_reputation_as_standing() -> None:
    from trustgraph.analysis.contagion import contagion_scores
    from trustgraph.snapshot import compile_tables

    listing = {"id": "l1", "listed": "c", "lister": "ops", "date": "2021-06-01", "reason": "fraud"}
    t = tables(referrals=[ref("r1", "a", "b", "1", "2020-01-01"), ref("r2", "a", "c", "1", "2024-01-01")],
               blacklist=[listing])
    snap = compile_tables(t, as_of="2024-01-01", half_life_days=730)
    # As activity a → b (1,461 days old) weighs 0.5 ** (1461 / 730) ≈ 0.25, a → c (fresh) 1: a's share
    # with c is 1 / (activity + prior 1).
    old = 0.5 ** (1461 / 730)
    assert contagion_scores(snap)["a"] == pytest.approx(1 / (old + 1 + 1))
    # Standing, a → b would weigh 1 and the share be 1 / 3: what the same snapshot without activity gives.
    standing = compile_tables(t, as_of="2024-01-01", half_life_days=730)
    standing.activity = None
    assert contagion_scores(standing)["a"] == pytest.approx(1 / 3)
    # Through a NetworkX graph the activity travels as an edge attribute.
    assert contagion_scores(snap.to_networkx())["a"] == pytest.approx(1 / (old + 1 + 1))


def test_negative_referral_and_incident_actions() -> None:
    inc = {"id": "i1", "reporter": "a", "subject": "b", "kind": "quality_failure", "severity": "4", "date": "2024-01-01"}
    t = tables(incidents=[inc])
    before = project(t, as_of="2024-01-01", half_life_days=None)["a"]["b"]
    assert before["negative"] == pytest.approx(2.0)  # 0.5 per severity point
    assert before["trust"] == pytest.approx(1 / 4)
    post = {"id": "x1", "incident": "i1", "kind": "post_mortem", "date": "2024-02-01"}
    reset = {"id": "x2", "incident": "i1", "kind": "reset", "date": "2024-03-01"}
    t = tables(incidents=[inc], incident_actions=[post, reset])
    after_pm = project(t, as_of="2024-02-15", half_life_days=None)["a"]["b"]
    assert after_pm["negative"] == pytest.approx(2.0 * 0.6)
    after_reset = project(t, as_of="2024-03-15", half_life_days=None)["a"]["b"]
    assert after_reset["negative"] == pytest.approx(2.0 * 0.6 * 0.5)
    assert before["trust"] < after_pm["trust"] < after_reset["trust"] < 0.5  # repaired, never fully
    legal = {"id": "x3", "incident": "i1", "kind": "legal_action", "date": "2024-02-01"}
    worse = project(tables(incidents=[inc], incident_actions=[legal]), half_life_days=None)["a"]["b"]
    assert worse["negative"] == pytest.approx(4.0)


def test_partnership_evidence_is_split_over_members_and_follows_status() -> None:
    ships = [{"id": "p1", "name": "Two", "status": "completed", "start": "2020-01-01", "end": "2021-01-01"},
             {"id": "p2", "name": "Platform", "status": "active", "start": "2020-01-01"},
             {"id": "p3", "name": "Broken", "status": "terminated", "start": "2020-01-01", "end": "2020-06-01"}]
    members = [{"partnership": "p1", "organization": "a"}, {"partnership": "p1", "organization": "b"}]
    members += [{"partnership": "p2", "organization": o} for o in "abcde"]
    members += [{"partnership": "p3", "organization": o} for o in "ce"]
    t = tables(partnerships=ships, partnership_members=members)
    ev = evidence_frame(t, as_of="2021-01-01", half_life_days=None)
    ab = ev[(ev["src"] == "a") & (ev["dst"] == "b")].set_index("ref")
    assert ab.loc["p1", "positive"] == 1.0  # completed, bilateral
    assert ab.loc["p2", "positive"] == pytest.approx(0.5 / 4)  # active, four other members
    ce = ev[(ev["src"] == "c") & (ev["dst"] == "e")].set_index("ref")
    assert ce.loc["p3", "negative"] == 0.5
    # As of a date before its end, the completed partnership was still running.
    early = evidence_frame(t, as_of="2020-03-01", half_life_days=None)
    assert set(early.loc[early["ref"] == "p1", "detail"]) == {"active"}


def test_local_trust_sums_evidence_per_pair() -> None:
    t = tables(referrals=[ref("r1", "a", "b", "0.5", "2024-01-01"), ref("r2", "a", "b", "-0.25", "2024-01-01")],
               communications=[{"id": "c1", "a": "a", "b": "b", "date": "2024-01-01"}])
    lt = local_trust(evidence_frame(t, half_life_days=None)).set_index(["src", "dst"])
    row = lt.loc[("a", "b")]
    assert row["positive"] == pytest.approx(0.6) and row["negative"] == pytest.approx(0.25)
    assert row["kinds"] == "communication;referral" and row["evidence"] == 3
    assert lt.loc[("b", "a"), "positive"] == pytest.approx(0.1)
