"""The ``Store`` interface every backend implements, and helpers shared by the backends.

A store keeps the validated tables of :mod:`trustgraph.model` and the computed scores. It speaks in
canonical frames (see :mod:`trustgraph.ingest`): both stores return the same values for the same
data, so every analysis gives identical results on either. Writes are all-or-nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..model import TABLE_ORDER, TABLES

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Store", "SCORE_COLUMNS", "sort_frame", "ids_frame_map"]

#: Columns of the scores written back by ``trustgraph analyze --write``.
SCORE_COLUMNS = ("id", "reputation", "reputation_rank", "risk", "risk_rank", "computed_at")


@runtime_checkable
class Store(Protocol):
    """Persistence for a trustgraph dataset."""

    #: ``"sqlite"`` or ``"neo4j"``.
    kind: str

    def load(
        self, tables: Mapping[str, pd.DataFrame], *, progress: Callable[[int], object] | None = None,
        insert_only: Iterable[str] = (), replace: bool = False,
    ) -> dict[str, int]:
        """Upsert canonical frames (by each table's key) in one transaction; return rows per table.
        Tables in ``insert_only`` must not hold the rows' keys yet (checked in the same transaction;
        InvalidDataError, nothing written). With ``replace`` the store becomes exactly ``tables``:
        every stored row (of every table, and the stored scores) is deleted in the same write."""
        ...

    def table(self, name: str) -> pd.DataFrame:
        """One table as a canonical frame, sorted by its key."""
        ...

    def ids(self, names: Iterable[str] | None = None) -> dict[str, set[str]]:
        """The ids stored in each table that has an ``id`` key."""
        ...

    def counts(self) -> dict[str, int]:
        """Row counts per table."""
        ...

    def write_scores(self, scores: pd.DataFrame) -> int:
        """Replace the stored scores with ``scores`` (columns :data:`SCORE_COLUMNS`)."""
        ...

    def scores(self) -> pd.DataFrame:
        """The stored scores (empty frame when none were written)."""
        ...

    def version(self) -> str:
        """The store's identity and data version, ``"<store id>:<n>"``: every write (load, scores)
        changes it in the same transaction, so equal versions mean equal content."""
        ...

    def about(self, parties: Iterable[str], names: Iterable[str] | None = None, *,
              between: bool = False) -> dict[str, pd.DataFrame]:
        """Every table (or the tables ``names``) restricted to the rows that concern ``parties``
        (indexed lookups): their
        organisations, referrals, communications, incidents (and actions) and listings, the whole
        membership of the partnerships they are in, and their staff with the people tied to them.
        Evidence computed from these rows about ``parties`` equals evidence computed from all rows.

        ``between``: only the referrals, communications and incidents (and their actions) *between*
        two of the parties may be returned — enough for the evidence of the ties among them, and far
        fewer rows when a party is a hub (a store may return more)."""
        ...

    def close(self) -> None:
        """Release connections."""
        ...


def sort_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Order a canonical frame's columns as the model does and its rows by key."""
    table = TABLES[name]
    frame = frame[table.column_names]
    return frame.sort_values(list(table.key), kind="stable").reset_index(drop=True)


def ids_frame_map(store: Store) -> dict[str, set[str]]:
    """All ids in the store, for validating references of new rows."""
    return store.ids(n for n in TABLE_ORDER if TABLES[n].key == ("id",))


def tables(store: Store, names: Iterable[str] | None = None) -> dict[str, pd.DataFrame]:
    """Several tables at once (all by default)."""
    return {n: store.table(n) for n in (names or TABLE_ORDER)}
