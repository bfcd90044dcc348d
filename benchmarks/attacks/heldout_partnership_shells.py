"""Held-out attack generator: shells that never write a referral (issue 16).

Written from its description only (below, in ``DESCRIPTION``), before and without looking at the
method; it is never used to choose a parameter of exposure, risk or reputation. See
``benchmarks/attacks/`` for the generator interface.

The honest world drawn here (:class:`World`, :func:`honest_world`) is shared by the two other
held-out generators written with it, ``heldout_long_con`` and ``heldout_mixed_world``.
"""

from __future__ import annotations

import csv
import itertools
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

DESCRIPTION = """\
Adversary: the operators of a party that is about to be listed (debarred) run `shells` (4 to 8)
shell organisations per listed party, which collude with it and with each other without ever
writing a referral (nor reporting an incident). The shells are new private parties, most of them
in the listed party's region, created between two years before and three months after the
listing. They collude through partnerships only: each shell has one or two supply or bilateral
deals with the listed party, starting from a year before to half a year after the listing and
still active or completed well after it; the listed party leads one or two consortia with two to
four of its shells, started between the creation of the youngest of them and half a year after the
listing and still active; shells partner each other (about two pairs in five, supply deals and
joint ventures). They are in frequent contact (about ten contacts
between each shell and the listed party, some between shells), and they share people: one to
three staff of the listed party move to its shells as they are created (also after the
listing), each shell hires one or two people of its own, the movers keep their former-colleague
ties, and shell staff know staff still at the listed party. Each shell also has `camouflage`
ordinary partnerships with honest parties (completed, active or terminated; honest partners may
refer it after a completed one and warn about it after a terminated one). `deceived` honest
parties per attacked listed party are drawn into a new partnership with one of its shells after
the listing. About a third of the listed parties (at least two) are attacked so.

Honest world: parties in eight regions with heavy-tailed activity, some founded after 2014;
bilateral, supply and grant partnerships and consortia (mostly within a region); contacts while a
partnership runs, referrals after completed ones, incidents and warnings after terminated ones;
staff (one to five positions per party) who change jobs, mostly within their region, with
colleague, former-colleague, alumni and friend ties, including staff leaving a listed party after
its listing for honest parties. About one party in fifty is listed by an outside authority, the
listings spread over 2019 to early 2025 and in force at the end of the data (mid-2025). Nobody
honest partners or praises a listed party after its listing. Each listed party has two to five
honest former partners whose partnerships with it ended one to five years before its listing
(some referred it back then, some reported an incident or warned about it before the listing),
and the most active honest parties (hubs, one in fifty) each partnered two to four listed
parties, two to six years before their listings.

Positives ("attacker"): the shells. Hard negatives ("honest_partner"): every honest party with a
tie to a listed party: a shared partnership, a referral or an incident either way, a contact, a
person who worked at both, or a personal tie between their staff. Nobody is pre-trusted."""

HELD_OUT = True
PARAMS: dict[str, list[Any]] = {"shells": [4, 6, 8], "camouflage": [0, 10, 20], "deceived": [1, 3, 6]}

START = date(2014, 1, 1).toordinal()
END = date(2025, 6, 30).toordinal()
YEAR = 365

REGIONS = [
    ("Andes", ["PE", "BO", "EC", "CO"]), ("Sahel", ["ML", "NE", "BF", "TD"]), ("Great Lakes", ["UG", "RW", "BI", "CD"]),
    ("Mekong", ["VN", "KH", "LA", "TH"]), ("Levant", ["JO", "LB", "SY", "PS"]), ("Balkans", ["RS", "BA", "AL", "MK"]),
    ("Southern Africa", ["ZA", "ZM", "MW", "MZ"]), ("Pacific", ["FJ", "PG", "WS", "TO"]),
]
SECTORS = ["ngo", "private", "government", "academic", "foundation", "social_enterprise", "media", "multilateral"]
SECTOR_P = [0.30, 0.33, 0.09, 0.09, 0.07, 0.07, 0.03, 0.02]
CULTURES = ["verify-later", "reputation-first", "vouched", "relationship-first"]
NAME_A = ["Acacia", "Baobab", "Condor", "Dune", "Ember", "Fjord", "Glacier", "Heron", "Ibis", "Jade", "Kestrel",
          "Lotus", "Monsoon", "Nile", "Olive", "Pine", "Quartz", "Reed", "Sable", "Teak", "Umber", "Vine",
          "Wren", "Yarrow", "Atlas", "Beacon", "Compass", "Delta", "Equator", "Frontier"]
