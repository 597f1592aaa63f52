"""Queries run in worker processes that can be killed: a time-out or a crash costs one query, not the server.

pyoxigraph cannot interrupt a running query, and a deeply nested query overflows its stack
and kills the process with SIGSEGV (shared/SECURITY.md). So each query runs in a worker
process that holds the store open read-only; the parent waits for the answer up to the
deadline, and kills and replaces a worker that is late or dead.

CONTRACT (used by kg.server): ``QueryPool(data_dir, workers=, timeout_s=, max_results=, memory_mb=)``;
``await pool.run(sparql, default_graphs=None, named_graphs=None, timeout_s=None) -> QueryResult``;
``pool.close()``. ``run`` raises kg.errors.QueryError (the query does not parse: pyoxigraph's
message, with its line:column; or it failed while running), QueryTimeout (PoolBusy, a subclass,
when no worker became free in time), QueryCrashed, and kg.errors.StoreError when no worker can
be started at all. Check queries with kg.sparql_guard first: the pool runs whatever it is given.

Memory: with ``memory_mb`` what a worker may allocate beyond the opened store is capped
(RLIMIT_DATA, set once the store is open: every private writable mapping, which is what a
query's evaluation allocates), so one query cannot take the machine's memory: past the cap the
engine's allocation fails, the worker dies, and the query ends with QueryCrashed like any other
crash, while the other workers go on. Counting from the opened store keeps the cap the same on
any machine (RocksDB's threads reserve stacks by the core count). RLIMIT_AS would be the wrong
limit: RocksDB and glibc reserve far more address space than they ever touch. Memory a query
used is not all given back to the system afterwards, so a worker left holding more than half its
cap after answering is replaced (its answer is delivered first): an idle pool stays small.

Timing: a query's time limit counts from the call to ``run``, so the wait for a free worker
is part of it and no caller waits longer than the limit. A query that gets no worker before
its deadline is not run and raises PoolBusy. ``QueryResult.seconds`` is the worker's own time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing
import os
import pickle
import resource
import signal
import socket
import struct
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import islice
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any, Literal

import pyoxigraph as ox

from kg.errors import KgError, QueryError, StoreError
from kg.sparql_guard import has_dataset_clause

__all__ = ["PoolBusy", "QueryCrashed", "QueryPool", "QueryResult", "QueryTimeout", "ResultKind"]

ResultKind = Literal["solutions", "boolean", "graph"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_START_ATTEMPTS = 3  # to replace a worker, before the pool reports that it cannot
_OUT_OF_MEMORY = 86  # a worker's exit status when a query needed more than its memory cap
# (sparql, default_graphs, named_graphs, max_results)
_Request = tuple[str, list[str] | None, list[str] | None, int]
# ("ok", kind, data, truncated, seconds) or ("error", message)
_Reply = tuple[Any, ...]
# After start-up, requests and replies travel as frames on the pipe's socket: the pickle's length
# (8 bytes, big-endian), then the pickle. The parent reads them on its event loop, without a thread.
_FRAME = struct.Struct("!Q")
_CHUNK = 1 << 16


class QueryTimeout(KgError):
    """The query ran longer than the time limit and was stopped."""


class PoolBusy(QueryTimeout):
    """Every worker stayed busy until the query's deadline, so the query was never run."""


class QueryCrashed(KgError):
    """The query engine died while running the query (for example on a very deeply nested query)."""


@dataclass(frozen=True)
class QueryResult:
    """A query's answer in canonical form: SPARQL JSON for SELECT/ASK, N-Triples for CONSTRUCT/DESCRIBE.

    ``seconds`` is the time the worker spent running the query and serialising its answer.
    """

    kind: ResultKind
    data: bytes
    truncated: bool
    seconds: float


# -- inside a worker process ---------------------------------------------------------------


