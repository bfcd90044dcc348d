"""Interactive network maps: the trust graph as a self-contained, offline HTML page.

Two steps, kept apart so that each can be tested on its own:

* :func:`map_data` — *pure*: the trust graph (:func:`trustgraph.graph.project`), the tables it was
  projected from and the map parameters in; a :class:`MapData` out: which organisations and ties are
  drawn, how (colour, size, line style), where (positions), what their tooltips say (plain text),
  the legend, and notes such as "showing 1,500 of 5,000 organisations". The graph and the tables are
  never modified.
* :func:`render_html` — the page: trustgraph's own template (``template.html``) with vis-network
  (the copy Pyvis ships) inlined, the map data embedded as JSON in a ``<script type="application/json">``
  block, and a Content-Security-Policy that lets only the page's own two scripts run. Pyvis holds the
  vis-network options; its ``from_nx`` (which mutates the input graph and is quadratic) and its
  templates (which load Bootstrap from a CDN and render titles as raw HTML) are not used.

What is drawn
-------------
Nodes are organisations. Edges are *ties of one kind*: between the same two organisations there can be
a partnership edge, a referral edge and an incident edge, each styled and filtered on its own; a pair's
positive and negative evidence of one kind (a vouch and a warning) are separate edges, so a warning
is never hidden inside a vouch:

==============  ===========================  ==========================================
kind            direction                    from
==============  ===========================  ==========================================
partnership     none (shared membership)     ``partnerships`` + ``partnership_members``
referral        referrer → referred          ``referrals`` (negative strength = warning)
incident        reporter → party at fault    ``incidents`` (+ ``incident_actions``)
listing         lister → listed party        active ``blacklist`` rows
communication   none                         ``communications`` (off by default)
chain           voucher → vouched            the chain passed with ``chain=``
==============  ===========================  ==========================================

Selection and the node cap
--------------------------
Without ``focus`` or ``chain`` every organisation is a candidate; with them, the organisations within
``hops`` ties (of the drawn kinds, either direction) of the focus and of every chain member. When more
than ``max_nodes`` remain, the most relevant are kept, in this order: the focus and the chain, parties
under an active listing, then the nearest (fewest hops from the focus or chain) and, among equals, the
best connected (most drawn ties), then by id. The map says how many were left out.

Layouts
-------
Positions are computed here, and the page draws them at once (physics off unless
``physics_max_nodes`` asks for it): a whole network by communities (Louvain, seeded, then
ForceAtlas2 in LinLog mode: :func:`trustgraph.render.layout.community_positions`; above
:data:`COMMUNITY_LAYOUT_MAX_NODES` nodes :func:`~trustgraph.render.layout.layout_positions`), a focus
as rings of hops (:func:`~trustgraph.render.layout.radial_positions`), a chain as a left-to-right
spine (:func:`~trustgraph.render.layout.spine_positions`). The page fits the view to the canvas
(centred on the focus), labels nodes by ``rank`` without overlap, and draws the ties of one pair as
one line. docs/maps.md shows and measures them.

Big networks
------------
A whole-network map of more than ``aggregate_over`` organisations (:data:`AGGREGATE_OVER`) opens on
its communities (:attr:`MapData.aggregate`): Louvain (vectorised, seeded), one disc per
community placed from one layout of the whole, the ties between two communities merged into one
line; a click draws a community's organisations. Its page carries the data gzip-compressed in
base64, the tooltip texts and trust in a second block read after the first frame.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import html
import importlib
import importlib.util
import json
import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from ..analysis.communities import louvain
from ..errors import ConfigurationError, NotFoundError, TrustgraphError
from ..evidence import evidence_frame
from ..files import write_text_atomic
from ..snapshot import Snapshot
from .layout import community_positions, layout_positions, radial_positions, spine_positions

__all__ = [
    "EDGE_KINDS",
    "DEFAULT_EDGE_KINDS",
    "COLOR_MEASURES",
    "SIZE_MEASURES",
    "DEFAULT_MAX_NODES",
    "DEFAULT_HOPS",
    "PHYSICS_MAX_NODES",
    "COMMUNITY_LAYOUT_MAX_NODES",
    "AGGREGATE_OVER",
    "VIEWS",
    "LISTED_MARK",
    "CHAIN_RULES",
    "EDGE_STYLES",
    "MapData",
    "available_colors",
    "available_sizes",
    "map_data",
    "render_html",
    "write_html",
    "embed_json",
    "vis_network_js",
]

#: Every kind of tie a map can draw, in legend order.
EDGE_KINDS: tuple[str, ...] = ("partnership", "referral", "incident", "listing", "communication")
#: Kinds drawn unless asked otherwise (contacts are many and weak evidence; they would bury the rest).
DEFAULT_EDGE_KINDS: tuple[str, ...] = ("partnership", "referral", "incident", "listing")
#: ``color=`` choices; ``reputation`` and ``risk`` need their analysis modules (see :func:`available_colors`).
COLOR_MEASURES: tuple[str, ...] = ("reputation", "risk", "sector", "region", "community")
#: ``size=`` choices; ``reputation`` needs its analysis module (see :func:`available_sizes`).
SIZE_MEASURES: tuple[str, ...] = ("reputation", "degree")
#: Largest map drawn by default: vis-network stays fluid and the page under ~10 MB.
DEFAULT_MAX_NODES = 1500
#: Neighbourhood radius around ``focus`` when ``hops`` is not given (around a chain alone: 1).
DEFAULT_HOPS = 2
#: Maps up to this many nodes get live physics (none by default: the views below are laid out to be
#: read as they are, and physics would undo the rings of a focus and the spine of a chain).
PHYSICS_MAX_NODES = 0
#: Largest whole-network map laid out by communities (ForceAtlas2 costs O(n²) per round); larger
#: ones get :func:`~trustgraph.render.layout.layout_positions`.
COMMUNITY_LAYOUT_MAX_NODES = 1000
#: A whole-network map of more organisations opens aggregated: one node per community, drilled in
#: on click (the page stays fluid: vis-network draws 2,000 parties in about a second).
AGGREGATE_OVER = 2000
#: Communities smaller than this are pooled into one group in an aggregated map.
AGGREGATE_MIN_COMMUNITY = 5
#: Opacity of a node by hops from the focus in a focus view (farther: the last), and of a chain's context.
HOP_OPACITY = (1.0, 1.0, 0.55, 0.35)
CONTEXT_OPACITY = 0.5
#: How a map is laid out: communities of the whole network, rings around a focus, a chain's spine.
VIEWS: tuple[str, ...] = ("network", "focus", "chain")
#: Node attributes copied to the page as text for its filters and exports.
_NODE_FIELDS = ("sector", "country", "region", "culture")
#: Neutral trust (no evidence): a vouching hop must be above it (as in trustgraph.analysis.chains).
NEUTRAL_TRUST = 0.5
#: The rules of ``trustgraph chain`` at its defaults, applied by the page's path finder
#: (docs/chains.md): hop trust above 0.5 and at least ``min_trust``, no listed intermediary, at
#: most ``max_hops`` hops, the ``limit`` strongest by product of trust.
CHAIN_RULES: dict[str, Any] = {"min_trust": 0.5, "max_hops": 5, "exclude_listed": True, "limit": 1}
#: Prefixed to the label of a party under an active listing (besides its shape and red border).
LISTED_MARK = "\u26a0"

_MODULES = {"reputation": "trustgraph.analysis.reputation", "risk": "trustgraph.analysis.contagion"}
_VIS_JS = ("lib", "vis-9.1.2", "vis-network.min.js")
_LABEL_CHARS = 28
#: Longest name in the page header, notes and legend (longer ones are cut with an ellipsis; tooltips
#: and the details panel keep the whole name).
_HEADER_CHARS = 100
_EVIDENCE_BREAKDOWN_MAX = 1500
_MAX_ROWS = 12

#: Line style of each (kind, sign): ``+`` positive evidence, ``-`` negative.
EDGE_STYLES: dict[tuple[str, str], dict[str, Any]] = {
    ("partnership", "+"): {"label": "partnership (active or completed)", "color": "#5b7fa8", "width": 2,
                           "dashes": False, "arrow": False},
    ("partnership", "-"): {"label": "partnership terminated or suspended", "color": "#d62728", "width": 2,
                           "dashes": [10, 6], "arrow": False},
    ("referral", "+"): {"label": "referral (vouch)", "color": "#2e9e44", "width": 2, "dashes": False,
                        "arrow": True},
    ("referral", "-"): {"label": "referral warning (negative)", "color": "#d62728", "width": 2.5,
                        "dashes": [8, 5], "arrow": True},
    ("incident", "-"): {"label": "incident (reporter \u2192 party at fault)", "color": "#b2182b", "width": 3,
                        "dashes": [3, 4], "arrow": True},
    ("listing", "-"): {"label": "blacklist listing (lister \u2192 listed)", "color": "#3d0008", "width": 3.5,
                       "dashes": [14, 5, 3, 5], "arrow": True},
    ("communication", "+"): {"label": "communication (contacts)", "color": "#b8b8b8", "width": 1,
                             "dashes": False, "arrow": False},
    ("chain", "+"): {"label": "strongest vouching chain", "color": "#f0a400", "width": 7, "dashes": False,
                     "arrow": True},
}
#: Curvature per kind on small maps, so that ties of several kinds between one pair do not overlap.
_UNDIRECTED = ("partnership", "communication")
_CURVES = {"partnership": 0.0, "referral": 0.18, "incident": -0.18, "listing": 0.32, "communication": -0.32,
           "chain": 0.0}

_PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7",
            "#86bcb6", "#8cd17d", "#d4a6c8", "#499894")
_OTHER = "#c9c9c9"
_UNKNOWN = "#e8e8e8"
_LISTED_BORDER = "#c00018"
_CHAIN_BORDER = "#f0a400"
_FOCUS_BORDER = "#111111"
# Reputation: a diverging scale around the neutral 0.5 ("nothing known"), colour-blind safe (BrBG).
_REPUTATION_BINS = (
    (0.0, 0.40, "#a6611a", "poor (< 0.40)"),
    (0.40, 0.48, "#dfc27d", "below neutral (0.40\u20130.48)"),
    (0.48, 0.52, "#e0e0e0", "neutral / little known (0.48\u20130.52)"),
    (0.52, 0.60, "#80cdc1", "good (0.52\u20130.60)"),
    (0.60, 1.0000001, "#018571", "strong (\u2265 0.60)"),
)
# Combined risk: the mirror image (low risk blue, high red; RdBu), neutral 0.5 grey.
_RISK_BINS = (
    (0.0, 0.40, "#2166ac", "low (< 0.40)"),
    (0.40, 0.48, "#92c5de", "below neutral (0.40\u20130.48)"),
    (0.48, 0.52, "#e0e0e0", "neutral / little known (0.48\u20130.52)"),
    (0.52, 0.60, "#f4a582", "elevated (0.52\u20130.60)"),
    (0.60, 1.0000001, "#b2182b", "high (\u2265 0.60)"),
)


# --------------------------------------------------------------------------------------------------
# Result


@dataclass(frozen=True)
class MapData:
    """Everything a map page shows, as plain data (JSON-ready).

    Attributes
    ----------
    title : str
        Page title, naming the query.
    query : str
        What was asked, in words ("neighbourhood of X, 2 hops", "whole network", ...).
    parameters : dict
        Parameter name → value as shown in the header (colour, size, edges, as of, ...).
    generated_at : str or None
        When the map was made (ISO 8601), as given by the caller.
    nodes, edges : list of dict
        vis-network items. Nodes: ``id``, ``label``, ``name``, ``x``, ``y``, ``size``, ``shape``,
        ``color`` (``background``, ``border``), ``borderWidth``, ``category`` (legend entry),
        ``listed``, ``role`` (``focus``, ``chain`` or ``None``), ``info`` (tooltip lines, plain text;
        the first is the name). Edges: ``id``, ``from``, ``to``, ``kind``, ``sign`` (``+``/``-``; the
        line style is ``styles[kind + sign]``), ``count`` (evidence rows), ``intervals`` (``[start,
        end]`` ISO dates, for the date filter), ``info`` (evidence lines, plain text), ``trust``
        (``[u, v, trust, uncertainty, evidence rows, newest date]`` for each direction of the tie
        present in the trust graph); chain edges also ``label`` (the hop's trust). The page writes the
        tooltip heading ("referral (vouch) · A → B") and the trust lines from these.
    legend : dict
        ``color`` (``title``, ``items`` of ``label``/``color``), ``size`` (``title``, ``text``),
        ``edges`` (one entry per drawn kind and sign: ``kind``, ``sign``, ``label``, ``color``,
        ``width``, ``dashes``, ``arrow``, ``count``), ``markers`` (listed, focus, chain).
    notes : list of str
        What the reader must know (nodes left out, no chain found, a measure unavailable).
    physics : bool
        Whether the page runs live physics.
    options : dict
        vis-network options.
    total_nodes : int
        Organisations that were candidates before the ``max_nodes`` cap.
    omitted : int
        Candidates left out by the cap.
    date_range : list of str
        ``[first, last]`` date of the drawn ties (``[]`` when none is dated).
    styles : dict
        ``kind + sign`` (e.g. ``"referral-"``) → ``label``, ``color``, ``width``, ``dashes``, ``arrow``
        (:data:`EDGE_STYLES`).
    view : str
        One of :data:`VIEWS`: ``network`` (communities apart), ``focus`` (rings of hops around the
        focus, which the page centres) or ``chain`` (the chain as a left-to-right spine). Nodes then
        also carry ``hop`` (ties from the focus or chain; ``None`` in a whole-network view),
        ``opacity`` (far hops and a chain's context faded) and ``rank`` (0 = most important: the
        page labels nodes in this order, skipping any label that would overlap one already drawn).
        For the page's filters, colour choice and exports nodes also carry ``sector``, ``country``,
        ``region``, ``culture`` (text, ``""`` when unknown), ``community`` (1 = largest Louvain
        community of the drawn positive ties; ``None`` on maps over :data:`DEFAULT_MAX_NODES`),
        ``reputation`` and ``risk`` (``None`` when not computed) and ``order`` (the party's place
        in the snapshot, for the path finder).
    trust_hops : list
        ``[u, v, trust, −log(trust)]`` for every trust-graph edge between drawn parties with trust
        above the neutral 0.5: what the page's path finder searches (see :data:`CHAIN_RULES`).
    chain_rules : dict
        :data:`CHAIN_RULES`, the rules of ``trustgraph chain`` the page applies.
    exposure : dict
        Party id (as text) → its strongest exposure paths to listed parties (``listed``,
        ``contribution``, ``path``, ``strength``; at most 3, from
        :func:`trustgraph.analysis.contagion.contagion`), for exposed unlisted parties.
    base_color : str
        The ``color`` measure the map was made with.
    palette : dict
        ``colors`` (the categorical palette), ``other`` and ``unknown``: the page colours by
        sector, region, culture or community with them, as :func:`map_data` does.
    aggregate : dict
        Empty, or for a whole-network map of more than ``aggregate_over`` organisations: ``over``
        (that cap) and ``communities`` (one entry per community of the nodes, see
        :func:`_aggregate`). The page then opens on the communities — one node each, sized by its
        members, the ties between two communities merged into one line with their counts — and
        draws a community's members and their ties when it is clicked (docs/maps.md, "Big
        networks"). Every node still carries its ``community``.
    """

    title: str
    query: str
    parameters: dict[str, str]
    generated_at: str | None
    nodes: list[dict[str, Any]]
    edges: list[dict[str, Any]]
    legend: dict[str, Any]
    notes: list[str]
    physics: bool
    options: dict[str, Any]
    total_nodes: int
    omitted: int
    date_range: list[str] = field(default_factory=list)
    styles: dict[str, dict[str, Any]] = field(default_factory=dict)
    view: str = "network"
    trust_hops: list[list[Any]] = field(default_factory=list)
    chain_rules: dict[str, Any] = field(default_factory=dict)
    exposure: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    base_color: str = ""
    palette: dict[str, Any] = field(default_factory=dict)
    aggregate: dict[str, Any] = field(default_factory=dict)

    def payload(self) -> dict[str, Any]:
        """The dict embedded in the page (the attributes themselves, not copies)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


# --------------------------------------------------------------------------------------------------
# Available measures


def _module_available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def available_colors() -> tuple[str, ...]:
    """The ``color=`` measures this installation can compute (score modules may be absent)."""
    return tuple(m for m in COLOR_MEASURES if m not in _MODULES or _module_available(_MODULES[m]))


def available_sizes() -> tuple[str, ...]:
    """The ``size=`` measures this installation can compute."""
    return tuple(m for m in SIZE_MEASURES if m not in _MODULES or _module_available(_MODULES[m]))


#: The smallest contribution a tooltip line shows (three decimals): one that rounds to ±0.000 says nothing.
_SHOWN = 0.0005


def _reputation(
    G: nx.DiGraph | Snapshot, evidence: pd.DataFrame | None,
) -> tuple[dict[Any, float], Mapping[Any, list[str]], dict[Any, float]]:
    """Reputation scores, per node explanation lines, and support (module absent → ConfigurationError).

    A snapshot carries the evidence by kind itself (``evidence`` is then not needed)."""
    if not _module_available(_MODULES["reputation"]):
        raise ConfigurationError("reputation scores are not available in this installation")
    module = importlib.import_module(_MODULES["reputation"])
    result = module.reputation(G, evidence=None if isinstance(G, Snapshot) else evidence)
    n = len(result)
    names = {"track_record": "track record", "referrals": "referrals", "incidents": "incidents",
             "communications": "communications", "pretrusted": "pre-trusted", "other": "other"}

    def explain(node: Any) -> list[str]:
        e = result.explain(node, top=3)
        out = [f"reputation {e['score']:.3f} (rank {e['rank']} of {n}; better than {e['percentile']:.0f}%)"]
        parts = [f"{names.get(k, k)} {v:+.3f}" for k, v in e["breakdown"].items() if abs(v) >= _SHOWN]
        if parts:
            out.append("  from: " + ", ".join(parts))
        givers = [g for g in e["givers"] if abs(g["contribution"]) >= _SHOWN]
        takers = [g for g in e["takers"] if abs(g["contribution"]) >= _SHOWN]
        for label, who in (("raised", givers), ("lowered", takers)):
            if who:
                out.append(f"  {label} most by: "
                           + ", ".join(f"{g['name'] or g['id']} ({g['contribution']:+.3f})" for g in who))
        return out

    return dict(result.scores), _Explained(explain), dict(result.support)


class _Explained(dict[Any, list[str]]):
    """Explanation lines computed on first use (only drawn nodes are ever asked for)."""

    def __init__(self, explain: Any) -> None:
        super().__init__()
        self._explain = explain

    def __missing__(self, node: Any) -> list[str]:
        value: list[str] = self._explain(node)
        self[node] = value
        return value


def _risk(
    G: nx.DiGraph,
    tables: Mapping[str, pd.DataFrame],
    reputation: Mapping[Any, float] | None,
    explain_nodes: Iterable[Any],
    support: Mapping[Any, float] | None = None,
    snapshot: Snapshot | None = None,
) -> tuple[dict[Any, float], Mapping[Any, list[str]], dict[Any, list[dict[str, Any]]]]:
    """Combined risk (own record and exposure to listed parties) from :mod:`trustgraph.analysis.contagion`.

    The module's ``assess_risk`` (the one assembly ``analyze`` and ``contagion`` use too): exposure
    joins the reputation's mean as one more voice against the party; reputation counts as 0.5
    (nothing known) when the reputation module is absent. The ties through shared people come from
    ``snapshot`` when given, else from ``tables``. The third value gives, per exposed party of
    ``explain_nodes``, its strongest exposure path to each of its (at most 3) main listed sources
    (``listed``, ``contribution``, ``path``, ``strength``), for the page's exposure highlight.
    """
    if not _module_available(_MODULES["risk"]):
        raise ConfigurationError("contagion risk scores are not available in this installation")
    module = importlib.import_module(_MODULES["risk"])
    if snapshot is not None:
        assessed = module.assess_risk(snapshot, reputation=reputation or {}, support=support)
    else:
        people = module.shared_people(tables, as_of=G.graph.get("as_of"),
                                      half_life_days=G.graph.get("half_life_days"))
        assessed = module.assess_risk(G, reputation=reputation or {}, support=support, people=people)
    exposure = assessed.to_dict("exposure")
    risk = assessed.to_dict("risk")
    names = {n: _text(d.get("name")) or str(n) for n, d in G.nodes(data=True)}
    wanted = {n for n in explain_nodes if exposure.get(n, 0.0) > 0 and not G.nodes[n].get("listed")}
    via: dict[Any, list[str]] = {}
    paths: dict[Any, list[dict[str, Any]]] = {}
    if wanted:
        # Explanations are computed for the most exposed parties (bounded: paths cost per row).
        rows = module.contagion(assessed.snapshot, risk=assessed, limit=min(len(exposure), 400), max_exposures=3)
        for row in rows:
            if row["id"] in wanted:
                # a source whose contribution rounds to ±0.000 is not a main source: neither listed nor drawn
                shown = [x for x in row["exposures"] if abs(float(x["contribution"])) >= _SHOWN]
                via[row["id"]] = [
                    f"  exposed to {names.get(x['id'], x['id'])} ({x['contribution']:+.3f})"
                    + (" via " + " \u2192 ".join(names.get(p, str(p)) for p in x["path"]) if x.get("path") else "")
                    for x in shown
                ]
                paths[row["id"]] = [{"listed": x["id"], "contribution": round(float(x["contribution"]), 6),
                                     "path": list(x["path"]), "strength": round(float(x.get("path_strength") or 0), 6)}
                                    for x in shown if x.get("path") and float(x["contribution"]) > 0]

    def explain(node: Any) -> list[str]:
        e = float(exposure.get(node, 0.0))
        r = float((reputation or {}).get(node, 0.5))
        if G.nodes[node].get("listed"):
            return [f"risk {risk[node]:.3f} (listed)"]
        return [f"risk {risk[node]:.3f} from reputation {r:.3f} and exposure to listed parties {e:+.3f}",
                *via.get(node, [])]

    return {k: float(v) for k, v in risk.items()}, _Explained(explain), paths


# --------------------------------------------------------------------------------------------------
# Small helpers


def _text(value: Any) -> str:
    """A cell as text: ``""`` for None/NaN, dates cut to the day."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if value is pd.NaT:
        return ""
    return str(value)


def _day(value: Any) -> str:
    return _text(value)[:10]


def _label(name: str, limit: int = _LABEL_CHARS) -> str:
    """``name`` cut to ``limit`` characters, the last an ellipsis, when it is longer."""
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "\u2026"


def _short(name: str) -> str:
    """A name as the header, notes and legend show it (at most :data:`_HEADER_CHARS` characters)."""
    return _label(name, _HEADER_CHARS)


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def _capped(rows: list[str], limit: int = _MAX_ROWS) -> list[str]:
    if len(rows) <= limit:
        return rows
    return rows[:limit] + [f"\u2026 and {len(rows) - limit} more"]


def _index(frame: pd.DataFrame | None, key: str = "id") -> dict[str, dict[str, Any]]:
    if frame is None or not len(frame):
        return {}
    return {str(r[key]): {str(k): v for k, v in r.items()} for r in frame.to_dict("records")}


# --------------------------------------------------------------------------------------------------
# Ties


@dataclass
class _Tie:
    kind: str
    sign: str
    a: Any
    b: Any
    rows: list[str] = field(default_factory=list)
    intervals: list[tuple[str, str]] = field(default_factory=list)
    count: int = 0
    refs: set[str] = field(default_factory=set)


def _evidence_ties(
    ev: pd.DataFrame, tables: Mapping[str, pd.DataFrame], kinds: set[str], as_of: str
) -> dict[tuple[str, str, Any, Any], _Tie]:
    """Group evidence rows into ties: one per (kind, sign, pair); undirected kinds use the sorted pair."""
    ties: dict[tuple[str, str, Any, Any], _Tie] = {}
    want = [k for k in ("partnership", "referral", "incident", "communication") if k in kinds]
    if not want or not len(ev):
        return ties
    ev = ev.loc[ev["kind"].isin(want).to_numpy()]
    ships = _index(tables.get("partnerships"))
    incidents = _index(tables.get("incidents"))
    actions: dict[str, list[dict[str, Any]]] = {}
    acts = tables.get("incident_actions")
    if acts is not None and len(acts):
        for r in acts.sort_values(["date", "id"]).to_dict("records"):
            actions.setdefault(str(r["incident"]), []).append({str(k): v for k, v in r.items()})
    src, dst = ev["src"].to_numpy(), ev["dst"].to_numpy()
    kind_col, ref_col = ev["kind"].to_numpy(), ev["ref"].to_numpy()
    date_col, value_col, detail_col = ev["date"].to_numpy(), ev["value"].to_numpy(dtype=float), ev["detail"].to_numpy()
    order = np.lexsort((ref_col.astype(str), date_col.astype(str)))
    for i in order:
        kind = str(kind_col[i])
        sign = "-" if value_col[i] < 0 else "+"
        u, v = src[i], dst[i]
        if kind in _UNDIRECTED and str(v) < str(u):
            u, v = v, u
        key = (kind, sign, u, v)
        tie = ties.get(key)
        if tie is None:
            tie = ties[key] = _Tie(kind, sign, u, v)
        ref = str(ref_col[i])
        if ref in tie.refs:  # undirected kinds come in both directions
            continue
        tie.refs.add(ref)
        tie.count += 1
        day = _day(date_col[i])
        if kind == "referral":
            note = _text(detail_col[i])
            tie.rows.append(f"{day}  strength {value_col[i]:+.2f}" + (f"  \u201c{note}\u201d" if note else ""))
            tie.intervals.append((day, day))
        elif kind == "partnership":
            ship = ships.get(ref, {})
            start, end = _day(ship.get("start")), _day(ship.get("end"))
            status = _text(detail_col[i]) or _text(ship.get("status"))
            what = ", ".join(x for x in (_text(ship.get("kind")), status) if x)
            tie.rows.append(f"{_text(ship.get('name')) or ref} ({what}) {start or '?'} \u2013 {end or 'ongoing'}")
            tie.intervals.append((start or day, end if end and end <= as_of else as_of))
        elif kind == "incident":
            inc = incidents.get(ref, {})
            sev = _text(inc.get("severity"))
            desc = _text(detail_col[i])
            head = f"{day}  {_text(inc.get('kind')).replace('_', ' ') or 'incident'}"
            head += f", severity {sev}" if sev else ""
            tie.rows.append(head + (f": {desc}" if desc else ""))
            for act in actions.get(ref, []):
                if _day(act.get("date")) <= as_of:
                    note = _text(act.get("note"))
                    tie.rows.append(f"    then {_text(act.get('kind')).replace('_', ' ')} on {_day(act.get('date'))}"
                                    + (f": {note}" if note else ""))
            tie.intervals.append((day, day))
        else:  # communication
            tie.rows.append(f"{day}  {_text(detail_col[i]) or 'contact'}")
            tie.intervals.append((day, day))
    return ties


def _listing_ties(tables: Mapping[str, pd.DataFrame], as_of: str) -> dict[tuple[str, str, Any, Any], _Tie]:
    from ..graph import active_listings

    ties: dict[tuple[str, str, Any, Any], _Tie] = {}
    frame = tables.get("blacklist")
    if frame is None or not len(frame):
        return ties
    for r in active_listings(tables, as_of).sort_values(["date", "id"]).to_dict("records"):
        key = ("listing", "-", r["lister"], r["listed"])
        tie = ties.get(key)
        if tie is None:
            tie = ties[key] = _Tie("listing", "-", r["lister"], r["listed"])
        until = _day(r.get("until"))
        source = _text(r.get("source"))
        tie.rows.append(f"listed on {_day(r['date'])} until {until or 'further notice'}: {_text(r.get('reason'))}"
                        + (f" [{source}]" if source else ""))
        tie.intervals.append((_day(r["date"]), until if until and until <= as_of else as_of))
        tie.count += 1
    return ties


# --------------------------------------------------------------------------------------------------
# Selection


def _neighbourhood(adjacency: Mapping[Any, set[Any]], seeds: Iterable[Any], hops: int) -> dict[Any, int]:
    """Hop distance from the nearest seed, for every node within ``hops``."""
    dist = {s: 0 for s in seeds}
    frontier = list(dist)
    for h in range(1, hops + 1):
        nxt = []
        for u in frontier:
            for v in adjacency.get(u, ()):
                if v not in dist:
                    dist[v] = h
                    nxt.append(v)
        frontier = nxt
    return dist


# --------------------------------------------------------------------------------------------------
# Colours and sizes


def _categorical(values: Mapping[Any, Any], title: str) -> tuple[dict[Any, tuple[str, str]], dict[str, Any]]:
    """Node → (colour, legend label) for a categorical attribute; the 12 commonest get colours."""
    counts: dict[str, int] = {}
    for v in values.values():
        label = _text(v)
        if label:
            counts[label] = counts.get(label, 0) + 1
    ranked = sorted(counts, key=lambda k: (-counts[k], k))
    colors = {k: _PALETTE[i] for i, k in enumerate(ranked[: len(_PALETTE)])}
    out: dict[Any, tuple[str, str]] = {}
    for node, v in values.items():
        label = _text(v)
        if not label:
            out[node] = (_UNKNOWN, "unknown")
        elif label in colors:
            out[node] = (colors[label], _short(label))
        else:
            out[node] = (_OTHER, "other")
    items = [{"label": _short(k), "color": colors[k], "count": counts[k]} for k in ranked[: len(_PALETTE)]]
    rest = sum(counts[k] for k in ranked[len(_PALETTE):])
    if rest:
        items.append({"label": "other", "color": _OTHER, "count": rest})
    unknown = sum(1 for v in values.values() if not _text(v))
    if unknown:
        items.append({"label": "unknown", "color": _UNKNOWN, "count": unknown})
    return out, {"title": title, "items": items}


def _reputation_colors(scores: Mapping[Any, float], nodes: Iterable[Any]) -> tuple[dict[Any, tuple[str, str]],
                                                                                 dict[str, Any]]:
    out: dict[Any, tuple[str, str]] = {}
    counts = [0] * len(_REPUTATION_BINS)
    for node in nodes:
        s = scores.get(node)
        if s is None or not math.isfinite(float(s)):
            out[node] = (_UNKNOWN, "no score")
            continue
        for i, (lo, hi, color, label) in enumerate(_REPUTATION_BINS):
            if lo <= float(s) < hi or (i == len(_REPUTATION_BINS) - 1 and float(s) >= lo):
                out[node] = (color, label)
                counts[i] += 1
                break
    items = [{"label": label, "color": color, "count": counts[i]}
             for i, (_, _, color, label) in enumerate(_REPUTATION_BINS)]
    return out, {"title": "Reputation (EigenTrust; 0.5 = nothing known)", "items": items}


def _risk_colors(scores: Mapping[Any, float], nodes: Iterable[Any]) -> tuple[dict[Any, tuple[str, str]],
                                                                           dict[str, Any]]:
    out: dict[Any, tuple[str, str]] = {}
    counts = [0] * len(_RISK_BINS)
    for node in nodes:
        s = scores.get(node)
        if s is None or not math.isfinite(float(s)):
            out[node] = (_UNKNOWN, "no score")
            continue
        for i, (lo, hi, color, label) in enumerate(_RISK_BINS):
            if lo <= float(s) < hi or (i == len(_RISK_BINS) - 1 and float(s) >= lo):
                out[node] = (color, label)
                counts[i] += 1
                break
    items = [{"label": label, "color": color, "count": counts[i]} for i, (_, _, color, label) in enumerate(_RISK_BINS)]
    return out, {"title": "Risk (own record and exposure to listed parties; 0.5 = nothing known)", "items": items}


def _communities(nodes: Sequence[Any], ties: Iterable[_Tie], seed: int) -> dict[Any, int]:
    """Louvain communities (Blondel et al. 2008; :func:`trustgraph.analysis.communities.louvain`,
    seeded) of the drawn positive ties, weighted by how many there are, numbered by size (then by
    their smallest name)."""
    index = {n: i for i, n in enumerate(nodes)}
    pairs = [(index[t.a], index[t.b], float(t.count)) for t in ties if t.sign == "+" and t.a != t.b]
    a, b, w = (np.array(x) for x in zip(*pairs, strict=True)) if pairs else (np.zeros(0),) * 3
    label = louvain(len(nodes), a, b, w, seed=seed)
    groups: dict[int, list[Any]] = {}
    for n, c in zip(nodes, label.tolist(), strict=True):
        groups.setdefault(c, []).append(n)
    ranked = sorted(groups.values(), key=lambda c: (-len(c), min(str(n) for n in c)))
    return {n: i for i, c in enumerate(ranked) for n in c}


def _node_colors(
    G: nx.DiGraph, nodes: Sequence[Any], color: str, scores: Mapping[str, Mapping[Any, float]],
    drawn: Iterable[_Tie], seed: int, communities: Mapping[Any, int] | None = None,
) -> tuple[dict[Any, tuple[str, str]], dict[str, Any]]:
    """Node → (fill, legend label), and the colour legend (``communities``: already computed)."""
    if color in ("sector", "region"):
        return _categorical({n: G.nodes[n].get(color) for n in nodes}, color.capitalize())
    if color == "community":
        comm = communities if communities else _communities(nodes, drawn, seed)
        return _categorical({n: f"community {comm[n] + 1}" for n in nodes}, "Community (Louvain, drawn positive ties)")
    if color == "reputation":
        return _reputation_colors(scores["reputation"], nodes)
    return _risk_colors(scores["risk"], nodes)


def _node_sizes(
    G: nx.DiGraph, nodes: Sequence[Any], size: str, scores: Mapping[str, Mapping[Any, float]]
) -> tuple[dict[Any, float], dict[str, str]]:
    """Node → radius in pixels, and the size legend."""
    if size == "degree":
        degree = {n: len(set(G.successors(n)) | set(G.predecessors(n))) for n in nodes}
        top = max(degree.values(), default=0) or 1
        return ({n: 8.0 + 18.0 * math.sqrt(degree[n] / top) for n in nodes},
                {"title": "Size: partners",
                 "text": f"area grows with the number of organisations a party has evidence with (1 to {top})"})
    rep = scores["reputation"]
    return ({n: 6.0 + 24.0 * float(rep.get(n, 0.5)) for n in nodes},
            {"title": "Size: reputation", "text": "larger = more reputable (0 to 1)"})


#: Direct partners of a focus whose trust factors a focus map computes (each costs a profile).
FACTOR_PARTNERS_MAX = 40


def _factor_lines(G: nx.DiGraph, tables: Mapping[str, pd.DataFrame], focus: Any, partners: Sequence[Any],
                  names: Mapping[Any, str], evidence: pd.DataFrame | None,
                  snapshot: Snapshot | None) -> dict[Any, str]:
    """One details line per partner: its trust factors as seen by ``focus`` (:func:`factor_profile`)."""
    if not partners or importlib.util.find_spec("trustgraph.analysis.factors") is None:
        return {}
    factors = importlib.import_module("trustgraph.analysis.factors")
    graph: Any = snapshot if snapshot is not None else G
    lines: dict[Any, str] = {}
    for n in partners:
        try:
            profile = factors.factor_profile(tables, n, focus, as_of=G.graph.get("as_of"),
                                             half_life_days=G.graph.get("half_life_days"), graph=graph,
                                             evidence=evidence)
        except TrustgraphError:
            continue
        parts = [f"{f['factor'].replace('_', ' ')} "
                 + ("unknown" if f["level"] is None else f"{float(f['level']):.2f}") for f in profile["factors"]]
        lines[n] = f"trust factors for {_short(names[focus])}: " + " \u00b7 ".join(parts)
    return lines


def _node_info(
    G: nx.DiGraph, n: Any, names: Mapping[Any, str], scores: Mapping[str, Mapping[Any, float]],
    explain: Mapping[str, Mapping[Any, list[str]]], ties: int, partners: int,
) -> list[str]:
    """Tooltip lines of one organisation (plain text; the first is its name)."""
    d = G.nodes[n]
    info = [names[n], " \u00b7 ".join(x for x in (
        f"id {n}", _text(d.get("sector")), _text(d.get("country")), _text(d.get("region"))) if x)]
    extra = []
    if d.get("culture"):
        extra.append(f"trust culture: {d['culture']}")
    if d.get("risk_appetite"):
        extra.append(f"risk appetite: {d['risk_appetite']}")
    if extra:
        info.append(" \u00b7 ".join(extra))
    if d.get("pretrusted"):
        info.append("pre-trusted (a seed of reputation)")
    if d.get("listed"):
        for li in d.get("listings") or []:
            lister = li.get("lister")
            until = _day(li.get("until"))
            source = _text(li.get("source"))
            info.append(f"BLACKLISTED by {names.get(lister, _text(lister))} on {_day(li.get('date'))}"
                        f" until {until or 'further notice'}: {_text(li.get('reason'))}"
                        + (f" [{source}]" if source else ""))
    for measure in ("reputation", "risk"):
        if measure in scores and n in scores[measure]:
            lines = explain.get(measure)
            if lines is not None:
                info.extend(lines[n])
            else:
                info.append(f"{measure} {float(scores[measure][n]):.3f}")
    around = len(set(G.successors(n)) | set(G.predecessors(n)))
    info.append(f"drawn: {ties} tie{'' if ties == 1 else 's'} with {partners} "
                f"organisation{'' if partners == 1 else 's'} \u00b7 in the trust graph: {around} "
                f"organisation{'' if around == 1 else 's'}")
    return info


def _tie_item(G: nx.DiGraph, t: _Tie, index: int, physics: bool) -> dict[str, Any]:
    """One vis-network edge for a tie (its style is looked up by kind and sign on the page)."""
    if t.kind == "communication":
        first, last = t.intervals[0][0], t.intervals[-1][1]
        rows = [f"{t.count} contacts, {first} \u2013 {last}"] + list(reversed(t.rows))[:5]
    else:
        rows = _capped(t.rows)
    trust = []
    for u, v in [(t.a, t.b), (t.b, t.a)] if t.kind in _UNDIRECTED else [(t.a, t.b)]:
        e = G.get_edge_data(u, v)
        if e:
            trust.append([u, v, round(float(e["trust"]), 4), round(float(e["uncertainty"]), 4),
                          int(e["evidence"]), _day(e.get("last"))])
    item: dict[str, Any] = {
        "id": f"e{index}",
        "from": t.a,
        "to": t.b,
        "kind": t.kind,
        "sign": t.sign,
        "count": t.count,
        "intervals": [list(iv) for iv in sorted({(a, b) for a, b in t.intervals if a})],
        "info": rows,
        "trust": trust,
    }
    if physics:
        roundness = _CURVES[t.kind] + (0.08 if t.sign == "-" else 0.0)
        item["smooth"] = ({"enabled": False} if roundness == 0 else
                          {"enabled": True, "type": "curvedCW" if roundness > 0 else "curvedCCW",
                           "roundness": abs(roundness)})
    return item


def _chain_items(
    G: nx.DiGraph, chain: Sequence[Any], names: Mapping[Any, str], start: int, physics: bool
) -> tuple[list[dict[str, Any]], float]:
    """The chain's hops as gold edges labelled with their trust, and the chain's strength (their product)."""
    hops = [(u, v, float((G.get_edge_data(u, v) or {}).get("trust", float("nan"))))
            for u, v in zip(chain[:-1], chain[1:], strict=True)]
    strength = math.prod(t for _, _, t in hops)
    rows = [f"{names[u]} \u2192 {names[v]}: trust {t:.2f}" for u, v, t in hops]
    items = [{
        "id": f"e{start + i}", "from": u, "to": v, "kind": "chain", "sign": "+", "count": 1, "intervals": [],
        "label": f"{t:.2f}", "info": [f"chain strength {strength:.3f} (product of {len(hops)} hops):", *rows],
        "trust": [], **({"smooth": {"enabled": False}} if physics else {}),
    } for i, (u, v, t) in enumerate(hops)]
    return items, strength


# --------------------------------------------------------------------------------------------------
# vis-network options (held by Pyvis)


def _options(physics: bool, directed: bool = True) -> dict[str, Any]:
    from pyvis.network import Network

    net = Network(directed=directed)
    net.toggle_physics(physics)
    if physics:
        # ForceAtlas2 (Jacomy et al. 2014) separates clusters better than Barnes–Hut on dense maps.
        net.force_atlas_2based(gravity=-60, central_gravity=0.03, spring_length=90, spring_strength=0.06,
                               damping=0.5, overlap=0.6)
    net.options.interaction.hideEdgesOnDrag = not physics
    options: dict[str, Any] = json.loads(net.options.to_json())
    options.setdefault("physics", {})["enabled"] = physics
    # Positions are precomputed: no stabilisation run (the map is usable at once), physics refines.
    options["physics"]["stabilization"] = {"enabled": False}
    options["layout"] = {"improvedLayout": False, "randomSeed": 0}
    options["interaction"].update({
        "hover": True, "tooltipDelay": 120, "hideEdgesOnZoom": not physics, "navigationButtons": False,
        "keyboard": False, "multiselect": False, "selectConnectedEdges": True,
    })
    options["edges"] = {
        "smooth": {"enabled": True, "type": "curvedCW", "roundness": 0.15} if physics else False,
        "color": {"inherit": False},
        "arrows": {"to": {"enabled": False, "scaleFactor": 0.6}},
        "selectionWidth": 1.5,
        "hoverWidth": 1.2,
    }
    options["nodes"] = {
        "shape": "dot",
        "font": {"size": 12, "face": "DejaVu Sans, Liberation Sans, Arial, sans-serif", "color": "#1d1d1f",
                 "strokeWidth": 3, "strokeColor": "#ffffff"},
        # The page draws node labels itself, by rank and without overlap; vis-network never does.
        "scaling": {"label": {"enabled": False, "drawThreshold": 1e6}},
    }
    return options


# --------------------------------------------------------------------------------------------------
# The map


def map_data(
    G: nx.DiGraph,
    tables: Mapping[str, pd.DataFrame],
    *,
    evidence: pd.DataFrame | None = None,
    focus: Hashable | None = None,
    hops: int | None = None,
    chain: Sequence[Hashable] | None = None,
    chain_ends: tuple[Hashable, Hashable] | None = None,
    color: str | None = None,
    size: str = "degree",
    edge_kinds: Iterable[str] = DEFAULT_EDGE_KINDS,
    max_nodes: int = DEFAULT_MAX_NODES,
    scores: Mapping[str, Mapping[Any, float]] | None = None,
    seed: int = 0,
    generated_at: str | None = None,
    physics_max_nodes: int = PHYSICS_MAX_NODES,
    snapshot: Snapshot | None = None,
    aggregate_over: int | None = AGGREGATE_OVER,
) -> MapData:
    """What a map of ``G`` shows: nodes, ties, styles, positions, tooltips, legend and notes.

    Parameters
    ----------
    G : networkx.DiGraph
        The trust graph (:func:`trustgraph.graph.project`); read only.
    tables : mapping
        The canonical frames ``G`` was projected from (ties, dates and notes come from them); read only.
    evidence : pandas.DataFrame, optional
        The :func:`~trustgraph.evidence.evidence_frame` of ``tables`` for ``G``'s ``as_of`` and
        ``half_life_days`` (computed when not given).
    focus : node, optional
        Draw the neighbourhood of this organisation.
    hops : int, optional
        Neighbourhood radius (default :data:`DEFAULT_HOPS` around ``focus``, 1 around a chain alone).
    chain : sequence of nodes, optional
        A vouching chain (``source, …, target``; e.g. the first of
        :func:`trustgraph.analysis.chains.vouching_chains`) to highlight; its hops are drawn as
        chain edges labelled with their trust. An empty sequence means "no chain was found".
    chain_ends : (node, node), optional
        The two parties a chain was asked for (used for the title and, when ``chain`` is empty, as
        the centre of the map).
    color : str, optional
        One of :data:`COLOR_MEASURES` (default: ``reputation`` when available, else ``sector``).
    size : str
        One of :data:`SIZE_MEASURES`: ``degree`` (distinct partners in ``G``) or ``reputation``.
    edge_kinds : iterable of str
        Kinds of tie to draw (from :data:`EDGE_KINDS`).
    max_nodes : int
        Most organisations drawn; the most relevant are kept (see the module docs).
    scores : mapping, optional
        Precomputed ``{"reputation": {node: score}, "risk": {node: score}}``; missing measures are
        computed with their analysis module.
    seed : int
        Seeds the layout and the community detection.
    generated_at : str, optional
        Timestamp shown on the page (the caller's clock: this function reads none).
    physics_max_nodes : int
        Largest map that gets live physics.
    aggregate_over : int or None
        A whole-network map of more organisations than this opens as one node per community
        (:attr:`MapData.aggregate`; the page drills in on click); ``None`` never aggregates.
    snapshot : Snapshot, optional
        The compiled trust graph ``G`` was drawn from (:meth:`~trustgraph.snapshot.Snapshot.to_networkx`):
        reputation and risk are computed on it (its evidence by kind, its ties through shared
        people) rather than on ``G`` and ``tables``.

    Returns
    -------
    MapData

    Raises
    ------
    NotFoundError
        When ``focus`` or a chain member is not in ``G``.
    ConfigurationError
        For an unknown colour, size or edge kind, a measure whose module is not installed, or
        ``max_nodes``/``hops`` below their minimum (1 and 0).

    Examples
    --------
    >>> import pandas as pd
    >>> orgs = pd.DataFrame({"id": ["a", "b"], "name": ["A <b>", "B"], "sector": ["ngo", "private"]})
    >>> refs = pd.DataFrame({"id": ["r1"], "source": ["a"], "target": ["b"], "strength": [0.8],
    ...                      "date": ["2024-01-01"], "recipient": [None], "note": ["on time"]})
    >>> tables = {"organizations": orgs, "referrals": refs}
    >>> from trustgraph.graph import project
    >>> m = map_data(project(tables), tables, color="sector")
    >>> [n["label"] for n in m.nodes], [(e["from"], e["to"], e["kind"]) for e in m.edges]
    (['A <b>', 'B'], [('a', 'b', 'referral')])
    """
    kinds = list(dict.fromkeys(edge_kinds))
    unknown = [k for k in kinds if k not in EDGE_KINDS]
    if unknown:
        raise ConfigurationError(f"unknown edge kind(s) {', '.join(unknown)}; choose from {', '.join(EDGE_KINDS)}")
    color = color or ("reputation" if "reputation" in available_colors() else "sector")
    if color not in COLOR_MEASURES:
        raise ConfigurationError(f"unknown colour {color!r}; choose from {', '.join(COLOR_MEASURES)}")
    if size not in SIZE_MEASURES:
        raise ConfigurationError(f"unknown size {size!r}; choose from {', '.join(SIZE_MEASURES)}")
    if max_nodes < 1:
        raise ConfigurationError(f"max_nodes must be at least 1, got {max_nodes}")
    if hops is not None and hops < 0:
        raise ConfigurationError(f"hops must be at least 0, got {hops}")
    if focus is not None and focus not in G:
        raise NotFoundError(f"no organisation {focus!r}")
    chain_nodes = list(chain or [])
    for n in [*chain_nodes, *(chain_ends or ())]:
        if n not in G:
            raise NotFoundError(f"no organisation {n!r}")

    as_of = str(G.graph.get("as_of") or "9999-12-31")[:10]
    half_life = G.graph.get("half_life_days")
    if evidence is None:
        evidence = evidence_frame(tables, as_of=as_of if G.graph.get("as_of") else None, half_life_days=half_life)
    names = {n: (_text(d.get("name")) or str(n)) for n, d in G.nodes(data=True)}
    notes: list[str] = []

    # 1. Every tie of the chosen kinds, then the candidate organisations.
    ties = _evidence_ties(evidence, tables, set(kinds), as_of)
    if "listing" in kinds:
        ties.update(_listing_ties(tables, as_of))
    ties = {k: t for k, t in ties.items() if t.a in G and t.b in G}
    adjacency: dict[Any, set[Any]] = {}
    tie_count: dict[Any, int] = {}
    for t in ties.values():
        adjacency.setdefault(t.a, set()).add(t.b)
        adjacency.setdefault(t.b, set()).add(t.a)
        tie_count[t.a] = tie_count.get(t.a, 0) + 1
        tie_count[t.b] = tie_count.get(t.b, 0) + 1

    seeds: list[Any] = []
    if focus is not None:
        seeds.append(focus)
    seeds += [n for n in chain_nodes if n not in seeds]
    if not chain_nodes and chain_ends:
        seeds += [n for n in chain_ends if n not in seeds]
    if seeds:
        radius = hops if hops is not None else (DEFAULT_HOPS if focus is not None else 1)
        distance = _neighbourhood(adjacency, seeds, radius)
    else:
        distance = {n: 0 for n in G.nodes}
    candidates = list(distance)
    total = len(candidates)
    seed_set = set(seeds)

    def relevance(n: Any) -> tuple[int, int, int, str]:
        tier = 0 if n in seed_set else (1 if G.nodes[n].get("listed") else 2)
        return (tier, distance[n], -tie_count.get(n, 0), str(n))

    omitted = 0
    if total > max_nodes:
        candidates = sorted(candidates, key=relevance)[:max(max_nodes, len(seed_set))]
        omitted = total - len(candidates)
        kept_what = ["the focus" if focus is not None else "", "the chain" if chain_nodes or chain_ends else "",
                     "listed parties", "then the nearest and best connected" if seeds else "then the best connected"]
        notes.append(
            f"Showing {_fmt_int(len(candidates))} of {_fmt_int(total)} organisations (max nodes "
            f"{_fmt_int(max_nodes)}): kept {', '.join(k for k in kept_what if k)}; {_fmt_int(omitted)} left out."
        )
    kept = set(candidates)
    drawn = [t for t in ties.values() if t.a in kept and t.b in kept]
    drawn_adjacency: dict[Any, set[Any]] = {}
    drawn_ties: dict[Any, int] = {}
    for t in drawn:
        drawn_adjacency.setdefault(t.a, set()).add(t.b)
        drawn_adjacency.setdefault(t.b, set()).add(t.a)
        drawn_ties[t.a] = drawn_ties.get(t.a, 0) + 1
        drawn_ties[t.b] = drawn_ties.get(t.b, 0) + 1

    # 2. Measures: what colour or size needs, and what the tooltips can explain.
    score_maps: dict[str, Mapping[Any, float]] = dict(scores or {})
    explain: dict[str, Mapping[Any, list[str]]] = {}
    exposure: dict[Any, list[dict[str, Any]]] = {}
    support: dict[Any, float] | None = None  # what the reputation scores rest on, for the risk
    offered = available_colors()
    for measure in ("reputation", "risk"):
        wanted = measure in (color, size)
        if measure in score_maps or not (wanted or measure in offered):
            continue
        try:
            if measure == "reputation":
                # The breakdown by evidence kind costs a table look-up per party; large maps split
                # each opinion by its tie's kinds instead (exact when a tie has a single kind).
                shown = min(len(candidates), max_nodes)
                score_maps[measure], explain[measure], support = _reputation(
                    snapshot if snapshot is not None else G, evidence if shown <= _EVIDENCE_BREAKDOWN_MAX else None)
            else:
                score_maps[measure], explain[measure], exposure = _risk(
                    G, tables, score_maps.get("reputation"), candidates, support, snapshot)
        except TrustgraphError as err:
            if wanted:
                raise
            notes.append(f"{measure} not shown in tooltips: {err}")
    if "reputation" in (color, size) and score_maps.get("reputation") and all(
            abs(v - 0.5) < 1e-9 for v in score_maps["reputation"].values()):
        notes.append("Every organisation's reputation is 0.5 (nothing known): nobody is pre-trusted, and trust "
                     "propagates only from parties someone trusts (docs/reputation.md, \"Nobody pre-trusted\"). "
                     "Mark pre-trusted parties in organizations.csv, or colour by risk or community.")
    ordered = sorted(candidates, key=lambda n: (1 if n in seed_set else 0, 1 if G.nodes[n].get("listed") else 0,
                                                 str(n)))
    sizes, size_legend = _node_sizes(G, ordered, size, score_maps)

    chain_set = set(chain_nodes)
    view = "chain" if len(chain_nodes) >= 2 else ("focus" if seeds else "network")
    aggregated = view == "network" and aggregate_over is not None and len(ordered) > aggregate_over
    # An aggregated map opens on its communities; other maps over the cap offer no community colour.
    pooled: int | None = None
    if aggregated:
        communities, pooled = _large_communities(ordered, drawn, seed)
        notes.append(
            f"Over {_fmt_int(aggregate_over or 0)} organisations: the map opens on its "
            f"{_fmt_int(len(set(communities.values())))} communities (Louvain of the drawn positive ties), one "
            "node each, sized by its members; click one to draw "
            "its organisations and their ties, \u2190 All communities to come back. Search, chains and filters use "
            "every organisation. The discs' colours only tell communities apart; the colour legend is for the "
            "organisations inside one.")
    elif len(ordered) <= DEFAULT_MAX_NODES or color == "community":
        communities = _communities(ordered, drawn, seed)
    else:
        communities = {}
    node_colors, color_legend = _node_colors(G, ordered, color, score_maps, drawn, seed, communities)
    hop_order, trust_hops = _trust_hops(G, ordered, snapshot)

    # 3. Positions (see docs/maps.md, "Layouts").
    physics = 0 < len(ordered) <= physics_max_nodes and not aggregated
    if not ordered:
        notes.append("No organisation to draw: the store holds none. Load a dataset first (trustgraph load DIR).")
    pairs = [(t.a, t.b) for t in drawn]
    if aggregated:
        # One layout of the whole (Pivot MDS, near-linear), each community's part of it set in a disc.
        whole = layout_positions(ordered, pairs, seed=seed, scale=1.0)
        pos = community_positions(ordered, pairs, communities, seed=seed, base=whole)
    elif view == "chain":
        pos = spine_positions(ordered, pairs, chain_nodes)
    elif view == "focus":
        pos = radial_positions(ordered, pairs, distance)
    elif len(ordered) <= COMMUNITY_LAYOUT_MAX_NODES:
        pos = community_positions(ordered, pairs, communities, seed=seed)
    else:
        pos = layout_positions(ordered, pairs, seed=seed, scale=90.0)
    hop = {n: (None if view == "network" else distance.get(n)) for n in ordered}
    ranked = sorted(ordered, key=lambda n: (0 if n in seed_set else (1 if G.nodes[n].get("listed") else 2),
                                            distance[n] if seeds else 0, -len(drawn_adjacency.get(n, ())),
                                            names[n], str(n)))
    rank = {n: i for i, n in enumerate(ranked)}

    # 4. Nodes.
    nodes_out: list[dict[str, Any]] = []
    for n in ordered:
        name = names[n]
        fill, category = node_colors[n]
        listed = bool(G.nodes[n].get("listed"))
        role = "focus" if n == focus else ("chain" if n in chain_set or (chain_ends and n in chain_ends) else None)
        border, width = "#5f6368", 1.0
        if role == "chain":
            border, width = _CHAIN_BORDER, 5.0
        if role == "focus":
            border, width = _FOCUS_BORDER, 5.0
        if listed:
            border, width = _LISTED_BORDER, 6.0
        info = _node_info(G, n, names, score_maps, explain, drawn_ties.get(n, 0), len(drawn_adjacency.get(n, ())))
        label = _label(name)
        nodes_out.append({
            "id": n,
            "label": f"{LISTED_MARK} {label}" if listed else label,
            "name": name,
            "x": round(pos[n][0], 1),
            "y": round(pos[n][1], 1),
            "size": round(sizes[n], 1),
            "shape": "diamond" if listed else "dot",
            "color": {"background": fill, "border": border},
            "borderWidth": width,
            "category": category,
            "listed": listed,
            "role": role,
            "info": info,
            "hop": hop[n],
            "rank": rank[n],
            "opacity": _opacity(view, hop[n], role),
            # For the page's filters, colour choice and exports.
            **{a: _text(G.nodes[n].get(a)) for a in _NODE_FIELDS},
            "community": communities[n] + 1 if n in communities else None,
            "reputation": _score(score_maps.get("reputation"), n),
            "risk": _score(score_maps.get("risk"), n),
            "order": hop_order[n],
        })

    # 4b. In a focus view, the focus's direct partners carry the pair's trust factors (issue 18):
    # what `trustgraph factors PARTNER --for FOCUS` answers, one line in their details.
    if view == "focus" and focus is not None:
        partners = sorted((n for n in ordered if hop[n] == 1), key=lambda n: rank[n])
        lines = _factor_lines(G, tables, focus, partners[:FACTOR_PARTNERS_MAX], names, evidence, snapshot)
        for item in nodes_out:
            if item["id"] in lines:
                item["info"].append(lines[item["id"]])
        if len(partners) > FACTOR_PARTNERS_MAX:
            notes.append(f"Trust factors shown for the {FACTOR_PARTNERS_MAX} most connected of "
                         f"{_fmt_int(len(partners))} direct partners (`trustgraph factors` gives any pair).")

    # 5. Edges.
    edges_out: list[dict[str, Any]] = []
    drawn.sort(key=lambda t: (EDGE_KINDS.index(t.kind), t.sign, str(t.a), str(t.b)))
    legend_counts: dict[tuple[str, str], int] = {}
    dates: list[str] = []
    for t in drawn:
        legend_counts[(t.kind, t.sign)] = legend_counts.get((t.kind, t.sign), 0) + 1
        item = _tie_item(G, t, len(edges_out), physics)
        for a, b in item["intervals"]:
            dates.extend((a, b))
        edges_out.append(item)

    strength = None
    if len(chain_nodes) >= 2:
        chain_items, strength = _chain_items(G, chain_nodes, names, len(edges_out), physics)
        edges_out += chain_items
        legend_counts[("chain", "+")] = len(chain_items)
    elif chain is not None and chain_ends:
        notes.append(f"No vouching chain found from {_short(names[chain_ends[0]])} to {_short(names[chain_ends[1]])}.")

    # 6. Header, legend, options.
    if chain_ends:
        query = f"strongest vouching chain {_short(names[chain_ends[0]])} \u2192 {_short(names[chain_ends[1]])}"
        if strength is not None:
            query += f" (strength {strength:.3f}, {len(chain_nodes) - 1} hops)"
        if focus is not None:
            query += f", around {_short(names[focus])}"
    elif focus is not None:
        radius = hops if hops is not None else DEFAULT_HOPS
        query = f"neighbourhood of {_short(names[focus])} ({radius} hop{'s' if radius != 1 else ''})"
    else:
        query = "whole network"
    parameters = {
        "colour": color,
        "size": size,
        "edges": ", ".join(kinds),
        "as of": _day(G.graph.get("as_of")) or "newest event",
        "half-life": "none" if not half_life else f"{float(half_life):g} days",
        "max nodes": _fmt_int(max_nodes),
        "organisations": _fmt_int(len(nodes_out)),
        "ties": _fmt_int(len(edges_out)),
    }
    edge_legend = [
        {"kind": k, "sign": s, "label": EDGE_STYLES[(k, s)]["label"], "color": EDGE_STYLES[(k, s)]["color"],
         "width": EDGE_STYLES[(k, s)]["width"], "dashes": EDGE_STYLES[(k, s)]["dashes"],
         "arrow": EDGE_STYLES[(k, s)]["arrow"], "count": legend_counts[(k, s)]}
        for (k, s) in EDGE_STYLES if (k, s) in legend_counts
    ]
    markers = [{"label": f"{LISTED_MARK} blacklisted (active listing): red diamond", "kind": "listed",
                "color": _LISTED_BORDER, "count": sum(1 for n in nodes_out if n["listed"])}]
    if focus is not None:
        markers.append({"label": "focus: black ring", "kind": "focus", "color": _FOCUS_BORDER, "count": 1})
    if chain_nodes or chain_ends:
        markers.append({"label": "chain member: gold ring", "kind": "chain", "color": _CHAIN_BORDER,
                        "count": sum(1 for n in nodes_out if n["role"] == "chain")})
    legend = {"color": color_legend, "size": size_legend, "edges": edge_legend, "markers": markers}
    dates = sorted(d for d in dates if d)
    return MapData(
        title=f"trustgraph map \u2014 {query}",
        query=query,
        parameters=parameters,
        generated_at=generated_at,
        nodes=nodes_out,
        edges=edges_out,
        legend=legend,
        notes=notes,
        physics=physics,
        options=_options(physics),
        total_nodes=total,
        omitted=omitted,
        date_range=[dates[0], dates[-1]] if dates else [],
        styles={f"{k}{sg}": dict(v) for (k, sg), v in EDGE_STYLES.items()},
        view=view,
        trust_hops=trust_hops,
        chain_rules=dict(CHAIN_RULES),
        exposure={str(n): exposure[n] for n in ordered if exposure.get(n)},
        base_color=color,
        palette={"colors": list(_PALETTE), "other": _OTHER, "unknown": _UNKNOWN},
        aggregate=_aggregate(nodes_out, aggregate_over, None if pooled is None else pooled + 1) if aggregated else {},
    )


def _large_communities(nodes: Sequence[Any], ties: Iterable[_Tie], seed: int) -> tuple[dict[Any, int], int | None]:
    """Communities of a map to aggregate: Louvain, with the small ones pooled (numbered by size).

    The communities are :func:`_communities` (vectorised Louvain: about a second on 100,000 ties).
    Communities of fewer than :data:`AGGREGATE_MIN_COMMUNITY` members (isolated parties, pairs)
    are pooled into one last group, so that the overview stays a few dozen nodes; its number is
    returned too (``None`` when there is none).
    """
    found = _communities(nodes, ties, seed)
    sizes: dict[int, int] = {}
    for c in found.values():
        sizes[c] = sizes.get(c, 0) + 1
    big = sorted(c for c, k in sizes.items() if k >= AGGREGATE_MIN_COMMUNITY)
    if len(big) == len(sizes):
        return found, None
    renumber = {c: i for i, c in enumerate(big)}
    pooled = len(big)
    return {n: renumber.get(c, pooled) for n, c in found.items()}, pooled


def _aggregate(nodes: Sequence[Mapping[str, Any]], over: int | None, pooled: int | None) -> dict[str, Any]:
    """The community overview of an aggregated map: one entry per community, for the page.

    ``communities``: ``community`` (its number), ``size`` (members), ``listed`` (members under an
    active listing), ``x``, ``y`` (the centre of its members) and ``radius`` (farthest member from
    it), ``top`` (ids of its best-ranked members, at most 3: the page names the community after
    them), ``pooled`` (true for the group of small communities and isolated parties), ``disc``
    (the radius the page draws it with: its ``radius``, shrunk where needed so that no two discs
    overlap, at least 12).
    """
    members: dict[int, list[Mapping[str, Any]]] = {}
    for n in nodes:
        members.setdefault(int(n["community"]), []).append(n)
    out: list[dict[str, Any]] = []
    for c in sorted(members):
        ms = members[c]
        xy = np.array([[m["x"], m["y"]] for m in ms], dtype=float)
        centre = xy.mean(axis=0)
        radius = float(np.sqrt(((xy - centre) ** 2).sum(axis=1)).max()) if len(ms) > 1 else 0.0
        out.append({
            "community": c, "size": len(ms), "listed": sum(1 for m in ms if m["listed"]),
            "x": round(float(centre[0]), 1), "y": round(float(centre[1]), 1), "radius": round(radius, 1),
            "top": [m["id"] for m in sorted(ms, key=lambda m: m["rank"])[:3]],
            "pooled": c == pooled,
        })
    if out:
        xy = np.array([[c["x"], c["y"]] for c in out], dtype=float)
        r = np.maximum(np.array([c["radius"] for c in out], dtype=float), 1.0)
        dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
        np.fill_diagonal(dist, np.inf)
        # Two discs share the gap between their centres in proportion to their radii.
        room = (dist * (r[:, None] / (r[:, None] + r[None, :]))).min(axis=1) * 0.94
        for entry, disc in zip(out, np.maximum(np.minimum(r, room), 12.0), strict=True):
            entry["disc"] = round(float(disc), 1)
    return {"over": over, "communities": out}


def _score(scores: Mapping[Any, float] | None, n: Any) -> float | None:
    if scores is None or n not in scores or not math.isfinite(float(scores[n])):
        return None
    return round(float(scores[n]), 4)


def _trust_hops(
    G: nx.DiGraph, nodes: Sequence[Any], snapshot: Snapshot | None,
) -> tuple[dict[Any, int], list[list[Any]]]:
    """The hops a vouching chain may use between drawn parties, for the page's path finder.

    Every edge of the trust graph between two drawn parties whose trust is above the neutral 0.5
    (and at most 1) — drawn tie or not: trust from contacts counts even when contacts are not drawn
    — as ``[u, v, trust, cost]`` with ``cost = −log(trust)`` computed as
    :class:`~trustgraph.analysis.chains.ChainIndex` computes it, in the index's order (by source,
    then target, in the snapshot's party order), so that the page's search meets equal chains in
    the same order and gives the answer of ``trustgraph chain``. Also returns each drawn party's
    position in that order (the page sorts ties by it).
    """
    found = {n: snapshot.find(n) for n in nodes} if snapshot is not None else {}
    if snapshot is not None and all(i is not None for i in found.values()):
        order = {n: int(i) for n, i in found.items() if i is not None}
    else:
        index = {n: i for i, n in enumerate(G.nodes)}
        order = {n: index[n] for n in nodes}
    rows: list[tuple[int, int, Any, Any, float]] = []
    for u in nodes:
        for v, d in G.adj[u].items():
            t = d.get("trust")
            if v in order and t is not None and NEUTRAL_TRUST < float(t) <= 1.0:
                rows.append((order[u], order[v], u, v, float(t)))
    rows.sort(key=lambda r: (r[0], r[1]))
    costs = -np.log(np.array([r[4] for r in rows], dtype=float)) if rows else np.zeros(0)
    return order, [[u, v, t, float(c)] for (_, _, u, v, t), c in zip(rows, costs.tolist(), strict=True)]


def _opacity(view: str, hop: int | None, role: str | None) -> float:
    """A node's opacity: far hops of a focus view and the context of a chain recede."""
    if view == "focus" and hop is not None:
        return HOP_OPACITY[min(hop, len(HOP_OPACITY) - 1)]
    if view == "chain" and role is None:
        return CONTEXT_OPACITY
    return 1.0


# --------------------------------------------------------------------------------------------------
# The page


def embed_json(value: Any) -> str:
    """JSON safe inside an HTML ``<script>`` element: ``<``, ``>``, ``&`` and U+2028/9 escaped.

    >>> embed_json({"name": "</script><b>&"})
    '{"name": "\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e\\\\u0026"}'
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str)
    return (text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


@lru_cache(maxsize=1)
def vis_network_js() -> str:
    """The vis-network build Pyvis ships (inlined into every map; no network access needed)."""
    path = resources.files("pyvis").joinpath(*_VIS_JS)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise TrustgraphError(f"cannot read vis-network from the pyvis package ({path}): {err}") from err
    # Inline scripts end at the first "</script"; the build has none, but never trust that blindly.
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.IGNORECASE)


@lru_cache(maxsize=1)
def _template() -> str:
    return resources.files("trustgraph.render").joinpath("template.html").read_text(encoding="utf-8")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


_SLOT = re.compile(r"/\*TG:([A-Z_]+)\*/")
_APP = re.compile(r'<script id="tg-app">(.*?)</script>', re.DOTALL)


def render_html(data: MapData) -> str:
    """The map as one self-contained HTML page (UTF-8 text; nothing loaded from the network).

    Data from the graph reaches the page only as escaped JSON (:func:`embed_json`) read with
    ``JSON.parse`` and shown with ``textContent`` and canvas text; the header text is also
    HTML-escaped for the static ``<title>``. A Content-Security-Policy allows exactly the page's
    two inline scripts (by hash), no other script, and no network connection.

    Parameters
    ----------
    data : MapData
        From :func:`map_data`.

    Returns
    -------
    str
    """
    template = _template()
    app = _APP.search(template)
    if app is None:
        raise TrustgraphError("the map template has no tg-app script")
    vis = vis_network_js()
    csp = ("default-src 'none'; script-src " + _sha256(vis) + " " + _sha256(app.group(1))
           + "; style-src 'unsafe-inline'; img-src data: blob:; font-src data:; connect-src 'none'; "
           "base-uri 'none'; form-action 'none'")
    payload = data.payload()
    if data.aggregate:
        # Big maps: tens of MiB of JSON take the HTML parser seconds; gzip (about 8:1 on this JSON)
        # and base64 (no "<", nothing for the parser to look at) and the page inflates it itself.
        # Tooltip lines, evidence and trust (40 % of it) come in a second block, read after the
        # first frame: the overview, search, filters and drilling in do not need them.
        details = {"node_info": [n["info"] for n in data.nodes], "edge_info": [e["info"] for e in data.edges],
                   "edge_trust": [e["trust"] for e in data.edges], "trust_hops": data.trust_hops}
        payload = {**payload, "trust_hops": [],
                   "nodes": [{k: v for k, v in n.items() if k != "info"} for n in data.nodes],
                   "edges": [{k: v for k, v in e.items() if k not in ("info", "trust")} for e in data.edges]}
        slots = {"DATA_TYPE": "application/gzip;base64", "DATA": _packed(payload), "DETAILS": _packed(details)}
    else:
        slots = {"DATA_TYPE": "application/json", "DATA": embed_json(payload), "DETAILS": "null"}
    slots.update({"TITLE": html.escape(data.title), "CSP": html.escape(csp), "VIS": vis})
    # One pass: text put into a slot is never scanned for further slots.
    return _SLOT.sub(lambda m: slots[m.group(1)], template)


def _packed(value: Any) -> str:
    """``value`` as gzip-compressed JSON in base64 (the page inflates it with DecompressionStream)."""
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, default=str, separators=(",", ":"))
    return base64.b64encode(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0)).decode("ascii")


def write_html(data: MapData, path: str | Path) -> Path:
    """Write :func:`render_html` to ``path`` as UTF-8 and return the path.

    The page is written to a temporary file beside ``path`` and renamed onto it
    (:func:`trustgraph.files.write_text_atomic`): a reader never sees half a page, and a symlink at
    ``path`` is refused rather than followed.

    Raises
    ------
    TrustgraphError
        When ``path`` is a symlink or not a regular file, or its folder does not exist.
    """
    return write_text_atomic(path, render_html(data), what="map")
