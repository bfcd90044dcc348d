"""Continuity (trustgraph.analysis.continuity): single holders, job changes, departures, the command."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

import trustgraph.cli.lifecycle_commands  # noqa: F401  (registers the commands until cli/__init__ imports it)
from trustgraph.analysis.continuity import (
    continuity,
    departure,
    partnership_sides,
    person_path,
    positions,
    staff_graph,
)
from trustgraph.errors import NotFoundError
from trustgraph.ingest import load_dataset


def write_dataset(folder: Path, **tables: str) -> dict[str, pd.DataFrame]:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return load_dataset(folder)


# A small world as of 2024-12-31 (the newest event):
#   A and B run P1 (A's side held by a1 alone) and P2 (held on A's side by a1 and a2);
#   A and C run P3, held on A's side by m1, who moved to C on 2023-06-01 (new position m2):
#   the holding ends with the move and A's side of P3 is orphaned;
#   i1 held P4 (A and D) for A and moved within A (new position i2): the holding is carried along.
#   a3 (A) knows b1 (B) personally; a2 co-holds P2 with b1 too. m1's tie with a3 moves with m2.
ORGS = "id,name\nA,Org A\nB,Org B\nC,Org C\nD,Org D\n"
PEOPLE = """id,name,organization,role,from,until,previous
a1,Ada One,A,Partnerships lead,2015-01-01,,
a2,Ada Two,A,Programme officer,2016-01-01,,
a3,Ada Three,A,Finance,2017-01-01,,
a4,Ada Four,A,Assistant,2018-01-01,,
b1,Bo One,B,Director,2015-01-01,,
c1,Cy One,C,Director,2015-01-01,,
d1,Di One,D,Director,2015-01-01,,
m1,Max Mover,A,Manager,2015-01-01,2023-06-01,
m2,Max Mover,C,Director of partnerships,2023-06-01,,m1
i1,Ivy Inside,A,Officer,2015-01-01,2022-01-01,
i2,Ivy Inside,A,Head of programmes,2022-01-01,,i1
"""
SHIPS = """id,name,kind,start,end,status
P1,Water grant,grant,2020-01-01,,active
P2,Research platform,platform,2020-01-01,,active
P3,Supply agreement,supply,2019-01-01,,active
P4,Training programme,bilateral,2019-01-01,,active
P5,Old grant,grant,2010-01-01,2012-01-01,completed
"""
MEMBERS = """partnership,organization,role
P1,A,funder
P1,B,implementer
P2,A,member
P2,B,member
P3,A,lead
P3,C,member
P4,A,lead
P4,D,member
P5,A,funder
P5,B,implementer
"""
HOLDERS = """person,partnership,since
a1,P1,2020-01-01
b1,P1,2020-01-01
a1,P2,2020-01-01
a2,P2,2020-01-01
b1,P2,2020-01-01
m1,P3,2019-01-01
c1,P3,2019-01-01
i1,P4,2019-01-01
d1,P4,2019-01-01
a1,P5,2010-01-01
"""
TIES = "a,b,kind,since\na3,b1,friend,2012-01-01\nm1,a4,alumni,2010-01-01\n"
REFS = "id,source,target,strength,date,recipient,note\nR1,A,B,0.5,2024-12-31,,\n"


@pytest.fixture()
def small(tmp_path: Path) -> dict[str, pd.DataFrame]:
    return write_dataset(tmp_path / "small", organizations=ORGS, people=PEOPLE, partnerships=SHIPS,
                         partnership_members=MEMBERS, relationship_holders=HOLDERS, personal_ties=TIES, referrals=REFS)


def side(sides: list[dict], ps: str, org: str) -> dict:
    return next(s for s in sides if s["partnership"] == ps and s["organization"] == org)


def test_sides_and_job_changes(small: dict[str, pd.DataFrame]) -> None:
    sides = partnership_sides(small)
    assert {s["partnership"] for s in sides} == {"P1", "P2", "P3", "P4"}  # P5 ended in 2012
    assert side(sides, "P1", "A")["status"] == "single"
    assert [h["id"] for h in side(sides, "P2", "A")["holders"]] == ["a1", "a2"]
    assert side(sides, "P2", "A")["status"] == "covered"
    # The move to another organisation ends the holding; the side is orphaned and says why.
    p3 = side(sides, "P3", "A")
    assert p3["status"] == "orphaned" and p3["holders"] == []
    assert p3["ended"][0]["reason"] == "Max Mover moved to C (m2) on 2023-06-01"
    # The move within the organisation carries the holding along to the new position.
    p4 = side(sides, "P4", "A")
    assert p4["status"] == "single" and [h["id"] for h in p4["holders"]] == ["i2"]
    # Before the move, m1 still held P3.
    assert side(partnership_sides(small, as_of="2023-05-31"), "P3", "A")["holders"][0]["id"] == "m1"


def test_positions_follow_previous(small: dict[str, pd.DataFrame]) -> None:
    pos = positions(small)
    assert pos.current("m1") == "m2" and pos.current("i1") == "i2"
    assert pos.resolve("m1") == "m2"  # an earlier position resolves to the current one
    assert pos.resolve("max mover") == "m2"
    assert pos.staff("A") == ["a1", "a2", "a3", "a4", "i2"]
    with pytest.raises(NotFoundError):
        pos.resolve("nobody")


def test_staff_graph_carries_personal_ties_across_moves(small: dict[str, pd.DataFrame]) -> None:
    P = staff_graph(small)
    assert "m1" not in P and "m2" in P
    assert [t["kind"] for t in P["m2"]["a4"]["ties"]] == ["alumni"]  # m1's tie moved with the person
    assert {t["kind"] for t in P["a1"]["a2"]["ties"]} == {"co-holder", "colleague"}
    path = person_path(P, "A", "B")
    assert path is not None and path["hops"] == 1
    assert person_path(P, ["a4"], ["c1"]) == {
        "hops": 2,
        "people": [{"id": "a4", "name": "Ada Four", "organization": "A"},
                   {"id": "m2", "name": "Max Mover", "organization": "C"},
                   {"id": "c1", "name": "Cy One", "organization": "C"}],
        "links": [{"from": "a4", "to": "m2", "ties": [{"kind": "alumni", "ref": None, "since": "2010-01-01"}]},
                  {"from": "m2", "to": "c1", "ties": [{"kind": "co-holder", "ref": "P3", "since": "2019-01-01"},
                                                      {"kind": "colleague", "ref": "C", "since": None}]}],
    }


def test_departure_that_orphans_a_partnership(small: dict[str, pd.DataFrame]) -> None:
    doc = departure(small, "a1")
    holds = {h["partnership"]: h for h in doc["holds"]}
    assert set(holds) == {"P1", "P2"}
    assert holds["P2"]["breaks"] is False and [o["id"] for o in holds["P2"]["other_holders"]] == ["a2"]
    assert holds["P1"]["breaks"] is True and doc["orphans"] == 1
    # Who could take over P1 (partner B): a2 co-holds P2 with b1 and a3 knows b1: one hop each;
    # a4 and i2 have no tie of their own to B.
    takeover = [(t["id"], t["hops"]) for t in holds["P1"]["takeover"]]
    assert takeover == [("a2", 1), ("a3", 1), ("a4", None), ("i2", None)]
    assert holds["P1"]["takeover"][1]["path"]["links"][0]["ties"][0]["kind"] == "friend"


def test_continuity_ranks_key_people(small: dict[str, pd.DataFrame]) -> None:
    doc = continuity(small)
    assert doc["summary"] == {"running_partnerships": 4, "sides": 8, "orphaned_sides": 1, "single_sides": 6,
                              "covered_sides": 1, "partnerships_at_risk": 4, "key_people": 5,
                              "people_recorded": True, "holders_recorded": True}
    assert doc["at_risk"][0]["status"] == "orphaned"
    key = {p["id"]: (p["rank"], p["would_orphan"]) for p in doc["key_people"]}
    assert key["b1"] == (1, 2)  # b1 alone holds both P1 and P2 for B
    assert key["a1"] == (2, 1) and key["i2"] == (2, 1)


# --- the sample -------------------------------------------------------------------------------------------


def test_single_holder_planted(sample_tables: dict[str, pd.DataFrame]) -> None:
    """data/sample/README.md, situation 2: PS020 rests on P105 on ORG087's side."""
    sides = partnership_sides(sample_tables)
    s = side(sides, "PS020", "ORG087")
    assert s["status"] == "single" and [h["id"] for h in s["holders"]] == ["P105"] and s["partners"] == ["ORG095"]
    doc = departure(sample_tables, "P105")
    [held] = doc["holds"]
    assert held["partnership"] == "PS020" and held["breaks"] and doc["orphans"] == 1
    # No colleague holds anything with the partner: nobody is one hop away.
    assert all(t["hops"] is None or t["hops"] > 1 for t in held["takeover"])
    assert {t["id"] for t in held["takeover"]} == {"P106", "P107"}
    people = {p["id"]: p for p in continuity(sample_tables, top=200)["key_people"]}
    assert people["P105"]["would_orphan"] == 1


