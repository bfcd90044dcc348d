"""The compiled trust graph: one snapshot per (store content, as-of, half-life), reused by every process.

Every analysis reads a :class:`Snapshot`: parties are numbered ``0 … n−1`` (in id order when
compiled from a store), and the local trust of :mod:`trustgraph.evidence` is held as edge arrays
grouped by source (CSR: the out-edges of party ``i`` are ``indptr[i]:indptr[i + 1]``), with the
decayed positive and negative evidence behind each edge, split by evidence kind. Per-party facts the
analyses need (name, pre-trusted, listed, the organisation attributes) sit beside them, and the
ties through shared people (:func:`trustgraph.analysis.contagion.shared_people`) as a second edge
list.

On disk a snapshot is a folder of ``.npy`` arrays plus ``meta.json``, opened memory-mapped (a
question reads only the pages it touches). :func:`open_snapshot` keeps them in a cache folder beside
the SQLite file (``<store>.snapshots/``) or, for Neo4j, in the user's cache folder keyed by server
and database. The cache key is the store's identity and *version* (:meth:`Store.version`, bumped in
the same transaction as every write), the requested as-of and the half-life, so a snapshot of an
older version is never used. A snapshot is written under a temporary name and renamed into place:
a reader sees a whole snapshot or none. When the store changed while it was being read, the
snapshot is used for that question but not kept.

Arrays (``m`` edges, ``n`` parties)
-----------------------------------
``indptr`` (n+1), ``src``, ``dst`` (m, int64), ``trust``, ``uncertainty``, ``positive``, ``negative``
(m, float64; see :mod:`trustgraph.evidence`), ``evidence`` (m, int64: evidence rows), ``kinds``
(m, uint8: bit ``k`` set when :data:`KINDS` ``[k]`` evidence exists), ``last`` (m, int64: newest
evidence date, days since 1970-01-01, −1 when unknown), ``kind_net`` (m × 4: positive − negative
per kind), ``received`` (n × 4 × 3: evidence rows received per kind: all, positive, negative),
``pretrusted``, ``listed`` (n, bool), ``people_src``, ``people_dst``, ``people_weight`` (ties
through shared people, each in both directions), ``timing`` (m × 2 or absent: the mean timing factor
of each edge's positive evidence relative to its target's listing, all kinds and referrals only;
:func:`trustgraph.analysis.contagion.evidence_timing`), ``activity`` (m × 3 or absent: the edge's
evidence as *activity*, every kind faded with its age — positive, negative, and the referrals' net —
where ``positive``, ``negative``, ``kind_net`` and ``trust`` hold it as *opinion*, referrals standing;
:mod:`trustgraph.evidence`, "Standing opinions and activity"; absent: the same as the opinion).
Strings (ids, names, attributes) are stored as one UTF-8 blob with offsets (:class:`Strings`).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from .errors import NotFoundError

if TYPE_CHECKING:  # heavy imports (numpy too: ~0.3 s) only where used, so that `stats` stays light
    import networkx as nx
    import numpy as np
    import pandas as pd

    from .store.base import Store

__all__ = [
    "KINDS",
    "FORMAT_VERSION",
    "ATTRIBUTES",
    "Strings",
    "Snapshot",
    "compile_tables",
    "from_graph",
    "as_snapshot",
    "open_snapshot",
    "cached_facts",
    "snapshot_folder",
    "row_pointers",
    "match_scores",
    "resolve_reference",
    "AmbiguousReferenceError",
    "MATCH_CUTOFF",
]

#: Evidence kinds, in the order of the ``kinds`` bits and the ``kind_net`` / ``received`` columns.
KINDS = ("partnership", "referral", "incident", "communication")
#: File-name prefix of arrays derived from a saved snapshot (:meth:`Snapshot.derived`).
DERIVED = "derived."
#: Bump when the arrays change meaning; snapshots of another format are rebuilt.
FORMAT_VERSION = 6  # 4: partnerships timed over their span; 5: standing referrals, ``activity``; 6: timing reaches 0
#  a year before a listing (issue 16)
#: Organisation attributes kept as strings (tags ``;``-joined), as :func:`trustgraph.graph.project` has them.
ATTRIBUTES = ("sector", "country", "region", "culture", "risk_appetite", "tags")
#: Snapshots of the current store version kept per cache folder (different as-of dates and
#: half-lives; the newest by modification time). Snapshots of older versions are removed.
KEEP = 16
#: Reads of a :class:`Strings` column after which it is copied out of the memory map.
PLAIN_AFTER = 2_000
#: Id look-ups (:meth:`Snapshot.find`) after which a snapshot builds an id → index dict: a
#: long-lived process (trustgraph serve, a notebook) then answers each in a dict probe instead of a
#: binary search over the memory-mapped ids (~30 µs); a one-off command never asks this many.
INDEX_AFTER = 2_000
#: Derived structures kept per snapshot in memory (:meth:`Snapshot.memo`).
MEMO_ENTRIES = 16
T = TypeVar("T")

_EPOCH = "1970-01-01"

#: The least fuzzy match (0..100, :func:`match_scores`) that ``trustgraph orgs QUERY`` shows.
MATCH_CUTOFF = 75.0
#: The least fuzzy match offered as a "did you mean" suggestion, and how many are offered.
SUGGEST_CUTOFF = 65.0
SUGGESTIONS = 5
SUGGEST_SPREAD = 15.0
#: The shortest text resolved as a name prefix (shorter prefixes are mostly accidents).
MIN_PREFIX = 3
#: How many candidates an ambiguous reference lists.
SHOWN_CANDIDATES = 10


class AmbiguousReferenceError(NotFoundError):
    """A reference that matches several entries (exit 4, like no match); ``candidates`` are their
    positions."""

    def __init__(self, message: str, candidates: list[int]) -> None:
        super().__init__(message)
        self.candidates = candidates


def _fold(text: Any) -> str:
    """Text compared case-insensitively, runs of white space as one space."""
    return " ".join(str(text).casefold().split())


def match_scores(query: str, ids: Sequence[Any], names: Sequence[str | None], *,
                 cutoff: float = MATCH_CUTOFF) -> dict[int, float]:
    """How well ``query`` matches each entry (index → 0..100), for entries at or above ``cutoff``.

    An entry's score is the better of its name's and its id's: the name by rapidfuzz's ``WRatio``
    (which weighs whole, partial and token-order matches, so "anand solr" finds "Anand Solar
    Solutions Pvt Ltd"), the id by plain ``ratio`` (edit distance: "org45" is close to "ORG045").
    Both sides are compared lower-cased with punctuation folded to spaces
    (``rapidfuzz.utils.default_process``); an exact case-insensitive id or name scores 100. A name
    shorter than the query is scored as a whole (plain ``ratio``): it cannot contain the query.
    """
    from rapidfuzz import fuzz, process, utils

    scores: dict[int, float] = {}
    wanted = utils.default_process(query)
    for choices, scorer in ((names, fuzz.WRatio), ([None if v is None else str(v) for v in ids], fuzz.ratio)):
        for choice, score, i in process.extract(query, choices, scorer=scorer, processor=utils.default_process,
                                                score_cutoff=cutoff, limit=None):
            shorter = utils.default_process(choice)
            if scorer is fuzz.WRatio and len(shorter) < len(wanted):
                # WRatio's partial match finds a name *inside* the query ("a" in "raph" scores 90): a
                # search asks for names that contain the query, so a shorter name is scored as a whole.
                score = fuzz.ratio(wanted, shorter)
                if score < cutoff:
                    continue
            if score > scores.get(i, -1.0):
                scores[i] = float(score)
    return scores


def _shown(i: int, ids: Sequence[Any], names: Sequence[str | None]) -> str:
    name = names[i]
    return f"{ids[i]} ({name})" if name and name != str(ids[i]) else str(ids[i])


def resolve_reference(ref: str, ids: Sequence[Any], names: Sequence[str | None], *, what: str = "organisation",
                      exact: Callable[[str], int | None] | None = None) -> int:
    """The position of the entry that ``ref`` names, among entries with ``ids`` and ``names``.

    The rules, in order (the first that matches decides; docs/cli.md "Naming a party"):

    1. the id exactly (``exact(ref)`` when given: an indexed lookup);
    2. the id, case-insensitively;
    3. the name, case-insensitively (runs of white space count as one space);
    4. the start of a name (at least :data:`MIN_PREFIX` characters), case-insensitively, when it
       starts one name only: ``"Anand Solar"`` for "Anand Solar Solutions Pvt Ltd".

    Raises
    ------
    AmbiguousReferenceError
        When a rule matches several entries (a :class:`NotFoundError`; the candidates are listed).
    NotFoundError
        When none matches (the closest :data:`SUGGESTIONS` by :func:`match_scores` are offered:
        "did you mean ...").
    """
    if exact is not None:
        hit = exact(ref)
        if hit is not None:
            return hit
    else:
        same = [i for i, v in enumerate(ids) if v == ref]
        if len(same) == 1:
            return same[0]
    key = _fold(ref)
    plural = what + ("s" if not what.endswith("s") else "")
    rules: tuple[tuple[str, Callable[[], list[int]]], ...] = (
        ("id", lambda: [i for i, v in enumerate(ids) if v is not None and _fold(v) == key]),
        ("name", lambda: [i for i, v in enumerate(names) if v is not None and _fold(v) == key]),
        ("the start of a name", lambda: [i for i, v in enumerate(names) if v is not None and
                                         _fold(v).startswith(key)] if len(key) >= MIN_PREFIX else []),
    )
    for rule, matching in rules:
        hits = matching()
        if len(hits) == 1:
            return hits[0]
        if hits:
            shown = "; ".join(_shown(i, ids, names) for i in hits[:SHOWN_CANDIDATES])
            more = f"; and {len(hits) - SHOWN_CANDIDATES} more" if len(hits) > SHOWN_CANDIDATES else ""
            raise AmbiguousReferenceError(f"{ref!r} matches {len(hits)} {plural} by {rule}: {shown}{more}; "
                                          "give an id", hits)
    scores = match_scores(ref, ids, names, cutoff=SUGGEST_CUTOFF) if key else {}
    best = sorted(scores, key=lambda i: (-scores[i], str(ids[i])))[:SUGGESTIONS]
    # the 3 closest, and up to 5 when they are nearly as close as the best
    best = [i for k, i in enumerate(best) if k < 3 or scores[i] >= scores[best[0]] - SUGGEST_SPREAD]
    hint = ("; did you mean " + "; ".join(_shown(i, ids, names) for i in best) + "?") if best else ""
    finder = " (search with `trustgraph orgs TEXT`)" if what == "organisation" else ""
    raise NotFoundError(f"no {what} with id or name {ref!r}{hint}{finder}")


def _day_string(days: int) -> str | None:
    import numpy as np

    return None if days < 0 else str(np.datetime64(_EPOCH, "D") + np.timedelta64(int(days), "D"))


class Strings(Sequence[Any]):
    """An immutable column of optional strings: one UTF-8 blob and offsets (memory-mappable).

    ``None`` is stored with ``null`` set; lookups by value use a sorted permutation (binary search,
    no dictionary of every value).
    """

    def __init__(self, blob: np.ndarray, offsets: np.ndarray, null: np.ndarray, order: np.ndarray | None = None,
                 folded: bool = False) -> None:
        self.blob = blob
        self.offsets = offsets
        self.null = null
        self._order = order
        self._folded = folded
        self._reads = 0
        self._plain: tuple[bytes, list[int], list[bool]] | None = None

    @classmethod
    def from_values(cls, values: Iterable[Any], *, fold: bool = False, lookup: bool = True) -> Strings:
        """A column of ``values`` (``None``/NaN = missing); ``lookup`` keeps the sorted permutation
        :meth:`find` needs, ``fold`` makes it case-insensitive."""
        import numpy as np

        vals = [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
        encoded = [b"" if v is None else v.encode("utf-8") for v in vals]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        if encoded:
            np.cumsum([len(b) for b in encoded], out=offsets[1:])
        blob = np.frombuffer(b"".join(encoded), dtype=np.uint8) if encoded else np.zeros(0, dtype=np.uint8)
        null = np.array([v is None for v in vals], dtype=bool)
        if not lookup:
            return cls(blob, offsets, null, None, fold)
        keys = [(v or "").casefold() for v in vals] if fold else [v or "" for v in vals]
        if all(a <= b for a, b in zip(keys, keys[1:])):
            order = np.arange(len(keys), dtype=np.int64)  # ids from a store come sorted
        else:
            order = np.array(sorted(range(len(vals)), key=keys.__getitem__), dtype=np.int64)
        return cls(blob, offsets, null, order, fold)

    def __len__(self) -> int:
        return len(self.null)

    def _get(self, i: int) -> str | None:
        plain = self._plain
        if plain is not None:
            raw, off, null = plain
            return None if null[i] else raw[off[i]:off[i + 1]].decode("utf-8")
        self._reads += 1
        if self._reads > PLAIN_AFTER:
            # A long-lived reader (trustgraph serve, a notebook): copy the column out of the memory
            # map once into Python bytes and lists; each read is then a slice, not four memmap
            # indexings (~10x faster). A one-off command never reads this many.
            self._plain = (bytes(self.blob), self.offsets.tolist(), self.null.tolist())
            return self._get(i)
        if self.null[i]:
            return None
        return bytes(self.blob[self.offsets[i]:self.offsets[i + 1]]).decode("utf-8")

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._get(k) for k in range(*i.indices(len(self)))]
        return self._get(int(i))

    def __iter__(self) -> Iterator[str | None]:
        raw = bytes(self.blob)
        off = self.offsets.tolist()
        null = self.null.tolist()
        for k in range(len(null)):
            yield None if null[k] else raw[off[k]:off[k + 1]].decode("utf-8")

    def tolist(self) -> list[str | None]:
        return list(iter(self))

    def find(self, value: str) -> list[int]:
        """Positions whose value equals ``value`` (casefolded on both sides for a folded column)."""
        if self._order is None:
            return [i for i, v in enumerate(self) if v == value]
        key = value.casefold() if self._folded else value
        order = self._order

        def at(k: int) -> str:
            v = self._get(int(order[k]))
            v = v or ""
            return v.casefold() if self._folded else v

        lo, hi = 0, len(order)
        while lo < hi:
            mid = (lo + hi) // 2
            if at(mid) < key:
                lo = mid + 1
            else:
                hi = mid
        found = []
        while lo < len(order) and at(lo) == key:
            i = int(order[lo])
            if not self.null[i]:
                found.append(i)
            lo += 1
        return sorted(found)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        out = {f"{prefix}.blob": self.blob, f"{prefix}.offsets": self.offsets, f"{prefix}.null": self.null}
        if self._order is not None:
            out[f"{prefix}.order"] = self._order
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str, folded: bool = False) -> Strings:
        return cls(arrays[f"{prefix}.blob"], arrays[f"{prefix}.offsets"], arrays[f"{prefix}.null"],
                   arrays.get(f"{prefix}.order"), folded)


@dataclass(eq=False)
class Snapshot:
    """The compiled trust graph (see the module docs for every array).

    Build one with :func:`compile_tables` (canonical tables), :func:`from_graph` (a NetworkX graph
    with the attributes of :func:`trustgraph.graph.project`) or :func:`open_snapshot` (a store, cached).
    """

    as_of: str
    half_life_days: float | None
    ids: Strings
    names: Strings
    attributes: dict[str, Strings]
    pretrusted: np.ndarray
    listed: np.ndarray
    listings: dict[str, list[dict[str, Any]]]
    indptr: np.ndarray
    src: np.ndarray
    dst: np.ndarray
    trust: np.ndarray
    uncertainty: np.ndarray
    positive: np.ndarray
    negative: np.ndarray
    evidence: np.ndarray
    kinds: np.ndarray
    last: np.ndarray
    kind_net: np.ndarray
    received: np.ndarray
    people_src: np.ndarray
    people_dst: np.ndarray
    people_weight: np.ndarray
    version: str | None = None
    #: (m, 2) mean timing factor of each edge's positive evidence (all kinds, referrals); None: by its newest date.
    timing: np.ndarray | None = None
    #: (m, 3) the edge's evidence as activity (every kind fading): positive, negative, referrals' net;
    #: None: the same as the opinion arrays (``positive``, ``negative``, ``kind_net``).
    activity: np.ndarray | None = None
    #: Whole-store facts for ``stats``: ``negative_referrals``, ``first_referral``, ``last_referral``.
    facts: dict[str, Any] = field(default_factory=dict)
    _index: dict[Any, int] | None = field(default=None, repr=False)
    _finds: int = field(default=0, repr=False)
    _memo: dict[Any, Any] = field(default_factory=dict, repr=False)
    #: The on-disk cache folder this snapshot was saved to or loaded from (None: in memory only).
    folder: Path | None = field(default=None, repr=False)

    def derived(self, name: str, build: Callable[[], np.ndarray]) -> np.ndarray:
        """``build()``, an array derived from this snapshot alone that is costly to compute (the
        vouching groups of a large network), kept in memory and beside the snapshot on disk when it has
        a cache folder: later processes read it instead of computing it again. ``name`` must say
        everything the array depends on beyond the snapshot. A file that cannot be read is computed
        again; one that cannot be written is not kept."""
        import numpy as np

        def load_or_build() -> np.ndarray:
            path = self.folder / f"{DERIVED}{name}.npy" if self.folder is not None else None
            if path is not None and path.exists():
                try:
                    return np.asarray(np.load(path, allow_pickle=False))
                except (OSError, ValueError):
                    pass
            value = np.asarray(build())
            if path is not None:
                tmp: str | None = None
                try:
                    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".npy", dir=path.parent)
                    with os.fdopen(fd, "wb") as out:
                        np.save(out, value, allow_pickle=False)
                    os.replace(tmp, path)  # atomic: a reader sees the whole file or none
                except OSError:
                    if tmp is not None:
                        Path(tmp).unlink(missing_ok=True)
            return value

        return self.memo(("derived", name), load_or_build)

    def memo(self, key: Any, build: Callable[[], T]) -> T:
        """``build()``, computed once per snapshot and ``key``: what analyses derive from the
        snapshot alone (a chain index, the tie matrix) is reused by every question a long-lived
        process (``trustgraph serve``, a notebook) asks of the same snapshot. Bounded: at most
        :data:`MEMO_ENTRIES` entries, the oldest dropped first."""
        if key in self._memo:
            return self._memo[key]
        value = build()
        self._memo[key] = value
        while len(self._memo) > MEMO_ENTRIES:
            self._memo.pop(next(iter(self._memo)))
        return value

    # -- size and lookups -------------------------------------------------------------------------

    @property
    def n(self) -> int:
        """Number of parties."""
        return len(self.pretrusted)

    @property
    def m(self) -> int:
        """Number of edges (ordered pairs with evidence)."""
        return len(self.src)

    def __len__(self) -> int:
        return self.n

    def __contains__(self, node: object) -> bool:
        return self.find(node) is not None

    def find(self, node: object) -> int | None:
        """The index of the party with id ``node``, or ``None``."""
        if self._index is not None:
            return self._index.get(node)
        if not isinstance(node, str):
            return None
        self._finds += 1
        if self._finds > INDEX_AFTER:
            self._index = {v: i for i, v in enumerate(self.ids) if v is not None}  # ids are unique
            return self._index.get(node)
        hits = self.ids.find(node)
        return hits[0] if hits else None

    def index_of(self, node: object) -> int:
        """The index of party ``node``.

        Raises
        ------
        NotFoundError
            When there is no such party.
        """
        i = self.find(node)
        if i is None:
            raise NotFoundError(f"no organisation {node!r} in the trust graph")
        return i

    def node(self, i: int) -> Any:
        """The id of party ``i``."""
        return self.ids[i]

    def nodes(self) -> list[Any]:
        """Every party id, in index order."""
        return self.ids.tolist()

    def name(self, node: Any) -> str | None:
        """The name of party ``node`` (an id)."""
        return self.names[self.index_of(node)]

    def resolve(self, ref: str) -> Any:
        """The id of the party ``ref`` names: an id (exactly, then case-insensitively), a name
        (case-insensitively) or the unambiguous start of a name (:func:`resolve_reference`).

        Raises
        ------
        NotFoundError
            When several parties match (they are listed), or none (the closest are suggested).
        """
        if self.find(ref) is not None:
            return ref
        ids, names = self.memo(("party-ids-and-names",), lambda: (self.ids.tolist(), self.names.tolist()))
        return ids[resolve_reference(str(ref), ids, names, exact=lambda r: None)]

    def search(self, query: str, *, cutoff: float = MATCH_CUTOFF) -> dict[int, float]:
        """Parties matching ``query`` (index → match, 0..100, at least ``cutoff``): :func:`match_scores`
        over every party's id and name."""
        ids, names = self.memo(("party-ids-and-names",), lambda: (self.ids.tolist(), self.names.tolist()))
        return match_scores(query, ids, names, cutoff=cutoff)

    def id_ranks(self) -> np.ndarray:
        """Each party's position in the order of ``str(id)``: the tie-break key of every ranking."""
        import numpy as np

        order = getattr(self.ids, "_order", None)
        if order is None or len(order) != self.n:
            order = np.argsort(np.array([str(v) for v in self.ids], dtype=str), kind="stable") if self.n else []
        keys = np.empty(self.n, dtype=np.int64)
        keys[np.asarray(order, dtype=np.int64)] = np.arange(self.n)
        return keys

    def out_edges(self, i: int) -> slice:
        """The edge positions of party ``i``'s out-edges."""
        return slice(int(self.indptr[i]), int(self.indptr[i + 1]))

    def edge(self, u: int, v: int) -> int | None:
        """The position of edge ``u → v`` (indices), or ``None``."""
        import numpy as np

        s = self.out_edges(u)
        hit = np.flatnonzero(self.dst[s] == v)
        return int(s.start + hit[0]) if len(hit) else None

    def kind_names(self, k: int) -> str:
        """The ``;``-joined evidence kinds of edge ``k`` (sorted, as the projection has them)."""
        bits = int(self.kinds[k])
        return ";".join(sorted(name for b, name in enumerate(KINDS) if bits >> b & 1))

    def edge_data(self, k: int) -> dict[str, Any]:
        """The attributes :func:`trustgraph.graph.project` gives edge ``k``."""
        return {
            "trust": float(self.trust[k]),
            "uncertainty": float(self.uncertainty[k]),
            "positive": float(self.positive[k]),
            "negative": float(self.negative[k]),
            "evidence": int(self.evidence[k]),
            "kinds": self.kind_names(k),
            "last": _day_string(int(self.last[k])),
        }

    def node_data(self, i: int) -> dict[str, Any]:
        """The attributes :func:`trustgraph.graph.project` gives party ``i``."""
        node = self.ids[i]
        data: dict[str, Any] = {"name": self.names[i]}
        for a in ATTRIBUTES:
            value = self.attributes[a][i] if a in self.attributes else None
            data[a] = (value.split(";") if value else []) if a == "tags" else value
        data["pretrusted"] = bool(self.pretrusted[i])
        data["listed"] = bool(self.listed[i])
        data["listings"] = list(self.listings.get(node, []))
        return data

    # -- NetworkX, where an algorithm needs it -----------------------------------------------------

    def to_networkx(self, nodes: Iterable[Any] | None = None) -> nx.DiGraph:
        """The trust graph (or the subgraph induced by ``nodes``) as a :class:`networkx.DiGraph`.

        Node, edge and graph attributes are those documented in :mod:`trustgraph.graph`.
        """
        import networkx as nx
        import numpy as np

        G = nx.DiGraph(as_of=self.as_of, half_life_days=self.half_life_days)
        if nodes is None:
            chosen = np.arange(self.n)
        else:
            chosen = np.array(sorted({self.index_of(v) for v in nodes}), dtype=np.int64)
        ids = self.ids.tolist() if nodes is None else {int(i): self.ids[int(i)] for i in chosen}
        G.add_nodes_from((ids[int(i)], self.node_data(int(i))) for i in chosen)
        keep = np.zeros(self.n, dtype=bool)
        keep[chosen] = True
        if nodes is None:
            edges = np.arange(self.m)
        else:
            starts, stops = self.indptr[chosen], self.indptr[chosen + 1]
            spans = [np.arange(a, b) for a, b in zip(starts.tolist(), stops.tolist())]
            edges = np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)
            edges = edges[keep[self.dst[edges]]]
        src, dst = self.src[edges].tolist(), self.dst[edges].tolist()
        trust, unc = self.trust[edges].tolist(), self.uncertainty[edges].tolist()
        pos, neg = self.positive[edges].tolist(), self.negative[edges].tolist()
        cnt, last = self.evidence[edges].tolist(), self.last[edges].tolist()
        kind_text = {b: ";".join(sorted(n for k, n in enumerate(KINDS) if b >> k & 1)) for b in range(16)}
        kinds = [kind_text[b] for b in self.kinds[edges].tolist()]
        days = {d: _day_string(d) for d in set(last)}
        referral = self.kind_net[edges, KINDS.index("referral")].tolist() if len(edges) else []
        G.add_edges_from(
            (ids[src[k]], ids[dst[k]], {
                "trust": trust[k], "uncertainty": unc[k], "positive": pos[k], "negative": neg[k],
                "evidence": cnt[k], "kinds": kinds[k], "last": days[last[k]], "referral_net": referral[k],
            })
            for k in range(len(src))
        )
        if self.timing is not None:  # kept for from_graph (edges where it is not 1); see the ``timing`` array
            timed = np.flatnonzero(np.any(self.timing[edges] != 1.0, axis=1))
            for k in timed.tolist():
                G.edges[ids[src[k]], ids[dst[k]]]["timing"] = [float(x) for x in self.timing[edges[k]]]
        if self.activity is not None:  # kept for from_graph where it differs from the opinion
            opinion = np.c_[self.positive[edges], self.negative[edges], self.kind_net[edges, KINDS.index("referral")]]
            moved = np.flatnonzero(np.any(self.activity[edges] != opinion, axis=1))
            for k in moved.tolist():
                G.edges[ids[src[k]], ids[dst[k]]]["activity"] = [float(x) for x in self.activity[edges[k]]]
        return G

    # -- persistence -----------------------------------------------------------------------------

    def _arrays(self) -> dict[str, np.ndarray]:
        import numpy as np

        out: dict[str, np.ndarray] = {}
        out.update(self.ids.arrays("ids"))
        out.update(self.names.arrays("names"))
        for a, col in self.attributes.items():
            out.update(col.arrays(f"attr.{a}"))
        for name in ("pretrusted", "listed", "indptr", "src", "dst", "trust", "uncertainty", "positive",
                     "negative", "evidence", "kinds", "last", "kind_net", "received", "people_src",
                     "people_dst", "people_weight"):
            out[name] = np.ascontiguousarray(getattr(self, name))
        if self.timing is not None:
            out["timing"] = np.ascontiguousarray(self.timing)
        if self.activity is not None:
            out["activity"] = np.ascontiguousarray(self.activity)
        return out

    def save(self, folder: str | Path, *, key: Mapping[str, Any] | None = None) -> Path:
        """Write the snapshot to ``folder`` (created; must not exist), atomically by rename."""
        import numpy as np

        folder = Path(folder)
        folder.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
        try:
            for name, array in self._arrays().items():
                np.save(tmp / f"{name}.npy", array, allow_pickle=False)
            meta = {
                "format": FORMAT_VERSION, "as_of": self.as_of, "half_life_days": self.half_life_days,
                "n": self.n, "m": self.m, "version": self.version, "key": dict(key or {}),
                "attributes": sorted(self.attributes), "listings": self.listings, "facts": self.facts,
                "built": time.time(),
            }
            # meta.json last: a folder without it is never opened.
            (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, default=str), encoding="utf-8")
            try:
                os.rename(tmp, folder)
            except OSError:
                if not (folder / "meta.json").exists():
                    raise
                shutil.rmtree(tmp, ignore_errors=True)  # another process won the race with the same content
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return folder

    @classmethod
    def load(cls, folder: str | Path, *, mmap: bool = True) -> Snapshot:
        """Open a saved snapshot (memory-mapped by default).

        Raises
        ------
        OSError, ValueError
            When the folder is incomplete or of another format.
        """
        import numpy as np

        folder = Path(folder)
        meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT_VERSION:
            raise ValueError(f"snapshot format {meta.get('format')} is not {FORMAT_VERSION}")
        mode: Literal["r"] | None = "r" if mmap else None
        arrays: dict[str, Any] = {}
        for path in folder.glob("*.npy"):
            if not path.name.startswith(DERIVED):
                arrays[path.name[:-4]] = np.load(path, mmap_mode=mode, allow_pickle=False)
        attributes = {a: Strings.from_arrays(arrays, f"attr.{a}") for a in meta["attributes"]}
        return cls(
            as_of=meta["as_of"], half_life_days=meta["half_life_days"],
            ids=Strings.from_arrays(arrays, "ids"), names=Strings.from_arrays(arrays, "names", folded=True),
            attributes=attributes, listings=meta["listings"], version=meta.get("version"), facts=meta.get("facts", {}),
            **{k: arrays[k] for k in ("pretrusted", "listed", "indptr", "src", "dst", "trust", "uncertainty",
                                      "positive", "negative", "evidence", "kinds", "last", "kind_net",
                                      "received", "people_src", "people_dst", "people_weight")},
            timing=arrays.get("timing"), activity=arrays.get("activity"), folder=folder,
        )


