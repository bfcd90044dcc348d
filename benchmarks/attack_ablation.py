"""Ablation of exposure's timing factor and endorsement view on the DESIGN attack generators.

For each design generator (``benchmarks/attacks/design_*.py``; the held-out generators are never
run here), its default setting, camouflage 0 and camouflage 20, and seeds 0..N-1: generate the
network, load it with ``trustgraph load`` into a fresh SQLite store, compile its snapshot at the
CLI's defaults (half-life 730 days, nobody pre-trusted) and compute the exposure with each part of
the method switched off in turn (docs/contagion.md, "Timing relative to the listing, and what the
party endorsed"):

* ``before``: no timing factor (τ = 1) and the activity view only (the method before issue 16);
* ``timing``: timing factor, activity view only;
* ``endorse``: endorsement view, no timing factor;
* ``both``: timing and endorsement view, every party alone (no vouching groups: the product before
  2026-12-02);
* ``groups``: the product's default — both, and vouching groups (docs/contagion.md, "Vouching groups");
* ``mutual only``: the default with groups of mutual endorsements alone, without the groups'
  protégés (the product until 2026-12-02 afternoon);
* ``window N``: the default (with groups) with the listing window set to N days (τ is a half at N days
  before the listing and nothing from 2N; 730: the evidence half-life, the scale used until 2026-12-01;
  every piece of evidence is still timed by its own date);
* ``halving``: the default with the timing factor of 2026-12-01 to 2026-12-03, ``τ = 0.5 ** (gap /
  W)`` — a half at half a year, a quarter at a year, 1/16 at two years, never 0 — instead of the
  linear fall to 0 at a year (:func:`halving_tau`);
* ``known mutual``, ``known all``: the default with the vouching groups *given* from the generator's
  roles instead of found — ceilings, not methods: ``known mutual`` joins positives (and only
  positives) linked by mutual endorsements (the groups a perfect detector of mutual vouching would
  find, no honest member), ``known all`` makes every unlisted positive one group (whether or not
  they endorse each other). They tell how much of a shortfall is the detection of groups and how
  much the evidence the groups are built from.

Printed: exposed-only AUC (positives vs honest partners of listed parties), mean (min) over seeds,
and the share of honest partners in the top 5 % of unlisted parties by exposure (mean).

Run from the repository root::

    .venv/bin/python benchmarks/attack_ablation.py [--seeds 3] [--orgs 1000]
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.attack_bench import CLI, POSITIVE, roc_auc  # noqa: E402
from benchmarks.attacks import load, registry  # noqa: E402
from trustgraph.analysis import contagion as C  # noqa: E402
from trustgraph.snapshot import open_snapshot  # noqa: E402
from trustgraph.store import StoreSettings, open_store  # noqa: E402

SETTINGS: list[dict[str, Any]] = [{}, {"camouflage": 0}, {"camouflage": 20}]


def known_groups(roles: dict[str, str], mutual: bool) -> Any:
    """A stand-in for ``contagion._vouching_groups`` that reads the generator's roles (see ``known``
    in the module docs): the unlisted positives as one group, or as the components of their mutual
    endorsements; everyone else alone. Groups are numbered by their first member, as the product's."""

    def groups(snap: Any, mask: np.ndarray, src: np.ndarray, dst: np.ndarray, net: np.ndarray) -> np.ndarray:
        pos = np.array([roles.get(str(v)) in POSITIVE for v in snap.ids]) & ~mask
        if mutual:
            keep = (net > 0) & (src != dst) & pos[src] & pos[dst]
            A = sp.csr_matrix((net[keep], (src[keep], dst[keep])), shape=(snap.n, snap.n))
            _, label = connected_components(A.minimum(A.T), directed=False)
        else:
            label = np.arange(snap.n)
            label[pos] = np.flatnonzero(pos).min() if pos.any() else 0
        _, first, inverse = np.unique(label, return_index=True, return_inverse=True)
        return np.argsort(np.argsort(first))[inverse]

    return groups


def exposure(store: Path, *, window: float | None, endorse: bool, groups: bool | str = False,
             roles: dict[str, str] | None = None, kernel: Any = None) -> tuple[list[str], np.ndarray]:
    """Exposure with the listing window (None: no timing factor) and timing ``kernel`` (None: the
    product's), the endorsement view and the vouching groups on, off, or given from ``roles``
    (``"known mutual"``, ``"known all"``)."""
    original, grouping, tau = C.LISTING_WINDOW_DAYS, C._vouching_groups, C._tau
    if window is None:  # no timing factor: τ = 1 on every piece of evidence
        C._tau = lambda when, day, since=None: np.ones(len(when))
    else:
        C.LISTING_WINDOW_DAYS = window
        if kernel is not None:
            C._tau = kernel
    if not groups:  # every party a group of its own: no group view
        C._vouching_groups = lambda snap, mask, *edges: np.arange(snap.n)
    elif groups == "mutual only":
        C._vouching_groups = functools.partial(grouping, proteges=False)
    elif isinstance(groups, str):  # a ceiling: the groups read from the generator's roles
        C._vouching_groups = known_groups(roles or {}, mutual=groups == "known mutual")
    try:
        snap = open_snapshot(open_store(StoreSettings(sqlite_path=str(store)), create=False), half_life_days=730.0,
                             cache=False)
        ties = C._build_ties(snap, None, C.DEFAULT_PRIOR)
        if not endorse:
            ties = dataclasses.replace(ties, endorse=None)
        return [str(v) for v in snap.ids], C._scores(ties, np.asarray(snap.listed, dtype=bool), C.DEFAULT_HOPS,
                                                      C.DEFAULT_DECAY)
    finally:
        C.LISTING_WINDOW_DAYS, C._vouching_groups, C._tau = original, grouping, tau


