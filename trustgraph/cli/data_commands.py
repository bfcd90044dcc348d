"""Data commands: init, load, import, export, stats, record."""

from __future__ import annotations

import datetime as _dt
import uuid
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import InvalidDataError, NotFoundError, Problem
from ..model import TABLE_ORDER, TABLES
from ..store.base import Store, ids_frame_map
from .app import DEFAULT_HALF_LIFE_DAYS, Env, IsoDate, answers, cli, creates_store, note, pass_env, progress
from .output import emit_answer, format_option

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["load", "init", "import_", "export", "stats", "record", "RECORD_KINDS"]


def _table_rows(written: dict[str, int]) -> list[dict[str, Any]]:
    """The rows of a load/import/export document: one per table, ``{"table", "count"}``."""
    return [{"table": name, "count": int(n)} for name, n in written.items()]


def _written_store(env: Env) -> dict[str, Any]:
    """The ``store`` field after a write that committed: its version, or null (with a note) while the
    database holds an unfinished load, whose refusal of reads must not make the write look failed."""
    from ..documents import store_info
    from ..errors import UnfinishedLoadError

    try:
        return env.store_info()
    except UnfinishedLoadError as err:
        note(env, f"written. {err}")
        return store_info(env.settings, None)


def _write_document(env: Env, kind: str, parameters: dict[str, Any], written: dict[str, int],
                    **fields: Any) -> dict[str, Any]:
    """A write command's document: ``as_of`` null, the store version after the write."""
    from ..documents import envelope

    document = envelope(kind, as_of=None, store=_written_store(env), parameters=parameters)
    document.update(fields)
    document["rows"] = _table_rows(written)
    return document


def _print_notes(env: Env, document: dict[str, Any], key: str, prefix: str) -> None:
    for line in document.get(key) or []:
        note(env, f"{prefix}{line}")


@answers("load")
@creates_store
def load_document(env: Env, *, path: Path, ignore_unknown: bool = False, bulk: bool = False,
                  replace: bool = False) -> dict[str, Any]:
    """Validate the dataset ``path`` (a folder, or an .xlsx workbook), upsert it, and return the
    ``load`` document (rows written per table; ``warnings`` about the data). With ``bulk`` the rows go
    into the empty database of the local Neo4j through Neo4j's offline importer (docs/neo4j.md). With
    ``replace`` the store becomes exactly the dataset: validated on its own (as into an empty store),
    then every stored row and score is deleted in the same write."""
    from ..ingest import load_dataset

    warnings: list[str] = []
    if bulk:
        from ..errors import ConfigurationError
        from ..store.neo4j_bulk import local_server_dir

        if replace:
            raise ConfigurationError("--bulk loads into an empty database and --replace empties one: use one of them")

        if not env.settings.neo4j_uri:
            raise ConfigurationError("--bulk loads into Neo4j (--neo4j-uri / NEO4J_URI); the SQLite store loads "
                                     "in one transaction without it")
        local_server_dir(env.settings.neo4j_uri)  # a server the importer cannot write to: refused before connecting
    store = env.writable_store
    # --replace: the dataset is the whole truth, checked against itself, not against what is stored
    tables = load_dataset(path, known_ids=None if replace else ids_frame_map(store), warnings=warnings,
                          ignore_unknown=ignore_unknown, replacing=replace,
                          stored_people=None if replace else lambda: store.table("people"))
    parameters: dict[str, Any] = {"path": str(path), "ignore_unknown": bool(ignore_unknown)}
    if replace:
        parameters["replace"] = True
    if bulk:
        from ..store.neo4j_bulk import bulk_load

        parameters["bulk"] = True
        written = bulk_load(store, tables, progress=lambda text: note(env, text))["written"]  # type: ignore[arg-type]
    else:
        total = sum(len(f) for f in tables.values())
        with progress(env, total, "loading") as bar:
            written = store.load(tables, progress=bar, replace=replace)
    return _write_document(env, "load", parameters, written, warnings=list(warnings))


