"""The pair's factor profile: every trust factor the seed article names, measured for one pair.

"Other factors that determine levels of trust include a partner's reputation, capability and track
record, similarities between partners (unifying culture), aligned interests, situational
circumstances (e.g. a need to work together), and levels of communication" — and the fear that a
partner "steals our ideas and donors". :func:`factor_profile` gives each of them a value in [0, 1],
or ``None`` when nothing in the data speaks to it ("unknown"), with the rows behind it:

=====================  ==========================================================================
factor                 measured from
=====================  ==========================================================================
``reputation``         the candidate's reputation (:mod:`trustgraph.analysis.reputation`)
``capability``         assessments of the candidate (``assessments.csv``): Beta evidence of the
                       scores, weighted by independence (:data:`METHOD_WEIGHTS`), decayed, expired
                       ones left out (:func:`capability`)
``track_record``       the evidence about the candidate (partnerships, referrals, incidents;
                       :mod:`trustgraph.evidence`): the assessor's own counted twice
``similarity``         same culture, country, organisation sector; shared memberships
``aligned_interests``  shared tags (thematic sectors), same region, shared active platforms
``competition``        shared funders; overlapping implementers (same region, sector and themes)
``situational_need``   shared active platforms/consortia; the candidate the only capable party of
                       its sector in its region
``communication``      frequency, recency, regularity and two-way-ness of their contacts; how many
                       of each side's people hold their shared partnerships
=====================  ==========================================================================

Every formula and its limits: docs/lifecycle.md, "The pair's factor profile". Each factor's value is
its ``level`` (``value`` is reserved for one piece of evidence, docs/output.md). Competition is the
one factor whose high level argues *against* a partnership (:data:`ADVERSE`); :func:`factor_score`
counts it against. Functions here are pure: canonical frames (every row, or the rows about
the two parties from :meth:`Store.about`) and a snapshot in, plain dicts out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, cast

import numpy as np
import pandas as pd

from ..cells import day as _day
from ..cells import text as _text
from ..errors import NotFoundError, TrustgraphError
from ..evidence import DEFAULT_HALF_LIFE_DAYS, beta_trust, evidence_frame
from ..evidence import _decay as _evidence_decay
from ..snapshot import Snapshot, as_snapshot, compile_tables

__all__ = [
    "FACTORS",
    "ADVERSE",
    "ONE_SIDED",
    "METHOD_WEIGHTS",
    "ASSESSMENT_UNITS",
    "CAPABLE",
    "CONTACTS_HALF",
    "capability",
    "factor_profile",
    "factor_score",
]

#: The factors, in the article's order.
FACTORS = (
    "reputation",
    "capability",
    "track_record",
    "similarity",
    "aligned_interests",
    "competition",
    "situational_need",
    "communication",
)
#: Factors whose high value argues against the partnership.
ADVERSE = ("competition",)
#: One-sided factors: their absence is no evidence either way. Situational need can only raise the
#: weighted score (no need: neutral 0.5; full need: 1), competition only lower it (none: neutral 0.5;
#: full: 0) — having no rival is not a reason to trust, having no need not a reason to distrust.
ONE_SIDED = ("situational_need", "competition")

#: How much one assessment counts, by method: independence of the assessor from the subject. An
#: audit (an outside, standards-based examination) counts fully; a site visit or capacity assessment
#: by another party nearly so; a pre-award survey (a questionnaire checked by the funder) less; a
#: peer review half; a self-assessment a quarter. An assessment whose assessor is the subject itself
#: counts as a self-assessment whatever its method.
METHOD_WEIGHTS: dict[str, float] = {
    "audit": 1.0,
    "site_visit": 0.8,
    "capacity_assessment": 0.8,
    "pre_award_survey": 0.6,
    "peer_review": 0.5,
    "self_assessment": 0.25,
}
#: Units of Beta evidence of one fresh audit: an audit is a thorough, documented examination,
#: worth three completed partnerships' evidence (:data:`trustgraph.evidence.WEIGHTS`).
ASSESSMENT_UNITS = 3.0
#: Capability at or above which a party counts as capable (situational need: the only capable one).
#: 0.6 = what one fresh audit scoring about 70 gives.
CAPABLE = 0.6
#: Decayed contacts at which communication frequency is one half (a contact a quarter for a year).
CONTACTS_HALF = 4.0

_PLATFORM_KINDS = ("platform", "consortium")


def _records(tables: Mapping[str, pd.DataFrame], name: str) -> list[dict[str, Any]]:
    frame = tables.get(name)
    return [] if frame is None or not len(frame) else cast(list[dict[str, Any]], frame.to_dict("records"))


def _decay(when: str, day: str, half_life_days: float | None) -> float:
    """The evidence module's decay (one rule for every piece of evidence) of one dated item."""
    return float(_evidence_decay(pd.Series([pd.Timestamp(when)]), pd.Timestamp(day), half_life_days)[0])


