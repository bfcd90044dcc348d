"""Run the README's ``console`` examples, or rewrite their outputs (``--update``).

Each fenced block marked ``console`` holds ``$ trustgraph ...`` lines, each followed by its exact
output. The blocks run in order in one temporary folder (with ``data/`` linked in) against one
SQLite store, so later examples see what earlier ones loaded. A fenced block whose info string is
``csv file=PATH`` (or ``text file=PATH``) is a file the reader writes: its content is written to
PATH in that folder when the examples reach it (so "edit the files, then load them" runs too). tests/test_readme.py checks that every
output is still exactly what the README shows; ``python scripts/readme_examples.py --update``
regenerates the outputs after a deliberate change.
"""

from __future__ import annotations

import io
import os
import re
import shlex
import sys
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCK = re.compile(r"```console\n(.*?)```", re.S)
#: A console block, or a file the reader writes (``csv file=PATH``), in README order.
STEP = re.compile(r"```console\n(.*?)```|```(?:csv|text) file=(\S+)\n(.*?)```", re.S)


def parse(text: str) -> list[tuple[str, str]]:
    """(command, expected output) pairs in README order."""
    pairs: list[tuple[str, str]] = []
    for block in BLOCK.findall(text):
        command: str | None = None
        out: list[str] = []
        for line in block.splitlines():
            if line.startswith("$ "):
                if command is not None:
                    pairs.append((command, "\n".join(out)))
                command, out = line[2:], []
            else:
                out.append(line)
        if command is not None:
            pairs.append((command, "\n".join(out)))
    return pairs


def run(command: str) -> tuple[int, str]:
    """Run one ``trustgraph ...`` command in-process; return (exit code, what the terminal shows)."""
    from trustgraph.cli import main

    argv = shlex.split(command)
    if argv[0] != "trustgraph":
        raise ValueError(f"README example is not a trustgraph command: {command}")
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(argv[1:])
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 0
    # What a reader sees in a terminal: stdout, then stderr, then the exit code when it is not 0.
    shown = out.getvalue().rstrip("\n").splitlines() + err.getvalue().rstrip("\n").splitlines()
    if code:
        shown.append(f"[exit {code}]")
    return code, "\n".join(line.rstrip() for line in shown)


def run_all(text: str) -> list[tuple[str, str, int, str]]:
    """Run every example in a fresh folder; return (command, expected, exit code, actual)."""
    results = []
    old = Path.cwd()
    saved = {k: os.environ.pop(k, None) for k in ("TRUSTGRAPH_STORE", "NEO4J_URI")}
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(ROOT / "data", Path(tmp) / "data")
        os.chdir(tmp)
        try:
            for step in STEP.finditer(text):
                if step.group(2):
                    target = Path(tmp) / step.group(2)
                    if Path(tmp).resolve() not in target.resolve().parents:
                        raise ValueError(f"README file block writes outside its folder: {step.group(2)}")
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(step.group(3), encoding="utf-8")
                    continue
                for command, expected in parse(step.group(0)):
                    code, actual = run(command)
                    results.append((command, expected, code, actual))
        finally:
            os.chdir(old)
            for k, v in saved.items():
                if v is not None:
                    os.environ[k] = v
    return results


def update() -> None:
    text = README.read_text(encoding="utf-8")
    outputs = iter(run_all(text))

    def fill(match: re.Match[str]) -> str:
        lines = []
        for command, _ in parse(match.group(0)):
            ran, _, code, actual = next(outputs)
            assert ran == command
            lines.append(f"$ {command}")
            if actual:
                lines.append(actual)
        return "```console\n" + "\n".join(lines) + "\n```"

    README.write_text(BLOCK.sub(fill, text), encoding="utf-8")


if __name__ == "__main__":
    if "--update" in sys.argv:
        update()
    else:
        bad = [r for r in run_all(README.read_text(encoding="utf-8")) if r[1] != r[3]]
        for command, expected, code, actual in bad:
            print(f"$ {command}\n--- expected\n{expected}\n--- actual (exit {code})\n{actual}\n")
        sys.exit(1 if bad else 0)
