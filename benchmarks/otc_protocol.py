"""The leak-free Bitcoin OTC protocol (../shared/EVALUATION.md) and the two metrics it reports.

Bitcoin OTC's fraud labels (REV2, Kumar et al. 2018) were derived from ratings that are in the graph:
a trusted set T = {user 1} ∪ {every user user 1 rated ≥ +5} rated each labelled user ≥ +5 (benign)
or ≤ −5 (fraudulent). :func:`leak_free_otc` deletes every rating from a member of T to a labelled
user, keeps T as the pre-trusted set and returns the labels of the labelled users outside T
(1 = fraudulent, the positive class; 0 = benign).

Shared by ``evaluate.py`` (protocol R, reputation) and ``evaluate_contagion.py`` (protocol B).
Only numpy, pandas and trustgraph's public importer are used (no scikit-learn).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from trustgraph.importers import read_snap_signed

__all__ = ["DATA_DIR", "FOUNDER", "leak_free_otc", "roc_auc", "average_precision"]

#: ../shared/data beside the repository.
DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"
#: Bitcoin OTC's founder, the root of the trusted set.
FOUNDER = "1"


def leak_free_otc(
    data_dir: str | Path = DATA_DIR,
) -> tuple[dict[str, pd.DataFrame], set[str], dict[str, int]]:
    """Bitcoin OTC without the ratings its labels were derived from.

    Parameters
    ----------
    data_dir : path
        The folder holding ``bitcoin-otc/otc_network.csv`` and ``bitcoin-otc/otc_gt.csv``.

    Returns
    -------
    tables : dict of DataFrame
        Canonical ``organizations`` and ``referrals`` (strength = rating / 10) with every referral
        from a member of T to a labelled user removed (844 rows).
    trusted : set of str
        T: the founder and every user the founder rated ≥ +5 (36 users).
    labels : dict
        User id → 1 (fraudulent) or 0 (benign), for the 280 labelled users outside T.
    """
    base = Path(data_dir) / "bitcoin-otc"
    tables = dict(read_snap_signed(base / "otc_network.csv"))
    refs = tables["referrals"]
    strength = refs["strength"].astype(float)
    trusted = {FOUNDER} | set(refs.loc[(refs["source"] == FOUNDER) & (strength >= 0.5), "target"].astype(str))
    gt = pd.read_csv(base / "otc_gt.csv", header=None, names=["id", "label"], dtype={"id": str})
    all_labels = {str(i): int(lab < 0) for i, lab in zip(gt["id"], gt["label"].astype(int), strict=True)}
    leaked = refs["source"].isin(trusted) & refs["target"].isin(list(all_labels))
    tables["referrals"] = refs.loc[~leaked.to_numpy()].reset_index(drop=True)
    labels = {u: y for u, y in all_labels.items() if u not in trusted}
    return tables, trusted, labels


def _arrays(labels: Mapping[str, int], scores: Mapping[str, float] | Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(scores, Mapping):
        keys = list(labels)
        return np.array([labels[k] for k in keys], dtype=int), np.array([scores[k] for k in keys], dtype=float)
    return np.asarray(list(labels.values()), dtype=int), np.asarray(scores, dtype=float)


def roc_auc(labels: Mapping[str, int], scores: Mapping[str, float]) -> float:
    """ROC-AUC: probability that a random positive outscores a random negative, ties counting half.

    ``scores`` are *suspicion* scores (higher = more likely positive); pass ``1 − reputation``.
    Computed as the Mann–Whitney U statistic with mid-ranks for ties.

    >>> roc_auc({"a": 1, "b": 0, "c": 0}, {"a": 0.9, "b": 0.9, "c": 0.1})
    0.75
    """
    y, s = _arrays(labels, scores)
    pos, neg = int(y.sum()), int(len(y) - y.sum())
    if pos == 0 or neg == 0:
        raise ValueError("ROC-AUC needs both classes")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s))
    sorted_s = s[order]
    starts = np.flatnonzero(np.r_[True, sorted_s[1:] != sorted_s[:-1]])
    ends = np.r_[starts[1:], len(s)]
    mid = (starts + ends + 1) / 2.0  # mean of 1-based ranks starts+1 .. ends
    ranks[order] = np.repeat(mid, ends - starts)
    return float((ranks[y == 1].sum() - pos * (pos + 1) / 2.0) / (pos * neg))


def average_precision(labels: Mapping[str, int], scores: Mapping[str, float]) -> float:
    """Average precision: Σ over distinct thresholds of (recall gain) × precision.

    Tied scores enter together at one threshold (the convention of scikit-learn's
    ``average_precision_score``), so the order within a tie does not matter.

    >>> round(average_precision({"a": 1, "b": 0, "c": 1}, {"a": 0.9, "b": 0.5, "c": 0.1}), 4)
    0.8333
    """
    y, s = _arrays(labels, scores)
    pos = int(y.sum())
    if pos == 0:
        raise ValueError("average precision needs a positive")
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    last = np.r_[s[1:] != s[:-1], True]  # the last item of each tie group
    tp = np.cumsum(y)[last]
    seen = (np.flatnonzero(last) + 1).astype(float)
    precision = tp / seen
    recall_gain = np.diff(np.r_[0, tp]) / pos
    return float((precision * recall_gain).sum())
