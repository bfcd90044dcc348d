"""Every attack generator in benchmarks/attacks/ (issue 16) follows the generator interface.

Each module there (but ``_``-prefixed helpers) has a ``DESCRIPTION``, a ``HELD_OUT`` flag (true exactly
for the ``heldout_*`` modules), ``PARAMS`` and ``generate(folder, seed, *, orgs, **params)``, which
writes a dataset folder that ``trustgraph load`` takes without problems and returns the role of every
organisation. These tests check the interface and the data only; they never score a generator (the
held-out ones must not be used to choose anything of the method).
"""

from __future__ import annotations

import csv
import filecmp
import importlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
ATTACKS = ROOT / "benchmarks" / "attacks"
NAMES = sorted(p.stem for p in ATTACKS.glob("*.py") if not p.stem.startswith("_"))
HELD_OUT = ["heldout_honest_hubs", "heldout_late_endorsers", "heldout_long_con", "heldout_mixed_world",
            "heldout_partnership_shells"]
ROLES = {"listed", "attacker", "front", "honest_partner", "honest"}
POSITIVE = {"attacker", "front"}
SMALL = 300  # organisations per generated network in these tests


def _module(name: str) -> ModuleType:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    return importlib.import_module(f"benchmarks.attacks.{name}")


def _rows(folder: Path, table: str) -> list[dict[str, str]]:
    path = folder / f"{table}.csv"
    if not path.exists():
        return []
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _ties(folder: Path, parties: set[str]) -> tuple[set[str], set[str]]:
    """(every party with any tie to ``parties``, every party sharing a partnership with one of them)."""
    members: dict[str, set[str]] = {}
    for row in _rows(folder, "partnership_members"):
        members.setdefault(row["partnership"], set()).add(row["organization"])
    shared = {m for group in members.values() if group & parties for m in group}
    tied = set(shared)
    for table, a, b in (("referrals", "source", "target"), ("incidents", "reporter", "subject"),
                        ("communications", "a", "b")):
        for row in _rows(folder, table):
            if row[a] in parties:
                tied.add(row[b])
            if row[b] in parties:
                tied.add(row[a])
    # People: one who worked at both (a job change), or a personal tie between their staff.
    people = _rows(folder, "people")
    org = {row["id"]: row["organization"] for row in people}
    moves = [(row["id"], row["previous"]) for row in people if row.get("previous")]
    for p, q in moves + [(row["a"], row["b"]) for row in _rows(folder, "personal_ties")]:
        if org[p] in parties:
            tied.add(org[q])
        if org[q] in parties:
            tied.add(org[p])
    return tied - parties, shared - parties


def test_the_held_out_generators_are_there() -> None:
    assert set(HELD_OUT) <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_interface(name: str) -> None:
    module = _module(name)
    assert isinstance(module.DESCRIPTION, str) and len(module.DESCRIPTION.split()) >= 60
    assert module.HELD_OUT is name.startswith("heldout_")
    assert isinstance(module.PARAMS, dict) and module.PARAMS
    for key, values in module.PARAMS.items():
        assert isinstance(key, str) and isinstance(values, list) and values
    assert callable(module.generate)


@pytest.mark.parametrize("name", NAMES)
def test_deterministic_for_a_seed(name: str, tmp_path: Path) -> None:
    module = _module(name)
    first = module.generate(tmp_path / "a", 3, orgs=SMALL)
    again = module.generate(tmp_path / "b", 3, orgs=SMALL)
    other = module.generate(tmp_path / "c", 4, orgs=SMALL)
    assert first == again
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "a", tmp_path / "b", files, shallow=False)
    assert (mismatch, errors) == ([], [])
    assert other != first or any(not filecmp.cmp(tmp_path / "a" / f, tmp_path / "c" / f, shallow=False)
                                 for f in files)


@pytest.mark.parametrize("name", NAMES)
def test_every_reported_setting_generates(name: str, tmp_path: Path) -> None:
    module = _module(name)
    for key, values in module.PARAMS.items():
        for value in values:
            roles = module.generate(tmp_path / f"{key}-{value}", 0, orgs=SMALL, **{key: value})
            ids = {row["id"] for row in _rows(tmp_path / f"{key}-{value}", "organizations")}
            assert set(roles) == ids, (key, value)
            assert POSITIVE & set(roles.values()), (key, value)


