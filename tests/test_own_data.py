"""An analyst's own data (issue 15): `init`, and `load` of a spreadsheet's export as it is.

The dataset below is written the way spreadsheets write it: mixed-case headers with spaces, `;` as
the delimiter (and a tab in one file), a UTF-8 byte-order mark, CRLF line ends, no ids in the event
tables, enum values such as `Active` and `Post-mortem`, one row given twice; then the same data as an
.xlsx workbook. It must load, reload without changing anything, load identically from the workbook,
and answer chain, reputation and contagion, on both stores.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from conftest import store_digest
from neo4j_server import Server, neo4j_server  # noqa: F401  (fixture)

from trustgraph.ingest import derived_id, load_dataset
from trustgraph.model import TABLE_ORDER, TABLES
from trustgraph.store import SqliteStore
from trustgraph.store.base import tables as store_tables

BOM = "\ufeff"

#: table -> (delimiter, header, rows); ids absent from the event tables.
SHEETS: dict[str, tuple[str, list[str], list[list[object]]]] = {
    "organizations": (";", ["ID", "Name", " Sector ", "Country", "Risk Appetite", "Pretrusted"], [
        ["A", "Alpha Water", "NGO", "KE", "Low", "TRUE"],
        ["B", "Beta Health", "Private", "DE", "medium", "false"],
        ["C", "Gamma Fund", "Foundation", "JP", "High", ""],
        ["D", "Delta Build", "private", "BR", "", ""],
        ["E", "Epsilon Labs", "Academic", "IN", "", ""],
        ["F", "Phi Traders", "Private", "SN", "", ""],
    ]),
    "partnerships": (";", ["Id", "Name", "Kind", "Start", "End", "Status"], [
        ["P1", "Clean water", "Joint Venture", dt.date(2022, 1, 10), "", "Active"],
    ]),
    "partnership_members": (";", ["Partnership", "Organization", "Role"], [
        ["P1", "A", "Lead"], ["P1", "F", "member"],
    ]),
    "referrals": (";", ["Source", "Target", "Strength", "Date", "Note"], [
        ["A", "B", 0.9, dt.date(2023, 1, 5), "delivered on time"],
        ["B", "C", 0.8, dt.date(2023, 2, 6), ""],
        ["C", "D", 0.7, dt.date(2023, 3, 7), ""],
        ["A", "E", 0.6, dt.date(2023, 4, 8), ""],
        ["E", "D", 0.5, dt.date(2023, 5, 9), ""],
        ["A", "B", 0.9, dt.date(2023, 1, 5), "delivered on time"],  # the same event, twice
    ]),
    "incidents": (";", ["ID", "Reporter", "Subject", "Kind", "Severity", "Date"], [
        ["I1", "A", "F", "Missed commitment", 3, dt.date(2023, 6, 1)],
        ["", "B", "D", "quality failure", 2, dt.date(2023, 6, 2)],
    ]),
    "incident_actions": (";", ["Incident", "Kind", "Date", "Note"], [
        ["I1", "Post-mortem", dt.date(2023, 6, 20), "joint review"],
        ["I1", "MEDIATION", dt.date(2023, 7, 1), ""],
    ]),
    "blacklist": (";", ["Lister", "Listed", "Date", "Until", "Reason"], [
        ["A", "F", dt.date(2023, 8, 1), "", "diverted funds"],
    ]),
    "communications": ("\t", ["A", "B", "Date", "Channel"], [
        ["A", "B", dt.date(2023, 9, 1), "Meeting"],
        ["B", "C", dt.date(2023, 9, 2), "E-mail"],
    ]),
}


def _text(value: object) -> str:
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def write_spreadsheet_csv(folder: Path) -> Path:
    """The dataset as a spreadsheet exports it: BOM, CRLF, `;` (or tab), mixed-case headers."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (delimiter, header, rows) in SHEETS.items():
        lines = [delimiter.join(header)] + [delimiter.join(_text(v) for v in row) for row in rows]
        (folder / f"{name.title().replace('_', '-')}.csv").write_bytes((BOM + "\r\n".join(lines) + "\r\n").encode())
    return folder


def write_workbook(path: Path) -> Path:
    """The same dataset as one .xlsx workbook, one sheet per table, cells typed as a spreadsheet holds them."""
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, (_, header, rows) in SHEETS.items():
        sheet = book.create_sheet(name.replace("_", " ").title())
        sheet.append(header)
        for row in rows:
            sheet.append([v if v != "" else None for v in row])
        sheet.append([None] * len(header))  # a trailing empty row, as spreadsheets leave them
    book.save(path)
    return path


@pytest.fixture()
def spreadsheet(tmp_path: Path) -> Path:
    return write_spreadsheet_csv(tmp_path / "mine")


