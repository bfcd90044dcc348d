"""Every command's answer validates against its shipped JSON Schema, on both stores (issue 14).

For each command: ``--format json`` is one document of its kind (``schema`` = ``trustgraph.KIND/N``,
validated with ``jsonschema``, draft 2020-12, every object closed by ``additionalProperties: false``
so that a field added or renamed without its schema fails here); ``--format ndjson`` is the
document's rows, one per line, each with the document's ``schema`` and ``as_of`` and otherwise
valid against ``$defs/row``; ``--format csv`` has the same rows and the same (flattened) fields.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from neo4j_server import neo4j_server  # noqa: F401  (fixture)

from trustgraph.documents import KINDS, SCHEMA_VERSIONS, flat, load_schema, schema_id, sync_schema_files

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
RunCli = Callable[..., tuple[int, str, str]]

#: (kind, command line) for every read command; each runs on the sample in both stores.
READS: list[tuple[str, str]] = [
    ("stats", "stats"),
    ("reputation", "reputation --limit 5"),
    ("reputation", "reputation ORG045 --explain"),
    ("reputation", "reputation --for ORG001 --limit 3"),
    ("contagion", "contagion --limit 5"),
    ("contagion", "contagion --what-if ORG045 --limit 5"),
    ("exposure", "exposure ORG001 --limit 5"),
    ("exposure", "exposure ORG001 --what-if ORG045 --limit 5"),
    ("analyze", "analyze --limit 5"),
    ("chain", "chain ORG001 ORG045 --limit 2"),
    ("vouchers", "vouchers ORG045 --for ORG001"),
    ("accepted", "accepted --pretrusted ORG001,ORG017"),
    ("referrals", "referrals ORG045 --for ORG001"),
    ("referrals", "referrals ORG050"),
    ("assess", "assess ORG045 --for ORG001"),
    ("assess", "assess ORG045 --for ORG001 --all-profiles"),
    ("factors", "factors ORG011 --for ORG001"),
    ("factors", "factors ORG050 --for ORG066"),
    ("health", "health ORG045"),
    ("timeline", "timeline ORG001 ORG045"),
    ("continuity", "continuity --limit 3"),
    ("continuity", "continuity --leaves P001"),
    ("parties", "orgs solr"),
    ("parties", "orgs --country in --not-listed --limit 0"),
    ("parties", "orgs --listed"),
]


def validator(kind: str) -> jsonschema.Draft202012Validator:
    schema = load_schema(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def check_document(kind: str, text: str) -> dict[str, Any]:
    document = json.loads(text)
    validator(kind).validate(document)
    assert document["schema"] == schema_id(kind)
    return document


def check_rows(kind: str, document: dict[str, Any], ndjson: str, csv_text: str) -> None:
    schema = load_schema(kind)
    row_schema = {**schema["$defs"]["row"], "$defs": schema["$defs"]}
    row_validator = jsonschema.Draft202012Validator(row_schema)
    lines = [json.loads(line) for line in ndjson.splitlines()]
    assert len(lines) == len(document["rows"])
    for line, row in zip(lines, document["rows"]):
        assert line.pop("schema") == document["schema"] and line.pop("as_of") == document["as_of"]
        assert line == row
        row_validator.validate(line)
    records = list(csv.DictReader(io.StringIO(csv_text)))
    assert len(records) == len(document["rows"])
    if records:
        expected: dict[str, None] = {"schema": None, "as_of": None}
        for row in document["rows"]:
            expected.update(dict.fromkeys(flat(row)))
        assert list(records[0]) == list(expected)


def _scores(value: Any) -> list[str]:
    """Paths of every ``score`` key: no document has one (reputation, risk, exposure and strength are
    named for what they are)."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "score":
                found.append(key)
            found += _scores(item)
    elif isinstance(value, list):
        for item in value:
            found += _scores(item)
    return found


def _listed_is_boolean(value: Any) -> None:
    if isinstance(value, dict):
        if "listed" in value:
            assert isinstance(value["listed"], bool), value
        for item in value.values():
            _listed_is_boolean(item)
    elif isinstance(value, list):
        for item in value:
            _listed_is_boolean(item)


def run_checked(run_cli: RunCli, base: list[str], kind: str, line: str, input: str | None = None) -> dict[str, Any]:
    code, out, err = run_cli(base + line.split() + ["--format", "json"], input=input)
    assert code == 0, err
    document = check_document(kind, out)
    assert not _scores(document), f"{line}: a 'score' field"
    _listed_is_boolean(document)
    code, nd, err = run_cli(base + line.split() + ["--format", "ndjson"], input=input)
    assert code == 0, err
    code, cs, err = run_cli(base + line.split() + ["--format", "csv"], input=input)
    assert code == 0, err
    check_rows(kind, document, nd, cs)
    return document


