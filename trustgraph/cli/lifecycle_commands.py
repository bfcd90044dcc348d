"""Partnership lifecycle commands: ``assess``, ``continuity``, ``timeline``, ``health``.

Thin wrappers over :mod:`trustgraph.analysis.assess`, :mod:`~trustgraph.analysis.continuity`,
:mod:`~trustgraph.analysis.timeline` and :mod:`~trustgraph.analysis.health`; the method and the
profiles are documented in docs/lifecycle.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..model import RISK_APPETITE
from .app import Env, as_of_option, as_of_str, cli, half_life_option, half_life_value, note, pass_env
from .output import emit_document, flatten, format_option, resolve_format, to_json

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


def _evidence_lines(reason: dict[str, Any]) -> list[str]:
    """The evidence of one reason, as indented lines for the table format."""
    ev = reason["evidence"]
    lines: list[str] = []

    def chain_line(c: dict[str, Any], prefix: str = "") -> str:
        hops = "".join(f"{link['from']} -({link['trust']:.3f})-> " for link in c["links"]) + str(c["path"][-1])
        grade = f" [{c['grade']}]" if c.get("grade") else ""
        return f"{prefix}{hops}  strength {c['strength']:.3f}{grade}"

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
        lines.append(f"score {ev['score']:.3f}, rank {ev['rank']} of {ev['of']}, percentile {ev['percentile']:.1f}"
                     f" (seen from the {ev['view']})")
        for label, key in (("raised by", "givers"), ("lowered by", "takers")):
            if ev.get(key):
                lines.append(f"{label}: " + "; ".join(f"{g['id']} {g['contribution']:+.4f}" for g in ev[key]))
    if ev.get("chain"):
        lines.append(chain_line(ev["chain"], "chain: "))
    for c in ev.get("best_chains") or []:
        lines.append(chain_line(c, "best chain: "))
    for c in ev.get("vouchers") or []:
        lines.append(chain_line(c, "voucher: "))
    if ev.get("web_of_trust"):
        w = ev["web_of_trust"]
        lines.append(f"GnuPG rule on the graph: {w['validity']} ({w['completes']} complete, {w['marginals']} marginal)")
    if reason["check"] == "person_path" and ev.get("path"):
        for link in ev["path"]["links"]:
            kinds = ", ".join(t["kind"] + (f" {t['ref']}" if t.get("ref") and t["kind"] == "co-holder" else "")
                              for t in link["ties"])
            lines.append(f"{link['from']} — {link['to']}: {kinds}")
    for p in ev.get("paths") or []:
        lines.append(f"path {' > '.join(map(str, p['path']))} to listed {p['listed']}: strength {p['strength']:+.4f}")
    own = ev.get("own_trust")
    if own and reason["check"] in ("first_hand", "flag:own_distrust"):
        lines.append(f"own trust {own['trust']:.3f} (positive {own['positive']:.3f}, negative {own['negative']:.3f};"
                     f" {own['kinds']}; last {own['last']})")
    return lines


def _assessment_text(doc: dict[str, Any], *, header: bool = True) -> list[str]:
    lines = []
    if header:
        lines.append(f"{doc['id']} {doc['name'] or ''} — for {doc['for']} {doc['for_name'] or ''}, "
                     f"as of {doc['as_of']}")
    chosen = {"culture": f"{doc['for']}'s culture", "option": "--profile", "all-profiles": "--all-profiles"}
    lines.append(f"profile {doc['profile']} (from {chosen.get(doc['chosen_by'], doc['chosen_by'])}), "
                 f"risk appetite {doc['risk_appetite']}: {doc['description']}")
    lines.append(f"decision: {doc['decision'].upper()}")
    for r in doc["reasons"]:
        lines.append(f"  [{r['outcome']}] {r['check']}: {r['reason']}")
        lines.extend(f"      {line}" for line in _evidence_lines(r))
    return lines


def _assess_rows(docs: list[dict[str, Any]], *, csv: bool) -> list[dict[str, Any]]:
    rows = []
    for d in docs:
        for r in d["reasons"]:
            rows.append({
                "id": d["id"], "name": d["name"], "for": d["for"], "for_name": d["for_name"], "as_of": d["as_of"],
                "profile": d["profile"], "risk_appetite": d["risk_appetite"], "decision": d["decision"],
                "check": r["check"], "outcome": r["outcome"], "reason": r["reason"],
                "evidence": to_json(r["evidence"], indent=None) if csv else r["evidence"],
            })
    return rows


@cli.command("assess")
@click.argument("candidate")
@click.option("--for", "assessor", required=True, metavar="ORG", help="The organisation deciding (id or name).")
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
def assess_command(env: Env, candidate: str, assessor: str, profile: str | None, all_profiles: bool,
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
    from ..analysis.assess import assess, assess_all, load_profiles
    from ..analysis.continuity import STAFF_TABLES
    from ..evidence import evidence_frame

    if profile is not None and all_profiles:
        raise click.UsageError("--profile and --all-profiles are exclusive")
    book = load_profiles(profiles_file)
    snap = env.snapshot(as_of=as_of_str(as_of), half_life_days=half_life_value(half_life))
    cand = env.resolve_org(snap, candidate)
    org = env.resolve_org(snap, assessor)
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
                              "staff_tables": _StoreTables(env, STAFF_TABLES)}
    fmt = resolve_format(fmt)
    if all_profiles:
        doc = assess_all(rows, cand, org, **common)
        docs = doc["decisions"]

        def text(d: dict[str, Any]) -> str:
            lines = [f"{d['id']} {d['name'] or ''} — for {d['for']} {d['for_name'] or ''}, as of {d['as_of']}",
                     f"{d['for']}'s culture: {d['culture'] or 'not recorded'}; risk appetite {d['risk_appetite']}", ""]
            width = max(len(x["profile"]) for x in d["decisions"]) + 6
            lines.append(f"{'profile':<{width}}  {'decision':<23}  because")
            for x in d["decisions"]:
                own = " (own)" if x["profile"] == d["culture"] else ""
                drivers = "; ".join(
                    r["reason"] for r in x["reasons"]
                    if r["outcome"] == x["decision"] and (r["check"] != "screen" or len(x["reasons"]) == 1))
                lines.append(f"{x['profile'] + own:<{width}}  {x['decision']:<23}  {drivers}")
            for x in d["decisions"]:
                lines.append("")
                lines.extend(_assessment_text(x, header=False))
            return "\n".join(lines)

        emit_document(doc, fmt, text=text, rows=_assess_rows(docs, csv=fmt == "csv"))
        return
    one = assess(rows, cand, org, profile=profile, **common)
    emit_document(one, fmt, text=lambda d: "\n".join(_assessment_text(d)), rows=_assess_rows([one], csv=fmt == "csv"))


# --------------------------------------------------------------------------------------------------
# continuity


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _holders(side: dict[str, Any]) -> str:
    return "; ".join(f"{h['id']} {h['name']}" for h in side["holders"])


def _side_row(side: dict[str, Any]) -> dict[str, Any]:
    return {
        "section": "at_risk", "id": side["partnership"], "name": side["partnership_name"],
        "organization": side["organization"], "status": side["status"], "holders": _holders(side),
        "partners": ", ".join(side["partners"]), "ended": "; ".join(e["reason"] for e in side["ended"]),
    }


def _person_row(p: dict[str, Any]) -> dict[str, Any]:
    return {
        "section": "key_people", "rank": p["rank"], "id": p["id"], "name": p["name"], "organization": p["organization"],
        "role": p["role"], "would_orphan": p["would_orphan"], "score": p["score"],
        "partnerships": ", ".join(x["partnership"] for x in p["partnerships"]),
    }


def _continuity_text(doc: dict[str, Any]) -> str:
    s = doc["summary"]
    lines = [f"continuity as of {doc['as_of']}: {_count(s['running_partnerships'], 'running partnership')}, "
             f"{_count(s['sides'], 'side')} — {s['orphaned_sides']} orphaned, {s['single_sides']} held by one person, "
             f"{s['covered_sides']} covered",
             "", "partnership sides resting on one person or on nobody:"]
    if not s["holders_recorded"]:
        lines[-1:] = ["the data records no relationship holders: nothing to say about continuity"]
    rows = [_side_row(x) for x in doc["at_risk"]]
    cols = ["id", "name", "organization", "status", "holders", "partners", "ended"]
    lines.append(_table(rows, cols) if rows else "(none)")
    lines += ["", "people whose departure would orphan the most partnerships:"]
    people = [_person_row(p) for p in doc["key_people"]]
    cols = ["rank", "id", "name", "organization", "role", "would_orphan", "partnerships"]
    lines.append(_table(people, cols) if people else "(none)")
    return "\n".join(lines)


def _departure_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    p = doc["person"]
    rows = []
    for h in doc["holds"]:
        base = {"id": p["id"], "name": p["name"], "organization": p["organization"], "partnership": h["partnership"],
                "partnership_name": h["name"], "partners": ", ".join(h["partners"]), "breaks": h["breaks"],
                "other_holders": "; ".join(f"{o['id']} {o['name']}" for o in h["other_holders"])}
        if not h["takeover"]:
            rows.append({**base, "takeover": None, "takeover_name": None, "hops": None, "path": None})
        for t in h["takeover"]:
            path = t["path"]
            steps = " > ".join(f"{x['id']} ({x['organization']})" for x in path["people"]) if path else None
            rows.append({**base, "takeover": t["id"], "takeover_name": t["name"], "hops": t["hops"], "path": steps})
    return rows


def _departure_text(doc: dict[str, Any]) -> str:
    p = doc["person"]
    asked = doc.get("resolved_from")
    lines = []
    if asked and asked != p["name"]:
        lines.append(f"({asked} is an earlier position; {p['name']} now holds {p['id']})")
    lines += [f"if {p['id']} {p['name']} ({p['role'] or 'no role'}, {p['organization']}) leaves, as of {doc['as_of']}:",
             f"{doc['orphans']} of {len(doc['holds'])} partnership(s) held would be orphaned"]
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
    if doc["personal_ties"]:
        lines += ["", "people they know outside the organisation (personal ties leave with them):"]
        for x in doc["personal_ties"]:
            lines.append(f"  {x['id']} {x['name']} ({x['organization']}): " + ", ".join(
                t["kind"] + (f" {t['ref']}" if t["kind"] == "co-holder" else "") for t in x["ties"]))
    return "\n".join(lines)


@cli.command("continuity")
@click.option("--leaves", "person", default=None, metavar="PERSON",
              help="What this person's departure would break, and who could take over (id or name).")
@click.option("--org", "org", default=None, metavar="ORG", help="Only this organisation's side (id or name).")
@click.option("--top", type=click.IntRange(1, 1000), default=10, show_default=True,
              help="Key people listed.")
@as_of_option
@format_option
@pass_env
def continuity_command(env: Env, person: str | None, org: str | None, top: int, as_of: Any, fmt: str | None) -> None:
    """Partnerships whose relationship rests on a single person, and what a departure would break.

    A side of a running partnership is held by the member's people in post who hold it; one holder
    is a continuity risk, none means it is already orphaned. A move to another organisation ends the
    partnerships a person held (they belong to the organisation); personal ties move with them.
    With --leaves PERSON: the partnerships that would be orphaned and the colleagues nearest to each
    partner (their own ties, in hops) who could take over.
    """
    from ..analysis.continuity import TABLES, continuity, departure

    # Key people are ranked over everyone: the people and partnership tables are read whole (no
    # evidence tables). The reference date by default is the newest event: the snapshot's.
    tables = _StoreTables(env, TABLES)
    snap = env.snapshot() if as_of is None or org is not None else None
    day = as_of_str(as_of) or (snap.as_of if snap is not None else None)
    fmt = resolve_format(fmt)
    if person is not None:
        doc = departure(tables, person, as_of=day)
        emit_document(doc, fmt, text=_departure_text, rows=_departure_rows(doc))
        return
    organization = env.resolve_org(snap, org) if snap is not None and org is not None else None
    doc = continuity(tables, as_of=day, top=top, organization=organization)
    rows = [_side_row(x) for x in doc["at_risk"]] + [_person_row(p) for p in doc["key_people"]]
    emit_document(doc, fmt, text=_continuity_text, rows=rows)


# --------------------------------------------------------------------------------------------------
# timeline


_TIMELINE_COLUMNS = ["date", "kind", "ref", "direction", "text", "trust_ab", "change_ab", "trust_ba", "change_ba"]


def _timeline_text(doc: dict[str, Any]) -> str:
    a, b = doc["a"], doc["b"]
    s = doc["summary"]
    lines = [f"trust between {a} {doc['a_name'] or ''} and {b} {doc['b_name'] or ''}, as of {doc['as_of']}",
             f"trust_ab = {a}'s trust in {b}; trust_ba = the reverse; 0.5 = no evidence; change = the step the day's "
             f"events caused (shown once per day)", ""]
    def step(x: float) -> str:
        return f"{round(x, 3) + 0.0:+.3f}"  # + 0.0: no "-0.000"

    rows = []
    for i, e in enumerate(doc["events"]):
        first = i == 0 or doc["events"][i - 1]["date"] != e["date"]  # the day's step, shown once
        rows.append({**{k: e.get(k) for k in _TIMELINE_COLUMNS}, "trust_ab": f"{e['trust_ab']:.3f}",
                     "change_ab": step(e["change_ab"]) if first else "〃", "trust_ba": f"{e['trust_ba']:.3f}",
                     "change_ba": step(e["change_ba"]) if first else "〃"})
    lines.append(_table(rows, _TIMELINE_COLUMNS, max_width=70) if rows else "(no events between them)")
    now = doc["now"]
    lines.append("")
    lines.append(f"now: {a} → {b} {now['trust_ab']:.3f}, {b} → {a} {now['trust_ba']:.3f}")
    if "low_ab" in s:
        lines.append(f"lowest trust of {a} in {b}: {s['low_ab']:.3f} on {s['low_date']} ({s['low_event']}); "
                     f"highest since: {s['recovered_ab']:.3f} on {s['recovered_date']}")
    return "\n".join(lines)


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
    from ..analysis.timeline import plot_dates, timeline, timeline_figure, trust_series

    # The snapshot names the parties and gives the default reference date (the newest event); the
    # trust between the two is computed from their own rows.
    snap = env.snapshot()
    first, second = env.resolve_org(snap, a), env.resolve_org(snap, b)
    if first == second:  # a usage error, as in chain and vouchers
        raise click.BadParameter("A and B are the same organisation", param_hint="B")
    hl = half_life_value(half_life)
    tables = env.about([first, second])
    doc = timeline(tables, first, second, as_of=as_of_str(as_of) or snap.as_of, half_life_days=hl)
    if plot is not None:
        series = trust_series(tables, first, second, plot_dates(doc), half_life_days=hl)
        fig = timeline_figure(doc, series)
        from ..files import atomic_path

        try:
            # Drawn to a temporary file beside FILE and renamed onto it; a symlink at FILE is refused.
            with atomic_path(plot, what="plot") as tmp:
                fig.savefig(tmp, format=plot.suffix.lower().lstrip("."))
        except OSError as err:
            raise click.FileError(str(plot), hint=str(err)) from err
        note(env, f"wrote {plot}")
    emit_document(doc, fmt, text=_timeline_text, rows=[{"id": e["ref"], **e} for e in doc["events"]],
                  columns=_TIMELINE_COLUMNS if resolve_format(fmt) == "csv" else None)


# --------------------------------------------------------------------------------------------------
# health


def _health_rows(doc: dict[str, Any]) -> list[dict[str, Any]]:
    rep = doc["reputation"]
    rows: list[dict[str, Any]] = [{"section": "reputation", "id": doc["id"], "name": doc["name"], "date": doc["as_of"],
                                   "score": rep["score"], "rank": rep["rank"], "detail": f"of {rep['of']}"}]
    rows += [{"section": "trend", "id": doc["id"], "name": doc["name"], "date": t["date"], "score": t["score"],
              "rank": t["rank"], "detail": None if t["change"] is None else f"{t['change']:+.4f}"}
             for t in doc["trend"]]
    rows += [{"section": "warning", "id": w["id"], "name": w["source_name"], "date": w["date"], "score": w["strength"],
              "detail": f"by {w['source']}: {w['note'] or ''}"} for w in doc["warnings"]]
    for section in ("blamed", "unrepaired"):
        rows += [{"section": section, "id": i["id"], "name": i["kind"], "date": i["date"], "score": i["severity"],
                  "status": i["status"], "detail": f"{i['reporter']} → {i['subject']}; "
                  + (", ".join(a["kind"] for a in i["actions"]) or "no follow-up")} for i in doc[section]]
    rows += [{"section": "continuity", "id": s["partnership"], "name": s["partnership_name"], "status": s["status"],
              "detail": _holders(s) or "; ".join(e["reason"] for e in s["ended"]) or "no holder recorded"}
             for s in doc["continuity"]["sides"]]
    rows += [{"section": "exposure", "id": p["listed"], "name": p["listed_name"], "score": p["strength"],
              "detail": " > ".join(map(str, p["path"]))} for p in doc["exposure"]["paths"]]
    rows += [{"section": "listing", "id": x.get("id"), "name": x.get("lister"), "date": x.get("date"),
              "detail": x.get("reason")} for x in doc["listings"]]
    return rows


def _health_text(doc: dict[str, Any]) -> str:
    rep = doc["reputation"]
    lines = [f"{doc['id']} {doc['name'] or ''} as of {doc['as_of']} (culture {doc['culture'] or 'not recorded'}, "
             f"risk appetite {doc['risk_appetite'] or 'not recorded'})", "", "findings:"]
    lines += [f"  - {x}" for x in doc["findings"]] or ["  (nothing noteworthy)"]
    lines += ["", f"how others see it: reputation {rep['score']:.3f}, rank {rep['rank']} of {rep['of']}, "
                  f"percentile {rep['percentile']:.1f}"]
    for label, key in (("raised by", "givers"), ("lowered by", "takers")):
        if rep[key]:
            lines.append(f"  {label}: " + "; ".join(f"{g['id']} {g['name'] or ''} ({g['contribution']:+.4f})"
                                                    for g in rep[key]))
    lines.append("  trend: " + "  ".join(f"{t['date']} {t['score']:.3f} (#{t['rank']})" for t in doc["trend"]))
    lines += ["", "incidents where it was blamed:"]
    lines += [f"  {i['id']} {i['date']} {i['kind']} severity {i['severity']} reported by {i['reporter']} "
              f"[{i['status']}]: " + (", ".join(f"{a['kind']} {a['date']}" for a in i["actions"]) or "no follow-up")
              for i in doc["blamed"]] or ["  (none)"]
    lines += ["", "incidents still without repair (either side):"]
    lines += [f"  {i['id']} {i['date']} {i['reporter']} → {i['subject']} {i['kind']} [{i['status']}]"
              for i in doc["unrepaired"]] or ["  (none)"]
    c = doc["continuity"]
    lines += ["", f"continuity: {c['at_risk']} of {c['running']} running partnership side(s) at risk"]
    lines += [f"  {s['partnership']} {s['partnership_name']} (with {', '.join(s['partners'])}): {s['status']}"
              + (f", held by {_holders(s)}" if s["holders"] else "")
              + (f"; {'; '.join(e['reason'] for e in s['ended'])}" if s["ended"] else "") for s in c["sides"]]
    e = doc["exposure"]
    lines += ["", f"exposure to listed parties: {e['score']:+.4f}"]
    lines += [f"  {' > '.join(map(str, p['path']))}: {p['strength']:+.4f}" for p in e["paths"]]
    return "\n".join(lines)


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
    from ..analysis.health import health

    hl = half_life_value(half_life)
    snap = env.snapshot(as_of=as_of_str(as_of), half_life_days=hl)
    node = env.resolve_org(snap, org)
    # One snapshot per trend point (each cached on disk), the organisation's own rows for the rest.
    doc = health(env.about([node]), node, half_life_days=hl, graph=snap, trend_points=trend_points,
                 trend_step_days=trend_step, graphs=lambda day: env.snapshot(as_of=day, half_life_days=hl))
    emit_document(doc, fmt, text=_health_text, rows=_health_rows(doc))

