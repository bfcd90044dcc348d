"""Named, parameterised Cypher queries: the ``.cypher`` files shipped with trustgraph and the user's own.

Each file holds one read-only statement and starts with a comment block::

    // Partners of an organisation: every organisation that shares a partnership with it, ...
    // @param org: string  organisation id
    // @param status: string = null  only partnerships with this status

The first comment lines are the description; each ``@param NAME: TYPE [= DEFAULT]  TEXT`` line
declares one parameter. A parameter without a default is required. Types: ``string``, ``int``,
``float``, ``bool``, ``date`` (ISO ``YYYY-MM-DD``, passed as a string, as dates are stored) and
``list``/``list[string]``, ``list[int]``, ``list[float]`` (comma-separated on the command line, or a
JSON array). Defaults are JSON literals (``null``, ``3``, ``"active"``, ``[1, 2]``).

The shipped files live in the project's top-level ``queries/`` folder, installed as the data package
``trustgraph.queries`` and found with :mod:`importlib.resources` (in a wheel and in an editable
install alike). User folders (``--queries DIR`` or ``TRUSTGRAPH_QUERIES``, see :func:`query_dirs`) add
queries; every file, shipped or not, goes through the same header parser and read-only check. A user
query named like a shipped one replaces it, and says so (:attr:`NamedQuery.overrides`), so that a
release adding a query cannot break a user's folder; the same name in two user folders is refused.
The queries run in read transactions (see :meth:`trustgraph.store.neo4j.Neo4jStore.run_read`), so the
server refuses one that writes.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import ConfigurationError, NotFoundError, TrustgraphError

__all__ = [
    "Parameter",
    "NamedQuery",
    "ParameterError",
    "PARAMETER_TYPES",
    "parse_query",
    "list_queries",
    "get_query",
    "query_dirs",
    "SHIPPED_PACKAGE",
    "plain_value",
    "check_read_only",
    "FORBIDDEN_CLAUSES",
    "READ_PROCEDURES",
    "INT_MIN",
    "INT_MAX",
]

#: Parameter types a query header may declare.
PARAMETER_TYPES = ("string", "int", "float", "bool", "date", "list[string]", "list[int]", "list[float]")
_ALIASES = {"str": "string", "integer": "int", "number": "float", "boolean": "bool", "list": "list[string]"}
_NUMBER = r"-?\d+(?:\.\d+)?"
_PARAM_RE = re.compile(r"^@param\s+([A-Za-z_][A-Za-z0-9_]*)\s*:\s*([A-Za-z\[\]]+)"
                       rf"(?:\s+in\s+({_NUMBER})\.\.({_NUMBER}))?\s*(?:=\s*(\S+))?\s*(.*)$")
_USED_RE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


class ParameterError(TrustgraphError):
    """A query parameter is missing, unknown or not of its declared type (a usage error, exit 2)."""

    exit_code = 2


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a named query."""

    name: str
    type: str
    description: str = ""
    required: bool = True
    default: Any = None
    #: The inclusive range of an ``int`` or ``float`` parameter (``@param n: int in 1..5``), else None.
    low: float | None = None
    high: float | None = None

    def check_range(self, value: Any) -> Any:
        """``value``, or ParameterError when it is outside the declared range (a null default passes)."""
        if value is None or self.low is None or self.high is None:
            return value
        if not self.low <= value <= self.high:
            raise ParameterError(f"parameter {self.name}: {value} is outside {self.range_text()}")
        return value

    def range_text(self) -> str:
        def num(x: float | None) -> str:
            return str(int(x)) if x is not None and float(x).is_integer() else str(x)
        return f"{num(self.low)}..{num(self.high)}"

    def convert(self, text: str) -> Any:
        """The typed value of ``text`` (as given with ``-p name=text``).

        Raises
        ------
        ParameterError
            When ``text`` is not a value of the parameter's type.
        """
        try:
            value = _convert(self.type, text)
        except ValueError as err:
            if "64-bit" in str(err):
                raise ParameterError(f"parameter {self.name}: {err}") from err
            raise ParameterError(f"parameter {self.name}: {text!r} is not {_describe(self.type)}") from err
        return self.check_range(value)

    def signature(self) -> str:
        """``name: type`` or ``name: type = default`` (with ``in low..high`` when ranged)."""
        text = f"{self.name}: {self.type}" + (f" in {self.range_text()}" if self.low is not None else "")
        return text if self.required else f"{text} = {json.dumps(self.default)}"


