"""The Neo4j team store: the tables of :mod:`trustgraph.model` as a property graph.

Graph model (also in ``docs/neo4j.md``)
---------------------------------------
Every table becomes either a node label or a relationship type; a reference column of a node table
becomes a relationship, so that analysts can traverse it in Cypher:

=====================  =================================================================================
table                  in the graph
=====================  =================================================================================
organizations          ``(:Organization {id, name, sector, country, region, culture, risk_appetite,
                       pretrusted, tags})`` — ``tags`` is a list of strings
people                 ``(:Person {id, name, role, from, until})``,
                       ``(:Person)-[:WORKS_AT]->(:Organization)``,
                       ``(:Person)-[:PREVIOUS_POSITION]->(:Person)`` (the ``previous`` column)
partnerships           ``(:Partnership {id, name, kind, start, end, status})``
partnership_members    ``(:Organization)-[:MEMBER_OF {role}]->(:Partnership)``
referrals              ``(:Organization)-[:REFERS {id, strength, date, recipient, note}]->(:Organization)``
relationship_holders   ``(:Person)-[:HOLDS {since}]->(:Partnership)``
personal_ties          ``(:Person)-[:KNOWS {kind, since}]->(:Person)`` (stored a → b; read undirected)
incidents              ``(:Incident {id, kind, severity, date, description})``,
                       ``(:Organization)-[:REPORTED]->(:Incident)-[:BLAMES]->(:Organization)``,
                       ``(:Incident)-[:DURING]->(:Partnership)``,
                       ``(:Incident)-[:INVOLVES_REPORTER]->(:Person)`` and
                       ``(:Incident)-[:INVOLVES_SUBJECT]->(:Person)`` (the people named: a
                       person-level breach)
incident_actions       ``(:IncidentAction {id, kind, date, note})``,
                       ``(:Incident)-[:FOLLOWED_BY]->(:IncidentAction)``
blacklist              ``(:Organization)-[:LISTS {id, date, until, reason, source}]->(:Organization)``;
                       a lister that is no organisation (an outside authority such as "World Bank") is
                       an ``(:Authority {id})`` node, its name as id, created on first use
communications         ``(:Organization)-[:COMMUNICATED {id, date, channel}]->(:Organization)``
assessments            ``(:Organization)-[:ASSESSED {id, dimension, rating, date, valid_until, method,
                       source}]->(:Organization)``; an outside assessor (an audit firm) is an
                       ``(:Authority {id})`` node, like an outside lister
scores                 properties ``reputation, reputation_rank, risk, risk_rank, computed_at`` on
                       ``:Organization`` nodes
=====================  =================================================================================

Dates stay ISO 8601 strings (as in the canonical frames), missing values are absent properties.
Every node label has a uniqueness constraint on ``id``, and so has every relationship type that
carries an ``id`` (``REFERS``, ``LISTS``, ``COMMUNICATED``, ``ASSESSED``); they are created idempotently before
the first write.

One more node, ``(:TrustgraphMeta {key: 'store', store_id, version})`` (a uniqueness constraint on
``key``), holds the store's identity (a random UUID set when the node is created) and its data
version: every write transaction (a load or each committed batch of a large one, a score update,
each batch of :meth:`Neo4jStore.clear`) increments ``version`` before it commits, so
:meth:`Neo4jStore.version` changes whenever any client wrote, and a compiled snapshot
(:mod:`trustgraph.snapshot`) of older data is never used. :meth:`Neo4jStore.about` reads the rows
that concern a few parties by walking from their nodes (seeks on the ``id`` constraints).

Writes are ``UNWIND $rows`` batches: CREATE for rows known to be new (every row of a table that holds
none, and rows whose id is not among the stored ids, read first), MERGE for the others, so loading
the same rows again changes nothing, and an update moves a relationship whose endpoint changed. A load of up to
``transaction_rows`` rows runs in one transaction (all or nothing, like SQLite). A larger load (the
841k-referral Epinions network) commits batch by batch: on a server with a 1 GiB heap a single
transaction of about 350,000 rows already exceeds the transaction memory limit. If such a load fails
half-way, the batches already committed stay, and running the same load again completes it with no
duplicates and nothing missing (the rerun reads the ids the committed batches wrote and merges
those rows). Two batches are in flight at once (``load_workers``), within one statement of one table. Such a load marks
itself on the version node (``loading``: set in its first transaction, removed in its last), and
every read refuses the database while a mark is there (:meth:`Neo4jStore.unfinished_loads`), so a
half-finished load is never taken for the truth.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import logging
import re
import threading
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

import neo4j
import neo4j.exceptions as nx_err
import numpy as np
import pandas as pd
from neo4j import GraphDatabase, ManagedTransaction

from .. import __version__
from ..errors import (
    ConfigurationError,
    InvalidDataError,
    StoreUnavailableError,
    TrustgraphError,
    UnfinishedLoadError,
)
from ..model import TABLE_ORDER, TABLES
from .base import SCORE_COLUMNS, sort_frame
from .uri import has_credentials, safe_uri

__all__ = [
    "Neo4jStore",
    "Link",
    "NodeMapping",
    "RelationshipMapping",
    "GRAPH_MODEL",
    "NODE_LABELS",
    "RELATIONSHIP_TYPES",
    "DEFAULT_BATCH_ROWS",
    "DEFAULT_TRANSACTION_ROWS",
    "DEFAULT_LOAD_WORKERS",
    "META_LABEL",
]

#: Seconds a read or write is retried while the server is unreachable, before exit 5 (store unavailable).
#: The driver checks the window only after a failed attempt and then sleeps its whole next delay (1, 2,
#: 4, 8 s ... each ±20 %), so a window of 10 s always ends after the fifth attempt, 12 to 18 s after the
#: first: after three delays at most 8.4 s have passed, after four at least 12 s. (A window of 15 s
#: falls inside the 12-18 s spread and gave up after 14 s or after 29 s by chance.)
RETRY_SECONDS = 10.0
#: The most seconds a transaction can keep retrying with RETRY_SECONDS (see above).
RETRY_GIVES_UP_WITHIN = 18.0
#: Rows sent per ``UNWIND $rows`` statement.
DEFAULT_BATCH_ROWS = 10_000
#: Loads of up to this many rows run in one transaction; larger ones commit batch by batch.
DEFAULT_TRANSACTION_ROWS = 100_000
#: Transactions a load that commits batch by batch keeps in flight at once (one session each).
DEFAULT_LOAD_WORKERS = 2


# -- the graph model: a fixed allow-list of labels, types and properties ----------------------------


@dataclass(frozen=True)
class Link:
    """A reference column of a node table, stored as a relationship."""

    column: str
    type: str
    label: str  # the label of the node referred to
    outgoing: bool = True  # (n)-[:TYPE]->(other), else (other)-[:TYPE]->(n)


@dataclass(frozen=True)
class NodeMapping:
    """A table stored as nodes with ``label`` (key ``id``)."""

    table: str
    label: str
    links: tuple[Link, ...] = ()

    @property
    def properties(self) -> list[str]:
        linked = {link.column for link in self.links}
        return [c for c in TABLES[self.table].column_names if c not in linked]


@dataclass(frozen=True)
class RelationshipMapping:
    """A table stored as relationships ``(start)-[:type]->(end)``, keyed by ``id`` or by the endpoints."""

    table: str
    type: str
    start: str
    start_label: str
    end: str
    end_label: str
    #: The label of the node a ``start`` value that is no ``start_label`` id becomes (an outside
    #: party: :attr:`trustgraph.model.Column.outside`), merged on first use.
    start_outside: str | None = None

    @property
    def by_id(self) -> bool:
        return TABLES[self.table].key == ("id",)

    @property
    def properties(self) -> list[str]:
        return [c for c in TABLES[self.table].column_names if c not in (self.start, self.end)]


Mapping_ = NodeMapping | RelationshipMapping

#: How each table of :data:`trustgraph.model.TABLES` is stored.
GRAPH_MODEL: dict[str, Mapping_] = {
    m.table: m
    for m in (
        NodeMapping("organizations", "Organization"),
        NodeMapping(
            "people", "Person",
            (Link("organization", "WORKS_AT", "Organization"), Link("previous", "PREVIOUS_POSITION", "Person")),
        ),
        NodeMapping("partnerships", "Partnership"),
        RelationshipMapping("partnership_members", "MEMBER_OF", "organization", "Organization",
                            "partnership", "Partnership"),
        RelationshipMapping("referrals", "REFERS", "source", "Organization", "target", "Organization"),
        RelationshipMapping("relationship_holders", "HOLDS", "person", "Person", "partnership", "Partnership"),
        RelationshipMapping("personal_ties", "KNOWS", "a", "Person", "b", "Person"),
        NodeMapping(
            "incidents", "Incident",
            (
                Link("reporter", "REPORTED", "Organization", outgoing=False),
                Link("subject", "BLAMES", "Organization"),
                Link("partnership", "DURING", "Partnership"),
                Link("reporter_person", "INVOLVES_REPORTER", "Person"),
                Link("subject_person", "INVOLVES_SUBJECT", "Person"),
            ),
        ),
        NodeMapping("incident_actions", "IncidentAction",
                    (Link("incident", "FOLLOWED_BY", "Incident", outgoing=False),)),
        RelationshipMapping("blacklist", "LISTS", "lister", "Organization", "listed", "Organization", "Authority"),
        RelationshipMapping("communications", "COMMUNICATED", "a", "Organization", "b", "Organization"),
        RelationshipMapping("assessments", "ASSESSED", "assessor", "Organization", "subject", "Organization",
                            "Authority"),
    )
}

#: Labels of nodes that are no table's rows: outside parties (see :attr:`RelationshipMapping.start_outside`).
OUTSIDE_LABELS: frozenset[str] = frozenset(
    m.start_outside for m in GRAPH_MODEL.values() if isinstance(m, RelationshipMapping) and m.start_outside
)
NODE_LABELS: frozenset[str] = frozenset(
    [m.label for m in GRAPH_MODEL.values() if isinstance(m, NodeMapping)] + sorted(OUTSIDE_LABELS)
)
RELATIONSHIP_TYPES: frozenset[str] = frozenset(
    [m.type for m in GRAPH_MODEL.values() if isinstance(m, RelationshipMapping)]
    + [link.type for m in GRAPH_MODEL.values() if isinstance(m, NodeMapping) for link in m.links]
)

_SCORE_PROPS = [c for c in SCORE_COLUMNS if c != "id"]

# The driver logs retries and connection trouble as warnings; without a handler Python would print them
# on stderr (the "last resort" handler) around trustgraph's own one-line error. Applications that
# configure logging still receive them through the root logger.
logging.getLogger("neo4j").addHandler(logging.NullHandler())
_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _q(name: str) -> str:
    """A backtick-quoted identifier from the fixed model (``from`` and ``end`` are Cypher keywords)."""
    if not _NAME_RE.match(name):
        raise ValueError(f"not an identifier of the graph model: {name!r}")
    return f"`{name}`"


def _found_ids(tx: ManagedTransaction, table: str, ids: list[str]) -> list[str]:
    """Those of ``ids`` that ``table`` (keyed by id) holds, by seeks on its ``id`` constraint."""
    m = GRAPH_MODEL[table]
    if isinstance(m, NodeMapping):
        statement = f"MATCH (n:{_label(m.label)}) WHERE n.id IN $ids RETURN collect(n.id) AS found"
    else:
        statement = f"MATCH ()-[r:{_type(m.type)}]->() WHERE r.id IN $ids RETURN collect(r.id) AS found"
    record = tx.run(statement, ids=ids).single()
    return list(record["found"]) if record is not None else []


def _refuse_stored_ids(tx: ManagedTransaction, table: str, ids: list[str]) -> None:
    """Raise InvalidDataError when ``table`` already holds one of ``ids`` (inside the write transaction)."""
    found = _found_ids(tx, table, ids)
    if found:
        raise InvalidDataError(f"{table} already holds id {found[0]!r}; nothing was written")


def _label(name: str) -> str:
    if name not in NODE_LABELS:
        raise ValueError(f"{name!r} is not a trustgraph node label")
    return _q(name)


def _type(name: str) -> str:
    if name not in RELATIONSHIP_TYPES:
        raise ValueError(f"{name!r} is not a trustgraph relationship type")
    return _q(name)


def _arrow(rel: str, link: Link, var: str = "") -> str:
    """``-[var:TYPE]->`` or ``<-[var:TYPE]-`` as seen from the node that holds the link column."""
    inner = f"[{var}:{_type(rel)}]"
    return f"-{inner}->" if link.outgoing else f"<-{inner}-"


# -- Cypher, generated once from the allow-list above (values are always $parameters) ---------------


@dataclass(frozen=True)
class _Statements:
    upsert: str
    create: str | None  # rows known to be new (no stored row has their key): CREATE, no MERGE look-up
    moved: str | None  # relationships keyed by id: delete those whose endpoints changed
    links: dict[str, str]  # link column -> statement
    read: str  # returns one record: rows as a list of lists in the model's column order
    paged: bool  # read takes $after and $page (tables keyed by id, read in id order)
    count: str
    ids: str | None
    columns: tuple[str, ...]  # the row's expressions over ``n`` (nodes) or ``a, r, b`` (relationships)
    # ``create`` with the endpoints' element ids in row[1] and row[2] (relationships between table nodes)
    create_by_element: str | None = None

    @property
    def rows(self) -> str:
        """``RETURN collect([...]) AS rows``: the rows bound to ``n`` or ``a, r, b``, in the model's order."""
        return "RETURN collect([" + ", ".join(self.columns) + "]) AS rows"


