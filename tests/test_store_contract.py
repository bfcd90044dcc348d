"""One contract suite for every store: SQLite (a temporary file) and Neo4j (a real server).

Every test that takes the ``store`` fixture runs once per backend; the tests that compare the two
backends load the same data into both. The Neo4j server comes from ``tests/neo4j_server.py``
(``TRUSTGRAPH_TEST_NEO4J_URI`` or a private server started by ``scripts/neo4j-local``); its database
is emptied before each test.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import networkx as nx
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from neo4j_server import Server, free_port, neo4j_server  # noqa: F401  (fixture)

from trustgraph.errors import TrustgraphError
from trustgraph.evidence import evidence_frame
from trustgraph.export import export_dataset
from trustgraph.graph import project
from trustgraph.ingest import load_dataset, object_frame, validate
from trustgraph.model import TABLE_ORDER, TABLES
from trustgraph.store import SCORE_COLUMNS, SqliteStore, Store
from trustgraph.store.base import ids_frame_map, sort_frame
from trustgraph.store.base import tables as store_tables

BACKENDS = ["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)]
RunCli = Callable[..., tuple[int, str, str]]


def _neo4j_store(server: Server) -> Store:
    store = server.store()
    store.clear()  # MATCH (n) DETACH DELETE n, in batches
    return store


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture()
def store(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store of each kind."""
    if backend == "sqlite":
        s: Store = SqliteStore(tmp_path / "contract.db")
    else:
        s = _neo4j_store(request.getfixturevalue("neo4j_server"))
    yield s
    s.close()