def _describe(type_: str) -> str:
    return {
        "string": "a string",
        "int": "an integer",
        "float": "a number",
        "bool": "true or false",
        "date": "an ISO date (YYYY-MM-DD)",
    }.get(type_, "a comma-separated list or a JSON array of " + type_[5:-1] + " values")


#: The range of an ``int`` parameter: a 64-bit signed integer, as Neo4j stores integers (a larger
#: one made the driver fail with an OverflowError).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1


def _convert(type_: str, text: str) -> Any:
    if type_ == "string":
        return text
    if type_ == "int":
        number = int(text.strip())
        if not INT_MIN <= number <= INT_MAX:
            raise ValueError(f"{text.strip()} is outside the 64-bit integer range ({INT_MIN} to {INT_MAX})")
        return number
    if type_ == "float":
        value = float(text.strip())
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(text)
        return value
    if type_ == "bool":
        low = text.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(text)
    if type_ == "date":
        _dt.date.fromisoformat(text.strip())
        return text.strip()
    inner = type_[5:-1]
    stripped = text.strip()
    if stripped.startswith("["):
        items = json.loads(stripped)
        if not isinstance(items, list):
            raise ValueError(text)
        return [_convert(inner, str(item)) for item in items]
    return [_convert(inner, item.strip()) for item in stripped.split(",") if item.strip()]


#: Clauses (and admin commands) that do anything but read the graph: writes, schema and admin
#: commands, another database (``USE``), and ``LOAD CSV``, which reads files or URLs from the server
#: even inside a read transaction.
FORBIDDEN_CLAUSES = (
    "CREATE", "MERGE", "DELETE", "DETACH", "NODETACH", "SET", "REMOVE", "DROP", "FOREACH", "INSERT", "LOAD",
    "USE", "SHOW", "GRANT", "DENY", "REVOKE", "ALTER", "RENAME", "START", "STOP", "TERMINATE", "ENABLE",
    "PERIODIC", "TRANSACTIONS",
)
_ADMIN_COMMANDS = frozenset({"USE", "SHOW", "GRANT", "DENY", "REVOKE", "ALTER", "RENAME", "START", "STOP",
                             "TERMINATE", "ENABLE"})
#: Procedures a query may ``CALL``: read-only catalogue look-ups. Every other procedure is refused
#: (``apoc.load.*`` and ``apoc.export.*`` read and write files, ``dbms.*`` administers the server,
#: ``db.create.*`` writes, ``apoc.cypher.run*`` would run unchecked Cypher).
READ_PROCEDURES = frozenset({"db.labels", "db.relationshipTypes", "db.propertyKeys"})
#: Namespaces of the functions a query may call (``date.truncate(...)``); plain functions
#: (``count``, ``coalesce``, ``toLower``...) are always allowed.
READ_FUNCTION_NAMESPACES = ("date", "datetime", "localdatetime", "localtime", "time", "duration", "point",
                            "vector", "apoc.coll", "apoc.text", "apoc.map", "apoc.math", "apoc.number")
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)*")


def _code_only(text: str) -> str:
    """``text`` with comments, string literals and backquoted names blanked out (same length and
    line breaks, so positions still give line numbers)."""
    out = list(text)
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
        elif ch in "'\"`":
            end = i + 1
            while end < n and text[end] != ch:
                end += 2 if text[end] == "\\" and ch != "`" else 1
            end = min(end + 1, n)
        else:
            i += 1
            continue
        for k in range(i, end):
            if out[k] != "\n":
                out[k] = " "
        i = end
    return "".join(out)


