"""The ``trustgraph`` command group, its global options, and error → exit-code mapping.

Commands live in sibling modules (one per concern) and register on :data:`cli`. Errors are mapped to
exit codes here and nowhere else:

====  ===============================================================
code  meaning
====  ===============================================================
0     ok
1     error (anything else; one line on stderr)
2     usage (bad option or argument)
3     invalid data (every problem listed, nothing written)
4     not found (unknown organisation, person, query; no chain)
5     store unavailable (cannot open SQLite file; Neo4j unreachable, bad credentials, no database)
6     configuration (contradictory settings, bad profile file)
====  ===============================================================
"""

from __future__ import annotations

import datetime
import errno
import functools
import importlib
import math
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from .. import __version__
from ..errors import InvalidDataError, TrustgraphError
from ..model import DATE_RANGE_TEXT, check_date
from ..store import Store, StoreSettings, open_store

if TYPE_CHECKING:  # heavy modules are imported where a command uses them: --help stays fast
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = ["cli", "main", "Env", "pass_env", "progress", "SHOWN_PROBLEMS", "half_life_option", "as_of_option",
           "FiniteFloat", "IsoDate", "IntListText", "MAX_HALF_LIFE_DAYS", "COMMANDS", "LazyGroup", "ANSWERS",
           "answers", "creates_store"]

#: How many validation problems are printed before "... and N more".
SHOWN_PROBLEMS = 20
#: Two years (the value of :data:`trustgraph.evidence.DEFAULT_HALF_LIFE_DAYS`, which a test keeps in
#: step; not imported so that ``--help`` does not load pandas).
DEFAULT_HALF_LIFE_DAYS = 730.0


class Env:
    """What every command needs, resolved once per invocation: settings, store, snapshots.

    Read commands use :attr:`store`, which refuses a missing SQLite file (exit 5); commands that
    write use :attr:`writable_store`, which creates it.
    """

    def __init__(self, settings: StoreSettings, *, quiet: bool = False, debug: bool = False) -> None:
        self.settings = settings
        self.quiet = quiet
        self.debug = debug
        self._snapshots: dict[tuple[Any, ...], Snapshot] = {}
        self._tables: dict[str, pd.DataFrame] | None = None

    @cached_property
    def store(self) -> Store:
        """The store, opened for reading: a missing SQLite file is refused (StoreUnavailableError)."""
        return open_store(self.settings, create=False)

    @property
    def writable_store(self) -> Store:
        """The store, created when missing (load, import, record, demo). Use it inside
        :meth:`creating`, so that a write refused before anything is stored leaves no new file."""
        if "store" not in self.__dict__:
            self.__dict__["store"] = open_store(self.settings, create=True)
        return self.store

    @contextmanager
    def creating(self) -> Iterator[None]:
        """Run a write that may create the SQLite file: when it fails and the file did not exist
        before, the file it created (with its journal and snapshot folder) is removed again — a
        refused load leaves no empty store behind that later reads would take for data."""
        path = None if self.settings.neo4j_uri else Path(self.settings.sqlite_path)
        new = path is not None and not path.exists() and "store" not in self.__dict__
        try:
            yield
        except BaseException:
            if new and path is not None:
                store = self.__dict__.pop("store", None)
                if store is not None:
                    from ..snapshot import snapshot_folder

                    folder = snapshot_folder(store)
                    store.close()
                    shutil.rmtree(folder, ignore_errors=True)
                for leftover in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm", "-journal"))):
                    leftover.unlink(missing_ok=True)
            raise

    def tables(self) -> dict[str, pd.DataFrame]:
        """All tables of the store (read once per invocation). Analyses read :meth:`snapshot`
        instead; this is for commands that show or export rows."""
        if self._tables is None:
            from ..store.base import tables as store_tables

            self._tables = store_tables(self.store)
        return self._tables

    def about(self, parties: Any, names: Any = None, *, between: bool = False) -> dict[str, pd.DataFrame]:
        """The rows concerning a few ``parties``, of every table or of the tables ``names`` (indexed
        lookups; see :meth:`Store.about`; ``between``: only those between two of them may be given)."""
        return self.store.about(parties, names, between=between)

    def snapshot(self, *, as_of: str | None = None,
                 half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS) -> Snapshot:
        """The compiled trust graph for (as-of, half-life): cached on disk per store version
        (:func:`trustgraph.snapshot.open_snapshot`) and in memory for this invocation."""
        from ..snapshot import open_snapshot

        key = (as_of, half_life_days)
        if key not in self._snapshots:
            self._snapshots[key] = open_snapshot(self.store, as_of=as_of, half_life_days=half_life_days)
        return self._snapshots[key]

    def resolve_org(self, G: Any, ref: str) -> str:
        """The id of the organisation ``ref`` names (an id, in any case, a name or the unambiguous
        start of a name: :func:`trustgraph.snapshot.resolve_reference`); ``G`` is a
        :class:`~trustgraph.snapshot.Snapshot` or a NetworkX graph.

        Raises
        ------
        NotFoundError
            When several organisations match (they are listed), or none (the closest are suggested).
        """
        if hasattr(G, "resolve"):
            return str(G.resolve(ref))
        if ref in G:
            return ref
        from ..snapshot import resolve_reference

        nodes = list(G.nodes)
        names = [G.nodes[n].get("name") for n in nodes]
        return str(nodes[resolve_reference(ref, nodes, names, exact=lambda r: None)])

    def store_info(self, snap: Snapshot | None = None) -> dict[str, Any]:
        """The ``store`` field of an answer document: backend, location (no credentials) and the
        version of ``snap`` (else the store's current version)."""
        from ..documents import store_of

        return store_of(self.settings, None if snap is not None else self.store, snap)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()


