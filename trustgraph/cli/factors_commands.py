"""``trustgraph factors CANDIDATE --for ORG``: the pair's factor profile.

A thin wrapper over :func:`trustgraph.analysis.factors.factor_profile` (formulas: docs/lifecycle.md,
"The pair's factor profile"); the rows about the two parties are read by indexed lookups
(:meth:`Store.about`) and the reputation comes from the cached snapshot.
"""

from __future__ import annotations

from typing import Any

import click

from .app import (
    DEFAULT_HALF_LIFE_DAYS,
    Env,
    answers,
    as_of_option,
    as_of_str,
    cli,
    half_life_option,
    half_life_value,
    pass_env,
)
from .lifecycle_commands import assessments_of
from .options import for_option
from .output import emit_answer, format_option

__all__ = ["factors_command", "factors_document"]


def _value(v: float | None) -> str:
    return "unknown" if v is None else f"{v:.3f}"


def _text(doc: dict[str, Any]) -> str:
    cand, org = doc["candidate"], doc["for"]
    lines = [f"{cand['id']} {cand['name'] or ''} — for {org['id']} {org['name'] or ''}, as of {doc['as_of']}", ""]
    width = max(len(r["factor"]) for r in doc["rows"])
    lines.append(f"{'factor':<{width}}  {'level':<8}  evidence")
    for r in doc["rows"]:
        mark = " (adverse)" if r["adverse"] else ""
        lines.append(f"{r['factor']:<{width}}  {_value(r['level']):<8}  {r['summary']}{mark}")
        if r["factor"] != "capability":
            continue
        for a in r["evidence"].get("rows") or []:  # the assessments behind capability, under its row
            until = f" until {a['valid_until']}" if a.get("valid_until") else ""
            lines.append(f"{'':<{width}}  {'':<8}    assessment {a['id']}: {a['dimension']} {a['rating']:g} by "
                         f"{a['assessor']} ({a['method']}, {a['date']}{until}) [{a['status']}]")
    return "\n".join(lines)


@answers("factors")
def factors_document(env: Env, *, candidate: str, for_org: str, as_of: Any = None,
                     half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``factors`` document: one row per trust factor of the pair."""
    from ..analysis.factors import factor_profile
    from ..documents import envelope, party
    from ..evidence import evidence_frame

    if not for_org:
        raise click.MissingParameter(param_hint="'--for'", param_type="option")
    snap = env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))
    cand = env.resolve_org(snap, candidate)
    org = env.resolve_org(snap, for_org)
    if cand == org:
        raise click.BadParameter("CANDIDATE is the --for organisation itself", param_hint="CANDIDATE")
    rows = env.about([cand, org])
    evidence = evidence_frame(rows, as_of=snap.as_of, half_life_days=snap.half_life_days)
    profile = factor_profile(rows, cand, org, half_life_days=snap.half_life_days, graph=snap, evidence=evidence,
                             assessments_of=assessments_of(env))
    parameters = {"candidate": cand, "for": org, "half_life": float(half_life)}
    document = envelope("factors", as_of=snap.as_of, store=env.store_info(snap), parameters=parameters)
    document.update(candidate=party(snap, cand), **{"for": party(snap, org)},
                    rows=[{"id": str(cand), **f} for f in profile["factors"]])
    return document


@cli.command("factors")
@click.argument("candidate")
@for_option(required=True, what="The organisation considering CANDIDATE (id or name).")
@as_of_option
@half_life_option
@format_option
@pass_env
def factors_command(env: Env, candidate: str, for_org: str, as_of: Any, half_life: float, fmt: str | None) -> None:
    """The trust factors of CANDIDATE for ORG, each in [0, 1] or unknown, with its evidence.

    Reputation, capability, track record, similarity, aligned interests, competition, situational
    need and communication: each factor of the article ("a partner's reputation, capability and
    track record, similarities between partners, aligned interests, situational circumstances, and
    levels of communication") and the competition for the same funders, with a value in [0, 1] or
    unknown and the evidence behind it (docs/lifecycle.md).
    """
    document = factors_document(env, candidate=candidate, for_org=for_org, as_of=as_of, half_life=half_life)
    emit_answer(document, fmt, text=_text)
