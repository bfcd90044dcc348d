"""Person-level breaches (issue 18, item 4): an incident may name the people involved; a staff
rotation repairs the organisations' trust while the persons' tie stays broken."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import store_digest, write_dataset
from neo4j_server import Server, neo4j_server  # noqa: F401  (fixture)
from test_schemas import validator

import trustgraph.cli.lifecycle_commands  # noqa: F401  (registers the commands)
from trustgraph.analysis.continuity import person_breaches
from trustgraph.analysis.health import health
from trustgraph.analysis.timeline import timeline
from trustgraph.errors import InvalidDataError
from trustgraph.ingest import load_dataset

# A small world as of 2024-06-01 (the newest event, R4):
#   N and F run PS1. Incident I1 (2023-02-01) names n1 (N) and f1 (F); staff rotation A1 on
#   2023-04-01: f2 takes over F's side (since 2023-04-01), f1 moves within F to Finance (f1b).
#   The pair's holdings predate the rotation: the tie stays broken (status "rotated").
#   G and H run PS2. I2 names g1 and h1; rotation A2 on 2023-04-01, but h1's holding of PS2 was
#   recorded again on 2024-01-15: the two are re-paired.
#   J and K run PS3. I3 names j1 and k1; no rotation, both still hold PS3: not rotated.
#   L and M run PS4. I4 names l1 only (L's person); no rotation; l1 left L on 2023-06-01: parted.
#   The same incidents without the people (the "org" variant) are organisation-level.
ORGS = """id,name
N,Northern Aid
F,Fairwater Fund
G,Green Hands
H,Harbour Trust
J,Jade Network
K,Kestrel Foundation
L,Lumen Health
M,Meridian Fund
"""
PEOPLE = """id,name,organization,role,from,until,previous
n1,Nia Obi,N,Programme lead,2018-01-01,,
f1,Finn Berg,F,Grants officer,2018-01-01,2023-04-01,
f1b,Finn Berg,F,Finance,2023-04-01,,f1
f2,Fay Lund,F,Grants officer,2018-01-01,,
g1,Gus Moe,G,Lead,2018-01-01,,
h1,Hal Roy,H,Lead,2018-01-01,,
j1,Jo Kim,J,Lead,2018-01-01,,
k1,Kai Tan,K,Lead,2018-01-01,,
l1,Lea Sun,L,Lead,2018-01-01,2023-06-01,
l2,Liv Sand,L,Officer,2018-01-01,,
m1,Mo Park,M,Lead,2018-01-01,,
"""
SHIPS = """id,name,kind,start,end,status
PS1,Water grant,grant,2020-01-01,,active
PS2,Shelter programme,bilateral,2020-01-01,,active
PS3,School meals,bilateral,2020-01-01,,active
PS4,Clinic fund,grant,2020-01-01,,active
"""
MEMBERS = """partnership,organization,role
PS1,N,implementer
PS1,F,funder
PS2,G,lead
PS2,H,member
PS3,J,lead
PS3,K,member
PS4,L,implementer
PS4,M,funder
"""
HOLDERS = """person,partnership,since
n1,PS1,2020-01-01
f1,PS1,2020-01-01
f2,PS1,2023-04-01
g1,PS2,2020-01-01
h1,PS2,2024-01-15
j1,PS3,2020-01-01
k1,PS3,2020-01-01
l1,PS4,2020-01-01
l2,PS4,2023-06-01
m1,PS4,2020-01-01
"""
INCIDENTS = """id,reporter,subject,kind,severity,date,partnership,description,reporter_person,subject_person
I1,N,F,communication_breakdown,3,2023-02-01,PS1,Grant officer and programme lead no longer speak,n1,f1
I2,G,H,communication_breakdown,3,2023-02-01,PS2,Leads fell out,g1,h1
I3,J,K,missed_commitment,2,2023-02-01,PS3,Lead missed every meeting,j1,k1
I4,L,M,communication_breakdown,2,2023-02-01,PS4,Lead refused to work with the funder,l1,
"""
ACTIONS = """id,incident,kind,date,note
A1,I1,staff_rotation,2023-04-01,Fay Lund takes over the grant
A2,I2,staff_rotation,2023-04-01,Rotation announced
"""
REFS = """id,source,target,strength,date
R1,N,F,0.8,2021-01-01
R2,G,H,0.8,2021-01-01
R3,J,K,0.8,2021-01-01
R4,L,M,0.8,2024-06-01
"""
DAY = "2024-06-01"


def files(**changes: str) -> dict[str, str]:
    out = {"organizations": ORGS, "people": PEOPLE, "partnerships": SHIPS, "partnership_members": MEMBERS,
           "relationship_holders": HOLDERS, "incidents": INCIDENTS, "incident_actions": ACTIONS, "referrals": REFS}
    out.update(changes)
    return out


def org_level(text: str) -> str:
    """The incidents without the people named (the last two columns emptied)."""
    lines = text.splitlines()
    return "\n".join([lines[0]] + [line.rsplit(",", 2)[0] + ",," for line in lines[1:]]) + "\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    return load_dataset(write_dataset(tmp_path_factory.mktemp("world"), files()))


def by_incident(breaches: list[dict]) -> dict[str, dict]:
    return {b["incident"]: b for b in breaches}


# --- the rules -------------------------------------------------------------------------------------------


def test_rotation_repairs_the_organisations_and_keeps_the_persons_apart(world) -> None:
    b = by_incident(person_breaches(world))["I1"]
    assert b["status"] == "rotated" and b["paired"] is False and b["held_together"] == []
    assert b["repair"] == "repaired" and b["rotation"]["id"] == "A1"
    assert b["survives"] is True
    # who holds the relationship now: f1 moved within F (f1b, carried along), f2 took over
    [rel] = b["relationship"]
    assert rel["partnership"] == "PS1"
    assert [h["id"] for h in rel["reporter_holders"]] == ["n1"]
    assert [(h["id"], h["since"], h["named"]) for h in rel["subject_holders"]] == [
        ("f1b", "2020-01-01", True), ("f2", "2023-04-01", False)]
    assert b["subject_person"]["now"] == "f1b" and b["reporter_person"]["now"] == "n1"


def test_re_pairing_after_rotation_and_no_rotation_are_flagged(world) -> None:
    found = by_incident(person_breaches(world))
    assert found["I2"]["status"] == "re_paired" and found["I2"]["held_together"] == ["PS2"]
    assert found["I3"]["status"] == "not_rotated" and found["I3"]["held_together"] == ["PS3"]
    assert found["I4"]["status"] == "parted"  # l1 left L: nobody named holds PS4 any more
    assert found["I4"]["subject_person"] is None and found["I4"]["reporter_person"]["now"] is None
    # before h1 was re-recorded (2024-01-15), G and H were not paired
    earlier = by_incident(person_breaches(world, as_of="2023-12-31"))
    assert earlier["I2"]["status"] == "rotated"


def test_a_personal_tie_recorded_after_the_rotation_re_pairs(tmp_path: Path) -> None:
    ties = "a,b,kind,since\nn1,f1b,friend,2023-09-01\n"
    t = load_dataset(write_dataset(tmp_path / "d", files(personal_ties=ties)))
    b = by_incident(person_breaches(t))["I1"]
    assert b["status"] == "re_paired" and b["new_ties"] == [{"kind": "friend", "since": "2023-09-01"}]
    old = "a,b,kind,since\nn1,f1,friend,2015-01-01\n"  # a tie from before the incident is history
    t = load_dataset(write_dataset(tmp_path / "e", files(personal_ties=old)))
    assert by_incident(person_breaches(t))["I1"]["status"] == "rotated"


def test_organisational_trust_is_the_same_with_or_without_the_people(world, tmp_path: Path) -> None:
    """Naming people changes no evidence: the rotation repairs the organisations' trust as before."""
    plain = load_dataset(write_dataset(tmp_path / "org", files(incidents=org_level(INCIDENTS))))
    person, org = timeline(world, "N", "F"), timeline(plain, "N", "F")
    assert [e["trust_ab"] for e in person["events"]] == [e["trust_ab"] for e in org["events"]]
    incident = next(e for e in person["events"] if e["kind"] == "incident")
    rotation = next(e for e in person["events"] if e["kind"] == "action")
    assert incident["change_ab"] < 0 < rotation["change_ab"]  # fell at the incident, partly restored
    assert incident["scope"] == "person" and (incident["reporter_person"], incident["subject_person"]) == ("n1", "f1")
    assert "[person-level: n1 Nia Obi (N) and f1 Finn Berg (F)]" in incident["text"]
    assert rotation["scope"] == "person" and "not to be paired again" in rotation["text"]
    assert [b["status"] for b in person["person_breaches"]] == ["rotated"]
    assert org["person_breaches"] == [] and next(e for e in org["events"] if e["kind"] == "incident")["scope"] == (
        "organisation")
    assert person_breaches(plain) == []


