"""docs/cli.md and the commands agree: one name per idea, old names as hidden aliases (issue 14)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import click
import pytest

from trustgraph.cli import cli

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
SAMPLE = ROOT / "data" / "sample"
RunCli = Callable[..., tuple[int, str, str]]


def _table(title: str) -> list[list[str]]:
    part = DOC.split(title, 1)[1].split("\n## ", 1)[0]
    rows = [line for line in part.splitlines() if line.startswith("| ") and not line.startswith("|---")]
    return [[cell.strip() for cell in re.split(r"(?<!\\)\|", row)[1:-1]] for row in rows[1:]]


def _commands(cell: str) -> list[str]:
    if cell.startswith("every"):  # "every analysis": checked by the options' single definition in app.py
        return []
    return [re.sub(r"\s*\(.*?\)", "", c).strip() for c in re.sub(r"\(.*?\)", "", cell).split(",") if c.strip()]


def _options(command: str) -> dict[str, click.Option]:
    cli.load_all()
    out = {}
    for param in cli.commands[command].params:
        if isinstance(param, click.Option):
            for name in param.opts + param.secondary_opts:
                out[name] = param
    return out


SHARED = [(row[0].split("`")[1].split()[0], _commands(row[2])) for row in _table("## Shared options")]
ALIASES = [(row[0].strip("`"), row[1].strip("`"), _commands(row[2])) for row in _table("## Old names")]


def test_the_doc_lists_options_and_aliases() -> None:
    assert len(SHARED) >= 8 and len(ALIASES) >= 7


@pytest.mark.parametrize(("option", "commands"), SHARED, ids=[o for o, _ in SHARED])
def test_each_shared_option_has_one_name_everywhere(option: str, commands: list[str]) -> None:
    for command in commands:
        opts = _options(command)
        assert option in opts, f"{command} has no {option}"
        assert not opts[option].hidden


@pytest.mark.parametrize(("old", "new", "commands"), ALIASES, ids=[f"{o}->{n}" for o, n, _ in ALIASES])
def test_each_old_name_is_a_hidden_alias(old: str, new: str, commands: list[str]) -> None:
    for command in commands:
        opts = _options(command)
        assert old in opts and opts[old].hidden, f"{command}: {old} is not a hidden alias"
        assert new in opts and not opts[new].hidden, f"{command}: no {new}"


@pytest.fixture()
def sample(run_cli: RunCli) -> list[str]:
    code, _, err = run_cli(["--store", "s.db", "-q", "load", str(SAMPLE)])
    assert code == 0, err
    return ["--store", "s.db"]


@pytest.mark.parametrize(("old", "new"), [
    ("chain ORG001 ORG045 --k 1", "chain ORG001 ORG045 --limit 1"),
    ("reputation --top 2", "reputation --limit 2"),
    ("contagion --hops 2 --top 3", "contagion --max-hops 2 --limit 3"),
    ("referrals ORG045 --from ORG001", "referrals ORG045 --for ORG001"),
    ("vouchers ORG045 --for ORG001 --max-depth 4", "vouchers ORG045 --for ORG001 --max-hops 4"),
    ("accepted --seeds ORG001,ORG017", "accepted --pretrusted ORG001,ORG017"),
    ("continuity --top 2 --org ORG075", "continuity --limit 2 --for ORG075"),
])
def test_an_old_name_gives_the_same_answer_with_a_note(run_cli: RunCli, sample: list[str], old: str, new: str) -> None:
    code, before, note = run_cli(sample + old.split() + ["--format", "json"])
    assert code == 0, note
    code, after, _ = run_cli(sample + new.split() + ["--format", "json"])
    assert code == 0
    assert json.loads(before) == json.loads(after)
    assert "note:" in note and "will be removed" in note


def test_old_and_new_name_together_is_a_usage_error(run_cli: RunCli, sample: list[str]) -> None:
    code, _, err = run_cli(sample + ["chain", "ORG001", "ORG045", "--k", "1", "--limit", "2"])
    assert code == 2 and "--k" in err and "--limit" in err


def test_old_names_are_not_in_help(run_cli: RunCli) -> None:
    code, out, _ = run_cli(["chain", "--help"])
    assert code == 0 and "--limit" in out and "--k " not in out


@pytest.mark.parametrize("line", ["reputation --limit 0", "contagion --limit 0", "analyze --limit 0"])
def test_limit_zero_means_no_limit(run_cli: RunCli, sample: list[str], line: str) -> None:
    code, out, err = run_cli(sample + line.split() + ["--format", "json"])
    assert code == 0, err
    assert len(json.loads(out)["rows"]) == 96


def test_chain_refuses_limit_zero(run_cli: RunCli, sample: list[str]) -> None:
    code, _, err = run_cli(sample + ["chain", "ORG001", "ORG045", "--limit", "0"])
    assert code == 2 and "--limit" in err


@pytest.mark.parametrize("line", ["chain ORG001 ORG001", "vouchers ORG001 --for ORG001", "assess ORG001 --for ORG001",
                                  "timeline ORG001 ORG001"])
def test_a_party_and_itself_is_exit_2_everywhere(run_cli: RunCli, sample: list[str], line: str) -> None:
    code, _, err = run_cli(sample + line.split())
    assert code == 2, err
