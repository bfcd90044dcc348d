"""Design generator (formerly held out): a sybil group with a long honest-looking history, reached through chains of fresh shells.

Written as the held-out ``heldout_sybil_history`` by a separate session from its description only. After
its held-out result had been reported (exposed-only AUC 0.463, then 0.589), the lead read its code on
2026-12-01 to find what the method missed, and from then on it is a DESIGN generator: its figures are
no longer held-out figures (docs/contagion.md, "Attack generators"). Fresh held-out generators took
its place.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

DESCRIPTION = """\
Adversary: a patient operator who creates a group of sybil parties (about one in a hundred
parties, at least six; NGOs, firms and social enterprises of one or two regions) in 2015-2016 and
spends years - until mid-2021 - building an honest-looking history: each sybil takes `camouflage`
partnerships (0, 10 or 20) with honest parties of its region, delivers them, and receives the
positive referrals honest partners give after a completed partnership (and gives some back). From
mid-2021 the sybils vouch densely for each other (most ordered pairs, strength 0.7-1.0, repeated
now and then) and run a few joint consortia. Two chains of `chain` (2 or 3) freshly created shells
lead from the sybil group to two listed parties: a sybil vouches for the first shell, each shell
for the next (often vouched back), the shells of a chain share supply deals, and the last shell
and the listed party vouch for each other and share a supply deal, from eighteen months before to
six months after the listing. A few attack ties (`attack_ties`) complete the picture: honest
parties with no history with the sybils, deceived, refer a sybil positively during the vouching
phase.

Honest world: parties in eight regions with heavy-tailed activity, bilateral partnerships and
consortia (mostly within a region), referrals after completed partnerships, incidents and warnings
after terminated ones, contacts during partnerships. About one party in fifty is listed by an
outside authority, the listings spread over 2019 to early 2025 and in force at the end of the data
(mid-2025); honest parties partnered them, referred them and reported incidents about them before
the listing, and stopped working with them once listed.