@pytest.fixture()
def store_args(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> list[str]:
    """Global CLI flags selecting an empty store of each kind."""
    if backend == "sqlite":
        return ["--store", str(tmp_path / "cli.db")]
    server: Server = request.getfixturevalue("neo4j_server")
    _neo4j_store(server).close()
    return server.cli_args()


@pytest.fixture()
def both(neo4j_server: Server, tmp_path: Path, sample_tables: dict[str, pd.DataFrame]) -> Iterator[tuple[Store, Store]]:  # noqa: F811
    """SQLite and Neo4j, both loaded with the sample dataset."""
    sqlite = SqliteStore(tmp_path / "both.db")
    neo = _neo4j_store(neo4j_server)
    sqlite.load(sample_tables)
    neo.load(sample_tables)
    yield sqlite, neo
    sqlite.close()
    neo.close()


def _expected(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    return {n: sort_frame(n, tables[n]) for n in tables}


def _assert_tables(store: Store, expected: dict[str, pd.DataFrame]) -> None:
    for name in TABLE_ORDER:
        want = expected.get(name)
        got = store.table(name)
        if want is None:
            assert len(got) == 0, name
            continue
        pd.testing.assert_frame_equal(got, want, check_dtype=True, obj=f"{store.kind} {name}")


# -- load, reload, update ---------------------------------------------------------------------------


def test_load_returns_rows_and_reads_back_the_canonical_frames(store: Store, sample_tables) -> None:
    written = store.load(sample_tables)
    assert written == {n: len(f) for n, f in sample_tables.items()}
    assert store.counts() == {n: len(sample_tables.get(n, [])) for n in TABLE_ORDER}
    _assert_tables(store, _expected(sample_tables))
    ids = store.ids()
    assert ids["organizations"] == set(sample_tables["organizations"]["id"])
    assert ids["referrals"] == set(sample_tables["referrals"]["id"])
    assert set(ids) == {n for n in TABLE_ORDER if TABLES[n].key == ("id",)}


def test_reload_changes_nothing(store: Store, sample_tables) -> None:
    store.load(sample_tables)
    before = store_tables(store)
    counts = store.counts()
    assert store.load(sample_tables) == {n: len(f) for n, f in sample_tables.items()}
    assert store.counts() == counts
    for name, frame in store_tables(store).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)


def _replace_rows(frame: pd.DataFrame, name: str, rows: pd.DataFrame) -> pd.DataFrame:
    key = list(TABLES[name].key)
    keep = ~frame.set_index(key).index.isin(rows.set_index(key).index)
    return sort_frame(name, pd.concat([frame[keep], rows], ignore_index=True))


def test_upsert_updates_rows_in_place(store: Store, sample_tables) -> None:
    store.load(sample_tables)
    update = {
        # a changed name, a value removed, tags changed, a flag flipped
        "organizations": object_frame({
            "id": ["ORG001"], "name": ["Brugwerk Foundation (renamed)"], "sector": [None], "country": ["NL"],
            "region": ["Western Europe"], "culture": ["verify-later"], "risk_appetite": ["high"],
            "pretrusted": [False], "tags": ["governance;water"],
        }),
        # a person moves to another organisation and gains a previous position
        "people": object_frame({
            "id": ["P001"], "name": ["Lukas Lindqvist"], "organization": ["ORG002"], "role": ["Adviser"],
            "from": ["2018-08-14"], "until": [None], "previous": ["P002"],
        }),
        # a referral moves to another target; its recipient is set
        "referrals": object_frame({
            "id": ["R0001"], "source": ["ORG001"], "target": ["ORG019"], "strength": [-0.25],
            "date": ["2019-04-02"], "recipient": ["ORG027"], "note": [None],
        }),
        # an incident loses its partnership and changes its reporter
        "incidents": object_frame({
            "id": ["I001"], "reporter": ["ORG045"], "subject": ["ORG043"], "kind": ["fraud"], "severity": [5],
            "date": ["2021-03-10"], "partnership": [None], "description": ["rewritten"],
            "reporter_person": [None], "subject_person": [None],
        }),
        # relationships keyed by their endpoints change their properties
        "partnership_members": object_frame({"partnership": ["PS020"], "organization": ["ORG087"], "role": ["lead"]}),
        "personal_ties": object_frame({"a": ["P008"], "b": ["P120"], "kind": ["friend"], "since": [None]}),  # canonical order
        "blacklist": object_frame({
            "id": ["B005"], "lister": ["ORG001"], "listed": ["ORG061"], "date": ["2019-03-01"],
            "until": [None], "reason": ["changed"], "source": [None],
        }),
    }
    counts = store.counts()
    store.load(update)
    assert store.counts() == counts
    expected = _expected(sample_tables)
    for name, rows in update.items():
        expected[name] = _replace_rows(expected[name], name, rows)
    _assert_tables(store, expected)


def test_record_appends_one_validated_row_through_the_cli(run_cli: RunCli, store_args: list[str], sample_dir: Path) -> None:
    assert run_cli([*store_args, "-q", "load", str(sample_dir)])[0] == 0
    code, out, err = run_cli([*store_args, "record", "referral", "--id", "RX1", "--source", "ORG001",
                              "--target", "ORG066", "--strength", "0.55", "--date", "2025-06-01",
                              "--note", "met at the cooperative", "--format", "json"])
    assert (code, err) == (0, "")
    recorded = json.loads(out)
    assert (recorded["action"], recorded["table"], recorded["rows"][0]["id"]) == ("recorded", "referrals", "RX1")
    code, out, err = run_cli([*store_args, "stats", "--format", "json"])
    assert code == 0, err
    assert {r["table"]: r["count"] for r in json.loads(out)["rows"]}["referrals"] == 201
    code, _, err = run_cli([*store_args, "record", "referral", "--source", "ORG001", "--target", "NOPE",
                            "--strength", "0.5"])
    assert code == 4 and "NOPE" in err  # an unknown organisation: not found, with the closest suggested


def test_load_replace_through_the_cli(run_cli: RunCli, store_args: list[str], sample_dir: Path,
                                     tmp_path: Path) -> None:
    """`load --replace` on each store: a recorded row not in the folder and a table whose file was
    removed are gone; the rest is the folder's."""
    import shutil

    folder = tmp_path / "folder"
    shutil.copytree(sample_dir, folder)
    (folder / "communications.csv").unlink()
    assert run_cli([*store_args, "-q", "load", str(sample_dir)])[0] == 0
    assert run_cli([*store_args, "-q", "record", "referral", "--id", "RX1", "--source", "ORG001", "--target",
                    "ORG066", "--strength", "0.55"])[0] == 0
    code, out, err = run_cli([*store_args, "load", str(folder), "--replace", "--format", "json"])
    assert code == 0, err
    assert json.loads(out)["parameters"]["replace"] is True
    code, out, err = run_cli([*store_args, "stats", "--format", "json"])
    counts = {r["table"]: r["count"] for r in json.loads(out)["rows"]}
    assert (counts["organizations"], counts["referrals"], counts["communications"]) == (96, 200, 0)


def test_single_row_load_like_record(store: Store, sample_tables) -> None:
    store.load(sample_tables)
    raw = {"incident_actions": pd.DataFrame([{"id": "A900", "incident": "I007", "kind": "mediation",
                                               "date": "2025-06-30", "note": ""}], dtype=str)}
    rows = validate(raw, known_ids=ids_frame_map(store))
    assert store.load(rows) == {"incident_actions": 1}
    got = store.table("incident_actions")
    row = got[got["id"] == "A900"].to_dict("records")
    assert row == [{"id": "A900", "incident": "I007", "kind": "mediation", "date": "2025-06-30", "note": None}]
    assert store.counts()["incident_actions"] == len(sample_tables["incident_actions"]) + 1


# -- all or nothing ---------------------------------------------------------------------------------


def test_failed_load_leaves_nothing(store: Store, sample_tables) -> None:
    store.load(sample_tables)
    counts = store.counts()
    before = store_tables(store)
    new_org = {c: [None] for c in TABLES["organizations"].column_names}
    new_org.update(id=["NEW1"], name=["New party"])
    bad = {
        "organizations": object_frame(new_org),
        # the second referral names an organisation the store does not have
        "referrals": object_frame({
            "id": ["RNEW1", "RNEW2"], "source": ["NEW1", "NOPE"], "target": ["ORG001", "ORG001"],
            "strength": [0.5, 0.5], "date": ["2025-01-01", "2025-01-01"], "recipient": [None, None],
            "note": [None, None],
        }),
    }
    version = store.version()
    with pytest.raises(TrustgraphError, match="nothing was written"):
        store.load(bad)
    assert store.version() == version  # the bump was rolled back with the rows
    assert store.counts() == counts
    assert "NEW1" not in store.ids(["organizations"])["organizations"]
    for name, frame in store_tables(store).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)