def test_health_flags_re_pairing_and_missing_rotation(world) -> None:
    g = health(world, "G", trend_points=1)
    assert [b["status"] for b in g["person_breaches"]] == ["re_paired"]
    assert any(f.startswith("person-level breach I2") and "yet re-paired: they hold PS2 together" in f
               for f in g["findings"])
    k = health(world, "K", trend_points=1)  # the subject's side sees it too
    assert any("I3" in f and "never followed by a staff rotation" in f for f in k["findings"])
    n = health(world, "N", trend_points=1)
    assert [b["status"] for b in n["person_breaches"]] == ["rotated"]
    assert any("repaired by staff rotation on 2023-04-01; the relationship survives" in f for f in n["findings"])


# --- validation ------------------------------------------------------------------------------------------


def test_a_person_of_another_organisation_is_refused(tmp_path: Path) -> None:
    bad = INCIDENTS.replace("I3,J,K,missed_commitment,2,2023-02-01,PS3,Lead missed every meeting,j1,k1",
                            "I3,J,K,missed_commitment,2,2023-02-01,PS3,Lead missed every meeting,j1,h1")
    with pytest.raises(InvalidDataError) as err:
        load_dataset(write_dataset(tmp_path / "d", files(incidents=bad)))
    [p] = err.value.problems
    assert (p.file, p.line, p.column, p.value) == ("incidents.csv", 4, "subject_person", "h1")
    assert p.expected.startswith("a person who works or worked at the subject, K")