#: Rows per page when a table is read. Rows come back as one list of lists per page: the driver
#: decodes that about twice as fast as one record per row, and a page bounds the server's memory.
READ_PAGE_ROWS = 50_000


def _read_statement(match: str, variables: str, columns: list[str], id_expr: str | None) -> str:
    """A read of a table; keyed by id it is paged in id order (an index range seek, no sort)."""
    rows = "RETURN collect([" + ", ".join(columns) + "]) AS rows"
    if id_expr is None:
        return f"{match} {rows}"
    return f"{match} WHERE {id_expr} > $after WITH {variables} ORDER BY {id_expr} LIMIT $page {rows}"


def _sets(var: str, names: list[str], first: int) -> str:
    """``var += {p: row[i], ...}``.

    Rows travel as lists, which the driver packs and the server unpacks about twice as fast as maps;
    one map update is cheaper than one SET per property, and a null value removes the property (so an
    update that empties a column behaves like SQLite's).
    """
    return f"{var} += {{" + ", ".join(f"{_q(p)}: row[{first + i}]" for i, p in enumerate(names)) + "}"


def _created(names: list[str], first: int, key: bool) -> str:
    """``{id: row[0], p: row[i], ...}``: the properties of a created node or relationship, set with it
    (a null value sets no property; one property record written once, not created and then updated)."""
    pairs = (["id: row[0]"] if key else []) + [f"{_q(p)}: row[{first + i}]" for i, p in enumerate(names)]
    return "{" + ", ".join(pairs) + "}" if pairs else ""


def _node_statements(m: NodeMapping) -> _Statements:
    # rows: [id, *properties other than id]
    label = _label(m.label)
    props = [p for p in m.properties if p != "id"]
    upsert = f"UNWIND $rows AS row MERGE (n:{label} {{id: row[0]}})"
    create = f"UNWIND $rows AS row CREATE (n:{label} {_created(props, 1, True)})"
    if props:
        upsert += " SET " + _sets("n", props, 1)
    links: dict[str, str] = {}
    for link in m.links:
        # rows: [id, target id or null]
        other = _label(link.label)
        links[link.column] = (
            "UNWIND $rows AS row "
            f"MATCH (n:{label} {{id: row[0]}}) "
            f"OPTIONAL MATCH (t:{other} {{id: row[1]}}) "
            # drop a link that points elsewhere (an update), then merge the current one
            f"CALL {{ WITH n, t MATCH (n){_arrow(link.type, link, 'old')}(x:{other}) "
            "WHERE t IS NULL OR x <> t DELETE old } "
            f"FOREACH (_ IN CASE WHEN t IS NULL THEN [] ELSE [1] END | MERGE (n){_arrow(link.type, link)}(t)) "
            "RETURN count(CASE WHEN row[1] IS NOT NULL AND t IS NULL THEN 1 END) AS missing"
        )
    linked = {link.column: link for link in m.links}
    cols = []
    for name in TABLES[m.table].column_names:
        if name in linked:
            link = linked[name]
            cols.append(f"head([(n){_arrow(link.type, link)}(x:{_label(link.label)}) | x.id])")
        else:
            cols.append(f"n.{_q(name)}")
    read = _read_statement(f"MATCH (n:{label})", "n", cols, "n.id")
    return _Statements(upsert, create, None, links, read, True, f"MATCH (n:{label}) RETURN count(n) AS n",
                       f"MATCH (n:{label}) RETURN collect(n.id) AS ids", tuple(cols))


