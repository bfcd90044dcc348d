"""Loading into Neo4j, online and in bulk, beside SQLite: relationships per second and peak memory.

Stages
------
1. Server start-up: ``scripts/neo4j-local start`` on an empty state folder (skipped with
   ``--neo4j-uri``, which uses your own server; its database is emptied first; the bulk stages then
   need ``NEO4J_LOCAL_DIR`` to name that server's state folder).
2. Epinions (SNAP signed network; 131,828 organisations and 840,799 referrals once the importer has
   merged repeated ratings), ``--repeat`` times each (default 3; the median is reported), each store in
   its own child process so that its peak RSS is its own:
   ``SqliteStore.load`` (one transaction); ``Neo4jStore.load`` online into an emptied database (a
   first load: CREATE batches, endpoints by element id, the ``REFERS`` id constraint built again at
   the end; target, issue 19: ≥ 40,000 relationships/s), then one reload (every row stored: MERGE);
   ``load --bulk`` (``trustgraph.store.neo4j_bulk``: CSV files + Neo4j's offline importer while the
   server's databases are paused + the constraints; target ≥ 200,000 relationships/s), timed without
   reading the file, like the others.
   The server's peak RSS (VmHWM) is shown when it runs here; the importer's is the client's children's.
3. ``--big DIR``: a generated network (``benchmarks/generate_network.py``, e.g. the snapshot issue's
   1 M parties / 10 M referrals in ``benchmarks/out/scale-1000000-10000000/data``) validated with
   ``load_dataset`` and loaded with ``--bulk``: time of each step, peak memory of the client, of the
   importer and of the restarted server.
4. ``--batching``: 10,000 referrals written with ``UNWIND $rows`` batches (the store) versus one
   statement per row — in one transaction, and one transaction per row (what a naive loader does).

Run: ``.venv/bin/python benchmarks/load_bench.py [--data PATH] [--repeat 3] [--big DIR] [--batching]``
(``NEO4J_USERNAME`` / ``NEO4J_PASSWORD`` are read from the environment, default neo4j/trustgraph-dev).
Figures depend on the machine and on what else runs on it: the load average is printed next to them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import statistics
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


def stage_sqlite(path: str, repeat: int) -> dict[str, Any]:
    from trustgraph.store import SqliteStore
    from trustgraph.store.base import tables as store_tables

    tables, read_s = _read(path)
    out: dict[str, Any] = {"read_s": read_s, "load_s": [], "load_avg": []}
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            store = SqliteStore(Path(tmp) / "bench.db")
            out["load_avg"].append(os.getloadavg()[0])
            t0 = time.perf_counter()
            store.load(tables)
            out["load_s"].append(time.perf_counter() - t0)
            out["counts"] = store.counts()
            t0 = time.perf_counter()
            store_tables(store)
            out["back_s"] = time.perf_counter() - t0
            store.close()
    out["peak_mib"] = _peak_mib()
    return out


def _server_cpu_s(pid: int | None) -> float:
    """The server's CPU seconds so far (user + system), or 0 when it does not run here."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stage_neo4j(path: str, uri: str, repeat: int, pid_text: str) -> dict[str, Any]:
    from trustgraph.store.base import tables as store_tables
    from trustgraph.store.neo4j import Neo4jStore

    pid = int(pid_text) if pid_text.isdigit() else None
    user, password = _credentials()
    tables, read_s = _read(path)
    store = Neo4jStore(uri, username=user, password=password)
    out: dict[str, Any] = {"read_s": read_s, "load_s": [], "load_avg": [], "server_cpu_s": [], "client_cpu_s": []}
    for _ in range(repeat):
        store.clear()
        out["load_avg"].append(os.getloadavg()[0])
        cpu0, client0 = _server_cpu_s(pid), time.process_time()
        t0 = time.perf_counter()
        store.load(tables)
        out["load_s"].append(time.perf_counter() - t0)
        out["server_cpu_s"].append(_server_cpu_s(pid) - cpu0)
        out["client_cpu_s"].append(time.process_time() - client0)
    out["counts"] = store.counts()
    t0 = time.perf_counter()
    store_tables(store)
    out["back_s"] = time.perf_counter() - t0
    out["reload_avg"] = os.getloadavg()[0]
    t0 = time.perf_counter()
    store.load(tables)
    out["reload_s"] = time.perf_counter() - t0
    out["counts_after_reload"] = store.counts()
    out["peak_mib"] = _peak_mib()
    store.clear()
    store.close()
    return out


