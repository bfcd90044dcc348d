"""Held-out attack generator: several attacks at once in a messier world (issue 16).

Written from its description only (below, in ``DESCRIPTION``), before and without looking at the
method; it is never used to choose a parameter of exposure, risk or reputation. See
``benchmarks/attacks/`` for the generator interface; the honest world is the one of
``heldout_partnership_shells``, drawn denser here.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np

from .heldout_partnership_shells import END, START, YEAR, World, honest_world, ordinary, pick

DESCRIPTION = """\
Three attacks at once, each on its own listed party, in a denser and messier honest world.

Ring: `ring` (4 to 10) new parties, created one to four years before the listing of the party they
serve, most in its region, form a dense referral ring: they share a consortium and some bilateral
deals, each ordered pair of members refers the other with probability 0.7 (one or two referrals of
strength 0.6 to 1.0, at any time after the younger of the two was created), each member endorses
the listed party once or twice (strength 0.7 to 1.0, from two years before to a year after its
listing) and about half are endorsed by it before the listing; members are in contact with each
other and with the listed party, and each refers one honest party (a few attack ties into the
honest region). Front: one new private party created two weeks to four months after a listing
takes over the listed party's active partnerships: the listed party had two to four partnerships
with honest parties that started one to four years before the listing and were terminated on the
day of the listing; for each, the front starts a partnership of the same kind with the same honest
party within two months of its creation, still active. The listed party owns the front (an
ownership partnership, active), endorses it (0.8 to 1.0), is in frequent contact with it, and one
or two of its staff move to the front. Late endorsers: `late` established, honest-looking parties
(founded by 2014, their own history, half of them with an old partnership with the listed party
that ended one to four years before its listing) each endorse a listed party (strength 0.6 to
0.95) one month to a year and a half after its listing, with a contact or two after the listing.
Ring members and the front also have `camouflage` ordinary partnerships (0, 10 or 20) each with
honest parties.

Honest world (as in heldout_partnership_shells, but denser): 1.8 partnerships per party instead of
1.2, a quarter of them consortia (research groups besides), more referrals after completed
partnerships (each partner of a completed bilateral one refers the other with probability 0.6
instead of 0.45); about one party in forty listed by an outside authority in 2019 to early 2025 and in
force at the end of the data, and a quarter as many more listed in mid-2015 to mid-2021 whose
listing EXPIRED (an `until` date one to three years later, at least half a year before the end of
the data): honest parties partnered these before their listings and again after the listing
expired, and they are not listed at the end of the data. Each listed party (in force or expired)
has former partners whose ties ended one to five years before the listing, some of which referred
it or reported incidents, and two honest parties that warned about it (negative referrals, from a
year before to half a year after the listing). Honest hubs have listed former partners. Staff
change jobs and know each other, as there.