def _mean(parts: Mapping[str, float | None]) -> float | None:
    known = [v for v in parts.values() if v is not None]
    return float(np.mean(known)) if known else None


def _fold(value: Any) -> str | None:
    text = _text(value)
    return text.strip().casefold() if text and text.strip() else None


def _tags(value: Any) -> set[str]:
    if isinstance(value, (list, tuple)):
        return {str(t).strip().casefold() for t in value if str(t).strip()}
    text = _text(value)
    return {t.strip().casefold() for t in text.split(";") if t.strip()} if text else set()


def _jaccard(a: set[str], b: set[str]) -> float | None:
    return len(a & b) / len(a | b) if a and b else None


# --------------------------------------------------------------------------------------------------
# Capability


def capability(
    assessments: pd.DataFrame | None,
    subject: Hashable,
    *,
    day: str,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> dict[str, Any]:
    """The capability of ``subject`` from its assessments, as of ``day``.

    Each assessment dated by ``day`` and not expired (``valid_until`` empty or not before ``day``)
    is Beta evidence (Jøsang & Ismail 2002) of ``w = ASSESSMENT_UNITS × METHOD_WEIGHTS[method] ×
    0.5 ** (age / half_life)`` units, split as positive ``w × rating/100`` and negative
    ``w × (1 − rating/100)``; capability = (r + 1) / (r + s + 2) over all dimensions, and per
    dimension the same over its rows. A self-assessment (method ``self_assessment``, or the assessor
    is the subject) counts a quarter of an audit, so the same rating moves capability less far from
    the neutral 0.5. Expired assessments are shown but count nothing: with none valid, capability
    is ``None`` (unknown).

    Parameters
    ----------
    assessments : DataFrame or None
        Canonical ``assessments`` rows (others than the subject's are ignored).
    subject : organisation id
    day : str
        The reference date ``YYYY-MM-DD``; later assessments are ignored.
    half_life_days : float or None
        Evidence half-life (:data:`trustgraph.evidence.DEFAULT_HALF_LIFE_DAYS`); ``None``: no decay.

    Returns
    -------
    dict
        ``capability`` (or ``None``), ``uncertainty``, ``positive``, ``negative``, ``dimensions``
        (dimension → value), ``rows`` (each assessment: ``id``, ``assessor``, ``dimension``,
        ``rating``, ``date``, ``valid_until``, ``method``, ``independent``, ``status`` valid |
        expired, ``weight``, ``source``).

    Examples
    --------
    >>> rows = pd.DataFrame([{"id": "a1", "assessor": "KPMG", "subject": "X", "dimension": "governance",
    ...     "rating": 90.0, "date": "2024-01-01", "valid_until": None, "method": "audit", "source": None}])
    >>> round(capability(rows, "X", day="2024-01-01")["capability"], 3)
    0.74
    """
    out_rows: list[dict[str, Any]] = []
    pos: dict[str, float] = {}
    neg: dict[str, float] = {}
    frame = assessments if assessments is not None else pd.DataFrame()
    for row in _records({"a": frame}, "a"):
        when = _day(row.get("date"))
        if row.get("subject") != subject or when is None or when > day:
            continue
        until = _day(row.get("valid_until"))
        method = str(row.get("method"))
        independent = method != "self_assessment" and row.get("assessor") != subject
        expired = until is not None and until < day
        weight = 0.0 if expired else (ASSESSMENT_UNITS * METHOD_WEIGHTS[method if independent else "self_assessment"]
                                      * _decay(when, day, half_life_days))
        score = float(row["rating"])
        dim = str(row["dimension"])
        if not expired:
            pos[dim] = pos.get(dim, 0.0) + weight * score / 100.0
            neg[dim] = neg.get(dim, 0.0) + weight * (1.0 - score / 100.0)
        out_rows.append({"id": str(row["id"]), "assessor": str(row["assessor"]), "dimension": dim, "rating": score,
                         "date": when, "valid_until": until, "method": method, "independent": independent,
                         "status": "expired" if expired else "valid", "weight": weight,
                         "source": _text(row.get("source"))})
    out_rows.sort(key=lambda r: (r["date"], r["id"]))
    if not pos:
        return {"capability": None, "uncertainty": 1.0, "positive": 0.0, "negative": 0.0, "dimensions": {},
                "rows": out_rows}
    r, s = sum(pos.values()), sum(neg.values())
    value, uncertainty = beta_trust(r, s)
    dims = {d: beta_trust(pos[d], neg[d])[0] for d in sorted(pos)}
    return {"capability": value, "uncertainty": uncertainty, "positive": r, "negative": s, "dimensions": dims,
            "rows": out_rows}


# --------------------------------------------------------------------------------------------------
# The pair


class _Pair:
    """The rows about one pair, read once."""

    def __init__(self, tables: Mapping[str, pd.DataFrame], snap: Snapshot, candidate: Hashable,
                 assessor: Hashable, day: str, half_life_days: float | None) -> None:
        self.tables, self.snap, self.day, self.half_life_days = tables, snap, day, half_life_days
        self.candidate, self.assessor = candidate, assessor
        self.attrs = {o: snap.node_data(snap.index_of(o)) for o in (candidate, assessor)}
        started = {}
        for p in _records(tables, "partnerships"):
            start = _day(p.get("start"))
            if start is None or start <= day:
                started[str(p["id"])] = p
        self.partnerships = started
        self.members: dict[str, dict[str, str | None]] = {}  # partnership -> organisation -> role
        for m in _records(tables, "partnership_members"):
            if str(m["partnership"]) in started:
                self.members.setdefault(str(m["partnership"]), {})[str(m["organization"])] = _text(m.get("role"))

    def ships_of(self, org: Hashable) -> set[str]:
        return {p for p, m in self.members.items() if str(org) in m}

    def shared(self) -> list[str]:
        return sorted(self.ships_of(self.candidate) & self.ships_of(self.assessor))

    def status(self, ship: str) -> str:
        """The partnership's status as of the day (ended after the day: still active then)."""
        p = self.partnerships[ship]
        end = _day(p.get("end"))
        st = str(p.get("status"))
        return "active" if end is not None and end > self.day and st in ("completed", "terminated") else st

    def active_platforms(self) -> list[str]:
        out = []
        for ship in self.shared():
            p = self.partnerships[ship]
            roles = self.members[ship]
            if (p.get("kind") in _PLATFORM_KINDS and self.status(ship) == "active"
                    and "observer" not in (roles.get(str(self.candidate)), roles.get(str(self.assessor)))):
                out.append(ship)
        return out

    def funders_of(self, org: Hashable) -> set[str]:
        """Who funds ``org``: funders of the partnerships it takes part in other than as a funder."""
        out: set[str] = set()
        for ship in self.ships_of(org):
            roles = self.members[ship]
            if roles.get(str(org)) != "funder":
                out |= {o for o, r in roles.items() if r == "funder" and o != str(org)}
        return out


def _factor(value: float | None, summary: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"level": None if value is None else float(min(max(value, 0.0), 1.0)), "summary": summary,
            "evidence": evidence}


def _reputation(snap: Snapshot, candidate: Hashable) -> dict[str, Any]:
    from .reputation import reputation

    r = snap.memo(("factors", "reputation"), lambda: reputation(snap))
    doc = r.explain(candidate, top=3)
    score = float(doc.get("score", doc.get("reputation", 0.5)))
    raters = int(doc.get("raters") or 0)
    def side(key: str) -> list[dict[str, Any]]:
        return [{"id": str(g["id"]), "contribution": float(g["contribution"])} for g in doc.get(key, [])]

    evidence = {"reputation": score, "rank": doc.get("rank", doc.get("reputation_rank")), "raters": raters,
                "givers": side("givers"), "takers": side("takers")}
    if not r.pretrusted:  # no anchor: every reputation is "nothing known" (docs/reputation.md)
        return _factor(None, "no pre-trusted party to see reputation from: unknown", evidence)
    if raters == 0:
        return _factor(None, "no party has an opinion of the candidate: reputation unknown", evidence)
    return _factor(score, f"reputation {score:.3f} from {raters} rater{'s' if raters != 1 else ''}", evidence)


def _capability(pair: _Pair) -> dict[str, Any]:
    cap = capability(pair.tables.get("assessments"), pair.candidate, day=pair.day,
                     half_life_days=pair.half_life_days)
    valid = [r for r in cap["rows"] if r["status"] == "valid"]
    expired = len(cap["rows"]) - len(valid)
    if cap["capability"] is None:
        why = (f"{expired} assessment{'s' if expired != 1 else ''}, all expired" if expired
               else "no assessment recorded")
        return _factor(None, f"{why}: capability unknown", cap)
    independent = sum(1 for r in valid if r["independent"])
    return _factor(cap["capability"], f"{len(valid)} valid assessment{'s' if len(valid) != 1 else ''} ({independent} "
                                 f"independent, {len(valid) - independent} self), {expired} expired", cap)


def _track_record(pair: _Pair, evidence: pd.DataFrame) -> dict[str, Any]:
    about = evidence.loc[(evidence["dst"] == pair.candidate) & (evidence["kind"] != "communication")]
    mine = about["src"] == pair.assessor
    pair_r, pair_s = float(about.loc[mine, "positive"].sum()), float(about.loc[mine, "negative"].sum())
    other_r, other_s = float(about.loc[~mine, "positive"].sum()), float(about.loc[~mine, "negative"].sum())
    counts: dict[str, int] = {}
    for kind, detail, value in zip(about["kind"], about["detail"], about["value"], strict=True):
        key = (f"partnership_{detail}" if kind == "partnership" else
               ("referral_positive" if value > 0 else "referral_negative") if kind == "referral" else str(kind))
        counts[key] = counts.get(key, 0) + 1
    ev = {"pair": {"positive": pair_r, "negative": pair_s, "rows": int(mine.sum())},
          "own": {"positive": other_r, "negative": other_s, "rows": int((~mine).sum())},
          "counts": dict(sorted(counts.items()))}
    if not len(about):
        return _factor(None, "no partnership, referral or incident about the candidate: track record unknown", ev)
    value = beta_trust(2.0 * pair_r + other_r, 2.0 * pair_s + other_s)[0]
    parts = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in sorted(counts.items()))
    return _factor(value, f"{len(about)} evidence rows about the candidate ({int(mine.sum())} first-hand): {parts}",
                   ev)


