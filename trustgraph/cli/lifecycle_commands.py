"""Partnership lifecycle commands: ``assess``, ``continuity``, ``timeline``, ``health``.

Thin wrappers over :mod:`trustgraph.analysis.assess`, :mod:`~trustgraph.analysis.continuity`,
:mod:`~trustgraph.analysis.timeline` and :mod:`~trustgraph.analysis.health`; the method and the
profiles are documented in docs/lifecycle.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..errors import TrustgraphError
from ..model import RISK_APPETITE
from .app import (
    DEFAULT_HALF_LIFE_DAYS,
    Env,
    answers,
    as_of_option,
    as_of_str,
    cli,
    half_life_option,
    half_life_value,
    note,
    pass_env,
)
from .options import alias, for_option, limit_option
from .output import emit_answer, flatten, format_option

if TYPE_CHECKING:  # pandas and the analyses are imported by the commands that run them
    import pandas as pd

__all__ = ["assess_command", "continuity_command", "timeline_command", "health_command"]

PLOT_SUFFIXES = (".png", ".svg")


class _StoreTables(Mapping[str, "pd.DataFrame"]):
    """Some whole tables of the store, each read when an analysis first asks for it."""

    def __init__(self, env: Env, names: Iterable[str]) -> None:
        self._env = env
        self._names = tuple(names)
        self._read: dict[str, pd.DataFrame] = {}

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self._names:
            raise KeyError(name)
        if name not in self._read:
            self._read[name] = self._env.store.table(name)
        return self._read[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)


def _table(rows: list[dict[str, Any]], columns: list[str], max_width: int = 60) -> str:
    """Rows as aligned text columns (for the sections of a table-format report)."""
    cells = [[flatten(r.get(c)) for c in columns] for r in rows]
    cells = [[c if len(c) <= max_width else c[: max_width - 1] + "…" for c in row] for row in cells]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip(), "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------------
# assess


def _view(pretrusted: list[str] | None) -> str:
    return "pre-trusted set" if pretrusted else "nobody (no pre-trusted set: nothing known)"


def _evidence_lines(reason: dict[str, Any]) -> list[str]:
    """The evidence of one reason, as indented lines for the table format."""
    ev = reason["evidence"]
    lines: list[str] = []

    def chain_line(c: dict[str, Any], prefix: str = "", grade: str | None = None) -> str:
        hops = "".join(f"{link['from']} -({link['trust']:.3f})-> " for link in c["links"]) + str(c["path"][-1])
        shown = f" [{grade}]" if grade else ""
        return f"{prefix}{hops}  strength {c['strength']:.3f}{shown}"

    for x in ev.get("listings") or []:
        until = f" until {x['until']}" if x.get("until") else ""
        lines.append(f"listing {x.get('id')}: by {x.get('lister')} on {x.get('date')}{until}: {x.get('reason')}")
    for i in ev.get("incidents") or []:
        acts = ", ".join(f"{a['id']} {a['kind']} {a['date']}" for a in i["actions"]) or "no follow-up"
        lines.append(f"incident {i['id']} {i['date']} {i['kind']} severity {i['severity']} by {i['reporter']}"
                     f" [{i['status']}]: {acts}")
    for w in ev.get("warnings") or []:
        lines.append(f"warning {w['id']} by {w['source']} {w['strength']:+.2f} on {w['date']}"
                     + (f": {w['note']}" if w.get("note") else ""))
    if reason["check"] == "reputation":
        lines.append(f"score {ev['reputation']:.3f}, rank {ev['reputation_rank']} of {ev['of']}, percentile "
                     f"{ev['percentile']:.1f} (seen from the {_view(ev['pretrusted'])})")
        for label, key in (("raised by", "givers"), ("lowered by", "takers")):
            if ev.get(key):
                lines.append(f"{label}: " + "; ".join(f"{g['id']} {g['contribution']:+.4f}" for g in ev[key]))
    if ev.get("chain"):
        lines.append(chain_line(ev["chain"], "chain: "))
    for c in ev.get("best_chains") or []:
        lines.append(chain_line(c, "best chain: "))
    for v in ev.get("vouchers") or []:
        lines.append(chain_line(v["chain"], "voucher: ", v["grade"]))
    if ev.get("web_of_trust"):
        w = ev["web_of_trust"]
        lines.append(f"GnuPG rule on the graph: {w['validity']} ({w['completes']} complete, {w['marginals']} marginal)")
    if reason["check"] == "person_path" and ev.get("path"):
        for link in ev["path"]["links"]:
            kinds = ", ".join(t["kind"] + (f" {t['ref']}" if t.get("ref") and t["kind"] == "co-holder" else "")
                              for t in link["ties"])
            lines.append(f"{link['from']} — {link['to']}: {kinds}")
    for p in ev.get("paths") or []:
        lines.append(f"path {' > '.join(map(str, p['path']))} to listed {p['target']['id']}: "
                     f"strength {p['contribution']:+.4f}")
    if reason["check"] == "factors" and ev.get("factor_score"):
        fs = ev["factor_score"]
        lines.append("weights: " + ", ".join(f"{k} {v:g}" for k, v in fs["weights"].items()))
        lines.append("moved by: " + (", ".join(f"{k} {v:+.3f}" for k, v in fs["contributions"].items()) or "nothing"))
    own = ev.get("own_trust")
    if own and reason["check"] in ("first_hand", "flag:own_distrust"):
        lines.append(f"own trust {own['trust']:.3f} (positive {own['positive']:.3f}, negative {own['negative']:.3f};"
                     f" {own['kinds']}; last {own['last']})")
    return lines


def _assessment_text(doc: dict[str, Any], d: dict[str, Any], *, header: bool = True) -> list[str]:
    """The text of one decision ``d`` (a row of the ``assess`` document ``doc``)."""
    lines = []
    cand, org = doc["candidate"], doc["for"]
    if header:
        lines.append(f"{cand['id']} {cand['name'] or ''} — for {org['id']} {org['name'] or ''}, as of {doc['as_of']}")
    chosen = {"culture": f"{org['id']}'s culture", "option": "--profile", "all-profiles": "--all-profiles"}
    lines.append(f"profile {d['profile']} (from {chosen.get(d['chosen_by'], d['chosen_by'])}), "
                 f"risk appetite {d['risk_appetite']}: {d['description']}")
    lines.append(f"decision: {d['decision'].upper()}")
    for r in d["reasons"]:
        lines.append(f"  [{r['outcome']}] {r['check']}: {r['reason']}")
        lines.extend(f"      {line}" for line in _evidence_lines(r))
    return lines


def _assess_all_text(d: dict[str, Any]) -> str:
    cand, org = d["candidate"], d["for"]
    lines = [f"{cand['id']} {cand['name'] or ''} — for {org['id']} {org['name'] or ''}, as of {d['as_of']}",
             f"{org['id']}'s culture: {d['culture'] or 'not recorded'}; risk appetite {d['risk_appetite']}", ""]
    width = max(len(x["profile"]) for x in d["rows"]) + 6
    lines.append(f"{'profile':<{width}}  {'decision':<23}  because")
    for x in d["rows"]:
        own = " (own)" if x["profile"] == d["culture"] else ""
        drivers = "; ".join(
            r["reason"] for r in x["reasons"]
            if r["outcome"] == x["decision"] and (r["check"] != "screen" or len(x["reasons"]) == 1))
        lines.append(f"{x['profile'] + own:<{width}}  {x['decision']:<23}  {drivers}")
    for x in d["rows"]:
        lines.append("")
        lines.extend(_assessment_text(d, x, header=False))
    return "\n".join(lines)


def _exposure_path(p: dict[str, Any], *, ties: bool) -> dict[str, Any]:
    out = {"listed_party": {"id": str(p["listed"]), "name": p.get("listed_name")}, "hops": p["hops"],
           "strength": p["strength"], "path": [str(n) for n in p["path"]]}
    if ties:
        out["ties"] = p.get("ties") or []
    return out


def _decision_row(decision: dict[str, Any]) -> dict[str, Any]:
    keys = ("profile", "rule", "chosen_by", "risk_appetite", "description", "decision", "summary", "reasons",
            "thresholds")
    row = {k: decision[k] for k in keys}
    # a list, not an object keyed by flag: "listed" is a boolean wherever it is a key
    row["flags"] = [{"flag": name, "outcome": outcome} for name, outcome in decision["flags"].items()]
    row["profiles_file"] = decision["profiles_file"]
    row["factor_weights"] = decision["factor_weights"]
    return row


def assessments_of(env: Env) -> Callable[[list[Any]], pd.DataFrame]:
    """Parties -> their ``assessments`` rows, read by indexed lookups (the factor profile's
    situational need looks at the candidate's regional peers)."""
    def read(parties: list[Any]) -> pd.DataFrame:
        return env.about(parties, ["assessments"])["assessments"]
    return read


@answers("assess")
def assess_document(env: Env, *, candidate: str, for_org: str, profile: str | None = None,
                    all_profiles: bool = False, profiles_file: Path | None = None, risk_appetite: str | None = None,
                    as_of: Any = None, half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``assess`` document: one row per profile decided (one row without ``all_profiles``)."""
    from ..analysis.assess import assess, assess_all, load_profiles
    from ..analysis.continuity import STAFF_TABLES
    from ..documents import envelope, party
    from ..evidence import evidence_frame

    if not for_org:  # required (click 8.3 lets a required option with default None through)
        raise click.MissingParameter(param_hint="'--for'", param_type="option")
    if profile is not None and all_profiles:
        raise click.UsageError("--profile and --all-profiles are exclusive")
    book = load_profiles(profiles_file)
    snap = env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))
    cand = env.resolve_org(snap, candidate)
    org = env.resolve_org(snap, for_org)
    if cand == org:  # a usage error, as in chain and vouchers
        raise click.BadParameter("CANDIDATE is the --for organisation itself", param_hint="CANDIDATE")

    def evidence(parties: list[Any]) -> pd.DataFrame:
        """Evidence about a few parties (chain hops, the candidate), from their rows alone."""
        return evidence_frame(env.about(parties), as_of=snap.as_of, half_life_days=snap.half_life_days)

    # The rows about the two parties; the staff graph of the relationship-first profile may cross
    # any organisation, so its tables are read whole, and only when that profile asks.
    rows = env.about([cand, org])
    common: dict[str, Any] = {"profiles": book, "risk_appetite": risk_appetite,
                              "half_life_days": snap.half_life_days, "graph": snap, "evidence": evidence,
                              "staff_tables": _StoreTables(env, STAFF_TABLES),
                              "assessments_of": assessments_of(env)}
    if all_profiles:
        result = assess_all(rows, cand, org, **common)
        decisions, differs = result["decisions"], result["differs"]
        culture, appetite = result["culture"], result["risk_appetite"]
    else:
        one = assess(rows, cand, org, profile=profile, **common)
        decisions, differs, culture, appetite = [one], None, one["culture"], one["risk_appetite"]
    parameters = {"candidate": cand, "for": org, "profile": profile, "all_profiles": bool(all_profiles),
                  "profiles": None if profiles_file is None else str(profiles_file), "risk_appetite": risk_appetite,
                  "half_life": float(half_life)}
    document = envelope("assess", as_of=snap.as_of, store=env.store_info(snap), parameters=parameters)
    document.update(candidate=party(snap, cand), **{"for": party(snap, org)}, culture=culture,
                    risk_appetite=appetite, differs=differs, factors=decisions[0]["factors"],
                    rows=[_decision_row(d) for d in decisions])
    return document


@cli.command("assess")
@click.argument("candidate")
@for_option(required=True, what="The organisation deciding (id or name).")
@click.option("--profile", default=None, metavar="NAME",
              help="Entry profile: verify-later, reputation-first, vouched, relationship-first, or one from "
                   "--profiles [default: ORG's culture].")
@click.option("--all-profiles", is_flag=True, help="Decide by every profile: how the answer differs by culture.")
@click.option("--profiles", "profiles_file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="FILE", help="TOML file read over the built-in profiles (see docs/lifecycle.md).")
@click.option("--risk-appetite", type=click.Choice(RISK_APPETITE), default=None,
              help="Thresholds to use [default: ORG's risk appetite in the data, else medium].")
@as_of_option
@half_life_option
@format_option
@pass_env
def assess_command(env: Env, candidate: str, for_org: str, profile: str | None, all_profiles: bool,
                   profiles_file: Path | None, risk_appetite: str | None, as_of: Any, half_life: float,
                   fmt: str | None) -> None:
    """Should ORG enter a partnership with CANDIDATE?

    The decision is one of proceed, proceed-with-monitoring, needs-vouching or decline: the most
    cautious outcome of a red-flag screen (listings, incidents, warnings, exposure to listed
    parties) and the profile's requirement — verify-later: proceed unless red flags, with
    monitoring; reputation-first: reputation and a referral path from a known partner; vouched:
    enough independent vouchers (one complete or three marginal); relationship-first: a short
    person-to-person path. Every reason is listed with its evidence.
    """
    document = assess_document(env, candidate=candidate, for_org=for_org, profile=profile, all_profiles=all_profiles,
                               profiles_file=profiles_file, risk_appetite=risk_appetite, as_of=as_of,
                               half_life=half_life)
    if all_profiles:
        emit_answer(document, fmt, text=_assess_all_text)
    else:
        emit_answer(document, fmt, text=lambda d: "\n".join(_assessment_text(d, d["rows"][0])))


# --------------------------------------------------------------------------------------------------
# continuity


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _holders(side: dict[str, Any]) -> str:
    return "; ".join(f"{h['id']} {h['name']}" for h in side["holders"])


def _side_row(side: dict[str, Any]) -> dict[str, Any]:
    """A side at risk as the table shows it."""
    return {
        "id": side["partnership"], "name": side["partnership_name"],
        "organization": side["organization"], "status": side["status"], "holders": _holders(side),
        "partners": ", ".join(side["partners"]), "ended": "; ".join(e["reason"] for e in side["ended"]),
    }


def _person_row(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "rank": p["rank"], "id": p["id"], "name": p["name"], "organization": p["organization"],
        "role": p["role"], "would_orphan": p["would_orphan"],
        "partnerships": ", ".join(x["partnership"] for x in p["partnerships"]),
    }


def _continuity_text(doc: dict[str, Any]) -> str:
    if doc["departure"] is not None:
        return _departure_text(doc)
    s = doc["summary"]
    running = f"continuity as of {doc['as_of']}: {_count(s['running_partnerships'], 'running partnership')}, " \
              f"{_count(s['sides'], 'side')}"
    if not s["holders_recorded"]:  # said once; no side is claimed orphaned for want of data
        missing = "people" if not s.get("people_recorded", True) else "relationship holders"
        return (f"{running}; the data records no {missing}, so nothing can be said about who holds them "
                "(people.csv, relationship_holders.csv)")
    lines = [f"{running} — {s['orphaned_sides']} orphaned, {s['single_sides']} held by one person, "
             f"{s['covered_sides']} covered", "", "partnership sides resting on one person or on nobody"
             + _shown(len(doc["rows"]), s["orphaned_sides"] + s["single_sides"]) + ":"]
    rows = [_side_row(x) for x in doc["rows"]]
    cols = ["id", "name", "organization", "status", "holders", "partners", "ended"]
    lines.append(_table(rows, cols) if rows else "(none)")
    lines += ["", "people whose departure would orphan the most partnerships"
              + _shown(len(doc["key_people"]), s.get("key_people", len(doc["key_people"]))) + ":"]
    people = [_person_row(p) for p in doc["key_people"]]
    cols = ["rank", "id", "name", "organization", "role", "would_orphan", "partnerships"]
    lines.append(_table(people, cols) if people else "(none)")
    if doc.get("person_breaches"):
        lines += ["", "person-level breaches (the relationship after a staff rotation, and who holds it now):"]
        lines += [f"  {line}" for b in doc["person_breaches"] for line in _breach_lines(b)]
    return "\n".join(lines)


def _shown(shown: int, total: int) -> str:
    """`` (the first N of M; --limit 0 for all)`` when a list was cut by --limit."""
    return f" (the first {shown} of {total}; --limit 0 for all)" if shown < total else ""


def _departure_text(document: dict[str, Any]) -> str:
    doc = {**document["departure"], "holds": document["rows"], "as_of": document["as_of"]}
    p = doc["person"]
    asked = doc.get("resolved_from")
    lines = []
    if asked and not str(p["name"]).casefold().startswith(asked.casefold()):  # not the name or its start
        lines.append(f"({asked} is an earlier position; {p['name']} now holds {p['id']})")
    held = doc.get("held", len(doc["holds"]))
    lines += [f"if {p['id']} {p['name']} ({p['role'] or 'no role'}, {p['organization']}) leaves, as of {doc['as_of']}:",
             f"{doc['orphans']} of {held} partnership(s) held would be orphaned" + _shown(len(doc["holds"]), held)]
    for h in doc["holds"]:
        lines.append("")
        partners = ", ".join(h["partners"])
        if not h["breaks"]:
            others = "; ".join(f"{o['id']} {o['name']}" for o in h["other_holders"])
            lines.append(f"{h['partnership']} {h['name']} (with {partners}): still held by {others}")
            continue
        lines.append(f"{h['partnership']} {h['name']} (with {partners}): ORPHANED — nobody else holds it")
        ready = [t for t in h["takeover"] if t["hops"] is not None]
        if not ready:
            lines.append("  no colleague has a tie to the partner: onboard someone and introduce them")
        for t in h["takeover"]:
            if t["path"] is None:
                lines.append(f"  {t['id']} {t['name']} ({t['role'] or 'no role'}): no tie to the partner")
                continue
            steps = []
            for link, person in zip(t["path"]["links"], t["path"]["people"][1:]):
                kinds = ", ".join(x["kind"] + (f" {x['ref']}" if x["kind"] == "co-holder" else "")
                                  for x in link["ties"])
                steps.append(f"-[{kinds}]- {person['id']} {person['name']} ({person['organization']})")
            lines.append(f"  {t['id']} {t['name']} ({t['role'] or 'no role'}): {t['hops']} hop(s) " + " ".join(steps))
        more = h.get("takeover_total", len(h["takeover"])) - len(h["takeover"])
        if more > 0:
            lines.append(f"  … and {_count(more, 'more colleague')} (--limit 0 for all)")
    if doc["personal_ties"]:
        lines += ["", "people they know outside the organisation (personal ties leave with them)"
                  + _shown(len(doc["personal_ties"]), doc.get("personal_ties_total", len(doc["personal_ties"]))) + ":"]
        for x in doc["personal_ties"]:
            lines.append(f"  {x['id']} {x['name']} ({x['organization']}): " + ", ".join(
                t["kind"] + (f" {t['ref']}" if t["kind"] == "co-holder" else "") for t in x["ties"]))
    return "\n".join(lines)


@answers("continuity")
def continuity_document(env: Env, *, person: str | None = None, for_org: str | None = None, limit: int = 10,
                        as_of: Any = None) -> dict[str, Any]:
    """The ``continuity`` document: the partnership sides at risk (rows) and the key people; with
    ``person`` (--leaves), the partnerships that person holds (rows: what breaks) and who could take
    over."""
    from ..analysis.continuity import BREACH_TABLES, continuity, departure, person_breaches
    from ..documents import envelope

    # Key people are ranked over everyone: the people and partnership tables are read whole (no
    # evidence tables). The reference date by default is the newest event: the snapshot's.
    tables = _StoreTables(env, BREACH_TABLES)  # incidents: only for person_breaches, not with --leaves
    snap = env.snapshot() if as_of is None or for_org is not None else None
    day = as_of_str(as_of) or (snap.as_of if snap is not None else None)
    organization = env.resolve_org(snap, for_org) if snap is not None and for_org is not None else None
    parameters = {"leaves": person, "for": organization, "limit": limit}
    if person is not None:
        if for_org is not None:
            raise click.UsageError("--leaves and --for are exclusive: a departure concerns the person's organisation")
        doc = departure(tables, person, as_of=day)
        cut = limit or None  # --limit limits every list: partnerships held, takeover candidates, ties
        document = envelope("continuity", as_of=doc["as_of"], store=env.store_info(snap), parameters=parameters)
        document.update(summary=None, key_people=None, person_breaches=None,
                        departure={**{k: doc[k] for k in ("person", "resolved_from", "orphans")},
                                   "held": len(doc["holds"]), "personal_ties": doc["personal_ties"][:cut],
                                   "personal_ties_total": len(doc["personal_ties"])},
                        rows=[{**h, "takeover": h["takeover"][:cut], "takeover_total": len(h["takeover"])}
                              for h in doc["holds"][:cut]])
        return document
    doc = continuity(tables, as_of=day, top=limit or None, organization=organization)
    # Person-level breaches: the incidents tables too (an incident names people; few rows).
    breaches = person_breaches(tables, as_of=doc["as_of"], organization=organization)
    document = envelope("continuity", as_of=doc["as_of"], store=env.store_info(snap), parameters=parameters)
    document.update(summary=doc["summary"], key_people=doc["key_people"], departure=None,
                    person_breaches=breaches, rows=doc["at_risk"])
    return document


@cli.command("continuity")
@click.option("--leaves", "person", default=None, metavar="PERSON",
              help="What this person's departure would break, and who could take over (id or name).")
@for_option(what="Only this organisation's side (id or name).")
@alias("--org", "for_org")
@limit_option(10, 1000, "rows of every list (sides at risk, key people; with --leaves: partnerships, "
              "colleagues, ties)")
@alias("--top", "limit", type=click.IntRange(0, 1000))
@as_of_option
@format_option
@pass_env
def continuity_command(env: Env, person: str | None, for_org: str | None, limit: int, as_of: Any,
                       fmt: str | None) -> None:
    """Partnerships whose relationship rests on a single person, and what a departure would break.

    A side of a running partnership is held by the member's people in post who hold it; one holder
    is a continuity risk, none means it is already orphaned. A move to another organisation ends the
    partnerships a person held (they belong to the organisation); personal ties move with them.
    With --leaves PERSON: the partnerships that would be orphaned and the colleagues nearest to each
    partner (their own ties, in hops) who could take over.
    """
    document = continuity_document(env, person=person, for_org=for_org, limit=limit, as_of=as_of)
    emit_answer(document, fmt, text=_continuity_text)


# --------------------------------------------------------------------------------------------------
# timeline


_TIMELINE_COLUMNS = ["date", "kind", "ref", "direction", "text", "trust_ab", "change_ab", "trust_ba", "change_ba"]
#: Every field of a timeline row (null where the event kind has none).
_EVENT_FIELDS = ("date", "kind", "ref", "direction", "label", "text", "partnership", "status", "channel", "strength",
                 "incident", "incident_kind", "severity", "action", "lister", "listed_party", "trust_ab",
                 "uncertainty_ab", "trust_ba", "uncertainty_ba", "trust_ab_before", "trust_ba_before", "change_ab",
                 "change_ba", "scope", "reporter_person", "subject_person")


def _event_row(event: dict[str, Any]) -> dict[str, Any]:
    e = dict(event)
    if "listed" in e:  # the listed party's id: "listed" is a boolean everywhere else
        e["listed_party"] = e.pop("listed")
    unknown = set(e) - set(_EVENT_FIELDS)
    if unknown:  # a new event field must be added to the schema too
        raise ValueError(f"timeline event fields without a schema: {sorted(unknown)}")
    return {k: e.get(k) for k in _EVENT_FIELDS}


def _timeline_text(doc: dict[str, Any]) -> str:
    a, b = doc["a"]["id"], doc["b"]["id"]
    s = doc["summary"]
    lines = [f"trust between {a} {doc['a']['name'] or ''} and {b} {doc['b']['name'] or ''}, as of {doc['as_of']}",
             f"trust_ab = {a}'s trust in {b}; trust_ba = the reverse; 0.5 = no evidence; change = the step the day's "
             f"events caused (shown once per day)", ""]
    def step(x: float) -> str:
        return f"{round(x, 3) + 0.0:+.3f}"  # + 0.0: no "-0.000"

    rows = []
    events = doc["rows"]
    for i, e in enumerate(events):
        first = i == 0 or events[i - 1]["date"] != e["date"]  # the day's step, shown once
        rows.append({**{k: e.get(k) for k in _TIMELINE_COLUMNS}, "trust_ab": f"{e['trust_ab']:.3f}",
                     "change_ab": step(e["change_ab"]) if first else "〃", "trust_ba": f"{e['trust_ba']:.3f}",
                     "change_ba": step(e["change_ba"]) if first else "〃"})
    lines.append(_table(rows, _TIMELINE_COLUMNS, max_width=70) if rows else "(no events between them)")
    now = doc["now"]
    lines.append("")
    lines.append(f"now: {a} → {b} {now['trust_ab']:.3f}, {b} → {a} {now['trust_ba']:.3f}")
    if s["low_ab"] is not None:
        lines.append(f"lowest trust of {a} in {b}: {s['low_ab']:.3f} on {s['low_date']} ({s['low_event']}); "
                     f"highest since: {s['recovered_ab']:.3f} on {s['recovered_date']}")
    if doc["person_breaches"]:
        lines += ["", "person-level breaches (the incident names people):"]
        lines += [f"  {line}" for b in doc["person_breaches"] for line in _breach_lines(b)]
    return "\n".join(lines)


def _breach_person(p: dict[str, Any] | None, org: str) -> str:
    if p is None:
        return org
    if p["now"] == p["id"]:
        now = ""
    else:
        now = f", now {p['now']} at {p['now_organization']}" if p["now"] else ", no longer in post"
    return f"{p['id']} {p['name'] or ''} ({p['organization'] or org}{now})"


_BREACH_STATE = {
    "rotated": "the two are not paired again",
    "re_paired": "RE-PAIRED after the rotation",
    "not_rotated": "NOT ROTATED: the two still hold the relationship together",
    "parted": "no rotation; the two no longer hold the relationship together",
}


def _breach_lines(b: dict[str, Any]) -> list[str]:
    """A person-level breach in words (timeline, continuity and health tables)."""
    rot = b["rotation"]
    rotated = f"staff rotation {rot['id']} on {rot['date']}; " if rot else "no staff rotation; "
    survives = "the relationship survives" if b["survives"] else "no partnership between them runs now"
    lines = [f"{b['incident']} {b['date']} {b['kind']}: {_breach_person(b['reporter_person'], b['reporter'])} and "
             f"{_breach_person(b['subject_person'], b['subject'])}",
             f"    organisations: {rotated}incident {b['repair']}; {survives}",
             f"    persons: {_BREACH_STATE[b['status']]}"
             + (f" ({', '.join(b['held_together'])} held together)" if b["held_together"] else "")
             + "".join(f"; a {t['kind'] or 'personal'} tie since {t['since']}" for t in b["new_ties"])]
    def holders(side: list[dict[str, Any]]) -> str:
        return ", ".join(f"{h['id']} {h['name'] or ''}".strip() + (" (named)" if h["named"] else "")
                         + (f" since {h['since']}" if h["since"] else "") for h in side) or "nobody"

    for r in b["relationship"]:
        lines.append(f"    {r['partnership']} {r['name'] or ''} now held by {b['reporter']}: "
                     f"{holders(r['reporter_holders'])}; {b['subject']}: {holders(r['subject_holders'])}")
    return lines


_SUMMARY_FIELDS = ("low_ab", "low_date", "low_event", "recovered_ab", "recovered_date", "largest_fall",
                   "largest_fall_event")


def _timeline(env: Env, a: str, b: str, as_of: Any, half_life: float) -> tuple[dict[str, Any], dict[str, Any], Any]:
    """The timeline (the analysis' dict), its document, and the rows about the pair (for a plot)."""
    from ..analysis.timeline import timeline
    from ..documents import envelope, party

    # The snapshot names the parties and gives the default reference date (the newest event); the
    # trust between the two is computed from their own rows.
    snap = env.snapshot()
    first, second = env.resolve_org(snap, a), env.resolve_org(snap, b)
    if first == second:  # a usage error, as in chain and vouchers
        raise click.BadParameter("A and B are the same organisation", param_hint="B")
    hl = half_life_value(half_life)
    tables = env.about([first, second])
    doc = timeline(tables, first, second, as_of=as_of_str(as_of) or snap.as_of, half_life_days=hl)
    named = snap if as_of is None else env.snapshot(as_of=doc["as_of"])
    document = envelope("timeline", as_of=doc["as_of"], store=env.store_info(snap),
                        parameters={"a": str(first), "b": str(second), "half_life": float(half_life)})
    summary = doc["summary"]
    document.update(a=party(named, first), b=party(named, second), now=dict(doc["now"]),
                    summary={"events": summary["events"], "by_kind": dict(summary["by_kind"]),
                             **{k: summary.get(k) for k in _SUMMARY_FIELDS}},
                    person_breaches=list(doc["person_breaches"]), rows=[_event_row(e) for e in doc["events"]])
    return doc, document, tables


@answers("timeline")
def timeline_document(env: Env, *, a: str, b: str, as_of: Any = None,
                      half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``timeline`` document: the events between ``a`` and ``b`` (rows), with the trust both ways."""
    return _timeline(env, a, b, as_of, half_life)[1]


@cli.command("timeline")
@click.argument("a")
@click.argument("b")
@click.option("--plot", "plot", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Also draw the timeline to FILE (.png or .svg).")
@as_of_option
@half_life_option
@format_option
@pass_env
def timeline_command(env: Env, a: str, b: str, plot: Path | None, as_of: Any, half_life: float,
                     fmt: str | None) -> None:
    """The history of trust between A and B, event by event.

    Partnerships, referrals, communications, incidents and what followed them (post-mortem,
    mediation, staff rotation, reset, termination, legal action), listings and moves, each with
    the trust both ways computed as of that day, and the step the day's events caused.
    """
    if plot is not None and plot.suffix.lower() not in PLOT_SUFFIXES:
        raise click.BadParameter(f"{plot}: the plot file must end in {' or '.join(PLOT_SUFFIXES)}", param_hint="--plot")
    doc, document, tables = _timeline(env, a, b, as_of, half_life)
    if plot is not None:
        from ..analysis.timeline import plot_dates, timeline_figure, trust_series

        first, second = doc["a"], doc["b"]
        series = trust_series(tables, first, second, plot_dates(doc), half_life_days=half_life_value(half_life))
        fig = timeline_figure(doc, series)
        from ..files import atomic_path

        try:
            # Drawn to a temporary file beside FILE and renamed onto it; a symlink at FILE is refused.
            with atomic_path(plot, what="plot") as tmp:
                fig.savefig(tmp, format=plot.suffix.lower().lstrip("."))
        except OSError as err:  # the user's path, not the temporary file's
            raise TrustgraphError(f"cannot write the plot {plot}: {err.strerror or err}") from err
        note(env, f"wrote {plot}")
    emit_answer(document, fmt, text=_timeline_text)


# --------------------------------------------------------------------------------------------------
# health


def _health_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """What needs ORG's attention, one row per item; ``concern`` says what the item is."""
    from ..documents import listing

    rows: list[dict[str, Any]] = [{"concern": "listing", **listing(x, doc["id"])} for x in doc["listings"]]
    rows += [{"concern": "warning", **w} for w in doc["warnings"]]
    rows += [{"concern": "blamed_incident", **i} for i in doc["blamed"]]
    rows += [{"concern": "unrepaired_incident", **i} for i in doc["unrepaired"]]
    rows += [{"concern": "partnership_at_risk", **side} for side in doc["continuity"]["sides"]]
    rows += [{"concern": "person_breach", **b} for b in doc["person_breaches"]
             if b["status"] in ("re_paired", "not_rotated")]
    rows += [{"concern": "exposure_path", "target": p["target"], "hops": p["hops"], "contribution": p["contribution"],
              "path": [str(n) for n in p["path"]]} for p in doc["exposure"]["paths"]]
    return rows


def _health_text(document: dict[str, Any]) -> str:
    rows = document["rows"]
    rep = document["reputation_detail"]
    me = document["party"]
    lines = [f"{me['id']} {me['name'] or ''} as of {document['as_of']} "
             f"(culture {document['culture'] or 'not recorded'}, "
             f"risk appetite {document['risk_appetite'] or 'not recorded'})", "", "findings:"]
    lines += [f"  - {x}" for x in document["findings"]] or ["  (nothing noteworthy)"]
    lines += ["", f"how others see it: reputation {rep['reputation']:.3f}, rank {rep['reputation_rank']} of "
                  f"{rep['of']}, percentile {rep['percentile']:.1f}"]
    for label, key in (("raised by", "givers"), ("lowered by", "takers")):
        if rep[key]:
            lines.append(f"  {label}: " + "; ".join(f"{g['id']} {g['name'] or ''} ({g['contribution']:+.4f})"
                                                    for g in rep[key]))
    lines.append("  trend: " + "  ".join(f"{t['date']} {t['reputation']:.3f} (#{t['reputation_rank']})"
                                         for t in document["trend"]))
    blamed = [r for r in rows if r["concern"] == "blamed_incident"]
    lines += ["", "incidents where it was blamed:"]
    lines += [f"  {i['id']} {i['date']} {i['kind']} severity {i['severity']} reported by {i['reporter']} "
              f"[{i['status']}]: " + (", ".join(f"{a['kind']} {a['date']}" for a in i["actions"]) or "no follow-up")
              for i in blamed] or ["  (none)"]
    lines += ["", "incidents still without repair (either side):"]
    lines += [f"  {i['id']} {i['date']} {i['reporter']} → {i['subject']} {i['kind']} [{i['status']}]"
              for i in rows if i["concern"] == "unrepaired_incident"] or ["  (none)"]
    c = document["continuity"]
    if not c.get("holders_recorded", True):  # said once, no finding: the data has no holders to judge
        lines += ["", f"continuity: {c['running']} running partnership side(s); the data records no relationship "
                      "holders, so nothing can be said about who holds them"]
    else:
        lines += ["", f"continuity: {c['at_risk']} of {c['running']} running partnership side(s) at risk"]
    lines += [f"  {s['partnership']} {s['partnership_name']} (with {', '.join(s['partners'])}): {s['status']}"
              + (f", held by {_holders(s)}" if s["holders"] else "")
              + (f"; {'; '.join(e['reason'] for e in s['ended'])}" if s["ended"] else "")
              for s in rows if s["concern"] == "partnership_at_risk"]
    if document["person_breaches"]:
        lines += ["", "person-level breaches (either side):"]
        lines += [f"  {line}" for b in document["person_breaches"] for line in _breach_lines(b)]
    lines += ["", f"exposure to listed parties: {document['exposure']:+.4f}"]
    lines += [f"  {' > '.join(map(str, p['path']))}: {p['contribution']:+.4f}" for p in rows
              if p["concern"] == "exposure_path"]
    return "\n".join(lines)


@answers("health")
def health_document(env: Env, *, org: str, trend_points: int = 5, trend_step: int = 365, as_of: Any = None,
                    half_life: float = DEFAULT_HALF_LIFE_DAYS) -> dict[str, Any]:
    """The ``health`` document: how others see ORG (reputation, trend) and, as rows, what needs its
    attention (listings, warnings, incidents, partnerships at risk, paths to listed parties)."""
    from ..analysis.health import health
    from ..documents import envelope, party

    hl = half_life_value(half_life)
    snap = env.snapshot(as_of=as_of_str(as_of), half_life_days=hl)
    node = env.resolve_org(snap, org)
    # One snapshot per trend point (each cached on disk), the organisation's own rows for the rest;
    # whether the data records people and holders at all is a question about the whole store.
    counts = env.store.counts()
    recorded = all(counts.get(t, 0) > 0 for t in ("people", "relationship_holders"))
    doc = health(_with_counterparts(env, env.about([node]), node), node, half_life_days=hl, graph=snap,
                 trend_points=trend_points,
                 trend_step_days=trend_step, graphs=lambda day: env.snapshot(as_of=day, half_life_days=hl),
                 holders_recorded=recorded)
    rep = doc["reputation"]
    document = envelope("health", as_of=doc["as_of"], store=env.store_info(snap),
                        parameters={"org": str(node), "trend_points": trend_points, "trend_step": trend_step,
                                    "half_life": float(half_life)})
    document.update(
        party=party(snap, node), culture=doc["culture"], risk_appetite=doc["risk_appetite"],
        reputation_detail={"reputation": rep["score"], "reputation_rank": rep["rank"], "of": rep["of"],
                    "percentile": rep["percentile"], "breakdown": dict(rep["breakdown"]), "givers": rep["givers"],
                    "takers": rep["takers"]},
        trend=[{"date": t["date"], "reputation": t["score"], "reputation_rank": t["rank"], "of": t["of"],
                "change": t["change"]} for t in doc["trend"]],
        trend_change=doc["trend_change"], exposure=doc["exposure"]["exposure"],
        continuity={"running": doc["continuity"]["running"], "at_risk": doc["continuity"]["at_risk"],
                    "holders_recorded": doc["continuity"]["holders_recorded"]},
        person_breaches=list(doc["person_breaches"]), findings=list(doc["findings"]), rows=_health_rows(doc))
    return document


def _with_counterparts(env: Env, rows: dict[str, pd.DataFrame], node: Any) -> dict[str, pd.DataFrame]:
    """``rows`` about ``node`` plus the people (and their personal ties) of the other side of its
    person-level incidents: whether the people named were paired again needs both sides' staff."""
    import pandas as pd

    from ..model import TABLES

    incidents = rows.get("incidents")
    if incidents is None or not len(incidents):
        return rows
    named = (incidents["reporter_person"].notna() | incidents["subject_person"].notna()).to_numpy()
    others = {str(o) for col in ("reporter", "subject") for o in incidents.loc[named, col]} - {str(node)}
    if not others:
        return rows
    more = env.about(sorted(others), names=("people", "personal_ties"))
    out = dict(rows)
    for name, frame in more.items():
        both = pd.concat([rows[name], frame], ignore_index=True) if name in rows else frame
        out[name] = both.drop_duplicates(subset=list(TABLES[name].key), ignore_index=True)
    return out


@cli.command("health")
@click.argument("org")
@click.option("--trend-points", type=click.IntRange(1, 15), default=5, show_default=True,
              help="Points in the reputation trend (each is a snapshot; the cache keeps 16 per store version).")
@click.option("--trend-step", type=click.IntRange(1, 1826), default=365, show_default=True,
              help="Days between trend points.")
@as_of_option
@half_life_option
@format_option
@pass_env
def health_command(env: Env, org: str, trend_points: int, trend_step: int, as_of: Any, half_life: float,
                   fmt: str | None) -> None:
    """ORG's look in the mirror: how others see it, and what needs attention.

    Reputation and its trend, warnings about it, incidents where it was blamed, incidents still
    without a post-mortem, mediation, staff rotation or reset, partnerships resting on one person
    or on nobody, and exposure to listed parties.
    """
    document = health_document(env, org=org, trend_points=trend_points, trend_step=trend_step, as_of=as_of,
                               half_life=half_life)
    emit_answer(document, fmt, text=_health_text)
