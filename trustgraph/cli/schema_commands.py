"""``trustgraph schema``: the JSON Schema of each answer document kind (docs/output.md)."""

from __future__ import annotations

import click

from ..documents import KINDS, SCHEMA_VERSIONS, load_schema, schema_id
from .app import cli
from .output import emit, format_option, to_json

__all__ = ["schema"]


@cli.command()
@click.argument("kind", required=False, metavar="[KIND]")
@format_option
def schema(kind: str | None, fmt: str | None) -> None:
    """Print the JSON Schema of a document kind (every command's --format json answer).

    Without KIND, list the kinds with their schema ids. KIND's schema is JSON (--format csv or
    ndjson is refused). Every answer document carries its kind and
    version in its "schema" field ("trustgraph.chain/1"); the schema files ship in the package
    (trustgraph/schemas/KIND.json, JSON Schema draft 2020-12, self-contained).
    """
    if kind is None:
        rows = [{"kind": k, "schema": schema_id(k), "version": SCHEMA_VERSIONS[k],
                 "title": load_schema(k).get("title")} for k in KINDS]
        emit(rows, fmt, columns=["kind", "schema", "title"])
        return
    if fmt in ("csv", "ndjson"):
        raise click.BadParameter(f"a JSON Schema is printed as JSON (--format json or table), not {fmt}",
                                 param_hint="'--format'")
    click.echo(to_json(load_schema(kind)))