def _relationship_statements(m: RelationshipMapping) -> _Statements:
    # rows: [key or null, start id, end id, *properties other than id]
    rel, start, end = _type(m.type), _label(m.start_label), _label(m.end_label)
    props = [p for p in m.properties if not (m.by_id and p == "id")]
    match = f"UNWIND $rows AS row MATCH (a:{start} {{id: row[1]}}) MATCH (b:{end} {{id: row[2]}}) "
    start_node = f"(x:{start})"
    if m.start_outside:
        # a start that is no organisation is an outside party's node, merged when first needed
        outside = _label(m.start_outside)
        match = (f"UNWIND $rows AS row MATCH (b:{end} {{id: row[2]}}) OPTIONAL MATCH (o:{start} {{id: row[1]}}) "
                 f"FOREACH (_ IN CASE WHEN o IS NULL THEN [1] ELSE [] END | MERGE (:{outside} {{id: row[1]}})) "
                 f"WITH row, b, o OPTIONAL MATCH (w:{outside} {{id: row[1]}}) WITH row, b, coalesce(o, w) AS a ")
        start_node = "(x)"
    # rows known to be new are created; their endpoints are organisations etc. matched by id (an
    # outside start may need its node merged: those tables keep the MERGE)
    created = f"CREATE (a)-[r:{rel} {_created(props, 3, m.by_id)}]->(b) RETURN count(*) AS written"
    create: str | None = None if m.start_outside else match + created
    # the same with the endpoints found by their element ids (read once per load): a node-by-id seek
    # and a label check instead of two locking index seeks per row
    by_element = None if m.start_outside else (
        f"UNWIND $rows AS row MATCH (a:{start}) WHERE elementId(a) = row[1] "
        f"MATCH (b:{end}) WHERE elementId(b) = row[2] " + created)
    if m.by_id:
        upsert = match + f"MERGE (a)-[r:{rel} {{id: row[0]}}]->(b)"
        # an update may move a relationship to other endpoints: drop the old one first (also when an
        # outside party of that name has since become an organisation)
        became = (f" OR (x:{_label(m.start_outside)} AND EXISTS {{ MATCH (:{start} {{id: row[1]}}) }})"
                  if m.start_outside else "")
        moved: str | None = (
            f"UNWIND $rows AS row MATCH {start_node}-[old:{rel} {{id: row[0]}}]->(y:{end}) "
            f"WHERE x.id <> row[1] OR y.id <> row[2]{became} DELETE old"
        )
    else:
        upsert = match + f"MERGE (a)-[r:{rel}]->(b)"
        moved = None
    if props:
        upsert += " SET " + _sets("r", props, 3)
    upsert += " RETURN count(*) AS written"
    cols = []
    for name in TABLES[m.table].column_names:
        if name == m.start:
            cols.append("a.id")
        elif name == m.end:
            cols.append("b.id")
        else:
            cols.append(f"r.{_q(name)}")
    first = "(a)" if m.start_outside else f"(a:{start})"  # only trustgraph writes these types
    read = _read_statement(f"MATCH {first}-[r:{rel}]->(b:{end})", "a, r, b", cols, "r.id" if m.by_id else None)
    # The count store answers a count by type alone in constant time; only trustgraph writes these types.
    count = f"MATCH ()-[r:{rel}]->() RETURN count(r) AS n"
    ids = f"MATCH ()-[r:{rel}]->() RETURN collect(r.id) AS ids" if m.by_id else None
    return _Statements(upsert, create, moved, {}, read, m.by_id, count, ids, tuple(cols), by_element)


_STATEMENTS: dict[str, _Statements] = {
    name: _node_statements(m) if isinstance(m, NodeMapping) else _relationship_statements(m)
    for name, m in GRAPH_MODEL.items()
}

#: Per relationship table keyed by id: (create its ``id`` uniqueness constraint, drop it). A first
#: load of such a table drops it while its CREATE batches run and creates it again before the load
#: ends (see :meth:`Neo4jStore.load`).
_RELATIONSHIP_ID_CONSTRAINTS: dict[str, tuple[str, str]] = {
    m.table: (
        f"CREATE CONSTRAINT {_q('trustgraph_' + m.type.lower() + '_id')} IF NOT EXISTS "
        f"FOR ()-[r:{_type(m.type)}]-() REQUIRE r.id IS UNIQUE",
        f"DROP CONSTRAINT {_q('trustgraph_' + m.type.lower() + '_id')} IF EXISTS",
    )
    for m in GRAPH_MODEL.values()
    if isinstance(m, RelationshipMapping) and m.by_id
}

_CONSTRAINTS: tuple[str, ...] = tuple(
    [
        f"CREATE CONSTRAINT {_q('trustgraph_' + label.lower() + '_id')} IF NOT EXISTS "
        f"FOR (n:{_label(label)}) REQUIRE n.id IS UNIQUE"
        for label in [m.label for m in GRAPH_MODEL.values() if isinstance(m, NodeMapping)] + sorted(OUTSIDE_LABELS)
    ]
    + [create for create, _ in _RELATIONSHIP_ID_CONSTRAINTS.values()]
)

#: Every node of a label: its id and element id (``{label}`` is an allow-listed label).
_ELEMENT_IDS = "MATCH (n:{label}) RETURN collect(n.id) AS ids, collect(elementId(n)) AS elements"
_LABEL_COUNT = "MATCH (n:{label}) RETURN count(n)"

_MISSING_IDS: dict[str, str] = {
    label: f"UNWIND $ids AS id OPTIONAL MATCH (n:{_label(label)} {{id: id}}) WITH id, n WHERE n IS NULL "
    "RETURN count(id) AS n, collect(id)[..5] AS examples"
    for label in sorted(NODE_LABELS)
}

_ORG = _label("Organization")
_ANY_SCORE = " OR ".join(f"o.{_q(p)} IS NOT NULL" for p in _SCORE_PROPS)
_CLEAR_SCORES = f"MATCH (o:{_ORG}) WHERE {_ANY_SCORE} REMOVE " + ", ".join(f"o.{_q(p)}" for p in _SCORE_PROPS)
_SET_SCORES = (
    f"UNWIND $rows AS row MATCH (o:{_ORG} {{id: row[0]}}) SET " + _sets("o", _SCORE_PROPS, 1)
    + " RETURN count(*) AS written"
)
_READ_SCORES = (
    f"MATCH (o:{_ORG}) WHERE {_ANY_SCORE} RETURN o.id AS id, "
    + ", ".join(f"o.{_q(p)} AS {_q(p)}" for p in _SCORE_PROPS)
    + " ORDER BY o.id"
)


# -- the store's version node ------------------------------------------------------------------------

#: The label of the one node that holds the store's identity and data version (not a table).
META_LABEL = "TrustgraphMeta"
_META = _q(META_LABEL)
_META_KEY = "store"  # the ``key`` of the version node (a $parameter, like every value)
_META_CONSTRAINT = (
    f"CREATE CONSTRAINT {_q('trustgraph_meta_key')} IF NOT EXISTS FOR (m:{_META}) REQUIRE m.key IS UNIQUE"
)
_META_MERGE = f"MERGE (m:{_META} {{key: $key}}) ON CREATE SET m.store_id = randomUUID(), m.version = 0 "
#: Count one more write, inside the writer's transaction (the node's write lock orders concurrent writers).
_BUMP = _META_MERGE + "SET m.version = m.version + 1"
_VERSION = (f"MATCH (m:{_META} {{key: $key}}) "
            "RETURN m.store_id AS id, m.version AS n, coalesce(m.loading, []) AS loading")
_CREATE_META = _META_MERGE + "RETURN m.store_id AS id, m.version AS n, [] AS loading"

# Unfinished loads: ``m.loading`` lists one entry "<load id> <started> <rows>" per load that commits in
# several transactions, set in its first transaction and removed in its last (see Neo4jStore.load).
_LOADING = f"OPTIONAL MATCH (m:{_META} {{key: $key}}) RETURN coalesce(m.loading, []) AS loading"
_WITHOUT_LOAD = "[x IN coalesce(m.loading, []) WHERE split(x, ' ')[0] <> $load]"
_BEGIN_LOAD = _META_MERGE + f"SET m.loading = {_WITHOUT_LOAD} + [$entry]"
_END_LOAD = (_META_MERGE + f"WITH m, {_WITHOUT_LOAD} AS rest "
             "SET m.loading = CASE WHEN size(rest) = 0 THEN null ELSE rest END")
_FORGET_LOADS = f"MATCH (m:{_META} {{key: $key}}) REMOVE m.loading"


def _bump(tx: ManagedTransaction) -> None:
    """Count one more write in ``tx`` (see :meth:`Neo4jStore.version`)."""
    tx.run(_BUMP, key=_META_KEY).consume()


#: Deletions of at most $limit relationships / nodes: trustgraph's types and labels only (load --replace),
#: or everything but the version node (:meth:`Neo4jStore.clear`).
_DELETE = {
    True: ("MATCH ()-[r]->() WHERE type(r) IN $types WITH r LIMIT $limit DELETE r RETURN count(*) AS n",
           "MATCH (n) WHERE any(label IN labels(n) WHERE label IN $labels) WITH n LIMIT $limit "
           "DETACH DELETE n RETURN count(*) AS n"),
    False: ("MATCH ()-[r]->() WITH r LIMIT $limit DELETE r RETURN count(*) AS n",
            f"MATCH (n) WHERE NOT n:{_META} WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS n"),
}


