"""Answer documents: the one JSON shape every command and the HTTP service give (docs/output.md).

Every answer is a *document* of one kind (``chain``, ``reputation``, ``referrals`` ...), described
by the JSON Schema file ``trustgraph/schemas/<kind>.json`` (``trustgraph schema KIND`` prints it).
A document is a JSON object that starts with the same envelope::

    {"schema": "trustgraph.chain/1",      # kind and version of the document's schema
     "as_of": "2025-06-29",               # the date the answer holds for (null for writes)
     "store": {"backend": "sqlite", "location": "trustgraph.db", "version": "…:12"},
     "parameters": {...},                 # every parameter that shaped it, by its option name
     ...                                  # fields of the kind
     "rows": [...]}                       # the answer's rows (NDJSON and CSV print these)

One name and one type per concept across kinds: ``reputation`` (0..1), ``risk`` (0..1),
``exposure`` (share of a party's activity tied to listed parties), ``strength`` (a chain's
product of hop trust), ``trust`` (one hop's local trust); ``listed`` is always a boolean, with
``listings`` (the listings in force) beside it. A document never has a ``score`` field.

NDJSON and CSV print the rows: one line (or CSV record) per row, each with the document's
``schema`` and ``as_of`` first; CSV flattens nested objects to dotted columns
(``weakest_link.trust``) and lists to ``; ``-joined text (lists of objects as compact JSON).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .snapshot import Snapshot
    from .store import Store, StoreSettings

__all__ = ["SCHEMA_VERSIONS", "schema_id", "envelope", "store_info", "party", "party_ref", "listing",
           "row_lines", "KINDS"]

#: The version of each document kind's schema. A field removed or changed in meaning is a new
#: version; a new optional field is not.
SCHEMA_VERSIONS: dict[str, int] = {
    # 2: a field renamed so that one name means one thing across kinds (accepted rows' certification,
    # health's reputation_detail, timeline events' scope, vouchers' introducers' ownertrust; were "level"
    # and "reputation", which elsewhere are a factor's number and a 0-1 score).
    "accepted": 2, "analyze": 1, "assess": 1, "chain": 1, "contagion": 1, "continuity": 1, "export": 1,
    "exposure": 1, "factors": 1, "health": 2, "import": 1, "init": 1, "load": 1, "parties": 1, "party": 1, "problem": 1,
    "query": 1,
    "record": 1, "referrals": 1, "reputation": 1, "stats": 1, "timeline": 2, "vouchers": 2,
}
KINDS = tuple(sorted(SCHEMA_VERSIONS))


def schema_id(kind: str) -> str:
    """``trustgraph.<kind>/<version>``: the value of a document's ``schema`` field."""
    return f"trustgraph.{kind}/{SCHEMA_VERSIONS[kind]}"


def store_info(settings: StoreSettings, version: str | None) -> dict[str, Any]:
    """Which store answered, without credentials: backend, location and the version read."""
    if settings.neo4j_uri:
        from .store.uri import safe_uri

        location = f"{safe_uri(settings.neo4j_uri)} database {settings.neo4j_database}"
        return {"backend": "neo4j", "location": location, "version": version}
    return {"backend": "sqlite", "location": str(settings.sqlite_path), "version": version}


def envelope(kind: str, *, as_of: str | None, store: Mapping[str, Any], parameters: Mapping[str, Any]
             ) -> dict[str, Any]:
    """The first fields of a ``kind`` document; the caller adds its own fields and ``rows``."""
    return {"schema": schema_id(kind), "as_of": as_of, "store": dict(store), "parameters": dict(parameters)}


def listing(row: Mapping[str, Any], party_id: Any) -> dict[str, Any]:
    """One listing in force, as documents give it (``party`` is the listed party)."""
    return {"id": row.get("id"), "party": str(party_id), "lister": row.get("lister") or None,
            "date": row.get("date") or None, "until": row.get("until") or None,
            "reason": row.get("reason") or None, "source": row.get("source") or None}


def party_ref(snap: Snapshot, node: Any) -> dict[str, Any]:
    """``{"id", "name"}`` of a party of ``snap``."""
    return {"id": str(node), "name": snap.name(node)}


