"""Vouching chains, independent vouchers, web-of-trust validity and referral lookups.

"Who can vouch for X to us, and through whom?" A *vouching chain* from ``source`` to ``target`` is a
simple path ``source → v1 → … → target`` in the trust graph (see :mod:`trustgraph.graph`) along
which every party vouches for the next. Its *strength* is the product of its hops' local trust
(:mod:`trustgraph.evidence`), so the strongest chain is the shortest path under the cost
``−log(trust)``; its *weakest link* is its hop of lowest trust.

Which hops count
----------------
A hop ``u → v`` is usable when ``u``'s trust in ``v`` is above the neutral 0.5 of no evidence (more
positive than negative evidence: a warning is never a vouch) and at least ``min_trust``. With
``exclude_listed`` (the default) no party under an active blacklist listing may be an intermediary;
the two ends may be listed (the answer then says so). Chains have at most ``max_hops`` hops
(default 5, GnuPG's ``max-cert-depth``).

Algorithm (:class:`ChainIndex`)
-------------------------------
The usable hops of a :class:`~trustgraph.snapshot.Snapshot` (or of a NetworkX graph, compiled to
one) are selected from its edge arrays into compressed sparse rows (forward and reverse) with
``−log(trust)`` costs, without a Python loop over the edges. A query computes exact hop-bounded
distances to ``target`` — ``b[r][v]``, the cheapest walk from ``v`` to ``target`` with at most
``r`` hops — by a Bellman–Ford that meets in the middle:
``⌊H/2⌋`` vectorised rounds backward from ``target`` over its in-neighbourhood, then the remaining
rounds only on the nodes a forward breadth-first search from ``source`` reaches in the hops left
(so neither side explores the whole graph). The k strongest chains are then enumerated best first
(an A* over partial paths, priority ``cost so far + b[hops left][node]``): ``b`` is a lower bound on
every simple completion and consistent, so complete chains come off the queue in order of cost and
the first ``k`` are the ``k`` strongest simple chains within ``max_hops`` — the answer Yen's
algorithm (Yen 1971) gives with a hop-limited Dijkstra, without its repeated spur searches. Children
are pushed lazily (the best child first, each sibling when its predecessor is popped), so a hub
with thousands of partners costs one push, not thousands.

Web of trust
------------
:func:`web_of_trust` applies GnuPG's validity rule (the GnuPG manual, "Validating other keys on
your public keyring"; ``--completes-needed 1``, ``--marginals-needed 3``, ``--max-cert-depth 5``)
with ``owner`` as the ultimately trusted key. See its docstring for how an introducer's trust
is derived from the trust graph.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeAlias, cast

import numpy as np

from ..deadline import check as check_deadline
from ..errors import NotFoundError, TrustgraphError
from ..snapshot import Snapshot, as_snapshot, row_pointers

if TYPE_CHECKING:  # imported where used: the chain commands need neither NetworkX nor (for paths) pandas
    import networkx as nx
    import pandas as pd

__all__ = [
    "DEFAULT_K",
    "DEFAULT_MAX_HOPS",
    "DEFAULT_MIN_TRUST",
    "NEUTRAL_TRUST",
    "COMPLETE_TRUST",
    "MARGINAL_TRUST",
    "COMPLETES_NEEDED",
    "MARGINALS_NEEDED",
    "REFERRALS_SCHEMA",
    "Link",
    "Chain",
    "ChainIndex",
    "EvidenceSource",
    "build_chains",
    "vouching_chains",
    "independent_vouchers",
    "Introducer",
    "Validity",
    "web_of_trust",
    "ReferralBook",
]

#: Chains returned by default.
DEFAULT_K = 3
#: Longest chain considered by default (GnuPG's default ``max-cert-depth``).
DEFAULT_MAX_HOPS = 5
#: Lowest hop trust considered by default; hops must also be above :data:`NEUTRAL_TRUST`.
DEFAULT_MIN_TRUST = 0.5
#: Trust with no evidence (the Beta prior): a hop must be strictly above it to vouch.
NEUTRAL_TRUST = 0.5
#: An introducer the owner trusts at least this much is *complete* (GnuPG: fully trusted). In Beta
#: terms (r + 1) / (r + 2) ≥ 0.65 needs r ≥ 0.86 units of net positive evidence: about one fresh
#: full-strength referral or completed partnership.
COMPLETE_TRUST = 0.65
#: An introducer the owner trusts at least this much (and below :data:`COMPLETE_TRUST`) is
#: *marginal*: r ≥ 0.22 units, e.g. a full-strength referral up to two half-lives old.
MARGINAL_TRUST = 0.55
#: GnuPG's ``--completes-needed`` default.
COMPLETES_NEEDED = 1
#: GnuPG's ``--marginals-needed`` default.
MARGINALS_NEEDED = 3
#: The schema of the ``referrals`` document, whose rows :meth:`ReferralBook.lookup` gives.
REFERRALS_SCHEMA = "trustgraph.referrals/1"

_EMPTY = np.empty(0, dtype=np.int64)

#: Where hop evidence comes from: an :func:`~trustgraph.evidence.evidence_frame`, or a function
#: that returns one given the parties on the chains found (so that only their rows are read).
EvidenceSource: TypeAlias = "pd.DataFrame | Callable[[list[Any]], pd.DataFrame | None] | None"


# --------------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class Link:
    """One hop of a chain: ``source`` vouches for ``target`` with ``trust``, because of ``evidence``.

    ``evidence`` holds one dict per evidence row (``kind``, ``ref``, ``date``, ``value`` — the raw
    signed strength of the evidence —, ``decay`` — the age factor —, ``positive``, ``negative``,
    ``note``); it is empty when the caller gave no evidence frame.
    """

    source: str
    target: str
    trust: float
    uncertainty: float | None = None
    positive: float | None = None
    negative: float | None = None
    evidence: tuple[dict[str, Any], ...] = ()

    def as_dict(self, names: Mapping[str, Any] | None = None) -> dict[str, Any]:
        names = names or {}
        return {
            "from": self.source,
            "from_name": names.get(self.source),
            "to": self.target,
            "to_name": names.get(self.target),
            "trust": self.trust,
            "uncertainty": self.uncertainty,
            "positive": self.positive,
            "negative": self.negative,
            "evidence": [dict(e) for e in self.evidence],
        }


@dataclass(frozen=True)
class Chain:
    """A vouching chain: ``path[0]`` (the source) … ``path[-1]`` (the target).

    ``listed`` names the parties on the path under a listing in force, ``listings`` gives those
    listings (:func:`trustgraph.documents.listing`).
    """

    path: tuple[str, ...]
    strength: float
    links: tuple[Link, ...]
    names: tuple[str | None, ...] = ()
    listed: tuple[str, ...] = field(default=())
    listings: tuple[dict[str, Any], ...] = field(default=())

    @property
    def source(self) -> str:
        return self.path[0]

    @property
    def target(self) -> str:
        return self.path[-1]

    @property
    def hops(self) -> int:
        return len(self.path) - 1

    @property
    def voucher(self) -> str:
        """The party that vouches directly for the target (the source itself for a direct chain)."""
        return self.path[-2]

    @property
    def intermediaries(self) -> tuple[str, ...]:
        return self.path[1:-1]

    @property
    def weakest(self) -> Link:
        """The hop of lowest trust (the first of them on a tie)."""
        return min(self.links, key=lambda link: link.trust)

    def as_dict(self, rank: int | None = None) -> dict[str, Any]:
        """A JSON-ready dict: the ``chain`` of the answer documents (``trustgraph schema chain``),
        with ``rank`` first when given. ``listed`` is true when a party on the path is listed."""
        names = dict(zip(self.path, self.names, strict=True)) if self.names else {}
        weakest = self.weakest
        out: dict[str, Any] = {}
        if rank is not None:
            out["rank"] = rank
        out.update({
            "strength": self.strength,
            "hops": self.hops,
            "path": list(self.path),
            "names": [names.get(n) for n in self.path],
            "weakest_link": {"from": weakest.source, "to": weakest.target, "trust": weakest.trust},
            "listed": bool(self.listed),
            "listings": [dict(x) for x in self.listings],
            "links": [link.as_dict(names) for link in self.links],
        })
        return out


# --------------------------------------------------------------------------------------------------
# The search engine


def _gather(indptr: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Edge positions of every row in ``nodes`` of a CSR structure, and the row each belongs to."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return _EMPTY, _EMPTY
    rep = np.repeat(np.arange(len(nodes)), counts)
    offsets = np.cumsum(counts) - counts
    idx = starts[rep] + (np.arange(total) - offsets[rep])
    return idx, rep


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """``np.argsort(keys, kind="stable")`` for non-negative integers, in 16-bit radix passes (NumPy
    sorts 16-bit keys by radix: two passes cost less than one comparison sort of 64-bit keys)."""
    order = np.arange(len(keys))
    top = int(keys.max()) if len(keys) else 0
    shift = 0
    while True:
        digit = ((keys[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
        if top >> shift == 0:
            return order


class ChainIndex:
    """A trust graph compiled for fast chain queries (build once, query many times).

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph: a :class:`~trustgraph.snapshot.Snapshot` (its ``trust``, ``listed`` and
        names are used), or a NetworkX graph whose edges carry the hop trust in ``weight`` and whose
        nodes may carry ``listed`` and ``name`` (compiled with
        :func:`~trustgraph.snapshot.as_snapshot`).
    weight : str
        Edge attribute holding the hop trust of a NetworkX graph (default ``"trust"``; a snapshot
        always uses its ``trust``).
    min_trust : float
        Hops below this trust are not used (hops must also be above :data:`NEUTRAL_TRUST`).
    exclude_listed : bool
        Forbid listed parties as intermediaries.

    The index keeps the usable hops as arrays of party indices (no table of every party id: ids
    are looked up in the snapshot); later changes to a NetworkX ``G`` are not seen.

    Raises
    ------
    ValueError
        If ``min_trust`` is outside [0, 1], or ``weight`` is not ``"trust"`` for a snapshot.
    ConfigurationError
        If an edge of a NetworkX ``G`` has a ``weight`` that is not a trust value in [0, 1].
    """

    def __init__(
        self,
        G: Snapshot | nx.DiGraph,
        *,
        weight: str = "trust",
        min_trust: float = DEFAULT_MIN_TRUST,
        exclude_listed: bool = True,
    ) -> None:
        if not 0.0 <= min_trust <= 1.0:
            raise ValueError(f"min_trust must be in [0, 1], got {min_trust}")
        if isinstance(G, Snapshot) and weight != "trust":
            raise ValueError(f"a snapshot holds hop trust in 'trust', not {weight!r}")
        snap = as_snapshot(G, weight=weight)
        self.graph = G
        self.snapshot = snap
        self.weight = weight
        self.min_trust = float(min_trust)
        self.exclude_listed = exclude_listed
        n = self.n = snap.n
        trust = np.asarray(snap.trust, dtype=float)
        with np.errstate(invalid="ignore"):
            usable = (trust > NEUTRAL_TRUST) & (trust >= self.min_trust) & (trust <= 1.0)
        src, dst, hop = snap.src[usable], snap.dst[usable], trust[usable]
        key = src * max(n, 1) + dst
        if len(key) > 1 and bool(np.any(key[1:] <= key[:-1])):
            # A snapshot compiled from a store is in (source, target) order already; a graph's
            # adjacency order need not be.
            order = np.argsort(key, kind="stable")
            src, dst, hop = src[order], dst[order], hop[order]
        self.fptr, self.fsrc, self.fdst, self.ftrust = row_pointers(src, n), src, dst, hop
        self.fcost = -np.log(hop)
        self.edges = len(hop)
        self.party_listed = np.asarray(snap.listed, dtype=bool)
        self.listed = self.party_listed.copy() if exclude_listed else np.zeros(n, dtype=bool)

    @classmethod
    def of(cls, G: Snapshot | nx.DiGraph, *, weight: str = "trust", min_trust: float = DEFAULT_MIN_TRUST,
           exclude_listed: bool = True) -> ChainIndex:
        """The index of ``G`` for these rules: built once per snapshot and kept with it
        (:meth:`Snapshot.memo`), so a long-lived process (``trustgraph serve``, a notebook) answers
        every chain question of a snapshot from one index. A NetworkX ``G`` is compiled each time."""
        if isinstance(G, Snapshot) and weight == "trust":
            return G.memo(("chain-index", float(min_trust), bool(exclude_listed)),
                          lambda: cls(G, min_trust=min_trust, exclude_listed=exclude_listed))
        return cls(G, weight=weight, min_trust=min_trust, exclude_listed=exclude_listed)

    @cached_property
    def _reverse(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        # Stable by target over (source, target) order: the reverse rows are in (target, source) order.
        back = _stable_order(self.fdst)
        return row_pointers(self.fdst, self.n), self.fsrc[back], self.ftrust[back], self.fcost[back]

    @property
    def rptr(self) -> np.ndarray:
        """Reverse rows (the usable hops into each party), built on first use."""
        return self._reverse[0]

    @property
    def rsrc(self) -> np.ndarray:
        return self._reverse[1]

    @property
    def rtrust(self) -> np.ndarray:
        return self._reverse[2]

    @property
    def rcost(self) -> np.ndarray:
        return self._reverse[3]

    # -- helpers ------------------------------------------------------------------------------------

    def find(self, node: Any) -> int | None:
        """The index of ``node``, or ``None`` when the graph lacks it."""
        try:
            return self.snapshot.find(node)
        except TypeError:  # unhashable
            return None

    def node_index(self, node: Any) -> int:
        """The index of ``node``; raises :class:`NotFoundError` when the graph lacks it."""
        i = self.find(node)
        if i is None:
            raise NotFoundError(f"no organisation {node!r} in the trust graph")
        return i

    def node(self, i: int) -> Any:
        """The party (id) at index ``i``."""
        return self.snapshot.ids[int(i)]

    def has_edge(self, u: int, v: int) -> bool:
        """Whether the usable hop ``u → v`` exists (indices)."""
        lo, hi = self.fptr[u], self.fptr[u + 1]
        pos = lo + np.searchsorted(self.fdst[lo:hi], v)
        return bool(pos < hi and self.fdst[pos] == v)

    def _passable(self, target: int, avoid: Iterable[int] | None) -> np.ndarray:
        passable = ~self.listed
        if avoid is not None:
            banned = np.fromiter(avoid, dtype=np.int64)
            if len(banned):
                passable[banned] = False
        passable[target] = True
        return passable

    def _bounds(self, s: int, t: int, max_hops: int, passable: np.ndarray) -> list[np.ndarray]:
        """``b[r][v]``: the cheapest walk ``v → t`` with ≤ r hops, where the search needs it."""
        H = max_hops
        m = H // 2
        b0 = np.full(self.n, np.inf)
        b0[t] = 0.0
        b = [b0]
        # Backward rounds over the in-neighbourhood of t (only rows that improved are relaxed).
        changed = np.array([t], dtype=np.int64)
        for _ in range(1, m + 1):
            prev = b[-1]
            cur = prev.copy()
            frontier = changed[passable[changed]]
            if len(frontier):
                idx, rep = _gather(self.rptr, frontier)
                if len(idx):
                    np.minimum.at(cur, self.rsrc[idx], prev[frontier][rep] + self.rcost[idx])
                changed = np.flatnonzero(cur < prev)
            else:
                changed = _EMPTY
            b.append(cur)
        # Forward breadth-first layers from s, as deep as the remaining rounds need.
        layers = [np.array([s], dtype=np.int64)]
        seen = np.zeros(self.n, dtype=bool)
        seen[s] = True
        frontier = layers[0]
        for _ in range(1, H - m):
            frontier = frontier[frontier != t]
            idx, _ = _gather(self.fptr, frontier)
            nxt = self.fdst[idx]
            nxt = np.unique(nxt[passable[nxt] & ~seen[nxt]])
            seen[nxt] = True
            layers.append(nxt)
            frontier = nxt
        # Remaining rounds, each on the nodes within H - r hops of s.
        for r in range(m + 1, H + 1):
            prev = b[-1]
            cur = np.full(self.n, np.inf)
            cur[t] = 0.0
            nodes = np.concatenate(layers[: H - r + 1])
            nodes = nodes[nodes != t]
            if len(nodes):
                idx, rep = _gather(self.fptr, nodes)
                best = prev[nodes].copy()
                if len(idx):
                    nxt = self.fdst[idx]
                    ok = passable[nxt]
                    np.minimum.at(best, rep[ok], self.fcost[idx][ok] + prev[nxt[ok]])
                cur[nodes] = best
            b.append(cur)
        return b

    # -- queries ------------------------------------------------------------------------------------

    def reachable(self, source: Any, target: Any, max_hops: int) -> bool:
        """Whether any chain ``source → target`` of at most ``max_hops`` usable hops exists (listed
        intermediaries excluded as the index says): a bidirectional breadth-first search, far
        cheaper than :meth:`search` — the quick "no" before a search, and the hints of a miss."""
        s, t = self.node_index(source), self.node_index(target)
        if s == t:
            return False
        passable = ~self.listed
        seen_f = np.zeros(self.n, dtype=bool)
        seen_b = np.zeros(self.n, dtype=bool)
        seen_f[s] = seen_b[t] = True
        front_f = np.array([s], dtype=np.int64)
        front_b = np.array([t], dtype=np.int64)
        for _ in range(max_hops):
            # expand the side with fewer edges to follow; only passable parties pass a chain on
            deg_f = int((self.fptr[front_f + 1] - self.fptr[front_f]).sum())
            deg_b = int((self.rptr[front_b + 1] - self.rptr[front_b]).sum())
            if deg_f <= deg_b:
                idx, _ = _gather(self.fptr, front_f)
                nxt = self.fdst[idx]
                if bool(seen_b[nxt].any()):
                    return True
                nxt = np.unique(nxt[passable[nxt] & ~seen_f[nxt]])
                seen_f[nxt] = True
                front_f = nxt
            else:
                idx, _ = _gather(self.rptr, front_b)
                nxt = self.rsrc[idx]
                if bool(seen_f[nxt].any()):
                    return True
                nxt = np.unique(nxt[passable[nxt] & ~seen_b[nxt]])
                seen_b[nxt] = True
                front_b = nxt
            if not len(front_f) or not len(front_b):
                return False
        return False

    def search(
        self,
        source: Any,
        target: Any,
        *,
        k: int = DEFAULT_K,
        max_hops: int = DEFAULT_MAX_HOPS,
        avoid: Iterable[Any] = (),
        direct: bool = True,
    ) -> list[tuple[list[Any], float]]:
        """The ``k`` cheapest simple paths ``source → target`` with at most ``max_hops`` hops.

        Parameters
        ----------
        source, target : node
            Ends of the chain; they must differ.
        k : int
            How many paths (fewer when fewer exist).
        max_hops : int
            Longest path, in hops.
        avoid : iterable of nodes
            Parties that may not be intermediaries (besides listed ones with ``exclude_listed``).
        direct : bool
            Allow the one-hop path ``source → target``.

        Returns
        -------
        list of (path, cost)
            Paths as lists of nodes, cost ``Σ −log(trust)``, cheapest (strongest) first.

        Raises
        ------
        NotFoundError
            If ``source`` or ``target`` is not in the graph.
        TrustgraphError
            If ``source`` and ``target`` are the same party.
        ValueError
            If ``k`` or ``max_hops`` is below 1.
        """
        if k < 1 or max_hops < 1:
            raise ValueError(f"k and max_hops must be at least 1, got k={k}, max_hops={max_hops}")
        s, t = self.node_index(source), self.node_index(target)
        if s == t:
            raise TrustgraphError(f"{source!r} is both ends of the chain")
        if not self.reachable(source, target, max_hops):  # the quick "no": no search needed
            return []
        banned = [i for i in (self.find(a) for a in avoid) if i is not None]
        passable = self._passable(t, banned)
        b = self._bounds(s, t, max_hops, passable)
        found = self._enumerate(s, t, k, max_hops, b, passable, direct)
        return [([self.node(i) for i in path], cost) for path, cost in found]

    def _enumerate(
        self, s: int, t: int, k: int, H: int, b: list[np.ndarray], passable: np.ndarray, direct: bool
    ) -> list[tuple[tuple[int, ...], float]]:
        if not np.isfinite(b[H][s]):
            return []
        fptr, fdst, fcost = self.fptr, self.fdst, self.fcost
        found: list[tuple[tuple[int, ...], float]] = []
        # Entries: (f, -depth, seq, g, node, path, siblings, position). ``siblings`` are the parent's
        # usable children sorted by f; the next one is pushed only when this one is popped.
        heap: list[tuple[Any, ...]] = [(float(b[H][s]), 0, 0, 0.0, s, (s,), None, 0)]
        seq = 1
        popped = 0
        while heap:
            popped += 1
            if popped % 1024 == 0:
                check_deadline()
            f, negdepth, _, g, v, path, siblings, pos = heapq.heappop(heap)
            if siblings is not None:
                ws, fs, gs = siblings
                parent = path[:-1]
                nxt = pos + 1
                while nxt < len(ws) and int(ws[nxt]) in parent:
                    nxt += 1
                if nxt < len(ws):
                    w = int(ws[nxt])
                    heapq.heappush(heap, (float(fs[nxt]), negdepth, seq, float(gs[nxt]), w, parent + (w,),
                                          siblings, nxt))
                    seq += 1
            if v == t:
                found.append((path, g))
                if len(found) >= k:
                    break
                continue
            depth = -negdepth
            lo, hi = fptr[v], fptr[v + 1]
            if lo == hi:
                continue
            nb = fdst[lo:hi]
            gc = g + fcost[lo:hi]
            fc = gc + b[H - depth - 1][nb]
            ok = np.isfinite(fc) & passable[nb]
            if v == s and not direct:
                ok &= nb != t
            sel = np.flatnonzero(ok)
            if not len(sel):
                continue
            order = sel[np.argsort(fc[sel], kind="stable")]
            ws, fs, gs = nb[order], fc[order], gc[order]
            first = 0
            while first < len(ws) and int(ws[first]) in path:
                first += 1
            if first < len(ws):
                w = int(ws[first])
                heapq.heappush(heap, (float(fs[first]), negdepth - 1, seq, float(gs[first]), w, path + (w,),
                                      (ws, fs, gs), first))
                seq += 1
        return found

    def _widest(self, s: int, max_hops: int) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
        """Best weakest-link trust from ``s`` to every party within ``max_hops`` hops (−inf when
        unreached, +inf at ``s``), and per round the (sorted parties improved, their predecessor)."""
        passable = ~self.listed
        width = np.full(self.n, -np.inf)
        width[s] = np.inf
        changed = np.array([s], dtype=np.int64)
        preds: list[tuple[np.ndarray, np.ndarray]] = []
        for _ in range(max_hops):
            frontier = changed[passable[changed] | (changed == s)]
            idx, rep = _gather(self.fptr, frontier)
            if not len(idx):
                break
            u, v = frontier[rep], self.fdst[idx]
            cand = np.minimum(width[u], self.ftrust[idx])
            order = np.lexsort((u, -cand, v))
            v, u, cand = v[order], u[order], cand[order]
            first = np.ones(len(v), dtype=bool)
            first[1:] = v[1:] != v[:-1]
            v, u, cand = v[first], u[first], cand[first]
            better = cand > width[v]
            v, u, cand = v[better], u[better], cand[better]
            width[v] = cand
            preds.append((v, u))
            changed = v
            if not len(changed):
                break
        return width, preds

    @staticmethod
    def _delegation(s: int, i: int, preds: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[int]:
        """The path ``s → … → i`` behind :meth:`_widest`'s value for ``i`` (indices)."""
        path = [i]
        level = len(preds) - 1
        node = i
        while node != s:
            while True:
                vs, us = preds[level]
                pos = int(np.searchsorted(vs, node))
                if pos < len(vs) and vs[pos] == node:
                    break
                level -= 1
            node = int(us[pos])
            level -= 1
            path.append(node)
        return path[::-1]

    def widest_from(self, source: Any, max_hops: int = DEFAULT_MAX_HOPS) -> dict[Any, tuple[float, list[Any]]]:
        """The most trustworthy delegation from ``source`` to every party it reaches in ≤ ``max_hops`` hops.

        A delegation is worth its weakest hop (the trust of a chain of trust signatures is that of
        its weakest link); for each party reached this gives the best such value and a chain
        achieving it with the fewest hops. ``source`` itself is not included; listed parties (with
        ``exclude_listed``) are reached but not passed through.

        Returns
        -------
        dict
            ``{party: (bottleneck trust, path from source)}``.
        """
        s = self.node_index(source)
        width, preds = self._widest(s, max_hops)
        out: dict[Any, tuple[float, list[Any]]] = {}
        for i in np.flatnonzero(np.isfinite(width)).tolist():
            if i != s:
                out[self.node(i)] = (float(width[i]), [self.node(j) for j in self._delegation(s, i, preds)])
        return out