def _delete_everything(tx: ManagedTransaction, limit: int | None, ours: bool = True) -> int:
    """Delete relationships, then nodes — trustgraph's (``ours``: its types and labels only, other data
    in the database is left alone) or all but the version node —: all of them, or at most ``limit``
    in all (relationships first, so that no transaction deletes a hub's thousands of them at once
    with the hub); return how many went."""
    cap = limit if limit is not None else 2**62
    relationships, nodes = _DELETE[ours]
    params: dict[str, Any] = {"types": sorted(RELATIONSHIP_TYPES), "labels": sorted(NODE_LABELS)}
    gone = int(tx.run(relationships, {**params, "limit": cap}).single(strict=True)["n"])
    if gone < cap:
        gone += int(tx.run(nodes, {**params, "limit": cap - gone}).single(strict=True)["n"])
    return gone


def _load_id(frames: Mapping[str, pd.DataFrame]) -> str:
    """A fingerprint of a load's rows: the same data gives the same id, so that a rerun of an
    interrupted load is recognised as that load (and clears its marker)."""
    digest = hashlib.sha256()
    for name, frame in frames.items():
        digest.update(f"{name}:{len(frame)};".encode())
        hashed = pd.util.hash_pandas_object(frame[TABLES[name].column_names], index=False)
        digest.update(hashed.to_numpy().tobytes())
    return digest.hexdigest()[:16]


def _unfinished(where: str, loading: list[str]) -> UnfinishedLoadError:
    """The refusal of a read while a load that commits in several transactions has not finished."""
    load, started, rows = (str(loading[0]).split(" ") + ["?", "?"])[:3]
    more = f" (and {len(loading) - 1} more)" if len(loading) > 1 else ""
    size = f"{int(rows):,} rows" if rows.isdigit() else "rows"
    return UnfinishedLoadError(
        f"{where} holds an unfinished load: load {load} of {size}, started {started}{more}, has not finished "
        "(it is still running, or it was interrupted) and its rows are only partly written, so trustgraph "
        "will not read the database as the truth. When it is not running, rerun the same load "
        "(`trustgraph load` or `import` of the same data; loads are idempotent) to complete it, or, to keep "
        f"the data as it is, run in Cypher: MATCH (m:{META_LABEL} {{key: '{_META_KEY}'}}) REMOVE m.loading"
    )


# -- about: the rows that concern a few parties, by indexed lookups ----------------------------------


def _about_statements() -> dict[str, str]:
    """Per table, one read of the rows that concern the organisations ``$ids`` (the rule of
    :meth:`Neo4jStore.about`, the same rows as SQLite's). Every statement starts from the parties'
    nodes (a seek on the ``id`` constraint) and walks their relationships; node rows are bound to
    ``n``, relationship rows to ``r`` (then ``a, r, b``)."""
    org, person, ship = _label("Organization"), _label("Person"), _label("Partnership")
    incident, action = _label("Incident"), _label("IncidentAction")
    works, member, holds, knows = _type("WORKS_AT"), _type("MEMBER_OF"), _type("HOLDS"), _type("KNOWS")
    previous, reported, blames = _type("PREVIOUS_POSITION"), _type("REPORTED"), _type("BLAMES")
    followed = _type("FOLLOWED_BY")
    parties = f"UNWIND $ids AS id MATCH (o:{org} {{id: id}}) "
    staff = parties + f"MATCH (o)<-[:{works}]-(s:{person}) "
    ships = parties + f"MATCH (o)-[:{member}]->(p:{ship}) WITH DISTINCT p "
    incidents = parties + f"MATCH (o)-[:{reported}|{blames}]-(i:{incident}) WITH DISTINCT i "
    ends = "WITH DISTINCT r WITH startNode(r) AS a, r, endNode(r) AS b "

    def touching(rel: str, other: str = f":{org}") -> str:  # relationships with a party at either end
        return parties + f"MATCH (o)-[r:{_type(rel)}]-({other}) " + ends

    matches = {
        "organizations": parties + "WITH DISTINCT o AS n ",
        # their staff, and the people linked to the staff by a previous position or a personal tie
        "people": staff + f"OPTIONAL MATCH (s)-[:{previous}|{knows}]-(x:{person}) "
                  "WITH collect(s) + collect(x) AS found UNWIND found AS n WITH DISTINCT n ",
        "partnerships": ships + "WITH p AS n ",
        "partnership_members": ships + f"MATCH (p)<-[r:{member}]-(:{org}) " + ends,
        "referrals": touching("REFERS"),
        "relationship_holders": ships + f"MATCH (p)<-[r:{holds}]-(:{person}) " + ends,
        "personal_ties": staff + f"MATCH (s)-[r:{knows}]-(:{person}) " + ends,
        "incidents": incidents + "WITH i AS n ",
        "incident_actions": incidents + f"MATCH (i)-[:{followed}]->(n:{action}) WITH DISTINCT n ",
        "blacklist": touching("LISTS", ""),  # the lister may be an outside authority
        "communications": touching("COMMUNICATED"),
        "assessments": touching("ASSESSED", ""),  # the assessor may be an outside party
    }
    return {name: matches[name] + _STATEMENTS[name].rows for name in TABLE_ORDER}


def _between_statements() -> dict[str, str]:
    """For ``about(…, between=True)``: the referrals and communications *between* two of the
    organisations ``$ids`` (both ends among them); other tables are read as :data:`_ABOUT` reads them."""
    org = _label("Organization")
    parties = f"UNWIND $ids AS id MATCH (o:{org} {{id: id}}) "
    ends = "WITH DISTINCT r WITH startNode(r) AS a, r, endNode(r) AS b "

    def among(rel: str) -> str:
        return parties + f"MATCH (o)-[r:{_type(rel)}]-(x:{org}) WHERE x.id IN $ids " + ends

    return {"referrals": among("REFERS") + _STATEMENTS["referrals"].rows,
            "communications": among("COMMUNICATED") + _STATEMENTS["communications"].rows}


_ABOUT: dict[str, str] = _about_statements()
_ABOUT_BETWEEN: dict[str, str] = {**_ABOUT, **_between_statements()}


# -- values ---------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A Python value from a frame cell: numpy scalars unwrapped, NaN/NaT as None."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if value is pd.NaT:
        return None
    return value


def _to_graph(value: Any, column_type: str) -> Any:
    """The property value for a canonical value, coerced like SQLite's column affinity would."""
    value = _plain(value)
    if value is None:
        return None
    if column_type == "int":
        return int(value)
    if column_type == "float":
        return float(value)
    if column_type == "bool":
        return bool(value)
    if column_type == "tags":
        tags = [t for t in str(value).split(";") if t]
        return tags or None
    return str(value)


def _graph_values(values: Any, column_type: str) -> list[Any]:
    """``[_to_graph(v, column_type) for v in values]``, column at a time for text and numbers (a load's
    rows are built from millions of values: per value, this was most of the client's time)."""
    values = np.asarray(values, dtype=object)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if column_type == "str" and inferred in ("string", "empty"):
        out = values.tolist()
    elif column_type == "float" and inferred in ("floating", "integer", "mixed-integer-float", "empty"):
        try:
            out = values.astype(float).astype(object).tolist()
        except (TypeError, ValueError):  # pd.NA and other missing markers numpy cannot convert
            return [_to_graph(v, column_type) for v in values]
    else:
        return [_to_graph(v, column_type) for v in values]
    missing = pd.isna(values)
    if missing.any():
        for i in np.flatnonzero(missing).tolist():
            out[i] = None
    return out


def _graph_rows(columns: list[Any], kinds: list[str]) -> list[list[Any]]:
    """Rows (lists) of graph values from columns of frame values, each converted as its kind."""
    return [list(row) for row in zip(*(_graph_values(c, k) for c, k in zip(columns, kinds)))]


def _from_graph(value: Any, column_type: str) -> Any:
    if column_type == "tags" and isinstance(value, list):
        return ";".join(str(v) for v in value) or None
    return value


#: Bolt URI schemes (the driver's HTTP preview is not a store trustgraph supports).
_SCHEMES = ("bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc")
_EXPECTED = "expected bolt://host:7687, neo4j://host:7687 or, for Aura, neo4j+s://xxxxxxxx.databases.neo4j.io"


def _check_uri(uri: str) -> None:
    """Refuse a URI that is not Bolt, or that carries credentials (they would end up in messages)."""
    safe = safe_uri(uri)
    if has_credentials(uri):  # before parsing: a password with '/', '#' or '?' would be parsed as the host
        raise ConfigurationError(
            f"{safe!r}: give the credentials with NEO4J_USERNAME / NEO4J_PASSWORD (or --neo4j-user / "
            "--neo4j-password), not inside the URI"
        )
    try:
        parts = urlsplit(uri)
        port = parts.port  # out of range or not a number: ValueError
    except ValueError as err:
        raise ConfigurationError(f"{safe!r} is not a Neo4j URI ({err}): {_EXPECTED}") from err
    if parts.scheme not in _SCHEMES or not parts.netloc or port == 0:
        raise ConfigurationError(f"{safe!r} is not a Neo4j URI: {_EXPECTED}")


