"""``trustgraph orgs``: list and search the parties, by id, name (fuzzy), country, sector, region and
listed status (docs/cli.md "Finding a party")."""

from __future__ import annotations

from typing import Any

import click

from .app import Env, answers, as_of_option, as_of_str, cli, pass_env
from .options import limit_option
from .output import emit_answer, format_option

__all__ = ["orgs", "orgs_document"]

#: ``--limit`` default and largest value (0 = every party).
DEFAULT_LIMIT = 20
MAX_LIMIT = 10_000_000
_TABLE_COLUMNS = ["rank", "id", "name", "match", "country", "sector", "region", "listed"]


def _same(value: str | None, wanted: str) -> bool:
    """An attribute filter: case-insensitive, surrounding spaces ignored."""
    return value is not None and value.strip().casefold() == wanted.strip().casefold()


@answers("orgs")
def orgs_document(env: Env, *, query: str | None = None, country: str | None = None, sector: str | None = None,
                  region: str | None = None, listed: bool | None = None, limit: int = DEFAULT_LIMIT,
                  as_of: Any = None) -> dict[str, Any]:
    """The ``parties`` document: the parties that pass every filter, one row each.

    With ``query``, a party matches by its id or name (:meth:`trustgraph.snapshot.Snapshot.search`:
    rapidfuzz, ``match`` 0..100, at least :data:`~trustgraph.snapshot.MATCH_CUTOFF`), best match
    first, then by id; without, every party in id order (``match`` null). ``country``, ``sector``
    and ``region`` compare case-insensitively; ``listed`` keeps the parties with (true) or without
    (false) a listing in force on the as-of date. ``limit`` 0 = every match.
    """
    from ..documents import envelope, party

    if query is not None and not query.strip():
        raise click.BadParameter("give at least one character to search for (or leave QUERY out)",
                                 param_hint="QUERY")
    snap = env.snapshot(as_of=as_of_str(as_of))
    columns = {a: snap.attributes.get(a) for a in ("country", "sector", "region")}

    def attribute(name: str, i: int) -> str | None:
        column = columns[name]
        return (column[i] or None) if column is not None else None

    scores = snap.search(query) if query is not None else None
    candidates = sorted(scores, key=lambda i: (-scores[i], str(snap.ids[i]))) if scores is not None \
        else range(snap.n)
    wanted = {a: w for a, w in (("country", country), ("sector", sector), ("region", region)) if w is not None}
    chosen = [i for i in candidates
              if (listed is None or bool(snap.listed[i]) == listed)
              and all(_same(attribute(a, i), w) for a, w in wanted.items())]
    shown = chosen[:limit] if limit else chosen
    document = envelope("parties", as_of=snap.as_of, store=env.store_info(snap), parameters={
        "query": query, "country": country, "sector": sector, "region": region, "listed_filter": listed,
        "limit": limit})
    document["total"] = len(chosen)
    rows = []
    for rank, i in enumerate(shown, 1):
        facts = party(snap, snap.ids[i])
        rows.append({"rank": rank, "id": facts["id"], "name": facts["name"],
                     "match": None if scores is None else round(scores[i], 1),
                     **{a: attribute(a, i) for a in columns},
                     "pretrusted": bool(snap.pretrusted[i]), "listed": facts["listed"],
                     "listings": facts["listings"]})
    document["rows"] = rows
    return document


def _title(doc: dict[str, Any]) -> str:
    p = doc["parameters"]
    noun = "party" if doc["total"] == 1 else "parties"
    what = f"{noun} matching {p['query']!r}" if p["query"] is not None else noun
    filters = [f"{k} {p[k]}" for k in ("country", "sector", "region") if p[k] is not None]
    if p["listed_filter"] is not None:
        filters.append("listed" if p["listed_filter"] else "not listed")
    shown = len(doc["rows"])
    count = f"{doc['total']} {what}" if shown == doc["total"] else f"{shown} of {doc['total']} {what}"
    return f"{count}{' (' + ', '.join(filters) + ')' if filters else ''}, as of {doc['as_of']}"


@cli.command()
@click.argument("query", metavar="[QUERY]", required=False)
@click.option("--country", default=None, help="Only parties of this country (case-insensitive, e.g. NL).")
@click.option("--sector", default=None, help="Only parties of this sector (case-insensitive).")
@click.option("--region", default=None, help="Only parties of this region (case-insensitive).")
@click.option("--listed/--not-listed", "listed", default=None,
              help="Only parties with (without) a listing in force on the as-of date.")
@limit_option(DEFAULT_LIMIT, MAX_LIMIT, "parties")
@as_of_option
@format_option
@pass_env
def orgs(env: Env, query: str | None, country: str | None, sector: str | None, region: str | None,
         listed: bool | None, limit: int, as_of: Any, fmt: str | None) -> None:
    """List and search parties by id, name, country, sector, region and listed status.

    QUERY matches ids and names fuzzily (typos and word order forgiven: "anand solr" finds Anand
    Solar Solutions), best match first; without QUERY every party is listed in id order. The ids
    shown are what every other command takes (a name works too).
    """
    document = orgs_document(env, query=query, country=country, sector=sector, region=region, listed=listed,
                             limit=limit, as_of=as_of)
    columns = [c for c in _TABLE_COLUMNS if c != "match" or query is not None]
    emit_answer(document, fmt, columns=columns, title=_title(document))
