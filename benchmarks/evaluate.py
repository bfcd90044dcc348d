"""Protocol R of ../shared/EVALUATION.md: reputation on leak-free Bitcoin OTC, beside published anchors.

Run from the repository root::

    .venv/bin/python benchmarks/evaluate.py [--data ../shared/data] [--no-grid]

trustgraph is run through its public API (``read_snap_signed`` → ``project`` → ``reputation``) with
the trusted set T as the pre-trusted set. The anchors are computed here, independently of trustgraph's
reputation code, on the same leak-free ratings (strength = rating / 10):

* EigenTrust / TrustRank (Kamvar et al. 2003; Gyöngyi et al. 2004): ``networkx.pagerank`` over the
  positive ratings, teleport and dangling mass to T, α = 0.85; low trust = suspect.
* Guha et al. (2004) one-step distrust: trust mass × negative ratings received, Σ_i t_i·|w_ij| over
  negative ratings; high = suspect.
* Fraction of received ratings that are negative (0.5 for a user with none left).
* Fairness-Goodness (Kumar et al., ICDM 2016): goodness, iterated to convergence; users with no
  rating left get 0 (neutral).

Fraudulent users are the positive class; AUC is ROC-AUC with ties averaged, AP average precision.
Every method is scored on all 280 labelled users outside T (a user with no rating left gets the
method's neutral value) and on the 232 of them that still receive at least one rating (the population
the Fairness-Goodness and Guha anchors of EVALUATION.md were measured on).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

import networkx as nx
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from otc_protocol import DATA_DIR, average_precision, leak_free_otc, roc_auc  # noqa: E402

from trustgraph.analysis.reputation import DEFAULT_DAMPING, DEFAULT_SHRINKAGE, reputation  # noqa: E402
from trustgraph.evidence import evidence_frame  # noqa: E402
from trustgraph.export import export_dataset  # noqa: E402
from trustgraph.graph import project  # noqa: E402
from trustgraph.snapshot import compile_tables  # noqa: E402

#: Half-life for the first row. An OTC rating is a standing opinion the rater can edit at any time
#: (its timestamp is the latest edit), and trustgraph keeps referrals at full weight in local trust
#: whatever the half-life (trustgraph.evidence, "Standing opinions and activity"): the first row and the
#: defaults' row agree; the ablation row fades ratings as the product did before 2026-12-03.
OTC_HALF_LIFE: float | None = None

GRID_DAMPING = (0.5, 0.85, 0.95)
GRID_SHRINKAGE = (0.1, 1.0, 10.0)
GRID_HALF_LIFE: tuple[float | None, ...] = (None, 730.0, 365.0)


def _ratings(tables: Mapping[str, object]) -> list[tuple[str, str, float]]:
    refs = tables["referrals"]
    return list(zip(refs["source"].astype(str), refs["target"].astype(str), refs["strength"].astype(float),  # type: ignore[index]
                    strict=True))


def eigentrust_anchor(ratings: list[tuple[str, str, float]], nodes: list[str], trusted: set[str]) -> dict[str, float]:
    """TrustRank: PageRank over positive ratings (weight = rating), teleport and dangling to T."""
    G = nx.DiGraph()
    G.add_nodes_from(nodes)
    G.add_weighted_edges_from((u, v, w) for u, v, w in ratings if w > 0 and u != v)
    p = {u: 1.0 for u in trusted}
    return nx.pagerank(G, alpha=0.85, personalization=p, dangling=p, weight="weight", tol=1e-12, max_iter=1000)


def guha_anchor(ratings: list[tuple[str, str, float]], trust: Mapping[str, float]) -> dict[str, float]:
    """Trust mass of the raters × the strength of their negative ratings (suspicion)."""
    out: dict[str, float] = {}
    for u, v, w in ratings:
        if w < 0:
            out[v] = out.get(v, 0.0) + trust.get(u, 0.0) * -w
    return out


def fraction_negative(ratings: list[tuple[str, str, float]]) -> dict[str, float]:
    """Share of received ratings that are negative (suspicion)."""
    got: dict[str, list[int]] = {}
    for _, v, w in ratings:
        got.setdefault(v, [0, 0])
        got[v][0] += 1
        got[v][1] += w < 0
    return {v: neg / total for v, (total, neg) in got.items()}


def fairness_goodness(ratings: list[tuple[str, str, float]], *, tol: float = 1e-9,
                      max_iter: int = 500) -> dict[str, float]:
    """Goodness of Kumar et al. (2016): g(v) = mean of f(u)·W(u, v); f(u) = 1 − mean |W(u, v) − g(v)| / 2."""
    users = sorted({u for u, _, _ in ratings} | {v for _, v, _ in ratings})
    idx = {u: i for i, u in enumerate(users)}
    src = np.array([idx[u] for u, _, _ in ratings])
    dst = np.array([idx[v] for _, v, _ in ratings])
    w = np.array([r for _, _, r in ratings])
    n = len(users)
    indeg = np.bincount(dst, minlength=n)
    outdeg = np.bincount(src, minlength=n)
    f, g = np.ones(n), np.ones(n)
    for _ in range(max_iter):
        g_new = np.divide(np.bincount(dst, f[src] * w, n), indeg, out=np.zeros(n), where=indeg > 0)
        err = np.abs(w - g_new[dst]) / 2.0
        f_new = 1.0 - np.divide(np.bincount(src, err, n), outdeg, out=np.zeros(n), where=outdeg > 0)
        f_new[outdeg == 0] = 1.0
        change = np.abs(g_new - g).sum() + np.abs(f_new - f).sum()
        f, g = f_new, g_new
        if change < tol:
            break
    return {u: float(g[i]) for u, i in idx.items() if indeg[i] > 0}


def _metrics(labels: Mapping[str, int], suspicion: Mapping[str, float], default: float) -> tuple[float, float]:
    s = {u: float(suspicion.get(u, default)) for u in labels}
    return roc_auc(labels, s), average_precision(labels, s)


def _both(labels: Mapping[str, int], rated: Mapping[str, int], suspicion: Mapping[str, float],
          default: float) -> tuple[float, float, float, float]:
    return (*_metrics(labels, suspicion, default), *_metrics(rated, suspicion, default))


def trustgraph_suspicion(G: nx.DiGraph, trusted: set[str], labels: Mapping[str, int], *,
                         damping: float = DEFAULT_DAMPING, shrinkage: float = DEFAULT_SHRINKAGE,
                         endorsement: str = "capped", voice: str = "capped") -> dict[str, float]:
    """1 − trustgraph's reputation, T pre-trusted."""
    result = reputation(G, pretrusted=sorted(trusted), damping=damping, shrinkage=shrinkage, endorsement=endorsement,
                        voice=voice)
    return {u: 1.0 - result.scores[u] for u in labels}


