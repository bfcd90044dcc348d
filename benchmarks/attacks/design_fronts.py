"""Design generator: front organisations that carry on a listed party's business around its listing."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from ._write import END, Rows, weighted_pick

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