# ------------------------------------------------------------------------------------------------
# Compiling


def row_pointers(rows: np.ndarray, n: int) -> np.ndarray:
    """CSR row pointers of entries grouped by ``rows`` (values in ``0 … n−1``): the entries of row
    ``i`` are ``indptr[i]:indptr[i + 1]``."""
    import numpy as np

    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return indptr


def _listings_by_party(tables: Mapping[str, pd.DataFrame], day: str) -> dict[str, list[dict[str, Any]]]:
    from .cells import text
    from .graph import active_listings

    out: dict[str, list[dict[str, Any]]] = {}
    for row in active_listings(tables, day).to_dict("records"):
        out.setdefault(str(row["listed"]), []).append(
            {k: text(row.get(k)) for k in ("id", "lister", "date", "until", "reason", "source")})
    return out


def compile_tables(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: str | None = None,
    half_life_days: float | None = None,
    version: str | None = None,
    evidence: pd.DataFrame | None = None,
) -> Snapshot:
    """Compile canonical tables into a :class:`Snapshot`.

    Parameters
    ----------
    tables : mapping
        Canonical frames by table name; ``organizations`` is required.
    as_of : str, optional
        ISO date evidence is aged against (default: the newest event; see :mod:`trustgraph.evidence`).
    half_life_days : float or None
        Evidence half-life; ``None`` or 0 disables decay.
    version : str, optional
        The store version the tables were read at (kept in the snapshot's metadata).
    evidence : pandas.DataFrame, optional
        A precomputed :func:`~trustgraph.evidence.evidence_frame` of ``tables`` for the same as-of
        and half-life.
    """
    import numpy as np
    import pandas as pd

    from .analysis.contagion import evidence_timing, shared_people
    from .evidence import _dates, evidence_frame, reference_date

    ref = reference_date(tables, as_of)
    day = ref.strftime("%Y-%m-%d")
    orgs = tables["organizations"]
    id_list = [str(v) for v in orgs["id"].tolist()]
    n = len(id_list)
    where = pd.Index(id_list)

    def col(name: str) -> list[Any]:
        return orgs[name].tolist() if name in orgs.columns else [None] * n

    attributes = {}
    for a in ATTRIBUTES:
        values = col(a)
        if a == "tags":
            values = [v if v else None for v in values]
        attributes[a] = Strings.from_values(values, lookup=False)
    pretrusted = np.array([bool(v) if v is not None and v == v else False for v in col("pretrusted")], dtype=bool)
    listings = _listings_by_party(tables, day)
    listed = np.zeros(n, dtype=bool)
    for party in listings:
        i = where.get_indexer(pd.Index([party]))[0]
        if i >= 0:
            listed[i] = True

    ev = evidence if evidence is not None else evidence_frame(tables, as_of=day, half_life_days=half_life_days)
    s = where.get_indexer(pd.Index(ev["src"].astype(str))) if len(ev) else np.zeros(0, dtype=np.int64)
    d = where.get_indexer(pd.Index(ev["dst"].astype(str))) if len(ev) else np.zeros(0, dtype=np.int64)
    known = (s >= 0) & (d >= 0)
    s, d = s[known].astype(np.int64), d[known].astype(np.int64)
    pos = ev["positive"].to_numpy(dtype=float)[known]
    neg = ev["negative"].to_numpy(dtype=float)[known]
    # The same rows as activity (every kind fading; "Standing opinions and activity" in trustgraph.evidence).
    if "activity" in ev.columns:
        value = ev["value"].to_numpy(dtype=float)[known]
        fade = ev["activity"].to_numpy(dtype=float)[known]
        act_pos, act_neg = np.where(value > 0, value, 0.0) * fade, np.where(value < 0, -value, 0.0) * fade
    else:
        act_pos, act_neg = pos, neg
    kind_text = ev["kind"].to_numpy(dtype=object)
    kind = np.full(len(ev), -1, dtype=np.int64)
    for k, name in enumerate(KINDS):
        kind[kind_text == name] = k
    kind = kind[known]
    days = _dates(ev["date"]).to_numpy(dtype="datetime64[D]")[known]
    day_num = np.where(np.isnat(days), -1, days.astype(np.int64))
    since = _partnership_starts(tables, ev, kind_text)[known]

    pair = s * max(n, 1) + d
    keys, inverse = np.unique(pair, return_inverse=True)
    m = len(keys)
    src, dst = keys // max(n, 1), keys % max(n, 1)
    positive = np.bincount(inverse, weights=pos, minlength=m)
    negative = np.bincount(inverse, weights=neg, minlength=m)
    count = np.bincount(inverse, minlength=m).astype(np.int64)
    last = np.full(m, -1, dtype=np.int64)
    np.maximum.at(last, inverse, day_num)
    kind_net = np.zeros((m, len(KINDS)))
    kinds = np.zeros(m, dtype=np.uint8)
    good = kind >= 0
    referral = kind == KINDS.index("referral")
    activity = np.c_[np.bincount(inverse, weights=act_pos, minlength=m),
                     np.bincount(inverse, weights=act_neg, minlength=m),
                     np.bincount(inverse[referral], weights=(act_pos - act_neg)[referral], minlength=m)]
    for k in range(len(KINDS)):
        sel = good & (kind == k)
        kind_net[:, k] = np.bincount(inverse[sel], weights=pos[sel] - neg[sel], minlength=m)
        has = np.bincount(inverse[sel], minlength=m) > 0
        kinds[has] |= np.uint8(1 << k)
    total = positive + negative + 2.0
    trust = (positive + 1.0) / total
    uncertainty = 2.0 / total
    # Evidence rows each party receives, by kind (self-ratings excluded), for the reputation explanations.
    received = np.zeros((n, len(KINDS), 3), dtype=np.int64)
    other = good & (s != d)
    for k in range(len(KINDS)):
        sel = other & (kind == k)
        received[:, k, 0] = np.bincount(d[sel], minlength=n)
        received[:, k, 1] = np.bincount(d[sel & (pos > 0)], minlength=n)
        received[:, k, 2] = np.bincount(d[sel & (neg > 0)], minlength=n)
    indptr = row_pointers(src, n)  # np.unique sorted the pairs by (src, dst): already CSR order

    people = shared_people(tables, as_of=day, half_life_days=half_life_days)
    ps = where.get_indexer(pd.Index(people["src"].astype(str))) if len(people) else np.zeros(0, dtype=np.int64)
    pd_ = where.get_indexer(pd.Index(people["dst"].astype(str))) if len(people) else np.zeros(0, dtype=np.int64)
    pw = people["positive"].to_numpy(dtype=float) if len(people) else np.zeros(0)
    pk = (ps >= 0) & (pd_ >= 0)

    facts: dict[str, Any] = {}
    refs = tables.get("referrals")
    if refs is not None and len(refs):
        facts["negative_referrals"] = int((refs["strength"].astype(float) < 0).sum())
        ref_days = _dates(refs["date"])
        facts["first_referral"] = ref_days.min().strftime("%Y-%m-%d") if ref_days.notna().any() else None
        facts["last_referral"] = ref_days.max().strftime("%Y-%m-%d") if ref_days.notna().any() else None

    return Snapshot(
        facts=facts, as_of=day, half_life_days=half_life_days,
        ids=Strings.from_values(id_list), names=Strings.from_values(col("name"), fold=True),
        attributes=attributes, pretrusted=pretrusted, listed=listed, listings=listings,
        indptr=indptr, src=src.astype(np.int64), dst=dst.astype(np.int64), trust=trust, uncertainty=uncertainty,
        positive=positive, negative=negative, evidence=count, kinds=kinds, last=last, kind_net=kind_net,
        received=received, people_src=ps[pk].astype(np.int64), people_dst=pd_[pk].astype(np.int64),
        people_weight=pw[pk], version=version,
        timing=evidence_timing(listings, where, d, day_num, act_pos, referral, inverse, m, half_life_days, since),
        activity=activity,
    )


