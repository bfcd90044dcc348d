"""Outside authorities (issue 15): a listing's lister may be an authority that is not a party.

"World Bank" lists F: the listing is stored and shown as given, F is listed, and World Bank never
becomes a party (reputation, contagion, chains, the map), on both stores. A lister that is an
organisation keeps its meaning; one that equals an organisation's id but for case is a typing slip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import write_dataset
from neo4j_server import Server, neo4j_server  # noqa: F401  (fixture)

ORGS = "id,name\nA,Alpha\nB,Beta\nF,Phi Traders\n"
REFS = "source,target,strength,date\nA,B,0.8,2023-01-01\nB,F,0.6,2023-02-01\n"
LISTINGS = ("lister,listed,date,until,reason,source\n"
            "World Bank,F,2023-03-01,,Collusive practice,WB debarment list\n"
            "A,B,2023-04-01,2023-05-01,Late reports,\n")


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store_args(request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    if request.param == "sqlite":
        return ["--store", str(tmp_path / "a.db")]
    server: Server = request.getfixturevalue("neo4j_server")
    store = server.store()
    store.clear()
    store.close()
    return server.cli_args()


def _json(run_cli, args: list[str]) -> dict:
    code, out, err = run_cli([*args, "--format", "json"])
    assert code == 0, err
    return json.loads(out)


def test_an_outside_authority_lists_but_is_no_party(run_cli, store_args: list[str], tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", {"organizations": ORGS, "referrals": REFS, "blacklist": LISTINGS})
    loaded = _json(run_cli, [*store_args, "load", str(folder)])
    assert any("[lister]" in w and "'World Bank'" in w and "outside party" in w for w in loaded["warnings"])
    assert {r["table"]: r["count"] for r in loaded["rows"]}["blacklist"] == 2
    # reloading changes nothing (the authority is merged once in Neo4j)
    before = _json(run_cli, [*store_args, "stats"])
    again = _json(run_cli, [*store_args, "load", str(folder)])
    assert again["rows"] == loaded["rows"]
    assert _json(run_cli, [*store_args, "stats"])["rows"] == before["rows"]
    # shown with the listing
    health = _json(run_cli, [*store_args, "health", "F", "--as-of", "2023-06-01"])
    text = json.dumps(health)
    assert '"lister": "World Bank"' in text and "Collusive practice" in text
    # never a party
    ranking = _json(run_cli, [*store_args, "reputation", "--as-of", "2023-06-01"])
    assert {r["id"] for r in ranking["rows"]} == {"A", "B", "F"}
    contagion = _json(run_cli, [*store_args, "contagion", "--as-of", "2023-06-01"])
    assert {r["id"] for r in contagion["rows"]} == {"A", "B", "F"}
    assert {r["id"]: r["listed"] for r in contagion["rows"]}["F"] is True
    code, _, err = run_cli([*store_args, "chain", "A", "World Bank"])
    assert code == 4, err
    chains = _json(run_cli, [*store_args, "chain", "A", "F", "--as-of", "2023-06-01"])["rows"]
    assert [c["path"] for c in chains] == [["A", "B", "F"]]
    assert chains[0]["listings"][0]["lister"] == "World Bank"  # shown with the listing, not as a party
    map_file = tmp_path / "m.html"
    code, _, err = run_cli([*store_args, "map", "--out", str(map_file), "--as-of", "2023-06-01"])
    assert code == 0, err
    html = map_file.read_text(encoding="utf-8")
    assert '"id": "World Bank"' not in html and '"World Bank"' not in html.replace("by World Bank", "")
    # an organisation as lister keeps today's meaning: B was listed by A until 2023-05-01
    assert _json(run_cli, [*store_args, "contagion", "--as-of", "2023-04-15"])["rows"]
    listed = {r["id"]: r["listed"] for r in _json(run_cli, [*store_args, "contagion", "--as-of", "2023-04-15"])["rows"]}
    assert listed["B"] is True
    # the store reads the listing back exactly as given
    exported = tmp_path / "out"
    assert run_cli([*store_args, "export", str(exported)])[0] == 0
    rows = (exported / "blacklist.csv").read_text(encoding="utf-8")
    assert ",World Bank,F,2023-03-01,,Collusive practice,WB debarment list" in rows


def test_record_listing_by_an_authority(run_cli, store_args: list[str], tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", {"organizations": ORGS})
    assert run_cli([*store_args, "-q", "load", str(folder)])[0] == 0
    recorded = _json(run_cli, [*store_args, "record", "listing", "--lister", "Asian Development Bank", "--listed",
                               "F", "--date", "2023-03-01", "--reason", "Fraud"])
    assert recorded["rows"][0]["lister"] == "Asian Development Bank"
    ranking = _json(run_cli, [*store_args, "reputation"])
    assert {r["id"] for r in ranking["rows"]} == {"A", "B", "F"}


def test_a_lister_that_is_an_id_but_for_case_is_refused(run_cli, tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "d", {"organizations": ORGS,
                                            "blacklist": "lister,listed,date,reason\na,F,2023-03-01,Fraud\n"})
    code, out, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(folder)])
    assert code == 3 and out == ""
    assert "blacklist.csv:2 [lister]: got 'a'; expected an id from organizations.csv as written there: 'A'" in err


def test_a_store_from_before_outside_listers_is_upgraded_in_place(run_cli, tmp_path: Path) -> None:
    import sqlite3

    from trustgraph.store import SqliteStore

    db = tmp_path / "old.db"
    folder = write_dataset(tmp_path / "d", {"organizations": ORGS,
                                            "blacklist": "id,lister,listed,date,reason\nB1,A,F,2023-03-01,Fraud\n"})
    assert run_cli(["--store", str(db), "-q", "load", str(folder)])[0] == 0
    # the blacklist table as older trustgraphs created it: lister is a foreign key to organizations
    from dataclasses import replace

    from trustgraph.model import TABLES
    from trustgraph.store.sqlite import _create_sql

    table = TABLES["blacklist"]
    older = replace(table, columns=tuple(replace(c, outside=False) for c in table.columns))
    con = sqlite3.connect(db)
    con.executescript("ALTER TABLE blacklist RENAME TO b0;" + _create_sql(older) +
                      ";INSERT INTO blacklist SELECT * FROM b0; DROP TABLE b0;")
    con.close()
    def keys() -> set[str]:
        return {r[3] for r in sqlite3.connect(db).execute("PRAGMA foreign_key_list(blacklist)")}

    assert keys() == {"lister", "listed"}
    code, _, err = run_cli(["--store", str(db), "record", "listing", "--lister", "World Bank", "--listed", "F",
                            "--date", "2023-04-01", "--reason", "Collusion"])
    assert code == 0, err
    assert keys() == {"listed"}
    listings = SqliteStore(db, create=False).table("blacklist")
    assert sorted(listings["lister"]) == ["A", "World Bank"]
