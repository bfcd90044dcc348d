"""The chain, vouchers, accepted and referrals commands: exact output and exit codes on a small
dataset whose numbers are worked out by hand (no decay: --half-life 0)."""

from __future__ import annotations

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
    assert doc["from"] == {"id": "US", "name": "Us Foundation"}
    assert doc["to"] == {"id": "X", "name": "Xeno Ltd", "listed": False}
    assert doc["parameters"] == {"k": 3, "max_hops": 5, "min_trust": 0.5, "exclude_listed": True,
                                 "half_life_days": None}
    assert [(c["rank"], c["id"], c["path"], c["strength"]) for c in doc["chains"]] == [
        (1, "A", ["US", "A", "X"], 0.444444), (2, "C", ["US", "B", "C", "X"], 0.266667)]
    assert doc["chains"][1]["weakest_link"] == {"from": "US", "to": "B", "trust": 0.6}
    assert doc["chains"][0]["links"][0]["evidence"] == [{
        "kind": "referral", "ref": "R1", "date": "2024-01-01", "strength": 1.0, "decay": 1.0,
        "positive": 1.0, "negative": 0.0, "note": "Long-standing partner"}]


def test_chain_options(cli: Run) -> None:
    code, out, _ = cli("chain US X --half-life 0 --include-listed --format json")
    assert [c["path"] for c in json.loads(out)["chains"]] == [
        ["US", "A", "X"], ["US", "BAD", "X"], ["US", "B", "C", "X"]]
    assert json.loads(out)["chains"][1]["listed"] == ["BAD"]
    code, out, _ = cli("chain US X --half-life 0 --k 1 --format ndjson")
    assert code == 0 and len(out.splitlines()) == 1 and json.loads(out)["path"] == ["US", "A", "X"]
    code, out, _ = cli("chain US X --half-life 0 --max-hops 2 --format json")
    assert [c["path"] for c in json.loads(out)["chains"]] == [["US", "A", "X"]]
    code, out, _ = cli("chain US X --half-life 0 --min-trust 0.65 --format json")
    assert [c["path"] for c in json.loads(out)["chains"]] == [["US", "A", "X"]]
    # Before the referrals were made there is nothing to vouch with.
    assert cli("chain US X --as-of 2023-12-31 --format json")[0] == 4


def test_chain_csv(cli: Run) -> None:
    assert cli("chain US X --half-life 0 --format csv") == (0, (
        "rank,id,name,score,strength,hops,path,weakest_link,weakest_trust,listed\n"
        "1,A,Alpha Trust,0.4444,0.4444,2,US > A > X,US > A,0.6667,\n"
        "2,C,Gamma Coop,0.2667,0.2667,3,US > B > C > X,US > B,0.6,\n"), "")


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
    assert cli("chain US NOPE") == (4, "", "error: no organisation with id or name 'NOPE'\n")
    code, _, err = cli("chain US 'us foundation'")
    assert code == 2 and "FROM and TO are the same organisation" in err
    assert cli("chain US X --k 0")[0] == 2


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
    assert (doc["id"], doc["for"], doc["valid"], doc["validity"], doc["depth"]) == ("X", "US", True, "full", 2)
    assert doc["independent_vouchers"] == 2
    assert [v["path"] for v in doc["vouchers"]] == [["US", "A", "X"], ["US", "B", "C", "X"]]
    assert [(i["id"], i["level"], i["counted"]) for i in doc["web_of_trust"]["introducers"]] == [
        ("A", "complete", True), ("BAD", "complete", False), ("C", "marginal", False)]
    # Raise the bar for a complete introducer: A becomes marginal and one marginal is not enough.
    code, out, _ = cli("vouchers X --for US --half-life 0 --complete-trust 0.7 --format json")
    doc = json.loads(out)
    assert (doc["valid"], doc["validity"]) == (False, "marginal")
    assert cli("vouchers X --for US --complete-trust 0.5 --marginal-trust 0.6")[0] == 2
    assert cli("vouchers Z --for NOPE")[0] == 4


def test_vouchers_none(cli: Run) -> None:
    code, out, _ = cli("vouchers Z --for US --format json")
    doc = json.loads(out)
    assert code == 0 and doc["vouchers"] == [] and doc["validity"] == "unknown"


