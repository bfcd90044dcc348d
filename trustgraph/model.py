"""The tables of a trustgraph dataset: the single source of truth for columns, types and enums.

Ingest validates against these definitions, both stores create their schema from them, and export
writes them back. A dataset is a folder with one UTF-8 CSV file per table (``<table>.csv``); only
``organizations.csv`` is required.

Column types
------------
``str``    free text (may be empty unless required)
``int``    integer; ``min``/``max`` bound it
``float``  real number; ``min``/``max`` bound it
``date``   ISO 8601 calendar date, exactly ``YYYY-MM-DD`` (no time part), from :data:`DATE_MIN`
           (1900-01-01) to one year after today (:func:`latest_date`); see :func:`check_date`
``bool``   ``true``/``false`` (also ``1``/``0``, ``yes``/``no``)
``enum``   one of ``Column.choices``
``tags``   ``;``-separated labels
A column with ``ref`` names the table whose ``id`` (or, for people, ``id``) it must exist in; one that
also has ``outside`` may instead name a party outside the network (a listing's ``lister``: an
authority such as "World Bank"), kept as given and never made a party.

Tables with an ``id_prefix`` (the event tables) do not need ids in their files: an empty or absent
``id`` is derived from the row's content (:func:`trustgraph.ingest.derived_id`).
"""

from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field

__all__ = [
    "DATE_MIN",
    "DATE_RANGE_TEXT",
    "latest_date",
    "check_date",
    "Column",
    "Table",
    "TABLES",
    "TABLE_ORDER",
    "PARTNERSHIP_STATUS",
    "INCIDENT_ACTIONS",
    "RESTORING_ACTIONS",
    "DEEPENING_ACTIONS",
    "TRUST_PROFILES",
    "EVENT_TABLES",
    "ASSESSMENT_DIMENSIONS",
    "ASSESSMENT_METHODS",
    "template_text",
]

PARTNERSHIP_STATUS = ("active", "completed", "suspended", "terminated")
PARTNERSHIP_KINDS = ("bilateral", "consortium", "platform", "joint_venture", "grant", "supply", "research", "ownership")
MEMBER_ROLES = ("lead", "member", "funder", "implementer", "observer")
SECTORS = ("ngo", "government", "private", "academic", "multilateral", "foundation", "social_enterprise", "media")
RISK_APPETITE = ("low", "medium", "high")
#: Trust-building cultures; each names the entry profile used by ``assess`` (see DESIGN.md).
TRUST_PROFILES = ("verify-later", "reputation-first", "vouched", "relationship-first")
INCIDENT_KINDS = (
    "missed_commitment",
    "communication_breakdown",
    "quality_failure",
    "data_breach",
    "financial_irregularity",
    "reputational_damage",
    "legal_conflict",
    "termination",
    "fraud",
)
INCIDENT_ACTIONS = ("post_mortem", "mediation", "staff_rotation", "reset", "termination", "legal_action")
RESTORING_ACTIONS = ("post_mortem", "mediation", "staff_rotation", "reset")
DEEPENING_ACTIONS = ("termination", "legal_action")
TIE_KINDS = ("colleague", "former_colleague", "friend", "alumni", "board", "family")
CHANNELS = ("meeting", "call", "email", "visit", "conference", "letter")
#: Capability dimensions an assessment scores (due diligence, capacity assessments; see docs/lifecycle.md).
ASSESSMENT_DIMENSIONS = (
    "financial_management",
    "governance",
    "technical_capacity",
    "safeguarding",
    "delivery_capacity",
    "monitoring_evaluation",
    "compliance",
    "data_protection",
)
#: How an assessment was made, most independent first (their weights: trustgraph.analysis.factors).
ASSESSMENT_METHODS = (
    "audit",
    "site_visit",
    "capacity_assessment",
    "pre_award_survey",
    "peer_review",
    "self_assessment",
)

