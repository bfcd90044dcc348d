"""``trustgraph demo``: load the bundled sample and walk through the main questions."""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click

from ..errors import ConfigurationError, TrustgraphError
from .app import Env, cli, pass_env

__all__ = ["demo", "sample_path"]


def sample_path() -> Path:
    """The bundled sample dataset: ``data/sample`` in the working directory or beside the package."""
    for candidate in (Path("data/sample"), Path(__file__).resolve().parents[2] / "data" / "sample"):
        if (candidate / "organizations.csv").exists():
            return candidate
    raise ConfigurationError("the sample dataset (data/sample) was not found; run the demo from the repository")


#: The tour: (heading, command name, arguments).
TOUR: list[tuple[str, str, list[str]]] = [
    ("What is in the store?", "stats", []),
    ("Who are the most reputable organisations?", "reputation", ["--limit", "5"]),
    ("Who can vouch for ORG045 to us (ORG001)?", "chain", ["ORG001", "ORG045"]),
    ("Is ORG045 valid by the web-of-trust rule, seen from ORG001?", "vouchers", ["ORG045", "--for", "ORG001"]),
    ("Who is most exposed to blacklisted parties?", "contagion", ["--limit", "5"]),
    ("How is ORG021 exposed to listed parties?", "exposure", ["ORG021"]),
    ("Should ORG001 partner with ORG066, by each trust culture?", "assess",
     ["ORG066", "--for", "ORG001", "--all-profiles"]),
    ("Which partnerships hang on one person?", "continuity", ["--limit", "5"]),
    ("Draw the network", "map", ["--out", "trustgraph-map.html"]),
]


def _refuse_other_data(env: Env, folder: Path) -> None:
    """Refuse a store that holds organisations the demo's dataset does not: the demo would mix its
    fictional parties into real data (their reputations, exposures and as-of would change)."""
    if not env.settings.neo4j_uri and not Path(env.settings.sqlite_path).exists():
        return
    from ..ingest import read_dataset
    from ..store.base import ids_frame_map

    stored = ids_frame_map(env.store).get("organizations", set())
    if not stored:
        return
    given = set(read_dataset(folder)["organizations"]["id"].astype(str).str.strip())
    other = sorted(stored - given)
    if other:
        shown = ", ".join(other[:3]) + (", ..." if len(other) > 3 else "")
        raise ConfigurationError(
            f"{env.settings.describe()} already holds {len(other)} organisations that are not in {folder} "
            f"({shown}); the demo would mix its data into them. Run it on a new store (--store demo.db), "
            "or give --force")


@cli.command()
@click.option("--data", "data", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Dataset folder to load [default: the bundled data/sample].")
@click.option("--force", is_flag=True, default=False,
              help="Load into a store that already holds other organisations (they are kept, the demo's are added).")
@click.pass_context
@pass_env
def demo(env: Env, ctx: click.Context, data: Path | None, force: bool) -> None:
    """Load the sample dataset into the store and run a short tour of the main commands.

    Uses the selected store (default ./trustgraph.db; run again, it changes nothing); writes the map to
    trustgraph-map.html. A store that holds other organisations is refused (exit 6) unless --force.
    """
    folder = data or sample_path()
    if not force:
        _refuse_other_data(env, folder)
    click.secho(f"# Loading {folder} into {env.settings.describe()}", bold=True)
    ctx.invoke(cast(click.Command, cli.get_command(ctx, "load")), path=folder, fmt="table")
    for heading, name, args in TOUR:
        command = cli.get_command(ctx, name)
        if command is None:
            continue
        click.echo()
        click.secho(f"# {heading}", bold=True)
        click.secho(f"$ trustgraph {name} {' '.join(args)}".rstrip(), dim=True)
        argv = list(args)
        if "--format" in [p.opts[0] for p in command.params if isinstance(p, click.Option)] or any(
            "--format" in p.opts for p in command.params if isinstance(p, click.Option)
        ):
            argv += ["--format", "table"]
        try:
            command.main(args=argv, prog_name=f"trustgraph {name}", standalone_mode=False, obj=env)
        except TrustgraphError as err:
            click.echo(f"({err})")
    click.echo()
    click.echo("Open trustgraph-map.html in a browser; `trustgraph --help` lists every command.")
