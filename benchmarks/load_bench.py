"""Loading Epinions into Neo4j and into SQLite: rows per second and peak memory, side by side.

Stages
------
1. Server start-up: ``scripts/neo4j-local start`` on an empty state folder (skipped with
   ``--neo4j-uri``, which uses your own server; its database is emptied first).
2. Full load of Epinions (SNAP signed network; 131,828 organisations and 840,799 referrals once the
   importer has merged repeated ratings) with ``SqliteStore.load`` and ``Neo4jStore.load``; each in
   its own child process so that its peak RSS is its own. For Neo4j the server's peak RSS (VmHWM)
   is shown too when the server runs on this machine. Target (issue 3): ≥ 20,000 relationships/s
   into Neo4j.
3. Reload (Neo4j): the same load again; every MERGE finds its row, nothing changes. Then every table
   is read back (what each command does before it projects the graph), on both stores.
4. Batching: 10,000 referrals written with ``UNWIND $rows`` batches (the store) versus one statement
   per row — in one transaction, and one transaction per row (what a naive loader does).

Run: ``.venv/bin/python benchmarks/load_bench.py [--data PATH] [--neo4j-uri URI] [--sample 10000]``
(``NEO4J_USERNAME`` / ``NEO4J_PASSWORD`` are read from the environment, default neo4j/trustgraph-dev).
Figures depend on the machine; the numbers in docs/neo4j.md say where they were measured.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT.parent / "shared" / "data" / "epinions" / "soc-sign-epinions.txt.gz"
SCRIPT = ROOT / "scripts" / "neo4j-local"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


def _server_peak_mib(pid: int | None) -> float | None:
    """The server process's peak resident memory (Linux VmHWM), when it runs here."""
    if pid is None:
        return None
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 2**10
    except OSError:
        return None
    return None


def _credentials() -> tuple[str, str]:
    return os.environ.get("NEO4J_USERNAME") or "neo4j", os.environ.get("NEO4J_PASSWORD") or "trustgraph-dev"


# -- child stages (run in their own process) -------------------------------------------------------


def _read(path: str) -> tuple[dict[str, Any], float]:
    from trustgraph.importers import read_snap_signed

    t0 = time.perf_counter()
    tables = dict(read_snap_signed(path))
    return tables, time.perf_counter() - t0


def stage_sqlite(path: str) -> dict[str, Any]:
    from trustgraph.store import SqliteStore
    from trustgraph.store.base import tables as store_tables

    tables, read_s = _read(path)
    with tempfile.TemporaryDirectory() as tmp:
        store = SqliteStore(Path(tmp) / "bench.db")
        t0 = time.perf_counter()
        store.load(tables)
        elapsed = time.perf_counter() - t0
        counts = store.counts()
        t0 = time.perf_counter()
        store_tables(store)
        back_s = time.perf_counter() - t0
        store.close()
    return {"read_s": read_s, "load_s": elapsed, "back_s": back_s, "counts": counts, "peak_mib": _peak_mib()}


def stage_neo4j(path: str, uri: str, reload: bool) -> dict[str, Any]:
    from trustgraph.store.base import tables as store_tables
    from trustgraph.store.neo4j import Neo4jStore

    user, password = _credentials()
    tables, read_s = _read(path)
    store = Neo4jStore(uri, username=user, password=password)
    store.clear()
    t0 = time.perf_counter()
    store.load(tables)
    elapsed = time.perf_counter() - t0
    out: dict[str, Any] = {"read_s": read_s, "load_s": elapsed, "counts": store.counts()}
    t0 = time.perf_counter()
    store_tables(store)
    out["back_s"] = time.perf_counter() - t0
    if reload:
        t0 = time.perf_counter()
        store.load(tables)
        out["reload_s"] = time.perf_counter() - t0
        out["counts_after_reload"] = store.counts()
    out["peak_mib"] = _peak_mib()
    store.close()
    return out


def stage_batching(path: str, uri: str, sample: int) -> dict[str, Any]:
    """The store's batched writes against one statement per row, on ``sample`` referrals."""
    from trustgraph.store.neo4j import _STATEMENTS, Neo4jStore

    user, password = _credentials()
    tables, _ = _read(path)
    refs = tables["referrals"].iloc[:sample].reset_index(drop=True)
    used = set(refs["source"]) | set(refs["target"])
    orgs = tables["organizations"][tables["organizations"]["id"].isin(used)].reset_index(drop=True)
    store = Neo4jStore(uri, username=user, password=password)
    store.clear()
    store.load({"organizations": orgs})
    units = [u for u in store._units({"referrals": refs}, {}) if u.check == "written"]
    rows = [row for unit in units for row in unit.rows]
    statement = _STATEMENTS["referrals"].upsert

    def wipe() -> None:
        store._write(lambda tx: tx.run("MATCH ()-[r:REFERS]->() DELETE r").consume())

    results: dict[str, Any] = {"rows": len(rows)}
    wipe()
    t0 = time.perf_counter()
    store.load({"referrals": refs})
    results["batched_s"] = time.perf_counter() - t0

    wipe()
    t0 = time.perf_counter()

    def per_row_one_tx(tx: Any) -> None:
        for row in rows:
            tx.run(statement, rows=[row]).consume()

    store._write(per_row_one_tx)
    results["per_row_one_tx_s"] = time.perf_counter() - t0

    wipe()
    t0 = time.perf_counter()
    for row in rows:
        store._write(lambda tx, r=row: tx.run(statement, rows=[r]).consume())
    results["per_row_tx_each_s"] = time.perf_counter() - t0
    assert store.counts()["referrals"] == len(rows)
    store.clear()
    store.close()
    return results


