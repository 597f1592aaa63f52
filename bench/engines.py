"""The engines bench/suite.py compares, behind one small interface: start, query, stop.

kg's endpoint (``kg serve``), the Oxigraph server (``oxigraph serve-read-only``), rdflib-endpoint
serving an rdflib Dataset, and rdflib in memory (queries run in the benchmark's own process tree).
Every server binds 127.0.0.1 on a free port, runs in its own session, and is stopped with its
whole process group, so Ctrl-C or an error in the suite cannot leave one behind.

A query that overruns the per-query timeout must not hang the run, nor keep the engine busy
for the next query. kg stops its own query (its worker is killed); the Oxigraph server is
restarted (cheap: a read-only open); rdflib cannot be interrupted, so both rdflib engines are
forked from a process that parsed the data once, and a stuck child is killed and re-forked in
milliseconds instead of re-parsing the data.

Run as a script, this module is that parent for rdflib-endpoint:

    python3 bench/engines.py serve-rdflib-endpoint --data data.nq --port 8123
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import http.client
import itertools
import json
import multiprocessing
import multiprocessing.connection
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

# The Oxigraph server installed with this Python (a venv's bin folder need not be on PATH).
OXIGRAPH = (
    shutil.which("oxigraph", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    or "oxigraph"
)
JSON_RESULTS = "application/sparql-results+json"


class QueryTimeout(Exception):
    """The engine did not answer within the per-query timeout."""


class QueryFailed(Exception):
    """The engine answered with an error; the message says which status and what it said."""


@dataclass
class Answer:
    ms: float
    rows: int


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def folder_bytes(path: Path) -> int:
    """Bytes of the files under ``path``, each inode once: snapshots hard-link the store's files."""
    seen: dict[tuple[int, int], int] = {}
    for p in path.rglob("*"):
        if p.is_file():
            st = p.stat()
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


def count_rows(body: bytes) -> int:
    """Rows of a SPARQL JSON result (booleans count as one row)."""
    data = json.loads(body)
    if "boolean" in data:
        return 1
    return len(data["results"]["bindings"])


# -- memory -------------------------------------------------------------------------------