NAME_B = ["Crossing", "Harvest", "Anchor", "Canopy", "Current", "Meadow", "Summit", "Lantern", "Keystone", "Mosaic",
          "Orbit", "Pillar", "Relay", "Signal", "Terrace", "Vista", "Bridge", "Circle", "Haven", "Compass"]
SUFFIX = {"ngo": ["Trust", "Relief", "Network", "Alliance"], "private": ["Ltd", "Supplies", "Contractors", "Group",
          "Consulting", "Logistics"], "government": ["Agency", "Directorate", "Office"],
          "academic": ["University", "Institute", "School"], "foundation": ["Fund", "Foundation"],
          "social_enterprise": ["Cooperative", "Ventures"], "media": ["Media", "Broadcasting"],
          "multilateral": ["Facility", "Programme", "Bank"]}
GIVEN = ["Amina", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivan", "Joana", "Kofi", "Lina", "Mateo",
         "Nadia", "Omar", "Priya", "Quang", "Rosa", "Samir", "Tendai", "Ursula", "Vikram", "Wanjiku", "Yusuf", "Zara"]
FAMILY = ["Abara", "Banda", "Castillo", "Dlamini", "Eze", "Ferreira", "Gashi", "Haddad", "Ibrahim", "Jovanovic",
          "Kamau", "Lopez", "Mensah", "Nguyen", "Okafor", "Petrovic", "Quispe", "Rahman", "Sow", "Tran", "Uwimana",
          "Vargas", "Waweru", "Yilmaz", "Zulu"]
POSTS = ["Director", "Finance Manager", "Programme Lead", "Procurement Officer", "Partnerships Manager",
         "Country Representative", "Operations Manager"]
AUTHORITIES = ["Inter-American Development Bank OII", "African Development Bank Sanctions Office",
               "National Public Procurement Debarment List", "UNDP Vendor Review Committee",
               "Global Fund Office of the Inspector General"]
REASONS = ["Fraudulent practice in procurement", "Collusion with other bidders", "Corrupt payments",
           "Obstruction of an investigation", "Falsified delivery records"]
CHANNELS = ["meeting", "call", "email", "visit", "conference", "letter"]


