"""Planted-ring benchmark: does contagion find laundering rings without condemning honest partners?

Bitcoin OTC's fraud is mostly not organised as contagion (docs/contagion.md), so this benchmark plants
the structures where contagion *is* the mechanism in a seeded, synthetic partnership network, and
measures how well :func:`trustgraph.analysis.contagion.contagion_scores` finds them.

The network (:func:`generate`)
------------------------------
A background of ``orgs`` organisations in eight regions, each with an activity level drawn from a
heavy-tailed (Pareto, shape 1.5) distribution, so a few hubs hold many partnerships and most parties
hold a handful. About ``1.2 × orgs`` partnerships (70 % bilateral, 30 % consortia of 3–6 members),
members picked in proportion to activity, 70 % within the region; start dates 2014–2025; status
completed 55 %, active 27 %, terminated 12 %, suspended 6 %. Completed partnerships lead to a
positive referral 40 % of the time, terminated ones to a warning 50 % of the time and an incident
40 % of the time; every pair of partners exchanges a Poisson(2) number of dated communications.

Then ``listed`` background parties (of middling activity, at least 3 partnerships) are listed in
2023–2024 by a random hub, and three structures are planted:

* **rings** (``rings`` of them, around distinct listed parties): ``ring_size`` new shell companies
  (registered 2021–2023) that vouch for each other (strength 0.6–1.0), share small supply
  agreements, and each deal with the listed party with probability 0.5 (at least one does, so some
  shells are two hops from it). Camouflage: each shell also holds a Poisson(``camouflage``) number
  of ordinary partnerships with random background parties, and background parties occasionally
  (probability 0.3 per shell) vouch weakly for a shell.
* **fronts** (``fronts`` of them): a new organisation created after the listing to carry on the
  listed party's business — a joint venture with it, referrals both ways, frequent communication,
  vouches from the ring's shells when there is one — plus a Poisson(``camouflage``) number of
  ordinary partnerships.
* **honest partners**: for every listed party, ``honest_hubs`` of the most active background parties
  get a completed partnership with it dated before the listing (half of them later reported an
  incident and warned about it, half did not) — the well-connected, well-reputed partners that
  contagion must not condemn.

Everything goes through the real pipeline: string tables → :func:`trustgraph.ingest.validate` →
:func:`trustgraph.graph.project` (half-life 730 days, reference date 2025-06-30).

What is measured
----------------
* **AUC**: ROC-AUC of the exposure score for the planted shells and fronts (positives) against
  every other unlisted party (negatives), ties counted half. Target ≥ 0.95.
* **Honest-partner false-positive rate**: the share of the honest well-connected partners of listed
  parties (the planted ``honest_hubs`` and any background party with ≥ 5 partnerships and a tie to a
  listed party) ranked among the top *K* unlisted parties, with *K* the number of planted
  positives. Target: low.
* The same figures for Anti-TrustRank (Krishnan & Raj 2006: personalised PageRank from the listed
  parties on the reversed positive graph, ``networkx.pagerank``), the classic alternative, on the
  same graph.

Run ``.venv/bin/python benchmarks/planted_rings.py`` (``--help`` for sizes and seeds); it prints the
default case over several seeds, then a camouflage grid and a small parameter grid (hops × decay ×
prior) to show the result is not a knife-edge.
"""

from __future__ import annotations

import argparse
import itertools
import time
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from trustgraph.analysis.contagion import contagion_scores
from trustgraph.graph import project
from trustgraph.ingest import validate

REGIONS = ("West Africa", "East Africa", "South Asia", "East Asia", "Middle East", "Latin America",
           "Western Europe", "North America")
SECTORS = ("ngo", "private", "government", "academic", "foundation", "social_enterprise")
TODAY = pd.Timestamp("2025-06-30")


@dataclass
class Truth:
    """What was planted: ids by role."""

    listed: list[str] = field(default_factory=list)
    shells: list[str] = field(default_factory=list)
    fronts: list[str] = field(default_factory=list)
    honest_hubs: list[str] = field(default_factory=list)
    ring_of: dict[str, str] = field(default_factory=dict)  # shell or front -> listed party

    @property
    def positives(self) -> list[str]:
        return self.shells + self.fronts


