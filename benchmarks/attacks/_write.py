"""Small helpers the attack generators share: a row collector with dated events and one CSV writer.

Only bookkeeping lives here (ids, dates, ties, roles, writing the folder `trustgraph load` reads);
every generator draws its own background and its own attack from its own description.
"""

from __future__ import annotations

import csv
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["END", "ROLES", "Rows", "weighted_pick"]

#: The last day of every generated dataset (the analyses' reference date is the newest event).
START = pd.Timestamp("2014-01-01")
END = pd.Timestamp("2025-06-30")
#: The roles a generator returns, one per organisation.
ROLES = ("listed", "attacker", "front", "honest_partner", "honest")

_COLUMNS = {
    "organizations": ("id", "name", "sector", "country", "region"),
    "partnerships": ("id", "name", "kind", "start", "end", "status"),
    "partnership_members": ("partnership", "organization", "role"),
    "referrals": ("id", "source", "target", "strength", "date", "note"),
    "incidents": ("id", "reporter", "subject", "kind", "severity", "date", "partnership"),
    "blacklist": ("id", "lister", "listed", "date", "until", "reason", "source"),
    "communications": ("id", "a", "b", "date", "channel"),
}


def _iso(day: pd.Timestamp) -> str:
    return min(day, END).strftime("%Y-%m-%d")


