"""Evidence between organisations, and local (pairwise) trust from it.

Every row of the dataset that says something about how far party *i* can trust party *j* becomes one
row of *evidence* (i → j): positive or negative, weighted, and decayed with its age. The evidence of
each ordered pair is combined as a Beta reputation (Jøsang & Ismail, "The Beta Reputation System",
2002)::

    trust       = (r + 1) / (r + s + 2)
    uncertainty = 2 / (r + s + 2)

with *r* the decayed positive and *s* the decayed negative evidence. With no evidence trust is 0.5
and uncertainty 1; every figure can be traced back to its rows with :func:`evidence_frame`.

Weights (:data:`WEIGHTS`) and why
---------------------------------
* ``referral``: one unit per unit of strength, signed — a referral is an explicit, deliberate
  statement of trust (or, negative, a warning) by the referrer; it is the reference unit.
* ``partnership``: shared action is the strongest evidence of reliability, but only once it is
  finished: ``completed`` counts 1.0, ``active`` 0.5 (commitment shown, delivery not yet),
  ``suspended`` 0.25 negative and ``terminated`` 0.5 negative. The weight is split over the other
  members of a multi-party partnership (divided by *members − 1*): sitting on a nine-member platform
  says less about each co-member than a bilateral project does.
* ``communication``: 0.1 per contact — frequency of communication builds trust, but one call is weak
  evidence compared with a delivered project (ten contacts ≈ one completed partnership).
* ``incident``: 0.5 per severity point against the subject, from the reporter (severity 5 outweighs
  two completed partnerships). Follow-up actions multiply the incident's weight (:data:`ACTION_FACTORS`):
  a post-mortem 0.6, mediation 0.7, staff rotation 0.8, a written reset 0.5 (repair restores part
  of the lost trust, never all of it), termination 1.5 and legal action 2.0 (escalation deepens it).

Decay: each piece of evidence is weighted by ``0.5 ** (age / half_life)`` where age is counted from
the reference date — ``as_of`` when given, else the newest event in the data, so that results do not
drift with the wall clock. Evidence dated after the reference date is ignored. An ongoing (active)
partnership is dated at the reference date.

Standing opinions and activity
------------------------------
Evidence answers two questions, and age means something different to each (docs/threat-model.md,
"Evidence kinds and time"):

* **What does i think of j now** (local trust, and everything built on it: reputation, vouching
  chains, assessments, the maps' edge trust). Events fade — a project delivered five years ago says
  less about today's partner than last year's — but a referral is a *standing opinion*: the referrer
  said, deliberately, that j can be trusted, and that stays its word until it gives another (a newer
  referral, a warning, an incident report, which all count beside it). Referrals (:data:`STANDING_KINDS`)
  therefore keep full weight here: ``weight`` is 1 for them and the decay factor for every other kind.
* **How much of i's recent activity is with j** (blacklist contagion: exposure is a share of what a
  party has been doing, and an association is judged by when it happened relative to a listing).
  Here every kind fades with its age, referrals too: ``activity`` is the decay factor of every row.

With decay disabled (half-life ``None`` or 0) the two are the same.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from .model import DATE_MIN, latest_date

__all__ = [
    "DEFAULT_HALF_LIFE_DAYS",
    "STANDING_KINDS",
    "trust_weights",
    "WEIGHTS",
    "ACTION_FACTORS",
    "EVIDENCE_COLUMNS",
    "EVIDENCE_TABLES",
    "reference_date",
    "evidence_frame",
    "local_trust",
    "beta_trust",
]

#: Two years: a partner's conduct two years ago counts half as much as today's.
DEFAULT_HALF_LIFE_DAYS = 730.0

#: Evidence kinds that are standing opinions: they do not fade in local trust (only in activity).
STANDING_KINDS: tuple[str, ...] = ("referral",)

WEIGHTS: dict[str, float] = {
    "referral": 1.0,
    "partnership_completed": 1.0,
    "partnership_active": 0.5,
    "partnership_suspended": -0.25,
    "partnership_terminated": -0.5,
    "communication": 0.1,
    "incident_per_severity": 0.5,
}

ACTION_FACTORS: dict[str, float] = {
    "post_mortem": 0.6,
    "mediation": 0.7,
    "staff_rotation": 0.8,
    "reset": 0.5,
    "termination": 1.5,
    "legal_action": 2.0,
}

#: The tables :func:`evidence_frame` reads (given an explicit ``as_of``).
EVIDENCE_TABLES = (
    "referrals", "partnerships", "partnership_members", "communications", "incidents", "incident_actions",
)

#: Columns of :func:`evidence_frame`.
EVIDENCE_COLUMNS = ("src", "dst", "kind", "ref", "date", "value", "weight", "positive", "negative", "activity",
                    "detail")


def trust_weights(kind: pd.Series, fade: np.ndarray) -> np.ndarray:
    """Each evidence row's weight in local trust: its decay factor ``fade``, or 1 for a standing
    opinion (:data:`STANDING_KINDS`; see the module docs, "Standing opinions and activity")."""
    return np.where(kind.isin(STANDING_KINDS).to_numpy(), 1.0, np.asarray(fade, dtype=float))


def beta_trust(positive: float, negative: float) -> tuple[float, float]:
    """Beta-reputation expectation and uncertainty from positive and negative evidence.

    >>> beta_trust(0.0, 0.0)
    (0.5, 1.0)
    >>> beta_trust(2.0, 0.0)
    (0.75, 0.5)
    """
    total = positive + negative + 2.0
    return (positive + 1.0) / total, 2.0 / total


_NS_MIN, _NS_MAX = pd.Timestamp.min.ceil("D"), pd.Timestamp.max.floor("D")


def _dates(values: pd.Series) -> pd.Series:
    """Dates of ISO cells (a time part ignored); empty or unparsable cells become NaT."""
    # A network has far fewer distinct dates than rows: parse each distinct cell once.
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    texts = pd.Series(np.asarray(uniques, dtype=object)).astype("string").str.slice(0, 10)
    stamps = pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce")
    # Outside the nanosecond range (before 1677 or after 2262) a cast would wrap around silently
    # (0001-01-01 became 1754-08-30): such dates become NaT instead, like any unusable cell.
    parsed = stamps.where((stamps >= _NS_MIN) & (stamps <= _NS_MAX)).to_numpy(dtype="datetime64[ns]")
    days = np.append(parsed, np.datetime64("NaT", "ns"))[codes]  # code −1 (empty) picks the NaT
    return pd.Series(days, index=values.index)


def reference_date(tables: Mapping[str, pd.DataFrame], as_of: str | None = None) -> pd.Timestamp:
    """The date evidence is aged against: ``as_of``, else the newest dated row in ``tables``.

    Only dates in the plausible range count (:func:`trustgraph.model.check_date`: 1900-01-01 to one
    year after today): validation refuses others, and a store written before that rule may still hold
    one (``9999-12-31``), which must not move every analysis to that year. With no such date the
    reference is 1970-01-01. An explicit ``as_of`` (the CLI allows only the plausible range; callers
    may pass a stored event's day) is kept within 1677-09-22 .. 2262-04-11, the range of a
    timestamp, so that ``strftime`` always gives ``YYYY-MM-DD``.

    Raises
    ------
    ValueError
        When ``as_of`` does not start with a calendar date ``YYYY-MM-DD``.
    """
    if as_of:
        day = str(as_of)[:10]
        try:
            if len(day) != 10:
                raise ValueError(day)
            _dt.date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"as-of date {str(as_of)!r}: expected an ISO 8601 date YYYY-MM-DD") from None
        if day < _NS_MIN.strftime("%Y-%m-%d"):
            return _NS_MIN
        if day > _NS_MAX.strftime("%Y-%m-%d"):
            return _NS_MAX
        return pd.Timestamp(day)
    low, high = pd.Timestamp(DATE_MIN), pd.Timestamp(latest_date())
    newest: list[pd.Timestamp] = []
    for name, cols in (
        ("referrals", ["date"]),
        ("incidents", ["date"]),
        ("incident_actions", ["date"]),
        ("communications", ["date"]),
        ("blacklist", ["date"]),
        ("partnerships", ["start", "end"]),
    ):
        frame = tables.get(name)
        if frame is None or not len(frame):
            continue
        for col in cols:
            days = _dates(frame[col])
            d = days[(days >= low) & (days <= high)].max()
            if pd.notna(d):
                newest.append(d)
    return max(newest) if newest else pd.Timestamp("1970-01-01")


def _decay(dates: pd.Series, ref: pd.Timestamp, half_life_days: float | None) -> np.ndarray:
    if not half_life_days or not np.isfinite(half_life_days):
        return np.ones(len(dates))
    age = (ref - dates).dt.days.to_numpy(dtype=float, na_value=0.0)
    return np.power(0.5, np.clip(age, 0.0, None) / float(half_life_days))


def _frame(**cols: object) -> pd.DataFrame:
    return pd.DataFrame(cols)


def evidence_frame(
    tables: Mapping[str, pd.DataFrame],
    *,
    as_of: str | None = None,
    half_life_days: float | None = DEFAULT_HALF_LIFE_DAYS,
) -> pd.DataFrame:
    """Every piece of evidence between organisations, one row each.

    Parameters
    ----------
    tables : mapping
        Canonical frames by table name (missing tables count as empty).
    as_of : str, optional
        ISO date; evidence after it is ignored and ages count from it. Default: the newest event.
    half_life_days : float or None
        Age at which evidence counts half; ``None`` or 0 disables decay.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`EVIDENCE_COLUMNS`: ``src`` trusts (or distrusts) ``dst`` because of the row
        ``ref`` of kind ``kind`` (referral, partnership, communication, incident) dated ``date``;
        ``value`` is the raw signed amount before decay, ``weight`` its weight in local trust (the
        decay factor; 1 for a standing opinion, :data:`STANDING_KINDS`), ``positive`` and ``negative``
        the weighted evidence, ``activity`` the decay factor of the row as activity (every kind fades;
        see the module docs), ``detail`` the note, status or description.
    """
    ref = reference_date(tables, as_of)
    parts: list[pd.DataFrame] = []

    refs = tables.get("referrals")
    if refs is not None and len(refs):
        dates = _dates(refs["date"])
        keep = (dates <= ref).to_numpy()
        r = refs.loc[keep]
        d = dates[keep]
        strength = r["strength"].to_numpy(dtype=float) * WEIGHTS["referral"]
        parts.append(_frame(
            src=r["source"].to_numpy(), dst=r["target"].to_numpy(), kind="referral", ref=r["id"].to_numpy(),
            date=r["date"].to_numpy(), value=strength, weight=_decay(d, ref, half_life_days),
            detail=r["note"].to_numpy(),
        ))

    parts.append(_partnership_evidence(tables, ref, half_life_days))

    comms = tables.get("communications")
    if comms is not None and len(comms):
        dates = _dates(comms["date"])
        keep = (dates <= ref).to_numpy()
        c = comms.loc[keep]
        w = _decay(dates[keep], ref, half_life_days)
        for a, b in (("a", "b"), ("b", "a")):
            parts.append(_frame(
                src=c[a].to_numpy(), dst=c[b].to_numpy(), kind="communication", ref=c["id"].to_numpy(),
                date=c["date"].to_numpy(), value=WEIGHTS["communication"], weight=w,
                detail=c["channel"].to_numpy(),
            ))

    parts.append(_incident_evidence(tables, ref, half_life_days))

    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in EVIDENCE_COLUMNS}).astype(
            {"value": float, "weight": float, "positive": float, "negative": float, "activity": float}
        )
    ev = pd.concat(parts, ignore_index=True)
    value = ev["value"].to_numpy(dtype=float)
    ev["activity"] = ev["weight"].to_numpy(dtype=float)  # every kind fades as activity
    weight = trust_weights(ev["kind"], ev["activity"].to_numpy(dtype=float))
    ev["weight"] = weight
    ev["positive"] = np.where(value > 0, value, 0.0) * weight
    ev["negative"] = np.where(value < 0, -value, 0.0) * weight
    return ev[list(EVIDENCE_COLUMNS)]


def _partnership_evidence(
    tables: Mapping[str, pd.DataFrame], ref: pd.Timestamp, half_life_days: float | None
) -> pd.DataFrame:
    ships = tables.get("partnerships")
    members = tables.get("partnership_members")
    if ships is None or members is None or not len(ships) or not len(members):
        return pd.DataFrame()
    s = ships.copy()
    start = _dates(s["start"])
    end = _dates(s["end"])
    s = s.loc[~(start > ref).to_numpy()]
    start, end = start[s.index], end[s.index]
    ended = (end <= ref).to_numpy()
    # As of a date before its end, a partnership was still running.
    status = np.where(ended | end.isna().to_numpy(), s["status"].to_numpy(), "active")
    status = np.where((status == "completed") & ~ended, "active", status)
    when = end.where(ended, ref)
    value = np.array([WEIGHTS.get(f"partnership_{st}", 0.0) for st in status])
    info = pd.DataFrame({
        "partnership": s["id"].to_numpy(), "status": status, "value": value,
        "date": when.dt.strftime("%Y-%m-%d").to_numpy(), "weight": _decay(when, ref, half_life_days),
    })
    m = members[["partnership", "organization"]].merge(info, on="partnership")
    m["n_other"] = m.groupby("partnership")["organization"].transform("count") - 1
    pairs = m.merge(m[["partnership", "organization"]], on="partnership", suffixes=("", "_other"))
    pairs = pairs.loc[pairs["organization"] != pairs["organization_other"]]
    n_other = np.maximum(pairs["n_other"].to_numpy(dtype=float), 1.0)
    return _frame(
        src=pairs["organization"].to_numpy(), dst=pairs["organization_other"].to_numpy(), kind="partnership",
        ref=pairs["partnership"].to_numpy(), date=pairs["date"].to_numpy(),
        value=pairs["value"].to_numpy(dtype=float) / n_other, weight=pairs["weight"].to_numpy(),
        detail=pairs["status"].to_numpy(),
    )


def _incident_evidence(
    tables: Mapping[str, pd.DataFrame], ref: pd.Timestamp, half_life_days: float | None
) -> pd.DataFrame:
    inc = tables.get("incidents")
    if inc is None or not len(inc):
        return pd.DataFrame()
    dates = _dates(inc["date"])
    i = inc.loc[(dates <= ref).to_numpy()]
    dates = dates[i.index]
    factor = pd.Series(1.0, index=i["id"].to_numpy())
    actions = tables.get("incident_actions")
    if actions is not None and len(actions):
        a = actions.loc[(_dates(actions["date"]) <= ref).to_numpy()]
        if len(a):
            f = a["kind"].map(ACTION_FACTORS).astype(float)
            prod = f.groupby(a["incident"].to_numpy()).prod()
            factor = factor.mul(prod.reindex(factor.index).fillna(1.0))
    value = -WEIGHTS["incident_per_severity"] * i["severity"].to_numpy(dtype=float) * factor.to_numpy()
    return _frame(
        src=i["reporter"].to_numpy(), dst=i["subject"].to_numpy(), kind="incident", ref=i["id"].to_numpy(),
        date=i["date"].to_numpy(), value=value, weight=_decay(dates, ref, half_life_days),
        detail=i["description"].to_numpy(),
    )


def local_trust(evidence: pd.DataFrame) -> pd.DataFrame:
    """Combine evidence per ordered pair into Beta trust.

    Parameters
    ----------
    evidence : pandas.DataFrame
        As returned by :func:`evidence_frame`.

    Returns
    -------
    pandas.DataFrame
        One row per (``src``, ``dst``) with ``positive``, ``negative``, ``trust``, ``uncertainty``,
        ``evidence`` (number of rows), ``kinds`` (``;``-joined, sorted) and ``last`` (newest date).
    """
    cols = ["src", "dst", "positive", "negative", "trust", "uncertainty", "evidence", "kinds", "last"]
    if not len(evidence):
        return pd.DataFrame({c: [] for c in cols})
    # Dates as sortable integer codes: a max over object columns falls back to pure Python.
    codes, uniques = pd.factorize(evidence["date"].astype(str), sort=True)
    frame = evidence[["src", "dst", "positive", "negative"]].assign(_date=codes)
    g = frame.groupby(["src", "dst"], sort=True)
    out = g.agg(positive=("positive", "sum"), negative=("negative", "sum"), evidence=("positive", "size"),
                last=("_date", "max"))
    out["last"] = np.asarray(uniques, dtype=object)[out["last"].to_numpy()]
    if evidence["kind"].nunique() == 1:
        out["kinds"] = evidence["kind"].iloc[0]
    else:
        kinds = evidence[["src", "dst", "kind"]].drop_duplicates().sort_values(["src", "dst", "kind"])
        out["kinds"] = kinds.groupby(["src", "dst"], sort=True)["kind"].agg(";".join)
    total = out["positive"] + out["negative"] + 2.0
    out["trust"] = (out["positive"] + 1.0) / total
    out["uncertainty"] = 2.0 / total
    return out.reset_index()[cols]