def _partnership_starts(tables: Mapping[str, Any], ev: Any, kind_text: Any) -> Any:
    """Per evidence row, the first day (days since 1970) of the period it spans: a partnership's start
    for partnership rows (a partnership is dated at its end), −1 for every other row (dated events)."""
    import numpy as np
    import pandas as pd

    from .evidence import _dates

    out = np.full(len(ev), -1, dtype=np.int64)
    ships = tables.get("partnerships")
    rows = np.flatnonzero(kind_text == "partnership") if len(ev) else np.zeros(0, dtype=np.int64)
    if ships is None or not len(ships) or not len(rows):
        return out
    start = _dates(ships["start"]).to_numpy(dtype="datetime64[D]")
    start_num = pd.Series(np.where(np.isnat(start), -1, start.astype(np.int64)), index=ships["id"].astype(str))
    start_num = start_num[~start_num.index.duplicated()]
    out[rows] = start_num.reindex(ev["ref"].astype(str).to_numpy()[rows]).fillna(-1).to_numpy(dtype=np.int64)
    return out


def _kind_bits(text: Any) -> int:
    bits = 0
    for part in str(text or "").split(";"):
        if part in KINDS:
            bits |= 1 << KINDS.index(part)
    return bits


def _days(value: Any) -> int:
    import numpy as np

    if not value:
        return -1
    try:
        return int((np.datetime64(str(value)[:10], "D") - np.datetime64(_EPOCH, "D")).astype(np.int64))
    except ValueError:
        return -1


