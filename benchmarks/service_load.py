"""Load test of ``trustgraph serve`` over real HTTP on loopback (issue 14; docs/benchmarks.md).

Starts ``trustgraph --store STORE serve`` as a separate process, waits for /healthz, then runs
``--clients`` concurrent clients (httpx, one connection each) for ``--seconds``. Each client loops:
pick an endpoint (chain, referrals, exposure in turn), send it, record status and latency, then wait a
think time drawn from an exponential distribution with mean ``--think`` seconds (0 = back to back,
which measures saturation throughput instead of latency at a realistic rate). Requests use party ids
drawn (seeded) from the store: chain sources among parties with at least one trust tie out, targets
among parties with one in; referrals and exposure any party.

A warm-up load (``--warmup-seconds``, not counted) runs first. Reports per endpoint: count, status
codes, p50/p95/p99/max latency; the server's RSS at start, after warm-up and at the end (all its
processes); then the time of one batch of ``--batch`` referral lookups
(POST /v1/referrals). Bounded in time: ``--seconds`` plus start-up. Writes JSON with ``--json``.

    python benchmarks/service_load.py --store /work/bench/epinions.db --clients 50 --seconds 60
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its children, in MB (from /proc)."""
    total = 0
    pids = [pid]
    try:
        children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
        pids += [int(c) for c in children]
    except OSError:
        pass
    for p in pids:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


def pick_ids(store: str, count: int, seed: int) -> tuple[list[str], list[str], list[str]]:
    from trustgraph.snapshot import open_snapshot
    from trustgraph.store import StoreSettings, open_store

    st = open_store(StoreSettings.resolve(store=store), create=False)
    snap = open_snapshot(st, as_of=None, half_life_days=730.0)
    rng = np.random.default_rng(seed)
    outdeg = np.diff(snap.indptr)
    indeg = np.bincount(snap.dst, minlength=snap.n)
    src = rng.choice(np.nonzero(outdeg > 0)[0], count)
    dst = rng.choice(np.nonzero(indeg > 0)[0], count)
    anyone = rng.choice(snap.n, count)
    ids = snap.ids
    st.close()
    return [str(ids[int(i)]) for i in src], [str(ids[int(i)]) for i in dst], [str(ids[int(i)]) for i in anyone]


async def client(base: str, stop: float, think: float, rng: random.Random, ids: tuple[list[str], ...],
                 results: dict[str, list[tuple[int, float]]]) -> None:
    src, dst, anyone = ids
    kinds = ["chain", "referrals", "exposure"]
    k = rng.randrange(3)
    async with httpx.AsyncClient(base_url=base, timeout=60.0) as http:
        while time.monotonic() < stop:
            kind = kinds[k % 3]
            k += 1
            j = rng.randrange(len(src))
            if kind == "chain":
                url, params = "/v1/chain", {"from": src[j], "to": dst[j]}
            elif kind == "referrals":
                url, params = f"/v1/referrals/{anyone[j]}", {}
            else:
                url, params = f"/v1/exposure/{anyone[j]}", {"limit": "20"}
            t = time.perf_counter()
            try:
                r = await http.get(url, params=params)
                status = r.status_code
            except httpx.HTTPError:
                status = 0
            results[kind].append((status, time.perf_counter() - t))
            if think > 0:
                await asyncio.sleep(rng.expovariate(1.0 / think))


def summary(rows: list[tuple[int, float]]) -> dict[str, object]:
    times = sorted(t for _, t in rows)
    codes: dict[str, int] = {}
    for s, _ in rows:
        codes[str(s)] = codes.get(str(s), 0) + 1

    def q(p: float) -> float:
        return round(times[min(len(times) - 1, int(p * len(times)))] * 1000, 2) if times else float("nan")

    return {"count": len(rows), "codes": codes, "p50_ms": q(0.5), "p95_ms": q(0.95), "p99_ms": q(0.99),
            "max_ms": round(times[-1] * 1000, 2) if times else None,
            "mean_ms": round(statistics.fmean(times) * 1000, 2) if times else None}


async def run_load(base: str, args: argparse.Namespace, ids: tuple[list[str], ...]) -> dict[str, list]:
    results: dict[str, list[tuple[int, float]]] = {"chain": [], "referrals": [], "exposure": []}
    stop = time.monotonic() + args.seconds
    rng = random.Random(args.seed)
    await asyncio.gather(*(client(base, stop, args.think, random.Random(rng.random()), ids, results)
                           for _ in range(args.clients)))
    return results


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--think", type=float, default=1.0, help="mean think time between a client's requests (s)")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--warmup-seconds", type=float, default=20.0,
                    help="load run first and not counted (fills what the server keeps between questions)")
    ap.add_argument("--json", default=None)
    args = ap.parse_args()

    ids = pick_ids(args.store, 5000, args.seed)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    exe = [sys.executable, "-m", "trustgraph", "--store", args.store, "-q", "serve", "--port", str(port),
           "--workers", str(args.workers), "--log-level", "warning"]
    server = subprocess.Popen(exe, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              start_new_session=True)
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"server did not start: {server.stdout.read() if server.stdout else ''}")
            time.sleep(0.2)
        rss_start = rss_mb(server.pid)
        t = time.perf_counter()
        warm = [httpx.get(base + "/v1/chain", params={"from": ids[0][0], "to": ids[1][0]}, timeout=120),
                httpx.get(base + f"/v1/referrals/{ids[2][0]}", timeout=120),
                httpx.get(base + f"/v1/exposure/{ids[2][0]}", timeout=120)]
        first = time.perf_counter() - t
        for _ in range(4 * args.workers):  # every worker compiles/opens its snapshot and indexes
            httpx.get(base + "/v1/chain", params={"from": ids[0][1], "to": ids[1][1]}, timeout=120)
            httpx.get(base + f"/v1/exposure/{ids[2][1]}", timeout=120)
        if args.warmup_seconds > 0:
            asyncio.run(run_load(base, argparse.Namespace(**{**vars(args), "seconds": args.warmup_seconds,
                                                            "seed": args.seed + 1}), ids))
        rss_warm = rss_mb(server.pid)
        results = asyncio.run(run_load(base, args, ids))
        rss_end = rss_mb(server.pid)
        batch_ids = ids[2][: args.batch]
        t = time.perf_counter()
        r = httpx.post(base + "/v1/referrals", json={"ids": batch_ids}, timeout=120)
        batch_s = time.perf_counter() - t
        batch_rows = len(r.json().get("rows", [])) if r.status_code == 200 else None
        t = time.perf_counter()
        r2 = httpx.post(base + "/v1/referrals", params={"for": ids[0][0]}, json={"ids": batch_ids}, timeout=120)
        batch_for_s = time.perf_counter() - t
        report = {
            "store": args.store, "clients": args.clients, "seconds": args.seconds, "think_s": args.think,
            "warmup_seconds": args.warmup_seconds,
            "workers": args.workers, "warmup_first_requests_s": round(first, 2),
            "warmup_codes": [w.status_code for w in warm],
            "endpoints": {k: summary(v) for k, v in results.items()},
            "throughput_rps": round(sum(len(v) for v in results.values()) / args.seconds, 1),
            "server_rss_mb": {"start": round(rss_start), "after_warmup": round(rss_warm), "end": round(rss_end)},
            "batch": {"ids": len(batch_ids), "status": r.status_code, "rows": batch_rows, "seconds": round(batch_s, 3),
                      "with_for_status": r2.status_code, "with_for_seconds": round(batch_for_s, 3)},
        }
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text + "\n")


if __name__ == "__main__":
    main()
