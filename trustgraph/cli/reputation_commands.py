"""``trustgraph reputation``: EigenTrust reputation with one-step distrust (see docs/reputation.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .app import (
    DEFAULT_HALF_LIFE_DAYS,
    Env,
    FiniteFloat,
    answers,
    as_of_option,
    as_of_str,
    cli,
    half_life_option,
    half_life_value,
    note,
    pass_env,
)
from .options import alias, for_option, limit_option, pretrusted_option
from .output import emit, emit_answer, format_option, resolve_format

if TYPE_CHECKING:
    from ..analysis.reputation import ReputationResult
    from ..snapshot import Snapshot

__all__ = ["reputation_command", "reputation_document"]

#: The defaults of :mod:`trustgraph.analysis.reputation` (checked by the tests), here so that
#: ``--help`` does not import the analysis.
DEFAULT_DAMPING = 0.85
DEFAULT_SHRINKAGE = 1.0

_TABLE_COLUMNS = ["rank", "id", "name", "reputation", "percentile", "givers", "takers"]
_LABELS = {
    "track_record": "track record",
    "referrals": "referrals",
    "incidents": "incidents",
    "communications": "communications",
    "other": "other",
    "pretrusted": "pre-trusted",
}


def _contributor(who: dict[str, Any]) -> dict[str, Any]:
    """A giver or taker: ``propagated_trust`` is the rater's own (EigenTrust) trust."""
    return {"id": str(who["id"]), "name": who["name"], "opinion": who["opinion"],
            "propagated_trust": who["trust"], "voice": who["voice"], "contribution": who["contribution"]}


def _party_row(result: ReputationResult, node: Any, rank: int, contributors: int, *, evidence: bool) -> dict[str, Any]:
    """One row of the document: a party's reputation, explained."""
    e = result.explain(node, top=contributors)
    row: dict[str, Any] = {
        "rank": rank, "id": str(e["id"]), "name": e["name"], "reputation": e["score"], "reputation_rank": e["rank"],
        "percentile": e["percentile"], "propagated_trust": e["trust"], "voice": e["voice"], "support": e["support"],
        "raters": e["raters"], "breakdown": e["breakdown"],
        "givers": [_contributor(g) for g in e["givers"]], "takers": [_contributor(t) for t in e["takers"]],
    }
    if evidence:
        row["evidence"] = e.get("evidence", {})
    return row


@answers("reputation")
def reputation_document(env: Env, *, org: str | None = None, explain: bool = False, pretrusted: str | None = None,
                        for_org: str | None = None, limit: int = 0, contributors: int = 3,
                        damping: float = DEFAULT_DAMPING, shrinkage: float = DEFAULT_SHRINKAGE, as_of: Any = None,
                        half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``reputation`` document: one row per organisation (best first), or ID's row alone."""
    if explain and org is None:
        raise click.UsageError("--explain needs an organisation ID")
    if pretrusted is not None and for_org is not None:
        raise click.UsageError("--pretrusted and --for are exclusive: --for ORG is the view of ORG alone")
    from ..analysis.reputation import reputation
    from ..documents import envelope

    G = env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))
    seeds = None
    if pretrusted is not None:
        refs = [p.strip() for p in pretrusted.split(",") if p.strip()]
        if not refs:
            raise click.UsageError("--pretrusted needs at least one organisation")
        seeds = list(dict.fromkeys(env.resolve_org(G, r) for r in refs))
    start = env.resolve_org(G, for_org) if for_org is not None else None
    target = env.resolve_org(G, org) if org is not None else None
    # The snapshot carries the evidence by kind: explanations split by kind and count the evidence.
    result = reputation(G, pretrusted=seeds, source=start, damping=damping, shrinkage=shrinkage)
    if start is not None:
        used = None
    elif seeds is not None:
        used = [str(s) for s in seeds]
    else:
        used = sorted(map(str, result.pretrusted)) or None
    chosen = [target] if target is not None else result.ranking(limit or None)
    document = envelope("reputation", as_of=G.as_of, store=env.store_info(G), parameters={
        "id": None if target is None else str(target), "explain": explain,
        "for": None if start is None else str(start), "pretrusted": used, "limit": limit,
        "contributors": contributors, "damping": damping, "shrinkage": shrinkage, "half_life": half_life})
    anchor = "for" if start is not None else "pretrusted" if used else "none"
    document["view"] = {"anchor": anchor, "pretrusted": used, "for": None if start is None else str(start)}
    document["parties"] = len(result)
    document["rows"] = [_party_row(result, n, k, contributors, evidence=explain)
                        for k, n in enumerate(chosen, start=1)]
    return document


def _who(people: list[dict[str, Any]]) -> str:
    return "; ".join(f"{p['name'] or p['id']} ({p['contribution']:+.3f})" for p in people)


def _table_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "rank": row["reputation_rank"],
        "id": row["id"],
        "name": row["name"],
        "reputation": f"{row['reputation']:.3f}",
        "percentile": f"{row['percentile']:.1f}",
        "givers": _who(row["givers"]),
        "takers": _who(row["takers"]),
    }


