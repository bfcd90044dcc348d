"""Reputation propagation: EigenTrust over positive local trust, distrust applied one step.

How reputable is a party, as seen from a set of parties we already trust? The answer has two steps,
each from a published method, and two parameters (the damping and a shrinkage prior).

1. **Propagated trust** (EigenTrust; Kamvar, Schlosser & Garcia-Molina, "The EigenTrust Algorithm
   for Reputation Management in P2P Networks", WWW 2003). Each edge ``i → j`` of the projected graph
   carries *i*'s local trust in *j*, a Beta expectation in (0, 1) (:mod:`trustgraph.evidence`). Its
   re-centred value ``w_ij = 2·trust_ij − 1`` in (−1, 1) is *i*'s signed **opinion** of *j*
   (with *r* positive and *s* negative evidence it equals ``(r − s) / (r + s + 2)``). Only the
   positive part ``w⁺_ij = max(w_ij, 0)`` endorses, with the share ::

       c_ij = w⁺_ij / max(1, Σ_k w⁺_ik)          ("capped", the default)

   The trust vector is the personalised PageRank ::

       t = α · Cᵀ t + (α · unpassed + 1 − α) · p

   with ``p`` the pre-trusted distribution (uniform over the pre-trusted set, or the ``source`` alone
   for a personalised view, or uniform over everyone when nobody is pre-trusted) and ``α`` the damping.
   Trust a party does not pass on returns to ``p`` — all of it for a party that endorses nobody, as
   Kamvar et al. do for inactive peers — so it never leaks to parties the pre-trusted set cannot reach; ``t`` sums
   to 1. Kamvar et al. normalise by ``Σ_k w⁺_ik`` alone because their local trust is a raw count of
   satisfactory transactions with no scale; ours is a calibrated expectation, and normalising it
   would turn a party's single lukewarm opinion (+0.1) into a full endorsement, the entry point of a
   link farm: a clique that praises itself multiplies whatever trust enters it by up to 1/(1 − α).
   Capping passes on at most what the opinions say; ``endorsement="normalised"`` restores Kamvar's
   share.

2. **Reputation, with one-step distrust** (Guha, Kumar, Raghavan & Tomkins, "Propagation of Trust
   and Distrust", WWW 2004). Distrust is *not* propagated — "the enemy of my enemy is my friend" is
   wrong too often — but applied once, at the last step: a party's reputation is the mean of the
   opinions it receives, each weighted by its rater's **voice**, shrunk toward neutral ::

       v_i = min(1, N·t_i)                                  (voice of rater i)
       x_j = (Σ_i v_i·w_ij + d_j) / (Σ_i v_i + d_j + κ),      score_j = (1 + x_j) / 2

   A rater's voice is its propagated trust in units of the average share 1/N, **capped at one full
   voice**: a party that trust reaches at least as well as the average party is fully credible; one
   that trust barely reaches (a clique hanging off one lukewarm endorsement) speaks in proportion,
   and one it does not reach at all has no voice. The cap is the point: PageRank mass also measures
   popularity — in leak-free Bitcoin OTC some hubs hold up to a hundred times the average share —
   and a mean weighted by raw mass is the opinion of a few hubs, with everybody else's rounding
   error. Credibility is whether a rater's word counts, not how many parties endorse it.
   ``d_j = N·(1 − α)·p_j`` is the analyst's declared trust in a pre-trusted party (or the source's
   in itself), an opinion of +1 in the same units (the part of *j*'s trust that comes straight from
   the teleport) — absent when nobody is pre-trusted; a pre-trusted party also speaks with at least
   that voice, since the analyst vouches for what it says — and
   ``κ = shrinkage`` neutral pseudo-opinions of full voice, the analogue of the Beta prior's
   pseudo-counts: one opinion from a credible rater moves a score halfway to it, many move it fully,
   opinions from barely trusted raters move it little.

A party that no trusted party has rated scores exactly 0.5 ("nothing known"); 1 would be
unanimous, fully confident praise from the pre-trusted set, 0 the opposite. A clique whose members
only vouch for each other receives no trust from outside, so its members keep 0.5 whatever they say
about each other, and their opinions move nobody else's score (the role Kamvar et al. give the
pre-trusted peers against malicious collectives).

Nobody pre-trusted
------------------
With no pre-trusted party (none given, none marked) and no ``source``, there is no anchor and
nothing is known: ``p = 0``, propagated trust 0, every score 0.5. A uniform ``p`` (plain PageRank)
would lose the resistance above — a dense clique vouching for itself gains reputation — and no
unanchored (symmetric) reputation function can avoid that (Cheng & Friedman, "Sybilproof reputation
mechanisms", P2PEcon 2005). ``pretrusted=EVERYONE`` still gives the uniform teleport, for
label-free benchmarks.

Listed parties have no voice
----------------------------
A party with a listing in force (the blacklist, :func:`trustgraph.graph.active_listings`) has been
declared too risky to work with: its opinions neither pass trust on nor rate anyone (its out-edges
are left out of both steps; the trust that reaches it returns to ``p``, as for a party that endorses
nobody). Otherwise a listed party that honest parties once vouched for would lend its standing to
the shells it vouches for — the opposite of what the listing says (docs/threat-model.md). Its own
reputation is computed as any party's, from what others say of it.

Explanations are exact: ``score_j = 0.5 + Σ`` of the contributions of each rater (and of the
declared trust), and each rater's contribution splits further by evidence kind (track record,
referrals, incidents, communications) because ``w_ij`` is linear in the net evidence of each kind.

Ranks and percentiles
---------------------
``rank`` is 1 for the best score; equal scores (to 12 decimals, below the solver's noise)
share the best rank of their group (competition ranking, "1224"). ``percentile`` is the share, in %,
of the *other* parties that score lower, ties counting half (a mid-rank percentile): 100 = better
than everyone, 0 = worse than everyone, 50 = the middle; with a single party it is 100.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from ..errors import ConfigurationError, NotFoundError, TrustgraphError
from ..snapshot import KINDS, Snapshot, as_snapshot, row_pointers

if TYPE_CHECKING:  # heavy imports only where used
    import networkx as nx
    import pandas as pd

__all__ = [
    "DEFAULT_DAMPING",
    "DEFAULT_SHRINKAGE",
    "ENDORSEMENTS",
    "EVERYONE",
    "VOICES",
    "BREAKDOWN_KINDS",
    "ReputationResult",
    "reputation",
    "reputation_arrays",
    "reputation_scores",
    "reputation_support",
    "propagated_trust",
]

#: Kamvar et al.'s and Brin & Page's choice: a random walk follows 5–6 endorsements on average.
DEFAULT_DAMPING = 0.85
#: One neutral pseudo-opinion of full voice (the Beta prior's spirit: one unit of "unknown").
DEFAULT_SHRINKAGE = 1.0



class _Everyone:
    """The ``pretrusted`` value for trust that starts from every party equally (plain PageRank)."""

    def __repr__(self) -> str:
        return "EVERYONE"


#: ``pretrusted=EVERYONE``: trust starts from every party equally (a uniform teleport, nothing
#: declared) — the unanchored view a dense clique can exploit; the default without an anchor is
#: nothing known instead (module docs, "Nobody pre-trusted"). For label-free benchmarks.
EVERYONE: Any = _Everyone()

#: How a party's trust is shared among those it endorses (see the module docs).
ENDORSEMENTS = ("capped", "normalised")
#: How much a rater's opinions count: "capped" (the default, see the module docs) or "mass", the
#: raw propagated trust in units of the average share, uncapped (an ablation: hubs dominate).
VOICES = ("capped", "mass")

#: Evidence kind (:func:`trustgraph.evidence.evidence_frame`) → breakdown key.
BREAKDOWN_KINDS: dict[str, str] = {
    "partnership": "track_record",
    "referral": "referrals",
    "incident": "incidents",
    "communication": "communications",
}
_KEYS = ("track_record", "referrals", "incidents", "communications")
#: The breakdown column of each snapshot kind column (:data:`trustgraph.snapshot.KINDS`).
_KIND_COLUMN = np.array([_KEYS.index(BREAKDOWN_KINDS[k]) for k in KINDS], dtype=np.int64)

@dataclass(frozen=True, eq=False)
class _Parts:
    """How each rated edge's opinion splits by evidence kind (computed for the edges asked for)."""

    keys: tuple[str, ...]
    matrix: np.ndarray | None = None  # (edges, keys), precomputed
    kind_net: np.ndarray | None = None  # snapshot rows (m × 4) with ``edge_ids`` mapping rated edges to them
    edge_ids: np.ndarray | None = None
    total: np.ndarray | None = None  # positive + negative + 2 per snapshot edge

    def of(self, e: np.ndarray, opinion: np.ndarray) -> np.ndarray:
        """Parts of the rated edges ``e`` (their opinions ``opinion``), columns as :attr:`keys`."""
        if self.matrix is not None:
            return self.matrix[e]
        assert self.kind_net is not None and self.edge_ids is not None and self.total is not None
        rows = self.edge_ids[e]
        parts = np.zeros((len(e), len(self.keys)))
        parts[:, _KIND_COLUMN] = self.kind_net[rows] / self.total[rows][:, None]
        residual = opinion - parts.sum(axis=1)
        parts[:, len(_KEYS)] += np.where(np.abs(residual) > 1e-9, residual, 0.0)
        return parts


