"""``trustgraph orgs``: list and search parties (issue 15), on both stores; exact table output on a
small hand-made network."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import write_dataset
from neo4j_server import neo4j_server  # noqa: F401  (fixture)

Run = Callable[..., tuple[int, str, str]]



def orgs(run_cli: Run, args: list[str], *line: str) -> dict[str, Any]:
    code, out, err = run_cli(args + ["orgs", *line, "--format", "json"])
    assert code == 0, err
    document: dict[str, Any] = json.loads(out)
    assert document["schema"] == "trustgraph.parties/1"
    return document


def ids(document: dict[str, Any]) -> list[str]:
    return [r["id"] for r in document["rows"]]


def test_a_typo_finds_anand_solar_first(sample_args: list[str], run_cli: Run) -> None:
    found = orgs(run_cli, sample_args, "anand solr")
    assert ids(found)[:1] == ["ORG045"]
    assert found["rows"][0]["name"] == "Anand Solar Solutions Pvt Ltd" and 75 <= found["rows"][0]["match"] < 100
    # words in another order, other case
    assert ids(orgs(run_cli, sample_args, "SOLAR ANAND"))[:1] == ["ORG045"]


def test_ids_match_in_any_case_and_exactly_first(sample_args: list[str], run_cli: Run) -> None:
    found = orgs(run_cli, sample_args, "org045")
    assert found["rows"][0]["id"] == "ORG045" and found["rows"][0]["match"] == 100
    assert ids(orgs(run_cli, sample_args, "ORG45"))[:1] == ["ORG045"]   # a digit left out


def test_best_match_first_then_by_id(sample_args: list[str], run_cli: Run) -> None:
    found = orgs(run_cli, sample_args, "solar")
    # three names contain "solar": equally good, so in id order
    assert ids(found)[:3] == ["ORG045", "ORG059", "ORG079"]
    matches = [r["match"] for r in found["rows"]]
    assert matches == sorted(matches, reverse=True) and all(m >= 75 for m in matches)
    assert found["total"] == len(found["rows"])


def test_without_a_query_every_party_in_id_order(sample_args: list[str], run_cli: Run) -> None:
    first = orgs(run_cli, sample_args)
    assert first["total"] == 96 and len(first["rows"]) == 20   # --limit 20 by default
    assert ids(first) == [f"ORG{k:03d}" for k in range(1, 21)]
    assert all(r["match"] is None for r in first["rows"])
    every = orgs(run_cli, sample_args, "--limit", "0")
    assert ids(every) == [f"ORG{k:03d}" for k in range(1, 97)]
    assert [r["rank"] for r in every["rows"]] == list(range(1, 97))


def test_filters(sample_args: list[str], run_cli: Run) -> None:
    india = orgs(run_cli, sample_args, "--country", "in", "--limit", "0")   # case-insensitive
    assert ids(india) == ["ORG039", "ORG040", "ORG045", "ORG049", "ORG050", "ORG051"]
    assert {r["country"] for r in india["rows"]} == {"IN"}
    assert india["parameters"] == {"query": None, "country": "in", "sector": None, "region": None,
                                   "listed_filter": None, "limit": 0}
    listed = orgs(run_cli, sample_args, "--listed")
    assert ids(listed) == ["ORG015", "ORG026", "ORG054"]
    assert all(r["listed"] and r["listings"] for r in listed["rows"])
    assert orgs(run_cli, sample_args, "--not-listed", "--limit", "0")["total"] == 93
    solar_in_india = orgs(run_cli, sample_args, "solar", "--country", "IN", "--sector", "Social_Enterprise")
    assert ids(solar_in_india) == ["ORG045"]
    assert ids(orgs(run_cli, sample_args, "--region", "south asia", "--sector", "ngo", "--limit", "0")) == \
        ["ORG039", "ORG040", "ORG047"]
    assert orgs(run_cli, sample_args, "--country", "XX")["rows"] == []


def test_no_match_is_an_empty_answer_not_an_error(sample_args: list[str], run_cli: Run) -> None:
    found = orgs(run_cli, sample_args, "qqqqqqqq")
    assert found["total"] == 0 and found["rows"] == []
    code, out, err = run_cli(sample_args + ["orgs", "qqqqqqqq", "--format", "table"])
    assert code == 0 and out.startswith("0 parties matching 'qqqqqqqq', as of 2025-06-29\n(no rows)")


def test_usage_errors(sample_args: list[str], run_cli: Run) -> None:
    code, out, err = run_cli(sample_args + ["orgs", " "])
    assert code == 2 and "give at least one character" in err
    code, out, err = run_cli(sample_args + ["orgs", "--limit", "-1"])
    assert code == 2


TINY = {
    "organizations": "id,name,sector,country,region\n"
                     "A1,Dakar Logistics SARL,private,SN,West Africa\n"
                     "B2,Brugwerk Foundation,foundation,NL,Western Europe\n"
                     "C3,Dakota Logic Ltd,private,US,North America\n",
    "referrals": "id,source,target,strength,date\nR1,B2,A1,0.5,2023-06-30\n",
    "blacklist": "id,lister,listed,date,until,reason,source\nL1,B2,C3,2023-01-01,2024-01-15,fraud,notice\n",
}


def test_exact_table_and_listings_by_as_of(tmp_path: Path, run_cli: Run) -> None:
    store = ["--store", str(tmp_path / "s.db")]
    assert run_cli(store + ["load", str(write_dataset(tmp_path / "d", TINY))])[0] == 0
    code, out, err = run_cli(store + ["orgs", "dak", "--format", "table"])
    assert (code, err) == (0, "")
    assert out == (
        "2 parties matching 'dak', as of 2023-06-30\n"
        "rank  id  name                  match  country  sector   region         listed\n"
        "----  --  --------------------  -----  -------  -------  -------------  ------\n"
        "1     A1  Dakar Logistics SARL  90     SN       private  West Africa    false\n"
        "2     C3  Dakota Logic Ltd      90     US       private  North America  true\n"
    )
    code, out, err = run_cli(store + ["orgs", "dakar logic", "--format", "table"])
    assert out == (
        "1 party matching 'dakar logic', as of 2023-06-30\n"
        "rank  id  name                  match  country  sector   region       listed\n"
        "----  --  --------------------  -----  -------  -------  -----------  ------\n"
        "1     A1  Dakar Logistics SARL  85.7   SN       private  West Africa  false\n"
    )
    code, out, err = run_cli(store + ["orgs", "--listed", "--format", "table"])
    assert out == (
        "1 party (listed), as of 2023-06-30\n"
        "rank  id  name              country  sector   region         listed\n"
        "----  --  ----------------  -------  -------  -------------  ------\n"
        "1     C3  Dakota Logic Ltd  US       private  North America  true\n"
    )
    # the listing ended on 2024-01-15: not in force after it
    assert ids(orgs(run_cli, store, "--listed", "--as-of", "2024-01-14")) == ["C3"]
    assert ids(orgs(run_cli, store, "--listed", "--as-of", "2024-01-15")) == []
    assert ids(orgs(run_cli, store, "--listed", "--as-of", "today")) == []


def test_a_name_shorter_than_the_query_is_not_found_inside_it() -> None:
    """WRatio's partial match scored the one-letter name "a" 90 for "raph", level with "Raphael" (as
    Advogato's user names are); a search wants names that contain the query."""
    from trustgraph.snapshot import match_scores

    scores = match_scores("raph", ["1", "2", "3"], ["a", "Raphael", "Anand Solar Solutions"])
    assert 1 in scores and 0 not in scores and 2 not in scores
    assert match_scores("anand solr", ["1"], ["Anand Solar Solutions Pvt Ltd"])[0] > 80  # partial still counts
