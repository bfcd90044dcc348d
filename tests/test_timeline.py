"""Trust timelines (trustgraph.analysis.timeline): hand-computed steps, the repaired pair, the plot."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import write_dataset

import trustgraph.cli.lifecycle_commands  # noqa: F401  (registers the commands until cli/__init__ imports it)
from trustgraph.analysis.timeline import (
    _PairTrust,
    pair_tables,
    pair_trust,
    plot_dates,
    timeline,
    timeline_figure,
    trust_series,
)
from trustgraph.errors import NotFoundError, TrustgraphError
from trustgraph.evidence import evidence_frame, local_trust
from trustgraph.ingest import load_dataset

# A and B completed a partnership in 2020 and A referred B; then B failed (incident, severity 2, A the
# reporter), a post-mortem followed, then a written reset. With no decay (half-life None):
#   as of 2020-06-01 the partnership is running: 0.5 each way   → trust 1.5 / 2.5 = 0.6
#   2020-12-31 it completes: 1.0 each way                         → 2 / 3
#   2021-02-01 A's referral of B (+1.0): r = 2                    → A→B 3 / 4 = 0.75
#   2021-03-01 incident: s = 0.5 · 2 = 1                          → 3 / 5 = 0.6         (falls)
#   2021-04-01 post-mortem (× 0.6): s = 0.6                       → 3 / 4.6 = 0.652174  (recovers part)
#   2021-05-01 reset (× 0.5 more): s = 0.3                        → 3 / 4.3 = 0.697674  (not all of it)
#   B's trust in A stays 2 / 3 from the completion on.
FILES = {
    "organizations": "id,name\nA,Alpha Fund\nB,Beta Institute\nX,Other\n",
    "partnerships": "id,name,kind,start,end,status\nP1,Survey,research,2020-01-01,2020-12-31,completed\n",
    "partnership_members": "partnership,organization,role\nP1,A,funder\nP1,B,lead\n",
    "referrals": "id,source,target,strength,date,recipient,note\nR1,A,B,1.0,2021-02-01,,Good survey\n"
                 "R2,X,B,1.0,2021-02-01,,unrelated\n",
    "incidents": "id,reporter,subject,kind,severity,date,partnership,description\n"
                 "I1,A,B,quality_failure,2,2021-03-01,P1,Data failed validation\n",
    "incident_actions": "id,incident,kind,date,note\nA1,I1,post_mortem,2021-04-01,Joint review\n"
                        "A2,I1,reset,2021-05-01,Written reset\n",
}


@pytest.fixture()
def small(tmp_path: Path) -> dict[str, pd.DataFrame]:
    return load_dataset(write_dataset(tmp_path / "small", FILES))


def test_hand_computed_fall_and_partial_recovery(small: dict[str, pd.DataFrame]) -> None:
    doc = timeline(small, "A", "B", half_life_days=None)
    got = [(e["date"], e["kind"], e["ref"], round(e["trust_ab"], 6), round(e["trust_ba"], 6)) for e in doc["events"]]
    assert got == [
        ("2020-01-01", "partnership_start", "P1", 0.6, 0.6),
        ("2020-12-31", "partnership_end", "P1", round(2 / 3, 6), round(2 / 3, 6)),
        ("2021-02-01", "referral", "R1", 0.75, round(2 / 3, 6)),
        ("2021-03-01", "incident", "I1", 0.6, round(2 / 3, 6)),
        ("2021-04-01", "action", "A1", round(3 / 4.6, 6), round(2 / 3, 6)),
        ("2021-05-01", "action", "A2", round(3 / 4.3, 6), round(2 / 3, 6)),
    ]
    steps = {e["ref"]: e["change_ab"] for e in doc["events"]}
    assert steps["I1"] == pytest.approx(0.6 - 0.75)
    assert steps["A1"] == pytest.approx(3 / 4.6 - 0.6)
    assert steps["A2"] == pytest.approx(3 / 4.3 - 3 / 4.6)
    assert doc["summary"]["low_ab"] == pytest.approx(0.6) and doc["summary"]["low_event"] == "I1"
    assert doc["now"]["trust_ab"] == pytest.approx(3 / 4.3)
    assert doc["now"]["trust_ab"] < 0.75  # partly, not fully, recovered
    assert (doc["summary"]["largest_fall"], doc["summary"]["largest_fall_event"]) == (pytest.approx(-0.15), "I1")
    assert [e["direction"] for e in doc["events"]] == ["both", "both", "a→b", "a→b", "a→b", "a→b"]
    assert doc["events"][4]["text"] == "post-mortem after I1: Joint review"


def test_trust_after_each_event_is_evidence_py_on_that_day(small: dict[str, pd.DataFrame]) -> None:
    """Every number equals local_trust(evidence_frame(whole dataset, as_of=day)) for the pair."""
    doc = timeline(small, "A", "B", half_life_days=365.0)
    for e in doc["events"]:
        lt = local_trust(evidence_frame(small, as_of=e["date"], half_life_days=365.0))
        row = lt.loc[(lt["src"] == "A") & (lt["dst"] == "B")]
        assert e["trust_ab"] == pytest.approx(float(row["trust"].iloc[0]), abs=1e-12)


def test_fast_series_equals_direct_computation(sample_tables: dict[str, pd.DataFrame]) -> None:
    pt = pair_tables(sample_tables, "ORG044", "ORG043")
    fast = _PairTrust(pt, "ORG044", "ORG043", 730.0)
    days = ["2015-12-31", "2016-03-01", "2017-08-09", "2018-12-30", "2018-12-31", "2019-05-01", "2021-03-09",
            "2021-03-10", "2021-05-04", "2021-07-01", "2022-04-30", "2022-07-02", "2024-11-05", "2025-06-29"]
    for day in days:
        direct = pair_trust(pt, "ORG044", "ORG043", day, half_life_days=730.0)
        assert fast.at(day) == pytest.approx(direct, abs=1e-12), day
    # ... and the pair's rows alone give the trust the whole dataset gives.
    whole = local_trust(evidence_frame(sample_tables, as_of="2021-05-04"))
    row = whole.loc[(whole["src"] == "ORG044") & (whole["dst"] == "ORG043")]
    assert fast.at("2021-05-04")["trust_ab"] == pytest.approx(float(row["trust"].iloc[0]), abs=1e-12)


def test_repaired_trust_planted(sample_tables: dict[str, pd.DataFrame]) -> None:
    """data/sample/README.md, situation 4: trust falls at I001 and recovers after A001 and A002."""
    doc = timeline(sample_tables, "ORG044", "ORG043")
    by = {e["ref"]: e for e in doc["events"]}
    inc, post, reset = by["I001"], by["A001"], by["A002"]
    # The standing 2018 referral and the completed grant hold trust above neutral (0.54), a fall of 0.2.
    assert inc["change_ab"] < -0.15 and 0.5 < inc["trust_ab"] < inc["trust_ab_before"] - 0.15
    assert post["change_ab"] > 0.05 and reset["change_ab"] > 0.05
    assert inc["trust_ab"] < post["trust_ab"] < reset["trust_ab"] < inc["trust_ab_before"]  # partly recovered
    assert doc["now"]["trust_ab"] > inc["trust_ab_before"]  # later evidence completes the recovery
    assert doc["summary"]["low_event"] == "I001"
    kinds = {e["kind"] for e in doc["events"]}
    assert kinds == {"partnership_start", "partnership_end", "communication", "referral", "incident", "action"}
    assert [e["ref"] for e in doc["events"] if e["kind"] == "partnership_start"] == ["PS016", "PS017", "PS018"]


def test_context_events_listing_and_move(sample_tables: dict[str, pd.DataFrame]) -> None:
    doc = timeline(sample_tables, "ORG019", "ORG054")
    kinds = [(e["kind"], e["ref"]) for e in doc["events"] if e["direction"] == "context"]
    assert ("listing", "B004") in kinds
    terminated = [e for e in doc["events"] if e["kind"] == "partnership_end"]
    assert terminated[0]["status"] == "terminated"


def test_errors(small: dict[str, pd.DataFrame]) -> None:
    with pytest.raises(NotFoundError):
        timeline(small, "A", "Q")
    with pytest.raises(TrustgraphError):
        timeline(small, "A", "A")
    empty = timeline(small, "A", "X")
    assert empty["events"] == [] and empty["now"]["trust_ab"] == 0.5


def test_figure(small: dict[str, pd.DataFrame], tmp_path: Path) -> None:
    doc = timeline(small, "A", "B", half_life_days=None)
    dates = plot_dates(doc)
    assert "2021-02-28" in dates and "2021-03-01" in dates  # the day before each event: steps stay steps
    series = trust_series(small, "A", "B", dates, half_life_days=None)
    fig = timeline_figure(doc, series)
    ax = fig.axes[0]
    assert ax.get_title() == "Trust between A Alpha Fund and B Beta Institute"
    labels = [" ".join(t.get_text().split()) for t in ax.texts]
    assert "I1 quality failure (severity 2) trust 0.75 → 0.60" in labels
    assert "A1 post-mortem trust 0.60 → 0.65" in labels
    assert "A2 reset trust 0.65 → 0.70" in labels
    fig.savefig(tmp_path / "t.png")
    assert (tmp_path / "t.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# --- the command ---------------------------------------------------------------------------------------


@pytest.fixture()
def loaded(small: dict[str, pd.DataFrame], tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli(["load", str(tmp_path / "small")])
    assert code == 0, err


def test_cli_table(loaded, run_cli) -> None:
    code, out, err = run_cli("timeline A B --half-life 0 --format table")
    assert code == 0, err
    assert out == """\