@dataclass(frozen=True, eq=False)
class ReputationResult:
    """Reputation of every party of a graph, with what explains it.

    The per-party values are kept as arrays over the snapshot's parties; the dictionaries below
    are built on first use, so a caller that wants the top few (:meth:`ranking`, :meth:`explain`)
    never pays for one entry per party.

    Attributes
    ----------
    scores, ranks, percentiles, trust : dict
        Node → score in [0, 1], rank (1 = best), percentile in [0, 100], and propagated
        (EigenTrust) trust, which sums to 1. See the module docs for their definitions.
    support : dict
        Node → how many full voices its score rests on: its raters' voices, the declared trust
        in it and the prior ``κ`` (so at least ``κ``). :func:`trustgraph.analysis.contagion.combined_risk`
        weighs exposure against it.
    pretrusted : dict
        Node → teleport weight ``p`` (nodes with weight 0 omitted).
    source : node or None
        The party whose personalised view this is.
    damping, shrinkage : float
        The parameters used.
    iterations : int
        Solver steps until convergence (BiCGSTAB iterations; LGMRES or power-iteration steps on
        the fallbacks).
    snapshot : Snapshot
        The parties (index order) the arrays of :meth:`array` follow.
    """

    snapshot: Snapshot
    source: Any
    damping: float
    shrinkage: float
    iterations: int
    _score: np.ndarray
    _rank: np.ndarray
    _percentile: np.ndarray
    _trust: np.ndarray
    _support: np.ndarray
    _p: np.ndarray | None  # teleport weights when declared
    _order: np.ndarray  # party indices, best first
    _src: np.ndarray  # rated edges
    _dst: np.ndarray
    _opinion: np.ndarray
    _scale: np.ndarray  # each rated edge's weight in score units
    _parts: _Parts
    _declared: np.ndarray
    _voice: np.ndarray  # each party's voice as a rater (≤ 1 unless pre-trusted)
    _counts: np.ndarray | None  # evidence rows received: (parties, kinds, all/positive/negative)

    def _as_dict(self, values: np.ndarray) -> dict[Any, Any]:
        return dict(zip(self.snapshot.ids, values.tolist(), strict=True))

    @cached_property
    def scores(self) -> dict[Any, float]:
        return self._as_dict(self._score)

    @cached_property
    def ranks(self) -> dict[Any, int]:
        return self._as_dict(self._rank)

    @cached_property
    def percentiles(self) -> dict[Any, float]:
        return self._as_dict(self._percentile)

    @cached_property
    def trust(self) -> dict[Any, float]:
        return self._as_dict(self._trust)

    @cached_property
    def support(self) -> dict[Any, float]:
        return self._as_dict(self._support)

    @cached_property
    def pretrusted(self) -> dict[Any, float]:
        if self._p is None:
            return {}
        return {self.snapshot.node(int(i)): float(self._p[i]) for i in np.flatnonzero(self._p)}

    @cached_property
    def _grouped(self) -> tuple[np.ndarray, np.ndarray]:
        """Rated edges grouped by target: edges into party j are ``by_dst[indptr[j]:indptr[j + 1]]``."""
        by_dst = np.argsort(self._dst, kind="stable")
        return by_dst, row_pointers(self._dst, self.snapshot.n)

    def _in_edges(self, j: int) -> np.ndarray:
        """The rated edges into party ``j``, in edge order: a scan for the first few parties asked
        about, then (when many are explained) grouped once."""
        calls = self.__dict__.get("_in_calls", 0) + 1
        self.__dict__["_in_calls"] = calls
        if calls <= 16 and "_grouped" not in self.__dict__:
            return np.flatnonzero(self._dst == j)
        by_dst, indptr = self._grouped
        return by_dst[indptr[j]:indptr[j + 1]]

    def array(self, measure: str) -> np.ndarray:
        """``score``, ``rank``, ``percentile``, ``trust`` or ``support`` of every party, in index order."""
        arrays = {"score": self._score, "rank": self._rank, "percentile": self._percentile, "trust": self._trust,
                  "support": self._support}
        if measure not in arrays:
            raise ConfigurationError(f"measure must be one of {', '.join(arrays)}, got {measure!r}")
        return arrays[measure]

    def __len__(self) -> int:
        return self.snapshot.n

    def ranking(self, top: int | None = None) -> list[Any]:
        """Every node (or the ``top`` first), best first (ties by node id)."""
        chosen = self._order if top is None else self._order[: max(int(top), 0)]
        return [self.snapshot.node(int(i)) for i in chosen]

    def explain(self, node: Hashable, *, top: int = 3) -> dict[str, Any]:
        """One party's reputation and where it comes from.

        Parameters
        ----------
        node : node
            A node of the graph.
        top : int
            How many contributors to list on each side.

        Returns
        -------
        dict
            ``id``, ``name``, ``score``, ``rank``, ``percentile``, ``trust`` (propagated),
            ``breakdown`` (score contribution per evidence kind and ``pretrusted``; they sum to
            ``score − 0.5``), ``support`` (the voices the score rests on, prior included),
            ``voice`` (how much its own opinions count as a rater), ``raters``
            (how many parties have an opinion of it), ``givers`` and ``takers`` (the ``top`` raters
            that raise and lower the score most: ``id``, ``name``, ``opinion`` in (−1, 1),
            ``trust``, ``voice``, ``contribution``), and ``evidence`` (counts of the
            evidence received by kind, when the result was computed from a compiled snapshot or
            with an evidence frame).

        Raises
        ------
        NotFoundError
            When ``node`` is not in the graph.
        """
        snap = self.snapshot
        j = snap.find(node)
        if j is None:
            raise NotFoundError(f"no organisation {node!r}")
        e = self._in_edges(j)
        opinion = self._opinion[e]
        scale = self._scale[e]
        contrib = scale * opinion
        src = self._src[e]
        parts = self._parts.of(e, opinion) * scale[:, None]
        breakdown = {k: float(v) for k, v in zip(self._parts.keys, parts.sum(axis=0), strict=True)}
        if breakdown.get("other") == 0.0:
            del breakdown["other"]  # every opinion was explained by its evidence
        breakdown["pretrusted"] = float(self._declared[j])
        order_pos = np.lexsort((src, -contrib))
        order_neg = np.lexsort((src, contrib))

        def who(k: int) -> dict[str, Any]:
            i = int(src[k])
            return {
                "id": snap.node(i),
                "name": snap.names[i],
                "opinion": float(opinion[k]),
                "trust": float(self._trust[i]),
                "voice": float(self._voice[i]),
                "contribution": float(contrib[k]),
            }

        out: dict[str, Any] = {
            "id": node,
            "name": snap.names[j],
            "score": float(self._score[j]),
            "rank": int(self._rank[j]),
            "percentile": float(self._percentile[j]),
            "trust": float(self._trust[j]),
            "voice": float(self._voice[j]),
            "support": float(self._support[j]),
            "breakdown": breakdown,
            "raters": len(e),
            "givers": [who(int(k)) for k in order_pos[:top] if contrib[k] > 0],
            "takers": [who(int(k)) for k in order_neg[:top] if contrib[k] < 0],
        }
        if self._counts is not None:
            out["evidence"] = _evidence_counts(self._counts[j])
        return out

    def rows(self, nodes: Iterable[Hashable] | None = None, *, top: int = 3) -> list[dict[str, Any]]:
        """:meth:`explain` for ``nodes`` (default: every node, best first)."""
        chosen = self.ranking() if nodes is None else list(nodes)
        return [self.explain(n, top=top) for n in chosen]


