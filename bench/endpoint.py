"""Time kg's SPARQL endpoint on the sample graph, beside the same queries run straight in pyoxigraph.

    python bench/endpoint.py [--runs 20] [--seconds 10] [--clients 8] [--workers 2]

Starts ``kg serve`` on a fresh store built from the bundled sample records (loopback only),
then prints two markdown tables:

1. each canned query (default parameters): median and p95 latency over ``--runs`` HTTP
   requests to /queries/{name} (SPARQL JSON), the median of the same query run in-process by
   pyoxigraph and written as SPARQL JSON, and the ratio (what the HTTP layer, the guard, the
   worker process and the JSON hop cost on top of the engine);
2. one canned query under load: ``--clients`` threads sending requests back to back for
   ``--seconds`` seconds: requests per second, median, p95, p99, and errors.

Every phase is bounded in requests and time.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pyoxigraph as ox

from kg import resources
from kg.canned import load_canned_queries
from kg.config import Settings
from kg.ingest import ingest_paths
from kg.store import EmbeddedStore


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed_ms(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def build_store(folder: Path) -> Path:
    settings = Settings(data_dir=folder / "db")
    store = EmbeddedStore(settings.data_dir)
    results = ingest_paths([resources.sample_dir()], store, settings)
    if not all(r.ok for r in results):
        raise SystemExit(f"the sample did not ingest: {[(r.source, r.error) for r in results if not r.ok]}")
    del store  # the server opens the store next
    return settings.data_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    command = [sys.executable, "-m", "kg.cli", "serve", "--data-dir", str(data_dir), "--port", str(port)]
    command += ["--workers", str(workers), "--no-access-log"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"kg serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/sparql", params={"query": "ASK {}"}, timeout=2).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("kg serve did not answer within 60 s")


def latency_table(base: str, data_dir: Path, runs: int) -> list[str]:
    store = ox.Store.read_only(str(data_dir))
    lines = [
        f"| canned query ({runs} runs) | rows | HTTP median ms | HTTP p95 ms "
        "| pyoxigraph median ms | ratio |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    with httpx.Client(
        base_url=base, timeout=60, headers={"accept": "application/sparql-results+json"}
    ) as client:
        for name, query in load_canned_queries().items():
            url = f"/queries/{name}"
            first = client.get(url)
            first.raise_for_status()
            rows = len(first.json().get("results", {}).get("bindings", []))
            http_ms = timed_ms(lambda url=url: client.get(url).raise_for_status(), runs)
            sparql = query.render({})

            def direct(sparql: str = sparql) -> bytes:
                result = store.query(sparql, use_default_graph_as_union=True)
                return result.serialize(format=ox.QueryResultsFormat.JSON) or b""  # type: ignore[union-attr]

            direct()
            direct_ms = timed_ms(direct, runs)
            http_median, direct_median = statistics.median(http_ms), statistics.median(direct_ms)
            lines.append(
                f"| {name} | {rows} | {http_median:.1f} | {percentile(http_ms, 0.95):.1f} | "
                f"{direct_median:.2f} | {http_median / direct_median:.1f}x |"
            )
    return lines


def load_table(base: str, name: str, clients: int, seconds: float) -> list[str]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client_loop() -> None:
        nonlocal errors
        mine: list[float] = []
        failed = 0
        with httpx.Client(base_url=base, timeout=30) as http:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                response = http.get(f"/queries/{name}")
                mine.append((time.perf_counter() - started) * 1000)
                failed += response.status_code != 200
        with lock:
            latencies.extend(mine)
            errors += failed

    started = time.monotonic()
    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 60)
    elapsed = time.monotonic() - started
    return [
        f"| {name}: {clients} clients, {seconds:g} s "
        "| requests | req/s | median ms | p95 ms | p99 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| loopback, keep-alive | {len(latencies)} | {len(latencies) / elapsed:.0f} | "
        f"{statistics.median(latencies):.1f} | {percentile(latencies, 0.95):.1f} | "
        f"{percentile(latencies, 0.99):.1f} | {errors} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="requests per canned query (default 20)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the load phase (default 10)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients in the load phase")
    parser.add_argument("--workers", type=int, default=2, help="query worker processes of the server")
    parser.add_argument(
        "--query", default="communications-by-company", help="canned query for the load phase"
    )
    args = parser.parse_args()
    if not (1 <= args.runs <= 1000 and 0 < args.seconds <= 120 and 1 <= args.clients <= 64):
        raise SystemExit("keep it bounded: --runs 1..1000, --seconds up to 120, --clients 1..64")

    data_dir = build_store(Path(tempfile.mkdtemp(prefix="kg-bench-")))
    process, base = start_server(data_dir, args.workers)
    try:
        print(f"kg endpoint on the sample graph ({base}, {args.workers} query workers)\n")
        print("\n".join(latency_table(base, data_dir, args.runs)))
        print()
        print("\n".join(load_table(base, args.query, args.clients, args.seconds)))
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()


if __name__ == "__main__":
    main()
