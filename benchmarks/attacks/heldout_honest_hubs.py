"""Held-out attack generator: honest hubs beside a ring of shells (issue 16).

Written from its description only (below, in ``DESCRIPTION``), before and without looking at the
method; it is never used to choose a parameter of exposure, risk or reputation. See
``benchmarks/attacks/`` for the generator interface.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

DESCRIPTION = """\
Adversary: the people behind one party that is later listed (debarred). Around its listing date they
run a ring of shell companies: a handful of private firms created one to three years before the
listing, in the listed party's region, that vouch for each other densely (mutual referrals of
strength 0.6-1.0, most ordered pairs present; the listed party takes part in the vouching now and
then) and take joint supply deals with the listed party in the months around its listing (deals
starting from nine months before to three months after it, some of them shared by two or three
shells), with the calls and meetings such deals bring. To look ordinary each shell also takes
`camouflage` partnerships (0-20 each) with honest parties picked at random, spread over its life,
which end and get referred like any other partnership.

Honest world: parties in eight regions with heavy-tailed activity (a few very active, most with a
handful of partnerships), bilateral partnerships and consortia (mostly within a region), referrals
after completed partnerships, incidents and warnings after terminated ones, contacts during
partnerships. A few of them are large legitimate intermediaries - development banks, big NGOs,
procurement agencies - each partnered with dozens of parties across regions, including several
parties that were later listed. About one party in fifty is listed by an outside authority, the
listings spread over 2019-2025 and in force at the end of the data (mid-2025); honest parties
partnered them, referred them and sometimes reported incidents about them, all before the listing,
and stopped working with them once listed.

