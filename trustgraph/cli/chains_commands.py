"""Vouching commands: chain, vouchers, accepted, referrals (thin wrappers over
:mod:`trustgraph.analysis.chains` and :mod:`trustgraph.analysis.acceptance`).

Each command has a document function (``chain_document`` ...; registered in
:data:`~trustgraph.cli.app.ANSWERS`) that returns its answer document (:mod:`trustgraph.documents`,
``trustgraph schema KIND``); the command prints it. Every one reads the compiled snapshot
(:meth:`Env.snapshot`); the evidence shown per hop and the referral rows come from indexed lookups of
the few parties concerned (:meth:`Env.about`).
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

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
    ChainIndex,
    ReferralBook,
    independent_vouchers,
    vouching_chains,
    web_of_trust,
)
from ..deadline import check as check_deadline
from ..documents import envelope, listings_of, party_ref
from ..documents import party as party_of
from ..errors import NotFoundError, TrustgraphError
from ..snapshot import Snapshot
from .app import (
    DEFAULT_HALF_LIFE_DAYS,
    Env,
    FiniteFloat,
    IntListText,
    answers,
    as_of_option,
    as_of_str,
    cli,
    half_life_option,
    half_life_value,
    pass_env,
)
from .options import alias, for_option, limit_option, max_hops_option, pretrusted_option
from .output import emit_answer, format_option, ndjson_text, resolve_format

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["chain", "vouchers", "accepted", "referrals", "chain_document", "vouchers_document",
           "accepted_document", "referrals_document", "DEFAULT_VOUCHER_LIMIT", "MAX_CHAIN_HOPS"]

#: Independent vouchers searched for by default: each is one more chain search, and between a hub and
#: a well-referred party there are thousands (1 M referrals); twenty is far past the web-of-trust rule's
#: three marginal introducers.
DEFAULT_VOUCHER_LIMIT = 20
#: The longest chain any of these commands searches (``--max-hops``).
MAX_CHAIN_HOPS = 20


def _day(as_of: Any) -> str | None:
    """The ISO date of an ``--as-of`` value (a date from click, or already text)."""
    if as_of is None or isinstance(as_of, str):
        return as_of
    return as_of_str(as_of) if isinstance(as_of, _dt.datetime) else as_of.isoformat()


def _snapshot(env: Env, as_of: Any, half_life: float) -> Snapshot:
    return env.snapshot(as_of=_day(as_of), half_life_days=half_life_value(half_life))


#: Evidence rows a snapshot keeps in memory for chain hops (a long-lived process: ``trustgraph
#: serve``, a notebook), by party, least recently used dropped first. Chains run through the same
#: hubs again and again, and a hub's rows are the expensive ones to read; the bound (rows, not
#: parties: a hub has thousands) keeps memory flat.
HOP_EVIDENCE_ROWS = 100_000
#: Ids of a batch referral lookup read together (one query for their referral rows).
BATCH_CHUNK = 500


def _hop_evidence(env: Env, snap: Snapshot) -> Callable[[list[Any]], pd.DataFrame]:
    """The evidence frame of the parties on the chains found, from their rows alone (aged as the
    snapshot was: its as-of date and half-life).

    Each party's outgoing evidence is read once per snapshot and kept with it (at most
    :data:`HOP_EVIDENCE_ROWS` rows, least recently used parties dropped): the rows that concern a
    party give all of its outgoing evidence (:meth:`Store.about`), and a hop ``u → v`` needs only
    ``u``'s.
    """
    from collections import OrderedDict

    cache: OrderedDict[Any, pd.DataFrame] = snap.memo(("hop-evidence",), OrderedDict)
    held: list[int] = snap.memo(("hop-evidence-rows",), lambda: [0])  # rows in the cache

    def evidence(parties: list[Any]) -> pd.DataFrame:
        import pandas as pd

        from ..evidence import EVIDENCE_TABLES, evidence_frame

        wanted = list(dict.fromkeys(parties))
        missing = [p for p in wanted if p not in cache]
        if missing:
            frame = evidence_frame(env.about(missing, EVIDENCE_TABLES), as_of=snap.as_of,
                                   half_life_days=snap.half_life_days)
            frame = frame.loc[frame["src"].isin(missing).to_numpy()]
            by_src = dict(iter(frame.groupby("src", sort=False))) if len(frame) else {}
            for p in missing:
                part = by_src.get(p)
                cache[p] = part if part is not None else frame.iloc[0:0]
                held[0] += len(cache[p])
        for p in wanted:
            cache.move_to_end(p)
        frames = [cache[p] for p in wanted]
        while held[0] > HOP_EVIDENCE_ROWS and len(cache) > len(wanted):
            held[0] -= len(cache.popitem(last=False)[1])
        return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)

    return evidence


def _label(node: Any, name: Any) -> str:
    """``ID (name)``: the strings of a document given to ``text`` are already on one line each."""
    return f"{node} ({name})" if name and name != node else str(node)


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


def _chain_text(c: dict[str, Any]) -> list[str]:
    """A chain row (``rank`` included) as the table text shows it."""
    w = c["weakest_link"]
    listed = ", ".join(dict.fromkeys(x["party"] for x in c["listings"]))
    lines = [
        f"#{c['rank']}  strength {c['strength']:.4f}  {c['hops']} hop{'s' if c['hops'] != 1 else ''}  "
        f"weakest link {w['from']} → {w['to']} ({w['trust']:.4f})"
        + (f"  listed: {listed}" if c["listed"] else "")
    ]
    for link in c["links"]:
        lines.append(f"    {_label(link['from'], link['from_name'])}")
        unc = link["uncertainty"]
        lines.append(f"      │ trust {link['trust']:.4f}" + (f" ± {unc:.2f}" if unc is not None else ""))
        for e in link["evidence"]:
            note = f'  "{e["note"]}"' if e["note"] else ""
            lines.append(f"      │   {e['kind']} {e['ref']} {e['date']}  strength {e['value']:+.3g}"
                         f"  decay {e['decay']:.2f}{note}")
    lines.append(f"    {_label(c['path'][-1], c['names'][-1])}")
    return lines


def _no_chain(index: ChainIndex, snap: Snapshot, source: Any, target: Any, max_hops: int, min_trust: float,
              exclude_listed: bool) -> NotFoundError:
    rules = f"within {max_hops} hops, hop trust ≥ {min_trust:g}" + (
        ", listed intermediaries excluded" if exclude_listed else "")
    hint = ""
    if exclude_listed:
        relaxed = ChainIndex.of(snap, min_trust=min_trust, exclude_listed=False)
        if relaxed.reachable(source, target, max_hops):
            hint = "; one exists through a listed party (--include-listed shows it)"
    if not hint and max_hops < 10 and index.reachable(source, target, 10):
        hint = "; a longer one exists (raise --max-hops)"
    return NotFoundError(f"no vouching chain from {source} to {target} ({rules}){hint}")


# -- chain ------------------------------------------------------------------------------------------

@answers("chain")
def chain_document(env: Env, *, source: str, target: str, limit: int = DEFAULT_K,
                   max_hops: int = DEFAULT_MAX_HOPS, min_trust: float = DEFAULT_MIN_TRUST, as_of: Any = None,
                   exclude_listed: bool = True, half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``chain`` document: the ``limit`` strongest vouching chains from ``source`` to ``target``
    (ids or names), one row each, strongest first. No chain: :class:`NotFoundError` (exit 4)."""
    snap = _snapshot(env, as_of, half_life)
    source, target = env.resolve_org(snap, source), env.resolve_org(snap, target)
    if source == target:
        raise click.BadParameter("FROM and TO are the same organisation", param_hint="TO")
    index = ChainIndex.of(snap, min_trust=min_trust, exclude_listed=exclude_listed)
    chains = vouching_chains(snap, source, target, k=limit, max_hops=max_hops, evidence=_hop_evidence(env, snap),
                             index=index)
    if not chains:
        raise _no_chain(index, snap, source, target, max_hops, min_trust, exclude_listed)
    document = envelope("chain", as_of=snap.as_of, store=env.store_info(snap), parameters={
        "from": source, "to": target, "limit": limit, "max_hops": max_hops, "min_trust": min_trust,
        "exclude_listed": exclude_listed, "half_life": half_life})
    document.update({"from": party_of(snap, source), "to": party_of(snap, target),
                     "rows": [c.as_dict(rank=i) for i, c in enumerate(chains, 1)]})
    return document


