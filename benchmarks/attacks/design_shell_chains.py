"""Design generator: chains of shells that lead, hop by hop, to a listed party."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from ._write import END, Rows, weighted_pick

DESCRIPTION = """To keep a listed party's business at arm's length, the adversary builds chains of
`chain_length` new shells: the first shell deals with the listed party (a supply deal around its
listing date, a strong endorsement 0.7-1.0 of it), each further shell deals with and endorses the
previous one (0.6-1.0), and the last shell of the chain faces the honest world: `camouflage` ordinary
partnerships per shell with random honest parties (completed or active, 2016-2025) and `attack_ties`
deceived honest parties per chain endorsing the last shell (0.3-0.7). Two chains per listed party
for half the listed parties; the shells of one listed party's chains also endorse each other
(probability 0.5 per ordered pair).
Honest parties: a background of organisations in six regions with heavy-tailed activity, bilateral
partnerships and consortia, positive referrals after completed partnerships, warnings and incidents
after terminated ones, contacts between partners. Listed parties are ordinary mid-activity parties
listed 2019-2025 by a hub; their ordinary partnerships started before the listing and stop at it.
Hubs partnered each listed party two to six years before its listing; some referred it positively
then, some reported an incident about it.
Positives: every shell ("attacker"). Hard negatives: honest parties with any tie to a listed party."""

HELD_OUT = False
PARAMS: dict[str, list] = {"chain_length": [2, 3], "camouflage": [0, 10, 20], "attack_ties": [0, 4]}

REGIONS = ("West Africa", "East Africa", "South Asia", "Southeast Asia", "Latin America", "Europe")
SECTORS = ("ngo", "private", "government", "academic", "foundation", "social_enterprise")


def generate(folder: Path, seed: int, *, orgs: int = 1000, chain_length: int = 3, camouflage: int = 5,
             attack_ties: int = 1, listed: int | None = None) -> dict[str, str]:
    rng = np.random.default_rng(seed)
    w = Rows(rng)
    ids = [w.org("Partner", str(rng.choice(REGIONS)), str(rng.choice(SECTORS))) for _ in range(orgs)]
    region = {r["id"]: r["region"] for r in w.tables["organizations"]}
    activity = dict(zip(ids, rng.pareto(1.3, size=orgs) + 1.0, strict=True))
    by_region = {r: [o for o in ids if region[o] == r] for r in REGIONS}
    hubs = sorted(ids, key=lambda o: -activity[o])[: max(orgs // 25, 10)]

    n_listed = listed if listed is not None else max(6, orgs // 80)
    mid = [o for o in ids if o not in hubs and 1.3 < activity[o] < 4.0]
    listed_at = {str(o): w.day("2019-01-01", "2025-03-01") for o in rng.choice(mid, size=n_listed, replace=False)}

    def ordinary(members: list[str], start: pd.Timestamp, status: str) -> None:
        cutoff = min((listed_at[m] for m in members if m in listed_at), default=None)
        if cutoff is not None:  # nobody starts working with a party once it is listed
            if start >= cutoff - pd.Timedelta(days=60):
                start = w.day(cutoff - pd.Timedelta(days=3000), cutoff - pd.Timedelta(days=60))
        end = start + pd.Timedelta(days=int(rng.integers(180, 1100)))
        if cutoff is not None and (status == "active" or end > cutoff):
            status, end = "terminated", cutoff
        kind = "bilateral" if len(members) == 2 else str(rng.choice(["consortium", "platform", "research"]))
        pid = w.partnership(members, kind, start, status, end if status != "active" else None)
        last = min(end if status != "active" else END, END)
        for a, b in itertools.combinations(members, 2):
            for _ in range(int(rng.poisson(2.0))):
                w.contact(a, b, w.day(start, last + pd.Timedelta(days=1)))
        for a, b in itertools.permutations(members, 2):
            if status == "completed" and rng.random() < 0.4 / (len(members) - 1):
                w.referral(a, b, float(rng.uniform(0.4, 1.0)), end + pd.Timedelta(days=30), "Delivered as agreed")
            if status == "terminated" and b not in listed_at and rng.random() < 0.4 / (len(members) - 1):
                w.referral(a, b, -float(rng.uniform(0.3, 0.8)), end + pd.Timedelta(days=30), "Would not again")
                if rng.random() < 0.7:
                    w.incident(a, b, end - pd.Timedelta(days=40), partnership=pid)

    for _ in range(int(1.3 * orgs)):
        lead = weighted_pick(rng, ids, activity, 1)[0]
        size = 2 if rng.random() < 0.65 else int(rng.integers(3, 7))
        members = [lead]
        while len(members) < size:
            pool = by_region[region[lead]] if rng.random() < 0.7 else ids
            members += weighted_pick(rng, pool, activity, 1, exclude=set(members))
        status = str(rng.choice(["completed", "active", "terminated", "suspended"], p=[0.55, 0.27, 0.12, 0.06]))
        ordinary(members, w.day("2014-01-01", "2025-06-01"), status)

    honest = [o for o in ids if o not in listed_at]
    for L, when in listed_at.items():
        w.listing(str(rng.choice(hubs)), L, when)
        for k, h in enumerate(rng.choice([x for x in hubs if x != L], size=3, replace=False)):
            h = str(h)
            start = when - pd.Timedelta(days=int(rng.integers(730, 2200)))
            end = start + pd.Timedelta(days=int(rng.integers(200, 500)))
            w.partnership([h, L], "bilateral", start, "completed", end)
            if k == 0:
                w.referral(h, L, float(rng.uniform(0.5, 0.9)), end + pd.Timedelta(days=20), "Good partner")
            if k == 1:
                w.incident(h, L, when - pd.Timedelta(days=120), "financial_irregularity", 4)
                w.referral(h, L, -0.7, when - pd.Timedelta(days=100), "Irregular invoices")

    positives: dict[str, str] = {}
    for L in list(listed_at)[: max(1, n_listed // 2)]:
        when = listed_at[L]
        lo = when - pd.Timedelta(days=365)
        mine: list[str] = []
        for _ in range(2):
            chain = [w.org("Trading Co", region[L], "private") for _ in range(chain_length)]
            mine += chain
            w.partnership([chain[0], L], "supply", w.day(when - pd.Timedelta(days=180), when + pd.Timedelta(days=180)),
                          "active")
            w.referral(chain[0], L, float(rng.uniform(0.7, 1.0)), w.day(lo, END), "Excellent partner")
            for prev, nxt in itertools.pairwise(chain):
                w.partnership([prev, nxt], "supply", w.day(lo, END), "active")
                w.referral(nxt, prev, float(rng.uniform(0.6, 1.0)), w.day(lo, END), "Trusted supplier")
            for _ in range(attack_ties):
                deceived = weighted_pick(rng, honest, activity, 1)[0]
                w.referral(deceived, chain[-1], float(rng.uniform(0.3, 0.7)), w.day(lo, END), "Met at a fair")
        for a, b in itertools.permutations(mine, 2):
            if rng.random() < 0.5:
                w.referral(a, b, float(rng.uniform(0.6, 1.0)), w.day(lo, END), "Trusted associate")
        for s in mine:
            positives[s] = "attacker"
            for other in weighted_pick(rng, honest, activity, camouflage):
                start = w.day("2016-01-01", "2025-03-01")
                w.partnership([s, other], "bilateral", start, str(rng.choice(["completed", "active"])))
                for _ in range(int(rng.poisson(2.0))):
                    w.contact(s, other, w.day(start, END))
    w.write(folder)
    return w.roles(positives)
