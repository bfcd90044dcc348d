"""Every question as a cold process, before and after the compiled snapshot (issue 12's "Done when" table).

For each command, on the 96-party sample and on Epinions (131,828 parties, 840,799 referrals), both
in SQLite: one warm-up process (which may build the snapshot), then the median of ``--runs`` cold
processes: wall time, CPU time (user + system; on a shared machine wall time grows with the other
jobs, CPU time hardly does) and peak RSS, each child's own (``os.wait4``). The before code caches
nothing, so it gets no warm-up unless ``--before-warm-up``. *Before* is the code at
commit ``9b75100`` (the last commit before the snapshot), extracted outside the repository
(``git archive 9b75100 | tar -x -C DIR``); *after* is the working tree. Both run as
``python -c "from trustgraph.cli import main; main()" …`` with ``PYTHONPATH`` at their source and the
same virtual environment, from a folder outside the repository (so neither picks the other's code
up), each on stores it imported itself (``load data/sample``, ``import snap-signed``).

Printed: one row per command and store with both sides, the ratio Epinions / sample per command on
each side, the issue's targets, and "first question after a write" (``record referral``, then
``chain``: the snapshot is rebuilt) against the same question before.

Run, from the repository root::

    .venv/bin/python benchmarks/snapshot_bench.py                    # about 15 min on 2 cores
    .venv/bin/python benchmarks/snapshot_bench.py --reuse-before     # reuse the before figures measured last time

Work folder: ``--workdir`` [default: ``benchmarks/out/snapshot``, git-ignored]; the *before* source is
``--before`` [default: ``/work/bench/before``, extracted when missing].
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from scale_bench import ROOT, run_child  # noqa: E402

BEFORE_COMMIT = "9b75100"
EPINIONS = ROOT.parent / "shared" / "data" / "epinions" / "soc-sign-epinions.txt.gz"
MAIN = "from trustgraph.cli import main; main()"

#: (label, arguments) per store; "{tmp}" is a temporary file.
COMMON: dict[str, list[tuple[str, list[str]]]] = {
    "sample": [
        ("--version", ["--version"]),
        ("stats", ["stats"]),
        ("chain", ["chain", "ORG001", "ORG045"]),
        ("vouchers", ["vouchers", "ORG045", "--for", "ORG001"]),
        ("exposure", ["exposure", "ORG021"]),
        ("referrals", ["referrals", "ORG045"]),
        ("reputation --limit 5", ["reputation", "--limit", "5"]),
        ("contagion --limit 5", ["contagion", "--limit", "5"]),
        ("assess", ["assess", "ORG066", "--for", "ORG001"]),
        ("health", ["health", "ORG001"]),
        ("timeline", ["timeline", "ORG044", "ORG043"]),
        ("continuity", ["continuity"]),
        ("map", ["map", "-o", "{tmp}"]),
    ],
    "epinions": [
        ("--version", ["--version"]),
        ("stats", ["stats"]),
        ("chain", ["chain", "68214", "50414"]),
        ("vouchers", ["vouchers", "645", "--for", "18"]),
        ("exposure", ["exposure", "645"]),
        ("referrals", ["referrals", "645"]),
        ("reputation --limit 5", ["reputation", "--limit", "5"]),
        ("contagion --limit 5", ["contagion", "--limit", "5"]),
    ],
}
JSON_FREE = {"--version", "map"}
WITHIN_2X = ("chain", "vouchers", "exposure", "referrals")
WITHIN_3X = ("reputation --limit 5", "contagion --limit 5")


class Side:
    """One version of the code: how to run it and where its stores are."""

    def __init__(self, name: str, source: Path, workdir: Path, log: Path) -> None:
        self.name = name
        self.source = source
        self.dir = workdir / name
        self.log = log
        self.env = dict(os.environ, PYTHONPATH=str(source))
        self.env.pop("TRUSTGRAPH_STORE", None)

    def argv(self, store: Path | None, args: list[str]) -> list[str]:
        head = [sys.executable, "-c", MAIN]
        return head + (["-q", "--store", str(store)] if store is not None else []) + args

    def run(self, label: str, store: Path | None, args: list[str]) -> tuple[float, float, int, float]:
        """Wall time, peak RSS (MiB), exit status and CPU time of one cold process."""
        stage, _ = run_child(label, self.argv(store, args), timeout=1800, log=self.log, cwd=self.dir, env=self.env)
        return stage.seconds, stage.peak_mib, stage.rc, stage.cpu_s

    def store(self, which: str) -> Path:
        return self.dir / f"{which}.db"

    def prepare(self, fresh: bool) -> None:
        """Import the sample and Epinions into this side's own stores (kept when not ``fresh``)."""
        self.dir.mkdir(parents=True, exist_ok=True)
        for which, args in (("sample", ["load", str(ROOT / "data" / "sample")]),
                            ("epinions", ["import", "snap-signed", str(EPINIONS)])):
            path = self.store(which)
            if path.exists() and not fresh:
                continue
            for old in self.dir.glob(path.name + "*"):
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            seconds, peak, rc, _ = self.run(f"{self.name} {which}", path, args + ["--format", "json"])
            print(f"[{self.name}] {which}: {' '.join(args[:2])} {seconds:.1f} s, {peak:,.0f} MiB, rc={rc}", flush=True)
            if rc != 0:
                raise SystemExit(f"{self.name}: preparing {which} failed (rc={rc}); see {self.log}")