class _Builder:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.rows: dict[str, list[dict[str, str]]] = {
            t: [] for t in ("organizations", "partnerships", "partnership_members", "referrals", "communications",
                            "incidents", "blacklist")}
        self.counters: dict[str, itertools.count[int]] = {}

    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self.counters.setdefault(prefix, itertools.count(1))):06d}"

    def day(self, lo: str, hi: str) -> pd.Timestamp:
        a, b = pd.Timestamp(lo), pd.Timestamp(hi)
        return a + pd.Timedelta(days=int(self.rng.integers(0, max((b - a).days, 1))))

    def org(self, name: str, region: str, sector: str) -> str:
        oid = self.next_id("O")
        self.rows["organizations"].append({"id": oid, "name": f"{name} {oid}", "region": region, "sector": sector})
        return oid

    def partnership(self, members: list[str], kind: str, start: pd.Timestamp, status: str) -> str:
        pid = self.next_id("PS")
        length = pd.Timedelta(days=int(self.rng.integers(180, 1100)))
        end = start + length
        if status == "active" or end > TODAY:
            status, end_text = ("active" if status in ("completed", "active") else status), ""
            if status != "active":
                end = min(end, TODAY)
                end_text = end.strftime("%Y-%m-%d")
        else:
            end_text = end.strftime("%Y-%m-%d")
        self.rows["partnerships"].append({
            "id": pid, "name": f"{kind.title()} {pid}", "kind": kind, "start": start.strftime("%Y-%m-%d"),
            "end": end_text, "status": status})
        for k, m in enumerate(members):
            self.rows["partnership_members"].append(
                {"partnership": pid, "organization": m, "role": "lead" if k == 0 else "member"})
        return pid

    def referral(self, src: str, dst: str, strength: float, date: pd.Timestamp, note: str = "") -> None:
        self.rows["referrals"].append({
            "id": self.next_id("R"), "source": src, "target": dst, "strength": f"{strength:.2f}",
            "date": min(date, TODAY).strftime("%Y-%m-%d"), "note": note})

    def contact(self, a: str, b: str, date: pd.Timestamp) -> None:
        self.rows["communications"].append({
            "id": self.next_id("C"), "a": a, "b": b, "date": min(date, TODAY).strftime("%Y-%m-%d"),
            "channel": str(self.rng.choice(["meeting", "call", "email", "visit"]))})

    def incident(self, reporter: str, subject: str, date: pd.Timestamp) -> None:
        self.rows["incidents"].append({
            "id": self.next_id("I"), "reporter": reporter, "subject": subject, "kind": "missed_commitment",
            "severity": str(int(self.rng.integers(2, 5))), "date": min(date, TODAY).strftime("%Y-%m-%d")})

    def tables(self) -> dict[str, pd.DataFrame]:
        raw = {name: pd.DataFrame(rows).astype(str) for name, rows in self.rows.items() if rows}
        return validate(raw, where="planted-rings generator")


