"""The README's "Use trustgraph from other tools" examples run: shell, Python and curl (issue 14).

Blocks fenced as ```` ```bash tested ```` or ```` ```python tested ```` run in a folder holding
``trustgraph.db`` (the sample) with the project's virtual environment first on PATH; each is
followed by a ```` ```text ```` block with its exact output. For the HTTP block a real ``trustgraph
serve`` runs on a free port (the README says 8000). ``python tests/test_readme_tools.py --update``
rewrites the outputs after a deliberate change.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SECTION = "## Use trustgraph from other tools"
BLOCK = re.compile(r"```(bash|python) tested\n(.*?)```\n\n```text\n(.*?)```", re.S)


def section(text: str) -> str:
    start = text.index(SECTION)
    end = text.index("\n## ", start + 1)
    return text[start:end]


def run_blocks(text: str) -> list[tuple[str, str, str, str]]:
    """(language, code, expected, actual) of every tested block of the section."""
    results = []
    bindir = str(Path(sys.executable).parent)
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(ROOT / "data", Path(tmp) / "data")
        env = {k: v for k, v in os.environ.items() if k not in ("TRUSTGRAPH_STORE", "NEO4J_URI", "TRUSTGRAPH_TOKEN")}
        env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
        env["PYTHONPATH"] = str(ROOT)
        loaded = subprocess.run([sys.executable, "-m", "trustgraph", "-q", "load", "data/sample"], cwd=tmp, env=env,
                                capture_output=True, text=True)
        assert loaded.returncode == 0, loaded.stderr
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "trustgraph", "serve", "--port", str(port), "--log-level",
                                   "warning"], cwd=tmp, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                  start_new_session=True)
        try:
            _wait(port, server)
            for language, code, expected in BLOCK.findall(section(text)):
                script = code.replace("127.0.0.1:8000", f"127.0.0.1:{port}")
                argv = ["bash", "-eo", "pipefail", "-c", script] if language == "bash" else [sys.executable, "-c", script]
                done = subprocess.run(argv, cwd=tmp, env=env, capture_output=True, text=True, timeout=300)
                assert done.returncode == 0, f"{code}\n{done.stderr}"
                results.append((language, code, expected, done.stdout))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(15)
    return results


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, server: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert server.poll() is None, "trustgraph serve exited"
        time.sleep(0.1)
    raise AssertionError("trustgraph serve did not start")


def test_readme_tool_examples_print_what_the_readme_shows() -> None:
    results = run_blocks(README.read_text(encoding="utf-8"))
    assert {language for language, *_ in results} == {"bash", "python"} and len(results) >= 3
    for _, code, expected, actual in results:
        assert actual == expected, f"{code}\n--- README\n{expected}--- now\n{actual}"


def update() -> None:
    text = README.read_text(encoding="utf-8")
    outputs = iter(run_blocks(text))
    head, body = text.split(SECTION, 1)
    own, rest = body.split("\n## ", 1)

    def fill(match: re.Match[str]) -> str:
        _, code, _, actual = next(outputs)
        return f"```{match.group(1)} tested\n{code}```\n\n```text\n{actual}```"

    README.write_text(head + SECTION + BLOCK.sub(fill, own) + "\n## " + rest, encoding="utf-8")


if __name__ == "__main__":
    if "--update" in sys.argv:
        update()