def _each_distinct(values: list[Any], fn: Callable[[Any], int]) -> list[int]:
    """``[fn(v) for v in values]``, calling ``fn`` once per distinct value (edges share few dates and kinds)."""
    done: dict[Any, int] = {}
    out = []
    for v in values:
        try:
            out.append(done[v])
        except KeyError:
            out.append(done.setdefault(v, fn(v)))
        except TypeError:  # not hashable
            out.append(fn(v))
    return out


def from_graph(G: nx.DiGraph, *, weight: str = "trust") -> Snapshot:
    """Compile a NetworkX trust graph (attributes as :func:`trustgraph.graph.project` gives them).

    Missing attributes take neutral values: ``trust`` 0.5 (read from ``weight``), no evidence, not
    listed, not pre-trusted. Parties keep the graph's node order, edges its adjacency order. Evidence
    by kind is attributed to an edge's kind when it has a single one; several or none leave the
    opinion unattributed (all zero in ``kind_net``), except the referrals' net, read from the edge
    attribute ``referral_net`` when present (:meth:`Snapshot.to_networkx` writes it); likewise the
    timing of the positive evidence (``timing``, [all, referrals], on the edges where it is not 1; with no
    edge carrying it, the timing is taken from each edge's newest evidence) and the evidence as activity
    (``activity``, [positive, negative, referrals' net], on the edges where it differs from the opinion).

    Raises
    ------
    ConfigurationError
        When an edge's ``weight`` is not a number in [0, 1].
    """
    import numpy as np

    from .errors import ConfigurationError

    nodes = list(G.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    n = len(nodes)
    src_l: list[int] = []
    dst_l: list[int] = []
    rows: list[tuple[Any, ...]] = []
    for u, nbrs in G.adjacency():
        iu = index[u]
        for v, data in nbrs.items():
            src_l.append(iu)
            dst_l.append(index[v])
            rows.append((data.get(weight, 0.5), data.get("uncertainty"), data.get("positive"), data.get("negative"),
                         data.get("evidence"), data.get("kinds"), data.get("last"), data.get("referral_net"),
                         data.get("timing"), data.get("activity")))
    m = len(rows)
    trust = np.array([r[0] for r in rows], dtype=float) if m else np.zeros(0)
    if m and (not np.all(np.isfinite(trust)) or trust.min() < 0 or trust.max() > 1):
        raise ConfigurationError(f"edge attribute {weight!r} must be a trust value in [0, 1]")

    def num(j: int, default: float) -> np.ndarray:
        import numpy as np

        return np.array([default if r[j] is None else float(r[j]) for r in rows], dtype=float)

    positive, negative = num(2, 0.0), num(3, 0.0)
    uncertainty = np.array([2.0 / (p + q + 2.0) if r[1] is None else float(r[1])
                            for r, p, q in zip(rows, positive, negative)], dtype=float)
    kinds = np.array(_each_distinct([r[5] for r in rows], _kind_bits), dtype=np.uint8)
    kind_net = np.zeros((m, len(KINDS)))
    single = np.flatnonzero((kinds != 0) & ((kinds & (kinds - 1)) == 0))  # one kind: the opinion is that kind's
    kind_net[single, np.log2(kinds[single]).astype(np.int64)] = (positive - negative)[single]
    referral_net = np.array([np.nan if r[7] is None else float(r[7]) for r in rows], dtype=float)
    kept = np.flatnonzero(~np.isnan(referral_net))  # the referrals' net, kept by to_networkx
    kind_net[kept, KINDS.index("referral")] = referral_net[kept]
    activity = None
    if any(r[9] is not None for r in rows):  # the evidence as activity, kept by to_networkx where it differs
        activity = np.c_[positive, negative, kind_net[:, KINDS.index("referral")]] if m else np.zeros((0, 3))
        for k, r in enumerate(rows):
            if r[9] is not None:
                activity[k] = [float(x) for x in r[9]]
    src = np.array(src_l, dtype=np.int64)
    indptr = row_pointers(src, n)
    listings = {str(v): list(d.get("listings") or []) for v, d in G.nodes(data=True) if d.get("listed")}
    attributes = {
        a: Strings.from_values(
            ((";".join(map(str, d.get(a) or [])) or None) if a == "tags" else d.get(a) for _, d in G.nodes(data=True)),
            lookup=False)
        for a in ATTRIBUTES
    }
    snap = Snapshot(
        as_of=str(G.graph.get("as_of") or ""), half_life_days=G.graph.get("half_life_days"),
        ids=Strings.from_values(nodes), names=Strings.from_values((d.get("name") for _, d in G.nodes(data=True)),
                                                                  fold=True),
        attributes=attributes,
        pretrusted=np.array([bool(d.get("pretrusted")) for _, d in G.nodes(data=True)], dtype=bool),
        listed=np.array([bool(d.get("listed")) for _, d in G.nodes(data=True)], dtype=bool),
        listings=listings, indptr=indptr, src=src, dst=np.array(dst_l, dtype=np.int64), trust=trust,
        uncertainty=uncertainty, positive=positive, negative=negative,
        evidence=np.array([int(r[4] or 0) for r in rows], dtype=np.int64), kinds=kinds,
        last=np.array(_each_distinct([r[6] for r in rows], _days), dtype=np.int64), kind_net=kind_net,
        received=np.zeros((n, len(KINDS), 3), dtype=np.int64),
        people_src=np.zeros(0, dtype=np.int64), people_dst=np.zeros(0, dtype=np.int64), people_weight=np.zeros(0),
        timing=(np.array([r[8] if r[8] is not None else (1.0, 1.0) for r in rows], dtype=float).reshape(m, 2)
                if any(r[8] is not None for r in rows) else None),
        activity=activity,
    )
    snap._index = index  # graph nodes need not be strings: look them up by value
    snap.ids = _NodeColumn(nodes)
    return snap


class _NodeColumn(Strings):
    """The node column of a snapshot compiled from a graph: the nodes as they are (any hashable)."""

    def __init__(self, nodes: list[Any]) -> None:
        import numpy as np

        self._nodes = nodes
        self.null = np.zeros(len(nodes), dtype=bool)
        self._order = None
        self._folded = False
        encoded = Strings.from_values(nodes, lookup=False)
        self.blob, self.offsets = encoded.blob, encoded.offsets

    def _get(self, i: int) -> Any:
        return self._nodes[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._nodes)

    def find(self, value: Any) -> list[int]:
        return [i for i, v in enumerate(self._nodes) if v == value]


def as_snapshot(G: Snapshot | nx.DiGraph, *, weight: str = "trust") -> Snapshot:
    """``G`` itself when it is a :class:`Snapshot`, else :func:`from_graph` of it."""
    return G if isinstance(G, Snapshot) else from_graph(G, weight=weight)


# ------------------------------------------------------------------------------------------------
# The cache


def snapshot_folder(store: Store) -> Path:
    """Where ``store``'s snapshots are kept: beside a SQLite file, or in the user's cache for Neo4j."""
    override = os.environ.get("TRUSTGRAPH_CACHE")
    path = getattr(store, "path", None)
    if store.kind == "sqlite" and path and not override:
        return Path(str(path)).with_name(Path(str(path)).name + ".snapshots")
    import hashlib

    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    base = Path(override) if override else home / "trustgraph"
    where = f"{store.kind}:{getattr(store, 'uri', '')}:{getattr(store, 'database', '')}:{getattr(store, 'path', '')}"
    return base / hashlib.sha256(where.encode("utf-8")).hexdigest()[:16]


def _key_name(identity: str, as_of: str | None, half_life_days: float | None) -> str:
    import hashlib

    raw = json.dumps([FORMAT_VERSION, identity, as_of, half_life_days])
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()[:24]


def _prune(folder: Path, keep: str, identity: str) -> None:
    """Remove snapshots of other store versions (never used again) and all but the :data:`KEEP`
    newest of this one. Readers that have a removed snapshot open keep reading it (the files stay
    until they are closed)."""
    try:
        entries = [p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".tmp-")]
        current = []
        for entry in entries:
            try:
                version = json.loads((entry / "meta.json").read_text(encoding="utf-8")).get("version")
            except (OSError, ValueError):
                version = None
            if version == identity or entry.name == keep:
                current.append(entry)
            else:
                shutil.rmtree(entry, ignore_errors=True)
        current.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        for old in current[KEEP:]:
            if old.name != keep:
                shutil.rmtree(old, ignore_errors=True)
        for tmp in folder.glob(".tmp-*"):  # left by a killed builder, an hour ago or more
            if time.time() - tmp.stat().st_mtime > 3600:
                shutil.rmtree(tmp, ignore_errors=True)
    except OSError:
        pass