def test_accepted(cli: Run) -> None:
    code, out, _ = cli("accepted --seeds US --half-life 0 --format table")
    assert (code, out) == (0, """\
accepted: apprentice 5, journeyer 5, master 5  (seeds US; capacities 800,200,200,50,12,4,2,1)
id   name           level   apprentice  journeyer  master  distance
---  -------------  ------  ----------  ---------  ------  --------
US   Us Foundation  master  true        true       true    1
A    Alpha Trust    master  true        true       true    2
BAD  Bad Actor Inc  master  true        true       true    2
X    Xeno Ltd       master  true        true       true    3
Y    Yonder Ltd     master  true        true       true    3
""")
    # Capacity 3 at the root, 2 for the seed: the seed keeps one unit and passes one on.
    code, out, _ = cli("accepted --seeds 'Us Foundation' --capacities 3,2,1 --level master --half-life 0 --format json")
    doc = json.loads(out)
    assert doc["levels"] == {"master": {"threshold": 1.0, "accepted": 2, "reached": 5}}
    assert doc["accepted"][0] == {"id": "US", "name": "Us Foundation", "level": "master", "distance": 1, "capacity": 2}
    assert cli("accepted --seeds US --capacities 3,x")[0] == 2
    assert cli("accepted --seeds US --capacities 3,0")[0] == 2
    assert cli("accepted --seeds US,NOPE")[0] == 4


def test_referrals(cli: Run) -> None:
    code, out, _ = cli("referrals X --from US --half-life 0 --format table")
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
    assert list(doc) == ["schema", "id", "name", "listed", "as_of", "referred_by", "referred", "from", "chain"]
    assert doc["referred_by"][0] == {"referral": "R2", "id": "A", "name": "Alpha Trust", "strength": 1.0,
                                     "date": "2024-01-01", "recipient": "US", "note": "Delivered on time"}
    assert doc["from"] is None and doc["chain"] is None
    code, out, _ = cli("referrals X --format csv")
    assert out.splitlines()[0] == "direction,referral,id,name,strength,date,recipient,note"
    assert out.splitlines()[4] == "referred,R9,US,Us Foundation,-0.5,2024-02-01,,Late reporting"
    assert cli("referrals NOPE") == (4, "", "error: no organisation with id or name 'NOPE'\n")


def test_referrals_batch(cli: Run) -> None:
    stdin = 'X\n\nNOPE\n{"id": "A", "from": "B"}\n{oops\n{"name": "A"}\nBad Actor Inc\n'
    code, out, err = cli("referrals - --from US --half-life 0", input=stdin)
    assert code == 0, err
    lines = [json.loads(line) for line in out.splitlines()]
    assert len(lines) == 6
    assert [r.get("id") for r in lines] == ["X", "NOPE", "A", None, None, "BAD"]
    assert lines[0]["chain"]["path"] == ["US", "A", "X"]
    assert lines[1] == {"schema": "trustgraph.referrals/1", "id": "NOPE", "line": 3,
                        "error": {"code": "not_found", "message": "no organisation with id or name 'NOPE'"}}
    assert lines[2]["from"] == "B" and lines[2]["chain"] is None
    assert lines[3]["error"]["code"] == "invalid_input" and lines[3]["line"] == 5
    assert lines[4]["error"]["code"] == "invalid_input" and lines[4]["line"] == 6
    assert lines[5]["listed"] is True and lines[5]["chain"]["path"] == ["US", "BAD"]
    assert cli("referrals - --format table", input="X\n")[0] == 2


def test_questions_read_the_snapshot_and_the_rows_of_the_parties_concerned(
    cli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The first question compiles the snapshot (reading every table once); from then on each answer
    # comes from the snapshot and indexed lookups of the parties concerned: reading a whole table fails.
    questions = [
        "chain US X --half-life 0 --format json", "chain US X --half-life 0 --format table",
        "chain US Y --half-life 0", "vouchers X --for US --half-life 0 --format json",
        "accepted --seeds US --half-life 0 --format json", "referrals X --from US --half-life 0 --format json",
        "referrals BAD --half-life 0 --format table",
    ]
    answers = [cli(q) for q in questions]
    batch = cli("referrals - --from US --half-life 0", input="X\nA\nNOPE\n")
    assert answers[0][0] == 0 and answers[2][0] == 4 and batch[0] == 0
    from trustgraph.store.sqlite import SqliteStore

    def whole_table(self: SqliteStore, name: str) -> None:
        raise AssertionError(f"read the whole {name} table")

    monkeypatch.setattr(SqliteStore, "table", whole_table)
    assert [cli(q) for q in questions] == answers
    assert cli("referrals - --from US --half-life 0", input="X\nA\nNOPE\n") == batch