def halving_tau(when: np.ndarray, day: np.ndarray, since: np.ndarray | None = None) -> np.ndarray:
    """The timing factor until 2026-12-03 (``halving`` above): ``0.5 ** (gap / W)``, a partnership by the
    mean of that over its span (closed form), 1 where a date is unknown."""
    w_days = C.LISTING_WINDOW_DAYS
    tau = np.ones(len(when))
    dated = (when >= 0) & (day >= 0)
    gap = np.clip(when - day, 0, None).astype(float)
    tau[dated] = np.power(0.5, gap[dated] / w_days)
    if since is not None:
        span = dated & (since >= 0) & (since < day)
        w, s, e = when[span].astype(float), since[span].astype(float), day[span].astype(float)
        scale = w_days / np.log(2.0)
        before = np.where(s < w, scale * (np.power(0.5, (w - np.minimum(e, w)) / w_days)
                                          - np.power(0.5, (w - s) / w_days)), 0.0)
        tau[span] = (before + np.clip(e - np.maximum(s, w), 0, None)) / (e - s)
    return tau


VARIANTS: dict[str, dict[str, Any]] = {
    "before": {"window": None, "endorse": False},
    "timing": {"window": C.LISTING_WINDOW_DAYS, "endorse": False},
    "endorse": {"window": None, "endorse": True},
    "both": {"window": C.LISTING_WINDOW_DAYS, "endorse": True},
    "groups": {"window": C.LISTING_WINDOW_DAYS, "endorse": True, "groups": True},
    "mutual only": {"window": C.LISTING_WINDOW_DAYS, "endorse": True, "groups": "mutual only"},
    "halving": {"window": C.LISTING_WINDOW_DAYS, "endorse": True, "groups": True, "kernel": halving_tau},
    "window 90": {"window": 90.0, "endorse": True, "groups": True},
    "window 137": {"window": 137.0, "endorse": True, "groups": True},
    "window 274": {"window": 274.0, "endorse": True, "groups": True},
    "window 365": {"window": 365.0, "endorse": True, "groups": True},
    "known mutual": {"window": C.LISTING_WINDOW_DAYS, "endorse": True, "groups": "known mutual"},
    "known all": {"window": C.LISTING_WINDOW_DAYS, "endorse": True, "groups": "known all"},
}


def one(module: Any, seed: int, orgs: int, params: dict[str, Any]) -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="attack-ablation-") as tmp:
        folder, store = Path(tmp) / "data", Path(tmp) / "store.db"
        roles = module.generate(folder, seed, orgs=orgs, **params)
        subprocess.run([*CLI, "-q", "--store", str(store), "load", str(folder), "--format", "json"], check=True,
                       capture_output=True)
        out = {}
        for name, variant in VARIANTS.items():
            ids, score = exposure(store, **variant, roles=roles)
            s = dict(zip(ids, score.tolist(), strict=True))
            pos = [s[o] for o, r in roles.items() if r in POSITIVE]
            partners = [o for o, r in roles.items() if r == "honest_partner"]
            unlisted = sorted((o for o, r in roles.items() if r != "listed"), key=lambda o: (-s[o], o))
            top = set(unlisted[: max(1, int(round(0.05 * len(unlisted))))])
            out[name] = (roc_auc(pos, [s[o] for o in partners]), sum(o in top for o in partners) / max(len(partners), 1))
        return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--orgs", type=int, default=1000)
    args = ap.parse_args(argv)
    print(f"Exposure ablation on the design generators: {args.orgs} organisations, seeds 0..{args.seeds - 1}; "
          "exposed-only AUC mean (min), honest partners in the top 5 % (mean)")
    print(f"{'generator, setting':<34} " + " ".join(f"{v:>20}" for v in VARIANTS))
    for gen in registry():
        if gen.held_out:
            continue
        module = load(gen.name)
        for params in SETTINGS:
            runs = [one(module, seed, args.orgs, params) for seed in range(args.seeds)]
            label = f"{gen.name}, " + (", ".join(f"{k} {v}" for k, v in params.items()) or "defaults")
            cells = []
            for v in VARIANTS:
                auc = [r[v][0] for r in runs]
                top = [r[v][1] for r in runs]
                cells.append(f"{np.mean(auc):.3f} ({np.min(auc):.3f}) {np.mean(top):.2f}")
            print(f"{label:<34} " + " ".join(f"{c:>20}" for c in cells), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
