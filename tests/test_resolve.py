"""Naming a party (issue 15): ids in any case, names, unambiguous name prefixes, candidates when
ambiguous and "did you mean" when unknown, in every command that takes a party; ``--as-of today``;
``record`` without ``--date``; a closed stdout ends quietly with exit 0."""

from __future__ import annotations

import datetime
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import SAMPLE, write_dataset
from neo4j_server import neo4j_server  # noqa: F401  (fixture)

from trustgraph.errors import NotFoundError
from trustgraph.snapshot import AmbiguousReferenceError, resolve_reference

Run = Callable[..., tuple[int, str, str]]
ROOT = Path(__file__).resolve().parents[1]

IDS = ["ORG001", "ORG002", "ORG003", "ORG004", "org004"]
NAMES = ["Anand Solar Solutions Pvt Ltd", "Anand  Textiles", "Savanna Solar Ltd", "Delta Trust", None]


# -- the rules ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("ref", "expected"), [
    ("ORG002", 1),                             # 1. the id exactly
    ("org003", 2),                             # 2. the id in another case
    ("org004", 4),                             #    ... but an exact id wins over a case-insensitive one
    ("anand solar solutions pvt ltd", 0),      # 3. the name, case-insensitively
    ("ANAND TEXTILES", 1),                     #    runs of white space count as one
    ("Anand Solar Solutions", 0),              # 4. the unambiguous start of a name
    ("  savanna   solar ", 2),
])
def test_the_rules_in_order(ref: str, expected: int) -> None:
    assert resolve_reference(ref, IDS, NAMES) == expected


def test_an_ambiguous_reference_lists_the_candidates() -> None:
    with pytest.raises(AmbiguousReferenceError) as caught:
        resolve_reference("anand", IDS, NAMES)
    assert caught.value.candidates == [0, 1]
    assert str(caught.value) == ("'anand' matches 2 organisations by the start of a name: ORG001 (Anand Solar "
                                 "Solutions Pvt Ltd); ORG002 (Anand  Textiles); give an id")
    with pytest.raises(AmbiguousReferenceError, match=r"matches 2 organisations by id: ORG004 \(Delta Trust\); org004; give an id"):
        resolve_reference("Org004", IDS, NAMES)
    assert isinstance(caught.value, NotFoundError)  # exit 4, like no match


def test_unknown_suggests_the_closest() -> None:
    with pytest.raises(NotFoundError) as caught:
        resolve_reference("anand solr", IDS, NAMES)
    assert not isinstance(caught.value, AmbiguousReferenceError)
    assert str(caught.value).startswith("no organisation with id or name 'anand solr'; did you mean ORG001 (Anand "
                                        "Solar Solutions Pvt Ltd); ")
    # nothing close: no suggestion, only where to look
    with pytest.raises(NotFoundError) as caught:
        resolve_reference("xyzzy", IDS, NAMES)
    assert str(caught.value) == "no organisation with id or name 'xyzzy' (search with `trustgraph orgs TEXT`)"


def test_a_short_prefix_is_not_a_name() -> None:
    with pytest.raises(NotFoundError, match="no organisation with id or name 'De'"):
        resolve_reference("De", IDS, NAMES)
    assert resolve_reference("Del", IDS, NAMES) == 3


# -- every command, on both stores -------------------------------------------------------------------




def test_chain_takes_an_id_in_any_case_and_a_name(sample_args: list[str], run_cli: Run) -> None:
    import json

    code, out, err = run_cli(sample_args + ["chain", "ORG001", "ORG045", "--format", "json"])
    assert code == 0, err
    expected = json.loads(out)
    for ref in ("org045", "Anand Solar Solutions", "anand solar solutions pvt ltd", "Anand Solar"):
        code, out, err = run_cli(sample_args + ["chain", "ORG001", ref, "--format", "json"])
        assert code == 0, (ref, err)
        assert json.loads(out)["rows"] == expected["rows"] and json.loads(out)["to"]["id"] == "ORG045"


# every command that takes a party: a typo gets exit 4 and ORG045 suggested first
TYPO = "Anand Solr Solutions"
COMMANDS = [
    ["chain", "ORG001", TYPO],
    ["chain", TYPO, "ORG001"],
    ["vouchers", TYPO, "--for", "ORG001"],
    ["vouchers", "ORG001", "--for", TYPO],
    ["referrals", TYPO],
    ["referrals", "ORG001", "--for", TYPO],
    ["reputation", TYPO],
    ["reputation", "--for", TYPO],
    ["reputation", "--pretrusted", f"ORG001,{TYPO}"],
    ["accepted", "--pretrusted", TYPO],
    ["exposure", TYPO],
    ["contagion", "--what-if", TYPO],
    ["contagion", "--pretrusted", TYPO],
    ["assess", TYPO, "--for", "ORG001"],
    ["assess", "ORG001", "--for", TYPO],
    ["health", TYPO],
    ["timeline", "ORG001", TYPO],
    ["continuity", "--for", TYPO],
    ["map", "--out", "out.html", "--focus", TYPO],
    ["map", "--out", "out.html", "--chain", "ORG001", TYPO],
]