trust between A Alpha Fund and B Beta Institute, as of 2021-05-01
trust_ab = A's trust in B; trust_ba = the reverse; 0.5 = no evidence; change = the step the day's events caused (shown once per day)

date        kind               ref  direction  text                                                                    trust_ab  change_ab  trust_ba  change_ba
----------  -----------------  ---  ---------  ----------------------------------------------------------------------  --------  ---------  --------  ---------
2020-01-01  partnership_start  P1   both       partnership P1 Survey starts (research)                                 0.600     +0.100     0.600     +0.100
2020-12-31  partnership_end    P1   both       partnership P1 Survey ends: completed                                   0.667     +0.067     0.667     +0.067
2021-02-01  referral           R1   a→b        A referred B (+1.00): Good survey                                       0.750     +0.083     0.667     +0.000
2021-03-01  incident           I1   a→b        incident I1: A lost trust in B, quality failure, severity 2: Data fai…  0.600     -0.150     0.667     +0.000
2021-04-01  action             A1   a→b        post-mortem after I1: Joint review                                      0.652     +0.052     0.667     +0.000
2021-05-01  action             A2   a→b        reset after I1: Written reset                                           0.698     +0.046     0.667     +0.000

now: A → B 0.698, B → A 0.667
lowest trust of A in B: 0.600 on 2021-03-01 (I1); highest since: 0.698 on 2021-05-01
"""


def test_cli_json_csv_and_plot(loaded, run_cli, tmp_path: Path) -> None:
    code, out, err = run_cli(f"timeline A B --plot {tmp_path / 'plot.svg'} --format json")
    assert code == 0, err
    doc = json.loads(out)
    assert doc["rows"][3]["ref"] == "I1" and doc["rows"][3]["kind"] == "incident"
    assert (doc["a"]["id"], doc["b"]["id"]) == ("A", "B")
    assert err.strip() == f"wrote {tmp_path / 'plot.svg'}"
    assert (tmp_path / "plot.svg").read_text(encoding="utf-8").lstrip().startswith("<?xml")
    code, out, _ = run_cli("timeline A B --format csv")
    assert out.splitlines()[0].startswith("schema,as_of,date,kind,ref,direction,label,text,")
    assert len(list(csv.DictReader(io.StringIO(out)))) == len(doc["rows"])
    code, _, err = run_cli(f"timeline A B --plot {tmp_path / 'plot.gif'}")
    assert code == 2 and "must end in .png or .svg" in err
    code, _, err = run_cli("timeline A NOPE")
    assert code == 4


# --- the rows about the pair give the same timeline --------------------------------------------------------


@pytest.mark.parametrize(("a", "b"), [
    ("ORG044", "ORG043"), ("ORG019", "ORG054"), ("ORG018", "ORG015"), ("ORG056", "ORG061"), ("ORG006", "ORG032"),
    ("ORG005", "ORG080"), ("ORG070", "ORG052"), ("ORG001", "ORG066"),
])
def test_about_rows_give_the_whole_tables_timeline(sample_tables: dict[str, pd.DataFrame], sample_store,
                                                   a: str, b: str) -> None:
    """What the command does — the pair's ``Store.about`` rows, the snapshot's reference date — gives
    exactly the timeline computed from every row (moves between the two included)."""
    from trustgraph.snapshot import open_snapshot

    snap = open_snapshot(sample_store)
    rows = sample_store.about([a, b])
    for hl in (730.0, None):
        whole = timeline(sample_tables, a, b, half_life_days=hl)
        assert timeline(rows, a, b, as_of=snap.as_of, half_life_days=hl) == whole
        dates = plot_dates(whole)
        assert trust_series(rows, a, b, dates, half_life_days=hl) == trust_series(sample_tables, a, b, dates,
                                                                                  half_life_days=hl)
    as_of = "2022-03-15"
    assert timeline(rows, a, b, as_of=as_of) == timeline(sample_tables, a, b, as_of=as_of)


def test_cli_reads_the_pairs_rows_only(loaded, run_cli, table_reads) -> None:
    """Once the snapshot is built, ``timeline`` reads no whole table."""

    code, first, err = run_cli("timeline A B --format json")
    assert code == 0, err
    read = table_reads()
    code, again, err = run_cli("timeline 'Alpha Fund' B --format json")
    assert code == 0, err
    assert read == []  # no whole table
    assert again == first
