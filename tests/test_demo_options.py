"""The demo and the docs use today's option names: no deprecated alias in what the project runs itself."""

from __future__ import annotations

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
