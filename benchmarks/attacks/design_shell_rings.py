"""Design generator: rings of shell companies that vouch densely for each other and for a listed party."""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from ._write import END, background, weighted_pick

DESCRIPTION = """A fraudster who controls a party that ends up listed (debarred) creates a ring of new shell
companies around it. The adversary controls the shells only: it creates them (4-8 per ring), has them
vouch for each other (each ordered pair with probability `density`, strength 0.6-1.0) and for the listed
party (strength 0.7-1.0) from a year before the listing to the end of the data, and signs small supply
deals among the shells and, for about half of them, with the listed party around its listing date. To
look ordinary each shell also holds `camouflage` ordinary partnerships with randomly chosen honest
parties (completed or active, 2016-2025, with the usual contacts), and `attack_ties` deceived honest
parties per ring give a shell a positive referral (0.3-0.7).
Honest parties: a background of organisations in six regions with heavy-tailed activity, bilateral
partnerships and consortia, positive referrals after completed partnerships, warnings and incidents
after terminated ones, contacts between partners. Listed parties are ordinary mid-activity parties
listed 2019-2025 by a hub; their ordinary partnerships all started before the listing and stop at it.
The most active parties (hubs) partnered each listed party two to six years before its listing; some
referred it positively back then, some later reported an incident and warned about it.
Positives: the shells ("attacker"). Hard negatives: honest parties with any tie to a listed party."""

HELD_OUT = False
PARAMS: dict[str, list] = {"camouflage": [0, 10, 20], "ring_size": [4, 8], "attack_ties": [0, 5]}

REGIONS = ("West Africa", "East Africa", "South Asia", "Southeast Asia", "Latin America", "Europe")
SECTORS = ("ngo", "private", "government", "academic", "foundation", "social_enterprise")


def generate(folder: Path, seed: int, *, orgs: int = 1000, camouflage: int = 5, ring_size: int = 6,
             density: float = 0.8, attack_ties: int = 2, listed: int | None = None) -> dict[str, str]:
    bg = background(seed, orgs, listed, REGIONS, SECTORS)
    w, rng, region, activity = bg.w, bg.rng, bg.region, bg.activity
    n_listed, listed_at, honest = bg.n_listed, bg.listed_at, bg.honest

    positives: dict[str, str] = {}
    for L in list(listed_at)[: max(1, n_listed // 2)]:
        when = listed_at[L]
        shells = [w.org("Shell Holdings", region[L], "private") for _ in range(ring_size)]
        for s in shells:
            positives[s] = "attacker"
        lo = when - pd.Timedelta(days=365)
        for a, b in itertools.permutations(shells, 2):
            if rng.random() < density:
                w.referral(a, b, float(rng.uniform(0.6, 1.0)), w.day(lo, END), "Trusted associate")
        for a, b in itertools.combinations(shells, 2):
            if rng.random() < density / 2:
                w.partnership([a, b], "supply", w.day(lo, END), "active")
        direct = [s for s in shells if rng.random() < 0.5] or [shells[0]]
        for s in direct:
            w.partnership([s, L], "supply", w.day(when - pd.Timedelta(days=180), when + pd.Timedelta(days=180)),
                          "active")
        for s in shells:
            w.referral(s, L, float(rng.uniform(0.7, 1.0)), w.day(lo, END), "Excellent partner")
            for other in weighted_pick(rng, honest, activity, camouflage):
                start = w.day("2016-01-01", "2025-03-01")
                status = str(rng.choice(["completed", "active"]))
                w.partnership([s, other], "bilateral", start, status)
                for _ in range(int(rng.poisson(2.0))):
                    w.contact(s, other, w.day(start, END))
        for _ in range(attack_ties):
            deceived = weighted_pick(rng, honest, activity, 1)[0]
            w.referral(deceived, str(rng.choice(shells)), float(rng.uniform(0.3, 0.7)), w.day(lo, END),
                       "Met at a conference")
    w.write(folder)
    return w.roles(positives)