def _same(a: Any, b: Any) -> float | None:
    fa, fb = _fold(a), _fold(b)
    return None if fa is None or fb is None else float(fa == fb)


def _similarity(pair: _Pair) -> dict[str, Any]:
    a, c = pair.attrs[pair.assessor], pair.attrs[pair.candidate]
    shared = pair.shared()
    any_ships = bool(pair.ships_of(pair.candidate) or pair.ships_of(pair.assessor))
    parts = {"culture": _same(a.get("culture"), c.get("culture")), "country": _same(a.get("country"), c.get("country")),
             "sector": _same(a.get("sector"), c.get("sector")),
             "shared_memberships": len(shared) / (len(shared) + 1.0) if any_ships else None}
    ev = {"components": parts, "shared_partnerships": shared,
          "assessor": {k: a.get(k) for k in ("culture", "country", "sector")},
          "candidate": {k: c.get(k) for k in ("culture", "country", "sector")}}
    value = _mean(parts)
    same = [k for k, v in parts.items() if v == 1.0 and k != "shared_memberships"]
    text = (f"alike in {', '.join(same) or 'nothing recorded'}; {len(shared)} shared partnership"
            f"{'s' if len(shared) != 1 else ''}") if value is not None else "no attribute known for both: unknown"
    return _factor(value, text, ev)


