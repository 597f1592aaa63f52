"""Load on a real `kg serve`: concurrent clients running every canned query and entity pages.

    python bench/load.py [--seconds 60] [--clients 8 32] [--runs 3] [--workers 2] [--data-dir DIR]

Starts its own ``kg serve`` on 127.0.0.1 (a free port) over a store built from the bundled
sample records, or over ``--data-dir``; finds its canned queries (/queries) and up to
``--entities`` entities in the data; then, ``--runs`` times, for each client count, runs that
many threads for ``--seconds`` seconds, each sending requests back to back in a fixed mix:
every canned query with its default parameters (JSON results) and each entity's page as HTML
and as JSON-LD. It prints a markdown table per run and client count: requests per second,
p50 and p99 latency, errors (any answer that is not 2xx, or no answer), and the resident
memory of the server process with its query workers before and after the run.

The target (issue 5): zero errors, and memory that does not grow from run to run.

Bounded by construction: loopback only, a fixed duration per run (a client stops at the
deadline; a request in flight ends by its timeout), at most ``--max-requests`` per run, and the
server is stopped when the script ends, however it ends.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

DATA_IRI = "https://w3id.org/kg-spcomm/data/"
KG = "https://w3id.org/kg-spcomm/ontology#"
JSON_RESULTS = "application/sparql-results+json, application/ld+json;q=0.9, application/json;q=0.8"
ENTITY_TYPES = ("Communication", "Company", "State", "Allegation", "Mandate", "Person", "Place")


@dataclass(frozen=True)
class Target:
    """One request of the mix: a path and the Accept header to send."""

    kind: str
    path: str
    accept: str


@dataclass
class RunResult:
    clients: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    by_kind: Counter[str] = field(default_factory=Counter)
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0

    @property
    def requests(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_sample(folder: Path) -> Path:
    """A data folder holding the bundled sample, as `kg demo` builds it."""
    from kg import resources
    from kg.config import Settings
    from kg.ingest import ingest_paths
    from kg.store import EmbeddedStore

    settings = Settings(data_dir=folder / "db")
    store = EmbeddedStore(settings.store_dir)
    results = ingest_paths([resources.sample_dir()], store, settings)
    bad = [(r.source, r.error) for r in results if not r.ok]
    if bad:
        raise SystemExit(f"the sample did not ingest: {bad}")
    store.flush()
    del store  # the server opens the store next
    return settings.data_dir


class Server:
    """`kg serve` on loopback; stopped on exit (terminate, then kill)."""

    def __init__(self, data_dir: Path, *, workers: int, query_timeout: float, log_path: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
        command = [
            sys.executable, "-m", "kg.cli", "serve", "--data-dir", str(data_dir),
            "--host", "127.0.0.1", "--port", str(self.port), "--no-access-log",
            "--workers", str(workers), "--query-timeout", str(query_timeout),
        ]  # fmt: skip
        self.log = log_path.open("wb")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        self._wait_until_ready(log_path)

    def _wait_until_ready(self, log_path: Path) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"kg serve exited:\n{log_path.read_text(errors='replace')}")
            try:
                if httpx.get(f"{self.base}/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise SystemExit(f"kg serve did not answer within 90 s:\n{log_path.read_text(errors='replace')}")

    def rss_mb(self) -> float:
        """Resident memory of the server and all its children (query workers, resource tracker)."""
        try:
            root = psutil.Process(self.process.pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.NoSuchProcess:
            return float("nan")
        total = 0
        for process in processes:
            try:
                total += process.memory_info().rss
            except psutil.NoSuchProcess:
                continue
        return total / 2**20

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=20)
        self.log.close()


def discover_targets(base: str, max_entities: int) -> list[Target]:
    """Every canned query, and entities of the main types with a page under this server."""
    with httpx.Client(base_url=base, timeout=60) as http:
        queries = http.get("/queries", headers={"accept": "application/json"}).json()
        targets = [Target("canned", f"/queries/{q['name']}", JSON_RESULTS) for q in queries]
        per_type = max(1, max_entities // len(ENTITY_TYPES))
        unions = " UNION ".join(
            f"{{ SELECT ?e WHERE {{ ?e a <{KG}{name}> FILTER(STRSTARTS(STR(?e), '{DATA_IRI}')) }} "
            f"ORDER BY ?e LIMIT {per_type} }}"
            for name in ENTITY_TYPES
        )
        rows = http.get("/sparql", params={"query": f"SELECT DISTINCT ?e WHERE {{ {unions} }}"}).json()[
            "results"
        ]["bindings"]
    for row in rows[:max_entities]:
        path = "/" + row["e"]["value"].removeprefix(DATA_IRI)
        targets.append(Target("entity-html", path, "text/html"))
        targets.append(Target("entity-json", path, "application/ld+json"))
    return targets


def check_targets(base: str, targets: list[Target]) -> list[str]:
    """One pass over the mix before timing: each target must answer 2xx, else it is named here."""
    problems = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for target in targets:
            response = http.get(target.path, headers={"accept": target.accept})
            if not response.is_success:
                problems.append(
                    f"{target.path} ({target.accept}): {response.status_code} {response.text[:200]}"
                )
    return problems


def run_load(
    base: str, targets: list[Target], clients: int, seconds: float, max_requests: int, timeout: float
) -> RunResult:
    result = RunResult(clients=clients, seconds=seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds
    budget = [max_requests]

    def client(number: int) -> None:
        order = targets[:]
        random.Random(number).shuffle(order)
        latencies: list[float] = []
        errors: Counter[str] = Counter()
        kinds: Counter[str] = Counter()
        with httpx.Client(base_url=base, timeout=timeout) as http:
            index = 0
            while time.monotonic() < deadline:
                with lock:
                    if budget[0] <= 0:
                        break
                    budget[0] -= 1
                target = order[index % len(order)]
                index += 1
                started = time.perf_counter()
                try:
                    response = http.get(target.path, headers={"accept": target.accept})
                    response.read()
                except httpx.HTTPError as exc:
                    errors[type(exc).__name__] += 1
                    continue
                elapsed_ms = (time.perf_counter() - started) * 1000
                if response.is_success:
                    latencies.append(elapsed_ms)
                    kinds[target.kind] += 1
                else:
                    errors[f"{response.status_code} {target.kind}"] += 1
        with lock:
            result.latencies_ms.extend(latencies)
            result.errors.update(errors)
            result.by_kind.update(kinds)

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + timeout + 30)
    result.seconds = time.monotonic() - started
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="duration of each run (default 60)")
    parser.add_argument(
        "--clients", type=int, nargs="+", default=[8, 32], help="client counts (default 8 32)"
    )
    parser.add_argument("--runs", type=int, default=3, help="runs of every client count (default 3)")
    parser.add_argument("--workers", type=int, default=2, help="the server's query workers (default 2)")
    parser.add_argument("--query-timeout", type=float, default=30.0, help="the server's query time limit")
    parser.add_argument("--entities", type=int, default=40, help="entities in the mix (default 40)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="cap on requests per run")
    parser.add_argument("--data-dir", type=Path, help="serve this data folder instead of the sample")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.seconds > 600:
        parser.error("--seconds must be between 0 and 600")

    with tempfile.TemporaryDirectory(prefix="kg-load-") as tmp:
        folder = Path(tmp)
        data_dir = args.data_dir or build_sample(folder)
        server = Server(
            data_dir, workers=args.workers, query_timeout=args.query_timeout, log_path=folder / "serve.log"
        )
        try:
            targets = discover_targets(server.base, args.entities)
            kinds = Counter(t.kind for t in targets)
            print(
                f"kg serve at {server.base} on {data_dir}: {args.workers} query workers; mix of "
                f"{len(targets)} requests ({', '.join(f'{n} {k}' for k, n in sorted(kinds.items()))}); "
                f"{args.runs} runs x {args.clients} clients x {args.seconds:g} s",
                flush=True,
            )
            problems = check_targets(server.base, targets)
            if problems:
                print("targets that fail before any load:\n  " + "\n  ".join(problems), flush=True)
            results: list[tuple[int, RunResult]] = []
            for run in range(1, args.runs + 1):
                for clients in args.clients:
                    before = server.rss_mb()
                    result = run_load(
                        server.base,
                        targets,
                        clients,
                        args.seconds,
                        args.max_requests,
                        args.query_timeout + 10,
                    )
                    time.sleep(1.0)  # let the workers finish what the last requests started
                    result.rss_before_mb, result.rss_after_mb = before, server.rss_mb()
                    results.append((run, result))
                    print(
                        f"run {run}, {clients} clients: {result.requests} requests, "
                        f"{sum(result.errors.values())} errors {dict(result.errors) or ''}",
                        flush=True,
                    )
            print()
            print(table(results))
            print()
            print(memory_summary(results, args.clients))
        finally:
            server.stop()


def table(results: list[tuple[int, RunResult]]) -> str:
    lines = [
        "| run | clients | seconds | requests | req/s | p50 ms | p99 ms | errors | RSS before | RSS after |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for run, r in results:
        ok = r.latencies_ms
        errors = sum(r.errors.values())
        lines.append(
            f"| {run} | {r.clients} | {r.seconds:.0f} | {r.requests} | {r.requests / r.seconds:.1f} | "
            f"{percentile(ok, 0.5):.0f} | {percentile(ok, 0.99):.0f} | {errors} | "
            f"{r.rss_before_mb:.0f} MB | {r.rss_after_mb:.0f} MB |"
        )
    return "\n".join(lines)


def memory_summary(results: list[tuple[int, RunResult]], client_counts: list[int]) -> str:
    """Growth of the server's memory from the first run to the last, per client count."""
    parts = []
    for clients in client_counts:
        after = [r.rss_after_mb for _, r in results if r.clients == clients]
        if len(after) >= 2:
            parts.append(
                f"{clients} clients: RSS after each run {', '.join(f'{mb:.0f}' for mb in after)} MB "
                f"(last - first: {after[-1] - after[0]:+.0f} MB; median {statistics.median(after):.0f} MB)"
            )
    return "\n".join(parts)


if __name__ == "__main__":
    main()