def _chain_document_text(doc: dict[str, Any]) -> str:
    p = doc["parameters"]
    head = [f"Vouching chains {_label(doc['from']['id'], doc['from']['name'])} → "
            f"{_label(doc['to']['id'], doc['to']['name'])}, as of {doc['as_of']} "
            f"(≤ {p['max_hops']} hops, hop trust ≥ {p['min_trust']:g}"
            + (", no listed intermediary)" if p["exclude_listed"] else ")")]
    for c in doc["rows"]:
        head.append("")
        head.extend(_chain_text(c))
    return "\n".join(head)


@cli.command()
@click.argument("source", metavar="FROM")
@click.argument("target", metavar="TO")
@limit_option(DEFAULT_K, 100, "chains, the strongest first", zero=False)
@max_hops_option(DEFAULT_MAX_HOPS, MAX_CHAIN_HOPS, "Longest chain, in hops.")
@_min_trust_option
@as_of_option
@_exclude_listed_option
@half_life_option
@format_option
@alias("--k", "limit", type=click.IntRange(1, 100))
@pass_env
def chain(env: Env, source: str, target: str, limit: int, max_hops: int, min_trust: float, as_of: Any,
          exclude_listed: bool, half_life: float, fmt: str | None) -> None:
    """The strongest vouching chains from FROM to TO (at most --limit).

    A chain's strength is the product of its hops' trust; each hop lists its evidence (kind, date,
    value, note) and each chain its weakest link. No chain: exit 4.
    """
    document = chain_document(env, source=source, target=target, limit=limit, max_hops=max_hops,
                              min_trust=min_trust, as_of=as_of, exclude_listed=exclude_listed, half_life=half_life)
    emit_answer(document, fmt, text=_chain_document_text)


