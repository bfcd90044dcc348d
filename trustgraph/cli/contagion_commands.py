"""Contagion commands: ``contagion`` (exposure of every party to listed ones) and ``exposure ID``.

Both take ``--what-if A,B``: hypothetical listings, scored on the projected graph only — nothing is
written to the store. The method is in :mod:`trustgraph.analysis.contagion` and docs/contagion.md.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from .options import alias, limit_option, max_hops_option, pretrusted_option
from .output import emit, emit_answer, flatten, format_option, resolve_format

if TYPE_CHECKING:
    import pandas as pd

    from ..snapshot import Snapshot

__all__ = ["contagion_command", "contagion_document", "exposure_command", "exposure_document", "WHAT_IF_MIN_CHANGE"]

#: Most paths one ``exposure`` answer explains. Each path carries the evidence of every tie on it
#: (about 1.4 ms and 70 KB a path on the sample at --max-hops 10), and there are exponentially
#: many paths in the hops: "every path" is not an answer to give, on the CLI or over HTTP.
MAX_PATHS = 5_000

#: The defaults of :mod:`trustgraph.analysis.contagion` (checked by the tests), here so that
#: ``--help`` does not import the analysis.
DEFAULT_HOPS = 3
DEFAULT_DECAY = 0.5
DEFAULT_PRIOR = 1.0

#: ``contagion --what-if`` lists the parties whose exposure changes by more than this.
WHAT_IF_MIN_CHANGE = 5e-5


def _method_options(func: Any) -> Any:
    """``--max-hops`` (alias ``--hops``), ``--decay``, ``--prior`` and ``--what-if``, shared by both commands."""
    func = click.option(
        "--what-if", "what_if_ids", default=None, metavar="A,B",
        help="Hypothetical listings (ids or names, comma-separated): report exposure before, after and the "
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
    func = alias("--hops", "max_hops", type=click.IntRange(1, 10))(func)
    return max_hops_option(DEFAULT_HOPS, 10, "Cut-off: paths of at most this many ties.")(func)


def _snapshot(env: Env, as_of: Any, half_life: float) -> Snapshot:
    return env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))


def _hypothetical(env: Env, G: Snapshot, value: str | None) -> list[str]:
    """The parties of ``--what-if``, resolved to ids (in the order given, once each)."""
    if not value:
        return []
    ids: list[str] = []
    for part in value.split(","):
        ref = part.strip()
        if ref:
            org = str(env.resolve_org(G, ref))
            if org not in ids:
                ids.append(org)
    return ids


def _what_if_notes(env: Env, G: Snapshot, ids: list[str]) -> None:
    if not ids:
        return
    already = [i for i in ids if G.listed[G.index_of(i)]]
    if already:
        note(env, f"note: already listed: {', '.join(already)}")
    note(env, f"what-if: listing {', '.join(ids)} hypothetically; nothing is written to the store")


def _exposures(G: Snapshot, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A contagion row's exposures: each listed party (``listed``/``listings`` as in force), its
    contribution and the strongest path to it."""
    from ..documents import party

    return [{**party(G, e["id"]), "contribution": e["contribution"], "path": [str(v) for v in e["path"]],
             "path_contribution": e["path_strength"]} for e in entries]


