"""Trust timelines: the history of trust between two organisations, event by event.

Every row of the dataset that involves both ``a`` and ``b`` becomes an event — partnerships (start
and end), referrals either way, communications, incidents either way and what was done after them
(post-mortem, mediation, staff rotation, reset, termination, legal action) — and so do the
listings of either party and people who moved between them, as context. After each event the
local trust both ways is computed with :mod:`trustgraph.evidence` *as of the event's date* (the
Beta expectation of the decayed evidence up to and including that day), so the numbers are exactly
what ``trustgraph`` would have said on that day:

* ``trust_ab`` is *a*'s trust in *b*, ``trust_ba`` the reverse; 0.5 means no evidence;
* ``change_ab`` / ``change_ba`` is the step the events of that day caused: trust on the day minus
  trust on the day before (so the slow decay between events is not counted as the event's effect;
  several events on one day share one step).

An incident that names people (``reporter_person``, ``subject_person``) is a person-level breach:
its events say so (``scope``), and the timeline lists each with what became of the persons' tie and
of the organisations' relationship (:func:`trustgraph.analysis.continuity.person_breaches`).

Incident actions change an incident's weight retroactively from their date (post-mortem × 0.6,
reset × 0.5, …; :data:`trustgraph.evidence.ACTION_FACTORS`), which is how trust that fell at an
incident recovers after a post-mortem or a reset.

:func:`trust_series` samples the same trust on a grid of dates for plotting, and
:func:`timeline_figure` draws the timeline (a Matplotlib figure; the caller saves it).
"""

from __future__ import annotations

import re
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..cells import day as _day
from ..cells import text as _text
from ..errors import NotFoundError, TrustgraphError
from ..evidence import DEFAULT_HALF_LIFE_DAYS, beta_trust, evidence_frame, local_trust, reference_date, trust_weights
from ..model import check_date

__all__ = [
    "EVENT_KINDS",
    "pair_tables",
    "pair_trust",
    "timeline",
    "trust_series",
    "plot_dates",
    "timeline_figure",
]

#: Event kinds, in the order they are listed on the same day (the weightiest first).
EVENT_KINDS = (
    "incident",
    "action",
    "listing",
    "listing_end",
    "partnership_end",
    "partnership_start",
    "referral",
    "communication",
    "move",
)

_NEUTRAL = 0.5


def _rows(tables: Mapping[str, pd.DataFrame], name: str) -> pd.DataFrame:
    frame = tables.get(name)
    return frame if frame is not None else pd.DataFrame()


def pair_tables(tables: Mapping[str, pd.DataFrame], a: Hashable, b: Hashable) -> dict[str, pd.DataFrame]:
    """The rows of ``tables`` that bear on trust between ``a`` and ``b`` (for fast recomputation).

    Partnerships both are members of keep all their members (the partnership weight is split over
    the other members); referrals, communications and incidents between the two; the actions on
    those incidents; listings of either; the two organisations. :func:`evidence_frame` on the result
    gives the same evidence between ``a`` and ``b`` as on the whole dataset.
    """
    pair = {a, b}
    out: dict[str, pd.DataFrame] = {}
    orgs = _rows(tables, "organizations")
    if len(orgs):
        out["organizations"] = orgs.loc[orgs["id"].isin(pair).to_numpy()]
    members = _rows(tables, "partnership_members")
    ships = _rows(tables, "partnerships")
    if len(members) and len(ships):
        by_ps = members.groupby("partnership")["organization"].agg(set)
        shared = [ps for ps, orgs_of in by_ps.items() if pair <= orgs_of]
        out["partnerships"] = ships.loc[ships["id"].isin(shared).to_numpy()]
        out["partnership_members"] = members.loc[members["partnership"].isin(shared).to_numpy()]
    for name, x, y in (("referrals", "source", "target"), ("communications", "a", "b"),
                       ("incidents", "reporter", "subject")):
        frame = _rows(tables, name)
        if len(frame):
            keep = (frame[x].isin(pair) & frame[y].isin(pair) & (frame[x] != frame[y])).to_numpy()
            out[name] = frame.loc[keep]
    actions = _rows(tables, "incident_actions")
    if len(actions) and "incidents" in out:
        out["incident_actions"] = actions.loc[actions["incident"].isin(out["incidents"]["id"]).to_numpy()]
    listings = _rows(tables, "blacklist")
    if len(listings):
        out["blacklist"] = listings.loc[listings["listed"].isin(pair).to_numpy()]
    return out