# -- driver ----------------------------------------------------------------------------------------


def _child(*args: str) -> dict[str, Any]:
    done = subprocess.run([sys.executable, __file__, "--stage", *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"stage {args[0]} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT), help="SNAP signed edge list [default: Epinions]")
    parser.add_argument("--neo4j-uri", default=None, help="use this server instead of starting one")
    parser.add_argument("--sample", type=int, default=10_000, help="rows for the batching comparison")
    parser.add_argument("--skip-full", action="store_true", help="only the batching comparison")
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:
        kind, *rest = args.stage
        if kind == "sqlite":
            result = stage_sqlite(rest[0])
        elif kind == "neo4j":
            result = stage_neo4j(rest[0], rest[1], rest[2] == "reload")
        else:
            result = stage_batching(rest[0], rest[1], int(rest[2]))
        print(json.dumps(result))
        return

    state: Path | None = None
    uri = args.neo4j_uri
    pid: int | None = None
    try:
        print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start", flush=True)
        if uri is None:
            state = Path(tempfile.mkdtemp(prefix="trustgraph-bench-"))
            port = _free_port()
            env = dict(os.environ, NEO4J_LOCAL_PORT=str(port), NEO4J_LOCAL_DIR=str(state))
            t0 = time.perf_counter()
            subprocess.run([str(SCRIPT), "start"], env=env, check=True, capture_output=True, text=True)
            print(f"Neo4j server start-up (scripts/neo4j-local start, empty store): "
                  f"{time.perf_counter() - t0:.1f} s", flush=True)
            uri = f"bolt://127.0.0.1:{port}"
            pid = int((state / "neo4j.pid").read_text().strip())

        if not args.skip_full:
            lite = _child("sqlite", args.data)
            n_orgs, n_refs = lite["counts"]["organizations"], lite["counts"]["referrals"]
            print(f"\n{Path(args.data).name}: {n_orgs:,} organisations + {n_refs:,} referrals "
                  f"(read + validate {lite['read_s']:.1f} s)")
            print(f"{'store':<28} {'load s':>8} {'rows/s':>10} {'rels/s':>10} {'client peak':>12} {'server peak':>12}")

            def line(name: str, seconds: float, client: float, server: float | None) -> None:
                rows = n_orgs + n_refs
                srv = f"{server:9.0f} MiB" if server is not None else f"{'n/a':>12}"
                print(f"{name:<28} {seconds:8.1f} {rows / seconds:10,.0f} {n_refs / seconds:10,.0f} "
                      f"{client:8.0f} MiB {srv}", flush=True)

            line("SQLite (one transaction)", lite["load_s"], lite["peak_mib"], None)
            neo = _child("neo4j", args.data, uri, "reload")
            assert neo["counts"] == lite["counts"] == neo["counts_after_reload"], (neo["counts"], lite["counts"])
            line("Neo4j (UNWIND batches)", neo["load_s"], neo["peak_mib"], _server_peak_mib(pid))
            line("Neo4j reload (all MERGE hit)", neo["reload_s"], neo["peak_mib"], _server_peak_mib(pid))
            print(f"reading every table back (store.table): SQLite {lite['back_s']:.1f} s, "
                  f"Neo4j {neo['back_s']:.1f} s", flush=True)

        batch = _child("batching", args.data, uri, str(args.sample))
        n = batch["rows"]
        print(f"\nbatching, {n:,} referrals into Neo4j:")
        print(f"  UNWIND $rows batches (the store)      {batch['batched_s']:7.2f} s  {n / batch['batched_s']:9,.0f} rows/s")
        for key, label in (("per_row_one_tx_s", "one statement per row, one transaction"),
                           ("per_row_tx_each_s", "one statement and transaction per row")):
            print(f"  {label:<38}{batch[key]:7.2f} s  {n / batch[key]:9,.0f} rows/s   "
                  f"batching is {batch[key] / batch['batched_s']:.1f}x faster")
        print(f"\nload average {os.getloadavg()[0]:.1f} at the end", flush=True)
    finally:
        if state is not None:
            env = dict(os.environ, NEO4J_LOCAL_DIR=str(state))
            subprocess.run([str(SCRIPT), "stop"], env=env, check=False, capture_output=True)
            shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