def _scrubbed(text: str, secrets: Iterable[tuple[str, str]]) -> str:
    """``text`` with every one of ``secrets`` (the raw URI, the password) replaced: a driver's own
    message may repeat what it was given."""
    for secret, shown in secrets:
        if secret:
            text = text.replace(secret, shown)
    return text


def _first_value(tx: ManagedTransaction, statement: str) -> Any:
    """The first value of a one-record read (results are consumed inside the transaction)."""
    return tx.run(statement).single(strict=True)[0]


def _read_rows(tx: ManagedTransaction, statements: _Statements, id_column: int) -> list[list[Any]]:
    """Every row of a table, page by page in id order when the table is keyed by id."""
    if not statements.paged:
        return list(tx.run(statements.read).single(strict=True)["rows"])
    out: list[list[Any]] = []
    after = ""  # ids are never empty (see Neo4jStore._check_required)
    while True:
        rows = tx.run(statements.read, after=after, page=READ_PAGE_ROWS).single(strict=True)["rows"]
        out.extend(rows)
        if len(rows) < READ_PAGE_ROWS:
            return out
        after = rows[-1][id_column]


def _frame(name: str, rows: list[list[Any]]) -> pd.DataFrame:
    """The canonical frame of table ``name`` from rows read in the model's column order."""
    table = TABLES[name]
    names = table.column_names
    types = [c.type for c in table.columns]
    if rows:
        columns = list(zip(*rows))
        data = {
            n: [_from_graph(v, "tags") for v in columns[j]] if types[j] == "tags" else list(columns[j])
            for j, n in enumerate(names)
        }
        frame = pd.DataFrame({n: pd.Series(v, dtype=object) for n, v in data.items()})
    else:
        frame = pd.DataFrame({n: pd.Series([], dtype=object) for n in names})
    return sort_frame(name, frame)


# -- the store ------------------------------------------------------------------------------------


@dataclass
class _Unit:
    """One ``UNWIND $rows`` statement over a slice of one table."""

    table: str
    statement: str
    rows: list[list[Any]]
    check: str  # "none" | "written" | "missing"
    refs: tuple[tuple[str, str, list[Any]], ...] = ()  # (column, label, ids) to name missing references


