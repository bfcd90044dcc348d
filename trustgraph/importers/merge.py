"""Adding an imported network to a store without overwriting what the import did not create.

An import only adds:

* an organisation whose id is already stored is kept as it is; the one field an import can bring,
  the name (KONECT user names), is filled in only where the stored name is a placeholder (empty, or
  the id itself, as an earlier import without names left it);
* a referral keeps its derived id ``<source>><target>@<date>`` (see
  :mod:`trustgraph.importers.research`) when that id is free, is skipped when the store already holds
  the same referral under that id (so importing a file twice changes nothing), and otherwise takes the
  next free ``~2``, ``~3``, ... suffix: a stored referral is never replaced.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ..model import TABLES
from ..store.base import Store

__all__ = ["merge_import"]

_CONTENT = ("source", "target", "strength", "date", "recipient", "note")


def merge_import(result: Mapping[str, pd.DataFrame], store: Store) -> tuple[dict[str, pd.DataFrame], list[str]]:
    """The rows of an imported network that ``store`` does not hold yet, and notes on what was kept.

    Parameters
    ----------
    result : mapping
        Canonical ``organizations`` and ``referrals`` frames from an importer.
    store : Store
        The store they are added to (read only here).

    Returns
    -------
    (dict, list)
        The frames to load (new organisations, organisations whose placeholder name is filled in, new
        referrals), and one line per kind of row left as stored.
    """
    notes: list[str] = []
    orgs = _merge_organizations(result["organizations"], store, notes)
    refs = _merge_referrals(result["referrals"], store, notes)
    return {"organizations": orgs, "referrals": refs}, notes


def _merge_organizations(orgs: pd.DataFrame, store: Store, notes: list[str]) -> pd.DataFrame:
    stored = store.ids(["organizations"]).get("organizations", set())
    known = orgs["id"].isin(stored).to_numpy()
    if not known.any():
        return orgs
    fresh = orgs[~known]
    old = orgs[known]
    named = old[(old["name"] != old["id"]).to_numpy()]
    filled = pd.DataFrame(columns=orgs.columns)
    if len(named):
        rows = store.about(named["id"].tolist(), ["organizations"])["organizations"]
        placeholder = rows["name"].isna().to_numpy() | (rows["name"].fillna("") == "").to_numpy() \
            | (rows["name"] == rows["id"]).to_numpy()
        filled = rows[placeholder].copy()
        filled["name"] = filled["id"].map(dict(zip(named["id"], named["name"])))
    n_kept = int(known.sum()) - len(filled)
    if n_kept:
        notes.append(f"kept {n_kept} organisation{'s' if n_kept != 1 else ''} already in the store as stored")
    if len(filled):
        notes.append(f"filled in the name of {len(filled)} stored organisation{'s' if len(filled) != 1 else ''} "
                     "whose name was its id")
    out = pd.concat([fresh, filled[TABLES["organizations"].column_names]], ignore_index=True) if len(filled) else fresh
    return out.reset_index(drop=True)


def _merge_referrals(refs: pd.DataFrame, store: Store, notes: list[str]) -> pd.DataFrame:
    stored_ids = store.ids(["referrals"]).get("referrals", set())
    if not len(refs) or not refs["id"].isin(stored_ids).any():
        return refs
    # The stored rows that may hold one of these ids with the same content concern these parties.
    parties = pd.unique(np.concatenate([refs["source"].to_numpy(), refs["target"].to_numpy()]))
    rows = store.about(parties.tolist(), ["referrals"])["referrals"]
    stored_content = {i: c for i, *c in rows[["id", *_CONTENT]].itertuples(index=False, name=None)}
    base = (refs["source"].astype(str) + ">" + refs["target"].astype(str) + "@" + refs["date"].astype(str)).tolist()
    contents = list(refs[list(_CONTENT)].itertuples(index=False, name=None))
    claimed: set[str] = set()
    first_unclaimed: dict[str, int] = {}  # every candidate of a base below it is claimed
    ids: list[str] = []
    keep = np.zeros(len(refs), dtype=bool)
    same = moved = 0
    for i, (b, content) in enumerate(zip(base, contents)):
        k = first_unclaimed.get(b, 1)
        while True:
            candidate = _candidate(b, k)
            if candidate not in claimed:
                if candidate not in stored_ids:
                    keep[i] = True
                    break
                if candidate in stored_content and _same(stored_content[candidate], content):
                    same += 1
                    break
            k += 1
        claimed.add(candidate)
        low = first_unclaimed.get(b, 1)
        while _candidate(b, low) in claimed:
            low += 1
        first_unclaimed[b] = low
        if keep[i] and candidate != refs["id"].iat[i]:
            moved += 1
        ids.append(candidate)
    if same:
        notes.append(f"kept {same} referral{'s' if same != 1 else ''} already in the store (same id and content)")
    if moved:
        notes.append(f"gave {moved} referral{'s' if moved != 1 else ''} a new id suffix: a different stored "
                     "referral holds the derived id")
    out = refs.assign(id=np.array(ids, dtype=object))
    return out[keep].reset_index(drop=True)


def _candidate(base: str, k: int) -> str:
    return base if k == 1 else f"{base}~{k}"


def _same(a: list[object] | tuple[object, ...], b: tuple[object, ...]) -> bool:
    """Equal canonical values (``None`` and NaN both mean missing)."""
    for x, y in zip(a, b):
        x_missing = x is None or (isinstance(x, float) and x != x)
        y_missing = y is None or (isinstance(y, float) and y != y)
        if x_missing or y_missing:
            if x_missing != y_missing:
                return False
        elif x != y:
            return False
    return True
