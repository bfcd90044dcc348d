"""``trustgraph serve`` over real HTTP, on both stores (issue 14; docs/service.md).

Each backend gets a real server process (``python -m trustgraph ... serve``) on a free loopback port,
over the sample. The service answers the same documents as the CLI (compared field for field with
``--format json`` run in another process), each valid against its shipped schema; every bad request
gets a 4xx problem document (RFC 9457) and the server keeps serving; a newer store version is picked
up without a restart; a non-loopback bind without a token is refused; the token never reaches a log.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
from neo4j_server import free_port, neo4j_server  # noqa: F401  (fixture)

from trustgraph.documents import load_schema
from trustgraph.service import ROUTES

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
BACKENDS = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]
TOKEN = "s3cret-token-for-tests-0123456789"


def cli(args: list[str], *, input: str | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trustgraph", *args], capture_output=True, text=True, input=input,
                          cwd=ROOT, env=env, timeout=300)


class Served:
    """A running ``trustgraph serve`` process and a client for it."""

    def __init__(self, store_args: list[str], *extra: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.store_args = store_args
        self.log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"tg-serve-{self.port}.log"
        self.log = self.log_path.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "trustgraph", *store_args, "serve", "--port",
                                      str(self.port), *extra], cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=env, start_new_session=True)
        self.http = httpx.Client(base_url=self.base, timeout=60)
        deadline = time.monotonic() + 90
        while True:
            try:
                if self.http.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise AssertionError(f"server did not start: {self.log_path.read_text()}")
            time.sleep(0.1)

    def get(self, url: str, **kw: Any) -> httpx.Response:
        return self.http.get(url, **kw)

    def close(self) -> str:
        self.http.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
        self.log.close()
        return self.log_path.read_text()


@pytest.fixture(scope="module", params=BACKENDS)
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if request.param == "sqlite":
        args = ["--store", str(tmp_path_factory.mktemp("serve") / "sample.db")]
    else:
        server = request.getfixturevalue("neo4j_server")
        server.store().clear()
        args = server.cli_args()
    loaded = cli([*args, "-q", "load", str(SAMPLE), "--format", "json"])
    assert loaded.returncode == 0, loaded.stderr
    s = Served(args)
    yield s
    s.close()


def valid(kind: str, document: dict[str, Any]) -> dict[str, Any]:
    jsonschema.Draft202012Validator(load_schema(kind)).validate(document)
    return document


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return valid("problem", response.json())


#: (URL, query, kind, the same question on the command line)
SAME: list[tuple[str, dict[str, str], str, list[str]]] = [
    ("/v1/stats", {}, "stats", ["stats"]),
    ("/v1/chain", {"from": "ORG001", "to": "ORG045", "limit": "2"}, "chain", ["chain", "ORG001", "ORG045", "--limit", "2"]),
    ("/v1/vouchers/ORG045", {"for": "ORG001"}, "vouchers", ["vouchers", "ORG045", "--for", "ORG001"]),
    ("/v1/referrals/ORG045", {"for": "ORG001"}, "referrals", ["referrals", "ORG045", "--for", "ORG001"]),
    ("/v1/reputation", {"limit": "5"}, "reputation", ["reputation", "--limit", "5"]),
    ("/v1/reputation/ORG045", {"explain": "true"}, "reputation", ["reputation", "ORG045", "--explain"]),
    ("/v1/contagion", {"limit": "5", "what_if": "ORG045"}, "contagion", ["contagion", "--limit", "5", "--what-if", "ORG045"]),
    ("/v1/exposure/ORG001", {"limit": "5"}, "exposure", ["exposure", "ORG001", "--limit", "5"]),
    ("/v1/accepted", {"pretrusted": "ORG001,ORG017"}, "accepted", ["accepted", "--pretrusted", "ORG001,ORG017"]),
    ("/v1/assess/ORG045", {"for": "ORG001"}, "assess", ["assess", "ORG045", "--for", "ORG001"]),
    ("/v1/health/ORG045", {}, "health", ["health", "ORG045"]),
    ("/v1/timeline", {"a": "ORG001", "b": "ORG045"}, "timeline", ["timeline", "ORG001", "ORG045"]),
    ("/v1/continuity", {"limit": "3"}, "continuity", ["continuity", "--limit", "3"]),
]


@pytest.mark.parametrize(("url", "query", "kind", "line"), SAME, ids=[s[0] for s in SAME])
def test_service_answers_the_cli_document(served: Served, url: str, query: dict[str, str], kind: str,
                                          line: list[str]) -> None:
    r = served.get(url, params=query)
    assert r.status_code == 200, r.text
    document = valid(kind, r.json())
    expected = cli([*served.store_args, *line, "--format", "json"])
    assert expected.returncode == 0, expected.stderr
    assert document == json.loads(expected.stdout)


def test_every_route_is_served_and_in_the_openapi_document(served: Served) -> None:
    spec = served.get("/openapi.json").json()
    for route in ROUTES:
        assert route.path.replace(":path", "") in spec["paths"], route.path
    assert "/v1/referrals" in spec["paths"] and "post" in spec["paths"]["/v1/referrals"]
    assert {"chain", "referrals", "problem"} <= set(spec["components"]["schemas"])
    chain_params = {p["name"]: p for p in spec["paths"]["/v1/chain"]["get"]["parameters"]}
    assert chain_params["max_hops"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 20, "default": 5}
    assert {"from", "to", "limit", "min_trust", "as_of", "half_life"} <= set(chain_params)
    for path, methods in spec["paths"].items():  # every parameter is a plain name (an optional argument's
        for operation in methods.values():       # usage-line brackets, "[QUERY]", are not part of it)
            names = [p["name"] for p in operation.get("parameters", [])]
            assert all(n.isidentifier() for n in names), (path, names)


def test_no_parameter_names_a_file_on_the_server(served: Served, tmp_path: Path) -> None:
    """assess --profiles FILE is the CLI's: over HTTP a client could probe paths or make the server
    read /dev/zero. It is not offered (400, unknown parameter), nor listed in the OpenAPI document."""
    secret = tmp_path / "secret.toml"
    secret.write_text("[profiles.vouched]\nmax_hops = 2\n", encoding="utf-8")
    for path in (str(secret), "/etc/shadow", "/dev/zero"):
        r = served.get("/v1/assess/ORG066", params={"for": "ORG001", "profiles": path})
        body = problem(r, 400)
        assert "unknown parameter(s) profiles" in body["detail"] and path not in body["detail"]
    spec = served.get("/openapi.json").json()
    names = {p["name"] for p in spec["paths"]["/v1/assess/{candidate}"]["get"]["parameters"]}
    assert "profile" in names and "profiles" not in names
    r = served.get("/v1/assess/ORG066", params={"for": "ORG001", "profile": "nope"})
    assert problem(r, 404)["exit_code"] == 4 and "profiles.toml" not in r.text


def test_a_configuration_the_request_can_fix_is_400_and_one_it_cannot_is_501(tmp_path: Path) -> None:
    """Exit 6 over HTTP: an assessor with no trust culture and no profile is the request's to fix
    (400, type .../configuration, the CLI's exit code kept); the same request with a profile is
    answered. (A named query on SQLite, which only the operator can fix, is 501: test_named_queries_over_http.)"""
    import shutil

    data = tmp_path / "data"
    shutil.copytree(SAMPLE, data)
    orgs = (data / "organizations.csv").read_text(encoding="utf-8").splitlines()
    header = orgs[0].split(",")
    col = header.index("culture")
    for i, line in enumerate(orgs):
        if line.startswith("ORG001,"):
            cells = line.split(",")
            assert len(cells) == len(header) and cells[col]
            cells[col] = ""
            orgs[i] = ",".join(cells)
    (data / "organizations.csv").write_text("\n".join(orgs) + "\n", encoding="utf-8")
    store = tmp_path / "s.db"
    assert cli(["--store", str(store), "-q", "load", str(data)]).returncode == 0
    assert cli(["--store", str(store), "assess", "ORG066", "--for", "ORG001"]).returncode == 6
    s = Served(["--store", str(store)])
    try:
        body = problem(s.get("/v1/assess/ORG066", params={"for": "ORG001"}), 400)
        assert body["exit_code"] == 6 and body["type"].endswith("/configuration"), body
        assert "no trust culture" in body["detail"] and "--profile" in body["detail"]
        r = s.get("/v1/assess/ORG066", params={"for": "ORG001", "profile": "vouched"})
        assert r.status_code == 200, r.text
        valid("assess", r.json())
    finally:
        s.close()


def test_analyze_is_read_only_over_http(served: Served) -> None:
    r = served.get("/v1/analyze", params={"limit": "3"})
    assert r.status_code == 200, r.text
    valid("analyze", r.json())
    problem(served.get("/v1/analyze", params={"write": "true"}), 400)


def test_search_and_party(served: Served) -> None:
    found = valid("parties", served.get("/v1/parties", params={"query": "solar"}).json())
    assert [r["id"] for r in found["rows"]][:1] == ["ORG045"] and found["total"] >= 3
    assert all("solar" in (r["name"] or "").lower() for r in found["rows"][:3])
    expected = cli([*served.store_args, "orgs", "solar", "--format", "json"])
    assert expected.returncode == 0, expected.stderr
    assert found == json.loads(expected.stdout)  # one document function for both
    exact = valid("parties", served.get("/v1/parties", params={"query": "org045"}).json())
    assert exact["rows"][0]["id"] == "ORG045" and exact["rows"][0]["match"] == 100
    listed = valid("parties", served.get("/v1/parties", params={"listed": "true", "limit": "0"}).json())
    assert [r["id"] for r in listed["rows"]] == ["ORG015", "ORG026", "ORG054"]
    problem(served.get("/v1/parties", params={"q": "solar"}), 400)
    one = valid("party", served.get("/v1/parties/ORG045").json())
    assert one["id"] == "ORG045" and one["ties_in"] == 3 and {r["direction"] for r in one["rows"]} == {"in"}
    listed = valid("party", served.get("/v1/parties/ORG026").json())
    assert listed["listed"] is True and listed["listings"] and listed["listings"][0]["party"] == "ORG026"
    problem(served.get("/v1/parties/NOPE"), 404)


def test_batch_referrals_json_and_ndjson(served: Served) -> None:
    r = served.http.post("/v1/referrals", params={"for": "ORG001"}, json={"ids": ["ORG045", "ORG050"]})
    assert r.status_code == 200, r.text
    document = valid("referrals", r.json())
    assert [row["id"] for row in document["rows"]] == ["ORG045", "ORG050"]
    expected = cli([*served.store_args, "referrals", "-", "--for", "ORG001", "--format", "json"], input="ORG045\nORG050\n")
    assert expected.returncode == 0, expected.stderr
    assert document == json.loads(expected.stdout)
    nd = served.http.post("/v1/referrals", content='"ORG045"\n{"id": "ORG050"}\n',
                          headers={"content-type": "application/x-ndjson", "accept": "application/x-ndjson"})
    assert nd.status_code == 200 and nd.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in nd.text.splitlines()]
    assert [line["id"] for line in lines] == ["ORG045", "ORG050"]
    assert all(line["schema"] == document["schema"] for line in lines)


def test_bad_requests_get_problems_and_the_server_keeps_serving(served: Served) -> None:
    assert problem(served.get("/v1/referrals/NOPE"), 404)["exit_code"] == 4
    assert problem(served.get("/v1/chain", params={"from": "ORG001", "to": "ORG045", "max_hops": "1000"}),
                   400)["exit_code"] == 2
    p = problem(served.get("/v1/chain", params={"from": "ORG001", "to": "ORG045", "limit": str(10**6)}), 400)
    assert "limit" in p["detail"]
    problem(served.get("/v1/chain", params={"from": "ORG001", "to": "ORG001"}), 400)
    problem(served.get("/v1/chain", params={"from": "ORG001", "to": "ORG045", "bogus": "1"}), 400)
    problem(served.get("/v1/chain", params={"from": "ORG001", "to": "ORG045", "as_of": "yesterday"}), 400)
    problem(served.http.post("/v1/referrals", content=b"{not json", headers={"content-type": "application/json"}), 400)
    problem(served.http.post("/v1/referrals", json={"ids": [1, 2]}), 400)
    for params in ({"for": ["ORG001", "ORG002"]}, {"id": "ORG001"}):  # never silently one of them, or ignored
        problem(served.http.post("/v1/referrals", params=params, json=["ORG045"]), 400)
    assert "given in the path" in problem(served.get("/v1/reputation/ORG001", params={"id": "ORG002"}), 400)["detail"]
    deep = b'{"ids":' + b"[" * 100_000 + b"]" * 100_000 + b"}"  # a RecursionError in the JSON decoder
    assert "nested too deeply" in problem(served.http.post("/v1/referrals", content=deep,
                                                           headers={"content-type": "application/json"}), 400)["detail"]
    deep_line = b'{"id":' + b"[" * 100_000 + b"]" * 100_000 + b"}\n"
    problem(served.http.post("/v1/referrals", content=deep_line, headers={"content-type": "application/x-ndjson"}), 400)
    assert served.get("/v1/stats").status_code == 200  # and the connection still answers
    problem(served.http.post("/v1/referrals", content=b"x" * (20 * 1024 * 1024),
                             headers={"content-type": "application/json"}), 413)
    assert problem(served.http.post("/v1/referrals", json={"ids": [f"ORG{i}" for i in range(10_001)]}),
                   413)["exit_code"] is None  # HTTP only, as the body-size 413
    big = ("\n".join(f"I{i}" for i in range(10**6))).encode()
    problem(served.http.post("/v1/referrals", content=big, headers={"content-type": "application/x-ndjson"}), 413)
    # Cypher in a parameter is a value, never code: an id that does not exist
    cypher = "ORG001' }) MATCH (n) DETACH DELETE n //"
    problem(served.get(f"/v1/referrals/{cypher}"), 404)
    problem(served.get("/v1/reputation", params={"for": "x) DETACH DELETE n"}), 404)
    assert served.get("/v1/stats").json()["rows"][0]["count"] == 96  # nothing was deleted
    assert served.get("/healthz").status_code == 200


def test_slow_client_times_out_while_others_are_served(served: Served) -> None:
    with socket.create_connection(("127.0.0.1", served.port)) as slow:
        slow.sendall(b"POST /v1/referrals HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     b"Content-Length: 100000\r\n\r\n{\"ids\": [")
        t = time.monotonic()
        assert served.get("/v1/stats").status_code == 200  # served while the slow body trickles
        assert time.monotonic() - t < 5
        slow.settimeout(30)
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = slow.recv(4096)
            if not chunk:
                break
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    assert served.get("/healthz").status_code == 200


def test_named_queries_over_http(served: Served) -> None:
    if "--neo4j-uri" not in served.store_args:
        problem(served.get("/v1/queries/listings_in_force"), problem_status_on_sqlite(served))
        return
    r = served.get("/v1/queries/listings_in_force")
    assert r.status_code == 200, r.text
    valid("query", r.json())
    problem(served.get("/v1/queries/nope"), 404)
    problem(served.get("/v1/queries/listings_in_force", params={"x": "MATCH (n) DETACH DELETE n"}), 400)


def problem_status_on_sqlite(served: Served) -> int:
    """Named queries need Neo4j: the CLI exits 6 on SQLite, and the service says 501 (the operator,
    not the client, can change the store)."""
    code = cli([*served.store_args, "query", "listings_in_force"]).returncode
    assert code == 6
    return 501


def test_new_store_version_is_picked_up_without_restart(tmp_path: Path) -> None:
    store = tmp_path / "live.db"
    assert cli(["--store", str(store), "-q", "load", str(SAMPLE)]).returncode == 0
    s = Served(["--store", str(store)])
    try:
        before = s.get("/v1/referrals/ORG050").json()
        recorded = cli(["--store", str(store), "record", "referral", "--id", "R9999", "--source", "ORG001", "--target",
                        "ORG050", "--strength", "0.9", "--date", "2025-06-20", "--format", "json"])
        assert recorded.returncode == 0, recorded.stderr
        time.sleep(1.2)  # the service checks the store version at most once a second
        after = s.get("/v1/referrals/ORG050").json()
        assert after["store"]["version"] != before["store"]["version"]
        referrers = [r["id"] for r in after["rows"][0]["referred_by"]]
        assert "ORG001" in referrers and "ORG001" not in [r["id"] for r in before["rows"][0]["referred_by"]]
    finally:
        s.close()


def test_non_loopback_bind_needs_a_token(tmp_path: Path) -> None:
    store = tmp_path / "t.db"
    assert cli(["--store", str(store), "-q", "load", str(SAMPLE)]).returncode == 0
    env = {k: v for k, v in os.environ.items() if k != "TRUSTGRAPH_TOKEN"}
    refused = cli(["--store", str(store), "serve", "--host", "0.0.0.0", "--port", str(free_port())], env=env)
    assert refused.returncode == 6 and "token" in refused.stderr
    short = cli(["--store", str(store), "serve", "--port", str(free_port())], env={**env, "TRUSTGRAPH_TOKEN": "short"})
    assert short.returncode == 6
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN + "\n")
    s = Served(["--store", str(store)], "--token-file", str(token_file), "--log-level", "debug", env=env)
    try:
        assert problem(s.get("/v1/stats"), 401)["status"] == 401
        assert problem(s.get("/v1/stats", headers={"authorization": "Bearer wrong"}), 401)
        ok = s.get("/v1/stats", headers={"authorization": f"Bearer {TOKEN}"})
        assert ok.status_code == 200
        assert problem(s.get("/v1/stats", headers={"authorization": f"Bearer {TOKEN}x"}), 401)
    finally:
        log = s.close()
    assert "GET /v1/stats" in log and TOKEN not in log


def test_a_port_in_use_is_a_configuration_error_before_the_banner(tmp_path: Path) -> None:
    """uvicorn's own exit code for a failed start is 3, which is "invalid data" here."""
    import socket

    store = tmp_path / "t.db"
    assert cli(["--store", str(store), "-q", "load", str(SAMPLE)]).returncode == 0
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        refused = cli(["--store", str(store), "serve", "--port", str(port)])
    assert refused.returncode == 6, refused.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in refused.stderr and "--port" in refused.stderr
    assert "http://" not in refused.stderr  # refused before the "serving on" line


def test_head_is_get_without_a_body_and_405_says_what_is_allowed(served: Served) -> None:
    got = served.get("/v1/parties/ORG001")
    head = served.http.head("/v1/parties/ORG001")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"] and served.http.head("/healthz").status_code == 200
    assert served.http.head("/v1/parties/NOPE").status_code == 404
    wrong = served.http.post("/v1/chain", params={"from": "ORG001", "to": "ORG045"})
    assert problem(wrong, 405) and "GET" in wrong.headers["allow"]


def test_a_replaced_store_file_is_reopened_and_a_deleted_one_is_503(tmp_path: Path) -> None:
    store, other = tmp_path / "s.db", tmp_path / "other.db"
    assert cli(["--store", str(store), "-q", "load", str(SAMPLE)]).returncode == 0
    small = tmp_path / "small"
    small.mkdir()
    (small / "organizations.csv").write_text("id,name\nNEW1,Newly Made\n", encoding="utf-8")
    assert cli(["--store", str(other), "-q", "load", str(small)]).returncode == 0
    s = Served(["--store", str(store)])
    try:
        assert s.get("/v1/parties/ORG001").status_code == 200
        os.replace(other, store)  # mv other.db s.db
        time.sleep(1.2)  # the store is checked at most once a second
        assert s.get("/v1/parties/NEW1").status_code == 200 and s.get("/v1/parties/ORG001").status_code == 404
        store.unlink()
        time.sleep(1.2)
        assert problem(s.get("/v1/parties/NEW1"), 503)["exit_code"] == 5
    finally:
        s.close()


def test_a_question_past_the_timeout_is_stopped_and_frees_the_engine(tmp_path: Path) -> None:
    """Python cannot stop a thread: the long loops check a deadline, so the engine does not go on
    computing an answer nobody will read while every later request waits behind it."""
    store = tmp_path / "s.db"
    assert cli(["--store", str(store), "-q", "load", str(SAMPLE)]).returncode == 0
    s = Served(["--store", str(store)], "--request-timeout", "1")
    try:
        ids = [f"ORG{1 + i % 96:03d}" for i in range(10_000)]  # a chain search for each: ~20 s in all
        slow = s.http.post("/v1/referrals", params={"for": "ORG001"}, json=ids)
        assert problem(slow, 503)["type"].endswith("/timeout")
        started = time.monotonic()
        quick = s.http.get("/v1/stats", timeout=8)
        assert quick.status_code == 200 and time.monotonic() - started < 8
    finally:
        log = s.close()
    assert "Traceback" not in log

    out = cli(["serve", "--help"]).stdout
    assert "--token-file" in out and "--token " not in out
