"""``trustgraph serve``: the answers of the CLI over HTTP, as JSON documents (docs/service.md).

One code path: each route converts its query and path parameters with the **same click parameters**
as the CLI command (same names, types, ranges and messages), calls the command's document function
(:data:`trustgraph.cli.app.ANSWERS`) and returns the document it gives, which validates against the
same shipped schema (``trustgraph/schemas``). Errors are RFC 9457 problem documents
(``application/problem+json``) whose ``exit_code`` is the CLI's, mapped to an HTTP status.

The service is read-only: it opens the store read-only, offers no write command, and runs named
queries in read transactions. It keeps the compiled snapshots in memory and checks the store's
version (at most once per ``refresh`` seconds): a load, import or record from another process is
picked up by the next request, without a restart.

All work on the store runs on one engine thread per process (a SQLite connection is not shared
between threads, and the analyses are CPU-bound under the GIL anyway); the event loop stays free to
accept connections, time out slow clients and answer requests that took too long with 503. For
more throughput run several worker processes (``--workers``): each maps the same snapshot files,
so the operating system shares their pages.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import hmac
import inspect
import ipaddress
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import click
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import __version__
from .deadline import DeadlineExceeded
from .deadline import deadline as question_deadline
from .documents import KINDS, envelope, load_schema, party, schema_id
from .errors import ConfigurationError, NotFoundError, TrustgraphError

if TYPE_CHECKING:
    from .snapshot import Snapshot
    from .store import StoreSettings

__all__ = ["Limits", "ServiceConfig", "create_app", "ROUTES", "run", "check_bind", "check_port", "read_token"]

#: HTTP status for each CLI exit code.
#: A configuration error (6) in a request is the request's settings (contradictory or missing): 400;
#: one the store or installation cannot do (:class:`~trustgraph.errors.UnsupportedError`) is 501.
STATUS_OF_EXIT = {1: 500, 2: 400, 3: 422, 4: 404, 5: 503, 6: 400}
PROBLEM_TITLES = {400: "Bad request", 401: "Unauthorized", 404: "Not found", 405: "Method not allowed",
                  408: "Request timeout", 413: "Content too large", 415: "Unsupported media type",
                  422: "Invalid data", 500: "Internal error", 501: "Not implemented",
                  503: "Service unavailable"}
PROBLEM_TYPE = "https://trustgraph.dev/problems/"
#: Questions between two ``gc.freeze()`` calls (:meth:`Engine.settle`).
FREEZE_EVERY = 200
#: Parameters that make a command write (``analyze --write``): not parameters of the service.
WRITE_PARAMETERS = {"write"}
#: The environment variable that may hold the bearer token (or use --token-file).
TOKEN_ENV = "TRUSTGRAPH_TOKEN"


@dataclass(frozen=True)
class Limits:
    """What one request may ask for. Ranges of ``limit``/``max_hops`` are the CLI's own (click)."""

    max_body_bytes: int = 2_000_000
    max_batch: int = 10_000
    request_timeout_s: float = 30.0
    body_timeout_s: float = 10.0
    max_pending: int = 512
    refresh_s: float = 1.0
    snapshots_in_memory: int = 8


@dataclass
class ServiceConfig:
    """Everything a worker process needs to build the app (passed to workers as JSON)."""

    store: str | None = None
    neo4j_uri: str | None = None
    neo4j_username: str | None = None
    neo4j_database: str | None = None
    queries: list[str] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    token_required: bool = False

    def settings(self) -> StoreSettings:
        from .store import StoreSettings

        return StoreSettings.resolve(store=self.store, neo4j_uri=self.neo4j_uri, neo4j_username=self.neo4j_username,
                                     neo4j_database=self.neo4j_database)

    def to_json(self) -> str:
        return json.dumps({**asdict(self), "limits": asdict(self.limits)})

    @classmethod
    def from_json(cls, text: str) -> ServiceConfig:
        data = json.loads(text)
        data["limits"] = Limits(**data["limits"])
        return cls(**data)


