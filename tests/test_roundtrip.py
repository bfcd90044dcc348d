"""load → export → load reproduces every table exactly (property-tested), on SQLite."""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from conftest import store_digest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustgraph.export import export_dataset
from trustgraph.ingest import load_dataset, validate
from trustgraph.model import TABLE_ORDER
from trustgraph.store import SqliteStore
from trustgraph.store.base import tables as store_tables

TEXT = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"], include_characters="\n,\"'<>&é😀"),
    min_size=1, max_size=30,
).map(str.strip).filter(bool)
# The plausible range of dates (trustgraph.model.check_date) up to a fixed day that stays inside it.
DATES = st.dates(min_value=pd.Timestamp("1900-01-01").date(), max_value=pd.Timestamp("2025-12-31").date()).map(str)


@st.composite
def datasets(draw: st.DrawFn) -> dict[str, pd.DataFrame]:
    n = draw(st.integers(2, 8))
    ids = [f"o{i}" for i in range(n)]
    orgs = pd.DataFrame({
        "id": ids,
        "name": [draw(TEXT) for _ in ids],
        "sector": [draw(st.sampled_from(["", "ngo", "private", "academic"])) for _ in ids],
        "pretrusted": [draw(st.sampled_from(["", "true", "false"])) for _ in ids],
        "tags": [draw(st.sampled_from(["", "a", "a;b"])) for _ in ids],
    })
    m = draw(st.integers(0, 12))
    pairs = [draw(st.tuples(st.sampled_from(ids), st.sampled_from(ids)).filter(lambda p: p[0] != p[1])) for _ in range(m)]
    refs = pd.DataFrame({
        "id": [f"r{i}" for i in range(m)],
        "source": [p[0] for p in pairs],
        "target": [p[1] for p in pairs],
        "strength": [repr(draw(st.floats(-1, 1, allow_nan=False))) for _ in range(m)],
        "date": [draw(DATES) for _ in range(m)],
        "note": [draw(st.one_of(st.just(""), TEXT)) for _ in range(m)],
    }, dtype=str)
    k = draw(st.integers(0, 4))
    incidents = pd.DataFrame({
        "id": [f"i{i}" for i in range(k)],
        "reporter": [ids[0]] * k,
        "subject": [ids[1]] * k,
        "kind": [draw(st.sampled_from(["fraud", "data_breach"])) for _ in range(k)],
        "severity": [str(draw(st.integers(1, 5))) for _ in range(k)],
        "date": [draw(DATES) for _ in range(k)],
    }, dtype=str)
    return validate({"organizations": orgs.astype(str), "referrals": refs, "incidents": incidents})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(datasets())
def test_load_export_load_reproduces_every_table(tables: dict[str, pd.DataFrame]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        first = SqliteStore(":memory:")
        first.load(tables)
        export_dataset(store_tables(first), Path(tmp) / "out")
        second = SqliteStore(":memory:")
        second.load(load_dataset(Path(tmp) / "out"))
        for name in TABLE_ORDER:
            a, b = first.table(name), second.table(name)
            assert a.equals(b), name
        if len(tables["referrals"]):
            stored = first.table("referrals").set_index("id")["strength"].to_dict()
            assert stored == tables["referrals"].set_index("id")["strength"].to_dict()  # no rounding
        export_dataset(store_tables(second), Path(tmp) / "again")
        for f in (Path(tmp) / "out").iterdir():
            assert f.read_bytes() == (Path(tmp) / "again" / f.name).read_bytes()


def test_sample_dataset_round_trips_byte_for_byte(sample_dir: Path, tmp_path: Path, run_cli) -> None:
    store = str(tmp_path / "s.db")
    assert run_cli(["--store", store, "load", str(sample_dir)])[0] == 0
    assert run_cli(["--store", store, "export", str(tmp_path / "out")])[0] == 0
    for src in sorted(sample_dir.glob("*.csv")):
        # Same header, same rows as text (export orders rows by key).
        with src.open(encoding="utf-8", newline="") as a, (tmp_path / "out" / src.name).open(encoding="utf-8", newline="") as b:
            rows_in, rows_out = list(csv.reader(a)), list(csv.reader(b))
        assert rows_in[0] == rows_out[0], src.name
        if src.name == "personal_ties.csv":  # undirected: a tie is stored with a before b
            rows_in = [rows_in[0]] + [sorted(r[:2]) + r[2:] for r in rows_in[1:]]
        assert sorted(rows_in[1:]) == sorted(rows_out[1:]), src.name
    # The export loads back to exactly the same store, and exports again byte for byte.
    copy = str(tmp_path / "copy.db")
    assert run_cli(["--store", copy, "load", str(tmp_path / "out")])[0] == 0
    assert store_digest(copy) == store_digest(store)
    assert run_cli(["--store", copy, "export", str(tmp_path / "again")])[0] == 0
    for path in sorted((tmp_path / "out").iterdir()):
        assert path.read_bytes() == (tmp_path / "again" / path.name).read_bytes(), path.name


def test_export_refuses_a_non_empty_folder_unless_forced(sample_tables: dict[str, pd.DataFrame],
                                                         tmp_path: Path) -> None:
    from trustgraph.errors import TrustgraphError

    out = tmp_path / "out"
    export_dataset(sample_tables, out)
    with pytest.raises(TrustgraphError, match="not empty"):
        export_dataset(sample_tables, out)
    (out / "extra.txt").write_text("kept", encoding="utf-8")
    small = {"organizations": sample_tables["organizations"].head(3)}
    assert export_dataset(small, out, force=True) == {"organizations": 3}
    assert sorted(p.name for p in out.iterdir()) == ["extra.txt", "organizations.csv"]