class World:
    """Parties, events and staff of one generated dataset, by party index (ids are drawn at the end)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.orgs: list[dict[str, Any]] = []
        self.activity: list[float] = []
        self.partnerships: list[dict[str, Any]] = []
        self.referrals: list[tuple[int, int, float, int, str]] = []
        self.incidents: list[tuple[int, int, str, int, int, int | None]] = []
        self.contacts: list[tuple[int, int, int, str]] = []
        self.listings: list[tuple[str, int, int, int | None, str]] = []
        self.positions: list[dict[str, Any]] = []
        self.ties: dict[tuple[int, int], tuple[str, int]] = {}

    # -- parties and events ---------------------------------------------------------------------
    def party(self, sector: str, region: int, born: int, activity: float = 1.0) -> int:
        rng = self.rng
        self.orgs.append({"name": f"{rng.choice(NAME_A)} {rng.choice(NAME_B)} {rng.choice(SUFFIX[sector])}",
                          "sector": sector, "country": str(rng.choice(REGIONS[region][1])), "region": region,
                          "culture": str(rng.choice(CULTURES)), "risk": str(rng.choice(["low", "medium", "high"])),
                          "born": born})
        self.activity.append(activity)
        return len(self.orgs) - 1

    def partnership(self, kind: str, members: list[int], start: int, end: int | None, status: str) -> int:
        end = None if end is not None and end >= END else end
        if end is None and status in ("completed", "terminated"):
            status = "active"
        self.partnerships.append({"kind": kind, "members": list(dict.fromkeys(members)), "start": min(start, END - 1),
                                  "end": end, "status": status})
        return len(self.partnerships) - 1

    def refer(self, source: int, target: int, strength: float, day: int, note: str) -> None:
        if source != target:
            self.referrals.append((source, target, round(float(np.clip(strength, -1, 1)), 2), min(END, day), note))

    def contact(self, a: int, b: int, day: int) -> None:
        if a != b:
            self.contacts.append((a, b, int(np.clip(day, START, END)), str(self.rng.choice(CHANNELS))))

    def contacts_over(self, a: int, b: int, lo: int, hi: int, n: int) -> None:
        for _ in range(n):
            self.contact(a, b, int(self.rng.integers(lo, max(lo + 1, min(hi, END) + 1))))

    def list_party(self, x: int, day: int, until: int | None = None) -> None:
        rng = self.rng
        self.listings.append((str(rng.choice(AUTHORITIES)), x, day, until, str(rng.choice(REASONS))))

    def listed_on(self, x: int, day: int) -> bool:
        """Whether a listing of ``x`` is in force on ``day``."""
        return any(p == x and t <= day and (u is None or day < u) for _, p, t, u, _ in self.listings)

    def in_force(self) -> dict[int, int]:
        """Parties listed at the end of the data, with their listing dates."""
        return {p: t for _, p, t, u, _ in self.listings if u is None or u > END}

    # -- staff ----------------------------------------------------------------------------------
    def hire(self, org: int, day: int, post: str | None = None) -> int:
        rng = self.rng
        self.positions.append({"org": org, "name": f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}",
                               "post": post or str(rng.choice(POSTS)), "from": int(min(day, END - 1)),
                               "until": None, "previous": None})
        return len(self.positions) - 1

    def move(self, position: int, org: int, day: int) -> int:
        """``position``'s holder leaves on ``day`` for ``org``; returns the new position."""
        old = self.positions[position]
        old["until"] = day
        new = self.hire(org, day, str(self.rng.choice(POSTS)))
        self.positions[new]["name"] = old["name"]
        self.positions[new]["previous"] = position
        return new

    def know(self, a: int, b: int, kind: str, since: int) -> None:
        if a != b:
            self.ties.setdefault((min(a, b), max(a, b)), (kind, int(min(since, END))))

    def in_post(self, org: int, day: int) -> list[int]:
        return [i for i, p in enumerate(self.positions)
                if p["org"] == org and p["from"] <= day and (p["until"] is None or day < p["until"])]

    # -- roles and output -----------------------------------------------------------------------
    def tied_to(self, parties: set[int]) -> set[int]:
        """Every party with a partnership, referral, incident, contact, person or personal tie shared with one
        of ``parties``."""
        pairs: list[tuple[int, int]] = []
        for p in self.partnerships:
            pairs += itertools.combinations(p["members"], 2)
        pairs += [(r[0], r[1]) for r in self.referrals] + [(r[0], r[1]) for r in self.incidents]
        pairs += [(r[0], r[1]) for r in self.contacts]
        pos = self.positions
        pairs += [(p["org"], pos[p["previous"]]["org"]) for p in pos if p["previous"] is not None]
        pairs += [(pos[a]["org"], pos[b]["org"]) for a, b in self.ties]
        tied: set[int] = set()
        for a, b in pairs:
            if a in parties:
                tied.add(b)
            if b in parties:
                tied.add(a)
        return tied - parties

    def roles(self, ids: list[str], positives: dict[int, str]) -> dict[str, str]:
        listed = set(self.in_force())
        partners = self.tied_to(listed)
        return {ids[i]: ("listed" if i in listed else positives[i] if i in positives
                         else "honest_partner" if i in partners else "honest") for i in range(len(self.orgs))}

    def write(self, folder: Path) -> list[str]:
        """Write the CSV files; return the id of every party index."""
        rng = self.rng
        folder.mkdir(parents=True, exist_ok=True)
        ids = [f"ORG{i + 1:05d}" for i in rng.permutation(len(self.orgs))]
        d = lambda day: date.fromordinal(int(day)).isoformat()  # noqa: E731
        o = self.orgs
        _csv(folder / "organizations.csv", ["id", "name", "sector", "country", "region", "culture", "risk_appetite",
                                            "pretrusted"],
             sorted([ids[i], f"{x['name']}", x["sector"], x["country"], REGIONS[x["region"]][0], x["culture"],
                     x["risk"], "false"] for i, x in enumerate(o)))
        pid = {p: f"PS{n + 1:05d}" for n, p in enumerate(int(x) for x in rng.permutation(len(self.partnerships)))}
        parts = sorted(range(len(self.partnerships)), key=lambda p: pid[p])
        ps = self.partnerships
        _csv(folder / "partnerships.csv", ["id", "name", "kind", "start", "end", "status"],
             [[pid[p], f"{o[ps[p]['members'][0]]['name'].split()[0]} {ps[p]['kind'].replace('_', ' ')} {pid[p][2:]}",
               ps[p]["kind"], d(ps[p]["start"]), "" if ps[p]["end"] is None else d(ps[p]["end"]), ps[p]["status"]]
              for p in parts])
        _csv(folder / "partnership_members.csv", ["partnership", "organization", "role"],
             [[pid[p], ids[m], "lead" if k == 0 else "member"] for p in parts for k, m in enumerate(ps[p]["members"])])
        perm = {i: f"P{n + 1:05d}" for n, i in enumerate(int(x) for x in rng.permutation(len(self.positions)))}
        pos = self.positions
        _csv(folder / "people.csv", ["id", "name", "organization", "role", "from", "until", "previous"],
             sorted([perm[i], p["name"], ids[p["org"]], p["post"], d(p["from"]),
                     "" if p["until"] is None else d(p["until"]), "" if p["previous"] is None else perm[p["previous"]]]
                    for i, p in enumerate(pos)))
        _csv(folder / "personal_ties.csv", ["a", "b", "kind", "since"],
             sorted([min(perm[a], perm[b]), max(perm[a], perm[b]), kind, d(since)]
                    for (a, b), (kind, since) in self.ties.items()))
        refs = sorted(set(self.referrals), key=lambda r: (r[3], ids[r[0]], ids[r[1]], r[2]))
        _csv(folder / "referrals.csv", ["id", "source", "target", "strength", "date", "note"],
             [[f"R{n + 1:06d}", ids[s], ids[t], f"{v:.2f}", d(day), note] for n, (s, t, v, day, note) in enumerate(refs)])
        incs = sorted(set(self.incidents), key=lambda r: (r[4], ids[r[0]], ids[r[1]], r[2]))
        _csv(folder / "incidents.csv", ["id", "reporter", "subject", "kind", "severity", "date", "partnership"],
             [[f"I{n + 1:05d}", ids[r], ids[s], kind, sev, d(day), "" if p is None else pid[p]]
              for n, (r, s, kind, sev, day, p) in enumerate(incs)])
        lst = sorted(self.listings, key=lambda r: (r[2], ids[r[1]]))
        _csv(folder / "blacklist.csv", ["id", "lister", "listed", "date", "until", "reason", "source"],
             [[f"B{n + 1:04d}", who, ids[x], d(day), "" if until is None else d(until), why,
               f"Notice {date.fromordinal(day).year}/{n + 1}"] for n, (who, x, day, until, why) in enumerate(lst)])
        comms = sorted(set(self.contacts), key=lambda r: (r[2], ids[r[0]], ids[r[1]], r[3]))
        _csv(folder / "communications.csv", ["id", "a", "b", "date", "channel"],
             [[f"C{n + 1:06d}", ids[a], ids[b], d(day), ch] for n, (a, b, day, ch) in enumerate(comms)])
        return ids


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def pick(w: World, pool: list[int], k: int, region: int | None = None, local: float = 0.7) -> list[int]:
    """``k`` distinct parties of ``pool`` drawn by activity, those of ``region`` ``local``-preferred."""
    if not pool:
        return []
    act = np.array([w.activity[i] for i in pool])
    if region is not None:
        same = np.array([w.orgs[i]["region"] == region for i in pool])
        share = same.mean()
        if 0 < share < 1:
            act = act * np.where(same, local / share, (1 - local) / (1 - share))
    idx = w.rng.choice(len(pool), size=min(k, len(pool)), replace=False, p=act / act.sum())
    return [pool[int(i)] for i in idx]