@cli.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--ignore-unknown", is_flag=True, default=False,
              help="Skip files and sheets whose name is not a table's (with a warning) instead of refusing them.")
@click.option("--bulk", is_flag=True, default=False,
              help="First load into the EMPTY database of the local Neo4j (scripts/neo4j-local) with Neo4j's "
                   "offline importer: stops the server, imports, restarts it. A database that is not empty, "
                   "or another server, is refused (exit 6).")
@click.option("--replace", is_flag=True, default=False,
              help="Make the store exactly PATH: every stored row (and the scores `analyze --write` stored) is "
                   "deleted in the same write, tables without a file are left empty; PATH must hold "
                   "organizations.csv. For correcting rows without ids, or removing rows.")
@format_option
@pass_env
def load(env: Env, path: Path, ignore_unknown: bool, bulk: bool, replace: bool, fmt: str | None) -> None:
    """Validate the dataset folder PATH and upsert it into the store.

    PATH is a folder of CSV files (one per table, named like the table: organizations.csv, ...) or
    .xlsx workbooks (one sheet per table, named like the table), or one workbook, or one table's
    file; organizations.csv is needed until the store holds organisations. Headers may be in
    any case; CSV may be comma-, semicolon- or tab-separated, with a byte-order mark and CRLF line
    ends; rows whose first cell starts with # are comments; enum values ignore case and separators
    (Post-mortem = post_mortem). Event tables (referrals, incidents, incident_actions, blacklist,
    communications) need no id: one is derived from the row's content. A file or sheet that is not
    a table is refused, naming the nearest table, unless --ignore-unknown. See docs/dataset-format.md.

    Every problem is reported (file, line, column, value, expected) and nothing is written when there
    is any (exit 3). Loading the same data twice changes nothing; an updated folder updates rows in
    place by id and never deletes: an event row without an id is known by its cells, so a corrected
    one is added beside the old (give ids to rows you may correct) — unless --replace, which makes the
    store exactly PATH (rows recorded with `trustgraph record` and not in PATH are deleted too).
    """
    document = load_document(env, path=path, ignore_unknown=ignore_unknown, bulk=bulk, replace=replace)
    _print_notes(env, document, "warnings", "warning: ")
    emit_answer(document, fmt, columns=["table", "count"])


@answers("init")
def init_document(env: Env, *, folder: Path, force: bool = False) -> dict[str, Any]:
    """Write the template of a dataset into ``folder`` and return the ``init`` document (one row per
    table file written)."""
    from ..documents import envelope, store_info
    from ..export import write_templates

    written = write_templates(folder, force=force)
    document = envelope("init", as_of=None, store=store_info(env.settings, None),
                        parameters={"folder": str(folder), "force": bool(force)})
    document["rows"] = [{"table": t.name, "file": str(path), "required": t.required,
                         "columns": t.column_names} for t, path in written]
    return document


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, default=False,
              help="Write into a folder that is not empty: its table files are replaced, other files kept.")
@format_option
@pass_env
def init(env: Env, folder: Path, force: bool, fmt: str | None) -> None:
    """Write an empty dataset to FOLDER: each table's CSV header and one example row.

    The example rows are comments (they start with #, which load skips): copy one, remove the "# example: "
    mark and fill in your own rows, in a text editor or a spreadsheet; delete the files of tables you
    do not keep (only organizations.csv is required), then `trustgraph load FOLDER`. FOLDER must be
    new or empty (exit 1 otherwise) unless --force. Touches no store.
    """
    document = init_document(env, folder=folder, force=force)
    note(env, f"edit the files in {folder}, then: trustgraph load {folder}")
    emit_answer(document, fmt, columns=["file", "required"])