# -- vouchers ---------------------------------------------------------------------------------------

@answers("vouchers")
def vouchers_document(env: Env, *, target: str, for_org: str, max_hops: int = DEFAULT_MAX_HOPS,
                      min_trust: float = DEFAULT_MIN_TRUST, complete_trust: float = COMPLETE_TRUST,
                      marginal_trust: float = MARGINAL_TRUST, completes_needed: int = COMPLETES_NEEDED,
                      marginals_needed: int = MARGINALS_NEEDED, limit: int = DEFAULT_VOUCHER_LIMIT,
                      as_of: Any = None, exclude_listed: bool = True,
                      half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``vouchers`` document: the independent vouchers of ``target`` for ``for_org`` (one row
    per node-disjoint chain, strongest first) and the GnuPG web-of-trust verdict."""
    if marginal_trust > complete_trust:
        raise click.BadParameter("must not exceed --complete-trust", param_hint="--marginal-trust")
    snap = _snapshot(env, as_of, half_life)
    owner, target = env.resolve_org(snap, for_org), env.resolve_org(snap, target)
    if owner == target:
        raise click.BadParameter("TARGET is the --for organisation itself", param_hint="TARGET")
    index = ChainIndex.of(snap, min_trust=min_trust, exclude_listed=exclude_listed)
    chains = independent_vouchers(snap, owner, target, max_hops=max_hops, evidence=_hop_evidence(env, snap),
                                  index=index, limit=limit)
    verdict = web_of_trust(
        snap, owner, target, complete_trust=complete_trust, marginal_trust=marginal_trust,
        completes_needed=completes_needed, marginals_needed=marginals_needed, max_depth=max_hops, index=index,
    )
    rows = [c.as_dict(rank=i) for i, c in enumerate(chains, 1)]
    v = verdict.as_dict()
    introducers = []
    for i in v["introducers"]:
        row = dict(i)
        row["listings"] = listings_of(snap, [i["id"]]) if i["listed"] else []
        row["chain"] = row.pop("chain")  # listings beside listed, the chain last
        introducers.append(row)
    document = envelope("vouchers", as_of=snap.as_of, store=env.store_info(snap), parameters={
        "target": target, "for": owner, "max_hops": max_hops, "min_trust": min_trust,
        "complete_trust": complete_trust, "marginal_trust": marginal_trust, "completes_needed": completes_needed,
        "marginals_needed": marginals_needed, "limit": limit, "exclude_listed": exclude_listed,
        "half_life": half_life})
    document.update({
        "target": party_of(snap, target), "for": party_ref(snap, owner),
        "valid": v["valid"], "validity": v["validity"], "depth": v["depth"],
        "independent_vouchers": len(rows), "limited": len(rows) >= limit,
        "web_of_trust": {"completes": v["completes"], "marginals": v["marginals"], "reasoning": v["reasoning"],
                         "introducers": introducers},
        "rows": rows,
    })
    return document


def _vouchers_text(doc: dict[str, Any]) -> str:
    p, t, o = doc["parameters"], doc["target"], doc["for"]
    verdict_word = {"full": "VALID", "ultimate": "VALID", "marginal": "MARGINAL (not valid)",
                    "unknown": "NOT VALID"}[doc["validity"]]
    lines = [f"{_label(t['id'], t['name'])} for {_label(o['id'], o['name'])}, as of {doc['as_of']}: {verdict_word}"
             + (f" at depth {doc['depth']}" if doc["depth"] is not None else "")
             + ("  [listed]" if t["listed"] else "")]
    lines.append("Reasoning (GnuPG rule: one complete or "
                 f"{p['marginals_needed']} marginal valid introducers, depth ≤ {p['max_hops']}):")
    lines.extend(f"  - {r}" for r in doc["web_of_trust"]["reasoning"])
    lines.append("")
    rows = doc["rows"]
    more = f"; --limit {p['limit']} reached, there may be more" if doc["limited"] else ""
    lines.append(f"{len(rows)} independent voucher{'s' if len(rows) != 1 else ''} (node-disjoint chains{more}):")
    for c in rows:
        lines.append("")
        lines.extend(_chain_text(c))
    return "\n".join(lines)


@cli.command()
@click.argument("target", metavar="TARGET")
@for_option(required=True, what="The organisation asking (id or name): the owner, ultimately trusted.")
@max_hops_option(DEFAULT_MAX_HOPS, MAX_CHAIN_HOPS, "Longest chain / deepest introducer (GnuPG max-cert-depth).")
@_min_trust_option
@click.option("--complete-trust", type=FiniteFloat(0, 1), default=COMPLETE_TRUST, show_default=True,
              help="Owner's trust that makes an introducer complete.")
@click.option("--marginal-trust", type=FiniteFloat(0, 1), default=MARGINAL_TRUST, show_default=True,
              help="Owner's trust that makes an introducer marginal.")
@click.option("--completes-needed", type=click.IntRange(1, 100), default=COMPLETES_NEEDED, show_default=True,
              help="Complete introducers that make a party valid.")
@click.option("--marginals-needed", type=click.IntRange(1, 100), default=MARGINALS_NEEDED, show_default=True,
              help="Marginal introducers that make a party valid.")
@limit_option(DEFAULT_VOUCHER_LIMIT, 10_000, "independent vouchers searched for and shown (a hub has thousands)",
              zero=False)
@as_of_option
@_exclude_listed_option
@half_life_option
@format_option
@alias("--max-depth", "max_hops", type=click.IntRange(1, MAX_CHAIN_HOPS))
@pass_env
def vouchers(env: Env, target: str, for_org: str, max_hops: int, min_trust: float, complete_trust: float,
             marginal_trust: float, completes_needed: int, marginals_needed: int, limit: int,
             as_of: Any, exclude_listed: bool, half_life: float, fmt: str | None) -> None:
    """Independent vouchers for TARGET (node-disjoint chains) and a web-of-trust verdict.

    The verdict follows GnuPG: TARGET is valid for ORG when ORG vouches for it, or one complete or
    three marginal valid introducers do (within --max-hops); an introducer's level comes from
    ORG's trust in it (--complete-trust, --marginal-trust). The reasoning is shown.
    """
    document = vouchers_document(
        env, target=target, for_org=for_org, max_hops=max_hops, min_trust=min_trust, complete_trust=complete_trust,
        marginal_trust=marginal_trust, completes_needed=completes_needed, marginals_needed=marginals_needed,
        limit=limit, as_of=as_of, exclude_listed=exclude_listed, half_life=half_life)
    emit_answer(document, fmt, text=_vouchers_text)


# -- accepted ---------------------------------------------------------------------------------------

def _split(value: str, what: str) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if not items:
        raise click.BadParameter(f"expected a comma-separated list of {what}")
    return items


@answers("accepted")
def accepted_document(env: Env, *, pretrusted: str | None = None,
                      capacities: str = ",".join(map(str, ADVOGATO_CAPACITIES)), level: str = "all",
                      as_of: Any = None, half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``accepted`` document: the parties accepted by the Advogato max-flow metric from the
    ``pretrusted`` parties (ids or names, comma-separated; default: those marked pretrusted), one
    row each, nearest first."""
    try:
        caps = [int(c) for c in _split(capacities, "capacities")]
    except ValueError as err:
        raise click.BadParameter("expected integers such as 800,200,200,50,12,4,2,1",
                                 param_hint="--capacities") from err
    if min(caps) < 1:
        raise click.BadParameter("every capacity must be at least 1", param_hint="--capacities")
    if level not in LEVELS and level != "all":
        raise click.BadParameter(f"expected one of {', '.join([*LEVELS, 'all'])}", param_hint="--level")
    snap = _snapshot(env, as_of, half_life)
    if pretrusted is not None:
        seed_ids = list(dict.fromkeys(env.resolve_org(snap, s) for s in _split(pretrusted, "organisations")))
    else:
        seed_ids = [str(snap.node(i)) for i in range(snap.n) if snap.pretrusted[i]]
        if not seed_ids:
            raise click.UsageError("no organisation is marked pretrusted: give --pretrusted A,B,...")
    levels = dict(LEVELS) if level == "all" else {level: LEVELS[level]}
    per_level, rows = advogato_levels(snap, seed_ids, capacities=caps, levels=levels)
    summary = {name: {"threshold": r.threshold, "accepted": r.flow, "reached": len(r.distance)}
               for name, r in per_level.items()}
    if level != "all":
        rows = per_level[level].rows(snap)
    document = envelope("accepted", as_of=snap.as_of, store=env.store_info(snap), parameters={
        "pretrusted": seed_ids, "capacities": caps, "level": level, "half_life": half_life})
    document.update({"levels": summary,
                     "rows": [{**party_of(snap, r["id"]), **{k: v for k, v in r.items() if k not in ("id", "name")}}
                              for r in rows]})
    return document


@cli.command()
@pretrusted_option("Pre-trusted organisations, where trust flows from (ids or names, comma-separated) "
                   "[default: those marked pretrusted].")
@click.option("--capacities", type=IntListText(1, 1_000_000_000, 100), default=",".join(map(str, ADVOGATO_CAPACITIES)),
              show_default=True, metavar="N,N,...",
              help="Capacity by distance from the virtual root (root, pre-trusted, ...); each 1..1e9, at most 100.")
@click.option("--level", type=click.Choice([*LEVELS, "all"]), default="all", show_default=True,
              help="Certification level (apprentice ≥ 0.6, journeyer ≥ 0.8, master = 1.0).")
@as_of_option
@half_life_option
@format_option
@alias("--seeds", "pretrusted")
@pass_env
def accepted(env: Env, pretrusted: str | None, capacities: str, level: str, as_of: Any, half_life: float,
             fmt: str | None) -> None:
    """Parties accepted by Levien's attack-resistant (Advogato) max-flow trust metric.

    Capacities fall with distance from the pre-trusted parties; a certification counts at a level
    when its net evidence reaches that level's strength. At --level all each party shows the highest
    level it is accepted at.
    """
    document = accepted_document(env, pretrusted=pretrusted, capacities=capacities, level=level, as_of=as_of,
                                 half_life=half_life)
    p = document["parameters"]
    title = f"accepted as of {document['as_of']}: " + \
        ", ".join(f"{name} {s['accepted']}" for name, s in document["levels"].items()) + \
        f"  (pre-trusted {', '.join(p['pretrusted'])}; capacities {','.join(map(str, p['capacities']))})"
    columns = ["id", "name", "certification", *(LEVELS if level == "all" else ()), "distance",
               *(("capacity",) if level != "all" else ())]
    emit_answer(document, fmt, columns=columns, title=title)


# -- referrals --------------------------------------------------------------------------------------

def _batch_ids(stream: Iterable[str]) -> Iterator[tuple[int, str | None, str | None, str | None]]:
    """(line number, id, for, problem) for each non-empty input line: a bare id or a JSON object
    ``{"id": ..., "for": ...}`` (``from``, the old name of ``for``, is still read)."""
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
            origin = obj.get("for", obj.get("from"))
            if isinstance(origin, (dict, list)):
                yield number, str(ident), None, f"line {number}: \"for\" must be an id or a name"
                continue
            yield number, str(ident), None if origin is None else str(origin), None
        else:
            yield number, line, None, None


class _Referrals:
    """What a referrals answer needs: the snapshot, the referral book and the ``for`` party."""

    def __init__(self, env: Env, for_org: str | None, max_hops: int, as_of: Any, half_life: float) -> None:
        self.env = env
        self.snap = snap = _snapshot(env, as_of, half_life)

        def referrals_of(who: Any) -> pd.DataFrame:
            return env.about([who], ["referrals"])["referrals"]

        self.book = ReferralBook(referrals_of, snap, evidence=_hop_evidence(env, snap), max_hops=max_hops)
        self.for_org = self.resolve(for_org)
        self.max_hops, self.half_life = max_hops, half_life

    def resolve(self, ref: str | None) -> str | None:
        return None if ref is None else self.env.resolve_org(self.snap, ref)

    def envelope(self, ident: str | None) -> dict[str, Any]:
        return envelope("referrals", as_of=self.snap.as_of, store=self.env.store_info(self.snap), parameters={
            "id": ident, "for": self.for_org, "max_hops": self.max_hops, "half_life": self.half_life})

    def batch(self, lines: Iterable[str]) -> Iterator[dict[str, Any]]:
        """One row per non-empty input line, in input order: the lookup, or an error row. Lines are
        read in chunks of :data:`BATCH_CHUNK`, whose referral rows are read in one query each."""
        chunk: list[tuple[int, str | None, str | None, str | None]] = []
        for item in _batch_ids(lines):
            chunk.append(item)
            if len(chunk) >= BATCH_CHUNK:
                yield from self._chunk(chunk)
                chunk = []
        yield from self._chunk(chunk)

    def _chunk(self, items: list[tuple[int, str | None, str | None, str | None]]) -> Iterator[dict[str, Any]]:
        indices = (self.snap.find(ident) for _, ident, _, problem in items if problem is None)
        known = [i for i in indices if i is not None]
        if known:
            self.book.prefetch([self.snap.ids[i] for i in known],
                               lambda parties: self.env.about(parties, ["referrals"])["referrals"])
        for number, ident, line_for, problem in items:
            check_deadline()
            if problem is not None:
                yield {"line": number, "id": ident, "error": {"code": "invalid_input", "message": problem}}
                continue
            try:
                who = self.resolve(ident)
                found = self.book.lookup(who, for_org=self.resolve(line_for) if line_for else self.for_org)
            except TrustgraphError as err:
                yield {"line": number, "id": ident, "error": {"code": "not_found", "message": str(err)}}
                continue
            yield {"line": number, **found}


@answers("referrals")
def referrals_document(env: Env, *, party: str, for_org: str | None = None, max_hops: int = DEFAULT_MAX_HOPS,
                       as_of: Any = None, half_life: float = DEFAULT_HALF_LIFE_DAYS,
                       lines: Iterable[str] | None = None) -> dict[str, Any]:
    """The ``referrals`` document: one row per party looked up — who referred it, whom it referred
    and, with ``for_org``, the strongest vouching chain from ``for_org``.

    ``party`` is an id or a name; ``"-"`` is a batch: ``lines`` are the input lines (an id, or a
    JSON object ``{"id": ..., "for": ...}``, per line), one row each in input order, where an unknown
    id or a bad line is an error row (``line``, ``id``, ``error``), not a failure.
    """
    ctx = _Referrals(env, for_org, max_hops, as_of, half_life)
    if party == "-":
        document = ctx.envelope(None)
        document["rows"] = list(ctx.batch(lines if lines is not None else ()))
        return document
    who = ctx.resolve(party)
    document = ctx.envelope(who)
    document["rows"] = [ctx.book.lookup(who, for_org=ctx.for_org)]
    return document


def _referrals_text(doc: dict[str, Any]) -> str:
    (row,) = doc["rows"]
    lines = [f"Referrals of {_label(row['id'], row['name'])}, as of {doc['as_of']}"
             + ("  [listed]" if row["listed"] else "")]
    for key, title, arrow in (("referred_by", "Referred by", "←"), ("referred", "Referred", "→")):
        lines.append(f"{title} ({len(row[key])}):")
        for r in row[key]:
            note = f'  "{r["note"]}"' if r["note"] else ""
            lines.append(f"  {arrow} {r['id']}  {r['name'] or ''}  strength {r['strength']:+.2f}  {r['date']}  "
                         f"[{r['referral']}]{note}")
    if row["for"] is not None and row["for"] != row["id"]:
        c = row["chain"]
        if c is None:
            lines.append(f"No vouching chain from {row['for']} within {doc['parameters']['max_hops']} hops.")
        else:
            lines.append(f"Strongest chain from {row['for']}: strength {c['strength']:.4f}, {c['hops']} hops: "
                         + " → ".join(map(str, c["path"])))
    return "\n".join(lines)


@cli.command()
@click.argument("party", metavar="ID")
@for_option(what="The organisation asking (id or name): also give its strongest vouching chain to ID.")
@max_hops_option(DEFAULT_MAX_HOPS, MAX_CHAIN_HOPS, "Longest chain searched for --for.")
@as_of_option
@half_life_option
@format_option
@alias("--from", "for_org")
@pass_env
def referrals(env: Env, party: str, for_org: str | None, max_hops: int, as_of: Any, half_life: float,
              fmt: str | None) -> None:
    """Referral lookup: who referred ID, whom ID referred, and the strongest chain from --for.

    ID "-" reads ids from stdin (one per line, or JSON lines {"id": ..., "for": ...}) and gives one
    row per id in input order (JSON lines by default, streamed; json and csv give the same rows); an
    unknown id gives an error row, not a failure. The fields: `trustgraph schema referrals`.
    """
    if party != "-":
        document = referrals_document(env, party=party, for_org=for_org, max_hops=max_hops, as_of=as_of,
                                      half_life=half_life)
        emit_answer(document, fmt, text=_referrals_text)
        return
    fmt = fmt or "ndjson"
    if fmt == "table":
        raise click.BadParameter("batch mode gives rows: ndjson (the default), json or csv", param_hint="--format")
    if fmt != "ndjson":
        document = referrals_document(env, party=party, for_org=for_org, max_hops=max_hops, as_of=as_of,
                                      half_life=half_life, lines=sys.stdin)
        emit_answer(document, resolve_format(fmt))
        return
    # JSON lines stream: each row is written (and flushed) as soon as it is looked up.
    ctx = _Referrals(env, for_org, max_hops, as_of, half_life)
    head = ctx.envelope(None)
    for row in ctx.batch(sys.stdin):
        click.echo(ndjson_text({**head, "rows": [row]}), nl=False)