def tree_memory(pid: int) -> int:
    """Bytes a process tree holds: the sum of PSS (shared pages split between sharers), RSS if PSS
    cannot be read. PSS, because kg's workers and the rdflib parent share pages with their children."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    total = 0
    for proc in procs:
        try:
            info = proc.memory_full_info()
            total += getattr(info, "pss", 0) or info.rss
        except psutil.AccessDenied:
            with contextlib.suppress(psutil.Error):
                total += proc.memory_info().rss
        except psutil.Error:
            pass
    return total


class MemorySampler:
    """Peak memory of a process tree, sampled in a background thread while a phase runs."""

    def __init__(self, pid: int, interval_s: float = 0.3) -> None:
        self.pid = pid
        self.interval_s = interval_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_memory(self.pid))
            self._stop.wait(self.interval_s)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_memory(self.pid))


# -- engines ------------------------------------------------------------------------------


@dataclass
class Engine:
    """One engine under test. ``key`` names it on the command line, ``label`` in the table."""

    key: str
    label: str
    timeout_s: float
    log_dir: Path
    started_s: float = 0.0  # seconds from launch to the first answer
    notes: list[str] = field(default_factory=list)

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def canned(self, name: str, sparql: str) -> Answer:
        """Run a canned query (kg by name, the others by its text with the defaults bound)."""
        return self.sparql(sparql)

    def sparql(self, sparql: str) -> Answer:
        raise NotImplementedError

    def memory_pid(self) -> int | None:
        return None

    def disk_bytes(self) -> int | None:
        return None


class HttpEngine(Engine):
    """A SPARQL server in a child process, queried over one keep-alive HTTP connection."""

    sparql_path = "/sparql"
    ready_path = "/sparql?query=ASK%7B%7D"
    start_timeout_s = 900.0

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self._conn: http.client.HTTPConnection | None = None

    def command(self) -> list[str]:
        raise NotImplementedError

    def start(self) -> None:
        self.port = free_port()
        log = (self.log_dir / f"{self.key}.log").open("ab")
        launched = time.perf_counter()
        self.process = subprocess.Popen(
            self.command(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self.wait_ready()
        self.started_s = time.perf_counter() - launched

    def wait_ready(self) -> None:
        assert self.process is not None
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.label} exited with code {self.process.returncode} while starting; "
                    f"see {self.log_dir / (self.key + '.log')}"
                )
            try:
                status, _ = self.get(self.ready_path, timeout_s=5.0)
                if status == 200:
                    return
            except (OSError, http.client.HTTPException, QueryTimeout):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} did not answer within {self.start_timeout_s:.0f} s of starting")

    def stop(self) -> None:
        self._close()
        if self.process is None:
            return
        stop_group(self.process)
        self.process = None

    def memory_pid(self) -> int | None:
        return self.process.pid if self.process else None

    def _close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def get(
        self, path: str, *, timeout_s: float | None = None, body: bytes | None = None
    ) -> tuple[int, bytes]:
        """One GET (POST with a body) on the kept-alive connection; a timeout closes it (the server may
        still be busy)."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection(
                "127.0.0.1", self.port, timeout=timeout_s or self.timeout_s
            )
        self._conn.timeout = timeout_s or self.timeout_s
        if self._conn.sock is not None:
            self._conn.sock.settimeout(self._conn.timeout)
        try:
            # Timed one by one, every query is evaluated: no answer from kg's answer cache (the load
            # test, ``load``, is where repeated requests may be answered from it).
            headers = {"Accept": JSON_RESULTS, "Cache-Control": "no-cache"}
            if body is not None:
                headers["Content-Type"] = "application/sparql-query"
            self._conn.request("GET" if body is None else "POST", path, body=body, headers=headers)
            response = self._conn.getresponse()
            body = response.read()
        except TimeoutError as exc:
            self._close()
            raise QueryTimeout from exc
        except (OSError, http.client.HTTPException):
            self._close()
            raise
        if response.getheader("connection", "").lower() == "close":
            self._close()
        return response.status, body

    def timed_get(self, path: str, query: bytes | None = None) -> Answer:
        started = time.perf_counter()
        try:
            status, body = self.get(path, body=query)
        except QueryTimeout:
            self.after_timeout()
            raise
        ms = (time.perf_counter() - started) * 1000
        if status == 503 and b"query_timeout" in body:  # kg stopped it at the same limit: the same outcome
            raise QueryTimeout
        if status != 200:
            raise QueryFailed(f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}")
        return Answer(ms, count_rows(body))

    def after_timeout(self) -> None:
        """Make sure the next query does not queue behind the one that timed out."""

    def sparql(self, sparql: str) -> Answer:
        """POST, as the SPARQL protocol allows: some queries are longer than a server's header limit."""
        return self.timed_get(self.sparql_path, sparql.encode("utf-8"))

    def query_path(self, sparql: str) -> str:
        return f"{self.sparql_path}?{urllib.parse.urlencode({'query': sparql})}"