@answers("import")
@creates_store
def import_document(env: Env, *, format_: str, path: Path, date: Any, replace: bool = False) -> dict[str, Any]:
    """Import the research network ``path`` (``format_``: snap-signed or konect) or the
    FollowTheMoney file (``ftm``) and return the ``import`` document (rows written per table;
    ``notes``; for ftm ``entities``: counts per schema). With ``replace`` the store becomes exactly
    what the file holds: read on its own (as into an empty store), then every stored row and score is
    deleted in the same write."""
    from ..importers import merge_import, read_konect, read_snap_signed

    day = date.strftime("%Y-%m-%d") if hasattr(date, "strftime") else str(date)
    extra: dict[str, Any] = {}
    # The file is read (and refused when it is not a readable regular file) before the store is
    # opened: a refused import never creates a store.
    if format_ == "ftm":  # validated like a dataset and written like load: trustgraph.importers.ftm
        from ..files import regular_file
        from ..importers.ftm import read_ftm

        regular_file(path, "FollowTheMoney file")
        store = env.writable_store
        ftm = read_ftm(path, known_ids=None if replace else ids_frame_map(store))
        tables, notes, extra = ftm.tables, ftm.notes, {"entities": ftm.entities}
    else:
        result = (read_snap_signed if format_ == "snap-signed" else read_konect)(path, date=day)
        store = env.writable_store
        if replace:  # the file is the whole truth: nothing to merge with
            tables = {"organizations": result["organizations"], "referrals": result["referrals"]}
            notes = [*result.notes]
        else:
            tables, kept = merge_import(result, store)
            notes = [*result.notes, *kept]
    if replace and not len(tables.get("organizations", ())):
        raise InvalidDataError(f"cannot import {path} with --replace: it holds no organisation", [
            Problem(str(path), None, None, None, "at least one organisation (--replace makes the store exactly "
                    "this import, and would empty it)")])
    total = sum(len(f) for f in tables.values())
    written: dict[str, int] = {}
    if total:  # nothing new: leave the store (and its version) untouched
        with progress(env, total, "importing") as bar:
            written = store.load(tables, progress=bar, replace=replace)
    parameters: dict[str, Any] = {"format": format_, "path": str(path), "date": day}
    if replace:
        parameters["replace"] = True
    return _write_document(env, "import", parameters,
                           {name: written.get(name, 0) for name in tables}, notes=notes, **extra)


@cli.command("import")
@click.argument("format_", metavar="FORMAT", type=click.Choice(("snap-signed", "konect", "ftm")))
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--date", type=IsoDate(), default="1970-01-01", show_default=True,
              help="Date (YYYY-MM-DD, 1900-01-01 to one year after today) for referrals when the file has none.")
@click.option("--replace", is_flag=True, default=False,
              help="Make the store exactly what the file holds: every row stored before (rows from other "
                   "files, loads and records too) and the stored scores are deleted in the same write.")
@format_option
@pass_env
def import_(env: Env, format_: str, path: Path, date: Any, replace: bool, fmt: str | None) -> None:
    """Import a research network (snap-signed, konect) or FollowTheMoney entities (ftm).

    snap-signed: Bitcoin OTC/Alpha, Epinions; konect: Advogato; ftm: JSON lines as OpenSanctions
    publishes them (docs/importers.md).

    Every party becomes an organisation and every rating a referral (strength rating/10 for OTC,
    ±1 for Epinions, the certification level for Advogato). Gzip files are read directly.

    A research import only adds: an organisation already in the store is kept as stored (a
    placeholder name equal to its id is filled in from a KONECT names file); referral ids are derived
    from source, target and date (``6>2@2010-11-08``, then ``~2``, ``~3`` for repeats), so a second
    file adds to the first and importing the same file again changes nothing. The rows written are
    counted.

    An ftm import maps organisations, people's positions, ownerships and memberships, and sanctions
    (listings by their authority); other schemata are counted and reported. It is validated like a
    loaded dataset (exit 3, every problem with its line, nothing written) and written like one: rows
    keep the entities' ids, so the same file again changes nothing. --date is not used.

    --replace makes the store exactly the file's network instead (a corrected file that drops rows,
    or a new snapshot of the same network): the file is read on its own, then everything stored is
    deleted and the file written in one write (docs/importers.md).
    """
    document = import_document(env, format_=format_, path=path, date=date, replace=replace)
    _print_notes(env, document, "notes", "note: ")
    emit_answer(document, fmt, columns=["table", "count"])