pass_env = click.make_pass_decorator(Env)

#: The document function of every read command, by command name: ``function(env, **params)`` returns
#: the command's answer document (:mod:`trustgraph.documents`), where ``params`` are the command's
#: parameters as click converts them (presentation options such as ``--format`` excluded). The CLI
#: prints it; ``trustgraph serve`` returns it: one code path, one schema.
ANSWERS: dict[str, Callable[..., dict[str, Any]]] = {}


def answers(command: str) -> Callable[[Callable[..., dict[str, Any]]], Callable[..., dict[str, Any]]]:
    """Register the document function of ``command`` in :data:`ANSWERS`."""
    def register(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
        ANSWERS[command] = func
        return func

    return register


def creates_store(func: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    """A write command's document function, run inside :meth:`Env.creating`."""
    @functools.wraps(func)
    def wrapper(env: Env, *args: Any, **kwargs: Any) -> dict[str, Any]:
        with env.creating():
            return func(env, *args, **kwargs)

    return wrapper


@contextmanager
def progress(env: Env, total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr, silent when stderr is not a terminal or with ``--quiet``."""
    if env.quiet or not sys.stderr.isatty() or total <= 0:
        yield lambda n: None
        return
    with click.progressbar(length=total, label=label, file=sys.stderr) as bar:
        yield bar.update


class FiniteFloat(click.FloatRange):
    """A float option within ``[min, max]`` that also refuses ``nan``, ``inf`` and ``-inf``.

    ``click.FloatRange`` lets NaN through (every comparison with NaN is false), so ``--half-life
    nan`` used to mean "no decay" silently. Every float option of the CLI uses this type, with both
    bounds given; ``--help`` shows the range.
    """

    def __init__(self, min: float, max: float, *, min_open: bool = False, max_open: bool = False) -> None:
        super().__init__(min=min, max=max, min_open=min_open, max_open=max_open, clamp=False)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = click.FLOAT.convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number (expected a number {self._describe_range()})", param, ctx)
        return super().convert(number, param, ctx)


class IsoDate(click.ParamType):
    """A date option: ``today`` or exactly ``YYYY-MM-DD``, from 1900-01-01 to one year after today
    (the rule of :func:`trustgraph.model.check_date`, which every stored date follows). Converts to
    a :class:`datetime.datetime` at midnight."""

    name = "date"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        return "YYYY-MM-DD|today"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime.datetime):
            value = value.strftime("%Y-%m-%d")
        text = str(value).strip()
        if text.casefold() == "today":
            text = datetime.date.today().isoformat()
        problem = check_date(text)
        if problem is not None:
            self.fail(f"{str(value)!r}: expected today or {problem}", param, ctx)
        return datetime.datetime.strptime(text, "%Y-%m-%d")


class IntListText(click.ParamType):
    """A comma-separated list of integers in ``[min, max]`` (at most ``max_items``), checked and
    passed on as the text given (the command parses it), e.g. ``--capacities 800,200,50``."""

    name = "N,N,..."

    def __init__(self, min: int, max: int, max_items: int) -> None:
        self.min, self.max, self.max_items = min, max, max_items

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        items = [item.strip() for item in str(value).split(",") if item.strip()]
        if len(items) > self.max_items:
            self.fail(f"at most {self.max_items} values, got {len(items)}", param, ctx)
        for item in items:
            try:
                number = int(item)
            except ValueError:
                continue  # the command says what it expected
            if not self.min <= number <= self.max:
                self.fail(f"{item} is not in the range {self.min}..{self.max}", param, ctx)
        return value


#: The largest ``--half-life``: 100 years (0 already means no decay).
MAX_HALF_LIFE_DAYS = 36_500.0


def half_life_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--half-life DAYS`` (0 = no decay; finite, at most :data:`MAX_HALF_LIFE_DAYS`)."""
    return click.option(
        "--half-life", "half_life", type=FiniteFloat(0, MAX_HALF_LIFE_DAYS), default=DEFAULT_HALF_LIFE_DAYS,
        show_default=True,
        help="Evidence half-life in days (0 = no decay). Referrals are standing opinions: they keep full weight "
             "in trust and fade only as activity (exposure).",
    )(func)


def as_of_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--as-of DATE`` (:class:`IsoDate`: 1900-01-01 to one year after today)."""
    return click.option(
        "--as-of", "as_of", type=IsoDate(), default=None,
        help=f"Evaluate as of this date: YYYY-MM-DD ({DATE_RANGE_TEXT}) or today [default: the newest event "
             "in the data].",
    )(func)


def as_of_str(value: Any) -> str | None:
    """The ISO date of an ``--as-of`` value."""
    return None if value is None else value.strftime("%Y-%m-%d")


def half_life_value(value: float) -> float | None:
    return None if not value else float(value)


#: Every command: the module (in this package) that registers it, and its one-line help as ``--help``
#: lists it. A test keeps each line equal to the command's own first paragraph.
COMMANDS: dict[str, tuple[str, str]] = {
    "accepted": ("chains_commands", "Parties accepted by Levien's attack-resistant (Advogato) max-flow trust metric."),
    "analyze": ("analyze_commands", "Compute reputation and risk (reputation combined with blacklist exposure) for "
                                    "every organisation."),
    "assess": ("lifecycle_commands", "Should ORG enter a partnership with CANDIDATE?"),
    "chain": ("chains_commands", "The strongest vouching chains from FROM to TO (at most --limit)."),
    "contagion": ("contagion_commands", "Exposure of every party to blacklisted parties, highest first."),
    "continuity": ("lifecycle_commands", "Partnerships whose relationship rests on a single person, and what a "
                                         "departure would break."),
    "demo": ("demo_commands", "Load the sample dataset into the store and run a short tour of the main commands."),
    "factors": ("factors_commands", "The trust factors of CANDIDATE for ORG, each in [0, 1] or unknown, with its "
                                    "evidence."),
    "export": ("data_commands", "Write every table back to FOLDER as the CSV files `load` reads."),
    "exposure": ("contagion_commands", "Every path of at most --max-hops ties from ORG (id or name) to a listed "
                                       "party, strongest first."),
    "health": ("lifecycle_commands", "ORG's look in the mirror: how others see it, and what needs attention."),
    "init": ("data_commands", "Write an empty dataset to FOLDER: each table's CSV header and one example row."),
    "import": ("data_commands", "Import a research network (snap-signed, konect) or FollowTheMoney entities (ftm)."),
    "load": ("data_commands", "Validate the dataset folder PATH and upsert it into the store."),
    "map": ("map_commands", "Write an interactive network map to FILE.html: one self-contained page that works "
                            "offline."),
    "orgs": ("orgs_commands", "List and search parties by id, name, country, sector, region and listed status."),
    "query": ("query_commands", "Run the named Cypher query NAME on Neo4j, in a read transaction."),
    "record": ("data_commands", "Append one event (referral, incident, action, listing, partnership, ...) with full "
                                "validation."),
    "referrals": ("chains_commands", "Referral lookup: who referred ID, whom ID referred, and the strongest chain "
                                     "from --for."),
    "reputation": ("reputation_commands", "Reputation of every organisation, or of ID."),
    "schema": ("schema_commands", "Print the JSON Schema of a document kind (every command's --format json answer)."),
    "serve": ("serve_commands", "Serve every answer over HTTP as JSON documents (read-only; OpenAPI at "
                                "/openapi.json)."),
    "stats": ("data_commands", "Summarise what is stored: rows per table, listings in force, signed referrals."),
    "timeline": ("lifecycle_commands", "The history of trust between A and B, event by event."),
    "vouchers": ("chains_commands", "Independent vouchers for TARGET (node-disjoint chains) and a web-of-trust "
                                    "verdict."),
}


class StdoutClosed(Exception):
    """The reader of stdout went away (a closed pipe): :func:`main` ends quietly with exit 0."""


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command is used.

    ``--help`` lists the commands from :data:`COMMANDS` without importing them.
    """

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(COMMANDS) | set(self.commands))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            importlib.import_module(f"{__package__}.{COMMANDS[cmd_name][0]}")
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: click.Context, args: list[str]) -> tuple[str | None, click.Command | None,
                                                                        list[str]]:
        """click's, with the nearest command names suggested for an unknown one."""
        name = click.utils.make_str(args[0]) if args else ""
        if args and not ctx.resilient_parsing and self.get_command(ctx, name) is None and not name.startswith("-"):
            import difflib

            near = difflib.get_close_matches(name, self.list_commands(ctx), n=3, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
            ctx.fail(f"No such command {name!r}.{hint}")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except OSError as err:
            # click answers a closed stdout with exit 1; trustgraph ends quietly with 0 (main)
            if _broken_pipe(err):
                raise StdoutClosed() from err
            raise

    def load_all(self) -> None:
        """Import every command module (tests and documentation generators)."""
        for module in sorted({m for m, _ in COMMANDS.values()}):
            importlib.import_module(f"{__package__}.{module}")

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        if not names:
            return
        limit = formatter.width - 6 - max(len(n) for n in names)
        rows = []
        for name in names:
            if name in COMMANDS:
                # a stand-in command shortens the line exactly as click shortens a command's own help
                text = click.Command(name, help=COMMANDS[name][1]).get_short_help_str(limit)
            else:
                cmd = self.commands[name]
                if cmd.hidden:
                    continue
                text = cmd.get_short_help_str(limit)
            rows.append((name, text))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "--version", prog_name="trustgraph")
@click.option("--store", "store", envvar="TRUSTGRAPH_STORE", default=None, metavar="PATH",
              help="SQLite store file [env TRUSTGRAPH_STORE; default ./trustgraph.db].")
@click.option("--neo4j-uri", envvar="NEO4J_URI", default=None, help="Use Neo4j at this URI [env NEO4J_URI].")
@click.option("--neo4j-user", envvar="NEO4J_USERNAME", default=None, help="Neo4j user [env NEO4J_USERNAME].")
@click.option("--neo4j-password", envvar="NEO4J_PASSWORD", default=None, show_envvar=False,
              help="Neo4j password [env NEO4J_PASSWORD]; prefer the environment variable.")
@click.option("--neo4j-database", envvar="NEO4J_DATABASE", default=None, help="Neo4j database [env NEO4J_DATABASE].")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or notes on stderr.")
@click.option("--debug", is_flag=True, help="Show the traceback of an error too (same message and exit code).")
@click.pass_context
def cli(ctx: click.Context, store: str | None, neo4j_uri: str | None, neo4j_user: str | None,
        neo4j_password: str | None, neo4j_database: str | None, quiet: bool, debug: bool) -> None:
    """trustgraph: trust analysis for partnership networks.

    Load partnerships, referrals, incidents and listings; ask who can vouch for whom, how reputable a
    party is, what the exposure to blacklisted parties is; draw maps. Every command that prints
    results takes --format table|json|ndjson|csv.

    Exit codes: 0 ok, 1 error, 2 usage, 3 invalid data, 4 not found, 5 store unavailable,
    6 configuration.
    """
    # An explicit --store wins over a NEO4J_URI from the environment.
    explicit_store = ctx.get_parameter_source("store") == click.core.ParameterSource.COMMANDLINE
    explicit_neo = ctx.get_parameter_source("neo4j_uri") == click.core.ParameterSource.COMMANDLINE
    settings = StoreSettings.resolve(
        store=store if (explicit_store or not neo4j_uri) else None,
        neo4j_uri=neo4j_uri if (explicit_neo or not explicit_store) else None,
        neo4j_username=neo4j_user,
        neo4j_password=neo4j_password,
        neo4j_database=neo4j_database,
        env={},
    )
    env = Env(settings, quiet=quiet, debug=debug)
    ctx.obj = env
    ctx.call_on_close(env.close)


def note(env: Env, message: str) -> None:
    """A note for the user on stderr (silenced by --quiet), control characters shown escaped."""
    from .output import terminal_text

    if not env.quiet:
        click.echo(terminal_text(message), err=True)


def _report(err: TrustgraphError) -> None:
    """The error and its problems on stderr; a reader of stderr that went away (``2>&1 | head -1``)
    does not change the exit code, which is the error's."""
    from .output import terminal_text

    lines = [terminal_text(f"error: {err}")]
    if isinstance(err, InvalidDataError):
        lines += [terminal_text(f"  {problem}") for problem in err.problems[:SHOWN_PROBLEMS]]
        more = err.total - min(len(err.problems), SHOWN_PROBLEMS)
        if more > 0:
            lines.append(f"  ... and {more} more")
    try:
        for line in lines:
            click.echo(line, err=True)
        sys.stderr.flush()
    except (OSError, ValueError):  # stderr closed: the exit code still says what happened
        pass


class Terminated(BaseException):
    """SIGTERM arrived: raised in the main thread so that a write in progress is undone (a temporary
    map file, a store the command created) before the process ends with 128 + 15."""


#: The exit code after SIGTERM, as a shell reports a process that SIGTERM ended.
TERMINATED_EXIT = 143


def _on_sigterm(signum: int, frame: Any) -> None:
    raise Terminated()


@contextmanager
def _sigterm_undoes_writes() -> Iterator[None]:
    """While the command runs, SIGTERM raises :class:`Terminated` (main thread only; the previous
    handler is restored after, for callers that run the CLI in-process)."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _on_sigterm)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _closed_stdout() -> None:
    """End quietly after the reader of stdout went away (``trustgraph … | head -1``): exit 0.

    Python flushes stdout again at exit, which would fail the same way; so stdout is pointed at
    devnull first (the Python documentation's note on SIGPIPE, module ``signal``).
    """
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a file descriptor (a test's StringIO)
        pass
    sys.exit(0)


def _broken_pipe(err: BaseException) -> bool:
    return isinstance(err, BrokenPipeError) or (isinstance(err, OSError) and err.errno == errno.EPIPE)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: run the CLI and map errors to exit codes."""
    with _sigterm_undoes_writes():
        _main(argv)


def _main(argv: list[str] | None) -> None:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        rv = cli.main(args=argv, prog_name="trustgraph", standalone_mode=False)
        sys.stdout.flush()  # a closed pipe shows here, where it can be answered, not at exit
    except TrustgraphError as err:
        if debug:  # the traceback, then the same message and exit code as without --debug
            import traceback

            traceback.print_exc()
        _report(err)
        sys.exit(err.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(1)
    except Terminated:
        try:
            click.echo("terminated (SIGTERM)", err=True)
        except (OSError, ValueError):
            pass
        sys.exit(TERMINATED_EXIT)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except StdoutClosed:
        _closed_stdout()
    except (OSError, ValueError, KeyError) as err:
        if _broken_pipe(err):
            _closed_stdout()
        if debug:
            raise
        click.echo(f"error: {err.__class__.__name__}: {err}", err=True)
        sys.exit(1)
    sys.exit(rv if isinstance(rv, int) else 0)
