"""Hostile or careless input (issue 13, items 3 and 4, dataset and option side).

Each attack is tried through the real CLI on a store loaded with data/sample: the expected exit code,
a fragment of the message, and, where the attack is a write, the store unchanged (``store_digest``).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import store_digest

from trustgraph.evidence import _dates, reference_date
from trustgraph.ingest import check_date, invalid_dates
from trustgraph.model import latest_date

RunCli = Callable[..., tuple[int, str, str]]


@pytest.fixture()
def store(run_cli: RunCli, sample_dir: Path, tmp_path: Path) -> Path:
    """A SQLite store loaded with the sample."""
    path = tmp_path / "s.db"
    code, _, err = run_cli(["--store", str(path), "load", str(sample_dir)])
    assert code == 0, err
    return path


def _copy(sample_dir: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "ds"
    shutil.copytree(sample_dir, folder)
    return folder


def _set_first_referral_date(folder: Path, value: str) -> None:
    frame = pd.read_csv(folder / "referrals.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "date"] = value
    frame.to_csv(folder / "referrals.csv", index=False)


# -- dates -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value, message", [
    ("9999-12-31", "one year after today"),          # moved every analysis to the year 9999
    ("0001-01-01", "expected a date from 1900-01-01"),  # made timeline crash in strftime
    ("1899-12-31", "expected a date from 1900-01-01"),
    ("2019-04-02T99:99+99:99", "no time part"),     # was stored as is
    ("2019-04-02T10:00", "no time part"),           # a valid time is refused too: dates are YYYY-MM-DD
    ("-1199-02-15", "YYYY-MM-DD"),                   # what a negative Unix time became
    (" 2023-13-01", "YYYY-MM-DD"),
    ("2023-02-29", "YYYY-MM-DD"),
])
def test_implausible_dates_are_refused_and_nothing_is_written(
        value: str, message: str, run_cli: RunCli, store: Path, sample_dir: Path, tmp_path: Path) -> None:
    folder = _copy(sample_dir, tmp_path)
    _set_first_referral_date(folder, value)
    before = store_digest(store)
    code, out, err = run_cli(["--store", str(store), "load", str(folder)])
    assert code == 3, err
    assert "referrals.csv:2 [date]" in err and message in err
    assert store_digest(store) == before


def test_the_date_rule_is_one_function() -> None:
    today = dt.date(2026, 12, 1)
    assert check_date("2023-02-01", today) is None
    assert check_date("1900-01-01", today) is None and check_date("2027-12-01", today) is None
    assert "one year after today" in (check_date("2027-12-02", today) or "")
    assert "no time part" in (check_date("2019-04-02T99:99+99:99") or "")
    assert "no time part" in (check_date("notadate") or "")
    assert latest_date(dt.date(2024, 2, 29)) == "2025-02-28"
    cells = pd.Series(["2023-02-01", "", None, "9999-12-31", "0001-01-01", "2023-02-30", "2023-02-01T10:00"])
    assert invalid_dates(cells).tolist() == [False, False, False, True, True, True, True]


def test_outliers_already_stored_never_move_the_reference_date() -> None:
    # a store written before the rule may hold them: they are ignored, never wrapped around
    tables = {"referrals": pd.DataFrame({"date": ["2021-05-04", "9999-12-31", "0001-01-01", "1500-01-01"]})}
    assert reference_date(tables) == pd.Timestamp("2021-05-04")
    assert reference_date({"referrals": pd.DataFrame({"date": ["0001-01-01"]})}) == pd.Timestamp("1970-01-01")
    days = _dates(pd.Series(["0001-01-01", "9999-12-31", "1500-01-01", "2020-01-01"], dtype=object))
    assert days.isna().tolist() == [True, True, True, False]  # was 1754-08-30, 1816-03-29, 2084-07-20
    # an explicit day from such a store stays printable (0001-01-01 made strftime fail)
    assert reference_date(tables, "0001-01-01").strftime("%Y-%m-%d") == "1677-09-22"
    assert reference_date(tables, "9999-12-31").strftime("%Y-%m-%d") == "2262-04-11"
    with pytest.raises(ValueError, match="as-of date 'notadate'"):
        reference_date(tables, "notadate")


def test_timeline_survives_an_outlier_written_before_the_rule(run_cli: RunCli, store: Path) -> None:
    with sqlite3.connect(store) as db:
        db.execute("UPDATE referrals SET date = '0001-01-01' WHERE id = (SELECT min(id) FROM referrals)")
        db.execute("UPDATE referrals SET date = '9999-12-31' WHERE id = (SELECT max(id) FROM referrals)")
        db.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'version'")
    code, out, err = run_cli(["--store", str(store), "reputation", "ORG001", "--format", "json"])
    assert code == 0, err
    assert '"as_of": "9999' not in out


@pytest.mark.parametrize("value, message", [
    ("9999-12-31", "one year after today"),
    ("0001-01-01", "from 1900-01-01"),
    ("2019-04-02T99:99+99:99", "no time part"),
    ("notadate", "YYYY-MM-DD"),
])
@pytest.mark.parametrize("command", ["reputation", "contagion", "continuity", "timeline ORG001 ORG019",
                                     "chain ORG001 ORG045", "health ORG001"])
def test_as_of_outside_the_plausible_range_is_a_usage_error(
        command: str, value: str, message: str, run_cli: RunCli, store: Path) -> None:
    code, out, err = run_cli(["--store", str(store), *command.split(), "--as-of", value])
    assert code == 2 and out == ""
    assert "--as-of" in err and message in err and "Traceback" not in err


# -- personal ties are undirected ----------------------------------------------------------------------


def test_a_tie_given_in_both_orders_is_a_duplicate(
        run_cli: RunCli, store: Path, sample_dir: Path, tmp_path: Path) -> None:
    folder = _copy(sample_dir, tmp_path)
    with (folder / "personal_ties.csv").open("a", encoding="utf-8") as f:
        f.write("P008,P120,family,\n")  # the sample has P120,P008
    before = store_digest(store)
    code, _, err = run_cli(["--store", str(store), "load", str(folder)])
    assert code == 3
    assert "personal_ties.csv:" in err and "in either order (the tie is undirected)" in err
    assert store_digest(store) == before


def test_a_tie_is_stored_once_whatever_the_order(run_cli: RunCli, store: Path, tmp_path: Path) -> None:
    with sqlite3.connect(store) as db:
        count, reversed_ = db.execute("SELECT count(*), sum(a > b) FROM personal_ties").fetchone()
    assert reversed_ == 0  # the sample gives four ties as (larger, smaller): stored sorted
    folder = tmp_path / "again"
    folder.mkdir()
    (folder / "organizations.csv").write_text("id,name\nORG001,Org 1\n", encoding="utf-8")
    (folder / "personal_ties.csv").write_text("a,b,kind,since\nP008,P120,family,2021-01-01\n", encoding="utf-8")
    code, _, err = run_cli(["--store", str(store), "load", str(folder)])
    assert code == 0, err
    with sqlite3.connect(store) as db:
        assert db.execute("SELECT count(*) FROM personal_ties").fetchone()[0] == count
        assert db.execute("SELECT kind FROM personal_ties WHERE a = 'P008' AND b = 'P120'").fetchall() == [("family",)]


# -- numeric options ---------------------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    ("reputation --half-life nan", "'nan' is not a finite number"),  # was silently "no decay"
    ("reputation --half-life inf", "'inf' is not a finite number"),
    ("reputation --half-life 1e9", "0<=x<=36500"),
    ("reputation --damping nan", "not a finite number"),
    ("reputation --shrinkage inf", "not a finite number"),
    ("reputation --limit 100000000000", "0<=x<=10000000"),
    ("reputation --contributors 1000000", "0<=x<=100"),
    ("contagion --decay nan", "not a finite number"),
    ("contagion --prior -inf", "not a finite number"),
    ("exposure ORG021 --max-hops 1000", "1<=x<=10"),
    ("exposure ORG021 --limit 100000000", "1<=x<=5000"),
    ("chain ORG001 ORG045 --min-trust nan", "not a finite number"),
    ("chain ORG001 ORG045 --limit 1000000", "1<=x<=100"),
    ("vouchers ORG045 --for ORG001 --complete-trust nan", "not a finite number"),
    ("vouchers ORG045 --for ORG001 --marginals-needed 1000000", "1<=x<=100"),
    ("health ORG001 --trend-points 100000 --trend-step 1", "1<=x<=15"),  # ran for minutes
    ("health ORG001 --trend-step 1000000", "1<=x<=1826"),
    ("continuity --limit 99999999", "0<=x<=1000"),
    ("analyze --limit 100000000000", "0<=x<=10000000"),
    ("map -o m.html --max-nodes 1000000000", "1<=x<=20000"),
    ("map -o m.html --max-hops 1000", "0<=x<=10"),
    ("map -o m.html --seed -1", "0<=x<=4294967295"),
    ("accepted --pretrusted ORG001 --capacities 99999999999999999999,1", "not in the range 1..1000000000"),
])
def test_numeric_options_are_bounded_and_finite(args: str, message: str, run_cli: RunCli, store: Path) -> None:
    start = time.monotonic()
    code, out, err = run_cli(["--store", str(store), *args.split()])
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err
    assert time.monotonic() - start < 10


def test_ranges_are_documented_in_help(run_cli: RunCli) -> None:
    code, out, _ = run_cli("health --help")
    assert code == 0 and "1<=x<=15" in out and "0<=x<=36500" in out and "1900-01-01" in out


# -- named queries -----------------------------------------------------------------------------------


def test_a_huge_integer_parameter_is_a_usage_error(run_cli: RunCli, store: Path) -> None:
    code, out, err = run_cli(["--store", str(store), "query", "top_referrers", "-p", "limit=99999999999999999999"])
    assert code == 2 and out == ""  # was an OverflowError traceback from the driver
    assert "outside the 64-bit integer range" in err


def test_a_user_query_with_load_csv_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / "peek.cypher").write_text('// Peek.\nLOAD CSV FROM "file:///etc/passwd" AS l RETURN l\n',
                                        encoding="utf-8")
    code, out, err = run_cli(["query", "--queries", str(folder), "peek"])
    assert code == 6 and out == "" and "LOAD CSV is not allowed" in err


# -- input files -------------------------------------------------------------------------------------


def _replace_referrals(folder: Path, how: str) -> None:
    target = folder / "referrals.csv"
    target.unlink()
    if how == "fifo":
        os.mkfifo(target)
    elif how == "dev-zero":
        target.symlink_to("/dev/zero")
    elif how == "loop":
        target.symlink_to("referrals.csv")
    elif how == "dangling":
        target.symlink_to("nowhere.csv")
    elif how == "directory":
        target.mkdir()


@pytest.mark.parametrize("how, message", [
    ("fifo", "is a FIFO"),                          # hung for ever
    ("dev-zero", "is a device"),                    # MemoryError
    ("loop", "Too many levels of symbolic links"),  # skipped silently with exit 0
    ("dangling", "symlink to a missing file"),
    ("directory", "is a directory"),
])
def test_a_table_file_that_is_not_a_regular_file_is_refused(
        how: str, message: str, run_cli: RunCli, store: Path, sample_dir: Path, tmp_path: Path) -> None:
    folder = _copy(sample_dir, tmp_path)
    _replace_referrals(folder, how)
    before = store_digest(store)
    start = time.monotonic()
    code, out, err = run_cli(["--store", str(store), "load", str(folder)])
    assert code == 3, err
    assert "referrals.csv" in err and message in err
    assert time.monotonic() - start < 30
    assert store_digest(store) == before


def test_timeline_of_a_store_written_before_the_date_rule(run_cli, sample_store) -> None:
    """A legacy row dated 0001-01-01 (stored before dates were range-checked) no longer crashes timeline."""
    import sqlite3

    path = sample_store.path
    sample_store.close()
    db = sqlite3.connect(path)
    db.execute("INSERT INTO referrals (id, source, target, strength, date) VALUES ('OLD', 'ORG001', 'ORG017', 0.5, "
               "'0001-01-01')")
    db.execute("UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT) WHERE key = 'version'")
    db.commit()
    db.close()
    code, out, err = run_cli(f"--store {path} timeline ORG001 ORG017 --format json")
    assert code == 0, err
    assert "0001-01-01" not in out
    code, _, err = run_cli(f"--store {path} timeline ORG001 ORG017 --plot {path}.png")
    assert code == 0, err


@pytest.mark.parametrize("args", ["chain ORG001 ORG001", "vouchers ORG001 --for ORG001",
                                  "assess ORG001 --for ORG001", "timeline ORG001 ORG001"])
def test_a_party_and_itself_is_a_usage_error_everywhere(run_cli, sample_store, args: str) -> None:
    code, _, err = run_cli(f"--store {sample_store.path} {args}")
    assert code == 2 and "Invalid value" in err