Positives: ring members and late endorsers ("attacker"), the front ("front"). Parties whose
listing expired are unlisted at the end of the data and no attacker: "honest". Hard negatives
("honest_partner"): every honest party with a tie to a party listed at the end of the data (shared
partnership, referral or incident either way, contact, a person who worked at both, or a personal
tie between their staff); a party tied only to parties whose listing expired is "honest". Nobody
is pre-trusted."""

HELD_OUT = True
PARAMS: dict[str, list[Any]] = {"ring": [4, 7, 10], "camouflage": [0, 10, 20], "late": [1, 3, 5]}


def generate(folder: Path, seed: int, *, orgs: int = 1000, ring: int = 6, camouflage: int = 10, late: int = 3,
             **params: Any) -> dict[str, str]:
    """Write the mixed-world dataset to ``folder``; return the role of every organisation id."""
    if params:
        raise TypeError(f"unknown parameters: {sorted(params)}")
    rng = np.random.default_rng(seed)
    w = World(rng)
    n_listed = max(8, orgs // 40)
    n_honest = orgs - ring - 1
    listing = honest_world(w, n_honest, n_listed, expired=max(2, n_listed // 4), density=1.8, consortia=0.25,
                           rate=0.6, warners=2)
    tied = w.tied_to({x for _, x, _, _, _ in w.listings})
    free = [i for i in range(n_honest) if i not in listing and i not in tied]
    order = [int(v) for v in rng.permutation(sorted(listing))]
    ringed = order[0]
    fronted = next(x for x in order[1:] if listing[x] < END - 300)
    positives = dict.fromkeys(_ring(w, ringed, listing[ringed], ring, free, camouflage), "attacker")
    positives[_front(w, fronted, listing[fronted], free, camouflage)] = "front"
    busy = w.tied_to(set(positives) | set(listing))
    established = [i for i in free if w.orgs[i]["born"] == START and i not in positives and i not in busy]
    targets = [x for x in order if x not in (ringed, fronted)]
    for a in pick(w, established, late):
        x = int(rng.choice(targets))
        t = listing[x]
        positives[a] = "attacker"
        if rng.random() < 0.5:
            end = t - int(rng.integers(YEAR, 4 * YEAR))
            w.partnership(str(rng.choice(["bilateral", "supply", "grant"])), [a, x], end - int(rng.integers(180, 3 * YEAR)),
                          end, "completed")
            w.contacts_over(a, x, end - 180, end, int(rng.integers(1, 4)))
        day = int(rng.integers(t + 30, min(END, t + 548)))
        w.refer(a, x, float(rng.uniform(0.6, 0.95)), day, "still our most reliable supplier")
        w.contacts_over(a, x, t + 1, END, int(rng.integers(1, 3)))
    return w.roles(w.write(Path(folder)), positives)


def _ring(w: World, x: int, t: int, n: int, free: list[int], camouflage: int) -> list[int]:
    """A referral ring of ``n`` new parties vouching for ``x`` (listed on ``t``)."""
    rng = w.rng
    home = w.orgs[x]["region"]
    members = []
    for _ in range(n):
        day = max(START + 30, t - int(rng.integers(YEAR, 4 * YEAR)))
        region = home if rng.random() < 0.75 else int(rng.integers(8))
        members.append(w.party(str(rng.choice(["private", "ngo", "social_enterprise"])), region, day,
                               1.0 + float(rng.pareto(1.4))))
    born = {m: w.orgs[m]["born"] for m in members}
    lo = max(born.values())
    w.partnership("consortium", members, int(rng.integers(lo, lo + YEAR)), None, "active")
    for a, b in itertools.combinations(members, 2):
        both = max(born[a], born[b])
        if rng.random() < 0.3:
            start = int(rng.integers(both, END - 60))
            w.partnership("bilateral", [a, b], start, None, "active")
        w.contacts_over(a, b, both, END, int(rng.poisson(3)))
    for a, b in itertools.permutations(members, 2):
        if rng.random() < 0.7:
            for _ in range(int(rng.integers(1, 3))):
                w.refer(a, b, float(rng.uniform(0.6, 1.0)), int(rng.integers(max(born[a], born[b]), END)),
                        "trusted partner")
    for m in members:
        for _ in range(int(rng.integers(1, 3))):
            w.refer(m, x, float(rng.uniform(0.7, 1.0)), int(rng.integers(max(born[m], t - 2 * YEAR), t + YEAR)),
                    "excellent delivery")
        if rng.random() < 0.5:
            w.refer(x, m, float(rng.uniform(0.6, 1.0)), int(rng.integers(born[m], max(born[m] + 1, t))), "our partner")
        w.contacts_over(m, x, born[m], END, int(rng.poisson(4)))
        for h in pick(w, free, 1, home):
            w.refer(m, h, float(rng.uniform(0.5, 0.9)), int(rng.integers(born[m] + 30, END)), "good collaboration")
        ordinary(w, m, free, camouflage, born[m])
    return members


def _front(w: World, x: int, t: int, free: list[int], camouflage: int) -> int:
    """A front created after ``x``'s listing on ``t`` that takes over its active partnerships."""
    rng = w.rng
    born = t + int(rng.integers(15, 120))
    f = w.party("private", w.orgs[x]["region"], born, 1.0 + float(rng.pareto(1.4)))
    for h in pick(w, [i for i in free if w.orgs[i]["born"] == START], int(rng.integers(2, 5)), w.orgs[x]["region"]):
        kind = str(rng.choice(["bilateral", "supply", "grant", "research"]))
        start = t - int(rng.integers(YEAR, 4 * YEAR))
        w.partnership(kind, [h, x], start, t, "terminated")
        w.contacts_over(h, x, start, t, int(rng.poisson(4 * (t - start) / YEAR)))
        again = min(END - 30, born + int(rng.integers(0, 60)))
        w.partnership(kind, [h, f], again, None, "active")
        w.contacts_over(h, f, again, END, int(rng.poisson(3)))
    w.partnership("ownership", [x, f], born, None, "active")
    w.refer(x, f, float(rng.uniform(0.8, 1.0)), born + int(rng.integers(0, 60)), "our successor company")
    w.contacts_over(x, f, born, END, int(rng.poisson(8)))
    staff = w.in_post(x, born) or [w.hire(x, int(rng.integers(START, t)))]
    for p in rng.permutation(staff)[: int(rng.integers(1, 3))]:
        w.move(int(p), f, born + int(rng.integers(0, 30)))
    ordinary(w, f, free, camouflage, born)
    return f
