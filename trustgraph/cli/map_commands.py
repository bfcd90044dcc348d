"""The ``map`` command: an interactive, self-contained HTML network map (see :mod:`trustgraph.render.map`)."""

from __future__ import annotations

import contextlib
import datetime as _dt
import importlib
import importlib.util
from pathlib import Path
from typing import Any

import click

from ..errors import ConfigurationError
from ..evidence import evidence_frame
from ..files import atomic_path
from ..render.map import (
    AGGREGATE_OVER,
    DEFAULT_EDGE_KINDS,
    DEFAULT_HOPS,
    DEFAULT_MAX_NODES,
    EDGE_KINDS,
    MapData,
    available_colors,
    available_sizes,
    map_data,
    render_html,
)
from .app import Env, as_of_option, as_of_str, cli, half_life_option, half_life_value, note, pass_env
from .options import alias, max_hops_option
from .output import terminal_text

__all__ = ["map_command"]

_CHAINS = "trustgraph.analysis.chains"


def _edge_kinds(ctx: click.Context, param: click.Parameter, value: str) -> list[str]:
    kinds = [k.strip().lower() for k in value.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in EDGE_KINDS]
    if unknown or not kinds:
        raise click.BadParameter(f"{', '.join(unknown) or 'nothing'}: choose from {', '.join(EDGE_KINDS)}")
    return kinds


@cli.command("map")
@click.option("--out", "-o", "out", required=True, metavar="FILE.html",
              type=click.Path(dir_okay=True, writable=True, allow_dash=True, path_type=Path),  # a folder: exit 1 below
              help="HTML file to write ('-' for stdout).")
@click.option("--focus", metavar="ID", default=None, help="Map the neighbourhood of this organisation (id or name).")
@max_hops_option(None, 10, f"Neighbourhood radius in ties [default: {DEFAULT_HOPS} around --focus, 1 around --chain].")
@alias("--hops", "max_hops", type=click.IntRange(0, 10))
@click.option("--chain", nargs=2, metavar="FROM TO", default=None,
              help="Highlight the strongest vouching chain from FROM to TO (and map around it).")
@click.option("--color", "color", type=click.Choice(available_colors()), default=None,
              help="Node colour [default: reputation when available, else sector].")
@click.option("--size", type=click.Choice(available_sizes()), default="degree", show_default=True,
              help="Node size.")
@click.option("--edges", "edges", default=",".join(DEFAULT_EDGE_KINDS), show_default=True, callback=_edge_kinds,
              metavar="KINDS", help=f"Kinds of tie to draw, comma-separated, from {', '.join(EDGE_KINDS)}.")
@as_of_option
@half_life_option
@click.option("--max-nodes", type=click.IntRange(1, 20_000), default=DEFAULT_MAX_NODES, show_default=True,
              help="Most organisations drawn; beyond it the most relevant are kept (the map says so).")
@click.option("--aggregate-over", type=click.IntRange(0, 20_000), default=AGGREGATE_OVER, show_default=True,
              metavar="N", help="A whole-network map of more organisations opens as one node per community "
              "(click one to draw its members); 0: never.")
@click.option("--seed", type=click.IntRange(0, 2**32 - 1), default=0, show_default=True,
              help="Seed of the layout and communities.")
@pass_env
def map_command(env: Env, out: Path, focus: str | None, max_hops: int | None, chain: tuple[str, str] | None,
                color: str | None, size: str, edges: list[str], as_of: Any, half_life: float, max_nodes: int,
                aggregate_over: int, seed: int) -> None:
    """Write an interactive network map to FILE.html: one self-contained page that works offline.

    The page names the query and its parameters, has a legend, search by name, filters by tie kind,
    date, sector, region, culture, listed status and score, tooltips with the evidence, a
    neighbourhood and exposure-path highlight on click, a finder of the strongest vouching chains
    between two parties (the answer of `trustgraph chain`), colour by community, and exports of what
    is shown (CSV, GraphML, GEXF, SVG, PNG).
    Blacklisted parties are red diamonds; warnings, failed partnerships and incidents are red and
    dashed. Exit 4 when --focus or --chain names no organisation.
    """
    if max_hops is not None and focus is None and chain is None:
        raise click.BadParameter("needs --focus or --chain (the whole network has no centre)", param_hint="--max-hops")
    to_stdout = str(out) == "-"
    with contextlib.ExitStack() as stack:
        # The page goes to a temporary file beside FILE.html, renamed onto it once whole; a symlink
        # (or anything but a regular file) at FILE.html is refused before any work is done.
        page_file = None if to_stdout else stack.enter_context(atomic_path(out, what="map"))
        data = _map(env, focus, max_hops, chain, color, size, edges, as_of, half_life, max_nodes, seed,
                    aggregate_over or None)
        page = render_html(data)
        if page_file is None:
            click.echo(page, nl=False)
        else:
            page_file.write_text(page, encoding="utf-8")
    for line in data.notes:
        note(env, terminal_text(f"note: {line}"))
    where = "stdout" if to_stdout else str(out)
    orgs, ties = len(data.nodes), len(data.edges)
    note(env, terminal_text(f"wrote {where}: {orgs:,} organisation{'' if orgs == 1 else 's'}, "
                            f"{ties:,} tie{'' if ties == 1 else 's'}"
                            f" ({'live physics' if data.physics else 'precomputed layout'})"))


def _map(env: Env, focus: str | None, hops: int | None, chain: tuple[str, str] | None, color: str | None,
         size: str, edges: list[str], as_of: Any, half_life: float, max_nodes: int, seed: int,
         aggregate_over: int | None = None) -> MapData:
    """What ``map`` draws (:func:`~trustgraph.render.map.map_data`) for the command's options."""
    snap = env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))
    G = snap.to_networkx()  # what the map draws; the scores are computed on the snapshot itself
    # The ties drawn and their tooltips show rows of the whole dataset.
    tables = env.tables()
    evidence = evidence_frame(tables, as_of=snap.as_of, half_life_days=snap.half_life_days)
    focus_id = env.resolve_org(snap, focus) if focus is not None else None
    path: list[Any] | None = None
    ends: tuple[Any, Any] | None = None
    if chain is not None:
        ends = (env.resolve_org(snap, chain[0]), env.resolve_org(snap, chain[1]))
        if ends[0] == ends[1]:
            raise click.BadParameter("FROM and TO are the same organisation", param_hint="--chain")
        if importlib.util.find_spec(_CHAINS) is None:
            raise ConfigurationError("vouching chains are not available in this installation")
        found = importlib.import_module(_CHAINS).vouching_chains(G, ends[0], ends[1], k=1)
        path = list(found[0].path) if found else []
    made = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return map_data(G, tables, evidence=evidence, focus=focus_id, hops=hops, chain=path, chain_ends=ends,
                    color=color, size=size, edge_kinds=edges, max_nodes=max_nodes, seed=seed, generated_at=made,
                    snapshot=snap, aggregate_over=aggregate_over)
