"""Held-out attack generator: accomplices that never stopped (issue 16).

Written from its description only (below, in ``DESCRIPTION``), before and without looking at the
method; it is never used to choose a parameter of exposure, risk or reputation. See
``benchmarks/attacks/`` for the generator interface; the honest world is the one of
``heldout_partnership_shells``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .heldout_partnership_shells import END, START, YEAR, World, follow_up, honest_world, ordinary, pick

DESCRIPTION = """\
Adversary: established, honest-looking parties that are the accomplices of a party that gets listed
(debarred), and keep dealing with it as if nothing happened. Each accomplice is an honest party
founded by 2014 with its own ordinary history, with no other tie to a listed party, most of them in
the listed party's region. It has dealt with the listed party continuously for three to eight
years before the listing: a long partnership (bilateral, supply or grant) that started then and is
still active at the end of the data, sometimes an earlier completed one beside it, and, after the
listing (one month to a year and a half later), a renewal: a new partnership of the same kind,
active. The two are in contact all along, about four times a year, before and after the listing
(at least twice after it). The accomplice endorses the listed party `endorsements` times (1 to 6)
over the years, at dates spread evenly from half a year into the relationship to the end of the
data (not especially around the listing), with strengths between 0.5 and 0.9. Each accomplice also
has `camouflage` ordinary partnerships (0, 10 or 20) with honest parties beyond its own history,
with their usual follow-up. About a third of the listed parties (at least two) have `accomplices`
accomplices each.

Honest world (as in heldout_partnership_shells): eight regions, heavy-tailed activity,
partnerships and consortia with contacts, referrals and warnings, staff who change jobs and know
each other, about one party in fifty listed by an outside authority in 2019 to early 2025, in
force at the end of the data; former partners whose ties ended one to five years before the
listing; honest hubs each with two to four listed former partners. In addition, every listed party
has two to four honest long-standing partners that look like accomplices until the listing: a
partnership of three to eight years that ended at the listing or up to six months before it
(terminated when it ended within two weeks of the listing, otherwise completed or, one time in
three, terminated), contacts about four times a year while it ran and none after, and, for about
half of them, one or two endorsements of the listed party in earlier years (more than a year before
the partnership ended); like any partner they may refer it after a completed partnership (before
the listing) or report an incident after a terminated one. Nobody honest works with, contacts or
praises a listed party after its listing.

Positives ("attacker"): the accomplices. Hard negatives ("honest_partner"): every honest party with
a tie to a listed party (shared partnership, referral or incident either way, contact, a person who
worked at both, or a personal tie between their staff). Nobody is pre-trusted."""

HELD_OUT = True
PARAMS: dict[str, list[Any]] = {"camouflage": [0, 10, 20], "accomplices": [1, 3, 5], "endorsements": [1, 3, 6]}

KINDS = ["bilateral", "supply", "grant"]


def generate(folder: Path, seed: int, *, orgs: int = 1000, camouflage: int = 10, accomplices: int = 3,
             endorsements: int = 3, **params: Any) -> dict[str, str]:
    """Write the long-con dataset to ``folder``; return the role of every organisation id."""
    if params:
        raise TypeError(f"unknown parameters: {sorted(params)}")
    rng = np.random.default_rng(seed)
    w = World(rng)
    n_listed = max(6, orgs // 50)
    listing = honest_world(w, orgs, n_listed)
    tied = w.tied_to({x for _, x, _, _, _ in w.listings})
    free = [i for i in range(orgs) if i not in listing and i not in tied and w.orgs[i]["born"] == START]
    taken: set[int] = set()
    for x in sorted(listing):
        _quitters(w, x, listing[x], [i for i in free if i not in taken], taken)
    attacked = [int(v) for v in rng.choice(sorted(listing), max(2, n_listed // 3), replace=False)]
    positives: dict[int, str] = {}
    for x in attacked:
        for a in pick(w, [i for i in free if i not in taken], accomplices, w.orgs[x]["region"], 0.7):
            taken.add(a)
            positives[a] = "attacker"
            _accomplice(w, a, x, listing[x], endorsements)
            ordinary(w, a, [i for i in free if i not in taken], camouflage, START)
    return w.roles(w.write(Path(folder)), positives)


def _quitters(w: World, x: int, t: int, pool: list[int], taken: set[int]) -> None:
    """Honest long-standing partners of ``x`` whose partnership ended at its listing or up to half a year
    before it."""
    rng = w.rng
    for m in pick(w, pool, int(rng.integers(2, 5)), w.orgs[x]["region"], 0.7):
        taken.add(m)
        end = t - int(rng.integers(0, 183))
        start = max(START + 1, end - int(rng.integers(3 * YEAR, 8 * YEAR)))
        status = "terminated" if end > t - 15 else str(rng.choice(["completed", "terminated"], p=[0.7, 0.3]))
        p = w.partnership(str(rng.choice(KINDS)), [m, x], start, end, status)
        w.contacts_over(m, x, start, end, int(rng.poisson(4 * (end - start) / YEAR)))
        if status == "terminated" and end > t - 15:
            continue  # ended by the listing: no follow-up of its own
        follow_up(w, p)
        if rng.random() < 0.5 and end - YEAR > start + 180:
            for _ in range(int(rng.integers(1, 3))):
                w.refer(m, x, float(rng.uniform(0.5, 0.9)), int(rng.integers(start + 180, end - YEAR)),
                        "reliable partner")


def _accomplice(w: World, a: int, x: int, t: int, endorsements: int) -> None:
    """The continuous relationship of accomplice ``a`` with ``x`` (listed on ``t``)."""
    rng = w.rng
    kind = str(rng.choice(KINDS))
    start = max(START + 1, t - int(rng.integers(3 * YEAR, 8 * YEAR)))
    w.partnership(kind, [a, x], start, None, "active")
    if t - start > 3 * YEAR and rng.random() < 0.5:
        lo = start + int(rng.integers(90, YEAR))
        w.partnership(str(rng.choice(KINDS)), [x, a], lo, lo + int(rng.integers(YEAR, 2 * YEAR)), "completed")
    renewal = min(END - 30, t + int(rng.integers(30, 548)))
    w.partnership(kind, [a, x], renewal, None, "active")
    w.contacts_over(a, x, start, END, int(rng.poisson(4 * (END - start) / YEAR)))
    w.contacts_over(a, x, t + 1, END, 2)
    lo = start + 180
    for k in range(endorsements):
        day = lo + int((k + rng.random()) * (END - lo) / endorsements)
        w.refer(a, x, float(rng.uniform(0.5, 0.9)), day, "long-standing, dependable partner")