def pair_trust(
    tables: Mapping[str, pd.DataFrame],
    a: Hashable,
    b: Hashable,
    day: str,
    *,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> dict[str, float]:
    """Local trust both ways between ``a`` and ``b`` as of ``day`` (:func:`evidence_frame` rules).

    Returns
    -------
    dict
        ``trust_ab``, ``uncertainty_ab``, ``trust_ba``, ``uncertainty_ba`` (0.5 and 1 with no evidence).
    """
    ev = evidence_frame(tables, as_of=day, half_life_days=half_life_days)
    out = {"trust_ab": _NEUTRAL, "uncertainty_ab": 1.0, "trust_ba": _NEUTRAL, "uncertainty_ba": 1.0}
    if not len(ev):
        return out
    ev = ev.loc[((ev["src"] == a) & (ev["dst"] == b) | (ev["src"] == b) & (ev["dst"] == a)).to_numpy()]
    for row in local_trust(ev).to_dict("records"):
        key = "ab" if row["src"] == a else "ba"
        out[f"trust_{key}"] = float(row["trust"])
        out[f"uncertainty_{key}"] = float(row["uncertainty"])
    return out


class _PairTrust:
    """:func:`pair_trust` on many dates, fast and with the same result.

    Evidence rows change only on the dates of the pair's rows (a partnership starting or ending, a
    referral, a communication, an incident, an action); between two such dates only their ages
    change. So :func:`evidence_frame` is computed once per such date, without decay, and each date in
    between is aged by hand with the same rule — including that a running partnership is dated on
    the reference date itself (age 0). ``tests/test_timeline.py`` checks the equality.
    """

    def __init__(self, pt: Mapping[str, pd.DataFrame], a: Hashable, b: Hashable,
                 half_life_days: float | None) -> None:
        self.pt, self.a, self.b = pt, a, b
        self.half_life = half_life_days if half_life_days and np.isfinite(half_life_days) else None
        days: set[str] = set()
        for name, cols in (("partnerships", ("start", "end")), ("referrals", ("date",)),
                           ("communications", ("date",)), ("incidents", ("date",)), ("incident_actions", ("date",))):
            frame = pt.get(name)
            if frame is None or not len(frame):
                continue
            for col in cols:
                days.update(d for d in (_day(v) for v in frame[col].tolist()) if d)
        self.breaks = sorted(days)
        ships = pt.get("partnerships")
        self.ends = {} if ships is None or not len(ships) else {
            str(i): _day(e) for i, e in zip(ships["id"].tolist(), ships["end"].tolist())}
        self.frames: dict[str, pd.DataFrame] = {}

    def _frame(self, day: str) -> pd.DataFrame:
        if day not in self.frames:
            ev = evidence_frame(self.pt, as_of=day, half_life_days=None)
            if len(ev):
                ev = ev.loc[((ev["src"] == self.a) & (ev["dst"] == self.b)
                             | (ev["src"] == self.b) & (ev["dst"] == self.a)).to_numpy()]
                end = ev["ref"].astype(str).map(self.ends)
                # Dated on the reference date: partnerships still running on it.
                moving = (ev["kind"] == "partnership") & ~(end.notna() & (end.astype(str) <= day))
                ev = ev.assign(_age_from=pd.to_datetime(ev["date"].astype(str).str.slice(0, 10)),
                               _moving=moving.to_numpy())
            self.frames[day] = ev
        return self.frames[day]

    def at(self, day: str) -> dict[str, float]:
        out = {"trust_ab": _NEUTRAL, "uncertainty_ab": 1.0, "trust_ba": _NEUTRAL, "uncertainty_ba": 1.0}
        k = int(np.searchsorted(np.array(self.breaks, dtype=object), day, side="right")) if self.breaks else 0
        if k == 0:
            return out
        ev = self._frame(self.breaks[k - 1])
        if not len(ev):
            return out
        if self.half_life is None:
            weight = np.ones(len(ev))
        else:
            age = (pd.Timestamp(day) - ev["_age_from"]).dt.days.to_numpy(dtype=float)
            age = np.where(ev["_moving"].to_numpy(), 0.0, np.clip(age, 0.0, None))
            weight = trust_weights(ev["kind"], np.power(0.5, age / self.half_life))  # referrals stand
        pos = ev["positive"].to_numpy(dtype=float) * weight
        neg = ev["negative"].to_numpy(dtype=float) * weight
        forward = (ev["src"] == self.a).to_numpy()
        for key, mask in (("ab", forward), ("ba", ~forward)):
            if mask.any():
                trust, unc = beta_trust(float(pos[mask].sum()), float(neg[mask].sum()))
                out[f"trust_{key}"], out[f"uncertainty_{key}"] = trust, unc
        return out


def _name(tables: Mapping[str, pd.DataFrame], org: Hashable) -> str | None:
    orgs = _rows(tables, "organizations")
    hit = orgs.loc[(orgs["id"] == org).to_numpy()] if len(orgs) else orgs
    if not len(hit):
        raise NotFoundError(f"no organisation {org!r}")
    return _text(hit.iloc[0].get("name"))


def _events(pt: Mapping[str, pd.DataFrame], tables: Mapping[str, pd.DataFrame], a: Hashable, b: Hashable,
            day: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []

    def way(src: Any, dst: Any) -> str:
        return "a→b" if (src, dst) == (a, b) else "b→a"

    ships = _rows(pt, "partnerships")
    for p in ships.to_dict("records") if len(ships) else []:
        start, end, status = _day(p.get("start")), _day(p.get("end")), _text(p.get("status"))
        common = {"ref": p["id"], "direction": "both", "partnership": p["id"]}
        if start and start <= day:
            events.append({"date": start, "kind": "partnership_start", **common,
                           "label": f"{p['id']} starts", "text": f"partnership {p['id']} {p.get('name')!s} starts"
                           f" ({_text(p.get('kind')) or 'partnership'})"})
        if end and end <= day:
            events.append({"date": end, "kind": "partnership_end", **common, "status": status,
                           "label": f"{p['id']} {status}",
                           "text": f"partnership {p['id']} {p.get('name')!s} ends: {status}"})
    refs = _rows(pt, "referrals")
    for r in refs.to_dict("records") if len(refs) else []:
        when = _day(r["date"])
        if when and when <= day:
            s = float(r["strength"])
            what = "referral" if s >= 0 else "warning"
            note = _text(r.get("note"))
            events.append({"date": when, "kind": "referral", "ref": r["id"], "direction": way(r["source"], r["target"]),
                           "strength": s, "label": f"{what} {s:+.2f}",
                           "text": f"{r['source']} {'referred' if s >= 0 else 'warned about'} {r['target']} ({s:+.2f})"
                                   + (f": {note}" if note else "")})
    comms = _rows(pt, "communications")
    for c in comms.to_dict("records") if len(comms) else []:
        when = _day(c["date"])
        if when and when <= day:
            channel = _text(c.get("channel")) or "contact"
            events.append({"date": when, "kind": "communication", "ref": c["id"], "direction": "both",
                           "channel": channel, "label": channel, "text": f"{channel} between {c['a']} and {c['b']}"})
    incidents = _rows(pt, "incidents")
    inc_by_id: dict[str, Any] = {}
    people = _rows(tables, "people")
    person_name = dict(zip(people["id"].astype(str), people["name"])) if len(people) else {}

    def who(position: str | None) -> str:
        name = _text(person_name.get(position)) if position else None
        return f"{position} {name}" if name else str(position)

    for i in incidents.to_dict("records") if len(incidents) else []:
        inc_by_id[str(i["id"])] = i
        when = _day(i["date"])
        if when and when <= day:
            kind = str(i["kind"]).replace("_", " ")
            desc = _text(i.get("description"))
            rp, sp = _text(i.get("reporter_person")), _text(i.get("subject_person"))
            level = "person" if rp or sp else "organisation"
            persons = " and ".join(f"{who(p)} ({org})" for p, org in ((rp, i["reporter"]), (sp, i["subject"])) if p)
            events.append({"date": when, "kind": "incident", "ref": i["id"],
                           "direction": way(i["reporter"], i["subject"]),
                           "severity": int(i["severity"]), "incident_kind": i["kind"], "scope": level,
                           "reporter_person": rp, "subject_person": sp,
                           "label": f"{i['id']} {kind} (severity {int(i['severity'])}"
                                    + (", person-level)" if persons else ")"),
                           "text": f"incident {i['id']}: {i['reporter']} lost trust in {i['subject']}, {kind}, "
                                   f"severity {int(i['severity'])}" + (f": {desc}" if desc else "")
                                   + (f" [person-level: {persons}]" if persons else "")})
    actions = _rows(pt, "incident_actions")
    for x in actions.to_dict("records") if len(actions) else []:
        when = _day(x["date"])
        inc = inc_by_id.get(str(x["incident"]))
        if when and when <= day and inc is not None:
            kind = "post-mortem" if x["kind"] == "post_mortem" else str(x["kind"]).replace("_", " ")
            note = _text(x.get("note"))
            rp, sp = _text(inc.get("reporter_person")), _text(inc.get("subject_person"))
            persons = " and ".join(who(p) for p in (rp, sp) if p)
            # a rotation after a person-level breach repairs the organisations' trust; the people's tie
            # stays broken (trustgraph.analysis.continuity.person_breaches)
            after = (f" [person-level: the organisations' trust is repaired, {persons} not to be paired again]"
                     if persons and x["kind"] == "staff_rotation" else "")
            events.append({"date": when, "kind": "action", "ref": x["id"], "incident": x["incident"],
                           "action": x["kind"], "direction": way(inc["reporter"], inc["subject"]),
                           "scope": "person" if persons else "organisation",
                           "label": f"{x['id']} {kind}",
                           "text": f"{kind} after {x['incident']}" + (f": {note}" if note else "") + after})
    listings = _rows(pt, "blacklist")
    for row in listings.to_dict("records") if len(listings) else []:
        when, until = _day(row["date"]), _day(row.get("until"))
        common = {"ref": row["id"], "direction": "context", "listed": row["listed"], "lister": row["lister"]}
        if when and when <= day:
            events.append({"date": when, "kind": "listing", **common, "label": f"{row['listed']} listed",
                           "text": f"{row['listed']} listed by {row['lister']}: {row.get('reason')}"})
        if until and until <= day:
            events.append({"date": until, "kind": "listing_end", **common, "label": f"{row['listed']} listing ends",
                           "text": f"listing {row['id']} of {row['listed']} expires"})
    people = _rows(tables, "people")
    if len(people) and "previous" in people.columns:
        org_of = dict(zip(people["id"].astype(str), people["organization"].astype(str)))
        for p in people.to_dict("records"):
            prev = _text(p.get("previous"))
            if not prev or prev not in org_of:
                continue
            old, new = org_of[prev], str(p["organization"])
            when = _day(p.get("from"))
            if {old, new} == {a, b} and when and when <= day:
                events.append({"date": when, "kind": "move", "ref": p["id"], "direction": "context",
                               "label": f"{p['name']} moves", "text": f"{p['name']} moved from {old} to {new}"})
    order = {k: i for i, k in enumerate(EVENT_KINDS)}
    events.sort(key=lambda e: (e["date"], order[e["kind"]], str(e["ref"])))
    return events


def timeline(
    tables: Mapping[str, pd.DataFrame],
    a: Hashable,
    b: Hashable,
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> dict[str, Any]:
    """The history of trust between ``a`` and ``b``, with the computed trust after each event.

    Parameters
    ----------
    tables : mapping
        Canonical frames: every row, or only the rows about ``a`` and ``b`` (``Store.about([a, b])``
        has every row this reads); then give ``as_of``, as the default is the newest event of the
        rows given (a snapshot's ``as_of`` is that of the whole dataset).
    a, b : organisation ids
        The pair; ``trust_ab`` is ``a``'s trust in ``b``.
    as_of : str, optional
        ISO date to stop at (default: the newest event in ``tables``).
    half_life_days : float or None
        Evidence half-life (:mod:`trustgraph.evidence`); ``None`` disables decay.

    Returns
    -------
    dict
        ``a``, ``a_name``, ``b``, ``b_name``, ``as_of``, ``half_life_days``; ``events``: one dict per
        event, oldest first, with ``date``, ``kind`` (:data:`EVENT_KINDS`), ``ref`` (the row id),
        ``direction`` (``a→b``, ``b→a``, ``both`` or ``context``), ``label`` (short) and ``text``,
        kind-specific fields (``strength``, ``severity``, ``action``, ``status``, ...), and
        ``trust_ab``, ``trust_ba``, ``uncertainty_ab``, ``uncertainty_ba`` after the day's events,
        ``trust_ab_before``/``trust_ba_before`` (the day before) and ``change_ab``/``change_ba``;
        incidents and actions carry ``scope`` (``person`` when the incident names people, else
        ``organisation``), incidents ``reporter_person``/``subject_person``;
        ``person_breaches``: the pair's person-level incidents with the state of the persons' tie and
        of the relationship on ``as_of`` (:func:`~trustgraph.analysis.continuity.person_breaches`);
        ``now``: the trust both ways on ``as_of``; ``summary``: the lowest trust ``a`` had in ``b``
        (``low_ab``, ``low_date``, ``low_event``), the highest after it (``recovered_ab``,
        ``recovered_date``), the largest one-day fall (``largest_fall``, ``largest_fall_event``), and
        counts by kind.

    Raises
    ------
    NotFoundError
        If ``a`` or ``b`` is not an organisation.
    TrustgraphError
        If ``a`` and ``b`` are the same.
    """
    if a == b:
        raise TrustgraphError("a timeline needs two different organisations")
    a_name, b_name = _name(tables, a), _name(tables, b)
    day = reference_date(tables, as_of).strftime("%Y-%m-%d")
    pt = pair_tables(tables, a, b)
    # A store written before dates were range-checked may hold e.g. 0001-01-01: such events are left
    # out, as they are when the reference date is found (trustgraph.model.check_date).
    events = [e for e in _events(pt, tables, a, b, day) if check_date(str(e["date"])) is None]
    at = _PairTrust(pt, a, b, half_life_days).at

    for e in events:
        after = at(e["date"])
        before = at((pd.Timestamp(e["date"]) - pd.Timedelta(days=1)).strftime("%Y-%m-%d"))
        e.update(after)
        e["trust_ab_before"] = before["trust_ab"]
        e["trust_ba_before"] = before["trust_ba"]
        e["change_ab"] = after["trust_ab"] - before["trust_ab"]
        e["change_ba"] = after["trust_ba"] - before["trust_ba"]
    summary: dict[str, Any] = {"events": len(events),
                               "by_kind": {k: sum(1 for e in events if e["kind"] == k) for k in EVENT_KINDS
                                           if any(e["kind"] == k for e in events)}}
    if events:
        # The lowest point (the latest on a tie: a fall back to an earlier level), the best after it,
        # and the largest single-day fall.
        low = min(reversed(events), key=lambda e: e["trust_ab"])
        later = [e for e in events if e["date"] >= low["date"]]
        high = max(reversed(later), key=lambda e: e["trust_ab"])
        fall = min(events, key=lambda e: e["change_ab"])
        summary.update({"low_ab": low["trust_ab"], "low_date": low["date"], "low_event": low["ref"],
                        "recovered_ab": high["trust_ab"], "recovered_date": high["date"],
                        "largest_fall": fall["change_ab"], "largest_fall_event": fall["ref"]})
    from .continuity import person_breaches

    return {
        "a": a, "a_name": a_name, "b": b, "b_name": b_name, "as_of": day, "half_life_days": half_life_days,
        "events": events, "now": at(day), "summary": summary,
        "person_breaches": person_breaches(tables, as_of=day, pair=(a, b)),
    }


def trust_series(
    tables: Mapping[str, pd.DataFrame],
    a: Hashable,
    b: Hashable,
    dates: Sequence[str],
    *,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> list[dict[str, Any]]:
    """Local trust both ways on each of ``dates`` (ISO strings), for plotting.

    Returns
    -------
    list of dict
        ``date``, ``trust_ab``, ``trust_ba``, ``uncertainty_ab``, ``uncertainty_ba``, by date.
    """
    fast = _PairTrust(pair_tables(tables, a, b), a, b, half_life_days)
    return [{"date": d, **fast.at(d)} for d in sorted(set(dates))]


def plot_dates(doc: Mapping[str, Any], *, step_days: int = 30) -> list[str]:
    """A grid of dates for plotting a :func:`timeline`: every ``step_days`` from a little before the
    first event to ``as_of``, plus each event day and the day before it (so steps show as steps)."""
    events = doc["events"]
    end = pd.Timestamp(doc["as_of"])
    if events:
        start = pd.Timestamp(events[0]["date"]) - pd.Timedelta(days=step_days * 2)
    else:
        start = end - pd.Timedelta(days=365)
    grid = {d.strftime("%Y-%m-%d") for d in pd.date_range(start, end, freq=f"{step_days}D")}
    grid.add(end.strftime("%Y-%m-%d"))
    for e in events:
        d = pd.Timestamp(e["date"])
        grid.add(d.strftime("%Y-%m-%d"))
        grid.add((d - pd.Timedelta(days=1)).strftime("%Y-%m-%d"))
    return sorted(grid)


_STYLE = {
    "incident": ("v", "#c0392b"),
    "action": ("^", "#1e8449"),
    "referral": ("o", "#1f618d"),
    "warning": ("X", "#c0392b"),
    "listing": ("s", "#6c3483"),
    "listing_end": ("s", "#a569bd"),
    "move": ("D", "#7f8c8d"),
}


# Control characters (and bidirectional overrides) in text from the data; see :func:`_plot_text`.
_PLOT_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_PLOT_CHARS = 80


def _plot_text(value: Any, limit: int = _PLOT_CHARS) -> str:
    """Text from the data as the plot shows it: at most ``limit`` characters (the last an ellipsis),
    control characters as ``\\xNN`` escapes (as in terminal tables, docs/output.md) and ``$`` literal,
    so Matplotlib never reads a name as mathtext."""
    text = str(value)
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "\u2026"
    text = _PLOT_UNSAFE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", text)
    return text.replace("$", r"\$")


def timeline_figure(
    doc: Mapping[str, Any],
    series: Sequence[Mapping[str, Any]],
    *,
    width: float = 12.0,
    height: float = 6.5,
) -> Any:
    """Draw a :func:`timeline` as a Matplotlib figure (returned, not saved or shown).

    The thick line is ``a``'s trust in ``b`` (the thin dashed one the reverse), sampled on ``series``
    (:func:`trust_series` over :func:`plot_dates`); partnerships are bars under the curve;
    incidents, their follow-up actions, referrals, listings and moves are marked on the curve and
    labelled; communications are ticks along the bottom; the dotted line is the neutral 0.5 of no
    evidence.
    """
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=110, layout="constrained")
    ax = fig.add_subplot()
    def num(day: str) -> float:
        """A date as Matplotlib's day number (what a date axis plots)."""
        return float(mdates.date2num(pd.Timestamp(day).to_pydatetime()))

    dates = np.array([num(s["date"]) for s in series])
    ab = np.array([s["trust_ab"] for s in series])
    ba = np.array([s["trust_ba"] for s in series])
    a, b = _plot_text(doc["a"]), _plot_text(doc["b"])
    a_label = f"{a} {_plot_text(doc.get('a_name') or '')}".strip()
    b_label = f"{b} {_plot_text(doc.get('b_name') or '')}".strip()
    ax.plot(dates, ab, color="#154360", lw=2.6, label=f"trust of {a} in {b}", zorder=3)
    ax.plot(dates, ba, color="#5d6d7e", lw=1.2, ls="--", label=f"trust of {b} in {a}", zorder=2)
    ax.axhline(_NEUTRAL, color="#7f8c8d", lw=0.8, ls=":", zorder=1)

    events = list(doc["events"])
    lo = float(min(ab.min(initial=_NEUTRAL), ba.min(initial=_NEUTRAL)))
    hi = float(max(ab.max(initial=_NEUTRAL), ba.max(initial=_NEUTRAL)))
    span = max(hi - lo, 0.1)
    ships = [e for e in events if e["kind"] in ("partnership_start", "partnership_end")]
    ps_ids = list(dict.fromkeys(e["ref"] for e in ships))
    bar_h = span * 0.06
    bottom = lo - span * 0.12 - bar_h * (len(ps_ids) + 1)
    top = hi + span * 0.55
    ax.set_ylim(max(0.0, bottom - bar_h), min(1.0, top) if top <= 1.0 else top)
    ax.text(dates[-1], _NEUTRAL, "0.5 = no evidence ", va="bottom", ha="right", fontsize=8, color="#7f8c8d")

    # Each incident's repair period, from the incident to its last follow-up action.
    for inc in (e for e in events if e["kind"] == "incident"):
        acts = [num(e["date"]) for e in events if e["kind"] == "action" and e.get("incident") == inc["ref"]]
        if acts:
            ax.axvspan(num(inc["date"]), max(acts), color="#f5b7b1", alpha=0.25, lw=0, zorder=0)

    # Partnerships as bars below the curve.
    end_date = num(doc["as_of"])
    for k, ps in enumerate(ps_ids):
        start = next((e for e in ships if e["ref"] == ps and e["kind"] == "partnership_start"), None)
        stop = next((e for e in ships if e["ref"] == ps and e["kind"] == "partnership_end"), None)
        x0 = num(start["date"]) if start else float(dates[0])
        x1 = num(stop["date"]) if stop else end_date
        status = stop.get("status") if stop else "active"
        colour = {"completed": "#85c1e9", "terminated": "#f1948a", "suspended": "#f8c471"}.get(status or "", "#82e0aa")
        y = bottom + bar_h * (k + 0.5)
        ax.barh(y, x1 - x0, left=x0, height=bar_h * 0.8, color=colour, edgecolor="#566573", lw=0.5, zorder=2)
        ax.text(x0, y, f" {_plot_text(ps)} ({_plot_text(status)})", va="center", ha="left", fontsize=7.5,
                color="#1b2631", zorder=4)

    # Communications as ticks.
    comms = [num(e["date"]) for e in events if e["kind"] == "communication"]
    if comms:
        tick_y = bottom + bar_h * (len(ps_ids) + 0.6)
        ax.plot(comms, [tick_y] * len(comms), ls="none", marker="|", ms=9, color="#566573",
                label="communication", zorder=3)

    # Marked events, labelled in staggered rows above the curve.
    marked = [e for e in events if e["kind"] in ("incident", "action", "referral", "listing", "listing_end", "move")]
    seen: set[str] = set()
    # Label rows above the curve: an incident's label sits highest, left of its line; its follow-up
    # actions step down, right of theirs, so no connecting line crosses another label. Other events
    # alternate between the two lowest rows.
    nth_action: dict[str, int] = {}
    for k, e in enumerate(marked):
        style = "warning" if e["kind"] == "referral" and e.get("strength", 0) < 0 else e["kind"]
        marker, colour = _STYLE[style]
        x = num(e["date"])
        y = float(e["trust_ab"])
        label_kind = {"incident": "incident", "action": "incident action", "referral": "referral",
                      "warning": "warning", "listing": "listing", "listing_end": "listing ends",
                      "move": "person moves"}[style]
        ax.plot([x], [y], ls="none", marker=marker, ms=9, color=colour, markeredgecolor="white", zorder=5,
                label=label_kind if label_kind not in seen else None)
        seen.add(label_kind)
        text, ha = _plot_text(e["label"]), "center"
        if e["kind"] == "incident":
            row, ha, text = 3, "right", f"{text}\ntrust {e['trust_ab_before']:.2f} → {e['trust_ab']:.2f} "
        elif e["kind"] == "action":
            i = nth_action[e["incident"]] = nth_action.get(e["incident"], -1) + 1
            row, ha, text = max(2 - i, 0), "left", f" {text}\n trust {e['trust_ab_before']:.2f} → {e['trust_ab']:.2f}"
        else:
            row = k % 2
        ly = hi + span * (0.08 + 0.1 * row)
        # The line leaves the label's bottom corner on the side of its date, so it stays vertical.
        corner = {"right": (1.0, 0.0), "left": (0.0, 0.0), "center": (0.5, 0.0)}[ha]
        ax.annotate(text, xy=(x, y), xytext=(x, ly), fontsize=7.5, ha=ha, va="bottom", color=colour, zorder=4,
                    arrowprops={"arrowstyle": "-", "color": colour, "lw": 0.6, "alpha": 0.7, "relpos": corner,
                                "shrinkA": 0})

    ax.set_title(f"Trust between {a_label} and {b_label}", fontsize=12)
    ax.set_ylabel("local trust (Beta expectation)")
    hl = doc.get("half_life_days")
    ax.set_xlabel(f"as of each date; evidence half-life {hl:g} days" if hl else "as of each date; no decay")
    ax.xaxis_date()
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.grid(axis="y", color="#eaecee", lw=0.6)
    ax.legend(loc="upper left", fontsize=7.5, ncol=2, framealpha=0.9)
    return fig