def test_unknown_and_same_person_are_refused(tmp_path: Path) -> None:
    bad = INCIDENTS.replace(",j1,k1", ",nobody,k1").replace(",g1,h1", ",g1,g1")
    with pytest.raises(InvalidDataError) as err:
        load_dataset(write_dataset(tmp_path / "d", files(incidents=bad)))
    found = {(p.line, p.column, p.value) for p in err.value.problems}
    assert (4, "reporter_person", "nobody") in found  # an unknown person
    assert (3, "subject_person", "g1") in found  # g1 is no one at H, and the same as the reporter's


def test_an_earlier_or_later_position_counts(tmp_path: Path) -> None:
    """Someone who worked at the organisation then (an earlier position) is accepted."""
    moved = PEOPLE + "n1x,Nia Obi,M,Director,2024-01-01,,n1\n"
    later = INCIDENTS.replace(",n1,f1", ",n1x,f1")
    t = load_dataset(write_dataset(tmp_path / "d", files(people=moved, incidents=later)))
    assert t["incidents"].set_index("id").loc["I1", "reporter_person"] == "n1x"


def test_cli_refuses_and_writes_nothing(tmp_path: Path, run_cli) -> None:
    store = tmp_path / "s.db"
    code, _, err = run_cli(["--store", str(store), "load", str(write_dataset(tmp_path / "ok", files()))])
    assert code == 0, err
    before = store_digest(store)
    code, _, err = run_cli(["--store", str(store), "record", "incident", "--reporter", "N", "--subject", "F",
                            "--kind", "quality_failure", "--severity", "2", "--date", "2024-05-01",
                            "--reporter-person", "n1", "--subject-person", "g1"])
    assert code == 3 and "--subject-person" in err and "works or worked at the subject, F" in err
    assert store_digest(store) == before
    # a dataset whose incident names a stored person of the wrong side: refused, nothing written
    extra = write_dataset(tmp_path / "more", {"organizations": ORGS, "incidents": (
        "id,reporter,subject,kind,severity,date,reporter_person,subject_person\n"
        "I9,N,F,quality_failure,2,2024-05-01,j1,f2\n")})
    code, _, err = run_cli(["--store", str(store), "load", str(extra)])
    assert code == 3 and "reporter_person" in err and "j1" in err
    assert store_digest(store) == before
    # by name, resolved like every person reference
    code, out, err = run_cli(["--store", str(store), "record", "incident", "--reporter", "N", "--subject", "F",
                              "--kind", "quality_failure", "--severity", "2", "--date", "2024-05-01",
                              "--reporter-person", "Nia Obi", "--subject-person", "f2", "--format", "json"])
    assert code == 0, err
    row = json.loads(out)["rows"][0]
    assert (row["reporter_person"], row["subject_person"]) == ("n1", "f2")


