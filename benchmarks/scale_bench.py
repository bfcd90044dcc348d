"""Scale past the sample: load a generated network, build the snapshot, answer questions — time and peak memory.

Stages, each a cold ``trustgraph`` process (its own wall time and peak RSS, from ``os.wait4``):

1. ``generate``: ``benchmarks/generate_network.py`` writes the network (reused when the folder already
   holds one of the same size and seed).
2. ``load``: ``trustgraph load`` into a fresh SQLite store (validation of every row, one transaction).
3. ``snapshot``: the first question (``stats``), which compiles the snapshot beside the store; then
   ``stats`` again, which only opens it.
4. The questions: ``chain HUB TARGET``, ``vouchers TARGET --for HUB``, ``exposure EXPOSED``,
   ``referrals TARGET``, ``reputation --limit 5``, ``contagion --limit 5`` — HUB is the most active
   pre-trusted party, TARGET a well-referred honest party in another community, EXPOSED a party that
   referred a listed one (``network.json``, written by the generator).
5. Peers on the same referral edges (positive ones, weighted by strength, personalised on the
   pre-trusted parties), each in its own child process: ``networkx.pagerank`` and python-igraph's
   ``personalized_pagerank`` (the ``[bench]`` extra); reading the edges and building the graph are
   timed apart from the ranking.

A stage that fails (exit status, memory limit, timeout) is reported with where it stopped and its
peak RSS, and later stages that need it are skipped. ``--mem-limit-gb`` caps every child's address
space (``RLIMIT_AS``) so that running out of memory is a clean error in that child rather than the
kernel's OOM killer picking a process on a shared machine.

Run, from the repository root::

    .venv/bin/python benchmarks/scale_bench.py --parties 10000 --referrals 100000
    .venv/bin/python benchmarks/scale_bench.py                       # 1 M parties, 10 M referrals

The work folder (``--workdir``, default ``benchmarks/out/scale-<parties>-<referrals>``, git-ignored)
holds ``data/``, ``store.db`` and ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TRUSTGRAPH = BIN / "trustgraph"


@dataclass
class Stage:
    """One child process: what ran, how long, its peak resident memory and how it ended."""

    name: str
    command: str
    seconds: float
    peak_mib: float
    rc: int
    note: str = ""
    cpu_s: float = 0.0  # user + system: unlike wall time, barely moved by other jobs on the machine


def run_child(name: str, argv: list[str], *, timeout: float, mem_limit_gb: float | None = None,
              log: Path | None = None, cwd: Path = ROOT, env: dict[str, str] | None = None) -> tuple[Stage, str]:
    """Run ``argv`` to completion and measure it alone (``wait4`` gives this child's own rusage);
    returns the stage and the child's standard output (its standard error is appended to ``log``)."""
    limit = None if mem_limit_gb is None else int(mem_limit_gb * 2**30)

    def _limit() -> None:  # runs in the child, before exec
        if limit is not None:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    chunks: list[bytes] = []

    def _drain(stream: Any) -> None:  # a large answer must not block the child on a full pipe
        for data in iter(lambda: stream.read(1 << 16), b""):
            chunks.append(data)

    with open(log or Path(os.devnull), "ab") as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=err, preexec_fn=_limit, cwd=cwd,
                                env=env)
        reader = threading.Thread(target=_drain, args=(proc.stdout,), daemon=True)
        reader.start()
        timed_out = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if not timed_out and time.perf_counter() - t0 > timeout:
                proc.kill()
                timed_out = True
            time.sleep(0.005)
        proc.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - t0
        reader.join()
    text = b"".join(chunks).decode("utf-8", "replace")
    note = "timed out" if timed_out else ""
    if proc.returncode < 0:
        note = note or f"killed by signal {-proc.returncode}"
    shown = " ".join([Path(argv[0]).name] + [str(a) for a in argv[1:]]).replace(str(ROOT) + "/", "")
    cpu = usage.ru_utime + usage.ru_stime
    return Stage(name, shown, elapsed, usage.ru_maxrss / 1024, proc.returncode, note, cpu), text


