"""The Python API for notebooks and scripts: the CLI's answers as documents, in-process.

    >>> import trustgraph
    >>> tg = trustgraph.connect("trustgraph.db")            # or connect(neo4j_uri="bolt://...")
    >>> doc = tg.chain("ORG001", "ORG045", limit=2)          # the document `chain --format json` prints
    >>> doc["rows"][0]["path"]
    ['ORG001', 'ORG075', 'ORG045']
    >>> tg.frame(tg.reputation(limit=5))                     # the rows as a pandas DataFrame

Every command that answers a question is a method with the command's parameters as keyword
arguments, under their click names (``limit``, ``max_hops``, ``for_org``, ``as_of``, ``half_life``
...), with the CLI's defaults and ranges (a value out of range raises ``click.BadParameter``). The
document is the same one the CLI prints and ``trustgraph serve`` returns (docs/output.md). A
:class:`Trustgraph` keeps the compiled snapshot in memory between calls (per store version).
"""

from __future__ import annotations

import datetime as _dt
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Trustgraph", "connect"]

#: Commands that change the store: not methods of the read API.
WRITES = {"load", "import", "export", "record"}


class Trustgraph:
    """A session on one store. Methods: one per read command (``chain``, ``vouchers``, ``referrals``,
    ``reputation``, ``contagion``, ``exposure``, ``analyze``, ``accepted``, ``assess``, ``health``,
    ``timeline``, ``continuity``, ``stats``, ``query``)."""

    def __init__(self, store: str | None = None, *, neo4j_uri: str | None = None, neo4j_username: str | None = None,
                 neo4j_password: str | None = None, neo4j_database: str | None = None) -> None:
        from .cli.app import Env
        from .store import StoreSettings

        settings = StoreSettings.resolve(store=store, neo4j_uri=neo4j_uri, neo4j_username=neo4j_username,
                                         neo4j_password=neo4j_password, neo4j_database=neo4j_database)
        self.env = Env(settings, quiet=True)
        self._version: str | None = None

    def _current(self) -> None:
        """Forget snapshots and tables read from an older store version (a write since)."""
        version = self.env.store.version()
        if version != self._version:
            self._version = version
            self.env._snapshots.clear()
            self.env._tables = None

    def commands(self) -> list[str]:
        """The read commands available as methods."""
        from .cli.app import ANSWERS, cli

        cli.load_all()
        return sorted(set(ANSWERS) - WRITES)

    def __getattr__(self, name: str) -> Callable[..., dict[str, Any]]:
        if name.startswith("_") or name in WRITES:
            raise AttributeError(name)
        from .cli.app import ANSWERS, cli

        cli.load_all()
        if name not in ANSWERS:
            raise AttributeError(f"{type(self).__name__} has no command {name!r} (commands: {self.commands()})")

        def call(*args: Any, **kwargs: Any) -> dict[str, Any]:
            return self.answer(name, *args, **kwargs)

        call.__name__ = name
        call.__doc__ = cli.commands[name].help
        return call

    def answer(self, command: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """The document of ``command``: positional ``args`` fill its arguments in order, ``kwargs``
        its options by their names on the command line with underscores (``max_hops``, ``what_if``,
        ``**{"for": "ORG001"}``; click's names such as ``for_org`` are accepted too); the rest take the
        CLI's defaults."""
        from .cli.app import ANSWERS, cli
        from .cli.options import public_name

        cli.load_all()
        cmd = cli.commands[command]
        func = ANSWERS[command]
        wanted = set(inspect.signature(func).parameters) - {"env"}
        arguments = [p for p in cmd.params if isinstance(p, click.Argument) and p.name in wanted]
        if len(args) > len(arguments):
            raise TypeError(f"{command}() takes {len(arguments)} positional argument(s) "
                            f"({', '.join(str(p.name) for p in arguments)})")
        given = dict(zip((str(p.name) for p in arguments), args))
        # The option's own name (docs/cli.md: what_if, for, leaves ...) or click's (what_if_ids, for_org).
        public = {public_name(p): str(p.name) for p in cmd.params if p.name in wanted}
        for key, value in kwargs.items():
            name = key if key in wanted else public.get(key, key)
            if name in given:
                raise TypeError(f"{command}() got {key!r} twice")
            given[name] = value
        known = {str(p.name) for p in cmd.params if p.name in wanted}
        argv: list[str] = []
        positional: list[str] = []
        for param in cmd.params:
            name = str(param.name)
            if name not in known or name not in given:
                continue
            value = given.pop(name)
            if value is None and isinstance(param, click.Argument) and param.required:
                raise TypeError(f"{command}() needs {public_name(param)} (got None)")  # not the next one's name
            if value is None:
                continue
            if isinstance(param, click.Argument):
                if isinstance(value, list | tuple | set) and not param.nargs == -1:
                    raise TypeError(f"{command}() takes one {public_name(param)}, not a {type(value).__name__} "
                                    "(call it once per value)")
                positional.append(_text(value))
                continue
            assert isinstance(param, click.Option)
            long = [o for o in param.opts if o.startswith("--")] or param.opts
            if param.is_flag and param.secondary_opts:
                argv.append(long[0] if value else param.secondary_opts[0])
            elif param.is_flag:
                argv += [long[0]] if value else []
            elif param.multiple:
                for item in value:
                    argv += [long[0], _text(item)]
            else:
                argv += [long[0], _text(value)]
        unknown = set(given) - wanted
        if unknown:
            raise TypeError(f"{command}() has no parameter {', '.join(sorted(unknown))} "
                            f"(parameters: {', '.join(sorted(public))})")
        ctx = cmd.make_context(command, [*argv, "--", *positional] if positional else argv, obj=self.env)
        params = {k: v for k, v in ctx.params.items() if k in wanted}
        params.update(given)  # keyword arguments of the document function that are not click parameters
        self._current()
        return func(self.env, **params)

    @staticmethod
    def frame(document: dict[str, Any]) -> pd.DataFrame:
        """The rows of a document as a DataFrame (nested objects as dotted columns, as in CSV)."""
        import pandas as pd

        from .documents import flat

        return pd.DataFrame([flat(row) for row in document.get("rows") or []])

    def close(self) -> None:
        self.env.close()

    def __enter__(self) -> Trustgraph:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(store: str | None = None, **neo4j: Any) -> Trustgraph:
    """A :class:`Trustgraph` on the SQLite file ``store`` (default: ``$TRUSTGRAPH_STORE`` or
    ./trustgraph.db), or on Neo4j with ``neo4j_uri=...`` (and ``neo4j_username``, ``neo4j_password``,
    ``neo4j_database``; default from ``NEO4J_*``)."""
    return Trustgraph(store, **neo4j)


def _text(value: Any) -> str:
    """A Python value as the command line gives it: dates ISO, lists comma-separated."""
    if isinstance(value, (_dt.date, _dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, (list, tuple, set)):
        return ",".join(str(v) for v in value)
    return str(value)
