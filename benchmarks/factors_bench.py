"""The factor profile of one pair (``trustgraph factors CANDIDATE --for ORG``), timed in-process.

Usage: ``.venv/bin/python benchmarks/factors_bench.py STORE.db CANDIDATE ORG`` — opens the cached
snapshot once, then times five runs of what the command does after that (the rows about the two
parties by indexed lookups, their evidence, the factor profile with the reputation computed afresh)
and prints the median. A cold ``trustgraph factors`` process adds the imports (about 0.8 s of CPU).
"""

from __future__ import annotations

import statistics
import sys
import time

from trustgraph.analysis.factors import factor_profile
from trustgraph.evidence import evidence_frame
from trustgraph.snapshot import open_snapshot
from trustgraph.store import SqliteStore


def main(path: str, candidate: str, assessor: str, runs: int = 5) -> str:
    store = SqliteStore(path)
    t0 = time.perf_counter()
    snap = open_snapshot(store, half_life_days=730.0)
    opened = time.perf_counter() - t0
    times, read = [], 0
    for i in range(runs):
        if i:
            snap._memo.clear()  # each run computes the reputation again, as a fresh process does
        t = time.perf_counter()
        rows = store.about([candidate, assessor])
        ev = evidence_frame(rows, as_of=snap.as_of, half_life_days=snap.half_life_days)
        factor_profile(rows, candidate, assessor, half_life_days=snap.half_life_days, graph=snap, evidence=ev,
                       assessments_of=lambda p: store.about(p, ["assessments"])["assessments"])
        times.append(time.perf_counter() - t)
        read = sum(len(v) for v in rows.values())
    store.close()
    return (f"{path}: {candidate} for {assessor}: open snapshot {opened * 1000:.0f} ms; factor profile median "
            f"{statistics.median(times) * 1000:.0f} ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f}, "
            f"{runs} runs); rows about the pair: {read}")


if __name__ == "__main__":
    print(main(*sys.argv[1:4]))