# --- the commands ----------------------------------------------------------------------------------------


@pytest.fixture()
def loaded(tmp_path: Path, run_cli) -> list[str]:
    args = ["--store", str(tmp_path / "w.db")]
    code, _, err = run_cli(args + ["load", str(write_dataset(tmp_path / "w", files()))])
    assert code == 0, err
    return args


def test_cli_documents(loaded, run_cli) -> None:
    code, out, err = run_cli(loaded + ["timeline", "N", "F", "--format", "json"])
    assert code == 0, err
    doc = json.loads(out)
    validator("timeline").validate(doc)
    assert [b["status"] for b in doc["person_breaches"]] == ["rotated"]
    code, out, err = run_cli(loaded + ["continuity", "--format", "json"])
    doc = json.loads(out)
    validator("continuity").validate(doc)
    assert {b["incident"]: b["status"] for b in doc["person_breaches"]} == {
        "I1": "rotated", "I2": "re_paired", "I3": "not_rotated", "I4": "parted"}
    code, out, err = run_cli(loaded + ["continuity", "--for", "F", "--format", "json"])
    assert [b["incident"] for b in json.loads(out)["person_breaches"]] == ["I1"]
    code, out, err = run_cli(loaded + ["health", "H", "--format", "json"])
    doc = json.loads(out)
    validator("health").validate(doc)
    concerns = [r for r in doc["rows"] if r["concern"] == "person_breach"]
    assert [(r["incident"], r["status"]) for r in concerns] == [("I2", "re_paired")]
    code, out, err = run_cli(loaded + ["health", "N", "--format", "json"])
    assert not [r for r in json.loads(out)["rows"] if r["concern"] == "person_breach"]


def test_cli_timeline_text(loaded, run_cli) -> None:
    code, out, err = run_cli(loaded + ["timeline", "N", "F", "--format", "table"])
    assert code == 0, err
    tail = out[out.index("person-level breaches"):]
    assert tail == """\
person-level breaches (the incident names people):
  I1 2023-02-01 communication_breakdown: n1 Nia Obi (N) and f1 Finn Berg (F, now f1b at F)
      organisations: staff rotation A1 on 2023-04-01; incident repaired; the relationship survives
      persons: the two are not paired again
      PS1 Water grant now held by N: n1 Nia Obi (named) since 2020-01-01; F: f1b Finn Berg (named) since 2020-01-01, f2 Fay Lund since 2023-04-01
"""


# --- both stores -----------------------------------------------------------------------------------------