def _aligned(pair: _Pair) -> dict[str, Any]:
    a, c = pair.attrs[pair.assessor], pair.attrs[pair.candidate]
    ta, tc = _tags(a.get("tags")), _tags(c.get("tags"))
    platforms = pair.active_platforms()
    any_ships = bool(pair.ships_of(pair.candidate) or pair.ships_of(pair.assessor))
    parts = {"tags": _jaccard(ta, tc), "region": _same(a.get("region"), c.get("region")),
             "shared_platforms": 1.0 - 0.5 ** len(platforms) if any_ships else None}
    ev = {"components": parts, "shared_tags": sorted(ta & tc), "platforms": platforms,
          "regions": {"assessor": a.get("region"), "candidate": c.get("region")}}
    value = _mean(parts)
    text = (f"shared themes {', '.join(sorted(ta & tc)) or 'none'}; region "
            f"{'same' if parts['region'] == 1.0 else 'differs' if parts['region'] == 0.0 else 'unknown'}; "
            f"{len(platforms)} shared active platform{'s' if len(platforms) != 1 else ''}") if value is not None \
        else "no themes, region or partnerships known for both: unknown"
    return _factor(value, text, ev)


def _competition(pair: _Pair) -> dict[str, Any]:
    a, c = pair.attrs[pair.assessor], pair.attrs[pair.candidate]
    fa, fc = pair.funders_of(pair.assessor), pair.funders_of(pair.candidate)
    shared = sorted((fa & fc) - {str(pair.candidate), str(pair.assessor)})
    funders = len(shared) / (len(shared) + 1.0) if (fa or fc) else None
    region, sector = _same(a.get("region"), c.get("region")), _same(a.get("sector"), c.get("sector"))
    themes = _jaccard(_tags(a.get("tags")), _tags(c.get("tags")))
    if region is None or sector is None:
        overlap = None
    else:
        overlap = region * sector * (themes or 0.0)
    parts = {"shared_funders": funders, "overlap": overlap}
    ev = {"components": parts, "shared_funders": shared, "funders": {"assessor": sorted(fa), "candidate": sorted(fc)}}
    known = [v for v in parts.values() if v is not None]
    if not known:
        return _factor(None, "no funders and no region or sector known for both: unknown", ev)
    value = 1.0 - float(np.prod([1.0 - v for v in known]))
    text = (f"{len(shared)} shared funder{'s' if len(shared) != 1 else ''}"
            + (f" ({', '.join(shared)})" if shared else "")
            + ("; same region, sector and themes: overlapping implementers" if overlap else ""))
    return _factor(value, text, ev)