# --------------------------------------------------------------------------------------------------
# Chains with their evidence


def _evidence_by_pair(evidence: pd.DataFrame | None, pairs: set[tuple[Any, Any]]) -> dict[tuple[Any, Any], list]:
    if evidence is None or not len(evidence) or not pairs:
        return {}
    srcs = {u for u, _ in pairs}
    dsts = {v for _, v in pairs}
    sub = evidence.loc[evidence["src"].isin(srcs).to_numpy() & evidence["dst"].isin(dsts).to_numpy()]
    out: dict[tuple[Any, Any], list[dict[str, Any]]] = {}
    for row in sub.sort_values(["date", "kind", "ref"], kind="stable").to_dict("records"):
        key = (row["src"], row["dst"])
        if key not in pairs:
            continue
        detail = row.get("detail")
        out.setdefault(key, []).append({
            "kind": row["kind"],
            "ref": row["ref"],
            "date": None if row["date"] is None else str(row["date"])[:10],
            "value": float(row["value"]),
            "decay": float(row["weight"]),
            "positive": float(row["positive"]),
            "negative": float(row["negative"]),
            "note": None if detail is None or (isinstance(detail, float) and math.isnan(detail)) else str(detail),
        })
    return out


def _opt_float(value: Any) -> float | None:
    return None if value is None else float(value)


