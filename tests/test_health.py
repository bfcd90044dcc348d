"""Health (trustgraph.analysis.health): the partner's look in the mirror, on a small world and the sample."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_dataset

import trustgraph.cli.lifecycle_commands  # noqa: F401  (registers the commands until cli/__init__ imports it)
from trustgraph.analysis.health import health, reputation_trend
from trustgraph.errors import NotFoundError
from trustgraph.ingest import load_dataset

# B is examined. H (pre-trusted) vouches for B in 2022 and 2024; W warns about B in 2024. B was blamed
# for I1 (repaired by a post-mortem) and I2 (no follow-up); B reported I3 about L (terminated, never
# repaired). B's running partnership P1 with H rests on b1 alone; P2 with L has nobody on B's side.
# L is listed; B partners with it, but reported it and terminated: B has distanced itself.
FILES = {
    "organizations": "id,name,culture,risk_appetite,pretrusted\nH,Hub,verify-later,medium,true\n"
                     "B,Beta,vouched,low,false\nW,Watchdog,,,false\nL,Listed Ltd,,,false\n",
    "people": "id,name,organization,role,from,until,previous\nb1,Bea One,B,Director,2015-01-01,,\n"
              "h1,Hal One,H,Director,2015-01-01,,\n",
    "partnerships": "id,name,kind,start,end,status\nP1,Grant,grant,2021-01-01,,active\n"
                    "P2,Supply,supply,2022-01-01,,active\n",
    "partnership_members": "partnership,organization,role\nP1,H,funder\nP1,B,implementer\nP2,B,lead\nP2,L,member\n",
    "relationship_holders": "person,partnership,since\nb1,P1,2021-01-01\nh1,P1,2021-01-01\n",
    "referrals": "id,source,target,strength,date,recipient,note\nR1,H,B,0.8,2022-06-01,,Good\n"
                 "R2,H,B,0.9,2024-06-01,,Better\nR3,W,B,-0.5,2024-07-01,,Late accounts\n",
    "incidents": "id,reporter,subject,kind,severity,date,partnership,description\n"
                 "I1,H,B,missed_commitment,2,2023-01-10,P1,late report\n"
                 "I2,W,B,communication_breakdown,1,2024-02-01,,no reply\n"
                 "I3,B,L,fraud,4,2024-03-01,P2,fake invoices\n",
    "incident_actions": "id,incident,kind,date,note\nA1,I1,post_mortem,2023-02-01,\nA2,I3,termination,2024-04-01,\n",
    "blacklist": "id,lister,listed,date,until,reason,source\nB1,H,L,2024-05-01,,fraud,\n",
}


@pytest.fixture()
def small(tmp_path: Path) -> dict[str, pd.DataFrame]:
    return load_dataset(write_dataset(tmp_path / "small", FILES))


def test_small_world(small: dict[str, pd.DataFrame]) -> None:
    doc = health(small, "B")
    assert (doc["id"], doc["name"], doc["as_of"], doc["culture"], doc["risk_appetite"]) == (
        "B", "Beta", "2024-07-01", "vouched", "low")
    assert [i["id"] for i in doc["blamed"]] == ["I1", "I2"]
    assert {i["id"]: i["status"] for i in doc["blamed"]} == {"I1": "repaired", "I2": "open"}
    assert {i["id"]: i["status"] for i in doc["unrepaired"]} == {"I2": "open", "I3": "escalated"}
    assert [w["id"] for w in doc["warnings"]] == ["R3"]
    sides = {s["partnership"]: s["status"] for s in doc["continuity"]["sides"]}
    assert sides == {"P1": "single", "P2": "orphaned"}
    # B partners with the listed L but reported and terminated it: on balance a distancing.
    assert doc["exposure"]["exposure"] < 0 and doc["exposure"]["paths"][0]["path"] == ["B", "L"]
    assert f"distanced from listed parties (exposure {doc['exposure']['exposure']:.3f})" in doc["findings"]
    assert doc["listings"] == []
    assert doc["findings"][:3] == [
        "blamed for incident I2 (communication_breakdown, severity 1, 2024-02-01) with W: no follow-up yet",
        "reported incident I3 (fraud, severity 4, 2024-03-01) with L: escalated, never repaired",
        "warned about by W (-0.50, 2024-07-01)",
    ]
    assert "1 running partnership(s) with nobody holding the relationship: P2" in doc["findings"]
    assert "1 running partnership(s) resting on one person: Bea One (b1): P1" in doc["findings"]
    assert doc["findings"][-1] == "repaired: I1 (post_mortem)"


def test_listed_party_sees_its_listing(small: dict[str, pd.DataFrame]) -> None:
    doc = health(small, "L")
    assert doc["listings"][0]["lister"] == "H"
    assert doc["findings"][0] == "listed by H since 2024-05-01: fraud"
    assert [i["id"] for i in doc["blamed"]] == ["I3"]


def test_trend_points_are_projections_as_of_each_date(small: dict[str, pd.DataFrame]) -> None:
    from trustgraph.analysis.reputation import reputation_scores
    from trustgraph.graph import project

    trend = reputation_trend(small, "B", points=3, step_days=365)
    assert [t["date"] for t in trend] == ["2022-07-02", "2023-07-02", "2024-07-01"]
    for t in trend:
        assert t["score"] == pytest.approx(reputation_scores(project(small, as_of=t["date"]))["B"])
    assert trend[0]["change"] is None
    assert trend[1]["change"] == pytest.approx(trend[1]["score"] - trend[0]["score"])
    with pytest.raises(ValueError):
        reputation_trend(small, "B", points=0)


def test_unknown_org(small: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(NotFoundError):
        health(small, "Q")


# --- the sample ---------------------------------------------------------------------------------------


def test_repaired_partner_in_the_mirror(sample_tables: dict[str, pd.DataFrame]) -> None:
    """ORG043 (repaired_trust): blamed for I001, repaired; reputation up since; PS018 on one person."""
    doc = health(sample_tables, "ORG043")
    assert [(i["id"], i["status"]) for i in doc["blamed"]] == [("I001", "repaired")]
    assert doc["unrepaired"] == []
    assert doc["trend"][-1]["score"] > doc["trend"][0]["score"] and doc["trend_change"] > 0
    assert [(s["partnership"], s["status"]) for s in doc["continuity"]["sides"]] == [("PS018", "single")]


def test_open_incidents_and_exposure_in_the_sample(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = health(sample_tables, "ORG021")  # blamed for I011 (no follow-up); exposed two hops out
    assert [(i["id"], i["status"]) for i in doc["unrepaired"]] == [("I011", "open")]
    assert doc["exposure"]["paths"][0]["path"] == ["ORG021", "ORG025", "ORG026"]
    single = health(sample_tables, "ORG087")  # single_holder: PS020 rests on P105
    assert [(s["partnership"], s["holders"][0]["id"]) for s in single["continuity"]["sides"]] == [("PS020", "P105")]
    hub = health(sample_tables, "ORG019")  # honest_hub: distanced from its listed ex-partner
    assert hub["exposure"]["exposure"] < 0


# --- the command -----------------------------------------------------------------------------------------


@pytest.fixture()
def loaded(small: dict[str, pd.DataFrame], tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli(["load", str(tmp_path / "small")])
    assert code == 0, err


def test_cli(loaded, run_cli) -> None:
    code, out, err = run_cli("health Beta --format table --trend-points 2")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "B Beta as of 2024-07-01 (culture vouched, risk appetite low)"
    assert "  - warned about by W (-0.50, 2024-07-01)" in lines
    assert "  I2 2024-02-01 W → B communication_breakdown [open]" in lines
    assert "  P2 Supply (with L): orphaned" in lines
    code, out, _ = run_cli("health B --format json")
    doc = json.loads(out)
    assert doc["continuity"]["at_risk"] == 2
    assert doc["reputation_detail"]["reputation_rank"] >= 1 and len(doc["trend"]) == 5  # the default trend points
    code, out, _ = run_cli("health B --format csv")
    rows = list(csv.DictReader(io.StringIO(out)))  # one row per item needing attention
    assert {r["concern"] for r in rows} >= {"warning", "blamed_incident", "unrepaired_incident",
                                            "partnership_at_risk", "exposure_path"}
    assert len(rows) == len(doc["rows"])
    code, _, err = run_cli("health NOPE")
    assert code == 4


# --- the snapshot, one per trend point, and the organisation's rows give the same answers --------------------


@pytest.mark.parametrize("org", ["ORG043", "ORG021", "ORG087", "ORG019", "ORG005", "ORG015", "ORG080"])
def test_snapshots_and_about_rows_give_the_whole_tables_health(sample_tables: dict[str, pd.DataFrame],
                                                               sample_store, org: str) -> None:
    """What the command does — the snapshot as of each trend point, ``Store.about`` rows of the
    organisation — gives exactly the health computed from every row."""
    from trustgraph.snapshot import open_snapshot

    def at(day: str | None) -> object:
        return open_snapshot(sample_store, as_of=day, half_life_days=730.0)

    for as_of in (None, "2023-06-01"):
        whole = health(sample_tables, org, as_of=as_of, half_life_days=730.0)
        got = health(sample_store.about([org]), org, half_life_days=730.0, graph=at(as_of), graphs=at)
        assert got == whole


def test_partnership_sides_from_about_rows(sample_tables: dict[str, pd.DataFrame], sample_store) -> None:
    """An organisation's partnership sides (job changes applied) need only its own rows."""
    from trustgraph.analysis.continuity import partnership_sides
    from trustgraph.evidence import reference_date

    day = reference_date(sample_tables).strftime("%Y-%m-%d")
    for org in sample_tables["organizations"]["id"]:
        rows = sample_store.about([org])
        assert partnership_sides(rows, as_of=day, organization=org) == partnership_sides(
            sample_tables, as_of=day, organization=org), org


