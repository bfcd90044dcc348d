"""``trustgraph query``: list and run the named Cypher queries (Neo4j only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..errors import UnsupportedError
from ..named_queries import NamedQuery, ParameterError, get_query, list_queries, plain_value
from .app import Env, answers, cli, note, pass_env
from .output import emit, emit_answer, format_option

__all__ = ["query"]


def _parse_pairs(pairs: tuple[str, ...]) -> dict[str, str]:
    given: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="-p/--param")
        if key in given:
            raise click.BadParameter(f"{key} is given twice", param_hint="-p/--param")
        given[key] = value
    return given


def _listing(queries: list[NamedQuery], fmt: str | None) -> None:
    rows = [
        {"id": q.name, "name": q.name, "parameters": ", ".join(p.signature() for p in q.parameters),
         "description": q.description}
        for q in queries
    ]
    document = [
        {
            "id": q.name,
            "name": q.name,
            "description": q.description,
            "parameters": [
                {"name": p.name, "type": p.type, "required": p.required, "default": p.default,
                 "description": p.description}
                for p in q.parameters
            ],
            "source": q.source,
            "shipped": q.shipped,
            "overrides": q.overrides or None,
        }
        for q in queries
    ]
    emit(rows, fmt, columns=["id", "parameters", "description"], document=document)


def _note_override(env: Env, named: NamedQuery) -> None:
    if named.overrides:
        note(env, f"note: {named.source} replaces the shipped query {named.name} ({named.overrides})")


def _json_safe(value: Any) -> Any:
    """A driver value as JSON (:func:`plain_value`, then NaN/inf as null, other objects as text)."""
    import math

    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    return str(value)


@answers("query")
def query_document(env: Env, *, name: str, params: tuple[str, ...] = (), queries: tuple[Path, ...] = (),
                   queries_dir: tuple[Path, ...] = ()) -> dict[str, Any]:
    """Run the named query ``name`` with ``params`` (``KEY=VALUE`` texts) on Neo4j, in a read
    transaction, and return the ``query`` document: its rows are the query's result rows, with the
    values the driver returns made JSON-safe (nodes as property objects, temporal values as ISO text).
    ``parameters`` gives the query's name and its bound parameters (defaults filled in)."""
    from ..documents import envelope

    named = get_query(name, [*queries, *queries_dir])
    _note_override(env, named)
    try:
        bound = named.bind(_parse_pairs(tuple(params)))
    except ParameterError as err:
        raise click.UsageError(str(err)) from err
    if env.settings.backend != "neo4j":
        raise UnsupportedError(
            f"named Cypher queries need Neo4j, but the store is {env.settings.describe()}; "
            "give --neo4j-uri (or set NEO4J_URI) to use a Neo4j server (see docs/neo4j.md)"
        )
    store: Any = env.store
    keys, values = store.run_read(named.text, bound)
    rows = [{str(k): _json_safe(plain_value(v)) for k, v in zip(keys, row)} for row in values]
    document = envelope("query", as_of=None, store=env.store_info(),
                        parameters={"name": named.name, "params": _json_safe(bound)})
    document.update(columns=[str(k) for k in keys], rows=rows)
    return document


@cli.command("query")
@click.argument("name", required=False)
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE",
              help="A query parameter (repeat); lists are comma-separated or a JSON array.")
@click.option("--list", "list_", is_flag=True, help="List the named queries and their parameters.")
@click.option("--show", is_flag=True, help="Print the query's Cypher instead of running it.")
@click.option("--queries", "queries", multiple=True, envvar="TRUSTGRAPH_QUERIES", metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="A folder of your own .cypher queries (repeat for several; a query named like a shipped one "
                   "replaces it) [env TRUSTGRAPH_QUERIES, folders separated by ':'].")
# The option's name before issue 14; kept for one release.
@click.option("--queries-dir", "queries_dir", multiple=True, hidden=True,
              type=click.Path(file_okay=False, path_type=Path))
@format_option
@pass_env
def query(env: Env, name: str | None, params: tuple[str, ...], list_: bool, show: bool,
          queries: tuple[Path, ...], queries_dir: tuple[Path, ...], fmt: str | None) -> None:
    """Run the named Cypher query NAME on Neo4j, in a read transaction.

    `trustgraph query --list` shows every query with its parameters; `trustgraph query NAME -p
    key=value ...` runs one. Every declared parameter without a default must be given (exit 2
    otherwise). A query that tries to write is refused by the server. Named queries need the Neo4j
    store (--neo4j-uri or NEO4J_URI); on the SQLite store they exit 6.

    Your own queries: put .cypher files (same header, same read-only rule) in a folder and give it
    with --queries DIR or TRUSTGRAPH_QUERIES (see docs/neo4j.md).
    """
    folders = [*queries, *queries_dir]
    if list_:
        if name or params:
            raise click.UsageError("--list takes no query name or parameters")
        listed = list_queries(folders)
        for q in listed:
            _note_override(env, q)
        _listing(listed, fmt)
        return
    if not name:
        raise click.UsageError("give a query NAME (see `trustgraph query --list`)")
    if show:
        named = get_query(name, folders)
        _note_override(env, named)
        click.echo(named.text.rstrip("\n"))
        return
    document = query_document(env, name=name, params=params, queries=queries, queries_dir=queries_dir)
    emit_answer(document, fmt, columns=document["columns"])
