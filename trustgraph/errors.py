"""The exception hierarchy of trustgraph.

Every error the library raises on purpose is a :class:`TrustgraphError`; the CLI maps each subclass
to one documented exit code (see ``EXIT_CODES``) in a single place, ``trustgraph.cli``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "TrustgraphError",
    "InvalidDataError",
    "NotFoundError",
    "StoreUnavailableError",
    "UnfinishedLoadError",
    "ConfigurationError",
    "UnsupportedError",
    "Problem",
    "EXIT_CODES",
]


@dataclass(frozen=True)
class Problem:
    """One problem found while validating input: where it is, what was found, what was expected."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    expected: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.column:
            where += f" [{self.column}]"
        shown = self.value
        if shown is not None and len(shown) > 400:  # a cell of thousands of characters stays one line
            shown = f"{shown[:100]}… ({len(shown):,} characters)"
        value = "" if shown is None else f" got {shown!r};"
        return f"{where}:{value} expected {self.expected}"


class TrustgraphError(Exception):
    """Root of every error trustgraph raises deliberately."""

    exit_code = 1


class InvalidDataError(TrustgraphError):
    """Input data failed validation; ``problems`` lists every problem found (up to a cap)."""

    exit_code = 3

    def __init__(self, message: str, problems: list[Problem] | None = None, total: int | None = None):
        super().__init__(message)
        self.problems = list(problems or [])
        self.total = total if total is not None else len(self.problems)


class NotFoundError(TrustgraphError):
    """A named organisation, person, query or path does not exist."""

    exit_code = 4


class StoreUnavailableError(TrustgraphError):
    """The store cannot be reached, authenticated against or opened."""

    exit_code = 5


class UnfinishedLoadError(StoreUnavailableError):
    """The database holds a load that commits in several transactions and has not finished: reads
    are refused (a half-loaded network is never taken for the truth); writes still commit."""


class ConfigurationError(TrustgraphError):
    """Settings are missing or contradictory (flags, environment, profile files)."""

    exit_code = 6


class UnsupportedError(ConfigurationError):
    """The store or the installation cannot do what was asked (named Cypher queries on SQLite).

    The same exit code as any configuration error (6); the service answers it 501, not 400: the
    client cannot fix it by changing the request, the operator can by changing the server's store.
    """


#: Exit codes of the CLI, documented in README.md and docs/cli.md.
EXIT_CODES: dict[str, int] = {
    "ok": 0,
    "error": 1,
    "usage": 2,
    "invalid data": InvalidDataError.exit_code,
    "not found": NotFoundError.exit_code,
    "store unavailable": StoreUnavailableError.exit_code,
    "configuration": ConfigurationError.exit_code,
}