def _peer(kind: str, data: Path) -> None:
    """Child mode: build the referral graph with networkx or igraph and rank it; prints JSON timings."""
    import pandas as pd

    t0 = time.perf_counter()
    refs = pd.read_csv(data / "referrals.csv", usecols=["source", "target", "strength"],
                       dtype={"source": str, "target": str, "strength": float})
    refs = refs[refs["strength"] > 0]
    orgs = pd.read_csv(data / "organizations.csv", usecols=["id", "pretrusted"], dtype={"id": str, "pretrusted": str})
    seeds = orgs.loc[orgs["pretrusted"] == "true", "id"].tolist()
    read = time.perf_counter() - t0
    t0 = time.perf_counter()
    if kind == "networkx":
        import networkx as nx

        G = nx.DiGraph()
        G.add_weighted_edges_from(zip(refs["source"], refs["target"], refs["strength"]))
        del refs
        built = time.perf_counter() - t0
        t0 = time.perf_counter()
        rank = nx.pagerank(G, alpha=0.85, personalization={s: 1.0 for s in seeds if s in G}, weight="weight")
        top = max(rank, key=rank.__getitem__)
        edges = G.number_of_edges()
    else:
        import igraph as ig
        import numpy as np

        codes, names = pd.factorize(pd.concat([refs["source"], refs["target"]], ignore_index=True))
        m = len(refs)
        g = ig.Graph(n=len(names), edges=np.column_stack([codes[:m], codes[m:]]).tolist(), directed=True)
        g.es["weight"] = refs["strength"].to_numpy().tolist()
        g.simplify(multiple=True, loops=True, combine_edges="sum")
        built = time.perf_counter() - t0
        index = {name: i for i, name in enumerate(names)}
        t0 = time.perf_counter()
        ranks = g.personalized_pagerank(damping=0.85, reset_vertices=[index[s] for s in seeds if s in index],
                                        weights="weight", directed=True)
        top = str(names[int(np.argmax(ranks))])
        edges = g.ecount()
    print(json.dumps({"read": read, "build": built, "rank": time.perf_counter() - t0, "edges": edges, "top": top}))


def _table(stages: list[Stage]) -> str:
    lines = ["| stage | command | wall time | CPU time | peak RSS | result |", "|---|---|---|---|---|---|"]
    for s in stages:
        result = "ok" if s.rc == 0 else f"exit {s.rc}"
        if s.note:
            result += f" ({s.note})"
        lines.append(f"| {s.name} | `{s.command}` | {s.seconds:.2f} s | {s.cpu_s:.2f} s | {s.peak_mib:,.0f} MiB | {result} |")
    return "\n".join(lines)


