"""Vouching commands: chain, vouchers, accepted, referrals (thin wrappers over
:mod:`trustgraph.analysis.chains` and :mod:`trustgraph.analysis.acceptance`).

Every command reads the compiled snapshot (:meth:`Env.snapshot`); the evidence shown per hop and
the referral rows come from indexed lookups of the few parties concerned (:meth:`Env.about`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

import click

from ..analysis.acceptance import ADVOGATO_CAPACITIES, LEVELS, advogato_levels
from ..analysis.chains import (
    COMPLETE_TRUST,
    COMPLETES_NEEDED,
    DEFAULT_K,
    DEFAULT_MAX_HOPS,
    DEFAULT_MIN_TRUST,
    MARGINAL_TRUST,
    MARGINALS_NEEDED,
    REFERRALS_SCHEMA,
    ChainIndex,
    ReferralBook,
    independent_vouchers,
    vouching_chains,
    web_of_trust,
)
from ..errors import NotFoundError, TrustgraphError
from ..snapshot import Snapshot
from .app import (
    Env,
    FiniteFloat,
    IntListText,
    as_of_option,
    as_of_str,
    cli,
    half_life_option,
    half_life_value,
    pass_env,
)
from .output import emit, emit_document, format_option, terminal_text, to_json

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["chain", "vouchers", "accepted", "referrals", "DEFAULT_VOUCHER_LIMIT"]

#: Independent vouchers searched for by default: each is one more chain search, and between a hub and
#: a well-referred party there are thousands (1 M referrals); twenty is far past the web-of-trust rule's
#: three marginal introducers.
DEFAULT_VOUCHER_LIMIT = 20


def _snapshot(env: Env, as_of: Any, half_life: float) -> Snapshot:
    return env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))


def _hop_evidence(env: Env, snap: Snapshot) -> Callable[[list[Any]], pd.DataFrame]:
    """The evidence frame of the parties on the chains found, from their rows alone (aged as the
    snapshot was: its as-of date and half-life)."""
    def evidence(parties: list[Any]) -> pd.DataFrame:
        from ..evidence import EVIDENCE_TABLES, evidence_frame

        return evidence_frame(env.about(parties, EVIDENCE_TABLES), as_of=snap.as_of,
                              half_life_days=snap.half_life_days)

    return evidence


def _label(snap: Snapshot, node: Any) -> str:
    """``ID (name)`` on one line: a name from the data never starts a line of its own."""
    name = snap.name(node)
    text = f"{node} ({name})" if name and name != node else str(node)
    return terminal_text(text, one_line=True)


def _exclude_listed_option(func: Any) -> Any:
    return click.option(
        "--exclude-listed/--include-listed", "exclude_listed", default=True, show_default=True,
        help="Forbid parties under an active blacklist listing as intermediaries.",
    )(func)


def _min_trust_option(func: Any) -> Any:
    return click.option(
        "--min-trust", type=FiniteFloat(0, 1), default=DEFAULT_MIN_TRUST, show_default=True,
        help="Lowest trust a hop may have (hops must also be above the neutral 0.5).",
    )(func)


def _chain_text(c: dict[str, Any], snap: Snapshot) -> list[str]:
    w = c["weakest_link"]
    lines = [
        f"#{c['rank']}  strength {c['strength']:.4f}  {c['hops']} hop{'s' if c['hops'] != 1 else ''}  "
        f"weakest link {w['from']} → {w['to']} ({w['trust']:.4f})"
        + (f"  listed: {', '.join(c['listed'])}" if c["listed"] else "")
    ]
    for link in c["links"]:
        lines.append(f"    {_label(snap, link['from'])}")
        unc = link["uncertainty"]
        lines.append(f"      │ trust {link['trust']:.4f}" + (f" ± {unc:.2f}" if unc is not None else ""))
        for e in link["evidence"]:
            note = f'  "{e["note"]}"' if e["note"] else ""
            lines.append(f"      │   {e['kind']} {e['ref']} {e['date']}  strength {e['strength']:+.3g}"
                         f"  decay {e['decay']:.2f}{note}")
    lines.append(f"    {_label(snap, c['target'])}")
    return lines


def _flat_chain(c: dict[str, Any]) -> dict[str, Any]:
    w = c["weakest_link"]
    return {
        "rank": c["rank"], "id": c["id"], "name": c["name"], "score": c["score"], "strength": c["strength"],
        "hops": c["hops"], "path": " > ".join(map(str, c["path"])),
        "weakest_link": f"{w['from']} > {w['to']}", "weakest_trust": w["trust"], "listed": c["listed"],
    }


def _no_chain(index: ChainIndex, snap: Snapshot, source: Any, target: Any, max_hops: int, min_trust: float,
              exclude_listed: bool) -> NotFoundError:
    rules = f"within {max_hops} hops, hop trust ≥ {min_trust:g}" + (
        ", listed intermediaries excluded" if exclude_listed else "")
    hint = ""
    if exclude_listed:
        relaxed = ChainIndex(snap, min_trust=min_trust, exclude_listed=False)
        if relaxed.search(source, target, k=1, max_hops=max_hops):
            hint = "; one exists through a listed party (--include-listed shows it)"
    if not hint and max_hops < 10 and index.search(source, target, k=1, max_hops=10):
        hint = "; a longer one exists (raise --max-hops)"
    return NotFoundError(f"no vouching chain from {source} to {target} ({rules}){hint}")


@cli.command()
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@click.option("--k", "k", type=click.IntRange(1, 100), default=DEFAULT_K, show_default=True,
              help="How many chains (the k strongest).")
@click.option("--max-hops", type=click.IntRange(1, 20), default=DEFAULT_MAX_HOPS, show_default=True,
              help="Longest chain, in hops.")
@_min_trust_option
@as_of_option
@_exclude_listed_option
@half_life_option
@format_option
@pass_env
def chain(env: Env, source: str, target: str, k: int, max_hops: int, min_trust: float, as_of: Any,
          exclude_listed: bool, half_life: float, fmt: str | None) -> None:
    """The k strongest vouching chains from FROM to TO.

    A chain's strength is the product of its hops' trust; each hop lists its evidence (kind, date,
    strength, note) and each chain its weakest link. No chain: exit 4.
    """
    snap = _snapshot(env, as_of, half_life)
    source, target = env.resolve_org(snap, source), env.resolve_org(snap, target)
    if source == target:
        raise click.BadParameter("FROM and TO are the same organisation", param_hint="TO")
    index = ChainIndex(snap, min_trust=min_trust, exclude_listed=exclude_listed)
    chains = vouching_chains(snap, source, target, k=k, max_hops=max_hops, evidence=_hop_evidence(env, snap),
                             index=index)
    if not chains:
        raise _no_chain(index, snap, source, target, max_hops, min_trust, exclude_listed)
    rows = [c.as_dict(rank=i) for i, c in enumerate(chains, 1)]
    t = snap.index_of(target)
    document = {
        "from": {"id": source, "name": snap.name(source)},
        "to": {"id": target, "name": snap.names[t], "listed": bool(snap.listed[t])},
        "as_of": snap.as_of,
        "parameters": {"k": k, "max_hops": max_hops, "min_trust": min_trust, "exclude_listed": exclude_listed,
                       "half_life_days": half_life_value(half_life)},
        "chains": rows,
    }

    def text(doc: dict[str, Any]) -> str:
        head = [f"Vouching chains {_label(snap, source)} → {_label(snap, target)}, as of {doc['as_of']} "
                f"(≤ {max_hops} hops, hop trust ≥ {min_trust:g}"
                + (", no listed intermediary)" if exclude_listed else ")")]
        for c in rows:
            head.append("")
            head.extend(_chain_text(c, snap))
        return "\n".join(head)

    emit_document(document, fmt, text=text, rows=[_flat_chain(r) for r in rows] if fmt == "csv" else rows)


@cli.command()
@click.argument("target", metavar="TARGET")
@click.option("--for", "owner", required=True, metavar="ORG", help="The organisation asking (the owner).")
@click.option("--max-hops", "--max-depth", "max_hops", type=click.IntRange(1, 20), default=DEFAULT_MAX_HOPS,
              show_default=True, help="Longest chain / deepest introducer (GnuPG max-cert-depth).")
@_min_trust_option
@click.option("--complete-trust", type=FiniteFloat(0, 1), default=COMPLETE_TRUST, show_default=True,
              help="Owner's trust that makes an introducer complete.")
@click.option("--marginal-trust", type=FiniteFloat(0, 1), default=MARGINAL_TRUST, show_default=True,
              help="Owner's trust that makes an introducer marginal.")
@click.option("--completes-needed", type=click.IntRange(1, 100), default=COMPLETES_NEEDED, show_default=True,
              help="Complete introducers that make a party valid.")
@click.option("--marginals-needed", type=click.IntRange(1, 100), default=MARGINALS_NEEDED, show_default=True,
              help="Marginal introducers that make a party valid.")
@click.option("--limit", type=click.IntRange(1, 10_000), default=DEFAULT_VOUCHER_LIMIT, show_default=True,
              help="Most independent vouchers searched for and shown (a hub has thousands).")
@as_of_option
@_exclude_listed_option
@half_life_option
@format_option
@pass_env
def vouchers(env: Env, target: str, owner: str, max_hops: int, min_trust: float, complete_trust: float,
             marginal_trust: float, completes_needed: int, marginals_needed: int, limit: int,
             as_of: Any, exclude_listed: bool, half_life: float, fmt: str | None) -> None:
    """Independent vouchers for TARGET (node-disjoint chains) and a web-of-trust verdict.

    The verdict follows GnuPG: TARGET is valid for ORG when ORG vouches for it, or one complete or
    three marginal valid introducers do (within --max-depth); an introducer's level comes from
    ORG's trust in it (--complete-trust, --marginal-trust). The reasoning is shown.
    """
    if marginal_trust > complete_trust:
        raise click.BadParameter("must not exceed --complete-trust", param_hint="--marginal-trust")
    snap = _snapshot(env, as_of, half_life)
    owner, target = env.resolve_org(snap, owner), env.resolve_org(snap, target)
    if owner == target:
        raise click.BadParameter("TARGET is the --for organisation itself", param_hint="TARGET")
    index = ChainIndex(snap, min_trust=min_trust, exclude_listed=exclude_listed)
    chains = independent_vouchers(snap, owner, target, max_hops=max_hops, evidence=_hop_evidence(env, snap),
                                  index=index, limit=limit)
    verdict = web_of_trust(
        snap, owner, target, complete_trust=complete_trust, marginal_trust=marginal_trust,
        completes_needed=completes_needed, marginals_needed=marginals_needed, max_depth=max_hops, index=index,
    )
    rows = [c.as_dict(rank=i) for i, c in enumerate(chains, 1)]
    v = verdict.as_dict()
    t = snap.index_of(target)
    document = {
        "id": target, "name": snap.names[t], "for": owner, "as_of": snap.as_of,
        "listed": bool(snap.listed[t]),
        "independent_vouchers": len(rows), "limited": len(rows) >= limit,
        "valid": v["valid"], "validity": v["validity"], "depth": v["depth"],
        "web_of_trust": v, "vouchers": rows,
    }

    def text(doc: dict[str, Any]) -> str:
        verdict_word = {"full": "VALID", "ultimate": "VALID", "marginal": "MARGINAL (not valid)",
                        "unknown": "NOT VALID"}[v["validity"]]
        lines = [f"{_label(snap, target)} for {_label(snap, owner)}, as of {doc['as_of']}: {verdict_word}"
                 + (f" at depth {v['depth']}" if v["depth"] is not None else "")
                 + ("  [listed]" if doc["listed"] else "")]
        lines.append("Reasoning (GnuPG rule: one complete or "
                     f"{marginals_needed} marginal valid introducers, depth ≤ {max_hops}):")
        lines.extend(f"  - {r}" for r in v["reasoning"])
        lines.append("")
        more = f"; --limit {limit} reached, there may be more" if doc["limited"] else ""
        lines.append(f"{len(rows)} independent voucher{'s' if len(rows) != 1 else ''} (node-disjoint chains{more}):")
        for c in rows:
            lines.append("")
            lines.extend(_chain_text(c, snap))
        return "\n".join(lines)

    emit_document(document, fmt, text=text, rows=[_flat_chain(r) for r in rows] if fmt == "csv" else rows)


def _split(value: str, what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise click.BadParameter(f"expected a comma-separated list of {what}")
    return items


@cli.command()
@click.option("--seeds", required=True, metavar="A,B,...", help="Seed organisations (ids or names), comma-separated.")
@click.option("--capacities", type=IntListText(1, 1_000_000_000, 100), default=",".join(map(str, ADVOGATO_CAPACITIES)),
              show_default=True, metavar="N,N,...",
              help="Capacity by distance from the virtual root (root, seeds, ...); each 1..1e9, at most 100.")
@click.option("--level", type=click.Choice([*LEVELS, "all"]), default="all", show_default=True,
              help="Certification level (apprentice ≥ 0.6, journeyer ≥ 0.8, master = 1.0).")
@as_of_option
@half_life_option
@format_option
@pass_env
def accepted(env: Env, seeds: str, capacities: str, level: str, as_of: Any, half_life: float,
             fmt: str | None) -> None:
    """Parties accepted by Levien's attack-resistant (Advogato) max-flow trust metric.

    Capacities fall with distance from the seeds; a certification counts at a level when its net
    evidence reaches that level's strength. At --level all each party shows the highest level it
    is accepted at.
    """
    try:
        caps = [int(c) for c in _split(capacities, "capacities")]
    except ValueError as err:
        raise click.BadParameter("expected integers such as 800,200,200,50,12,4,2,1",
                                 param_hint="--capacities") from err
    if min(caps) < 1:
        raise click.BadParameter("every capacity must be at least 1", param_hint="--capacities")
    snap = _snapshot(env, as_of, half_life)
    seed_ids = list(dict.fromkeys(env.resolve_org(snap, s) for s in _split(seeds, "seeds")))
    levels = dict(LEVELS) if level == "all" else {level: LEVELS[level]}
    per_level, rows = advogato_levels(snap, seed_ids, capacities=caps, levels=levels)
    summary = {name: {"threshold": r.threshold, "accepted": r.flow, "reached": len(r.distance)}
               for name, r in per_level.items()}
    if level != "all":
        result = per_level[level]
        rows = result.rows(snap)
    document = {"seeds": seed_ids, "capacities": caps, "as_of": snap.as_of, "levels": summary,
                "accepted": rows}
    title = "accepted: " + ", ".join(f"{name} {s['accepted']}" for name, s in summary.items()) + \
        f"  (seeds {', '.join(seed_ids)}; capacities {','.join(map(str, caps))})"
    emit(rows, fmt, document=document, title=title)


def _batch_ids(stream: TextIO) -> Iterator[tuple[int, str | None, str | None, str | None]]:
    """(line number, id, from, problem) for each non-empty input line: a bare id or a JSON object."""
    for number, raw in enumerate(stream, 1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("{"):
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                yield number, None, None, f"line {number}: not valid JSON ({err.msg})"
                continue
            ident = obj.get("id") if isinstance(obj, dict) else None
            if ident is None or isinstance(ident, (dict, list)):
                yield number, None, None, f"line {number}: a JSON line needs an \"id\" string"
                continue
            origin = obj.get("from")
            yield number, str(ident), None if origin is None else str(origin), None
        else:
            yield number, line, None, None


@cli.command()
@click.argument("party", metavar="ID")
@click.option("--from", "origin", metavar="ORG", default=None,
              help="Also give the strongest vouching chain from ORG (the caller's organisation).")
@click.option("--max-hops", type=click.IntRange(1, 20), default=DEFAULT_MAX_HOPS, show_default=True,
              help="Longest chain searched for --from.")
@as_of_option
@half_life_option
@format_option
@pass_env
def referrals(env: Env, party: str, origin: str | None, max_hops: int, as_of: Any, half_life: float,
              fmt: str | None) -> None:
    """Referral lookup: who referred ID, whom ID referred, and the strongest chain from --from.

    ID "-" reads ids from stdin (one per line, or JSON lines {"id": ..., "from": ...}) and writes JSON
    lines, one result per id in input order; an unknown id gives an error object, not a failure. The
    JSON fields are a stable schema (docs/chains.md).
    """
    snap = _snapshot(env, as_of, half_life)

    def referrals_of(who: Any) -> pd.DataFrame:
        return env.about([who], ["referrals"])["referrals"]

    book = ReferralBook(referrals_of, snap, evidence=_hop_evidence(env, snap), max_hops=max_hops)

    def resolve(ref: str | None) -> str | None:
        return None if ref is None else env.resolve_org(snap, ref)

    if party == "-":
        if fmt not in (None, "ndjson", "json"):
            raise click.BadParameter("batch mode writes JSON lines", param_hint="--format")
        default_origin = resolve(origin)
        for number, ident, line_origin, problem in _batch_ids(sys.stdin):
            if problem is not None:
                result: dict[str, Any] = {"schema": REFERRALS_SCHEMA, "id": None, "line": number,
                                          "error": {"code": "invalid_input", "message": problem}}
            else:
                try:
                    who = resolve(ident)
                    result = book.lookup(who, from_org=resolve(line_origin) if line_origin else default_origin)
                except TrustgraphError as err:
                    result = {"schema": REFERRALS_SCHEMA, "id": ident, "line": number,
                              "error": {"code": "not_found", "message": str(err)}}
            click.echo(to_json(result, indent=None))  # echo flushes: results stream as they come
        return

    who = resolve(party)
    result = book.lookup(who, from_org=resolve(origin))
    rows = [{"direction": "referred_by", **r} for r in result["referred_by"]] + \
           [{"direction": "referred", **r} for r in result["referred"]]

    def text(doc: dict[str, Any]) -> str:
        lines = [f"Referrals of {_label(snap, who)}, as of {doc['as_of']}" + ("  [listed]" if doc["listed"] else "")]
        for key, title, arrow in (("referred_by", "Referred by", "←"), ("referred", "Referred", "→")):
            lines.append(f"{title} ({len(doc[key])}):")
            for r in doc[key]:
                note = f'  "{r["note"]}"' if r["note"] else ""
                lines.append(f"  {arrow} {r['id']}  {r['name'] or ''}  strength {r['strength']:+.2f}  {r['date']}  "
                             f"[{r['referral']}]{note}")
        if doc["from"] is not None:
            c = doc["chain"]
            if c is None:
                lines.append(f"No vouching chain from {doc['from']} within {max_hops} hops.")
            else:
                lines.append(f"Strongest chain from {doc['from']}: strength {c['strength']:.4f}, {c['hops']} hops: "
                             + " → ".join(map(str, c["path"])))
        return "\n".join(lines)

    emit_document(result, fmt, text=text, rows=rows,
                  columns=["direction", "referral", "id", "name", "strength", "date", "recipient", "note"])
