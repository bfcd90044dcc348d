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
(evidence totals ≥ 0, events decayed, referrals standing: :mod:`trustgraph.evidence`, "Standing
opinions and activity"), ``evidence`` (number of evidence rows), ``kinds`` (``;``-joined evidence
kinds: communication, incident, partnership, referral), ``last`` (newest evidence date),
``referral_net`` (the net of the referrals alone: the source's endorsement of the target), and, on
the edges where they differ from those, ``activity`` (``[positive, negative, referral_net]`` with
every kind decayed, referrals too: what exposure reads) and ``timing`` (``[all, referrals]``, the
mean timing factor of the positive evidence relative to the target's listing; see
:mod:`trustgraph.analysis.contagion`).

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

from .evidence import DEFAULT_HALF_LIFE_DAYS
from .store.base import Store

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

    The graph is the NetworkX form of the compiled :class:`~trustgraph.snapshot.Snapshot` (one way to
    build the graph: :func:`trustgraph.snapshot.compile_tables`); analyses read the snapshot itself.

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
    from .snapshot import compile_tables

    return compile_tables(tables, as_of=as_of, half_life_days=half_life_days, evidence=evidence).to_networkx()


def project_store(
    store: Store,
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> nx.DiGraph:
    """The trust graph of ``store``: its cached snapshot (:func:`trustgraph.snapshot.open_snapshot`)
    as NetworkX."""
    from .snapshot import open_snapshot

    return open_snapshot(store, as_of=as_of, half_life_days=half_life_days).to_networkx()
