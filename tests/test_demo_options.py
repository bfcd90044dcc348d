"""The demo and the docs use today's option names: no deprecated alias in what the project runs itself."""

from __future__ import annotations

import json
import re
from pathlib import Path

from trustgraph.cli.demo_commands import TOUR

ROOT = Path(__file__).resolve().parents[1]
OLD = {"--k", "--top", "--hops", "--max-depth", "--from", "--org", "--seeds"}


def test_the_demo_tour_uses_no_old_option_name() -> None:
    used = {arg for _, _, args in TOUR for arg in args if arg.startswith("--")}
    assert not used & OLD, used & OLD


def test_docs_and_readme_use_no_old_option_name() -> None:
    pattern = re.compile(r"trustgraph [^`\n]*?(" + "|".join(re.escape(o) for o in OLD) + r")(?=[ =`\n])")
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        if path.name == "cli.md":  # the page that lists the old names
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            found = pattern.search(line)
            assert not found or "alias" in line or "old name" in line, f"{path.name}: {line.strip()}"


def test_the_demo_refuses_a_store_of_other_data_and_reruns_on_its_own(run_cli, tmp_path: Path) -> None:
    """The demo's fictional parties would change the reputations and exposures of real ones."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "organizations.csv").write_text("id,name\nMINE1,Mine\nMINE2,Mine too\n", encoding="utf-8")
    assert run_cli(["--store", "my.db", "load", str(mine)])[0] == 0
    sample = str(ROOT / "data" / "sample")
    code, out, err = run_cli(["--store", "my.db", "demo", "--data", sample])
    assert code == 6 and "already holds 2 organisations that are not in" in err and "MINE1, MINE2" in err, err
    counts = {r["table"]: r["count"] for r in json.loads(run_cli("--store my.db stats --format json")[1])["rows"]}
    assert counts["organizations"] == 2 and counts["referrals"] == 0  # nothing of the sample was written
    assert run_cli(["--store", "demo.db", "demo", "--data", sample])[0] == 0
    assert run_cli(["--store", "demo.db", "demo", "--data", sample])[0] == 0  # again: its own data only
    assert run_cli(["--store", "my.db", "demo", "--force", "--data", sample])[0] == 0


def test_an_unknown_command_gets_the_nearest_names(run_cli) -> None:
    code, _, err = run_cli(["chian"])
    assert code == 2 and "No such command 'chian'. Did you mean 'chain'?" in err
    code, _, err = run_cli(["zzzz"])
    assert code == 2 and "No such command 'zzzz'." in err and "Did you mean" not in err