# -- the schema files themselves -------------------------------------------------------------------

def test_every_kind_ships_a_valid_self_contained_schema() -> None:
    for kind in KINDS:
        schema = load_schema(kind)
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["properties"]["schema"] == {"const": schema_id(kind)}, kind
        assert schema.get("additionalProperties") is False, kind
        assert "row" in schema["$defs"], kind
        if kind == "problem":  # an error, not an answer: RFC 9457 fields
            continue
        for field in ("schema", "as_of", "store", "parameters", "rows"):
            assert field in schema["required"], (kind, field)
    assert sync_schema_files(check=True) == [], "run: python -m trustgraph.documents"
    assert set(SCHEMA_VERSIONS) == set(KINDS)


def test_schema_command_prints_each_kind(run_cli: RunCli) -> None:
    code, out, _ = run_cli("schema --format json")
    assert code == 0
    assert [row["kind"] for row in json.loads(out)] == list(KINDS)
    code, out, _ = run_cli("schema chain")
    assert code == 0 and json.loads(out) == load_schema("chain")
    code, _, err = run_cli("schema nosuchkind")
    assert code == 4 and "nosuchkind" in err
    code, out, err = run_cli("schema chain --format csv")  # it printed the JSON anyway
    assert code == 2 and out == "" and "printed as JSON" in err


# -- every command, on both stores -----------------------------------------------------------------




@pytest.mark.parametrize(("kind", "line"), READS, ids=[line for _, line in READS])
def test_read_command_answers_validate(sample_args: list[str], run_cli: RunCli, kind: str, line: str) -> None:
    document = run_checked(run_cli, sample_args, kind, line)
    assert document["store"]["backend"] == ("neo4j" if "--neo4j-uri" in sample_args else "sqlite")
    assert document["store"]["version"]
    assert document["as_of"] == "2025-06-29"


def test_batch_referrals_validate(sample_args: list[str], run_cli: RunCli) -> None:
    document = run_checked(run_cli, sample_args, "referrals", "referrals - --for ORG001", input="ORG045\nORG050\n")
    assert [row["id"] for row in document["rows"]] == ["ORG045", "ORG050"]


def test_every_partys_referrals_validate(sample_args: list[str], run_cli: RunCli) -> None:
    """Every party of the sample, with its chains from ORG001: the evidence of each hop, including the
    severe incidents whose weight is below -1 (ORG010's), validates."""
    ids = [f"ORG{n:03d}" for n in range(2, 97)]
    document = run_checked(run_cli, sample_args, "referrals", "referrals - --for ORG001", input="\n".join(ids) + "\n")
    values = [e["value"] for row in document["rows"] for link in (row["chain"] or {}).get("links", [])
              for e in link["evidence"]]
    assert [row["id"] for row in document["rows"]] == ids and min(values, default=0) < -1


def test_named_query_answers_validate(run_cli: RunCli, sample_args: list[str]) -> None:
    if "--neo4j-uri" not in sample_args:  # named queries need Neo4j: a clear refusal, not a document
        code, out, err = run_cli(sample_args + ["query", "listings_in_force", "--format", "json"])
        assert code == 6 and not out and "Neo4j" in err
        return
    document = run_checked(run_cli, sample_args, "query", "query listings_in_force")
    assert document["parameters"]["name"] == "listings_in_force" and document["rows"]


def test_write_command_answers_validate(run_cli: RunCli, tmp_path: Path) -> None:
    store = ["--store", str(tmp_path / "w.db")]
    code, out, err = run_cli(store + ["load", str(SAMPLE), "--format", "json"])
    assert code == 0, err
    load = check_document("load", out)
    assert {r["table"]: r["count"] for r in load["rows"]}["organizations"] == 96
    code, out, err = run_cli(store + ["record", "incident", "--id", "I900", "--reporter", "ORG001", "--subject",
                                      "ORG045", "--kind", "missed_commitment", "--severity", "2", "--date",
                                      "2025-06-01", "--format", "json"])
    assert code == 0, err
    record = check_document("record", out)
    assert record["rows"][0]["severity"] == 2 and record["rows"][0]["partnership"] is None
    out_dir = tmp_path / "exported"
    code, out, err = run_cli(store + ["export", str(out_dir), "--format", "json"])
    assert code == 0, err
    check_document("export", out)
    code, out, err = run_cli(store + ["init", str(tmp_path / "template"), "--format", "json"])
    assert code == 0, err
    assert [r["table"] for r in check_document("init", out)["rows"]][0] == "organizations"
    shutil.rmtree(out_dir)
    code, out, err = run_cli(["--store", str(tmp_path / "otc.db"), "import", "snap-signed",
                              str(ROOT / "data" / "research" / "otc-mini.csv"), "--format", "json"])
    assert code == 0, err
    check_document("import", out)
