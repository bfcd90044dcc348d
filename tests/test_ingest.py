"""Validated ingest: every bad-input kind gives a clear message, exit code 3, and changes nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import write_dataset

from trustgraph.errors import InvalidDataError
from trustgraph.ingest import MAX_PROBLEMS, load_dataset
from trustgraph.store import SqliteStore

ORGS = "id,name,sector,country,region,culture,risk_appetite,pretrusted,tags\n" \
       "A,Alpha Water,ngo,KE,East Africa,vouched,low,true,water\n" \
       "B,Beta Health,private,DE,Western Europe,verify-later,high,false,\n" \
       "C,Gamma Fund,foundation,JP,East Asia,reputation-first,medium,,\n"
REFS = "id,source,target,strength,date,recipient,note\n" \
       "r1,A,B,0.8,2023-01-02,C,delivered\n" \
       "r2,B,C,-0.5,2023-02-03,,late reports\n"
INCIDENTS = "id,reporter,subject,kind,severity,date,partnership,description\n" \
            "i1,A,B,missed_commitment,3,2023-03-01,,\n"


def write(folder: Path, **files: str) -> Path:
    return write_dataset(folder, files)


@pytest.fixture()
def good(tmp_path: Path) -> Path:
    return write(tmp_path / "good", organizations=ORGS, referrals=REFS, incidents=INCIDENTS)


def test_valid_dataset_loads_with_canonical_types(good: Path) -> None:
    tables = load_dataset(good)
    refs = tables["referrals"]
    assert list(refs["strength"]) == [0.8, -0.5]
    assert refs["recipient"].tolist() == ["C", None]
    orgs = tables["organizations"]
    assert orgs["pretrusted"].tolist() == [True, False, None]
    assert tables["incidents"]["severity"].tolist() == [3]


BAD_CASES = {
    # name: (files to write over the good dataset, expected fragments of one problem line)
    # organizations.csv may be left out once the store holds organisations: references are checked there
    "no organizations file, unknown reference": (
        {"organizations": None, "referrals": REFS.replace("r2,B,C", "r2,B,ZZ")}, ["referrals.csv:3 [target]", "'ZZ'"]),
    "missing required column": (
        {"referrals": REFS.replace("strength,", "power,")},
        ["referrals.csv:1 [strength]", "a column named 'strength'"],
    ),
    "wrong type": ({"referrals": REFS.replace("0.8", "strong")}, ["referrals.csv:2 [strength]", "'strong'", "a number"]),
    "bad date": ({"referrals": REFS.replace("2023-02-03", "03/02/2023")}, ["referrals.csv:3 [date]", "ISO 8601"]),
    "impossible date": ({"referrals": REFS.replace("2023-02-03", "2023-02-30")}, ["referrals.csv:3 [date]", "'2023-02-30'"]),
    "strength out of range": ({"referrals": REFS.replace("-0.5", "-1.5")}, ["referrals.csv:3 [strength]", "in [-1, 1]"]),
    "severity out of range": ({"incidents": INCIDENTS.replace(",3,", ",9,")}, ["incidents.csv:2 [severity]", "in [1, 5]"]),
    "unknown enum": (
        {"organizations": ORGS.replace("foundation", "charity")},
        ["organizations.csv:4 [sector]", "'charity'", "one of ngo"],
    ),
    "duplicate id": ({"referrals": REFS.replace("r2,", "r1,")}, ["referrals.csv:3 [id]", "unique id"]),
    "unknown reference": ({"referrals": REFS.replace("r2,B,C", "r2,B,ZZ")}, ["referrals.csv:3 [target]", "'ZZ'"]),
    "empty file": ({"referrals": ""}, ["referrals.csv:1", "the file is empty"]),
    "self referral": ({"referrals": REFS.replace("r1,A,B", "r1,A,A")}, ["referrals.csv:2 [target]", "different"]),
    "too few fields": ({"referrals": REFS + "r3,A,C\n"}, ["referrals.csv:4", "got '3 fields'", "7 fields, as in the header"]),
    "id too long for a key": ({"referrals": REFS.replace("r1,", "r" * 1001 + ",")},
                              ["referrals.csv:2 [id]", "… (1,001 characters)", "an id of at most 1,000 characters"]),
    "not csv": ({"referrals": 'id,source\n"unterminated,A\nx,"y"z"\n'}, ["referrals.csv"]),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_reported_and_changes_nothing(case: str, good: Path, tmp_path: Path, run_cli) -> None:
    files, fragments = BAD_CASES[case]
    store_path = tmp_path / "store.db"
    code, _, _ = run_cli(["--store", str(store_path), "load", str(good)])
    assert code == 0
    before = SqliteStore(store_path).counts()
    for name, text in files.items():
        path = good / f"{name}.csv"
        if text is None:
            path.unlink()
        else:
            path.write_text(text, encoding="utf-8")
    # Change a valid row too, to prove that nothing of a failing load is written.
    orgs = (good / "organizations.csv")
    if orgs.exists():
        orgs.write_text(orgs.read_text(encoding="utf-8").replace("Alpha Water", "Renamed"), encoding="utf-8")
    code, out, err = run_cli(["--store", str(store_path), "load", str(good)])
    assert code == 3, err
    assert out == ""
    assert "nothing was written" in err.splitlines()[0]
    assert any(all(f in line for f in fragments) for line in err.splitlines()), err
    assert "Traceback" not in err
    store = SqliteStore(store_path)
    assert store.counts() == before
    assert "Renamed" not in set(store.table("organizations")["name"])


def test_non_utf8_bytes_are_located(good: Path, run_cli, tmp_path: Path) -> None:
    (good / "referrals.csv").write_bytes(REFS.encode() + "r3,A,C,0.1,2023-05-05,,caf\xe9\n".encode("latin-1"))
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(good)])
    assert code == 3
    assert "referrals.csv:4" in err and "UTF-8" in err


def test_binary_file_is_not_csv(good: Path, run_cli, tmp_path: Path) -> None:
    (good / "referrals.csv").write_bytes(b"\x00\x01\x02PK\x03\x04")
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(good)])
    assert code == 3
    assert "referrals.csv:1" in err and "binary" in err


def test_unknown_column_warns_and_unknown_file_is_skipped_on_request(good: Path, run_cli, tmp_path: Path) -> None:
    orgs = "\n".join(line + ",blue" for line in ORGS.strip().splitlines()).replace("tags,blue", "tags,colour")
    (good / "organizations.csv").write_text(orgs + "\n", encoding="utf-8")
    (good / "notes.csv").write_text("a\n1\n", encoding="utf-8")
    code, out, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(good), "--format", "json"])
    assert code == 3 and "notes.csv: expected a table name" in err  # an unknown file is refused (issue 15)
    code, out, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(good), "--format", "json",
                              "--ignore-unknown"])
    assert code == 0, err
    assert "warning: notes.csv" in err
    assert "warning: organizations.csv:1 [colour]" in err
    loaded = json.loads(out)
    assert loaded["rows"][0] == {"table": "organizations", "count": 3}
    assert any(w.startswith("notes.csv") for w in loaded["warnings"])


def test_every_problem_is_collected_and_the_list_is_capped(good: Path, run_cli, tmp_path: Path) -> None:
    rows = "".join(f"x{i},A,B,{5 + i},2023-01-0{1 + i % 9},,\n" for i in range(300))
    (good / "referrals.csv").write_text(REFS + rows, encoding="utf-8")
    with pytest.raises(InvalidDataError) as info:
        load_dataset(good)
    assert info.value.total == 300
    assert len(info.value.problems) == MAX_PROBLEMS
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(good)])
    assert code == 3
    lines = err.splitlines()
    assert lines[0].endswith("300 problems found; nothing was written")
    assert lines[-1] == "  ... and 280 more"
    assert len(lines) == 22  # one screen: headline, 20 problems, the count of the rest


def test_reload_is_idempotent_and_updates_in_place(good: Path, run_cli, tmp_path: Path) -> None:
    store_path = tmp_path / "s.db"
    assert run_cli(["--store", str(store_path), "load", str(good)])[0] == 0
    first = {n: SqliteStore(store_path).table(n) for n in ("organizations", "referrals", "incidents")}
    assert run_cli(["--store", str(store_path), "load", str(good)])[0] == 0
    again = {n: SqliteStore(store_path).table(n) for n in first}
    for name in first:
        assert first[name].equals(again[name])
    (good / "referrals.csv").write_text(REFS.replace("0.8", "0.9"), encoding="utf-8")
    assert run_cli(["--store", str(store_path), "load", str(good)])[0] == 0
    refs = SqliteStore(store_path).table("referrals")
    assert len(refs) == 2 and refs["strength"].tolist() == [0.9, -0.5]


def test_missing_folder_is_invalid_data(run_cli, tmp_path: Path) -> None:
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(tmp_path / "nope")])
    assert code == 3 and "no such file or folder" in err and "an .xlsx workbook" in err
    assert not (tmp_path / "s.db").exists()


def test_a_refused_first_load_leaves_no_store_behind(run_cli, tmp_path: Path) -> None:
    """A store that a refused load created would be taken for data by later reads (exit 0, zero rows)."""
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "organizations.csv").write_text("id,name\nA,Alpha\n", encoding="utf-8")
    (bad / "referrals.csv").write_text("source,target,strength,date\nA,NOPE,0.5,2024-01-01\n", encoding="utf-8")
    store = tmp_path / "new.db"
    for args in (["load", str(bad)], ["--debug", "load", str(bad)]):
        code, _, err = run_cli(["--store", str(store), *args])
        assert code == 3 and "referrals.csv:2 [target]: got 'NOPE'" in err, err  # --debug keeps code and list
        assert sorted(p.name for p in tmp_path.iterdir()) == ["bad"]
    assert run_cli(["--store", str(store), "stats"])[0] == 5
    # A store that existed before is kept as it was.
    (bad / "referrals.csv").unlink()
    assert run_cli(["--store", str(store), "load", str(bad)])[0] == 0
    (bad / "referrals.csv").write_text("source,target,strength,date\nA,NOPE,0.5,2024-01-01\n", encoding="utf-8")
    assert run_cli(["--store", str(store), "load", str(bad)])[0] == 3
    assert SqliteStore(store).table("organizations")["id"].tolist() == ["A"]


# -- the fast path of reading a CSV file agrees with the rules it implements ------------------------

_CELLS = ["a", "", " ", "#x", " #y", "\xa0#z", "\xa0", "b c", '"q,1"', '"multi\nline"', "\t", "x#", "1", '" #w"']


def _reference_sheet(text: str) -> Any:
    """The rules of :func:`trustgraph.sheets.csv_sheet`, one row at a time: the delimiter is sniffed
    from the first line that is neither blank nor a comment; a row whose first cell starts with ``#``
    (after blanks) or whose cells are all blank is skipped; the first other row is the header; a row
    of another width is a problem at its line."""
    import csv
    import io

    from trustgraph.sheets import sniff_delimiter

    first = next((ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    header: list[str] | None = None
    line = 0
    rows: list[list[str]] = []
    lines: list[int] = []
    wrong: list[int] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(first), strict=True)
    try:
        for row in reader:
            if (row and row[0].lstrip().startswith("#")) or not any(c.strip() for c in row):
                continue
            if header is None:
                header, line = row, reader.line_num
            elif len(row) != len(header):
                wrong.append(reader.line_num)
            else:
                rows.append(row)
                lines.append(reader.line_num)
    except csv.Error:
        return "malformed", reader.line_num
    return None if header is None else (header, line, rows, lines, wrong)


def test_reading_csv_rows_follows_the_rules_on_any_text() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from trustgraph.sheets import csv_sheet

    row = st.lists(st.sampled_from(_CELLS), min_size=0, max_size=5).map(",".join)
    texts = st.tuples(st.lists(row, max_size=8), st.sampled_from(["", "\n", "\r\n"])).map(
        lambda t: "\n".join(t[0]) + t[1])

    @settings(max_examples=3000, deadline=None)
    @given(texts)
    def check(text: str) -> None:
        expected = _reference_sheet(text)
        sheet, problems = csv_sheet(text, "t.csv")
        if expected is not None and expected[0] == "malformed":  # quoting the csv module refuses
            assert sheet is None and [(p.line, p.expected) for p in problems] == [
                (expected[1], "well-formed CSV (check the quotes)")]
            return
        if expected is None:
            assert sheet is None and len(problems) == 1
            return
        header, line, rows, lines, wrong = expected
        assert [p.line for p in problems] == wrong
        if wrong:
            assert sheet is None
        else:
            assert sheet is not None
            assert (sheet.header, sheet.header_line, sheet.rows, sheet.lines) == (header, line, rows, lines)

    check()


def test_one_load_lists_file_and_cell_problems_together_in_line_order(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "organizations.csv").write_text("id,name\nA,Alpha\nB,Beta\n", encoding="utf-8")
    (data / "debarments.csv").write_text("listed,date\nA,2024-01-01\n", encoding="utf-8")
    (data / "referrals.csv").write_text(
        "source,target,strength,date\nA,B,7,2024-01-01\nA,B,x,2024-01-01\nA,NOPE,0.5,2024-01-01\nA,B,9,2024-01-01\n",
        encoding="utf-8")
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(data)])
    assert code == 3 and "5 problems found" in err, err
    lines = [line.strip() for line in err.splitlines()[1:]]
    assert lines[0].startswith("debarments.csv: expected a table name"), lines
    assert [line.split(" ")[0] for line in lines[1:]] == [f"referrals.csv:{n}" for n in (2, 3, 4, 5)], lines


def test_a_missing_organizations_file_is_one_problem_not_one_per_reference(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "referrals.csv").write_text("source,target,strength,date\n" + "A,B,0.5,2024-01-01\n" * 30,
                                        encoding="utf-8")
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(data)])
    assert code == 3 and "1 problem found" in err and "organizations.csv: expected this file (it is required: the store holds no organisations yet)" in err


def test_minus_zero_is_zero() -> None:
    """"-0" in a sheet is 0: SQLite and Neo4j read back the same value, and exports the same text."""
    import numpy as np
    import pandas as pd

    from trustgraph.ingest import validate

    orgs = pd.DataFrame({"id": ["A", "B"], "name": ["A", "B"]})
    refs = pd.DataFrame({"id": ["r1"], "source": ["A"], "target": ["B"], "strength": ["-0"], "date": ["2024-01-01"]})
    strength = validate({"organizations": orgs, "referrals": refs})["referrals"]["strength"].to_numpy(dtype=float)
    assert strength.tolist() == [0.0] and not np.signbit(strength).any()


def test_a_table_alone_loads_into_a_store_that_holds_the_organisations(run_cli, sample_store, tmp_path: Path) -> None:
    """A month of referrals, without organizations.csv again: its references are checked against the
    store (an unknown party is refused, nothing written); the file, or its folder, loads."""
    db = str(sample_store.path)
    sample_store.close()
    data = tmp_path / "month"
    data.mkdir()
    header = "id,source,target,strength,date,note\n"
    (data / "referrals.csv").write_text(header + "R9001,ORG001,ORG050,0.4,2025-05-01,new\n"
                                        "R9002,ORG001,NOPE,0.4,2025-05-01,typo\n", encoding="utf-8")
    code, _, err = run_cli(["--store", db, "load", str(data)])
    assert code == 3 and "referrals.csv:3 [target]: got 'NOPE'" in err and "organizations.csv" in err.split("got")[1]
    assert "(it is required" not in err
    code, out, _ = run_cli(["--store", db, "stats", "--format", "json"])
    before = json.loads(out)
    (data / "referrals.csv").write_text(header + "R9001,ORG001,ORG050,0.4,2025-05-01,new\n", encoding="utf-8")
    for path in (data, data / "referrals.csv"):
        code, out, err = run_cli(["--store", db, "load", str(path), "--format", "json"])
        assert code == 0, err
        assert json.loads(out)["rows"] == [{"table": "referrals", "count": 1}]
    code, out, _ = run_cli(["--store", db, "referrals", "ORG050", "--format", "json"])
    assert "ORG001" in [r["id"] for r in json.loads(out)["rows"][0]["referred_by"]]
    code, out, _ = run_cli(["--store", db, "stats", "--format", "json"])
    assert json.dumps(json.loads(out)).count('"referrals"') >= 1 and json.loads(out) != before


def test_a_file_that_is_not_utf8_names_line_column_and_byte(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "d"
    data.mkdir()
    (data / "organizations.csv").write_text("id,name\nA,Alpha\nB,Beta\n", encoding="utf-8")
    (data / "referrals.csv").write_bytes(b"source,target,strength,date,note\nA,B,0.5,2024-01-01,fine\n"
                                         b"A,B,0.5,2024-01-02,Caf\xe9 na\n")
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(data)])
    assert code == 3
    assert "referrals.csv:3 [note]: got 'Caf? na'; expected UTF-8 text (byte 0xE9 is not UTF-8" in err, err
    (data / "referrals.csv").write_text("source,target\nA,B\n", encoding="utf-16")  # with its byte-order mark
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(data)])
    assert code == 3 and "this file is UTF-16" in err and "\\\\x" not in err, err


def test_a_lister_given_by_an_organisations_name_is_refused_naming_the_id(run_cli, tmp_path: Path) -> None:
    """`record listing --lister NAME` resolves an organisation's name to its id; a sheet that names the
    organisation instead of giving its id was kept as an outside authority (with a warning), so the
    organisation's own listing activity was lost. Now it is a problem naming the id; an outside
    authority's name still loads."""
    data = tmp_path / "d"
    data.mkdir()
    (data / "organizations.csv").write_text("id,name\nACME,Acme Water Trust\nBRDG,Bridge Co\n", encoding="utf-8")
    (data / "blacklist.csv").write_text("id,lister,listed,date,reason\nB1,acme water trust,BRDG,2024-01-01,x\n"
                                        "B2,World Bank,ACME,2024-02-01,y\n", encoding="utf-8")
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(data)])
    assert code == 3 and "blacklist.csv:2 [lister]" in err and "this is the name of 'ACME'; write 'ACME'" in err, err
    assert "World Bank" not in err.split("problem found")[1]
    (data / "blacklist.csv").write_text("id,lister,listed,date,reason\nB1,ACME,BRDG,2024-01-01,x\n"
                                        "B2,World Bank,ACME,2024-02-01,y\n", encoding="utf-8")
    code, _, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(data)])
    assert code == 0 and "World Bank" in err, err


def test_an_event_dated_after_today_is_loaded_with_a_warning(run_cli, tmp_path: Path) -> None:
    """One typing slip (2027 for 2017) moves the reference date of every answer: a warning says so."""
    import datetime as dt

    data = tmp_path / "d"
    data.mkdir()
    later = (dt.date.today() + dt.timedelta(days=100)).isoformat()
    (data / "organizations.csv").write_text("id,name\nA,a\nB,b\n", encoding="utf-8")
    (data / "referrals.csv").write_text(f"id,source,target,strength,date\nr1,A,B,0.5,2024-01-01\nr2,B,A,0.5,{later}\n",
                                        encoding="utf-8")
    code, out, err = run_cli(["--store", str(tmp_path / "s.db"), "load", str(data), "--format", "json"])
    assert code == 0, err
    [warning] = json.loads(out)["warnings"]
    assert warning.startswith(f"referrals.csv:3 [date]: got '{later}'; expected a date not after today")
    assert "moves the reference date of every answer" in warning