def _serve(conn: Connection, data_dir: str, parent_pid: int, memory_mb: int | None = None) -> None:
    """A worker's whole life: open the store once, then answer requests until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us itself
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True).start()
    try:
        store = ox.Store.read_only(data_dir)
        if memory_mb:
            cap = _status_bytes("VmData") + memory_mb * 2**20
            resource.setrlimit(resource.RLIMIT_DATA, (cap, cap))
    except (OSError, ValueError) as exc:
        conn.send(("failed", str(exc)))
        return
    opened = _resident_bytes()
    conn.send(("ready",))
    sock = socket.socket(fileno=os.dup(conn.fileno()))
    sock.setblocking(True)
    while True:
        try:
            request: _Request = pickle.loads(_read_frame(sock))
            answer = _answer(store, *request)
            bloated = memory_mb is not None and _resident_bytes() - opened > memory_mb * 2**20 // 2
            reply = pickle.dumps((answer, bloated), protocol=pickle.HIGHEST_PROTOCOL)
            sock.sendall(_FRAME.pack(len(reply)))
            sock.sendall(reply)
        except (EOFError, OSError):  # the parent closed the pipe or is gone
            return
        except MemoryError:  # past the cap, even Python's part: this worker's state is not to be trusted
            os._exit(_OUT_OF_MEMORY)


def _resident_bytes() -> int:
    """This process's resident memory now (not its peak); 0 where /proc cannot tell."""
    return _status_bytes("VmRSS")


def _status_bytes(field: str) -> int:
    """A size from /proc/self/status (VmRSS, VmData); 0 where /proc cannot tell."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024  # always in kB
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _read_frame(sock: socket.socket) -> bytes:
    """One frame, blocking (in the worker, which has nothing else to do)."""
    header = _read_exactly(sock, _FRAME.size)
    return bytes(_read_exactly(sock, _FRAME.unpack(header)[0]))


def _read_exactly(sock: socket.socket, size: int) -> bytearray:
    buffer = bytearray(size)
    view = memoryview(buffer)
    got = 0
    while got < size:
        n = sock.recv_into(view[got:])
        if n == 0:
            raise EOFError
        got += n
    return buffer


def _exit_with_parent(parent_pid: int) -> None:
    """Stop an orphaned worker, even mid-query (pyoxigraph releases the GIL while it evaluates)."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def _answer(
    store: ox.Store, sparql: str, default_graphs: list[str] | None, named_graphs: list[str] | None, limit: int
) -> _Reply:
    started = time.perf_counter()
    options: dict[str, Any]
    if default_graphs is None and named_graphs is None:
        # The union of all graphs, unless the query names its dataset: FROM must be honoured.
        options = {} if has_dataset_clause(sparql) else {"use_default_graph_as_union": True}
    else:  # both, always: with only one of them the query can reach other graphs (SECURITY.md)
        options = {
            "default_graph": [ox.NamedNode(iri) for iri in default_graphs or []],
            "named_graphs": [ox.NamedNode(iri) for iri in named_graphs or []],
        }
    try:
        result = store.query(sparql, **options)
        if isinstance(result, ox.QueryBoolean):
            kind, data, truncated = "boolean", _boolean_json(bool(result)), False
        elif isinstance(result, ox.QuerySolutions):
            kind, (data, truncated) = "solutions", _solutions_json(result, limit)
        else:
            kind, (data, truncated) = "graph", _ntriples(result, limit)
    except SyntaxError as exc:
        return ("error", str(exc))
    except MemoryError:
        os._exit(_OUT_OF_MEMORY)  # the parent sees a crash and starts a fresh worker
    except Exception as exc:  # an evaluation error must not take the worker down
        return ("error", f"the query failed while running: {exc}")
    return ("ok", kind, data, truncated, time.perf_counter() - started)


def _boolean_json(value: bool) -> bytes:
    return b'{"head":{},"boolean":%s}' % (b"true" if value else b"false")


def _solutions_json(solutions: ox.QuerySolutions, limit: int) -> tuple[bytes, bool]:
    """SPARQL JSON of the first ``limit`` rows; pyoxigraph's own serialiser would read every row."""
    names = [variable.value for variable in solutions.variables]
    rows = [
        {name: _term_json(term) for name, term in zip(names, solution, strict=True) if term is not None}
        for solution in islice(solutions, limit + 1)
    ]
    document = {"head": {"vars": names}, "results": {"bindings": rows[:limit]}}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode(), len(rows) > limit


def _term_json(term: Any) -> dict[str, Any]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, ox.Literal):
        out: dict[str, Any] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction is not None:
                out["its:dir"] = str(term.direction)
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    parts = {"subject": term.subject, "predicate": term.predicate, "object": term.object}
    return {"type": "triple", "value": {key: _term_json(part) for key, part in parts.items()}}


def _ntriples(triples: ox.QueryTriples, limit: int) -> tuple[bytes, bool]:
    first = list(islice(triples, limit + 1))
    return ox.serialize(first[:limit], format=ox.RdfFormat.N_TRIPLES) or b"", len(first) > limit


