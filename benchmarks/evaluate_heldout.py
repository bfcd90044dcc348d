"""Label-free check of the reputation model: predict held-out ratings on a network nobody labelled.

The fraud labels of Bitcoin OTC (``evaluate.py``) are the only labels we have, and design choices
checked on them are suspect of fitting them. This script asks the same model a question that needs
no labels: hide a random 10 % of the ratings, compute reputations from the rest, and see how well
the *target's* reputation predicts whether a hidden rating is a warning (negative) or an endorsement
(positive) — the link-sign prediction task of Leskovec, Huttenlocher & Kleinberg ("Predicting
positive and negative links in online social networks", WWW 2010), scored as ROC-AUC (a hidden
warning is the positive class, predicted by ``1 − reputation`` of the party it is about). A
reputation is a ranking, not a calibrated probability of the next rating's sign, so only the
ranking is scored.

Run on Epinions (no pre-trusted set: uniform teleport, ``pretrusted=EVERYONE``) and on Bitcoin OTC (the founder's trusted
set T pre-trusted, no fraud label used), for trustgraph's reputation with capped voices (the
default) and with raw trust mass as the voice (``voice="mass"``), over three seeded splits each,
and for two label-free anchors computed here: the fraction of negative ratings the target received
in the training part and Fairness-Goodness goodness (Kumar et al. 2016).

Run: ``.venv/bin/python benchmarks/evaluate_heldout.py`` (about 2 minutes).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from evaluate import fairness_goodness, fraction_negative  # noqa: E402
from otc_protocol import DATA_DIR, FOUNDER, roc_auc  # noqa: E402

from trustgraph.analysis.reputation import EVERYONE, reputation_scores  # noqa: E402
from trustgraph.graph import project  # noqa: E402
from trustgraph.importers import read_snap_signed  # noqa: E402

SEEDS = (0, 1, 2)
HOLD_OUT = 0.10


def run(name: str, path: Path, trusted: bool) -> None:
    t0 = time.perf_counter()
    tables = dict(read_snap_signed(path))
    refs = tables["referrals"]
    pre = None  # no anchor: trust from everyone equally (EVERYONE), the unanchored view this check measures
    if trusted:
        strength = refs["strength"].astype(float)
        pre = sorted({FOUNDER} | set(refs.loc[(refs["source"] == FOUNDER) & (strength >= 0.5), "target"].astype(str)))
    print(f"{name}: {len(tables['organizations']):,} parties, {len(refs):,} ratings, "
          f"{'T pre-trusted (' + str(len(pre)) + ')' if pre else 'no pre-trusted set'}; "
          f"{len(SEEDS)} splits holding out {HOLD_OUT:.0%}  (read {time.perf_counter() - t0:.1f} s)")
    rows: dict[str, list[float]] = {}
    for seed in SEEDS:
        rng = np.random.default_rng(seed)
        hidden = rng.random(len(refs)) < HOLD_OUT
        train = dict(tables)
        train["referrals"] = refs.loc[~hidden].reset_index(drop=True)
        test = refs.loc[hidden]
        labels = {str(k): int(float(s) < 0) for k, s in zip(test.index, test["strength"], strict=True)}
        target = dict(zip(map(str, test.index), test["target"].astype(str), strict=True))
        G = project(train, half_life_days=None)
        ratings = list(zip(train["referrals"]["source"].astype(str), train["referrals"]["target"].astype(str),
                           train["referrals"]["strength"].astype(float), strict=True))
        methods: dict[str, dict[str, float]] = {}
        for voice in ("capped", "mass"):
            rep = reputation_scores(G, pretrusted=pre if pre else EVERYONE, voice=voice)
            methods[f"trustgraph reputation, voice={voice}"] = {k: rep.get(v, 0.5) for k, v in target.items()}
        fneg = fraction_negative(ratings)
        methods["anchor: 1 − fraction of negative ratings received"] = {
            k: 1.0 - fneg.get(v, 0.5) for k, v in target.items()}
        fg = fairness_goodness(ratings)
        methods["anchor: Fairness-Goodness goodness, as (1 + g) / 2"] = {
            k: (1.0 + fg.get(v, 0.0)) / 2.0 for k, v in target.items()}
        for method, score in methods.items():
            rows.setdefault(method, []).append(roc_auc(labels, {k: 1.0 - score[k] for k in labels}))
    print(f"  {'method':<52} {'AUC':>7} {'± sd':>6}   (hidden warnings: {sum(labels.values()):,} of "
          f"{len(labels):,} in the last split)")
    for method, values in rows.items():
        auc = np.array(values)
        print(f"  {method:<52} {auc.mean():7.4f} {auc.std():6.4f}")
    print(f"  ({time.perf_counter() - t0:.0f} s)\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA_DIR, help="folder holding epinions/ and bitcoin-otc/")
    args = parser.parse_args(argv)
    run("Bitcoin OTC (no labels used)", args.data / "bitcoin-otc" / "otc_network.csv", trusted=True)
    run("Epinions", args.data / "epinions" / "soc-sign-epinions.txt.gz", trusted=False)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