@answers("export")
def export_document(env: Env, *, folder: Path, force: bool = False) -> dict[str, Any]:
    """Write every table to ``folder`` and return the ``export`` document (rows written per table)."""
    from ..export import export_dataset

    written = export_dataset(env.tables(), folder, force=force)
    return _write_document(env, "export", {"folder": str(folder), "force": bool(force)}, written)


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, default=False,
              help="Export into a folder that is not empty: its table files are replaced, other files kept.")
@format_option
@pass_env
def export(env: Env, folder: Path, force: bool, fmt: str | None) -> None:
    """Write every table back to FOLDER as the CSV files `load` reads.

    FOLDER must be new or empty (exit 1 otherwise), so that no table file of an older export is
    loaded back with the new ones; --force removes the table files (<table>.csv) it holds first and
    leaves every other file alone. Files are written to a temporary file and renamed, never through a
    symlink; cells are written exactly as stored.
    """
    emit_answer(export_document(env, folder=folder, force=force), fmt, columns=["table", "count"])


@answers("stats")
def stats_document(env: Env) -> dict[str, Any]:
    """The ``stats`` document: rows per table, listings in force, signed referrals."""
    from ..documents import envelope
    from ..snapshot import cached_facts

    facts = cached_facts(env.store, half_life_days=DEFAULT_HALF_LIFE_DAYS)
    counts = facts.pop("tables")
    document = envelope("stats", as_of=facts["as_of"], store=env.store_info(), parameters={})
    document.update({k: facts.get(k) for k in ("negative_referrals", "first_referral", "last_referral")})
    document.update(listed_now=facts["listed_now"], trust_edges=facts["trust_edges"],
                    rows=[{"table": name, "count": counts.get(name, 0)} for name in TABLE_ORDER])
    return document


@cli.command()
@format_option
@pass_env
def stats(env: Env, fmt: str | None) -> None:
    """Summarise what is stored: rows per table, listings in force, signed referrals."""
    document = stats_document(env)
    title = f"store: {env.settings.describe()}  as of {document['as_of']}  listed now: {document['listed_now']}"
    emit_answer(document, fmt, columns=["table", "count"], title=title)


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
    "assessment": "assessments",
}


@cli.group()
def record() -> None:
    """Append one event (referral, incident, action, listing, partnership, ...) with full validation.

    The row is validated exactly like a loaded dataset (references must exist in the store) and
    written in one transaction. A date defaults to today; an id is generated when not given.

    Nothing is overwritten silently: a row whose id is already stored (for a tie, holder or
    membership: whose pair is stored; a tie in either order, as ties are undirected) is refused
    (exit 3) unless --update is given. --update changes only the fields given on the command line and
    keeps the others as stored; --update of a row that does not exist is exit 4.
    """


#: Tables whose two key columns name an undirected pair: (a, b) and (b, a) are the same row.
_UNDIRECTED_KEYS: dict[str, tuple[str, str]] = {"personal_ties": ("a", "b")}


def _text_row(table_name: str, stored: pd.Series) -> dict[str, str]:
    """A stored (canonical) row as the text cells :func:`trustgraph.ingest.validate` reads."""
    from ..export import canonical_text

    return {c: canonical_text(stored[c]) for c in TABLES[table_name].column_names}


def _stored_rows(store: Store, table_name: str, key: dict[str, str]) -> pd.DataFrame:
    """The stored rows of ``table_name`` with this key (both orders for an undirected pair)."""
    import numpy as np
    import pandas as pd

    frame = store.table(table_name)
    match = np.ones(len(frame), dtype=bool)
    for col, value in key.items():
        match &= (frame[col] == value).to_numpy()
    if table_name in _UNDIRECTED_KEYS:
        a, b = _UNDIRECTED_KEYS[table_name]
        match |= ((frame[a] == key[b]) & (frame[b] == key[a])).to_numpy()
        # The order given first, then the other (a store from before ties were canonical may hold both).
        exact = ((frame[a] == key[a]) & (frame[b] == key[b])).to_numpy()
        return pd.concat([frame[match & exact], frame[match & ~exact]])
    return frame[match]