def _hop_data(G: Snapshot | nx.DiGraph, u: Any, v: Any) -> Mapping[str, Any]:
    """The attributes of hop ``u → v`` (a snapshot's edge, or the graph's edge dict)."""
    if isinstance(G, Snapshot):
        k = G.edge(G.index_of(u), G.index_of(v))
        if k is None:
            raise NotFoundError(f"no edge {u!r} → {v!r} in the trust graph")
        return G.edge_data(k)
    return G[u][v]


def _party(G: Snapshot | nx.DiGraph, node: Any) -> tuple[str | None, bool, list[dict[str, Any]]]:
    """The name of ``node``, whether it is listed, and its listings in force."""
    from ..documents import listing

    if isinstance(G, Snapshot):
        i = G.index_of(node)
        rows = G.listings.get(str(node), []) if G.listed[i] else []
        return G.names[i], bool(G.listed[i]), [listing(r, node) for r in rows]
    data = G.nodes[node]
    listed = bool(data.get("listed"))
    return data.get("name"), listed, [listing(r, node) for r in (data.get("listings") or [])] if listed else []


def build_chains(
    G: Snapshot | nx.DiGraph,
    paths: Sequence[Sequence[Any]],
    *,
    weight: str = "trust",
    evidence: EvidenceSource = None,
) -> list[Chain]:
    """Turn node paths into :class:`Chain` objects with each hop's trust and evidence.

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph the paths were found in (hop trust, names and listings come from it).
    paths : sequence of node sequences
        The chains, each from source to target.
    weight : str, default "trust"
        Edge attribute with the hop trust (a snapshot's is ``trust``).
    evidence : DataFrame or callable, optional
        The :func:`~trustgraph.evidence.evidence_frame` the graph was compiled from, or a function
        that returns the evidence frame of the parties it is given (called once, with the parties on
        ``paths``, so that only their rows need reading). Each hop lists its evidence rows; none
        without it.
    """
    pairs = {(u, v) for p in paths for u, v in itertools.pairwise(p)}
    if callable(evidence):
        evidence = evidence(sorted({n for p in paths for n in p}, key=str)) if pairs else None
    by_pair = _evidence_by_pair(evidence, pairs)
    chains = []
    for p in paths:
        links = []
        strength = 1.0
        for u, v in itertools.pairwise(p):
            data = _hop_data(G, u, v)
            trust = float(data[weight])
            strength *= trust
            links.append(Link(
                source=u, target=v, trust=trust, uncertainty=_opt_float(data.get("uncertainty")),
                positive=_opt_float(data.get("positive")), negative=_opt_float(data.get("negative")),
                evidence=tuple(by_pair.get((u, v), ())),
            ))
        parties = [_party(G, n) for n in p]
        chains.append(Chain(
            path=tuple(p), strength=strength, links=tuple(links),
            names=tuple(name for name, _, _ in parties),
            listed=tuple(n for n, (_, listed, _) in zip(p, parties, strict=True) if listed),
            listings=tuple(x for _, _, rows in parties for x in rows),
        ))
    return chains