def bench(parties: int, referrals: int, *, workdir: Path, seed: int, peers: bool, mem_limit_gb: float | None,
          timeout: float, question_timeout: float, reuse_store: bool) -> list[Stage]:
    """Run every stage; print each as it ends; return them (also written to ``workdir/results.json``)."""
    data = workdir / "data"
    store = workdir / "store.db"
    log = workdir / "stderr.log"
    workdir.mkdir(parents=True, exist_ok=True)
    stages: list[Stage] = []
    py = sys.executable

    def step(name: str, argv: list[str], limit: float = timeout) -> tuple[Stage, str]:
        with open(log, "a") as f:
            f.write(f"\n=== {name}: {' '.join(argv)}\n")
        stage, out = run_child(name, argv, timeout=limit, mem_limit_gb=mem_limit_gb, log=log)
        stages.append(stage)
        print(f"{name:<22} {stage.seconds:9.2f} s (CPU {stage.cpu_s:8.2f} s) {stage.peak_mib:10,.0f} MiB  rc={stage.rc}"
              f" {stage.note}", flush=True)
        (workdir / "results.json").write_text(json.dumps([asdict(s) for s in stages], indent=2) + "\n")
        return stage, out

    info_path = data / "network.json"
    info: dict[str, Any] = json.loads(info_path.read_text()) if info_path.exists() else {}
    if (info.get("parties"), info.get("referrals"), info.get("seed")) != (parties, referrals, seed):
        shutil.rmtree(data, ignore_errors=True)
        stage, _ = step("generate", [py, str(ROOT / "benchmarks" / "generate_network.py"), str(data),
                                     "--parties", str(parties), "--referrals", str(referrals), "--seed", str(seed)])
        if stage.rc != 0:
            return stages
        info = json.loads(info_path.read_text())
    print(f"network: {json.dumps({k: info[k] for k in ('rows', 'hub', 'targets', 'exposed')})}", flush=True)
    tg = [str(TRUSTGRAPH), "-q", "--store", str(store)]
    if not (reuse_store and store.exists()):
        for path in store.parent.glob(store.name + "*"):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
        stage, _ = step("load", tg + ["load", str(data), "--format", "json"])
        if stage.rc != 0:
            return stages
    stage, _ = step("snapshot (first stats)", tg + ["stats", "--format", "json"])
    if stage.rc != 0:
        return stages
    hub, target, exposed = info["hub"], info["targets"][0], info["exposed"]
    questions = [
        ("stats", ["stats"]),
        ("chain", ["chain", hub, target]),
        ("vouchers", ["vouchers", target, "--for", hub]),
        ("exposure", ["exposure", exposed]),
        ("referrals", ["referrals", target]),
        ("reputation --limit 5", ["reputation", "--limit", "5"]),
        ("contagion --limit 5", ["contagion", "--limit", "5"]),
    ]
    for name, args in questions:
        stage, out = step(name, tg + args + ["--format", "json"], question_timeout)
        if stage.rc not in (0, 4):
            print(f"  {name} failed; see {log}", flush=True)
    if peers:
        for kind in ("igraph", "networkx"):
            stage, out = step(f"peer: {kind}", [py, str(Path(__file__).resolve()), "--peer", kind, "--data", str(data)],
                              question_timeout)
            if stage.rc == 0 and out.strip():
                figures = json.loads(out.strip().splitlines()[-1])
                stage.note = (f"read {figures['read']:.1f} s, build {figures['build']:.1f} s, "
                              f"pagerank {figures['rank']:.2f} s, {figures['edges']:,} edges")
    return stages


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parties", type=int, default=1_000_000)
    parser.add_argument("--referrals", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=20250630)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="[default: benchmarks/out/scale-<parties>-<referrals>]")
    parser.add_argument("--no-peers", dest="peers", action="store_false", help="skip the networkx and igraph peers")
    parser.add_argument("--reuse-store", action="store_true", help="keep an existing store (skip load)")
    parser.add_argument("--mem-limit-gb", type=float, default=None, help="address-space cap of every child")
    parser.add_argument("--timeout", type=float, default=4 * 3600,
                        help="seconds allowed to generate, load and build the snapshot, each [default: 4 h]")
    parser.add_argument("--question-timeout", type=float, default=600,
                        help="seconds allowed to each question and peer [default: 600]")
    parser.add_argument("--peer", choices=("networkx", "igraph"), help=argparse.SUPPRESS)
    parser.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer:
        _peer(args.peer, args.data)
        return
    workdir = args.workdir or ROOT / "benchmarks" / "out" / f"scale-{args.parties}-{args.referrals}"
    print(f"scale benchmark: {args.parties:,} parties, {args.referrals:,} referrals, work folder {workdir}", flush=True)
    stages = bench(args.parties, args.referrals, workdir=workdir, seed=args.seed, peers=args.peers,
                   mem_limit_gb=args.mem_limit_gb, timeout=args.timeout,
                   question_timeout=args.question_timeout, reuse_store=args.reuse_store)
    print()
    print(_table(stages))
    size = sum(p.stat().st_size for p in workdir.glob("store.db*") if p.is_file())  # with its journal
    snap = sum(p.stat().st_size for p in workdir.glob("store.db.snapshots/**/*") if p.is_file())
    print(f"\nstore {size / 2**20:,.0f} MiB; snapshot files {snap / 2**20:,.0f} MiB")


if __name__ == "__main__":
    main()