def stage_bulk(path: str, uri: str, repeat: int, kind: str) -> dict[str, Any]:
    """``repeat`` bulk loads of Epinions (``kind`` snap) or of a dataset folder (``kind`` folder)."""
    from trustgraph.store.neo4j import Neo4jStore
    from trustgraph.store.neo4j_bulk import bulk_load

    user, password = _credentials()
    if kind == "snap":
        tables, read_s = _read(path)
    else:
        from trustgraph.ingest import load_dataset

        t0 = time.perf_counter()
        tables = load_dataset(Path(path))
        read_s = time.perf_counter() - t0
    read_peak = _peak_mib()
    store = Neo4jStore(uri, username=user, password=password)
    out: dict[str, Any] = {"read_s": read_s, "read_peak_mib": read_peak, "runs": [], "rows": {
        n: len(f) for n, f in tables.items()}}
    for _ in range(repeat):
        store.clear()
        avg = os.getloadavg()[0]
        t0 = time.perf_counter()
        result = bulk_load(store, tables)
        total = time.perf_counter() - t0
        out["runs"].append({"total_s": total, "load_avg": avg, **result["seconds"]})
        out["counts"] = store.counts()
    out["peak_mib"] = _peak_mib()
    # the importer's own report (RUSAGE_CHILDREN would count the pages a forked child shares with this process)
    out["importer_peak_mib"] = max((r.get("importer_peak_mib", float("nan")) for r in out["runs"]), default=0.0)
    if kind == "snap":  # a large folder stays (the benchmark's own server is removed afterwards)
        store.clear()
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


nan = float("nan")


