"""The chain, vouchers, accepted and referrals commands: exact output and exit codes on a small
dataset whose numbers are worked out by hand (no decay: --half-life 0)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

Run = Callable[..., tuple[int, str, str]]

ORGS = """id,name
US,Us Foundation
A,Alpha Trust
B,Beta Works
C,Gamma Coop
X,Xeno Ltd
BAD,Bad Actor Inc
Y,Yonder Ltd
Z,Zed Isolated
"""
# One referral per pair: trust (s + 1) / (s + 2), i.e. 2/3 for strength 1 and 0.6 for 0.5.
REFERRALS = """id,source,target,strength,date,recipient,note
R1,US,A,1.0,2024-01-01,,Long-standing partner
R2,A,X,1.0,2024-01-01,US,Delivered on time
R3,US,B,0.5,2024-01-01,,
R4,B,C,1.0,2024-01-01,,
R5,C,X,1.0,2024-01-01,,Good local networks
R6,US,BAD,1.0,2024-01-01,,
R7,BAD,X,1.0,2024-01-01,,
R8,BAD,Y,1.0,2024-01-01,,
R9,X,US,-0.5,2024-02-01,,Late reporting
"""
BLACKLIST = """id,lister,listed,date,until,reason,source
L1,US,BAD,2023-06-01,,Fraud,Board decision
"""


@pytest.fixture()
def cli(run_cli: Run, tmp_path: Path) -> Run:
    data = tmp_path / "data"
    data.mkdir()
    (data / "organizations.csv").write_text(ORGS, encoding="utf-8")
    (data / "referrals.csv").write_text(REFERRALS, encoding="utf-8")
    (data / "blacklist.csv").write_text(BLACKLIST, encoding="utf-8")
    code, _, err = run_cli(["load", str(data), "--format", "json"])
    assert code == 0, err
    return run_cli


CHAIN_TABLE = """\
Vouching chains US (Us Foundation) → X (Xeno Ltd), as of 2024-02-01 (≤ 5 hops, hop trust ≥ 0.5, no listed intermediary)

#1  strength 0.4444  2 hops  weakest link US → A (0.6667)
    US (Us Foundation)
      │ trust 0.6667 ± 0.67
      │   referral R1 2024-01-01  strength +1  decay 1.00  "Long-standing partner"
    A (Alpha Trust)
      │ trust 0.6667 ± 0.67
      │   referral R2 2024-01-01  strength +1  decay 1.00  "Delivered on time"
    X (Xeno Ltd)

#2  strength 0.2667  3 hops  weakest link US → B (0.6000)
    US (Us Foundation)
      │ trust 0.6000 ± 0.80
      │   referral R3 2024-01-01  strength +0.5  decay 1.00
    B (Beta Works)
      │ trust 0.6667 ± 0.67
      │   referral R4 2024-01-01  strength +1  decay 1.00
    C (Gamma Coop)
      │ trust 0.6667 ± 0.67
      │   referral R5 2024-01-01  strength +1  decay 1.00  "Good local networks"
    X (Xeno Ltd)
