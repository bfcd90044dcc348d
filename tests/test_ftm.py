"""``trustgraph import ftm``: FollowTheMoney entities (OpenSanctions' JSON lines) as trustgraph tables.

data/ftm/sanctions.jsonl (the README's example) holds one entity of every mapped schema (Company, Organization,
PublicBody, LegalEntity, Person, Employment, Directorship, Membership, Ownership, Sanction) and two
that are not imported (Address, Family). World Bank debarred Dakar Logistics from 2020-03-01 to
2023-03-01 (no longer in force later); US OFAC listed Lakeside Holdings, which owns 60% of Dakar
Logistics, from 2022-06-15 indefinitely. Neither authority is a party.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pandas as pd
import pytest
from conftest import store_digest
from neo4j_server import neo4j_server  # noqa: F401  (fixture)

from trustgraph.documents import load_schema
from trustgraph.errors import InvalidDataError
from trustgraph.importers.ftm import read_ftm

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "ftm" / "sanctions.jsonl"
AUTHORITIES = {"World Bank", "US OFAC"}
RunCli = Callable[..., tuple[int, str, str]]


def rows(frame: pd.DataFrame, *columns: str) -> set[tuple[Any, ...]]:
    return {tuple(None if v is None or v != v else v for v in r) for r in frame[list(columns)].itertuples(index=False)}


# -- the mapping ---------------------------------------------------------------------------------------------


def test_every_mapped_schema() -> None:
    result = read_ftm(FIXTURE)
    t = result.tables
    assert rows(t["organizations"], "id", "name", "sector", "country") == {
        ("co-dakar", "Dakar Logistics SARL", "private", "SN"),     # Company: private sector
        ("org-amber", "Amber Ridge Water Trust", "ngo", "KE"),     # Organization: its sector, normalised
        ("pb-water", "Ministry of Water", "government", "KE"),     # PublicBody: jurisdiction, government
        ("le-lakeside", "Lakeside Holdings", None, "GB"),          # LegalEntity
    }
    # Positions: one per relationship of a person at an organisation, partial dates widened.
    assert rows(t["people"], "id", "name", "organization", "role", "from", "until") == {
        ("emp-wanjiru", "Wanjiru Otieno", "org-amber", "Partnerships lead", "2019-03-01", None),
        ("dir-omar", "Omar Diallo", "co-dakar", "Managing director", "2015-01-01", None),
        ("mem-wanjiru", "Wanjiru Otieno", "pb-water", "member", "2021-05-01", "2022-12-31"),
        ("own-omar", "Omar Diallo", "co-dakar", "owner (40%)", "2018-01-01", None),
    }
    # Ties between two organisations: partnerships of two members.
    assert rows(t["partnerships"], "id", "name", "kind", "start", "end", "status") == {
        ("own-lakeside", "Lakeside Holdings owns Dakar Logistics SARL (60%)", "ownership", "2018-01-01", None,
         "active"),
        ("mem-amber", "Amber Ridge Water Trust belongs to Ministry of Water", "consortium", "2020-01-15", None,
         "active"),
        ("dir-lakeside", "Lakeside Holdings directs Dakar Logistics SARL", None, "2016-04-01", "2019-06-30",
         "completed"),
    }
    assert rows(t["partnership_members"], "partnership", "organization", "role") == {
        ("own-lakeside", "le-lakeside", "lead"), ("own-lakeside", "co-dakar", "member"),
        ("mem-amber", "org-amber", "member"), ("mem-amber", "pb-water", "lead"),
        ("dir-lakeside", "le-lakeside", "lead"), ("dir-lakeside", "co-dakar", "member"),
    }
    # Sanctions: listings by the authority (a name, not a party).
    assert rows(t["blacklist"], "id", "lister", "listed", "date", "until", "reason", "source") == {
        ("san-wb", "World Bank", "co-dakar", "2020-03-01", "2023-03-01", "Fraudulent practice",
         "World Bank debarment; https://www.worldbank.org/debarr"),
        ("san-ofac", "US OFAC", "le-lakeside", "2022-06-15", None, "sanctioned under SDGT", "SDGT"),
    }
    assert not AUTHORITIES & set(t["organizations"]["id"]) and not AUTHORITIES & set(t["organizations"]["name"])


def test_unknown_and_skipped_entities_are_counted_and_said() -> None:
    result = read_ftm(FIXTURE)
    counts = {e["schema"]: (e["count"], e["imported"], e["skipped"], e["table"]) for e in result.entities}
    assert counts == {
        "Address": (1, 0, 1, None), "Family": (1, 0, 1, None),
        "Company": (1, 1, 0, "organizations"), "Organization": (1, 1, 0, "organizations"),
        "PublicBody": (1, 1, 0, "organizations"), "LegalEntity": (1, 1, 0, "organizations"),
        "Person": (3, 2, 1, "people"), "Employment": (1, 1, 0, "people"),
        "Directorship": (2, 2, 0, "people, partnerships"), "Membership": (2, 2, 0, "people, partnerships"),
        "Ownership": (2, 2, 0, "people, partnerships"), "Sanction": (3, 2, 1, "blacklist"),
    }
    assert sum(e["count"] for e in result.entities) == len(FIXTURE.read_text().splitlines())
    assert result.notes == [
        "2 entities of schemata trustgraph does not import: Address (1), Family (1)",
        "skipped 1 Person: p-nobody (Jane Nobody): no Employment, Directorship, Membership or Ownership at an "
        "organisation (a position needs one)",
        "skipped 1 Sanction: san-omar: the sanctioned p-omar is a person, not an organisation (a listing names an "
        "organisation)",
    ]


BAD = [
    '{"id": "co-a", "schema": "Company", "properties": {"name": ["A Ltd"]}}',
    'not json',
    '{"id": "co-b", "schema": "Compnay", "properties": {"name": ["B Ltd"]}}',
    '{"schema": "Company", "properties": {"name": ["No Id"]}}',
    '{"id": "co-a", "schema": "Company", "properties": {"name": ["A again"]}}',
    '{"id": "emp-1", "schema": "Employment", "properties": {"employee": ["p-ghost"], "employer": ["co-a"]}}',
    '{"id": "san-1", "schema": "Sanction", "properties": {"entity": ["co-a"], "startDate": ["2020-13-45"]}}',
    '',
    '{"id": "own-1", "schema": "Ownership", "properties": {"owner": ["co-a"], "asset": ["co-a"]}}',
]


def test_every_problem_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(BAD) + "\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as info:
        read_ftm(path)
    found = [(p.file, p.line, p.column, p.value) for p in info.value.problems]
    assert found == [
        ("bad.jsonl", 2, None, "not json"),
        ("bad.jsonl", 3, "schema", "Compnay"),
        ("bad.jsonl", 4, "id", None),
        ("bad.jsonl", 5, "id", "co-a"),
        ("bad.jsonl", 6, "Employment.employee", "p-ghost"),
        ("bad.jsonl", 7, "Sanction.authority", None),
        ("bad.jsonl", 7, "Sanction.startDate", "2020-13-45"),
        ("bad.jsonl", 7, "Sanction.startDate", None),
        ("bad.jsonl", 7, "Sanction.reason", None),
    ]
    assert "line 1" in info.value.problems[3].expected  # the duplicate names the first
    assert "in the file or of an organisation in the store" in info.value.problems[4].expected


def test_rows_are_validated_like_a_dataset(tmp_path: Path) -> None:
    """A row the entities make is checked by the dataset rules; the problem names the entity's line."""
    path = tmp_path / "self.jsonl"
    path.write_text(BAD[0] + "\n" + BAD[-1] + "\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as info:
        read_ftm(path)
    (problem,) = info.value.problems
    assert (problem.file, problem.line, problem.column, problem.value) == (
        "self.jsonl", 2, "partnership_members.partnership", "own-1")


def test_a_sanction_may_name_a_stored_organisation(tmp_path: Path) -> None:
    path = tmp_path / "later.jsonl"
    path.write_text('{"id": "san-2", "schema": "Sanction", "properties": {"entity": ["co-dakar"], '
                    '"authority": ["African Development Bank"], "startDate": ["2024"], "reason": ["Collusion"]}}\n')
    with pytest.raises(InvalidDataError):
        read_ftm(path)
    result = read_ftm(path, known_ids={"organizations": {"co-dakar"}})
    assert rows(result.tables["blacklist"], "listed", "lister", "date") == {
        ("co-dakar", "African Development Bank", "2024-01-01")}


# -- the command, on both stores -------------------------------------------------------------------------------

BACKENDS = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]


