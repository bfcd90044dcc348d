"""Contagion commands: ``contagion`` (exposure of every party to listed ones) and ``exposure ID``.

Both take ``--what-if A,B``: hypothetical listings, scored on the projected graph only — nothing is
written to the store. The method is in :mod:`trustgraph.analysis.contagion` and docs/contagion.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from .app import Env, FiniteFloat, as_of_option, as_of_str, cli, half_life_option, half_life_value, note, pass_env
from .output import emit, emit_document, flatten, format_option

if TYPE_CHECKING:
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = ["contagion_command", "exposure_command", "WHAT_IF_MIN_CHANGE"]

#: The defaults of :mod:`trustgraph.analysis.contagion` (checked by the tests), here so that
#: ``--help`` does not import the analysis.
DEFAULT_HOPS = 3
DEFAULT_DECAY = 0.5
DEFAULT_PRIOR = 1.0

#: ``contagion --what-if`` lists the parties whose score changes by more than this.
WHAT_IF_MIN_CHANGE = 5e-5


def _method_options(func: Any) -> Any:
    """``--hops``, ``--decay``, ``--prior`` and ``--what-if``, shared by both commands."""
    func = click.option(
        "--what-if", "what_if_ids", default=None, metavar="A,B",
        help="Hypothetical listings (ids or names, comma-separated): report score before, after and the "
             "change. Nothing is written to the store.",
    )(func)
    func = click.option(
        "--prior", type=FiniteFloat(0, 1000), default=DEFAULT_PRIOR, show_default=True,
        help="Activity added to every party's total (evidence units), so one weak tie does not define a party.",
    )(func)
    func = click.option(
        "--decay", type=FiniteFloat(0, 1, min_open=True), default=DEFAULT_DECAY, show_default=True,
        help="Weight of each hop beyond the first.",
    )(func)
    return click.option(
        "--hops", type=click.IntRange(1, 10), default=DEFAULT_HOPS, show_default=True,
        help="Cut-off: paths of at most this many ties.",
    )(func)


def _snapshot(env: Env, as_of: Any, half_life: float) -> Snapshot:
    return env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))


def _hypothetical(env: Env, G: Snapshot, value: str | None) -> list[str]:
    if not value:
        return []
    ids: list[str] = []
    for part in value.split(","):
        ref = part.strip()
        if ref:
            org = env.resolve_org(G, ref)
            if org not in ids:
                ids.append(org)
    already = [i for i in ids if G.listed[G.index_of(i)]]
    if already:
        note(env, f"note: already listed: {', '.join(already)}")
    note(env, f"what-if: listing {', '.join(ids)} hypothetically; nothing is written to the store")
    return ids


def _strongest(row: dict[str, Any]) -> str:
    """The strongest exposure of a row, as one line of text."""
    if not row["exposures"]:
        return ""
    e = row["exposures"][0]
    return f"{e['id']} {e['contribution']:+.4f} via {' > '.join(map(str, e['path']))}"


@cli.command("contagion")
@_method_options
@click.option("--pretrusted", default=None, metavar="A,B",
              help="Pre-trusted parties for the reputation half of `risk` [default: those marked pretrusted].")
@click.option("--top", type=click.IntRange(1, 10_000_000), default=None,
              help="Only the N highest-ranked parties (explanations are computed for the rows shown: use it on "
                   "large networks).")
@as_of_option
@half_life_option
@format_option
@pass_env
def contagion_command(env: Env, hops: int, decay: float, prior: float, what_if_ids: str | None,
                      pretrusted: str | None, top: int | None, as_of: Any, half_life: float,
                      fmt: str | None) -> None:
    """Exposure of every party to blacklisted parties, highest first.

    Risk spreads from each listing in force (respecting `until` and --as-of) along the ties each
    party chose: referrals it gave, partnerships, communications, incident reports and shared
    people; each tie counts by the share of the party's activity it represents, decaying per hop
    (--decay) up to --hops. A warning, reported incident or terminated partnership with a listed
    party counts against exposure. `score` is in [-1, 1] (listed parties 1); `risk` combines it with
    reputation: a positive score joins the reputation's mean as one more opinion against the party,
    with voice score / (1 - score), weighed against the `support` the reputation rests on; risk is
    1 - the result (listed parties 1). Each row names the listed parties it is exposed to and the
    strongest path to each.

    With --what-if A,B: the parties whose score would change (by more than 0.00005) if A and B were
    listed, with the score before, after and the change. Nothing is written to the store.
    """
    from ..analysis.contagion import assess_risk, contagion, what_if

    G = _snapshot(env, as_of, half_life)  # its ties include the people each party shares
    extra = _hypothetical(env, G, what_if_ids)
    if extra:
        # Changes that print as 0.0000 are not an effect an analyst can act on.
        rows = what_if(G, extra, hops=hops, decay=decay, prior=prior, tol=WHAT_IF_MIN_CHANGE)
        title = f"what if {', '.join(extra)} were listed ({len(rows)} parties affected"
        if top is not None and top < len(rows):
            rows = rows[:top]
            title += f", {top} largest changes shown"
        emit(rows, fmt, columns=["id", "name", "before", "after", "change", "rank_before", "rank_after"],
             title=title + ")")
        return
    seeds = None
    if pretrusted:
        seeds = [env.resolve_org(G, p.strip()) for p in pretrusted.split(",") if p.strip()]
    risk = assess_risk(G, pretrusted=seeds, hops=hops, decay=decay, prior=prior)
    rows = contagion(G, hops=hops, decay=decay, prior=prior, risk=risk, limit=top)
    if not G.listed.any():
        note(env, f"note: no listing in force as of {G.as_of}")
    for row in rows:
        row["strongest"] = _strongest(row)
    emit(rows, fmt, columns=["rank", "id", "name", "score", "risk", "reputation", "listed", "exposed_to", "strongest"],
         title=f"exposure to listed parties as of {G.as_of} (hops {hops}, decay {decay:g})")


def _path_text(path: dict[str, Any]) -> str:
    parts = [str(path["path"][0])]
    for tie in path["ties"]:
        label = ",".join(tie["kinds"]) or "tie"
        parts.append(f"-[{label} {tie['date'] or '?'} {tie['share']:+.3f}]-> {tie['to']}")
    return " ".join(parts)


def _path_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for k, p in enumerate(doc["paths"], start=1):
        rows.append({
            "id": doc["id"],
            "name": doc["name"],
            "rank": k,
            "listed": p["listed"]["id"],
            "listed_name": p["listed"]["name"],
            "hypothetical": bool(p["listed"].get("hypothetical")),
            "hops": p["hops"],
            "strength": p["strength"],
            "path": p["path"],
            "ties": "; ".join(
                f"{t['from']}>{t['to']} {','.join(t['kinds'])} {t['date'] or ''} {t['share']:+.4f}" for t in p["ties"]
            ),
        })
    return rows


def _exposure_text(doc: dict[str, Any]) -> str:
    lines = [f"{doc['id']} {doc['name'] or ''}".rstrip()]
    head = f"exposure {flatten(doc['score'])}"
    if "what_if" in doc:
        w = doc["what_if"]
        head = (f"exposure before {flatten(w['before'])}, after {flatten(w['after'])}, "
                f"change {w['change']:+.4f} (what if {', '.join(w['hypothetical'])} were listed)")
    if doc["listed"]:
        head += "; listed itself"
    lines.append(f"{head}; {len(doc['paths'])} path(s) of at most {doc['hops']} ties to listed parties")
    for k, p in enumerate(doc["paths"], start=1):
        mark = " (hypothetical)" if p["listed"].get("hypothetical") else ""
        lines.append(f"{k:>3}. {p['strength']:+.4f}  {p['listed']['id']} {p['listed']['name'] or ''}{mark}")
        lines.append(f"     {_path_text(p)}")
    if not doc["paths"]:
        lines.append("(no path)")
    return "\n".join(lines)


@cli.command("exposure")
@click.argument("org")
@_method_options
@click.option("--limit", type=click.IntRange(0, 100_000), default=100, show_default=True,
              help="Show at most N paths, strongest first (0 = every path).")
@as_of_option
@half_life_option
@format_option
@pass_env
def exposure_command(env: Env, org: str, hops: int, decay: float, prior: float, what_if_ids: str | None,
                     limit: int, as_of: Any, half_life: float, fmt: str | None) -> None:
    """Every path of at most --hops ties from ORG (id or name) to a listed party, strongest first.

    Each tie shows its kinds, the date of its newest evidence and its share of the first party's
    activity (negative for a warning, incident or terminated partnership); JSON adds every piece of
    evidence behind it. A path's strength is its contribution to ORG's exposure score.

    With --what-if A,B: ORG's score before and after listing A and B hypothetically, and the paths
    with them listed. Nothing is written to the store.
    """
    from ..analysis.contagion import contagion_scores, exposure_paths, listed_parties, shared_people
    from ..evidence import evidence_frame

    G = _snapshot(env, as_of, half_life)
    source = env.resolve_org(G, org)
    extra = _hypothetical(env, G, what_if_ids)

    def about(parties: Sequence[Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The evidence and shared people behind the ties shown: indexed look-ups for those parties."""
        rows = env.about(parties)
        return (evidence_frame(rows, as_of=G.as_of, half_life_days=G.half_life_days),
                shared_people(rows, as_of=G.as_of, half_life_days=G.half_life_days))

    listed = listed_parties(G) | set(extra)
    doc = exposure_paths(G, source, listed=listed, hops=hops, decay=decay, prior=prior, evidence_about=about,
                         limit=limit or None)
    if extra:
        before = contagion_scores(G, hops=hops, decay=decay, prior=prior)[source]
        doc["what_if"] = {"hypothetical": extra, "before": before, "after": doc["score"],
                          "change": doc["score"] - before}
    if limit and len(doc["paths"]) >= limit:
        note(env, f"note: showing the {limit} strongest paths; --limit 0 shows every path")
    emit_document(doc, fmt, text=_exposure_text, rows=_path_rows(doc),
                  columns=["rank", "listed", "listed_name", "hops", "strength", "path", "ties"])