"""


def test_chain_table(cli: Run) -> None:
    assert cli("chain US X --half-life 0 --format table") == (0, CHAIN_TABLE, "")


def test_chain_json(cli: Run) -> None:
    code, out, _ = cli("chain US 'xeno ltd' --half-life 0 --format json")
    assert code == 0
    doc = json.loads(out)
    assert (doc["schema"], doc["as_of"]) == ("trustgraph.chain/1", "2024-02-01")
    assert doc["from"] == {"id": "US", "name": "Us Foundation", "listed": False, "listings": []}
    assert doc["to"] == {"id": "X", "name": "Xeno Ltd", "listed": False, "listings": []}
    assert doc["parameters"] == {"from": "US", "to": "X", "limit": 3, "max_hops": 5, "min_trust": 0.5,
                                 "exclude_listed": True, "half_life": 0.0}
    assert [(c["rank"], c["path"][-2], c["path"], c["strength"]) for c in doc["rows"]] == [
        (1, "A", ["US", "A", "X"], 0.444444), (2, "C", ["US", "B", "C", "X"], 0.266667)]
    assert doc["rows"][1]["weakest_link"] == {"from": "US", "to": "B", "trust": 0.6}
    assert doc["rows"][0]["links"][0]["evidence"] == [{
        "kind": "referral", "ref": "R1", "date": "2024-01-01", "value": 1.0, "decay": 1.0,
        "positive": 1.0, "negative": 0.0, "note": "Long-standing partner"}]


def test_chain_options(cli: Run) -> None:
    code, out, _ = cli("chain US X --half-life 0 --include-listed --format json")
    assert [c["path"] for c in json.loads(out)["rows"]] == [
        ["US", "A", "X"], ["US", "BAD", "X"], ["US", "B", "C", "X"]]
    through_bad = json.loads(out)["rows"][1]
    assert through_bad["listed"] is True and [(x["id"], x["party"]) for x in through_bad["listings"]] == [("L1", "BAD")]
    assert [c["listed"] for c in json.loads(out)["rows"]] == [False, True, False]
    code, out, _ = cli("chain US X --half-life 0 --limit 1 --format ndjson")
    assert code == 0 and len(out.splitlines()) == 1 and json.loads(out)["path"] == ["US", "A", "X"]
    assert json.loads(out)["schema"] == "trustgraph.chain/1" and json.loads(out)["rank"] == 1
    code, out, _ = cli("chain US X --half-life 0 --max-hops 2 --format json")
    assert [c["path"] for c in json.loads(out)["rows"]] == [["US", "A", "X"]]
    code, out, _ = cli("chain US X --half-life 0 --min-trust 0.65 --format json")
    assert [c["path"] for c in json.loads(out)["rows"]] == [["US", "A", "X"]]
    # Before the referrals were made there is nothing to vouch with.
    assert cli("chain US X --as-of 2023-12-31 --format json")[0] == 4


def test_chain_csv(cli: Run) -> None:
    code, out, err = cli("chain US X --half-life 0 --format csv")
    assert (code, err) == (0, "")
    records = list(csv.DictReader(io.StringIO(out)))
    assert list(records[0]) == ["schema", "as_of", "rank", "strength", "hops", "path", "names", "weakest_link.from",
                                "weakest_link.to", "weakest_link.trust", "listed", "listings", "links"]
    assert [(r["rank"], r["strength"], r["hops"], r["path"], r["weakest_link.from"], r["weakest_link.to"],
             r["weakest_link.trust"], r["listed"]) for r in records] == [
        ("1", "0.4444", "2", "US; A; X", "US", "A", "0.6667", "false"),
        ("2", "0.2667", "3", "US; B; C; X", "US", "B", "0.6", "false")]
    assert [link["from"] for link in json.loads(records[1]["links"])] == ["US", "B", "C"]


def test_chain_limit_was_k(cli: Run) -> None:
    new = cli("chain US X --half-life 0 --limit 1 --format json")
    old = cli("chain US X --half-life 0 --k 1 --format json")
    assert new[0] == 0 and old[:2] == new[:2]
    assert old[2] == "note: --k is now --limit (--k will be removed in the next release)\n"
    code, _, err = cli("chain US X --k 1 --limit 2")
    assert code == 2 and "--k is the old name of --limit" in err
    assert cli("chain US X --limit 0")[0] == 2 and cli("chain US X --limit 101")[0] == 2


def test_chain_not_found(cli: Run) -> None:
    assert cli("chain US Z") == (4, "", "error: no vouching chain from US to Z (within 5 hops, hop trust ≥ 0.5, "
                                        "listed intermediaries excluded)\n")
    # A warning is not a vouch.
    assert cli("chain X US")[0] == 4
    assert cli("chain US Y") == (4, "", "error: no vouching chain from US to Y (within 5 hops, hop trust ≥ 0.5, "
                                        "listed intermediaries excluded); one exists through a listed party "
                                        "(--include-listed shows it)\n")
    assert cli("chain US C --max-hops 1") == (4, "", "error: no vouching chain from US to C (within 1 hops, hop "
                                                     "trust ≥ 0.5, listed intermediaries excluded); a longer one "
                                                     "exists (raise --max-hops)\n")
    assert cli("chain US NOPE") == (4, "", "error: no organisation with id or name 'NOPE' (search with `trustgraph orgs TEXT`)\n")
    code, _, err = cli("chain US 'us foundation'")
    assert code == 2 and "FROM and TO are the same organisation" in err
    assert cli("chain US X --k 0")[0] == 2 and cli("chain US X --limit 0")[0] == 2


VOUCHERS_HEAD = (
    "X (Xeno Ltd) for US (Us Foundation), as of 2024-02-01: VALID at depth 2\n"
    "Reasoning (GnuPG rule: one complete or 3 marginal valid introducers, depth ≤ 5):\n"
    "  - A: complete introducer, owner's trust 0.667 (own evidence), vouch 0.667; counts\n"
    "  - BAD: complete introducer, owner's trust 0.667 (own evidence), vouch 0.667; does not count: listed\n"
    "  - C: marginal introducer, owner's trust 0.600 (weakest link of US > B > C), vouch 0.667; "
    "does not count: not itself valid\n"
    "  - valid at depth 2: 1 complete and 0 marginal counted introducer(s); "
    "needs 1 complete or 3 marginal valid introducer(s)\n"
    "\n"
    "2 independent vouchers (node-disjoint chains):\n"
)


def test_vouchers(cli: Run) -> None:
    code, out, _ = cli("vouchers X --for US --half-life 0 --format table")
    assert code == 0 and out.startswith(VOUCHERS_HEAD)
    code, out, _ = cli("vouchers X --for US --half-life 0 --format json")
    doc = json.loads(out)
    assert (doc["target"]["id"], doc["for"]["id"], doc["valid"], doc["validity"], doc["depth"]) == (
        "X", "US", True, "full", 2)
    assert doc["independent_vouchers"] == 2 and doc["limited"] is False
    assert [v["path"] for v in doc["rows"]] == [["US", "A", "X"], ["US", "B", "C", "X"]]
    assert [(i["id"], i["ownertrust"], i["counted"], i["listed"]) for i in doc["web_of_trust"]["introducers"]] == [
        ("A", "complete", True, False), ("BAD", "complete", False, True), ("C", "marginal", False, False)]
    assert [x["id"] for x in doc["web_of_trust"]["introducers"][1]["listings"]] == ["L1"]
    assert doc["parameters"]["for"] == "US" and doc["parameters"]["max_hops"] == 5
    # Raise the bar for a complete introducer: A becomes marginal and one marginal is not enough.
    code, out, _ = cli("vouchers X --for US --half-life 0 --complete-trust 0.7 --format json")
    doc = json.loads(out)
    assert (doc["valid"], doc["validity"]) == (False, "marginal")
    assert cli("vouchers X --for US --complete-trust 0.5 --marginal-trust 0.6")[0] == 2
    assert cli("vouchers Z --for NOPE")[0] == 4


def test_vouchers_max_hops_was_max_depth(cli: Run) -> None:
    new = cli("vouchers X --for US --half-life 0 --max-hops 2 --format json")
    old = cli("vouchers X --for US --half-life 0 --max-depth 2 --format json")
    assert new[0] == 0 and old[:2] == new[:2] and "--max-depth is now --max-hops" in old[2]
    assert [v["path"] for v in json.loads(new[1])["rows"]] == [["US", "A", "X"]]
    code, _, err = cli("vouchers X --for US --max-depth 2 --max-hops 3")
    assert code == 2 and "--max-depth is the old name of --max-hops" in err


def test_vouchers_none(cli: Run) -> None:
    code, out, _ = cli("vouchers Z --for US --format json")
    doc = json.loads(out)
    assert code == 0 and doc["rows"] == [] and doc["validity"] == "unknown" and doc["independent_vouchers"] == 0


def test_accepted(cli: Run) -> None:
    code, out, _ = cli("accepted --pretrusted US --half-life 0 --format table")
    assert (code, out) == (0, """\
