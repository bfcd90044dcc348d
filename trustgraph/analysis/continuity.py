"""Continuity: partnerships that rest on one person, and what a departure would break.

"When individuals who hold partnership relationships in organizations transition, ensuring
continuity in institutional memory and onboarding new staff to manage relationships is key."
This module reads the people tables (``people``, ``relationship_holders``, ``personal_ties``) and
answers three questions: which partnership sides rest on a single person (or on nobody any more),
whose departure would orphan the most partnerships, and — for one person — what their departure
would break and which colleagues are nearest to the partner to take over.

Definitions (all as of a reference date ``day``; default: the newest event in the data,
:func:`trustgraph.evidence.reference_date`)
---------------------------------------------------------------------------------------------------
*In post*: a ``people`` row is a position; it is in post when ``from`` is empty or ≤ ``day`` and
``until`` is empty or after ``day``.

*Running partnership*: ``start`` empty or ≤ ``day``, and ``end`` after ``day`` — or, with no ``end``,
status ``active`` or ``suspended``.

*Side*: one member organisation of a running partnership. Its *holders* are the positions in post at
that organisation that hold the partnership (``relationship_holders``, ``since`` ≤ ``day``). A side
with one holder is ``single`` (at risk), with none ``orphaned``, with two or more ``covered``.

Job changes (a new ``people`` row whose ``previous`` is the old one; the old row's ``until`` is the
move date) carry relationships along or end them:

* a move **within** the organisation carries the partnerships the person held along to the new
  position (the organisation still holds them through the same person);
* a move **to another organisation** ends every partnership the person held for the old one on the
  move date — a partnership belongs to the organisation, not to the person — so the side is left
  to the remaining holders, or orphaned; the ended holding is reported with the move;
* **personal ties move with the person**: a tie recorded with the old position is a tie of the same
  person in the new one, and so is the acquaintance made by co-holding a partnership. A moved person
  therefore becomes a bridge between the old organisation and the new one.

*Person-level breaches* (:func:`person_breaches`): an incident that names people
(``reporter_person``, ``subject_person``) is a breach between persons. A staff rotation after it
repairs the organisations' trust (as every restoring action does, :mod:`trustgraph.evidence`); the
persons' tie stays broken: the named people should not hold the organisations' relationship together
again. Each such incident gets a ``status`` (:data:`BREACH_STATUS`) from whether a staff rotation
followed it and whether the named people are *paired* on ``day`` — both in post at their side and
holding the same running partnership between the two organisations (a side without a named person
imposes nothing), or, both named, tied by a personal tie recorded after the incident.

*Staff graph* (:func:`staff_graph`): positions in post are nodes; two are linked when the people
have a personal tie, have co-held a partnership (on either side, at any time up to ``day``), or are
current colleagues at the same organisation. Hops in it measure how far an introduction has to
travel; :func:`person_path` uses it, and so does the ``relationship-first`` entry profile of
:mod:`trustgraph.analysis.assess`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from ..cells import day as _day
from ..cells import text as _text
from ..errors import NotFoundError

if TYPE_CHECKING:  # imported by staff_graph, the one function that builds a graph
    import networkx as nx

__all__ = [
    "BREACH_STATUS",
    "BREACH_TABLES",
    "person_breaches",
    "SIDE_STATUS",
    "STAFF_TABLES",
    "TABLES",
    "Positions",
    "positions",
    "running_partnerships",
    "partnership_sides",
    "staff_graph",
    "person_path",
    "continuity",
    "departure",
]

#: Side states, most at risk first.
SIDE_STATUS = ("orphaned", "single", "covered")
#: The tables :func:`staff_graph` reads.
STAFF_TABLES = ("people", "personal_ties", "relationship_holders")
#: The tables every function of this module reads (no evidence tables: give ``as_of`` explicitly, as
#: the reference date of the default is the newest event of the whole dataset).
TABLES = (*STAFF_TABLES, "partnerships", "partnership_members")
#: The tables :func:`person_breaches` reads.
BREACH_TABLES = (*TABLES, "incidents", "incident_actions")
#: The state of a person-level breach on the reference date (see :func:`person_breaches`):
#: ``re_paired`` and ``not_rotated`` are concerns, ``rotated`` is the repair the article describes,
#: ``parted``: never rotated, but the two no longer hold the relationship together.
BREACH_STATUS = ("re_paired", "not_rotated", "rotated", "parted")


def _records(tables: Mapping[str, pd.DataFrame], name: str) -> list[dict[str, Any]]:
    frame = tables.get(name)
    if frame is None or not len(frame):
        return []
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def _ref_day(tables: Mapping[str, pd.DataFrame], as_of: str | None) -> str:
    from ..evidence import reference_date

    return reference_date(tables, as_of).strftime("%Y-%m-%d")


@dataclass(frozen=True)
class Positions:
    """The ``people`` table, indexed: positions, the person behind each, and who is in post.

    ``rows`` maps a position id to ``name``, ``organization``, ``role``, ``from``, ``until``,
    ``previous``; ``identity`` maps a position to the first position of the same person (following
    ``previous``); ``in_post`` maps an identity to the position it holds on ``day`` (absent when
    the person holds none); ``successor`` maps a position to the next position of the same person.
    """

    day: str
    rows: dict[str, dict[str, Any]]
    identity: dict[str, str]
    in_post: dict[str, str]
    successor: dict[str, str]

    def current(self, position: str) -> str | None:
        """The position the person behind ``position`` holds on ``day`` (``None``: none)."""
        return self.in_post.get(self.identity.get(position, position))

    def is_in_post(self, position: str) -> bool:
        row = self.rows.get(position)
        if row is None:
            return False
        start, end = row["from"], row["until"]
        return (start is None or start <= self.day) and (end is None or end > self.day)

    def staff(self, organization: Hashable) -> list[str]:
        """Positions in post at ``organization`` on ``day``, by id."""
        return sorted(p for p in self.in_post.values() if self.rows[p]["organization"] == organization)

    def describe(self, position: str) -> dict[str, Any]:
        row = self.rows[position]
        return {"id": position, "name": row["name"], "organization": row["organization"], "role": row["role"]}

    def resolve(self, ref: str) -> str:
        """A position in post from a position id (in any case), a person's name or the unambiguous
        start of one (the rules of :func:`trustgraph.snapshot.resolve_reference`).

        An id of an earlier position of someone still in post resolves to their current position.

        Raises
        ------
        NotFoundError
            When nothing matches, the person is no longer in post anywhere, or a name is ambiguous.
        """
        if ref in self.rows:
            now = self.current(ref)
            if now is None:
                row = self.rows[ref]
                raise NotFoundError(
                    f"{ref} ({row['name']}) holds no position on {self.day}"
                    + (f" (left {row['organization']} on {row['until']})" if row["until"] else ""))
            return now
        # an id in another case, a name or the start of one (trustgraph.snapshot.resolve_reference)
        folded = [p for p in self.rows if p.casefold() == ref.casefold()]
        if len(folded) == 1:
            return self.resolve(folded[0])
        from ..snapshot import resolve_reference

        in_post = sorted(set(self.in_post.values()))
        names = [self.rows[p]["name"] for p in in_post]
        return in_post[resolve_reference(ref, in_post, names, what=f"person in post on {self.day}")]


def positions(tables: Mapping[str, pd.DataFrame], *, as_of: str | None = None) -> Positions:
    """Index the ``people`` table as of a date (see :class:`Positions`)."""
    day = _ref_day(tables, as_of)
    rows: dict[str, dict[str, Any]] = {}
    for r in _records(tables, "people"):
        rows[str(r["id"])] = {
            "name": _text(r.get("name")), "organization": _text(r.get("organization")), "role": _text(r.get("role")),
            "from": _day(r.get("from")), "until": _day(r.get("until")), "previous": _text(r.get("previous")),
        }
    identity: dict[str, str] = {}
    for pid in rows:
        seen = {pid}
        root = pid
        while (prev := rows[root]["previous"]) and prev in rows and prev not in seen:
            seen.add(prev)
            root = prev
        identity[pid] = root
    successor = {row["previous"]: pid for pid, row in rows.items() if row["previous"] in rows}
    in_post: dict[str, str] = {}
    probe = Positions(day, rows, identity, {}, successor)
    for pid in sorted(rows, key=lambda p: (rows[p]["from"] or "", p)):
        if probe.is_in_post(pid):
            in_post[identity[pid]] = pid  # the latest start wins if two overlap
    return Positions(day, rows, identity, in_post, successor)


def running_partnerships(tables: Mapping[str, pd.DataFrame], day: str) -> dict[str, dict[str, Any]]:
    """Partnerships running on ``day`` (see the module docs), by id, with their members."""
    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for m in _records(tables, "partnership_members"):
        members[str(m["partnership"])].append({"organization": str(m["organization"]), "role": _text(m.get("role"))})
    out: dict[str, dict[str, Any]] = {}
    for p in _records(tables, "partnerships"):
        start, end, status = _day(p.get("start")), _day(p.get("end")), _text(p.get("status"))
        if start is not None and start > day:
            continue
        if end is not None:
            if end <= day:
                continue
        elif status not in ("active", "suspended"):
            continue
        pid = str(p["id"])
        out[pid] = {"id": pid, "name": _text(p.get("name")), "kind": _text(p.get("kind")), "start": start,
                    "end": end, "status": status, "members": members.get(pid, [])}
    return out


def _ended_holding(pos: Positions, position: str) -> dict[str, Any]:
    """Why a holding by ``position`` no longer counts: the person moved or left."""
    row = pos.rows[position]
    out: dict[str, Any] = {**pos.describe(position), "until": row["until"], "moved_to": None, "new_position": None}
    nxt = pos.successor.get(position)
    if nxt is not None:
        new = pos.rows[nxt]
        out["moved_to"] = new["organization"]
        out["new_position"] = nxt
        out["reason"] = f"{row['name']} moved to {new['organization']} ({nxt}) on {new['from'] or row['until']}"
    else:
        out["reason"] = f"{row['name']} left {row['organization']}" + (f" on {row['until']}" if row["until"] else "")
    return out


def partnership_sides(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: str | None = None,
    organization: Hashable | None = None,
) -> list[dict[str, Any]]:
    """Every side of every running partnership with its holders (job changes applied).

    Parameters
    ----------
    tables : mapping
        Canonical frames (``partnerships``, ``partnership_members``, ``people``,
        ``relationship_holders``; missing tables mean no rows).
    as_of : str, optional
        ISO reference date (default: the newest event).
    organization : node, optional
        Only the sides of this organisation.

    Returns
    -------
    list of dict
        One row per (partnership, member organisation): ``partnership``, ``partnership_name``,
        ``kind``, ``start``, ``organization``, ``partners`` (the other members' ids), ``holders``
        (positions in post: ``id``, ``name``, ``role``), ``ended`` (holdings that ended with a move
        or a departure, each with its ``reason``), ``status`` (``orphaned``, ``single``,
        ``covered``). Ordered by partnership, then organisation.
    """
    pos = positions(tables, as_of=as_of)
    running = running_partnerships(tables, pos.day)
    held: dict[tuple[str, str], set[str]] = defaultdict(set)
    ended: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for h in _records(tables, "relationship_holders"):
        person, ps = str(h["person"]), str(h["partnership"])
        since = _day(h.get("since"))
        if ps not in running or person not in pos.rows or (since is not None and since > pos.day):
            continue
        org = pos.rows[person]["organization"]
        now = pos.current(person)
        if now is not None and pos.rows[now]["organization"] == org:
            held[(ps, org)].add(now)  # in post, or moved within the organisation: carried along
        else:
            ended[(ps, org)].append(_ended_holding(pos, person))
    out = []
    for ps_id in sorted(running):
        ship = running[ps_id]
        orgs = [m["organization"] for m in ship["members"]]
        for org in sorted(set(orgs)):
            if organization is not None and org != organization:
                continue
            holders = sorted(held.get((ps_id, org), set()))
            n = len(holders)
            out.append({
                "partnership": ps_id, "partnership_name": ship["name"], "kind": ship["kind"], "start": ship["start"],
                "organization": org, "partners": sorted(o for o in set(orgs) if o != org),
                "holders": [{k: v for k, v in pos.describe(p).items() if k != "organization"} for p in holders],
                "ended": sorted(ended.get((ps_id, org), []), key=lambda e: (e["until"] or "", e["id"])),
                "status": "orphaned" if n == 0 else "single" if n == 1 else "covered",
            })
    return out


def staff_graph(tables: Mapping[str, pd.DataFrame], *, as_of: str | None = None) -> nx.Graph:
    """Who knows whom among the people in post (see the module docs).

    Returns
    -------
    networkx.Graph
        Nodes: positions in post on the reference date (``name``, ``organization``, ``role``).
        Edges carry ``ties``: a list of ``{"kind", "ref", "since"}`` — ``kind`` is the personal
        tie's kind (``friend``, ``alumni``, ...), ``co-holder`` (``ref`` = the partnership) or
        ``colleague`` (``ref`` = the organisation). Graph attribute ``as_of``.
    """
    import networkx as nx

    pos = positions(tables, as_of=as_of)
    P = nx.Graph(as_of=pos.day)
    for p in pos.in_post.values():
        P.add_node(p, **{k: v for k, v in pos.describe(p).items() if k != "id"})

    def link(a: str, b: str, tie: dict[str, Any]) -> None:
        ca, cb = pos.current(a), pos.current(b)
        if ca is None or cb is None or ca == cb:
            return
        if P.has_edge(ca, cb):
            if tie not in P[ca][cb]["ties"]:
                P[ca][cb]["ties"].append(tie)
        else:
            P.add_edge(ca, cb, ties=[tie])

    for t in _records(tables, "personal_ties"):
        since = _day(t.get("since"))
        if since is not None and since > pos.day:
            continue
        link(str(t["a"]), str(t["b"]), {"kind": _text(t.get("kind")) or "tie", "ref": None, "since": since})
    holders: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
    for h in _records(tables, "relationship_holders"):
        since = _day(h.get("since"))
        if since is None or since <= pos.day:
            holders[str(h["partnership"])].append((str(h["person"]), since))
    for ps in sorted(holders):
        hs = sorted(holders[ps])
        for i, (a, sa) in enumerate(hs):
            for b, sb in hs[i + 1:]:
                when = max(d for d in (sa, sb) if d) if (sa or sb) else None
                link(a, b, {"kind": "co-holder", "ref": ps, "since": when})
    by_org: dict[str, list[str]] = defaultdict(list)
    for p in pos.in_post.values():
        by_org[pos.rows[p]["organization"]].append(p)
    for org, staff in by_org.items():
        staff.sort()
        for i, a in enumerate(staff):
            for b in staff[i + 1:]:
                link(a, b, {"kind": "colleague", "ref": org, "since": None})
    return P


def _path_doc(P: nx.Graph, path: list[str]) -> dict[str, Any]:
    people = [{"id": p, "name": P.nodes[p].get("name"), "organization": P.nodes[p].get("organization")} for p in path]
    links = [{"from": a, "to": b, "ties": [dict(t) for t in P[a][b]["ties"]]} for a, b in zip(path[:-1], path[1:])]
    return {"hops": len(path) - 1, "people": people, "links": links}


def person_path(
    P: nx.Graph,
    sources: Iterable[str] | Hashable,
    targets: Iterable[str] | Hashable,
    *,
    exclude: Iterable[str] = (),
) -> dict[str, Any] | None:
    """The shortest person-to-person path in a :func:`staff_graph`.

    Parameters
    ----------
    P : networkx.Graph
        A staff graph.
    sources, targets : organisation id, or iterable of positions
        Where the path starts and ends: an organisation (its staff in ``P``) or explicit positions.
    exclude : iterable of positions
        People the path may not use (e.g. the person who leaves).

    Returns
    -------
    dict or None
        ``hops``, ``people`` (``id``, ``name``, ``organization`` along the path) and ``links``
        (``from``, ``to``, ``ties``); ``None`` when no path exists. Among equally short paths the
        first by position ids is returned (deterministic).
    """
    banned = set(exclude)

    def staff_of(spec: Iterable[str] | Hashable) -> list[str]:
        if isinstance(spec, str) or not isinstance(spec, Iterable):
            return sorted(p for p, org in P.nodes(data="organization") if org == spec and p not in banned)
        return sorted(p for p in spec if p in P and p not in banned)

    src, dst = staff_of(sources), set(staff_of(targets))
    if not src or not dst:
        return None
    H = P.subgraph([p for p in P if p not in banned]) if banned else P
    # Breadth-first from every source at once; ties broken by position id for a stable answer.
    parent: dict[str, str | None] = {s: None for s in src}
    frontier = list(src)
    while frontier:
        hit = sorted(p for p in frontier if p in dst)
        if hit:
            path = [hit[0]]
            while (prev := parent[path[-1]]) is not None:
                path.append(prev)
            return _path_doc(P, path[::-1])
        nxt: list[str] = []
        for u in frontier:
            for v in sorted(H.neighbors(u)):
                if v not in parent:
                    parent[v] = u
                    nxt.append(v)
        frontier = nxt
    return None


def continuity(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: str | None = None,
    top: int | None = 10,
    organization: Hashable | None = None,
) -> dict[str, Any]:
    """Partnership sides at continuity risk and the people whose departure would orphan the most.

    Parameters
    ----------
    tables : mapping
        Canonical frames.
    as_of : str, optional
        ISO reference date (default: the newest event).
    top : int or None
        How many sides at risk and how many key people to list (None: all of them); the summary
        counts them all.
    organization : node, optional
        Only this organisation's sides and people.

    Returns
    -------
    dict
        ``as_of``; ``at_risk``: the sides that are ``orphaned`` or ``single`` (rows of
        :func:`partnership_sides`, orphaned first); ``key_people``: positions in post that are the
        only holder of at least one side, most partnerships first (``id``, ``name``,
        ``organization``, ``role``, ``would_orphan``, ``partnerships``), ranked (``rank``, ties
        share a rank); ``summary``: counts of running partnerships, sides by status, partnerships
        with at least one side at risk, ``key_people`` (all of them, before ``top``),
        ``people_recorded`` and ``holders_recorded`` (false when the data has no ``people``, or no
        ``relationship_holders``, at all).

        Without relationship holders the data says nothing about who holds what: no side is
        counted as orphaned, single or covered (every count by status is 0), and nothing is
        reported at risk.
    """
    sides = partnership_sides(tables, as_of=as_of, organization=organization)
    pos = positions(tables, as_of=as_of)
    people = bool(pos.rows)
    # Without any relationship_holders the data says nothing about who holds what: no side is
    # reported as orphaned on that account.
    recorded = people and bool(_records(tables, "relationship_holders"))
    at_risk = [s for s in sides if s["status"] != "covered"] if recorded else []
    at_risk.sort(key=lambda s: (SIDE_STATUS.index(s["status"]), s["partnership"], s["organization"]))
    n_at_risk = len({s["partnership"] for s in at_risk})
    sole: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in sides:
        if s["status"] == "single":
            sole[s["holders"][0]["id"]].append(
                {"partnership": s["partnership"], "name": s["partnership_name"], "partners": s["partners"]})
    key = sorted(sole, key=lambda p: (-len(sole[p]), p))
    key_people = []
    for p in key[:top]:
        n = len(sole[p])
        rank = 1 + sum(1 for q in key if len(sole[q]) > n)
        key_people.append({"rank": rank, **pos.describe(p), "would_orphan": n, "partnerships": sole[p]})
    counts = {status: sum(1 for s in sides if s["status"] == status) if recorded else 0 for status in SIDE_STATUS}
    return {
        "as_of": pos.day,
        "at_risk": at_risk[:top],
        "key_people": key_people,
        "summary": {
            "running_partnerships": len({s["partnership"] for s in sides}),
            "sides": len(sides),
            **{f"{k}_sides": v for k, v in counts.items()},
            "partnerships_at_risk": n_at_risk,
            "key_people": len(key),
            "people_recorded": people,
            "holders_recorded": recorded,
        },
    }


def departure(
    tables: Mapping[str, pd.DataFrame],
    person: str,
    *,
    as_of: str | None = None,
    max_hops: int = 4,
) -> dict[str, Any]:
    """What ``person`` leaving would break, and who could take over.

    For every running partnership the person holds, the side is *broken* (orphaned) when nobody
    else in post at their organisation holds it. For a broken side, the candidates to take over are
    the person's colleagues in post, each with their own shortest path in the staff graph — through
    neither the leaver nor another colleague — to someone in post at a partner organisation (at most
    ``max_hops`` hops): nearest first; a colleague with no such path is listed last with ``hops``
    null. A path of one hop is a direct tie (a personal tie, or co-holding another partnership with
    the partner).

    Parameters
    ----------
    tables : mapping
        Canonical frames.
    person : str
        A position id or an exact person name (see :meth:`Positions.resolve`).
    as_of : str, optional
        ISO reference date (default: the newest event).
    max_hops : int
        Longest path considered for a takeover.

    Returns
    -------
    dict
        ``as_of``, ``person`` (``id``, ``name``, ``organization``, ``role``), ``resolved_from`` (the
        reference given, when it was a name or an earlier position of the person), ``holds`` (one entry per
        partnership: ``partnership``, ``name``, ``partners``, ``other_holders``, ``breaks``,
        ``takeover``: colleagues with ``id``, ``name``, ``role``, ``hops``, ``path``), ``orphans``
        (the number of partnerships that would be left with no holder on the person's side),
        ``personal_ties`` (the people the person knows outside their organisation).

    Raises
    ------
    NotFoundError
        When ``person`` matches nobody in post.
    """
    pos = positions(tables, as_of=as_of)
    who = pos.resolve(person)
    org = pos.rows[who]["organization"]
    sides = partnership_sides(tables, as_of=pos.day, organization=org)
    P = staff_graph(tables, as_of=pos.day)
    colleagues = [p for p in pos.staff(org) if p != who]
    holds = []
    for s in sides:
        ids = [h["id"] for h in s["holders"]]
        if who not in ids:
            continue
        others = [h for h in s["holders"] if h["id"] != who]
        takeover: list[dict[str, Any]] = []
        if not others:
            partner_staff = [p for o in s["partners"] for p in pos.staff(o)]
            for c in colleagues:
                # Each colleague's own ties: neither the leaver nor another colleague relays.
                path = person_path(P, [c], partner_staff, exclude=[who, *(o for o in colleagues if o != c)])
                if path is not None and path["hops"] > max_hops:
                    path = None
                takeover.append({**{k: v for k, v in pos.describe(c).items() if k != "organization"},
                                 "hops": None if path is None else path["hops"], "path": path})
            takeover.sort(key=lambda t: (t["hops"] is None, t["hops"] or 0, t["id"]))
        holds.append({
            "partnership": s["partnership"], "name": s["partnership_name"], "partners": s["partners"],
            "other_holders": others, "breaks": not others, "takeover": takeover,
        })
    outside = []
    if who in P:
        for v in sorted(P.neighbors(who)):
            if P.nodes[v].get("organization") != org:
                outside.append({"id": v, "name": P.nodes[v].get("name"), "organization": P.nodes[v].get("organization"),
                                "ties": [dict(t) for t in P[who][v]["ties"]]})
    return {
        "as_of": pos.day,
        "person": pos.describe(who),
        "resolved_from": person if person.casefold() != who.casefold() else None,
        "holds": holds,
        "orphans": sum(1 for h in holds if h["breaks"]),
        "personal_ties": outside,
    }


def _breach_person(pos: Positions, position: str | None) -> dict[str, Any] | None:
    """A person named in an incident: the position named, and the one they hold on ``day``."""
    if position is None:
        return None
    if position not in pos.rows:  # rows about some parties only, without this person: not in post
        return {"id": position, "name": None, "organization": None, "role": None, "now": None,
                "now_organization": None}
    now = pos.current(position)
    return {**pos.describe(position), "now": now,
            "now_organization": None if now is None else pos.rows[now]["organization"]}


def _side_holders(pos: Positions, side: Mapping[str, Any], ps: str, holding_since: Mapping[tuple[str, str], str | None],
                  named: Iterable[str]) -> list[dict[str, Any]]:
    """The holders of one side of ``ps`` with when their holding was recorded and whether they are
    named in the incident (``named``: identities)."""
    names = set(named)
    out = []
    for h in side["holders"]:
        who = pos.identity.get(h["id"], h["id"])
        out.append({**h, "since": holding_since.get((who, ps)), "named": who in names})
    return out


def person_breaches(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: str | None = None,
    organization: Hashable | None = None,
    pair: tuple[Hashable, Hashable] | None = None,
) -> list[dict[str, Any]]:
    """Person-level breaches up to ``day`` and whether the two people were kept apart since.

    An incident is person-level when it names a ``reporter_person`` or a ``subject_person``. On the
    reference date, the named people are *paired* when, for some running partnership of which both
    the reporter and the subject are members, each named person (followed through job changes to
    the position they hold on ``day``) is among the holders of their organisation's side
    (:func:`partnership_sides`) — or when both are named and a personal tie between them was
    recorded after the incident (``since`` later than its date). After a staff rotation only a
    pairing recorded after the rotation counts (a holding of one of them, or the tie, with ``since``
    later than the rotation's date): the holders' table has no end dates, so holdings from before the
    rotation are taken to be those it ended. The ``status``:

    * ``rotated``: a staff rotation followed and they are not paired: the organisations'
      relationship was repaired without the persons' tie;
    * ``re_paired``: a staff rotation followed, yet they were paired again after it;
    * ``not_rotated``: no staff rotation, and they still hold the relationship together;
    * ``parted``: no staff rotation, but they are not paired (one left or moved, or the
      partnership ended).

    Parameters
    ----------
    tables : mapping
        Canonical frames (:data:`BREACH_TABLES`; missing tables mean no rows).
    as_of : str, optional
        ISO reference date (default: the newest event).
    organization : node, optional
        Only incidents with this organisation on either side.
    pair : tuple, optional
        Only incidents between these two organisations (either direction).

    Returns
    -------
    list of dict
        Oldest first: ``incident``, ``date``, ``kind``, ``severity``, ``reporter``, ``subject``,
        ``reporter_person`` and ``subject_person`` (``id``, ``name``, ``organization``, ``role`` of
        the position named, ``now``: the position held on ``day`` or null, ``now_organization``; null
        when not named), ``rotation`` (the first staff rotation: ``id``, ``date``, ``note``; or null),
        ``repair`` (the organisations' side: ``repaired`` when the latest follow-up restores trust,
        ``escalated``, ``open``), ``relationship`` (the running partnerships between the two
        organisations: ``partnership``, ``name``, ``reporter_holders``, ``subject_holders``, each
        ``id``, ``name``, ``role``, ``since`` (when the holding was recorded) and ``named`` (a person
        named in the incident)), ``survives`` (at least one runs), ``held_together`` (the
        partnerships the named people hold together, after a rotation only those recorded since it),
        ``new_ties`` (personal ties between them recorded after the incident, after a rotation since
        it: ``kind``, ``since``), ``paired`` and ``status`` (:data:`BREACH_STATUS`).
    """
    from ..model import RESTORING_ACTIONS

    incidents = [i for i in _records(tables, "incidents")
                 if _text(i.get("reporter_person")) is not None or _text(i.get("subject_person")) is not None]
    if organization is not None:
        incidents = [i for i in incidents if organization in (i["reporter"], i["subject"])]
    if pair is not None:
        incidents = [i for i in incidents if {i["reporter"], i["subject"]} == set(pair)]
    if not incidents:
        return []
    pos = positions(tables, as_of=as_of)
    day = pos.day
    incidents = [i for i in incidents if (_day(i.get("date")) or "") <= day]
    actions: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for a in _records(tables, "incident_actions"):
        when = _day(a.get("date"))
        if when is not None and when <= day:
            actions[str(a["incident"])].append(
                {"id": a["id"], "kind": a["kind"], "date": when, "note": _text(a.get("note"))})
    by_side: dict[tuple[str, str], dict[str, Any]] = {}
    for side in partnership_sides(tables, as_of=day):
        by_side[(side["partnership"], side["organization"])] = side
    members: dict[str, set[str]] = defaultdict(set)
    for ps, org in by_side:
        members[ps].add(org)
    ties = _records(tables, "personal_ties")
    # when each person (identity) was recorded as holding each partnership (the latest date given)
    holding_since: dict[tuple[str, str], str | None] = {}
    for h in _records(tables, "relationship_holders"):
        key = (pos.identity.get(str(h["person"]), str(h["person"])), str(h["partnership"]))
        since = _day(h.get("since"))
        if key not in holding_since or (since or "") > (holding_since[key] or ""):
            holding_since[key] = since
    out = []
    for i in incidents:
        reporter, subject, when = str(i["reporter"]), str(i["subject"]), _day(i["date"]) or ""
        named = {"reporter": _breach_person(pos, _text(i.get("reporter_person"))),
                 "subject": _breach_person(pos, _text(i.get("subject_person")))}
        acts = sorted(actions.get(str(i["id"]), []), key=lambda a: (a["date"], a["id"]))
        rotation = next(({k: a[k] for k in ("id", "date", "note")} for a in acts if a["kind"] == "staff_rotation"),
                        None)
        repair = "open" if not acts else "repaired" if acts[-1]["kind"] in RESTORING_ACTIONS else "escalated"
        # after a rotation only a pairing recorded since it counts: the holders' table has no end
        # dates, so a holding from before is taken to be the one the rotation ended
        since = rotation["date"] if rotation else when
        identities = [pos.identity.get(p["id"], p["id"]) for p in named.values() if p is not None]
        relationship, together = [], []
        for ps in sorted(p for p, orgs in members.items() if {reporter, subject} <= orgs):
            mine, theirs = by_side[(ps, reporter)], by_side[(ps, subject)]
            relationship.append({"partnership": ps, "name": mine["partnership_name"],
                                 "reporter_holders": _side_holders(pos, mine, ps, holding_since, identities),
                                 "subject_holders": _side_holders(pos, theirs, ps, holding_since, identities)})
            held = all(p is None or p["now"] in {h["id"] for h in side["holders"]}
                       for p, side in ((named["reporter"], mine), (named["subject"], theirs)))
            recorded = [holding_since.get((who, ps)) for who in identities]
            if held and (rotation is None or any((d or "") > since for d in recorded)):
                together.append(ps)
        new_ties = []
        rp, sp = named["reporter"], named["subject"]
        if rp is not None and sp is not None:
            who = {pos.identity.get(p["id"], p["id"]) for p in (rp, sp)}
            for t in ties:
                ends = {pos.identity.get(str(t[x]), str(t[x])) for x in ("a", "b")}
                tied = _day(t.get("since"))
                if ends == who and tied is not None and since < tied <= day:
                    new_ties.append({"kind": _text(t.get("kind")), "since": tied})
        paired = bool(together or new_ties)
        status = ("re_paired" if paired else "rotated") if rotation else ("not_rotated" if paired else "parted")
        out.append({
            "incident": i["id"], "date": when, "kind": i["kind"], "severity": int(i["severity"]),
            "reporter": reporter, "subject": subject, "reporter_person": named["reporter"],
            "subject_person": named["subject"], "rotation": rotation, "repair": repair,
            "relationship": relationship, "survives": bool(relationship), "held_together": together,
            "new_ties": new_ties, "paired": paired, "status": status,
        })
    return sorted(out, key=lambda b: (b["date"], str(b["incident"])))