def _capable_peers(pair: _Pair, about: Callable[[list[Any]], pd.DataFrame | None] | None) -> dict[str, Any] | None:
    """The capable parties of the candidate's sector in its region (the assessor left out)."""
    c = pair.attrs[pair.candidate]
    region, sector = _fold(c.get("region")), _fold(c.get("sector"))
    if region is None or sector is None:
        return None
    snap = pair.snap
    regions = snap.attributes.get("region")
    sectors = snap.attributes.get("sector")
    if regions is None or sectors is None:
        return None
    # Regions are compared case-insensitively: one pass over the column (no per-value index is kept).
    peers = [snap.ids[i] for i, v in enumerate(regions)
             if v is not None and _fold(v) == region and _fold(sectors[i]) == sector and snap.ids[i] != pair.assessor]
    rows = about(peers) if about is not None else pair.tables.get("assessments")
    capable = []
    for p in peers:
        value = capability(rows, p, day=pair.day, half_life_days=pair.half_life_days)["capability"]
        if value is not None and value >= CAPABLE:
            capable.append({"id": str(p), "capability": value})
    return {"region": c.get("region"), "sector": c.get("sector"), "capable": capable}


def _need(pair: _Pair, about: Callable[[list[Any]], pd.DataFrame | None] | None) -> dict[str, Any]:
    platforms = pair.active_platforms()
    any_ships = bool(pair.ships_of(pair.candidate) or pair.ships_of(pair.assessor))
    peers = _capable_peers(pair, about)
    scarcity = None
    if peers is not None:
        mine = [p for p in peers["capable"] if p["id"] == str(pair.candidate)]
        if mine:
            scarcity = 1.0 / len(peers["capable"])
        elif any(r["status"] == "valid" for r in capability(pair.tables.get("assessments"), pair.candidate,
                                                           day=pair.day, half_life_days=pair.half_life_days)["rows"]):
            scarcity = 0.0  # assessed, and not capable: no need for this party in particular
    parts = {"shared_platforms": 1.0 - 0.5 ** len(platforms) if any_ships else None, "scarcity": scarcity}
    ev = {"components": parts, "platforms": platforms, "capable_in_region": peers}
    known = [v for v in parts.values() if v is not None]
    if not known:
        return _factor(None, "no shared platform and no assessed peers: unknown", ev)
    text = f"{len(platforms)} shared active platform{'s' if len(platforms) != 1 else ''}"
    if scarcity:
        n = len(peers["capable"]) if peers else 0
        text += (f"; the only capable {peers['sector'] if peers else ''} party in {peers['region'] if peers else ''}"
                 if n == 1 else f"; one of {n} capable parties of its sector in its region")
    return _factor(max(known), text, ev)


