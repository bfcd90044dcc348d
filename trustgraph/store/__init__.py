"""Stores: the embedded SQLite default and the Neo4j team store, behind one interface."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import ConfigurationError
from .base import SCORE_COLUMNS, Store, tables
from .sqlite import SqliteStore

__all__ = ["Store", "SqliteStore", "StoreSettings", "open_store", "tables", "SCORE_COLUMNS"]

DEFAULT_SQLITE_PATH = "trustgraph.db"


@dataclass(frozen=True)
class StoreSettings:
    """Where the data lives, resolved once: flags, then environment, then defaults.

    When a Neo4j URI is set (``--neo4j-uri`` or ``NEO4J_URI``) every command uses Neo4j; otherwise
    the SQLite file ``sqlite_path`` (``--store`` or ``TRUSTGRAPH_STORE``, default ``trustgraph.db``).
    """

    sqlite_path: str = DEFAULT_SQLITE_PATH
    neo4j_uri: str | None = None
    neo4j_username: str | None = None
    neo4j_password: str | None = None
    neo4j_database: str | None = None

    @classmethod
    def resolve(
        cls,
        store: str | None = None,
        neo4j_uri: str | None = None,
        neo4j_username: str | None = None,
        neo4j_password: str | None = None,
        neo4j_database: str | None = None,
        env: dict[str, str] | None = None,
    ) -> StoreSettings:
        """Combine explicit values with the environment ``env`` (default ``os.environ``)."""
        env = dict(os.environ if env is None else env)
        uri = neo4j_uri or env.get("NEO4J_URI") or None
        if store and neo4j_uri:
            raise ConfigurationError("give either --store (SQLite) or --neo4j-uri (Neo4j), not both")
        return cls(
            sqlite_path=store or env.get("TRUSTGRAPH_STORE") or DEFAULT_SQLITE_PATH,
            neo4j_uri=None if store else uri,
            neo4j_username=neo4j_username or env.get("NEO4J_USERNAME") or env.get("NEO4J_USER") or "neo4j",
            neo4j_password=neo4j_password or env.get("NEO4J_PASSWORD"),
            neo4j_database=neo4j_database or env.get("NEO4J_DATABASE") or "neo4j",
        )

    @property
    def backend(self) -> str:
        return "neo4j" if self.neo4j_uri else "sqlite"

    def describe(self) -> str:
        """Where the store is, without credentials."""
        if self.neo4j_uri:
            return f"neo4j {self.neo4j_uri} database {self.neo4j_database}"
        return f"sqlite {self.sqlite_path}"

    def __repr__(self) -> str:  # never show the password
        return f"StoreSettings({self.describe()!r})"


def open_store(settings: StoreSettings, *, create: bool = True) -> Store:
    """Open the store the settings select; with ``create=False`` a missing SQLite file is refused.

    Raises
    ------
    StoreUnavailableError
        When the store cannot be opened or reached.
    """
    if settings.neo4j_uri:
        from .neo4j import Neo4jStore  # imported lazily: the driver is only needed for Neo4j

        return Neo4jStore(
            settings.neo4j_uri,
            username=settings.neo4j_username or "neo4j",
            password=settings.neo4j_password or "",
            database=settings.neo4j_database or "neo4j",
        )
    return SqliteStore(settings.sqlite_path, create=create)
