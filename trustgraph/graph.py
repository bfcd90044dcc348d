"""Store → NetworkX projection: the trust graph every analysis works on.

The projection is a :class:`networkx.DiGraph` whose nodes are organisations and whose edge
``u → v`` carries *u*'s local trust in *v* (see :mod:`trustgraph.evidence`).

Node attributes
---------------
``name``, ``sector``, ``country``, ``region``, ``culture``, ``risk_appetite`` (str or None),
``pretrusted`` (bool), ``tags`` (list of str), ``listed`` (bool: an active listing as of the
reference date), ``listings`` (list of dicts: ``id``, ``lister``, ``date``, ``until``, ``reason``,
``source``; active ones only).

Edge attributes
---------------
``trust`` (Beta expectation in (0, 1)), ``uncertainty`` (in (0, 1]), ``positive`` and ``negative``
(decayed evidence totals ≥ 0), ``evidence`` (number of evidence rows), ``kinds`` (``;``-joined
evidence kinds: communication, incident, partnership, referral) and ``last`` (newest evidence date).

Graph attributes
----------------
``as_of`` (ISO date evidence was aged against) and ``half_life_days``. People (shared staff,
personal ties, relationship holders) are read from the tables by the analyses that need them.

The input tables are never modified; the projection holds no reference to them.
"""

from __future__ import annotations

from collections.abc import Mapping

import networkx as nx
import pandas as pd

from .evidence import DEFAULT_HALF_LIFE_DAYS, evidence_frame, local_trust, reference_date
from .store.base import Store
from .store.base import tables as store_tables

__all__ = ["project", "project_store", "active_listings", "NODE_ATTRIBUTES"]

NODE_ATTRIBUTES = ("name", "sector", "country", "region", "culture", "risk_appetite", "pretrusted", "tags")


def active_listings(tables: Mapping[str, pd.DataFrame], as_of: str | pd.Timestamp) -> pd.DataFrame:
    """Blacklist rows in force on ``as_of``: listed on or before it, and ``until`` empty or after it."""
    listings = tables.get("blacklist")
    if listings is None or not len(listings):
        return pd.DataFrame(columns=["id", "lister", "listed", "date", "until", "reason", "source"])
    day = pd.Timestamp(as_of).strftime("%Y-%m-%d")
    active = [
        str(d)[:10] <= day and (not isinstance(u, str) or not u or u[:10] > day)
        for d, u in zip(listings["date"].to_numpy(), listings["until"].to_numpy())
    ]
    return listings.loc[active].reset_index(drop=True)


def project(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    evidence: pd.DataFrame | None = None,
) -> nx.DiGraph:
    """Project canonical tables to the trust graph.

    Parameters
    ----------
    tables : mapping
        Canonical frames by table name; ``organizations`` is required.
    as_of : str, optional
        ISO date: ignore what had not happened yet or had expired by then. Default: the newest event.
    half_life_days : float or None
        Evidence half-life (see :mod:`trustgraph.evidence`); ``None`` disables decay.
    evidence : pandas.DataFrame, optional
        A precomputed :func:`~trustgraph.evidence.evidence_frame` for the same parameters.

    Returns
    -------
    networkx.DiGraph
        Attributes as documented in this module.

    Examples
    --------
    >>> import pandas as pd
    >>> orgs = pd.DataFrame({"id": ["a", "b"], "name": ["A", "B"]})
    >>> refs = pd.DataFrame({"id": ["r1"], "source": ["a"], "target": ["b"], "strength": [1.0],
    ...                      "date": ["2024-01-01"], "recipient": [None], "note": [None]})
    >>> G = project({"organizations": orgs, "referrals": refs})
    >>> round(G["a"]["b"]["trust"], 4)
    0.6667
    """
    ref = reference_date(tables, as_of)
    G = nx.DiGraph(as_of=ref.strftime("%Y-%m-%d"), half_life_days=half_life_days)
    orgs = tables["organizations"]
    cols = {c: (orgs[c].to_numpy() if c in orgs.columns else [None] * len(orgs)) for c in NODE_ATTRIBUTES}
    ids = orgs["id"].to_numpy()
    listings = active_listings(tables, ref)
    by_listed: dict[str, list[dict[str, object]]] = {}
    for row in listings.to_dict("records"):
        by_listed.setdefault(str(row["listed"]), []).append(
            {k: row.get(k) for k in ("id", "lister", "date", "until", "reason", "source")}
        )
    names, sectors, countries, regions = cols["name"], cols["sector"], cols["country"], cols["region"]
    cultures, appetites, pretrusted, tags = cols["culture"], cols["risk_appetite"], cols["pretrusted"], cols["tags"]
    G.add_nodes_from(
        (
            ids[i],
            {
                "name": names[i],
                "sector": sectors[i],
                "country": countries[i],
                "region": regions[i],
                "culture": cultures[i],
                "risk_appetite": appetites[i],
                "pretrusted": bool(pretrusted[i]),
                "tags": str(tags[i]).split(";") if tags[i] else [],
                "listed": ids[i] in by_listed,
                "listings": by_listed.get(ids[i], []),
            },
        )
        for i in range(len(ids))
    )
    if evidence is None:
        evidence = evidence_frame(tables, as_of=ref.strftime("%Y-%m-%d"), half_life_days=half_life_days)
    lt = local_trust(evidence)
    if len(lt):
        src, dst = lt["src"].to_numpy(), lt["dst"].to_numpy()
        trust, unc = lt["trust"].to_numpy(dtype=float), lt["uncertainty"].to_numpy(dtype=float)
        pos, neg = lt["positive"].to_numpy(dtype=float), lt["negative"].to_numpy(dtype=float)
        cnt, kinds, last = lt["evidence"].to_numpy(), lt["kinds"].to_numpy(), lt["last"].to_numpy()
        G.add_edges_from(
            (
                src[i],
                dst[i],
                {
                    "trust": float(trust[i]),
                    "uncertainty": float(unc[i]),
                    "positive": float(pos[i]),
                    "negative": float(neg[i]),
                    "evidence": int(cnt[i]),
                    "kinds": kinds[i],
                    "last": last[i],
                },
            )
            for i in range(len(src))
        )
    return G


def project_store(
    store: Store,
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> nx.DiGraph:
    """Read every table from ``store`` and :func:`project` it."""
    return project(store_tables(store), as_of=as_of, half_life_days=half_life_days)