def span(rng: np.random.Generator, lo: int, hi: int | None = None) -> tuple[int, int | None, str]:
    """An ordinary partnership's start (on or after ``lo``, before ``hi`` when given), end and status."""
    start = int(rng.integers(lo, max(lo + 1, (hi or END - 30))))
    end = start + int(rng.integers(90, 4 * YEAR))
    if end >= END:
        return start, None, "active" if rng.random() < 0.93 else "suspended"
    return start, end, "terminated" if rng.random() < 0.13 else "completed"


def follow_up(w: World, p: int, silent: frozenset[int] = frozenset(), rate: float = 0.45) -> None:
    """Contacts while partnership ``p`` ran; referrals after it completed, an incident and a warning after it
    was terminated. No referral from or to a party while it is listed; ``silent`` parties write none."""
    rng, part = w.rng, w.partnerships[p]
    members, start, end = part["members"], part["start"], part["end"]
    last = END if end is None else end
    for _ in range(int(rng.poisson(1.5 + (last - start) / 150))):
        a, b = (members[int(i)] for i in rng.choice(len(members), 2, replace=False))
        w.contact(a, b, int(rng.integers(start, last + 1)))
    if part["status"] == "completed":
        for a, b in itertools.permutations(members, 2):
            day = min(END, int(last + rng.integers(7, 200)))
            if (a not in silent and rng.random() < (rate if len(members) == 2 else rate / 3)
                    and not w.listed_on(a, day) and not w.listed_on(b, day)):
                w.refer(a, b, float(rng.uniform(0.3, 1.0)), day, "delivered as agreed")
    elif part["status"] == "terminated":
        a, b = (int(x) for x in rng.choice(members, 2, replace=False))
        if a in silent:
            return
        kind = str(rng.choice(["missed_commitment", "quality_failure", "communication_breakdown",
                               "financial_irregularity", "legal_conflict"]))
        w.incidents.append((a, b, kind, int(rng.integers(1, 5)), int(last - rng.integers(0, 60)), p))
        day = min(END, int(last + rng.integers(7, 120)))
        if rng.random() < 0.5 and not w.listed_on(a, day) and not w.listed_on(b, day):
            w.refer(a, b, -float(rng.uniform(0.3, 0.9)), day, "warning after termination")