accepted as of 2024-02-01: apprentice 5, journeyer 5, master 5  (pre-trusted US; capacities 800,200,200,50,12,4,2,1)
id   name           certification  apprentice  journeyer  master  distance
---  -------------  -------------  ----------  ---------  ------  --------
US   Us Foundation  master         true        true       true    1
A    Alpha Trust    master         true        true       true    2
BAD  Bad Actor Inc  master         true        true       true    2
X    Xeno Ltd       master         true        true       true    3
Y    Yonder Ltd     master         true        true       true    3
""")
    # Capacity 3 at the root, 2 for the seed: the seed keeps one unit and passes one on.
    code, out, _ = cli("accepted --pretrusted 'Us Foundation' --capacities 3,2,1 --level master --half-life 0 "
                       "--format json")
    doc = json.loads(out)
    assert doc["parameters"] == {"pretrusted": ["US"], "capacities": [3, 2, 1], "level": "master", "half_life": 0.0}
    assert doc["levels"] == {"master": {"threshold": 1.0, "accepted": 2, "reached": 5}}
    assert doc["rows"][0] == {"id": "US", "name": "Us Foundation", "listed": False, "listings": [],
                              "certification": "master", "distance": 1, "capacity": 2}
    assert cli("accepted --pretrusted US --capacities 3,x")[0] == 2
    assert cli("accepted --pretrusted US --capacities 3,0")[0] == 2
    assert cli("accepted --pretrusted US,NOPE")[0] == 4


def test_accepted_pretrusted_was_seeds(cli: Run) -> None:
    new = cli("accepted --pretrusted US --half-life 0 --format json")
    old = cli("accepted --seeds US --half-life 0 --format json")
    assert new[0] == 0 and old[:2] == new[:2] and "--seeds is now --pretrusted" in old[2]
    code, _, err = cli("accepted --seeds US --pretrusted A")
    assert code == 2 and "--seeds is the old name of --pretrusted" in err


def test_accepted_defaults_to_the_parties_marked_pretrusted(run_cli: Run, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "organizations.csv").write_text(
        "id,name,pretrusted\n" + "".join(f"{line},{'true' if line.startswith('US,') else 'false'}\n"
                                         for line in ORGS.splitlines()[1:]), encoding="utf-8")
    (data / "referrals.csv").write_text(REFERRALS, encoding="utf-8")
    store = ["--store", str(tmp_path / "p.db")]
    assert run_cli([*store, "load", str(data), "--format", "json"])[0] == 0
    code, out, err = run_cli([*store, "accepted", "--half-life", "0", "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["parameters"]["pretrusted"] == ["US"]
    assert out == run_cli([*store, "accepted", "--pretrusted", "US", "--half-life", "0", "--format", "json"])[1]


def test_accepted_without_pretrusted_parties_is_a_usage_error(cli: Run) -> None:
    code, out, err = cli("accepted")
    assert (code, out) == (2, "") and "no organisation is marked pretrusted" in err


def test_referrals(cli: Run) -> None:
    code, out, _ = cli("referrals X --for US --half-life 0 --format table")
    assert (code, out) == (0, """\