def vouching_chains(
    G: Snapshot | nx.DiGraph,
    source: Any,
    target: Any,
    *,
    k: int = DEFAULT_K,
    max_hops: int = DEFAULT_MAX_HOPS,
    min_trust: float = DEFAULT_MIN_TRUST,
    exclude_listed: bool = True,
    weight: str = "trust",
    evidence: EvidenceSource = None,
    index: ChainIndex | None = None,
) -> list[Chain]:
    """The ``k`` strongest vouching chains from ``source`` to ``target``.

    A chain's strength is the product of its hops' trust (see the module docs for which hops count
    and how the search works).

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph (:func:`trustgraph.snapshot.open_snapshot`, or
        :func:`trustgraph.graph.project`).
    source, target : node
        Who asks (the first party of the chain) and who is vouched for (the last).
    k : int, default 3
        Number of chains.
    max_hops : int, default 5
        Longest chain.
    min_trust : float, default 0.5
        Lowest hop trust used.
    exclude_listed : bool, default True
        No listed party as an intermediary.
    weight : str, default "trust"
        Edge attribute with the hop trust (NetworkX graphs).
    evidence : DataFrame or callable, optional
        The :func:`~trustgraph.evidence.evidence_frame` the graph was compiled from, or a function
        giving the evidence frame of the parties on the chains found (see :func:`build_chains`);
        when given, each hop lists its evidence rows.
    index : ChainIndex, optional
        A prebuilt index of ``G`` with the same ``weight``, ``min_trust`` and ``exclude_listed``
        (saves compiling the graph when asking many questions).

    Returns
    -------
    list of Chain
        Strongest first (ties: fewer hops, then path order); empty when no chain exists.

    Raises
    ------
    NotFoundError
        If ``source`` or ``target`` is not in ``G``.
    TrustgraphError
        If ``source`` and ``target`` are the same.

    Examples
    --------
    >>> import networkx as nx
    >>> G = nx.DiGraph()
    >>> G.add_edge("us", "a", trust=0.9); G.add_edge("a", "x", trust=0.8); G.add_edge("us", "x", trust=0.6)
    >>> [(c.path, round(c.strength, 2)) for c in vouching_chains(G, "us", "x")]
    [(('us', 'a', 'x'), 0.72), (('us', 'x'), 0.6)]
    """
    if index is None:
        index = ChainIndex.of(G, weight=weight, min_trust=min_trust, exclude_listed=exclude_listed)
    found = index.search(source, target, k=k, max_hops=max_hops)
    found.sort(key=lambda pc: (round(pc[1], 12), len(pc[0]), [str(n) for n in pc[0]]))
    return build_chains(G, [p for p, _ in found], weight=weight, evidence=evidence)


