"""What a long-lived process (``trustgraph serve``, a notebook) keeps between questions gives the same
answers as a fresh one: derived structures kept with the snapshot, columns copied out of the memory
map, prefetched batch lookups, hop evidence kept per party."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

import trustgraph
from trustgraph import snapshot as snapshot_module
from trustgraph.cli.output import to_json
from trustgraph.errors import NotFoundError
from trustgraph.snapshot import Strings

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
RunCli = Callable[..., tuple[int, str, str]]


def test_strings_read_the_same_before_and_after_leaving_the_memory_map(monkeypatch) -> None:
    monkeypatch.setattr(snapshot_module, "PLAIN_AFTER", 5)
    values = ["b", None, "Ä", "", "a\nb", "zz", None, "emoji 🙂"]
    column = Strings.from_values(values)
    first = [column[i] for i in range(len(values))]  # crosses PLAIN_AFTER part-way
    assert column._plain is not None
    assert first == values == [column[i] for i in range(len(values))] == column.tolist()
    assert column.find("zz") == [5] and column.find("nope") == []


def test_a_session_answers_like_fresh_processes(run_cli: RunCli, tmp_path: Path) -> None:
    code, _, err = run_cli(["--store", "s.db", "-q", "load", str(SAMPLE)])
    assert code == 0, err
    tg = trustgraph.connect("s.db")  # run_cli works in tmp_path
    questions = [("chain", ("ORG001", "ORG045"), {"limit": 2}, "chain ORG001 ORG045 --limit 2"),
                 ("chain", ("ORG001", "ORG050"), {}, None),
                 ("vouchers", ("ORG045",), {"for_org": "ORG001"}, "vouchers ORG045 --for ORG001"),
                 ("referrals", ("ORG045",), {"for_org": "ORG001"}, "referrals ORG045 --for ORG001"),
                 ("exposure", ("ORG001",), {"limit": 5}, "exposure ORG001 --limit 5"),
                 ("chain", ("ORG001", "ORG045"), {"limit": 2}, "chain ORG001 ORG045 --limit 2")]
    for _ in range(2):  # the second round answers from what the first kept
        for command, args, kwargs, line in questions:
            if line is None:  # no chain: the same error as the CLI's exit 4
                with pytest.raises(NotFoundError, match="no vouching chain"):
                    getattr(tg, command)(*args, **kwargs)
                continue
            code, out, err = run_cli(["--store", "s.db", *line.split(), "--format", "json"])
            assert code == 0, err
            assert json.loads(to_json(getattr(tg, command)(*args, **kwargs))) == json.loads(out), line
    tg.close()


def test_batch_lookups_equal_one_by_one(run_cli: RunCli) -> None:
    code, _, err = run_cli(["--store", "s.db", "-q", "load", str(SAMPLE)])
    assert code == 0, err
    ids = ["ORG045", "ORG050", "NOPE", "ORG001", "ORG026", "ORG045"]
    code, out, err = run_cli(["--store", "s.db", "referrals", "-", "--for", "ORG001", "--format", "json"],
                             input="\n".join(ids) + "\n")
    assert code == 0, err
    rows = json.loads(out)["rows"]
    assert [r["id"] for r in rows] == ids
    for row in rows:
        if "error" in row:
            assert row["id"] == "NOPE"
            continue
        code, single, _ = run_cli(["--store", "s.db", "referrals", row["id"], "--for", "ORG001", "--format", "json"])
        (expected,) = json.loads(single)["rows"]
        assert {k: v for k, v in row.items() if k != "line"} == expected


def test_the_service_engine_moves_long_lived_objects_out_of_the_collectors_sight(tmp_path: Path) -> None:
    import gc

    from trustgraph.service import FREEZE_EVERY, Engine, ServiceConfig
    from trustgraph.store import SqliteStore

    SqliteStore(tmp_path / "e.db").close()
    engine = Engine(ServiceConfig(store=str(tmp_path / "e.db")))
    gc.unfreeze()
    try:
        for _ in range(FREEZE_EVERY - 1):
            engine.settle()
        assert gc.get_freeze_count() == 0
        engine.settle()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_python_api_takes_the_options_names(run_cli: RunCli) -> None:
    """docs/cli.md: the same names as keyword arguments (what_if, for, leaves); click's own names
    (what_if_ids, for_org) are accepted too, and both at once is an error."""
    import pytest

    assert run_cli(["--store", "s.db", "-q", "load", str(SAMPLE)])[0] == 0
    tg = trustgraph.connect("s.db")
    try:
        by_option = tg.contagion(what_if="ORG045", limit=3)
        assert by_option == tg.contagion(what_if_ids="ORG045", limit=3)
        assert by_option["parameters"]["what_if"] == ["ORG045"]
        assert tg.reputation(**{"for": "ORG001"}, limit=2)["parameters"]["for"] == "ORG001"
        assert tg.continuity(leaves="P001")["parameters"]["leaves"] == "P001"
        with pytest.raises(TypeError, match="twice"):
            tg.reputation(**{"for": "ORG001"}, for_org="ORG002")
        with pytest.raises(TypeError, match=r"has no parameter nope \(parameters: .*\bfor\b"):
            tg.reputation(nope=1)
        with pytest.raises(TypeError, match="needs from"):  # not "Missing parameter: target"
            tg.chain(None, "ORG045")
        with pytest.raises(TypeError, match="takes one id, not a list"):  # was looked up as "ORG001,ORG045"
            tg.referrals(["ORG001", "ORG045"])
    finally:
        tg.close()
