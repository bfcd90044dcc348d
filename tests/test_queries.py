"""The named Cypher queries: headers, the ``query`` command, and every query's rows on the sample.

Each query runs through the CLI against a real Neo4j loaded with data/sample; its rows are compared
with the same question answered independently from the CSV tables (pandas / NetworkX), and with the
planted situations of data/sample/README.md.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from neo4j_server import Server, neo4j_server  # noqa: F401  (fixture)

from trustgraph.errors import ConfigurationError, TrustgraphError
from trustgraph.named_queries import (
    PARAMETER_TYPES,
    SHIPPED_PACKAGE,
    ParameterError,
    get_query,
    list_queries,
    parse_query,
)

RunCli = Callable[..., tuple[int, str, str]]
DAY = "2025-06-30"  # the sample's "today"
RESTORING = {"post_mortem", "mediation", "staff_rotation", "reset"}


# -- headers and parsing (no server needed) --------------------------------------------------------


def test_at_least_ten_packaged_queries_with_documented_typed_parameters() -> None:
    queries = list_queries([])
    assert len(queries) >= 10
    files = sorted(p.name for p in resources.files("trustgraph.queries").iterdir() if p.name.endswith(".cypher"))
    assert [f"{q.name}.cypher" for q in queries] == files
    for q in queries:
        assert len(q.description) > 40, q.name
        assert q.text.startswith("//"), q.name
        for p in q.parameters:
            assert p.type in PARAMETER_TYPES and p.description, (q.name, p.name)


def test_parse_header_types_defaults_and_binding() -> None:
    q = parse_query("demo", "// Demo query.\n// @param org: string  an id\n// @param hops: int = 3  depth\n"
                            "// @param ids: list  some ids\n// @param day: date = null  a day\n"
                            "MATCH (o {id: $org}) WHERE o.x IN $ids AND $hops > 0 AND $day IS NULL RETURN o.id AS id")
    assert [p.signature() for p in q.parameters] == ["org: string", "hops: int = 3", "ids: list[string]",
                                                     "day: date = null"]
    assert q.bind({"org": "A", "ids": "x, y"}) == {"org": "A", "hops": 3, "ids": ["x", "y"], "day": None}
    assert q.bind({"org": "A", "ids": '["x"]', "hops": "5", "day": "2024-02-29"})["hops"] == 5
    with pytest.raises(ParameterError, match="needs ids: list"):
        q.bind({"org": "A"})
    with pytest.raises(ParameterError, match="has no parameter nope"):
        q.bind({"org": "A", "ids": "x", "nope": "1"})
    with pytest.raises(ParameterError, match="not an integer"):
        q.bind({"org": "A", "ids": "x", "hops": "three"})
    with pytest.raises(ParameterError, match="ISO date"):
        q.bind({"org": "A", "ids": "x", "day": "30/06/2025"})


@pytest.mark.parametrize("text, message", [
    ("MATCH (n) RETURN n", "no description"),
    ("// Undeclared.\nMATCH (n {id: $id}) RETURN n", r"undeclared \$id"),
    ("// Unused.\n// @param id: string  x\nMATCH (n) RETURN n", "unused parameter"),
    ("// Bad type.\n// @param id: uuid  x\nMATCH (n {id: $id}) RETURN n", "unknown type 'uuid'"),
    ("// Bad line.\n// @param id\nMATCH (n {id: $id}) RETURN n", "expected '// @param"),
    ("// Only a header.\n", "no Cypher statement"),
])
def test_malformed_headers_are_configuration_errors(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        parse_query("bad", text, "bad.cypher")


def test_a_parameter_may_declare_a_range() -> None:
    q = parse_query("q", "// Near.\n// @param hops: int in 1..5 = 2  depth\n// @param w: float in -1..1 = null  x\n"
                         "MATCH (o) WHERE o.w > $w RETURN o LIMIT $hops")
    hops, w = q.parameters
    assert (hops.low, hops.high, w.low, w.high) == (1, 5, -1, 1)
    assert hops.signature() == "hops: int in 1..5 = 2" and q.bind({})["hops"] == 2 and q.bind({})["w"] is None
    assert q.bind({"hops": "5", "w": "-1"}) == {"hops": 5, "w": -1.0}
    with pytest.raises(ParameterError, match="hops: 6 is outside 1..5"):
        q.bind({"hops": "6"})
    with pytest.raises(ConfigurationError, match="the default of hops is outside 1..5"):
        parse_query("q", "// Near.\n// @param hops: int in 1..5 = 9  depth\nMATCH (o) RETURN o LIMIT $hops")
    for bad in ("string in 1..5", "int in 5..1"):
        with pytest.raises(ConfigurationError, match="a range 'in LOW..HIGH' is for int and float"):
            parse_query("q", f"// Near.\n// @param hops: {bad}  depth\nMATCH (o) RETURN o LIMIT $hops")


def test_int_parameters_are_64_bit() -> None:
    q = parse_query("q", "// Limit.\n// @param n: int  how many\n// @param xs: list[int] = []  ids\n"
                         "MATCH (o) WHERE o.n IN $xs RETURN o LIMIT $n")
    assert q.bind({"n": str(2**63 - 1)})["n"] == 2**63 - 1
    for given in ({"n": str(2**63)}, {"n": "1", "xs": f"[1, {2**64}]"}, {"n": "1", "xs": f"1,{-(2**63) - 1}"}):
        with pytest.raises(ParameterError, match="64-bit"):
            q.bind(given)
    with pytest.raises(ConfigurationError, match="the default of n is not an integer"):
        parse_query("q", f"// Limit.\n// @param n: int = {2**64}  how many\nMATCH (o) RETURN o LIMIT $n")
    with pytest.raises(ConfigurationError, match="the default of x is not a number"):
        parse_query("q", "// Limit.\n// @param x: float = NaN  how much\nMATCH (o) WHERE o.x > $x RETURN o")


@pytest.mark.parametrize("statement, message", [
    ('LOAD CSV FROM "file:///etc/passwd" AS line RETURN line', "LOAD CSV is not allowed"),
    ("load csv with headers from 'https://example.org/x.csv' AS r RETURN r", "LOAD CSV is not allowed"),
    ("MATCH (o:Organization) SET o.name = 'x' RETURN o", "SET is not allowed"),
    ("MATCH (o:Organization) DETACH DELETE o", "DETACH is not allowed"),
    ("MERGE (o:Organization {id: 'X'}) RETURN o", "MERGE is not allowed"),
    ("MATCH (o) REMOVE o.name RETURN o", "REMOVE is not allowed"),
    ("MATCH (o) FOREACH (x IN [1] | CREATE (:X)) RETURN o", "FOREACH is not allowed"),
    ("MATCH (o) CALL (o) { CREATE (:X) } RETURN o", "CREATE is not allowed"),
    ("MATCH (o) CALL { MATCH (p) RETURN p } IN TRANSACTIONS RETURN o", "IN TRANSACTIONS is not allowed"),
    ("CALL apoc.load.json('file:///etc/passwd') YIELD value RETURN value", "CALL apoc.load.json is not allowed"),
    ("CALL apoc.export.csv.all('out.csv', {}) YIELD file RETURN file", "CALL apoc.export.csv.all is not allowed"),
    ("CALL dbms.listConfig() YIELD name RETURN name", "CALL dbms.listConfig is not allowed"),
    ("CALL db.createLabel('X')", "CALL db.createLabel is not allowed"),
    ("call apoc.cypher.runFirstColumnMany('MATCH (n) DETACH DELETE n', {})", "apoc.cypher.runFirstColumnMany"),
    ("RETURN apoc.export.json.all('x.json', {}) AS x", "function apoc.export.json.all() is not allowed"),
    ("MATCH (o) RETURN o; MATCH (p) DETACH DELETE p", "several statements"),
    ("SHOW USERS", "SHOW is not allowed"),
    ("USE system MATCH (n) RETURN n", "USE is not allowed"),
])
def test_queries_that_do_more_than_read_are_refused_when_read(statement: str, message: str, tmp_path: Path) -> None:
    message = message.replace(" is not allowed", "") if message.startswith("CALL") else message
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")) as caught:
        parse_query("bad", f"// Reads, it says.\n{statement}\n", "bad.cypher")
    assert "bad.cypher:2:" in str(caught.value) and "may only read the graph" in str(caught.value)


@pytest.mark.parametrize("statement", [
    "MATCH (o:Organization {set: 1}) RETURN o.set AS set, o.delete AS `delete`, o.start AS start",
    "MATCH (o:CREATE) WHERE o.name = 'LOAD CSV; DELETE' RETURN o // SET in a comment",
    "MATCH (o) CALL { WITH o MATCH (o)-[:REFERS]->(p) RETURN count(p) AS n } RETURN o.id, n",
    "MATCH (o) RETURN date.truncate('month', date(o.since)) AS month, toLower(o.name) AS name",
    "CALL db.labels() YIELD label RETURN label",
    "MATCH (o) RETURN o;",
])
def test_read_only_queries_pass_the_check(statement: str) -> None:
    parse_query("good", f"// Reads.\n{statement}\n", "good.cypher")


def test_a_user_query_that_loads_a_server_file_is_refused_before_the_server(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "peek.cypher").write_text('// Peek.\nLOAD CSV FROM "file:///etc/passwd" AS l RETURN l\n', encoding="utf-8")
    code, out, err = run_cli(["query", "--queries", str(folder), "peek"])
    assert code == 6 and out == ""
    assert "peek.cypher:2: LOAD CSV is not allowed" in err


def test_list_command_works_without_neo4j(run_cli: RunCli) -> None:
    code, out, err = run_cli("query --list --format json")
    assert code == 0, err
    listed = json.loads(out)
    names = [q["id"] for q in listed]
    assert names == [q.name for q in list_queries([])]
    partners = next(q for q in listed if q["id"] == "partners")
    assert partners["name"] == "partners"
    assert partners["parameters"][0] == {"name": "org", "type": "string", "required": True, "default": None,
                                         "description": "organisation id"}
    code, out, _ = run_cli("query --list --format csv")
    assert out.splitlines()[0] == "id,parameters,description" and code == 0


def test_show_prints_the_cypher(run_cli: RunCli) -> None:
    code, out, _ = run_cli("query partners --show")
    assert code == 0 and out == get_query("partners", []).text.rstrip("\n") + "\n"


# -- where the queries live: the top-level queries/ folder, the wheel, the user's folders ------------

ROOT = Path(__file__).resolve().parents[1]


def test_shipped_queries_come_from_the_top_level_folder() -> None:
    folder = resources.files(SHIPPED_PACKAGE)
    assert Path(str(folder)).resolve() == ROOT / "queries"  # the editable install maps the package there
    assert not (ROOT / "trustgraph" / "queries").exists()
    queries = list_queries([])
    assert [f"{q.name}.cypher" for q in queries] == sorted(p.name for p in (ROOT / "queries").glob("*.cypher"))
    assert all(q.shipped and not q.overrides and q.source == f"queries/{q.name}.cypher" for q in queries)


def test_pyproject_ships_the_queries_folder_and_every_package() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["package-dir"] == {SHIPPED_PACKAGE: "queries"}
    assert setuptools["package-data"][SHIPPED_PACKAGE] == ["*.cypher"]
    # the packages are listed, not found (package-dir needs it): a new subpackage must be added there
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "trustgraph").rglob("__init__.py")}
    assert sorted(setuptools["packages"]) == sorted(found | {SHIPPED_PACKAGE})


@pytest.mark.slow
def test_the_wheel_ships_the_queries(tmp_path: Path) -> None:
    # Build with the declared build requirements (pip fetches setuptools), then install the wheel as an
    # installer does (unpacked on the import path) and list the queries from there, not from the checkout.
    source = tmp_path / "source"  # a copy, so the build leaves no build/ folder in the checkout
    for part in ("trustgraph", "queries"):
        shutil.copytree(ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__"))
    for part in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / part, source / part)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True, timeout=300)
    if build.returncode and re.search(r"No matching distribution|Could not find a version|NewConnectionError|"
                                      r"Temporary failure in name resolution", build.stdout + build.stderr):
        pytest.skip("the package index cannot be reached to fetch the build requirements")
    assert build.returncode == 0, build.stderr
    (wheel,) = (tmp_path / "dist").glob("trustgraph-*.whl")
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(site)
    shipped = sorted(p.name for p in (ROOT / "queries").glob("*.cypher"))
    assert sorted(n.rsplit("/", 1)[1] for n in names if n.endswith(".cypher")) == shipped
    assert all(n.startswith("trustgraph/") for n in names if not n.startswith("trustgraph-"))
    code = ("import json, trustgraph, trustgraph.queries; from trustgraph.named_queries import list_queries; "
            "print(json.dumps([trustgraph.__file__, trustgraph.queries.__file__, [q.name for q in list_queries([])]]))")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         env={**os.environ, "PYTHONPATH": str(site)})
    assert run.returncode == 0, run.stderr
    package, data_package, names_listed = json.loads(run.stdout)
    assert package.startswith(str(site)) and data_package.startswith(str(site))
    assert [f"{n}.cypher" for n in names_listed] == shipped


def _user_query(folder: Path, name: str, note: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.cypher").write_text(
        f"// {note}.\n// @param org: string  organisation id\nMATCH (o:Organization {{id: $org}}) RETURN o.id AS id\n",
        encoding="utf-8")


def test_a_user_folder_adds_queries_and_replaces_a_shipped_one_with_a_note(run_cli: RunCli, tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    _user_query(mine, "sector_ranking", "Mine")
    _user_query(mine, "partners", "My partners")
    code, out, err = run_cli(["query", "--list", "--queries", str(mine), "--format", "json"])
    assert code == 0
    assert err == f"note: {mine / 'partners.cypher'} replaces the shipped query partners (queries/partners.cypher)\n"
    listed = {q["id"]: q for q in json.loads(out)}
    assert set(listed) == {q.name for q in list_queries([])} | {"sector_ranking"}
    assert (listed["partners"]["shipped"], listed["partners"]["overrides"]) == (False, "queries/partners.cypher")
    assert (listed["sector_ranking"]["shipped"], listed["sector_ranking"]["overrides"]) == (False, None)
    assert (listed["top_referrers"]["shipped"], listed["top_referrers"]["source"]) == (True, "queries/top_referrers.cypher")
    code, out, err = run_cli(["--quiet", "query", "partners", "--show", "--queries", str(mine)])
    assert (code, err) == (0, "") and out.startswith("// My partners.")


def test_user_folders_come_from_the_environment_and_the_old_option(run_cli: RunCli, tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    _user_query(one, "first_one", "One")
    _user_query(two, "second_one", "Two")
    monkeypatch.setenv("TRUSTGRAPH_QUERIES", f"{one}{os.pathsep}{two}")
    code, out, _ = run_cli("query --list --format json")
    assert code == 0 and {"first_one", "second_one"} <= {q["id"] for q in json.loads(out)}
    code, out, _ = run_cli(["query", "--list", "--format", "json", "--queries", str(one)])  # the flag wins
    assert code == 0 and "second_one" not in {q["id"] for q in json.loads(out)}
    monkeypatch.delenv("TRUSTGRAPH_QUERIES")
    code, out, _ = run_cli(["query", "--queries-dir", str(two), "second_one", "--show"])  # hidden alias
    assert code == 0 and out.startswith("// Two.")
    assert "--queries-dir" not in run_cli("query --help")[1]


def test_the_same_name_in_two_user_folders_is_refused(run_cli: RunCli, tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    _user_query(one, "mine", "One")
    _user_query(two, "mine", "Two")
    code, out, err = run_cli(["query", "--list", "--queries", str(one), "--queries", str(two)])
    assert (code, out) == (6, "")
    assert err == f"error: query mine is in two query folders ({one / 'mine.cypher'} and {two / 'mine.cypher'}); rename one\n"
    assert run_cli(["query", "--list", "--queries", str(one), "--queries", str(one)])[0] == 0  # one folder twice


def test_user_queries_get_the_same_header_and_read_only_checks(run_cli: RunCli, tmp_path: Path) -> None:
    folder = tmp_path / "q"
    folder.mkdir()
    (folder / "undeclared.cypher").write_text("// Uses an undeclared parameter.\nMATCH (o {id: $org}) RETURN o\n",
                                              encoding="utf-8")
    code, _, err = run_cli(["query", "--list", "--queries", str(folder)])
    assert code == 6 and "undeclared.cypher: the statement uses undeclared $org" in err
    (folder / "undeclared.cypher").unlink()
    (folder / "partners.cypher").write_text("// Replaces partners with a write.\nMATCH (o) SET o.x = 1 RETURN o\n",
                                            encoding="utf-8")
    code, _, err = run_cli(["query", "partners", "--queries", str(folder), "-p", "org=ORG001"])
    assert code == 6 and "partners.cypher:2: SET is not allowed" in err
    code, _, err = run_cli(["query", "--list", "--queries", str(tmp_path / "missing")])
    assert code == 6 and "query directory" in err and "does not exist" in err


def test_missing_parameter_is_a_usage_error(run_cli: RunCli) -> None:
    code, out, err = run_cli("query partners")
    assert code == 2 and out == ""
    assert "query partners needs org: string (organisation id); give -p org=VALUE" in err


@pytest.mark.parametrize("args, message", [
    ("query partners -p org=ORG001 -p nope=1", "has no parameter nope"),
    ("query referral_paths -p source=A -p target=B -p max_hops=many", "'many' is not an integer"),
    ("query partners -p org", "is not KEY=VALUE"),
    ("query top_referrers -p limit=99999999999999999999", "outside the 64-bit integer range"),
    ("query top_referrers -p limit=-9223372036854775809", "outside the 64-bit integer range"),
    ("query top_referrers -p limit=" + "9" * 5000, "is not an integer"),
    # declared ranges are checked before the server: -1 reached it (exit 1), 9 hops were capped at 5
    ("query top_referrers -p limit=-1", "parameter limit: -1 is outside 1..1000"),
    ("query referral_paths -p source=A -p target=B -p max_hops=9", "parameter max_hops: 9 is outside 1..5"),
    ("query near_blacklisted -p max_hops=0", "parameter max_hops: 0 is outside 1..5"),
    ("query unresolved_incidents -p min_severity=6", "parameter min_severity: 6 is outside 1..5"),
    ("query referrals_received -p org=A -p min_strength=1.5", "parameter min_strength: 1.5 is outside -1..1"),
])
def test_bad_parameters_are_usage_errors(run_cli: RunCli, args: str, message: str) -> None:
    code, _, err = run_cli(args)
    assert code == 2 and message in err


def test_unknown_query_is_not_found(run_cli: RunCli) -> None:
    code, _, err = run_cli("query no_such_query")
    assert code == 4 and "no named query 'no_such_query'" in err


def test_sqlite_store_says_queries_need_neo4j(run_cli: RunCli, tmp_path: Path) -> None:
    code, out, err = run_cli(["--store", str(tmp_path / "x.db"), "query", "partners", "-p", "org=ORG001"])
    assert code == 6 and out == ""
    assert err.startswith("error: named Cypher queries need Neo4j")


# -- every query on the sample in Neo4j ------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(neo4j_server: Server, sample_tables: dict[str, pd.DataFrame]) -> Server:  # noqa: F811
    store = neo4j_server.store()
    store.clear()
    store.load(sample_tables)
    store.close()
    return neo4j_server


def run_query(run_cli: RunCli, server: Server, name: str, *extra: str, **params: Any) -> list[dict[str, Any]]:
    args = [*server.cli_args(), *extra, "query", name, "--format", "json"]
    for key, value in params.items():
        args += ["-p", f"{key}={value}"]
    code, out, err = run_cli(args)
    assert code == 0, err
    document = json.loads(out)
    assert document["schema"] == "trustgraph.query/1" and document["parameters"]["name"] == name
    return list(document["rows"])


def check_partners(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "partners", org="ORG019")
    members, ps = t["partnership_members"], t["partnerships"].set_index("id")
    mine = set(members.loc[members["organization"] == "ORG019", "partnership"])
    expected: dict[str, list[str]] = {}
    for p, o in zip(members["partnership"], members["organization"]):
        if p in mine and o != "ORG019":
            expected.setdefault(o, []).append(p)
    want = []
    for org, plist in expected.items():
        plist = sorted(sorted(plist), key=lambda p: ps.loc[p, "start"], reverse=True)
        want.append({"id": org, "name": t["organizations"].set_index("id").loc[org, "name"], "shared": len(plist),
                     "active": sum(ps.loc[p, "status"] == "active" for p in plist), "partnerships": plist})
    want.sort(key=lambda r: (-r["shared"], r["id"]))
    assert rows == want
    # the honest hub's one partnership with the listed ORG054 (planted situation 6)
    assert {"id": "ORG054", "partnerships": ["PS010"]}.items() <= next(r for r in rows if r["id"] == "ORG054").items()
    only_active = run_query(run_cli, server, "partners", org="ORG019", status="active")
    assert {r["id"] for r in only_active} == {r["id"] for r in rows if r["active"]}


def check_referral_paths(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "referral_paths", source="ORG001", target="ORG045", max_hops=3, limit=50)
    refs = t["referrals"]
    G = nx.DiGraph()
    for s, d, w in zip(refs["source"], refs["target"], refs["strength"]):
        if w > 0 and w > G.get_edge_data(s, d, {"w": 0})["w"]:
            G.add_edge(s, d, w=w)
    want = []
    for path in nx.all_simple_paths(G, "ORG001", "ORG045", cutoff=3):
        strength = 1.0
        for a, b in zip(path, path[1:]):
            strength *= G[a][b]["w"]
        want.append((path, round(strength, 4)))
    assert sorted((r["path"], r["strength"]) for r in rows) == sorted(want)
    assert [r["strength"] for r in rows] == sorted((r["strength"] for r in rows), reverse=True)
    for r in rows:
        assert r["id"] == r["path"][-2] and r["hops"] == len(r["path"]) - 1
    # planted situation 3: three node-disjoint chains reach ORG045
    paths = [r["path"] for r in rows]
    for chain in (["ORG001", "ORG017", "ORG045"], ["ORG001", "ORG028", "ORG049", "ORG045"],
                  ["ORG001", "ORG075", "ORG045"]):
        assert chain in paths
    assert run_query(run_cli, server, "referral_paths", source="ORG001", target="ORG050", max_hops=5) == []
    short = run_query(run_cli, server, "referral_paths", source="ORG001", target="ORG045", max_hops=2, limit=1)
    assert short == [rows[0]] and rows[0]["hops"] == 2


def _listed_on(t: dict[str, pd.DataFrame], day: str) -> set[str]:
    bl = t["blacklist"]
    return {o for o, d, u in zip(bl["listed"], bl["date"], bl["until"]) if d <= day and (u is None or u > day)}


def check_near_blacklisted(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "near_blacklisted", max_hops=2, as_of=DAY)
    members = t["partnership_members"]
    B = nx.Graph()
    B.add_edges_from(zip(members["organization"], "p:" + members["partnership"]))
    orgs = set(t["organizations"]["id"])
    want = set()
    for listed in _listed_on(t, DAY):
        if listed not in B:
            continue
        for o, length in nx.single_source_shortest_path_length(B, listed, cutoff=4).items():
            if o in orgs and o != listed:
                want.add((o, listed, length // 2))
    assert {(r["id"], r["listed_party"], r["hops"]) for r in rows} == want
    for r in rows:
        path = r["path"]
        assert path[0] == r["id"] and path[-1] == r["listed_party"] and len(path) == 2 * r["hops"] + 1
        assert all(B.has_edge(a, "p:" + b) for a, b in zip(path[::2], path[1::2]))
    # planted situation 1: ORG021 is exposed to the listed ORG026 through ORG025, two hops away
    mine = [r for r in rows if r["id"] == "ORG021"]
    assert ("ORG026", 2) in {(r["listed_party"], r["hops"]) for r in mine}
    assert all(r["hops"] == 2 for r in mine)
    assert "ORG061" not in {r["listed_party"] for r in rows}  # its listing expired in 2021
    one = run_query(run_cli, server, "near_blacklisted", max_hops=1, as_of=DAY)
    assert {(r["id"], r["listed_party"]) for r in one} == {(o, listed) for o, listed, h in want if h == 1}


def check_incidents_between(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "incidents_between", a="ORG043", b="ORG044")
    # planted situation 4: the incident, its post-mortem and written reset
    assert [(r["id"], r["reporter"], r["subject"], r["kind"], r["severity"], r["partnership"], r["action_kinds"])
            for r in rows] == [("I001", "ORG044", "ORG043", "quality_failure", 3, "PS017", ["post_mortem", "reset"])]
    acts = t["incident_actions"]
    want = acts[acts["incident"] == "I001"].sort_values("date")
    assert rows[0]["actions"] == [{"id": i, "kind": k, "date": d, "note": n}
                                  for i, k, d, n in zip(want["id"], want["kind"], want["date"], want["note"])]
    assert run_query(run_cli, server, "incidents_between", a="ORG044", b="ORG043") == rows
    inc = t["incidents"]
    pair = inc[((inc["reporter"] == "ORG023") & (inc["subject"] == "ORG026"))
               | ((inc["reporter"] == "ORG026") & (inc["subject"] == "ORG023"))]
    got = run_query(run_cli, server, "incidents_between", a="ORG026", b="ORG023")
    assert [r["id"] for r in got] == sorted(pair["id"], key=lambda i: (pair.set_index("id").loc[i, "date"], i))


def check_single_holder_partnerships(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "single_holder_partnerships")
    ps, people = t["partnerships"], t["people"]
    active = set(ps.loc[ps["status"] == "active", "id"])
    in_post = people[people["until"].isna()].set_index("id")["organization"]
    holders: dict[tuple[str, str], list[str]] = {}
    for person, p in zip(t["relationship_holders"]["person"], t["relationship_holders"]["partnership"]):
        if person in in_post.index:
            holders.setdefault((p, in_post[person]), []).append(person)
    members = t["partnership_members"]
    want = sorted((p, o, holders[(p, o)][0]) for p, o in zip(members["partnership"], members["organization"])
                  if p in active and len(holders.get((p, o), [])) == 1)
    assert [(r["id"], r["organization"], r["person"]) for r in rows] == want
    # planted situation 2: PS020 hangs on Kwame Boateng at ORG087
    assert {"id": "PS020", "organization": "ORG087", "person": "P105", "person_name": "Kwame Boateng"}.items() <= \
        next(r for r in rows if r["id"] == "PS020" and r["organization"] == "ORG087").items()
    assert [(r["id"], r["person"]) for r in run_query(run_cli, server, "single_holder_partnerships", org="ORG087")] \
        == [(p, h) for p, o, h in want if o == "ORG087"]


def check_top_referrers(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "top_referrers", limit=5)
    refs = t["referrals"].assign(strength=lambda f: f["strength"].astype(float))
    g = refs.groupby("source")["strength"]
    stats = pd.DataFrame({"vouches": g.apply(lambda s: int((s > 0).sum())),
                          "warnings": g.apply(lambda s: int((s < 0).sum())),
                          "referrals": g.size(), "mean": g.mean()}).reset_index()
    stats = stats.sort_values(["vouches", "referrals", "source"], ascending=[False, False, True]).head(5)
    assert [(r["id"], r["vouches"], r["warnings"], r["referrals"]) for r in rows] == \
        list(zip(stats["source"], stats["vouches"], stats["warnings"], stats["referrals"]))
    assert [r["mean_strength"] for r in rows] == pytest.approx(list(stats["mean"]), abs=1e-4)
    assert rows[0]["id"] == "ORG001"  # the assessor vouches for ten parties


def check_active_partnerships(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    members = t["partnership_members"]
    for day in ("2020-01-01", DAY):
        rows = run_query(run_cli, server, "active_partnerships", date=day)
        ps = t["partnerships"]
        want = sorted(i for i, s, e in zip(ps["id"], ps["start"], ps["end"])
                      if s is not None and s <= day and (e is None or e >= day))
        assert [r["id"] for r in rows] == want
        for r in rows:
            assert r["members"] == sorted(members.loc[members["partnership"] == r["id"], "organization"])
    assert "PS020" in [r["id"] for r in run_query(run_cli, server, "active_partnerships", date="2021-04-01")]
    assert "PS020" not in [r["id"] for r in run_query(run_cli, server, "active_partnerships", date="2021-03-31")]


def check_unresolved_incidents(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "unresolved_incidents")
    inc, acts = t["incidents"], t["incident_actions"]
    repaired = set(acts.loc[acts["kind"].isin(RESTORING), "incident"])
    want = inc[~inc["id"].isin(repaired)].sort_values(["date", "id"])
    assert [r["id"] for r in rows] == list(want["id"])
    # the four incidents with no follow-up at all (data/sample/README.md)
    no_action = {r["id"] for r in rows if r["actions"] == []}
    assert no_action == {"I007", "I008", "I011", "I021"}
    for r in rows:
        assert sorted(r["actions"]) == sorted(acts.loc[acts["incident"] == r["id"], "kind"])
        assert not RESTORING & set(r["actions"])
    severe = run_query(run_cli, server, "unresolved_incidents", min_severity=4)
    assert [r["id"] for r in severe] == [r["id"] for r in rows if r["severity"] >= 4]


def check_listings_in_force(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "listings_in_force", as_of=DAY)
    assert [(r["id"], r["listing"], r["lister"]) for r in rows] == [
        ("ORG015", "B003", "ORG005"), ("ORG026", "B001", "ORG027"), ("ORG026", "B002", "ORG022"),
        ("ORG054", "B004", "ORG027"),
    ]
    assert rows[0]["reason"].startswith("Misuse of charitable appeal funds") and rows[0]["until"] is None
    past = run_query(run_cli, server, "listings_in_force", as_of="2020-01-01")
    assert [(r["id"], r["listing"], r["until"]) for r in past] == [("ORG061", "B005", "2021-03-01")]


def check_people_who_know(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "people_who_know", org="ORG001")
    people = t["people"].set_index("id")
    contacts = {p for p, o, u in zip(people.index, people["organization"], people["until"]) if o == "ORG001" and u is None}
    want = []
    for a, b, kind in zip(t["personal_ties"]["a"], t["personal_ties"]["b"], t["personal_ties"]["kind"]):
        for contact, other in ((a, b), (b, a)):
            if contact in contacts and people.loc[other, "organization"] != "ORG001":
                want.append((people.loc[other, "organization"], other, contact, kind))
    assert [(r["organization"], r["id"], r["contact"], r["tie"]) for r in rows] == sorted(want)
    assert run_query(run_cli, server, "people_who_know", org="ORG066") == []  # planted situation 7


def check_referrals_received(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "referrals_received", org="ORG019")
    refs = t["referrals"]
    mine = refs[refs["target"] == "ORG019"].sort_values(["date", "id"], ascending=[False, True])
    assert [(r["id"], r["referral"], r["strength"]) for r in rows] == \
        list(zip(mine["source"], mine["id"], mine["strength"]))
    # planted situation 6: strong referrals from six established parties
    assert {"ORG027", "ORG017", "ORG075", "ORG039", "ORG052", "ORG028"} <= {r["id"] for r in rows}
    warnings = run_query(run_cli, server, "referrals_received", org="ORG050")
    assert [(r["id"], r["strength"]) for r in warnings] == [("ORG042", -0.6)]  # planted situation 3
    assert run_query(run_cli, server, "referrals_received", org="ORG050", min_strength=0.01) == []


def check_partnership_members(run_cli: RunCli, server: Server, t: dict[str, pd.DataFrame]) -> None:
    rows = run_query(run_cli, server, "partnership_members", partnership="PS020")
    assert [(r["id"], r["role"], r["holders"], r["holder_names"]) for r in rows] == [
        ("ORG087", "funder", ["P105"], ["Kwame Boateng"]),
        ("ORG095", "implementer", ["P116"], ["Efua Asante"]),
    ]


CHECKS: dict[str, Callable[[RunCli, Server, dict[str, pd.DataFrame]], None]] = {
    "partners": check_partners,
    "referral_paths": check_referral_paths,
    "near_blacklisted": check_near_blacklisted,
    "incidents_between": check_incidents_between,
    "single_holder_partnerships": check_single_holder_partnerships,
    "top_referrers": check_top_referrers,
    "active_partnerships": check_active_partnerships,
    "unresolved_incidents": check_unresolved_incidents,
    "listings_in_force": check_listings_in_force,
    "people_who_know": check_people_who_know,
    "referrals_received": check_referrals_received,
    "partnership_members": check_partnership_members,
}


def test_every_packaged_query_is_checked() -> None:
    assert set(CHECKS) == {q.name for q in list_queries([])}


@pytest.mark.neo4j
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_query_rows_on_the_sample(name: str, run_cli: RunCli, loaded: Server, sample_tables) -> None:
    CHECKS[name](run_cli, loaded, sample_tables)


@pytest.mark.neo4j
@pytest.mark.parametrize("fmt", ["table", "csv", "ndjson"])
def test_query_prints_every_format(run_cli: RunCli, loaded: Server, fmt: str) -> None:
    code, out, err = run_cli([*loaded.cli_args(), "query", "partnership_members", "-p", "partnership=PS020",
                              "--format", fmt])
    assert code == 0, err
    if fmt == "csv":
        assert out.splitlines() == [
            "schema,as_of,id,name,role,holders,holder_names",
            "trustgraph.query/1,,ORG087,Gold Coast Development Foundation,funder,P105,Kwame Boateng",
            "trustgraph.query/1,,ORG095,Kumasi Clean Energy Cooperative,implementer,P116,Efua Asante"]
    elif fmt == "ndjson":
        assert [json.loads(line)["id"] for line in out.splitlines()] == ["ORG087", "ORG095"]
    else:
        assert out.splitlines()[0].split() == ["id", "name", "role", "holders", "holder_names"]


@pytest.mark.neo4j
def test_a_query_that_writes_is_refused(run_cli: RunCli, loaded: Server, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "queries"
    folder.mkdir()
    (folder / "sneaky_write.cypher").write_text(
        "// Pretends to read but creates an organisation.\n// @param id: string  the new id\n"
        "CREATE (o:Organization {id: $id, name: 'sneaky'}) RETURN o.id AS id\n", encoding="utf-8")
    code, out, err = run_cli([*loaded.cli_args(), "query", "--queries", str(folder), "sneaky_write",
                              "-p", "id=SNEAKY"])
    # refused when the file is read, before anything reaches the server
    assert code == 6 and out == ""
    assert "sneaky_write.cypher:3: CREATE is not allowed" in err and err.count("\n") == 1
    monkeypatch.setenv("TRUSTGRAPH_QUERIES", str(folder))  # the environment variable works the same way
    assert run_cli([*loaded.cli_args(), "query", "sneaky_write", "-p", "id=SNEAKY"])[0] == 6
    store = loaded.store()
    try:
        # the second line: queries run in read transactions, so the server refuses a write anyway
        with pytest.raises(TrustgraphError, match="refused the query because it writes"):
            store.run_read("CREATE (o:Organization {id: $id, name: 'sneaky'}) RETURN o.id AS id", {"id": "SNEAKY"})
        assert "SNEAKY" not in store.ids(["organizations"])["organizations"]
    finally:
        store.close()


@pytest.mark.neo4j
def test_an_extra_directory_overrides_and_adds(run_cli: RunCli, loaded: Server, tmp_path: Path) -> None:
    (tmp_path / "partners.cypher").write_text(
        "// My partners, overridden.\n// @param org: string  organisation id\n"
        "MATCH (o:Organization {id: $org}) RETURN o.id AS id, 'overridden' AS note\n", encoding="utf-8")
    code, out, err = run_cli([*loaded.cli_args(), "query", "partners", "--queries", str(tmp_path),
                              "-p", "org=ORG001", "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["rows"] == [{"id": "ORG001", "note": "overridden"}]
