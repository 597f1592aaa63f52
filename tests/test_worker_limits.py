"""The memory cap of query workers: a query that needs too much is stopped, the rest go on.

A cross product sorted by every variable makes the engine hold every row at once: on the small
stores here it needs far more than the low caps these tests set, and fails within a second.
"""

from __future__ import annotations

import asyncio
import gc
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest

from kg.store import EmbeddedStore
from kg.workers import QueryCrashed, QueryPool

pytest_plugins = ["server_fixture"]

E = "http://example.org/"
HUNGRY = "SELECT ?a ?b ?c WHERE { ?a ?p ?b . ?c ?q ?d } ORDER BY ?a ?b ?c ?d"
CAP_MB = 200


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("limits")
    store = EmbeddedStore(path)
    graph = ox.NamedNode(E + "g")
    store.extend(
        ox.Quad(ox.NamedNode(f"{E}s{i}"), ox.NamedNode(E + "next"), ox.NamedNode(f"{E}s{i + 1}"), graph)
        for i in range(1500)
    )
    store.flush()
    del store
    gc.collect()  # closes the store, so workers may open it read-only
    return path


@pytest.fixture(scope="module")
def capped(data_dir: Path) -> Iterator[QueryPool]:
    pool = QueryPool(data_dir, workers=2, timeout_s=20.0, max_results=5, memory_mb=CAP_MB)
    yield pool
    pool.close()


def test_a_query_over_the_cap_crashes_only_its_worker(capped: QueryPool) -> None:
    async def scenario() -> tuple[QueryCrashed, float]:
        before = set(capped.worker_pids())
        started = time.monotonic()
        with pytest.raises(QueryCrashed) as crash:
            await capped.run(HUNGRY)
        elapsed = time.monotonic() - started
        survivors = before & set(capped.worker_pids())
        assert len(survivors) == 1, "the other worker must go on, untouched"
        answer = await capped.run(f"ASK {{ <{E}s1> <{E}next> <{E}s2> }}")
        assert answer.data == b'{"head":{},"boolean":true}'
        return crash.value, elapsed

    crash, elapsed = asyncio.run(scenario())
    assert elapsed < 10.0, "the cap stops the query long before its time limit"
    assert "KG_WORKER_MEMORY_MB" in str(crash) and f"{CAP_MB} MB" in str(crash)


def test_ordinary_queries_run_under_the_cap(capped: QueryPool) -> None:
    result = asyncio.run(capped.run("SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?b . ?b ?q ?c }"))
    assert b'"value":"1499"' in result.data


def test_the_cap_counts_from_the_opened_store(data_dir: Path) -> None:
    """Even a cap far below what the store takes to open leaves room for it: the cap is on queries."""
    pool = QueryPool(data_dir, workers=1, timeout_s=20.0, memory_mb=16)
    try:
        answer = asyncio.run(pool.run(f"ASK {{ <{E}s1> <{E}next> <{E}s2> }}"))
        assert answer.data == b'{"head":{},"boolean":true}'
        with pytest.raises(QueryCrashed, match="16 MB"):
            asyncio.run(pool.run(HUNGRY))
    finally:
        pool.close()


def test_the_server_answers_query_crashed_and_goes_on(
    sample_data_copy: Path, kg_server_launcher: Any
) -> None:
    with kg_server_launcher(sample_data_copy, env={"KG_WORKER_MEMORY_MB": str(CAP_MB)}) as base:
        hungry = httpx.get(f"{base}/sparql", params={"query": HUNGRY}, timeout=30)
        assert hungry.status_code == 500, hungry.text
        assert hungry.json()["error"]["code"] == "query_crashed"
        after = httpx.get(f"{base}/sparql", params={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert after.status_code == 200 and after.json()["boolean"] is True