def cached_facts(store: Store, *, as_of: str | None = None, half_life_days: float | None = None) -> dict[str, Any]:
    """What ``stats`` shows, from the current snapshot's metadata alone (no arrays, no numpy):
    ``as_of``, ``tables`` (rows per table), ``listed_now``, ``trust_edges`` and the referral facts.
    Compiles the snapshot when there is no current one."""
    identity = store.version()
    meta_path = snapshot_folder(store) / _key_name(identity, as_of, half_life_days) / "meta.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        if meta.get("format") == FORMAT_VERSION and meta.get("version") == identity and "tables" in meta["facts"]:
            return {"as_of": meta["as_of"], **meta["facts"]}
    except (OSError, ValueError, KeyError):
        pass
    snap = open_snapshot(store, as_of=as_of, half_life_days=half_life_days)
    return {"as_of": snap.as_of, **snap.facts}


def open_snapshot(
    store: Store,
    *,
    as_of: str | None = None,
    half_life_days: float | None = None,
    cache: bool = True,
) -> Snapshot:
    """The snapshot of ``store`` for (as-of, half-life): from the cache when its version is current,
    else compiled from the store's tables and cached.

    Parameters
    ----------
    store : Store
        An open store.
    as_of, half_life_days
        As in :func:`compile_tables`.
    cache : bool
        Read and write the on-disk cache (default); ``False`` always compiles afresh.
    """
    from .store.base import tables as store_tables

    identity = store.version()
    folder = snapshot_folder(store)
    name = _key_name(identity, as_of, half_life_days)
    if cache:
        target = folder / name
        if (target / "meta.json").exists():
            try:
                snap = Snapshot.load(target)
                if snap.version == identity:
                    return snap
            except (OSError, ValueError, KeyError):
                # unreadable (another format, damaged): removed, then rebuilt below
                shutil.rmtree(target, ignore_errors=True)
    for _ in range(3):
        tables = store_tables(store)
        counts = store.counts()
        after = store.version()
        snap = compile_tables(tables, as_of=as_of, half_life_days=half_life_days, version=identity)
        snap.facts.update(tables=counts, listed_now=int(snap.listed.sum()), trust_edges=snap.m)
        if after == identity:
            break
        # A writer committed while the tables were read: read again at the new version.
        identity, name = after, _key_name(after, as_of, half_life_days)
    else:
        return snap  # the store keeps changing: answer from what was read, keep nothing
    if cache:
        try:
            snap.folder = snap.save(folder / name, key={"identity": identity, "as_of": as_of,
                                                        "half_life_days": half_life_days})
            _prune(folder, name, identity)
        except OSError:
            pass  # a read-only folder: answer without caching
    return snap
