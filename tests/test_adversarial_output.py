"""Hostile text and hostile output paths (issue 13, items 5 and 6): what a name from the data can do to
a terminal, a spreadsheet or a map, and what a planted symlink can do to the files a command writes.

Every text form escapes control characters (docs/output.md); CSV neutralises formula cells; JSON
stays exact; maps cut long names in the header and labels; outputs are written to a temporary file
and renamed, never through a symlink.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from test_map import tiny_tables

from trustgraph.cli.output import spreadsheet_cell, terminal_text, to_json
from trustgraph.errors import TrustgraphError
from trustgraph.graph import project
from trustgraph.render import map_data, write_html
from trustgraph.store import SqliteStore

# A CSI colour, an OSC window title (not stripped by click on a pipe), a bell, a one-character C1 CSI,
# a right-to-left override and a line break.
ANSI = "\x1b[31mEvil\x1b[0m \x1b]0;pwned\x07 Brugwerk\x9b2J \u202eesrever\u202c\nsecond line"
FORMULAS = {
    "ORG002": '=HYPERLINK("http://evil.example","click")',
    "ORG003": "+cmd|' /C calc'!A0",
    "ORG004": "@SUM(1+1)",
    "ORG005": "-2+3",
    "ORG007": "\t=1+1",
}
LONG = "L" * 100_000
# What no text form may write: C0 controls but newline and tab, DEL, C1 controls, bidi overrides.
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture()
def hostile_store(tmp_path: Path, sample_tables: dict[str, pd.DataFrame]) -> Path:
    """The sample store, with hostile organisation names (written as a store would hold them)."""
    tables = {k: v.copy() for k, v in sample_tables.items()}
    orgs = tables["organizations"]
    names = {"ORG001": ANSI, **FORMULAS, "ORG006": LONG}
    orgs["name"] = [names.get(i, n) for i, n in zip(orgs["id"], orgs["name"], strict=True)]
    path = tmp_path / "hostile.db"
    store = SqliteStore(path)
    store.load(tables)
    store.close()
    return path


def _ls(folder: Path) -> dict[str, str]:
    """Every entry of ``folder``: name → what it is (a link's target, or a file's content digest)."""
    out = {}
    for p in sorted(folder.iterdir()):
        out[p.name] = f"-> {p.readlink()}" if p.is_symlink() else (
            f"{len(p.read_bytes())} bytes" if p.is_file() else "dir")
    return out


# --------------------------------------------------------------------------------------------------
# Terminal text: no control sequence reaches the terminal


TEXT_COMMANDS = [
    "reputation --format table",
    "reputation ORG001 --explain --format table",
    "health ORG001 --format table",
    "chain ORG001 ORG017 --format table",
    "vouchers ORG017 --for ORG001 --format table",
    "referrals ORG017 --for ORG001 --format table",
    "accepted --pretrusted ORG001 --format table",
    "timeline ORG001 ORG011 --format table",
    "exposure ORG001 --format table",
    "assess ORG001 --for ORG017 --format table",
]


@pytest.mark.parametrize("command", TEXT_COMMANDS)
def test_ansi_escapes_in_names_never_reach_the_terminal(run_cli, hostile_store, command):
    code, stdout, stderr = run_cli(["--store", str(hostile_store), *command.split()])
    assert code == 0, stderr
    assert "\x1b" not in stdout and RAW_CONTROL.search(stdout) is None
    # The name is still there, shown escaped (tables cut cells at 60 characters).
    assert "\\x1b[31mEvil\\x1b[0m \\x1b]0;pwned\\x07 Brugwerk" in stdout


def test_a_name_with_a_line_break_stays_on_its_table_row(run_cli, hostile_store):
    code, stdout, _ = run_cli(["--store", str(hostile_store), "reputation", "--format", "table"])
    assert code == 0
    lines = stdout.splitlines()
    assert len(lines) == 3 + 96  # title, header, rule, one line per organisation
    assert terminal_text(ANSI, one_line=True).endswith("\\u202c\\nsecond line")


def test_json_output_stays_exact_and_escapes_controls(run_cli, hostile_store):
    code, stdout, _ = run_cli(["--store", str(hostile_store), "reputation", "ORG001", "--format", "json"])
    assert code == 0
    assert RAW_CONTROL.search(stdout) is None
    assert "\\u001b]0;pwned\\u0007" in stdout and "\\u009b" in stdout and "\\u202e" in stdout
    assert json.loads(stdout)["rows"][0]["name"] == ANSI
    code, stdout, _ = run_cli(["--store", str(hostile_store), "reputation", "--format", "ndjson"])
    assert RAW_CONTROL.search(stdout) is None
    assert {r["id"]: r["name"] for r in map(json.loads, stdout.splitlines())}["ORG001"] == ANSI


def test_terminal_text_escapes_and_leaves_ordinary_text_alone():
    assert terminal_text("Fundación Puentes del Sur — 北京 \U0001f600") == "Fundación Puentes del Sur — 北京 \U0001f600"
    assert terminal_text("a\x1b]8;;http://x\x1b\\b\x00\x7f\x85") == "a\\x1b]8;;http://x\\x1b\\b\\x00\\x7f\\x85"
    assert terminal_text("keep\ttab\nand line") == "keep\ttab\nand line"
    assert terminal_text("cell\ttab\nline\r", one_line=True) == "cell\\ttab\\nline\\r"
    assert json.loads(to_json({"x": ANSI})) == {"x": ANSI}


# --------------------------------------------------------------------------------------------------
# CSV for spreadsheets: formula cells neutralised, numbers unchanged


def test_csv_neutralises_formula_cells_and_keeps_numbers(run_cli, hostile_store):
    code, stdout, stderr = run_cli(["--store", str(hostile_store), "reputation", "--format", "csv"])
    assert code == 0, stderr
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(stdout))}
    for org, name in FORMULAS.items():
        assert rows[org]["name"] == "'" + name
    # No cell, nor any "; "-separated part of one, starts a formula.
    for row in rows.values():
        for value in row.values():
            for part in re.split(r";[ \t]*", value):
                assert not part.startswith(("=", "+", "@", "\t", "\r")), part
                assert not part.startswith("-") or re.fullmatch(r"-[\d.]+", part), part
    # Names embedded in a list of objects (who raises a reputation) are inside JSON text, which starts
    # with "[": a spreadsheet shows it as text, and the names read back exactly.
    givers = [r["givers"] for r in rows.values() if r["givers"]]
    assert givers and all(g.startswith("[{") for g in givers)
    named = {p["name"] for g in givers for p in json.loads(g)}
    assert "@SUM(1+1)" in named and '=HYPERLINK("http://evil.example","click")' in named
    # Numbers stay numbers, negative ones included.
    breakdown = [float(r["breakdown.incidents"]) for r in rows.values()]
    assert min(breakdown) < 0
    assert all(re.fullmatch(r"-?\d+(\.\d+)?", r["breakdown.incidents"]) for r in rows.values())


def test_spreadsheet_cell_rules():
    assert spreadsheet_cell("=1+1") == "'=1+1"
    assert spreadsheet_cell("\r=1+1") == "'\r=1+1"
    assert spreadsheet_cell("-0.25") == "-0.25" and spreadsheet_cell(-0.25) == "-0.25"
    assert spreadsheet_cell("+0.0130") == "+0.0130"
    assert spreadsheet_cell("A (+0.1); -2+3 (+0.034)") == "A (+0.1); '-2+3 (+0.034)"
    assert spreadsheet_cell(["-0.5", "@x", 3]) == "-0.5; '@x; 3"
    assert spreadsheet_cell("Brugwerk Foundation") == "Brugwerk Foundation"


# --------------------------------------------------------------------------------------------------
# Maps: a 100,000-character name is cut in the header and labels


def test_map_cuts_long_names_in_header_and_labels(run_cli, hostile_store, tmp_path):
    out = tmp_path / "long.html"
    code, _, stderr = run_cli(["--store", str(hostile_store), "map", "-o", str(out), "--focus", "ORG006"])
    assert code == 0, stderr
    page = out.read_text(encoding="utf-8")
    title = re.search(r"<title>(.*?)</title>", page, re.DOTALL)
    assert title is not None and len(title.group(1)) < 200
    assert title.group(1).startswith("trustgraph map \u2014 neighbourhood of " + "L" * 99 + "\u2026 (2 hops)")
    embedded = re.search(r'<script type="application/json" id="tg-data">(.*?)</script>', page, re.DOTALL)
    assert embedded is not None
    data = json.loads(embedded.group(1))
    assert len(data["title"]) < 200 and len(data["query"]) < 200
    node = next(n for n in data["nodes"] if n["id"] == "ORG006")
    assert node["label"] == "L" * 27 + "\u2026"
    assert node["name"] == LONG and node["info"][0] == LONG  # the tooltip keeps the whole name
    assert RAW_CONTROL.search(stderr) is None


def test_map_data_cuts_long_names_in_notes_and_legend():
    tables = tiny_tables(name_b="B" * 5000)
    tables["organizations"].loc[0, "sector"] = "S" * 5000
    m = map_data(project(tables), tables, color="sector", chain=[], chain_ends=("a", "b"))
    assert m.query == f"strongest vouching chain Alpha Foundation \u2192 {'B' * 99}\u2026"
    assert all(len(n) < 300 for n in m.notes)
    assert all(len(i["label"]) <= 100 for i in m.legend["color"]["items"])
    assert all(len(n["category"]) <= 100 for n in m.nodes)


# --------------------------------------------------------------------------------------------------
# Output paths: never written through a symlink


@pytest.mark.parametrize("dangling", [False, True])
def test_map_refuses_to_write_through_a_symlink(run_cli, sample_store, tmp_path, dangling):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "precious.txt"
    if not dangling:
        target.write_text("precious\n", encoding="utf-8")
    link = folder / "link.html"
    link.symlink_to(target.name)
    before = _ls(folder)
    code, stdout, stderr = run_cli(["--store", str(sample_store.path), "map", "-o", str(link)])
    assert code == 1
    assert stderr == f"error: refusing to write the map {link}: it is a symlink (remove it or choose another path)\n"
    assert stdout == ""
    assert _ls(folder) == before  # the target untouched (or still absent), no temporary file left
    assert not target.exists() if dangling else target.read_text(encoding="utf-8") == "precious\n"


def test_map_replaces_a_regular_file_whole(run_cli, sample_store, tmp_path):
    out = tmp_path / "map.html"
    out.write_text("old", encoding="utf-8")
    code, _, stderr = run_cli(["--store", str(sample_store.path), "map", "-o", str(out), "--max-nodes", "5"])
    assert code == 0, stderr
    assert out.read_text(encoding="utf-8").rstrip().endswith("</html>")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".map.html")] == []  # no temporary file left


def test_map_failing_midway_leaves_no_file(run_cli, sample_store, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    code, _, _ = run_cli(["--store", str(sample_store.path), "map", "-o", str(folder / "map.html"), "--focus", "nobody"])
    assert code == 4
    assert list(folder.iterdir()) == []  # neither the page nor its temporary file


def test_write_html_refuses_a_symlink(tmp_path):
    tables = tiny_tables()
    m = map_data(project(tables), tables, color="sector")
    target = tmp_path / "target.txt"
    target.write_text("keep", encoding="utf-8")
    (tmp_path / "m.html").symlink_to(target)
    with pytest.raises(TrustgraphError, match="symlink"):
        write_html(m, tmp_path / "m.html")
    assert target.read_text(encoding="utf-8") == "keep"
    assert write_html(m, tmp_path / "ok.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_timeline_plot_refuses_to_write_through_a_symlink(run_cli, sample_store, tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "precious.png"
    target.write_bytes(b"precious")
    link = folder / "plot.png"
    link.symlink_to(target.name)
    before = _ls(folder)
    code, _, stderr = run_cli(["--store", str(sample_store.path), "timeline", "ORG044", "ORG043", "--plot", str(link),
                               "--format", "json"])
    assert code == 1
    assert f"error: refusing to write the plot {link}: it is a symlink" in stderr
    assert _ls(folder) == before and target.read_bytes() == b"precious"


def test_timeline_plot_of_hostile_names_is_drawn(run_cli, tmp_path, sample_tables):
    tables = {k: v.copy() for k, v in sample_tables.items()}
    orgs = tables["organizations"]
    # "$...$" is Matplotlib mathtext: an unbalanced one used to crash the plot (ValueError).
    orgs.loc[orgs["id"] == "ORG044", "name"] = "Cash $\\frac{1}{$ Fund " + ANSI + LONG
    store = SqliteStore(tmp_path / "s.db")
    store.load(tables)
    store.close()
    plot = tmp_path / "t.png"
    code, _, stderr = run_cli(["--store", str(tmp_path / "s.db"), "timeline", "ORG044", "ORG043", "--plot", str(plot),
                               "--format", "json"])
    assert code == 0, stderr
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Glyph" not in stderr  # control characters were not handed to the font


def test_map_file_gets_the_usual_permissions(run_cli, sample_store, tmp_path):
    import os

    umask = os.umask(0)
    os.umask(umask)
    out = tmp_path / "shared.html"
    code, _, _ = run_cli(["--store", str(sample_store.path), "map", "-o", str(out), "--max-nodes", "5"])
    assert code == 0
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask


def test_an_output_path_that_cannot_be_written_is_named_as_given(run_cli, sample_store, tmp_path):
    """A file where the folder should be, or a folder that takes no new files: one clear line naming
    the user's path (not the temporary file beside it), the same for the map and the plot."""
    afile = tmp_path / "afile"
    afile.write_text("x", encoding="utf-8")
    store = ["--store", str(sample_store.path)]
    for args, what in ((["map", "-o", str(afile / "m.html")], "map"),
                       (["timeline", "ORG001", "ORG045", "--plot", str(afile / "t.png")], "plot")):
        code, _, err = run_cli([*store, *args])
        assert code == 1 and err.startswith(f"error: cannot write the {what} {afile}/") and "is not a folder" in err
    code, _, err = run_cli([*store, "map", "-o", "/proc/m.html"])
    assert code == 1 and err.startswith("error: cannot write the map /proc/m.html:") and ".tmp" not in err, err