@pytest.fixture(params=BACKENDS)
def store_args(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[list[str]]:
    if request.param == "sqlite":
        yield ["--store", str(tmp_path / "ftm.db")]
        return
    server = request.getfixturevalue("neo4j_server")
    server.store().clear()
    yield server.cli_args()


def _json(run_cli: RunCli, args: list[str]) -> dict[str, Any]:
    code, out, err = run_cli([*args, "--format", "json"])
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    return document


def test_import_answers_and_reimport_changes_nothing(store_args: list[str], run_cli: RunCli, tmp_path: Path
                                                     ) -> None:
    code, out, err = run_cli([*store_args, "import", "ftm", str(FIXTURE), "--format", "json"])
    assert code == 0, err
    document = json.loads(out)
    jsonschema.validate(document, load_schema("import"))
    assert {r["table"]: r["count"] for r in document["rows"]} == {
        "organizations": 4, "people": 4, "partnerships": 3, "partnership_members": 6, "blacklist": 2}
    assert document["parameters"]["format"] == "ftm"
    assert {e["schema"] for e in document["entities"] if e["table"] is None} == {"Address", "Family"}
    assert "note: 2 entities of schemata trustgraph does not import: Address (1), Family (1)" in err
    stats = {r["table"]: r["count"] for r in _json(run_cli, [*store_args, "stats"])["rows"]}
    digest = store_digest(tmp_path / "ftm.db") if "--store" in store_args else None
    code, out, err = run_cli([*store_args, "import", "ftm", str(FIXTURE), "--format", "json"])
    assert code == 0, err
    assert {r["table"]: r["count"] for r in _json(run_cli, [*store_args, "stats"])["rows"]} == stats
    if digest is not None:
        assert store_digest(tmp_path / "ftm.db") == digest


def test_authorities_list_but_are_never_parties(store_args: list[str], run_cli: RunCli) -> None:
    assert run_cli([*store_args, "-q", "import", "ftm", str(FIXTURE)])[0] == 0
    reputation = _json(run_cli, [*store_args, "reputation", "--limit", "0"])
    assert {r["id"] for r in reputation["rows"]} == {"co-dakar", "org-amber", "pb-water", "le-lakeside"}
    # The debarment is in force during its term and no longer after its end date.
    during = _json(run_cli, [*store_args, "health", "co-dakar", "--as-of", "2022-01-01", "--trend-points", "1"])
    assert [(r["id"], r["lister"]) for r in during["rows"] if r["concern"] == "listing"] == [("san-wb", "World Bank")]
    after = _json(run_cli, [*store_args, "health", "co-dakar", "--as-of", "2024-01-01", "--trend-points", "1"])
    assert [r for r in after["rows"] if r["concern"] == "listing"] == []
    # The indefinite listing stays in force; the owner's listing reaches its asset through the ownership.
    owner = _json(run_cli, [*store_args, "health", "le-lakeside", "--as-of", "2024-01-01", "--trend-points", "1"])
    assert [(r["id"], r["lister"]) for r in owner["rows"] if r["concern"] == "listing"] == [("san-ofac", "US OFAC")]
    assert [p["path"] for p in after["rows"] if p["concern"] == "exposure_path"][0] == ["co-dakar", "le-lakeside"]


def test_invalid_file_writes_nothing(store_args: list[str], run_cli: RunCli, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(BAD) + "\n", encoding="utf-8")
    code, out, err = run_cli([*store_args, "import", "ftm", str(path)])
    assert code == 3 and not out
    assert "bad.jsonl:6 [Employment.employee]: got 'p-ghost'" in err
    if "--store" in store_args:  # a refused first import leaves no SQLite file behind
        assert not Path(store_args[store_args.index("--store") + 1]).exists()
    else:
        assert all(r["count"] == 0 for r in _json(run_cli, [*store_args, "stats"])["rows"])


def test_import_replace_makes_the_store_exactly_the_file(store_args: list[str], run_cli: RunCli,
                                                          tmp_path: Path) -> None:
    """`import --replace`: what other imports and loads wrote is gone; a file that leans on stored rows
    is refused (it is read on its own) and a file without organisations would empty the store."""
    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    assert run_cli([*store_args, "-q", "load", str(sample)])[0] == 0
    network = tmp_path / "network.csv"  # SNAP signed: source,target,rating,time
    network.write_text("a,b,8,1300000000\nb,c,-3,1300000100\nc,a,5,1300000200\n", encoding="utf-8")
    assert run_cli([*store_args, "-q", "import", "snap-signed", str(network)])[0] == 0
    plain = {r["table"]: r["count"] for r in _json(run_cli, [*store_args, "stats"])["rows"]}
    assert plain["organizations"] > 3 and plain["partnerships"] > 0 and plain["referrals"] > 3

    document = _json(run_cli, [*store_args, "import", "ftm", str(FIXTURE), "--replace"])
    jsonschema.validate(document, load_schema("import"))
    assert document["parameters"]["replace"] is True
    after = {r["table"]: r["count"] for r in _json(run_cli, [*store_args, "stats"])["rows"]}
    assert {t: n for t, n in after.items() if n} == {
        "organizations": 4, "people": 4, "partnerships": 3, "partnership_members": 6, "blacklist": 2}
    reputation = _json(run_cli, [*store_args, "reputation", "--limit", "0"])
    assert {r["id"] for r in reputation["rows"]} == {"co-dakar", "org-amber", "pb-water", "le-lakeside"}

    # A research network replaces it in turn, and a plain import adds to what is stored.
    code, out, err = run_cli([*store_args, "import", "snap-signed", str(network), "--replace", "--format", "json"])
    assert code == 0, err
    assert {r["table"]: r["count"] for r in json.loads(out)["rows"]} == {"organizations": 3, "referrals": 3}
    after = {r["table"]: r["count"] for r in _json(run_cli, [*store_args, "stats"])["rows"]}
    assert {t: n for t, n in after.items() if n} == {"organizations": 3, "referrals": 3}
    assert "replace" not in _json(run_cli, [*store_args, "import", "ftm", str(FIXTURE)])["parameters"]

    # Refused, and the store left as it was: a sanction of a stored organisation, a file of people only.
    before = {r["table"]: r["count"] for r in _json(run_cli, [*store_args, "stats"])["rows"]}
    later = tmp_path / "later.jsonl"
    later.write_text('{"id": "san-2", "schema": "Sanction", "properties": {"entity": ["co-dakar"], '
                     '"authority": ["African Development Bank"], "startDate": ["2024"], "reason": ["Collusion"]}}\n',
                     encoding="utf-8")
    assert run_cli([*store_args, "-q", "import", "ftm", str(later)])[0] == 0  # co-dakar is stored
    before["blacklist"] += 1
    code, out, err = run_cli([*store_args, "import", "ftm", str(later), "--replace"])
    assert code == 3 and not out and "co-dakar" in err
    people = tmp_path / "people.jsonl"
    people.write_text('{"id": "p-1", "schema": "Person", "properties": {"name": ["Ada Obi"]}}\n', encoding="utf-8")
    code, out, err = run_cli([*store_args, "import", "ftm", str(people), "--replace"])
    assert code == 3 and not out
    assert "holds no organisation" in err and "would empty it" in err
    assert {r["table"]: r["count"] for r in _json(run_cli, [*store_args, "stats"])["rows"]} == before