def party(snap: Snapshot, node: Any) -> dict[str, Any]:
    """``{"id", "name", "listed", "listings"}`` of a party of ``snap``: ``listed`` is true when a
    listing is in force on the snapshot's as-of date, and ``listings`` gives them."""
    listings = [listing(row, node) for row in snap.listings.get(str(node), [])]
    i = snap.find(node)
    listed = bool(snap.listed[i]) if i is not None else bool(listings)
    return {"id": str(node), "name": snap.name(node), "listed": listed, "listings": listings}


def listings_of(snap: Snapshot, nodes: Iterable[Any]) -> list[dict[str, Any]]:
    """The listings in force of the listed parties among ``nodes``, in their order."""
    out: list[dict[str, Any]] = []
    for node in nodes:
        out.extend(listing(row, node) for row in snap.listings.get(str(node), []))
    return out


def row_lines(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The document's rows as NDJSON/CSV print them: each row with ``schema`` and ``as_of`` first."""
    head = {"schema": document.get("schema"), "as_of": document.get("as_of")}
    return [{**head, **row} for row in document.get("rows") or []]


def flat(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A row with nested objects as dotted keys (``weakest_link.trust``); lists are kept (CSV joins
    them)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            out.update(flat(value, name + "."))
        else:
            out[name] = value
    return out


def store_of(settings: StoreSettings, store: Store | None = None, snap: Snapshot | None = None) -> dict[str, Any]:
    """:func:`store_info` with the version of ``snap`` (else asked of ``store``)."""
    version = snap.version if snap is not None else (store.version() if store is not None else None)
    return store_info(settings, version)


# -- the schema files ------------------------------------------------------------------------------

def _schema_folder() -> Any:
    from importlib.resources import files

    return files("trustgraph") / "schemas"


def load_schema(kind: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of ``kind`` documents, as shipped: one self-contained file,
    ``trustgraph/schemas/<kind>.json`` (its ``$defs`` include the shared definitions it uses)."""
    import json

    if kind != "common" and kind not in SCHEMA_VERSIONS:
        from .errors import NotFoundError

        raise NotFoundError(f"no document kind {kind!r} (kinds: {', '.join(KINDS)})")
    data: dict[str, Any] = json.loads((_schema_folder() / f"{kind}.json").read_text(encoding="utf-8"))
    return data


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            found.add(ref[len("#/$defs/"):])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _refs(value)
    return found


def with_shared_defs(schema: dict[str, Any], common: Mapping[str, Any]) -> dict[str, Any]:
    """``schema`` with the shared definitions of ``common`` it refers to (transitively) copied into
    its ``$defs``, replacing older copies: what makes each shipped file self-contained."""
    shared = common["$defs"]
    own = {k: v for k, v in (schema.get("$defs") or {}).items() if k not in shared}
    needed: set[str] = set()
    todo = _refs({k: v for k, v in schema.items() if k != "$defs"}) | _refs(own)
    while todo:
        name = todo.pop()
        if name in shared and name not in needed:
            needed.add(name)
            todo |= _refs(shared[name])
    defs = {**own, **{k: shared[k] for k in sorted(needed)}}
    out = {k: v for k, v in schema.items() if k != "$defs"}
    if defs:
        out["$defs"] = defs
    return out


def sync_schema_files(folder: str | None = None, *, check: bool = False) -> list[str]:
    """Copy the shared definitions of ``common.json`` into every kind's file (``python -m
    trustgraph.documents``). With ``check``, change nothing and return the files that are stale."""
    import json
    from pathlib import Path

    root = Path(folder) if folder else Path(str(_schema_folder()))
    common = json.loads((root / "common.json").read_text(encoding="utf-8"))
    stale = []
    for path in sorted(root.glob("*.json")):
        if path.name == "common.json":
            continue
        text = path.read_text(encoding="utf-8")
        new = json.dumps(with_shared_defs(json.loads(text), common), indent=2, ensure_ascii=False) + "\n"
        if new != text:
            stale.append(path.name)
            if not check:
                path.write_text(new, encoding="utf-8")
    return stale


if __name__ == "__main__":  # python -m trustgraph.documents: refresh the shared definitions in the files
    changed = sync_schema_files()
    print("updated: " + ", ".join(changed) if changed else "schema files up to date")