def check_read_only(text: str, where: str = "query") -> None:
    """Refuse a Cypher statement that does anything but read the graph.

    The check is static and conservative: a forbidden clause word anywhere outside strings,
    comments, property keys and labels (``n.set`` or ``{set: 1}`` are fine), a ``CALL`` of a procedure
    not in :data:`READ_PROCEDURES`, a namespaced function outside :data:`READ_FUNCTION_NAMESPACES`,
    or several statements. Queries also run in read transactions, so the server refuses a write
    this check missed.

    Raises
    ------
    ConfigurationError
        Naming the file, the line and the word, and what is allowed.
    """
    code = _code_only(text)

    def fail(pos: int, what: str) -> ConfigurationError:
        line = code.count("\n", 0, pos) + 1
        return ConfigurationError(
            f"{where}:{line}: {what}; named queries may only read the graph (MATCH, OPTIONAL MATCH, WITH, WHERE, "
            "UNWIND, RETURN, CALL { subquery }, read functions, CALL of "
            f"{', '.join(sorted(READ_PROCEDURES))})"
        )

    stripped = code.rstrip().rstrip(";")
    if ";" in stripped:
        raise fail(stripped.index(";"), "several statements (';')")
    for match in _WORD_RE.finditer(code):
        word = re.sub(r"\s+", "", match.group(0))
        before = code[: match.start()].rstrip()
        after = code[match.end():].lstrip()
        if before.endswith((".", ":", "$")) or (after.startswith(":") and not after.startswith("::")):
            continue  # a property key, a label or relationship type, a parameter, a map key
        if "." in word:
            if after.startswith("("):
                namespace = word.rsplit(".", 1)[0]
                previous = re.search(r"([A-Za-z_]+)\s*$", before)
                if previous and previous.group(1).upper() == "CALL":
                    if word not in READ_PROCEDURES:
                        raise fail(match.start(), f"CALL {word} is not an allowed read procedure")
                elif not any(namespace == ns or namespace.startswith(ns + ".") for ns in READ_FUNCTION_NAMESPACES):
                    raise fail(match.start(), f"function {word}() is not allowed")
            elif re.search(r"\bCALL\s*$", before, flags=re.IGNORECASE):
                if word not in READ_PROCEDURES:
                    raise fail(match.start(), f"CALL {word} is not an allowed read procedure")
            continue
        upper = word.upper()
        if re.search(r"\bAS\s*$", before, flags=re.IGNORECASE):
            continue  # an alias: RETURN p.start AS start
        if upper in _ADMIN_COMMANDS and before not in ("", "{") and not before.endswith(("{", ";")):
            continue  # admin commands are whole statements; elsewhere the word is a variable
        if upper in FORBIDDEN_CLAUSES:
            clause = "LOAD CSV" if upper == "LOAD" else "CALL ... IN TRANSACTIONS" if upper == "TRANSACTIONS" else upper
            raise fail(match.start(), f"{clause} is not allowed")
        if upper == "CALL" and not after.startswith(("{", "(")):
            name = _WORD_RE.match(after)
            called = re.sub(r"\s+", "", name.group(0)) if name else after[:20]
            if called not in READ_PROCEDURES:
                raise fail(match.start(), f"CALL {called} is not an allowed read procedure")


@dataclass(frozen=True)
class NamedQuery:
    """One named query: its Cypher text and the header that documents it."""

    name: str
    description: str
    parameters: tuple[Parameter, ...]
    text: str
    #: Where the text came from: ``queries/NAME.cypher`` for a shipped query, else the file's path.
    source: str
    #: Whether the query is one shipped with trustgraph.
    shipped: bool = False
    #: The source of the shipped query this user query replaces ("" when it replaces none).
    overrides: str = ""

    def parameter(self, name: str) -> Parameter:
        for p in self.parameters:
            if p.name == name:
                return p
        raise KeyError(name)

    def bind(self, given: Mapping[str, str]) -> dict[str, Any]:
        """Typed parameters from ``name -> text`` pairs, defaults filled in.

        Raises
        ------
        ParameterError
            When a required parameter is missing, a name is not declared, or a value has the wrong type.
        """
        declared = {p.name: p for p in self.parameters}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            known = ", ".join(declared) or "none"
            raise ParameterError(
                f"query {self.name} has no parameter {', '.join(unknown)} (its parameters: {known})"
            )
        missing = [p for p in self.parameters if p.required and p.name not in given]
        if missing:
            listed = "; ".join(f"{p.signature()} ({p.description})" if p.description else p.signature()
                               for p in missing)
            flags = " ".join(f"-p {p.name}=VALUE" for p in missing)
            raise ParameterError(f"query {self.name} needs {listed}; give {flags}")
        return {
            p.name: p.convert(given[p.name]) if p.name in given else p.default for p in self.parameters
        }