def test_every_seed_in_the_range_draws_the_map(run_cli, sample_store, tmp_path):
    """Each community is laid out with the seed plus its number: at the top of the range that went
    past 2**32 - 1 and NetworkX refused it (exit 1, ValueError)."""
    out = tmp_path / "m.html"
    code, _, err = run_cli(["--store", str(sample_store.path), "map", "-o", str(out), "--seed", "4294967295"])
    assert code == 0 and out.exists(), err


def _trustgraph() -> list[str]:
    import sys

    return [sys.executable, "-m", "trustgraph"]


def test_sigterm_during_a_map_leaves_no_file_and_exits_143(sample_store, tmp_path):
    """SIGTERM while the map is computed: its temporary file (opened before the computation) is
    removed, no page is written, and the exit code is 128 + 15."""
    import signal
    import subprocess
    import time

    folder = tmp_path / "out"
    folder.mkdir()
    proc = subprocess.Popen([*_trustgraph(), "--store", str(sample_store.path), "map", "-o", str(folder / "map.html")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not list(folder.iterdir()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert proc.poll() is None, "the map was written before its temporary file was seen: nothing tested"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert "terminated (SIGTERM)" in err
    assert list(folder.iterdir()) == []


def test_invalid_data_exits_3_even_when_the_reader_of_stderr_went_away(tmp_path):
    """`trustgraph load bad/ 2>&1 | head -1`: the exit code is the error's, not 1 for the broken pipe."""
    import subprocess

    bad = tmp_path / "bad"
    bad.mkdir()
    rows = "".join(f"ORG{i:03d},Name {i},ngo,XX,Nowhere,vouched,medium,maybe\n" for i in range(200))
    (bad / "organizations.csv").write_text(
        "id,name,sector,country,region,culture,risk_appetite,pretrusted\n" + rows, encoding="utf-8")
    for _ in range(3):
        proc = subprocess.Popen([*_trustgraph(), "--store", str(tmp_path / "s.db"), "load", str(bad)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert proc.stderr is not None
        proc.stderr.read(1)
        proc.stderr.close()  # the reader goes away after the first byte
        assert proc.wait(timeout=60) == 3
    assert not (tmp_path / "s.db").exists()


def test_a_folder_as_the_map_file_is_exit_1_as_documented(run_cli, sample_store, tmp_path):
    """docs/maps.md: exit 1 when FILE.html is not a regular file (click's own check said exit 2)."""
    folder = tmp_path / "a-folder.html"
    folder.mkdir()
    code, out, err = run_cli(["--store", str(sample_store.path), "map", "-o", str(folder)])
    assert code == 1 and out == "" and "it exists and is not a regular file" in err, err
    assert list(folder.iterdir()) == []


def test_sigterm_during_a_first_load_leaves_no_store(tmp_path):
    """The store a first load creates is removed when SIGTERM stops the load (exit 143)."""
    import signal
    import subprocess
    import time

    data = tmp_path / "big"
    data.mkdir()
    rows = "".join(f"ORG{i:06d},Party {i}\n" for i in range(150_000))
    (data / "organizations.csv").write_text("id,name\n" + rows, encoding="utf-8")
    store = tmp_path / "new.db"
    proc = subprocess.Popen([*_trustgraph(), "--store", str(store), "load", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not store.exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    time.sleep(0.5)  # past opening the store (a signal inside SQLite's open is another case), into validation
    assert proc.poll() is None, "the load ended before its store file was seen: nothing tested"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    assert not store.exists() and not list(tmp_path.glob("new.db*"))