class Neo4jStore:
    """A :class:`~trustgraph.store.base.Store` in a Neo4j 5 database (see the module docs for the graph).

    Parameters
    ----------
    uri : str
        Bolt URI, e.g. ``bolt://localhost:7687``, ``neo4j+s://xxxx.databases.neo4j.io``.
    username, password : str
        Credentials. The password is kept by the driver only; it never appears in a message or repr.
    database : str
        The database every session uses (default ``neo4j``).
    batch_rows : int
        Rows per ``UNWIND $rows`` statement.
    transaction_rows : int
        Loads of at most this many rows run in one transaction; larger loads commit per batch (see
        the module docs).
    load_workers : int
        Batches of such a load in flight at once, each in its own session and transaction.
    driver_config : mapping, optional
        Extra keyword arguments for :func:`neo4j.GraphDatabase.driver` (timeouts, retry time).

    Raises
    ------
    StoreUnavailableError
        When the server cannot be reached, refuses the credentials, or has no such database.
    ConfigurationError
        When the URI is not a Neo4j URI.
    """

    kind = "neo4j"

    def __init__(
        self,
        uri: str,
        *,
        username: str = "neo4j",
        password: str = "",
        database: str = "neo4j",
        batch_rows: int = DEFAULT_BATCH_ROWS,
        transaction_rows: int = DEFAULT_TRANSACTION_ROWS,
        load_workers: int = DEFAULT_LOAD_WORKERS,
        driver_config: Mapping[str, Any] | None = None,
    ) -> None:
        if str(database).strip().lower() == "system":
            raise ConfigurationError("the database 'system' holds Neo4j's own settings, not data: give a user "
                                     "database with NEO4J_DATABASE or --neo4j-database (default neo4j)")
        self.uri = safe_uri(uri)
        self._raw_uri = uri  # only to scrub it from the driver's messages
        self.username = username
        self.database = database
        self.batch_rows = max(1, int(batch_rows))
        self.transaction_rows = int(transaction_rows)
        self.load_workers = max(1, int(load_workers))
        self._schema_ready = False
        self._lost = False  # the server was unreachable in the last transaction (see _reachable)
        config: dict[str, Any] = {
            "user_agent": f"trustgraph/{__version__}",
            "notifications_min_severity": neo4j.NotificationMinimumSeverity.OFF,
            "connection_timeout": 15.0,
            # How long a transaction is retried when the server is unreachable (the driver's default
            # is 30 s; ours gives up 12-18 s after the first attempt, see RETRY_SECONDS): long enough
            # for a restart (the local server's takes about 7 s), and shorter than the service's
            # request timeout (30 s), so that a lost server is answered as such (503, store
            # unavailable) rather than as a slow request.
            "max_transaction_retry_time": RETRY_SECONDS,
        }
        config.update(driver_config or {})
        _check_uri(uri)
        try:
            self._driver = GraphDatabase.driver(uri, auth=(username, password), **config)
        except (ValueError, nx_err.ConfigurationError) as err:
            reason = _scrubbed(str(err), [(uri, self.uri), (password, "***")])
            raise ConfigurationError(f"{self.uri!r} is not a usable Neo4j URI: {reason}") from err
        try:
            with self._errors("connection"):
                # verify_connectivity fails fast (no retries) when the server is down or refuses the login;
                # the read then proves that the database exists.
                self._driver.verify_connectivity()
                self._read(lambda tx: tx.run("RETURN 1 AS ok").consume())
        except BaseException:
            self._driver.close()
            raise

    # -- plumbing --------------------------------------------------------------------------------

    @property
    def where(self) -> str:
        return f"Neo4j at {self.uri}"

    @contextmanager
    def _errors(self, doing: str) -> Iterator[None]:
        """Translate driver errors into trustgraph errors (the cause chained, no credentials shown).

        ``doing`` names the operation as a noun: ``connection``, ``load``, ``read``, ``query``, ...
        """
        try:
            yield
        except nx_err.AuthError as err:
            raise StoreUnavailableError(
                f"{self.where} refused the credentials for user {self.username!r} "
                "(check NEO4J_USERNAME / NEO4J_PASSWORD)"
            ) from err
        except (nx_err.ServiceUnavailable, nx_err.SessionExpired) as err:
            self._lost = True
            if doing == "connection":
                msg = f"cannot reach {self.where} (is the server running? check NEO4J_URI)"
            else:
                msg = (
                    f"lost the connection to {self.where} during the {doing}; the transaction in progress "
                    "was not committed. Rerun the command when the server is back (loads are idempotent)"
                )
            raise StoreUnavailableError(msg) from err
        except nx_err.Neo4jError as err:
            code = err.code or ""
            if code == "Neo.ClientError.Database.DatabaseNotFound":
                raise StoreUnavailableError(
                    f"{self.where} has no database {self.database!r} (check NEO4J_DATABASE)"
                ) from err
            if code.startswith("Neo.ClientError.Security."):
                raise StoreUnavailableError(f"{self.where} refused user {self.username!r}: {err.message}") from err
            if code == "Neo.TransientError.General.MemoryPoolOutOfMemoryError":
                raise TrustgraphError(
                    f"{self.where} ran out of transaction memory during the {doing}, nothing of the transaction "
                    "was written; give the server more heap (dbms.memory.transaction.total.max) or load in "
                    "smaller parts"
                ) from err
            if isinstance(err, nx_err.DatabaseUnavailable) or code.startswith("Neo.TransientError.General.Database"):
                raise StoreUnavailableError(f"database {self.database!r} of {self.where} is unavailable") from err
            raise TrustgraphError(
                f"{self.where} refused the {doing}, nothing of its transaction was written: {err.message}"
            ) from err
        except nx_err.DriverError as err:
            reason = _scrubbed(str(err), [(self._raw_uri, self.uri)])
            raise StoreUnavailableError(f"{self.where} failed during the {doing}: {reason}") from err

    def _reachable(self) -> None:
        """After the server was lost, one connection attempt (no retries) before the next transaction:
        while the server is still down, the next question fails at once (ServiceUnavailable, reported
        by :meth:`_errors`) instead of retrying for another RETRY_SECONDS; once it is back, as before."""
        if self._lost:
            self._driver.verify_connectivity()
            self._lost = False

    def _read(self, work: Callable[..., Any], *args: Any) -> Any:
        self._reachable()
        with self._driver.session(database=self.database, default_access_mode=neo4j.READ_ACCESS,
                                  fetch_size=10_000) as session:
            return session.execute_read(work, *args)

    def _read_complete(self, work: Callable[..., Any], *args: Any) -> Any:
        """:meth:`_read`, refused while a load that commits in several transactions is unfinished (the
        check runs in the same read transaction as ``work``)."""

        def checked(tx: ManagedTransaction, *more: Any) -> Any:
            loading = list(tx.run(_LOADING, key=_META_KEY).single(strict=True)["loading"])
            if loading:
                raise _unfinished(self.where, loading)
            return work(tx, *more)

        return self._read(checked, *args)

    def _write(self, work: Callable[..., Any], *args: Any) -> Any:
        self._reachable()
        with self._driver.session(database=self.database) as session:
            return session.execute_write(work, *args)

    def _ensure_schema(self) -> None:
        if self._schema_ready:
            return

        def create(tx: ManagedTransaction) -> None:
            for statement in (*_CONSTRAINTS, _META_CONSTRAINT):
                tx.run(statement).consume()

        with self._errors("creation of the constraints"):
            self._write(create)
        self._schema_ready = True

    # -- writes ----------------------------------------------------------------------------------

    def _node_units(self, name: str, m: NodeMapping, frame: pd.DataFrame, statement: str) -> Iterator[_Unit]:
        types = {c.name: c.type for c in TABLES[name].columns}
        props = [p for p in m.properties if p != "id"]
        kinds = ["str"] + [types[p] for p in props]
        for lo in range(0, len(frame), self.batch_rows):
            part = frame.iloc[lo : lo + self.batch_rows]
            rows = _graph_rows([part[c].to_numpy(dtype=object) for c in ["id", *props]], kinds)
            yield _Unit(name, statement, rows, "none")

    def _link_units(self, name: str, m: NodeMapping, frame: pd.DataFrame) -> Iterator[_Unit]:
        for link in m.links:
            for lo in range(0, len(frame), self.batch_rows):
                part = frame.iloc[lo : lo + self.batch_rows]
                ids = [_to_graph(v, "str") for v in part["id"].to_numpy(dtype=object)]
                targets = [_to_graph(v, "str") for v in part[link.column].to_numpy(dtype=object)]
                rows = [[i, t] for i, t in zip(ids, targets)]
                yield _Unit(name, _STATEMENTS[name].links[link.column], rows, "missing",
                            ((link.column, link.label, targets),))

    def _relationship_units(self, name: str, m: RelationshipMapping, frame: pd.DataFrame,
                            moved: str | None, statement: str) -> Iterator[_Unit]:
        types = {c.name: c.type for c in TABLES[name].columns}
        props = [p for p in m.properties if not (m.by_id and p == "id")]
        kinds = ["str", "str", "str"] + [types[p] for p in props]
        for lo in range(0, len(frame), self.batch_rows):
            part = frame.iloc[lo : lo + self.batch_rows]
            keys: Any = part["id"].to_numpy(dtype=object) if m.by_id else [None] * len(part)
            cols = [keys, part[m.start].to_numpy(dtype=object), part[m.end].to_numpy(dtype=object)]
            cols += [part[p].to_numpy(dtype=object) for p in props]
            rows = _graph_rows(cols, kinds)
            if moved:
                yield _Unit(name, moved, [r[:3] for r in rows], "none")
            refs: tuple[tuple[str, str, list[Any]], ...] = ((m.end, m.end_label, [r[2] for r in rows]),)
            if not m.start_outside:  # an outside start is created, never missing
                refs = ((m.start, m.start_label, [r[1] for r in rows]), *refs)
            yield _Unit(name, statement, rows, "written", refs)

    def _split_new(self, name: str, frame: pd.DataFrame, existing: Mapping[str, int]
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``frame`` split into (rows known to be new, rows that may be stored already).

        A table with no stored row: every row is new. A table keyed by id: the stored ids are read
        first (one read), and the rows whose id is not among them are new. Rows known to be new are
        written with CREATE (no look-up of an existing row); the others with the idempotent MERGE. A
        rerun after an interruption reads the ids the committed batches wrote, so it stays exact.
        """
        key = list(TABLES[name].key)
        # a key given twice in one load (not one of trustgraph's validated datasets): MERGE keeps one
        maybe = frame.duplicated(subset=key, keep=False).to_numpy().copy()
        if existing.get(name):
            statements = _STATEMENTS[name]
            if key != ["id"] or statements.ids is None:
                return frame.iloc[:0], frame
            ids = frame["id"].astype(str)
            if len(frame) >= existing[name]:  # one read of every stored id
                stored = self._read(_first_value, statements.ids)
            else:  # a few rows into a large table (``record``): look their ids up in the index
                stored = []
                wanted = ids.tolist()
                for lo in range(0, len(wanted), READ_PAGE_ROWS):
                    stored += self._read(_found_ids, name, wanted[lo : lo + READ_PAGE_ROWS])
            maybe |= ids.isin(pd.Index(stored)).to_numpy()
        if not maybe.any():
            return frame, frame.iloc[:0]
        return frame[~maybe], frame[maybe]

    def _units(self, frames: Mapping[str, pd.DataFrame], existing: Mapping[str, int]) -> Iterator[_Unit]:
        """The statements of a load in dependency order: nodes, then their links, then relationships.

        ``existing`` holds the row counts before the load: rows that cannot be stored yet are created
        (see :meth:`_split_new`), and a table with no rows cannot hold a relationship that an update
        must move, so that check is skipped.
        """
        nodes = [(n, m) for n, m in GRAPH_MODEL.items() if n in frames and isinstance(m, NodeMapping)]
        for name, node in nodes:
            statements = _STATEMENTS[name]
            new, old = self._split_new(name, frames[name], existing) if statements.create else (
                frames[name].iloc[:0], frames[name])
            if len(new):
                yield from self._node_units(name, node, new, statements.create or statements.upsert)
            if len(old):
                yield from self._node_units(name, node, old, statements.upsert)
        for name, node in nodes:
            yield from self._link_units(name, node, frames[name])
        for name, rel in GRAPH_MODEL.items():
            if name in frames and isinstance(rel, RelationshipMapping):
                statements = _STATEMENTS[name]
                new, old = self._split_new(name, frames[name], existing) if statements.create else (
                    frames[name].iloc[:0], frames[name])
                if len(new):
                    yield from self._relationship_units(name, rel, new, None, statements.create or statements.upsert)
                if len(old):
                    moved = statements.moved if existing.get(name) else None
                    yield from self._relationship_units(name, rel, old, moved, statements.upsert)

    def _run_unit(self, tx: ManagedTransaction, unit: _Unit, atomic: bool) -> None:
        result = tx.run(unit.statement, rows=unit.rows)
        if unit.check == "none":
            result.consume()
            return
        record = result.single()
        if record is None:
            return
        short = int(record["missing"]) if unit.check == "missing" else len(unit.rows) - int(record["written"])
        if short <= 0:
            return
        details = []
        for column, label, ids in unit.refs:
            wanted = sorted({i for i in ids if i is not None})
            found = tx.run(_MISSING_IDS[label], ids=wanted).single()
            if found is not None and found["n"]:
                more = f" and {found['n'] - len(found['examples'])} more" if found["n"] > len(found["examples"]) else ""
                details.append(f"{column} {', '.join(map(repr, found['examples']))}{more}")
        outcome = "nothing was written" if atomic else "this batch was not written (earlier batches were)"
        raise TrustgraphError(
            f"{self.where} refused the write, {outcome}: {short} row(s) of {unit.table} refer to "
            f"ids that are not in the store ({'; '.join(details) or 'unknown ids'})"
        )

    @staticmethod
    def _check_required(frames: Mapping[str, pd.DataFrame]) -> None:
        """Refuse rows without a key or a required value (SQLite's NOT NULL)."""
        for name, frame in frames.items():
            table = TABLES[name]
            missing = [c for c in table.column_names if c not in frame.columns]
            if missing:
                raise TrustgraphError(f"cannot load {name}: the frame lacks column(s) {', '.join(missing)}")
            for col in table.columns:
                if not (col.required or col.name in table.key):
                    continue
                values = frame[col.name].to_numpy(dtype=object)
                empty = pd.isna(values)
                if col.name in table.key:
                    empty |= values == ""
                if empty.any():
                    raise TrustgraphError(
                        f"Neo4j refused the write, nothing was written: {name}.{col.name} is required but "
                        f"{int(empty.sum())} row(s) have no value"
                    )

    def load(
        self,
        tables: Mapping[str, pd.DataFrame],
        *,
        progress: Callable[[int], object] | None = None,
        insert_only: Iterable[str] = (),
        replace: bool = False,
    ) -> dict[str, int]:
        """Upsert canonical frames; see :meth:`Store.load` and the module docs on transactions.

        Tables named in ``insert_only`` (id-keyed tables of a load that fits one transaction, as
        ``record`` writes) must not hold any of the rows' ids yet: checked inside the write
        transaction, which fails with :class:`InvalidDataError` (nothing written) when one does.

        With ``replace`` every trustgraph node and relationship (and so the stored scores) is deleted
        first — nothing else in the database. When the stored rows and the new ones fit one
        transaction, the deletion and the load are that transaction; else the deletion runs in
        transactions of ``batch_rows`` under the load's mark (readers refuse the database until the
        load's last batch has committed; rerunning the same replacing load finishes it).

        Raises
        ------
        TrustgraphError
            When a row lacks a required value or refers to an id that is not in the store (nothing
            of the transaction is written).
        StoreUnavailableError
            When the connection is lost (rerunning the same load completes it without duplicates).
        """
        frames = {n: tables[n] for n in TABLE_ORDER if n in tables}
        self._check_required(frames)
        total = sum(len(f) for f in frames.values())
        written = {n: len(f) for n, f in frames.items()}
        if not total and not replace:
            return written
        self._ensure_schema()
        existing = self.counts()
        stored = sum(existing.values()) if replace else 0
        if replace:  # what is written next goes into an empty store
            existing = dict.fromkeys(existing, 0)
        tick = progress or (lambda n: None)
        with self._errors("load"):
            if total + stored <= self.transaction_rows:
                all_units = list(self._units(frames, existing))

                def everything(tx: ManagedTransaction) -> None:
                    if replace:  # and the mark of this replacing load, if an earlier run was interrupted
                        _delete_everything(tx, None)
                        tx.run(_END_LOAD, key=_META_KEY, load=_load_id(frames) + "-replace").consume()
                    for name in insert_only:
                        if name in frames and TABLES[name].key == ("id",):
                            _refuse_stored_ids(tx, name, [str(v) for v in frames[name]["id"].tolist()])
                    for unit in all_units:
                        self._run_unit(tx, unit, True)
                    _bump(tx)

                self._write(everything)
                tick(total)
            else:
                load = _load_id(frames) + ("-replace" if replace else "")
                started = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                if replace:
                    self._delete_marked(load, f"{load} {started} {total}")

                def one(tx: ManagedTransaction, unit: _Unit, first: bool, last: bool) -> None:
                    if first:  # readers refuse the database until the last batch has committed
                        tx.run(_BEGIN_LOAD, key=_META_KEY, load=load, entry=f"{load} {started} {total}").consume()
                    self._run_unit(tx, unit, False)
                    if last:
                        tx.run(_END_LOAD, key=_META_KEY, load=load).consume()
                    _bump(tx)  # every committed batch is a new version

                # a relationship type with no stored row is written by CREATE batches alone: its id
                # constraint is dropped while they run and built again in one pass over the rows before
                # the last batch (which removes the mark); a rerun after a failure creates it first
                deferred = [n for n in frames if n in _RELATIONSHIP_ID_CONSTRAINTS and not existing.get(n)
                            and _STATEMENTS[n].create is not None and not frames[n]["id"].duplicated().any()]
                try:
                    with self._errors("load"):
                        self._write_batches(self._units(frames, existing), one, tick,
                                            lambda: self._drop_id_constraints(deferred), self._ensure_schema,
                                            self._endpoints_by_element_id(frames))
                except TrustgraphError as err:  # say what the failed transaction's message cannot
                    err.args = (f"{err}. This load of {total:,} rows commits in transactions of "
                                f"{self.transaction_rows:,}: those before the failed one stay committed, and the "
                                "database is marked as holding an unfinished load, which every read refuses "
                                "(exit 5). Rerun the same load when the cause is gone; if the data itself was "
                                "refused, load it corrected and then accept the result as the refusal says "
                                "(docs/neo4j.md, \"Readers never take an unfinished load for the truth\")",)
                    raise
        return written

    def _delete_marked(self, load: str, entry: str) -> None:
        """Mark the load ``load`` as unfinished, then delete every trustgraph relationship and node in
        transactions of ``batch_rows`` (a replacing load too large for one transaction)."""

        def mark(tx: ManagedTransaction) -> None:
            tx.run(_BEGIN_LOAD, key=_META_KEY, load=load, entry=entry).consume()
            _bump(tx)

        self._write(mark)
        while self._write(_delete_everything, self.batch_rows):
            pass

    def _endpoints_by_element_id(self, frames: Mapping[str, pd.DataFrame]) -> Callable[[_Unit], _Unit]:
        """A function that turns a CREATE unit of relationships into one that finds its endpoints by
        their element ids, when the load's rows of that table are at least half as many as the nodes
        they connect (then one read of every such node's id and element id costs less than two index
        seeks per row). The read happens when the table's first unit runs, after every node of the
        load has committed; an id that is not stored finds no node, and the unit fails naming it."""
        found: dict[str, dict[str, str]] = {}
        chosen: dict[str, bool] = {}

        def prepare(unit: _Unit) -> _Unit:
            statements, m = _STATEMENTS[unit.table], GRAPH_MODEL[unit.table]
            if (unit.statement != statements.create or statements.create_by_element is None
                    or not isinstance(m, RelationshipMapping)):
                return unit
            labels = (m.start_label, m.end_label)
            if unit.table not in chosen:
                nodes = sum(int(self._read(_first_value, _LABEL_COUNT.format(label=_label(label))))
                            for label in set(labels))
                chosen[unit.table] = 2 * len(frames[unit.table]) >= nodes
            if not chosen[unit.table]:
                return unit
            for label in labels:
                if label not in found:
                    record = self._read(lambda tx, label=label: tx.run(
                        _ELEMENT_IDS.format(label=_label(label))).single(strict=True))
                    found[label] = dict(zip(record["ids"], record["elements"]))
            starts, ends = found[m.start_label], found[m.end_label]
            for row in unit.rows:  # in place: the unit's refs keep the ids, to name a missing one
                row[1], row[2] = starts.get(row[1]), ends.get(row[2])
            return replace(unit, statement=statements.create_by_element)

        return prepare

    def _drop_id_constraints(self, names: list[str]) -> None:
        """Drop the ``id`` constraints of the relationship tables ``names`` (their first load runs)."""
        if not names:
            return

        def drop(tx: ManagedTransaction) -> None:
            for name in names:
                tx.run(_RELATIONSHIP_ID_CONSTRAINTS[name][1]).consume()

        try:
            self._write(drop)
        except nx_err.ClientError as err:
            if not (err.code or "").startswith("Neo.ClientError.Security."):
                raise
            return  # a user who may not change the schema loads with the constraints in place
        self._schema_ready = False  # the next _ensure_schema (before the last batch, or a rerun's) creates them

    def _write_batches(self, units: Iterator[_Unit], one: Callable[..., None], tick: Callable[[int], object],
                       marked: Callable[[], None], finishing: Callable[[], None],
                       prepare: Callable[[_Unit], _Unit]) -> None:
        """Commit ``units`` one transaction each: the first alone (it marks the load), then the others
        ``load_workers`` at a time within each run of units of the same statement (a table's nodes
        before their links before the relationships that need them), the last alone once every other
        has committed (it removes the mark). ``marked`` runs once the first has committed and
        ``finishing`` before the last, when they are not the same unit; ``prepare`` turns each unit
        into the one to run, once the units before its phase have committed."""
        lock = threading.Lock()

        def run(unit: _Unit, first: bool, last: bool) -> None:
            self._write(one, unit, first, last)
            statements = _STATEMENTS[unit.table]
            if unit.statement in (statements.upsert, statements.create, statements.create_by_element):
                with lock:  # count each row once (not the moved-relationship pass)
                    tick(len(unit.rows))

        pending: deque[Future[None]] = deque()

        def wait(keep: int) -> None:
            while len(pending) > keep:
                pending.popleft().result()

        with ThreadPoolExecutor(max_workers=self.load_workers, thread_name_prefix="trustgraph-load") as pool:
            try:
                unit: _Unit | None = next(units, None)
                first, phase = True, ("", "")
                while unit is not None:
                    following = next(units, None)
                    last = following is None
                    if first or last or (unit.table, unit.statement) != phase:
                        wait(0)  # a new phase starts when the previous one has committed
                    if last and not first:
                        finishing()
                    key, unit = (unit.table, unit.statement), prepare(unit)
                    if first or last or self.load_workers == 1:
                        run(unit, first, last)
                        if first and not last:
                            marked()
                    else:
                        wait(self.load_workers - 1)
                        pending.append(pool.submit(run, unit, False, False))
                    first, phase = False, key
                    unit = following
                wait(0)
            finally:
                for future in pending:
                    future.cancel()

    def write_scores(self, scores: pd.DataFrame) -> int:
        """Replace the stored scores (properties of ``:Organization`` nodes); see :meth:`Store.write_scores`.

        Raises
        ------
        TrustgraphError
            When a score names an id that is not an organisation (nothing is written).
        """
        frame = scores[list(SCORE_COLUMNS)]
        types = {"reputation": "float", "risk": "float", "reputation_rank": "int", "risk_rank": "int",
                 "computed_at": "str"}
        cols = {c: frame[c].to_numpy(dtype=object) for c in SCORE_COLUMNS}
        rows = [
            [_to_graph(cols["id"][i], "str")] + [_to_graph(cols[p][i], types[p]) for p in _SCORE_PROPS]
            for i in range(len(frame))
        ]
        self._ensure_schema()

        def replace(tx: ManagedTransaction) -> None:
            tx.run(_CLEAR_SCORES).consume()
            for lo in range(0, len(rows), self.batch_rows):
                batch = rows[lo : lo + self.batch_rows]
                record = tx.run(_SET_SCORES, rows=batch).single()
                done = int(record["written"]) if record is not None else 0
                if done < len(batch):
                    found = tx.run(_MISSING_IDS["Organization"], ids=[r[0] for r in batch]).single()
                    examples = ", ".join(map(repr, found["examples"])) if found is not None else ""
                    raise TrustgraphError(
                        f"{self.where} refused the scores, nothing was written: {len(batch) - done} score(s) "
                        f"name ids that are not organisations ({examples})"
                    )
            _bump(tx)

        with self._errors("score update"):
            self._write(replace)
        return len(rows)

    # -- reads -----------------------------------------------------------------------------------

    def table(self, name: str) -> pd.DataFrame:
        """One table as a canonical frame sorted by key; see :meth:`Store.table`."""
        table = TABLES[name]
        with self._errors("read"):
            rows = self._read_complete(_read_rows, _STATEMENTS[name],
                                       table.column_names.index("id") if "id" in table.key else 0)
        return _frame(name, rows)

    def about(self, parties: Iterable[str], names: Iterable[str] | None = None, *,
              between: bool = False) -> dict[str, pd.DataFrame]:
        """The rows that concern ``parties`` (of the tables ``names``, default all), by indexed lookups
        in one read transaction; see
        :meth:`Store.about`. With ``between``, the referrals and communications are those between two
        of the parties; other tables as without it (a superset of the rows between them, which the
        contract allows).

        The same rows as :meth:`SqliteStore.about <trustgraph.store.sqlite.SqliteStore.about>`: the
        parties' organisations; referrals, communications and blacklist entries with a party at either
        end; incidents a party reported or is blamed for, and their actions; the partnerships a party is
        a member of with all their members and relationship holders; the parties' staff, the people
        linked to the staff by a previous position or a personal tie, and those ties. Each frame is
        canonical, like :meth:`table`'s filtered to these rows.
        """
        wanted = sorted({str(p) for p in parties})
        chosen = [n for n in TABLE_ORDER if names is None or n in set(names)]

        def read(tx: ManagedTransaction) -> dict[str, list[list[Any]]]:
            statements = _ABOUT_BETWEEN if between else _ABOUT
            return {n: list(tx.run(statements[n], ids=wanted).single(strict=True)["rows"]) for n in chosen}

        with self._errors("read"):
            found = self._read_complete(read)
        return {name: _frame(name, rows) for name, rows in found.items()}

    def version(self) -> str:
        """The store's identity and data version, ``"<store id>:<n>"``, from the version node.

        The node ``(:TrustgraphMeta {key: 'store'})`` holds ``store_id`` (a random UUID set when it is
        created) and ``version``, which every write (each transaction of a load, a score update,
        :meth:`clear`) increments in its own transaction: a write by any client changes it. Reading it
        is one indexed read. A database that has no version node yet (empty, or written by an older
        trustgraph) gets one now; a user who may not write such a database gets a version that matches
        nothing (``"unversioned:<random>"``), so that no cached snapshot is ever taken for current.

        Raises
        ------
        StoreUnavailableError
            When the server cannot be reached, or a load that commits in several transactions has
            not finished (see :meth:`unfinished_loads`).
        """
        with self._errors("read"):
            record = self._read(lambda tx: tx.run(_VERSION, key=_META_KEY).single())
        if record is None:
            try:
                self._ensure_schema()
                with self._errors("creation of the version node"):
                    record = self._write(lambda tx: tx.run(_CREATE_META, key=_META_KEY).single(strict=True))
            except StoreUnavailableError as err:
                if not isinstance(err.__cause__, nx_err.Forbidden):
                    raise
                return f"unversioned:{uuid.uuid4().hex}"
        if record["loading"]:
            raise _unfinished(self.where, list(record["loading"]))
        return f"{record['id']}:{int(record['n'])}"

    def ids(self, names: Iterable[str] | None = None) -> dict[str, set[str]]:
        """Ids per table; see :meth:`Store.ids`."""
        wanted = list(names) if names is not None else [n for n in TABLE_ORDER if TABLES[n].key == ("id",)]
        out: dict[str, set[str]] = {}
        with self._errors("read"):
            for name in wanted:
                statement = _STATEMENTS[name].ids
                if statement is None:
                    raise KeyError(f"{name} has no id column")
                out[name] = set(self._read(_first_value, statement))
        return out

    def counts(self) -> dict[str, int]:
        """Rows per table; see :meth:`Store.counts`."""

        def count(tx: ManagedTransaction) -> dict[str, int]:
            return {n: int(tx.run(_STATEMENTS[n].count).single(strict=True)["n"]) for n in TABLE_ORDER}

        with self._errors("read"):
            return dict(self._read(count))

    def scores(self) -> pd.DataFrame:
        """The stored scores; see :meth:`Store.scores`."""
        with self._errors("read"):
            rows = self._read_complete(lambda tx: tx.run(_READ_SCORES).values())
        return pd.DataFrame.from_records([tuple(r) for r in rows], columns=list(SCORE_COLUMNS))

    def run_read(
        self, statement: str, parameters: Mapping[str, Any] | None = None
    ) -> tuple[list[str], list[list[Any]]]:
        """Run one Cypher statement in a read transaction; return its column names and rows.

        The server refuses a statement that writes. Used by the named queries (``trustgraph query``).

        Raises
        ------
        TrustgraphError
            When the server rejects the statement (syntax, a write, a type error).
        """

        def work(tx: ManagedTransaction) -> tuple[list[str], list[list[Any]]]:
            result = tx.run(statement, dict(parameters or {}))
            keys = list(result.keys())
            return keys, result.values()

        with self._errors("query"):
            try:
                keys, rows = self._read_complete(work)
            except nx_err.ClientError as err:
                code = err.code or ""
                if code == "Neo.ClientError.Statement.AccessMode" or "ForbiddenOnReadOnly" in code:
                    raise TrustgraphError(
                        f"{self.where} refused the query because it writes; named queries run in read "
                        f"transactions: {err.message}"
                    ) from err
                if code.startswith("Neo.ClientError.Statement.") or code.startswith("Neo.ClientError.Procedure."):
                    raise TrustgraphError(f"{self.where} rejected the query: {err.message}") from err
                raise
        return keys, rows

    def clear(self) -> None:
        """Delete every node and relationship of the database but the version node (tests and
        benchmarks), in batches; each batch counts as a write (:meth:`version`)."""

        def wipe(tx: ManagedTransaction) -> int:
            gone = _delete_everything(tx, 50_000, ours=False)
            _bump(tx)
            return gone

        self._ensure_schema()
        with self._errors("clean-up"):
            while self._write(wipe):
                pass
        self.forget_unfinished_loads()

    def unfinished_loads(self) -> list[dict[str, Any]]:
        """The loads that commit in several transactions and have not finished: running now, or
        interrupted (killed, connection lost, a batch refused). Each is ``{"load": fingerprint of its
        rows, "started": UTC time, "rows": rows}``. While there is one, every read but :meth:`ids` and
        :meth:`counts` (which loads use) is refused; rerunning the same load completes it and clears
        its entry.
        """
        with self._errors("read"):
            loading = self._read(lambda tx: list(tx.run(_LOADING, key=_META_KEY).single(strict=True)["loading"]))
        out = []
        for entry in loading:
            load, started, rows = (str(entry).split(" ") + ["", ""])[:3]
            out.append({"load": load, "started": started, "rows": int(rows) if rows.isdigit() else None})
        return out

    def forget_unfinished_loads(self) -> None:
        """Accept the data as it is: remove the markers of unfinished loads (see
        :meth:`unfinished_loads`); this counts as a write."""

        def forget(tx: ManagedTransaction) -> None:
            tx.run(_FORGET_LOADS, key=_META_KEY).consume()
            _bump(tx)

        with self._errors("clean-up"):
            self._write(forget)

    def close(self) -> None:
        """Close the driver and its connections."""
        self._driver.close()

    def __enter__(self) -> Neo4jStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:  # never the password
        return f"Neo4jStore({self.uri!r}, username={self.username!r}, database={self.database!r})"
