"""The ``contagion`` and ``exposure`` commands: exact output, formats, what-if, exit codes."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import write_dataset

from trustgraph.model import TABLE_ORDER
from trustgraph.store import SqliteStore

TINY = {
    "organizations.csv": "id,name\na,Org a\nb,Org b\nL,Org L\nX,Org X\n",
    "referrals.csv": "id,source,target,strength,date,recipient,note\n"
                     "R1,a,b,1.0,2024-01-01,,Reliable\nR2,b,L,1.0,2024-01-01,,\n",
    "blacklist.csv": "id,lister,listed,date,until,reason,source\nB1,X,L,2024-01-01,,Fraud,notice 1\n",
}


@pytest.fixture()
def tiny(tmp_path: Path, run_cli) -> None:
    """a → b → L, one full-strength referral each, all on the reference date (no decay)."""
    code, _, err = run_cli(["load", str(write_dataset(tmp_path / "tiny", TINY))])
    assert code == 0, err


@pytest.fixture()
def sample(sample_dir: Path, run_cli) -> None:
    code, _, err = run_cli(["load", str(sample_dir)])
    assert code == 0, err


def test_exposure_exact_table(tiny, run_cli) -> None:
    # Shares with the default prior 1: a→b 1/2, b→L 1/2; one hop beyond the first halves: 0.125.
    code, out, err = run_cli("exposure a --format table")
    assert (code, err) == (0, "")
    assert out == (
        "a Org a\n"
        "exposure 0.125; 1 path(s) of at most 3 ties to listed parties\n"
        "  1. +0.1250  L Org L\n"
        "     a -[referral 2024-01-01 +0.500]-> b -[referral 2024-01-01 +0.500]-> L\n"
    )
    code, out, _ = run_cli("exposure 'Org a' --hops 1 --format table")
    assert out.splitlines()[1:] == ["exposure 0; 0 path(s) of at most 1 ties to listed parties", "(no path)"]


def test_exposure_json_carries_every_tie_and_its_evidence(tiny, run_cli) -> None:
    code, out, _ = run_cli("exposure a --format json")
    doc = json.loads(out)
    assert doc["id"] == "a" and doc["score"] == 0.125 and doc["listed"] is False
    path = doc["paths"][0]
    assert path["listed"] == {"id": "L", "name": "Org L", "listings": [
        {"lister": "X", "date": "2024-01-01", "until": None, "reason": "Fraud"}]}
    assert path["path"] == ["a", "b", "L"] and path["strength"] == 0.125
    assert path["ties"][0] == {
        "from": "a", "to": "b", "kinds": ["referral"], "date": "2024-01-01", "strength": 1.0, "share": 0.5,
        "sign": "association",
        "evidence": [{"kind": "referral", "ref": "R1", "date": "2024-01-01", "value": 1.0, "decayed": 1.0,
                      "detail": "Reliable"}],
    }
    code, out, _ = run_cli("exposure a --format csv")
    assert out.splitlines() == [
        "rank,listed,listed_name,hops,strength,path,ties",
        "1,L,Org L,2,0.125,a; b; L,a>b referral 2024-01-01 +0.5000; b>L referral 2024-01-01 +0.5000",
    ]


def test_contagion_json_rows(tiny, run_cli) -> None:
    code, out, err = run_cli("contagion --format json")
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["id"], r["rank"], r["score"]) for r in rows] == [
        ("L", 1, 1.0), ("b", 2, 0.5), ("a", 3, 0.125), ("X", 4, 0.0)]
    b = rows[1]
    assert set(b) >= {"id", "name", "score", "rank", "risk", "reputation", "support", "listed", "exposed_to",
                      "exposures"}
    # Exposure ½ joins b's reputation as one more opinion of −1 with voice ½ / (1 − ½) = 1 (combined_risk).
    x = 2 * b["reputation"] - 1
    assert b["risk"] == pytest.approx((1 - (b["support"] * x - 1) / (b["support"] + 1)) / 2, abs=1e-6)
    assert b["risk"] > 1 - b["reputation"] and rows[0]["risk"] == 1.0
    assert b["exposures"] == [{"id": "L", "name": "Org L", "listings": [
        {"lister": "X", "date": "2024-01-01", "until": None, "reason": "Fraud"}],
        "contribution": 0.5, "path": ["b", "L"], "path_strength": 0.5}]
    code, out, _ = run_cli("contagion --top 2 --decay 0.25 --prior 0 --format ndjson")
    assert [json.loads(line)["id"] for line in out.splitlines()] == ["L", "b"]
    code, out, _ = run_cli("contagion --format csv")
    assert out.splitlines()[0] == "rank,id,name,score,risk,reputation,listed,exposed_to,strongest"
    assert out.splitlines()[2].endswith(",false,1,L +0.5000 via b > L")


def test_what_if_reports_before_after_and_change(tiny, run_cli) -> None:
    code, out, err = run_cli("contagion --what-if b --format json")
    assert code == 0 and "nothing is written to the store" in err
    rows = json.loads(out)
    assert [(r["id"], r["before"], r["after"], r["change"]) for r in rows] == [
        ("b", 0.5, 1.0, 0.5), ("a", 0.125, 0.5, 0.375)]
    code, out, _ = run_cli("exposure a --what-if b --format json")
    doc = json.loads(out)
    assert doc["what_if"] == {"hypothetical": ["b"], "before": 0.125, "after": 0.5, "change": 0.375}
    assert doc["paths"][0]["listed"]["hypothetical"] is True and doc["paths"][0]["path"] == ["a", "b"]


def _snapshot(db: Path) -> tuple[str, dict[str, list[dict[Any, Any]]]]:
    digest = hashlib.sha256(db.read_bytes()).hexdigest()
    store = SqliteStore(db)
    try:
        tables = {name: store.table(name).to_dict("records") for name in TABLE_ORDER}
    finally:
        store.close()
    return digest, tables


def test_what_if_leaves_the_store_unchanged(sample, run_cli) -> None:
    db = Path("trustgraph.db")
    before = _snapshot(db)
    code, out, err = run_cli("contagion --what-if ORG025,'Hope Bridge Relief Fund' --format json")
    assert code == 0, err
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["ORG025"]["after"] == 1.0 and rows["ORG021"]["change"] > 0.2
    assert "already listed: ORG015" in err
    code, _, err = run_cli("exposure ORG021 --what-if ORG025 --format json")
    assert code == 0, err
    assert _snapshot(db) == before
    code, out, _ = run_cli("contagion --format json")
    assert {r["id"] for r in json.loads(out) if r["listed"]} == {"ORG015", "ORG026", "ORG054"}


def test_sample_contagion_and_as_of(sample, run_cli) -> None:
    code, out, _ = run_cli("contagion --format json")
    rows = json.loads(out)
    unlisted = [r["id"] for r in rows if not r["listed"]]
    assert set(unlisted[:4]) == {"ORG013", "ORG014", "ORG063", "ORG016"}  # the ring and its front
    assert unlisted.index("ORG019") > len(unlisted) // 2  # the honest hub
    # ORG061's listing ran 2019-03-01 .. 2021-03-01: in force in 2020, and its partner ORG056 reported it.
    code, out, _ = run_cli("contagion --as-of 2020-06-01 --format json")
    rows = {r["id"]: r for r in json.loads(out)}
    assert rows["ORG061"]["listed"] and rows["ORG056"]["score"] < 0
    code, out, _ = run_cli("exposure ORG056 --as-of 2020-06-01 --format json")
    tie = json.loads(out)["paths"][0]["ties"][0]
    assert tie["to"] == "ORG061" and tie["sign"] == "distancing" and "incident" in tie["kinds"]


def test_analyze_and_contagion_agree_on_risk(sample, run_cli) -> None:
    """`analyze` stores the same combined risk that `contagion` shows (people included in both)."""
    code, out, err = run_cli("contagion --format json")
    assert code == 0, err
    shown = {r["id"]: r for r in json.loads(out)}
    code, out, err = run_cli("analyze --format json")
    assert code == 0, err
    stored = {r["id"]: r for r in json.loads(out)}
    assert stored.keys() == shown.keys()
    for org, row in shown.items():
        assert stored[org]["risk"] == pytest.approx(row["risk"], abs=1e-6), org
        assert stored[org]["reputation"] == pytest.approx(row["reputation"], abs=1e-6), org
    # The ring's front, half of whose activity is with the listed charity, is the riskiest unlisted party.
    unlisted = sorted((r for r in stored.values() if r["risk"] < 1), key=lambda r: -r["risk"])
    assert unlisted[0]["id"] == "ORG016"


def test_errors_and_usage(tiny, run_cli) -> None:
    code, _, err = run_cli("exposure nobody")
    assert code == 4 and err == "error: no organisation with id or name 'nobody'\n"
    code, _, err = run_cli("contagion --what-if a,nobody")
    assert code == 4 and "'nobody'" in err
    code, _, err = run_cli("contagion --hops 0")
    assert code == 2 and "--hops" in err
    code, _, err = run_cli("exposure a --decay 0")
    assert code == 2 and "--decay" in err
