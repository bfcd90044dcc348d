"""Attack benchmark: contagion, risk and reputation on attack networks the method was not designed on.

Every generator in ``benchmarks/attacks/`` (see its ``__init__`` and docs/threat-model.md) writes a
dataset folder and the role of every organisation. For each generator, each parameter setting (its
defaults, then each value of ``PARAMS`` varied one at a time) and each seed, this script loads the
folder into a fresh SQLite store with ``trustgraph load`` and scores it through the CLI at the
product's DEFAULT settings (``trustgraph contagion --format json``, ``trustgraph reputation --format
json``; nobody is marked pre-trusted). It reports, mean and minimum over the seeds:

* ``exposed-only AUC``: positives (attackers and fronts) against honest partners of listed parties
  (honest, unlisted, with any tie to a listed party), for ``exposure``, ``risk``, ``reputation`` (low
  = suspect) and the naive baseline;
* ``all-unlisted AUC``: positives against every unlisted non-positive, for the same four scores;
* ``top-5 %``: the share of honest partners ranked among the top 5 % of unlisted parties by risk
  (equal risks ordered by id), and beside it the share of that top-5 % list that are honest partners;
* the same top-5 % share split by how recently each honest partner dealt with a listed party, read
  from the dataset alone (``dealing_gaps``): ``recent`` — its newest positive dealing of its own with
  a listed party (a partnership it was a member of that was not terminated, dated at its end or, if
  active, at the listing; a positive referral it gave; a contact; shared people — a job change
  between the two, dated at the move, or a personal tie between their staff, standing) is less than
  a year before that party's first listing, or after it; ``adversary`` — not recent, but it dealt in
  the same ways with a positive (an attacker or front: the adversary's attack ties and camouflage
  partnerships), and is exposed through that party rather than through the listed one; ``former`` —
  the rest: every dealing of its own with a listed party ended a year or more before the listing, or
  it has none (its ties are incidents, terminated partnerships or referrals it received). The threat model
  (docs/threat-model.md) says the last kind is no accomplice: "an honest party that partnered a
  listed party years before the listing is not its accomplice"; dealings in the year before a
  listing are the ambiguous kind it asks to weigh by timing. The last two columns draw the line at
  half a year and at two years instead (``OTHER_LINES``), to show how much the former share owes to
  where the line is drawn;
* naive baseline: the number of tie rows (shared partnerships, referrals either way, incidents either
  way, contacts) with a listed party.

Held-out generators (``HELD_OUT = True``) are marked ``[held out]``. Run from the repository root::

    .venv/bin/python benchmarks/attack_bench.py [--orgs 1000] [--seeds 5] [--only NAME,...]
        [--design-only] [--defaults-only] [--setting KEY=VALUE ...] [--json FILE]
"""

from __future__ import annotations

import argparse
import csv
import inspect
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.attacks import load, registry  # noqa: E402

POSITIVE = ("attacker", "front")
SCORES = ("exposure", "risk", "reputation", "naive")
CLI = [str(Path(sys.executable).with_name("trustgraph"))]


def roc_auc(pos: list[float], neg: list[float]) -> float:
    """Mann–Whitney ROC-AUC (higher score = positive), ties counted half; nan without both classes."""
    if not pos or not neg:
        return float("nan")
    s = np.r_[pos, neg]
    order = np.argsort(s, kind="mergesort")
    srt = s[order]
    starts = np.flatnonzero(np.r_[True, srt[1:] != srt[:-1]])
    ends = np.r_[starts[1:], len(s)]
    ranks = np.empty(len(s))
    ranks[order] = np.repeat((starts + ends + 1) / 2.0, ends - starts)
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def _rows(folder: Path, name: str) -> list[dict[str, str]]:
    """The rows of table ``name`` in a dataset folder (none when it has no such file)."""
    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def naive_ties(folder: Path, listed: set[str]) -> Counter[str]:
    """Tie rows each party has with a listed party (the naive baseline)."""
    count: Counter[str] = Counter()

    def tie(a: str, b: str) -> None:
        if b in listed and a != b:
            count[a] += 1
        if a in listed and a != b:
            count[b] += 1

    members: dict[str, list[str]] = {}
    for r in _rows(folder, "partnership_members"):
        members.setdefault(r["partnership"], []).append(r["organization"])
    for ms in members.values():
        for i, a in enumerate(ms):
            for b in ms[i + 1:]:
                tie(a, b)
    for r in _rows(folder, "referrals"):
        tie(r["source"], r["target"])
    for r in _rows(folder, "incidents"):
        tie(r["reporter"], r["subject"])
    for r in _rows(folder, "communications"):
        tie(r["a"], r["b"])
    return count


YEAR_DAYS = 365
OTHER_LINES = (182, 730)  # the former/recent line also drawn at half a year and two years (JSON, last columns)