def _describe_key(table_name: str, key: dict[str, str]) -> str:
    if list(key) == ["id"]:
        return f"id {key['id']!r}"
    return "(" + ", ".join(f"{c}={v!r}" for c, v in key.items()) + ")"


def _existing(kind: str, table_name: str, key: dict[str, str], stored: pd.DataFrame) -> InvalidDataError:
    table = TABLES[table_name]
    shown = _describe_key(table_name, key)
    where = f"record {kind}"
    if len(stored) and table_name in _UNDIRECTED_KEYS:
        a, b = _UNDIRECTED_KEYS[table_name]
        first = stored.iloc[0]
        if (first[a], first[b]) != (key[a], key[b]):
            shown += f", stored as ({a}={first[a]!r}, {b}={first[b]!r}): the tie is undirected"
    option = ", ".join("--" + c.replace("_", "-") for c in table.key)
    return InvalidDataError(
        f"{where}: {table_name} already holds {shown}; nothing was written (use --update to change "
        "the fields you give, or choose another " + ("id" if table.key == ("id",) else "pair") + ")",
        [Problem(where, None, option, ", ".join(key.values()), "a new " + ("id" if table.key == ("id",) else "pair")
                 + " (or --update)")],
    )


def _merge_members(store: Store, partnership: str, members: tuple[str, ...], update: bool) -> pd.DataFrame:
    """The member rows given as ORG[:ROLE]; under --update a member without a role keeps its stored role."""
    import pandas as pd

    rows = [{"partnership": partnership, "organization": m.split(":", 1)[0],
             "role": m.split(":", 1)[1] if ":" in m else ""} for m in members]
    if update and rows:
        stored = store.table("partnership_members")
        stored = stored[(stored["partnership"] == partnership).to_numpy()]
        roles = {o: r for o, r in zip(stored["organization"], stored["role"]) if r is not None}
        for row in rows:
            if not row["role"]:
                row["role"] = roles.get(row["organization"], "")
    return pd.DataFrame(rows, columns=["partnership", "organization", "role"], dtype=str)


def _json_cell(value: Any) -> Any:
    """A stored cell as read commands give it: numpy scalars as numbers, missing as null."""
    import pandas as pd

    if value is None or (not isinstance(value, (list, tuple, dict, str)) and pd.isna(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, str) and value == "":
        return None
    return value


def _typed_rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(c): _json_cell(v) for c, v in row.items()} for row in frame.to_dict("records")]


def _resolve_references(env: Env, kind: str, table_name: str, given: dict[str, str],
                        known: dict[str, set[str]]) -> None:
    """Replace a name given for an organisation or a person (``--listed "Dakar Logistics SARL"``) by
    its id, by the rules of :func:`trustgraph.snapshot.resolve_reference` (exit 4 when ambiguous or
    unknown, with suggestions). An ``outside`` column (a listing's ``lister``, an assessment's
    ``assessor``) that names no organisation is kept as given: an outside party."""
    from ..snapshot import AmbiguousReferenceError, resolve_reference

    for col in TABLES[table_name].columns:
        target = "organizations" if col.outside else col.ref
        value = given.get(col.name)
        if not value or target not in ("organizations", "people") or value in known.get(target, set()):
            continue
        frame = env.writable_store.table(target)
        ids, names = frame["id"].tolist(), frame["name"].tolist()
        what = "organisation" if target == "organizations" else "person"
        try:
            given[col.name] = str(ids[resolve_reference(value, ids, names, what=what, exact=lambda r: None)])
        except AmbiguousReferenceError as err:
            raise NotFoundError(f"record {kind} --{col.name.replace('_', '-')}: {err}") from None
        except NotFoundError as err:
            if not col.outside:
                raise NotFoundError(f"record {kind} --{col.name.replace('_', '-')}: {err}") from None