Positives ("attacker"): the sybils and the chain shells. Hard negatives ("honest_partner"): every
honest party with a tie (shared partnership, referral, incident or contact) to a listed party.
Nobody is pre-trusted."""

HELD_OUT = False
PARAMS: dict[str, list[Any]] = {"camouflage": [0, 10, 20], "chain": [2, 3], "attack_ties": [2, 8]}

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


def _honest_world(net: _Network, n_honest: int, n_listed: int) -> tuple[np.ndarray, dict[int, int]]:
    """Honest parties, their partnerships, and the listed parties with their listing dates."""
    rng = net.rng
    activity = 1.0 + rng.pareto(1.5, n_honest)
    for _ in range(n_honest):
        net.party(str(rng.choice(SECTORS, p=SECTOR_P)), int(rng.integers(len(REGIONS))),
                  int(rng.integers(START, date(2022, 1, 1).toordinal())) if rng.random() < 0.3 else START)
    middling = [i for i in range(n_honest) if 1.2 < activity[i] < 6 and net.orgs[i]["born"] == START]
    listed = [int(x) for x in rng.choice(middling, n_listed, replace=False)]
    listing = {x: int(rng.integers(date(2019, 1, 1).toordinal(), date(2025, 3, 1).toordinal())) for x in listed}
    for x in listed:
        net.listings.append((str(rng.choice(AUTHORITIES)), x, listing[x], str(rng.choice(REASONS))))
    prob = activity / activity.sum()
    region = np.array([o["region"] for o in net.orgs[:n_honest]])
    for _ in range(int(n_honest * 1.2)):
        lead = int(rng.choice(n_honest, p=prob))
        kind = str(rng.choice(["bilateral", "consortium", "supply", "grant", "research"], p=[0.55, 0.15, 0.12, 0.1, 0.08]))
        size = 2 if kind in ("bilateral", "supply", "grant") else int(rng.integers(3, 8))
        local = prob * np.where(region == region[lead], 4.0, 1.0)
        members = [lead, *[int(m) for m in rng.choice(n_honest, size + 2, replace=False, p=local / local.sum())
                           if m != lead][: size - 1]]
        cut = [listing[m] - int(rng.integers(30, 3 * YEAR)) for m in members if m in listing]
        born = max(net.orgs[m]["born"] for m in members)
        try:
            start, end, status = _dates(rng, born, min(cut) if cut else None)
        except ValueError:
            members = [m for m in members if m not in listing]
            if len(members) < 2:
                continue
            start, end, status = _dates(rng, born, None)
        net.partnership(kind, members, start, end, status)
    for x in listed:  # what former partners saw before the listing
        partners = sorted({m for p in net.partnerships if x in p["members"] for m in p["members"]} - {x})
        for m in partners:
            if rng.random() < 0.25:
                day = max(START, int(listing[x] - rng.integers(30, 2 * YEAR)))
                net.incidents.append((m, x, str(rng.choice(["financial_irregularity", "fraud", "quality_failure"])),
                                      int(rng.integers(2, 6)), day, None))
    return activity, listing


def generate(folder: Path, seed: int, *, orgs: int = 1000, camouflage: int = 10, chain: int = 2,
             attack_ties: int = 4, **params: Any) -> dict[str, str]:
    """Write the sybil-history dataset to ``folder``; return the role of every organisation id."""
    if params:
        raise TypeError(f"unknown parameters: {sorted(params)}")
    rng = np.random.default_rng(seed)
    net = _Network(rng)
    n_sybils = max(6, orgs // 100)
    n_honest = orgs - n_sybils - 2 * chain
    activity, listing = _honest_world(net, n_honest, max(6, orgs // 50))
    home = [int(r) for r in rng.choice(len(REGIONS), 2, replace=False)]
    sybils = [net.party(str(rng.choice(["ngo", "private", "social_enterprise"])), int(rng.choice(home)),
                        int(rng.integers(date(2015, 1, 1).toordinal(), date(2017, 1, 1).toordinal())))
              for _ in range(n_sybils)]
    history_end = date(2021, 6, 30).toordinal()
    vouching = date(2021, 7, 1).toordinal()
    honest = np.array([i for i in range(n_honest) if i not in listing and net.orgs[i]["born"] < vouching - 2 * YEAR])
    weight = activity[honest]
    region = np.array([net.orgs[i]["region"] for i in honest])
    for s in sybils:  # the long honest-looking history
        local = weight * np.where(region == net.orgs[s]["region"], 6.0, 1.0)
        for m in rng.choice(honest, camouflage, replace=False, p=local / local.sum()):
            m = int(m)
            start = int(rng.integers(max(net.orgs[s]["born"], net.orgs[m]["born"]) + 30, history_end - 120))
            end = min(history_end, start + int(rng.integers(120, 2 * YEAR)))
            net.partnership(str(rng.choice(["bilateral", "supply", "grant"])), [s, m], start, end, "completed")
            if rng.random() < 0.6:
                net.referrals.append((m, s, round(float(rng.uniform(0.5, 0.9)), 2), int(end + rng.integers(7, 200)),
                                      "delivered as agreed"))
            if rng.random() < 0.4:
                net.referrals.append((s, m, round(float(rng.uniform(0.5, 0.9)), 2), int(end + rng.integers(7, 200)),
                                      "good partner"))
    for a in sybils:  # the vouching phase
        for b in sybils:
            if a != b and rng.random() < 0.75:
                for _ in range(1 + int(rng.random() < 0.3)):
                    net.referrals.append((a, b, round(float(rng.uniform(0.7, 1.0)), 2),
                                          int(rng.integers(vouching, END)), "trusted partner"))
    for _ in range(max(1, n_sybils // 4)):
        start = int(rng.integers(vouching, END - 180))
        members = [int(x) for x in rng.choice(sybils, int(rng.integers(3, 6)), replace=False)]
        net.partnership("consortium", members, start, None, "active")
    late = [x for x in listing if listing[x] > date(2021, 6, 1).toordinal()]
    targets = [int(x) for x in rng.choice(late if len(late) >= 2 else sorted(listing), 2, replace=False)]
    shells: list[int] = []
    for x in targets:
        t = listing[x]
        lo, hi = max(vouching, t - 18 * 30), min(END - 30, t + 180)
        links = [int(rng.choice(sybils))]
        for _ in range(chain):
            links.append(net.party("private", net.orgs[x]["region"], int(rng.integers(lo - YEAR, lo))))
        shells += links[1:]
        links.append(x)
        for a, b in zip(links, links[1:]):
            day = int(rng.integers(lo, hi))
            net.referrals.append((a, b, round(float(rng.uniform(0.7, 1.0)), 2), day, "recommended"))
            if b == x or rng.random() < 0.6:
                back = int(rng.integers(lo, hi)) if a != x and b != x else min(t - 1, int(rng.integers(lo, hi)))
                net.referrals.append((b, a, round(float(rng.uniform(0.7, 1.0)), 2), back, "recommended"))
            if a not in sybils:
                start = int(rng.integers(lo, hi))
                net.partnership("supply", [a, b], start, None if start + 300 >= END else start + 300,
                                "active" if start + 300 >= END else "completed")
                net.contacts.append((a, b, start, "meeting"))
    deceived = [int(m) for m in rng.choice(honest, attack_ties, replace=False)]
    for m in deceived:  # attack ties: honest parties taken in by the sybils' record
        net.referrals.append((m, int(rng.choice(sybils)), round(float(rng.uniform(0.5, 0.9)), 2),
                              int(rng.integers(vouching, END)), "recommended to us"))
    for p in range(len(net.partnerships)):
        _follow_up(net, p, listing)
    ids = net.write(Path(folder))
    positives = set(sybils) | set(shells)
    partners = net.tied_to(set(listing))
    return {ids[i]: ("listed" if i in listing else "attacker" if i in positives
                     else "honest_partner" if i in partners else "honest") for i in range(len(net.orgs))}
