"""FollowTheMoney entities (JSON lines, as OpenSanctions publishes them) as trustgraph tables.

Each line is one entity ``{"id", "schema", "properties": {name: [values]}}``, read with the
``followthemoney`` library: its model decides what an entity is (``schema.is_a``) and which
properties name the two ends of a relationship (``schema.source_prop``/``target_prop``).
Organisations become ``organizations``; a person's Employment, Directorship, Membership or
Ownership at an organisation a position (``people``); an Ownership, Directorship or Membership
between two organisations a partnership of two members (kind ``ownership`` for an ownership);
a Sanction a listing whose lister is the authority's name. Other schemata, people with no position
and sanctions of people are counted and reported, not imported. The mapping, the date rules and
what is refused are documented once, in docs/importers.md.
"""

from __future__ import annotations

import calendar
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import InvalidDataError, Problem
from ..ingest import MAX_PROBLEMS, validate
from ..model import SECTORS, TABLES

__all__ = ["FtmImport", "read_ftm", "ORGANIZATION_SCHEMATA", "RELATIONSHIP_SCHEMATA"]

#: Schemata read as organisations (and their descendants in the FollowTheMoney model).
ORGANIZATION_SCHEMATA = ("Organization", "Company", "PublicBody", "LegalEntity")
#: Relationships read as positions (a person at an organisation) or partnerships (two organisations).
RELATIONSHIP_SCHEMATA = ("Employment", "Directorship", "Membership", "Ownership")

_DEFAULT_ROLE = {"Employment": "employee", "Directorship": "director", "Membership": "member", "Ownership": "owner"}
_PARTNERSHIP_KIND = {"Ownership": "ownership", "Membership": "consortium", "Directorship": ""}
#: Member roles of a partnership between organisations: (the source's, the target's).
_MEMBER_ROLES = {"Ownership": ("lead", "member"), "Membership": ("member", "lead"), "Directorship": ("lead", "member")}
_SCHEMA_SECTOR = {"PublicBody": "government", "Company": "private"}
_MISSING_REF = "the id of an entity in the file or of an organisation in the store"


@dataclass
class FtmImport:
    """What :func:`read_ftm` made of a file.

    ``tables`` are canonical frames (validated), ``entities`` one count per schema read (``schema``,
    ``count``, ``imported``, ``skipped``, ``table``: where they went, ``None`` for schemata not
    imported), ``notes`` sentences on what was skipped and why.
    """

    tables: dict[str, pd.DataFrame]
    entities: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)


@dataclass
class _Entity:
    line: int
    proxy: Any  # followthemoney.EntityProxy


@dataclass
class _Build:
    """Rows under construction (text cells, ``__line__`` = the entity's line) and the counts."""

    path: Path
    problems: list[Problem] = field(default_factory=list)
    total: int = 0  # problems found; the first MAX_PROBLEMS are kept
    rows: dict[str, list[dict[str, str | int]]] = field(default_factory=lambda: {
        t: [] for t in ("organizations", "people", "partnerships", "partnership_members", "blacklist")})
    seen: Counter[str] = field(default_factory=Counter)
    imported: Counter[str] = field(default_factory=Counter)
    skipped: dict[str, list[str]] = field(default_factory=dict)

    def problem(self, line: int, column: str | None, value: str | None, expected: str) -> None:
        self.total += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(self.path.name, line, column, value, expected))

    def skip(self, schema: str, reason: str) -> None:
        self.skipped.setdefault(schema, []).append(reason)


def read_ftm(path: str | Path, *, known_ids: Mapping[str, set[str]] | None = None) -> FtmImport:
    """Read a FollowTheMoney JSON-lines file into trustgraph tables (the mapping: docs/importers.md).

    Parameters
    ----------
    path : str or Path
        The file (gzip is read transparently; regular files only).
    known_ids : mapping, optional
        Ids already stored per table: a relationship or sanction may name a stored organisation.

    Returns
    -------
    FtmImport

    Raises
    ------
    InvalidDataError
        With every problem (file name, line, the property, the value, what was expected); nothing
        is returned then, so nothing is written.
    """
    from followthemoney import model

    p = Path(path)
    build = _Build(p)
    entities = _read_entities(p, build, model)
    known = {t: set(v) for t, v in (known_ids or {}).items()}
    names = {eid: e.proxy.caption for eid, e in entities.items()}
    for e in entities.values():
        schema = e.proxy.schema
        build.seen[schema.name] += 1
        if _is_organization(schema):
            _organization(build, e)
        elif schema.is_a("Person"):
            pass  # rows come from its positions; counted below
        elif schema.name == "Sanction":
            _sanction(build, e, entities, known)
        elif schema.name in RELATIONSHIP_SCHEMATA:
            _relationship(build, e, entities, known, names)
        else:
            build.skip(schema.name, "not imported")
    placed = {str(r["__person__"]) for r in build.rows["people"]}
    for eid, e in entities.items():
        if e.proxy.schema.is_a("Person"):
            if eid in placed:
                build.imported[e.proxy.schema.name] += 1
            else:
                build.skip(e.proxy.schema.name, f"{eid} ({e.proxy.caption}): no Employment, Directorship, "
                           "Membership or Ownership at an organisation (a position needs one)")
    if build.total:
        n = build.total
        raise InvalidDataError(f"{p}: {n} problem{'s' if n != 1 else ''} found; nothing was written",
                               build.problems, total=n)
    tables = _validated(build, known)
    return FtmImport(tables, _entity_counts(build), _notes(build))