def dealing_gaps(folder: Path, listed: set[str], dated: bool = True) -> dict[str, int]:
    """Per party, the fewest days from its newest positive dealing of its own with a party of
    ``listed`` to that party's first listing (0 when the dealing ran to the listing or later; see the
    module doc); with ``dated=False`` any dealing with a party of ``listed`` counts, gap 0.

    Parties with no such dealing are absent. Dates only, from the dataset's CSV files.
    """
    first: dict[str, int] = {} if dated else {o: 0 for o in listed}
    for r in _rows(folder, "blacklist") if dated else []:
        if r["listed"] in listed:
            d = date.fromisoformat(r["date"]).toordinal()
            first[r["listed"]] = min(first.get(r["listed"], d), d)
    gap: dict[str, int] = {}

    def dealt(party: str, target: str, day: int | None) -> None:
        if party == target or target not in first or party in listed:
            return
        g = 0 if day is None else max(first[target] - day, 0)
        gap[party] = min(gap.get(party, g), g)

    for r in _rows(folder, "referrals"):
        if float(r["strength"]) > 0:
            dealt(r["source"], r["target"], date.fromisoformat(r["date"]).toordinal())
    for r in _rows(folder, "communications"):
        d = date.fromisoformat(r["date"]).toordinal()
        dealt(r["a"], r["b"], d)
        dealt(r["b"], r["a"], d)
    # Shared people: a job change between the two (dated by the later position's start) or a
    # personal tie between their staff (standing: as if at the listing).
    people = {r["id"]: r for r in _rows(folder, "people")}
    for r in people.values():
        before = people.get(r.get("previous") or "")
        if before is not None:
            day = date.fromisoformat(r["from"]).toordinal() if r.get("from") else None
            dealt(r["organization"], before["organization"], day)
            dealt(before["organization"], r["organization"], day)
    for r in _rows(folder, "personal_ties"):
        if r["a"] in people and r["b"] in people:
            a, b = people[r["a"]]["organization"], people[r["b"]]["organization"]
            dealt(a, b, None)
            dealt(b, a, None)
    spans = {r["id"]: r for r in _rows(folder, "partnerships")}
    members: dict[str, list[str]] = {}
    for r in _rows(folder, "partnership_members"):
        members.setdefault(r["partnership"], []).append(r["organization"])
    for pid, ms in members.items():
        p = spans.get(pid)
        if p is None or p.get("status") == "terminated":
            continue
        end = date.fromisoformat(p["end"]).toordinal() if p.get("end") else None
        for a in ms:
            for b in ms:
                dealt(a, b, end)
    return gap


