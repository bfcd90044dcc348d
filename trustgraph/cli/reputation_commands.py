"""``trustgraph reputation``: EigenTrust reputation with one-step distrust (see docs/reputation.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from .app import Env, FiniteFloat, as_of_option, as_of_str, cli, half_life_option, half_life_value, note, pass_env
from .output import emit, emit_document, format_option, resolve_format

if TYPE_CHECKING:
    from ..analysis.reputation import ReputationResult

__all__ = ["reputation_command"]

#: The defaults of :mod:`trustgraph.analysis.reputation` (checked by the tests), here so that
#: ``--help`` does not import the analysis.
DEFAULT_DAMPING = 0.85
DEFAULT_SHRINKAGE = 1.0

_TABLE_COLUMNS = ["rank", "id", "name", "score", "percentile", "givers", "takers"]
_LABELS = {
    "track_record": "track record",
    "referrals": "referrals",
    "incidents": "incidents",
    "communications": "communications",
    "other": "other",
    "pretrusted": "pre-trusted",
}


def _row(explained: dict[str, Any]) -> dict[str, Any]:
    """A listing row: the explanation without the evidence counts."""
    return {k: v for k, v in explained.items() if k != "evidence"}


def _who(people: list[dict[str, Any]]) -> str:
    return "; ".join(f"{p['name'] or p['id']} ({p['contribution']:+.3f})" for p in people)


def _flat_row(row: dict[str, Any]) -> dict[str, Any]:
    """A CSV row: one column per breakdown part, contributors as text."""
    out = {k: row[k] for k in ("id", "name", "score", "rank", "percentile", "trust", "raters")}
    out.update({f"breakdown_{k}": v for k, v in row["breakdown"].items()})
    out["givers"] = _who(row["givers"])
    out["takers"] = _who(row["takers"])
    return out


def _table_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "rank": row["rank"],
        "id": row["id"],
        "name": row["name"],
        "score": f"{row['score']:.3f}",
        "percentile": f"{row['percentile']:.1f}",
        "givers": _who(row["givers"]),
        "takers": _who(row["takers"]),
    }


def _story(doc: dict[str, Any]) -> str:
    """The table form of ``--explain``: one organisation's reputation, told."""
    lines = [
        f"{doc['id']}  {doc['name'] or ''}".rstrip(),
        f"score {doc['score']:.3f}  rank {doc['rank']} of {doc['of']}  percentile {doc['percentile']:.1f}"
        f"  (0.5 = nothing known)",
        f"seen from {doc['view']}; propagated trust {doc['trust']:.4g} (average {1 / doc['of']:.4g}),"
        f" so its own opinions count with voice {doc['voice']:.2f}",
        f"rated by {doc['raters']} organisation(s); the score rests on {doc['support']:.2f} voice(s), prior included",
        "",
        "breakdown (contribution to the score above or below 0.5):",
    ]
    counts = doc.get("evidence", {})
    for key, value in doc["breakdown"].items():
        c = counts.get(key)
        detail = f"   {c['rows']} row(s): {c['positive']} positive, {c['negative']} negative" if c else ""
        lines.append(f"  {_LABELS.get(key, key):<15} {value:+.4f}{detail}")
    for title, people in (("who gives it its reputation:", doc["givers"]), ("who takes it away:", doc["takers"])):
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


def _view(result: ReputationResult) -> str:
    if result.source is not None:
        return f"{result.source} ({result.snapshot.name(result.source) or result.source})"
    if result.pretrusted:
        ids = sorted(result.pretrusted)
        shown = ", ".join(map(str, ids[:5])) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        return f"the pre-trusted set ({shown})"
    return "everyone equally (no pre-trusted set)"


@cli.command("reputation")
@click.argument("org", metavar="[ID]", required=False)
@click.option("--explain", is_flag=True, help="Tell ID's story: breakdown, evidence and contributors.")
@click.option("--pretrusted", metavar="A,B,...", default=None,
              help="Pre-trusted organisations (ids or names) [default: those marked pretrusted, else everyone].")
@click.option("--from", "source", metavar="ORG", default=None,
              help="Personalised view: reputation as seen from ORG (instead of a pre-trusted set).")
@click.option("--top", type=click.IntRange(1, 10_000_000), default=None, help="Only the N best.")
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
def reputation_command(env: Env, org: str | None, explain: bool, pretrusted: str | None, source: str | None,
                       top: int | None, contributors: int, damping: float, shrinkage: float, as_of: Any,
                       half_life: float, fmt: str | None) -> None:
    """Reputation of every organisation, or of ID.

    Trust propagates from the pre-trusted set along positive local trust (EigenTrust, Kamvar et al.
    2003); negative evidence counts once, at the last step (one-step distrust, Guha et al. 2004). A
    score is the mean local trust an organisation receives, each rater counting with its voice (its
    trust relative to the average, capped at one), shrunk toward 0.5 (nothing known); rank 1 is the
    best; percentile is the share of the others scoring lower (ties
    count half). Each row names the top contributors who give and who take away reputation.
    """
    if explain and org is None:
        raise click.UsageError("--explain needs an organisation ID")
    if pretrusted is not None and source is not None:
        raise click.UsageError("--pretrusted and --from are exclusive: --from ORG is the view of ORG alone")
    from ..analysis.reputation import reputation

    G = env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))
    seeds = None
    if pretrusted is not None:
        refs = [p.strip() for p in pretrusted.split(",") if p.strip()]
        if not refs:
            raise click.UsageError("--pretrusted needs at least one organisation")
        seeds = list(dict.fromkeys(env.resolve_org(G, r) for r in refs))
    start = env.resolve_org(G, source) if source is not None else None
    target = env.resolve_org(G, org) if org is not None else None
    # The snapshot carries the evidence by kind: explanations split by kind and count the evidence.
    result = reputation(G, pretrusted=seeds, source=start, damping=damping, shrinkage=shrinkage)
    view = _view(result)
    if result.source is None and not result.pretrusted and len(G):
        note(env, "note: no organisation is pre-trusted; trust starts from everyone equally "
                  "(mark some pretrusted, or use --pretrusted or --from)")

    if explain and target is not None:
        doc = result.explain(target, top=contributors)
        doc = {**doc, "of": len(result), "view": view}
        emit_document(doc, fmt, text=_story, rows=[_flat_row(doc) if resolve_format(fmt) == "csv" else _row(doc)])
        return
    chosen = [target] if target is not None else result.ranking(top)
    rows = [_row(result.explain(n, top=contributors)) for n in chosen]
    fmt = resolve_format(fmt)
    if fmt == "table":
        emit([_table_row(r) for r in rows], fmt, columns=_TABLE_COLUMNS, title=f"reputation, seen from {view}")
    elif fmt == "csv":
        emit([_flat_row(r) for r in rows], fmt)
    else:
        emit(rows, fmt)
