"""Online loads that commit batch by batch (issue 19): the first load of a relationship type.

Such a load writes its relationships with CREATE, finds their endpoints by element id, and drops the
type's ``id`` uniqueness constraint while its batches run, building it again before the batch that
removes the unfinished-load mark. These tests check the outcome on a real server: the rows, the
constraint back, an interrupted load completed by a rerun (in a new store object, as a new process
would be) with the constraint back and every row once, and a missing endpoint named.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import neo4j
import numpy as np
import pandas as pd
import pytest
from neo4j_server import Server, neo4j_server  # noqa: F401  (fixture)

from trustgraph.errors import TrustgraphError
from trustgraph.ingest import validate
from trustgraph.store.base import sort_frame
from trustgraph.store.neo4j import _graph_values, _to_graph

N_ORGS, N_REFERRALS = 50, 700  # with batch_rows=100 and transaction_rows=200: eight transactions


def _frames(n_orgs: int = N_ORGS, n_referrals: int = N_REFERRALS) -> dict[str, pd.DataFrame]:
    orgs = pd.DataFrame({"id": [f"Q{i:03d}" for i in range(n_orgs)], "name": [f"Party {i}" for i in range(n_orgs)]})
    refs = pd.DataFrame({
        "id": [f"QR{i:04d}" for i in range(n_referrals)],
        "source": [f"Q{i % n_orgs:03d}" for i in range(n_referrals)],
        "target": [f"Q{(i % n_orgs + 1 + i // n_orgs) % n_orgs:03d}" for i in range(n_referrals)],
        "strength": [f"{(i % 21 - 10) / 10}" for i in range(n_referrals)],
        "date": ["2024-05-01"] * n_referrals,
    })
    return validate({"organizations": orgs, "referrals": refs})


def _constraints(server: Server) -> set[str]:
    """Constraint names, read past the refusal of an unfinished load."""
    with neo4j.GraphDatabase.driver(server.uri, auth=(server.username, server.password)) as driver:
        records, _, _ = driver.execute_query("SHOW CONSTRAINTS YIELD name RETURN name", database_=server.database)
    return {str(r["name"]) for r in records}


class _Stop(Exception):
    """Stands for the end of a loading process between two of its transactions."""


def _watch(server: Server, seen: list[set[str]], stop_after: int | None = None) -> Callable[[int], None]:
    """A progress callback that records the constraints once referrals are being written."""
    rows = [0]

    def progress(n: int) -> None:
        rows[0] += n
        if rows[0] > N_ORGS:  # organisations (one batch) done: the referral batches run
            seen.append(_constraints(server))
            if stop_after is not None and len(seen) >= stop_after:
                raise _Stop

    return progress


@pytest.mark.neo4j
def test_a_first_load_builds_the_relationship_id_constraint_again(neo4j_server: Server) -> None:  # noqa: F811
    frames = _frames()
    store = neo4j_server.store(batch_rows=100, transaction_rows=200)
    try:
        store.clear()
        seen: list[set[str]] = []
        store.load(frames, progress=_watch(neo4j_server, seen))
        assert seen and "trustgraph_refers_id" not in seen[0]  # dropped while the CREATE batches ran
        assert "trustgraph_refers_id" in _constraints(neo4j_server)
        assert store.unfinished_loads() == []
        pd.testing.assert_frame_equal(store.table("referrals"), sort_frame("referrals", frames["referrals"]))
        # the constraint holds again: a second referral with a stored id is refused
        with pytest.raises(TrustgraphError, match="already holds id 'QR000[01]'"):
            store.load({"referrals": frames["referrals"].head(2)}, insert_only=["referrals"])
        # a load into a table that holds rows keeps the constraint in place (MERGE needs it)
        more = _frames(n_referrals=N_REFERRALS + 300)
        seen.clear()
        store.load(more, progress=_watch(neo4j_server, seen))
        assert seen and all("trustgraph_refers_id" in s for s in seen)
        assert store.counts()["referrals"] == N_REFERRALS + 300
    finally:
        store.clear()
        store.close()


@pytest.mark.neo4j
def test_a_rerun_of_an_interrupted_first_load_restores_the_constraint(neo4j_server: Server, run_cli) -> None:  # noqa: F811
    frames = _frames()
    store = neo4j_server.store(batch_rows=100, transaction_rows=200)
    try:
        store.clear()
        seen: list[set[str]] = []
        with pytest.raises(_Stop):
            store.load(frames, progress=_watch(neo4j_server, seen, stop_after=2))
        assert "trustgraph_refers_id" not in _constraints(neo4j_server)  # the load ended between batches
        [unfinished] = store.unfinished_loads()  # readers refuse the partial load
        assert 0 < store.counts()["referrals"] < N_REFERRALS
        # a write still commits, and says so: exit 0, no version to report, the refusal of reads as a note
        code, out, err = run_cli([*neo4j_server.cli_args(), "record", "organization", "--id", "MARK1",
                                  "--name", "Marker", "--format", "json"])
        assert code == 0, err
        assert json.loads(out)["store"]["version"] is None
        assert "written. " in err and "holds an unfinished load" in err
        assert "MARK1" in store.ids(["organizations"])["organizations"]
    finally:
        store.close()
    again = neo4j_server.store(batch_rows=100, transaction_rows=200)  # a new process
    try:
        again.load(frames)
        assert "trustgraph_refers_id" in _constraints(neo4j_server)
        assert again.unfinished_loads() == []
        got = again.table("referrals")
        assert got["id"].is_unique and len(got) == N_REFERRALS
        pd.testing.assert_frame_equal(got, sort_frame("referrals", frames["referrals"]))
    finally:
        again.clear()
        again.close()


@pytest.mark.neo4j
def test_a_referral_to_a_missing_organisation_is_named(neo4j_server: Server) -> None:  # noqa: F811
    frames = _frames()
    refs = frames["referrals"].copy()
    refs.loc[650, "target"] = "NOBODY"  # in the seventh referral batch, found by element id
    store = neo4j_server.store(batch_rows=100, transaction_rows=200)
    try:
        store.clear()
        with pytest.raises(TrustgraphError, match="refer to ids that are not in the store \\(target 'NOBODY'\\)") as err:
            store.load({"organizations": frames["organizations"], "referrals": refs})
        # the failed transaction's own message is not the whole story: earlier ones committed
        assert "those before the failed one stay committed" in str(err.value)
        assert "unfinished load" in str(err.value)
        assert len(store.unfinished_loads()) == 1
    finally:
        store.clear()
        store.close()


@pytest.mark.parametrize(("values", "kind"), [
    (["a", None, float("nan"), "b"], "str"),
    ([1, "x", None, np.float64(2.5)], "str"),
    ([1, None, 2.5, np.float64(3.0), float("nan"), np.int64(4)], "float"),
    (["0.5", None], "float"),
    ([None, None], "float"),
    ([True, None, np.bool_(False)], "bool"),
    (["x;y", None, ";"], "tags"),
    ([1, None, 3.0], "int"),
])
def test_values_are_converted_column_at_a_time_as_one_at_a_time(values: list[object], kind: str) -> None:
    column = np.array(values, dtype=object)
    expected = [_to_graph(v, kind) for v in column]
    got = _graph_values(column, kind)
    assert got == expected and [type(v) for v in got] == [type(v) for v in expected]
