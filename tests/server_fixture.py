"""The real kg server process for tests that talk HTTP, as a user starts it: ``kg serve``.

Use it from a test module with::

    pytest_plugins = ["server_fixture"]

    def test_something(kg_server):          # base URL such as http://127.0.0.1:41234
        httpx.get(f"{kg_server}/sparql", params={"query": "ASK {}"})

Fixtures: ``sample_data_dir`` (session: a store built from the bundled sample records, as
``kg demo`` builds it); ``kg_server`` (session: one server on it, default settings, shared by
every module that asks); for a server with other settings, ``kg_server_launcher`` gives
``start_server``, a context manager ``start_server(data_dir, *flags) -> base URL``, and
``sample_data_copy`` a private copy of the sample store for it (only one process may open a
store read-write). Import nothing from this module directly: pytest registers it as a plugin
(``pytest_plugins``), and a direct import first would stop it rewriting the asserts.

The server binds 127.0.0.1 on a free port; its output goes to ``server-<port>.log`` next to
the store, and is shown if it fails to start.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import httpx
import pytest

from support import build_sample_store, copy_store, free_port

START_TIMEOUT_S = 60.0


def _clean_env(extra: dict[str, str] | None) -> dict[str, str]:
    """The test's environment without KG_* variables, so a developer's settings cannot leak in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    env.update(extra or {})
    return env


@contextmanager
def start_server(
    data_dir: Path,
    *flags: str,
    env: dict[str, str] | None = None,
    command: tuple[str, ...] = ("serve", "--no-access-log"),
    start_timeout_s: float = START_TIMEOUT_S,
) -> Iterator[str]:
    """Run ``kg serve`` (or ``command``, e.g. ``("demo", "--serve")``) on ``data_dir`` until the block
    ends; yields the base URL (no trailing slash)."""
    port = free_port()
    log_path = data_dir.parent / f"server-{port}.log"
    argv = [
        sys.executable,
        "-m",
        "kg.cli",
        *command,
        "--data-dir",
        str(data_dir),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *flags,
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, env=_clean_env(env))
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(process, base, log_path, start_timeout_s)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)


def _wait_until_ready(process: subprocess.Popen[bytes], base: str, log_path: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"kg serve exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        try:
            response = httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=2.0)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    pytest.fail(
        f"kg serve did not answer within {START_TIMEOUT_S:g} s:\n{log_path.read_text(errors='replace')}"
    )


@pytest.fixture(scope="session")
def sample_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_sample_store(tmp_path_factory.mktemp("served"))


@pytest.fixture(scope="session")
def kg_server(sample_data_dir: Path) -> Iterator[str]:
    """Base URL of a kg server on the sample graph, default settings, for the whole session."""
    with start_server(sample_data_dir) as base:
        yield base


@pytest.fixture(scope="session")
def kg_server_launcher() -> Callable[..., AbstractContextManager[str]]:
    """``start_server``: ``with kg_server_launcher(data_dir, "--query-timeout", "0.5") as base: ...``;
    ``kg_server_launcher(data_dir, command=("demo", "--serve"))`` runs another serving command."""
    return start_server


@pytest.fixture
def sample_data_copy(sample_data_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the sample store, for a second server with other settings."""
    return copy_store(sample_data_dir, tmp_path / "db")