def _load(run_cli, store: list[str], path: Path, *extra: str) -> tuple[int, dict, str]:
    code, out, err = run_cli([*store, "load", str(path), "--format", "json", *extra])
    return code, (json.loads(out) if out else {}), err


def test_spreadsheet_export_loads_with_canonical_values(run_cli, spreadsheet: Path, tmp_path: Path) -> None:
    db = tmp_path / "own.db"
    code, document, err = _load(run_cli, ["--store", str(db)], spreadsheet)
    assert code == 0, err
    counts = {r["table"]: r["count"] for r in document["rows"]}
    assert counts == {"organizations": 6, "partnerships": 1, "partnership_members": 2, "referrals": 5,
                      "incidents": 2, "incident_actions": 2, "blacklist": 1, "communications": 2}
    # the twin referral is one event, and the load says so
    assert any("Referrals.csv:7 [id]" in w and "line 2" in w and "one event" in w for w in document["warnings"])
    tables = store_tables(SqliteStore(db, create=False))
    orgs = tables["organizations"].set_index("id")
    assert orgs.loc["A", "sector"] == "ngo" and orgs.loc["A", "risk_appetite"] == "low"
    assert orgs.loc["A", "pretrusted"] is True
    assert tables["partnerships"]["status"].tolist() == ["active"]
    assert tables["partnerships"]["kind"].tolist() == ["joint_venture"]
    assert sorted(tables["incident_actions"]["kind"]) == ["mediation", "post_mortem"]
    assert sorted(tables["communications"]["channel"]) == ["email", "meeting"]
    refs = tables["referrals"]
    assert all(i.startswith("ref-") and len(i) == 16 for i in refs["id"])
    first = refs[refs["note"] == "delivered on time"].iloc[0]
    assert first["id"] == derived_id(TABLES["referrals"], first.to_dict())
    incidents = tables["incidents"].set_index("subject")
    assert incidents.loc["F", "id"] == "I1"
    assert incidents.loc["D", "id"] == derived_id(TABLES["incidents"], tables["incidents"].iloc[0].to_dict()) \
        if tables["incidents"].iloc[0]["subject"] == "D" else incidents.loc["D", "id"].startswith("inc-")


def test_reload_and_workbook_copy_change_nothing(run_cli, spreadsheet: Path, tmp_path: Path) -> None:
    db = tmp_path / "own.db"
    assert _load(run_cli, ["--store", str(db)], spreadsheet)[0] == 0
    digest = store_digest(db)
    assert _load(run_cli, ["--store", str(db)], spreadsheet)[0] == 0
    assert store_digest(db) == digest, "reloading the same sheet changed the store"
    # the workbook, alone and in a folder, loads into the same store unchanged, and into a new store identically
    book = write_workbook(tmp_path / "Book.xlsx")
    code, _, err = _load(run_cli, ["--store", str(db)], book)
    assert code == 0, err
    assert store_digest(db) == digest
    folder = tmp_path / "book-folder"
    folder.mkdir()
    write_workbook(folder / "mine.xlsx")
    fresh = tmp_path / "fresh.db"
    code, _, err = _load(run_cli, ["--store", str(fresh)], folder)
    assert code == 0, err
    assert store_digest(fresh) == digest


def test_own_data_answers_chain_reputation_and_contagion(run_cli, spreadsheet: Path, tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "own.db")]
    assert _load(run_cli, store, spreadsheet)[0] == 0
    code, out, err = run_cli([*store, "chain", "A", "D", "--format", "json"])
    assert code == 0, err
    chains = json.loads(out)["rows"]
    assert chains and all(c["path"][0] == "A" and c["path"][-1] == "D" for c in chains)
    assert chains[0]["path"] == ["A", "E", "D"]
    code, out, err = run_cli([*store, "reputation", "--format", "json"])
    assert code == 0, err
    assert {r["id"] for r in json.loads(out)["rows"]} == set("ABCDEF")
    code, out, err = run_cli([*store, "contagion", "--format", "json"])
    assert code == 0, err
    exposed = {r["id"]: r for r in json.loads(out)["rows"]}
    assert exposed["F"]["listed"] is True
    assert exposed["A"]["exposed_to"] == 1 and exposed["A"]["exposure"] != 0  # A partners with the listed F


def test_enum_typos_get_the_nearest_value(run_cli, spreadsheet: Path, tmp_path: Path) -> None:
    path = spreadsheet / "Incident-Actions.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace("Post-mortem", "Postmortm"), encoding="utf-8")
    path = spreadsheet / "Partnerships.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace("Active", "Actve"), encoding="utf-8")
    db = tmp_path / "own.db"
    code, out, err = run_cli(["--store", str(db), "load", str(spreadsheet)])
    assert code == 3 and out == ""
    assert "Incident-Actions.csv:2 [kind]: got 'Postmortm'; expected one of post_mortem" in err
    assert "(did you mean 'post_mortem'?)" in err
    assert "Partnerships.csv:2 [status]: got 'Actve'" in err and "(did you mean 'active'?)" in err
    assert not db.exists(), "a refused first load left a store behind"


