"""Blacklist contagion: how exposed each party is to the parties listed as too risky to work with.

Risk spreads from every actively listed party (see :func:`trustgraph.graph.active_listings`: listed
on or before the reference date, ``until`` empty or later) to the parties tied to it, then to theirs,
decaying per hop, and stops after a cut-off (3 hops by default).

Which ties carry exposure
-------------------------
A party is exposed through the ties **it chose**: its own evidence about others, i.e. the out-edges
``x → y`` of the projected graph (:mod:`trustgraph.graph`) — the referrals *x* gave (an endorsement
puts *x*'s judgement in question when *y* is listed, as in Anti-TrustRank; Krishnan & Raj 2006), the
partnerships *x* is in (stored in both directions, so partners are exposed to each other), *x*'s
communications and incident reports — plus, where the dataset has people, the **people it shares**
with *y* (:func:`shared_people`: a person who moved between the two, or personal ties between
their current staff). Being vouched *for* by a listed party does not expose a party: otherwise a
listed party could smear anyone by vouching for them.

Every tie is the **net** of its decayed evidence, ``net(x → y) = positive − negative`` (evidence is
aged with the half-life of :mod:`trustgraph.evidence`, so older ties count less). A net-positive tie
is an association; a net-negative one (a warning, a reported incident, a terminated partnership)
is a *distancing*.

Normalisation: dependence, not contact
--------------------------------------
Each tie counts by the share of the exposed party's activity it represents::

    share(x → y) = |net(x → y)| / (activity(x) + prior),    activity(x) = Σ_y positive + negative

so one partnership among twenty is 1/20 of a hub's activity but all of a small party's. The
``prior`` (default 1: one unit of evidence, the Beta prior's pseudo-count in :mod:`trustgraph.evidence`)
keeps a party known by one weak tie from being defined by it. A well-connected party is therefore not
condemned by one bad partner, and a well-reputed one gets the benefit of its reputation in the
combined ``risk`` (:func:`combined_risk`).

The score
---------
With ``P`` the net-positive shares (associations), ``N`` the net-negative shares (distancings),
``ℓ`` the indicator of the listed parties, ``M`` the diagonal that is 0 on listed parties and 1
elsewhere, ``δ`` the per-hop decay and ``h`` the cut-off::

    exposure = Σ_{k=1..h} δ^(k−1) · (P M)^(k−1) · (P − N) · ℓ

Term *k* sums, over every walk of *k* ties from the party to a listed one, the product of the shares
along it times ``δ^(k−1)``: the chance that a random step through the party's own ties, continuing
only through unlisted parties, reaches a listed party at step *k* — minus the same for walks whose
last tie is a distancing. Walks stop at the first listed party (risk is not relayed *through* a
listed party, which would count it twice). Distrust is used one step only, on the tie to the listed
party itself, as Guha et al. (2004) recommend; it is never propagated as "the enemy of my enemy is
my friend" — but a partner that warned about a listed party does pass that vigilance on, with the
same shares and decay as an association.

The score lies in [−1, 1]: 0 = no exposure within ``h`` hops, 1 = all of a party's activity is with
listed parties (listed parties themselves score 1); negative = on balance, the party and its
partners distanced themselves from listed parties (reported, warned, terminated). It decomposes
exactly by listed party, and each listed party's part by walk, so every score comes with the
listed parties it is exposed to and, for each, the strongest contributing path.

Timing and the endorsement view
-------------------------------
(docs/threat-model.md; docs/contagion.md.) The last tie of a walk, into a listed party ``L``, counts
each piece of its positive evidence by the timing factor ``τ = max(0, 1 − gap / (2·LISTING_WINDOW_DAYS))``,
``gap`` = how long before ``L``'s first listing in force that piece is dated (0 when at or after it),
with a window of half a year: evidence at or after the listing counts fully, half a year before it
half, a year or more before it nothing — an association that ended a year or more before the listing
is no evidence of collusion in what got the party listed. A partnership, dated at its end, is timed by
the mean of ``τ`` over the days it ran (a long partnership that ended at the listing mostly predates
it). The snapshot keeps each tie's
evidence-weighted mean τ (:func:`evidence_timing`); a snapshot without it (from a NetworkX graph
with no ``timing`` edge attribute) times each tie by its newest evidence. Distancing is not
discounted. ``τ = 1`` without decay (half-life ``None`` or 0) or without a dated listing.
The score is computed in two views of the party's own out-ties: the *activity* view (every kind of
evidence, as above) and the *endorsement* view (the same formula over the referrals the party gave,
with shares of its referral activity); a party's exposure is the endorsement view's when that is
positive and larger, else the activity view's — what a party vouched for implicates it even when
ordinary partnerships (camouflage) dilute its activity; having vouched for nobody clears nothing.

Vouching groups
---------------
Parties that vouch for each other are also assessed as one actor (docs/contagion.md, "Vouching
groups"): the groups are the Louvain communities (Blondel et al. 2008, resolution 1, seeded;
:mod:`trustgraph.analysis.communities`) of the mutual endorsements between unlisted parties (a pair
weighted by the lesser of its two net referrals), with each group's *protégés* — a party endorsed by
exactly one party it did not endorse back, when that voucher is in a group or is itself a protégé,
is joined to it (it stands on the group's word alone) — and, the same rule for a group as one actor,
a group of two or more that exactly one party outside it vouches for joins that party's group;
the *group* view is the endorsement view over groups, where a group's shares are its members'
referrals to parties outside the group — its vouching for itself neither counts nor dilutes; a
member takes the group's exposure by the share of its own referral activity that went to the group.
A party's exposure is the largest positive of its three views (else the activity view's).
Contributions and paths come from the view that gave the score; a group-view path steps from member
to member inside a group (shown as a ``vouching group`` step).

This is Anti-TrustRank's idea — distrust flows back from known-bad parties to those who endorse
them (Krishnan & Raj, "Anti-Trust Rank: Propagating Distrust for Web Spam Detection", AIRWeb 2006;
after TrustRank, Gyöngyi, Garcia-Molina & Pedersen, VLDB 2004) — with two changes measured on
Bitcoin OTC (docs/contagion.md): the share is the *exposed* party's dependence on the tie (Anti-TrustRank
divides by the listed party's in-degree, which makes well-connected parties the most exposed), and
the tie's sign is kept (naive contagion along positive ties ranks the real fraudsters *below*
chance: the honest core of the network traded with fraudsters too, then warned about them).

Combined risk
-------------
One's own record and one's ties to listed parties, in one mean (:func:`combined_risk`): a party's
reputation (:func:`trustgraph.analysis.reputation.reputation_support`, 0.5 when nothing is known)
is a mean of the opinions it receives, resting on *support* full voices; the exposure joins it as
one more opinion: an association (``e > 0``) as an opinion of −1 with voice ``e / (1 − e)`` (the
party's activity with listed parties against the rest of it), a distancing (``e < 0``: on balance
the party warned about, reported or left listed parties) as an opinion of +1 with voice
``|e| / (1 − |e|)``; ``risk = 1 −`` the resulting score. Exposure therefore weighs most on parties
little is known about, the risk tends to a listed party's 1 as ``e → 1``, and with nothing known
the risk ranks parties exactly as their exposure does. Listed parties have risk 1.
"""

from __future__ import annotations

import dataclasses
import hashlib
import heapq
import itertools
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from ..deadline import check as check_deadline
from ..errors import ConfigurationError, NotFoundError
from ..snapshot import KINDS, Snapshot, as_snapshot
from .communities import _by_first, louvain

if TYPE_CHECKING:  # heavy imports only where used
    import networkx as nx
    import pandas as pd

__all__ = [
    "DEFAULT_HOPS",
    "DEFAULT_DECAY",
    "DEFAULT_PRIOR",
    "LISTING_WINDOW_DAYS",
    "evidence_timing",
    "PEOPLE_WEIGHTS",
    "shared_people",
    "listed_parties",
    "contagion_scores",
    "contagion",
    "exposure_paths",
    "what_if",
    "combined_risk",
    "Risk",
    "assess_risk",
]

#: Default cut-off: a partner's partner's partner (GnuPG stops certification chains at 5; exposure
#: that has passed through two unlisted intermediaries is already faint).
DEFAULT_HOPS = 3
#: Default per-hop decay: each hop away from the listed party halves its weight.
DEFAULT_DECAY = 0.5
#: Default prior activity: one unit of evidence (one completed partnership or a full-strength referral).
DEFAULT_PRIOR = 1.0
#: The timing scale of an association with a listed party (docs/threat-model.md): positive evidence
#: dated this long before the listing counts half, and twice as long before (a year) or more, nothing;
#: the factor falls linearly in between. "Around the listing" is months; "years before the listing"
#: is no evidence of collusion (until 2026-12-03 the factor halved every window and never reached 0,
#: so any association however old ranked a party above every party with none).
LISTING_WINDOW_DAYS = 182.5

#: Evidence weight of shared people (before decay), in the units of :data:`trustgraph.evidence.WEIGHTS`:
#: a person who moved between two organisations carries the same weight as an active partnership
#: (insider knowledge and loyalties move with them); a personal tie between current staff of the two
#: counts like one communication.
PEOPLE_WEIGHTS: dict[str, float] = {"moved": 0.5, "personal_tie": 0.1}

_PEOPLE_COLUMNS = ("src", "dst", "kind", "ref", "date", "value", "weight", "positive", "negative", "activity",
                   "detail")


# --------------------------------------------------------------------------------------------------
# Shared people


def _day(value: Any) -> str | None:
    from ..cells import day  # pandas: imported where used

    return day(value)


def _text(value: Any) -> str | None:
    from ..cells import text

    return text(value)


