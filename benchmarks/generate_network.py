"""Generate a large synthetic partnership network as a trustgraph dataset folder (benchmark only).

The sample (``data/generate_sample.py``) has 96 parties; this script writes networks of any size —
by default the issue's one million parties and ten million referrals — for the scale benchmark
(``benchmarks/scale_bench.py``). It is seeded (the same arguments give the same files) and streams
rows to disk in chunks, so its own memory stays at a few hundred bytes per party plus one chunk of
referrals, whatever the number of referrals.

The model
---------
* **Communities.** ``max(8, parties // 2000)`` communities with heavy-tailed sizes (weights
  ``1 + Pareto(1.2)``); community *c* lies in region ``c mod 8`` (the sample's eight regions, each
  with its countries and default trust culture).
* **Activity.** Every party draws an activity ``1 + Pareto(1.5)`` (a power law: a few hubs, most
  parties with a handful of ties) and an out- and an in-propensity, activity times a log-normal
  (σ = 0.5) factor each. Older parties are the more active ones: a party's join date falls between
  2016-01-01 and 2025-06-30 (the dataset's "today", as in the sample) by its activity rank plus
  noise, denser in later years (the network grows).
* **Referrals** follow the Chung–Lu expected-degree model, which gives preferential attachment's
  heavy-tailed degrees without its sequential loop: a referral's source is drawn with probability
  proportional to out-propensity; its target, 80 % of the time within the source's community, else
  anywhere, proportional to in-propensity (no self-referrals; repeated referrals between a pair are
  kept, as repeated evidence). A referral is dated after both parties joined, skewed towards
  recent years.
* **Signs.** 1 % of parties are *bad actors* (middling activity); 0.2 % of parties (a fifth of the
  bad actors) are on the blacklist. A referral is a warning (strength in [-1, -0.2]) with
  probability 0.06, or 0.6 when its target is a bad actor; otherwise its strength is
  ``0.1 + 0.9·Beta(5, 2)``, rounded to two decimals.
* **Facts.** The most active 0.05 % of honest parties (at least three) are ``pretrusted``. Each
  listing is made by a random pretrusted party between the listed party's join date and today; 15 %
  of listings have already expired (``until`` in the past).
* **Partnerships** (``parties // 10`` by default): 75 % bilateral, the rest consortia of 3–6
  members, drawn like referral targets (within the lead's community) and dated 2016–2025; status
  completed 55 %, active 27 %, terminated 12 %, suspended 6 %. **Incidents** (``parties // 50``):
  the subject is a bad actor half the time, the reporter a party of its community.

Nothing else (people, ties, communications) is written: the benchmark is about the referral graph.
Besides the CSV files the folder gets ``network.json``: the arguments, the row counts and a few
parties the benchmark can ask about (a pre-trusted hub, well-connected targets, a party with a tie
to a listed one).

Usage, from the repository root::

    .venv/bin/python benchmarks/generate_network.py OUT_DIR                       # 1 M parties, 10 M referrals
    .venv/bin/python benchmarks/generate_network.py OUT_DIR --parties 10000 --referrals 100000
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from trustgraph.model import INCIDENT_KINDS, PARTNERSHIP_STATUS, RISK_APPETITE, SECTORS, TABLES  # noqa: E402

SEED = 20250630
START = np.datetime64("2016-01-01")
TODAY = np.datetime64("2025-06-30")  # nothing is dated after it, as in the sample
SPAN = int((TODAY - START).astype(int))
CHUNK = 1_000_000

# region -> (default culture, countries): the sample's eight regions.
REGIONS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("Western Europe", "verify-later", ("NL", "DE", "FR", "GB", "SE", "BE", "DK", "CH")),
    ("North America", "verify-later", ("US", "CA")),
    ("East Asia", "reputation-first", ("JP", "KR", "CN", "TW")),
    ("South Asia", "vouched", ("IN", "BD", "PK", "LK", "NP")),
    ("Middle East", "vouched", ("JO", "LB", "AE", "EG")),
    ("West Africa", "vouched", ("NG", "GH", "SN", "CI")),
    ("Latin America", "relationship-first", ("BR", "MX", "CO", "PE", "CL")),
    ("East Africa", "relationship-first", ("KE", "UG", "TZ", "ET", "RW")),
)
FIRST = ("Amber", "Harbor", "Summit", "Meridian", "Cedar", "Lakeshore", "Northfield", "Silver", "Open", "Bright",
         "Riverbend", "Highland", "Coastal", "Union", "Evergreen", "Granite", "Horizon", "Keystone", "Oak", "Unity")
SECOND = ("Water", "Health", "Education", "Energy", "Finance", "Food", "Rights", "Housing", "Climate", "Data",
          "Logistics", "Research", "Media", "Care", "Trade", "Forest", "Transport", "Youth", "Ocean", "Science")
SUFFIX = {"ngo": "Alliance", "government": "Agency", "private": "Ltd", "academic": "Institute",
          "multilateral": "Facility", "foundation": "Foundation", "social_enterprise": "Cooperative",
          "media": "Media"}
SECTOR_SHARE = (0.30, 0.08, 0.30, 0.10, 0.02, 0.08, 0.08, 0.04)
LISTING_REASONS = ("Diversion of grant funds", "Falsified reports", "Sanctions exposure", "Bid rigging",
                   "Undisclosed conflict of interest", "Misuse of donor funds")
PARTNERSHIP_SHARE = (0.27, 0.55, 0.06, 0.12)  # in PARTNERSHIP_STATUS order: active, completed, suspended, terminated


def _days_to_iso(days: np.ndarray) -> np.ndarray:
    return (START + days.astype("timedelta64[D]")).astype(str)


class _Network:
    """The per-party arrays every table is drawn from (a few hundred bytes per party)."""

    def __init__(self, parties: int, rng: np.random.Generator) -> None:
        n = parties
        self.n = n
        self.width = len(str(n))
        self.ids = np.array([f"ORG{i:0{self.width}d}" for i in range(1, n + 1)], dtype=object)
        communities = max(8, n // 2000)
        sizes = 1.0 + rng.pareto(1.2, communities)
        self.community = rng.choice(communities, size=n, p=sizes / sizes.sum())
        activity = 1.0 + rng.pareto(1.5, n)
        self.out_w = activity * rng.lognormal(0.0, 0.5, n)
        self.in_w = activity * rng.lognormal(0.0, 0.5, n)
        rank = np.empty(n)
        rank[np.argsort(-activity, kind="stable")] = np.arange(n) / max(n - 1, 1)
        # Growth: join dates denser later; the more active a party, the earlier it joined.
        frac = np.clip(0.7 * rank + 0.3 * rng.random(n), 0.0, 1.0)
        self.join = (np.sqrt(frac) * SPAN * 0.9).astype(np.int64)
        self.out_cum = np.cumsum(self.out_w)
        # Parties sorted by community, with the cumulative in-propensity and each community's range.
        self.perm = np.argsort(self.community, kind="stable")
        self.in_cum = np.cumsum(self.in_w[self.perm])
        counts = np.bincount(self.community, minlength=communities)
        ends = np.cumsum(counts)
        starts = ends - counts
        self.lo = np.where(starts > 0, self.in_cum[np.maximum(starts - 1, 0)], 0.0)
        self.hi = self.in_cum[np.maximum(ends - 1, 0)]
        # Bad actors: middling activity (between the 30th and 90th percentile of rank).
        middling = np.flatnonzero((rank > 0.3) & (rank < 0.9))
        n_bad = max(5, n // 100)
        self.bad = np.zeros(n, dtype=bool)
        self.bad[rng.choice(middling, size=min(n_bad, len(middling)), replace=False)] = True
        bad_ids = np.flatnonzero(self.bad)
        self.listed = np.sort(rng.choice(bad_ids, size=max(2, len(bad_ids) // 5), replace=False))
        honest = np.argsort(-activity, kind="stable")
        honest = honest[~self.bad[honest]]
        self.pretrusted = np.sort(honest[: max(3, n // 2000)])
        self.activity = activity

    def sources(self, rng: np.random.Generator, size: int) -> np.ndarray:
        x = rng.random(size) * self.out_cum[-1]
        return np.minimum(np.searchsorted(self.out_cum, x, side="right"), self.n - 1)

    def targets(self, rng: np.random.Generator, src: np.ndarray, within: float = 0.8) -> np.ndarray:
        """Targets for ``src``: within the source's community with probability ``within``, in proportion
        to in-propensity; never the source itself."""
        size = len(src)
        c = self.community[src]
        local = rng.random(size) < within
        lo = np.where(local, self.lo[c], 0.0)
        hi = np.where(local, self.hi[c], self.in_cum[-1])
        x = lo + rng.random(size) * (hi - lo)
        tgt = self.perm[np.minimum(np.searchsorted(self.in_cum, x, side="right"), self.n - 1)]
        loops = np.flatnonzero(tgt == src)
        while len(loops):  # redraw anywhere (a one-party community has no other target)
            x = rng.random(len(loops)) * self.in_cum[-1]
            tgt[loops] = self.perm[np.minimum(np.searchsorted(self.in_cum, x, side="right"), self.n - 1)]
            loops = loops[tgt[loops] == src[loops]]
        return tgt

    def dates_after(self, rng: np.random.Generator, *parties: np.ndarray) -> np.ndarray:
        """Days since START after every given party joined, skewed towards recent years."""
        first = np.maximum.reduce([self.join[p] for p in parties]) if len(parties) > 1 else self.join[parties[0]]
        return first + ((SPAN - first) * rng.random(len(first)) ** 0.7).astype(np.int64)


def _write(frame: pd.DataFrame, path: Path, first: bool) -> None:
    frame.to_csv(path, mode="w" if first else "a", header=first, index=False)


def _organizations(net: _Network, rng: np.random.Generator, out: Path) -> None:
    n = net.n
    sector = np.array(SECTORS)[rng.choice(len(SECTORS), size=n, p=SECTOR_SHARE)]
    region_of = net.community % len(REGIONS)
    regions = np.array([r[0] for r in REGIONS], dtype=object)[region_of]
    cultures = np.array([r[1] for r in REGIONS], dtype=object)[region_of]
    other = rng.random(n) < 0.1  # a few exceptions to the region's culture, as in the sample
    cultures[other] = np.array([r[1] for r in REGIONS], dtype=object)[rng.integers(0, len(REGIONS), other.sum())]
    country = np.array([REGIONS[r][2][k % len(REGIONS[r][2])] for r, k in
                        zip(region_of.tolist(), rng.integers(0, 40, n).tolist())], dtype=object)
    idx = np.arange(n)
    names = [f"{FIRST[i % 20]} {SECOND[(i // 20) % 20]} {SUFFIX[s]} {i // 400 + 1}" for i, s in zip(idx.tolist(), sector.tolist())]
    pretrusted = np.zeros(n, dtype=bool)
    pretrusted[net.pretrusted] = True
    frame = pd.DataFrame({
        "id": net.ids, "name": names, "sector": sector, "country": country, "region": regions,
        "culture": cultures, "risk_appetite": np.array(RISK_APPETITE)[rng.choice(3, size=n, p=(0.3, 0.5, 0.2))],
        "pretrusted": np.where(pretrusted, "true", "false"), "tags": "",
    })
    _write(frame[TABLES["organizations"].column_names], out / "organizations.csv", True)


def _referrals(net: _Network, rng: np.random.Generator, out: Path, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Write ``count`` referrals in chunks; returns in- and out-degrees (for picking parties)."""
    indeg = np.zeros(net.n, dtype=np.int64)
    outdeg = np.zeros(net.n, dtype=np.int64)
    width = len(str(count))
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        src = net.sources(rng, size)
        tgt = net.targets(rng, src)
        warn = rng.random(size) < np.where(net.bad[tgt], 0.6, 0.06)
        strength = np.where(warn, -(0.2 + 0.8 * rng.beta(2, 2, size)), 0.1 + 0.9 * rng.beta(5, 2, size))
        days = net.dates_after(rng, src, tgt)
        frame = pd.DataFrame({
            "id": pd.Series(np.arange(done + 1, done + size + 1)).astype(str).str.zfill(width).radd("R").to_numpy(),
            "source": net.ids[src], "target": net.ids[tgt],
            "strength": np.round(strength, 2), "date": _days_to_iso(days), "recipient": "", "note": "",
        })
        _write(frame, out / "referrals.csv", done == 0)
        np.add.at(indeg, tgt, 1)
        np.add.at(outdeg, src, 1)
        done += size
        print(f"  referrals: {done:,} / {count:,}", file=sys.stderr, flush=True)
    return indeg, outdeg