def _check_default(type_: str, value: Any) -> None:
    """Raise ValueError when the JSON default ``value`` is not of ``type_`` (ints in 64 bits, floats
    finite)."""
    if type_.startswith("list["):
        if not isinstance(value, list):
            raise ValueError(value)
        for item in value:
            _check_default(type_[5:-1], item)
        return
    if type_ == "int" and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValueError(value)
    if type_ == "float" and (isinstance(value, bool) or not isinstance(value, (int, float))):
        raise ValueError(value)
    if type_ in ("int", "float"):
        _convert(type_, str(value))


def parse_query(name: str, text: str, source: str = "") -> NamedQuery:
    """Parse a ``.cypher`` file's header.

    Raises
    ------
    ConfigurationError
        When the header is malformed, a type is unknown, or the statement uses a ``$parameter`` the
        header does not declare (or declares one it does not use).
    """
    where = source or name
    description: list[str] = []
    params: list[Parameter] = []
    body_lines: list[str] = []
    in_header = True
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if in_header and stripped.startswith("//"):
            comment = stripped[2:].strip()
            if comment.startswith("@param"):
                match = _PARAM_RE.match(comment)
                if not match:
                    raise ConfigurationError(
                        f"{where}:{lineno}: expected '// @param NAME: TYPE [in LOW..HIGH] [= DEFAULT]  DESCRIPTION'"
                    )
                pname, ptype, low, high, default, pdoc = match.groups()
                ptype = _ALIASES.get(ptype, ptype)
                if low is not None and (ptype not in ("int", "float") or float(low) > float(high)):
                    raise ConfigurationError(f"{where}:{lineno}: parameter {pname}: a range 'in LOW..HIGH' "
                                             "is for int and float parameters, with LOW <= HIGH")
                if ptype not in PARAMETER_TYPES:
                    raise ConfigurationError(
                        f"{where}:{lineno}: parameter {pname} has unknown type {ptype!r} "
                        f"(expected one of {', '.join(PARAMETER_TYPES)})"
                    )
                if any(p.name == pname for p in params):
                    raise ConfigurationError(f"{where}:{lineno}: parameter {pname} is declared twice")
                value: Any = None
                if default is not None:
                    try:
                        value = json.loads(default)
                    except json.JSONDecodeError as err:
                        raise ConfigurationError(
                            f"{where}:{lineno}: default of {pname} must be a JSON literal, got {default!r}"
                        ) from err
                bounds = (float(low), float(high)) if low is not None else (None, None)
                params.append(Parameter(pname, ptype, pdoc.strip(), default is None, value, *bounds))
            elif comment:
                description.append(comment)
            continue
        if in_header and not stripped:
            continue
        in_header = False
        body_lines.append(line)
    body = "\n".join(body_lines).strip()
    if not body:
        raise ConfigurationError(f"{where}: no Cypher statement after the header")
    if not description:
        raise ConfigurationError(f"{where}: the header has no description (start the file with '// what it does')")
    code = "\n".join(line.split("//", 1)[0] if "//" in line and "'" not in line else line for line in body_lines)
    used = set(_USED_RE.findall(code))
    declared = {p.name for p in params}
    if used - declared:
        raise ConfigurationError(f"{where}: the statement uses undeclared ${', $'.join(sorted(used - declared))}")
    if declared - used:
        raise ConfigurationError(f"{where}: declared but unused parameter(s) {', '.join(sorted(declared - used))}")
    for p in params:
        if p.default is not None:
            try:
                _check_default(p.type, p.default)
            except (ValueError, TypeError) as err:
                raise ConfigurationError(f"{where}: the default of {p.name} is not {_describe(p.type)}") from err
            try:
                p.check_range(p.default)
            except ParameterError as err:
                raise ConfigurationError(f"{where}: the default of {p.name} is outside {p.range_text()}") from err
    check_read_only(text, where)
    return NamedQuery(name, " ".join(description), tuple(params), text, where)