def shared_people(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: str | None = None,
    half_life_days: float | None = None,
) -> pd.DataFrame:
    """Ties between organisations through the people they share, as evidence rows.

    Two kinds (weights in :data:`PEOPLE_WEIGHTS`, decayed like all evidence):

    * ``moved``: a ``people`` row whose ``previous`` position was at another organisation ties the
      two organisations, dated by the new position's ``from`` (or the old one's ``until``);
    * ``personal_tie``: a ``personal_ties`` row between people who both hold a position on the
      reference date, at different organisations, dated by ``since``.

    Parameters
    ----------
    tables : mapping
        Canonical frames (``people`` and ``personal_ties``; missing tables mean no rows).
    as_of : str, optional
        ISO reference date; later rows are ignored. Default: the newest event
        (:func:`trustgraph.evidence.reference_date`).
    half_life_days : float or None
        Age at which a tie counts half; ``None`` or 0 disables decay.

    Returns
    -------
    pandas.DataFrame
        Evidence rows in the columns of :func:`trustgraph.evidence.evidence_frame` (``kind`` is
        ``"person"``), each tie in both directions; ``detail`` names the people.
    """
    import pandas as pd

    from ..evidence import reference_date

    ref = reference_date(tables, as_of)
    day = ref.strftime("%Y-%m-%d")
    people = tables.get("people")
    rows: list[dict[str, Any]] = []
    if people is not None and len(people):
        org = dict(zip(people["id"].astype(str), people["organization"].astype(str), strict=True))
        name = dict(zip(people["id"].astype(str), people["name"].astype(str), strict=True))
        # Plain lists: Series.map would turn None back into NaN under pandas' string dtype.
        starts = {pid: _day(v) for pid, v in zip(people["id"].astype(str), people["from"].tolist(), strict=True)}
        ends = {pid: _day(v) for pid, v in zip(people["id"].astype(str), people["until"].tolist(), strict=True)}
        if "previous" in people.columns:
            for pid, prev in zip(people["id"].astype(str), people["previous"], strict=True):
                prev_id = _text(prev)
                if not prev_id or prev_id not in org or org[prev_id] == org[pid]:
                    continue
                when = starts.get(pid) or ends.get(prev_id)
                if when is None or when > day:
                    continue
                detail = f"{name[pid]} moved from {org[prev_id]} ({prev_id}) to {org[pid]} ({pid})"
                rows.append({"a": org[pid], "b": org[prev_id], "ref": pid, "date": when,
                             "value": PEOPLE_WEIGHTS["moved"], "detail": detail})
        ties = tables.get("personal_ties")
        if ties is not None and len(ties):

            def in_post(pid: str) -> bool:
                start, end = starts.get(pid), ends.get(pid)
                return pid in org and (start is None or start <= day) and (end is None or end > day)

            columns = (ties["a"].astype(str), ties["b"].astype(str), ties["kind"], ties["since"])
            for a, b, kind, since in zip(*columns, strict=True):
                when = _day(since)
                if not (in_post(a) and in_post(b)) or org[a] == org[b] or (when is not None and when > day):
                    continue
                label = _text(kind) or "tie"
                rows.append({"a": org[a], "b": org[b], "ref": f"{a}-{b}", "date": when or day,
                             "value": PEOPLE_WEIGHTS["personal_tie"],
                             "detail": f"{label}: {name[a]} ({org[a]}) and {name[b]} ({org[b]})"})
    if not rows:
        numeric = ("value", "weight", "positive", "negative", "activity")
        return pd.DataFrame({c: pd.Series([], dtype=float if c in numeric else object) for c in _PEOPLE_COLUMNS})
    frame = pd.DataFrame(rows)
    if half_life_days and np.isfinite(half_life_days):
        age = (ref - pd.to_datetime(frame["date"], format="%Y-%m-%d")).dt.days.to_numpy(dtype=float)
        weight = np.power(0.5, np.clip(age, 0.0, None) / float(half_life_days))
    else:
        weight = np.ones(len(frame))
    value = frame["value"].to_numpy(dtype=float)
    one = pd.DataFrame({
        "src": frame["a"], "dst": frame["b"], "kind": "person", "ref": frame["ref"], "date": frame["date"],
        "value": value, "weight": weight, "positive": value * weight, "negative": 0.0, "activity": weight,
        "detail": frame["detail"],
    })
    other = one.assign(src=one["dst"], dst=one["src"])
    return pd.concat([one, other], ignore_index=True)[list(_PEOPLE_COLUMNS)]


# --------------------------------------------------------------------------------------------------
# The tie matrices


@dataclass(frozen=True, eq=False)
class _Ties:
    """Shares of every party's activity, as sparse matrices over the snapshot's parties."""

    snap: Snapshot
    prior: float
    assoc: sp.csr_matrix  # P: net-positive shares
    distance: sp.csr_matrix  # N: net-negative shares
    signed: sp.csr_matrix  # P − N
    magnitude: sp.csr_matrix  # P + N
    assoc_t: sp.csr_matrix  # Pᵀ (for forward walks from one party)
    signed_t: sp.csr_matrix
    final: sp.csr_matrix  # P·τ − N: the last tie, into a listed party, with the timing factor τ
    final_magnitude: sp.csr_matrix  # |final|
    final_t: sp.csr_matrix
    endorse: _Ties | None = None  # the same from the referrals alone (the endorsement view)


def _check(hops: int, decay: float, prior: float) -> None:
    if isinstance(hops, bool) or not isinstance(hops, (int, np.integer)) or hops < 1:
        raise ConfigurationError(f"hops must be an integer ≥ 1, got {hops!r}")
    if not (np.isfinite(decay) and 0.0 < decay <= 1.0):
        raise ConfigurationError(f"decay must be in (0, 1], got {decay!r}")
    if not (np.isfinite(prior) and prior >= 0.0):
        raise ConfigurationError(f"prior must be ≥ 0, got {prior!r}")


def _indices(snap: Snapshot, values: Iterable[Any]) -> np.ndarray:
    """Party index of each value (−1 when unknown)."""
    found: dict[Any, int] = {}
    out = []
    for v in values:
        if v not in found:
            i = snap.find(v)
            found[v] = -1 if i is None else i
        out.append(found[v])
    return np.array(out, dtype=np.int64)


def _ties(snap: Snapshot, people: pd.DataFrame | None, prior: float) -> _Ties:
    """The tie matrices: the snapshot's edges plus the ties through shared people (``people`` when
    given, else the snapshot's own). From the snapshot's own ties they are built once per snapshot
    and prior (:meth:`Snapshot.memo`): a long-lived process reuses them for every question."""
    if people is None:
        return snap.memo(("contagion-ties", float(prior)), lambda: _build_ties(snap, None, prior))
    return _build_ties(snap, people, prior)


def _kept(ties: _Ties, key: tuple[Any, ...], mask: np.ndarray, build: Callable[[], Any]) -> Any:
    """``build()`` kept with the snapshot when ``ties`` are its own (memoised) ties, per ``key``
    and listed set ``mask``; computed afresh otherwise."""
    snap = ties.snap
    if any(v is ties for v in snap._memo.values()):
        return snap.memo((*key, id(ties), _digest(mask)), build)
    return build()


def _digest(mask: np.ndarray) -> str:
    """A short digest of a listed set (a boolean mask over the parties), for keys of kept results."""
    return hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).hexdigest()


def _first_listing_days(listings: Mapping[str, list[dict[str, Any]]], n: int,
                        find: Callable[[Any], int | None]) -> np.ndarray:
    out = np.full(n, -1, dtype=np.int64)
    for party, rows in listings.items():
        i = find(party)
        dates = sorted(str(r.get("date"))[:10] for r in rows if r.get("date"))
        if i is not None and i >= 0 and dates:
            out[i] = int(np.datetime64(dates[0], "D").astype(np.int64))
    return out


def listing_day(snap: Snapshot) -> np.ndarray:
    """Each party's first listing in force, in days since 1970-01-01 (−1: none, or undated)."""
    return _first_listing_days(snap.listings, snap.n, snap.find)


def _tau(when: np.ndarray, day: np.ndarray, since: np.ndarray | None = None) -> np.ndarray:
    """``max(0, 1 − gap / (2 · LISTING_WINDOW_DAYS))``, ``gap`` = days from ``day`` to the listing ``when``
    (0 when at or after it); 1 where either date is unknown (−1).

    With ``since`` (the first day of a piece of evidence that spans a period — a partnership runs from
    its start to ``day``, its end), the factor is the mean of that over every day of the span: the
    dealings after the listing count fully, those before it by how long before they were. A
    partnership that ran five years and ended at the listing counts 0.1 (its last year, by half on
    average), not as if it had all happened on its last day.
    """
    reach = 2.0 * LISTING_WINDOW_DAYS
    tau = np.ones(len(when))
    dated = (when >= 0) & (day >= 0)
    gap = np.clip(when - day, 0, None).astype(float)
    tau[dated] = np.clip(1.0 - gap[dated] / reach, 0.0, None)
    if since is None:
        return tau
    span = dated & (since >= 0) & (since < day)
    if span.any():
        w, s, e = when[span].astype(float), since[span].astype(float), day[span].astype(float)

        def area(g: np.ndarray) -> np.ndarray:  # ∫ τ over gaps 0..g
            g = np.minimum(g, reach)
            return g - g * g / (2.0 * reach)

        # The part of the span before the listing, [s, min(e, w)], is gaps [w − min(e, w), w − s].
        before = np.where(s < w, area(w - s) - area(w - np.minimum(e, w)), 0.0)
        after = np.clip(e - np.maximum(s, w), 0, None)  # the part at or after it counts fully
        tau[span] = (before + after) / (e - s)
    return tau


def _timed(half_life_days: float | None) -> bool:
    return bool(half_life_days) and bool(np.isfinite(half_life_days))  # type: ignore[arg-type]


def evidence_timing(listings: Mapping[str, list[dict[str, Any]]], index: pd.Index, dst: np.ndarray,
                    day: np.ndarray, positive: np.ndarray, referral: np.ndarray, inverse: np.ndarray, m: int,
                    half_life_days: float | None, since: np.ndarray | None = None) -> np.ndarray:
    """The timing factor of each edge's positive evidence, piece by piece (the snapshot's ``timing``).

    For each evidence row (target ``dst``, date ``day`` in days since 1970, decayed ``positive``,
    ``referral`` flag, edge ``inverse``) into a party with a dated listing in force,
    ``τ = max(0, 1 − gap / (2·LISTING_WINDOW_DAYS))``, ``gap`` = how long before the listing the row is
    dated (0 at or after it); a row with a first day ``since`` (a partnership, from its start) is timed by the
    mean of τ over its span (:func:`_tau`). Returns an (m, 2) array: per edge, the
    positive-evidence-weighted mean τ over all its rows and over its referrals (1 where there is no
    positive evidence, no dated listing, or no decay: half-life ``None`` or 0). See the module docs, "Timing".
    """
    out = np.ones((m, 2))
    if not m or not len(dst) or not listings or not _timed(half_life_days):
        return out
    position = {str(party): int(i) for party in listings for i in index.get_indexer(type(index)([str(party)]))}
    when = _first_listing_days(listings, len(index), lambda party: position.get(str(party), -1))
    tau = _tau(when[dst], day, since)
    for col, sel in ((0, positive > 0), (1, (positive > 0) & referral)):
        total = np.bincount(inverse[sel], weights=positive[sel], minlength=m)
        timed = np.bincount(inverse[sel], weights=(positive * tau)[sel], minlength=m)
        out[:, col] = np.divide(timed, total, out=np.ones(m), where=total > 0)
    return out


