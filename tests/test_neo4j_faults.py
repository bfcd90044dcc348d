"""Faults: the Neo4j server dies in the middle of a large load.

A dedicated server (its own port and state folder, so the other tests are unaffected) is killed with
SIGKILL while ``trustgraph load`` writes a synthetic dataset of 200,000 referrals. The command must
exit with the store-unavailable code and one clear line; after the server restarts (and recovers
from its transaction log), readers must refuse the partial load, naming it (exit 5), and running the
same load again must leave every row exactly once and let readers answer again.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from neo4j_server import Server, start_private_server, unavailable

from trustgraph.ingest import load_dataset
from trustgraph.store.base import sort_frame

pytestmark = [pytest.mark.neo4j, pytest.mark.slow]

N_ORGS = 20_000
N_REFERRALS = 200_000


@pytest.fixture()
def private_server() -> Iterator[Server]:
    try:
        server = start_private_server("trustgraph-fault-")
    except RuntimeError as err:
        unavailable(str(err))
    yield server
    server.stop()


def _synthetic_dataset(folder: Path) -> Path:
    rng = np.random.default_rng(20250630)
    folder.mkdir()
    ids = np.array([f"S{i:05d}" for i in range(N_ORGS)])
    pd.DataFrame({"id": ids, "name": [f"Synthetic party {i}" for i in range(N_ORGS)]}).to_csv(
        folder / "organizations.csv", index=False)
    source = rng.integers(0, N_ORGS, N_REFERRALS)
    target = (source + rng.integers(1, N_ORGS, N_REFERRALS)) % N_ORGS  # never the source itself
    days = rng.integers(0, 3650, N_REFERRALS)
    pd.DataFrame({
        "id": [f"R{i:06d}" for i in range(N_REFERRALS)],
        "source": ids[source],
        "target": ids[target],
        "strength": np.round(rng.uniform(-1, 1, N_REFERRALS), 2),
        "date": (pd.Timestamp("2015-01-01") + pd.to_timedelta(days, unit="D")).strftime("%Y-%m-%d"),
    }).to_csv(folder / "referrals.csv", index=False)
    return folder


def _load(server: Server, folder: Path, cwd: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))}
    env.update({"NEO4J_URI": server.uri, "NEO4J_USERNAME": server.username, "NEO4J_PASSWORD": server.password})
    return subprocess.Popen(
        [sys.executable, "-c", "from trustgraph.cli import main; main()", "-q", "load", str(folder), "--format", "json"],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def _version(server: Server) -> str:
    store = server.store()
    try:
        return store.version()
    finally:
        store.close()


def _stats(server: Server, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from trustgraph.cli import main; main()", *server.cli_args(),
                           "stats", "--format", "json"], cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**{k: v for k, v in os.environ.items() if not k.startswith(("NEO4J_", "TRUSTGRAPH_"))},
                               "TRUSTGRAPH_CACHE": str(cwd / "cache")})


def _raw_version(server: Server) -> str:
    """The version node's counter, read past the refusal of an unfinished load."""
    import neo4j

    with neo4j.GraphDatabase.driver(server.uri, auth=(server.username, server.password)) as driver:
        records, _, _ = driver.execute_query(
            "MATCH (m:TrustgraphMeta {key: 'store'}) RETURN m.store_id + ':' + toString(m.version) AS v",
            database_=server.database, routing_=neo4j.RoutingControl.READ)
    return str(records[0]["v"])


def _count_referrals(server: Server) -> int:
    store = server.store()
    try:
        return store.counts()["referrals"]
    finally:
        store.close()


