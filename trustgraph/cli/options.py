"""Options shared by every command: one name per idea (docs/cli.md).

=================  ======================================================================
option             meaning
=================  ======================================================================
``--limit N``      how many rows (the N first in the answer's order); ``0`` = no limit
                   wherever it is accepted (where unlimited cannot be bounded, 0 is refused)
``--max-hops N``   the longest path, in ties, a search may follow
``--for ORG``      the organisation asking: the answer is from its point of view
``--pretrusted``   the parties trusted a priori (default: those marked pretrusted)
``--as-of``        the date the answer holds for
``--half-life``    evidence half-life in days (0 = no decay); referrals fade only as activity
``--format``       table | json | ndjson | csv
=================  ======================================================================

Older names (``--k``, ``--top``, ``--hops``, ``--from``, ``--org``, ``--seeds``, ``--max-depth``)
still work for one release as hidden aliases (:func:`alias`): a note on stderr names the new one.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

__all__ = ["limit_option", "max_hops_option", "for_option", "pretrusted_option", "alias"]

F = TypeVar("F", bound=Callable[..., Any])


def limit_option(default: int, maximum: int, what: str, *, zero: bool = True) -> Callable[[F], F]:
    """``--limit N``: at most N ``what`` (0 = no limit unless ``zero`` is false)."""
    low = 0 if zero else 1
    text = f"At most N {what}" + (" (0 = no limit)." if zero else ".")
    return click.option("--limit", "limit", type=click.IntRange(low, maximum), default=default, show_default=True,
                        metavar="N", help=text)


def max_hops_option(default: int | None, maximum: int, what: str = "Longest path searched, in ties."
                    ) -> Callable[[F], F]:
    """``--max-hops N`` (1..``maximum``; ``default`` None means the command decides)."""
    return click.option("--max-hops", "max_hops", type=click.IntRange(0 if default is None else 1, maximum),
                        default=default, show_default=default is not None, metavar="N", help=what)


def for_option(*, required: bool = False, what: str = "The organisation asking (id or name): answer from its "
               "point of view.") -> Callable[[F], F]:
    """``--for ORG`` (a required option has no default: click then enforces it, exit 2)."""
    if required:
        return click.option("--for", "for_org", required=True, metavar="ORG", help=what)
    return click.option("--for", "for_org", default=None, metavar="ORG", help=what)


def pretrusted_option(what: str = "Pre-trusted organisations (ids or names, comma-separated) "
                      "[default: those marked pretrusted].") -> Callable[[F], F]:
    """``--pretrusted A,B,...``."""
    return click.option("--pretrusted", "pretrusted", default=None, metavar="A,B,...", help=what)


def alias(old: str, canonical: str, **option: Any) -> Callable[[F], F]:
    """Keep ``old`` (e.g. ``--k``) working as a hidden alias of the parameter ``canonical`` (e.g.
    ``limit``) for one release. Giving both is a usage error (exit 2); the old name prints a note.

    ``option`` are the click options of the alias (its ``type``, ``is_flag`` ...).
    """
    dest = "alias_" + old.lstrip("-").replace("-", "_")

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            value = kwargs.pop(dest, None)
            if value is not None:
                ctx = click.get_current_context()
                new = next((p for p in ctx.command.params if p.name == canonical), None)
                new_name = new.opts[0] if new is not None and new.opts else canonical
                if ctx.get_parameter_source(canonical) == click.core.ParameterSource.COMMANDLINE:
                    raise click.UsageError(f"{old} is the old name of {new_name}: give one of them")
                kwargs[canonical] = value
                quiet = getattr(ctx.find_root().obj, "quiet", False)
                if not quiet and not getattr(ctx.find_root().obj, "service", False):
                    click.echo(f"note: {old} is now {new_name} ({old} will be removed in the next release)",
                               err=True)
            return func(*args, **kwargs)

        return click.option(old, dest, default=None, hidden=True, **option)(wrapper)  # type: ignore[return-value]

    return decorate


def public_name(param: click.Parameter) -> str:
    """The name a parameter has outside the command line — a query parameter of the service, a keyword
    of the Python API: its first long option without dashes (``--max-hops`` → ``max_hops``, ``--for`` →
    ``for``, ``--what-if`` → ``what_if``), or an argument's metavar in lower case, without the brackets
    that mark it optional in the usage line."""
    if isinstance(param, click.Option):
        long = [o for o in param.opts if o.startswith("--")] or param.opts
        return long[0].lstrip("-").replace("-", "_")
    return (param.metavar or param.name or "").strip("[].").lower().replace("-", "_")