def _evidence_counts(counts: np.ndarray) -> dict[str, dict[str, int]]:
    """Evidence rows received per breakdown kind (sorted by key): how many, how many positive, negative."""
    found = {BREAKDOWN_KINDS[kind]: counts[k] for k, kind in enumerate(KINDS) if counts[k, 0] > 0}
    return {key: {"rows": int(c[0]), "positive": int(c[1]), "negative": int(c[2])}
            for key, c in sorted(found.items())}


def _teleport(
    snap: Snapshot, pretrusted: Iterable[Hashable] | Mapping[Hashable, float] | None, source: Hashable | None,
) -> tuple[np.ndarray, bool]:
    """The teleport distribution and whether it is a declared (non-uniform) choice."""
    n = snap.n
    if source is not None and pretrusted is not None:
        raise ConfigurationError("give a pre-trusted set or a source for a personalised view, not both")
    p = np.zeros(n)
    if pretrusted is EVERYONE:
        return np.full(n, 1.0 / n) if n else p, False
    if source is not None:
        i = snap.find(source)
        if i is None:
            raise NotFoundError(f"no organisation {source!r} (source)")
        p[i] = 1.0
        return p, True
    if pretrusted is None:
        marked = np.flatnonzero(snap.pretrusted)
        if not len(marked):
            # No anchor: nothing known (see the module docs, "Nobody pre-trusted").
            return p, False
        p[marked] = 1.0
        return p / p.sum(), True
    weights = pretrusted if isinstance(pretrusted, Mapping) else dict.fromkeys(pretrusted, 1.0)
    where = {v: snap.find(v) for v in weights}
    missing = [v for v, i in where.items() if i is None]
    if missing:
        raise NotFoundError(f"no organisation {missing[0]!r} (pre-trusted)" + (
            f" and {len(missing) - 1} more" if len(missing) > 1 else ""))
    for v, w in weights.items():
        if not np.isfinite(w) or w < 0:
            raise ConfigurationError(f"pre-trust weight of {v!r} must be ≥ 0, got {w!r}")
        p[where[v]] += float(w)
    if p.sum() <= 0:
        raise ConfigurationError("the pre-trusted set is empty")
    return p / p.sum(), True


