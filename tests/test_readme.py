"""The README's examples are executed: every shown output is exactly what the command prints."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("readme_examples", ROOT / "scripts" / "readme_examples.py")
assert spec and spec.loader
readme_examples = importlib.util.module_from_spec(spec)
spec.loader.exec_module(readme_examples)


def test_readme_has_examples_for_every_command() -> None:
    from trustgraph.cli import cli

    cli.load_all()  # commands register lazily, when first used
    examples = readme_examples.parse((ROOT / "README.md").read_text(encoding="utf-8"))
    commands = {next((w for w in c.split()[1:] if w in cli.commands), "") for c, _ in examples}
    # the demo is the install line itself; serve runs until stopped: its examples are the HTTP block of
    # "Use trustgraph from other tools", run against a real server by tests/test_readme_tools.py
    missing = set(cli.commands) - commands - {"demo", "serve"}
    assert not missing, f"commands without a README example: {sorted(missing)}"


def test_readme_examples_print_what_the_readme_shows() -> None:
    results = readme_examples.run_all((ROOT / "README.md").read_text(encoding="utf-8"))
    assert results, "the README has no console examples"
    for command, expected, code, actual in results:
        assert code in (0, 3, 4, 6), f"$ {command} exited {code}"
        assert actual == expected, f"$ {command}\n--- README\n{expected}\n--- now\n{actual}"
