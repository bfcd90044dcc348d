"""Research importers on the real files: counts match ../shared/data/README.md."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import store_digest

from trustgraph.errors import InvalidDataError
from trustgraph.graph import project
from trustgraph.importers import read_konect, read_snap_signed
from trustgraph.store import SqliteStore

pytestmark = pytest.mark.realdata


def test_bitcoin_otc_counts_and_scaling(otc_tables) -> None:
    orgs, refs = otc_tables["organizations"], otc_tables["referrals"]
    assert len(orgs) == 5881
    assert len(refs) == 35592
    strength = refs["strength"].astype(float)
    assert strength.min() == -1.0 and strength.max() == 1.0
    assert round((strength > 0).mean() * 100, 2) == 89.99
    first = refs.iloc[0]
    assert (first["source"], first["target"], first["strength"], first["date"]) == ("6", "2", 0.4, "2010-11-08")
    # Ids derived from source, target and date cannot collide with another import's.
    assert first["id"] == "6>2@2010-11-08" and refs["id"].is_unique


def test_advogato_counts_names_and_self_loops(advogato_path: Path) -> None:
    result = read_konect(advogato_path)
    assert len(result["organizations"]) == 6541
    assert len(result["referrals"]) == 51127 - 3992
    assert "dropped 3992 self-referrals" in result.notes
    names = result["organizations"].set_index("id")["name"]
    assert (names["328"], names["30"], names["719"], names["46"]) == ("raph", "miguel", "federico", "alan")
    assert set(result["referrals"]["strength"].astype(float)) == {0.6, 0.8, 1.0}
    assert result["referrals"]["id"].is_unique


def test_advogato_after_an_import_without_names_fills_them_in(advogato_path: Path, run_cli, tmp_path: Path) -> None:
    # The same network first imported from a copy without its names file: names are the ids.
    bare = tmp_path / "out.copy"
    bare.write_bytes(advogato_path.read_bytes())
    store = str(tmp_path / "a.db")
    assert run_cli(["--store", store, "import", "konect", str(bare)])[0] == 0
    code, out, err = run_cli(["--store", store, "import", "konect", str(advogato_path), "--format", "csv"])
    assert code == 0, err
    assert out.startswith("schema,as_of,table,count\ntrustgraph.import/1,,organizations,") and out.endswith(",referrals,0\n")
    names = SqliteStore(store, create=False).table("organizations").set_index("id")["name"]
    assert (names["328"], names["30"]) == ("raph", "miguel")


@pytest.mark.slow
def test_epinions_counts(epinions_path: Path) -> None:
    result = read_snap_signed(epinions_path)
    assert len(result["organizations"]) == 131828
    assert len(result["referrals"]) + 573 == 841372  # 573 self-ratings dropped
    positive = (result["referrals"]["strength"].astype(float) > 0).mean()
    assert round(positive * 100, 1) == 85.3
    G = project(result, half_life_days=None)
    assert G.number_of_nodes() == 131828


def test_gzip_and_bad_rating_are_handled(tmp_path: Path) -> None:
    good = tmp_path / "net.csv.gz"
    good.write_bytes(gzip.compress(b"1,2,10,1300000000\n2,3,-3,1300000100\n"))
    result = read_snap_signed(good)
    assert result["referrals"]["strength"].tolist() == [1.0, -0.3]
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,11,1300000000\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as info:
        read_snap_signed(bad)
    assert "a rating in -10..10" in str(info.value.problems[0])


@pytest.mark.parametrize(("compress", "name", "tool"), [("bz2", "bzip2", "bunzip2"), ("lzma", "xz", "unxz")])
def test_a_file_compressed_other_than_gzip_is_named_as_such(tmp_path: Path, run_cli, compress: str, name: str,
                                                            tool: str) -> None:
    """A .bz2 or .xz file was refused as 'not UTF-8 text'; it is named for what it is, with the fix."""
    import importlib

    data = b"1,2,10,1300000000\n2,3,-3,1300000100\n"
    path = tmp_path / f"net.csv.{compress}"
    module = importlib.import_module(compress)
    path.write_bytes(module.compress(data, format=module.FORMAT_XZ) if compress == "lzma" else module.compress(data))
    code, out, err = run_cli(["--store", str(tmp_path / "s.db"), "import", "snap-signed", str(path)])
    assert code == 3 and out == "", err
    assert f"it is compressed with {name}, and only gzip is read: decompress it first ({tool} {path.name})" in err
    assert not (tmp_path / "s.db").exists()


def test_import_command_loads_the_store(otc_path: Path, run_cli, tmp_path: Path) -> None:
    store = str(tmp_path / "otc.db")
    code, out, err = run_cli(["--store", store, "import", "snap-signed", str(otc_path), "--format", "csv"])
    assert code == 0, err
    assert out == ("schema,as_of,table,count\ntrustgraph.import/1,,organizations,5881\n"
                   "trustgraph.import/1,,referrals,35592\n")
    # Importing again changes nothing: every row is already stored, nothing is written.
    before = store_digest(store)
    code, again, err = run_cli(["--store", store, "import", "snap-signed", str(otc_path), "--format", "csv"])
    assert (code, again) == (0, "schema,as_of,table,count\ntrustgraph.import/1,,organizations,0\n"
                                "trustgraph.import/1,,referrals,0\n")
    assert "kept 5881 organisations already in the store" in err and "kept 35592 referrals" in err
    assert store_digest(store) == before
    code, out, _ = run_cli(["--store", store, "stats", "--format", "json"])
    stats = json.loads(out)
    assert {r["table"]: r["count"] for r in stats["rows"]}["referrals"] == 35592 and stats["negative_referrals"] == 3563


def test_a_file_cut_mid_line_is_refused_and_a_file_without_a_final_line_end_is_not(tmp_path: Path) -> None:
    """`head -c` of a download: the last line '2825,2635,8,1' was imported dated 1970-01-01."""
    lines = "1,2,10,1300000000\n2,3,-3,1300000100\n3,1,5,1300000200\n"
    cut = tmp_path / "cut.csv"
    cut.write_text(lines + "2825,2635,8,1", encoding="utf-8")
    with pytest.raises(InvalidDataError) as info:
        read_snap_signed(cut)
    problem = str(info.value.problems[0])
    assert problem.startswith("cut.csv:4: got '2825,2635,8,1'; expected a complete last line") and "cut?" in problem
    whole = tmp_path / "whole.csv"
    whole.write_text(lines.rstrip("\n"), encoding="utf-8")
    assert len(read_snap_signed(whole)["referrals"]) == 3


def test_a_sign_outside_minus_one_to_one_is_named_as_such(tmp_path: Path) -> None:
    bad = tmp_path / "signs.txt"
    bad.write_text("1 2 1\n2 3 0.5\n3 1 2\n", encoding="utf-8")
    with pytest.raises(InvalidDataError) as info:
        read_snap_signed(bad)
    assert "got '2'; expected a sign in -1..1" in str(info.value.problems[0])


@pytest.mark.parametrize(("reader", "name", "text", "message"), [
    # SNAP: a line with fewer fields than the others was reported as "got 'nan'" (the cell pandas filled).
    (read_snap_signed, "mid.csv", "1,2,10,1300000000\n2825,2635\n3,1,5,1300000200\n",
     "mid.csv:2: got '2825,2635'; expected 4 fields (source,target,rating,time), as on the other lines "
     "(a line cut short?)"),
    # KONECT: a line with two fields said "got 'nan'; expected a weight in [-1, 1]".
    (read_konect, "out.cut", "% sym weighted\n1 2 1.0\n2 3\n3 1 0.6\n",
     "out.cut:3: got '2 3'; expected 3 fields 'from to weight', as on the other lines (a line cut short?)"),
])
def test_a_line_cut_short_inside_the_file_is_shown_as_written(tmp_path: Path, reader: Any, name: str, text: str,
                                                                message: str) -> None:
    net = tmp_path / name
    net.write_text(text, encoding="utf-8")
    with pytest.raises(InvalidDataError) as info:
        reader(net)
    assert str(info.value.problems[0]) == message