def _resolve_members(env: Env, kind: str, members: tuple[str, ...], known: dict[str, set[str]]) -> tuple[str, ...]:
    """``--member ORG[:ROLE]`` with ORG an id or a name (the rules of :func:`_resolve_references`):
    the text after the last ``:`` is the role only when it is one (a name may hold a colon)."""
    from ..model import MEMBER_ROLES

    out = []
    for member in members:
        org, sep, role = member.rpartition(":")
        if not sep or role.strip().lower() not in MEMBER_ROLES:
            org, role = member, ""
        given = {"organization": org}
        try:
            _resolve_references(env, kind, "partnership_members", given, known)
        except NotFoundError as err:
            raise NotFoundError(str(err).replace("--organization", "--member", 1)) from None
        out.append(given["organization"] + (f":{role}" if role else ""))
    return tuple(out)


@answers("record")
@creates_store
def record_document(env: Env, *, kind: str, update: bool = False, members: tuple[str, ...] = (),
                    **values: Any) -> dict[str, Any]:
    """Append (or with ``update`` change) one row of ``RECORD_KINDS[kind]`` and return the ``record``
    document: its one row is the recorded row with typed values (as read commands give them).

    ``values`` are the sub-command's options by their click names (``col_<column>``).
    """
    import pandas as pd

    from ..documents import envelope

    if kind not in RECORD_KINDS:
        raise click.BadParameter(f"{kind!r} is not one of {', '.join(RECORD_KINDS)}", param_hint="KIND")
    table_name = RECORD_KINDS[kind]
    table = TABLES[table_name]
    given = {c.name: str(values["col_" + c.name]) for c in table.columns
             if values.get("col_" + c.name) is not None}
    if update:
        if table.key == ("id",) and "id" not in given:
            raise click.UsageError("--update needs --id: the id of the row to change")
        missing = [c for c in table.key if c not in given]
    else:
        missing = [c.name for c in table.columns
                   if c.required and c.type != "date" and c.name != "id" and c.name not in given]
    if missing:
        raise click.MissingParameter(param_hint=f"'--{missing[0].replace('_', '-')}'", param_type="option")
    if table_name == "partnerships" and not update and len(members) < 2:
        raise click.UsageError("a partnership needs at least two --member ORG[:ROLE] options")
    if table.key == ("id",) and "id" not in given:
        prefix = "asm" if table_name == "assessments" else kind[:3]  # not "ass-"
        given["id"] = f"{prefix}-{uuid.uuid4().hex[:10]}"

    store = env.writable_store
    key = {c: given[c] for c in table.key}
    known = ids_frame_map(store)
    _resolve_references(env, kind, table_name, given, known)
    members = _resolve_members(env, kind, members, known)
    if table.key == ("id",):
        exists = key["id"] in known.get(table_name, set())
        # The stored row is read only to be changed (a table may hold millions of rows).
        stored = _stored_rows(store, table_name, key) if exists and update else pd.DataFrame()
    else:
        stored = _stored_rows(store, table_name, key)
        exists = bool(len(stored))
    if exists and not update:
        raise _existing(kind, table_name, key, stored)
    if update and not exists:
        raise NotFoundError(f"record {kind} --update: {table_name} holds no row with "
                            f"{_describe_key(table_name, key)}; nothing was written (leave out --update to add it)")
    if update:
        row = {**_text_row(table_name, stored.iloc[0]), **{c: v for c, v in given.items() if c not in table.key}}
    else:
        row = {c.name: given.get(c.name, "") for c in table.columns}
        for col in table.columns:
            if col.type == "date" and col.required and not row[col.name]:
                row[col.name] = _dt.date.today().isoformat()
                note(env, f"note: no --{col.name.replace('_', '-')}: recorded today's date, {row[col.name]}; the "
                          "default as-of of later answers (the newest event in the data) moves to it")

    from ..ingest import validate

    raw = {table_name: pd.DataFrame([row], dtype=str)}
    if table_name == "partnerships" and members:
        raw["partnership_members"] = _merge_members(store, row["id"], members, update)
    try:
        tables = validate(raw, known_ids=known, where=f"record {kind}", stored_people=lambda: store.table("people"))
    except InvalidDataError as err:
        # Name the option, not a CSV line: the row came from the command line.
        err.problems = [
            replace(p, file=f"record {kind}", line=None, column=p.column and "--" + p.column.replace("_", "-"))
            for p in err.problems
        ]
        raise
    if update and table_name in _UNDIRECTED_KEYS:
        # Keep the stored orientation so that the update replaces the row instead of adding a twin.
        a, b = _UNDIRECTED_KEYS[table_name]
        tables[table_name].loc[0, [a, b]] = [row[a], row[b]]
    # a new row is inserted, not upserted: a writer that added the same key since the check above
    # makes this write fail instead of being overwritten
    store.load(tables, insert_only=() if update else (table_name,))
    recorded = _typed_rows(tables[table_name].iloc[:1])
    if table_name == "blacklist":  # in documents `listed` is always a boolean: the data column is the party
        recorded = [{("listed_party" if k == "listed" else k): v for k, v in r.items()} for r in recorded]
    member_rows = _typed_rows(tables["partnership_members"]) if "partnership_members" in tables else None
    parameters = {"kind": kind, "update": bool(update),
                  "values": {c: v for c, v in given.items()}, "members": list(members)}
    document = envelope("record", as_of=None, store=_written_store(env), parameters=parameters)
    document.update(table=table_name, action="updated" if update else "recorded", members=member_rows,
                    rows=recorded)
    return document