Referrals of X (Xeno Ltd), as of 2024-02-01
Referred by (3):
  ← A  Alpha Trust  strength +1.00  2024-01-01  [R2]  "Delivered on time"
  ← C  Gamma Coop  strength +1.00  2024-01-01  [R5]  "Good local networks"
  ← BAD  Bad Actor Inc  strength +1.00  2024-01-01  [R7]
Referred (1):
  → US  Us Foundation  strength -0.50  2024-02-01  [R9]  "Late reporting"
Strongest chain from US: strength 0.4444, 2 hops: US → A → X
""")
    code, out, _ = cli("referrals X --format json")
    doc = json.loads(out)
    assert list(doc) == ["schema", "as_of", "store", "parameters", "rows"]
    assert (doc["schema"], doc["as_of"]) == ("trustgraph.referrals/1", "2024-02-01")
    assert doc["parameters"] == {"id": "X", "for": None, "max_hops": 5, "half_life": 730.0}
    (row,) = doc["rows"]
    assert list(row) == ["id", "name", "listed", "listings", "referred_by", "referred", "for", "chain"]
    assert row["referred_by"][0] == {"referral": "R2", "id": "A", "name": "Alpha Trust", "strength": 1.0,
                                     "date": "2024-01-01", "recipient": "US", "note": "Delivered on time"}
    assert row["for"] is None and row["chain"] is None
    # CSV and NDJSON: the same one row, with the chain when --for is given.
    code, out, _ = cli("referrals X --for US --half-life 0 --format csv")
    (record,) = csv.DictReader(io.StringIO(out))
    assert (record["schema"], record["id"], record["for"], record["chain.path"], record["chain.strength"]) == (
        "trustgraph.referrals/1", "X", "US", "US; A; X", "0.4444")
    assert [r["referral"] for r in json.loads(record["referred"])] == ["R9"]
    code, out, _ = cli("referrals X --for US --half-life 0 --format ndjson")
    (line,) = map(json.loads, out.splitlines())
    assert line["schema"] == "trustgraph.referrals/1" and line["chain"]["path"] == ["US", "A", "X"]
    assert cli("referrals NOPE") == (4, "", "error: no organisation with id or name 'NOPE' (search with `trustgraph orgs TEXT`)\n")


def test_referrals_batch(cli: Run) -> None:
    stdin = 'X\n\nNOPE\n{"id": "A", "for": "B"}\n{oops\n{"name": "A"}\nBad Actor Inc\n{"id": "C", "from": "A"}\n'
    code, out, err = cli("referrals - --for US --half-life 0", input=stdin)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 7
    assert [r.get("id") for r in lines] == ["X", "NOPE", "A", None, None, "BAD", "C"]
    assert [r["line"] for r in lines] == [1, 3, 4, 5, 6, 7, 8]
    assert all(r["schema"] == "trustgraph.referrals/1" and r["as_of"] == "2024-02-01" for r in lines)
    assert lines[0]["chain"]["path"] == ["US", "A", "X"] and lines[0]["for"] == "US"
    assert lines[1] == {"schema": "trustgraph.referrals/1", "as_of": "2024-02-01", "line": 3, "id": "NOPE",
                        "error": {"code": "not_found", "message": "no organisation with id or name 'NOPE' (search with `trustgraph orgs TEXT`)"}}
    assert lines[2]["for"] == "B" and lines[2]["chain"] is None
    assert lines[3]["error"]["code"] == "invalid_input" and lines[3]["line"] == 5
    assert lines[4]["error"]["code"] == "invalid_input" and lines[4]["line"] == 6
    assert lines[5]["listed"] is True and lines[5]["chain"]["path"] == ["US", "BAD"]
    assert [x["id"] for x in lines[5]["listings"]] == ["L1"]
    assert lines[6]["for"] == "A" and lines[6]["chain"] is None  # "from", the old key, still read
    assert cli("referrals - --format table", input="X\n")[0] == 2
    # JSON and CSV give the same rows (CSV: one record per line looked up, each with its chain).
    code, out, err = cli("referrals - --for US --half-life 0 --format json", input=stdin)
    doc = json.loads(out)
    assert code == 0 and doc["parameters"] == {"id": None, "for": "US", "max_hops": 5, "half_life": 0.0}
    assert [{"schema": doc["schema"], "as_of": doc["as_of"], **row} for row in doc["rows"]] == lines
    code, out, err = cli("referrals - --for US --half-life 0 --format csv", input=stdin)
    records = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and [r["id"] for r in records] == ["X", "NOPE", "A", "", "", "BAD", "C"]
    assert [r["chain.path"] for r in records] == ["US; A; X", "", "", "", "", "US; BAD", ""]
    assert records[1]["error.code"] == "not_found" and records[0]["error.code"] == ""


def test_referrals_for_was_from(cli: Run) -> None:
    new = cli("referrals X --for US --half-life 0 --format json")
    old = cli("referrals X --from US --half-life 0 --format json")
    assert new[0] == 0 and old[:2] == new[:2] and "--from is now --for" in old[2]
    batch = cli("referrals - --for US --half-life 0", input="X\n")
    assert cli("referrals - --from US --half-life 0", input="X\n")[:2] == batch[:2]
    code, _, err = cli("referrals X --from US --for A")
    assert code == 2 and "--from is the old name of --for" in err


def test_questions_read_the_snapshot_and_the_rows_of_the_parties_concerned(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first question compiles the snapshot (reading every table once); from then on each answer
    # comes from the snapshot and indexed lookups of the parties concerned: reading a whole table fails.
    questions = [
        "chain US X --half-life 0 --format json", "chain US X --half-life 0 --format table",
        "chain US Y --half-life 0", "vouchers X --for US --half-life 0 --format json",
        "accepted --pretrusted US --half-life 0 --format json", "referrals X --for US --half-life 0 --format json",
        "referrals BAD --half-life 0 --format table",
    ]
    answers = [cli(q) for q in questions]
    batch = cli("referrals - --for US --half-life 0", input="X\nA\nNOPE\n")
    assert answers[0][0] == 0 and answers[2][0] == 4 and batch[0] == 0
    from trustgraph.store.sqlite import SqliteStore

    def whole_table(self: SqliteStore, name: str) -> None:
        raise AssertionError(f"read the whole {name} table")

    monkeypatch.setattr(SqliteStore, "table", whole_table)
    assert [cli(q) for q in questions] == answers
    assert cli("referrals - --for US --half-life 0", input="X\nA\nNOPE\n") == batch