def test_kill_during_a_large_load_then_rerun_completes_without_duplicates(private_server: Server,
                                                                        tmp_path: Path) -> None:
    server = private_server
    folder = _synthetic_dataset(tmp_path / "big")
    empty = _version(server)
    proc = _load(server, folder, tmp_path)

    # Kill the server once the load has committed some referrals (the load commits batch by batch).
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the load ended before the kill: {proc.communicate()}"
        try:
            if _count_referrals(server) > 0:
                break
        except Exception:  # noqa: BLE001 - the server is busy; ask again
            pass
        time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("the load never committed a referral batch")
    server.kill()

    out, err = proc.communicate(timeout=180)
    assert proc.returncode == 5, (out, err)
    assert out == ""
    assert err.startswith(f"error: lost the connection to Neo4j at {server.uri}"), err
    assert err.count("\n") == 1 and "Traceback" not in err and server.password not in err

    server.start()  # recovers from the transaction log
    partial = _count_referrals(server)
    assert 0 < partial < N_REFERRALS, partial  # the kill landed mid-load
    half = _raw_version(server)
    assert half != empty and half.rpartition(":")[0] == empty.rpartition(":")[0]  # committed batches counted

    # Readers do not take the partial load for the truth: they name it and say how to finish it.
    store = server.store()
    try:
        [unfinished] = store.unfinished_loads()
    finally:
        store.close()
    assert unfinished["rows"] == N_ORGS + N_REFERRALS
    refused = _stats(server, tmp_path)
    assert refused.returncode == 5 and refused.stdout == "", refused.stderr
    assert refused.stderr.startswith(f"error: Neo4j at {server.uri} holds an unfinished load: load "
                                     f"{unfinished['load']} of {N_ORGS + N_REFERRALS:,} rows"), refused.stderr
    assert "rerun the same load" in refused.stderr and "Traceback" not in refused.stderr

    again = _load(server, folder, tmp_path)
    out, err = again.communicate(timeout=600)
    assert again.returncode == 0, err

    expected = load_dataset(folder)
    store = server.store()
    try:
        assert store.counts()["organizations"] == N_ORGS
        assert store.counts()["referrals"] == N_REFERRALS
        _, dupes = store.run_read(
            "MATCH ()-[r:REFERS]->() WITH r.id AS id, count(*) AS n WHERE n > 1 RETURN count(id) AS dupes")
        assert dupes == [[0]]
        assert store.version() not in (empty, half)  # a snapshot of the partial load is never reused
        assert store.unfinished_loads() == []
        pd.testing.assert_frame_equal(store.table("referrals"), sort_frame("referrals", expected["referrals"]))
    finally:
        store.close()
    answered = _stats(server, tmp_path)
    assert answered.returncode == 0, answered.stderr


def test_a_read_that_loses_its_server_gives_up_within_the_retry_window(private_server: Server) -> None:
    """The driver retries a transaction while the server is unreachable; trustgraph bounds that at
    RETRY_SECONDS (it gives up 12-18 s after the first attempt, RETRY_GIVES_UP_WITHIN; 30 s and more with
    the driver's default, and 29 s by chance with a window of 15 s), then the store knows the server is
    lost: the next question tries one connection and fails at once (a long-lived service answers 503
    "store unavailable" to every request, not a 30 s timeout to the second one), and once the server is
    back the same store answers again."""
    from trustgraph.errors import StoreUnavailableError
    from trustgraph.store.neo4j import RETRY_GIVES_UP_WITHIN, RETRY_SECONDS

    store = private_server.store()
    try:
        assert store.counts()["organizations"] == 0
        private_server.stop(remove=False)
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="lost the connection to Neo4j"):
            store.table("organizations")
        first = time.monotonic() - started
        started = time.monotonic()
        with pytest.raises(StoreUnavailableError, match="lost the connection to Neo4j"):
            store.version()
        second = time.monotonic() - started
        private_server.start()
        assert store.counts()["organizations"] == 0
    finally:
        store.close()
    assert RETRY_SECONDS < RETRY_GIVES_UP_WITHIN <= 20
    assert first < RETRY_GIVES_UP_WITHIN + 4  # connection attempts to a closed port fail at once
    assert second < 5


@pytest.mark.parametrize("draw", [0.0, 1.0], ids=["shortest-delays", "longest-delays"])
def test_the_retry_window_ends_after_the_same_attempt_whatever_the_jitter(draw: float,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver looks at the window only after a failed attempt, then sleeps its whole next delay;
    RETRY_SECONDS must not fall inside the jittered spread of one of those checks, or the give-up time
    doubles by chance (15 s gave up after 14 s or 29 s). Replays the driver's own delay generator at its
    jitter extremes, with the driver's own settings."""
    from neo4j._conf import WorkspaceConfig
    from neo4j._sync.work import session as driver_session

    from trustgraph.store.neo4j import RETRY_GIVES_UP_WITHIN, RETRY_SECONDS

    config = WorkspaceConfig()
    monkeypatch.setattr(driver_session, "random", lambda: draw)
    delays = driver_session.retry_delay_generator(config.initial_retry_delay, config.retry_delay_multiplier,
                                                  config.retry_delay_jitter_factor)
    elapsed, attempts = 0.0, 1  # attempts take no time here: a closed port refuses at once
    while elapsed <= RETRY_SECONDS:  # the driver's check: give up once elapsed > the window
        elapsed += next(delays)
        attempts += 1
    assert attempts == 5
    assert 12.0 - 1e-9 <= elapsed <= RETRY_GIVES_UP_WITHIN + 1e-9