def generate(
    *,
    orgs: int = 1500,
    listed: int = 20,
    rings: int = 10,
    ring_size: tuple[int, int] = (3, 6),
    fronts: int = 10,
    honest_hubs: int = 3,
    camouflage: float = 2.0,
    seed: int = 0,
) -> tuple[dict[str, pd.DataFrame], Truth]:
    """A seeded partnership network with planted laundering rings, fronts and honest partners.

    See the module docs for the model. Returns canonical tables (validated) and the :class:`Truth`.
    """
    rng = np.random.default_rng(seed)
    b = _Builder(rng)
    truth = Truth()
    region = {}
    ids = []
    for _ in range(orgs):
        r = str(rng.choice(REGIONS))
        oid = b.org("Partner", r, str(rng.choice(SECTORS)))
        ids.append(oid)
        region[oid] = r
    activity = rng.pareto(1.5, size=orgs) + 1.0
    by_region = {r: [i for i, o in enumerate(ids) if region[o] == r] for r in REGIONS}
    prob = activity / activity.sum()
    partners_of: dict[str, set[str]] = {}

    def pick(k: int, home: str | None) -> list[str]:
        chosen: list[str] = []
        while len(chosen) < k:
            if home is not None and rng.random() < 0.7:
                pool = by_region[home]
                w = activity[pool] / activity[pool].sum()
                o = ids[int(rng.choice(pool, p=w))]
            else:
                o = ids[int(rng.choice(orgs, p=prob))]
            if o not in chosen:
                chosen.append(o)
        return chosen

    def ordinary(members: list[str], start: pd.Timestamp | None = None, status: str | None = None) -> None:
        kind = "bilateral" if len(members) == 2 else str(rng.choice(["consortium", "platform", "research"]))
        start = start if start is not None else b.day("2014-01-01", "2025-06-01")
        status = status or str(rng.choice(["completed", "active", "terminated", "suspended"],
                                          p=[0.55, 0.27, 0.12, 0.06]))
        b.partnership(members, kind, start, status)
        for x, y in itertools.permutations(members, 2):
            partners_of.setdefault(x, set()).add(y)
        for x, y in itertools.combinations(members, 2):
            for _ in range(int(rng.poisson(2.0))):
                b.contact(x, y, b.day(start.strftime("%Y-%m-%d"), "2025-06-30"))
        end = start + pd.Timedelta(days=400)
        for x, y in itertools.permutations(members, 2):
            if status == "completed" and rng.random() < 0.4 / max(len(members) - 1, 1):
                b.referral(x, y, float(rng.uniform(0.4, 1.0)), end, "Delivered as agreed")
            if status == "terminated" and rng.random() < 0.5 / max(len(members) - 1, 1):
                b.referral(x, y, -float(rng.uniform(0.3, 0.8)), end, "Would not work with them again")
                if rng.random() < 0.8:
                    b.incident(x, y, end - pd.Timedelta(days=60))

    for _ in range(int(1.2 * orgs)):
        size = 2 if rng.random() < 0.7 else int(rng.integers(3, 7))
        lead = ids[int(rng.choice(orgs, p=prob))]
        ordinary([lead] + [o for o in pick(size - 1, region[lead]) if o != lead][: size - 1])

    # Listed parties: middling activity, at least three partners; listed by a hub.
    degree = {o: len(partners_of.get(o, ())) for o in ids}
    hubs = sorted(ids, key=lambda o: -degree[o])[: max(orgs // 20, honest_hubs * listed + 10)]
    candidates = [o for o in ids if 3 <= degree[o] <= 12 and o not in hubs]
    truth.listed = [str(o) for o in rng.choice(candidates, size=listed, replace=False)]
    when_listed: dict[str, pd.Timestamp] = {}
    for L in truth.listed:
        day = b.day("2023-01-01", "2024-12-31")
        when_listed[L] = day
        b.rows["blacklist"].append({
            "id": b.next_id("B"), "lister": str(rng.choice(hubs)), "listed": L, "date": day.strftime("%Y-%m-%d"),
            "reason": "Fraudulent invoicing", "source": "Sanctions decision"})
        # Honest, well-connected partners of the listed party, from before the listing.
        free = [h for h in hubs if h != L and h not in truth.honest_hubs]
        for k, h in enumerate(rng.choice(free, size=honest_hubs, replace=False)):
            h = str(h)
            start = when_listed[L] - pd.Timedelta(days=int(rng.integers(900, 2000)))
            b.partnership([h, L], "bilateral", start, "completed")
            if k % 2:
                b.incident(h, L, when_listed[L] - pd.Timedelta(days=100))
                b.referral(h, L, -0.6, when_listed[L] - pd.Timedelta(days=90), "Irregular invoices")
            if h not in truth.honest_hubs:
                truth.honest_hubs.append(h)

    honest_pool = [o for o in ids if o not in set(truth.listed)]

    def camouflage_ties(o: str) -> None:
        for _ in range(int(rng.poisson(camouflage))):
            other = str(rng.choice(honest_pool))
            ordinary([o, other], start=b.day("2022-01-01", "2025-06-01"),
                     status=str(rng.choice(["completed", "active"])))

    for L in truth.listed[:rings]:
        size = int(rng.integers(ring_size[0], ring_size[1] + 1))
        shells = [b.org("Shell Holdings", region[L], "private") for _ in range(size)]
        truth.shells.extend(shells)
        for s in shells:
            truth.ring_of[s] = L
        for x, y in itertools.permutations(shells, 2):
            b.referral(x, y, float(rng.uniform(0.6, 1.0)), b.day("2022-06-01", "2025-06-30"), "Trusted associate")
        for x, y in itertools.combinations(shells, 2):
            if rng.random() < 0.5:
                b.partnership([x, y], "supply", b.day("2022-01-01", "2025-01-01"), "active")
        direct = [s for s in shells if rng.random() < 0.5] or [shells[0]]
        for s in direct:
            b.partnership([s, L], "supply", b.day("2021-06-01", "2025-01-01"), "active")
            b.referral(s, L, float(rng.uniform(0.7, 1.0)), b.day("2022-01-01", "2025-06-30"), "Excellent partner")
        for s in shells:
            camouflage_ties(s)
            if rng.random() < 0.3:
                b.referral(str(rng.choice(honest_pool)), s, float(rng.uniform(0.2, 0.5)),
                           b.day("2023-01-01", "2025-06-30"), "Met at a conference")
    for k, L in enumerate(truth.listed[:fronts]):
        front = b.org("Community Partners", region[L], "ngo")
        truth.fronts.append(front)
        truth.ring_of[front] = L
        start = when_listed[L] + pd.Timedelta(days=int(rng.integers(30, 200)))
        b.partnership([front, L], "joint_venture", start, "active")
        b.referral(L, front, 0.9, start + pd.Timedelta(days=20), "Our trusted successor")
        b.referral(front, L, 0.8, start + pd.Timedelta(days=40), "Long-standing partner")
        for _ in range(int(rng.integers(4, 10))):
            b.contact(front, L, b.day(start.strftime("%Y-%m-%d"), "2025-06-30"))
        shells = [s for s, listed_party in truth.ring_of.items() if listed_party == L and s in truth.shells]
        for s in shells:
            b.referral(s, front, float(rng.uniform(0.6, 1.0)), b.day(start.strftime("%Y-%m-%d"), "2025-06-30"))
        camouflage_ties(front)
        del k
    return b.tables(), truth


def roc_auc(positive: list[Any], negative: list[Any], score: dict[Any, float]) -> float:
    """Mann–Whitney ROC-AUC, ties counted half."""
    p = np.array([score[v] for v in positive])
    n = np.array([score[v] for v in negative])
    if not len(p) or not len(n):
        return float("nan")
    allv = np.r_[p, n]
    order = np.argsort(allv, kind="mergesort")
    s = allv[order]
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]])
    ends = np.r_[starts[1:], len(s)]
    ranks = np.empty(len(s))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return float((ranks[: len(p)].sum() - len(p) * (len(p) + 1) / 2) / (len(p) * len(n)))


