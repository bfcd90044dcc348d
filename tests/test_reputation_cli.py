"""``trustgraph reputation``: exact output, formats, options, exit codes."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from conftest import write_dataset

TINY = {
    "organizations.csv": "id,name,pretrusted\nh,Hub,true\ng,Good Co,false\nx,Shady Ltd,false\ny,Young Org,false\n",
    "referrals.csv": "id,source,target,strength,date,recipient,note\n"
                     "R1,h,g,1.0,2024-01-01,,Reliable\n"
                     "R2,h,x,-1.0,2024-01-01,,Unpaid invoices\n"
                     "R3,g,y,1.0,2024-01-01,,\n",
}

# Hand-computed (damping α = 0.85, shrinkage 1, every referral on the reference date, so no decay):
# one full-strength referral gives trust 2/3, opinion w = +1/3 (a warning: −1/3). Capped shares: h → g
# 1/3, g → y 1/3. y = p + α·Cᵀy: y_h = 1, y_g = 0.85/3, y_y = 0.85/3 · y_g; t = y/Σy =
# (h 0.733347, g 0.207782, y 0.058871, x 0). Voices min(1, N·t), N = 4: h 1 (its declared trust
# N·(1 − α) = 0.6 is less), g 0.831128, y 0.235484. κ = 1.
#   h: x = 0.6 / (0.6 + 1)                             = 0.375    → score 0.6875
#   g: x = (1 · 1/3) / (1 + 1)                         = 1/6      → score 0.583333
#   x: the mirror image of g                                       → score 0.416667
#   y: x = (0.831128/3) / (0.831128 + 1) = 0.277043 / 1.831128 = 0.151296 → score 0.575648
# Contributions (score units): Hub to g +1/12, Good Co to y +0.075648, Hub to x −1/12.
EXPECTED_TABLE = """\
reputation as of 2024-01-01, seen from the pre-trusted set (h)
rank  id  name       reputation  percentile  givers            takers
----  --  ---------  ----------  ----------  ----------------  ------------
1     h   Hub        0.688       100.0
2     g   Good Co    0.583       66.7        Hub (+0.083)
3     y   Young Org  0.576       33.3        Good Co (+0.076)
4     x   Shady Ltd  0.417       0.0                           Hub (-0.083)
"""


@pytest.fixture()
def tiny(tmp_path: Path, run_cli) -> None:
    code, _, err = run_cli(["load", str(write_dataset(tmp_path / "tiny", TINY))])
    assert code == 0, err


def test_table_exact(tiny, run_cli) -> None:
    code, out, err = run_cli("reputation --format table")
    assert (code, err) == (0, "")
    assert out == EXPECTED_TABLE


def rows_of(out: str) -> list[dict]:
    """The rows of a ``reputation`` document (checking its envelope)."""
    document = json.loads(out)
    assert document["schema"] == "trustgraph.reputation/1" and "score" not in out
    return document["rows"]


def test_json_rows(tiny, run_cli) -> None:
    code, out, err = run_cli("reputation --format json")
    assert (code, err) == (0, "")
    document = json.loads(out)
    assert document["as_of"] == "2024-01-01" and document["parties"] == 4
    assert document["parameters"]["for"] is None and document["parameters"]["pretrusted"] == ["h"]
    rows = rows_of(out)
    assert [r["id"] for r in rows] == ["h", "g", "y", "x"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4] and [r["reputation_rank"] for r in rows] == [1, 2, 3, 4]
    by_id = {r["id"]: r for r in rows}
    assert by_id["h"]["reputation"] == pytest.approx(0.6875, abs=1e-6)
    assert by_id["g"]["reputation"] == pytest.approx(0.583333, abs=1e-6)
    assert by_id["y"]["reputation"] == pytest.approx(0.575648, abs=1e-6)
    assert by_id["x"]["reputation"] == pytest.approx(0.416667, abs=1e-6)
    assert by_id["g"]["percentile"] == pytest.approx(200 / 3, abs=1e-6)
    assert set(by_id["x"]) == {"id", "name", "reputation", "rank", "reputation_rank", "percentile",
                               "propagated_trust", "voice", "support", "raters", "breakdown", "givers", "takers"}
    assert by_id["x"]["support"] == pytest.approx(2.0) and by_id["x"]["voice"] == 0.0
    assert by_id["y"]["support"] == pytest.approx(1.831128, abs=2e-6)
    assert by_id["x"]["breakdown"]["referrals"] == pytest.approx(by_id["x"]["reputation"] - 0.5, abs=1e-6)
    assert by_id["x"]["takers"] == [{"id": "h", "name": "Hub", "opinion": pytest.approx(-1 / 3, abs=1e-6),
                                     "propagated_trust": pytest.approx(0.733347, abs=1e-6), "voice": 1.0,
                                     "contribution": pytest.approx(-1 / 12, abs=1e-6)}]
    assert by_id["h"]["breakdown"]["pretrusted"] == pytest.approx(0.1875, abs=1e-6)


def test_ndjson_csv_and_limit(tiny, run_cli) -> None:
    code, out, _ = run_cli("reputation --limit 2 --format ndjson")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["id"] for line in lines] == ["h", "g"]
    assert lines[0]["schema"] == "trustgraph.reputation/1" and lines[0]["as_of"] == "2024-01-01"
    code, out, _ = run_cli("reputation --limit 0 --format csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [r["id"] for r in rows] == ["h", "g", "y", "x"]
    assert json.loads(rows[3]["takers"])[0]["id"] == "h" and rows[3]["breakdown.referrals"] == "-0.0833"


def test_old_option_names_still_work(tiny, run_cli) -> None:
    """--top and --from are hidden aliases of --limit and --for for one release: same answer, a note."""
    _, new, _ = run_cli("reputation --limit 2 --for g --format json")
    code, old, err = run_cli("reputation --top 2 --from g --format json")
    assert code == 0 and old == new
    assert "--top is now --limit" in err and "--from is now --for" in err
    assert "--top" not in run_cli("reputation --help")[1] and "--from" not in run_cli("reputation --help")[1]
    code, _, err = run_cli("reputation --top 2 --limit 2")
    assert code == 2 and "give one of them" in err
    assert run_cli("reputation --from g --for g")[0] == 2


def test_one_organisation_by_id_or_name(tiny, run_cli) -> None:
    code, out, _ = run_cli("reputation 'young org' --format json")
    assert code == 0
    (row,) = rows_of(out)
    assert (row["id"], row["reputation_rank"], row["rank"]) == ("y", 3, 1)
    assert json.loads(out)["parameters"]["id"] == "y"


def test_explain(tiny, run_cli) -> None:
    code, out, err = run_cli("reputation x --explain --format table")
    assert (code, err) == (0, "")
    assert out == (
        "x  Shady Ltd\n"
        "reputation 0.417  rank 4 of 4  percentile 0.0  (0.5 = nothing known)\n"
        "as of 2024-01-01, seen from the pre-trusted set (h); propagated trust 0 (average 0.25), so its own opinions count with voice 0.00\n"
        "rated by 1 organisation(s); the reputation rests on 2.00 voice(s), prior included\n"
        "\n"
        "breakdown (contribution to the reputation above or below 0.5):\n"
        "  track record    +0.0000\n"
        "  referrals       -0.0833   1 row(s): 0 positive, 1 negative\n"
        "  incidents       +0.0000\n"
        "  communications  +0.0000\n"
        "  pre-trusted     +0.0000\n"
        "\n"
        "who gives it its reputation:\n"
        "  (nobody)\n"
        "\n"
        "who takes it away:\n"
        "  h  Hub  opinion -0.33, voice 1.00, -0.0833\n"
    )
    code, out, _ = run_cli("reputation y --explain --format json")
    document = json.loads(out)
    (doc,) = rows_of(out)
    assert doc["id"] == "y" and document["parties"] == 4
    assert document["view"] == {"anchor": "pretrusted", "pretrusted": ["h"], "for": None}
    assert document["parameters"]["pretrusted"] == ["h"] and document["parameters"]["for"] is None
    assert doc["evidence"] == {"referrals": {"rows": 1, "positive": 1, "negative": 0}}
    assert [g["id"] for g in doc["givers"]] == ["g"]


def test_for_changes_the_view(tiny, run_cli) -> None:
    _, default, _ = run_cli("reputation --format json")
    code, out, err = run_cli("reputation --for g --format json")
    assert (code, err) == (0, "")
    assert json.loads(out)["parameters"]["for"] == "g" and json.loads(out)["parameters"]["pretrusted"] is None
    seen_from_g = {r["id"]: r for r in rows_of(out)}
    assert seen_from_g["g"]["reputation_rank"] == 1
    assert seen_from_g["h"]["reputation"] == 0.5 and seen_from_g["x"]["reputation"] == 0.5  # g knows nothing of them
    assert seen_from_g != {r["id"]: r for r in rows_of(default)}
    code, out, _ = run_cli("reputation --for g --format table")
    assert out.splitlines()[0] == "reputation as of 2024-01-01, seen from g (Good Co)"


def test_pretrusted_option(tiny, run_cli) -> None:
    code, out, _ = run_cli("reputation --pretrusted 'g, Young Org' --format json")
    assert code == 0
    assert json.loads(out)["parameters"]["pretrusted"] == ["g", "y"]
    rows = {r["id"]: r for r in rows_of(out)}
    assert {rows["g"]["reputation_rank"], rows["y"]["reputation_rank"]} == {1, 2}
    assert rows["h"]["reputation"] == 0.5


def test_damping_and_half_life_options(tiny, run_cli) -> None:
    _, a, _ = run_cli("reputation g --format json --damping 0.5")
    _, b, _ = run_cli("reputation g --format json --half-life 0 --shrinkage 0")
    assert rows_of(a)[0]["reputation"] != rows_of(b)[0]["reputation"]
    assert rows_of(b)[0]["reputation"] == pytest.approx((1 + 1 / 3) / 2)  # no prior: h's opinion alone
    assert json.loads(b)["parameters"]["half_life"] == 0 and json.loads(b)["parameters"]["shrinkage"] == 0


def test_errors_and_exit_codes(tiny, run_cli) -> None:
    code, out, err = run_cli("reputation nobody")
    assert (code, out) == (4, "") and err == "error: no organisation with id or name 'nobody' (search with `trustgraph orgs TEXT`)\n"
    assert run_cli("reputation --for nobody")[0] == 4
    assert run_cli("reputation --pretrusted h,nobody")[0] == 4
    code, _, err = run_cli("reputation --explain")
    assert code == 2 and "--explain needs an organisation ID" in err
    code, _, err = run_cli("reputation --for g --pretrusted h")
    assert code == 2 and "exclusive" in err
    assert run_cli("reputation --damping 1")[0] == 2
    assert run_cli("reputation --limit -1")[0] == 2


def test_no_pretrusted_note(tmp_path: Path, run_cli) -> None:
    folder = tmp_path / "flat"
    folder.mkdir()
    (folder / "organizations.csv").write_text("id,name\na,A\nb,B\n", encoding="utf-8")
    (folder / "referrals.csv").write_text(
        "id,source,target,strength,date,recipient,note\nR1,a,b,0.5,2024-01-01,,\n", encoding="utf-8")
    assert run_cli(["load", str(folder)])[0] == 0
    code, out, err = run_cli("reputation --format json")
    assert code == 0 and "no organisation is pre-trusted" in err
    # No anchor: nothing known, so b gains nothing from a's referral (ties by id).
    assert [(r["id"], r["reputation"]) for r in rows_of(out)] == [("a", 0.5), ("b", 0.5)]
    assert json.loads(out)["parameters"]["pretrusted"] is None
    assert json.loads(out)["view"] == {"anchor": "none", "pretrusted": None, "for": None}
    assert run_cli("-q reputation --format json")[2] == ""


def test_sample_planted_situations(sample_dir: Path, run_cli) -> None:
    """On the sample: the listed parties rank last, the ring's shells gain next to nothing, the
    honest hub that partnered with a listed party stays near the top."""
    assert run_cli(["load", str(sample_dir)])[0] == 0
    code, out, err = run_cli("reputation --format json")
    assert (code, err) == (0, "")
    rows = {r["id"]: r for r in rows_of(out)}
    n = len(rows)
    for listed in ("ORG015", "ORG026", "ORG054"):
        assert rows[listed]["reputation"] < 0.5 and rows[listed]["percentile"] < 10
    for shell in ("ORG013", "ORG014", "ORG063"):
        assert abs(rows[shell]["reputation"] - 0.5) < 0.02
    assert rows["ORG019"]["percentile"] > 90
    assert sorted(r["reputation_rank"] for r in rows.values())[-1] <= n
    code, out, _ = run_cli("reputation ORG015 --explain --format json")
    (doc,) = rows_of(out)
    assert doc["takers"][0]["id"] == "ORG018"  # the party that reported it
    assert doc["breakdown"]["incidents"] < 0


def test_cli_defaults_are_the_library_defaults() -> None:
    """The commands repeat the analysis defaults (so that --help imports no analysis): they must agree."""
    from trustgraph.analysis import contagion, reputation
    from trustgraph.cli import contagion_commands, reputation_commands

    assert (reputation_commands.DEFAULT_DAMPING, reputation_commands.DEFAULT_SHRINKAGE) == (
        reputation.DEFAULT_DAMPING, reputation.DEFAULT_SHRINKAGE)
    assert (contagion_commands.DEFAULT_HOPS, contagion_commands.DEFAULT_DECAY, contagion_commands.DEFAULT_PRIOR) == (
        contagion.DEFAULT_HOPS, contagion.DEFAULT_DECAY, contagion.DEFAULT_PRIOR)