def _edges(snap: Snapshot) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    """Rated edges (src, dst, opinion = 2·trust − 1) without self-loops and without the opinions of
    listed parties (see the module docs, "Listed parties have no voice"), and their snapshot positions
    (``None`` when none was left out: rated edge ``k`` is snapshot edge ``k``)."""
    src_all = np.asarray(snap.src)
    silent = (src_all == np.asarray(snap.dst)) | np.asarray(snap.listed, dtype=bool)[src_all]
    if silent.any():
        ids = np.flatnonzero(~silent)  # vouching for oneself counts for nothing, nor a listed party's word
        src, dst, t = snap.src[ids], snap.dst[ids], np.asarray(snap.trust)[ids]
    else:
        ids, src, dst, t = None, np.asarray(snap.src), np.asarray(snap.dst), np.asarray(snap.trust)
    if not np.all(np.isfinite(t)) or t.min(initial=0.5) < 0 or t.max(initial=0.5) > 1:
        raise ConfigurationError("edge attribute 'trust' must be a trust value in [0, 1]")
    return src, dst, 2.0 * t - 1.0, ids


def _propagate(
    n: int, src: np.ndarray, dst: np.ndarray, opinion: np.ndarray, p: np.ndarray, damping: float,
    tol: float, max_iter: int, endorsement: str = "capped",
) -> tuple[np.ndarray, int]:
    """Personalised PageRank over the positive opinions; unpassed trust returns to ``p``."""
    if not p.any():  # no anchor: no trust to propagate
        return np.zeros(n), 0
    endorse = np.clip(opinion, 0.0, None)
    out = np.bincount(src, weights=endorse, minlength=n)
    # "capped": a party passes on at most what its opinions say (Σ shares = min(Σ w⁺, 1)), so one
    # lukewarm opinion is not inflated into a full endorsement; "normalised": Kamvar's c_ij.
    norm = np.maximum(out, 1.0) if endorsement == "capped" else out
    share = np.divide(endorse, norm[src], out=np.zeros_like(endorse), where=norm[src] > 0)
    # Row j of Cᵀ lists who endorses j. t = y / Σy with (I − αCᵀ)y = p is the PageRank whose unpassed
    # (dangling) mass goes back to p: the normalisation absorbs it. Only endorsements enter the matrix.
    keep = share > 0
    act = sp.csr_matrix((damping * share[keep], (dst[keep], src[keep])), shape=(n, n))
    # BiCGSTAB (van der Vorst 1992) solves the linear system with about 2.5× fewer matrix–vector
    # products than the power iteration at α = 0.85 (PageRank as a linear system: Gleich, Zhukov &
    # Berkhin 2004). Every Krylov vector is a combination of p, Cᵀp, (Cᵀ)²p, …, so parties that p
    # cannot reach keep exactly 0. BiCGSTAB can break down when α is close to 1 (seen at 0.99 with
    # normalised endorsement on Epinions); LGMRES, slower but with a monotone residual, is tried
    # next, and the power iteration last.
    steps = [0]

    def count(_: np.ndarray) -> None:
        steps[0] += 1

    system = spla.LinearOperator((n, n), matvec=lambda v: v - act @ v, dtype=float)
    for solver in (spla.bicgstab, spla.lgmres):
        y, info = solver(system, p, x0=p.copy(), rtol=tol, atol=0.0, maxiter=max_iter, callback=count)
        total = float(y.sum()) if info == 0 and np.all(np.isfinite(y)) else 0.0
        if total > 0 and float(y.min()) >= -1e-9 * total:
            y = np.clip(y, 0.0, None)
            return y / y.sum(), steps[0]
    y = p.copy()
    for it in range(1, max_iter + 1):
        nxt = act @ y + p
        err = float(np.abs(nxt - y).sum())
        y = nxt
        if err <= tol * float(y.sum()):
            return y / y.sum(), it
    raise TrustgraphError(f"reputation did not converge in {max_iter} iterations (damping {damping})")