def _blacklist(net: _Network, rng: np.random.Generator, out: Path) -> None:
    k = len(net.listed)
    days = net.dates_after(rng, net.listed)
    until = days + rng.integers(180, 900, k)
    expired = (rng.random(k) < 0.15) & (until < SPAN)
    frame = pd.DataFrame({
        "id": [f"B{i:06d}" for i in range(1, k + 1)],
        "lister": net.ids[rng.choice(net.pretrusted, size=k)],
        "listed": net.ids[net.listed], "date": _days_to_iso(days),
        "until": np.where(expired, _days_to_iso(np.minimum(until, SPAN)), ""),
        "reason": np.array(LISTING_REASONS)[rng.integers(0, len(LISTING_REASONS), k)],
        "source": "Debarment notice",
    })
    _write(frame, out / "blacklist.csv", True)


def _partnerships(net: _Network, rng: np.random.Generator, out: Path, count: int) -> int:
    """Write ``count`` partnerships and their members; returns the number of member rows."""
    members_written = 0
    done = 0
    while done < count:
        size = min(CHUNK, count - done)
        pid = np.array([f"PS{i:07d}" for i in range(done + 1, done + size + 1)], dtype=object)
        bilateral = rng.random(size) < 0.75
        n_members = np.where(bilateral, 2, rng.integers(3, 7, size))
        lead = net.sources(rng, size)
        start = net.dates_after(rng, lead)
        length = rng.integers(180, 2200, size)
        status = np.array(PARTNERSHIP_STATUS)[rng.choice(4, size=size, p=PARTNERSHIP_SHARE)]
        ended = (status != "active") & (start + length < SPAN)
        partnerships = pd.DataFrame({
            "id": pid, "name": [f"Partnership {i}" for i in range(done + 1, done + size + 1)],
            "kind": np.where(bilateral, "bilateral", "consortium"), "start": _days_to_iso(start),
            "end": np.where(ended, _days_to_iso(np.minimum(start + length, SPAN)), ""),
            "status": np.where((status != "active") & ~ended, "active", status),
        })
        _write(partnerships, out / "partnerships.csv", done == 0)
        owner = np.repeat(np.arange(size), n_members - 1)
        others = net.targets(rng, lead[owner])
        members = pd.DataFrame({
            "partnership": np.concatenate([pid, pid[owner]]),
            "organization": np.concatenate([net.ids[lead], net.ids[others]]),
            "role": np.concatenate([np.full(size, "lead", dtype=object), np.full(len(owner), "member", dtype=object)]),
        }).drop_duplicates(["partnership", "organization"])
        _write(members, out / "partnership_members.csv", done == 0)
        members_written += len(members)
        done += size
    return members_written