def _communication(pair: _Pair) -> dict[str, Any]:
    cand, org = pair.candidate, pair.assessor
    rows = [r for r in _records(pair.tables, "communications")
            if _day(r.get("date")) is not None and str(_day(r.get("date"))) <= pair.day]
    any_comms = any(cand in (r["a"], r["b"]) for r in rows) and any(org in (r["a"], r["b"]) for r in rows)
    between = sorted((r for r in rows if {r["a"], r["b"]} == {cand, org}), key=lambda r: (str(r["date"]), r["id"]))
    dates = [str(_day(r["date"])) for r in between]
    shared = pair.shared()
    holders = _holders(pair, shared)
    held = min(holders[str(org)], holders[str(cand)], 2) / 2.0 if shared else None
    parts: dict[str, float | None] = {"frequency": None, "recency": None, "regularity": None, "two_way": None,
                                      "holders": held}
    if any_comms or between:
        n = sum(_decay(d, pair.day, pair.half_life_days) for d in dates)
        parts["frequency"] = n / (n + CONTACTS_HALF)
        parts["recency"] = _decay(dates[-1], pair.day, pair.half_life_days) if dates else 0.0
        if len(dates) >= 3:
            gaps = np.diff([pd.Timestamp(d).value for d in dates]) / 86400e9
            mean = float(np.mean(gaps))
            parts["regularity"] = 1.0 / (1.0 + float(np.std(gaps)) / mean) if mean > 0 else 0.0
        if len(dates) >= 2:
            by_org = sum(1 for r in between if r["a"] == org)
            by_cand = len(between) - by_org
            parts["two_way"] = min(by_org, by_cand) / max(by_org, by_cand)
    ev = {"components": parts, "contacts": len(between), "first": dates[0] if dates else None,
          "last": dates[-1] if dates else None, "channels": sorted({str(r.get("channel")) for r in between
                                                                    if _text(r.get("channel"))}),
          "holders": holders, "shared_partnerships": shared}
    value = _mean(parts)
    if value is None:
        return _factor(None, "no contacts recorded for either party and no shared partnership: unknown", ev)
    text = (f"{len(between)} contact{'s' if len(between) != 1 else ''}"
            + (f", last {dates[-1]}" if dates else "")
            + (f"; held by {holders[str(org)]} of the assessor's and {holders[str(cand)]} of the candidate's people"
               if shared else ""))
    return _factor(value, text, ev)


def _holders(pair: _Pair, shared: Iterable[str]) -> dict[str, int]:
    """People in post at each party who hold one of the shared partnerships."""
    ships = set(shared)
    staff: dict[str, str] = {}
    for p in _records(pair.tables, "people"):
        until = _day(p.get("until"))
        if until is None or until > pair.day:
            staff[str(p["id"])] = str(p["organization"])
    out: dict[str, set[str]] = {str(pair.assessor): set(), str(pair.candidate): set()}
    for h in _records(pair.tables, "relationship_holders"):
        org = staff.get(str(h["person"]))
        if str(h["partnership"]) in ships and org in out:
            out[org].add(str(h["person"]))
    return {k: len(v) for k, v in out.items()}


