"""Design generator: sybils with years of ordinary history that then vouch, in chains, for a listed party.

Written after the held-out ``heldout_sybil_history`` result (exposed-only AUC 0.463) was seen, from the
statement of the attack class given to that generator's author, without reading or running its
code: the held-out figure for that class is no longer a clean held-out figure once this generator
informs the method (docs/contagion.md, "Attack generators").
"""

from __future__ import annotations

import itertools
from pathlib import Path

import pandas as pd

from ._write import END, background, weighted_pick

DESCRIPTION = """Sybils prepared long in advance. Years before it needs them (registered 2015-2017), the
adversary sets up `sybils` parties for each of half the listed parties. For years they behave like
ordinary small suppliers: `camouflage` partnerships each with honest parties drawn by activity
(2015-2021, completed, with the usual contacts), and after each completed one the honest partner
gives the sybil a positive referral (0.4-1.0) with probability one half: a real, independent-looking
history. Then, from `lead_months` months before the listing of their listed party L to the end of
the data, the sybils vouch densely for each other (each ordered pair with probability `density`,
strength 0.6-1.0) and are arranged in chains of `chain_length`: the head of each chain vouches for L
(0.7-1.0) and signs a supply deal with it starting within six months of the listing; every other
sybil vouches for the previous one of its chain (0.6-1.0) and deals with it. In the same period
`attack_ties` deceived honest parties per listed party vouch for a random sybil (0.3-0.7).
Honest parties: a background of organisations in six regions with heavy-tailed activity, bilateral
partnerships and consortia, positive referrals after completed partnerships, warnings and incidents
after terminated ones, contacts between partners. Listed parties are ordinary mid-activity parties
listed 2019-2025 by a hub; their ordinary partnerships started before the listing and stop at it.
Hubs partnered each listed party two to six years before its listing; some referred it positively
then, some reported an incident about it.
Positives: every sybil ("attacker"). Hard negatives: honest parties with any tie to a listed party."""

HELD_OUT = False
PARAMS: dict[str, list] = {"camouflage": [0, 10, 20], "lead_months": [0, 24], "chain_length": [2]}

REGIONS = ("West Africa", "East Africa", "South Asia", "Southeast Asia", "Latin America", "Europe")
SECTORS = ("ngo", "private", "government", "academic", "foundation", "social_enterprise")


def generate(folder: Path, seed: int, *, orgs: int = 1000, sybils: int = 6, camouflage: int = 5,
             lead_months: int = 12, chain_length: int = 3, density: float = 0.7, attack_ties: int = 2,
             listed: int | None = None) -> dict[str, str]:
    bg = background(seed, orgs, listed, REGIONS, SECTORS)
    w, rng, region, activity = bg.w, bg.rng, bg.region, bg.activity
    n_listed, listed_at, honest = bg.n_listed, bg.listed_at, bg.honest

    positives: dict[str, str] = {}
    for L in list(listed_at)[: max(1, n_listed // 2)]:
        when = listed_at[L]
        mine = [w.org("Supplies Ltd", region[L], "private") for _ in range(sybils)]
        for s in mine:
            positives[s] = "attacker"
            for other in weighted_pick(rng, honest, activity, camouflage):  # years of ordinary history
                start = w.day("2015-01-01", "2020-06-01")
                end = start + pd.Timedelta(days=int(rng.integers(180, 600)))
                pid = w.partnership([s, other], "bilateral", start, "completed", end)
                for _ in range(int(rng.poisson(2.0))):
                    w.contact(s, other, w.day(start, end))
                if rng.random() < 0.5 and pid:
                    w.referral(other, s, float(rng.uniform(0.4, 1.0)), end + pd.Timedelta(days=30), "Reliable supplier")
        lo = when - pd.Timedelta(days=int(30.4 * lead_months))
        for a, b in itertools.permutations(mine, 2):
            if rng.random() < density:
                w.referral(a, b, float(rng.uniform(0.6, 1.0)), w.day(lo, END), "Trusted associate")
        chains = [mine[k: k + chain_length] for k in range(0, len(mine), chain_length)]
        for chain in chains:
            w.referral(chain[0], L, float(rng.uniform(0.7, 1.0)), w.day(lo, END), "Excellent partner")
            w.partnership([chain[0], L], "supply",
                          w.day(when - pd.Timedelta(days=180), when + pd.Timedelta(days=180)), "active")
            for prev, nxt in itertools.pairwise(chain):
                w.referral(nxt, prev, float(rng.uniform(0.6, 1.0)), w.day(lo, END), "Trusted supplier")
                w.partnership([prev, nxt], "supply", w.day(lo, END), "active")
        for _ in range(attack_ties):
            deceived = weighted_pick(rng, honest, activity, 1)[0]
            w.referral(deceived, str(rng.choice(mine)), float(rng.uniform(0.3, 0.7)), w.day(lo, END), "Met at a fair")
    w.write(folder)
    return w.roles(positives)