#: The earliest date a cell (or ``--as-of``, ``import --date``) may hold: older dates are typing or
#: conversion errors (a negative Unix time, ``0001-01-01``), not evidence.
DATE_MIN = "1900-01-01"
#: The plausible range of dates, in words (documentation and messages).
DATE_RANGE_TEXT = "from 1900-01-01 to one year after today"
_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def latest_date(today: _dt.date | None = None) -> str:
    """The latest plausible date: one year after ``today`` (default: the local date), as
    ``YYYY-MM-DD``. Dates a little ahead are allowed (planned partnership ends, listings "until");
    a date further ahead (``9999-12-31``) would move every analysis' reference date to it.

    >>> latest_date(_dt.date(2024, 2, 29))
    '2025-02-28'
    """
    day = today or _dt.date.today()
    try:
        return day.replace(year=day.year + 1).isoformat()
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28).isoformat()


def check_date(text: str, today: _dt.date | None = None) -> str | None:
    """``None`` when ``text`` is a valid date, else what was expected (for a message).

    A valid date is exactly ``YYYY-MM-DD`` (ISO 8601, no time part, no spaces), exists in the
    calendar, and lies from :data:`DATE_MIN` to :func:`latest_date` inclusive. Every date that enters
    a store passes this rule: dataset cells, ``record``, ``import --date`` and Unix times converted by
    the importers, and ``--as-of``.

    >>> check_date("2023-02-01") is None
    True
    >>> check_date("2019-04-02T99:99+99:99")
    'an ISO 8601 date YYYY-MM-DD (no time part)'
    >>> check_date("0001-01-01")[:28]
    'a date from 1900-01-01 to 20'
    """
    if not isinstance(text, str) or not _DATE_SHAPE.fullmatch(text):
        return "an ISO 8601 date YYYY-MM-DD (no time part)"
    try:
        _dt.date.fromisoformat(text)
    except ValueError:
        return "an ISO 8601 date YYYY-MM-DD that exists in the calendar"
    latest = latest_date(today)
    if not DATE_MIN <= text <= latest:
        return f"a date from {DATE_MIN} to {latest} (one year after today)"
    return None


@dataclass(frozen=True)
class Column:
    """One column of a table."""

    name: str
    type: str = "str"
    required: bool = False
    ref: str | None = None
    choices: tuple[str, ...] = ()
    min: float | None = None
    max: float | None = None
    doc: str = ""
    #: With ``ref``: a value that is not an id of ``ref`` names a party outside the network.
    outside: bool = False
    #: A column added to an event table after its ids were first derived: an empty cell is left out
    #: of the derived id (:func:`trustgraph.ingest.derived_id`), so rows written before the column
    #: existed keep their ids.
    late: bool = False

    @property
    def expected(self) -> str:
        """A human description of what a valid value looks like (used in error messages)."""
        if self.type == "enum":
            return "one of " + ", ".join(self.choices)
        if self.type == "date":
            return f"an ISO 8601 date YYYY-MM-DD (no time part) {DATE_RANGE_TEXT}"
        if self.type == "bool":
            return "true or false"
        if self.type in ("int", "float"):
            kind = "an integer" if self.type == "int" else "a number"
            if self.min is not None and self.max is not None:
                return f"{kind} in [{self.min:g}, {self.max:g}]"
            return kind
        if self.ref and self.outside:
            return f"an id from {self.ref}.csv, or the name of an outside party"
        if self.ref:
            return f"an id from {self.ref}.csv"
        return "text"


@dataclass(frozen=True)
class Table:
    """One table: its columns and the columns that identify a row."""

    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ("id",)
    required: bool = False
    doc: str = ""
    example: dict[str, str] = field(default_factory=dict)
    #: An event table: a row without an id gets ``<id_prefix>-<hash of its content>``.
    id_prefix: str | None = None

    @property
    def file(self) -> str:
        return f"{self.name}.csv"

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _id(prefix: str | None = None) -> Column:
    if prefix:
        return Column("id", "str", required=True,
                      doc=f"unique id within the table; may be left empty (or the column left out): then "
                      f"`{prefix}-` and a hash of the row's other cells")
    return Column("id", "str", required=True, doc="unique id within the table")


TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            "organizations",
            (
                _id(),
                Column("name", "str", required=True),
                Column("sector", "enum", choices=SECTORS),
                Column("country", "str", doc="ISO 3166 alpha-2 code or name"),
                Column("region", "str"),
                Column("culture", "enum", choices=TRUST_PROFILES, doc="how this party builds trust"),
                Column("risk_appetite", "enum", choices=RISK_APPETITE),
                Column("pretrusted", "bool", doc="a seed of reputation propagation"),
                Column("tags", "tags"),
            ),
            required=True,
            doc="Parties: companies, NGOs, agencies, universities, funders.",
            example={
                "id": "ORG001", "name": "Amber Ridge Water Trust", "sector": "ngo", "country": "KE",
                "region": "East Africa", "culture": "relationship-first", "risk_appetite": "medium",
                "pretrusted": "true", "tags": "water;wash",
            },
        ),
        Table(
            "people",
            (
                _id(),
                Column("name", "str", required=True),
                Column("organization", "str", required=True, ref="organizations"),
                Column("role", "str"),
                Column("from", "date"),
                Column("until", "date", doc="empty while still in post"),
                Column("previous", "str", ref="people", doc="this person's earlier position (a job change)"),
            ),
            doc="Positions held by people; a job change is a new row whose `previous` is the old one.",
            example={
                "id": "P001", "name": "Wanjiru Otieno", "organization": "ORG001", "role": "Partnerships lead",
                "from": "2019-03-01", "until": "", "previous": "",
            },
        ),
        Table(
            "partnerships",
            (
                _id(),
                Column("name", "str", required=True),
                Column("kind", "enum", choices=PARTNERSHIP_KINDS),
                Column("start", "date"),
                Column("end", "date"),
                Column("status", "enum", required=True, choices=PARTNERSHIP_STATUS),
            ),
            doc="A partnership is a node so that multi-stakeholder platforms can have many members.",
            example={
                "id": "PS001", "name": "Lake Basin Clean Water Platform", "kind": "platform",
                "start": "2020-01-15", "end": "", "status": "active",
            },
        ),
        Table(
            "partnership_members",
            (
                Column("partnership", "str", required=True, ref="partnerships"),
                Column("organization", "str", required=True, ref="organizations"),
                Column("role", "enum", choices=MEMBER_ROLES),
            ),
            key=("partnership", "organization"),
            doc="Which organisations take part in which partnership.",
            example={"partnership": "PS001", "organization": "ORG001", "role": "lead"},
        ),
        Table(
            "referrals",
            (
                _id("ref"),
                Column("source", "str", required=True, ref="organizations", doc="who vouches (or warns)"),
                Column("target", "str", required=True, ref="organizations", doc="who is vouched for"),
                Column("strength", "float", required=True, min=-1.0, max=1.0, doc="negative = a warning"),
                Column("date", "date", required=True),
                Column("recipient", "str", ref="organizations", doc="to whom the referral was made"),
                Column("note", "str"),
            ),
            doc="Referrals and vouches between parties, signed.",
            id_prefix="ref",
            example={
                "id": "R0001", "source": "ORG001", "target": "ORG007", "strength": "0.8",
                "date": "2022-05-10", "recipient": "ORG012", "note": "Delivered the borehole programme on time",
            },
        ),
        Table(
            "relationship_holders",
            (
                Column("person", "str", required=True, ref="people"),
                Column("partnership", "str", required=True, ref="partnerships"),
                Column("since", "date"),
            ),
            key=("person", "partnership"),
            doc="The person who holds a partnership on behalf of their organisation.",
            example={"person": "P001", "partnership": "PS001", "since": "2020-01-15"},
        ),
        Table(
            "personal_ties",
            (
                Column("a", "str", required=True, ref="people"),
                Column("b", "str", required=True, ref="people"),
                Column("kind", "enum", choices=TIE_KINDS),
                Column("since", "date"),
            ),
            key=("a", "b"),
            doc="People who know each other (undirected: each pair once, in either order; it is stored "
            "with `a` before `b`, and the same pair given in both orders is a duplicate).",
            example={"a": "P001", "b": "P014", "kind": "alumni", "since": "2012-09-01"},
        ),
        Table(
            "incidents",
            (
                _id("inc"),
                Column("reporter", "str", required=True, ref="organizations", doc="the party that lost trust"),
                Column("subject", "str", required=True, ref="organizations", doc="the party blamed"),
                Column("kind", "enum", required=True, choices=INCIDENT_KINDS),
                Column("severity", "int", required=True, min=1, max=5, doc="1 minor .. 5 critical"),
                Column("date", "date", required=True),
                Column("partnership", "str", ref="partnerships"),
                Column("description", "str"),
                Column("reporter_person", "str", ref="people", late=True,
                       doc="the reporter's person in the breach (a position of someone who works or worked "
                       "at the reporter); naming a person makes the incident a person-level breach"),
                Column("subject_person", "str", ref="people", late=True,
                       doc="the subject's person in the breach (someone who works or worked at the subject)"),
            ),
            doc="Events that shook or broke trust, directed from the reporter to the subject. An incident "
            "that names people is a person-level breach: a staff rotation repairs the organisations' trust, "
            "the two people are not paired again (docs/lifecycle.md, Person-level breaches).",
            id_prefix="inc",
            example={
                "id": "I001", "reporter": "ORG001", "subject": "ORG007", "kind": "missed_commitment",
                "severity": "3", "date": "2023-02-01", "partnership": "PS001",
                "description": "Quarterly report six weeks late", "reporter_person": "P001", "subject_person": "",
            },
        ),
        Table(
            "incident_actions",
            (
                _id("act"),
                Column("incident", "str", required=True, ref="incidents"),
                Column("kind", "enum", required=True, choices=INCIDENT_ACTIONS),
                Column("date", "date", required=True),
                Column("note", "str"),
            ),
            doc="What was done after an incident: repair (post-mortem, mediation, staff rotation, reset) "
            "or escalation (termination, legal action).",
            id_prefix="act",
            example={
                "id": "A001", "incident": "I001", "kind": "post_mortem", "date": "2023-03-01",
                "note": "Joint review; reporting calendar agreed",
            },
        ),
        Table(
            "blacklist",
            (
                _id("lst"),
                Column("lister", "str", required=True, ref="organizations", outside=True,
                       doc="who listed the party: an organisation id, or an outside authority's name "
                       "(\"World Bank\"), which is shown with the listing and never becomes a party"),
                Column("listed", "str", required=True, ref="organizations"),
                Column("date", "date", required=True),
                Column("until", "date", doc="empty = indefinitely"),
                Column("reason", "str", required=True),
                Column("source", "str"),
            ),
            doc="Listings of parties judged too risky to work with.",
            id_prefix="lst",
            example={
                "id": "B001", "lister": "ORG050", "listed": "ORG066", "date": "2023-06-30", "until": "",
                "reason": "Diversion of grant funds", "source": "Debarment notice 2023/14",
            },
        ),
        Table(
            "communications",
            (
                _id("com"),
                Column("a", "str", required=True, ref="organizations"),
                Column("b", "str", required=True, ref="organizations"),
                Column("date", "date", required=True),
                Column("channel", "enum", choices=CHANNELS),
            ),
            doc="Contacts between two parties; their frequency is (weak) positive evidence.",
            id_prefix="com",
            example={"id": "C0001", "a": "ORG001", "b": "ORG007", "date": "2023-04-04", "channel": "meeting"},
        ),
        Table(
            "assessments",
            (
                _id("asm"),
                Column("assessor", "str", required=True, ref="organizations", outside=True,
                       doc="who assessed: an organisation id, or an outside assessor's name (an audit firm), "
                       "kept as given and never a party; the subject itself = a self-assessment"),
                Column("subject", "str", required=True, ref="organizations", doc="the party assessed"),
                Column("dimension", "enum", required=True, choices=ASSESSMENT_DIMENSIONS),
                Column("rating", "float", required=True, min=0.0, max=100.0,
                       doc="how much of the dimension's standard is met: 0 none .. 100 fully"),
                Column("date", "date", required=True),
                Column("valid_until", "date", doc="after this date the assessment is expired; empty = no expiry"),
                Column("method", "enum", required=True, choices=ASSESSMENT_METHODS),
                Column("source", "str", doc="the report or note it comes from"),
            ),
            doc="Capability evidence: due-diligence and capacity assessments of a party, by dimension "
            "(how it counts: docs/lifecycle.md, Capability).",
            id_prefix="asm",
            example={
                "id": "AS001", "assessor": "ORG050", "subject": "ORG001", "dimension": "financial_management",
                "rating": "85", "date": "2023-05-02", "valid_until": "2025-05-01", "method": "audit",
                "source": "Annual external audit 2022",
            },
        ),
    )
}