@pytest.mark.parametrize("name", NAMES)
def test_loads_with_the_roles_it_claims(name: str, tmp_path: Path,
                                        run_cli: Callable[..., tuple[int, str, str]]) -> None:
    folder = tmp_path / "data"
    roles: dict[str, Any] = _module(name).generate(folder, 1, orgs=SMALL)
    store = tmp_path / "store.db"
    code, out, err = run_cli(["--store", str(store), "-q", "load", str(folder), "--format", "json"])
    assert code == 0, err
    # The only warnings allowed name the outside authorities that listed a party.
    assert [w for w in json.loads(out)["warnings"] if "outside party" not in w] == []
    code, out, err = run_cli(["--store", str(store), "stats", "--format", "json"])
    assert code == 0, err
    stats = json.loads(out)
    end = stats["as_of"]

    orgs = _rows(folder, "organizations")
    assert set(roles) == {row["id"] for row in orgs} and len(orgs) == len(roles)
    assert set(roles.values()) <= ROLES
    assert all(row.get("pretrusted", "").strip().lower() in ("", "false") for row in orgs)
    assert sum(r in POSITIVE for r in roles.values()) >= 2
    in_force = {row["listed"] for row in _rows(folder, "blacklist")
                if row["date"] <= end and (not row.get("until") or row["until"] > end)}
    listed = {org for org, role in roles.items() if role == "listed"}
    assert listed and listed == in_force
    assert stats["listed_now"] == len(listed)
    tied, shared = _ties(folder, listed)
    partners = {org for org, role in roles.items() if role == "honest_partner"}
    assert partners and partners <= tied
    assert not shared & {org for org, role in roles.items() if role == "honest"}


@pytest.mark.parametrize("name", NAMES)
def test_dates_within_2014_2025(name: str, tmp_path: Path) -> None:
    folder = tmp_path / "data"
    _module(name).generate(folder, 1, orgs=SMALL)
    for table, columns in (("partnerships", ("start", "end")), ("referrals", ("date",)), ("incidents", ("date",)),
                           ("blacklist", ("date",)), ("communications", ("date",))):
        for row in _rows(folder, table):
            for column in columns:
                assert not row.get(column) or "2014-01-01" <= row[column] <= "2025-12-31", (table, row)


def test_the_registry_marks_the_held_out_generators() -> None:
    _module(HELD_OUT[0])  # puts the repository root on sys.path
    attacks = importlib.import_module("benchmarks.attacks")
    flags = {g.name: g.held_out for g in attacks.registry()}
    assert {name: flags.get(name) for name in HELD_OUT} == dict.fromkeys(HELD_OUT, True)


def _write(folder: Path, table: str, header: str, *rows: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{table}.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")


def test_the_benchmark_dates_each_partners_dealings_with_a_listed_party(tmp_path: Path) -> None:
    """attack_bench's split of honest partners: days from the newest dealing of its own to the listing."""
    _module(HELD_OUT[0])  # puts the repository root on sys.path
    bench = importlib.import_module("benchmarks.attack_bench")
    d = tmp_path / "data"
    _write(d, "blacklist", "id,lister,listed,date,until,reason,source",
           "B1,X,L,2022-01-01,,fraud,notice", "B2,X,L,2023-01-01,,again,notice")
    _write(d, "partnerships", "id,name,kind,start,end,status",
           "P1,old,bilateral,2018-01-01,2020-06-30,completed",      # ended 550 days before
           "P2,late,bilateral,2021-01-01,2021-10-01,completed",     # ended 92 days before
           "P3,broken,bilateral,2021-06-01,2021-12-01,terminated",  # a termination: not a dealing
           "P4,running,bilateral,2020-01-01,,active")               # runs through the listing
    _write(d, "partnership_members", "partnership,organization,role",
           "P1,A,member", "P1,L,member", "P2,B,member", "P2,L,member", "P3,C,member", "P3,L,member",
           "P4,D,member", "P4,L,member")
    _write(d, "referrals", "id,source,target,strength,date,note",
           "R1,E,L,0.8,2022-03-01,after the listing", "R2,F,L,-0.5,2021-12-01,a warning",
           "R3,L,G,0.9,2021-12-01,received, not given")
    _write(d, "communications", "id,a,b,date,channel", "C1,L,H,2020-01-01,email")
    _write(d, "people", "id,name,organization,role,from,until,previous",
           "p1,Ann,L,,2015-01-01,2021-09-01,", "p2,Ann,I,,2021-09-02,,p1",  # moved L -> I, 121 days before
           "p3,Bo,J,,2010-01-01,,", "p4,Cy,L,,2010-01-01,,")
    _write(d, "personal_ties", "a,b,kind,since", "p3,p4,friend,2012-01-01")
    gaps = bench.dealing_gaps(d, {"L"})  # days before L's first listing, 2022-01-01 (0: at or after it)
    assert gaps == {"A": 550, "B": 92, "D": 0, "E": 0, "H": 731, "I": 121, "J": 0}
    assert set(bench.dealing_gaps(d, {"L"}, dated=False)) == {"A", "B", "D", "E", "H", "I", "J"}