Positives ("attacker"): the shells. Hard negatives ("honest_partner"): the hubs and every other
honest party with a tie (shared partnership, referral, incident or contact) to a listed party, all
of it before the listing. Nobody is pre-trusted."""

HELD_OUT = True
PARAMS: dict[str, list[Any]] = {"camouflage": [0, 10, 20], "ring_size": [4, 8]}

START = date(2014, 1, 1).toordinal()
END = date(2025, 6, 30).toordinal()
YEAR = 365

REGIONS = [
    ("East Africa", ["KE", "UG", "TZ", "RW"]), ("West Africa", ["NG", "GH", "SN", "CI"]),
    ("South Asia", ["IN", "BD", "NP", "LK"]), ("Southeast Asia", ["ID", "PH", "VN", "KH"]),
    ("Latin America", ["BR", "CO", "PE", "MX"]), ("Middle East", ["JO", "LB", "EG", "MA"]),
    ("Europe", ["DE", "FR", "NL", "GB"]), ("North America", ["US", "CA"]),
]
SECTORS = ["ngo", "private", "government", "academic", "foundation", "social_enterprise", "media", "multilateral"]
SECTOR_P = [0.32, 0.30, 0.10, 0.09, 0.07, 0.07, 0.03, 0.02]
CULTURES = ["verify-later", "reputation-first", "vouched", "relationship-first"]
FIRST = ["Amber", "Blue", "Cedar", "Delta", "Eastern", "Fair", "Golden", "Harbour", "Iris", "Juniper", "Kite",
         "Lake", "Meridian", "North", "Orchid", "Pioneer", "Quarry", "River", "Summit", "Tidal", "Union",
         "Valley", "Willow", "Zenith", "Coral", "Granite", "Horizon", "Silver", "Oak", "Prairie"]
SECOND = ["Ridge", "Bridge", "Path", "Works", "Field", "Stone", "Light", "Crest", "Gate", "Grove", "Point",
          "Way", "Line", "Hill", "Bay", "Star", "Forge", "Wells", "Roots", "Springs"]
SUFFIX = {"ngo": ["Trust", "Foundation", "Initiative", "Alliance"], "private": ["Ltd", "Holdings", "Trading",
          "Logistics", "Supplies", "Group"], "government": ["Agency", "Authority", "Ministry Unit"],
          "academic": ["University", "Institute", "College"], "foundation": ["Fund", "Foundation"],
          "social_enterprise": ["Cooperative", "Enterprises"], "media": ["Media", "Press"],
          "multilateral": ["Development Bank", "Facility", "Programme"]}
AUTHORITIES = ["World Bank Sanctions Board", "Asian Development Bank OAI", "EU Early Detection and Exclusion System",
               "National Debarment Register", "UN Procurement Ethics Office"]
REASONS = ["Collusive bidding on donor-funded procurement", "Fraudulent invoicing", "Diversion of grant funds",
           "Kickbacks to procurement officials", "Misrepresentation of past performance"]


class _Network:
    """The parties and events of one generated dataset, by party index (ids are drawn at the end)."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.orgs: list[dict[str, Any]] = []
        self.partnerships: list[dict[str, Any]] = []
        self.referrals: list[tuple[int, int, float, int, str]] = []
        self.incidents: list[tuple[int, int, str, int, int, int | None]] = []
        self.listings: list[tuple[str, int, int, str]] = []
        self.contacts: list[tuple[int, int, int, str]] = []

    def party(self, sector: str, region: int, born: int) -> int:
        rng = self.rng
        first, second = rng.choice(FIRST), rng.choice(SECOND)
        self.orgs.append({"name": f"{first} {second} {rng.choice(SUFFIX[sector])}", "sector": sector,
                          "country": str(rng.choice(REGIONS[region][1])), "region": region,
                          "culture": str(rng.choice(CULTURES)), "risk": str(rng.choice(["low", "medium", "high"])),
                          "born": born})
        return len(self.orgs) - 1

    def partnership(self, kind: str, members: list[int], start: int, end: int | None, status: str) -> int:
        self.partnerships.append({"kind": kind, "members": list(dict.fromkeys(members)), "start": start,
                                  "end": end, "status": status})
        return len(self.partnerships) - 1

    def write(self, folder: Path) -> list[str]:
        """Write the CSV files; return the id of every party index."""
        rng = self.rng
        ids = [f"ORG{i + 1:05d}" for i in rng.permutation(len(self.orgs))]
        folder.mkdir(parents=True, exist_ok=True)
        d = lambda day: date.fromordinal(int(day)).isoformat()  # noqa: E731
        _csv(folder / "organizations.csv", ["id", "name", "sector", "country", "region", "culture",
                                            "risk_appetite", "pretrusted"],
             sorted([ids[i], o["name"], o["sector"], o["country"], REGIONS[o["region"]][0], o["culture"],
                     o["risk"], "false"] for i, o in enumerate(self.orgs)))
        order = rng.permutation(len(self.partnerships))
        pid = {int(p): f"PS{n + 1:05d}" for n, p in enumerate(order)}
        _csv(folder / "partnerships.csv", ["id", "name", "kind", "start", "end", "status"],
             [[pid[p], f"{self.orgs[self.partnerships[p]['members'][0]]['name']} {self.partnerships[p]['kind']} "
               f"{n + 1}", self.partnerships[p]["kind"], d(self.partnerships[p]["start"]),
               "" if self.partnerships[p]["end"] is None else d(self.partnerships[p]["end"]),
               self.partnerships[p]["status"]] for n, p in enumerate(int(x) for x in order)])
        _csv(folder / "partnership_members.csv", ["partnership", "organization", "role"],
             [[pid[p], ids[m], "lead" if k == 0 else "member"]
              for p in (int(x) for x in order) for k, m in enumerate(self.partnerships[p]["members"])])
        refs = sorted(set(self.referrals), key=lambda r: (r[3], ids[r[0]], ids[r[1]]))
        _csv(folder / "referrals.csv", ["id", "source", "target", "strength", "date", "note"],
             [[f"R{n + 1:06d}", ids[s], ids[t], f"{v:.2f}", d(day), note]
              for n, (s, t, v, day, note) in enumerate(refs)])
        incs = sorted(set(self.incidents), key=lambda r: (r[4], ids[r[0]], ids[r[1]]))
        _csv(folder / "incidents.csv", ["id", "reporter", "subject", "kind", "severity", "date", "partnership"],
             [[f"I{n + 1:05d}", ids[r], ids[s], kind, sev, d(day), "" if p is None else pid[p]]
              for n, (r, s, kind, sev, day, p) in enumerate(incs)])
        _csv(folder / "blacklist.csv", ["id", "lister", "listed", "date", "until", "reason", "source"],
             [[f"B{n + 1:04d}", lister, ids[x], d(day), "", reason, f"Notice {date.fromordinal(day).year}/{n + 1}"]
              for n, (lister, x, day, reason) in enumerate(sorted(self.listings, key=lambda r: (r[2], ids[r[1]])))])
        comms = sorted(set(self.contacts), key=lambda r: (r[2], ids[r[0]], ids[r[1]]))
        _csv(folder / "communications.csv", ["id", "a", "b", "date", "channel"],
             [[f"C{n + 1:06d}", ids[a], ids[b], d(day), ch] for n, (a, b, day, ch) in enumerate(comms)])
        return ids

    def tied_to(self, parties: set[int]) -> set[int]:
        """Every party with a partnership, referral, incident or contact shared with one of ``parties``."""
        tied: set[int] = set()
        for p in self.partnerships:
            if parties.intersection(p["members"]):
                tied.update(p["members"])
        pairs = [(r[0], r[1]) for r in self.referrals] + [(r[0], r[1]) for r in self.incidents]
        for a, b in pairs + [(r[0], r[1]) for r in self.contacts]:
            if a in parties:
                tied.add(b)
            if b in parties:
                tied.add(a)
        return tied - parties