def _view(snap: Snapshot, parameters: dict[str, Any]) -> str:
    """Whose view the document is, in words (from its parameters ``for`` and ``pretrusted``)."""
    if parameters["for"] is not None:
        return f"{parameters['for']} ({snap.name(parameters['for']) or parameters['for']})"
    ids = parameters["pretrusted"]
    if ids:
        shown = ", ".join(map(str, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        return f"the pre-trusted set ({shown})"
    return "nobody (no pre-trusted set: nothing known, every reputation 0.5)"


def _story(doc: dict[str, Any], view: str) -> str:
    """The table form of ``--explain``: one organisation's reputation, told."""
    row = doc["rows"][0]
    of = doc["parties"]
    lines = [
        f"{row['id']}  {row['name'] or ''}".rstrip(),
        f"reputation {row['reputation']:.3f}  rank {row['reputation_rank']} of {of}"
        f"  percentile {row['percentile']:.1f}  (0.5 = nothing known)",
        f"as of {doc['as_of']}, seen from {view}; propagated trust {row['propagated_trust']:.4g}"
        f" (average {1 / of:.4g}),"
        f" so its own opinions count with voice {row['voice']:.2f}",
        f"rated by {row['raters']} organisation(s); the reputation rests on {row['support']:.2f} voice(s), "
        "prior included",
        "",
        "breakdown (contribution to the reputation above or below 0.5):",
    ]
    counts = row.get("evidence", {})
    for key, value in row["breakdown"].items():
        c = counts.get(key)
        detail = f"   {c['rows']} row(s): {c['positive']} positive, {c['negative']} negative" if c else ""
        lines.append(f"  {_LABELS.get(key, key):<15} {value:+.4f}{detail}")
    for title, people in (("who gives it its reputation:", row["givers"]), ("who takes it away:", row["takers"])):
        lines.append("")
        lines.append(title)
        if not people:
            lines.append("  (nobody)")
        for p in people:
            lines.append(
                f"  {p['id']}  {p['name'] or ''}  opinion {p['opinion']:+.2f}, voice {p['voice']:.2f},"
                f" {p['contribution']:+.4f}"
            )
    return "\n".join(lines)


@cli.command("reputation")
@click.argument("org", metavar="[ID]", required=False)
@click.option("--explain", is_flag=True, help="Tell ID's story: breakdown, evidence and contributors.")
@pretrusted_option("Pre-trusted organisations (ids or names, comma-separated) [default: those marked pretrusted; "
                   "with none marked and no --for, nothing is known: every reputation 0.5].")
@for_option(what="Personalised view: reputation as seen from ORG (instead of a pre-trusted set).")
@alias("--from", "for_org")
@limit_option(0, 10_000_000, "organisations, the best first")
@alias("--top", "limit", type=click.IntRange(0, 10_000_000))
@click.option("--contributors", type=click.IntRange(0, 100), default=3, show_default=True,
              help="Contributors listed on each side.")
@click.option("--damping", type=FiniteFloat(0.0, 1.0, max_open=True), default=DEFAULT_DAMPING, show_default=True,
              help="Share of trust passed along endorsements (EigenTrust/PageRank α).")
@click.option("--shrinkage", type=FiniteFloat(0.0, 1000.0), default=DEFAULT_SHRINKAGE, show_default=True,
              help="Prior weight, in neutral opinions of one full voice each (0 = none).")
@as_of_option
@half_life_option
@format_option
@pass_env
def reputation_command(env: Env, org: str | None, explain: bool, pretrusted: str | None, for_org: str | None,
                       limit: int, contributors: int, damping: float, shrinkage: float, as_of: Any,
                       half_life: float, fmt: str | None) -> None:
    """Reputation of every organisation, or of ID.

    Trust propagates from the pre-trusted set along positive local trust (EigenTrust, Kamvar et al.
    2003); negative evidence counts once, at the last step (one-step distrust, Guha et al. 2004). A
    reputation is the mean local trust an organisation receives, each rater counting with its voice
    (its trust relative to the average, capped at one), shrunk toward 0.5 (nothing known); rank 1 is
    the best; percentile is the share of the others scoring lower (ties count half). Each row names
    the top contributors who give and who take away reputation.
    """
    document = reputation_document(env, org=org, explain=explain, pretrusted=pretrusted, for_org=for_org,
                                   limit=limit, contributors=contributors, damping=damping, shrinkage=shrinkage,
                                   as_of=as_of, half_life=half_life)
    parameters = document["parameters"]
    if parameters["for"] is None and parameters["pretrusted"] is None and document["parties"]:
        note(env, "note: no organisation is pre-trusted, so nothing is known: every reputation is 0.5 "
                  "(a reputation from everyone equally would reward a clique vouching for itself; "
                  "mark some pretrusted, or use --pretrusted or --for)")
    fmt = resolve_format(fmt)
    if fmt != "table":
        emit_answer(document, fmt)
        return
    G = env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))
    view = _view(G, parameters)
    if explain:
        emit_answer(document, fmt, text=lambda doc: _story(doc, view))
    else:
        emit([_table_row(r) for r in document["rows"]], fmt, columns=_TABLE_COLUMNS,
             title=f"reputation as of {document['as_of']}, seen from {view}")