def _make_record_command(kind: str, table_name: str) -> click.Command:
    table = TABLES[table_name]
    params: list[click.Parameter] = []
    by_column: dict[str, click.Option] = {}
    for col in table.columns:
        flag = "--" + col.name.replace("_", "-")
        dest = "col_" + col.name
        if col.name == "id":
            params.append(click.Option([flag, dest], default=None,
                                       help="Id of the new row (of the row to change with --update) "
                                       "[default: generated]."))
            continue
        if col.type == "enum":
            ctype: click.ParamType = click.Choice(col.choices)
        else:
            ctype = click.STRING
        required = col.required and not (col.type == "date")
        needed = " (required)" if col.name in table.key else " (required unless --update)"
        help_text = (col.doc or col.expected) + (needed if required else "")
        if col.type == "date" and col.required:
            help_text += " [default: today]"
        # Required options are checked in the callback: --update needs only the key.
        option = click.Option([flag, dest], type=ctype, default=None, help=help_text)
        by_column[col.name] = option
        params.append(option)
    if table_name == "partnerships":
        params.append(click.Option(["--member", "members"], multiple=True, metavar="ORG[:ROLE]",
                                   help="A member organisation (repeat; at least two)."))
    params.append(click.Option(["--update"], is_flag=True, default=False,
                               help="Change the stored row with this key: only the fields given change."))
    params.append(click.Option(["--format", "fmt"], type=click.Choice(["table", "json", "ndjson", "csv"]),
                               default=None, help="Output format."))

    @pass_env
    def callback(env: Env, fmt: str | None, update: bool, members: tuple[str, ...] = (),
                 **values: str | None) -> None:
        document = record_document(env, kind=kind, update=update, members=members, **values)
        emit_answer(document, fmt, columns=list(document["rows"][0]))

    return click.Command(
        kind, params=params, callback=callback,
        help=f"Append one row to {table.file}: {table.doc} An existing "
             + ("id" if table.key == ("id",) else "pair") + " is refused unless --update.",
        short_help=f"Append {'an' if kind[0] in 'aeiou' else 'a'} {kind} ({table.file}).",
    )


for _kind, _table in RECORD_KINDS.items():
    record.add_command(_make_record_command(_kind, _table))