def test_unknown_file_is_an_error_naming_the_nearest_table(run_cli, spreadsheet: Path, tmp_path: Path) -> None:
    db = tmp_path / "own.db"
    (spreadsheet / "Blacklist.csv").rename(spreadsheet / "debarments.csv")
    (spreadsheet / "refferals.csv").write_text("source,target,strength,date\n", encoding="utf-8")
    code, out, err = run_cli(["--store", str(db), "load", str(spreadsheet)])
    assert code == 3 and out == "", err
    assert "debarments.csv: expected a table name: did you mean blacklist.csv?" in err
    assert "refferals.csv: expected a table name: did you mean referrals.csv?" in err
    assert "nothing was written" in err
    assert not db.exists(), "a refused first load left a store behind"
    code, document, err = _load(run_cli, ["--store", str(db)], spreadsheet, "--ignore-unknown")
    assert code == 0, err
    assert "warning: debarments.csv: expected a table name, such as blacklist.csv (ignored" in err
    assert "blacklist" not in {r["table"] for r in document["rows"]}


def test_unknown_sheet_and_duplicate_table_are_errors(run_cli, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Organisations"
    book.active.append(["id", "name"])
    book.active.append(["A", "Alpha"])
    book.save(tmp_path / "b.xlsx")
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(tmp_path / "b.xlsx")])
    assert code == 3
    assert "b.xlsx [Organisations]: expected a table name: did you mean the sheet 'organizations'?" in err
    folder = tmp_path / "twice"
    write_spreadsheet_csv(folder)
    write_workbook(folder / "book.xlsx")
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(folder)])
    assert code == 3 and "each table once (organizations is also in" in err


def test_header_and_comment_tolerance(tmp_path: Path) -> None:
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "organizations.csv").write_text(
        "# our partners\n ID , Name , RISK-APPETITE \n# example: X,Example,low\nA,Alpha,Medium\n\n,,\nB,Beta,\n",
        encoding="utf-8")
    orgs = load_dataset(folder)["organizations"]
    assert orgs["id"].tolist() == ["A", "B"] and orgs["risk_appetite"].tolist() == ["medium", None]


def test_init_writes_a_template_that_loads(run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli(["init", "mydata", "--format", "json"])
    assert code == 0, err
    document = json.loads(out)
    assert document["schema"] == "trustgraph.init/1"
    assert [r["table"] for r in document["rows"]] == list(TABLE_ORDER)
    folder = tmp_path / "mydata"
    for name in TABLE_ORDER:
        header, example, *rest = (folder / f"{name}.csv").read_text(encoding="utf-8").splitlines()
        assert header == ",".join(TABLES[name].column_names) and example.startswith("# example: ") and not rest
    assert not (tmp_path / "trustgraph.db").exists(), "init must not create a store"
    # the template as written loads (nothing in it); with the examples uncommented it loads them
    code, _, err = run_cli(["load", "mydata"])
    assert code == 0, err
    code, _, err = run_cli(["init", "mydata"])
    assert code == 1 and "not empty" in err and "--force" in err
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    code, _, err = run_cli(["init", "mydata", "--force", "--format", "json"])
    assert code == 0, err
    assert (folder / "notes.txt").read_text(encoding="utf-8") == "mine"
    orgs = folder / "organizations.csv"
    orgs.write_text(orgs.read_text(encoding="utf-8").replace("# example: ", ""), encoding="utf-8")
    code, out, err = run_cli(["load", "mydata", "--format", "json"])
    assert code == 0, err
    assert {r["table"]: r["count"] for r in json.loads(out)["rows"]}["organizations"] == 1


@pytest.mark.neo4j
def test_spreadsheet_loads_identically_into_neo4j(run_cli, spreadsheet: Path, tmp_path: Path,
                                                  neo4j_server: Server) -> None:  # noqa: F811
    neo = neo4j_server.store()
    neo.clear()
    try:
        args = neo4j_server.cli_args()
        code, _, err = _load(run_cli, args, spreadsheet)
        assert code == 0, err
        first = store_tables(neo)
        code, _, err = _load(run_cli, args, write_workbook(tmp_path / "b.xlsx"))
        assert code == 0, err
        again = store_tables(neo)
        db = tmp_path / "own.db"
        assert _load(run_cli, ["--store", str(db)], spreadsheet)[0] == 0
        lite = store_tables(SqliteStore(db, create=False))
        for name in TABLE_ORDER:
            assert first[name].equals(again[name]), name
            assert first[name].reset_index(drop=True).equals(lite[name].reset_index(drop=True)), name
        code, out, err = run_cli([*args, "chain", "A", "D", "--format", "json"])
        assert code == 0 and json.loads(out)["rows"], err
    finally:
        neo.close()