@pytest.mark.neo4j
def test_both_stores_give_the_same_documents(tmp_path: Path, run_cli, neo4j_server: Server) -> None:  # noqa: F811
    """The people named travel through both stores (Neo4j: INVOLVES_REPORTER/INVOLVES_SUBJECT links
    to :Person) and back out through export; every document is the same on both."""
    data = write_dataset(tmp_path / "w", files())
    neo = neo4j_server.store()
    neo.clear()
    neo.close()
    backends = (["--store", str(tmp_path / "a.db")], neo4j_server.cli_args())
    for args in backends:
        code, _, err = run_cli([*args, "-q", "load", str(data)])
        assert code == 0, err
    commands = (["timeline", "N", "F"], ["timeline", "G", "H"], ["continuity"], ["continuity", "--for", "K"],
                ["health", "H", "--trend-points", "2"], ["health", "L", "--trend-points", "2"])
    for command in commands:
        outputs = []
        for args in backends:
            code, out, err = run_cli([*args, *command, "--format", "json"])
            assert code == 0, err
            document = json.loads(out)
            document.pop("store")
            outputs.append(document)
        assert outputs[0] == outputs[1], command
        assert outputs[0].get("person_breaches"), command
    neo = neo4j_server.store()
    try:
        stored = neo.table("incidents").set_index("id")
    finally:
        neo.close()
    assert (stored.loc["I1", "reporter_person"], stored.loc["I1", "subject_person"]) == ("n1", "f1")
    assert stored.loc["I4", "subject_person"] is None
    for args, folder in zip(backends, ("out", "out2")):
        code, _, err = run_cli([*args, "-q", "export", str(tmp_path / folder)])
        assert code == 0, err
    assert load_dataset(tmp_path / "out")["incidents"].equals(load_dataset(data)["incidents"])
    assert (tmp_path / "out" / "incidents.csv").read_text() == (tmp_path / "out2" / "incidents.csv").read_text()


def test_a_store_from_before_gets_the_columns_on_its_next_write(tmp_path: Path) -> None:
    """An SQLite store written before incidents named people is completed (ALTER TABLE ... ADD COLUMN)
    when it is opened, for reading too (an incomplete file that is no earlier store is refused), and keeps its incident ids (a late
    column's empty cell is left out of a derived id)."""
    import sqlite3

    from trustgraph.errors import StoreUnavailableError
    from trustgraph.ingest import derived_id
    from trustgraph.model import TABLES
    from trustgraph.store import SqliteStore
    from trustgraph.store.sqlite import _create_sql

    path = tmp_path / "old.db"
    SqliteStore(path).close()
    db = sqlite3.connect(path)
    old = "\n".join(line for line in _create_sql(TABLES["incidents"]).split("\n") if "_person" not in line)
    db.execute("DROP TABLE incidents")
    db.execute(old.replace("DEFERRED,\n)", "DEFERRED\n)"))
    db.commit()
    db.close()
    before = sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'version'").fetchone()
    reader = SqliteStore(path, create=False)  # a read completes it in place: the columns, nothing else
    try:
        assert {"reporter_person", "subject_person"} <= set(reader.table("incidents").columns)
    finally:
        reader.close()
    assert sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'version'").fetchone() == before
    # a file that is not a complete store of an earlier trustgraph is still refused, with what it lacks
    db = sqlite3.connect(path)
    db.execute("DROP TABLE incidents")
    db.execute(old.replace("DEFERRED,\n)", "DEFERRED\n)"))
    db.execute("DELETE FROM meta WHERE key = 'store_id'")
    db.commit()
    db.close()
    with pytest.raises(StoreUnavailableError, match=r"incidents\.reporter_person, incidents\.subject_person: a "
                                                    "command that writes"):
        SqliteStore(path, create=False)
    store = SqliteStore(path)
    try:
        store.load(load_dataset(write_dataset(tmp_path / "w", files())))
        assert store.table("incidents").set_index("id").loc["I2", "subject_person"] == "h1"
    finally:
        store.close()
    row = {"reporter": "N", "subject": "F", "kind": "fraud", "severity": 2, "date": "2024-01-02"}
    # the id an incident without people had before the columns existed (computed with that code)
    assert derived_id(TABLES["incidents"], row) == "inc-8a3a15acdc9b"
    assert derived_id(TABLES["incidents"], row) == derived_id(TABLES["incidents"], {**row, "reporter_person": None})
    assert derived_id(TABLES["incidents"], row) != derived_id(TABLES["incidents"], {**row, "reporter_person": "n1"})