def honest_partners(G: nx.DiGraph, truth: Truth) -> list[str]:
    """Honest, well-connected partners of listed parties: unplanted, unlisted parties tied to a listed
    party and among the best-connected tenth of the network (by number of parties they are tied to)."""
    listed = set(truth.listed)
    planted = set(truth.positives)
    ties = {v: set(G.successors(v)) | set(G.predecessors(v)) for v in G}
    cut = np.quantile([len(t) for t in ties.values()], 0.9)
    return sorted(v for v, t in ties.items()
                  if v not in listed and v not in planted and t & listed and len(t) >= cut)


def evaluate(G: nx.DiGraph, truth: Truth, score: dict[Any, float]) -> dict[str, float]:
    listed = set(truth.listed)
    positives = truth.positives
    negatives = [v for v in G if v not in listed and v not in set(positives)]
    unlisted = sorted((v for v in G if v not in listed), key=lambda v: (-score[v], str(v)))
    top = set(unlisted[: len(positives)])
    honest = honest_partners(G, truth)
    return {
        "auc": roc_auc(positives, negatives, score),
        "recall_at_k": len(top & set(positives)) / len(positives),
        "honest_fp": sum(h in top for h in honest) / max(len(honest), 1),
        "honest_n": float(len(honest)),
    }