def _timing(snap: Snapshot) -> tuple[np.ndarray, np.ndarray]:
    """The timing factor τ of each of the snapshot's edges, for all evidence and for referrals only
    (see the module docs, "Timing").

    From the snapshot's ``timing`` (each piece of positive evidence by its own date) when it has one;
    else (a snapshot of a NetworkX graph) by the edge's newest evidence: :func:`_tau` of its ``last``
    date on an edge into a party with a dated listing. 1 on every other edge, and everywhere when
    evidence does not decay (half-life ``None`` or 0).
    """
    if snap.timing is not None and len(snap.timing) == snap.m:
        return np.asarray(snap.timing[:, 0], dtype=float), np.asarray(snap.timing[:, 1], dtype=float)
    tau = np.ones(snap.m)
    if _timed(snap.half_life_days) and snap.m and snap.listings:
        tau = _tau(listing_day(snap)[np.asarray(snap.dst)], np.asarray(snap.last, dtype=np.int64))
    return tau, tau


def _activity(snap: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each edge's evidence as activity — positive, negative and the referrals' net, every kind faded
    with its age (:mod:`trustgraph.evidence`, "Standing opinions and activity"): the snapshot's
    ``activity`` when it has one, else its opinion arrays (the same when nothing stands apart)."""
    if snap.activity is not None and len(snap.activity) == snap.m:
        a = np.asarray(snap.activity, dtype=float)
        return a[:, 0], a[:, 1], a[:, 2]
    net = np.asarray(snap.kind_net, dtype=float)[:, KINDS.index("referral")] if snap.m else np.zeros(0)
    return np.asarray(snap.positive, dtype=float), np.asarray(snap.negative, dtype=float), net


def _build_ties(snap: Snapshot, people: pd.DataFrame | None, prior: float) -> _Ties:
    src, dst = np.asarray(snap.src), np.asarray(snap.dst)
    pos, neg, _ = _activity(snap)
    if people is not None:
        if len(people):
            ps, pd_ = _indices(snap, people["src"].tolist()), _indices(snap, people["dst"].tolist())
            known = (ps >= 0) & (pd_ >= 0)
            src, dst = np.r_[src, ps[known]], np.r_[dst, pd_[known]]
            pos = np.r_[pos, people["positive"].to_numpy(dtype=float)[known]]
            neg = np.r_[neg, people["negative"].to_numpy(dtype=float)[known]]
    elif len(snap.people_src):
        src, dst = np.r_[src, snap.people_src], np.r_[dst, snap.people_dst]
        pos, neg = np.r_[pos, snap.people_weight], np.r_[neg, np.zeros(len(snap.people_src))]
    tau_all, tau_referral = _timing(snap)
    timing = np.ones(len(src))
    timing[: snap.m] = tau_all
    ties = _make(snap, prior, src, dst, pos, neg, timing)
    endorse = _make(snap, prior, *_endorsements(snap), tau_referral)
    return dataclasses.replace(ties, endorse=endorse)


def _endorsements(snap: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The endorsement view's evidence per edge: ``src``, ``dst``, positive, negative — the referrals
    each party gave, nothing else, as activity (faded with their age, :func:`_activity`). An edge with
    referrals only keeps its positive and negative evidence; on an edge with other kinds too, the
    referrals' net (the snapshot keeps the net per kind)."""
    bit = 1 << KINDS.index("referral")
    only = np.asarray(snap.kinds, dtype=np.int64) == bit
    pos, neg, net = _activity(snap)
    net = np.where(np.abs(net) < 1e-12, 0.0, net)  # sums of opinions that cancel out
    e_pos = np.where(only, pos, np.maximum(net, 0.0))
    e_neg = np.where(only, neg, np.maximum(-net, 0.0))
    return np.asarray(snap.src), np.asarray(snap.dst), np.asarray(e_pos, dtype=float), np.asarray(e_neg, dtype=float)


def _make(snap: Snapshot, prior: float, src: np.ndarray, dst: np.ndarray, pos: np.ndarray, neg: np.ndarray,
          timing: np.ndarray, n: int | None = None) -> _Ties:
    """The tie matrices of edges ``src → dst`` over ``n`` nodes (default: the snapshot's parties)."""
    n = snap.n if n is None else n
    keep = (src != dst) & ((pos != 0) | (neg != 0))
    src, dst, pos, neg, timing = src[keep], dst[keep], pos[keep], neg[keep], timing[keep]
    activity = np.bincount(src, weights=pos + neg, minlength=n)
    denom = (activity + prior)[src]

    def shares(net: np.ndarray) -> sp.csr_matrix:
        # Each row's share of its party's activity (|net| ≤ activity: no overflow on tiny activities);
        # duplicate (src, dst) pairs (graph edge + shared people) are summed by the COO → CSR conversion.
        out = sp.csr_matrix((np.divide(net, denom, out=np.zeros(len(net)), where=denom > 0), (src, dst)),
                            shape=(n, n))
        out.sum_duplicates()
        out.eliminate_zeros()
        return out

    signed = shares(pos - neg)
    # The tie into a listed party: associations that ended before the listing count by the timing factor.
    final = shares(pos * timing - neg)
    final.sort_indices()
    final_magnitude = final.copy()
    final_magnitude.data = np.abs(final_magnitude.data)
    assoc = signed.copy()
    assoc.data = np.maximum(assoc.data, 0.0)
    assoc.eliminate_zeros()
    distance = signed.copy()
    distance.data = np.maximum(-distance.data, 0.0)
    distance.eliminate_zeros()
    magnitude = signed.copy()
    magnitude.data = np.abs(magnitude.data)
    for matrix in (signed, assoc, distance, magnitude):
        matrix.sort_indices()
    return _Ties(snap, prior, assoc, distance, signed, magnitude, assoc.T.tocsr(), signed.T.tocsr(), final,
                 final_magnitude, final.T.tocsr())


def listed_parties(G: Snapshot | nx.DiGraph) -> set[Any]:
    """The parties with an active listing on the graph's reference date (node attribute ``listed``)."""
    if isinstance(G, Snapshot):
        return {G.node(int(i)) for i in np.flatnonzero(G.listed)}
    return {v for v, flag in G.nodes(data="listed") if flag}


def _mask(snap: Snapshot, listed: Iterable[Hashable] | None) -> np.ndarray:
    """The listed parties as a mask: ``listed``, or the snapshot's active listings when ``None``."""
    return np.array(snap.listed, dtype=bool) if listed is None else _listed_mask(snap, listed)


def _listed_mask(snap: Snapshot, listed: Iterable[Hashable]) -> np.ndarray:
    mask = np.zeros(snap.n, dtype=bool)
    missing = []
    for v in listed:
        i = snap.find(v)
        if i is None:
            missing.append(v)
        else:
            mask[i] = True
    if missing:
        more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
        raise NotFoundError(f"no organisation {missing[0]!r} (listed){more}")
    return mask


#: The views a party's exposure can come from (:func:`_views`): its whole activity, the referrals it
#: gave, or the referrals its vouching group gave to parties outside the group.
VIEWS = ("activity", "endorsement", "group")


@dataclass(frozen=True, eq=False)
class _Groups:
    """The vouching groups (see the module docs, "Vouching groups") and the endorsement ties between them."""

    label: np.ndarray  # party -> group; groups are numbered by their first member, a listed party is one alone
    first: np.ndarray  # group -> its first member (the party that names it)
    size: np.ndarray  # group -> how many parties
    member: np.ndarray  # party -> the share of its referral activity that went to its group (1 when alone)
    mask: np.ndarray  # group -> listed
    ties: _Ties  # each group's referrals to parties outside it, as shares of all of them (a _Ties over groups)
    src: np.ndarray  # the referrals between groups, party by party, strongest first within each pair of groups
    dst: np.ndarray
    pair: np.ndarray  # sorted keys (group of src) * k + (group of dst) of those referrals

    def link(self, a: int, b: int) -> tuple[int, int]:
        """The parties of the strongest referral from group ``a`` to group ``b``."""
        k = len(self.size)
        j = int(np.searchsorted(self.pair, a * k + b))
        return int(self.src[j]), int(self.dst[j])

    def path(self, start: int, groups: list[int]) -> list[int]:
        """A walk over groups as parties: ``start``, then for each step the strongest referral between the
        two groups (a step inside a group, from one member to the one that gave the referral, is shown as a
        step between them)."""
        out = [start]
        for a, b in itertools.pairwise(groups):
            u, v = self.link(a, b)
            if u != out[-1]:
                out.append(u)
            out.append(v)
        return out


def _vouching_groups(snap: Snapshot, mask: np.ndarray, src: np.ndarray, dst: np.ndarray,
                     net: np.ndarray, *, proteges: bool = True) -> np.ndarray:
    """Each party's vouching group: Louvain communities (Blondel et al. 2008, modularity at resolution 1,
    seeded; :func:`trustgraph.analysis.communities.louvain`) of the vouching between unlisted parties —
    the *mutual* endorsements, each pair weighted by the lesser of the two directions' net decayed
    referrals, and the *protégés* of those parties: a party endorsed by exactly one party it did not
    endorse in return stands on that one voucher's word, and when the voucher has a mutual endorsement
    (or is itself such a protégé) the two are joined, weighted by that endorsement. A party with
    neither, and every listed party, is a group of its own. Groups are numbered by their first member.
    ``src → dst`` are the snapshot's edges, ``net`` their net-positive referrals (:func:`_endorsements`);
    ``proteges=False``: mutual endorsements only (the method before protégés, for the ablation)."""
    keep = (net > 0) & (src != dst) & ~mask[src] & ~mask[dst]
    A = sp.csr_matrix((net[keep], (src[keep], dst[keep])), shape=(snap.n, snap.n))
    A.sum_duplicates()
    A.eliminate_zeros()
    mutual = A.minimum(A.T)
    one_way = (A - A.multiply(A.T > 0)).tocsc()  # endorsements not returned
    one_way.eliminate_zeros()
    vouchers = np.diff(one_way.indptr)  # per endorsed party: endorsers it did not endorse back
    sponsored = one_way[:, np.flatnonzero(vouchers == 1)].tocoo()
    by, of = sponsored.row, np.flatnonzero(vouchers == 1)[sponsored.col]  # sponsor, protégé
    # A group's protégés, and theirs in turn: from the parties with a mutual endorsement outwards.
    member = np.diff(mutual.tocsr().indptr) > 0
    while True:
        grown = member.copy()
        grown[of[member[by]]] = True
        if np.array_equal(grown, member):
            break
        member = grown
    kept = member[by] & proteges
    sponsor = sp.csr_matrix((sponsored.data[kept], (by[kept], of[kept])), shape=(snap.n, snap.n))
    ties = sp.triu(mutual + sponsor + sponsor.T, k=1).tocoo()  # one-way pairs are never mutual: a plain sum
    label = louvain(snap.n, ties.row, ties.col, ties.data, resolution=1.0, seed=0)
    return _protege_groups(label, src[keep], dst[keep]) if proteges else label


def _protege_groups(label: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Groups that stand on one voucher's word: a group of two or more that exactly one party outside it
    endorses — the protégé rule applied to the group as one actor — joins that party's group, repeated
    until no group stands on a single outside voucher (a party alone is joined only by the party rule
    of :func:`_vouching_groups`). ``src → dst`` are the
    endorsements between unlisted parties. Louvain weighs how strongly parties are tied, not whether a
    group has any support of its own: a chain of fresh shells that vouch for each other, hung from a
    ring by one of its members, is split off as a group of its own when it is long enough (three
    shells), yet nothing but that member speaks for it. Groups are numbered by their first member."""
    n = len(label)
    label, src = np.asarray(label, dtype=np.int64), np.asarray(src, dtype=np.int64)
    while len(src):
        gs, gd = label[src], label[dst]
        cross = gs != gd
        # The distinct (endorsed group, endorsing party) pairs across groups.
        key = np.unique(gd[cross] * n + src[cross])
        group, voucher = key // n, key % n
        groups, start, count = np.unique(group, return_index=True, return_counts=True)
        one = (count == 1) & (np.bincount(label, minlength=n)[groups] > 1)
        if not one.any():
            break
        joins = sp.coo_matrix((np.ones(int(one.sum())), (groups[one], label[voucher[start[one]]])), shape=(n, n))
        label = connected_components(joins, directed=False)[1].astype(np.int64)[label]
    return _by_first(label)


def _build_groups(ties: _Ties, mask: np.ndarray) -> _Groups:
    snap = ties.snap
    src, dst, pos, neg = _endorsements(snap)

    def build() -> np.ndarray:
        return _vouching_groups(snap, mask, src, dst, np.maximum(pos - neg, 0.0))

    # Kept on disk for the store's own listings only: a what-if or an analyst's own listed set is
    # computed (and kept in memory) but never written — "nothing is written", and no file per question.
    label = (snap.derived(f"vouching-groups-4-{_digest(mask)}", build)
             if np.array_equal(mask, np.asarray(snap.listed, dtype=bool)) else build())
    k = int(label.max()) + 1 if len(label) else 0
    _, tau_referral = _timing(snap)
    gs, gd = label[src], label[dst]
    out = (gs != gd) & ((pos != 0) | (neg != 0))
    gmask = np.zeros(k, dtype=bool)
    gmask[label[mask]] = True
    between = _make(snap, ties.prior, gs[out], gd[out], pos[out], neg[out], tau_referral[out], n=k)
    key = gs[out] * k + gd[out]
    order = np.lexsort((-(pos[out] - neg[out]), key))
    size = np.bincount(label, minlength=k)
    # A member takes its group's exposure by the share of its own referrals that went to the group.
    inside = (gs == gd) & (src != dst)
    activity = np.bincount(src, weights=pos + neg, minlength=snap.n) + ties.prior
    to_group = np.bincount(src[inside], weights=np.maximum(pos - neg, 0.0)[inside], minlength=snap.n)
    member = np.where(size[label] > 1, np.divide(to_group, activity, out=np.zeros(snap.n), where=activity > 0), 1.0)
    first = np.unique(label, return_index=True)[1]  # each group's smallest member (groups are numbered by it)
    return _Groups(label, first, size, member, gmask, between, src[out][order], dst[out][order], key[order])


def _groups(ties: _Ties, mask: np.ndarray) -> _Groups:
    """The vouching groups for the listed set ``mask`` (kept with the snapshot's own ties)."""
    groups: _Groups = _kept(ties, ("contagion-groups",), mask, lambda: _build_groups(ties, mask))
    return groups


def _views(ties: _Ties, mask: np.ndarray, hops: int, decay: float) -> tuple[np.ndarray, np.ndarray]:
    """The exposure of every party (the largest of its views) and which view gave it (an index into
    :data:`VIEWS`)."""
    best = _view_scores(ties, mask, hops, decay)
    view = np.zeros(len(best), dtype=np.int8)
    if ties.endorse is None:
        return best, view
    endorsed = _view_scores(ties.endorse, mask, hops, decay)
    chosen = (endorsed > 0.0) & (endorsed > best)  # endorsements implicate; their absence clears nothing
    best = np.where(chosen, endorsed, best)
    view[chosen] = 1
    if not mask.any():
        return best, view
    groups = _groups(ties, mask)
    if len(groups.size) < len(best):  # some party is in a group with others
        grouped = _view_scores(groups.ties, groups.mask, hops, decay)[groups.label] * groups.member
        chosen = (grouped > 0.0) & (grouped > best) & ~mask
        best = np.where(chosen, grouped, best)
        view[chosen] = 2
    return best, view


def _scores(ties: _Ties, mask: np.ndarray, hops: int, decay: float) -> np.ndarray:
    return _views(ties, mask, hops, decay)[0]


def _view_scores(ties: _Ties, mask: np.ndarray, hops: int, decay: float) -> np.ndarray:
    ell = mask.astype(float)
    step = ties.final @ ell
    total = step.copy()
    keep = (~mask).astype(float)
    for _ in range(hops - 1):
        step = decay * (ties.assoc @ (step * keep))
        total += step
    total[mask] = 1.0
    return np.asarray(np.clip(total, -1.0, 1.0))


def contagion_scores(
    G: Snapshot | nx.DiGraph,
    *,
    listed: Iterable[Hashable] | None = None,
    hops: int = DEFAULT_HOPS,
    decay: float = DEFAULT_DECAY,
    prior: float = DEFAULT_PRIOR,
    people: pd.DataFrame | None = None,
) -> dict[Any, float]:
    """Exposure of every party to listed parties, as a score in [−1, 1] (see the module docs).

    The light form of :func:`contagion`: numbers only, computed with sparse matrix products
    (cost ``O(hops · edges)``).

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph (:class:`~trustgraph.snapshot.Snapshot`, or :func:`trustgraph.graph.project`):
        edge ``x → y`` holds *x*'s decayed evidence about *y* in ``positive`` and ``negative``. Not
        modified.
    listed : iterable of nodes, optional
        The listed parties. Default: the nodes whose ``listed`` attribute is true (the active
        listings as of the graph's reference date). Pass a set to ask "what if these were listed".
    hops : int
        Cut-off: walks of at most this many ties (default 3).
    decay : float
        ``δ`` in (0, 1]: the weight of each hop beyond the first (default 0.5).
    prior : float
        Activity added to every party's total, in evidence units (default 1; 0 disables).
    people : pandas.DataFrame, optional
        Ties through shared people (:func:`shared_people`). Default: a snapshot's own
        (``people_src``, ``people_dst``, ``people_weight``); none for a NetworkX graph.

    Returns
    -------
    dict
        Node → score; listed parties score 1, parties with no path to one score 0.

    Raises
    ------
    NotFoundError
        When a ``listed`` node is not in the graph.
    ConfigurationError
        When ``hops``, ``decay`` or ``prior`` is out of range.

    Examples
    --------
    A small party whose only partner is listed, and a hub with one listed partner among four:

    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("small", "bad", positive=1.0, negative=0.0)
    >>> for p in ("bad", "p1", "p2", "p3"):
    ...     G.add_edge("hub", p, positive=1.0, negative=0.0)
    >>> s = contagion_scores(G, listed=["bad"], prior=0.0)
    >>> s["small"], s["hub"], s["p1"]
    (1.0, 0.25, 0.0)
    """
    _check(hops, decay, prior)
    snap = as_snapshot(G)
    if snap.n == 0:
        return {}
    ties = _ties(snap, people, prior)
    mask = _mask(snap, listed)
    return dict(zip(snap.ids, _scores(ties, mask, hops, decay).tolist(), strict=True))


# --------------------------------------------------------------------------------------------------
# Explanations


def _contributions(ties: _Ties, mask: np.ndarray, rows: np.ndarray, hops: int, decay: float) -> np.ndarray:
    """Per-listed-party contributions for ``rows``: a (len(rows), n_listed) dense array."""
    n = ties.assoc.shape[0]
    listed_idx = np.flatnonzero(mask)
    out = np.zeros((len(rows), len(listed_idx)))
    if not len(listed_idx) or not len(rows):
        return out
    keep = (~mask).astype(float)
    batch = max(1, min(len(rows), (1 << 23) // max(n, 1)))
    for lo in range(0, len(rows), batch):
        check_deadline()
        chunk = rows[lo:lo + batch]
        # Columns are walk distributions: u_1 = e_x; u_{k+1} = Pᵀ (M u_k).
        u = np.zeros((n, len(chunk)))
        u[chunk, np.arange(len(chunk))] = 1.0
        acc = np.zeros((len(listed_idx), len(chunk)))
        weight = 1.0
        for k in range(hops):
            if k:
                # Walks continue only through unlisted parties.
                u = (ties.assoc_t @ u) * keep[:, None]
                weight *= decay
            acc += weight * (ties.final_t @ u)[listed_idx]
        out[lo:lo + len(chunk)] = acc.T
    return out


def _strongest_paths(
    ties: _Ties, mask: np.ndarray, start: int, targets: Iterable[int], hops: int, decay: float,
) -> dict[int, tuple[list[int], float]]:
    """For each target listed party, the walk from ``start`` with the largest |product| (and its sign).

    Hop-limited max-product dynamic programming (Bellman–Ford over ``hops`` levels), vectorised
    over the CSR arrays; intermediate parties are unlisted and joined by net-positive ties.
    """
    wanted = np.array(sorted({int(t) for t in targets} - {start}), dtype=np.int64)
    P = ties.assoc
    A = ties.final_magnitude
    levels: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (nodes, value, pred index into prev level)
    frontier = np.array([start], dtype=np.int64)
    value = np.array([1.0])
    pred = np.array([-1], dtype=np.int64)
    levels.append((frontier, value, pred))
    best: dict[int, tuple[float, int, int]] = {}  # target -> (|w|, level, position in that level)
    for k in range(hops):
        frontier, value, _ = levels[-1]
        # The last tie into a listed party, from this level.
        starts_a, ends_a = A.indptr[frontier], A.indptr[frontier + 1]
        counts = ends_a - starts_a
        if counts.sum():
            owner = np.repeat(np.arange(len(frontier)), counts)
            edge = _gather(starts_a, counts)
            tgt = A.indices[edge]
            hit = np.isin(tgt, wanted)
            if hit.any():
                w = value[owner[hit]] * A.data[edge[hit]] * decay ** k
                t_hit, o_hit = tgt[hit], owner[hit]
                order = np.lexsort((-w, t_hit))
                first = order[np.r_[True, t_hit[order][1:] != t_hit[order][:-1]]]
                for t, ww, o in zip(t_hit[first].tolist(), w[first].tolist(), o_hit[first].tolist(), strict=True):
                    if t not in best or ww > best[t][0]:
                        best[t] = (ww, k, o)
        if k == hops - 1:
            break
        # Extend through net-positive ties to unlisted parties.
        starts_p, ends_p = P.indptr[frontier], P.indptr[frontier + 1]
        counts = ends_p - starts_p
        if not counts.sum():
            break
        owner = np.repeat(np.arange(len(frontier)), counts)
        edge = _gather(starts_p, counts)
        tgt = P.indices[edge]
        ok = ~mask[tgt]
        owner, edge, tgt = owner[ok], edge[ok], tgt[ok]
        if not len(tgt):
            break
        cand = value[owner] * P.data[edge]
        order = np.lexsort((-cand, tgt))
        tgt_sorted = tgt[order]
        first = np.r_[True, tgt_sorted[1:] != tgt_sorted[:-1]]
        chosen = order[first]
        levels.append((tgt[chosen], cand[chosen], owner[chosen]))
    out: dict[int, tuple[list[int], float]] = {}
    for t, (_w, k, o) in best.items():
        path = [t]
        pos = o
        for level in range(k, -1, -1):
            nodes_l, _, pred_l = levels[level]
            path.append(int(nodes_l[pos]))
            pos = int(pred_l[pos])
        path.reverse()
        path = _without_cycles(path)
        out[t] = (path, _path_weight(ties, path, decay))
    return out


def _explained_paths(ties: _Ties, groups: _Groups | None, mask: np.ndarray, start: int, view: int,
                     targets: np.ndarray, hops: int, decay: float) -> dict[int, tuple[list[int], float]]:
    """The strongest path from ``start`` to each listed party of ``targets``, in the view that gave its
    exposure (``view``: an index into :data:`VIEWS`); a path in the group view steps between groups by
    their strongest referral (:meth:`_Groups.path`)."""
    if not len(targets):
        return {}
    if view == 2 and groups is not None:
        label = groups.label
        found = _strongest_paths(groups.ties, groups.mask, int(label[start]), label[targets].tolist(), hops, decay)
        share = float(groups.member[start])
        paths = [groups.path(start, walk) for walk, _ in found.values()]  # each ends at its listed party
        return {path[-1]: (path, strength * share) for path, (_, strength) in zip(paths, found.values(), strict=True)}
    return _strongest_paths(ties.endorse if view == 1 and ties.endorse is not None else ties, mask, start,
                            targets.tolist(), hops, decay)


def _gather(starts: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Concatenated ``arange(start, start + count)`` ranges: the CSR positions of several rows."""
    return np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts) + np.arange(int(counts.sum()))


def _without_cycles(path: list[int]) -> list[int]:
    seen: dict[int, int] = {}
    out: list[int] = []
    for v in path:
        if v in seen:
            del out[seen[v] + 1:]
            seen = {u: i for i, u in enumerate(out)}
            continue
        seen[v] = len(out)
        out.append(v)
    return out


def _share(ties: _Ties, u: int, v: int, final: bool = False) -> float:
    """The signed share ``signed[u, v]`` (``final[u, v]``, with the timing factor, when ``final``: the
    tie into a listed party) (CSR lookup; rows have sorted indices)."""
    S = ties.final if final else ties.signed
    lo, hi = int(S.indptr[u]), int(S.indptr[u + 1])
    k = lo + int(np.searchsorted(S.indices[lo:hi], v))
    return float(S.data[k]) if k < hi and S.indices[k] == v else 0.0


def _path_weight(ties: _Ties, path: list[int], decay: float) -> float:
    w = decay ** (len(path) - 2) if len(path) > 1 else 1.0
    for k, (u, v) in enumerate(itertools.pairwise(path)):
        w *= _share(ties, u, v, final=k == len(path) - 2)
    return w


class _ByPair:
    """The rows of an evidence or shared-people frame (columns ``src``, ``dst``) grouped by pair once,
    so that each tie of a path takes its own rows without comparing the whole frame again."""

    def __init__(self, frame: pd.DataFrame | None) -> None:
        self.frame = frame
        self._rows: dict[Hashable, np.ndarray] = (
            {} if frame is None or not len(frame) else
            {pair: np.asarray(rows) for pair, rows in frame.groupby(["src", "dst"], sort=False).indices.items()})
        self._columns: dict[str, list[Any]] | None = None

    def rows(self, u: Any, v: Any) -> pd.DataFrame:
        assert self.frame is not None
        return self.frame.iloc[self._rows.get((u, v), np.zeros(0, dtype=np.int64))]

    def evidence(self, u: Any, v: Any) -> list[dict[str, Any]]:
        """The evidence rows of ``u → v`` as :func:`_evidence_rows` gives them."""
        at = self._rows.get((u, v))
        if at is None or not len(at):
            return []
        if self._columns is None:
            assert self.frame is not None
            self._columns = {c: self.frame[c].tolist() for c in _EVIDENCE_COLUMNS}
        return _evidence_records(self._columns, at.tolist())


def _tie(snap: Snapshot, ties: _Ties, people: _ByPair, u: Any, v: Any, iu: int, iv: int,
         evidence: _ByPair, people_given: bool, final: bool = False,
         tau: np.ndarray | None = None) -> dict[str, Any]:
    """One tie of a path: who (ids ``u``, ``v`` at indices ``iu``, ``iv``), the share of ``u``'s
    activity, its kinds, date and evidence; on the ``final`` tie (into the listed party) the timing
    factor its share includes (``tau``, per snapshot edge, of the view that gave the score; 1 for a
    tie of shared people alone), on the others ``None``.

    ``people`` are shared-people rows to show (at least those of ``u → v``); when the scores used the
    snapshot's own shared people and no rows are given (``people_given`` false), the tie counts them
    from the snapshot's arrays.
    """
    k = snap.edge(iu, iv)
    data = snap.edge_data(k) if k is not None else {}
    kinds = [x for x in str(data.get("kinds") or "").split(";") if x]
    last = data.get("last")
    pos = neg = 0.0
    if k is not None:
        a_pos, a_neg, _ = _activity(snap)
        pos, neg = float(a_pos[k]), float(a_neg[k])
    rows: list[dict[str, Any]] = []
    if people.frame is not None and len(people.frame):
        mine = people.rows(u, v)
        if len(mine):
            kinds.append("person")
            pos += float(mine["positive"].sum())
            newest = max(str(d) for d in mine["date"])
            last = newest if last is None or newest > str(last) else last
            if evidence.frame is None:
                rows.extend(_evidence_rows(mine))
    elif not people_given and len(snap.people_src):
        pair = (snap.people_src == iu) & (snap.people_dst == iv)
        if pair.any():
            kinds.append("person")
            pos += float(np.asarray(snap.people_weight)[pair].sum())
    if evidence.frame is not None:
        rows.extend(evidence.evidence(u, v))
    share = _share(ties, iu, iv, final)
    tie: dict[str, Any] = {
        "from": u,
        "to": v,
        "kinds": sorted(set(kinds)),
        "date": None if last is None else str(last)[:10],
        "strength": pos - neg,
        "share": share,
        "sign": "association" if share > 0 else "distancing",
        "timing": (float(tau[k]) if tau is not None and k is not None else 1.0) if final else None,
    }
    if evidence.frame is not None or rows:
        tie["evidence"] = rows
    return tie


_EVIDENCE_COLUMNS = ("kind", "ref", "date", "value", "activity", "detail")


def _evidence_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    if not len(frame):
        return []
    return _evidence_records({c: frame[c].tolist() for c in _EVIDENCE_COLUMNS}, list(range(len(frame))))


def _evidence_records(columns: Mapping[str, list[Any]], at: list[int]) -> list[dict[str, Any]]:
    """Rows ``at`` of evidence ``columns``, newest first (ties in their order; undated rows last)."""
    import pandas as pd

    date = columns["date"]
    dated = [i for i in at if not pd.isna(date[i])]
    order = sorted(dated, key=lambda i: str(date[i]), reverse=True) + [i for i in at if pd.isna(date[i])]
    kind, ref, value, fade, detail = (columns[c] for c in ("kind", "ref", "value", "activity", "detail"))
    return [
        {
            "kind": kind[i], "ref": ref[i], "date": str(date[i])[:10], "value": float(value[i]),
            "decayed": float(value[i]) * float(fade[i]), "detail": _text(detail[i]),
        }
        for i in order
    ]


def _listing(snap: Snapshot, i: int, hypothetical: np.ndarray) -> dict[str, Any]:
    node = snap.node(i)
    entry: dict[str, Any] = {"id": node, "name": snap.names[i]}
    if hypothetical[i]:
        entry["hypothetical"] = True
        entry["listings"] = []
    else:
        entry["listings"] = [
            {k: lst.get(k) for k in ("lister", "date", "until", "reason")}
            for lst in snap.listings.get(str(node)) or []
        ]
    return entry


def _ranks(keys: np.ndarray, score: np.ndarray, first: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Order (highest first; equal scores: ``first`` ones, then by id: ``keys`` from :meth:`Snapshot.id_ranks`) and
    competition ranks ("1224")."""
    order = np.lexsort((keys, np.zeros(len(keys)) if first is None else ~first, -score))
    s = score[order]
    new = np.r_[True, s[1:] != s[:-1]] if len(s) else np.array([], dtype=bool)
    starts = np.flatnonzero(new)
    sizes = np.diff(np.r_[starts, len(s)])
    ranks = np.empty(len(s), dtype=np.int64)
    ranks[order] = np.repeat(starts + 1, sizes)
    return order, ranks


def _per_party(snap: Snapshot, values: Mapping[Any, float] | np.ndarray | None, default: float) -> np.ndarray:
    """``values`` (node → value, or an array in index order) as an array; missing parties get ``default``."""
    if isinstance(values, np.ndarray):
        return np.asarray(values, dtype=float)
    out = np.full(snap.n, default)
    for node, value in (values or {}).items():
        i = snap.find(node)
        if i is not None:
            out[i] = float(value)
    return out


def contagion(
    G: Snapshot | nx.DiGraph,
    *,
    listed: Iterable[Hashable] | None = None,
    hops: int = DEFAULT_HOPS,
    decay: float = DEFAULT_DECAY,
    prior: float = DEFAULT_PRIOR,
    people: pd.DataFrame | None = None,
    reputation: Mapping[Any, float] | None = None,
    support: Mapping[Any, float] | None = None,
    limit: int | None = None,
    max_exposures: int = 5,
    risk: Risk | None = None,
) -> list[dict[str, Any]]:
    """Exposure of every party to listed parties, explained, highest first.

    See the module docs for the method (after Anti-TrustRank, Krishnan & Raj 2006; one-step
    distrust, Guha et al. 2004).

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph (:class:`~trustgraph.snapshot.Snapshot` or :func:`trustgraph.graph.project`).
        Not modified.
    listed : iterable of nodes, optional
        The listed parties (default: the nodes whose ``listed`` attribute is true). Nodes given here
        that are not listed in the graph are marked ``hypothetical`` in the explanations.
    hops, decay, prior, people
        As in :func:`contagion_scores`.
    reputation : mapping, optional
        Node → reputation in [0, 1] (:func:`trustgraph.analysis.reputation.reputation_support`);
        when given, each row carries ``reputation`` and the combined ``risk`` (:func:`combined_risk`).
    support : mapping, optional
        Node → the voices each reputation rests on (:func:`combined_risk`; default 1 each).
    limit : int, optional
        Return only the ``limit`` highest-ranked rows (explanations are computed for those only).
    max_exposures : int
        At most this many listed parties per row, strongest first; ``exposed_to`` counts them all.
    risk : Risk, optional
        An :func:`assess_risk` of ``G`` with the same ``listed``, ``hops``, ``decay``, ``prior`` and
        ``people``: its exposure is reused, and each row carries its ``reputation``, ``support``
        and ``risk`` (instead of ``reputation`` and ``support``).

    Returns
    -------
    list of dict
        One row per party, by rank: ``id``, ``name``, ``score``, ``rank``, ``listed`` (bool),
        ``exposed_to`` (number of listed parties with a non-zero contribution), ``exposures``
        (``id``, ``name``, ``contribution`` — the parts sum to the score —, ``hypothetical`` when
        so, and ``path``: the strongest contributing path as a list of ids, with its ``strength``),
        and with ``reputation`` given, ``reputation``, its ``support`` and ``risk``.

    Raises
    ------
    NotFoundError
        When a ``listed`` node is not in the graph.
    ConfigurationError
        When a parameter is out of range.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "b", positive=1.0, negative=0.0)
    >>> G.add_edge("b", "bad", positive=1.0, negative=0.0)
    >>> rows = contagion(G, listed=["bad"], prior=0.0)
    >>> [(r["id"], r["score"]) for r in rows]
    [('bad', 1.0), ('b', 1.0), ('a', 0.5)]
    >>> rows[2]["exposures"][0]["path"]
    ['a', 'b', 'bad']
    """
    _check(hops, decay, prior)
    if max_exposures < 0:
        raise ConfigurationError(f"max_exposures must be ≥ 0, got {max_exposures!r}")
    snap = as_snapshot(G)
    if snap.n == 0:
        return []
    mask = _mask(snap, listed)
    rep_arr: np.ndarray | None = None
    sup_arr: np.ndarray | None = None
    risk_arr: np.ndarray | None = None
    if risk is not None:
        if risk.snapshot is not snap and not isinstance(G, Snapshot):
            snap = risk.snapshot  # assessed from the same NetworkX graph: one compilation
            mask = _mask(snap, listed)
        if (risk.snapshot is not snap or (risk.hops, risk.decay, risk.prior) != (hops, decay, prior)
                or people is not None or not np.array_equal(risk.listed, mask)):
            raise ConfigurationError("risk was assessed on another graph or with other parameters")
        ties, score = risk._ties, risk.exposure
        chosen = _views(ties, mask, hops, decay)[1]
        rep_arr, sup_arr, risk_arr = risk.reputation, risk.support, risk.risk
    else:
        ties = _ties(snap, people, prior)
        score, chosen = _views(ties, mask, hops, decay)
        if reputation is not None:
            rep_arr, sup_arr = _per_party(snap, reputation, 0.5), _per_party(snap, support, 1.0)
            risk_arr = _combined(score, rep_arr, sup_arr)
    order, ranks = _ranks(snap.id_ranks(), score, mask)
    if limit is not None:
        order = order[: max(int(limit), 0)]
    hypothetical = mask & ~np.asarray(snap.listed, dtype=bool)
    listed_idx = np.flatnonzero(mask)
    rows = order[~mask[order]]
    contrib = np.zeros((len(rows), int(mask.sum())))
    groups = _groups(ties, mask) if (chosen[rows] == 2).any() else None
    for code, which in enumerate((chosen[rows] == 0, chosen[rows] == 1, chosen[rows] == 2)):
        if not which.any():
            continue
        if code == 2 and groups is not None:  # listed parties are groups alone, numbered in the same order
            contrib[which] = (_contributions(groups.ties, groups.mask, groups.label[rows[which]], hops, decay)
                              * groups.member[rows[which], None])
        else:
            contrib[which] = _contributions(ties.endorse if code == 1 and ties.endorse is not None else ties,
                                            mask, rows[which], hops, decay)
    row_of = {int(i): k for k, i in enumerate(rows)}
    out: list[dict[str, Any]] = []
    for n_row, i in enumerate(order.tolist()):
        if n_row % 256 == 0:
            check_deadline()
        row: dict[str, Any] = {
            "id": snap.node(i),
            "name": snap.names[i],
            "score": float(score[i]),
            "rank": int(ranks[i]),
            "listed": bool(mask[i]),
        }
        if rep_arr is not None and sup_arr is not None and risk_arr is not None:
            row["reputation"] = float(rep_arr[i])
            row["support"] = float(sup_arr[i])
            row["risk"] = float(risk_arr[i])
        row["view"] = VIEWS[int(chosen[i])] if not mask[i] else None
        row["group"] = int(groups.size[groups.label[i]]) if groups is not None and chosen[i] == 2 else None
        exposures: list[dict[str, Any]] = []
        count = 0
        if not mask[i]:
            c = contrib[row_of[i]]
            nz = np.flatnonzero(np.abs(c) > 1e-15)
            count = len(nz)
            top = nz[np.lexsort((listed_idx[nz], -np.abs(c[nz])))][:max_exposures]
            paths = _explained_paths(ties, groups, mask, i, int(chosen[i]), listed_idx[top], hops, decay)
            for j in top.tolist():
                target = int(listed_idx[j])
                entry = _listing(snap, target, hypothetical)
                entry["contribution"] = float(c[j])
                path, strength = paths.get(target, ([], 0.0))
                entry["path"] = [snap.node(v) for v in path]
                entry["path_strength"] = strength
                exposures.append(entry)
        row["exposed_to"] = count
        row["exposures"] = exposures
        out.append(row)
    return out


def _combined(exposure: np.ndarray, reputation: np.ndarray, support: np.ndarray) -> np.ndarray:
    """:func:`combined_risk` on arrays."""
    e = np.asarray(exposure, dtype=float)
    e_pos = np.maximum(e, 0.0)
    e_neg = np.minimum(np.maximum(-e, 0.0), 1.0 - 1e-9)
    x = 2.0 * np.asarray(reputation, dtype=float) - 1.0
    w = np.maximum(np.asarray(support, dtype=float), 0.0)
    full = e_pos >= 1.0
    v = np.divide(e_pos, 1.0 - e_pos, out=np.zeros_like(e_pos), where=~full)
    u = e_neg / (1.0 - e_neg)
    wv = w + v + u
    x_new = np.divide(w * x - v + u, wv, out=np.zeros_like(e_pos), where=wv > 0)
    return np.where(full, 1.0, np.minimum(1.0, np.maximum(0.0, (1.0 - x_new) / 2.0)))


def combined_risk(
    exposure: Mapping[Any, float],
    reputation: Mapping[Any, float] | None,
    support: Mapping[Any, float] | None = None,
) -> dict[Any, float]:
    """Risk from one's own record and one's ties: exposure as one more voice against the party.

    A party's reputation is a mean of the opinions it receives, resting on ``support`` full voices
    (:func:`trustgraph.analysis.reputation.reputation_support`). Ties to listed parties join that
    mean as one more opinion, whose voice is the odds of the exposure — the party's activity with
    listed parties against the rest of it: an opinion of −1 (no trust) for an association
    (``e⁺ = max(e, 0)``), of +1 for a distancing (``e⁻ = max(−e, 0)``: on balance the party warned
    about, reported or left listed parties)::

        v = e⁺ / (1 − e⁺),    u = e⁻ / (1 − e⁻),    x = 2·reputation − 1,
        x' = (support·x − v + u) / (support + v + u),    risk = (1 − x') / 2

    So exposure weighs most on parties little is known about, a party with a long, good record is
    not condemned by one listed partner, and as a party's activity becomes all with listed parties
    (``e⁺ → 1``) its risk goes to that of a listed party, 1. Without exposure the risk is
    ``1 − reputation``; with nothing known (reputation 0.5, support 1) it ranks parties as their
    exposure does. Listed parties (exposure 1) have risk 1.

    Parameters
    ----------
    exposure : mapping
        Node → exposure in [−1, 1] (:func:`contagion_scores`).
    reputation : mapping or None
        Node → reputation in [0, 1]; missing nodes (or ``None``) count as 0.5 (nothing known).
    support : mapping or None
        Node → the voices the reputation rests on; missing nodes (or ``None``) count as 1, the
        reputation's prior alone.

    Returns
    -------
    dict
        Node → risk in [0, 1], for the nodes of ``exposure``.

    Examples
    --------
    >>> risk = combined_risk({"a": 0.0, "b": 0.5, "c": -0.2, "d": 0.5}, {"a": 0.9, "b": 0.9, "c": 0.9, "d": 0.9},
    ...                      {"a": 1.0, "b": 1.0, "c": 1.0, "d": 10.0})
    >>> {k: round(v, 3) for k, v in risk.items()}
    {'a': 0.1, 'b': 0.55, 'c': 0.08, 'd': 0.182}
    """
    rep = reputation or {}
    sup = support or {}
    nodes = list(exposure)
    risk = _combined(np.array([float(exposure[v]) for v in nodes]), np.array([float(rep.get(v, 0.5)) for v in nodes]),
                     np.array([float(sup.get(v, 1.0)) for v in nodes]))
    return dict(zip(nodes, risk.tolist(), strict=True))


@dataclass(frozen=True, eq=False)
class Risk:
    """Reputation, exposure and the combined risk of every party (:func:`assess_risk`).

    Attributes
    ----------
    snapshot : Snapshot
        The parties; every array is in its index order.
    reputation, support : numpy.ndarray
        Reputation in [0, 1] and the voices it rests on (:func:`trustgraph.analysis.reputation.reputation`).
    exposure : numpy.ndarray
        Exposure to listed parties in [−1, 1] (:func:`contagion_scores`).
    risk : numpy.ndarray
        The combined risk in [0, 1] (:func:`combined_risk`).
    listed : numpy.ndarray
        Which parties were counted as listed.
    hops, decay, prior : int, float, float
        The exposure's parameters.
    """

    snapshot: Snapshot
    reputation: np.ndarray
    support: np.ndarray
    exposure: np.ndarray
    risk: np.ndarray
    listed: np.ndarray
    hops: int
    decay: float
    prior: float
    _ties: _Ties = field(repr=False)

    def to_dict(self, measure: str) -> dict[Any, float]:
        """Node → ``reputation``, ``support``, ``exposure`` or ``risk``."""
        if measure not in ("reputation", "support", "exposure", "risk"):
            raise ConfigurationError(f"measure must be reputation, support, exposure or risk, got {measure!r}")
        return dict(zip(self.snapshot.ids, getattr(self, measure).tolist(), strict=True))


def assess_risk(
    G: Snapshot | nx.DiGraph,
    *,
    reputation: Any = None,
    support: Mapping[Any, float] | None = None,
    pretrusted: Iterable[Hashable] | Mapping[Hashable, float] | None = None,
    listed: Iterable[Hashable] | None = None,
    hops: int = DEFAULT_HOPS,
    decay: float = DEFAULT_DECAY,
    prior: float = DEFAULT_PRIOR,
    people: pd.DataFrame | None = None,
) -> Risk:
    """Every party's reputation, exposure and combined risk: the one place they are assembled.

    The reputation (:func:`trustgraph.analysis.reputation.reputation`, from ``pretrusted``) and
    what it rests on, the exposure through the ties each party chose and the people it shares
    (:func:`contagion_scores`), and :func:`combined_risk` of the two. ``trustgraph analyze``,
    ``trustgraph contagion`` and the map's risk colours all come from here.

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph. Not modified.
    reputation : ReputationResult, mapping or None
        A reputation already computed (a :class:`~trustgraph.analysis.reputation.ReputationResult`
        of ``G``, or node → score with ``support`` node → voices; missing nodes count as 0.5 resting
        on 1 voice, so an empty mapping means "nothing known"). Default: computed from ``pretrusted``.
    support : mapping, optional
        With a ``reputation`` mapping: node → the voices it rests on.
    pretrusted : iterable or mapping, optional
        The pre-trusted set of the reputation (default: the parties marked pre-trusted). With none
        given and none marked, the reputation has no anchor and is not used: every party's counts
        as 0.5 on one voice (nothing known), so the risk ranks as the exposure does.
    listed, hops, decay, prior, people
        As in :func:`contagion_scores`.

    Returns
    -------
    Risk

    Raises
    ------
    NotFoundError
        When a pre-trusted or listed node is not in the graph.
    ConfigurationError
        When a parameter is out of range.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("hub", "a", {"trust": 0.75, "positive": 1.0, "negative": 0.0}),
    ...                 ("a", "bad", {"trust": 0.75, "positive": 1.0, "negative": 0.0})])
    >>> r = assess_risk(G, pretrusted=["hub"], listed=["bad"], prior=0.0)
    >>> r.exposure.tolist(), r.risk.round(3).tolist()
    ([0.5, 1.0, 1.0], [0.612, 1.0, 1.0])
    """
    _check(hops, decay, prior)
    snap = as_snapshot(G)
    if reputation is None and pretrusted is None and not np.any(snap.pretrusted):
        # No anchor: a reputation propagated from everyone rewards a clique that vouches for itself
        # (docs/threat-model.md), so risk does not use it — nothing is known (0.5, the prior's one voice).
        rep_arr, sup_arr = np.full(snap.n, 0.5), np.ones(snap.n)
    elif reputation is None:
        from .reputation import reputation_arrays

        _, rep_arr, sup_arr = reputation_arrays(snap, pretrusted=pretrusted)
    elif hasattr(reputation, "array"):
        rep_arr, sup_arr = reputation.array("score"), reputation.array("support")
    else:
        rep_arr, sup_arr = _per_party(snap, reputation, 0.5), _per_party(snap, support, 1.0)
    mask = _mask(snap, listed)
    ties = _ties(snap, people, prior)
    exposure = _scores(ties, mask, hops, decay) if snap.n else np.zeros(0)
    return Risk(snap, rep_arr, sup_arr, exposure, _combined(exposure, rep_arr, sup_arr), mask, hops, decay, prior,
                ties)


# --------------------------------------------------------------------------------------------------
# Exposure paths


def _reach(ties: _Ties, mask: np.ndarray, hops: int) -> np.ndarray:
    """Fewest ties from each party to a listed party (hops + 1 when more than ``hops``)."""
    n = ties.assoc.shape[0]
    dist = np.full(n, hops + 1, dtype=np.int64)
    # One tie (of either sign) into a listed party, then net-positive ties through unlisted parties.
    frontier = np.zeros(n, dtype=bool)
    frontier[np.unique(ties.magnitude.tocsc()[:, np.flatnonzero(mask)].tocoo().row)] = True
    dist[frontier] = 1
    reached = frontier.copy()
    for k in range(2, hops + 1):
        prev = (frontier & ~mask).astype(float)
        nxt = (ties.assoc @ prev) > 0
        nxt &= ~reached
        dist[nxt] = k
        reached |= nxt
        frontier = nxt
    return dist


def _row_max(M: sp.csr_matrix, weight: np.ndarray) -> np.ndarray:
    """Each row's largest ``|M[v, u]| · weight[u]`` (0 for an empty row)."""
    out = np.zeros(M.shape[0])
    if M.nnz:
        rows = np.flatnonzero(np.diff(M.indptr))
        out[rows] = np.maximum.reduceat(np.abs(M.data) * weight[M.indices], M.indptr[rows])
    return out


def _bounds(ties: _Ties, mask: np.ndarray, hops: int, decay: float) -> np.ndarray:
    """``bound[r, v]``: the strongest any continuation of at most ``r`` ties from ``v`` to a listed
    party can be, as the factor it multiplies a path's strength by (``δ`` and the share of each tie
    added) — an upper bound, as it ignores that a path never revisits a party. It orders the
    best-first walk of :func:`exposure_paths` by what a partial path can still become rather than by
    what it is (A* with an admissible, consistent bound): the same paths, in the same order, after
    far fewer partial paths are expanded from a hub."""
    bound = np.zeros((hops + 1, ties.assoc.shape[0]))
    bound[1] = decay * _row_max(ties.final, mask.astype(float))  # hops ≥ 1 (checked by the callers)
    through = (~mask).astype(float)
    for r in range(2, hops + 1):
        bound[r] = np.maximum(bound[1], decay * _row_max(ties.assoc, bound[r - 1] * through))
    return bound


def exposure_paths(
    G: Snapshot | nx.DiGraph,
    source: Hashable,
    *,
    listed: Iterable[Hashable] | None = None,
    hops: int = DEFAULT_HOPS,
    decay: float = DEFAULT_DECAY,
    prior: float = DEFAULT_PRIOR,
    people: pd.DataFrame | None = None,
    evidence: pd.DataFrame | None = None,
    limit: int | None = None,
    evidence_about: Callable[[Sequence[Any]], tuple[pd.DataFrame, pd.DataFrame]] | None = None,
) -> dict[str, Any]:
    """Every path of at most ``hops`` ties from ``source`` to a listed party, strongest first.

    A path follows the source's own ties (see the module docs): net-positive ties through unlisted
    parties, then one tie of either sign into a listed party. Its ``strength`` is its contribution
    to the source's :func:`contagion_scores` — the product of the shares of activity along it times
    ``decay^(ties − 1)``, negative when the last tie is a distancing — so the strengths of all paths
    add up to the score (up to walks that revisit a party, which the score also counts). Paths are
    produced best-first (every tie multiplies by a share ≤ 1, so a path is never stronger than its
    prefix), which makes ``limit`` cheap.

    Parameters
    ----------
    G : networkx.DiGraph
        The trust graph (:func:`trustgraph.graph.project`). Not modified.
    source : node
        The party whose exposure is explained.
    listed, hops, decay, prior, people
        As in :func:`contagion_scores`.
    evidence : pandas.DataFrame, optional
        The :func:`trustgraph.evidence.evidence_frame` the graph was projected from; each tie then
        lists its evidence rows (kind, ref, date, value, decayed value, detail), newest first.
    limit : int, optional
        Stop after this many paths.
    evidence_about : callable, optional
        Instead of ``evidence`` (and of ``people`` for the ties' details): a function of the parties
        on the paths found that returns the evidence rows and the shared-people rows about them
        (e.g. :func:`trustgraph.evidence.evidence_frame` and :func:`shared_people` of
        :meth:`trustgraph.store.base.Store.about`, with the snapshot's as-of and half-life), so that
        explaining a few paths does not read a whole network.

    Returns
    -------
    dict
        ``id``, ``name``, ``listed`` (whether the source itself is listed), ``score`` (its
        exposure), ``hops``, ``paths``: a list of ``listed`` (the listed party, with its listings or
        ``hypothetical``), ``hops``, ``strength``, ``path`` (ids) and ``ties`` (``from``, ``to``,
        ``kinds``, ``date`` of the newest evidence, ``strength`` = net decayed evidence, ``share``
        of the ``from`` party's activity, signed, ``sign``, and ``evidence`` rows when given).

    Raises
    ------
    NotFoundError
        When ``source`` or a ``listed`` node is not in the graph.
    ConfigurationError
        When a parameter is out of range.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("a", "bad", positive=1.0, negative=0.0)
    >>> G.add_edge("a", "b", positive=1.0, negative=0.0)
    >>> G.add_edge("b", "bad", positive=0.0, negative=1.0)
    >>> doc = exposure_paths(G, "a", listed=["bad"], prior=0.0)
    >>> [(p["path"], p["strength"]) for p in doc["paths"]]
    [(['a', 'bad'], 0.5), (['a', 'b', 'bad'], -0.25)]
    """
    _check(hops, decay, prior)
    snap = as_snapshot(G)
    found_start = snap.find(source)
    if found_start is None:
        raise NotFoundError(f"no organisation {source!r}")
    start: int = found_start
    ties = _ties(snap, people, prior)
    mask = _mask(snap, listed)
    hypothetical = mask & ~np.asarray(snap.listed, dtype=bool)
    score, chosen = _kept(ties, ("contagion-views", hops, decay), mask, lambda: _views(ties, mask, hops, decay))
    whole = ties
    code = int(chosen[start])  # explained by the view that gave the score
    if code and ties.endorse is not None:
        ties = ties.endorse
    groups = _groups(whole, mask) if code == 2 else None
    if groups is not None:  # walks over vouching groups, each named by its first member
        view, vmask, origin, first = groups.ties, groups.mask, int(groups.label[start]), groups.first
    else:
        view, vmask, origin, first = ties, mask, start, np.arange(snap.n)
    dist = _kept(whole, ("contagion-reach", hops, code), mask, lambda: _reach(view, vmask, hops))
    bound = _kept(whole, ("contagion-bounds", hops, decay, code), mask, lambda: _bounds(view, vmask, hops, decay))
    P, S = view.assoc, view.final  # S: the last tie, into a listed party
    found: list[tuple[list[int], float]] = []
    labels: dict[int, str] = {}

    def name(v: int) -> str:
        if v not in labels:
            labels[v] = str(snap.node(int(first[v])))
        return labels[v]

    # Heap of (−|key|, ids along the path (ties broken by them), path, product of shares so far),
    # with key = δ^(ties − 1)·product.
    entry = float(groups.member[start]) if groups is not None else 1.0  # a member's share in its group
    heap: list[tuple[float, tuple[str, ...], tuple[int, ...], float]] = [(-entry, (name(origin),), (origin,), entry)]
    popped = 0
    while heap and (limit is None or len(found) < limit):
        popped += 1
        if popped % 1024 == 0:
            check_deadline()
        _, label, path, prod = heapq.heappop(heap)
        last = path[-1]
        if len(path) > 1 and vmask[last]:
            found.append((list(path), prod * decay ** (len(path) - 2)))
            continue
        used = len(path) - 1
        if used >= hops:
            continue
        factor = decay ** used  # the δ of the tie about to be added (none for the first)
        on_path = set(path)
        # A hub's row is thousands of ties: keep, with numpy, only those that can end a path in time.
        lo, hi = S.indptr[last], S.indptr[last + 1]
        to, share = S.indices[lo:hi], S.data[lo:hi]
        end = vmask[to]
        for v, sv in zip(to[end].tolist(), share[end].tolist(), strict=True):
            if v in on_path:
                continue
            w = prod * sv
            heapq.heappush(heap, (-abs(w) * factor, (*label, name(v)), (*path, v), float(w)))
        # Through an unlisted party: keyed by the most the path can still become (see _bounds).
        lo, hi = P.indptr[last], P.indptr[last + 1]
        to, share = P.indices[lo:hi], P.data[lo:hi]
        on = ~vmask[to] & (dist[to] <= hops - used - 1)
        to, share = to[on], share[on]
        for v, p, b in zip(to.tolist(), share.tolist(), bound[hops - used - 1][to].tolist(), strict=True):
            if v in on_path:
                continue
            w = prod * p
            heapq.heappush(heap, (-abs(w) * factor * b, (*label, name(v)), (*path, v), float(w)))
    if groups is not None:  # group walks as parties
        found = [(groups.path(start, walk), strength) for walk, strength in found]
    shown_people = people
    if evidence_about is not None and found:
        parties = sorted({snap.node(v) for nodes_i, _ in found for v in nodes_i}, key=str)
        evidence, shown_people = evidence_about(parties)
    paths = []
    given = people is not None or evidence_about is not None
    by_evidence, by_people = _ByPair(evidence), _ByPair(shown_people)
    tau = _timing(snap)[1 if code else 0]  # the endorsement and group views time referrals alone
    for n_path, (nodes_i, strength) in enumerate(found):
        if n_path % 64 == 0:
            check_deadline()
        ids = [snap.node(v) for v in nodes_i]
        inside = 0 if groups is None else int((groups.label[nodes_i[:-1]] == groups.label[nodes_i[1:]]).sum())
        paths.append({
            "listed": _listing(snap, nodes_i[-1], hypothetical),
            "hops": len(ids) - 1 - inside,  # steps inside a vouching group are not ties
            "strength": strength,
            "path": ids,
            "ties": [_group_step(u, v, entry if k == 0 else 0.0)
                     if groups is not None and groups.label[iu] == groups.label[iv]
                     else _tie(snap, ties, by_people, u, v, iu, iv, by_evidence, given, final=k == len(ids) - 2,
                               tau=tau)
                     for k, ((u, v), (iu, iv)) in enumerate(zip(itertools.pairwise(ids), itertools.pairwise(nodes_i),
                                                                 strict=True))],
        })
    return {
        "id": source,
        "name": snap.names[start],
        "listed": bool(mask[start]),
        "score": float(score[start]),
        "hops": hops,
        "view": None if mask[start] else VIEWS[code],
        "group": int(groups.size[groups.label[start]]) if groups is not None else None,
        "paths": paths,
    }


def _group_step(u: Any, v: Any, share: float) -> dict[str, Any]:
    """A step of a group-view path between two members of one vouching group (not a tie of its own):
    from the party explained, ``share`` is the share of its referral activity that went to the group."""
    return {"from": u, "to": v, "kinds": ["vouching group"], "date": None, "strength": 0.0, "share": share,
            "sign": "association"}


# --------------------------------------------------------------------------------------------------
# What-if


def what_if(
    G: Snapshot | nx.DiGraph,
    hypothetical: Iterable[Hashable],
    *,
    listed: Iterable[Hashable] | None = None,
    hops: int = DEFAULT_HOPS,
    decay: float = DEFAULT_DECAY,
    prior: float = DEFAULT_PRIOR,
    people: pd.DataFrame | None = None,
    tol: float = 1e-12,
) -> list[dict[str, Any]]:
    """The impact of listing ``hypothetical`` parties, before it happens.

    Scores every party with the current listings and again with ``hypothetical`` added (the graph
    is not modified and nothing is written anywhere), and reports the parties whose score changes.

    Parameters
    ----------
    G : networkx.DiGraph
        The trust graph. Not modified.
    hypothetical : iterable of nodes
        Parties to list hypothetically (already listed ones change nothing).
    listed : iterable of nodes, optional
        The current listings (default: the nodes whose ``listed`` attribute is true).
    hops, decay, prior, people
        As in :func:`contagion_scores`.
    tol : float
        Changes of at most this size are not reported.

    Returns
    -------
    list of dict
        One row per affected party, largest change first (ties by id): ``id``, ``name``,
        ``before``, ``after``, ``change``, ``rank_before``, ``rank_after``, ``hypothetical``
        (whether it is one of the parties listed hypothetically), and ``score`` = ``after`` and
        ``rank`` = ``rank_after``.

    Raises
    ------
    NotFoundError
        When a hypothetical or listed node is not in the graph.
    ConfigurationError
        When a parameter is out of range.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("a", "b", {"positive": 1.0, "negative": 0.0})])
    >>> [(r["id"], r["before"], r["after"]) for r in what_if(G, ["b"], listed=[], prior=0.0)]
    [('a', 0.0, 1.0), ('b', 0.0, 1.0)]
    """
    _check(hops, decay, prior)
    extra = list(hypothetical)
    snap = as_snapshot(G)
    if snap.n == 0:
        if extra:
            raise NotFoundError(f"no organisation {extra[0]!r} (hypothetical)")
        return []
    before_mask = _mask(snap, listed)
    ties = _ties(snap, people, prior)
    after_mask = before_mask | _listed_mask(snap, extra)
    before = _scores(ties, before_mask, hops, decay)
    after = _scores(ties, after_mask, hops, decay)
    keys = snap.id_ranks()
    _, rank_before = _ranks(keys, before)
    _, rank_after = _ranks(keys, after)
    change = after - before
    changed = np.flatnonzero(np.abs(change) > tol)
    changed = changed[np.lexsort((keys[changed], -np.abs(change[changed])))]
    extra_set = set(extra)
    return [
        {
            "id": snap.node(i),
            "name": snap.names[i],
            "before": float(before[i]),
            "after": float(after[i]),
            "change": float(change[i]),
            "rank_before": int(rank_before[i]),
            "rank_after": int(rank_after[i]),
            "hypothetical": snap.node(i) in extra_set,
            "score": float(after[i]),
            "rank": int(rank_after[i]),
        }
        for i in changed.tolist()
    ]