# -- in the server process -------------------------------------------------------------------


@dataclass(eq=False)
class _Worker:
    """One worker process and the parent's end of its pipe.

    Whoever holds the worker (the pool while it is idle, ``run`` while it answers, a start-up
    thread while it opens the store) is the only one who may close its pipe: a pipe closed
    under a thread still using it could see its file number reused by the next worker's pipe.
    Killing and waiting are safe from anywhere.
    """

    process: BaseProcess
    conn: Connection
    sock: socket.socket | None = None  # the pipe's socket, non-blocking, once the worker is ready
    exitcode: int | None = None
    _reaped: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def kill(self) -> None:
        with self._lock:
            if not self._reaped:
                self.process.kill()

    def join(self, timeout: float) -> int | None:
        with self._lock:
            if not self._reaped:
                self.process.join(timeout)
                self.exitcode = self.process.exitcode
            return self.exitcode

    def is_alive(self) -> bool:
        with self._lock:
            return not self._reaped and self.process.is_alive()

    def reap(self) -> None:
        """Kill if need be, wait for the process, free its pipe and process handle."""
        with self._lock:
            if self._reaped:
                return
            self._reaped = True
            self.process.kill()
            self.process.join(5.0)
            self.exitcode = self.process.exitcode
            if self.exitcode is not None:
                self.process.close()
            if self.sock is not None:
                self.sock.close()
            self.conn.close()


async def _exchange(sock: socket.socket, request: _Request) -> tuple[_Reply, bool]:
    """Send one request and read its reply on the event loop: no thread, no blocking read.

    The worker adds to its reply whether it should be replaced (it holds too much memory)."""
    loop = asyncio.get_running_loop()
    data = pickle.dumps(request, protocol=pickle.HIGHEST_PROTOCOL)
    await loop.sock_sendall(sock, _FRAME.pack(len(data)) + data)
    first = await loop.sock_recv(sock, _CHUNK)
    while len(first) < _FRAME.size:
        more = await loop.sock_recv(sock, _CHUNK)
        if not more:
            raise EOFError
        first += more
    (size,) = _FRAME.unpack_from(first)
    if len(first) - _FRAME.size >= size:  # a small reply arrives whole
        reply: tuple[_Reply, bool] = pickle.loads(first[_FRAME.size : _FRAME.size + size])
        return reply
    buffer = bytearray(size)
    got = len(first) - _FRAME.size
    buffer[:got] = first[_FRAME.size :]
    view = memoryview(buffer)
    while got < size:
        n = await loop.sock_recv_into(sock, view[got:])
        if n == 0:
            raise EOFError
        got += n
    reply = pickle.loads(buffer)
    return reply