def _csv(path: Path, header: list[str], rows: list[list[Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def _follow_up(net: _Network, p: int, cutoff: dict[int, int]) -> None:
    """Referrals after a completed partnership, an incident and a warning after a terminated one,
    contacts while it ran. ``cutoff``: listed party -> its listing date (no referral from or to a listed
    party after it: honest parties stop praising it, and the ring's own vouching is written apart)."""
    rng, part = net.rng, net.partnerships[p]
    members, start, end = part["members"], part["start"], part["end"]
    last = END if end is None else end
    for _ in range(int(rng.poisson(1.5 + (last - start) / 120))):
        a, b = rng.choice(len(members), 2, replace=False)
        net.contacts.append((members[a], members[b], int(rng.integers(start, last + 1)),
                             str(rng.choice(["meeting", "call", "email", "visit", "conference"]))))
    if part["status"] == "completed":
        for a in members:
            for b in members:
                if a != b and rng.random() < (0.45 if len(members) == 2 else 0.12):
                    day = min(END, int(last + rng.integers(7, 200)))
                    if day < min(cutoff.get(a, END + 1), cutoff.get(b, END + 1)):
                        net.referrals.append((a, b, round(float(rng.uniform(0.3, 1.0)), 2), day, "after completion"))
    elif part["status"] == "terminated":
        a, b = (int(x) for x in rng.choice(members, 2, replace=False))
        kind = str(rng.choice(["missed_commitment", "quality_failure", "communication_breakdown",
                               "financial_irregularity", "legal_conflict"]))
        net.incidents.append((a, b, kind, int(rng.integers(1, 5)), int(last - rng.integers(0, 60)), p))
        if rng.random() < 0.5:
            net.referrals.append((a, b, -round(float(rng.uniform(0.3, 0.9)), 2), min(END, int(last + rng.integers(7, 120))),
                                  "warning after termination"))


def _dates(rng: np.random.Generator, born: int, latest_end: int | None) -> tuple[int, int | None, str]:
    """A partnership's start, end and status, after ``born`` and ending by ``latest_end`` when given."""
    length = int(rng.integers(90, 4 * YEAR))
    start = int(rng.integers(born, END - 30))
    end = start + length
    if latest_end is not None and end > latest_end:
        end = latest_end
        start = max(born, end - length)
        if end - start < 60:
            raise ValueError("no room before the listing")
    if end >= END:
        return start, None, "active" if rng.random() < 0.93 else "suspended"
    return start, end, "terminated" if rng.random() < 0.12 else "completed"


def generate(folder: Path, seed: int, *, orgs: int = 1000, camouflage: int = 10, ring_size: int = 6,
             **params: Any) -> dict[str, str]:
    """Write the honest-hubs dataset to ``folder``; return the role of every organisation id."""
    if params:
        raise TypeError(f"unknown parameters: {sorted(params)}")
    rng = np.random.default_rng(seed)
    net = _Network(rng)
    n_hubs = max(4, orgs // 125)
    n_honest = orgs - n_hubs - ring_size
    activity: list[float] = []
    for _ in range(n_honest):
        net.party(str(rng.choice(SECTORS, p=SECTOR_P)), int(rng.integers(len(REGIONS))),
                  int(rng.integers(START, date(2022, 1, 1).toordinal())) if rng.random() < 0.3 else START)
        activity.append(1.0 + float(rng.pareto(1.5)))
    hubs = [net.party(str(rng.choice(["multilateral", "government", "private", "ngo"])),
                      int(rng.integers(len(REGIONS))), START) for _ in range(n_hubs)]
    weight = np.array(activity)
    # Listed parties: middling activity, listed 2019-2025 by outside authorities.
    n_listed = max(6, orgs // 50)
    middling = [i for i in range(n_honest) if 1.2 < activity[i] < 6 and net.orgs[i]["born"] < date(2018, 1, 1).toordinal()]
    listed = [int(x) for x in rng.choice(middling, n_listed, replace=False)]
    listing = {x: int(rng.integers(date(2019, 1, 1).toordinal(), date(2025, 6, 1).toordinal())) for x in listed}
    target = listed[0]  # the ring's listed party: listed early enough for deals around the listing to fit
    listing[target] = int(rng.integers(date(2020, 1, 1).toordinal(), date(2024, 6, 1).toordinal()))
    for x in listed:
        net.listings.append((str(rng.choice(AUTHORITIES)), x, listing[x], str(rng.choice(REASONS))))
        if rng.random() < 0.2:  # a second authority follows
            net.listings.append((str(rng.choice(AUTHORITIES)), x, min(END, int(listing[x] + rng.integers(30, 400))),
                                 str(rng.choice(REASONS))))

    def latest_end(members: list[int]) -> int | None:
        cut = [listing[m] - int(rng.integers(30, 2 * YEAR)) for m in members if m in listing]
        return min(cut) if cut else None

    def background(lead: int, members: list[int], kind: str) -> None:
        members = [lead, *[m for m in members if m != lead]]
        born = max(net.orgs[m]["born"] for m in members)
        try:
            start, end, status = _dates(rng, born, latest_end(members))
        except ValueError:
            members = [m for m in members if m not in listing]
            if len(members) < 2:
                return
            start, end, status = _dates(rng, born, None)
        net.partnership(kind, members, start, end, status)

    region = np.array([o["region"] for o in net.orgs[:n_honest]])
    prob = weight / weight.sum()
    for _ in range(int(orgs * 1.1)):
        lead = int(rng.choice(n_honest, p=prob))
        kind = str(rng.choice(["bilateral", "consortium", "supply", "grant", "research"], p=[0.55, 0.15, 0.12, 0.1, 0.08]))
        size = 2 if kind in ("bilateral", "supply", "grant") else int(rng.integers(3, 8))
        local = prob * np.where(region == region[lead], 4.0, 1.0)
        others = rng.choice(n_honest, size + 2, replace=False, p=local / local.sum())
        background(lead, [int(m) for m in others if m != lead][: size - 1], kind)
    # Hubs: dozens of partnerships each across regions, including several later-listed parties.
    flat = weight ** 0.5 / (weight ** 0.5).sum()
    for h in hubs:
        partners = [int(m) for m in rng.choice(n_honest, int(rng.integers(30, 70)), replace=False, p=flat)]
        partners += [int(m) for m in rng.choice(listed, int(rng.integers(3, 7)), replace=False)]
        for m in partners:
            kind = str(rng.choice(["grant", "supply", "consortium"], p=[0.5, 0.35, 0.15]))
            extra = [int(x) for x in rng.choice(n_honest, int(rng.integers(1, 4)), replace=False)] if kind == "consortium" else []
            background(h, [m, *extra], kind)
    # Incidents and warnings about listed parties from their former partners, before the listing.
    for x in listed:
        partners = sorted({m for p in net.partnerships if x in p["members"] for m in p["members"]} - {x})
        for m in partners:
            if rng.random() < 0.25:
                day = max(START, int(listing[x] - rng.integers(30, 2 * YEAR)))
                net.incidents.append((m, x, str(rng.choice(["financial_irregularity", "fraud", "quality_failure",
                                                             "missed_commitment"])), int(rng.integers(2, 6)), day, None))
                if rng.random() < 0.4:
                    net.referrals.append((m, x, -round(float(rng.uniform(0.4, 1.0)), 2), day + int(rng.integers(1, 60)),
                                          "warning"))
    # The ring of shells around one listed party.
    t = listing[target]
    shells = [net.party("private", net.orgs[target]["region"], int(t - rng.integers(YEAR, 3 * YEAR)))
              for _ in range(ring_size)]
    vouch_from = max(net.orgs[s]["born"] for s in shells)
    ring = [*shells, target]
    for a in ring:
        for b in ring:
            if a != b and rng.random() < (0.45 if target in (a, b) else 0.85):
                day = int(rng.integers(vouch_from, min(END, t + YEAR // 2)))
                if a == target:
                    day = min(day, t - 1)
                net.referrals.append((a, b, round(float(rng.uniform(0.6, 1.0)), 2), day, "strong partner"))
    deals = [[s] for s in shells]
    for _ in range(max(1, ring_size // 3)):
        deals.append([int(x) for x in rng.choice(shells, int(rng.integers(2, 4)), replace=False)])
    for members in deals:
        start = int(t + rng.integers(-270, 91))
        end = start + int(rng.integers(90, 450))
        net.partnership("supply", [target, *members], start, None if end >= END else end,
                            "active" if end >= END else "completed")
        for _ in range(int(rng.integers(2, 8))):
            net.contacts.append((target, int(rng.choice(members)), int(rng.integers(start, min(end, END) + 1)),
                                 str(rng.choice(["meeting", "call", "email"]))))
    plain = [i for i in range(n_honest) if i not in listing]
    for s in shells:
        for _ in range(camouflage):
            m = int(rng.choice(plain))
            c_start, c_end, c_status = _dates(rng, max(net.orgs[s]["born"], net.orgs[m]["born"]), None)
            net.partnership(str(rng.choice(["bilateral", "supply", "grant"])), [s, m], c_start, c_end, c_status)
    for p in range(len(net.partnerships)):
        _follow_up(net, p, listing)
    ids = net.write(Path(folder))
    attackers = set(shells)
    exposed = net.tied_to(set(listed))
    return {ids[i]: ("listed" if i in listing else "attacker" if i in attackers
                     else "honest_partner" if i in exposed else "honest") for i in range(len(net.orgs))}