def _median(values: list[float]) -> float:
    return float(statistics.median(values))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", default=str(DEFAULT), help="SNAP signed edge list [default: Epinions]")
    parser.add_argument("--neo4j-uri", default=None, help="use this server instead of starting one")
    parser.add_argument("--repeat", type=int, default=3, help="loads per store; the median is reported")
    parser.add_argument("--big", default=None, metavar="DIR", help="also bulk load this dataset folder once")
    parser.add_argument("--skip-full", action="store_true", help="skip the Epinions loads")
    parser.add_argument("--batching", action="store_true", help="also compare batches with one statement per row")
    parser.add_argument("--sample", type=int, default=10_000, help="rows for the batching comparison")
    parser.add_argument("--heap", default=None, help="server heap when this script starts it (NEO4J_LOCAL_HEAP)")
    parser.add_argument("--pagecache", default=None, help="server page cache (NEO4J_LOCAL_PAGECACHE)")
    parser.add_argument("--stage", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.stage:
        kind, *rest = args.stage
        if kind == "sqlite":
            result = stage_sqlite(rest[0], int(rest[1]))
        elif kind == "neo4j":
            result = stage_neo4j(rest[0], rest[1], int(rest[2]), rest[3])
        elif kind == "bulk":
            result = stage_bulk(rest[0], rest[1], int(rest[2]), rest[3])
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
            if args.heap:
                env["NEO4J_LOCAL_HEAP"] = args.heap
            if args.pagecache:
                env["NEO4J_LOCAL_PAGECACHE"] = args.pagecache
            # the bulk stages import into this server, and restart it with the same heap and page cache
            os.environ.update({k: v for k, v in env.items() if k.startswith("NEO4J_LOCAL_")})
            t0 = time.perf_counter()
            subprocess.run([str(SCRIPT), "start"], env=env, check=True, capture_output=True, text=True)
            print(f"Neo4j server start-up (scripts/neo4j-local start, empty store): "
                  f"{time.perf_counter() - t0:.1f} s (heap {env.get('NEO4J_LOCAL_HEAP', '1g')}, page cache "
                  f"{env.get('NEO4J_LOCAL_PAGECACHE', '256m')})", flush=True)
            uri = f"bolt://127.0.0.1:{port}"

        def server_pid() -> int | None:
            try:
                return int((state / "neo4j.pid").read_text().strip()) if state is not None else None
            except (OSError, ValueError):
                return None

        pid = server_pid()
        reps = str(args.repeat)
        if not args.skip_full:
            lite = _child("sqlite", args.data, reps)
            n_orgs, n_refs = lite["counts"]["organizations"], lite["counts"]["referrals"]
            print(f"\n{Path(args.data).name}: {n_orgs:,} organisations + {n_refs:,} referrals "
                  f"(read + validate {lite['read_s']:.1f} s); median of {args.repeat} loads each")
            print(f"{'store':<34} {'load s':>7} {'rows/s':>10} {'rels/s':>10} {'runs (s)':>22} "
                  f"{'load avg':>9} {'client peak':>12} {'server peak':>12}")

            def line(name: str, runs: list[float], avgs: list[float], client: float, server: float | None) -> None:
                seconds = _median(runs)
                srv = f"{server:8.0f} MiB" if server is not None else f"{'n/a':>12}"
                shown = ", ".join(f"{r:.1f}" for r in runs)
                print(f"{name:<34} {seconds:7.1f} {(n_orgs + n_refs) / seconds:10,.0f} {n_refs / seconds:10,.0f} "
                      f"{shown:>22} {min(avgs):4.1f}-{max(avgs):<4.1f} {client:8.0f} MiB {srv}", flush=True)

            line("SQLite (one transaction)", lite["load_s"], lite["load_avg"], lite["peak_mib"], None)
            neo = _child("neo4j", args.data, uri, reps, str(pid or ""))
            assert neo["counts"] == lite["counts"] == neo["counts_after_reload"], (neo["counts"], lite["counts"])
            line("Neo4j online (first load)", neo["load_s"], neo["load_avg"], neo["peak_mib"],
                 _server_peak_mib(pid))
            line("Neo4j online reload (MERGE)", [neo["reload_s"]], [neo["reload_avg"]], neo["peak_mib"],
                 _server_peak_mib(pid))
            cpu = ", ".join(f"{c:.1f}" for c in neo["server_cpu_s"])
            ccpu = ", ".join(f"{c:.1f}" for c in neo["client_cpu_s"])
            print(f"  online loads: server CPU {cpu} s, client CPU {ccpu} s; reading every table back: "
                  f"SQLite {lite['back_s']:.1f} s, Neo4j {neo['back_s']:.1f} s", flush=True)
            bulk = _child("bulk", args.data, uri, reps, "snap")
            assert bulk["counts"] == lite["counts"], (bulk["counts"], lite["counts"])
            runs = bulk["runs"]
            line("Neo4j bulk (--bulk, end to end)", [r["total_s"] for r in runs], [r["load_avg"] for r in runs],
                 bulk["peak_mib"], _server_peak_mib(server_pid()))
            importer = [r.get("importer", float("nan")) for r in runs]
            print(f"  bulk steps (median): CSV files {_median([r['files'] for r in runs]):.1f} s, importer "
                  f"{_median(importer):.1f} s ({n_refs / _median(importer):,.0f} rels/s), pause + import + restart "
                  f"{_median([r['import'] for r in runs]):.1f} s (pause {_median([r.get('pause', nan) for r in runs]):.1f}"
                  f" s, restart {_median([r.get('restart', nan) for r in runs]):.1f} s), constraints + version "
                  f"{_median([r['schema'] for r in runs]):.1f} s; importer peak "
                  f"{bulk['importer_peak_mib']:.0f} MiB", flush=True)

        if args.big:
            big = _child("bulk", args.big, uri, "1", "folder")
            run = big["runs"][0]
            n_refs = big["rows"].get("referrals", 0)
            rows = sum(big["rows"].values())
            print(f"\n{args.big}: {rows:,} rows ({n_refs:,} referrals), bulk load once "
                  f"(load average {run['load_avg']:.1f} at its start)")
            print(f"  read + validate (load_dataset) {big['read_s']:.1f} s, client peak {big['read_peak_mib']:.0f} MiB")
            print(f"  bulk load {run['total_s']:.1f} s = {n_refs / run['total_s']:,.0f} rels/s end to end: CSV files "
                  f"{run['files']:.1f} s, importer {run.get('importer', nan):.1f} s, pause + import + restart "
                  f"{run['import']:.1f} s (pause {run.get('pause', nan):.1f} s, restart {run.get('restart', nan):.1f} s), "
                  f"constraints + version {run['schema']:.1f} s")
            print(f"  peak RSS: client {big['peak_mib']:.0f} MiB, importer {big['importer_peak_mib']:.0f} MiB, "
                  f"server after the import {_server_peak_mib(server_pid()) or float('nan'):.0f} MiB", flush=True)

        if args.batching:
            batch = _child("batching", args.data, uri, str(args.sample))
            n = batch["rows"]
            print(f"\nbatching, {n:,} referrals into Neo4j:")
            print(f"  UNWIND $rows batches (the store)      {batch['batched_s']:7.2f} s  "
                  f"{n / batch['batched_s']:9,.0f} rows/s")
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
