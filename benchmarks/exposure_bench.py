"""The cost of one ``exposure`` question (paths, vouching groups, evidence of every tie) on a store.

Opens STORE through the public API (``trustgraph.api.connect``), asks one question to build what a
long-lived process keeps (snapshot, tie matrices, groups; timed apart as "first"), then asks
``exposure`` of ``--questions`` parties drawn with ``--seed`` among all parties, ``--limit`` paths
each, and prints the mean, median, 90th percentile and maximum seconds per question — what one
engine of ``trustgraph serve`` spends on each. Run it on a store with listings (on one without,
every answer is empty). ``referrals`` questions on the same parties are timed beside it as a floor.

    .venv/bin/python benchmarks/exposure_bench.py --store epinions-listed.db

(Epinions with 1,000 listings: import ``soc-sign-epinions.txt.gz`` with ``trustgraph import
snap-signed``, then load a folder holding ``blacklist.csv`` with the 1,000 parties ``contagion_bench.py``
draws and an ``organizations.csv`` header; docs/benchmarks.md, "Service".)
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from trustgraph.api import connect


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--store", required=True)
    ap.add_argument("--questions", type=int, default=40)
    ap.add_argument("--limit", type=int, default=20)
    ap.add_argument("--seed", type=int, default=14)
    args = ap.parse_args()
    tg = connect(args.store)
    parties = [row["id"] for row in tg.orgs(limit=0)["rows"]]
    ids = random.Random(args.seed).sample(parties, min(args.questions, len(parties)))
    t = time.perf_counter()
    tg.exposure(ids[0], limit=args.limit)
    print(f"{len(parties):,} parties; first question (builds what a process keeps): {time.perf_counter() - t:.2f} s")
    for name, ask in (("exposure", lambda v: tg.exposure(v, limit=args.limit)), ("referrals", tg.referrals)):
        times, paths = [], 0
        for v in ids[1:]:
            t = time.perf_counter()
            answer = ask(v)
            times.append(time.perf_counter() - t)
            paths += len(answer.get("rows", []))
        times.sort()
        ms = [x * 1000 for x in times]
        print(f"{name:<10} {len(ms)} questions, {paths:,} rows: mean {statistics.fmean(ms):.1f} ms, median "
              f"{statistics.median(ms):.1f} ms, p90 {ms[int(0.9 * len(ms))]:.1f} ms, max {ms[-1]:.1f} ms")
    tg.close()


if __name__ == "__main__":
    main()