def _smaller(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The sample cut to its first 30 organisations and the referrals and communications among them,
    one referral's strength corrected: what a user would load with --replace."""
    orgs = tables["organizations"].iloc[:30].reset_index(drop=True)
    keep = set(orgs["id"])
    refs = tables["referrals"]
    among = refs["source"].isin(keep) & refs["target"].isin(keep) & (refs["recipient"].isna() | refs["recipient"].isin(keep))
    refs = refs[among].reset_index(drop=True).copy()
    refs.loc[0, "strength"] = 0.11
    comms = tables["communications"]
    comms = comms[comms["a"].isin(keep) & comms["b"].isin(keep)].reset_index(drop=True)
    assert len(refs) > 1 and len(comms) > 1
    return {"organizations": orgs, "referrals": refs, "communications": comms}


def test_replace_makes_the_store_exactly_the_dataset(store: Store, sample_tables) -> None:
    """load --replace: every stored row of every table, and the stored scores, give way to the
    dataset, in one write; tables the dataset has no rows for are left empty."""
    store.load(sample_tables)
    store.write_scores(_scores(["ORG001", "ORG019"], "2025-06-30T12:00:00"))
    version = store.version()
    smaller = _smaller(sample_tables)
    written = store.load(smaller, replace=True)
    assert written == {n: len(f) for n, f in smaller.items()}
    _assert_tables(store, _expected(smaller))  # every other table empty
    assert len(store.scores()) == 0
    assert store.version() != version
    store.load(sample_tables, replace=True)  # and back: the whole sample again, exactly
    _assert_tables(store, _expected(sample_tables))


def test_a_refused_replace_leaves_the_store_as_it_was(store: Store, sample_tables) -> None:
    store.load(sample_tables)
    before, version = store_tables(store), store.version()
    bad = _smaller(sample_tables)
    bad["referrals"].loc[1, "target"] = "NOPE"  # an organisation the dataset does not have
    with pytest.raises(TrustgraphError, match="nothing was written"):
        store.load(bad, replace=True)
    assert store.version() == version
    for name, frame in store_tables(store).items():
        pd.testing.assert_frame_equal(frame, before[name], obj=name)


@pytest.mark.neo4j
def test_a_replace_too_large_for_one_transaction_deletes_in_batches_under_the_load_mark(
        neo4j_server: Server, sample_tables) -> None:  # noqa: F811
    """Neo4j: when the stored rows and the new ones exceed one transaction, the deletion runs in
    batches under the load's mark (readers refuse the database meanwhile), then the load; at the end
    the store is exactly the dataset and no load is left unfinished."""
    _neo4j_store(neo4j_server).close()
    store = neo4j_server.store(transaction_rows=200, batch_rows=50)
    try:
        store.load(sample_tables)
        smaller = _smaller(sample_tables)
        assert sum(len(f) for f in smaller.values()) + sum(store.counts().values()) > 200
        store.load(smaller, replace=True)
        _assert_tables(store, _expected(smaller))
        assert store.unfinished_loads() == []
    finally:
        store.close()


@pytest.mark.neo4j
def test_an_interrupted_replace_is_refused_by_readers_and_finished_by_a_rerun(
        neo4j_server: Server, sample_tables, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: F811
    """A replacing load cut short while deleting (here: after its first batch) leaves the database
    marked, and reads are refused; rerunning it finishes it — also when, with fewer rows left, the
    rerun fits one transaction — and removes the mark."""
    from trustgraph.errors import StoreUnavailableError
    from trustgraph.store import neo4j as module

    _neo4j_store(neo4j_server).close()
    store = neo4j_server.store(transaction_rows=200, batch_rows=50)
    try:
        store.load(sample_tables)
        smaller = _smaller(sample_tables)
        calls = {"n": 0}
        original = module._delete_everything

        def cut_short(tx: Any, limit: int | None) -> int:
            calls["n"] += 1
            if calls["n"] > 1:
                raise KeyboardInterrupt  # the process dies between two deletion batches
            return original(tx, limit)

        monkeypatch.setattr(module, "_delete_everything", cut_short)
        with pytest.raises(KeyboardInterrupt):
            store.load(smaller, replace=True)
        monkeypatch.setattr(module, "_delete_everything", original)
        assert [entry["rows"] for entry in store.unfinished_loads()] == [sum(len(f) for f in smaller.values())]
        with pytest.raises(StoreUnavailableError, match="unfinished load"):
            store.table("organizations")
    finally:
        store.close()
    rerun = neo4j_server.store()  # the default transaction size: the rerun is one transaction
    try:
        rerun.load(smaller, replace=True)
        assert rerun.unfinished_loads() == []
        _assert_tables(rerun, _expected(smaller))
    finally:
        rerun.close()


def test_row_without_its_key_is_refused(store: Store) -> None:
    orgs = object_frame({c: [None] for c in TABLES["organizations"].column_names})
    orgs.loc[0, "name"] = "No id"
    ok = object_frame({c: [None] for c in TABLES["organizations"].column_names})
    ok.loc[0, "id"], ok.loc[0, "name"] = "ORGX", "Fine"
    with pytest.raises(TrustgraphError, match="nothing was written"):
        store.load({"organizations": pd.concat([ok, orgs], ignore_index=True)})
    assert store.counts()["organizations"] == 0


# -- export, projection, analyses -------------------------------------------------------------------


def test_export_round_trip(store: Store, sample_tables, tmp_path: Path) -> None:
    store.load(sample_tables)
    folder = tmp_path / "export"
    written = export_dataset(store_tables(store), folder)
    assert written == {n: len(f) for n, f in sample_tables.items()}
    again = load_dataset(folder)
    for name in sample_tables:
        pd.testing.assert_frame_equal(sort_frame(name, again[name]), sort_frame(name, sample_tables[name]), obj=name)


@pytest.mark.neo4j
def test_both_stores_hold_identical_tables(both: tuple[Store, Store]) -> None:
    sqlite, neo = both
    assert sqlite.counts() == neo.counts()
    assert sqlite.ids() == neo.ids()
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(neo.table(name), sqlite.table(name), obj=name)


@pytest.mark.neo4j
def test_paged_reads_return_every_row_once(both: tuple[Store, Store], monkeypatch: pytest.MonkeyPatch) -> None:
    import trustgraph.store.neo4j as neo4j_store

    monkeypatch.setattr(neo4j_store, "READ_PAGE_ROWS", 7)  # many pages, one ending exactly on a boundary
    sqlite, neo = both
    for name in TABLE_ORDER:
        pd.testing.assert_frame_equal(neo.table(name), sqlite.table(name), obj=name)


@pytest.mark.neo4j
@pytest.mark.parametrize("as_of", [None, "2021-06-30"])
def test_projection_is_identical(both: tuple[Store, Store], as_of: str | None) -> None:
    sqlite, neo = both
    G = project(store_tables(sqlite), as_of=as_of)
    H = project(store_tables(neo), as_of=as_of)
    assert G.graph == H.graph
    assert dict(G.nodes(data=True)) == dict(H.nodes(data=True))
    assert sorted(G.edges(data=True)) == sorted(H.edges(data=True))
    assert nx.utils.graphs_equal(G, H)


@pytest.mark.neo4j
@pytest.mark.parametrize("command", [
    ["reputation"],
    ["reputation", "ORG019", "--explain"],
    ["contagion"],
    ["exposure", "ORG021"],
    ["chain", "ORG001", "ORG045"],
    ["vouchers", "ORG045", "--for", "ORG001"],
    ["accepted", "--pretrusted", "ORG001,ORG027"],
    ["referrals", "ORG019"],
    ["stats"],
    ["factors", "ORG011", "--for", "ORG001"],
    ["factors", "ORG064", "--for", "ORG001"],
    ["factors", "ORG050", "--for", "ORG066"],
    ["assess", "ORG011", "--for", "ORG001", "--all-profiles"],
])
def test_analyses_give_identical_results(run_cli: RunCli, neo4j_server: Server, tmp_path: Path,  # noqa: F811
                                         sample_dir: Path, command: list[str]) -> None:
    sqlite_args = ["--store", str(tmp_path / "a.db")]
    _neo4j_store(neo4j_server).close()
    outputs = []
    for args in (sqlite_args, neo4j_server.cli_args()):
        assert run_cli([*args, "-q", "load", str(sample_dir)])[0] == 0
        code, out, err = run_cli([*args, *command, "--format", "json"])
        assert code == 0, err
        document = json.loads(out)
        if isinstance(document, dict):
            document.pop("store", None)  # names the backend
        outputs.append(document)
    assert outputs[0] == outputs[1]


@pytest.mark.neo4j
def test_analyze_write_stores_identical_scores(run_cli: RunCli, neo4j_server: Server, tmp_path: Path,  # noqa: F811
                                               sample_dir: Path) -> None:
    stores: list[Store] = []
    outputs = []
    for args in (["--store", str(tmp_path / "w.db")], neo4j_server.cli_args()):
        if args[0] != "--store":
            _neo4j_store(neo4j_server).close()
        assert run_cli([*args, "-q", "load", str(sample_dir)])[0] == 0
        code, out, err = run_cli([*args, "analyze", "--write", "--format", "json"])
        assert code == 0 and err.startswith("wrote 96 scores to "), err
        document = json.loads(out)
        assert document["written"] == 96 and document["computed_at"]
        outputs.append(document["rows"])
    assert outputs[0] == outputs[1]
    stores = [SqliteStore(tmp_path / "w.db"), neo4j_server.store()]
    try:
        lite, neo = (s.scores() for s in stores)
        assert len(lite) == 96
        pd.testing.assert_frame_equal(neo.drop(columns="computed_at"), lite.drop(columns="computed_at"))
    finally:
        for s in stores:
            s.close()


# -- scores ----------------------------------------------------------------------------------------


def _scores(ids: list[str], stamp: str) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({
        "id": ids,
        "reputation": [round(0.9 - 0.1 * i, 3) for i in range(n)],
        "reputation_rank": list(range(1, n + 1)),
        "risk": [round(0.05 * i, 3) for i in range(n)],
        "risk_rank": list(range(n, 0, -1)),
        "computed_at": [stamp] * n,
    })


def test_scores_are_replaced_and_read_back(store: Store, sample_tables) -> None:
    store.load(sample_tables)
    assert len(store.scores()) == 0
    first = _scores(["ORG001", "ORG019", "ORG045"], "2025-06-30T12:00:00")
    assert store.write_scores(first) == 3
    pd.testing.assert_frame_equal(store.scores(), first, check_dtype=False)
    second = _scores(["ORG019", "ORG026"], "2025-07-01T08:00:00")
    assert store.write_scores(second) == 2
    got = store.scores()
    assert list(got.columns) == list(SCORE_COLUMNS)
    pd.testing.assert_frame_equal(got, second, check_dtype=False)
    assert got["reputation_rank"].tolist() == [1, 2]


@pytest.mark.neo4j
def test_scores_are_organisation_properties_in_neo4j(both: tuple[Store, Store]) -> None:
    sqlite, neo = both
    scores = _scores(["ORG001", "ORG019"], "2025-06-30")
    sqlite.write_scores(scores)
    neo.write_scores(scores)
    pd.testing.assert_frame_equal(neo.scores(), sqlite.scores())
    keys, rows = neo.run_read(  # type: ignore[attr-defined]
        "MATCH (o:Organization {id: $id}) RETURN o.reputation AS r, o.reputation_rank AS k, o.computed_at AS t",
        {"id": "ORG019"},
    )
    assert rows == [[0.8, 2, "2025-06-30"]]
    # the organisation's own properties are untouched
    assert neo.table("organizations").equals(sqlite.table("organizations"))


# -- version and about -----------------------------------------------------------------------------


def _second_client(store: Store, request: pytest.FixtureRequest) -> Store:
    """Another connection to the same store, as another process would open it."""
    if isinstance(store, SqliteStore):
        return SqliteStore(store.path, create=False)
    server: Server = request.getfixturevalue("neo4j_server")
    return server.store()


def test_version_changes_on_every_write_and_not_on_reads(store: Store, sample_tables) -> None:
    empty = store.version()
    identity, _, n = empty.rpartition(":")
    assert identity and n.isdigit()

    store.load(sample_tables)
    loaded = store.version()
    assert loaded != empty and loaded.startswith(identity + ":")
    store_tables(store)
    store.counts()
    store.ids()
    store.scores()
    store.about(["ORG001", "ORG026"])
    assert store.version() == loaded  # reads write nothing

    seen = {empty, loaded}
    store.load(sample_tables)  # same content, but a write: a new version is safe, an old one never
    seen.add(store.version())
    store.write_scores(_scores(["ORG001", "ORG019"], "2025-06-30T12:00:00"))
    seen.add(store.version())
    store.load({"organizations": sample_tables["organizations"].iloc[:1]})
    seen.add(store.version())
    assert len(seen) == 5
    assert {v.rpartition(":")[0] for v in seen} == {identity}


def test_a_second_client_sees_the_same_version_and_changes_it_by_writing(
    store: Store, sample_tables, request: pytest.FixtureRequest
) -> None:
    store.load(sample_tables)
    version = store.version()
    other = _second_client(store, request)
    try:
        assert other.version() == version  # equal content, reopened: the same version
        other.write_scores(_scores(["ORG045"], "2025-07-01T08:00:00"))
        assert store.version() == other.version() != version
    finally:
        other.close()


def _involving(frame: pd.DataFrame, parties: list[str]) -> pd.DataFrame:
    """Evidence rows with one of ``parties`` at either end, in a fixed order."""
    rows = frame[frame["src"].isin(parties) | frame["dst"].isin(parties)]
    return rows.sort_values(["src", "dst", "kind", "ref", "date"], kind="stable").reset_index(drop=True)


def _concerning(tables: dict[str, pd.DataFrame], parties: list[str]) -> dict[str, pd.DataFrame]:
    """The rule of ``Store.about``, applied to whole tables with pandas."""
    wanted = set(parties)
    people, ties, members = tables["people"], tables["personal_ties"], tables["partnership_members"]
    incidents = tables["incidents"]
    staff = set(people.loc[people["organization"].isin(wanted), "id"])
    linked = (set(people.loc[people["id"].isin(staff), "previous"].dropna())
              | set(people.loc[people["previous"].isin(staff), "id"])
              | set(ties.loc[ties["a"].isin(staff), "b"]) | set(ties.loc[ties["b"].isin(staff), "a"]))
    ships = set(members.loc[members["organization"].isin(wanted), "partnership"])
    touched = incidents["reporter"].isin(wanted) | incidents["subject"].isin(wanted)
    keep = {
        "organizations": tables["organizations"]["id"].isin(wanted),
        "people": people["id"].isin(staff | linked),
        "partnerships": tables["partnerships"]["id"].isin(ships),
        "partnership_members": members["partnership"].isin(ships),
        "referrals": tables["referrals"]["source"].isin(wanted) | tables["referrals"]["target"].isin(wanted),
        "relationship_holders": tables["relationship_holders"]["partnership"].isin(ships),
        "personal_ties": ties["a"].isin(staff) | ties["b"].isin(staff),
        "incidents": touched,
        "incident_actions": tables["incident_actions"]["incident"].isin(set(incidents.loc[touched, "id"])),
        "blacklist": tables["blacklist"]["listed"].isin(wanted) | tables["blacklist"]["lister"].isin(wanted),
        "communications": tables["communications"]["a"].isin(wanted) | tables["communications"]["b"].isin(wanted),
        "assessments": tables["assessments"]["subject"].isin(wanted) | tables["assessments"]["assessor"].isin(wanted),
    }
    return {n: tables[n][keep[n].to_numpy()].reset_index(drop=True) for n in TABLE_ORDER}


#: Parties of the sample whose rows reach every table (a previous position, ties, listings, incidents),
#: one that is not in the store, and none.
ABOUT_PARTIES = [["ORG001"], ["ORG076", "ORG026"], ["ORG027", "ORG022", "ORG029", "NOPE"], ["ORG061"], []]


def test_about_returns_the_rows_that_concern_the_parties(store: Store, sample_tables) -> None:
    store.load(sample_tables)
    everything = store_tables(store)
    reached: set[str] = set()
    for parties in [*ABOUT_PARTIES, sorted(everything["organizations"]["id"])]:
        got = store.about(parties)
        want = _concerning(everything, parties)
        assert set(got) == set(TABLE_ORDER)
        for name in TABLE_ORDER:
            pd.testing.assert_frame_equal(got[name], want[name], check_dtype=True,
                                          obj=f"{store.kind} about({parties}) {name}")
            if len(got[name]) and len(parties) < 10:
                reached.add(name)
    assert reached == set(TABLE_ORDER)  # the parties above exercise every table's lookup
    assert all(len(f) == 0 for f in store.about([]).values())


@pytest.mark.parametrize("as_of", ["2021-06-30", "2025-06-30"])
def test_evidence_from_about_equals_evidence_from_every_table(store: Store, sample_tables, as_of: str) -> None:
    store.load(sample_tables)
    everything = evidence_frame(store_tables(store), as_of=as_of)
    for parties in ABOUT_PARTIES:
        got = _involving(evidence_frame(store.about(parties), as_of=as_of), parties)
        want = _involving(everything, parties)
        if not parties:
            assert len(got) == len(want) == 0
            continue
        assert len(want), parties  # each case has evidence to compare
        pd.testing.assert_frame_equal(got, want, obj=f"{store.kind} evidence about {parties} as of {as_of}")


@pytest.mark.parametrize("as_of", ["2021-06-30", "2025-06-30"])
def test_evidence_between_parties_from_about_between_equals_evidence_from_every_table(
        store: Store, sample_tables, as_of: str) -> None:
    """``about(parties, between=True)`` may leave out rows with only one end among the parties, never
    one between two of them: the evidence of every tie among the parties is the same."""
    store.load(sample_tables)
    everything = evidence_frame(store_tables(store), as_of=as_of)
    people = sample_tables["people"]
    for parties in [*ABOUT_PARTIES, ["ORG001", "ORG002", "ORG017", "ORG028", "ORG075", "ORG026", "ORG076"],
                    sorted(set(people["organization"].dropna()))[:12]]:
        between = store.about(parties, between=True)
        got = _among(evidence_frame(between, as_of=as_of), parties)
        want = _among(everything, parties)
        if not parties:
            assert len(got) == len(want) == 0
            continue
        pd.testing.assert_frame_equal(got, want, obj=f"{store.kind} evidence between {parties} as of {as_of}")
        wide = store.about(parties)
        for name in TABLE_ORDER:
            assert len(between[name]) <= len(wide[name]), name
    assert len(_among(everything, ["ORG001", "ORG002", "ORG017", "ORG028", "ORG075", "ORG026", "ORG076"]))
    hub = ["ORG001", "ORG017"]  # only the referrals between them: fewer than every referral about them
    assert len(store.about(hub, between=True)["referrals"]) < len(store.about(hub)["referrals"])


def _among(frame: pd.DataFrame, parties: list[str]) -> pd.DataFrame:
    """Evidence rows with both ends among ``parties``, in a fixed order."""
    rows = frame[frame["src"].isin(parties) & frame["dst"].isin(parties)]
    return rows.sort_values(["src", "dst", "kind", "ref", "date"], kind="stable").reset_index(drop=True)


def test_about_reads_only_the_tables_asked_for(store: Store, sample_tables) -> None:
    from trustgraph.evidence import EVIDENCE_TABLES

    store.load(sample_tables)
    full = store.about(["ORG001", "ORG045"])
    some = store.about(["ORG001", "ORG045"], EVIDENCE_TABLES)
    assert set(some) == set(EVIDENCE_TABLES)
    for name in EVIDENCE_TABLES:
        pd.testing.assert_frame_equal(some[name], full[name])
    # the evidence tables are all that evidence needs once the as-of date is explicit
    got = evidence_frame(some, as_of="2025-06-30")
    pd.testing.assert_frame_equal(got, evidence_frame(full, as_of="2025-06-30"))


@pytest.mark.neo4j
def test_about_is_identical_on_both_stores(both: tuple[Store, Store]) -> None:
    sqlite, neo = both
    for parties in ABOUT_PARTIES:
        lite, graph = sqlite.about(parties), neo.about(parties)
        for name in TABLE_ORDER:
            pd.testing.assert_frame_equal(graph[name], lite[name], obj=f"about({parties}) {name}")


@pytest.mark.neo4j
def test_neo4j_version_node_counts_every_transaction_and_is_not_data(neo4j_server: Server,  # noqa: F811
                                                                     sample_tables) -> None:
    neo = _neo4j_store(neo4j_server)
    small = neo4j_server.store(batch_rows=50, transaction_rows=100)  # the sample is ~900 rows: batch commits
    try:
        identity, _, before = neo.version().rpartition(":")
        small.load(sample_tables)
        after = int(neo.version().rpartition(":")[2])
        assert after - int(before) > 10  # one bump per committed batch
        assert neo.counts() == {n: len(sample_tables.get(n, [])) for n in TABLE_ORDER}
        _, rows = neo.run_read(  # type: ignore[attr-defined]
            "MATCH (m:TrustgraphMeta) RETURN m.key AS key, m.store_id AS id, m.version AS n")
        assert rows == [["store", identity, after]]  # one node, no table reads it
        neo.clear()  # type: ignore[attr-defined]
        cleared = neo.version()
        assert cleared.startswith(identity + ":") and int(cleared.rpartition(":")[2]) > after
        assert neo.counts() == {n: 0 for n in TABLE_ORDER}
    finally:
        small.close()
        neo.close()


@pytest.mark.neo4j
def test_snapshots_of_neo4j_are_cached_and_rebuilt_after_another_client_writes(
    neo4j_server: Server, sample_tables, tmp_path: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    import trustgraph.snapshot as snapshot

    monkeypatch.setenv("TRUSTGRAPH_CACHE", str(tmp_path / "cache"))
    compiled: list[str] = []
    real = snapshot.compile_tables

    def counting(*args: object, **kwargs: object) -> snapshot.Snapshot:
        compiled.append(str(kwargs.get("version")))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(snapshot, "compile_tables", counting)
    neo = _neo4j_store(neo4j_server)
    other = neo4j_server.store()
    try:
        neo.load(sample_tables)
        first = snapshot.open_snapshot(neo)
        second = snapshot.open_snapshot(neo)
        assert compiled == [neo.version()]  # the second came from the cache
        assert first.version == second.version == neo.version()
        assert second.ids.tolist() == first.ids.tolist() and second.m == first.m
        assert any((tmp_path / "cache").iterdir())
        assert snapshot.open_snapshot(other).version == first.version and len(compiled) == 1

        u, v = first.index_of("ORG001"), first.index_of("ORG066")
        assert first.edge(u, v) is None
        other.load({"referrals": object_frame({
            "id": ["RX1"], "source": ["ORG001"], "target": ["ORG066"], "strength": [0.5],
            "date": ["2025-06-01"], "recipient": [None], "note": [None],
        })})
        third = snapshot.open_snapshot(neo)
        assert len(compiled) == 2 and third.version == neo.version() == other.version() != first.version
        assert third.edge(third.index_of("ORG001"), third.index_of("ORG066")) is not None
        assert snapshot.open_snapshot(neo).version == third.version and len(compiled) == 2
    finally:
        other.close()
        neo.close()


# -- property: any valid dataset reads back identically and reloads idempotently --------------------

NAMES = st.text(alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"], include_characters=",\"'é😀"),
                min_size=1, max_size=12).map(str.strip).filter(bool)


@st.composite
def small_datasets(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    n = draw(st.integers(2, 6))
    ids = [f"o{i}" for i in range(n)]
    orgs = pd.DataFrame({
        "id": ids,
        "name": [draw(NAMES) for _ in ids],
        "pretrusted": [draw(st.sampled_from(["", "true", "false"])) for _ in ids],
        "tags": [draw(st.sampled_from(["", "a", "a;b"])) for _ in ids],
    })
    m = draw(st.integers(0, 8))
    pairs = [draw(st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1]))
             for _ in range(m)]
    refs = pd.DataFrame({
        "id": [f"r{i}" for i in range(m)],
        "source": [p[0] for p in pairs],
        "target": [p[1] for p in pairs],
        "strength": [repr(draw(st.floats(-1, 1, allow_nan=False))) for _ in range(m)],
        "date": ["2024-01-0" + str(1 + i % 9) for i in range(m)],
        "recipient": [draw(st.sampled_from(["", *ids])) for _ in range(m)],
    }, dtype=str)
    return validate({"organizations": orgs, "referrals": refs})


@pytest.mark.neo4j
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=small_datasets())
def test_any_dataset_reads_back_identically_and_reloads_idempotently(neo4j_server: Server, data) -> None:  # noqa: F811
    neo = _neo4j_store(neo4j_server)
    sqlite = SqliteStore(":memory:")
    try:
        for s in (sqlite, neo):
            s.load(data)
            s.load(data)
        assert neo.counts() == sqlite.counts() == {n: len(data.get(n, [])) for n in TABLE_ORDER}
        for name in data:
            pd.testing.assert_frame_equal(neo.table(name), sqlite.table(name), obj=name)
            pd.testing.assert_frame_equal(neo.table(name), sort_frame(name, data[name]), obj=name)
    finally:
        neo.close()
        sqlite.close()