def measure(side: Side, which: str, runs: int, tmp: Path, warm_up: bool = True) -> dict[str, dict[str, Any]]:
    """Warm-up then ``runs`` cold processes per command: median wall time, CPU time and peak RSS."""
    results: dict[str, dict[str, Any]] = {}
    for label, template in COMMON[which]:
        args = [a.replace("{tmp}", str(tmp / f"{side.name}-{which}-map.html")) for a in template]
        if label not in JSON_FREE:
            args += ["--format", "json"]
        store = None if label == "--version" else side.store(which)
        warm = [side.run(label, store, args)] if warm_up else []
        timed = [side.run(label, store, args) for _ in range(runs)]
        results[label] = {
            "warmup_s": warm[0][0] if warm else None, "seconds": statistics.median(t[0] for t in timed),
            "peak_mib": statistics.median(t[1] for t in timed), "rc": sorted({t[2] for t in warm + timed}),
            "cpu_s": statistics.median(t[3] for t in timed),
            "all_s": [round(t[0], 3) for t in timed],
        }
        r = results[label]
        first = "no warm-up" if r["warmup_s"] is None else f"warm-up {r['warmup_s']:6.2f} s"
        print(f"[{side.name}] {which:<8} {label:<20} {first}   median {r['seconds']:6.2f} s"
              f" (CPU {r['cpu_s']:6.2f} s)  {r['peak_mib']:7,.0f} MiB  rc={r['rc']}", flush=True)
    return results


def after_write(side: Side, runs: int) -> dict[str, Any]:
    """``record referral`` then ``chain`` on Epinions, ``runs`` times: the question rebuilds the snapshot."""
    store = side.store("epinions")
    question = ["chain", "68214", "50414", "--format", "json"]
    writes, asks, peaks, cpus = [], [], [], []
    for i in range(runs):
        w = side.run("record", store, ["record", "referral", "--source", "18", "--target", "645", "--strength", "0.5",
                                       "--date", "2003-01-01", "--note", f"benchmark write {i}", "--format", "json"])
        q = side.run("chain after write", store, question)
        writes.append(w[0])
        asks.append(q[0])
        peaks.append(q[1])
        cpus.append(q[3])
        print(f"[{side.name}] after a write: record {w[0]:.2f} s (rc={w[2]}), chain {q[0]:.2f} s, {q[1]:,.0f} MiB"
              f" (rc={q[2]})", flush=True)
    return {"record_s": statistics.median(writes), "seconds": statistics.median(asks),
            "peak_mib": statistics.median(peaks), "cpu_s": statistics.median(cpus)}


def _fmt(r: dict[str, Any] | None) -> str:
    if r is None:
        return "–"
    bad = [c for c in r["rc"] if c != 0]
    cpu = f" (CPU {r['cpu_s']:.2f})" if "cpu_s" in r else ""
    return f"{r['seconds']:.2f} s{cpu}, {r['peak_mib']:,.0f} MB" + (f" (exit {bad[0]})" if bad else "")


def _verdict(wall: float, cpu: float, limit: float) -> str:
    both = [wall <= limit, cpu <= limit]
    return "met" if all(both) else "met by CPU time only" if both[1] else "NOT met"