def propagated_trust(
    G: Snapshot | nx.DiGraph,
    *,
    pretrusted: Iterable[Hashable] | Mapping[Hashable, float] | None = None,
    source: Hashable | None = None,
    damping: float = DEFAULT_DAMPING,
    weight: str = "trust",
    endorsement: str = "capped",
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> dict[Any, float]:
    """EigenTrust: trust propagated from the pre-trusted set along positive local trust.

    Step 1 of :func:`reputation` alone (Kamvar et al. 2003), a personalised PageRank over the
    positive part of the opinions ``2·trust − 1``; parameters, defaults and errors as there; see the
    module docs.

    Returns
    -------
    dict
        Node → trust ≥ 0; the values sum to 1 (empty for an empty graph).

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("a", "b", {"trust": 0.75}), ("b", "c", {"trust": 0.75})])
    >>> t = propagated_trust(G, pretrusted=["a"], damping=0.5)
    >>> {k: round(v, 4) for k, v in t.items()}
    {'a': 0.7619, 'b': 0.1905, 'c': 0.0476}
    """
    _check(damping, DEFAULT_SHRINKAGE, endorsement)
    snap = as_snapshot(G, weight=weight)
    if not snap.n:
        return {}
    p, _ = _teleport(snap, pretrusted, source)
    src, dst, opinion, _ = _edges(snap)
    t, _ = _propagate(snap.n, src, dst, opinion, p, damping, tol, max_iter, endorsement)
    return dict(zip(snap.ids, t.tolist(), strict=True))


def _check(damping: float, shrinkage: float, endorsement: str, voice: str = "capped") -> None:
    if endorsement not in ENDORSEMENTS:
        raise ConfigurationError(f"endorsement must be one of {', '.join(ENDORSEMENTS)}, got {endorsement!r}")
    if voice not in VOICES:
        raise ConfigurationError(f"voice must be one of {', '.join(VOICES)}, got {voice!r}")
    if not (0.0 <= damping < 1.0):
        raise ConfigurationError(f"damping must be in [0, 1), got {damping!r}")
    if not (np.isfinite(shrinkage) and shrinkage >= 0.0):
        raise ConfigurationError(f"shrinkage must be ≥ 0, got {shrinkage!r}")


def _voices(
    n: int, t: np.ndarray, p: np.ndarray, declared: bool, damping: float, kind: str = "capped",
) -> tuple[np.ndarray, np.ndarray]:
    """Each party's voice as a rater, and the declared trust in it: shares of trust in units of
    the average share 1/N, capped at one full voice unless ``kind`` is "mass" (see the module docs)."""
    voice = n * t
    d = n * (1.0 - damping) * p if declared else np.zeros(n)
    if kind == "capped":
        voice = np.maximum(np.minimum(1.0, voice), d)
    return voice, d


def _scores(
    n: int, src: np.ndarray, dst: np.ndarray, opinion: np.ndarray, t: np.ndarray, p: np.ndarray,
    declared: bool, damping: float, shrinkage: float, kind: str = "capped",
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """x in [−1, 1] per node, the per-edge score contribution, the declared contribution, the support,
    and each node's voice as a rater."""
    voices, d = _voices(n, t, p, declared, damping, kind)
    voice = voices[src]
    given = np.bincount(dst, weights=voice * opinion, minlength=n)
    heard = np.bincount(dst, weights=voice, minlength=n)
    denom = heard + d + shrinkage
    x = np.divide(given + d, denom, out=np.zeros(n), where=denom > 0)
    # In score units ((1 + x) / 2): each rater's weight, so that its contribution to the score
    # above 0.5 is scale·w_ij; and what the declaration adds.
    scale = np.divide(voice, 2.0 * denom[dst], out=np.zeros(len(src)), where=denom[dst] > 0)
    declared_part = np.divide(d, 2.0 * denom, out=np.zeros(n), where=denom > 0)
    return x, scale, declared_part, denom, voices


def _rank(keys: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Order (best first, ties by id: ``keys`` from :meth:`Snapshot.id_ranks`), competition ranks,
    mid-rank percentiles."""
    n = len(keys)
    # Scores equal up to the floating-point noise of the solver are ties.
    score = np.round(score, 12)
    order = np.lexsort((keys, -score))
    s = score[order]
    new_group = np.r_[True, s[1:] != s[:-1]] if n else np.array([], dtype=bool)
    starts = np.flatnonzero(new_group)
    sizes = np.diff(np.r_[starts, n])
    rank_sorted = np.repeat(starts + 1, sizes)
    # below = parties after the tie group; ties = group size − 1 (the others in it)
    below = np.repeat(n - (starts + sizes), sizes)
    ties = np.repeat(sizes - 1, sizes)
    pct_sorted = 100.0 * (below + 0.5 * ties) / (n - 1) if n > 1 else np.full(n, 100.0)
    ranks = np.empty(n, dtype=np.int64)
    ranks[order] = rank_sorted
    pct = np.empty(n)
    pct[order] = pct_sorted
    return order, ranks, pct


def _kind_parts(
    snap: Snapshot, compiled: bool, evidence: pd.DataFrame | None, src: np.ndarray, dst: np.ndarray,
    opinion: np.ndarray, edge_ids: np.ndarray | None,
) -> tuple[_Parts, np.ndarray | None]:
    """How each rated edge's opinion splits by evidence kind, and the evidence rows each party received.

    From ``evidence`` when given; else from the snapshot's evidence by kind when it was compiled
    from tables (``compiled``); else (a NetworkX graph) an edge with a single evidence kind is
    attributed to it, mixed or unknown kinds to "other".
    """
    m = len(src)
    keys = (*_KEYS, "other")
    if evidence is not None and len(evidence):
        return _frame_parts(snap, evidence, src, dst, opinion)
    if evidence is None and compiled:
        rows = np.arange(m) if edge_ids is None else edge_ids
        total = np.asarray(snap.positive) + np.asarray(snap.negative) + 2.0
        return _Parts(keys, kind_net=snap.kind_net, edge_ids=rows, total=total), np.asarray(snap.received)
    bits = np.asarray(snap.kinds if edge_ids is None else snap.kinds[edge_ids], dtype=np.int64)
    if evidence is not None or not bits.any():
        return _Parts(("other",), matrix=opinion[:, None].copy()), None
    single = (bits > 0) & (bits & (bits - 1) == 0)
    column = np.full(m, len(_KEYS), dtype=np.int64)
    column[single] = _KIND_COLUMN[np.log2(bits[single]).astype(np.int64)]
    parts = np.zeros((m, len(keys)))
    parts[np.arange(m), column] = opinion
    return _Parts(keys, matrix=parts), None


def _frame_parts(
    snap: Snapshot, evidence: pd.DataFrame, src: np.ndarray, dst: np.ndarray, opinion: np.ndarray,
) -> tuple[_Parts, np.ndarray]:
    """:func:`_kind_parts` from an evidence frame (:func:`trustgraph.evidence.evidence_frame`)."""
    import pandas as pd

    m = len(src)
    n = snap.n
    keys = (*_KEYS, "other")
    index = {v: i for i, v in enumerate(snap.ids)}
    ev = evidence.loc[evidence["src"].isin(index) & evidence["dst"].isin(index) & (evidence["src"] != evidence["dst"])]
    s = ev["src"].map(index).to_numpy(dtype=np.int64)
    d = ev["dst"].map(index).to_numpy(dtype=np.int64)
    pos = ev["positive"].to_numpy(dtype=float)
    neg = ev["negative"].to_numpy(dtype=float)
    col = ev["kind"].map({k: _KEYS.index(v) for k, v in BREAKDOWN_KINDS.items()}).fillna(len(_KEYS))
    column = col.to_numpy(dtype=np.int64)
    found = pd.Series(np.arange(m), index=src * n + dst).reindex(s * n + d).to_numpy()
    ok = ~np.isnan(found)
    edge_of = found[ok].astype(np.int64)
    # opinion = (r − s) / (r + s + 2): split the numerator by kind, keep the shared denominator.
    parts = np.zeros((m, len(keys)))
    np.add.at(parts, (edge_of, column[ok]), pos[ok] - neg[ok])
    total = np.bincount(edge_of, weights=pos[ok] + neg[ok], minlength=m)
    parts /= (total + 2.0)[:, None]
    # Edges the evidence does not describe (or describes differently) keep their whole opinion as "other".
    residual = opinion - parts.sum(axis=1)
    parts[:, len(_KEYS)] += np.where(np.abs(residual) > 1e-9, residual, 0.0)
    # Evidence rows received, by kind: all, positive, negative (kinds outside KINDS are not counted).
    kind = ev["kind"].map({k: i for i, k in enumerate(KINDS)}).fillna(-1).to_numpy(dtype=np.int64)
    counts = np.zeros((n, len(KINDS), 3), dtype=np.int64)
    good = kind >= 0
    for flag, sel in ((0, good), (1, good & (pos > 0)), (2, good & (neg > 0))):
        counts[:, :, flag] = np.bincount(d[sel] * len(KINDS) + kind[sel],
                                         minlength=n * len(KINDS)).reshape(n, len(KINDS))
    return _Parts(keys, matrix=parts), counts


def _solve(
    snap: Snapshot, pretrusted: Iterable[Hashable] | Mapping[Hashable, float] | None, source: Hashable | None,
    damping: float, shrinkage: float, endorsement: str, voice: str, tol: float = 1e-10, max_iter: int = 1000,
) -> dict[str, Any]:
    """Propagation and scores over ``snap``: every array :func:`reputation` needs."""
    n = snap.n
    p, declared = _teleport(snap, pretrusted, source)
    src, dst, opinion, edge_ids = _edges(snap)
    t, iterations = _propagate(n, src, dst, opinion, p, damping, tol, max_iter, endorsement)
    x, scale, declared_part, support, voices = _scores(n, src, dst, opinion, t, p, declared, damping, shrinkage, voice)
    voices = np.where(np.asarray(snap.listed, dtype=bool), 0.0, voices)  # a listed party's word does not count
    return {"p": p, "declared": declared, "src": src, "dst": dst, "opinion": opinion, "edge_ids": edge_ids, "t": t,
            "iterations": iterations, "score": np.clip((1.0 + x) / 2.0, 0.0, 1.0), "scale": scale,
            "declared_part": declared_part, "support": support, "voices": voices}


def reputation(
    G: Snapshot | nx.DiGraph,
    *,
    pretrusted: Iterable[Hashable] | Mapping[Hashable, float] | None = None,
    source: Hashable | None = None,
    damping: float = DEFAULT_DAMPING,
    shrinkage: float = DEFAULT_SHRINKAGE,
    weight: str = "trust",
    endorsement: str = "capped",
    voice: str = "capped",
    evidence: pd.DataFrame | None = None,
    tol: float = 1e-10,
    max_iter: int = 1000,
) -> ReputationResult:
    """Reputation of every party: EigenTrust propagation, one-step distrust, shrinkage to neutral.

    See the module docs for the method (Kamvar et al. 2003; Guha et al. 2004).

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph: a compiled :class:`~trustgraph.snapshot.Snapshot`, or a NetworkX graph
        (:func:`trustgraph.graph.project`) whose edge ``i → j`` holds *i*'s local trust in *j* in
        ``weight``. Not modified.
    pretrusted : iterable of nodes, or mapping node → weight, optional
        The pre-trusted set (uniform over it, or the given weights). Default: the nodes whose
        ``pretrusted`` attribute is true; if there are none, everyone uniformly (plain PageRank,
        with no declared trust and no collusion resistance).
    source : node, optional
        Personalised view: the pre-trusted set is this party alone. Not together with ``pretrusted``.
    damping : float
        ``α`` in [0, 1): the share of trust passed along endorsements rather than back to the
        pre-trusted set (0.85, as in EigenTrust and PageRank).
    shrinkage : float
        ``κ``: how many neutral pseudo-opinions of full voice the received opinions are averaged
        with (default 1); 0 disables shrinkage.
    weight : str
        Edge attribute of a NetworkX graph with the local trust in [0, 1] (default ``"trust"``;
        missing = 0.5). A snapshot's trust is its ``trust`` array.
    endorsement : {"capped", "normalised"}
        How a party's trust is shared among those it endorses: ``"capped"`` (default) passes
        ``w⁺_ij / max(1, Σ_k w⁺_ik)``, at most what the opinions say; ``"normalised"`` is Kamvar et
        al.'s ``w⁺_ij / Σ_k w⁺_ik``, which turns a party's single lukewarm opinion into a full
        endorsement. See the module docs.
    voice : {"capped", "mass"}
        How much a rater's opinions count: ``"capped"`` (default) ``min(1, N·t_i)``; ``"mass"``
        ``N·t_i`` uncapped, so that well-endorsed hubs outweigh everyone else (an ablation).
    evidence : pandas.DataFrame, optional
        The :func:`trustgraph.evidence.evidence_frame` the graph was projected from: splits each
        explanation by evidence kind and counts the evidence received. A snapshot compiled from
        tables carries both already (its ``kind_net`` and ``received``). Without either, an edge's
        opinion goes to the kind named by its ``kinds`` attribute when it has a single one, else
        ``other``.
    tol, max_iter : float, int
        Solver stop: relative residual ``‖p − (I − αCᵀ)y‖ ≤ tol·‖p‖``; at most ``max_iter``
        steps (the power-iteration fallback stops at a relative L1 change below ``tol``).

    Returns
    -------
    ReputationResult
        Scores in [0, 1] (0.5 = nothing known), ranks, percentiles, propagated trust, and
        :meth:`ReputationResult.explain` for the breakdown and top contributors.

    Raises
    ------
    NotFoundError
        When ``source`` or a pre-trusted node is not in the graph.
    ConfigurationError
        When ``damping``, ``shrinkage``, ``endorsement`` or ``voice`` is out of range, both ``source``
        and ``pretrusted`` are given, the pre-trusted weights are negative or all zero, or an edge's
        trust is outside [0, 1].
    TrustgraphError
        When neither BiCGSTAB, LGMRES nor the power iteration converges within ``max_iter`` steps.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("hub", "good", trust=0.75)
    >>> G.add_edge("hub", "bad", trust=0.25)
    >>> r = reputation(G, pretrusted=["hub"], damping=0.5)
    >>> {k: round(v, 3) for k, v in r.scores.items()}
    {'hub': 0.8, 'good': 0.65, 'bad': 0.35}
    >>> r.ranks["good"], r.explain("bad")["takers"][0]["id"]
    (2, 'hub')
    """
    _check(damping, shrinkage, endorsement, voice)
    compiled = isinstance(G, Snapshot)
    snap = as_snapshot(G, weight=weight)
    n = snap.n
    if n == 0:
        empty, none = np.zeros(0, dtype=np.int64), np.zeros(0)
        return ReputationResult(snap, source, damping, shrinkage, 0, none, empty, none, none, none, None, empty,
                                empty, empty, none, none,
                                _Parts(("other",), matrix=np.zeros((0, 1))), none, none, None)
    r = _solve(snap, pretrusted, source, damping, shrinkage, endorsement, voice, tol, max_iter)
    order, ranks, pct = _rank(snap.id_ranks(), r["score"])
    src, dst, opinion = r["src"], r["dst"], r["opinion"]
    parts, counts = _kind_parts(snap, compiled, evidence, src, dst, opinion, r["edge_ids"])
    return ReputationResult(
        snapshot=snap,
        source=source,
        damping=damping,
        shrinkage=shrinkage,
        iterations=r["iterations"],
        _score=r["score"],
        _rank=ranks,
        _percentile=pct,
        _trust=r["t"],
        _support=r["support"],
        _p=r["p"] if r["declared"] else None,
        _order=order,
        _src=src,
        _dst=dst,
        _opinion=opinion,
        _scale=r["scale"],
        _parts=parts,
        _declared=r["declared_part"],
        _voice=r["voices"],
        _counts=counts,
    )


def reputation_arrays(
    G: Snapshot | nx.DiGraph,
    *,
    pretrusted: Iterable[Hashable] | Mapping[Hashable, float] | None = None,
    source: Hashable | None = None,
    damping: float = DEFAULT_DAMPING,
    shrinkage: float = DEFAULT_SHRINKAGE,
    weight: str = "trust",
    endorsement: str = "capped",
    voice: str = "capped",
) -> tuple[Snapshot, np.ndarray, np.ndarray]:
    """The snapshot, and every party's score and support as arrays in its index order.

    :func:`reputation_support` without a dictionary per party (same method, parameters and errors).

    Examples
    --------
    >>> import networkx as nx
    >>> snap, score, support = reputation_arrays(nx.DiGraph([("hub", "good", {"trust": 0.75})]), pretrusted=["hub"])
    >>> snap.nodes(), score.round(3).tolist(), support.tolist()
    (['hub', 'good'], [0.615, 0.625], [1.3, 2.0])
    """
    _check(damping, shrinkage, endorsement, voice)
    snap = as_snapshot(G, weight=weight)
    if not snap.n:
        return snap, np.zeros(0), np.zeros(0)
    r = _solve(snap, pretrusted, source, damping, shrinkage, endorsement, voice)
    return snap, r["score"], r["support"]


def reputation_scores(
    G: Snapshot | nx.DiGraph,
    *,
    pretrusted: Iterable[Hashable] | Mapping[Hashable, float] | None = None,
    source: Hashable | None = None,
    damping: float = DEFAULT_DAMPING,
    shrinkage: float = DEFAULT_SHRINKAGE,
    weight: str = "trust",
    endorsement: str = "capped",
    voice: str = "capped",
) -> dict[Any, float]:
    """Node → reputation score in [0, 1] (higher = more reputable; 0.5 = nothing known).

    The light form of :func:`reputation` (same method, parameters and errors) for callers that only
    need the numbers, e.g. to colour a map.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("hub", "good", {"trust": 0.75}), ("hub", "bad", {"trust": 0.25})])
    >>> s = reputation_scores(G, pretrusted=["hub"])
    >>> s["good"] > 0.5 > s["bad"]
    True
    """
    return reputation_support(G, pretrusted=pretrusted, source=source, damping=damping, shrinkage=shrinkage,
                              weight=weight, endorsement=endorsement, voice=voice)[0]


def reputation_support(
    G: Snapshot | nx.DiGraph,
    *,
    pretrusted: Iterable[Hashable] | Mapping[Hashable, float] | None = None,
    source: Hashable | None = None,
    damping: float = DEFAULT_DAMPING,
    shrinkage: float = DEFAULT_SHRINKAGE,
    weight: str = "trust",
    endorsement: str = "capped",
    voice: str = "capped",
) -> tuple[dict[Any, float], dict[Any, float]]:
    """Node → score, and node → support (the voices the score rests on, prior included).

    :func:`reputation_scores` with :attr:`ReputationResult.support`, in one pass: what
    :func:`trustgraph.analysis.contagion.combined_risk` needs.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph([("hub", "good", {"trust": 0.75})])
    >>> scores, support = reputation_support(G, pretrusted=["hub"])
    >>> round(scores["good"], 3), support["good"]  # hub's +0.5 with one full voice, beside κ = 1
    (0.625, 2.0)
    """
    snap, score, support = reputation_arrays(G, pretrusted=pretrusted, source=source, damping=damping,
                                             shrinkage=shrinkage, weight=weight, endorsement=endorsement, voice=voice)
    return (dict(zip(snap.ids, score.tolist(), strict=True)), dict(zip(snap.ids, support.tolist(), strict=True)))