# -- connection errors: one line, exit 5, no password -----------------------------------------------

SECRET = "s3cret-Pa55word-never-shown"


def _one_line_exit_5(code: int, out: str, err: str) -> str:
    assert code == 5, (code, out, err)
    assert SECRET not in out and SECRET not in err
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


@pytest.mark.neo4j
def test_unreachable_server_is_exit_5(run_cli: RunCli) -> None:
    uri = f"bolt://127.0.0.1:{free_port()}"
    err = _one_line_exit_5(*run_cli(["--neo4j-uri", uri, "--neo4j-password", SECRET, "stats"]))
    assert f"cannot reach Neo4j at {uri}" in err


@pytest.mark.neo4j
def test_bad_password_is_exit_5(run_cli: RunCli, neo4j_server: Server) -> None:  # noqa: F811
    err = _one_line_exit_5(*run_cli(["--neo4j-uri", neo4j_server.uri, "--neo4j-user", neo4j_server.username,
                                     "--neo4j-password", SECRET, "stats"]))
    assert f"refused the credentials for user {neo4j_server.username!r}" in err


@pytest.mark.neo4j
def test_missing_database_is_exit_5(run_cli: RunCli, neo4j_server: Server) -> None:  # noqa: F811
    args = neo4j_server.cli_args()
    args[args.index("--neo4j-database") + 1] = "nosuchdatabase"
    code, out, err = run_cli([*args, "stats"])
    assert code == 5, err
    assert "has no database 'nosuchdatabase'" in err
    assert neo4j_server.password not in err