def independent_vouchers(
    G: Snapshot | nx.DiGraph,
    source: Any,
    target: Any,
    *,
    max_hops: int = DEFAULT_MAX_HOPS,
    min_trust: float = DEFAULT_MIN_TRUST,
    exclude_listed: bool = True,
    weight: str = "trust",
    evidence: EvidenceSource = None,
    index: ChainIndex | None = None,
    limit: int | None = None,
) -> list[Chain]:
    """Node-disjoint vouching chains from ``source`` to ``target``, strongest first.

    Greedy: take the strongest chain, forbid its intermediaries, take the strongest remaining chain,
    and so on (a direct hop ``source → target`` counts once). No two chains share an intermediary,
    so each stands for an independent line of vouching. Greedy selection keeps the strongest
    chains; it can find fewer disjoint chains than the maximum possible in contrived graphs.

    Parameters are those of :func:`vouching_chains`; ``limit`` caps the number of chains.

    Raises
    ------
    NotFoundError
        If ``source`` or ``target`` is not in ``G``.
    """
    if index is None:
        index = ChainIndex.of(G, weight=weight, min_trust=min_trust, exclude_listed=exclude_listed)
    paths: list[list[Any]] = []
    used: set[Any] = set()
    direct = True
    while limit is None or len(paths) < limit:
        found = index.search(source, target, k=1, max_hops=max_hops, avoid=used, direct=direct)
        if not found:
            break
        path = found[0][0]
        paths.append(path)
        if len(path) == 2:
            direct = False
        used.update(path[1:-1])
    return build_chains(G, paths, weight=weight, evidence=evidence)