def ordinary(w: World, a: int, pool: list[int], n: int, lo: int, silent: frozenset[int] = frozenset()) -> None:
    """``n`` ordinary partnerships of ``a`` with parties of ``pool``, from ``lo`` on, with their follow-up."""
    kinds = ["bilateral", "supply", "grant", "consortium"]
    for m in pick(w, pool, n, w.orgs[a]["region"], 0.6):
        kind = str(w.rng.choice(kinds, p=[0.5, 0.25, 0.15, 0.1]))
        start, end, status = span(w.rng, max(lo, w.orgs[m]["born"]) + 30)
        follow_up(w, w.partnership(kind, [a, m], start, end, status), silent)


def _fit(w: World, members: list[int], start: int, end: int | None, status: str
         ) -> tuple[list[int], int, int | None, str]:
    """Move or cut a partnership so that no listed member's listing falls in it (it ends 30 days to two years
    before, or, for an expired listing, may start after it); a member that cannot be fitted leaves it."""
    rng = w.rng

    def clashes() -> list[tuple[int, int, int | None]]:
        stop = END if end is None else end
        return [(x, t, u) for _, x, t, u, _ in w.listings
                if x in members and stop >= t - 30 and (u is None or start < u)]

    for _ in range(4):
        found = clashes()
        if not found:
            return members, start, end, status
        x, t, until = found[0]
        stop = END if end is None else end
        if until is not None and until < END - 120 and rng.random() < 0.5:
            length = max(90, stop - start)
            start = int(rng.integers(until, END - 60))
            end = None if start + length >= END else start + length
            status = "active" if end is None else status
            continue
        end = t - int(rng.integers(30, 2 * YEAR))
        status = "completed" if status in ("active", "suspended") else status
        if end - start < 60:
            start = end - int(rng.integers(90, 3 * YEAR))
        if start < max(START, *(w.orgs[m]["born"] for m in members)):
            members = [m for m in members if m != x]
            start, end, status = span(rng, max(w.orgs[m]["born"] for m in members))
    dropped = {x for x, _, _ in clashes()}
    return [m for m in members if m not in dropped], start, end, status