def test_cli_reads_the_organisations_rows_only(loaded, run_cli, table_reads) -> None:
    """Once the snapshots are built (one per trend point), ``health`` reads no whole table."""

    code, first, err = run_cli("health B --format json")
    assert code == 0, err
    read = table_reads()
    code, again, err = run_cli("health Beta --format json")
    assert code == 0, err
    assert read == []  # no whole table
    assert again == first
    assert len(json.loads(again)["trend"]) == 5


# --- optional tables absent (issue 15, item 6) -----------------------------------------------------------------

BARE = {name: text for name, text in FILES.items() if name not in ("people", "relationship_holders")}


def test_no_people_no_continuity_findings(tmp_path: Path) -> None:
    """Without people or holders, a partnership held by nobody is missing data, not a finding."""
    doc = health(load_dataset(write_dataset(tmp_path / "bare", BARE)), "B")
    assert doc["continuity"] == {"running": 2, "at_risk": 0, "sides": [], "holders_recorded": False}
    assert not any("partnership" in f for f in doc["findings"])
    # With holders elsewhere in the data (given for the whole store), B's unheld sides are findings again.
    doc = health(load_dataset(write_dataset(tmp_path / "bare", BARE)), "B", holders_recorded=True)
    assert doc["continuity"]["at_risk"] == 2


def test_cli_says_once_that_the_data_has_no_holders(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli(["load", str(write_dataset(tmp_path / "bare", BARE))])
    assert code == 0, err
    code, out, err = run_cli("health B --format table --trend-points 1")
    assert code == 0, err
    said = ("continuity: 2 running partnership side(s); the data records no relationship holders, so nothing can "
            "be said about who holds them")
    assert out.splitlines().count(said) == 1
    assert "nobody holding" not in out and "resting on one person" not in out and "orphaned" not in out
    code, out, _ = run_cli("health B --format json --trend-points 1")
    doc = json.loads(out)
    assert doc["continuity"] == {"running": 2, "at_risk": 0, "holders_recorded": False}
    assert not [r for r in doc["rows"] if r["concern"] == "partnership_at_risk"]