class QueryPool:
    """A fixed number of worker processes; ``run`` borrows an idle one for one query.

    All workers start (and open the store) in the constructor, which raises StoreError if the
    store cannot be opened. A killed or crashed worker is replaced in the background while the
    other workers go on serving. Like every user of multiprocessing's "spawn", a script that
    creates a pool must keep its top level under ``if __name__ == "__main__":``.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        workers: int = 2,
        timeout_s: float = 30.0,
        max_results: int = 10_000,
        start_timeout_s: float = 60.0,
        memory_mb: int | None = None,
    ) -> None:
        if workers < 1:
            raise ValueError(
                f"a query pool needs at least one worker, got {workers} (setting KG_QUERY_WORKERS)"
            )
        self.data_dir = data_dir
        self.workers = workers
        self.timeout_s = timeout_s
        self.max_results = max_results
        self.start_timeout_s = start_timeout_s
        self.memory_mb = memory_mb
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._idle: deque[_Worker] = deque()
        self._waiters: deque[asyncio.Future[None]] = deque()  # woken when a worker becomes idle
        self._live: set[_Worker] = set()  # started and not yet retired
        self._closed = threading.Event()
        self._start_error: str | None = None
        # Threads only start replacement workers: replies are read on the event loop (_exchange).
        self._threads = ThreadPoolExecutor(max_workers=2 * workers, thread_name_prefix="kg-query")
        try:
            starting = [self._launch() for _ in range(workers)]
            for worker in starting:
                self._wait_ready(worker)
        except BaseException:
            self.close()
            raise
        self._idle.extend(starting)

    # -- public -------------------------------------------------------------------------

    async def run(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout_s: float | None = None,
    ) -> QueryResult:
        """Run one query in a worker; with no graphs given the default graph is the union of all graphs."""
        limit = self.timeout_s if timeout_s is None else timeout_s
        for iri in [*(default_graphs or []), *(named_graphs or [])]:
            try:
                ox.NamedNode(iri)
            except ValueError as exc:
                raise QueryError(f"the graph name {iri!r} is not a valid IRI: {exc}") from None
        asked = time.monotonic()
        deadline = asked + limit
        worker = await self._acquire(deadline, limit)
        waited = time.monotonic() - asked
        request: _Request = (sparql, default_graphs, named_graphs, self.max_results)
        assert worker.sock is not None
        try:
            async with asyncio.timeout(max(0.0, deadline - time.monotonic())):
                reply, bloated = await _exchange(worker.sock, request)
        except TimeoutError:  # before OSError, of which it is a kind
            reply = None
        except (EOFError, OSError):
            raise self._crashed(worker) from None
        except BaseException:  # cancelled: nobody will read the reply, so the worker's state is unknown
            self._retire(worker)
            raise
        if reply is None:
            self._retire(worker)
            queued = f" (of which {waited:.1f} s waiting for a free worker)" if waited >= 0.1 else ""
            raise QueryTimeout(
                f"the query ran longer than {limit:g} s{queued} and was stopped (setting KG_QUERY_TIMEOUT)"
            )
        if bloated:
            self._retire(worker)  # a fresh one starts in the background
        else:
            self._release(worker)
        if reply[0] == "error":
            raise QueryError(reply[1])
        _, kind, data, truncated, seconds = reply
        return QueryResult(kind, data, truncated, seconds)

    def close(self) -> None:
        """Stop every worker and the pool's threads; a query under way ends with QueryCrashed."""
        with self._lock:
            if self._closed.is_set():
                return
            self._closed.set()
            live, idle = list(self._live), list(self._idle)
            self._live.clear()
            self._idle.clear()
        for worker in live:
            worker.kill()
        for worker in idle:
            worker.reap()
        self._wake_all()
        self._threads.shutdown(wait=True)  # start-up threads reap their own workers
        for worker in live:  # busy ones: no zombies; their run() closes the pipes
            worker.join(5.0)

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers, for monitoring and tests."""
        with self._lock:
            return [pid for worker in self._live if (pid := worker.process.pid) is not None]

    # -- lending workers ------------------------------------------------------------------

    async def _acquire(self, deadline: float, limit: float) -> _Worker:
        """Take an idle worker, waiting (until the deadline) to be woken when one comes back."""
        loop = asyncio.get_running_loop()
        while True:
            dead: list[_Worker] = []  # killed from outside while idle: not this query's fault
            with self._lock:
                if self._closed.is_set():
                    raise QueryError("the query pool was closed (the server is shutting down)")
                worker = None
                while self._idle and worker is None:
                    candidate = self._idle.popleft()
                    if candidate.is_alive():
                        worker = candidate
                    else:
                        self._live.discard(candidate)
                        dead.append(candidate)
                if worker is None and not self._live and self._start_error:
                    raise StoreError(f"no query worker is running: {self._start_error}")
                if worker is None:
                    woken: asyncio.Future[None] = loop.create_future()
                    self._waiters.append(woken)
            for candidate in dead:
                self._retire(candidate)
            if worker is not None:
                return worker
            try:
                async with asyncio.timeout(deadline - time.monotonic()):
                    await woken
            except BaseException as exc:
                if woken.done() and not woken.cancelled():
                    self._wake_one()  # woken just as we gave up: wake the next in line instead
                else:
                    with self._lock, contextlib.suppress(ValueError):
                        self._waiters.remove(woken)
                if isinstance(exc, TimeoutError):
                    raise PoolBusy(
                        f"all {self.workers} query workers stayed busy for {limit:g} s, so the query was not "
                        "run; try again later (settings KG_QUERY_WORKERS, KG_QUERY_TIMEOUT)"
                    ) from None
                raise

    def _release(self, worker: _Worker) -> None:
        """Park an idle worker and wake the oldest waiting query. Safe from any thread."""
        with self._lock:
            parked = not self._closed.is_set()
            if parked:
                self._idle.append(worker)
        if parked:
            self._wake_one()
        else:
            worker.reap()

    def _wake_one(self) -> None:
        """Wake one waiting query; if its event loop is gone, the next (the worker stays parked anyway)."""
        while True:
            with self._lock:
                if not self._waiters:
                    return
                waiter = self._waiters.popleft()
            if not waiter.done() and _wake(waiter):
                return

    def _wake_all(self) -> None:
        """Wake every waiting query, to find the pool closed or without workers and say so."""
        with self._lock:
            waiters = list(self._waiters)
            self._waiters.clear()
        for waiter in waiters:
            _wake(waiter)

    # -- replacing workers ----------------------------------------------------------------

    def _crashed(self, worker: _Worker) -> QueryCrashed:
        code = worker.join(2.0)
        closed = self._closed.is_set()
        self._retire(worker)
        if closed:
            return QueryCrashed(
                "the query was stopped because the query pool was closed (the server is shutting down)"
            )
        how = f"exit signal {-code}, {signal.Signals(-code).name}" if code is not None and code < 0 else None
        if self.memory_mb and (code == _OUT_OF_MEMORY or code == -signal.SIGABRT):
            # A failed allocation: Python raises MemoryError (we exit with _OUT_OF_MEMORY), the
            # engine's Rust code aborts.
            return QueryCrashed(
                f"the query needed more memory than a query worker may use ({self.memory_mb} MB, "
                f"{how or f'exit status {code}'}) and was stopped; the server goes on "
                "(setting KG_WORKER_MEMORY_MB)"
            )
        return QueryCrashed(
            f"the query engine crashed on this query ({how or f'exit status {code}'}); it was probably too "
            "deeply nested; the server goes on"
        )

    def _retire(self, worker: _Worker) -> None:
        """Kill a worker whose state is unknown and start its replacement in the background."""
        worker.kill()
        with self._lock:
            self._live.discard(worker)
        if not self._closed.is_set():
            try:
                self._threads.submit(self._replace, worker)
                return
            except RuntimeError:  # the pool closed meanwhile
                pass
        worker.reap()

    def _replace(self, old: _Worker) -> None:
        old.reap()
        error = ""
        for attempt in range(_START_ATTEMPTS):
            if self._closed.wait(attempt):  # 0 s, then 1 s, then 2 s before each attempt
                return
            try:
                worker = self._launch()
                self._wait_ready(worker)
            except Exception as exc:  # whatever stops a start, the next attempt may not meet it
                error = str(exc)
                continue
            self._release(worker)
            return
        with self._lock:
            self._start_error = error
            hopeless = not self._live
        if hopeless:
            self._wake_all()

    def _launch(self) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_serve,
            args=(child_end, str(self.data_dir), os.getpid(), self.memory_mb),
            name="kg-query-worker",
            daemon=True,  # also stopped when the server exits normally
        )
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end)
        with self._lock:
            closed = self._closed.is_set()
            if not closed:
                self._live.add(worker)
        if closed:
            worker.reap()
            raise QueryError("the query pool was closed (the server is shutting down)")
        return worker

    def _wait_ready(self, worker: _Worker) -> None:
        """Block until the worker has opened the store; raise StoreError (and drop it) if it cannot."""
        try:
            if not worker.conn.poll(self.start_timeout_s):
                problem = f"did not open the store within {self.start_timeout_s:g} s"
            else:
                message = worker.conn.recv()
                if message[0] == "ready":
                    worker.sock = socket.socket(fileno=os.dup(worker.conn.fileno()))
                    worker.sock.setblocking(False)
                    return
                problem = f"cannot open it: {message[1]}"
        except (EOFError, OSError):
            problem = f"died while opening it (exit code {worker.join(1.0)})"
        with self._lock:
            self._live.discard(worker)
        worker.reap()
        raise StoreError(
            f"a query worker {problem}. The store in {self.data_dir} must exist and no kg process may "
            "have it open for writing (kg ingest); point --data-dir / KG_DATA_DIR at a published copy."
        )


def _wake(waiter: asyncio.Future[None]) -> bool:
    """Resolve a waiter in its own event loop; False if that loop is closed."""

    def settle() -> None:
        if not waiter.done():
            waiter.set_result(None)

    loop = waiter.get_loop()
    try:
        if asyncio.get_running_loop() is loop:  # on the loop's own thread: no need to wake it up
            settle()
            return True
    except RuntimeError:  # a thread without a loop (a replacement worker starting)
        pass
    try:
        loop.call_soon_threadsafe(settle)
    except RuntimeError:
        return False
    return True