def stop_group(process: subprocess.Popen[bytes], grace_s: float = 10.0) -> None:
    """SIGTERM to the child's whole session (it was started in its own), SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=grace_s)
    # Workers the server started in the same session, if they outlived it.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


class KgEngine(HttpEngine):
    """``kg serve``: canned queries by name at /queries/<name>, paths at /paths, SPARQL at /sparql."""

    def __init__(
        self, *args: object, data_dir: Path, max_results: int = 10_000_000, **kwargs: object
    ) -> None:
        super().__init__(*args, **kwargs)
        self.data_dir = data_dir
        self.max_results = max_results

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-m",
            "kg.cli",
            "serve",
            "--data-dir",
            str(self.data_dir),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--query-timeout",
            f"{self.timeout_s:g}",
            "--max-results",
            str(self.max_results),
            "--no-access-log",
        ]

    def canned(self, name: str, sparql: str) -> Answer:
        return self.timed_get(f"/queries/{urllib.parse.quote(name)}")

    def paths(
        self, source: str, to_type: str, max_hops: int, limit: int = 50, offset: int = 0
    ) -> tuple[float, dict[str, object]]:
        query = urllib.parse.urlencode(
            {"source": source, "to_type": to_type, "max_hops": max_hops, "limit": limit, "offset": offset}
        )
        started = time.perf_counter()
        status, body = self.get(f"/paths?{query}")
        ms = (time.perf_counter() - started) * 1000
        if status != 200:
            raise QueryFailed(f"HTTP {status}: {body[:300].decode('utf-8', 'replace')}")
        return ms, json.loads(body)

    def disk_bytes(self) -> int | None:
        """The whole data dir: the working store and the published snapshots the server answers from."""
        parts = {p.name: folder_bytes(p) for p in self.data_dir.iterdir() if p.is_dir()}
        if len(parts) > 1:
            self.notes.append(
                "disk: the data dir holds "
                + ", ".join(f"{name} {size / 2**20:,.1f} MB" for name, size in sorted(parts.items()))
                + " (files hard-linked between them are counted once in the table)"
            )
        return folder_bytes(self.data_dir)


class OxigraphServer(HttpEngine):
    """``oxigraph serve-read-only`` with the default graph as the union of all graphs, as kg queries."""

    sparql_path = "/query"
    ready_path = "/query?query=ASK%7B%7D"

    def __init__(self, *args: object, location: Path, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.location = location

    def command(self) -> list[str]:
        return [
            OXIGRAPH,
            "serve-read-only",
            "--location",
            str(self.location),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--union-default-graph",
        ]

    def after_timeout(self) -> None:
        # No server-side timeout (its --timeout-s aborts the server under load, PERFORMANCE.md):
        # a restart is the only way to stop the query, and a read-only open takes well under a second.
        self.stop()
        self.start()

    def disk_bytes(self) -> int | None:
        return folder_bytes(self.location)


class RdflibEndpoint(HttpEngine):
    """rdflib-endpoint's FastAPI app serving a Dataset parsed from the N-Quads (default graph = union)."""

    def __init__(self, *args: object, data: Path, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.data = data

    def command(self) -> list[str]:
        return [
            sys.executable,
            str(Path(__file__).resolve()),
            "serve-rdflib-endpoint",
            "--data",
            str(self.data),
            "--port",
            str(self.port),
        ]

    def after_timeout(self) -> None:
        # Its handler runs the query on the event loop: until it ends nothing else is answered.
        # Kill the served child; the parent forks a fresh one from the already parsed Dataset.
        assert self.process is not None
        for child in psutil.Process(self.process.pid).children():
            child.kill()
        self.wait_ready()


class RdflibMemory(Engine):
    """rdflib in memory: a Dataset (default graph = union of all graphs) and ``Dataset.query``.

    The Dataset is parsed once in a forked parent; queries run in a child forked from it, so a query
    past the timeout is killed without losing the parsed data. Times are taken in the child,
    around ``query`` and reading every row: no HTTP, no serialisation.
    """

    def __init__(self, *args: object, data: Path, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.data = data
        self.parse_s = 0.0
        self.peak_bytes = 0
        self._parent: multiprocessing.process.BaseProcess | None = None
        self._conn: multiprocessing.connection.Connection | None = None

    def start(self) -> None:
        ctx = multiprocessing.get_context("fork")
        here, there = ctx.Pipe()
        launched = time.perf_counter()
        # Not a daemon: a daemonic process may not fork the query children.
        self._parent = ctx.Process(target=_rdflib_parent, args=(there, str(self.data)))
        self._parent.start()
        there.close()
        self._conn = here
        if not here.poll(3600):
            raise RuntimeError("rdflib did not finish parsing the data within an hour")
        message = here.recv()
        if message[0] != "ready":
            raise RuntimeError(f"rdflib could not load {self.data}: {message[1]}")
        self.parse_s = message[1]
        self.started_s = time.perf_counter() - launched

    def stop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(("stop",))
            self._conn.close()
            self._conn = None
        if self._parent is not None:
            self._parent.join(10)
            if self._parent.is_alive():
                self._parent.kill()
                self._parent.join(10)
            self._parent = None

    def memory_pid(self) -> int | None:
        return self._parent.pid if self._parent else None

    def sparql(self, sparql: str) -> Answer:
        assert self._conn is not None
        self._conn.send(("query", sparql, self.timeout_s))
        if not self._conn.poll(self.timeout_s + 600):
            raise RuntimeError("the rdflib parent stopped answering")
        message = self._conn.recv()
        self.peak_bytes = max(self.peak_bytes, message[-1])
        if message[0] == "timeout":
            raise QueryTimeout
        if message[0] == "error":
            raise QueryFailed(message[1])
        return Answer(message[1], message[2])


def _rdflib_parent(conn: multiprocessing.connection.Connection, data: str) -> None:
    """Parse once, then answer queries in a forked child; a child past the timeout is killed and the next
    query gets a fresh fork of the parsed Dataset (cheap) instead of a re-parse."""
    from rdflib import Dataset

    try:
        started = time.perf_counter()
        dataset = Dataset(default_union=True)
        dataset.parse(data, format="nquads")
        # rdflib builds its SPARQL grammar on first use: do it here, once, not in every fork.
        list(dataset.query("SELECT * WHERE { ?s ?p ?o } LIMIT 1"))
        gc.collect()
        conn.send(("ready", time.perf_counter() - started))
    except Exception as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    ctx = multiprocessing.get_context("fork")
    child: multiprocessing.process.BaseProcess | None = None
    here: multiprocessing.connection.Connection | None = None
    try:
        while True:
            try:
                message = conn.recv()
            except EOFError:
                return
            if message[0] != "query":
                return
            _, sparql, timeout_s = message
            if child is None or not child.is_alive():
                here, there = ctx.Pipe()
                child = ctx.Process(target=_rdflib_worker, args=(there, dataset), daemon=True)
                child.start()
                there.close()
            assert here is not None
            here.send(sparql)
            if here.poll(timeout_s):
                conn.send(here.recv())
            else:
                peak = _rss_of(child.pid)
                child.kill()
                child.join()
                child = None
                conn.send(("timeout", peak))
    finally:
        if child is not None:
            child.kill()


def _rss_of(pid: int | None) -> int:
    try:
        return psutil.Process(pid).memory_info().rss if pid else 0
    except psutil.Error:
        return 0


def _rdflib_worker(conn: multiprocessing.connection.Connection, dataset: object) -> None:
    while True:
        try:
            sparql = conn.recv()
        except EOFError:
            return
        try:
            started = time.perf_counter()
            rows = sum(1 for _ in dataset.query(sparql))  # type: ignore[attr-defined]
            ms = (time.perf_counter() - started) * 1000
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
            conn.send(("ok", ms, rows, peak))
        except Exception as exc:
            conn.send(("error", f"{type(exc).__name__}: {exc}", 0))


# -- load ---------------------------------------------------------------------------------


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def load(
    port: int, path: str | Callable[[int], str], clients: int, duration_s: float, timeout_s: float
) -> LoadResult:
    """``clients`` threads, each on its own keep-alive connection, sending GET ``path`` back to back
    for ``duration_s`` seconds; ``path`` may be a function of the request's number (0, 1, 2... over
    all clients) to vary the requests. Only answers with status 200 count as requests; others as
    errors."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start_line = threading.Barrier(clients + 1)
    stop_at = [0.0]
    numbers = itertools.count()  # next() on it is atomic under the GIL

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
        start_line.wait()
        mine = latencies[index]
        while time.perf_counter() < stop_at[0]:
            target = path if isinstance(path, str) else path(next(numbers))
            began = time.perf_counter()
            try:
                conn.request("GET", target, headers={"Accept": JSON_RESULTS})
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
            if ok:
                mine.append((time.perf_counter() - began) * 1000)
            else:
                errors[index] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + duration_s
    began = time.perf_counter()
    start_line.wait()
    for thread in threads:
        thread.join(duration_s + timeout_s + 30)
    elapsed = time.perf_counter() - began
    flat = [ms for mine in latencies for ms in mine]
    return LoadResult(len(flat), sum(errors), elapsed, flat)


# -- rdflib-endpoint parent (run as a script) ----------------------------------------------


def serve_rdflib_endpoint(data: Path, port: int) -> None:
    """Parse once, build the app once, then keep one forked child serving it; re-fork when it dies."""
    import uvicorn
    from rdflib import Dataset
    from rdflib_endpoint import SparqlEndpoint

    dataset = Dataset(default_union=True)
    dataset.parse(str(data), format="nquads")
    app = SparqlEndpoint(graph=dataset, path="/sparql", title="rdflib-endpoint (benchmark)")
    gc.collect()
    stopping = False
    child = 0

    def on_term(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        if child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    while not stopping:
        child = os.fork()
        if child == 0:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
            os._exit(0)
        while True:
            try:
                os.waitpid(child, 0)
                break
            except ChildProcessError:
                break
            except InterruptedError:
                continue
        child = 0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Helpers the benchmark suite runs in child processes.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve-rdflib-endpoint", help="Serve N-Quads with rdflib-endpoint on 127.0.0.1.")
    serve.add_argument("--data", type=Path, required=True)
    serve.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    serve_rdflib_endpoint(args.data, args.port)


if __name__ == "__main__":
    main()