def _read_entities(path: Path, build: _Build, model: Any) -> dict[str, _Entity]:
    """The file's entities by id (problems for lines that are not entities)."""
    from followthemoney.exc import InvalidData

    from .research import _open_text

    entities: dict[str, _Entity] = {}
    for number, text in enumerate(_open_text(path).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            build.problem(number, None, text[:60], f"a JSON object ({err.msg})")
            continue
        if not isinstance(data, dict):
            build.problem(number, None, text[:60], "a JSON object")
            continue
        schema = data.get("schema")
        if not isinstance(schema, str) or model.get(schema) is None:
            build.problem(number, "schema", None if schema is None else str(schema),
                          "the name of a FollowTheMoney schema (Company, Person, Sanction, Ownership ...)")
            continue
        eid = data.get("id")
        if not isinstance(eid, str) or not eid.strip():
            build.problem(number, "id", None if eid is None else str(eid), "an entity id")
            continue
        if eid in entities:
            build.problem(number, "id", eid, f"an id not used above (line {entities[eid].line})")
            continue
        try:
            proxy = model.get_proxy(data)
        except (InvalidData, TypeError, ValueError) as err:
            build.problem(number, None, eid, f"a FollowTheMoney entity ({err})")
            continue
        entities[eid] = _Entity(number, proxy)
    return entities


def _is_organization(schema: Any) -> bool:
    return bool(schema.is_a("Organization") or schema.name == "LegalEntity")


def _first(proxy: Any, *props: str) -> str:
    """The first value of the first of ``props`` the entity has (``""`` when none)."""
    for prop in props:
        if prop in proxy.schema.properties:
            value = proxy.first(prop)
            if value:
                return str(value).strip()
    return ""


def _day(build: _Build, e: _Entity, prop: str, *, end: bool = False) -> str:
    """A FollowTheMoney date (possibly partial, possibly with a time) as ``YYYY-MM-DD``: a start is
    the first day of its period, an end the last; ``""`` when absent, a problem when invalid."""
    from followthemoney.types import registry

    value = _first(e.proxy, prop)
    if not value:
        return ""
    if not registry.date.validate(value):
        build.problem(e.line, f"{e.proxy.schema.name}.{prop}", value, "a date YYYY, YYYY-MM or YYYY-MM-DD")
        return ""
    day = value[:10]
    if len(day) == 4:
        return f"{day}-12-31" if end else f"{day}-01-01"
    if len(day) == 7:
        year, month = int(day[:4]), int(day[5:7])
        return f"{day}-{calendar.monthrange(year, month)[1]:02d}" if end else f"{day}-01"
    return day


def _organization(build: _Build, e: _Entity) -> None:
    proxy = e.proxy
    country = _first(proxy, "country", "jurisdiction", "mainCountry").upper()
    sector = _first(proxy, "sector").casefold().replace(" ", "_").replace("-", "_")
    if sector not in SECTORS:
        sector = _SCHEMA_SECTOR.get(proxy.schema.name, "")
    build.rows["organizations"].append({"__line__": e.line, "id": proxy.id, "name": proxy.caption,
                                        "sector": sector, "country": country})
    build.imported[proxy.schema.name] += 1


def _reference(build: _Build, e: _Entity, prop: str, entities: Mapping[str, _Entity],
               known: Mapping[str, set[str]]) -> tuple[str, str] | None:
    """(id, kind) of the entity ``prop`` names: kind ``organization``, ``person`` or the schema name
    of another entity; ``None`` (and a problem) when it is missing or names nothing known."""
    target = _first(e.proxy, prop)
    column = f"{e.proxy.schema.name}.{prop}"
    if not target:
        build.problem(e.line, column, None, "the id of the entity it concerns")
        return None
    if target in entities:
        schema = entities[target].proxy.schema
        if _is_organization(schema):
            return target, "organization"
        return target, "person" if schema.is_a("Person") else schema.name
    if target in known.get("organizations", set()):
        return target, "organization"
    build.problem(e.line, column, target, _MISSING_REF)
    return None


def _sanction(build: _Build, e: _Entity, entities: Mapping[str, _Entity], known: Mapping[str, set[str]]) -> None:
    proxy = e.proxy
    ref = _reference(build, e, "entity", entities, known)
    lister = _first(proxy, "authority", "publisher")
    if not lister:
        build.problem(e.line, "Sanction.authority", None, "the authority that imposed it (authority or publisher)")
    date = _day(build, e, "startDate") or _day(build, e, "listingDate") or _day(build, e, "date")
    if not date:
        build.problem(e.line, "Sanction.startDate", None, "the date it starts (startDate, listingDate or date)")
    until = _day(build, e, "endDate", end=True)
    program = _first(proxy, "program")
    reason = _first(proxy, "reason", "summary") or (f"sanctioned under {program}" if program else "")
    if not reason:
        build.problem(e.line, "Sanction.reason", None, "a reason, summary or program")
    if ref is None or not (lister and date and reason):
        return
    listed, kind = ref
    if kind != "organization":
        build.skip("Sanction", f"{proxy.id}: the sanctioned {listed} is a {kind}, not an organisation "
                   "(a listing names an organisation)")
        return
    source = "; ".join(v for v in (program, _first(proxy, "sourceUrl")) if v)
    build.rows["blacklist"].append({"__line__": e.line, "id": proxy.id, "lister": lister, "listed": listed,
                                    "date": date, "until": until, "reason": reason, "source": source})
    build.imported["Sanction"] += 1


def _relationship(build: _Build, e: _Entity, entities: Mapping[str, _Entity], known: Mapping[str, set[str]],
                  names: Mapping[str, str]) -> None:
    proxy = e.proxy
    schema = proxy.schema
    a = _reference(build, e, schema.source_prop.name, entities, known)
    b = _reference(build, e, schema.target_prop.name, entities, known)
    start, end = _day(build, e, "startDate"), _day(build, e, "endDate", end=True)
    if a is None or b is None:
        return
    (src, src_kind), (dst, dst_kind) = a, b
    role = _first(proxy, "role") or _DEFAULT_ROLE[schema.name]
    if schema.name == "Ownership" and _first(proxy, "percentage"):
        role += f" ({_first(proxy, 'percentage').rstrip('%')}%)"
    if src_kind == "person" and dst_kind == "organization":
        build.rows["people"].append({"__line__": e.line, "__person__": src, "id": proxy.id, "name": names[src],
                                     "organization": dst, "role": role, "from": start, "until": end})
    elif src_kind == "organization" and dst_kind == "organization":
        label = f"{names.get(src, src)} {schema.edge_label} {names.get(dst, dst)}"
        if schema.name == "Ownership" and _first(proxy, "percentage"):
            label += f" ({_first(proxy, 'percentage').rstrip('%')}%)"
        ended = bool(end) and end <= _today()
        build.rows["partnerships"].append({"__line__": e.line, "id": proxy.id, "name": label,
                                           "kind": _PARTNERSHIP_KIND[schema.name], "start": start, "end": end,
                                           "status": "completed" if ended else "active"})
        roles = _MEMBER_ROLES[schema.name]
        for org, member_role in ((src, roles[0]), (dst, roles[1])):
            build.rows["partnership_members"].append({"__line__": e.line, "partnership": proxy.id,
                                                      "organization": org, "role": member_role})
    else:
        build.skip(schema.name, f"{proxy.id}: between a {src_kind} and a {dst_kind} "
                   "(imported: a person or an organisation at an organisation)")
        return
    build.imported[schema.name] += 1


def _today() -> str:
    import datetime as _dt

    return _dt.date.today().isoformat()


def _validated(build: _Build, known: Mapping[str, set[str]]) -> dict[str, pd.DataFrame]:
    """The rows validated like a loaded dataset; problems name the entity's line and the column."""
    raw = {}
    for name, rows in build.rows.items():
        if not rows:
            continue
        columns = ["__line__", *TABLES[name].column_names]
        raw[name] = pd.DataFrame([{c: r.get(c, "") for c in columns} for r in rows], columns=columns)
        raw[name]["__line__"] = raw[name]["__line__"].astype(int)
    try:
        return validate(raw, known_ids=known, where=str(build.path))
    except InvalidDataError as err:
        err.problems = [Problem(build.path.name, p.line, f"{Path(p.file).stem}.{p.column}" if p.column else None,
                                p.value, p.expected, p.severity) for p in err.problems]
        raise


def _table_of(name: str) -> str | None:
    """Where entities of the schema ``name`` go (``None``: not imported)."""
    from followthemoney import model

    schema = model.get(name)
    if schema is None:
        return None
    if _is_organization(schema):
        return "organizations"
    if schema.name == "Sanction":
        return "blacklist"
    if schema.is_a("Person") or schema.name == "Employment":
        return "people"
    if schema.name in RELATIONSHIP_SCHEMATA:
        return "people, partnerships"
    return None


def _entity_counts(build: _Build) -> list[dict[str, Any]]:
    out = []
    for schema in sorted(build.seen):
        imported = build.imported.get(schema, 0)
        out.append({"schema": schema, "count": build.seen[schema], "imported": imported,
                    "skipped": build.seen[schema] - imported, "table": _table_of(schema)})
    return out


def _notes(build: _Build) -> list[str]:
    notes = []
    unknown = {s: len(r) for s, r in build.skipped.items() if r and r[0] == "not imported"}
    if unknown:
        n = sum(unknown.values())
        notes.append(f"{n} entit{'ies' if n != 1 else 'y'} of schemata trustgraph does not import: "
                     + ", ".join(f"{s} ({k})" for s, k in sorted(unknown.items())))
    for schema, reasons in sorted(build.skipped.items()):
        if schema in unknown:
            continue
        notes.append(f"skipped {len(reasons)} {schema}: " + "; ".join(reasons))
    return notes