# --------------------------------------------------------------------------------------------------
# GnuPG-style web of trust


@dataclass(frozen=True)
class Introducer:
    """A party that vouches directly for the target, as the web-of-trust rule sees it.

    ``trust`` is the owner's trust in the introducer (``trust_from``: ``"owner"`` for the owner
    itself, ``"direct"`` for the owner's own local trust, ``"chain"`` for the strongest chain,
    ``None`` when the owner has no chain to it); ``level`` is ``ultimate``, ``complete``,
    ``marginal`` or ``none``; ``counted`` is whether it counts toward the verdict (it is valid, its
    level is not ``none``, and it is not listed).
    """

    id: str
    name: str | None
    vouch: float
    trust: float | None
    trust_from: str | None
    level: str
    valid: bool
    depth: int | None
    listed: bool
    counted: bool
    chain: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "ownertrust": self.level, "counted": self.counted,
            "trust": self.trust, "trust_from": self.trust_from, "vouch": self.vouch, "valid": self.valid,
            "depth": self.depth, "listed": self.listed, "chain": list(self.chain),
        }


@dataclass(frozen=True)
class Validity:
    """The web-of-trust verdict on ``target`` from ``owner``'s point of view."""

    owner: str
    target: str
    valid: bool
    validity: str  # "ultimate", "full", "marginal" or "unknown"
    depth: int | None
    completes: int
    marginals: int
    introducers: tuple[Introducer, ...]
    reasoning: tuple[str, ...]
    rule: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner, "target": self.target, "valid": self.valid, "validity": self.validity,
            "depth": self.depth, "completes": self.completes, "marginals": self.marginals,
            "rule": dict(self.rule), "reasoning": list(self.reasoning),
            "introducers": [i.as_dict() for i in self.introducers],
        }