@pytest.mark.parametrize("uri", ["http://127.0.0.1:7474", f"bolt://neo4j:{SECRET}@127.0.0.1:7687",
                                 f"neo4j:{SECRET}@127.0.0.1:7687", f"neo4j:neo4j:{SECRET}@127.0.0.1:7687",
                                 f"bolt://127.0.0.1:7687?password={SECRET}"])
def test_a_uri_that_is_not_bolt_or_holds_credentials_is_exit_6(run_cli: RunCli, uri: str) -> None:
    code, out, err = run_cli(["--neo4j-uri", uri, "--neo4j-password", SECRET, "stats"])
    assert code == 6 and out == ""
    assert err.startswith("error: ") and err.count("\n") == 1 and SECRET not in err


@pytest.mark.parametrize("password", ["s3/cretpw", "s3cret#pw", "s3c?retpw", "s3c@retpw", "pw/x?y#z@w"])
def test_no_part_of_a_password_with_uri_delimiters_is_shown(run_cli: RunCli, password: str) -> None:
    """URI parsing ends the authority at '/', '?' or '#': the part of such a password before it was
    taken for the host (the driver said "Failed to DNS resolve address neo4j:s3", exit 1)."""
    import re

    for uri in (f"bolt://neo4j:{password}@127.0.0.1:7687", f"neo4j:neo4j:{password}@127.0.0.1:7687"):
        code, out, err = run_cli(["--neo4j-uri", uri, "stats"])
        assert code == 6 and out == "", err
        assert all(piece not in err for piece in re.split(r"[/?#@]", password) if len(piece) > 1), err


