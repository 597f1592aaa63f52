"""A throwaway Virtuoso server for tests: Debian's ``virtuoso-opensource``, its own database, loopback only.

The tests never use the Debian system service. ``virtuoso_server(folder)`` writes a virtuoso.ini
whose database, log and lock live in ``folder`` and whose SQL and HTTP ports are free ports on
127.0.0.1, runs ``virtuoso-t +foreground +configfile <ini>``, waits until /sparql answers,
and kills the server when the block ends (the database is thrown away, so no checkpoint).

Updates go to /sparql-auth as the database administrator with digest authentication (a fresh
database's dba password is "dba"); anonymous /sparql stays read-only, as on a real deployment.
Virtuoso's own query limit (MaxQueryExecutionTime) bounds what a query kg gave up on can cost.

Where ``virtuoso-t`` is missing the tests that need it are skipped, unless KG_REQUIRE_VIRTUOSO=1
(set by .ci/run, which installs the package): then they fail, so CI cannot pass without them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from support import free_port

START_TIMEOUT_S = 90.0

_INI = """\
[Database]
DatabaseFile = {db}/virtuoso.db
ErrorLogFile = {db}/virtuoso.log
LockFile = {db}/virtuoso.lck
TransactionFile = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
MaxCheckpointRemap = 2000
Striping = 0
TempStorage = TempDatabase

[TempDatabase]
DatabaseFile = {db}/virtuoso-temp.db
TransactionFile = {db}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping = 0

[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
CheckpointInterval = 60
CaseMode = 2
DirsAllowed = ., {db}
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
MaxQueryMem = 200M
ThreadsPerQuery = 2

[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {db}
ServerThreads = 4
MaxKeepAlives = 10
KeepAliveTimeout = 10
Charset = UTF-8

[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = {max_query_s}
"""


@dataclass(frozen=True)
class Virtuoso:
    base: str  # http://127.0.0.1:<port>
    sql_port: int
    folder: Path
    user: str = "dba"
    password: str = "dba"

    @property
    def query_url(self) -> str:
        return f"{self.base}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.base}/sparql-auth"

    def log(self) -> str:
        path = self.folder / "virtuoso.log"
        return path.read_text(errors="replace") if path.exists() else ""


def virtuoso_command() -> str:
    """The path of virtuoso-t; skips the test where it is missing (fails under KG_REQUIRE_VIRTUOSO=1)."""
    found = shutil.which("virtuoso-t")
    if found:
        return found
    message = (
        "virtuoso-t is not installed (Debian: apt-get install virtuoso-opensource); "
        "the Virtuoso tests need it"
    )
    if os.environ.get("KG_REQUIRE_VIRTUOSO") == "1":
        pytest.fail(message + " and KG_REQUIRE_VIRTUOSO=1 says they must run")
    pytest.skip(message)


@contextmanager
def virtuoso_server(folder: Path, *, max_query_s: int = 10) -> Iterator[Virtuoso]:
    """A Virtuoso server with an empty database in ``folder`` until the block ends."""
    command = virtuoso_command()
    folder.mkdir(parents=True, exist_ok=True)
    sql_port, http_port = free_port(), free_port()
    while http_port == sql_port:
        http_port = free_port()
    ini = folder / "virtuoso.ini"
    ini.write_text(
        _INI.format(db=folder, sql_port=sql_port, http_port=http_port, max_query_s=max_query_s),
        encoding="utf-8",
    )
    server = Virtuoso(base=f"http://127.0.0.1:{http_port}", sql_port=sql_port, folder=folder)
    with (folder / "console.log").open("wb") as console:
        process = subprocess.Popen(
            [command, "+foreground", "+configfile", str(ini)],
            cwd=folder,
            stdout=console,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_ready(process, server)
        yield server
    finally:
        process.kill()  # the database is thrown away: no need for a clean checkpoint
        process.wait(timeout=30)


def _wait_until_ready(process: subprocess.Popen[bytes], server: Virtuoso) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"virtuoso-t exited with {process.returncode}:\n{server.log()[-3000:]}")
        try:
            response = httpx.get(server.query_url, params={"query": "ASK {}"}, timeout=2.0)
            if response.status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    pytest.fail(f"Virtuoso did not answer within {START_TIMEOUT_S:g} s:\n{server.log()[-3000:]}")