def web_of_trust(
    G: Snapshot | nx.DiGraph,
    owner: Any,
    target: Any,
    *,
    complete_trust: float = COMPLETE_TRUST,
    marginal_trust: float = MARGINAL_TRUST,
    completes_needed: int = COMPLETES_NEEDED,
    marginals_needed: int = MARGINALS_NEEDED,
    max_depth: int = DEFAULT_MAX_HOPS,
    min_trust: float = DEFAULT_MIN_TRUST,
    exclude_listed: bool = True,
    weight: str = "trust",
    index: ChainIndex | None = None,
) -> Validity:
    """GnuPG's web-of-trust validity of ``target`` for ``owner``.

    The trust graph plays the keyring: ``owner`` is the ultimately trusted key, a usable hop
    ``i → x`` (trust above 0.5 and ≥ ``min_trust``) is ``i``'s signature on ``x``. As in GnuPG, a
    party is *valid* when the owner itself vouches for it, or at least ``completes_needed``
    complete introducers do, or at least ``marginals_needed`` marginal introducers, where an
    introducer must itself be valid and the owner's trust in it decides its level; validity spreads
    in rounds from the owner, to depth ``max_depth`` (GnuPG's ``max-cert-depth``). A party vouched
    for by some counted introducers but not enough has *marginal* validity (not valid); with none it
    is *unknown*. As in GnuPG, complete introducers do not count toward the marginal quota and
    marginally valid parties do not introduce.

    The owner's trust in an introducer ``i`` (GnuPG's *ownertrust*, which the key owner sets by
    hand) is derived from the graph: the owner's own local trust in ``i`` when the owner has
    evidence about ``i`` (its own opinion wins, even when low), else *delegated* trust: the best
    weakest-link trust over the owner's chains to ``i`` within ``max_depth`` hops (a chain of
    delegations is only as strong as its weakest one, as with OpenPGP trust signatures; the depth
    limit bounds how far it reaches). It is ``complete`` at ≥ ``complete_trust`` (0.65: about one
    fresh full-strength referral or completed partnership), ``marginal`` at ≥ ``marginal_trust``
    (0.55: e.g. a full-strength referral up to two half-lives old), else ``none``. With
    ``exclude_listed`` a listed party never introduces.

    Each round is computed on the index's arrays: the usable hops out of every valid, unlisted
    party are tallied by the level of the party they come from.

    Parameters
    ----------
    G : Snapshot or networkx.DiGraph
        The trust graph (see :class:`ChainIndex`); when ``index`` is given its graph is used.
    owner, target : node
        Whose point of view, and the party judged.
    complete_trust, marginal_trust : float
        The owner's trust that makes an introducer complete, marginal.
    completes_needed, marginals_needed : int
        Counted introducers of each level that make a party valid (GnuPG's defaults 1 and 3).
    max_depth : int
        Deepest validity (GnuPG's ``max-cert-depth``), also the reach of delegated trust.
    min_trust, exclude_listed, weight
        As for :class:`ChainIndex`.
    index : ChainIndex, optional
        A prebuilt index of ``G`` (its ``min_trust`` and ``exclude_listed`` apply).

    Returns
    -------
    Validity
        The verdict, the target's introducers with their levels, and the reasoning in words.

    Raises
    ------
    NotFoundError
        If ``owner`` or ``target`` is not in ``G``.
    ValueError
        If a threshold is outside [0, 1], ``marginal_trust`` exceeds ``complete_trust``, or a count
        or ``max_depth`` is below 1.
    """
    for name, value in (("complete_trust", complete_trust), ("marginal_trust", marginal_trust)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {value}")
    if marginal_trust > complete_trust:
        raise ValueError("marginal_trust must not exceed complete_trust")
    if completes_needed < 1 or marginals_needed < 1 or max_depth < 1:
        raise ValueError("completes_needed, marginals_needed and max_depth must be at least 1")
    if index is None:
        index = ChainIndex.of(G, weight=weight, min_trust=min_trust, exclude_listed=exclude_listed)
    o, t = index.node_index(owner), index.node_index(target)
    rule = {
        "complete_trust": complete_trust, "marginal_trust": marginal_trust,
        "completes_needed": completes_needed, "marginals_needed": marginals_needed,
        "max_depth": max_depth, "min_trust": index.min_trust, "exclude_listed": index.exclude_listed,
    }
    if o == t:
        return Validity(str(owner), str(target), True, "ultimate", 0, 0, 0, (),
                        ("the owner is ultimately trusted",), rule)

    snap, n = index.snapshot, index.n
    # The owner's trust in every party: its own opinion (any edge, even below 0.5) wins over the
    # best delegation within max_depth hops.
    width, preds = index._widest(o, max_depth)
    owner_trust = np.where(np.isfinite(width), width, np.nan)
    trust_from = np.where(np.isfinite(width), _FROM_CHAIN, _FROM_NONE).astype(np.int8)
    own = snap.out_edges(o)
    owner_trust[snap.dst[own]] = snap.trust[own]
    trust_from[snap.dst[own]] = _FROM_DIRECT
    owner_trust[o], trust_from[o] = 1.0, _FROM_OWNER
    level = np.full(n, _NONE, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        level[owner_trust >= marginal_trust] = _MARGINAL
        level[owner_trust >= complete_trust] = _COMPLETE
    level[o] = _ULTIMATE

    # Validity rounds: every valid party introduces unless listed (all are at a depth below the round).
    depth_of = np.full(n, -1, dtype=np.int64)
    depth_of[o] = 0
    for depth in range(1, max_depth + 1):
        introducers = np.flatnonzero((depth_of >= 0) & ~index.listed)
        idx, rep = _gather(index.fptr, introducers)
        x, lv = index.fdst[idx], level[introducers[rep]]
        fresh = depth_of[x] < 0
        x, lv = x[fresh], lv[fresh]
        if not len(x):
            break
        new = np.flatnonzero(
            (np.bincount(x[lv == _ULTIMATE], minlength=n) > 0)
            | (np.bincount(x[lv == _COMPLETE], minlength=n) >= completes_needed)
            | (np.bincount(x[lv == _MARGINAL], minlength=n) >= marginals_needed))
        if not len(new):
            break
        depth_of[new] = depth

    intro: list[Introducer] = []
    lo, hi = int(index.rptr[t]), int(index.rptr[t + 1])
    for i, vouch in zip(index.rsrc[lo:hi].tolist(), index.rtrust[lo:hi].tolist(), strict=True):
        source_of_trust = _TRUST_FROM[trust_from[i]]
        lv_name = _LEVEL_NAMES[level[i]]
        is_valid = bool(depth_of[i] >= 0)
        chain: tuple[str, ...] = ()
        if source_of_trust == "chain":
            chain = tuple(index.node(j) for j in index._delegation(o, i, preds))
        elif source_of_trust == "direct":
            chain = (index.node(o), index.node(i))
        intro.append(Introducer(
            id=index.node(i), name=snap.names[i], vouch=float(vouch),
            trust=None if source_of_trust is None else float(owner_trust[i]), trust_from=source_of_trust,
            level=lv_name, valid=is_valid, depth=int(depth_of[i]) if is_valid else None,
            listed=bool(index.party_listed[i]),
            counted=bool(is_valid and depth_of[i] < max_depth and lv_name != "none" and not index.listed[i]),
            chain=chain,
        ))
    order = {"ultimate": 0, "complete": 1, "marginal": 2, "none": 3}
    intro.sort(key=lambda x: (not x.counted, order[x.level], -(x.trust or 0.0), str(x.id)))
    completes = sum(1 for x in intro if x.counted and x.level == "complete")
    marginals = sum(1 for x in intro if x.counted and x.level == "marginal")
    valid = bool(depth_of[t] >= 0)
    reasoning = _reasoning(intro, valid, int(depth_of[t]), completes, marginals, max_depth=max_depth,
                           marginal_trust=marginal_trust, completes_needed=completes_needed,
                           marginals_needed=marginals_needed, exclude_listed=index.exclude_listed)
    verdict = "full" if valid else "marginal" if completes or marginals else "unknown"
    return Validity(
        owner=str(owner), target=str(target), valid=valid, validity=verdict,
        depth=int(depth_of[t]) if valid else None, completes=completes, marginals=marginals,
        introducers=tuple(intro), reasoning=tuple(reasoning), rule=rule,
    )


# Codes of web_of_trust's arrays: introducer levels and where the owner's trust comes from.
_ULTIMATE, _COMPLETE, _MARGINAL, _NONE = 0, 1, 2, 3
_LEVEL_NAMES = ("ultimate", "complete", "marginal", "none")
_FROM_NONE, _FROM_OWNER, _FROM_DIRECT, _FROM_CHAIN = 0, 1, 2, 3
_TRUST_FROM: tuple[str | None, ...] = (None, "owner", "direct", "chain")


def _reasoning(
    intro: Sequence[Introducer], valid: bool, depth: int, completes: int, marginals: int, *,
    max_depth: int, marginal_trust: float, completes_needed: int, marginals_needed: int, exclude_listed: bool,
) -> list[str]:
    """The web-of-trust verdict in words: one line per introducer, then the conclusion."""
    need = f"needs {completes_needed} complete or {marginals_needed} marginal valid introducer(s)"
    reasoning = []
    for x in intro:
        if x.level == "ultimate":
            reasoning.append(f"{x.id}: the owner itself vouches (trust {x.vouch:.3f}) — ultimate")
            continue
        trust_text = "no chain from the owner" if x.trust is None else (
            f"owner's trust {x.trust:.3f} ("
            + ("own evidence" if x.trust_from == "direct" else "weakest link of " + " > ".join(map(str, x.chain)))
            + ")")
        why = []
        if not x.valid:
            why.append("not itself valid")
        elif x.depth is not None and x.depth >= max_depth:
            why.append(f"valid only at the depth limit {max_depth}")
        if x.listed and exclude_listed:
            why.append("listed")
        if x.level == "none":
            why.append(f"trust below {marginal_trust:g}")
        state = "counts" if x.counted else "does not count: " + ", ".join(why)
        kind = "introducer below the marginal threshold" if x.level == "none" else f"{x.level} introducer"
        reasoning.append(f"{x.id}: {kind}, {trust_text}, vouch {x.vouch:.3f}; {state}")
    if valid:
        if any(x.level == "ultimate" for x in intro):
            reasoning.append("valid at depth 1: the owner itself vouches for it")
        else:
            reasoning.append(
                f"valid at depth {depth}: {completes} complete and {marginals} marginal counted introducer(s); {need}")
    elif completes or marginals:
        reasoning.append(
            f"marginal: {completes} complete and {marginals} marginal counted introducer(s), not enough; {need}")
    else:
        reasoning.append(f"not valid: no counted introducer within depth {max_depth}; {need}")
    return reasoning


# --------------------------------------------------------------------------------------------------
# Referral lookups

_REFERRAL_COLUMNS = ["id", "source", "target", "strength", "date", "recipient", "note"]


class ReferralBook:
    """Referral lookups over a referrals table: who referred a party, whom it referred, and how the
    asking organisation reaches it (the rows of the ``referrals`` document, :data:`REFERRALS_SCHEMA`,
    documented in ``docs/chains.md``).

    Parameters
    ----------
    referrals : pandas.DataFrame or callable
        The canonical ``referrals`` table (``id``, ``source``, ``target``, ``strength``, ``date``,
        ``recipient``, ``note``), or a function that returns the rows of that table concerning one
        party (at least those it gave or received), called at each lookup, so that a store is read
        by indexed lookups instead of whole.
    G : Snapshot or networkx.DiGraph
        The trust graph compiled from the same data; its as-of date (when set) hides referrals dated
        after it, and its names label the parties.
    index : ChainIndex, optional
        Used for the ``for`` chain; built from ``G`` with the defaults when first needed.
    evidence : DataFrame or callable, optional
        Hop evidence for the chain: the evidence frame of ``G``, or a function giving the evidence
        frame of the parties on the chain (see :func:`build_chains`).
    max_hops : int
        Longest chain searched for ``for``.
    """

    def __init__(
        self,
        referrals: pd.DataFrame | Callable[[Any], pd.DataFrame] | None,
        G: Snapshot | nx.DiGraph,
        *,
        index: ChainIndex | None = None,
        evidence: EvidenceSource = None,
        max_hops: int = DEFAULT_MAX_HOPS,
    ) -> None:
        self.graph = G
        self.snapshot = index.snapshot if index is not None and index.graph is G else as_snapshot(G)
        self.as_of = self.snapshot.as_of or None
        self.evidence = evidence
        self.max_hops = max_hops
        self._index = index
        self._lookup_rows: Callable[[Any], pd.DataFrame] | None = None
        self._prefetched: dict[Any, tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]] = {}
        self._rows: list[dict[str, Any]] = []
        self._by_source: dict[Any, list[int]] = {}
        self._by_target: dict[Any, list[int]] = {}
        if callable(referrals):
            self._lookup_rows = referrals
            return
        self._rows = self._records(referrals)
        for i, row in enumerate(self._rows):
            self._by_source.setdefault(row["source"], []).append(i)
            self._by_target.setdefault(row["target"], []).append(i)

    def _records(self, referrals: pd.DataFrame | None) -> list[dict[str, Any]]:
        """Referral rows up to the as-of date, newest first (then by id)."""
        import pandas as pd

        frame = referrals if referrals is not None else pd.DataFrame(columns=_REFERRAL_COLUMNS)
        frame = frame.reindex(columns=_REFERRAL_COLUMNS)
        if self.as_of and len(frame):
            frame = frame.loc[(frame["date"].astype(str).str.slice(0, 10) <= str(self.as_of)[:10]).to_numpy()]
        frame = frame.assign(_day=frame["date"].astype(str).str.slice(0, 10))
        frame = frame.sort_values(["_day", "id"], ascending=[False, True], kind="stable")
        return cast("list[dict[str, Any]]", frame.to_dict("records"))

    @property
    def index(self) -> ChainIndex:
        if self._index is None:
            self._index = ChainIndex.of(self.snapshot)
        return self._index

    def _name(self, node: Any) -> Any:
        i = self.snapshot.find(node)
        return None if i is None else self.snapshot.names[i]

    def _row(self, row: Mapping[Any, Any], other: str) -> dict[str, Any]:
        note = row.get("note")
        recipient = row.get("recipient")
        return {
            "referral": row["id"],
            "id": row[other],
            "name": self._name(row[other]),
            "strength": float(row["strength"]),
            "date": str(row["date"])[:10],
            "recipient": None if recipient is None or recipient != recipient else recipient,
            "note": None if note is None or note != note else note,
        }

    def prefetch(self, parties: Iterable[Any], rows_of: Callable[[list[Any]], pd.DataFrame]) -> None:
        """Read the referral rows of many ``parties`` at once (``rows_of(parties)``: the rows where
        any of them is source or target) for the next :meth:`lookup` calls — a batch reads them in
        one query instead of one per party. Replaces what an earlier call prefetched."""
        wanted = list(dict.fromkeys(parties))
        self._prefetched = {p: ([], []) for p in wanted}
        if not wanted:
            return
        for row in self._records(rows_of(wanted)):
            if row["target"] in self._prefetched:
                self._prefetched[row["target"]][0].append(row)
            if row["source"] in self._prefetched:
                self._prefetched[row["source"]][1].append(row)

    def _referrals_of(self, party: Any) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
        """(rows referring ``party``, rows ``party`` gave), newest first."""
        if party in self._prefetched:
            return self._prefetched[party]
        if self._lookup_rows is None:
            return ([self._rows[i] for i in self._by_target.get(party, [])],
                    [self._rows[i] for i in self._by_source.get(party, [])])
        rows = self._records(self._lookup_rows(party))
        return [r for r in rows if r["target"] == party], [r for r in rows if r["source"] == party]

    def lookup(self, party: Any, *, for_org: Any | None = None) -> dict[str, Any]:
        """The referral record of ``party``: one row of the ``referrals`` document (see
        ``docs/chains.md`` and ``trustgraph schema referrals`` for every field).

        ``for_org`` is the organisation asking: the row then carries its strongest vouching chain
        to ``party`` (null when there is none within ``max_hops``, or ``for_org`` is ``party``).

        Raises
        ------
        NotFoundError
            If ``party`` or ``for_org`` is not in the graph.
        """
        from ..documents import listing

        snap = self.snapshot
        i = snap.find(party)
        if i is None:
            raise NotFoundError(f"no organisation {party!r}")
        if for_org is not None and snap.find(for_org) is None:
            raise NotFoundError(f"no organisation {for_org!r} (--for)")
        received, given = self._referrals_of(party)
        listed = bool(snap.listed[i])
        out: dict[str, Any] = {
            "id": party,
            "name": snap.names[i],
            "listed": listed,
            "listings": [listing(r, party) for r in snap.listings.get(str(party), [])] if listed else [],
            "referred_by": [self._row(r, "source") for r in received],
            "referred": [self._row(r, "target") for r in given],
            "for": for_org,
            "chain": None,
        }
        if for_org is not None and for_org != party:
            chains = vouching_chains(self.graph, for_org, party, k=1, max_hops=self.max_hops, index=self.index,
                                     evidence=self.evidence, weight=self.index.weight)
            if chains:
                out["chain"] = chains[0].as_dict()
        return out