#: The package the shipped ``.cypher`` files are installed as (from the top-level ``queries/`` folder).
SHIPPED_PACKAGE = "trustgraph.queries"

QueryDirs = str | Path | Iterable[str | Path] | None


def query_dirs(extra: QueryDirs = None) -> list[Path]:
    """The user's query folders: ``extra`` (one path or several), else the ``TRUSTGRAPH_QUERIES``
    environment variable (several folders separated by ``os.pathsep``), else none."""
    if extra is None:
        env = os.environ.get("TRUSTGRAPH_QUERIES", "")
        return [Path(p) for p in env.split(os.pathsep) if p]
    if isinstance(extra, (str, Path)):
        return [Path(extra)]
    return [Path(p) for p in extra]


@dataclass(frozen=True)
class _File:
    text: str
    source: str
    shipped: bool
    overrides: str = ""


def _files(dirs: list[Path]) -> dict[str, _File]:
    """name -> file: the shipped queries, then each user folder's (a user file replaces a shipped one).

    Raises
    ------
    ConfigurationError
        When a folder does not exist, or two user folders hold a query of the same name.
    """
    found: dict[str, _File] = {}
    for entry in resources.files(SHIPPED_PACKAGE).iterdir():
        if entry.name.endswith(".cypher") and entry.is_file():
            found[entry.name[: -len(".cypher")]] = _File(
                entry.read_text(encoding="utf-8"), f"queries/{entry.name}", shipped=True
            )
    seen: set[Path] = set()
    for folder in dirs:
        if not folder.is_dir():
            raise ConfigurationError(f"query directory {folder} does not exist")
        if folder.resolve() in seen:
            continue
        seen.add(folder.resolve())
        for path in sorted(folder.glob("*.cypher")):
            previous = found.get(path.stem)
            if previous is not None and not previous.shipped:
                raise ConfigurationError(
                    f"query {path.stem} is in two query folders ({previous.source} and {path}); rename one"
                )
            overrides = previous.source if previous is not None else ""
            found[path.stem] = _File(path.read_text(encoding="utf-8"), str(path), shipped=False, overrides=overrides)
    return found


def _parse(name: str, file: _File) -> NamedQuery:
    if not _NAME_RE.match(name):
        raise ConfigurationError(f"{file.source}: query names are lower_case_with_underscores")
    parsed = parse_query(name, file.text, file.source)
    return replace(parsed, shipped=file.shipped, overrides=file.overrides)


def list_queries(extra: QueryDirs = None) -> list[NamedQuery]:
    """Every named query, shipped and the user's, sorted by name (see :func:`query_dirs` for ``extra``).

    Raises
    ------
    ConfigurationError
        When a folder does not exist, two user folders hold the same name, or a query file's name or
        header is malformed or its statement does more than read.
    """
    return [_parse(name, file) for name, file in sorted(_files(query_dirs(extra)).items())]


def get_query(name: str, extra: QueryDirs = None) -> NamedQuery:
    """The named query ``name`` (see :func:`query_dirs` for ``extra``).

    Raises
    ------
    NotFoundError
        When there is no such query.
    ConfigurationError
        As :func:`list_queries`, for the folders and this query's file.
    """
    files = _files(query_dirs(extra))
    if name not in files:
        known = ", ".join(sorted(files))
        raise NotFoundError(f"no named query {name!r}; `trustgraph query --list` shows them ({known})")
    return _parse(name, files[name])


def plain_value(value: Any) -> Any:
    """A JSON-ready value from a driver value: nodes and relationships as property dicts, paths as
    lists of node ids, temporal values as ISO strings."""
    from neo4j.graph import Node, Relationship
    from neo4j.graph import Path as GraphPath

    if isinstance(value, Node):
        return {k: plain_value(v) for k, v in value.items()}
    if isinstance(value, Relationship):
        return {"type": value.type, **{k: plain_value(v) for k, v in value.items()}}
    if isinstance(value, GraphPath):
        return [node.get("id") for node in value.nodes]
    if isinstance(value, list):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {k: plain_value(v) for k, v in value.items()}
    if hasattr(value, "iso_format"):
        return value.iso_format()
    return value
