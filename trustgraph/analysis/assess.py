"""Entry assessment: should ``assessor`` enter a partnership with ``candidate``, by trust culture?

"Trust can mean and be determined by different things for different partners." Leaders in some
regions trust first and verify later; others want the partner's reputation and a personal
referral first; others want others to vouch for the partner's credibility; others look for a
personal connection (Brett & Mitchell's 33-country study, cited in the seed article). trustgraph
turns each into an *entry profile* (``trustgraph/profiles.toml``, documented there and in
docs/lifecycle.md):

``verify-later``
    Proceed unless red flags — with monitoring, unless the assessor's own record with the candidate
    already reaches ``proceed_trust``.
``reputation-first``
    Reputation (:func:`trustgraph.analysis.reputation.reputation`) at least ``min_reputation``
    (below ``decline_reputation``: decline) **and** a referral path: a vouching chain
    (:func:`trustgraph.analysis.chains.vouching_chains`) from the assessor through a known partner
    of the assessor, ending in a positive referral of the candidate.
``vouched``
    Enough independent vouchers by the web-of-trust rule: node-disjoint chains
    (:func:`trustgraph.analysis.chains.independent_vouchers`), each *complete* or *marginal* by its
    weakest hop, against GnuPG's one-complete-or-three-marginal rule; GnuPG's own validity on the
    graph (:func:`trustgraph.analysis.chains.web_of_trust`) also suffices.
``relationship-first``
    A short person-to-person path (:func:`trustgraph.analysis.continuity.person_path`) from the
    assessor's people to the candidate's.

Every profile first runs the same red-flag screen — active and expired listings, incidents blamed
on the candidate (open or repaired), warnings, the assessor's own distrust, exposure to listed
parties (:mod:`trustgraph.analysis.contagion`) and listed parties nearby — whose flags lead to the
outcome the profile's ``flags`` table gives. The decision is the most cautious outcome of all
checks (:data:`OUTCOMES` is ordered). Every check, passed or not, is returned as a reason with the
evidence behind it.

Which profile: the one named, or the assessor's ``culture``; which thresholds: the assessor's
``risk_appetite`` (``medium`` when missing) selects the profile's low / medium / high values.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from ..cells import day as _day
from ..cells import text as _text
from ..errors import ConfigurationError, NotFoundError, TrustgraphError
from ..evidence import DEFAULT_HALF_LIFE_DAYS, evidence_frame
from ..model import RISK_APPETITE, TRUST_PROFILES
from ..snapshot import Snapshot, compile_tables
from .chains import NEUTRAL_TRUST, ChainIndex, independent_vouchers, vouching_chains, web_of_trust
from .contagion import contagion_scores, exposure_paths, shared_people

if TYPE_CHECKING:  # NetworkX only for a caller's graph and the staff graph, imported where used
    import networkx as nx

    from .chains import EvidenceSource

__all__ = [
    "OUTCOMES",
    "FLAGS",
    "RISK_APPETITES",
    "DEFAULT_RISK_APPETITE",
    "PROFILE_KEYS",
    "Profile",
    "ProfileBook",
    "default_profiles_path",
    "load_profiles",
    "assess",
    "assess_all",
    "most_cautious",
    "INCIDENT_STATUS",
    "incident_history",
    "SnapshotNames",
    "FACTOR_KEYS",
]

#: Decisions, least cautious first; a decision is the most cautious outcome of its checks.
OUTCOMES = ("proceed", "proceed-with-monitoring", "needs-vouching", "decline")
#: Red flags of the screen every profile runs (see ``profiles.toml``).
FLAGS = (
    "listed",
    "past_listing",
    "open_incident",
    "repaired_incident",
    "warning",
    "own_distrust",
    "exposure",
    "listed_nearby",
)
#: Risk appetites, the thresholds each profile has (the ``risk_appetite`` column of organizations).
RISK_APPETITES = RISK_APPETITE
DEFAULT_RISK_APPETITE = "medium"

_RESTORING = ("post_mortem", "mediation", "staff_rotation", "reset")
#: Incident states (:func:`incident_history`).
INCIDENT_STATUS = ("open", "escalated", "repaired")

# key -> (type, lowest, highest): the numeric keys every profile has, then each rule's own.
_COMMON_KEYS: dict[str, tuple[str, float, float]] = {
    "max_exposure": ("float", 0.0, 1.0), "nearby_hops": ("int", 1, 5), "nearby_min_strength": ("float", 0.0, 1.0),
}
_RULE_KEYS: dict[str, dict[str, tuple[str, float, float]]] = {
    "verify-later": {"proceed_trust": ("float", 0.0, 1.0)},
    "reputation-first": {
        "min_reputation": ("float", 0.0, 1.0), "decline_reputation": ("float", 0.0, 1.0),
        "max_referral_hops": ("int", 1, 10), "min_chain_strength": ("float", 0.0, 1.0),
    },
    "vouched": {
        "complete_trust": ("float", 0.0, 1.0), "marginal_trust": ("float", 0.0, 1.0),
        "completes_needed": ("int", 1, 100), "marginals_needed": ("int", 1, 100), "max_hops": ("int", 1, 10),
    },
    "relationship-first": {"max_person_hops": ("int", 1, 20), "max_introduction_hops": ("int", 1, 20)},
}
#: The numeric keys of each rule (common ones included), for documentation and validation.
PROFILE_KEYS: dict[str, tuple[str, ...]] = {rule: (*keys, *_COMMON_KEYS) for rule, keys in _RULE_KEYS.items()}
#: Keys of a profile's ``factors`` table besides one weight per factor (0-10) of
#: :data:`trustgraph.analysis.factors.FACTORS`: the weighted factor score below which the decision is
#: at least ``shortfall`` (one of :data:`OUTCOMES`).
FACTOR_KEYS = ("min_score", "shortfall")
_MAX_WEIGHT = 10.0


def most_cautious(outcomes: Iterable[str]) -> str:
    """The most cautious of ``outcomes`` (``proceed`` for none).

    Examples
    --------
    >>> most_cautious(["proceed", "needs-vouching", "proceed-with-monitoring"])
    'needs-vouching'
    """
    return max(outcomes, key=OUTCOMES.index, default=OUTCOMES[0])


# --------------------------------------------------------------------------------------------------
# Profiles


@dataclass(frozen=True)
class Profile:
    """One entry profile, resolved for one risk appetite."""

    name: str
    rule: str
    description: str
    risk_appetite: str
    thresholds: dict[str, float | int]
    flags: dict[str, str]
    source: str
    #: The factor weights (``weights``: factor -> weight), ``min_score`` and ``shortfall``.
    factors: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "rule": self.rule, "description": self.description,
                "risk_appetite": self.risk_appetite, "thresholds": dict(self.thresholds),
                "flags": dict(self.flags), "source": self.source, "factors": dict(self.factors)}


@dataclass(frozen=True)
class ProfileBook:
    """The profile definitions (defaults, then any override file), validated.

    ``definitions`` maps a profile name to its merged table; ``sources`` lists the files read;
    ``origin`` maps a profile name to the last file that defined or changed it.
    """

    definitions: dict[str, dict[str, Any]]
    sources: tuple[str, ...]
    origin: dict[str, str] = field(default_factory=dict)

    def names(self) -> list[str]:
        """Profile names: the four built-in ones first, then any added, in file order."""
        return [n for n in TRUST_PROFILES if n in self.definitions] + [
            n for n in self.definitions if n not in TRUST_PROFILES]

    def resolve(self, name: str, risk_appetite: str | None = None) -> Profile:
        """The profile ``name`` with the thresholds of ``risk_appetite`` (default medium).

        Raises
        ------
        NotFoundError
            When there is no such profile.
        ConfigurationError
            When there is no such risk appetite.
        """
        if name not in self.definitions:
            own = [f for f in self.sources[1:]]  # the built-in file (sources[0]) is not the user's business
            raise NotFoundError(f"unknown profile {name!r} (profiles: {', '.join(self.names())}"
                                + (f"; from {', '.join(own)})" if own else ")"))
        appetite = risk_appetite or DEFAULT_RISK_APPETITE
        if appetite not in RISK_APPETITES:
            raise ConfigurationError(f"unknown risk appetite {appetite!r} (one of {', '.join(RISK_APPETITES)})")
        d = self.definitions[name]
        over = d.get("risk_appetite", {}).get(appetite, {})
        rule = d["rule"]
        keys = PROFILE_KEYS[rule]
        thresholds = {k: over.get(k, d[k]) for k in keys}
        flags = {f: over.get("flags", {}).get(f, d["flags"][f]) for f in FLAGS}
        # A profile without its own factor weights uses those of the built-in profile of its rule.
        table = {**self.definitions.get(rule, {}).get("factors", {}), **d.get("factors", {}),
                 **over.get("factors", {})}
        factors = {"weights": {k: float(v) for k, v in table.items() if k not in FACTOR_KEYS},
                   "min_score": float(table.get("min_score", 0.0)), "shortfall": table.get("shortfall", "proceed")}
        return Profile(name=name, rule=rule, description=d.get("description", ""), risk_appetite=appetite,
                       thresholds=thresholds, flags=flags, source=self.origin.get(name, self.sources[0]),
                       factors=factors)


def default_profiles_path() -> Path:
    """The profiles file shipped with trustgraph (``trustgraph/profiles.toml``)."""
    return Path(str(resources.files("trustgraph").joinpath("profiles.toml")))


def _fail(file: str, key: str, message: str) -> ConfigurationError:
    return ConfigurationError(f"{file}: {key}: {message}")


def _check_value(file: str, key: str, value: Any, spec: tuple[str, float, float]) -> None:
    kind, lo, hi = spec
    if kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
        what = f"an integer in [{lo:g}, {hi:g}]"
    else:
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        what = f"a number in [{lo:g}, {hi:g}]"
    if not ok or not lo <= value <= hi:
        raise _fail(file, key, f"expected {what}, got {value!r}")


def _check_flags(file: str, where: str, flags: Any) -> None:
    if not isinstance(flags, dict):
        raise _fail(file, where, f"expected a table of flag = outcome, got {flags!r}")
    for flag, outcome in flags.items():
        if flag not in FLAGS:
            raise _fail(file, f"{where}.{flag}", f"unknown flag (one of {', '.join(FLAGS)})")
        if outcome not in OUTCOMES:
            raise _fail(file, f"{where}.{flag}", f"expected one of {', '.join(OUTCOMES)}, got {outcome!r}")


def _check_factors(file: str, where: str, table: Any) -> None:
    from .factors import FACTORS

    if not isinstance(table, dict):
        raise _fail(file, where, f"expected a table of factor = weight, min_score and shortfall, got {table!r}")
    for key, value in table.items():
        if key == "shortfall":
            if value not in OUTCOMES:
                raise _fail(file, f"{where}.shortfall", f"expected one of {', '.join(OUTCOMES)}, got {value!r}")
        elif key == "min_score":
            _check_value(file, f"{where}.min_score", value, ("float", 0.0, 1.0))
        elif key in FACTORS:
            _check_value(file, f"{where}.{key}", value, ("float", 0.0, _MAX_WEIGHT))
        else:
            raise _fail(file, f"{where}.{key}", f"unknown factor (one of {', '.join(FACTORS)}, min_score, shortfall)")


def _numeric_specs(rule: str | None) -> dict[str, tuple[str, float, float]]:
    if rule is None:  # rule unknown yet (an override of a built-in profile): any rule's keys
        specs: dict[str, tuple[str, float, float]] = dict(_COMMON_KEYS)
        for keys in _RULE_KEYS.values():
            specs.update(keys)
        return specs
    return {**_RULE_KEYS[rule], **_COMMON_KEYS}


def _check_file(file: str, data: dict[str, Any], base: Mapping[str, dict[str, Any]]) -> None:
    """Types, ranges and unknown keys of one profiles file (before merging)."""
    for key in data:
        if key not in ("schema", "profiles"):
            raise _fail(file, key, "unknown key (expected `schema` and `[profiles.NAME]` tables)")
    if "schema" in data and data["schema"] != 1:
        raise _fail(file, "schema", f"expected 1, got {data['schema']!r}")
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise _fail(file, "profiles", "expected tables [profiles.NAME]")
    for name, table in profiles.items():
        where = f"profiles.{name}"
        if not isinstance(table, dict):
            raise _fail(file, where, f"expected a table, got {table!r}")
        rule = table.get("rule", base.get(name, {}).get("rule"))
        if rule is None:
            raise _fail(file, f"{where}.rule", f"a new profile needs a rule (one of {', '.join(TRUST_PROFILES)})")
        if rule not in TRUST_PROFILES:
            raise _fail(file, f"{where}.rule", f"expected one of {', '.join(TRUST_PROFILES)}, got {rule!r}")
        specs = _numeric_specs(rule)
        for key, value in table.items():
            if key == "rule":
                continue
            if key == "description":
                if not isinstance(value, str):
                    raise _fail(file, f"{where}.description", f"expected text, got {value!r}")
            elif key == "flags":
                _check_flags(file, f"{where}.flags", value)
            elif key == "factors":
                _check_factors(file, f"{where}.factors", value)
            elif key == "risk_appetite":
                if not isinstance(value, dict):
                    raise _fail(file, f"{where}.risk_appetite", "expected tables low / medium / high")
                for appetite, over in value.items():
                    at = f"{where}.risk_appetite.{appetite}"
                    if appetite not in RISK_APPETITES:
                        raise _fail(file, at, f"unknown risk appetite (one of {', '.join(RISK_APPETITES)})")
                    if not isinstance(over, dict):
                        raise _fail(file, at, f"expected a table, got {over!r}")
                    for k, v in over.items():
                        if k == "flags":
                            _check_flags(file, f"{at}.flags", v)
                        elif k == "factors":
                            _check_factors(file, f"{at}.factors", v)
                        elif k in specs:
                            _check_value(file, f"{at}.{k}", v, specs[k])
                        else:
                            raise _fail(file, f"{at}.{k}", f"unknown key for rule {rule!r} "
                                                           f"(known: {', '.join(sorted(specs))}, flags)")
            elif key in specs:
                _check_value(file, f"{where}.{key}", value, specs[key])
            else:
                raise _fail(file, f"{where}.{key}", f"unknown key for rule {rule!r} "
                                                    f"(known: rule, description, {', '.join(sorted(specs))}, flags, "
                                                    f"factors, risk_appetite)")


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for k, v in over.items():
        out[k] = _merge(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def _check_complete(book: ProfileBook) -> None:
    """Every profile has every key its rule needs, and consistent thresholds at every appetite."""
    for name, d in book.definitions.items():
        file = book.origin.get(name, book.sources[-1])
        for key in PROFILE_KEYS[d["rule"]]:
            if key not in d:
                raise _fail(file, f"profiles.{name}.{key}", f"missing (rule {d['rule']!r} needs it)")
        for flag in FLAGS:
            if flag not in d.get("flags", {}):
                raise _fail(file, f"profiles.{name}.flags.{flag}", "missing")
        if name in TRUST_PROFILES:  # a built-in profile states every factor's weight
            from .factors import FACTORS

            for key in (*FACTORS, *FACTOR_KEYS):
                if key not in d.get("factors", {}):
                    raise _fail(file, f"profiles.{name}.factors.{key}", "missing")
        for appetite in RISK_APPETITES:
            t = book.resolve(name, appetite).thresholds
            where = f"profiles.{name}" + ("" if appetite == "medium" else f".risk_appetite.{appetite}")
            for low, high in (("decline_reputation", "min_reputation"), ("marginal_trust", "complete_trust"),
                              ("max_person_hops", "max_introduction_hops")):
                if low in t and high in t and t[low] > t[high]:
                    raise _fail(file, where, f"{low} ({t[low]}) must not exceed {high} ({t[high]})")
            if "marginal_trust" in t and t["marginal_trust"] < NEUTRAL_TRUST:
                raise _fail(file, f"{where}.marginal_trust", f"must be at least the neutral {NEUTRAL_TRUST}")


def _read(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as err:
        raise ConfigurationError(f"{path}: profiles file not found") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigurationError(f"{path}: not valid TOML: {err}") from err
    except (OSError, UnicodeDecodeError) as err:
        raise ConfigurationError(f"{path}: cannot read the profiles file: {err}") from err


def load_profiles(path: str | Path | None = None) -> ProfileBook:
    """The built-in profiles, with ``path`` (a TOML file in the same format) read over them.

    Parameters
    ----------
    path : str or Path, optional
        An override file: its tables replace only the keys they name; a new profile needs ``rule``.

    Returns
    -------
    ProfileBook

    Raises
    ------
    ConfigurationError
        When a file is missing, not TOML, or has an unknown key, a value of the wrong type or out of
        range, a missing key, or inconsistent thresholds; the message names the file and the key.
    """
    default = default_profiles_path()
    data = _read(default)
    _check_file(str(default), data, {})
    definitions: dict[str, dict[str, Any]] = {k: dict(v) for k, v in data.get("profiles", {}).items()}
    origin = {name: str(default) for name in definitions}
    sources = [str(default)]
    if path is not None:
        user = Path(path)
        extra = _read(user)
        _check_file(str(user), extra, definitions)
        for name, table in extra.get("profiles", {}).items():
            definitions[name] = _merge(definitions.get(name, {}), table)
            origin[name] = str(user)
        sources.append(str(user))
    book = ProfileBook(definitions, tuple(sources), origin)
    _check_complete(book)
    return book


# --------------------------------------------------------------------------------------------------
# Facts about the candidate, shared by every profile


def _records(tables: Mapping[str, pd.DataFrame], name: str) -> list[dict[str, Any]]:
    frame = tables.get(name)
    return [] if frame is None or not len(frame) else cast(list[dict[str, Any]], frame.to_dict("records"))


def _chain_doc(snap: Snapshot, chain: Any) -> dict[str, Any]:
    """A :class:`~trustgraph.analysis.chains.Chain` as answer documents give a chain: ``strength``,
    ``hops``, ``path``, ``names``, ``weakest_link``, ``listed`` (a party on it is listed) with
    ``listings``, and ``links`` (each hop's trust and evidence, evidence strength as ``value``)."""
    from ..documents import listings_of

    names = dict(zip(chain.path, chain.names, strict=True)) if chain.names else {}

    def name(node: Any) -> Any:
        return names[node] if node in names else snap.name(node)

    def evidence(e: Mapping[str, Any]) -> dict[str, Any]:
        return {"kind": e.get("kind"), "ref": e.get("ref"), "date": e.get("date"),
                "value": e["value"] if "value" in e else e.get("strength"), "decay": e.get("decay"),
                "positive": e.get("positive"), "negative": e.get("negative"), "note": e.get("note")}

    weakest = chain.weakest
    listed = [str(n) for n in chain.listed]
    return {
        "strength": chain.strength, "hops": chain.hops, "path": [str(n) for n in chain.path],
        "names": [name(n) for n in chain.path],
        "weakest_link": {"from": str(weakest.source), "to": str(weakest.target), "trust": weakest.trust},
        "listed": bool(listed), "listings": listings_of(snap, listed),
        "links": [{"from": str(x.source), "from_name": name(x.source), "to": str(x.target), "to_name": name(x.target),
                   "trust": x.trust, "uncertainty": x.uncertainty, "positive": x.positive, "negative": x.negative,
                   "evidence": [evidence(e) for e in x.evidence]} for x in chain.links],
    }


def listed_party(path: Mapping[str, Any]) -> dict[str, Any]:
    """``{"id", "name"}`` of the listed party an exposure path (:func:`~.contagion.exposure_paths`) ends at."""
    for key in ("target", "listed"):
        value = path.get(key)
        if isinstance(value, Mapping):
            return {"id": str(value["id"]), "name": value.get("name")}
    return {"id": str(path["path"][-1]), "name": path.get("listed_name")}


def _path_text(G: nx.DiGraph, path: Iterable[Any]) -> str:
    return " > ".join(str(n) for n in path)


def incident_history(
    tables: Mapping[str, pd.DataFrame],
    organization: Hashable,
    *,
    as_of: str | None = None,
    role: str = "subject",
    names: Mapping[Any, Any] | None = None,
) -> list[dict[str, Any]]:
    """Incidents involving ``organization`` up to ``as_of``, each with its actions and its state.

    The state (:data:`INCIDENT_STATUS`) is ``repaired`` when the latest follow-up action restores
    trust (post-mortem, mediation, staff rotation, reset), ``escalated`` when it deepens the breach
    (termination, legal action — also after a failed mediation), ``open`` with no follow-up at all.

    Parameters
    ----------
    tables : mapping
        Canonical frames (``incidents``, ``incident_actions``).
    organization : node
    as_of : str, optional
        ISO date; later incidents and actions are ignored (default: the newest event).
    role : {"subject", "reporter", "any"}
        Incidents where the organisation was blamed, lost trust, or either.
    names : mapping, optional
        Organisation id → name, to label the other party.

    Returns
    -------
    list of dict
        Oldest first: ``id``, ``reporter``, ``reporter_name``, ``subject``, ``subject_name``, ``kind``,
        ``severity``, ``date``, ``partnership``, ``description``, ``actions`` (``id``, ``kind``,
        ``date``, ``note``), ``status``.
    """
    from ..evidence import reference_date

    if role not in ("subject", "reporter", "any"):
        raise ValueError(f"role must be subject, reporter or any, got {role!r}")
    day = reference_date(tables, as_of).strftime("%Y-%m-%d")
    names = names or {}
    actions: dict[str, list[dict[str, Any]]] = {}
    for a in _records(tables, "incident_actions"):
        when = _day(a["date"])
        if when is not None and when <= day:
            actions.setdefault(str(a["incident"]), []).append(
                {"id": a["id"], "kind": a["kind"], "date": when, "note": _text(a.get("note"))})
    out = []
    for i in _records(tables, "incidents"):
        when = _day(i["date"])
        mine = (i["subject"] == organization if role == "subject" else i["reporter"] == organization
                if role == "reporter" else organization in (i["subject"], i["reporter"]))
        if not mine or when is None or when > day:
            continue
        acts = sorted(actions.get(str(i["id"]), []), key=lambda a: (a["date"], a["id"]))
        status = "open" if not acts else "repaired" if acts[-1]["kind"] in _RESTORING else "escalated"
        out.append({"id": i["id"], "reporter": i["reporter"], "reporter_name": names.get(i["reporter"]),
                    "subject": i["subject"], "subject_name": names.get(i["subject"]),
                    "kind": i["kind"], "severity": int(i["severity"]), "date": when,
                    "partnership": _text(i.get("partnership")), "description": _text(i.get("description")),
                    "actions": acts, "status": status})
    return sorted(out, key=lambda x: (x["date"], x["id"]))


class SnapshotNames(Mapping[Any, Any]):
    """Organisation id → name, read from a :class:`~trustgraph.snapshot.Snapshot` on demand (no
    dictionary of every party is built; ``get`` gives ``None`` for an id that is not in it)."""

    def __init__(self, snap: Snapshot) -> None:
        self._snap = snap

    def __getitem__(self, node: Any) -> Any:
        i = self._snap.find(node)
        if i is None:
            raise KeyError(node)
        return self._snap.names[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._snap.nodes())

    def __len__(self) -> int:
        return self._snap.n


class _Facts:
    """What every profile looks at, computed on first use and shared (``--all-profiles``).

    ``G`` is the graph as the caller gave it (a snapshot, or a NetworkX graph, handed as it is to the
    analyses that accept either); ``snap`` its compiled form, for lookups. ``tables`` are the rows
    about the two parties (or every row); ``staff`` the tables of the staff graph.
    """

    def __init__(self, tables: Mapping[str, pd.DataFrame], G: Snapshot | nx.DiGraph, snap: Snapshot,
                 evidence: EvidenceSource, candidate: Hashable, assessor: Hashable, half_life_days: float | None,
                 *, day: str, people: Callable[[], pd.DataFrame | None], staff: Mapping[str, pd.DataFrame]) -> None:
        self.tables, self.G, self.snap, self.evidence = tables, G, snap, evidence
        self.candidate, self.assessor = candidate, assessor
        self.day = day
        self.half_life_days = half_life_days
        self.staff = staff
        self._people = people
        self._cache: dict[Any, Any] = {}
        #: Parties -> their assessments rows (situational need's regional peers); None: ``tables``.
        self.assessments_of: Callable[[list[Any]], pd.DataFrame | None] | None = None

    def _memo(self, key: Any, make: Any) -> Any:
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def attributes(self, node: Hashable) -> Mapping[str, Any]:
        """The node attributes :func:`trustgraph.graph.project` gives ``node`` (empty when unknown)."""
        if not isinstance(self.G, Snapshot):
            return cast(Mapping[str, Any], self.G.nodes[node]) if node in self.G else {}
        i = self.snap.find(node)
        return {} if i is None else self.snap.node_data(i)

    def name(self, node: Hashable) -> Any:
        return self.attributes(node).get("name")

    def names(self) -> Mapping[Any, Any]:
        if not isinstance(self.G, Snapshot):
            return dict(self.G.nodes(data="name"))
        return SnapshotNames(self.snap)

    def evidence_frame(self, parties: list[Any]) -> pd.DataFrame | None:
        """Evidence rows about ``parties`` (the whole frame when one was given)."""
        if callable(self.evidence):
            return self.evidence(parties)
        return self.evidence

    # -- screen ---------------------------------------------------------------------------------------

    def listings(self) -> list[dict[str, Any]]:
        from ..documents import listing

        return [listing(x, self.candidate) for x in self.attributes(self.candidate).get("listings") or []]

    def past_listings(self) -> list[dict[str, Any]]:
        out = []
        for row in _records(self.tables, "blacklist"):
            until = _day(row.get("until"))
            if row["listed"] == self.candidate and until is not None and until <= self.day:
                out.append({"id": row["id"], "party": str(self.candidate), "lister": row["lister"],
                            "date": _day(row["date"]), "until": until, "reason": _text(row.get("reason")),
                            "source": _text(row.get("source"))})
        return out

    def incidents(self) -> list[dict[str, Any]]:
        return list(self._memo("incidents", lambda: incident_history(
            self.tables, self.candidate, as_of=self.day, role="subject", names=self.names())))

    def warnings(self) -> list[dict[str, Any]]:
        out = []
        for r in _records(self.tables, "referrals"):
            when = _day(r["date"])
            if r["target"] == self.candidate and float(r["strength"]) < 0 and when is not None and when <= self.day:
                out.append({"id": r["id"], "source": r["source"], "source_name": self.name(r["source"]),
                            "strength": float(r["strength"]), "date": when, "note": _text(r.get("note"))})
        return sorted(out, key=lambda x: (x["date"], x["id"]))

    def own_trust(self) -> dict[str, Any] | None:
        keys = ("trust", "uncertainty", "positive", "negative", "kinds", "last")
        if not isinstance(self.G, Snapshot):
            if not self.G.has_edge(self.assessor, self.candidate):
                return None
            e = self.G[self.assessor][self.candidate]
            return {k: e.get(k) for k in keys}
        k = self.snap.edge(self.snap.index_of(self.assessor), self.snap.index_of(self.candidate))
        if k is None:
            return None
        data = self.snap.edge_data(k)
        return {key: data[key] for key in keys}

    def people(self) -> pd.DataFrame | None:
        return cast("pd.DataFrame | None", self._memo("people", self._people))

    def exposure(self) -> float:
        scores = self._memo("exposure", lambda: contagion_scores(self.G, people=self.people()))
        return float(scores[self.candidate])

    def exposure_paths(self, hops: int) -> list[dict[str, Any]]:
        def make() -> list[dict[str, Any]]:
            doc = exposure_paths(self.G, self.candidate, hops=hops, people=self.people(), limit=50)
            return [{"target": listed_party(p), "hops": p["hops"],
                     "contribution": p["contribution"] if "contribution" in p else p["strength"], "path": p["path"],
                     "ties": [{k: t.get(k) for k in ("from", "to", "kinds", "sign", "share")} for t in p["ties"]]}
                    for p in doc["paths"]]
        return list(self._memo(("paths", hops), make))

    # -- requirements ---------------------------------------------------------------------------------

    def reputation(self) -> dict[str, Any]:
        def make() -> dict[str, Any]:
            # A snapshot splits the explanation by evidence kind itself; a NetworkX graph needs the
            # evidence rows received by the candidate.
            ev = self.evidence_frame([self.candidate]) if not isinstance(self.G, Snapshot) else None
            from .reputation import reputation

            r = reputation(self.G, evidence=ev)
            doc = dict(r.explain(self.candidate, top=3))
            doc.setdefault("score", doc.get("reputation"))
            doc.setdefault("rank", doc.get("reputation_rank"))
            doc["of"] = len(r)
            doc["pretrusted"] = sorted(str(n) for n in r.pretrusted) or None
            return doc
        return dict(self._memo("reputation", make))

    def factors(self) -> dict[str, Any]:
        """The pair's factor profile (:func:`trustgraph.analysis.factors.factor_profile`)."""
        def make() -> dict[str, Any]:
            from .factors import factor_profile

            ev = self.evidence_frame([self.candidate, self.assessor])
            return factor_profile(self.tables, self.candidate, self.assessor, as_of=self.day,
                                  half_life_days=self.half_life_days, graph=self.snap, evidence=ev,
                                  assessments_of=self.assessments_of)
        return dict(self._memo("factors", make))

    def known_partners(self) -> dict[str, list[str]]:
        """Organisations sharing a partnership (not terminated, started by the day) with the assessor."""
        def make() -> dict[str, list[str]]:
            ok = {}
            for p in _records(self.tables, "partnerships"):
                start = _day(p.get("start"))
                if p.get("status") != "terminated" and (start is None or start <= self.day):
                    ok[str(p["id"])] = True
            members: dict[str, set[str]] = {}
            for m in _records(self.tables, "partnership_members"):
                members.setdefault(str(m["partnership"]), set()).add(str(m["organization"]))
            out: dict[str, list[str]] = {}
            for ps, orgs in members.items():
                if ps in ok and self.assessor in orgs:
                    for o in orgs - {self.assessor}:
                        out.setdefault(o, []).append(ps)
            return {k: sorted(v) for k, v in out.items()}
        return dict(self._memo("known", make))

    def referred(self, voucher: Hashable) -> list[dict[str, Any]]:
        """Positive referrals of the candidate by ``voucher``, by the day."""
        out = []
        for r in _records(self.tables, "referrals"):
            when = _day(r["date"])
            if (r["source"] == voucher and r["target"] == self.candidate and float(r["strength"]) > 0
                    and when is not None and when <= self.day):
                out.append({"id": r["id"], "strength": float(r["strength"]), "date": when,
                            "note": _text(r.get("note"))})
        return out

    def chains(self, max_hops: int) -> list[Any]:
        return list(self._memo(("chains", max_hops), lambda: vouching_chains(
            self.G, self.assessor, self.candidate, k=25, max_hops=max_hops, evidence=self.evidence)))

    def vouchers(self, min_trust: float, max_hops: int) -> list[Any]:
        return list(self._memo(("vouchers", min_trust, max_hops), lambda: independent_vouchers(
            self.G, self.assessor, self.candidate, max_hops=max_hops, evidence=self.evidence,
            index=ChainIndex.of(self.G, min_trust=min_trust))))

    def staff_graph(self) -> nx.Graph:
        from .continuity import staff_graph

        return cast("nx.Graph", self._memo("staff_graph", lambda: staff_graph(self.staff, as_of=self.day)))

    def person_path(self) -> dict[str, Any] | None:
        from .continuity import person_path

        return cast("dict[str, Any] | None", self._memo(
            "person_path", lambda: person_path(self.staff_graph(), self.assessor, self.candidate)))

    def staff_counts(self) -> tuple[int, int]:
        def make() -> tuple[int, int]:
            orgs = [o for _, o in self.staff_graph().nodes(data="organization")]
            return orgs.count(self.assessor), orgs.count(self.candidate)
        return cast(tuple[int, int], self._memo("staff", make))


# --------------------------------------------------------------------------------------------------
# Checks


def _reason(check: str, outcome: str, text: str, evidence: dict[str, Any]) -> dict[str, Any]:
    return {"check": check, "outcome": outcome, "reason": text, "evidence": evidence}


def _screen(f: _Facts, p: Profile) -> list[dict[str, Any]]:
    t, flags = p.thresholds, p.flags
    out: list[dict[str, Any]] = []

    def flag(name: str, text: str, evidence: dict[str, Any]) -> None:
        out.append(_reason(f"flag:{name}", flags[name], text, evidence))

    listings = f.listings()
    if listings:
        who = "; ".join(f"by {x['lister']} on {x['date']}: {x.get('reason')}" for x in listings)
        flag("listed", f"listed (active): {who}", {"listings": listings})
    past = f.past_listings()
    if past:
        who = "; ".join(f"by {x['lister']} {x['date']}–{x['until']}: {x['reason']}" for x in past)
        flag("past_listing", f"was listed, expired: {who}", {"listings": past})
    for inc in f.incidents():
        acts = ", ".join(f"{a['kind']} {a['date']}" for a in inc["actions"]) or "no follow-up"
        what = (f"incident {inc['id']} ({inc['kind']}, severity {inc['severity']}, {inc['date']}) reported by "
                f"{inc['reporter']}")
        if inc["status"] == "open":
            flag("open_incident", f"{what} has no follow-up: no post-mortem, mediation, staff rotation or reset",
                 {"incidents": [inc]})
        elif inc["status"] == "escalated":
            flag("open_incident", f"{what} was escalated without repair ({acts})", {"incidents": [inc]})
        else:
            flag("repaired_incident", f"{what} was followed by {acts}", {"incidents": [inc]})
    for w in f.warnings():
        flag("warning", f"warning {w['id']} by {w['source']} ({w['strength']:+.2f}, {w['date']})"
                        + (f": {w['note']}" if w["note"] else ""), {"warnings": [w]})
    own = f.own_trust()
    if own is not None and own["trust"] < NEUTRAL_TRUST:
        flag("own_distrust", f"{f.assessor}'s own trust in {f.candidate} is {own['trust']:.3f}, below the neutral 0.5",
             {"own_trust": own})
    exposure = f.exposure()
    paths = f.exposure_paths(max(int(t["nearby_hops"]), 3))
    if exposure >= float(t["max_exposure"]):
        top = [x for x in paths if x["contribution"] > 0][:3]
        flag("exposure", f"exposure to listed parties {exposure:.3f} ≥ {t['max_exposure']}"
                         + (f", strongest via {_path_text(f.G, top[0]['path'])}" if top else ""),
             {"exposure": exposure, "threshold": t["max_exposure"], "paths": top})
    floor = max(float(t["nearby_min_strength"]), 1e-12)
    nearby = [x for x in paths if x["hops"] <= int(t["nearby_hops"]) and x["contribution"] >= floor]
    if nearby:
        listed = sorted({x["target"]["id"] for x in nearby})
        flag("listed_nearby", f"listed part{'y' if len(listed) == 1 else 'ies'} {', '.join(listed)} within "
                              f"{t['nearby_hops']} ties: {_path_text(f.G, nearby[0]['path'])} "
                              f"(strength {nearby[0]['contribution']:.3f} ≥ {t['nearby_min_strength']})",
             {"paths": nearby[:5], "hops": t["nearby_hops"], "min_strength": t["nearby_min_strength"]})
    if not out:
        out.append(_reason("screen", "proceed",
                           f"no red flags: not listed, never listed, no incidents blamed on it, no warnings; "
                           f"exposure {exposure:.3f} < {t['max_exposure']}; no listed party within "
                           f"{t['nearby_hops']} ties (path strength ≥ {t['nearby_min_strength']})",
                           {"listings": [], "incidents": [], "warnings": [], "exposure": exposure,
                            "threshold": t["max_exposure"], "own_trust": own}))
    return out


def _verify_later(f: _Facts, p: Profile) -> list[dict[str, Any]]:
    limit = float(p.thresholds["proceed_trust"])
    own = f.own_trust()
    evidence = {"own_trust": own, "threshold": limit}
    if own is not None and own["trust"] >= limit:
        return [_reason("first_hand", "proceed", f"{f.assessor}'s own record with {f.candidate}: trust "
                        f"{own['trust']:.3f} ≥ {limit}; nothing left to verify", evidence)]
    seen = "no first-hand record yet" if own is None else f"own trust {own['trust']:.3f} < {limit}"
    return [_reason("first_hand", "proceed-with-monitoring",
                    f"{seen}: trust first, verify during the partnership (monitor delivery and communication)",
                    evidence)]


def _reputation_first(f: _Facts, p: Profile) -> list[dict[str, Any]]:
    t = p.thresholds
    rep = f.reputation()
    lo, hi = float(t["decline_reputation"]), float(t["min_reputation"])
    score = float(rep["score"])
    rep_evidence = {"reputation": score, "reputation_rank": rep["rank"], "of": rep["of"],
                    "percentile": rep["percentile"], "pretrusted": rep["pretrusted"], "breakdown": rep["breakdown"],
                    "givers": rep["givers"], "takers": rep["takers"], "min_reputation": hi, "decline_reputation": lo}
    where = f"reputation {score:.3f} (rank {rep['rank']} of {rep['of']})"
    if score >= hi:
        out = [_reason("reputation", "proceed", f"{where} ≥ {hi}", rep_evidence)]
    elif score < lo:
        out = [_reason("reputation", "decline", f"{where} < {lo}", rep_evidence)]
    else:
        out = [_reason("reputation", "needs-vouching", f"{where} below {hi} (decline below {lo})", rep_evidence)]

    known = f.known_partners()
    max_hops, min_strength = int(t["max_referral_hops"]), float(t["min_chain_strength"])
    chains = f.chains(max_hops)
    found = None
    for c in chains:
        if c.strength < min_strength:
            break  # strongest first: the rest are weaker
        first = c.path[1]
        if c.hops > 1 and first not in known:
            continue
        refs = f.referred(c.voucher)
        if refs:
            found = (c, refs)
            break
    path_evidence: dict[str, Any] = {"max_referral_hops": max_hops, "min_chain_strength": min_strength,
                                     "known_partners": len(known)}
    if found is not None:
        c, refs = found
        via = ("the assessor's own referral" if c.hops == 1 else
               f"known partner {c.path[1]} (partnerships {', '.join(known[c.path[1]])})")
        path_evidence.update({"chain": _chain_doc(f.snap, c), "referrals": refs})
        out.append(_reason("referral_path", "proceed",
                           f"referral path {_path_text(f.G, c.path)} through {via}, strength {c.strength:.3f} ≥ "
                           f"{min_strength}; {c.voucher} referred it ({', '.join(r['id'] for r in refs)})",
                           path_evidence))
    else:
        path_evidence["best_chains"] = [_chain_doc(f.snap, c) for c in chains[:3]]
        if not chains:
            why = f"no vouching chain within {max_hops} hops"
        else:
            best = chains[0]
            why = (f"no chain through a known partner ending in a referral with strength ≥ {min_strength} "
                   f"(strongest chain {_path_text(f.G, best.path)}, {best.strength:.3f})")
        out.append(_reason("referral_path", "needs-vouching", f"{why}: ask a known partner for a referral",
                           path_evidence))
    return out


def _vouched(f: _Facts, p: Profile) -> list[dict[str, Any]]:
    t = p.thresholds
    complete, marginal = float(t["complete_trust"]), float(t["marginal_trust"])
    c_need, m_need, max_hops = int(t["completes_needed"]), int(t["marginals_needed"]), int(t["max_hops"])
    chains = f.vouchers(marginal, max_hops)
    graded = [(c, "complete" if c.weakest.trust >= complete else "marginal") for c in chains]
    completes = sum(1 for _, g in graded if g == "complete")
    marginals = sum(1 for _, g in graded if g == "marginal")
    strict = web_of_trust(f.G, f.assessor, f.candidate, complete_trust=complete, marginal_trust=marginal,
                          completes_needed=c_need, marginals_needed=m_need, max_depth=max_hops)
    rule = {"complete_trust": complete, "marginal_trust": marginal, "completes_needed": c_need,
            "marginals_needed": m_need, "max_hops": max_hops}
    evidence = {
        "vouchers": [{"grade": g, "chain": _chain_doc(f.snap, c)} for c, g in graded], "completes": completes,
        "marginals": marginals,
        "rule": rule,
        "web_of_trust": {"valid": strict.valid, "validity": strict.validity, "completes": strict.completes,
                         "marginals": strict.marginals, "reasoning": list(strict.reasoning)},
    }
    listing = "; ".join(f"{_path_text(f.G, c.path)} ({g}, weakest hop {c.weakest.trust:.3f})" for c, g in graded)
    counted = (f"{len(graded)} independent voucher{'s' if len(graded) != 1 else ''}: {completes} complete, "
               f"{marginals} marginal" + (f" — {listing}" if listing else ""))
    need = f"needs {c_need} complete or {m_need} marginal"
    if completes >= c_need or marginals >= m_need:
        return [_reason("vouchers", "proceed", f"{counted}; meets the rule ({need})", evidence)]
    if strict.valid:
        return [_reason("vouchers", "proceed", f"{counted}; but valid by GnuPG's rule on the graph: "
                                               f"{strict.reasoning[-1]}", evidence)]
    return [_reason("vouchers", "needs-vouching", f"{counted}; below the rule ({need}): more independent "
                                                  f"vouchers needed", evidence)]


def _relationship_first(f: _Facts, p: Profile) -> list[dict[str, Any]]:
    t = p.thresholds
    near, far = int(t["max_person_hops"]), int(t["max_introduction_hops"])
    path = f.person_path()
    mine, theirs = f.staff_counts()
    evidence: dict[str, Any] = {"path": path, "max_person_hops": near, "max_introduction_hops": far,
                                "people": {"assessor": mine, "candidate": theirs}}
    if path is None:
        why = ("no people in post recorded for " + " and ".join(
            o for o, n in ((str(f.assessor), mine), (str(f.candidate), theirs)) if n == 0)) if not (mine and theirs) \
            else "no person-to-person path"
        return [_reason("person_path", "decline", f"{why}: no relationship to build on", evidence)]
    steps = " > ".join(f"{x['name']} ({x['organization']})" for x in path["people"])
    hops = path["hops"]
    if hops <= near:
        return [_reason("person_path", "proceed", f"person-to-person path of {hops} hop{'s' if hops != 1 else ''} "
                                                  f"≤ {near}: {steps}", evidence)]
    if hops <= far:
        return [_reason("person_path", "needs-vouching", f"shortest person-to-person path is {hops} hops (> {near}, "
                                                         f"≤ {far}): ask for an introduction along {steps}", evidence)]
    return [_reason("person_path", "decline", f"shortest person-to-person path is {hops} hops (> {far}): {steps}",
                    evidence)]


_RULES = {
    "verify-later": _verify_later,
    "reputation-first": _reputation_first,
    "vouched": _vouched,
    "relationship-first": _relationship_first,
}


def _factor_check(f: _Facts, p: Profile) -> list[dict[str, Any]]:
    """The pair's factor profile weighed by the profile's culture (docs/lifecycle.md)."""
    from .factors import factor_score

    weights, low, shortfall = p.factors.get("weights", {}), float(p.factors.get("min_score", 0.0)), \
        str(p.factors.get("shortfall", "proceed"))
    scored = factor_score(f.factors(), weights)
    evidence = {"factor_score": {"weighted": scored["weighted"], "min_score": low, "shortfall": shortfall,
                                 "weights": dict(weights), "known_weight": scored["known_weight"],
                                 "contributions": scored["contributions"], "drivers": scored["drivers"]}}
    if scored["weighted"] is None:
        return [_reason("factors", "proceed", "no weighted factor is known for this pair: the factors decide nothing",
                        evidence)]
    drove = ", ".join(f"{x} {scored['contributions'][x]:+.3f}" for x in scored["drivers"]) or "none"
    where = (f"weighted factor score {scored['weighted']:.3f} ({scored['known_weight']:.0%} of the weight known; "
             f"driven by {drove})")
    if scored["weighted"] < low:
        return [_reason("factors", shortfall, f"{where} < {low}", evidence)]
    return [_reason("factors", "proceed", f"{where} ≥ {low}", evidence)]


def _decide(f: _Facts, p: Profile, chosen_by: str) -> dict[str, Any]:
    reasons = _screen(f, p) + _RULES[p.rule](f, p) + _factor_check(f, p)
    decision = most_cautious(r["outcome"] for r in reasons)
    drivers = [r["reason"] for r in reasons if r["outcome"] == decision]
    return {
        "id": f.candidate,
        "name": f.name(f.candidate),
        "for": f.assessor,
        "for_name": f.name(f.assessor),
        "as_of": f.day,
        "profile": p.name,
        "rule": p.rule,
        "chosen_by": chosen_by,
        "culture": f.attributes(f.assessor).get("culture"),
        "risk_appetite": p.risk_appetite,
        "description": p.description,
        "decision": decision,
        "summary": f"{decision}: " + "; ".join(drivers),
        "reasons": reasons,
        "thresholds": dict(p.thresholds),
        "flags": dict(p.flags),
        "profiles_file": p.source,
        "factors": f.factors()["factors"],
        "factor_weights": dict(p.factors.get("weights", {})),
    }


def _prepare(
    tables: Mapping[str, pd.DataFrame],
    candidate: Hashable,
    assessor: Hashable,
    as_of: str | None,
    half_life_days: float | None,
    graph: Snapshot | nx.DiGraph | None,
    evidence: EvidenceSource,
    staff_tables: Mapping[str, pd.DataFrame] | None,
) -> _Facts:
    from ..snapshot import from_graph

    if graph is None:
        G: Snapshot | nx.DiGraph = compile_tables(tables, as_of=as_of, half_life_days=half_life_days)
    else:
        G = graph
    snap = G if isinstance(G, Snapshot) else from_graph(G)
    day = snap.as_of if isinstance(G, Snapshot) else str(G.graph.get("as_of"))
    for node, role in ((candidate, "candidate"), (assessor, "assessor")):
        if snap.find(node) is None:
            raise NotFoundError(f"no organisation {node!r} ({role})")
    if candidate == assessor:
        raise TrustgraphError("an organisation cannot assess itself")
    if evidence is None:
        evidence = evidence_frame(tables, as_of=day, half_life_days=half_life_days)
    def people() -> pd.DataFrame | None:
        # A snapshot holds the ties through shared people; with every row they are computed here.
        return None if isinstance(graph, Snapshot) else shared_people(tables, as_of=day, half_life_days=half_life_days)

    return _Facts(tables, G, snap, evidence, candidate, assessor, half_life_days, day=day, people=people,
                  staff=tables if staff_tables is None else staff_tables)


def _appetite(f: _Facts, risk_appetite: str | None) -> str:
    return risk_appetite or f.attributes(f.assessor).get("risk_appetite") or DEFAULT_RISK_APPETITE


def assess(
    tables: Mapping[str, pd.DataFrame],
    candidate: Hashable,
    assessor: Hashable,
    *,
    profile: str | None = None,
    profiles: ProfileBook | None = None,
    risk_appetite: str | None = None,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    graph: Snapshot | nx.DiGraph | None = None,
    evidence: EvidenceSource = None,
    staff_tables: Mapping[str, pd.DataFrame] | None = None,
    assessments_of: Callable[[list[Any]], pd.DataFrame | None] | None = None,
) -> dict[str, Any]:
    """Should ``assessor`` enter a partnership with ``candidate``? One profile's decision.

    Parameters
    ----------
    tables : mapping
        Canonical frames (incidents, referrals, listings, partnerships are read from them): every
        row, or with a snapshot ``graph`` the rows about the two parties (``Store.about``).
    candidate, assessor : organisation ids
    profile : str, optional
        Profile name; default: the assessor's ``culture``.
    profiles : ProfileBook, optional
        Profile definitions (default: :func:`load_profiles` with no override).
    risk_appetite : str, optional
        ``low``, ``medium`` or ``high``; default: the assessor's, else medium.
    as_of : str, optional
        ISO reference date (default: the newest event).
    half_life_days : float or None
        Evidence half-life (:mod:`trustgraph.evidence`).
    graph : Snapshot or networkx.DiGraph, optional
        The trust graph for the same ``as_of`` and half-life (compiled from ``tables`` if absent).
        With a :class:`~trustgraph.snapshot.Snapshot` (``open_snapshot``), ``tables`` need hold
        only the rows about the two parties (:meth:`Store.about`), and the reference date is the
        snapshot's ``as_of``.
    evidence : DataFrame or callable, optional
        The :func:`~trustgraph.evidence.evidence_frame` for the same date and half-life, or a
        function giving the evidence frame of the parties it is given (chain hops, the candidate's
        reputation); default: computed from ``tables`` (which then must hold every row).
    staff_tables : mapping, optional
        The tables of the staff graph (:data:`~trustgraph.analysis.continuity.STAFF_TABLES`, whole:
        a person-to-person path may cross any organisation); default ``tables``. Read only by the
        ``relationship-first`` profile.
    assessments_of : callable, optional
        Parties → their ``assessments`` rows, for the factor profile's situational need (the
        candidate's capable regional peers); default: ``tables["assessments"]``.

    Returns
    -------
    dict
        ``id``/``name`` (the candidate), ``for``/``for_name``, ``as_of``, ``profile``, ``rule``,
        ``chosen_by`` (``option`` or ``culture``), ``culture``, ``risk_appetite``, ``description``,
        ``decision`` (one of :data:`OUTCOMES`), ``summary``, ``reasons`` (every check: ``check``,
        ``outcome``, ``reason``, ``evidence``; the ``factors`` check weighs the pair's factor profile
        by the profile's weights), ``thresholds``, ``flags`` (the flag policy), ``profiles_file``,
        ``factors`` (the pair's factor profile: :func:`trustgraph.analysis.factors.factor_profile`)
        and ``factor_weights``.

    Raises
    ------
    NotFoundError
        When either organisation is not in the data.
    ConfigurationError
        When the profile does not exist, or none is given and the assessor has no culture.
    TrustgraphError
        When ``candidate`` is ``assessor``.
    """
    book = profiles or load_profiles()
    f = _prepare(tables, candidate, assessor, as_of, half_life_days, graph, evidence, staff_tables)
    f.assessments_of = assessments_of
    chosen_by = "option"
    if profile is None:
        profile = f.attributes(assessor).get("culture")
        chosen_by = "culture"
        if not profile:
            raise ConfigurationError(
                f"{assessor} has no trust culture in the data: choose a profile with --profile "
                f"({', '.join(book.names())}) or compare them all with --all-profiles")
    p = book.resolve(str(profile), _appetite(f, risk_appetite))
    return _decide(f, p, chosen_by)


def assess_all(
    tables: Mapping[str, pd.DataFrame],
    candidate: Hashable,
    assessor: Hashable,
    *,
    profiles: ProfileBook | None = None,
    risk_appetite: str | None = None,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
    graph: Snapshot | nx.DiGraph | None = None,
    evidence: EvidenceSource = None,
    staff_tables: Mapping[str, pd.DataFrame] | None = None,
    assessments_of: Callable[[list[Any]], pd.DataFrame | None] | None = None,
) -> dict[str, Any]:
    """Every profile's decision on ``candidate`` for ``assessor``: how the answer differs by culture.

    Parameters are those of :func:`assess` (every profile uses the same risk appetite).

    Returns
    -------
    dict
        ``id``, ``name``, ``for``, ``for_name``, ``as_of``, ``culture`` (the assessor's),
        ``risk_appetite``, ``decisions`` (one :func:`assess` result per profile, built-in ones first)
        and ``differs`` (whether the profiles disagree).
    """
    book = profiles or load_profiles()
    f = _prepare(tables, candidate, assessor, as_of, half_life_days, graph, evidence, staff_tables)
    f.assessments_of = assessments_of
    appetite = _appetite(f, risk_appetite)
    culture = f.attributes(assessor).get("culture")
    decisions = [_decide(f, book.resolve(name, appetite), "all-profiles") for name in book.names()]
    return {
        "id": candidate, "name": f.name(candidate), "for": assessor, "for_name": f.name(assessor), "as_of": f.day,
        "culture": culture, "risk_appetite": appetite, "decisions": decisions,
        "differs": len({d["decision"] for d in decisions}) > 1,
    }