def test_the_system_database_is_a_configuration_error(run_cli: RunCli) -> None:
    code, out, err = run_cli(["--neo4j-uri", f"bolt://127.0.0.1:{free_port()}", "--neo4j-database", "System", "stats"])
    assert code == 6 and out == "" and "give a user database" in err, err


@pytest.mark.parametrize("uri", ["bolt://127.0.0.1:99999", "bolt://127.0.0.1:abc", "neo4j://127.0.0.1:-1"])
def test_a_bad_port_is_a_configuration_error(run_cli: RunCli, uri: str) -> None:
    code, out, err = run_cli(["--neo4j-uri", uri, "stats"])
    assert code == 6 and out == "" and "is not a Neo4j URI" in err, err


def test_a_password_in_a_routing_context_is_never_shown(run_cli: RunCli) -> None:
    uri = f"neo4j://127.0.0.1:{free_port()}?region=eu&password={SECRET}"
    err = _one_line_exit_5(*run_cli(["--neo4j-uri", uri, "stats"]))
    assert SECRET not in err and "?region=…&password=…" in err


@pytest.mark.parametrize(("uri", "shown"), [
    ("bolt://neo4j:pw@db.example:7687", "bolt://db.example:7687"),
    ("neo4j:pw@db.example:7687", "neo4j:…@db.example:7687"),
    ("neo4j+s://db.example?policy=eu&token=pw#pw", "neo4j+s://db.example?policy=…&token=…"),
    ("bolt://db.example:7687", "bolt://db.example:7687"),
    ("bolt://neo4j:p/w#x?y@db.example:7687", "bolt://db.example:7687"),
])
def test_a_uri_is_shown_without_credentials_or_query_values(uri: str, shown: str) -> None:
    from trustgraph.store.uri import safe_uri

    assert safe_uri(uri) == shown