def faded_referrals(tables: Mapping[str, pd.DataFrame], half_life_days: float = 730.0) -> nx.DiGraph:
    """The trust graph with referrals faded in local trust like every other kind (the rule before
    2026-12-03): each evidence row weighted by its ``activity`` (decay) factor instead of ``weight``."""
    ev = evidence_frame(tables, half_life_days=half_life_days)
    value, fade = ev["value"].to_numpy(dtype=float), ev["activity"].to_numpy(dtype=float)
    ev = ev.assign(weight=fade, positive=np.where(value > 0, value, 0.0) * fade,
                   negative=np.where(value < 0, -value, 0.0) * fade)
    return compile_tables(tables, half_life_days=half_life_days, evidence=ev).to_networkx()


def cli_suspicion(tables: Mapping[str, pd.DataFrame], trusted: set[str], labels: Mapping[str, int]) -> dict[str, float]:
    """The same protocol through the command line at the product's default settings: ``trustgraph
    load`` the leak-free dataset (every user kept, even one whose ratings were all removed), then
    ``reputation --pretrusted T`` (the default half-life, 730 days)."""
    cmd = [sys.executable, "-c", "from trustgraph.cli import main; main()"]
    with tempfile.TemporaryDirectory() as tmp:
        export_dataset(tables, Path(tmp) / "otc_leak_free")
        store = str(Path(tmp) / "otc.db")
        subprocess.run([*cmd, "--store", store, "-q", "load", str(Path(tmp) / "otc_leak_free"), "--format", "json"],
                       check=True, capture_output=True)
        out = subprocess.run([*cmd, "--store", store, "-q", "reputation", "--pretrusted", ",".join(sorted(trusted)),
                              "--format", "json"], check=True, capture_output=True, text=True)
    scores = {row["id"]: row["reputation"] for row in json.loads(out.stdout)["rows"]}
    return {u: 1.0 - scores[u] for u in labels}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder holding bitcoin-otc/")
    parser.add_argument("--no-grid", action="store_true", help="skip the parameter grid")
    parser.add_argument("--no-cli", action="store_true", help="skip the run through the command line")
    args = parser.parse_args(argv)

    start = time.perf_counter()
    tables, trusted, labels = leak_free_otc(args.data)
    fraud = sum(labels.values())
    print(f"leak-free Bitcoin OTC: {len(tables['referrals'])} ratings, |T| = {len(trusted)}, "
          f"{len(labels)} labelled users outside T ({fraud} fraudulent, {len(labels) - fraud} benign)")
    ratings = _ratings(tables)
    nodes = list(tables["organizations"]["id"].astype(str))

    received = {v for _, v, _ in ratings}
    rated = {u: y for u, y in labels.items() if u in received}
    rows: list[tuple[str, float, float, float, float]] = []
    # The grid's half-life rows fade the ratings themselves (the rule before 2026-12-03): at any
    # half-life the product keeps them standing, which is the "none" row.
    graphs = {hl: project(tables, half_life_days=hl) if hl is None else faded_referrals(tables, hl)
              for hl in GRID_HALF_LIFE}
    G = graphs[OTC_HALF_LIFE]
    rows.append((f"trustgraph reputation (damping {DEFAULT_DAMPING}, shrinkage {DEFAULT_SHRINKAGE:g}, no decay)",
                 *_both(labels, rated, trustgraph_suspicion(G, trusted, labels), 0.5)))
    default_G = project(tables)
    rows.append(("  the same at the product's defaults (half-life 730 days)",
                 *_both(labels, rated, trustgraph_suspicion(default_G, trusted, labels), 0.5)))
    if not args.no_cli:
        rows.append(("  the same through the CLI at defaults (load; reputation --pretrusted T)",
                     *_both(labels, rated, cli_suspicion(tables, trusted, labels), 0.5)))
    rows.append(("  ablation: ratings fading with the half-life (730 days) in local trust too",
                 *_both(labels, rated, trustgraph_suspicion(faded_referrals(tables), trusted, labels), 0.5)))
    rows.append(("  ablation: Kamvar's normalised endorsement instead of capped",
                 *_both(labels, rated, trustgraph_suspicion(G, trusted, labels, endorsement="normalised"), 0.5)))
    rows.append(("  ablation: raw trust mass as the rater's voice (uncapped)",
                 *_both(labels, rated, trustgraph_suspicion(G, trusted, labels, voice="mass"), 0.5)))
    et = eigentrust_anchor(ratings, nodes, trusted)
    rows.append(("EigenTrust / TrustRank, pre-trusted T, α = 0.85",
                 *_both(labels, rated, {u: -v for u, v in et.items()}, 0.0)))
    rows.append(("Guha one-step distrust (trust mass × negative ratings)",
                 *_both(labels, rated, guha_anchor(ratings, et), 0.0)))
    rows.append(("fraction of received ratings that are negative",
                 *_both(labels, rated, fraction_negative(ratings), 0.5)))
    fg = fairness_goodness(ratings)
    rows.append(("Fairness-Goodness goodness (Kumar et al. 2016)",
                 *_both(labels, rated, {u: -v for u, v in fg.items()}, 0.0)))

    width = max(len(r[0]) for r in rows)
    print("\nProtocol R — reputation, leak-free OTC (fraudulent = positive class)")
    print(f"{'':<{width}}  all {len(labels)} labelled   {len(rated)} with ratings left")
    print(f"{'method':<{width}}  AUC     AP      AUC     AP")
    for name, auc, ap, auc_r, ap_r in rows:
        print(f"{name:<{width}}  {auc:.4f}  {ap:.4f}  {auc_r:.4f}  {ap_r:.4f}")

    if not args.no_grid:
        print(f"\ntrustgraph AUC (AP), all {len(labels)} labelled users, over damping × shrinkage, per half-life of"
              " the ratings (days; none = standing, the product's rule at any half-life; 730 or 365 = ratings"
              " fading, the rule before 2026-12-03)")
        print("half-life  damping  " + "  ".join(f"shrinkage {k:<6g}" for k in GRID_SHRINKAGE))
        aucs = []
        for hl in GRID_HALF_LIFE:
            for a in GRID_DAMPING:
                cells = []
                for k in GRID_SHRINKAGE:
                    sus = trustgraph_suspicion(graphs[hl], trusted, labels, damping=a, shrinkage=k)
                    auc, ap = _metrics(labels, sus, 0.5)
                    aucs.append(auc)
                    cells.append(f"{auc:.4f} ({ap:.4f})")
                print(f"{'none' if hl is None else f'{hl:g}':<9}  {a:<7g}  " + "  ".join(f"{c:<16}" for c in cells))
        print(f"grid: min {min(aucs):.4f}, median {float(np.median(aucs)):.4f}, max {max(aucs):.4f}")
    print(f"\n({time.perf_counter() - start:.1f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