#: Load order: every table comes after the tables it references.
TABLE_ORDER: tuple[str, ...] = tuple(TABLES)
#: The event tables, whose rows need no id in a dataset file (see :attr:`Table.id_prefix`).
EVENT_TABLES: tuple[str, ...] = tuple(name for name, t in TABLES.items() if t.id_prefix)


def format_reference() -> str:
    """The dataset-format reference (docs/dataset-format.md), generated from :data:`TABLES`."""
    out = [
        "# Dataset format",
        "",
        "<!-- Generated by `python -m trustgraph.model > docs/dataset-format.md`; a test keeps it in sync. -->",
        "",
        "A dataset is a folder of UTF-8 CSV files with a header row, one file per table, or an `.xlsx`",
        "workbook with one sheet per table (sheets named like the tables; `trustgraph load book.xlsx`, or a",
        "folder holding it). Only `organizations` is required, and only until the store holds organisations:",
        "then another table alone (a folder, or one file such as a month's `referrals.csv`) loads, its",
        "references checked against the store. `trustgraph init DIR` writes every table's",
        "file with its header and one example row, as a comment, to fill in.",
        "",
        "What `load` tolerates, so that a spreadsheet's export loads as it is: headers in any case, with",
        "spaces for underscores and spaces around them (` Risk Appetite ` is `risk_appetite`); `,`, `;` or",
        "tab as the delimiter (found from the header line); a UTF-8 byte-order mark; CRLF line ends; file",
        "and sheet names in any case (`Incident-Actions.csv`); rows whose first cell starts with `#`",
        "(comments) and rows of empty cells are skipped. Enum values ignore case and separators",
        "(`Post-mortem`, `postmortem` and `POST MORTEM` are `post_mortem`; `Active` is `active`); a value",
        "that matches no choice is a problem that names the nearest one. A file or sheet whose name is",
        "not a table's is refused (exit 3) with the nearest table's name (`debarments.csv`: did you mean",
        "`blacklist.csv`?), unless `--ignore-unknown`, which skips it with a warning.",
        "",
        "Ids are optional in the event tables (referrals, incidents, incident_actions, blacklist,",
        "communications, assessments): an empty `id` cell, or no `id` column, gets an id derived from the row's other",
        "cells (`ref-` and 12 hex digits of a SHA-256 of their canonical text), so reloading the same sheet",
        "changes nothing; two rows with the same cells and no id are the same event, kept once, with a",
        "warning. But a corrected cell in such a row is another event: `load` adds and updates by id, never",
        "deletes, so the old row stays beside the new one, and a row deleted from the sheet stays in the",
        "store. Give ids to the events you may correct (the new cells then replace the old), or load the",
        "corrected dataset with `load --replace`, which makes the store exactly the dataset (every row it",
        "held before, recorded ones too, and the stored scores are deleted in the same write; the dataset",
        "must hold organizations.csv). Rows that other rows refer to (an incident that",
        "`incident_actions` name) need their own",
        "id. A listing's `lister` is an organisation id or the name of an outside authority (\"World",
        "Bank\", a national debarment register): such a lister is kept as given, shown with the listing,",
        "named in a warning when loaded, and never becomes a party (no reputation, chains, contagion or",
        "map node); a lister equal to an organisation's id but for case is refused as a typing slip, and",
        "one equal to the name of an organisation of the dataset as that organisation given by name (write",
        "its id).",
        "An assessment's `assessor` may likewise be an outside party (an audit firm).",
        "",
        "Dates are ISO 8601 calendar dates, exactly `YYYY-MM-DD` (no time",
        f"part), {DATE_RANGE_TEXT} (older or later dates are refused as typing or conversion",
        "errors: they would move every analysis' reference date); a referral, incident, incident action or",
        "communication dated after today loads with a warning, for the same reason. Booleans are",
        "`true`/`false` (also `yes`/`no`, `y`/`n`, `t`/`f`, `1`/`0`, in any case), tags",
        "`;`-separated, empty cells mean \"not given\". Ids are strings of at most 1,000 characters,",
        "unique per table; a column",
        "marked *ref* must name an existing id (in the same dataset or already in the store).",
        "`trustgraph load DIR` validates everything first and writes nothing when anything is wrong",
        "(exit code 3, every problem with file, line, column, value and what was expected);",
        "`trustgraph export DIR` writes exactly these files back, byte for byte (no formula",
        "neutralisation), into a new or empty folder; `--force` replaces the table files of an older",
        "export and leaves other files alone. `trustgraph record KIND` refuses a stored id or key (a",
        "personal tie in either order: ties are undirected and stored smaller id first) with exit 3",
        "unless `--update`, which changes only the fields given (exit 4 when the row does not exist).",
        "`trustgraph import` only adds: stored organisations are kept as stored, and referral ids are",
        "`<source>><target>@<date>` (`~2`, `~3` for repeats), so a second file adds and the same file",
        "again changes nothing.",
        "",
    ]
    for table in TABLES.values():
        out.append(f"## `{table.file}`{' (required)' if table.required else ''}")
        out.append("")
        out.append(table.doc)
        out.append("")
        key = ", ".join(f"`{k}`" for k in table.key)
        out.append(f"Key: {key}.")
        out.append("")
        out.append("| column | type | required | expected | notes |")
        out.append("|---|---|---|---|---|")
        for c in table.columns:
            kind = c.type + (f" (ref {c.ref}{' or outside' if c.outside else ''})" if c.ref else "")
            required = "derived" if c.name == "id" and table.id_prefix else "yes" if c.required else ""
            out.append(f"| `{c.name}` | {kind} | {required} | {c.expected} | {c.doc} |")
        out.append("")
        out.append("Example:")
        out.append("")
        out.append("```csv")
        out.append(",".join(table.column_names))
        out.append(",".join(_csv_cell(table.example.get(c, "")) for c in table.column_names))
        out.append("```")
        out.append("")
    return "\n".join(out)


#: How ``trustgraph init`` marks a template's example row (a comment: load skips it).
EXAMPLE_MARK = "# example: "


def template_text(table: Table) -> str:
    """The template of ``table``'s file (``trustgraph init``): the header, then its example row as a
    comment (a row whose first cell starts with ``#`` is skipped by load).

    >>> print(template_text(TABLES["partnership_members"]), end="")
    partnership,organization,role
    # example: PS001,ORG001,lead
    """
    header = ",".join(table.column_names)
    example = ",".join(_csv_cell(table.example.get(c, "")) for c in table.column_names)
    return f"{header}\n{EXAMPLE_MARK}{example}\n"


def _csv_cell(value: str) -> str:
    return f'"{value}"' if any(ch in value for ch in ',"\n') else value


if __name__ == "__main__":
    print(format_reference(), end="")