def _cli(store: Path, *args: str) -> dict[str, Any]:
    out = subprocess.run([*CLI, "-q", "--store", str(store), *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout) if out.stdout.strip() else {}


def score_once(module: Any, seed: int, orgs: int, params: dict[str, Any]) -> dict[str, Any]:
    """Generate, load and score one network; the metrics of one seed."""
    with tempfile.TemporaryDirectory(prefix="attack-bench-") as tmp:
        folder, store = Path(tmp) / "data", Path(tmp) / "store.db"
        roles = module.generate(folder, seed, orgs=orgs, **params)
        _cli(store, "load", str(folder), "--format", "json")
        cont = _cli(store, "contagion", "--format", "json")
        rep = _cli(store, "reputation", "--format", "json")
        listed = {o for o, r in roles.items() if r == "listed"}
        naive = naive_ties(folder, listed)
        gaps = dealing_gaps(folder, listed)
        adversary = set(dealing_gaps(folder, {o for o, r in roles.items() if r in POSITIVE}, dated=False))
    exposure = {r["id"]: float(r["exposure"]) for r in cont["rows"]}
    risk = {r["id"]: float(r["risk"]) for r in cont["rows"]}
    suspicion = {r["id"]: 1.0 - float(r["reputation"]) for r in rep["rows"]}
    score = {"exposure": exposure, "risk": risk, "reputation": suspicion,
             "naive": {o: float(naive.get(o, 0)) for o in roles}}
    pos = [o for o, r in roles.items() if r in POSITIVE]
    partners = [o for o, r in roles.items() if r == "honest_partner"]
    others = [o for o, r in roles.items() if r in ("honest_partner", "honest")]
    out: dict[str, Any] = {"seed": seed, "positives": len(pos), "honest_partners": len(partners),
                           "view": rep.get("parameters", {}).get("view", rep.get("view"))}
    for name, s in score.items():
        out[f"exposed_{name}"] = roc_auc([s[o] for o in pos], [s[o] for o in partners])
        out[f"all_{name}"] = roc_auc([s[o] for o in pos], [s[o] for o in others])
    unlisted = sorted((o for o, r in roles.items() if r != "listed"), key=lambda o: (-risk[o], o))
    top = set(unlisted[: max(1, int(round(0.05 * len(unlisted))))])
    out["top5_partners"] = sum(o in top for o in partners) / max(len(partners), 1)
    out["top5_list_partners"] = sum(o in top for o in partners) / max(len(top), 1)
    recent = [o for o in partners if gaps.get(o, YEAR_DAYS) < YEAR_DAYS]
    dealt = [o for o in partners if gaps.get(o, YEAR_DAYS) >= YEAR_DAYS and o in adversary]
    former = [o for o in partners if gaps.get(o, YEAR_DAYS) >= YEAR_DAYS and o not in adversary]
    for name, group in (("recent", recent), ("adversary", dealt), ("former", former)):
        out[f"{name}_partners"] = len(group)
        out[f"top5_{name}_partners"] = sum(o in top for o in group) / len(group) if group else float("nan")
    # The same "former" share with the line drawn at half a year and at two years (not a knife-edge?)
    for days in OTHER_LINES:
        group = [o for o in partners if gaps.get(o, days) >= days and o not in adversary]
        out[f"top5_former{days}_partners"] = sum(o in top for o in group) / len(group) if group else float("nan")
    return out


def settings(module: Any) -> list[dict[str, Any]]:
    """The defaults, then each PARAMS value varied one at a time (settings equal to the defaults once)."""
    defaults = {k: p.default for k, p in inspect.signature(module.generate).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY and k != "orgs"}
    out: list[dict[str, Any]] = [{}]
    for key, values in module.PARAMS.items():
        for v in values:
            if defaults.get(key) != v:
                out.append({key: v})
    return out


def _mean_and_worst(values: list[float], worst: Any) -> tuple[float, float]:
    """Mean and worst over the seeds, ignoring nan (a group no seed has: nan, nan)."""
    kept = [v for v in values if v == v]
    return (float(np.mean(kept)), float(worst(kept))) if kept else (float("nan"), float("nan"))


METRICS = ([f"exposed_{s}" for s in SCORES] + [f"all_{s}" for s in SCORES]
           + ["top5_partners", "top5_list_partners", "top5_recent_partners", "top5_adversary_partners",
              "top5_former_partners", *(f"top5_former{d}_partners" for d in OTHER_LINES)])
HEAD = ("exp-only AUC: exposure risk rep naive | all-unlisted AUC: exposure risk rep naive | "
        "share of honest partners in the top 5 % by risk; share of the top 5 % that are honest partners | "
        "the first share for partners that dealt with a listed party within the year before its listing "
        "or after it (recent), that dealt with an attacker or front (adversary), and the others (former; "
        "then with the line drawn at half a year and at two years instead of a year)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--orgs", type=int, default=1000, help="Background organisations per network.")
    ap.add_argument("--seeds", type=int, default=5, help="Networks per setting (seeds 0..N-1).")
    ap.add_argument("--only", default="", help="Comma-separated generator names (default: all).")
    ap.add_argument("--design-only", action="store_true", help="Skip the held-out generators.")
    ap.add_argument("--defaults-only", action="store_true", help="Only each generator's default setting.")
    ap.add_argument("--setting", action="append", default=[], metavar="KEY=VALUE",
                    help="Only these varied settings (repeatable; e.g. camouflage=20), where a generator has them.")
    ap.add_argument("--json", type=Path, help="Write every figure to this JSON file.")
    args = ap.parse_args(argv)
    only = {n for n in args.only.split(",") if n}
    results = []
    print(f"Attack benchmark: {args.orgs} organisations per network, seeds 0..{args.seeds - 1}, "
          "trustgraph CLI at default settings, nobody pre-trusted.")
    print("mean (min) over seeds; " + HEAD)
    for gen in registry():
        if (only and gen.name not in only) or (args.design_only and gen.held_out):
            continue
        module = load(gen.name)
        mark = " [held out]" if gen.held_out else " [design]"
        print(f"\n{gen.name}{mark}")
        chosen = settings(module)[: 1 if args.defaults_only else None]
        if args.setting:
            chosen = [p for p in chosen if len(p) == 1 and any(f"{k}={v}" in args.setting for k, v in p.items())]
        for params in chosen:
            t0 = time.perf_counter()
            runs = [score_once(module, seed, args.orgs, params) for seed in range(args.seeds)]
            agg = {m: _mean_and_worst([r[m] for r in runs], worst=max if m.startswith("top5") else min)
                   for m in METRICS}
            label = ", ".join(f"{k}={v}" for k, v in params.items()) or "defaults"
            cells = [f"{agg[m][0]:.3f} ({agg[m][1]:.3f})" for m in METRICS]
            print(f"  {label:<18} " + " ".join(cells[:4]) + " | " + " ".join(cells[4:8]) + " | "
                  f"{cells[8]} max; {cells[9]} max | {cells[10]} {cells[11]} {cells[12]} max "
                  f"(former at ½ / 2 years: {cells[13]} {cells[14]})  "
                  f"[{np.mean([r['positives'] for r in runs]):.0f} pos, "
                  f"{np.mean([r['honest_partners'] for r in runs]):.0f} partners "
                  f"({np.mean([r['recent_partners'] for r in runs]):.0f} recent, "
                  f"{np.mean([r['adversary_partners'] for r in runs]):.0f} adversary), "
                  f"view {runs[0]['view']}, {time.perf_counter() - t0:.0f} s]")
            results.append({"generator": gen.name, "held_out": gen.held_out, "params": params,
                            "orgs": args.orgs, "seeds": args.seeds,
                            "mean": {m: a[0] for m, a in agg.items()},
                            "worst": {m: a[1] for m, a in agg.items()}, "runs": runs})
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
