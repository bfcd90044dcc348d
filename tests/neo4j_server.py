"""A real Neo4j for the tests: the server named by ``TRUSTGRAPH_TEST_NEO4J_URI``, or one started here.

``neo4j_server`` (a session fixture; import it into a test module) answers a :class:`Server`:

* when ``TRUSTGRAPH_TEST_NEO4J_URI`` is set (CI sets it after ``scripts/neo4j-local start``), that
  server, with ``NEO4J_USERNAME`` / ``NEO4J_PASSWORD`` (default ``neo4j`` / ``trustgraph-dev``);
* otherwise a private server started with ``scripts/neo4j-local`` on a free port with its own state
  folder under the system temp dir, stopped when the test process exits.

When no server can be reached or started the Neo4j tests are skipped, except when ``CI`` is set:
then they fail, so that a broken CI set-up cannot pass silently.

:func:`start_private_server` starts a dedicated one (the fault test kills its server).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "neo4j-local"
DEFAULT_USER = "neo4j"
DEFAULT_PASSWORD = "trustgraph-dev"

__all__ = ["Server", "neo4j_server", "start_private_server", "unavailable", "free_port"]


def unavailable(reason: str) -> None:
    """Skip, or fail under CI (a CI run must never pass by skipping the Neo4j tests)."""
    if os.environ.get("CI"):
        pytest.fail(f"Neo4j is required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """Where a Neo4j server is; ``state_dir`` is set when this process started it."""

    uri: str
    username: str = DEFAULT_USER
    password: str = DEFAULT_PASSWORD
    database: str = "neo4j"
    state_dir: Path | None = None
    port: int | None = None
    env: dict[str, str] = field(default_factory=dict)

    def cli_args(self) -> list[str]:
        """The global CLI flags that select this server."""
        return ["--neo4j-uri", self.uri, "--neo4j-user", self.username, "--neo4j-password", self.password,
                "--neo4j-database", self.database]

    def store(self, **kwargs: object):  # -> Neo4jStore (imported lazily: the driver is optional here)
        from trustgraph.store.neo4j import Neo4jStore

        return Neo4jStore(self.uri, username=self.username, password=self.password, database=self.database,
                          **kwargs)  # type: ignore[arg-type]

    def pid(self) -> int | None:
        """The server's process id (private servers only)."""
        if self.state_dir is None:
            return None
        try:
            return int((self.state_dir / "neo4j.pid").read_text().strip())
        except (OSError, ValueError):
            return None

    def _script(self, command: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(SCRIPT), command], env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def start(self) -> None:
        """Start (or restart after a kill) this private server; raises RuntimeError with the log tail."""
        done = self._script("start")
        if done.returncode != 0:
            raise RuntimeError(f"scripts/neo4j-local start failed ({done.returncode}):\n{done.stderr[-3000:]}")

    def kill(self) -> None:
        """SIGKILL the server process (a crash, not a shutdown)."""
        pid = self.pid()
        if pid is None:
            raise RuntimeError("no pid for this server")
        os.kill(pid, signal.SIGKILL)

    def stop(self, remove: bool = True) -> None:
        """Stop this private server and (by default) delete its state folder."""
        if self.state_dir is None:
            return
        try:
            self._script("stop", timeout=90)
        finally:
            if remove:
                shutil.rmtree(self.state_dir, ignore_errors=True)


def start_private_server(prefix: str = "trustgraph-neo4j-") -> Server:
    """Start a Neo4j of our own on a free port with its own state folder (about 20 s).

    Raises
    ------
    RuntimeError
        When Java or the launcher script is missing or the server cannot start (the reason says which).
    """
    if not SCRIPT.exists():
        raise RuntimeError(f"{SCRIPT} is missing")
    if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        raise RuntimeError("Java 17+ is needed to start the local Neo4j (scripts/neo4j-local)")
    port = free_port()
    state = Path(tempfile.mkdtemp(prefix=prefix))
    env = dict(os.environ)
    env.update({
        "NEO4J_LOCAL_PORT": str(port),
        "NEO4J_LOCAL_DIR": str(state),
        "NEO4J_USERNAME": DEFAULT_USER,
        "NEO4J_PASSWORD": DEFAULT_PASSWORD,
    })
    server = Server(f"bolt://127.0.0.1:{port}", state_dir=state, port=port, env=env)
    try:
        server.start()
    except (RuntimeError, subprocess.TimeoutExpired, OSError) as err:
        server.stop()
        raise RuntimeError(f"could not start a local Neo4j: {err}") from err
    return server


_SESSION: dict[str, Server] = {}
_FAILED: list[str] = []  # why the session server is unusable (so that each module does not retry)


def _session_server() -> Server:
    """One server per test process, however many modules import the fixture."""
    if "server" in _SESSION:
        return _SESSION["server"]
    if _FAILED:
        unavailable(_FAILED[0])
    uri = os.environ.get("TRUSTGRAPH_TEST_NEO4J_URI")
    if uri:
        server = Server(uri, os.environ.get("NEO4J_USERNAME") or DEFAULT_USER,
                        os.environ.get("NEO4J_PASSWORD") or DEFAULT_PASSWORD,
                        os.environ.get("NEO4J_DATABASE") or "neo4j")
    else:
        try:
            server = start_private_server()
        except RuntimeError as err:
            _FAILED.append(str(err))
            unavailable(str(err))
        atexit.register(server.stop)
    try:
        server.store().close()  # reachable, credentials accepted, database present
    except Exception as err:  # noqa: BLE001 - any failure means "no usable server"
        reason = f"Neo4j at {uri or server.uri} is not usable: {err}"
        _FAILED.append(reason)
        unavailable(reason)
    _SESSION["server"] = server
    return server


@pytest.fixture(scope="session")
def neo4j_server() -> Iterator[Server]:
    """A reachable Neo4j server (see the module docs)."""
    yield _session_server()
