"""CLI conventions on the data commands: exact output, exit codes, formats, record."""

from __future__ import annotations

import json
from pathlib import Path

from trustgraph import __version__
from trustgraph.store import SqliteStore


def test_version_and_help(run_cli) -> None:
    assert run_cli("--version") == (0, f"trustgraph, version {__version__}\n", "")
    code, out, _ = run_cli("-h")
    assert code == 0 and "Exit codes: 0 ok, 1 error, 2 usage, 3 invalid data" in " ".join(out.split())


def test_unknown_option_is_a_usage_error(run_cli) -> None:
    code, _, err = run_cli("stats --bogus")
    assert code == 2 and "No such option '--bogus'" in err


def test_load_and_stats_exact_json(sample_dir: Path, run_cli) -> None:
    code, out, err = run_cli(["load", str(sample_dir), "--format", "json"])
    assert code == 0, err
    loaded = json.loads(out)
    assert (loaded["schema"], loaded["as_of"], loaded["parameters"]) == ("trustgraph.load/1", None,
                                                                         {"path": str(sample_dir), "ignore_unknown": False})
    assert loaded["rows"][0] == {"table": "organizations", "count": 96}
    assert {r["table"]: r["count"] for r in loaded["rows"]}["referrals"] == 200
    code, out, _ = run_cli("stats --format json")
    doc = json.loads(out)
    assert doc["store"]["backend"] == "sqlite" and doc["store"]["location"] == "trustgraph.db"  # the default file
    assert {r["table"]: r["count"] for r in doc["rows"]}["blacklist"] == 5
    assert doc["listed_now"] == 4 - 1 + 0  # four listed organisations, one listing expired
    code, out, _ = run_cli("stats --format csv")
    assert out.splitlines()[:2] == ["schema,as_of,table,count", "trustgraph.stats/1,2025-06-29,organizations,96"]
    code, out, _ = run_cli("stats --format ndjson")
    assert json.loads(out.splitlines()[0]) == {"schema": "trustgraph.stats/1", "as_of": "2025-06-29",
                                               "table": "organizations", "count": 96}