def anti_trustrank(G: nx.DiGraph, listed: list[str], alpha: float = 0.85) -> dict[Any, float]:
    """Anti-TrustRank (Krishnan & Raj 2006): PageRank from the listed parties on the reversed positive graph."""
    H = nx.DiGraph()
    H.add_nodes_from(G)
    H.add_edges_from((v, u) for u, v, d in G.edges(data=True) if d["positive"] > d["negative"])
    return nx.pagerank(H, alpha=alpha, personalization=dict.fromkeys(listed, 1.0))


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orgs", type=int, default=1500)
    ap.add_argument("--seeds", type=int, default=5, help="Networks generated (seeds 0..N-1).")
    ap.add_argument("--no-grid", action="store_true", help="Skip the camouflage and parameter grids.")
    args = ap.parse_args(argv)

    print(f"Planted-ring benchmark: {args.orgs} background organisations, 20 listed, 10 rings of 3-6 shells,")
    print("10 fronts, 3 honest hub partners per listed party, camouflage 2 ordinary partnerships per shell.\n")
    header = f"{'seed':>4}  {'orgs':>5}  {'edges':>6}  {'planted':>7}  {'honest':>6}  " \
             f"{'AUC':>6}  {'recall@K':>8}  {'honest FP':>9}  {'ATR AUC':>7}  {'ATR FP':>6}  {'secs':>5}"
    print(header)
    results = []
    for seed in range(args.seeds):
        tables, truth = generate(orgs=args.orgs, seed=seed)
        G = project(tables)
        t0 = time.perf_counter()
        score = contagion_scores(G)
        secs = time.perf_counter() - t0
        ours = evaluate(G, truth, score)
        atr = evaluate(G, truth, anti_trustrank(G, truth.listed))
        results.append((ours, atr))
        print(f"{seed:>4}  {G.number_of_nodes():>5}  {G.number_of_edges():>6}  {len(truth.positives):>7}  "
              f"{int(ours['honest_n']):>6}  {ours['auc']:>6.3f}  {ours['recall_at_k']:>8.3f}  "
              f"{ours['honest_fp']:>9.3f}  {atr['auc']:>7.3f}  {atr['honest_fp']:>6.3f}  {secs:>5.2f}")
    mean = {k: np.mean([o[k] for o, _ in results]) for k in ("auc", "recall_at_k", "honest_fp")}
    atr_mean = {k: np.mean([a[k] for _, a in results]) for k in ("auc", "honest_fp")}
    print(f"mean  contagion AUC {mean['auc']:.3f} (target >= 0.95), recall@K {mean['recall_at_k']:.3f}, "
          f"honest-partner FP rate {mean['honest_fp']:.3f}; Anti-TrustRank AUC {atr_mean['auc']:.3f}, "
          f"FP {atr_mean['honest_fp']:.3f}")
    if args.no_grid:
        return

    print("\nCamouflage (ordinary partnerships per shell and front), seed 0, default parameters:")
    print(f"{'camouflage':>10}  {'AUC':>6}  {'recall@K':>8}  {'honest FP':>9}")
    for camo in (0.0, 2.0, 5.0, 10.0):
        tables, truth = generate(orgs=args.orgs, camouflage=camo, seed=0)
        G = project(tables)
        r = evaluate(G, truth, contagion_scores(G))
        print(f"{camo:>10g}  {r['auc']:>6.3f}  {r['recall_at_k']:>8.3f}  {r['honest_fp']:>9.3f}")

    print("\nParameters (seed 0, camouflage 2): AUC / honest FP")
    tables, truth = generate(orgs=args.orgs, seed=0)
    G = project(tables)
    print(f"{'hops':>4}  {'decay':>5}  " + "  ".join(f"{'prior ' + format(p, 'g'):>13}" for p in (0.0, 1.0, 5.0)))
    for hops in (1, 2, 3, 4):
        for decay in (0.25, 0.5, 0.85):
            cells = []
            for prior in (0.0, 1.0, 5.0):
                r = evaluate(G, truth, contagion_scores(G, hops=hops, decay=decay, prior=prior))
                cells.append(f"{r['auc']:.3f} / {r['honest_fp']:.2f}")
            print(f"{hops:>4}  {decay:>5}  " + "  ".join(f"{c:>13}" for c in cells))


if __name__ == "__main__":
    main()