def _incidents(net: _Network, rng: np.random.Generator, out: Path, count: int) -> None:
    bad = np.flatnonzero(net.bad)
    subject = np.where(rng.random(count) < 0.5, rng.choice(bad, size=count), net.sources(rng, count))
    reporter = net.targets(rng, subject)
    frame = pd.DataFrame({
        "id": [f"I{i:07d}" for i in range(1, count + 1)],
        "reporter": net.ids[reporter], "subject": net.ids[subject],
        "kind": np.array(INCIDENT_KINDS)[rng.integers(0, len(INCIDENT_KINDS), count)],
        "severity": rng.integers(1, 6, count), "date": _days_to_iso(net.dates_after(rng, reporter, subject)),
        "partnership": "", "description": "",
    })
    _write(frame, out / "incidents.csv", True)


def generate(out: Path, parties: int = 1_000_000, referrals: int = 10_000_000, *, partnerships: int | None = None,
             incidents: int | None = None, seed: int = SEED) -> dict[str, Any]:
    """Write the network into the folder ``out`` and return what ``network.json`` records.

    Parameters
    ----------
    out : Path
        Folder to write (created; existing CSV files in it are overwritten).
    parties, referrals : int
        Number of organisations and of referrals.
    partnerships, incidents : int, optional
        Number of partnerships and of incidents [default: ``parties // 10`` and ``parties // 50``].
    seed : int
        Seed of every random draw.

    Returns
    -------
    dict
        The arguments, rows per table, seconds taken and parties worth asking about (``hub``: the most
        referred pre-trusted party; ``targets``: well-referred honest parties outside the hub's
        community; ``exposed``: a well-connected party with a referral to or from a listed party).

    Raises
    ------
    ValueError
        When there are fewer than 10 parties or no referrals.
    """
    if parties < 10 or referrals < 1:
        raise ValueError("need at least 10 parties and 1 referral")
    partnerships = parties // 10 if partnerships is None else partnerships
    incidents = parties // 50 if incidents is None else incidents
    t0 = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    net = _Network(parties, rng)
    _organizations(net, rng, out)
    indeg, outdeg = _referrals(net, rng, out, referrals)
    _blacklist(net, rng, out)
    members = _partnerships(net, rng, out, partnerships) if partnerships else 0
    if incidents:
        _incidents(net, rng, out, incidents)
    hub = int(net.pretrusted[np.argmax(outdeg[net.pretrusted])])
    honest = ~net.bad & (net.community != net.community[hub])
    honest[net.pretrusted] = False
    ranked = np.argsort(-(indeg * honest), kind="stable")
    targets = [str(net.ids[i]) for i in ranked[:5]]
    # The best-connected party that referred a listed party (among the first two million referrals).
    exposed = None
    listed_ids = set(net.ids[net.listed].tolist())
    refs = pd.read_csv(out / "referrals.csv", usecols=["source", "target"], nrows=min(referrals, 2_000_000))
    hits = refs[refs["target"].isin(listed_ids) & ~refs["source"].isin(listed_ids)]["source"].unique()
    if len(hits):
        cand = np.array([int(s[3:]) - 1 for s in hits])
        exposed = str(net.ids[cand[np.argmax(outdeg[cand] + indeg[cand])]])
    info = {
        "seed": seed, "parties": parties, "referrals": referrals, "partnerships": partnerships,
        "incidents": incidents,
        "rows": {"organizations": parties, "referrals": referrals, "blacklist": len(net.listed),
                 "partnerships": partnerships, "partnership_members": members, "incidents": incidents},
        "pretrusted": int(len(net.pretrusted)), "max_in_degree": int(indeg.max()), "max_out_degree": int(outdeg.max()),
        "hub": str(net.ids[hub]), "targets": targets, "exposed": exposed or str(net.ids[hub]),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    (out / "network.json").write_text(json.dumps(info, indent=2) + "\n")
    return info


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="dataset folder to write")
    parser.add_argument("--parties", type=int, default=1_000_000)
    parser.add_argument("--referrals", type=int, default=10_000_000)
    parser.add_argument("--partnerships", type=int, default=None, help="[default: parties // 10]")
    parser.add_argument("--incidents", type=int, default=None, help="[default: parties // 50]")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    info = generate(args.out, args.parties, args.referrals, partnerships=args.partnerships,
                    incidents=args.incidents, seed=args.seed)
    print(json.dumps(info, indent=2))


if __name__ == "__main__":
    main()
