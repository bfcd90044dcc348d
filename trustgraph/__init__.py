"""trustgraph: trust analysis for partnership networks.

Load partnerships, referrals, incidents and listings into a graph store (SQLite by default, Neo4j for
teams), compute vouching chains, reputation and blacklist contagion with NetworkX, and draw
interactive maps.
"""

from __future__ import annotations

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
    "TrustgraphError",
    "InvalidDataError",
    "NotFoundError",
    "StoreUnavailableError",
    "ConfigurationError",
]
