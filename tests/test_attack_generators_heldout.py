"""The three held-out generators written from their descriptions (issue 16) write what they describe.

Each writes, for a seed, the same folder every time; ``trustgraph load`` takes it without problems;
every organisation has a role, with positives and honest partners among them; and the attack's own
evidence is in the data (shells write no referral, accomplices keep dealing after the listing, the
mixed world has an expired listing, a front and late endorsers), while no honest party works with or
praises a listed party after its listing. Nothing here scores a generator: they are held out.
"""

from __future__ import annotations

import filecmp
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pytest
from test_attack_generators import _module, _rows

NAMES = ["heldout_partnership_shells", "heldout_long_con", "heldout_mixed_world"]
POSITIVE = {"attacker", "front"}
SMALL = 300


class _Data:
    """A generated folder, read back: listings in force, partnerships with their members, events."""

    def __init__(self, folder: Path) -> None:
        self.listed = {r["listed"]: r["date"] for r in _rows(folder, "blacklist") if not r["until"]}
        self.expired = [r for r in _rows(folder, "blacklist") if r["until"]]
        members: dict[str, list[str]] = defaultdict(list)
        for r in _rows(folder, "partnership_members"):
            members[r["partnership"]].append(r["organization"])
        self.partnerships = [(r, members[r["id"]]) for r in _rows(folder, "partnerships")]
        self.referrals = _rows(folder, "referrals")
        self.incidents = _rows(folder, "incidents")
        self.contacts = _rows(folder, "communications")
        self.people = {r["id"]: r for r in _rows(folder, "people")}


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, str]]]:
    out = {}
    for name in NAMES:
        folder = tmp_path_factory.mktemp(name) / "data"
        out[name] = (folder, _module(name).generate(folder, 0, orgs=SMALL))
    return out


@pytest.mark.parametrize("name", NAMES)
def test_held_out_and_deterministic(name: str, generated: dict[str, tuple[Path, dict[str, str]]],
                                    tmp_path: Path) -> None:
    module = _module(name)
    assert module.HELD_OUT is True and "held-out" in (module.__doc__ or "").lower()
    assert module.PARAMS["camouflage"] == [0, 10, 20]
    folder, roles = generated[name]
    again = module.generate(tmp_path / "again", 0, orgs=SMALL)
    assert again == roles
    files = sorted(p.name for p in folder.iterdir())
    assert files == sorted(p.name for p in (tmp_path / "again").iterdir())
    assert filecmp.cmpfiles(folder, tmp_path / "again", files, shallow=False)[1:] == ([], [])
    assert module.generate(tmp_path / "other", 1, orgs=SMALL) != roles


@pytest.mark.parametrize("name", NAMES)
def test_loads_with_roles_positives_and_honest_partners(name: str, generated: dict[str, tuple[Path, dict[str, str]]],
                                                        run_cli: Callable[..., tuple[int, str, str]],
                                                        tmp_path: Path) -> None:
    _write = _module("_write")
    folder, roles = generated[name]
    code, out, err = run_cli(["--store", str(tmp_path / "s.db"), "-q", "load", str(folder), "--format", "json"])
    assert code == 0, err
    assert [w for w in json.loads(out)["warnings"] if "outside party" not in w] == []
    assert set(roles) == {r["id"] for r in _rows(folder, "organizations")}
    assert set(roles.values()) <= set(_write.ROLES)
    counts = {role: sum(r == role for r in roles.values()) for role in _write.ROLES}
    assert counts["attacker"] + counts["front"] >= 2 and counts["honest_partner"] >= 10
    assert {o for o, r in roles.items() if r == "listed"} == set(_Data(folder).listed)


@pytest.mark.parametrize("name", NAMES)
def test_no_honest_party_works_with_or_praises_a_listed_party_after_its_listing(
        name: str, generated: dict[str, tuple[Path, dict[str, str]]]) -> None:
    folder, roles = generated[name]
    data = _Data(folder)
    honest = {o for o, r in roles.items() if r in ("honest", "honest_partner")}
    for row, members in data.partnerships:
        for x in set(members) & set(data.listed):
            if honest & set(members):
                assert row["start"] < data.listed[x] and row["end"] and row["end"] <= data.listed[x], row
    for r in data.referrals:
        if r["target"] in data.listed and r["source"] in honest and r["date"] >= data.listed[r["target"]]:
            assert float(r["strength"]) < 0, r  # only warnings
    for r in data.contacts:
        for a, b in ((r["a"], r["b"]), (r["b"], r["a"])):
            assert not (b in data.listed and a in honest and r["date"] > data.listed[b]), r


def test_shells_write_no_referral_and_share_people_with_the_listed_party(
        generated: dict[str, tuple[Path, dict[str, str]]]) -> None:
    folder, roles = generated["heldout_partnership_shells"]
    data = _Data(folder)
    shells = {o for o, r in roles.items() if r == "attacker"}
    assert len(shells) >= 8
    assert not [r for r in data.referrals if r["source"] in shells or (r["target"] in shells and
                                                                        r["source"] in data.listed)]
    assert not [r for r in data.incidents if r["reporter"] in shells]
    after = {o for row, members in data.partnerships for x in set(members) & set(data.listed)
             if not row["end"] or row["end"] > data.listed[x] for o in members}
    assert shells <= after
    moved = {(data.people[p["previous"]]["organization"], p["organization"])
             for p in data.people.values() if p["previous"]}
    assert any(a in data.listed and b in shells for a, b in moved)


def test_accomplices_keep_dealing_and_endorsing_after_the_listing(
        generated: dict[str, tuple[Path, dict[str, str]]]) -> None:
    folder, roles = generated["heldout_long_con"]
    data = _Data(folder)
    accomplices = {o for o, r in roles.items() if r == "attacker"}
    assert len(accomplices) >= 6
    for a in accomplices:
        (x,) = {m for row, members in data.partnerships if a in members for m in members} & set(data.listed)
        t = data.listed[x]
        spans = [row for row, members in data.partnerships if set(members) == {a, x}]
        assert any(row["start"] < t and not row["end"] for row in spans)  # since before the listing, still on
        assert any(row["start"] > t for row in spans)  # a renewal after it
        assert sum(r["date"] > t for r in data.contacts if {r["a"], r["b"]} == {a, x}) >= 2
        assert any(r["source"] == a and r["target"] == x and float(r["strength"]) > 0 for r in data.referrals)


def test_mixed_world_has_an_expired_listing_a_front_and_late_endorsers(
        generated: dict[str, tuple[Path, dict[str, str]]]) -> None:
    folder, roles = generated["heldout_mixed_world"]
    data = _Data(folder)
    assert data.expired and all(r["until"] < "2025-06-30" for r in data.expired)
    assert all(roles[r["listed"]] != "listed" for r in data.expired)
    (front,) = [o for o, r in roles.items() if r == "front"]
    owned = [(row, members) for row, members in data.partnerships if row["kind"] == "ownership" and front in members]
    (x,) = set(owned[0][1]) & set(data.listed)
    assert all(row["start"] > data.listed[x] for row, members in data.partnerships if front in members)
    late = {r["source"] for r in data.referrals if roles[r["source"]] == "attacker" and r["target"] in data.listed
            and r["date"] > data.listed[r["target"]] and float(r["strength"]) > 0}
    assert len(late) >= 3  # the late endorsers and the ring members endorsing after the listing
