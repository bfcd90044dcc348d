"""trustgraph: trust analysis for partnership networks.

Load partnerships, referrals, incidents and listings into a graph store (SQLite by default, Neo4j for
teams), compute vouching chains, reputation and blacklist contagion with NetworkX, and draw
interactive maps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

__version__ = "0.1.0"

from .errors import (
    ConfigurationError,
    InvalidDataError,
    NotFoundError,
    StoreUnavailableError,
    TrustgraphError,
)

__all__ = [
    "__version__",
    "connect",
    "TrustgraphError",
    "InvalidDataError",
    "NotFoundError",
    "StoreUnavailableError",
    "ConfigurationError",
]


def connect(store: str | None = None, **neo4j: object) -> Trustgraph:
    """A session on a store for notebooks and scripts (:mod:`trustgraph.api`): one method per read
    command, each returning the document ``--format json`` prints."""
    from .api import connect as _connect

    return _connect(store, **neo4j)


if TYPE_CHECKING:
    from .api import Trustgraph