def honest_world(w: World, n_honest: int, n_listed: int, *, expired: int = 0, density: float = 1.2,
                 consortia: float = 0.15, rate: float = 0.45, warners: int = 0) -> dict[int, int]:
    """Honest parties with their partnerships, follow-up and staff, and the listed parties; returns the listings
    in force at the end of the data (party -> date). ``expired`` more listings end before the end of the data."""
    rng = w.rng
    for _ in range(n_honest):
        born = int(rng.integers(START, date(2022, 1, 1).toordinal())) if rng.random() < 0.25 else START
        w.party(str(rng.choice(SECTORS, p=SECTOR_P)), int(rng.integers(len(REGIONS))), born, 1.0 + float(rng.pareto(1.4)))
    everyone = list(range(n_honest))
    middling = [i for i in everyone if 1.2 < w.activity[i] < 6 and w.orgs[i]["born"] == START]
    chosen = [int(x) for x in rng.choice(middling, n_listed + expired, replace=False)]
    for x in chosen[:n_listed]:
        w.list_party(x, int(rng.integers(date(2019, 1, 1).toordinal(), date(2025, 3, 1).toordinal())))
    for x in chosen[n_listed:]:
        t = int(rng.integers(date(2015, 6, 1).toordinal(), date(2021, 6, 1).toordinal()))
        w.list_party(x, t, min(END - 180, t + int(rng.integers(YEAR, 3 * YEAR))))
    listed = set(chosen)
    act = np.array(w.activity)
    region = np.array([o["region"] for o in w.orgs])
    for _ in range(int(density * n_honest)):
        lead = int(rng.choice(n_honest, p=act / act.sum()))
        kind = str(rng.choice(["bilateral", "consortium", "supply", "grant", "research"],
                              p=[0.6 - consortia, consortia, 0.13, 0.15, 0.12]))
        size = 2 if kind in ("bilateral", "supply", "grant") else int(rng.integers(3, 8))
        local = act * np.where(region == region[lead], 4.0, 1.0)
        members = [lead, *[int(m) for m in rng.choice(n_honest, size + 2, replace=False, p=local / local.sum())
                           if m != lead][: size - 1]]
        members, start, end, status = _fit(w, members, *span(rng, max(w.orgs[m]["born"] for m in members)))
        if len(members) >= 2:
            w.partnership(kind, members, start, end, status)
    plain = [i for i in everyone if i not in listed]
    for _, x, t, _, _ in list(w.listings):
        # Former partners: partnerships that ended one to five years before the listing.
        for m in pick(w, plain, int(rng.integers(2, 6)), w.orgs[x]["region"]):
            end = t - int(rng.integers(YEAR, 5 * YEAR))
            start = max(START, max(w.orgs[m]["born"], START) + 1, end - int(rng.integers(120, 3 * YEAR)))
            if end - start < 60:
                continue
            terminated = rng.random() < 0.2
            p = w.partnership(str(rng.choice(["bilateral", "supply", "grant"])), [m, x], start, end,
                              "terminated" if terminated else "completed")
            if not terminated and rng.random() < 0.5:
                w.refer(m, x, float(rng.uniform(0.5, 0.95)), min(t - 1, int(end + rng.integers(7, 200))),
                        "delivered as agreed")
            if rng.random() < 0.3:
                day = int(rng.integers(end - 60, t - 14))
                w.incidents.append((m, x, str(rng.choice(["financial_irregularity", "fraud", "quality_failure"])),
                                    int(rng.integers(2, 6)), day, p))
                if rng.random() < 0.5:
                    w.refer(m, x, -float(rng.uniform(0.4, 1.0)), day + int(rng.integers(1, 14)), "warning")
        for m in pick(w, [i for i in plain if i != x], warners, w.orgs[x]["region"]):
            day = t + int(rng.integers(-YEAR, 180))
            w.refer(m, x, -float(rng.uniform(0.4, 1.0)), day, "warning: irregular bids")
    # Hubs: the most active honest parties partnered several listed parties, years before their listings.
    hubs = sorted(plain, key=lambda i: -w.activity[i])[: max(5, n_honest // 50)]
    for h in hubs:
        for _, x, t, _, _ in [w.listings[int(i)] for i in rng.choice(len(w.listings), int(rng.integers(2, 5)),
                                                                       replace=False)]:
            end = t - int(rng.integers(2 * YEAR, 6 * YEAR))
            start = end - int(rng.integers(120, 2 * YEAR))
            if start > START:
                w.partnership(str(rng.choice(["consortium", "bilateral", "grant"])), [h, x], start, end, "completed")
    for p in range(len(w.partnerships)):
        follow_up(w, p, rate=rate)
    _staff(w, everyone)
    return w.in_force()


def _staff(w: World, parties: list[int]) -> None:
    """One to five positions per party, job changes (mostly within a region, never into a listed party) and
    colleague, former-colleague, alumni and friend ties."""
    rng = w.rng
    for o in parties:
        for _ in range(1 + min(4, int(w.activity[o]))):
            born = w.orgs[o]["born"]
            w.hire(o, int(rng.integers(born, max(born + 1, END - YEAR))))
    by_region: dict[int, list[int]] = {}
    for o in parties:
        by_region.setdefault(w.orgs[o]["region"], []).append(o)
    for i in range(len(w.positions)):
        p = w.positions[i]
        if rng.random() >= 0.15 or p["from"] + 180 >= END - 30:
            continue
        day = int(rng.integers(p["from"] + 180, END - 30))
        pool = by_region[w.orgs[p["org"]]["region"]] if rng.random() < 0.8 else parties
        to = pick(w, [o for o in pool if o != p["org"] and w.orgs[o]["born"] <= day and not w.listed_on(o, day)], 1)
        if to:
            new = w.move(i, to[0], day)
            mates = [q for q in w.in_post(p["org"], day - 1) if q != i]
            if mates and rng.random() < 0.5:
                w.know(new, int(rng.choice(mates)), "former_colleague", day)
    staff_of: dict[int, list[int]] = {}
    for i, p in enumerate(w.positions):
        staff_of.setdefault(p["org"], []).append(i)
    for o in parties:
        staff = staff_of.get(o, [])
        for _ in range(len(staff) // 2):
            a, b = (int(x) for x in rng.choice(staff, 2, replace=False))
            w.know(a, b, "colleague", max(w.positions[a]["from"], w.positions[b]["from"]))
    n = len(w.positions)
    for _ in range(n // 12):
        a, b = (int(x) for x in rng.choice(n, 2, replace=False))
        if w.orgs[w.positions[a]["org"]]["region"] == w.orgs[w.positions[b]["org"]]["region"]:
            w.know(a, b, str(rng.choice(["alumni", "friend"])), int(rng.integers(START, END - 30)))


def generate(folder: Path, seed: int, *, orgs: int = 1000, shells: int = 6, camouflage: int = 10,
             deceived: int = 3, **params: Any) -> dict[str, str]:
    """Write the partnership-shells dataset to ``folder``; return the role of every organisation id."""
    if params:
        raise TypeError(f"unknown parameters: {sorted(params)}")
    rng = np.random.default_rng(seed)
    w = World(rng)
    n_listed = max(6, orgs // 50)
    n_attacked = max(2, n_listed // 3)
    n_honest = orgs - n_attacked * shells
    listing = honest_world(w, n_honest, n_listed)
    tied = w.tied_to({x for _, x, _, _, _ in w.listings})
    free = [i for i in range(n_honest) if i not in listing and i not in tied]
    positives: dict[int, str] = {}
    for x in (int(v) for v in rng.choice(sorted(listing), n_attacked, replace=False)):
        positives.update(dict.fromkeys(_shells(w, x, listing[x], free, shells, camouflage, deceived), "attacker"))
    return w.roles(w.write(Path(folder)), positives)


def _shells(w: World, x: int, t: int, free: list[int], n: int, camouflage: int, deceived: int) -> list[int]:
    """The shells of listed party ``x`` (listed on ``t``), with their partnerships, contacts and people."""
    rng = w.rng
    home = w.orgs[x]["region"]
    ss = []
    for _ in range(n):
        day = int(np.clip(t + rng.integers(-2 * YEAR, 90), START + 30, END - 120))
        region = home if rng.random() < 0.8 else int(rng.integers(len(REGIONS)))
        ss.append(w.party(str(rng.choice(["private", "private", "social_enterprise", "ngo"])), region, day,
                          1.0 + float(rng.pareto(1.4))))
    silent = frozenset(ss)
    born = {s: w.orgs[s]["born"] for s in ss}
    for s in ss:
        for _ in range(int(rng.integers(1, 3))):
            start = int(rng.integers(max(born[s], t - YEAR), max(born[s], t + 180) + 1))
            end = None if rng.random() < 0.7 else int(rng.integers(min(END - 1, max(start, t) + 90), END))
            w.partnership(str(rng.choice(["supply", "bilateral"])), [x, s], start, end,
                          "active" if end is None else "completed")
    for _ in range(int(rng.integers(1, 3))):
        group = [int(s) for s in rng.choice(ss, int(rng.integers(2, min(4, n) + 1)), replace=False)]
        lo = max(born[s] for s in group)
        w.partnership("consortium", [x, *group], int(rng.integers(lo, max(lo, t + 180) + 1)), None, "active")
    for a, b in itertools.combinations(ss, 2):
        lo = max(born[a], born[b])
        if rng.random() < 0.4:
            start = int(rng.integers(lo, END - 60))
            end = None if rng.random() < 0.7 else min(END - 1, start + int(rng.integers(180, 3 * YEAR)))
            w.partnership(str(rng.choice(["supply", "joint_venture"])), [a, b], start, end,
                          "active" if end is None else "completed")
            w.contacts_over(a, b, lo, END, int(rng.poisson(5)))
        else:
            w.contacts_over(a, b, lo, END, int(rng.poisson(1)))
    for s in ss:
        w.contacts_over(x, s, born[s], END, int(rng.poisson(10)))
    # People: staff of the listed party move to its shells; shells hire their own; they all know each other.
    movers = []
    for s in rng.permutation(ss)[: int(rng.integers(1, 4))]:
        day = min(END - 1, born[int(s)] + int(rng.integers(0, 90)))
        staff = w.in_post(x, day) or [w.hire(x, int(rng.integers(START, day)))]
        movers.append(w.move(int(rng.choice(staff)), int(s), day))
    own = [w.hire(s, born[s] + int(rng.integers(0, 120))) for s in ss for _ in range(int(rng.integers(1, 3)))]
    for a, b in itertools.combinations(movers, 2):
        w.know(a, b, "former_colleague", max(w.positions[a]["from"], w.positions[b]["from"]))
    for a in movers + own:
        for b in w.in_post(x, END):
            if rng.random() < 0.5:
                w.know(a, b, str(rng.choice(["friend", "family", "former_colleague"])), w.positions[a]["from"])
    for a, b in itertools.combinations(own, 2):
        if rng.random() < 0.3:
            w.know(a, b, "friend", max(w.positions[a]["from"], w.positions[b]["from"]))
    # Camouflage and the deceived honest parties.
    for s in ss:
        ordinary(w, s, free, camouflage, born[s], silent)
    for m in pick(w, free, deceived, home):
        s = int(rng.choice(ss))
        start = int(rng.integers(min(END - 90, max(t, born[s]) + 30), END - 60))
        follow_up(w, w.partnership(str(rng.choice(["bilateral", "supply"])), [m, s], start, None, "active"), silent)
    return ss