class Problem(Exception):
    """An error answered as an RFC 9457 problem document."""

    def __init__(self, status: int, detail: str, *, exit_code: int | None = None, kind: str | None = None,
                 problems: list[str] | None = None, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status, self.detail, self.exit_code = status, detail, exit_code
        self.kind = kind or PROBLEM_TITLES.get(status, "error").lower().replace(" ", "-")
        self.problems = problems
        self.headers = headers or {}

    def document(self, instance: str) -> dict[str, Any]:
        doc: dict[str, Any] = {"schema": schema_id("problem"), "type": PROBLEM_TYPE + self.kind,
                               "title": PROBLEM_TITLES.get(self.status, "Error"), "status": self.status,
                               "detail": self.detail, "instance": instance, "exit_code": self.exit_code}
        if self.problems:
            doc["problems"] = self.problems
        return doc


def problem_from(err: BaseException) -> Problem:
    """The problem for an error raised by a document function or by click's conversion."""
    from .errors import InvalidDataError, UnsupportedError

    if isinstance(err, Problem):
        return err
    if isinstance(err, UnsupportedError):
        return Problem(501, str(err), exit_code=err.exit_code, kind="unsupported")
    if isinstance(err, ConfigurationError):
        return Problem(STATUS_OF_EXIT[err.exit_code], str(err), exit_code=err.exit_code, kind="configuration")
    if isinstance(err, TrustgraphError):
        problems = [str(p) for p in err.problems[:20]] if isinstance(err, InvalidDataError) else None
        return Problem(STATUS_OF_EXIT.get(err.exit_code, 500), str(err), exit_code=err.exit_code, problems=problems)
    if isinstance(err, click.UsageError | click.BadParameter):
        return Problem(400, err.format_message(), exit_code=2, kind="bad-parameter")
    if isinstance(err, DeadlineExceeded):
        return Problem(503, str(err), kind="timeout", headers={"Retry-After": "5"})
    return Problem(500, f"{err.__class__.__name__}: {err}", exit_code=1, kind="internal-error")


# -- the engine: one thread that owns the store and the snapshots ----------------------------------

class Engine:
    """The store, the in-memory snapshots and the command documents, used from one thread."""

    def __init__(self, config: ServiceConfig) -> None:
        self.config = config
        self.limits = config.limits
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="trustgraph-engine")
        self._env: Any = None
        self._version: str | None = None
        self._file: tuple[int, int] | None = None  # (device, inode) of the SQLite file opened
        self._checked = 0.0
        self.pending = 0
        self.answered = 0
        self.lock = threading.Lock()

    # runs on the engine thread only
    def env(self) -> Any:
        if self._env is None:
            from .cli.app import Env

            engine = self

            class ServiceEnv(Env):
                service = True

                @property
                def writable_store(self) -> Any:
                    raise Problem(405, "trustgraph serve is read-only", kind="read-only")

                def snapshot(self, *, as_of: str | None = None, half_life_days: float | None = 730.0) -> Snapshot:
                    engine.refresh()
                    return engine.snapshot(self, as_of, half_life_days)

            self._env = ServiceEnv(self.config.settings(), quiet=True)
            self._env._lru = OrderedDict()
        return self._env

    def settle(self) -> None:
        """After a question: every :data:`FREEZE_EVERY` questions, move what the process holds so
        far (snapshots, indexes, caches: long-lived) out of the cyclic garbage collector's sight
        (``gc.freeze``), so that its full collections stop walking hundreds of thousands of
        long-lived objects while a request waits. Objects are still freed by reference counting."""
        self.answered += 1
        if self.answered % FREEZE_EVERY == 0:
            gc.freeze()

    def refresh(self) -> None:
        """Drop what was read from an older store version (checked at most every ``refresh_s``)."""
        now = time.monotonic()
        if now - self._checked < self.limits.refresh_s:
            return
        self._checked = now
        env = self._env
        self._reopen_if_replaced(env)
        version = env.store.version()
        if version != self._version:
            self._version = version
            env._lru.clear()
            env._tables = None

    def _reopen_if_replaced(self, env: Any) -> None:
        """A SQLite file replaced (``mv new.db store.db``) or deleted since it was opened: close the
        old one, so that the next read opens the file now at the path (or answers 503 when there is
        none) instead of answering from a file no longer there."""
        if self.config.neo4j_uri:
            return
        try:
            stat = os.stat(str(self.config.settings().sqlite_path))
            now: tuple[int, int] | None = (stat.st_dev, stat.st_ino)
        except OSError:
            now = None
        if "store" in env.__dict__ and now != self._file:
            env.__dict__.pop("store").close()
            self._version = None
            env._lru.clear()
            env._tables = None
        if "store" not in env.__dict__:
            self._file = now  # the file the next read opens

    def snapshot(self, env: Any, as_of: str | None, half_life_days: float | None) -> Snapshot:
        from .snapshot import open_snapshot

        key = (as_of, half_life_days)
        lru: OrderedDict[Any, Snapshot] = env._lru
        if key in lru:
            lru.move_to_end(key)
            return lru[key]
        snap = open_snapshot(env.store, as_of=as_of, half_life_days=half_life_days)
        lru[key] = snap
        while len(lru) > self.limits.snapshots_in_memory:
            lru.popitem(last=False)
        return snap

    def answer(self, command: str, values: dict[str, str], multi: dict[str, list[str]] | None = None,
               extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """The document of ``command`` for HTTP parameters ``values`` (converted by its click params;
        ``extra`` are keyword arguments that are not parameters, such as a batch's input lines)."""
        from .cli.app import ANSWERS, cli

        cli.load_all()
        cmd = cli.commands[command]
        func = ANSWERS[command]
        params = convert(cmd, func, values, multi or {})
        if command == "query":
            params["queries"] = tuple(self.config.queries)
        return func(self.env(), **params, **(extra or {}))

    def party(self, ref: str) -> dict[str, Any]:
        """One party: its facts, listings and direct trust ties."""
        env = self.env()
        snap = env.snapshot()
        node = env.resolve_org(snap, ref)
        i = snap.index_of(node)
        doc = envelope("party", as_of=snap.as_of, store=env.store_info(snap), parameters={"id": str(node)})
        doc.update(party(snap, node))
        doc["pretrusted"] = bool(snap.pretrusted[i])
        doc["attributes"] = {k: v[i] for k, v in sorted(snap.attributes.items()) if v[i] not in (None, "")}
        out = range(int(snap.indptr[i]), int(snap.indptr[i + 1]))
        received = [int(e) for e in (snap.dst == i).nonzero()[0]] if snap.m <= 5_000_000 else []
        rows = [{"direction": "out", "id": str(snap.ids[int(snap.dst[e])]), "name": snap.names[int(snap.dst[e])],
                 "trust": float(snap.trust[e])} for e in out]
        rows += [{"direction": "in", "id": str(snap.ids[int(snap.src[e])]), "name": snap.names[int(snap.src[e])],
                  "trust": float(snap.trust[e])} for e in received]
        doc["ties_out"] = len(out)
        doc["ties_in"] = len(received)
        doc["rows"] = rows[:1000]
        return doc


def convert(cmd: click.Command, func: Callable[..., Any], values: dict[str, str],
            multi: dict[str, list[str]]) -> dict[str, Any]:
    """The keyword arguments of ``func`` for HTTP ``values``, converted by ``cmd``'s click parameters
    (the CLI's own types, ranges, defaults and messages). Unknown names are refused (exit 2)."""
    wanted = set(inspect.signature(func).parameters) - {"env"} - WRITE_PARAMETERS
    argv: list[str] = []
    positional: list[str] = []
    known: set[str] = set()
    for param in cmd.params:
        if not served(param, wanted):
            continue
        if isinstance(param, click.Argument):
            name = http_name(param)
            known.add(name)
            if name in values:
                positional.append(values[name])
            continue
        assert isinstance(param, click.Option)
        name = http_name(param)
        known.add(name)
        given = multi.get(name) if param.multiple else ([values[name]] if name in values else None)
        if not given:
            continue
        for value in given:
            if param.is_flag and param.secondary_opts:
                argv.append(param.opts[0] if _truth(name, value) else param.secondary_opts[0])
            elif param.is_flag:
                if _truth(name, value):
                    argv.append(param.opts[0])
            else:
                argv += [param.opts[0], value]
    unknown = sorted(set(values) - known)
    if unknown:
        raise Problem(400, f"unknown parameter(s) {', '.join(unknown)} (expected: {', '.join(sorted(known))})",
                      exit_code=2, kind="bad-parameter")
    argv += ["--", *positional] if positional else []
    try:
        ctx = cmd.make_context(cmd.name or "", argv, resilient_parsing=False)
    except click.BadParameter as err:  # name the HTTP parameter, not the CLI option
        if err.param is not None:
            err.param_hint = repr(http_name(err.param))
        raise
    return {k: v for k, v in ctx.params.items() if k in wanted}


def _once(request: Request) -> None:
    """Refuse a query parameter given more than once (never silently one of them)."""
    if len(set(request.query_params.keys())) != len(request.query_params.multi_items()):
        raise Problem(400, "each parameter may be given once", exit_code=2, kind="bad-parameter")


def served(param: click.Parameter, wanted: set[str]) -> bool:
    """Whether the service offers a command's parameter: one of the document function's, not hidden,
    and not a file or folder of the server's (``assess --profiles FILE``): a client names values,
    never paths on the server, which it could otherwise probe or make the server read."""
    return (param.name in wanted and not getattr(param, "hidden", False)
            and not isinstance(param.type, (click.Path, click.File)))


def http_name(param: click.Parameter) -> str:
    """The HTTP name of a click parameter (:func:`trustgraph.cli.options.public_name`)."""
    from .cli.options import public_name

    return public_name(param)


def _truth(name: str, value: str) -> bool:
    low = value.strip().lower()
    if low in ("1", "true", "yes", "on"):
        return True
    if low in ("0", "false", "no", "off"):
        return False
    raise Problem(400, f"{name}: expected true or false, got {value!r}", exit_code=2, kind="bad-parameter")


# -- the routes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Route:
    path: str
    command: str
    summary: str
    kind: str
    path_params: tuple[str, ...] = ()


#: Every GET route: URL, command, summary. Path parameters fill the command's arguments in order.
ROUTES: tuple[Route, ...] = (
    Route("/v1/stats", "stats", "What is stored: rows per table, listings in force.", "stats"),
    Route("/v1/parties", "orgs", "List and search parties by id, name (fuzzy), country, sector, region, listed "
          "status.", "parties"),
    Route("/v1/chain", "chain", "The strongest vouching chains from `from` to `to`.", "chain"),
    Route("/v1/vouchers/{target:path}", "vouchers", "Independent vouchers for a party, for `for`.", "vouchers",
          ("target",)),
    Route("/v1/referrals/{id:path}", "referrals", "Referral lookup: who referred a party, and whom it referred.",
          "referrals", ("id",)),
    Route("/v1/reputation", "reputation", "Reputation of every organisation.", "reputation"),
    Route("/v1/reputation/{id:path}", "reputation", "Reputation of one organisation.", "reputation", ("id",)),
    Route("/v1/contagion", "contagion", "Exposure of every party to blacklisted parties.", "contagion"),
    Route("/v1/exposure/{id:path}", "exposure", "Paths from a party to listed parties.", "exposure", ("id",)),
    Route("/v1/analyze", "analyze", "Reputation and risk of every organisation (never written).", "analyze"),
    Route("/v1/accepted", "accepted", "Parties accepted by the Advogato max-flow metric.", "accepted"),
    Route("/v1/assess/{candidate:path}", "assess", "Should `for` enter a partnership with a candidate?", "assess",
          ("candidate",)),
    Route("/v1/factors/{candidate:path}", "factors", "The trust factors of a candidate for `for`.", "factors",
          ("candidate",)),
    Route("/v1/health/{id:path}", "health", "A party's health check.", "health", ("id",)),
    Route("/v1/timeline", "timeline", "The history of trust between `a` and `b`.", "timeline"),
    Route("/v1/continuity", "continuity", "Partnerships resting on a single person.", "continuity"),
    Route("/v1/queries/{name:path}", "query", "Run a named Cypher query (Neo4j; read transaction).", "query",
          ("name",)),
)


def _positional_names(command: str) -> list[str]:
    """HTTP names of a command's arguments, in order."""
    from .cli.app import ANSWERS, cli

    cli.load_all()
    wanted = set(inspect.signature(ANSWERS[command]).parameters)
    return [http_name(p) for p in cli.commands[command].params if isinstance(p, click.Argument) and p.name in wanted]


def _openapi_parameters(route: Route) -> list[dict[str, Any]]:
    """OpenAPI parameters of a route, from the click parameters of its command."""
    from .cli.app import ANSWERS, cli

    cli.load_all()
    cmd = cli.commands[route.command]
    wanted = set(inspect.signature(ANSWERS[route.command]).parameters) - {"env"} - WRITE_PARAMETERS
    args = _positional_names(route.command)
    out = []
    for k, param in enumerate(p for p in cmd.params if served(p, wanted)):
        name = http_name(param)
        if isinstance(param, click.Argument):
            where = "path" if k < len(route.path_params) and route.path_params else "query"
            name = route.path_params[args.index(name)] if where == "path" and name in args and \
                args.index(name) < len(route.path_params) else name
        else:
            where = "query"
        schema: dict[str, Any] = {"type": "string"}
        ptype = param.type
        if isinstance(ptype, click.IntRange):
            schema = {"type": "integer", **({"minimum": ptype.min} if ptype.min is not None else {}),
                      **({"maximum": ptype.max} if ptype.max is not None else {})}
        elif isinstance(ptype, click.FloatRange):
            schema = {"type": "number", **({"minimum": ptype.min} if ptype.min is not None else {}),
                      **({"maximum": ptype.max} if ptype.max is not None else {})}
        elif isinstance(param, click.Option) and param.is_flag:
            schema = {"type": "boolean"}
        elif isinstance(ptype, click.Choice):
            schema = {"enum": list(ptype.choices)}
        default = getattr(param, "default", None)
        if default is not None and not callable(default) and isinstance(default, (int, float, str, bool)):
            schema["default"] = default
        required = where == "path" or bool(param.required)
        out.append({"name": name, "in": where, "required": required, "schema": schema,
                    "description": getattr(param, "help", None) or ""})
    return out


def _components(kind: str) -> dict[str, Any]:
    """The shipped schema of ``kind`` with its local ``$defs`` references made global for OpenAPI."""
    text = json.dumps(load_schema(kind)).replace('"#/$defs/', f'"#/components/schemas/{kind}/$defs/')
    schema: dict[str, Any] = json.loads(text)
    schema.pop("$schema", None)
    return schema


def check_bind(host: str, token: str | None) -> None:
    """Refuse to bind an address other than loopback without a token (exit 6)."""
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = host == "localhost"
    if not loopback and not token:
        raise ConfigurationError(
            f"refusing to serve on {host} without a bearer token: anyone who can reach it could read the store; "
            f"put a token in a file (--token-file FILE) or in the {TOKEN_ENV} environment variable")


def read_token(token_file: str | None) -> str | None:
    """The bearer token from ``token_file`` (first line) or ``$TRUSTGRAPH_TOKEN``; never an argument."""
    if token_file:
        from .files import read_bytes_limited

        text = read_bytes_limited(token_file, 64_000).decode("utf-8", "replace").strip()
        if len(text) < 16:
            raise ConfigurationError(f"the token in {token_file} is shorter than 16 characters")
        return text
    token = os.environ.get(TOKEN_ENV, "").strip() or None
    if token is not None and len(token) < 16:
        raise ConfigurationError(f"the token in ${TOKEN_ENV} is shorter than 16 characters")
    return token


def create_app(config: ServiceConfig, token: str | None = None) -> FastAPI:
    """The ASGI application: every route of :data:`ROUTES`, batch referrals, search, party,
    schemas, the OpenAPI document at /openapi.json and /healthz."""
    from .cli.output import ndjson_text, to_json

    engine = Engine(config)
    limits = config.limits
    if config.token_required and not token:
        raise ConfigurationError("this service was configured to require a token and none was given")
    app = FastAPI(title="trustgraph", version=__version__, docs_url=None, redoc_url=None, redirect_slashes=False,
                  description="Trust analysis for partnership networks: the answers of the trustgraph CLI, "
                              "as versioned JSON documents (one schema per kind). Read-only.")
    app.state.engine = engine

    def problem_response(request: Request, problem: Problem) -> Response:
        return Response(to_json(problem.document(request.url.path)), status_code=problem.status,
                        media_type="application/problem+json", headers=problem.headers)

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        return problem_response(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        return problem_response(request, Problem(exc.status_code, str(exc.detail), headers=dict(exc.headers or {})))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return problem_response(request, Problem(400, str(exc.errors()[:3]), exit_code=2, kind="bad-parameter"))

    @app.middleware("http")
    async def _guard(request: Request, call_next: Callable[[Request], Any]) -> Any:
        if token and request.url.path != "/healthz":
            given = request.headers.get("authorization", "")
            scheme, _, value = given.partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
                return problem_response(request, Problem(401, "a valid bearer token is required",
                                                         kind="unauthorized",
                                                         headers={"WWW-Authenticate": 'Bearer realm="trustgraph"'}))
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limits.max_body_bytes):
            return problem_response(request, Problem(413, f"the body is larger than {limits.max_body_bytes} bytes",
                                                     kind="content-too-large"))
        head = request.method == "HEAD"
        if head:  # served wherever GET is (RFC 9110): the GET answer's status and headers, no body
            request.scope["method"] = "GET"
        try:
            response = await call_next(request)
            if not head:
                return response
            async for _ in response.body_iterator:  # the headers already carry the GET's length
                pass
            return Response(status_code=response.status_code, headers=dict(response.headers))
        except Problem as problem:
            return problem_response(request, problem)
        except Exception:  # a defect: logged with its traceback, answered as a problem document without it
            logging.getLogger("trustgraph.service").exception("unexpected error on %s %s", request.method,
                                                              request.url.path)
            return problem_response(request, Problem(500, "an unexpected error; the server log has the details",
                                                     exit_code=1, kind="internal-error"))

    async def on_engine(fn: Callable[[], Any]) -> Any:
        if engine.pending >= limits.max_pending:
            raise Problem(503, "too many requests waiting; try again", kind="busy", headers={"Retry-After": "1"})
        loop = asyncio.get_running_loop()
        engine.pending += 1

        def job() -> Any:
            try:
                with question_deadline(limits.request_timeout_s):  # the loops that run long stop there
                    return fn()
            except BaseException as err:  # noqa: BLE001 -- turned into a problem document
                return problem_from(err)
            finally:
                engine.settle()

        future = loop.run_in_executor(engine.executor, job)
        future.add_done_callback(lambda _: setattr(engine, "pending", engine.pending - 1))
        try:
            result = await asyncio.wait_for(asyncio.shield(future), limits.request_timeout_s)
        except TimeoutError:
            raise Problem(503, f"the request took longer than {limits.request_timeout_s:g} s", kind="timeout",
                          headers={"Retry-After": "5"}) from None
        if isinstance(result, Problem):
            raise result
        return result

    def document_response(document: dict[str, Any], request: Request) -> Response:
        if "application/x-ndjson" in request.headers.get("accept", ""):
            return Response(ndjson_text(document), media_type="application/x-ndjson")
        return Response(to_json(document, indent=None), media_type="application/json")

    async def read_body(request: Request) -> bytes:
        chunks, size = [], 0
        deadline = time.monotonic() + limits.body_timeout_s
        stream = request.stream().__aiter__()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Problem(408, f"the body did not arrive within {limits.body_timeout_s:g} s", kind="timeout")
            try:
                chunk = await asyncio.wait_for(stream.__anext__(), left)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise Problem(408, f"the body did not arrive within {limits.body_timeout_s:g} s",
                              kind="timeout") from None
            size += len(chunk)
            if size > limits.max_body_bytes:
                raise Problem(413, f"the body is larger than {limits.max_body_bytes} bytes", kind="content-too-large")
            chunks.append(chunk)
        return b"".join(chunks)

    def make_handler(route: Route) -> Callable[..., Any]:
        async def handler(request: Request) -> Response:
            values = dict(request.query_params)
            multi: dict[str, list[str]] = {}
            _once(request)
            names = _positional_names(route.command)
            for k, pname in enumerate(route.path_params):
                if k < len(names):
                    if names[k] in values:
                        raise Problem(400, f"{names[k]} is given in the path; not also as a query parameter",
                                      exit_code=2, kind="bad-parameter")
                    values[names[k]] = request.path_params[pname]
            if route.command == "query":
                reserved = {"name"}
                multi["param"] = [f"{k}={v}" for k, v in request.query_params.items() if k not in reserved]
                values = {"name": values["name"]} if "name" in values else values
            document = await on_engine(lambda: engine.answer(route.command, values, multi))
            return document_response(document, request)

        return handler

    from .cli.app import ANSWERS, cli

    cli.load_all()
    ok = {"description": "The answer document."}
    for route in ROUTES:
        if route.command not in ANSWERS:  # pragma: no cover -- tests/test_service.py checks every route is served
            continue
        responses = {"200": {**ok, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{route.kind}"}}, "application/x-ndjson": {}}},
            "default": {"description": "A problem document (RFC 9457).",
                        "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/problem"}}}}}
        app.add_api_route(route.path, make_handler(route), methods=["GET"], summary=route.summary,
                          name=re.sub(r"\W+", "_", route.path.replace(":path", "")).strip("_"),
                          openapi_extra={"parameters": _openapi_parameters(route), "responses": responses},
                          tags=[route.kind])

    @app.post("/v1/referrals", tags=["referrals"], summary="Batch referral lookups: ids as a JSON array "
              "({\"ids\": [...]}) or NDJSON (one id or {\"id\": ...} per line); answer as JSON or NDJSON (Accept).",
              openapi_extra={"responses": {"200": {"description": "One referrals document, a row per id.", "content": {
                  "application/json": {"schema": {"$ref": "#/components/schemas/referrals"}},
                  "application/x-ndjson": {}}}}})
    async def referrals_batch(request: Request) -> Response:
        _once(request)
        if "id" in request.query_params:
            raise Problem(400, "the ids of a batch are the body's; id is not a query parameter here", exit_code=2,
                          kind="bad-parameter")
        body = await read_body(request)
        ids = parse_ids(body, request.headers.get("content-type", ""), limits.max_batch)
        values = dict(request.query_params)
        document = await on_engine(lambda: batch_referrals(engine, ids, values))
        return document_response(document, request)

    @app.get("/v1/parties/{id:path}", tags=["party"], summary="One party: facts, listings and direct trust ties.")
    async def one_party(request: Request, id: str) -> Response:
        if set(request.query_params):
            raise Problem(400, "this route takes no query parameters", exit_code=2, kind="bad-parameter")
        document = await on_engine(lambda: engine.party(id))
        return document_response(document, request)

    @app.get("/v1/schemas", tags=["schemas"], summary="The document kinds and their schema ids.")
    async def schemas() -> JSONResponse:
        return JSONResponse({"schemas": [{"kind": k, "schema": schema_id(k)} for k in KINDS]})

    @app.get("/v1/schemas/{kind}", tags=["schemas"], summary="The JSON Schema of one document kind.")
    async def one_schema(kind: str) -> JSONResponse:
        try:
            return JSONResponse(load_schema(kind), media_type="application/schema+json")
        except NotFoundError as err:
            raise Problem(404, str(err), exit_code=4) from None

    @app.get("/healthz", tags=["service"], summary="Liveness: 200 while the service runs.")
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__, "pending": engine.pending})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            spec = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            spec.setdefault("components", {}).setdefault("schemas", {}).update({k: _components(k) for k in KINDS})
            if token:
                spec["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
                spec["security"] = [{"bearer": []}]
            app.openapi_schema = spec
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.on_event("shutdown")
    def _close() -> None:
        engine.executor.shutdown(wait=False, cancel_futures=True)

    return app


def parse_ids(body: bytes, content_type: str, max_batch: int) -> list[str]:
    """Ids of a batch body: a JSON object ``{"ids": [...]}``, a JSON array, or NDJSON lines (an id
    string, a JSON string or ``{"id": ...}`` each)."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Problem(400, "the body is not UTF-8 text", exit_code=2, kind="malformed-body") from None
    ids: list[Any]
    if "ndjson" in content_type or "text/plain" in content_type:
        ids = []
        for n, line in enumerate(text.splitlines(), 1):
            line = line.strip()
            if not line:
                continue
            if line[0] in "{\"":
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as err:
                    raise Problem(400, f"line {n}: not JSON ({err.msg})", exit_code=2, kind="malformed-body") from None
                except RecursionError:
                    raise Problem(400, f"line {n}: JSON nested too deeply", exit_code=2,
                                  kind="malformed-body") from None
                ids.append(value.get("id") if isinstance(value, dict) else value)
            else:
                ids.append(line)
            if len(ids) > max_batch:
                break
    else:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise Problem(400, f"the body is not JSON: {err.msg} at line {err.lineno} column {err.colno}",
                          exit_code=2, kind="malformed-body") from None
        except RecursionError:  # [[[[...]]]]: json's C decoder recurses once per level
            raise Problem(400, "the body is not a list of ids: JSON nested too deeply", exit_code=2,
                          kind="malformed-body") from None
        found = data.get("ids") if isinstance(data, dict) else data
        if not isinstance(found, list):
            raise Problem(400, 'expected {"ids": ["ORG001", ...]} or a JSON array of ids', exit_code=2,
                          kind="malformed-body")
        ids = found
    if len(ids) > max_batch:
        raise Problem(413, f"at most {max_batch} ids per batch", kind="batch-too-large")  # HTTP only: no exit code
    if not ids:
        raise Problem(400, "no ids in the body", exit_code=2, kind="malformed-body")
    bad = [i for i in ids if not isinstance(i, str) or not i.strip()]
    if bad:
        raise Problem(400, f"every id must be a non-empty string (got {bad[0]!r})", exit_code=2,
                      kind="malformed-body")
    return [i.strip() for i in ids]


def batch_referrals(engine: Engine, ids: list[str], values: dict[str, str]) -> dict[str, Any]:
    """One referrals document for many ids (the CLI's ``referrals -``)."""
    lines = [json.dumps({"id": i}) for i in ids]  # as JSON lines: an id is never read as anything else
    return engine.answer("referrals", {**values, "id": "-"}, extra={"lines": lines})


def run(config: ServiceConfig, *, host: str, port: int, token: str | None, workers: int = 1,
        log_level: str = "info") -> None:
    """Serve until interrupted (uvicorn)."""
    import uvicorn

    check_bind(host, token)  # (check_port is the command's, before its banner)
    if workers > 1:
        os.environ["TRUSTGRAPH_SERVE_CONFIG"] = config.to_json()
        if token:
            os.environ[TOKEN_ENV] = token
        uvicorn.run("trustgraph.service:app_from_environ", factory=True, host=host, port=port, workers=workers,
                    log_level=log_level, timeout_keep_alive=5, server_header=False)
        return
    uvicorn.run(create_app(config, token), host=host, port=port, log_level=log_level, timeout_keep_alive=5,
                server_header=False)


def check_port(host: str, port: int) -> None:
    """Refuse (exit 6) an address the server could not listen on — a port in use, a host that is not
    this machine's — before starting: uvicorn would exit with its own code 3, which is "invalid data"
    here. A bind test with the options uvicorn uses (``SO_REUSEADDR``)."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as err:
        raise ConfigurationError(f"cannot serve on {host}:{port}: {err.strerror}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
        except OSError as err:
            hint = "; choose another with --port" if err.errno == errno.EADDRINUSE else ""
            raise ConfigurationError(f"cannot serve on {host}:{port}: {err.strerror}{hint}") from None


def app_from_environ() -> FastAPI:
    """The app of a worker process (``--workers``): configuration from the environment."""
    config = ServiceConfig.from_json(os.environ["TRUSTGRAPH_SERVE_CONFIG"])
    return create_app(config, os.environ.get(TOKEN_ENV) or None)