def report(results: dict[str, dict[str, dict[str, dict[str, Any]]]], write: dict[str, Any]) -> str:
    """The markdown tables: per command and store, before → after; ratios; the targets.

    Each target is judged on the median wall time and on the median CPU time (user + system): on a
    shared machine wall time grows with the other jobs, CPU time hardly does.
    """
    lines = ["| command | sample before | sample after | Epinions before | Epinions after |"
             " Epinions / sample before | Epinions / sample after |", "|---|---|---|---|---|---|---|"]
    for label, _ in COMMON["sample"]:
        cells = [_fmt(results[s][w].get(label)) for w in ("sample", "epinions") for s in ("before", "after")]
        ratios = []
        for s in ("before", "after"):
            a, b = results[s]["sample"].get(label), results[s]["epinions"].get(label)
            ratios.append(f"{b['seconds'] / a['seconds']:.1f}× (CPU {b['cpu_s'] / a['cpu_s']:.1f}×)" if a and b else "–")
        lines.append(f"| `{label}` | " + " | ".join(cells + ratios) + " |")
    after = results["after"]
    checks = []
    for label in WITHIN_2X + WITHIN_3X:
        factor = 2 if label in WITHIN_2X else 3
        e, m = after["epinions"][label], after["sample"][label]
        wall, cpu = e["seconds"] / m["seconds"], e["cpu_s"] / m["cpu_s"]
        checks.append(f"Epinions / sample `{label}`: {wall:.2f}× wall, {cpu:.2f}× CPU (≤ {factor}×: "
                      f"{_verdict(wall, cpu, factor)})")
    rss = after["epinions"]["chain"]["peak_mib"]
    checks.append(f"`chain` peak RSS on Epinions {rss:,.0f} MB (≤ 500 MB: {'met' if rss <= 500 else 'NOT met'})")
    for label, limit in (("stats", 0.3), ("--version", 0.2)):
        wall = max(after[w][label]["seconds"] for w in ("sample", "epinions"))
        cpu = max(after[w][label]["cpu_s"] for w in ("sample", "epinions"))
        checks.append(f"`{label}` ≤ {limit} s anywhere: worst {wall:.2f} s wall, {cpu:.2f} s CPU "
                      f"({_verdict(wall, cpu, limit)})")
    slow = [f"`{k}` {v['seconds']:.2f} s wall / {v['cpu_s']:.2f} s CPU" for k, v in after["sample"].items()
            if max(v["seconds"], v["cpu_s"]) > 0.6]
    checks.append("every command on the sample ≤ 0.6 s: " + ("met" if not slow else "NOT met: " + ", ".join(slow)))
    before = results["before"]["epinions"]["chain"]
    checks.append(f"first `chain` on Epinions after a write (`record referral` {write['record_s']:.2f} s, then the "
                  f"question): {write['seconds']:.2f} s wall, {write['cpu_s']:.2f} s CPU, {write['peak_mib']:,.0f} MB; "
                  f"the same question before (every question projected the graph): {before['seconds']:.2f} s wall, "
                  f"{before['cpu_s']:.2f} s CPU ({_verdict(write['seconds'] / before['seconds'], write['cpu_s'] / before['cpu_s'], 1)})")
    return "\n".join(lines) + "\n\n" + "\n".join(f"* {c}" for c in checks)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, default=Path("/work/bench/before"),
                        help=f"source tree of commit {BEFORE_COMMIT} (extracted when missing)")
    parser.add_argument("--workdir", type=Path, default=ROOT / "benchmarks" / "out" / "snapshot")
    parser.add_argument("--runs", type=int, default=3, help="timed cold processes per command [default: 3]")
    parser.add_argument("--before-warm-up", action="store_true",
                        help="a warm-up process before the timed ones for the before code too (it caches nothing, "
                             "so by default it gets none)")
    parser.add_argument("--reuse-before", action="store_true",
                        help="reuse the before figures of the last run (workdir/before.json) when there are any")
    parser.add_argument("--report", action="store_true", help="only print the tables of the last run (workdir/results.json)")
    args = parser.parse_args(argv)
    if args.report:
        saved = json.loads((args.workdir / "results.json").read_text())
        print(report(saved["results"], saved["after_write"]))
        return
    if not (args.before / "trustgraph" / "cli").is_dir():
        args.before.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", BEFORE_COMMIT], check=True, capture_output=True)
        subprocess.run(["tar", "-x", "-C", str(args.before)], input=archive.stdout, check=True)
    args.workdir = args.workdir.resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    log = args.workdir / "stderr.log"
    sides = {"before": Side("before", args.before.resolve(), args.workdir, log),
             "after": Side("after", ROOT, args.workdir, log)}
    for side in sides.values():
        probe = subprocess.run([sys.executable, "-c", "import trustgraph; print(trustgraph.__file__)"],
                               cwd=side.dir.parent, env=side.env, capture_output=True, text=True, check=True)
        print(f"{side.name}: {probe.stdout.strip()}")
        if not probe.stdout.startswith(str(side.source)):
            raise SystemExit(f"{side.name} does not run its own code")
    cache = args.workdir / "before.json"
    results: dict[str, dict[str, dict[str, dict[str, Any]]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.reuse_before and cache.exists():
            results["before"] = json.loads(cache.read_text())
            print(f"before: reusing {cache}")
        else:
            sides["before"].prepare(fresh=False)
            results["before"] = {w: measure(sides["before"], w, args.runs, Path(tmp), args.before_warm_up)
                                 for w in COMMON}
            cache.write_text(json.dumps(results["before"], indent=2) + "\n")
        sides["after"].prepare(fresh=True)  # the after code changes: its stores are imported afresh every run
        results["after"] = {w: measure(sides["after"], w, args.runs, Path(tmp)) for w in COMMON}
        write = after_write(sides["after"], args.runs)
    (args.workdir / "results.json").write_text(json.dumps({"results": results, "after_write": write}, indent=2) + "\n")
    print()
    print(report(results, write))


if __name__ == "__main__":
    main()