@answers("contagion")
def contagion_document(env: Env, *, max_hops: int = DEFAULT_HOPS, decay: float = DEFAULT_DECAY,
                       prior: float = DEFAULT_PRIOR, what_if_ids: str | None = None, pretrusted: str | None = None,
                       limit: int = 0, as_of: Any = None, half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``contagion`` document: one row per party, highest exposure first; with ``what_if_ids``
    one row per party whose exposure would change, largest change first."""
    import numpy as np

    from ..analysis.contagion import assess_risk, contagion, what_if
    from ..documents import envelope, party

    G = _snapshot(env, as_of, half_life)  # its ties include the people each party shares
    extra = _hypothetical(env, G, what_if_ids)
    seeds = None
    if pretrusted and not extra:
        seeds = list(dict.fromkeys(str(env.resolve_org(G, p.strip())) for p in pretrusted.split(",") if p.strip()))
    used = seeds if seeds else sorted(str(G.node(int(i))) for i in np.flatnonzero(G.pretrusted)) or None
    parameters = {"max_hops": max_hops, "decay": decay, "prior": prior, "what_if": extra,
                  "pretrusted": None if extra else used, "limit": limit, "half_life": half_life}
    document = envelope("contagion", as_of=G.as_of, store=env.store_info(G), parameters=parameters)
    if extra:
        # Changes that print as 0.0000 are not an effect an analyst can act on.
        changed = what_if(G, extra, hops=max_hops, decay=decay, prior=prior, tol=WHAT_IF_MIN_CHANGE)
        document["affected"] = len(changed)
        document["rows"] = [
            {"rank": k, **party(G, r["id"]), "hypothetical": r["hypothetical"], "before": r["before"],
             "after": r["after"], "change": r["change"], "rank_before": r["rank_before"], "rank_after": r["rank_after"]}
            for k, r in enumerate(changed[:limit or None], start=1)]
        return document
    risk = assess_risk(G, pretrusted=seeds, hops=max_hops, decay=decay, prior=prior)
    found = contagion(G, hops=max_hops, decay=decay, prior=prior, risk=risk, limit=limit or None)
    document["affected"] = None
    document["rows"] = [
        {"rank": k, **party(G, r["id"]), "exposure": r["score"], "exposure_rank": r["rank"], "view": r["view"],
         "group": r["group"], "reputation": r["reputation"], "support": r["support"], "risk": r["risk"],
         "exposed_to": r["exposed_to"], "exposures": _exposures(G, r["exposures"])}
        for k, r in enumerate(found, start=1)]
    return document


def _strongest(row: dict[str, Any]) -> str:
    """The strongest exposure of a row, as one line of text."""
    if not row["exposures"]:
        return ""
    e = row["exposures"][0]
    grouped = row.get("view") == "group" and (row.get("group") or 0) > 1
    group = f"its vouching group of {row['group']}: " if grouped else ""
    return f"{e['id']} {e['contribution']:+.4f} via {group}{' > '.join(map(str, e['path']))}"


@cli.command("contagion")
@_method_options
@pretrusted_option("Pre-trusted parties for the reputation half of `risk` (ids or names, comma-separated) "
                   "[default: those marked pretrusted].")
@limit_option(0, 10_000_000, "parties, highest exposure first (explanations are computed for the rows shown: "
              "use it on large networks)")
@alias("--top", "limit", type=click.IntRange(0, 10_000_000))
@as_of_option
@half_life_option
@format_option
@pass_env
def contagion_command(env: Env, max_hops: int, decay: float, prior: float, what_if_ids: str | None,
                      pretrusted: str | None, limit: int, as_of: Any, half_life: float,
                      fmt: str | None) -> None:
    """Exposure of every party to blacklisted parties, highest first.

    Risk spreads from each listing in force (respecting `until` and --as-of) along the ties each
    party chose: referrals it gave, partnerships, communications, incident reports and shared
    people; each tie counts by the share of the party's activity it represents, decaying per hop
    (--decay) up to --max-hops. A warning, reported incident or terminated partnership with a listed
    party counts against exposure. `exposure` is in [-1, 1] (listed parties 1); `risk` combines it
    with reputation: the exposure joins the reputation's mean as one more opinion, against the party
    when positive and for it when negative (distancing), with voice |exposure| / (1 - |exposure|),
    weighed against the `support` the reputation rests on; risk is 1 - the result (listed parties 1).
    Each row names the listed parties it is exposed to and the strongest path to each.

    With --what-if A,B: the parties whose exposure would change (by more than 0.00005) if A and B
    were listed, with the exposure before, after and the change. Nothing is written to the store.
    """
    document = contagion_document(env, max_hops=max_hops, decay=decay, prior=prior, what_if_ids=what_if_ids,
                                  pretrusted=pretrusted, limit=limit, as_of=as_of, half_life=half_life)
    G = _snapshot(env, as_of, half_life)
    extra = document["parameters"]["what_if"]
    _what_if_notes(env, G, extra)
    if not extra and not G.listed.any():
        note(env, f"note: no listing in force as of {G.as_of}")
    if resolve_format(fmt) != "table":
        emit_answer(document, fmt)
        return
    rows = document["rows"]
    if extra:
        title = f"what if {', '.join(extra)} were listed, as of {G.as_of} ({document['affected']} parties affected"
        if len(rows) < document["affected"]:
            title += f", {len(rows)} largest changes shown"
        emit(rows, fmt, columns=["id", "name", "before", "after", "change", "rank_before", "rank_after"],
             title=title + ")")
        return
    shown = [{**r, "rank": r["exposure_rank"], "exposed_to": r["exposed_to"], "strongest": _strongest(r)}
             for r in rows]
    emit(shown, fmt, columns=["rank", "id", "name", "exposure", "risk", "reputation", "listed", "exposed_to",
                              "strongest"],
         title=f"exposure to listed parties as of {G.as_of} (hops {max_hops}, decay {decay:g})")


def _path_text(path: dict[str, Any]) -> str:
    parts = [str(path["path"][0])]
    for tie in path["ties"]:
        if tie["kinds"] == ["vouching group"]:
            parts.append(f"-[same vouching group]-> {tie['to']}")
            continue
        label = ",".join(tie["kinds"]) or "tie"
        timing = tie.get("timing")
        # an association's share includes its timing factor; a distancing is not discounted
        timed = f" timing {timing:.2f}" if timing is not None and timing < 0.995 and tie["share"] > 0 else ""
        parts.append(f"-[{label} {tie['date'] or '?'} {tie['share']:+.3f}{timed}]-> {tie['to']}")
    return " ".join(parts)


def _exposure_text(doc: dict[str, Any]) -> str:
    me = doc["party"]
    lines = [f"{me['id']} {me['name'] or ''}".rstrip() + f", as of {doc['as_of']}"]
    head = f"exposure {flatten(doc['exposure'])}"
    if doc["what_if"] is not None:
        w = doc["what_if"]
        head = (f"exposure before {flatten(w['before'])}, after {flatten(w['after'])}, "
                f"change {w['change']:+.4f} (what if {', '.join(w['hypothetical'])} were listed)")
    if me["listed"]:
        head += "; listed itself"
    elif doc.get("view") == "group":
        head += (f"; through its vouching group of {doc['group']} "
                 "(mutual endorsers and their protégés, assessed as one actor)"
                 if (doc.get("group") or 0) > 1 else "; through the vouching groups it endorsed")
    lines.append(f"{head}; {len(doc['rows'])} path(s) of at most {doc['parameters']['max_hops']} ties to listed "
                 "parties")
    for p in doc["rows"]:
        mark = " (hypothetical)" if p["hypothetical"] else ""
        lines.append(f"{p['rank']:>3}. {p['contribution']:+.4f}  {p['target']['id']} {p['target']['name'] or ''}"
                     f"{mark}")
        lines.append(f"     {_path_text(p)}")
    if not doc["rows"]:
        lines.append("(no path)")
    return "\n".join(lines)


def _tie(tie: dict[str, Any]) -> dict[str, Any]:
    """A tie of an exposure path: ``weight`` is its net decayed evidence (``strength`` is a chain's)."""
    out = {"from": str(tie["from"]), "to": str(tie["to"]), "kinds": tie["kinds"], "date": tie["date"],
           "weight": tie["strength"], "share": tie["share"], "sign": tie["sign"], "timing": tie.get("timing")}
    out["evidence"] = tie.get("evidence", [])
    return out


@answers("exposure")
def exposure_document(env: Env, *, org: str, max_hops: int = DEFAULT_HOPS, decay: float = DEFAULT_DECAY,
                      prior: float = DEFAULT_PRIOR, what_if_ids: str | None = None, limit: int = 100,
                      as_of: Any = None, half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``exposure`` document: ORG's exposure, and one row per path to a listed party, strongest first."""
    from ..analysis.contagion import contagion_scores, exposure_paths, listed_parties, shared_people
    from ..documents import envelope, listings_of, party, party_ref
    from ..evidence import EVIDENCE_TABLES, evidence_frame

    G = _snapshot(env, as_of, half_life)
    source = env.resolve_org(G, org)
    extra = _hypothetical(env, G, what_if_ids)

    def about(parties: Sequence[Any]) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The evidence and shared people behind the ties shown: indexed look-ups for those parties."""
        # Only the rows between two parties of the paths: a tie's evidence is there (a hub's thousands
        # of other referrals are not read); the tables of the evidence and the shared people only.
        rows = env.about(parties, (*EVIDENCE_TABLES, "people", "personal_ties"), between=True)
        return (evidence_frame(rows, as_of=G.as_of, half_life_days=G.half_life_days),
                shared_people(rows, as_of=G.as_of, half_life_days=G.half_life_days))

    listed = listed_parties(G) | set(extra) if extra else None  # None: the snapshot's own (no look-ups)
    found = exposure_paths(G, source, listed=listed, hops=max_hops, decay=decay, prior=prior, evidence_about=about,
                           limit=limit or None)
    document = envelope("exposure", as_of=G.as_of, store=env.store_info(G), parameters={
        "id": str(source), "max_hops": max_hops, "decay": decay, "prior": prior, "what_if": extra, "limit": limit,
        "half_life": half_life})
    document["party"] = party(G, source)
    document["exposure"] = found["score"]
    document["view"], document["group"] = found["view"], found["group"]
    document["what_if"] = None
    if extra:
        before = contagion_scores(G, hops=max_hops, decay=decay, prior=prior)[source]
        document["what_if"] = {"hypothetical": extra, "before": before, "after": found["score"],
                               "change": found["score"] - before}
    rows = []
    for k, p in enumerate(found["paths"], start=1):
        path = [str(v) for v in p["path"]]
        listings = listings_of(G, path)
        rows.append({"rank": k, "target": party_ref(G, path[-1]),
                     "listed": any(party(G, v)["listed"] for v in path), "listings": listings,
                     "hypothetical": bool(p["listed"].get("hypothetical")), "hops": p["hops"],
                     "contribution": p["strength"], "path": path, "ties": [_tie(t) for t in p["ties"]]})
    document["rows"] = rows
    return document


@cli.command("exposure")
@click.argument("org")
@_method_options
@limit_option(100, MAX_PATHS, "paths, strongest first (each with the evidence of its ties)", zero=False)
@as_of_option
@half_life_option
@format_option
@pass_env
def exposure_command(env: Env, org: str, max_hops: int, decay: float, prior: float, what_if_ids: str | None,
                     limit: int, as_of: Any, half_life: float, fmt: str | None) -> None:
    """Every path of at most --max-hops ties from ORG (id or name) to a listed party, strongest first.

    Each tie shows its kinds, the date of its newest evidence and its share of the first party's
    activity (negative for a warning, incident or terminated partnership); JSON adds every piece of
    evidence behind it. A path's contribution is its part of ORG's exposure.

    With --what-if A,B: ORG's exposure before and after listing A and B hypothetically, and the
    paths with them listed. Nothing is written to the store.
    """
    document = exposure_document(env, org=org, max_hops=max_hops, decay=decay, prior=prior, what_if_ids=what_if_ids,
                                 limit=limit, as_of=as_of, half_life=half_life)
    _what_if_notes(env, _snapshot(env, as_of, half_life), document["parameters"]["what_if"])
    if limit and len(document["rows"]) >= limit:
        note(env, f"note: showing the {limit} strongest paths (--limit, at most {MAX_PATHS:,})")
    emit_answer(document, fmt, text=_exposure_text)