def test_sample_job_change_orphans_sides(sample_tables: dict[str, pd.DataFrame]) -> None:
    s = side(partnership_sides(sample_tables), "PS029", "ORG005")
    assert s["status"] == "orphaned"
    assert s["ended"][0]["reason"] == "James Walsh moved to ORG080 (P125) on 2024-07-06"


# --- the command -------------------------------------------------------------------------------------------


@pytest.fixture()
def loaded(small: dict[str, pd.DataFrame], tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli(["load", str(tmp_path / "small")])
    assert code == 0, err


def test_cli_leaves_table(loaded, run_cli) -> None:
    code, out, err = run_cli("continuity --leaves a1 --format table")
    assert code == 0, err
    assert out == """\
if a1 Ada One (Partnerships lead, A) leaves, as of 2024-12-31:
1 of 2 partnership(s) held would be orphaned

P1 Water grant (with B): ORPHANED — nobody else holds it
  a2 Ada Two (Programme officer): 1 hop(s) -[co-holder P2]- b1 Bo One (B)
  a3 Ada Three (Finance): 1 hop(s) -[friend]- b1 Bo One (B)
  a4 Ada Four (Assistant): no tie to the partner
  i2 Ivy Inside (Head of programmes): no tie to the partner

P2 Research platform (with B): still held by a2 Ada Two

people they know outside the organisation (personal ties leave with them):
  b1 Bo One (B): co-holder P1, co-holder P2
"""


def test_cli_formats(loaded, run_cli) -> None:
    code, out, _ = run_cli("continuity --format json")
    assert code == 0 and json.loads(out)["summary"]["orphaned_sides"] == 1
    code, out, _ = run_cli("continuity --format csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    orphan = next(r for r in rows if r["status"] == "orphaned")  # rows: the sides at risk
    assert (orphan["partnership"], json.loads(orphan["ended"])[0]["reason"]) == (
        "P3", "Max Mover moved to C (m2) on 2023-06-01")
    code, out, _ = run_cli("continuity --format json")
    assert any(p["id"] == "b1" for p in json.loads(out)["key_people"])
    code, out, _ = run_cli("continuity --leaves m1 --format json")
    doc = json.loads(out)
    assert doc["departure"]["person"]["id"] == "m2" and doc["departure"]["resolved_from"] == "m1"
    code, out, _ = run_cli("continuity --format table")
    assert out.splitlines()[0] == ("continuity as of 2024-12-31: 4 running partnerships, 8 sides — 1 orphaned, "
                                   "6 held by one person, 1 covered")


def test_cli_unknown_person(loaded, run_cli) -> None:
    code, _, err = run_cli("continuity --leaves nobody")
    assert code == 4 and "no person in post" in err


def test_no_holders_recorded_means_no_claims(tmp_path: Path) -> None:
    t = write_dataset(tmp_path / "bare", organizations=ORGS, partnerships=SHIPS, partnership_members=MEMBERS,
                      referrals=REFS)
    doc = continuity(t)
    assert doc["at_risk"] == [] and doc["key_people"] == [] and doc["summary"]["holders_recorded"] is False


# --- only the people and partnership tables are needed ------------------------------------------------------


def test_people_and_partnership_tables_suffice(sample_tables: dict[str, pd.DataFrame]) -> None:
    """With the reference date given, :data:`TABLES` alone give the whole dataset's answers."""
    from trustgraph.analysis.continuity import TABLES
    from trustgraph.evidence import reference_date

    day = reference_date(sample_tables).strftime("%Y-%m-%d")
    few = {name: sample_tables[name] for name in TABLES}
    assert continuity(few, as_of=day, top=200) == continuity(sample_tables, top=200)
    assert continuity(few, as_of=day, organization="ORG087") == continuity(sample_tables, organization="ORG087")
    for person in ("P105", "P001", "James Walsh"):
        assert departure(few, person, as_of=day) == departure(sample_tables, person)


def test_cli_reads_no_evidence_table(loaded, run_cli, table_reads) -> None:
    """``continuity`` reads the people and partnership tables, the incidents (person-level breaches;
    their actions only when an incident names people), and the snapshot for the date: never the
    referrals, communications or listings."""
    from trustgraph.analysis.continuity import BREACH_TABLES as TABLES

    code, first, err = run_cli("continuity --format json")  # builds the snapshot
    assert code == 0, err
    read = table_reads()
    for args in ("continuity --format json", "continuity --org B --format json", "continuity --leaves a1 --format json",
                 "continuity --as-of 2024-01-01 --format json"):
        read.clear()
        code, out, err = run_cli(args)
        assert code == 0, err
        assert set(read) <= set(TABLES), args
    code, again, _ = run_cli("continuity --format json")
    assert again == first


def test_old_option_names_still_work(loaded, run_cli) -> None:
    """--top is now --limit and --org is now --for (hidden aliases for one release)."""
    code, new, _ = run_cli("continuity --limit 1 --for B --format json")
    assert code == 0
    code, old, err = run_cli("continuity --top 1 --org B --format json")
    assert code == 0 and old == new
    assert "--top is now --limit" in err and "--org is now --for" in err
    assert json.loads(new)["parameters"] == {"leaves": None, "for": "B", "limit": 1}
    assert run_cli("continuity --top 1 --limit 2")[0] == 2
    assert run_cli("continuity --org B --for B")[0] == 2
    code, out, _ = run_cli("continuity --limit 0 --format json")  # 0 = every key person
    assert code == 0 and len(json.loads(out)["key_people"]) >= 1



# --- optional tables absent, and --limit on every list (issue 15, item 6) ---------------------------------


def test_no_people_means_no_counts_by_status(tmp_path: Path) -> None:
    """Without people (or holders) no side is orphaned, single or covered: the data does not say."""
    bare = write_dataset(tmp_path / "bare", organizations=ORGS, partnerships=SHIPS, partnership_members=MEMBERS,
                         referrals=REFS)
    summary = continuity(bare)["summary"]
    assert summary == {"running_partnerships": 4, "sides": 8, "orphaned_sides": 0, "single_sides": 0,
                       "covered_sides": 0, "partnerships_at_risk": 0, "key_people": 0, "people_recorded": False,
                       "holders_recorded": False}
    staff = write_dataset(tmp_path / "staff", organizations=ORGS, people=PEOPLE, partnerships=SHIPS,
                          partnership_members=MEMBERS, referrals=REFS)
    summary = continuity(staff)["summary"]
    assert (summary["people_recorded"], summary["holders_recorded"], summary["orphaned_sides"]) == (True, False, 0)


@pytest.mark.parametrize(("tables", "missing"), [(("people", "relationship_holders", "personal_ties"), "people"),
                                                 (("relationship_holders",), "relationship holders")])
def test_cli_says_once_that_the_data_has_none(small: dict[str, pd.DataFrame], tmp_path: Path, run_cli,
                                              tables: tuple[str, ...], missing: str) -> None:
    for name in tables:
        (tmp_path / "small" / f"{name}.csv").unlink()
    code, _, err = run_cli(["load", str(tmp_path / "small")])
    assert code == 0, err
    code, out, err = run_cli("continuity --format table")
    assert code == 0, err
    assert out == (f"continuity as of 2024-12-31: 4 running partnerships, 8 sides; the data records no {missing}, "
                   "so nothing can be said about who holds them (people.csv, relationship_holders.csv)\n")
    code, out, _ = run_cli("continuity --format json")
    doc = json.loads(out)
    assert doc["rows"] == [] and doc["key_people"] == [] and doc["summary"]["orphaned_sides"] == 0


def test_limit_limits_every_list(loaded, run_cli) -> None:
    code, out, err = run_cli("continuity --limit 2 --format json")
    assert code == 0, err
    doc = json.loads(out)
    assert len(doc["rows"]) == 2 and len(doc["key_people"]) == 2
    assert doc["rows"][0]["status"] == "orphaned"  # the most at risk first
    assert (doc["summary"]["orphaned_sides"] + doc["summary"]["single_sides"], doc["summary"]["key_people"]) == (7, 5)
    code, out, _ = run_cli("continuity --limit 2 --format table")
    lines = out.splitlines()
    assert "partnership sides resting on one person or on nobody (the first 2 of 7; --limit 0 for all):" in lines
    assert "people whose departure would orphan the most partnerships (the first 2 of 5; --limit 0 for all):" in lines
    assert len(lines) == 1 + 1 + 1 + 2 + 2 + 1 + 1 + 2 + 2  # title, blank, heading, table (head, rule, 2 rows) ×2
    code, out, _ = run_cli("continuity --limit 0 --format json")
    assert len(json.loads(out)["rows"]) == 7
    # With --leaves: the partnerships held, each one's takeover candidates and the personal ties.
    code, out, _ = run_cli("continuity --leaves a1 --limit 1 --format json")
    doc = json.loads(out)
    assert [h["partnership"] for h in doc["rows"]] == ["P1"] and doc["departure"]["held"] == 2
    assert [t["id"] for t in doc["rows"][0]["takeover"]] == ["a2"] and doc["rows"][0]["takeover_total"] == 4
    code, out, _ = run_cli("continuity --leaves a1 --limit 1 --format table")
    assert "1 of 2 partnership(s) held would be orphaned (the first 1 of 2; --limit 0 for all)" in out
    assert "  … and 3 more colleagues (--limit 0 for all)" in out
