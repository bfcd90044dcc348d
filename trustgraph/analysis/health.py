"""Health: a partner's look in the mirror.

"Each partner needs to clarify for itself whether it has behaved and worked in a reliable manner."
:func:`health` gathers, for one organisation, what the other analyses say about it:

* **how others see it** — its reputation (:func:`trustgraph.analysis.reputation.reputation`: score,
  rank, percentile, who gives and who takes it) and the trend: the same score recomputed as of
  earlier dates (every ``trend_step_days`` back, ``trend_points`` points), each on the trust graph
  as of that date (one snapshot per date, cached on disk); warnings others gave about it;
* **incidents where it was blamed**, with their follow-up and state
  (:func:`trustgraph.analysis.assess.incident_history`);
* **incidents still without repair** — involving it on either side, with no post-mortem,
  mediation, staff rotation or reset as the latest follow-up (``open`` or ``escalated``);
* **person-level breaches** — incidents that name people, on either side
  (:func:`trustgraph.analysis.continuity.person_breaches`): a concern when the two people named hold
  the relationship together again after a staff rotation (``re_paired``), or when no rotation
  followed and they still hold it (``not_rotated``);
* **relationships at continuity risk** — its sides of running partnerships held by one person or
  by nobody (:func:`trustgraph.analysis.continuity.partnership_sides`);
* **exposure to listed parties** (:func:`trustgraph.analysis.contagion.exposure_paths`) and its
  own listings.

``findings`` puts the noteworthy items into sentences, most serious first.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import NotFoundError
from ..evidence import DEFAULT_HALF_LIFE_DAYS, evidence_frame, reference_date
from ..snapshot import Snapshot, compile_tables, from_graph
from .assess import SnapshotNames, incident_history, listed_party
from .contagion import exposure_paths, shared_people
from .continuity import partnership_sides, person_breaches
from .reputation import reputation, reputation_arrays

if TYPE_CHECKING:
    import networkx as nx

    from .chains import EvidenceSource

__all__ = ["health", "reputation_trend"]


def reputation_trend(
    tables: Mapping[str, pd.DataFrame],
    organization: Hashable,
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    points: int = 5,
    step_days: int = 365,
    graphs: Callable[[str], Snapshot | nx.DiGraph] | None = None,
) -> list[dict[str, Any]]:
    """Reputation of ``organization`` as of ``as_of`` and ``points − 1`` earlier dates.

    Each point computes the reputation scores (:func:`~trustgraph.analysis.reputation.reputation_arrays`)
    with the default pre-trusted set on the trust graph as of its date.

    Parameters
    ----------
    tables : mapping
        Canonical frames; each point's graph is compiled from them unless ``graphs`` is given.
    organization : node
    as_of : str, optional
        ISO date of the last point (default: the newest event in ``tables``).
    half_life_days : float or None
        Evidence half-life.
    points, step_days : int
        How many points, how many days apart.
    graphs : callable, optional
        ISO date → the trust graph as of that date for ``half_life_days`` (a snapshot, e.g.
        ``lambda day: open_snapshot(store, as_of=day)``, cached on disk; or a NetworkX graph).

    Returns
    -------
    list of dict
        Oldest first: ``date``, ``score``, ``rank``, ``of`` (organisations scored), ``change`` (from
        the previous point; ``None`` for the first).
    """
    def scores(day: str) -> tuple[float, np.ndarray]:
        G = graphs(day) if graphs is not None else compile_tables(tables, as_of=day, half_life_days=half_life_days)
        snap, score, _ = reputation_arrays(G)
        return float(score[snap.index_of(organization)]), score

    return _trend(reference_date(tables, as_of), points, step_days, scores)


def _trend(end: pd.Timestamp, points: int, step_days: int,
           scores: Callable[[str], tuple[float, np.ndarray]]) -> list[dict[str, Any]]:
    """:func:`reputation_trend` from ``scores``: ISO date → (the organisation's score, every score)."""
    if points < 1 or step_days < 1:
        raise ValueError("points and step_days must be at least 1")
    out: list[dict[str, Any]] = []
    for k in range(points - 1, -1, -1):
        day = (end - pd.Timedelta(days=step_days * k)).strftime("%Y-%m-%d")
        score, every = scores(day)
        out.append({"date": day, "score": score, "rank": 1 + int(np.count_nonzero(every > score)), "of": len(every),
                    "change": None if not out else score - out[-1]["score"]})
    return out


def health(
    tables: Mapping[str, pd.DataFrame],
    organization: Hashable,
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    graph: Snapshot | nx.DiGraph | None = None,
    evidence: EvidenceSource = None,
    trend_points: int = 5,
    trend_step_days: int = 365,
    exposure_paths_shown: int = 5,
    graphs: Callable[[str], Snapshot | nx.DiGraph] | None = None,
    holders_recorded: bool | None = None,
) -> dict[str, Any]:
    """How ``organization`` stands: reputation and trend, incidents, continuity risk, exposure.

    Parameters
    ----------
    tables : mapping
        Canonical frames: every row, or, with a snapshot ``graph``, the rows about ``organization``
        (:meth:`Store.about`).
    organization : node
        The organisation to examine.
    as_of : str, optional
        ISO reference date (default: the newest event).
    half_life_days : float or None
        Evidence half-life (:mod:`trustgraph.evidence`).
    graph : Snapshot or networkx.DiGraph, optional
        The trust graph for the same date and half-life (compiled from ``tables`` if absent); its
        ``as_of`` is the reference date.
    evidence : DataFrame or callable, optional
        With a NetworkX ``graph``: the evidence frame it was projected from, or a function giving
        the evidence frame of the parties it is given (splits the reputation by evidence kind).
    trend_points, trend_step_days : int
        The reputation trend: this many points, this many days apart, ending at ``as_of``.
    graphs : callable, optional
        ISO date → the trust graph as of that date, for the trend (see :func:`reputation_trend`);
        needed with a snapshot ``graph`` and rows about the organisation only.
    exposure_paths_shown : int
        Strongest exposure paths listed.
    holders_recorded : bool, optional
        Whether the data records any people and relationship holders at all (default: whether
        ``tables`` do; give it with rows about the organisation only). When not, no side is at
        continuity risk: the data says nothing about who holds a partnership.

    Returns
    -------
    dict
        ``id``, ``name``, ``as_of``, ``culture``, ``risk_appetite``; ``reputation`` (``score``,
        ``rank``, ``of``, ``percentile``, ``breakdown``, ``givers``, ``takers``); ``trend``
        (:func:`reputation_trend`) and ``trend_change`` (last − first score); ``warnings``
        (negative referrals about it); ``blamed`` (incidents where it was the subject);
        ``unrepaired`` (incidents on either side still ``open`` or ``escalated``); ``continuity``
        (its partnership sides that are ``single`` or ``orphaned``, with ``running`` and ``at_risk``
        counts, and ``holders_recorded``); ``person_breaches`` (every person-level breach with the
        organisation on either side, :func:`~trustgraph.analysis.continuity.person_breaches`; those
        ``re_paired`` or ``not_rotated`` are findings); ``exposure`` (``exposure``, ``paths``: ``target``,
        ``hops``, ``contribution``, ``path``); ``listings`` (active listings of it);
        ``findings`` (sentences, most serious first).

    Raises
    ------
    NotFoundError
        When ``organization`` is not in the data.
    """
    if graph is None:
        G: Snapshot | nx.DiGraph = compile_tables(tables, as_of=as_of, half_life_days=half_life_days)
    else:
        G = graph
    snap = G if isinstance(G, Snapshot) else from_graph(G)
    day = reference_date(tables, snap.as_of if isinstance(G, Snapshot) else G.graph.get("as_of")).strftime("%Y-%m-%d")
    at_index = snap.find(organization)
    if at_index is None:
        raise NotFoundError(f"no organisation {organization!r}")
    if not isinstance(G, Snapshot):
        names: Mapping[Any, Any] = dict(G.nodes(data="name"))
        node: Mapping[str, Any] = G.nodes[organization]
        if evidence is None:
            evidence = evidence_frame(tables, as_of=day, half_life_days=half_life_days)
        rep = reputation(G, evidence=evidence([organization]) if callable(evidence) else evidence)
    else:
        names = SnapshotNames(snap)
        node = snap.node_data(at_index)
        rep = reputation(G)  # a snapshot splits the explanation by evidence kind itself
    explained = rep.explain(organization, top=3)
    # (explain() gives "score"/"rank"; later versions may name them "reputation"/"reputation_rank")
    rep_doc = {"score": explained.get("score", explained.get("reputation")),
               "rank": explained.get("rank", explained.get("reputation_rank")),
               **{k: explained[k] for k in ("percentile", "breakdown", "givers", "takers")}}
    rep_doc["of"] = len(rep)

    def scores(point: str) -> tuple[float, np.ndarray]:
        if point == day:  # the reputation above
            return float(rep.scores[organization]), np.fromiter(rep.scores.values(), dtype=float, count=len(rep))
        at = graphs(point) if graphs is not None else compile_tables(tables, as_of=point, half_life_days=half_life_days)
        snap_then, score, _ = reputation_arrays(at)
        return float(score[snap_then.index_of(organization)]), score

    trend = _trend(pd.Timestamp(day), trend_points, trend_step_days, scores)
    trend_change = trend[-1]["score"] - trend[0]["score"] if len(trend) > 1 else 0.0

    warnings = []
    refs = tables.get("referrals")
    if refs is not None and len(refs):
        for r in refs.to_dict("records"):
            when = str(r["date"])[:10]
            if r["target"] == organization and float(r["strength"]) < 0 and when <= day:
                note = r.get("note")
                warnings.append({"id": r["id"], "source": r["source"], "source_name": names.get(r["source"]),
                                 "strength": float(r["strength"]), "date": when,
                                 "note": None if note is None or note != note else note})
    warnings.sort(key=lambda w: (w["date"], w["id"]))

    involved = incident_history(tables, organization, as_of=day, role="any", names=names)
    blamed = [i for i in involved if i["subject"] == organization]
    unrepaired = [i for i in involved if i["status"] != "repaired"]

    breaches = person_breaches(tables, as_of=day, organization=organization)
    sides = partnership_sides(tables, as_of=day, organization=organization)
    if holders_recorded is None:
        holders_recorded = all(tables.get(t) is not None and len(tables[t]) for t in ("people", "relationship_holders"))
    # Without people or holders in the data, a partnership held by nobody is missing data, not a finding.
    at_risk = [s for s in sides if s["status"] != "covered"] if holders_recorded else []

    # A snapshot holds the ties through shared people; with every row they are computed here.
    people = None if isinstance(graph, Snapshot) else shared_people(tables, as_of=day, half_life_days=half_life_days)
    exp = exposure_paths(G, organization, people=people, limit=exposure_paths_shown)
    exposure: dict[str, Any] = {
        "exposure": float(exp["exposure"] if "exposure" in exp else exp["score"]),
        "paths": [{"target": listed_party(p), "hops": p["hops"],
                   "contribution": p["contribution"] if "contribution" in p else p["strength"], "path": p["path"]}
                  for p in exp["paths"]],
    }
    listings = [dict(x) for x in node.get("listings") or []]

    findings: list[str] = []
    for x in listings:
        findings.append(f"listed by {x['lister']} since {x['date']}: {x.get('reason')}")
    for i in unrepaired:
        side = "blamed for" if i["subject"] == organization else "reported"
        other = i["reporter"] if i["subject"] == organization else i["subject"]
        state = "no follow-up yet" if i["status"] == "open" else "escalated, never repaired"
        findings.append(f"{side} incident {i['id']} ({i['kind']}, severity {i['severity']}, {i['date']}) "
                        f"with {other}: {state}")
    findings += [_breach_finding(b) for b in breaches if b["status"] in ("re_paired", "not_rotated")]
    for w in warnings:
        findings.append(f"warned about by {w['source']} ({w['strength']:+.2f}, {w['date']})")
    orphaned = [s for s in at_risk if s["status"] == "orphaned"]
    single = [s for s in at_risk if s["status"] == "single"]
    if orphaned:
        findings.append(f"{len(orphaned)} running partnership(s) with nobody holding the relationship: "
                        + ", ".join(s["partnership"] for s in orphaned))
    if single:
        by_person: dict[str, list[str]] = {}
        for s in single:
            by_person.setdefault(f"{s['holders'][0]['name']} ({s['holders'][0]['id']})", []).append(s["partnership"])
        findings.append(f"{len(single)} running partnership(s) resting on one person: "
                        + "; ".join(f"{p}: {', '.join(ps)}" for p, ps in by_person.items()))
    if exposure["exposure"] > 0 and exposure["paths"]:
        top = next((p for p in exposure["paths"] if p["contribution"] > 0), None)
        if top is not None:
            findings.append(f"exposure to listed parties {exposure['exposure']:.3f}, strongest via "
                            + " > ".join(map(str, top["path"])))
    elif exposure["exposure"] < 0:
        findings.append(f"distanced from listed parties (exposure {exposure['exposure']:.3f})")
    if len(trend) > 1:
        direction = "up" if trend_change > 0.005 else "down" if trend_change < -0.005 else "flat"
        findings.append(f"reputation {rep_doc['score']:.3f}, rank {rep_doc['rank']} of {rep_doc['of']}; "
                        f"{direction} {trend_change:+.3f} since {trend[0]['date']}")
    findings += [_breach_finding(b) for b in breaches if b["status"] == "rotated"]
    repaired = [i for i in blamed if i["status"] == "repaired"]
    if repaired:
        findings.append("repaired: " + ", ".join(
            f"{i['id']} ({', '.join(a['kind'] for a in i['actions'])})" for i in repaired))

    return {
        "id": organization,
        "name": names.get(organization),
        "as_of": day,
        "culture": node.get("culture"),
        "risk_appetite": node.get("risk_appetite"),
        "reputation": rep_doc,
        "trend": trend,
        "trend_change": trend_change,
        "warnings": warnings,
        "blamed": blamed,
        "unrepaired": unrepaired,
        "continuity": {"running": len(sides), "at_risk": len(at_risk), "sides": at_risk,
                       "holders_recorded": bool(holders_recorded)},
        "person_breaches": breaches,
        "exposure": exposure,
        "listings": listings,
        "findings": findings,
    }


def _breach_finding(b: Mapping[str, Any]) -> str:
    """One sentence on a person-level breach (:func:`~trustgraph.analysis.continuity.person_breaches`)."""
    def who(p: Mapping[str, Any] | None, org: str) -> str:
        return org if p is None else f"{p['id']} {p['name'] or ''} ({p['organization'] or org})".replace("  ", " ")

    head = (f"person-level breach {b['incident']} ({b['kind']}, {b['date']}) between "
            f"{who(b['reporter_person'], b['reporter'])} and {who(b['subject_person'], b['subject'])}")
    together = ", ".join(b["held_together"])
    ties = ", ".join(f"a {t['kind'] or 'personal'} tie since {t['since']}" for t in b["new_ties"])
    paired = "; ".join(x for x in (f"they hold {together} together" if together else "", ties) if x)
    if b["status"] == "re_paired":
        return f"{head}: staff rotation on {b['rotation']['date']}, yet re-paired: {paired}"
    if b["status"] == "not_rotated":
        return f"{head}: never followed by a staff rotation, and {paired}"
    holders = "; ".join(
        f"{r['partnership']} held by " + (", ".join(h["id"] for h in r["reporter_holders"]) or "nobody") + " and "
        + (", ".join(h["id"] for h in r["subject_holders"]) or "nobody") for r in b["relationship"])
    kept = f"the relationship survives ({holders})" if b["survives"] else "no partnership between them runs now"
    return f"{head}: repaired by staff rotation on {b['rotation']['date']}; {kept}, the two not paired again"