def test_store_env_variable_selects_the_file(sample_dir: Path, run_cli, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TRUSTGRAPH_STORE", str(tmp_path / "env.db"))
    assert run_cli(["load", str(sample_dir)])[0] == 0
    assert SqliteStore(tmp_path / "env.db").counts()["organizations"] == 96


def test_record_appends_one_validated_event(sample_dir: Path, run_cli) -> None:
    assert run_cli(["load", str(sample_dir)])[0] == 0
    code, out, err = run_cli("record referral --id R9999 --source ORG001 --target ORG002 --strength 0.7 "
                             "--date 2025-06-01 --note 'solid partner' --format json")
    assert code == 0, err
    recorded = json.loads(out)
    assert (recorded["table"], recorded["action"]) == ("referrals", "recorded")
    assert recorded["rows"] == [{"id": "R9999", "source": "ORG001", "target": "ORG002", "strength": 0.7,
                                 "date": "2025-06-01", "recipient": None, "note": "solid partner"}]
    refs = SqliteStore("trustgraph.db").table("referrals").set_index("id")
    assert refs.loc["R9999", "strength"] == 0.7 and refs.loc["R9999", "note"] == "solid partner"
    code, _, err = run_cli("record referral --source ORG001 --target NOPE --strength 0.7")
    # an unknown party is "not found" (exit 4) as in every command, with suggestions when any are close
    assert code == 4 and err.startswith("error: record referral --target: no organisation with id or name 'NOPE'")
    code, _, err = run_cli("record incident --reporter ORG001 --subject ORG002 --kind fraud --severity 7")
    assert code == 3 and "[--severity]: got '7'; expected an integer in [1, 5]" in err
    code, _, err = run_cli("record action --incident I001 --kind apology")
    assert code == 2 and "apology" in err
    assert SqliteStore("trustgraph.db").counts()["referrals"] == 201


def test_record_partnership_with_members(sample_dir: Path, run_cli) -> None:
    assert run_cli(["load", str(sample_dir)])[0] == 0
    code, out, err = run_cli("record partnership --id PS999 --name 'Delta Compact' --status active "
                             "--member ORG001:lead --member ORG002 --format json")
    assert code == 0, err
    members = SqliteStore("trustgraph.db").table("partnership_members")
    assert set(members.loc[members["partnership"] == "PS999", "organization"]) == {"ORG001", "ORG002"}


def test_unopenable_store_is_exit_5(run_cli, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-db.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    code, _, err = run_cli(["--store", str(bad), "stats"])
    assert code == 5 and "cannot open the store" in err and "Traceback" not in err


def test_store_of_another_schema_version_is_refused(run_cli, tmp_path: Path) -> None:
    import sqlite3

    path = tmp_path / "old.db"
    SqliteStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    code, _, err = run_cli(["--store", str(path), "stats"])
    assert code == 5
    assert "schema version 99, this trustgraph needs 1" in err


def test_record_refuses_a_stored_id_and_updates_only_given_fields(sample_dir: Path, run_cli) -> None:
    assert run_cli(["load", str(sample_dir)])[0] == 0
    assert run_cli("record organization --id ORG001 --name X") == (
        3, "",
        "error: record organization: organizations already holds id 'ORG001'; nothing was written (use --update "
        "to change the fields you give, or choose another id)\n"
        "  record organization [--id]: got 'ORG001'; expected a new id (or --update)\n",
    )
    code, out, err = run_cli("record organization --id ORG001 --country KE --update --format csv")
    assert code == 0, err
    assert out == ("schema,as_of,id,name,sector,country,region,culture,risk_appetite,pretrusted,tags\n"
                   "trustgraph.record/1,,ORG001,Brugwerk Foundation,foundation,KE,Western Europe,verify-later,medium,"
                   "true,development-finance;governance\n")
    code, _, err = run_cli("record incident --id I999 --severity 2 --update")
    assert code == 4 and "incidents holds no row with id 'I999'" in err


def test_load_replace_corrects_a_row_without_an_id_and_drops_what_the_folder_no_longer_has(
        sample_dir: Path, run_cli, tmp_path: Path) -> None:
    """A plain reload never deletes: a corrected row without an id is added beside the old one.
    --replace makes the store exactly the folder: the correction replaces it, a removed row goes, the
    scores `analyze --write` stored go too; a refused replace (exit 3) leaves the store as it was."""
    import csv
    import shutil

    folder = tmp_path / "mine"
    shutil.copytree(sample_dir, folder)
    path = folder / "communications.csv"
    with path.open(newline="", encoding="utf-8") as f:
        rows = [{k: v for k, v in r.items() if k != "id"} for r in csv.DictReader(f)]  # no ids: known by cells

    def write(rows: list[dict[str, str]]) -> None:
        with path.open("w", newline="", encoding="utf-8") as f:
            out = csv.DictWriter(f, fieldnames=["a", "b", "date", "channel"])
            out.writeheader()
            out.writerows(rows)

    write(rows)
    assert run_cli(["load", str(folder)])[0] == 0
    assert run_cli("analyze --write")[0] == 0
    n = SqliteStore("trustgraph.db").counts()["communications"]
    rows[0]["date"] = "2019-02-02"  # a typo corrected
    write(rows)
    assert run_cli(["load", str(folder)])[0] == 0
    assert SqliteStore("trustgraph.db").counts()["communications"] == n + 1  # beside the old one
    write(rows[:-1])  # and the last row removed
    code, out, err = run_cli(["load", str(folder), "--replace", "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["parameters"] == {"path": str(folder), "ignore_unknown": False, "replace": True}
    store = SqliteStore("trustgraph.db")
    comms = store.table("communications")
    assert len(comms) == n - 1
    first = comms[(comms["a"] == rows[0]["a"]) & (comms["b"] == rows[0]["b"])]["date"].astype(str).tolist()
    assert "2019-02-02" in first and "2019-02-01" not in first
    assert len(store.scores()) == 0 and store.counts()["organizations"] == 96
    (folder / "organizations.csv").unlink()  # --replace needs the organisations: refused, nothing written
    version = store.version()
    code, _, err = run_cli(["load", str(folder), "--replace"])
    assert code == 3 and "organizations.csv: expected this file (it is required: --replace makes the store" in err
    assert store.version() == version and len(store.table("communications")) == n - 1
    code, _, err = run_cli(["load", str(folder), "--replace", "--bulk"])
    assert code != 0 and "--replace" in err