class Rows:
    """Rows of a dataset under construction, with the ties between organisations kept for the roles."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.tables: dict[str, list[dict[str, str]]] = {name: [] for name in _COLUMNS}
        self.ties: dict[str, set[str]] = {}
        self._counters: dict[str, itertools.count[int]] = {}

    # -- ids and dates --------------------------------------------------------------------------
    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._counters.setdefault(prefix, itertools.count(1))):06d}"

    def day(self, lo: str | pd.Timestamp, hi: str | pd.Timestamp) -> pd.Timestamp:
        """A uniformly drawn day in [lo, hi), clipped to the dataset's span (START..END)."""
        a, b = max(pd.Timestamp(lo), START), min(pd.Timestamp(hi), END)
        if b <= a:
            return min(a, END)
        return a + pd.Timedelta(days=int(self.rng.integers(0, (b - a).days)))

    def _tie(self, a: str, b: str) -> None:
        if a != b:
            self.ties.setdefault(a, set()).add(b)
            self.ties.setdefault(b, set()).add(a)

    # -- rows -----------------------------------------------------------------------------------
    def org(self, name: str, region: str, sector: str, country: str = "") -> str:
        oid = self.next_id("O")
        self.tables["organizations"].append(
            {"id": oid, "name": f"{name} {oid}", "sector": sector, "country": country, "region": region})
        return oid

    def partnership(self, members: list[str], kind: str, start: pd.Timestamp, status: str,
                    end: pd.Timestamp | None = None) -> str:
        """A partnership; `end` is required for completed/terminated ones (drawn when not given)."""
        pid = self.next_id("PS")
        start = min(start, END - pd.Timedelta(days=1))
        if status == "active":
            end_text = ""
        else:
            if end is None:
                end = start + pd.Timedelta(days=int(self.rng.integers(180, 1100)))
            if end > END:
                status, end_text = ("active", "") if status == "completed" else (status, _iso(END))
            else:
                end_text = _iso(end)
        self.tables["partnerships"].append({"id": pid, "name": f"{kind.replace('_', ' ').title()} {pid}",
                                            "kind": kind, "start": _iso(start), "end": end_text,
                                            "status": status})
        for k, m in enumerate(members):
            self.tables["partnership_members"].append(
                {"partnership": pid, "organization": m, "role": "lead" if k == 0 else "member"})
        for a, b in itertools.combinations(members, 2):
            self._tie(a, b)
        return pid

    def referral(self, source: str, target: str, strength: float, date: pd.Timestamp, note: str = "") -> None:
        self.tables["referrals"].append({"id": self.next_id("R"), "source": source, "target": target,
                                         "strength": f"{max(-1.0, min(1.0, strength)):.2f}",
                                         "date": _iso(date), "note": note})
        self._tie(source, target)

    def incident(self, reporter: str, subject: str, date: pd.Timestamp, kind: str = "missed_commitment",
                 severity: int = 3, partnership: str = "") -> None:
        self.tables["incidents"].append({"id": self.next_id("I"), "reporter": reporter, "subject": subject,
                                         "kind": kind, "severity": str(severity), "date": _iso(date),
                                         "partnership": partnership})
        self._tie(reporter, subject)

    def contact(self, a: str, b: str, date: pd.Timestamp, channel: str | None = None) -> None:
        channel = channel or str(self.rng.choice(["meeting", "call", "email", "visit"]))
        self.tables["communications"].append({"id": self.next_id("C"), "a": a, "b": b, "date": _iso(date),
                                              "channel": channel})
        self._tie(a, b)

    def listing(self, lister: str, listed: str, date: pd.Timestamp, reason: str = "Fraudulent invoicing") -> None:
        """A listing in force at the end of the data (no `until`)."""
        self.tables["blacklist"].append({"id": self.next_id("B"), "lister": lister, "listed": listed,
                                         "date": _iso(date), "until": "", "reason": reason,
                                         "source": "Debarment notice"})

    # -- output ---------------------------------------------------------------------------------
    def roles(self, positives: dict[str, str]) -> dict[str, str]:
        """Every organisation's role: `positives` (id -> "attacker"/"front") as given, listed parties,
        honest parties tied to a listed one ("honest_partner"), everyone else "honest"."""
        listed = {r["listed"] for r in self.tables["blacklist"]}
        out: dict[str, str] = {}
        for row in self.tables["organizations"]:
            o = row["id"]
            if o in listed:
                out[o] = "listed"
            elif o in positives:
                out[o] = positives[o]
            elif self.ties.get(o, set()) & listed:
                out[o] = "honest_partner"
            else:
                out[o] = "honest"
        return out

    def write(self, folder: Path) -> None:
        """Write one CSV per non-empty table into `folder` (created)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        for name, rows in self.tables.items():
            if not rows:
                continue
            with open(folder / f"{name}.csv", "w", newline="", encoding="utf-8") as fh:
                writer = csv.DictWriter(fh, fieldnames=_COLUMNS[name])
                writer.writeheader()
                writer.writerows(rows)


def weighted_pick(rng: np.random.Generator, pool: Iterable[str], weight: dict[str, float], k: int,
                  exclude: set[str] | None = None) -> list[str]:
    """`k` distinct members of `pool` drawn in proportion to `weight` (fewer if the pool is smaller)."""
    items = [p for p in pool if not exclude or p not in exclude]
    if not items:
        return []
    w = np.array([weight[p] for p in items], dtype=float)
    k = min(k, len(items))
    idx = rng.choice(len(items), size=k, replace=False, p=w / w.sum())
    return [items[int(i)] for i in idx]


@dataclass
class Background:
    """The shared background of the design generators: an ordinary partnership network with
    ``listed`` parties listed by hubs, each with honest partners from years before its listing."""

    w: Rows
    rng: np.random.Generator
    region: dict[str, str]
    activity: dict[str, float]
    n_listed: int
    listed_at: dict[str, pd.Timestamp]
    honest: list[str]


def background(seed: int, orgs: int, listed: int | None, regions: tuple[str, ...],
               sectors: tuple[str, ...]) -> Background:
    """:class:`Background` for ``seed`` (the same draws, in the same order, as each design
    generator made before it shared this code)."""
    rng = np.random.default_rng(seed)
    w = Rows(rng)
    ids = [w.org("Partner", str(rng.choice(regions)), str(rng.choice(sectors))) for _ in range(orgs)]
    region = {r["id"]: r["region"] for r in w.tables["organizations"]}
    activity = dict(zip(ids, rng.pareto(1.3, size=orgs) + 1.0, strict=True))
    by_region = {r: [o for o in ids if region[o] == r] for r in regions}
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

    return Background(w, rng, region, activity, n_listed, listed_at, honest)