@pytest.mark.parametrize("line", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
def test_every_command_suggests(sample_args: list[str], run_cli: Run, line: list[str]) -> None:
    code, out, err = run_cli(sample_args + line)
    assert code == 4, err
    assert f"no organisation with id or name '{TYPO}'; did you mean ORG045 (Anand Solar Solutions Pvt Ltd)" in err


@pytest.mark.parametrize("line", [
    ["health", "anand solar"], ["exposure", "ANAND SOLAR SOLUTIONS PVT LTD"], ["timeline", "org001", "Anand Solar"],
    ["contagion", "--what-if", "anand solar solutions", "--limit", "1"], ["assess", "org045", "--for", "brugwerk"],
    ["map", "--out", "out.html", "--focus", "Anand Solar"], ["continuity", "--for", "org001"],
])
def test_every_command_takes_names(sample_args: list[str], run_cli: Run, line: list[str]) -> None:
    code, out, err = run_cli(sample_args + line + (["--format", "json"] if line[0] != "map" else []))
    assert code == 0, err


def test_ambiguous_names_list_the_candidates(sample_args: list[str], run_cli: Run) -> None:
    code, out, err = run_cli(sample_args + ["health", "Sa"])   # too short to be a prefix
    assert code == 4 and "no organisation with id or name 'Sa'" in err
    code, out, err = run_cli(sample_args + ["chain", "ORG001", "Sah"])
    assert code == 4, err
    assert err.startswith("error: 'Sah' matches 2 organisations by the start of a name: ORG039 (Sahyog Rural "
                          "Development Trust); ORG086 (Sahel Resilience Alliance); give an id")


def test_people_resolve_the_same_way(sample_args: list[str], run_cli: Run) -> None:
    import json

    for ref in ("P001", "p001", "Lukas Lindqvist", "lukas lind"):
        code, out, err = run_cli(sample_args + ["continuity", "--leaves", ref, "--format", "json"])
        assert code == 0, (ref, err)
        assert json.loads(out)["departure"]["person"]["id"] == "P001"
    code, out, err = run_cli(sample_args + ["continuity", "--leaves", "Lukas Lindqvst"])
    assert code == 4 and "did you mean P001 (Lukas Lindqvist)" in err


# -- dates ------------------------------------------------------------------------------------------

def test_as_of_today(sample_args: list[str], run_cli: Run) -> None:
    import json

    today = datetime.date.today().isoformat()
    code, out, err = run_cli(sample_args + ["reputation", "ORG045", "--as-of", "today", "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["as_of"] == today
    code, out, err = run_cli(sample_args + ["orgs", "--as-of", "TODAY", "--limit", "1", "--format", "table"])
    assert code == 0 and out.splitlines()[0].endswith(f"as of {today}")
    code, out, err = run_cli(sample_args + ["chain", "ORG001", "ORG045", "--as-of", "yesterday"])
    assert code == 2 and "expected today or an ISO 8601 date YYYY-MM-DD" in err


TABLES_WITH_AS_OF = [
    ["stats"], ["reputation", "--limit", "1"], ["reputation", "ORG045", "--explain"], ["analyze", "--limit", "1"],
    ["accepted"], ["contagion", "--limit", "1"], ["contagion", "--what-if", "ORG045", "--limit", "1"],
    ["exposure", "ORG001"], ["chain", "ORG001", "ORG045"], ["vouchers", "ORG045", "--for", "ORG001"],
    ["referrals", "ORG045"], ["assess", "ORG045", "--for", "ORG001"], ["health", "ORG045"],
    ["timeline", "ORG001", "ORG045"], ["continuity", "--limit", "1"], ["continuity", "--leaves", "P001"],
    ["orgs", "solar"],
]


@pytest.mark.parametrize("line", TABLES_WITH_AS_OF, ids=[" ".join(c) for c in TABLES_WITH_AS_OF])
def test_every_table_states_the_as_of(sample_args: list[str], run_cli: Run, line: list[str]) -> None:
    code, out, err = run_cli(sample_args + line + ["--format", "table"])
    assert code == 0, err
    assert "as of 2025-06-29" in out


def test_record_without_date_says_so_and_takes_names(tmp_path: Path, run_cli: Run) -> None:
    import json

    data = write_dataset(tmp_path / "d", {
        "organizations": "id,name\nA1,Dakar Logistics SARL\nB2,Brugwerk Foundation\nC3,Brugwerk Holding\n",
        "referrals": "id,source,target,strength,date\nR1,B2,A1,0.5,2023-12-31\n",
    })
    store = ["--store", str(tmp_path / "s.db")]
    assert run_cli(store + ["load", str(data)])[0] == 0
    today = datetime.date.today().isoformat()
    code, out, err = run_cli(store + ["record", "listing", "--listed", "Dakar Logistics SARL", "--lister",
                                      "brugwerk foundation", "--reason", "fraud", "--format", "json"])
    assert code == 0, err
    row = json.loads(out)["rows"][0]
    assert (row["listed_party"], row["lister"], row["date"]) == ("A1", "B2", today)
    assert err == (f"note: no --date: recorded today's date, {today}; the default as-of of later answers "
                   "(the newest event in the data) moves to it\n")
    code, out, err = run_cli(store + ["record", "referral", "--source", "dakar", "--target", "B2", "--strength",
                                      "0.4", "--date", "2023-12-30", "--format", "json"])
    assert code == 0 and err == "" and json.loads(out)["rows"][0]["source"] == "A1"
    code, out, err = run_cli(store + ["record", "referral", "--source", "Brugwerk", "--target", "A1",
                                      "--strength", "0.4", "--date", "2023-12-30"])
    assert code == 4 and "record referral --source: 'Brugwerk' matches 2 organisations" in err
    code, out, err = run_cli(store + ["record", "referral", "--source", "Dakar Logistic SA", "--target", "A1",
                                      "--strength", "0.4"])
    assert code == 4 and "did you mean A1 (Dakar Logistics SARL)" in err


def test_record_partnership_members_by_name(tmp_path: Path, run_cli: Run) -> None:
    import json

    data = write_dataset(tmp_path / "d", {
        "organizations": "id,name\nA1,Dakar Logistics SARL\nB2,Brugwerk Foundation\nC3,Brugwerk Holding\n",
    })
    store = ["--store", str(tmp_path / "s.db")]
    assert run_cli(store + ["load", str(data)])[0] == 0
    code, out, err = run_cli(store + ["record", "partnership", "--id", "P1", "--name", "Port works", "--kind",
                                      "supply", "--start", "2024-01-01", "--status", "active",
                                      "--member", "brugwerk foundation:Lead", "--member", "a1", "--format", "json"])
    assert code == 0, err
    members = {(m["organization"], m["role"]) for m in json.loads(out)["members"]}
    assert members == {("B2", "lead"), ("A1", None)}  # a member given without a role has none
    code, _, err = run_cli(store + ["record", "partnership", "--id", "P2", "--name", "x", "--kind", "supply",
                                    "--start", "2024-01-01", "--status", "active",
                                    "--member", "Brugwerk:member", "--member", "A1"])
    assert code == 4 and "--member" in err and "matches 2 organisations" in err


# -- pipes ------------------------------------------------------------------------------------------

def test_a_closed_pipe_ends_quietly_with_exit_0(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))}
    trustgraph = [sys.executable, "-m", "trustgraph", "--store", str(store)]
    subprocess.run([*trustgraph, "-q", "load", str(SAMPLE)], check=True, capture_output=True, env=env)
    for line in (["contagion", "--limit", "0", "--format", "ndjson"], ["orgs", "--limit", "0", "--format", "csv"],
                 ["reputation", "--format", "table"], ["stats", "--format", "table"]):
        # under `set -o pipefail`: a reader that takes one line (head -1), and one that takes none and
        # is gone before the command writes (true: python takes far longer to start than it)
        for reader, lines in (("head -1", 1), ("true", 0)):
            shell = " ".join(f"'{a}'" for a in [*trustgraph, *line]) + f" | {reader}"
            done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True,
                                  env=env, cwd=ROOT, timeout=120)
            assert done.returncode == 0, (line, reader, done.stderr)
            assert done.stderr == "" and len(done.stdout.splitlines()) == lines


def test_a_closed_pipe_before_any_output(tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))}
    trustgraph = [sys.executable, "-m", "trustgraph", "--store", str(store)]
    subprocess.run([*trustgraph, "-q", "load", str(SAMPLE)], check=True, capture_output=True, env=env)
    proc = subprocess.Popen([*trustgraph, "contagion", "--limit", "0", "--format", "json"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()   # the reader is gone before the first byte
    assert proc.wait(timeout=120) == 0
    assert proc.stderr.read() == b""
