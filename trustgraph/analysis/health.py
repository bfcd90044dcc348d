"""Health: a partner's look in the mirror.

"Each partner needs to clarify for itself whether it has behaved and worked in a reliable manner."
:func:`health` gathers, for one organisation, what the other analyses say about it:

* **how others see it** — its reputation (:func:`trustgraph.analysis.reputation.reputation`: score,
  rank, percentile, who gives and who takes it) and the trend: the same score recomputed as of
  earlier dates (every ``trend_step_days`` back, ``trend_points`` points), each on the graph
  projected as of that date; warnings others gave about it;
* **incidents where it was blamed**, with their follow-up and state
  (:func:`trustgraph.analysis.assess.incident_history`);
* **incidents still without repair** — involving it on either side, with no post-mortem,
  mediation, staff rotation or reset as the latest follow-up (``open`` or ``escalated``);
* **relationships at continuity risk** — its sides of running partnerships held by one person or
  by nobody (:func:`trustgraph.analysis.continuity.partnership_sides`);
* **exposure to listed parties** (:func:`trustgraph.analysis.contagion.exposure_paths`) and its
  own listings.

``findings`` puts the noteworthy items into sentences, most serious first.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any

import networkx as nx
import pandas as pd

from ..errors import NotFoundError
from ..evidence import DEFAULT_HALF_LIFE_DAYS, evidence_frame, reference_date
from .assess import incident_history
from .contagion import exposure_paths, shared_people
from .continuity import partnership_sides
from .reputation import reputation, reputation_scores

__all__ = ["health", "reputation_trend"]


def _rank(scores: Mapping[Any, float], node: Hashable) -> int:
    mine = scores[node]
    return 1 + sum(1 for v in scores.values() if v > mine)


def reputation_trend(
    tables: Mapping[str, pd.DataFrame],
    organization: Hashable,
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    points: int = 5,
    step_days: int = 365,
) -> list[dict[str, Any]]:
    """Reputation of ``organization`` as of ``as_of`` and ``points − 1`` earlier dates.

    Each point projects the graph as of its date (:func:`trustgraph.graph.project`) and computes
    :func:`~trustgraph.analysis.reputation.reputation_scores` with the default pre-trusted set.

    Returns
    -------
    list of dict
        Oldest first: ``date``, ``score``, ``rank``, ``of`` (organisations scored), ``change`` (from
        the previous point; ``None`` for the first).
    """
    from ..graph import project

    if points < 1 or step_days < 1:
        raise ValueError("points and step_days must be at least 1")
    end = reference_date(tables, as_of)
    out: list[dict[str, Any]] = []
    for k in range(points - 1, -1, -1):
        day = (end - pd.Timedelta(days=step_days * k)).strftime("%Y-%m-%d")
        G = project(tables, as_of=day, half_life_days=half_life_days)
        scores = reputation_scores(G)
        score = float(scores[organization])
        out.append({"date": day, "score": score, "rank": _rank(scores, organization), "of": len(scores),
                    "change": None if not out else score - out[-1]["score"]})
    return out


def health(
    tables: Mapping[str, pd.DataFrame],
    organization: Hashable,
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    graph: nx.DiGraph | None = None,
    evidence: pd.DataFrame | None = None,
    trend_points: int = 5,
    trend_step_days: int = 365,
    exposure_paths_shown: int = 5,
) -> dict[str, Any]:
    """How ``organization`` stands: reputation and trend, incidents, continuity risk, exposure.

    Parameters
    ----------
    tables : mapping
        Canonical frames.
    organization : node
        The organisation to examine.
    as_of : str, optional
        ISO reference date (default: the newest event).
    half_life_days : float or None
        Evidence half-life (:mod:`trustgraph.evidence`).
    graph, evidence : optional
        The trust graph and evidence frame for the same date and half-life (computed if absent).
    trend_points, trend_step_days : int
        The reputation trend: this many points, this many days apart, ending at ``as_of``.
    exposure_paths_shown : int
        Strongest exposure paths listed.

    Returns
    -------
    dict
        ``id``, ``name``, ``as_of``, ``culture``, ``risk_appetite``; ``reputation`` (``score``,
        ``rank``, ``of``, ``percentile``, ``breakdown``, ``givers``, ``takers``); ``trend``
        (:func:`reputation_trend`) and ``trend_change`` (last − first score); ``warnings``
        (negative referrals about it); ``blamed`` (incidents where it was the subject);
        ``unrepaired`` (incidents on either side still ``open`` or ``escalated``); ``continuity``
        (its partnership sides that are ``single`` or ``orphaned``, with ``running`` and ``at_risk``
        counts); ``exposure`` (``score``, ``paths``); ``listings`` (active listings of it);
        ``findings`` (sentences, most serious first).

    Raises
    ------
    NotFoundError
        When ``organization`` is not in the data.
    """
    from ..graph import project

    day = reference_date(tables, as_of if graph is None else graph.graph.get("as_of")).strftime("%Y-%m-%d")
    if evidence is None:
        evidence = evidence_frame(tables, as_of=day, half_life_days=half_life_days)
    G = graph if graph is not None else project(tables, as_of=day, half_life_days=half_life_days, evidence=evidence)
    if organization not in G:
        raise NotFoundError(f"no organisation {organization!r}")
    names = dict(G.nodes(data="name"))
    node = G.nodes[organization]

    rep = reputation(G, evidence=evidence)
    explained = rep.explain(organization, top=3)
    rep_doc = {k: explained[k] for k in ("score", "rank", "percentile", "breakdown", "givers", "takers")}
    rep_doc["of"] = len(rep)
    trend = reputation_trend(tables, organization, as_of=day, half_life_days=half_life_days,
                             points=trend_points, step_days=trend_step_days)
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

    sides = partnership_sides(tables, as_of=day, organization=organization)
    at_risk = [s for s in sides if s["status"] != "covered"]

    people = shared_people(tables, as_of=day, half_life_days=half_life_days)
    exp = exposure_paths(G, organization, people=people, limit=exposure_paths_shown)
    exposure = {
        "score": exp["score"],
        "paths": [{"listed": p["listed"]["id"], "listed_name": p["listed"].get("name"), "hops": p["hops"],
                   "strength": p["strength"], "path": p["path"]} for p in exp["paths"]],
    }
    listings = [dict(x) for x in node.get("listings", [])]

    findings: list[str] = []
    for x in listings:
        findings.append(f"listed by {x['lister']} since {x['date']}: {x.get('reason')}")
    for i in unrepaired:
        side = "blamed for" if i["subject"] == organization else "reported"
        other = i["reporter"] if i["subject"] == organization else i["subject"]
        state = "no follow-up yet" if i["status"] == "open" else "escalated, never repaired"
        findings.append(f"{side} incident {i['id']} ({i['kind']}, severity {i['severity']}, {i['date']}) "
                        f"with {other}: {state}")
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
    if exposure["score"] > 0 and exposure["paths"]:
        top = next((p for p in exposure["paths"] if p["strength"] > 0), None)
        if top is not None:
            findings.append(f"exposure to listed parties {exposure['score']:.3f}, strongest via "
                            + " > ".join(map(str, top["path"])))
    elif exposure["score"] < 0:
        findings.append(f"distanced from listed parties (exposure {exposure['score']:.3f})")
    if len(trend) > 1:
        direction = "up" if trend_change > 0.005 else "down" if trend_change < -0.005 else "flat"
        findings.append(f"reputation {rep_doc['score']:.3f}, rank {rep_doc['rank']} of {rep_doc['of']}; "
                        f"{direction} {trend_change:+.3f} since {trend[0]['date']}")
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
        "continuity": {"running": len(sides), "at_risk": len(at_risk), "sides": at_risk},
        "exposure": exposure,
        "listings": listings,
        "findings": findings,
    }