def factor_profile(
    tables: Mapping[str, pd.DataFrame],
    candidate: Hashable,
    assessor: Hashable,
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    graph: Snapshot | Any | None = None,
    evidence: pd.DataFrame | None = None,
    assessments_of: Callable[[list[Any]], pd.DataFrame | None] | None = None,
) -> dict[str, Any]:
    """Every trust factor of the pair (``assessor`` considering ``candidate``), with its evidence.

    Parameters
    ----------
    tables : mapping
        Canonical frames: every row, or with a snapshot ``graph`` the rows about the two parties
        (:meth:`Store.about`).
    candidate, assessor : organisation ids
    as_of : str, optional
        ISO reference date (default: the newest event; with a snapshot, the snapshot's).
    half_life_days : float or None
        Evidence half-life (:mod:`trustgraph.evidence`).
    graph : Snapshot or networkx.DiGraph, optional
        The compiled trust graph for the same date and half-life (compiled from ``tables`` if absent).
    evidence : DataFrame, optional
        The evidence frame of ``tables`` (computed when absent).
    assessments_of : callable, optional
        Parties → their ``assessments`` rows (situational need looks at the candidate's regional
        peers); default: ``tables["assessments"]``.

    Returns
    -------
    dict
        ``id``, ``for``, ``as_of``, ``factors``: one dict per factor of :data:`FACTORS` with
        ``factor``, ``level`` (in [0, 1], ``None`` = unknown), ``adverse`` (high is a risk),
        ``summary`` and ``evidence``.

    Raises
    ------
    NotFoundError
        When either party is not in the graph.
    TrustgraphError
        When ``candidate`` is ``assessor``.
    """
    if graph is None:
        snap = compile_tables(tables, as_of=as_of, half_life_days=half_life_days)
    else:
        snap = as_snapshot(graph)
    for node, role in ((candidate, "candidate"), (assessor, "for")):
        if snap.find(node) is None:
            raise NotFoundError(f"no organisation {node!r} ({role})")
    if candidate == assessor:
        raise TrustgraphError("an organisation cannot be profiled against itself")
    day = snap.as_of if isinstance(graph, Snapshot) or graph is None else str(as_of or snap.as_of)
    pair = _Pair(tables, snap, candidate, assessor, day, half_life_days)
    if evidence is None:
        evidence = evidence_frame(tables, as_of=day, half_life_days=half_life_days)
    measured = {
        "reputation": _reputation(snap, candidate),
        "capability": _capability(pair),
        "track_record": _track_record(pair, evidence),
        "similarity": _similarity(pair),
        "aligned_interests": _aligned(pair),
        "competition": _competition(pair),
        "situational_need": _need(pair, assessments_of),
        "communication": _communication(pair),
    }
    return {"id": candidate, "for": assessor, "as_of": day,
            "factors": [{"factor": f, **measured[f], "adverse": f in ADVERSE} for f in FACTORS]}


def factor_score(profile: Mapping[str, Any], weights: Mapping[str, float]) -> dict[str, Any]:
    """The weighted factor score of a :func:`factor_profile` under a culture's ``weights``.

    score = Σ wᶠ·vᶠ / Σ wᶠ over the weighted factors that are known, with vᶠ the factor's value,
    except for the one-sided factors (:data:`ONE_SIDED`): situational need counts 0.5 + value / 2
    and competition 0.5 − value / 2 (their absence is neutral). Unknown factors are left out, not
    counted as 0.5.
    Each factor's contribution is wᶠ·(vᶠ − 0.5) / Σ wᶠ: how far it moves the score from neutral;
    the drivers are the factors with the largest contributions, strongest first.

    Returns
    -------
    dict
        ``weighted`` (the score; ``None`` when no weighted factor is known), ``known_weight`` (share of
        the total weight that is known), ``contributions`` (factor → contribution, known factors only) and
        ``drivers`` (up to three factor names, the largest |contribution| first).

    Examples
    --------
    >>> p = {"factors": [{"factor": "reputation", "level": 0.8}, {"factor": "competition", "level": 0.6},
    ...                  {"factor": "capability", "level": None}]}
    >>> factor_score(p, {"reputation": 1, "competition": 1, "capability": 2})["weighted"]
    0.5
    """
    values = {f["factor"]: f["level"] for f in profile["factors"]}
    total = sum(float(w) for f, w in weights.items() if f in values and w > 0)
    known = {f: float(w) for f, w in weights.items() if w > 0 and values.get(f) is not None}
    weight = sum(known.values())
    if not known:
        return {"weighted": None, "known_weight": 0.0, "contributions": {}, "drivers": []}
    oriented = {f: _oriented(f, float(values[f])) for f in known}
    score = sum(known[f] * oriented[f] for f in known) / weight
    contributions = {f: known[f] * (oriented[f] - 0.5) / weight for f in known}
    drivers = [f for f in sorted(contributions, key=lambda f: (-abs(contributions[f]), FACTORS.index(f)))
               if abs(contributions[f]) > 1e-12][:3]
    return {"weighted": round(score, 12), "known_weight": weight / total if total else 0.0,
            "contributions": contributions, "drivers": drivers}


def _oriented(factor: str, value: float) -> float:
    """A factor's value as it enters the weighted score: high = in favour of the partnership."""
    if factor in ONE_SIDED:
        return 0.5 - value / 2.0 if factor in ADVERSE else 0.5 + value / 2.0
    return 1.0 - value if factor in ADVERSE else value