@pytest.mark.neo4j
def test_password_never_in_repr(neo4j_server: Server) -> None:  # noqa: F811
    from trustgraph.store import StoreSettings

    store = neo4j_server.store()
    try:
        assert neo4j_server.password not in repr(store)
        assert neo4j_server.password not in str(vars(store))
    finally:
        store.close()
    settings_ = StoreSettings.resolve(neo4j_uri=neo4j_server.uri, neo4j_password=SECRET, env={})
    assert SECRET not in repr(settings_) and SECRET not in settings_.describe()


def test_insert_only_refuses_a_stored_key_in_the_same_transaction(store: Store, sample_tables) -> None:
    """What `record` relies on: a key another writer stored since its check is refused, not overwritten."""
    from trustgraph.errors import InvalidDataError

    store.load(sample_tables)
    before = store.table("referrals")
    version = store.version()
    row = object_frame({"id": ["R0001"], "source": ["ORG002"], "target": ["ORG003"], "strength": [-1.0],
                        "date": ["2020-01-01"], "recipient": [None], "note": ["overwrite?"]})
    with pytest.raises(InvalidDataError, match="already holds"):
        store.load({"referrals": row}, insert_only=("referrals",))
    pd.testing.assert_frame_equal(store.table("referrals"), before)
    assert store.version() == version
    fresh = row.assign(id=["R-NEW"])
    store.load({"referrals": fresh}, insert_only=("referrals",))
    assert len(store.table("referrals")) == len(before) + 1
