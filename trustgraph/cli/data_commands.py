"""Data commands: load, import, export, stats, record."""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from ..errors import InvalidDataError
from ..model import TABLE_ORDER, TABLES
from ..store.base import ids_frame_map
from .app import DEFAULT_HALF_LIFE_DAYS, Env, cli, note, pass_env, progress
from .output import emit, format_option

__all__ = ["load", "import_", "export", "stats", "record", "RECORD_KINDS"]


def _loaded_rows(written: dict[str, int]) -> list[dict[str, Any]]:
    return [{"id": name, "table": name, "rows": n} for name, n in written.items()]


@cli.command()
@click.argument("path", type=click.Path(file_okay=False, path_type=Path))
@format_option
@pass_env
def load(env: Env, path: Path, fmt: str | None) -> None:
    """Validate the dataset folder PATH and upsert it into the store.

    Every problem is reported (file, line, column, value, expected) and nothing is written when there
    is any (exit 3). Loading the same folder twice changes nothing; an updated folder updates rows in
    place (by id).
    """
    from ..ingest import load_dataset

    warnings: list[str] = []
    store = env.writable_store
    tables = load_dataset(path, known_ids=ids_frame_map(store), warnings=warnings)
    for w in warnings:
        note(env, f"warning: {w}")
    total = sum(len(f) for f in tables.values())
    with progress(env, total, "loading") as bar:
        written = store.load(tables, progress=bar)
    emit(_loaded_rows(written), fmt, columns=["table", "rows"])


@cli.command("import")
@click.argument("format_", metavar="FORMAT", type=click.Choice(("snap-signed", "konect")))
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--date", default="1970-01-01", show_default=True, help="Date for referrals when the file has none.")
@format_option
@pass_env
def import_(env: Env, format_: str, path: Path, date: str, fmt: str | None) -> None:
    """Import a research network (snap-signed: Bitcoin OTC/Alpha, Epinions; konect: Advogato).

    Every party becomes an organisation and every rating a referral (strength rating/10 for OTC,
    ±1 for Epinions, the certification level for Advogato). Gzip files are read directly.
    """
    from ..importers import read_konect, read_snap_signed

    reader = read_snap_signed if format_ == "snap-signed" else read_konect
    result = reader(path, date=date)
    for line in result.notes:
        note(env, f"note: {line}")
    total = sum(len(f) for f in result.values())
    with progress(env, total, "importing") as bar:
        written = env.writable_store.load(dict(result), progress=bar)
    emit(_loaded_rows(written), fmt, columns=["table", "rows"])


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@format_option
@pass_env
def export(env: Env, folder: Path, fmt: str | None) -> None:
    """Write every table back to FOLDER as the CSV files `load` reads."""
    from ..export import export_dataset

    written = export_dataset(env.tables(), folder)
    emit(_loaded_rows(written), fmt, columns=["table", "rows"])


@cli.command()
@format_option
@pass_env
def stats(env: Env, fmt: str | None) -> None:
    """Summarise what is stored: rows per table, listings in force, signed referrals."""
    from ..snapshot import cached_facts

    facts = cached_facts(env.store, half_life_days=DEFAULT_HALF_LIFE_DAYS)
    counts = facts.pop("tables")
    rows: list[dict[str, Any]] = [{"id": name, "table": name, "rows": counts.get(name, 0)} for name in TABLE_ORDER]
    detail: dict[str, Any] = {k: facts[k] for k in ("negative_referrals", "first_referral", "last_referral")
                              if k in facts}
    detail.update(as_of=facts["as_of"], listed_now=facts["listed_now"], trust_edges=facts["trust_edges"])
    document = {"store": env.settings.describe(), "tables": {r["table"]: r["rows"] for r in rows}, **detail}
    title = f"store: {env.settings.describe()}  as of {detail['as_of']}  listed now: {detail['listed_now']}"
    emit(rows, fmt, columns=["table", "rows"], document=document, title=title)


# -- record ---------------------------------------------------------------------------------------

#: ``record`` sub-commands and the table each appends to.
RECORD_KINDS: dict[str, str] = {
    "organization": "organizations",
    "person": "people",
    "partnership": "partnerships",
    "referral": "referrals",
    "incident": "incidents",
    "action": "incident_actions",
    "listing": "blacklist",
    "communication": "communications",
    "tie": "personal_ties",
    "holder": "relationship_holders",
}


@cli.group()
def record() -> None:
    """Append one event (referral, incident, action, listing, partnership, ...) with full validation.

    The row is validated exactly like a loaded dataset (references must exist in the store) and
    written in one transaction. A date defaults to today; an id is generated when not given.
    """


def _make_record_command(kind: str, table_name: str) -> click.Command:
    table = TABLES[table_name]
    params: list[click.Parameter] = []
    for col in table.columns:
        flag = "--" + col.name.replace("_", "-")
        dest = "col_" + col.name
        if col.name == "id":
            params.append(click.Option([flag, dest], default=None, help="Id of the new row [default: generated]."))
            continue
        if col.type == "enum":
            ctype: click.ParamType = click.Choice(col.choices)
        else:
            ctype = click.STRING
        required = col.required and not (col.type == "date")
        help_text = (col.doc or col.expected) + (" (required)" if required else "")
        if col.type == "date" and col.required:
            help_text += " [default: today]"
        params.append(click.Option([flag, dest], type=ctype, required=required, default=None, help=help_text))
    if table_name == "partnerships":
        params.append(click.Option(["--member", "members"], multiple=True, metavar="ORG[:ROLE]",
                                   help="A member organisation (repeat; at least two)."))
    params.append(click.Option(["--format", "fmt"], type=click.Choice(["table", "json", "ndjson", "csv"]),
                               default=None, help="Output format."))

    @pass_env
    def callback(env: Env, fmt: str | None, members: tuple[str, ...] = (), **values: str | None) -> None:
        row: dict[str, str] = {}
        for col in table.columns:
            value = values.get("col_" + col.name)
            if value is None and col.type == "date" and col.required:
                value = _dt.date.today().isoformat()
            row[col.name] = "" if value is None else str(value)
        if "id" in row and not row["id"]:
            row["id"] = f"{kind[:3]}-{uuid.uuid4().hex[:10]}"
        import pandas as pd

        from ..ingest import validate

        raw = {table_name: pd.DataFrame([row], dtype=str)}
        if table_name == "partnerships":
            if len(members) < 2:
                raise click.UsageError("a partnership needs at least two --member ORG[:ROLE] options")
            raw["partnership_members"] = pd.DataFrame(
                [{"partnership": row["id"], "organization": m.split(":", 1)[0],
                  "role": m.split(":", 1)[1] if ":" in m else ""} for m in members], dtype=str)
        store = env.writable_store
        try:
            tables = validate(raw, known_ids=ids_frame_map(store), where=f"record {kind}")
        except InvalidDataError as err:
            # Name the option, not a CSV line: the row came from the command line.
            err.problems = [
                replace(p, file=f"record {kind}", line=None, column=p.column and "--" + p.column.replace("_", "-"))
                for p in err.problems
            ]
            raise
        store.load(tables)
        emit([{k: v for k, v in row.items()}], fmt, document={"recorded": kind, **row})

    return click.Command(
        kind, params=params, callback=callback,
        help=f"Append one row to {table.file}: {table.doc}",
        short_help=f"Append a {kind} ({table.file}).",
    )


for _kind, _table in RECORD_KINDS.items():
    record.add_command(_make_record_command(_kind, _table))
