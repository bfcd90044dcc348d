"""Design generator: chains of shells that lead, hop by hop, to a listed party."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from ._write import END, background, weighted_pick

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
    bg = background(seed, orgs, listed, REGIONS, SECTORS)
    w, rng, region, activity = bg.w, bg.rng, bg.region, bg.activity
    n_listed, listed_at, honest = bg.n_listed, bg.listed_at, bg.honest

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
