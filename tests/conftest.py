"""Shared fixtures: the sample dataset, stores, the real research files, and an in-process CLI."""

from __future__ import annotations

import io
import os
import shlex
import sys
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pandas as pd
import pytest

from trustgraph.cli import main
from trustgraph.ingest import load_dataset
from trustgraph.store import SqliteStore

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
SHARED_DATA = ROOT.parent / "shared" / "data"
OTC = SHARED_DATA / "bitcoin-otc" / "otc_network.csv"
OTC_LABELS = SHARED_DATA / "bitcoin-otc" / "otc_gt.csv"
ADVOGATO = SHARED_DATA / "advogato" / "out.advogato"
EPINIONS = SHARED_DATA / "epinions" / "soc-sign-epinions.txt.gz"


def _need(path: Path) -> Path:
    if not path.exists():
        # In CI the shared data sits beside the clone; its absence is a broken set-up, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"missing {path}: CI needs ../shared/data beside the clone")
        pytest.skip(f"{path} not present")
    return path


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE


@pytest.fixture(scope="session")
def sample_tables() -> dict[str, pd.DataFrame]:
    """The validated canonical frames of data/sample."""
    return load_dataset(SAMPLE)


@pytest.fixture()
def sample_store(tmp_path: Path, sample_tables: dict[str, pd.DataFrame]) -> Iterator[SqliteStore]:
    """A fresh SQLite store loaded with the sample dataset."""
    store = SqliteStore(tmp_path / "sample.db")
    store.load(sample_tables)
    yield store
    store.close()


@pytest.fixture(scope="session")
def otc_path() -> Path:
    return _need(OTC)


@pytest.fixture(scope="session")
def otc_labels_path() -> Path:
    return _need(OTC_LABELS)


@pytest.fixture(scope="session")
def advogato_path() -> Path:
    return _need(ADVOGATO)


@pytest.fixture(scope="session")
def epinions_path() -> Path:
    return _need(EPINIONS)


@pytest.fixture(scope="session")
def otc_tables(otc_path: Path) -> dict[str, pd.DataFrame]:
    from trustgraph.importers import read_snap_signed

    return dict(read_snap_signed(otc_path))


@pytest.fixture(scope="session")
def advogato_tables(advogato_path: Path) -> dict[str, pd.DataFrame]:
    from trustgraph.importers import read_konect

    return dict(read_konect(advogato_path))


class _Stdin(io.TextIOWrapper):
    pass


@pytest.fixture()
def run_cli(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Callable[..., tuple[int, str, str]]:
    """Run the real CLI entry point in-process: ``run_cli("stats --format json", input=...)``.

    Returns (exit code, stdout, stderr). The environment is cleaned of store settings, and the
    working directory is a temporary folder so the default store never touches the repository.
    """
    for var in ("TRUSTGRAPH_STORE", "TRUSTGRAPH_QUERIES", "NEO4J_URI", "NEO4J_USERNAME", "NEO4J_PASSWORD", "NEO4J_DATABASE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)

    def run(args: str | list[str], input: str | None = None) -> tuple[int, str, str]:
        argv = shlex.split(args) if isinstance(args, str) else list(args)
        out, err = io.StringIO(), io.StringIO()
        if input is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(input))
        code = 0
        with redirect_stdout(out), redirect_stderr(err):
            try:
                main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        return code, out.getvalue(), err.getvalue()

    return run


def write_dataset(folder: Path, files: dict[str, str]) -> Path:
    """Write a dataset folder from ``{table or file name: CSV text}`` (``.csv`` added when missing)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / (name if name.endswith(".csv") else f"{name}.csv")).write_text(text, encoding="utf-8")
    return folder


def store_digest(path: str | Path) -> str:
    """sha256 of every table of the SQLite store at ``path`` (a canonical dump): equal digests mean
    the data did not change. Opens the store read-only; a missing file digests as ``"missing"``."""
    import hashlib

    from trustgraph.model import TABLE_ORDER

    if not Path(path).exists():
        return "missing"
    store = SqliteStore(path, create=False)
    try:
        h = hashlib.sha256()
        for name in TABLE_ORDER:
            h.update(name.encode())
            h.update(store.table(name).to_csv(index=False).encode())
        h.update(store.scores().to_csv(index=False).encode())
        return h.hexdigest()
    finally:
        store.close()


@pytest.fixture()
def table_reads(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[str]]:
    """Watch whole-table reads from now on: call the returned function to start (or restart) the
    watch; it returns the list of tables that ``SqliteStore.table`` reads, and ``Env.tables()`` (every
    table at once) fails the test."""
    from trustgraph.cli.app import Env

    read: list[str] = []
    table = SqliteStore.table

    def spy(self: SqliteStore, name: str) -> pd.DataFrame:
        read.append(name)
        return table(self, name)

    def refuse(self: Env) -> None:
        raise AssertionError("env.tables() read every table")

    def start() -> list[str]:
        read.clear()
        monkeypatch.setattr(SqliteStore, "table", spy)
        monkeypatch.setattr(Env, "tables", refuse)
        return read

    return start


@pytest.fixture(scope="module", params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def sample_args(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[str]]:
    """Global CLI flags selecting a store loaded with the sample, one per backend and test module
    (Neo4j: the test server, cleared first)."""
    from trustgraph.cli import main

    if request.param == "sqlite":
        args = ["--store", str(tmp_path_factory.mktemp("sample") / "sample.db")]
    else:
        server = request.getfixturevalue("neo4j_server")
        server.store().clear()
        args = server.cli_args()
    try:
        main(args + ["-q", "load", str(SAMPLE), "--format", "json"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    yield args
