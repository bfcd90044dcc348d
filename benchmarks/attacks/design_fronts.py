"""Design generator: front organisations that carry on a listed party's business around its listing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ._write import END, background, weighted_pick

DESCRIPTION = """A party about to be listed (or just listed) sets up a front: a new organisation created
`timing` months relative to the listing date (negative = before it) that carries on its business. The
adversary controls the listed party and the front: a joint venture between them starting at the
front's creation, the listed party's endorsement of the front (strength `endorsement`), the front's
endorsement of the listed party, frequent contacts, and `camouflage` ordinary partnerships of the front
with random honest parties (completed or active, 2016-2025). A second front per listed party, with
probability one half, is endorsed by the first.
Honest parties: a background of organisations in six regions with heavy-tailed activity, bilateral
partnerships and consortia, positive referrals after completed partnerships, warnings and incidents
after terminated ones, contacts between partners. Listed parties are ordinary mid-activity parties
listed 2019-2025 by a hub; their ordinary partnerships started before the listing and stop at it.
Honest partners: hubs that partnered each listed party two to six years before its listing (some
referred it positively then, some reported an incident about it), and parties the listed party itself
endorsed years before its listing (after a completed partnership).
Positives: the fronts ("front"). Hard negatives: honest parties with any tie to a listed party."""

HELD_OUT = False
PARAMS: dict[str, list] = {"camouflage": [0, 10, 20], "timing_months": [-6, 0, 12], "endorsement": [0.5, 1.0]}

REGIONS = ("West Africa", "East Africa", "South Asia", "Southeast Asia", "Latin America", "Europe")
SECTORS = ("ngo", "private", "government", "academic", "foundation", "social_enterprise")


def generate(folder: Path, seed: int, *, orgs: int = 1000, camouflage: int = 5, timing_months: int = 3,
             endorsement: float = 0.9, listed: int | None = None) -> dict[str, str]:
    bg = background(seed, orgs, listed, REGIONS, SECTORS)
    w, rng, region, activity = bg.w, bg.rng, bg.region, bg.activity
    listed_at, honest = bg.listed_at, bg.honest

    positives: dict[str, str] = {}
    for L, when in listed_at.items():
        # the listed party endorsed an honest partner years before its listing
        h = weighted_pick(rng, honest, activity, 1)[0]
        start = when - pd.Timedelta(days=int(rng.integers(1100, 2500)))
        w.partnership([L, h], "bilateral", start, "completed", start + pd.Timedelta(days=300))
        w.referral(L, h, float(rng.uniform(0.6, 1.0)), start + pd.Timedelta(days=330), "Reliable partner")
        created = when + pd.Timedelta(days=int(30.4 * timing_months + rng.integers(-20, 21)))
        fronts = [w.org("Community Partners", region[L], "ngo")]
        if rng.random() < 0.5:
            fronts.append(w.org("Community Services", region[L], "social_enterprise"))
        for k, f in enumerate(fronts):
            positives[f] = "front"
            start = created + pd.Timedelta(days=60 * k)
            w.partnership([f, L], "joint_venture", start, "active")
            sponsor = L if k == 0 else fronts[0]
            w.referral(sponsor, f, endorsement, start + pd.Timedelta(days=20), "Our trusted successor")
            w.referral(f, sponsor, float(rng.uniform(0.6, 1.0)), start + pd.Timedelta(days=40), "Long-standing partner")
            for _ in range(int(rng.integers(4, 10))):
                w.contact(f, L, w.day(start, END))
            for other in weighted_pick(rng, honest, activity, camouflage):
                s = w.day("2016-01-01", "2025-03-01")
                w.partnership([f, other], "bilateral", s, str(rng.choice(["completed", "active"])))
                for _ in range(int(rng.poisson(2.0))):
                    w.contact(f, other, w.day(s, END))
    w.write(folder)
    return w.roles(positives)
