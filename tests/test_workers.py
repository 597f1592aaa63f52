"""The query pool: answers, limits, dataset confinement, and surviving slow and crashing queries.

Every test bounds its own time: pytest has no time-out plugin here, so a hung pool would
hang the suite; the asserts on durations make a slow pool fail instead.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pyoxigraph as ox
import pytest

from kg.errors import QueryError, StoreError
from kg.store import EmbeddedStore
from kg.workers import PoolBusy, QueryCrashed, QueryPool, QueryResult, QueryTimeout

E = "http://example.org/"
G1, G2 = E + "g1", E + "g2"
CHAIN = 1500  # triples in G1: enough for a cartesian product that never ends
SLOW = "SELECT (COUNT(*) AS ?n) { ?a ?p ?b . ?c ?q ?d . ?e ?r ?f }"
FAST = "ASK { ?s ?p ?o }"
T = TypeVar("T")


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(coroutine)


def node(name: str) -> ox.NamedNode:
    return ox.NamedNode(E + name)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store")
    store = EmbeddedStore(path)
    g1, g2 = ox.NamedNode(G1), ox.NamedNode(G2)
    quads = [ox.Quad(node(f"s{i}"), node("next"), node(f"s{(i + 1) % CHAIN}"), g1) for i in range(CHAIN)]
    quads.append(ox.Quad(node("secret"), node("is"), ox.Literal("only in g2"), g2))
    store.extend(quads)
    store.flush()
    del store
    gc.collect()  # closes the read-write store, so the workers may open it read-only
    return path


@pytest.fixture(scope="module")
def pool(data_dir: Path) -> Iterator[QueryPool]:
    started = time.perf_counter()
    pool = QueryPool(data_dir, workers=2, timeout_s=10.0, max_results=5)
    assert time.perf_counter() - started < 10.0
    yield pool
    pool.close()


def bindings(result: QueryResult) -> list[dict[str, Any]]:
    assert result.kind == "solutions"
    rows: list[dict[str, Any]] = json.loads(result.data)["results"]["bindings"]
    return rows


def test_select_gives_sparql_json(pool: QueryPool) -> None:
    result = run(pool.run(f"SELECT ?o WHERE {{ <{E}s1> <{E}next> ?o }}"))
    assert json.loads(result.data) == {
        "head": {"vars": ["o"]},
        "results": {"bindings": [{"o": {"type": "uri", "value": E + "s2"}}]},
    }
    assert not result.truncated
    assert 0 < result.seconds < 5


def test_terms_are_written_as_pyoxigraph_writes_them(pool: QueryPool) -> None:
    query = (
        "SELECT * { VALUES (?iri ?plain ?lang ?typed ?dir ?triple ?unbound) { "
        '(<http://x/é> "s\\n\\"q" "l"@en "1"^^<http://www.w3.org/2001/XMLSchema#integer> "d"@ar--rtl '
        '<<( <http://a> <http://b> "c" )>> UNDEF) } }'
    )
    expected = ox.Store().query(query).serialize(format=ox.QueryResultsFormat.JSON)  # type: ignore[union-attr]
    assert json.loads(run(pool.run(query)).data) == json.loads(expected or b"")
    blank = bindings(run(pool.run("SELECT ?b { BIND(BNODE() AS ?b) }")))
    assert blank[0]["b"]["type"] == "bnode"


def test_ask_and_construct(pool: QueryPool) -> None:
    answer = run(pool.run(f"ASK {{ <{E}s1> <{E}next> <{E}s2> }}"))
    assert (answer.kind, json.loads(answer.data)) == ("boolean", {"head": {}, "boolean": True})
    graph = run(pool.run(f"CONSTRUCT {{ <{E}s1> <{E}copy> ?o }} WHERE {{ <{E}s1> <{E}next> ?o }}"))
    assert graph.kind == "graph"
    assert graph.data == f"<{E}s1> <{E}copy> <{E}s2> .\n".encode()
    described = run(pool.run(f"DESCRIBE <{E}secret>"))
    assert described.kind == "graph" and b"only in g2" in described.data


def test_answers_stop_at_max_results(pool: QueryPool) -> None:
    rows = run(pool.run("SELECT * { ?s ?p ?o }"))
    assert len(bindings(rows)) == 5 and rows.truncated
    triples = run(pool.run("CONSTRUCT WHERE { ?s ?p ?o }"))
    assert triples.data.count(b"\n") == 5 and triples.truncated
    exactly = run(pool.run("SELECT ?x { VALUES ?x { 1 2 3 4 5 } }"))
    assert len(bindings(exactly)) == 5 and not exactly.truncated


def test_dataset_is_confined_to_the_listed_graphs(pool: QueryPool) -> None:
    def values(query: str, **graphs: list[str]) -> set[str]:
        result = run(pool.run(query, **graphs))  # type: ignore[arg-type]
        return {binding["o"]["value"] for binding in bindings(result)}

    secret = "only in g2"  # the one literal of the store: no answer below is truncated
    escapes = [
        "SELECT ?o { ?s ?p ?o FILTER isLiteral(?o) }",
        f"SELECT ?o FROM <{G2}> {{ ?s ?p ?o FILTER isLiteral(?o) }}",
        "SELECT ?o { GRAPH ?g { ?s ?p ?o FILTER isLiteral(?o) } }",
        f"SELECT ?o FROM NAMED <{G2}> {{ GRAPH ?g {{ ?s ?p ?o FILTER isLiteral(?o) }} }}",
        f"SELECT ?o {{ GRAPH <{G2}> {{ ?s ?p ?o FILTER isLiteral(?o) }} }}",
    ]
    for query in escapes:
        assert values(query, default_graphs=[G1]) == set(), query
        assert values(query, named_graphs=[G1]) == set(), query
        assert values(query, default_graphs=[G1], named_graphs=[G1]) == set(), query
    assert values(escapes[0]) == {secret}  # no graphs given: the union of all graphs
    assert values(escapes[2], named_graphs=[G2]) == {secret}
    assert values(escapes[1], default_graphs=[G2]) == {secret}


def test_syntax_error_names_the_position(pool: QueryPool) -> None:
    with pytest.raises(QueryError, match=r"1:\d+"):
        run(pool.run("SELECT * WHERE { ?s ?p }"))
    with pytest.raises(QueryError, match="not a valid IRI"):
        run(pool.run(FAST, default_graphs=["not an iri"]))


def test_slow_query_is_stopped_while_others_are_served(pool: QueryPool) -> None:
    async def scenario() -> tuple[float, float, float]:
        started = time.perf_counter()
        slow = asyncio.create_task(pool.run(SLOW, timeout_s=0.5))
        await asyncio.sleep(0.05)
        assert json.loads((await pool.run(FAST)).data)["boolean"] is True
        fast_done = time.perf_counter() - started
        with pytest.raises(QueryTimeout, match=r"longer than 0.5 s .*KG_QUERY_TIMEOUT"):
            await slow
        stopped = time.perf_counter() - started
        await pool.run(FAST)  # the other worker answers while the killed one is replaced
        return fast_done, stopped, time.perf_counter() - started - stopped

    fast_done, stopped, next_query = run(scenario())
    assert fast_done < 0.4  # answered while the slow query was still running
    assert 0.5 <= stopped < 2.0
    assert next_query < 0.4


def test_crash_costs_one_query_not_the_pool(pool: QueryPool) -> None:
    deep = "SELECT * " + "{" * 5000 + "}" * 5000  # overflows the parser's stack (the guard would refuse it)
    started = time.perf_counter()
    with pytest.raises((QueryCrashed, QueryError)) as caught:
        run(pool.run(deep))
    if isinstance(caught.value, QueryCrashed):
        assert "crashed" in str(caught.value) and "server goes on" in str(caught.value)
    assert run(pool.run(FAST)).kind == "boolean"
    assert time.perf_counter() - started < 5.0


def test_cancelled_query_frees_its_worker(pool: QueryPool) -> None:
    async def scenario() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pool.run(SLOW), 0.3)
        for _ in range(4):  # more queries than workers: each one gets a worker
            await pool.run(FAST)

    started = time.perf_counter()
    run(scenario())
    assert time.perf_counter() - started < 5.0


def test_queries_beyond_the_workers_wait_within_their_time_limit(data_dir: Path) -> None:
    single = QueryPool(data_dir, workers=1, timeout_s=5.0)  # a second pool beside the module's

    async def scenario() -> None:
        slow = asyncio.create_task(single.run(SLOW, timeout_s=1.0))
        await asyncio.sleep(0.05)
        started = time.perf_counter()
        with pytest.raises(PoolBusy, match="KG_QUERY_WORKERS"):
            await single.run(FAST, timeout_s=0.3)
        assert time.perf_counter() - started < 0.6
        queued = asyncio.create_task(single.run(FAST))  # waits for the replacement of the killed worker
        with pytest.raises(QueryTimeout):
            await slow
        assert (await queued).kind == "boolean"

    try:
        started = time.perf_counter()
        run(scenario())
        assert time.perf_counter() - started < 8.0
    finally:
        single.close()


def test_close_stops_every_worker(data_dir: Path) -> None:
    closing = QueryPool(data_dir, workers=2, timeout_s=10.0)
    pids = closing.worker_pids()
    assert len(pids) == 2

    async def scenario() -> None:
        slow = asyncio.create_task(closing.run(SLOW))
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        closing.close()
        with pytest.raises(QueryCrashed, match="closed"):
            await slow
        assert time.perf_counter() - started < 5.0
        with pytest.raises(QueryError, match="closed"):
            await closing.run(FAST)

    run(scenario())
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not [child for child in multiprocessing.active_children() if child.pid in pids]
    closing.close()  # twice is harmless


def test_missing_store_fails_at_start(tmp_path: Path) -> None:
    started = time.perf_counter()
    with pytest.raises(StoreError, match="query worker"):
        QueryPool(tmp_path / "absent", workers=1)
    assert time.perf_counter() - started < 10.0


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has stopped; reaping it is its new parent's business


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc to see processes")
def test_workers_stop_when_the_server_dies_mid_query(data_dir: Path) -> None:
    server = textwrap.dedent(f"""
        import asyncio
        from pathlib import Path
        from kg.workers import QueryPool
        pool = QueryPool(Path({str(data_dir)!r}), workers=2, timeout_s=60)
        print(*pool.worker_pids(), flush=True)
        asyncio.run(pool.run({SLOW!r}))
    """)
    with subprocess.Popen([sys.executable, "-c", server], stdout=subprocess.PIPE, text=True) as process:
        assert process.stdout is not None
        pids = [int(pid) for pid in process.stdout.readline().split()]
        assert len(pids) == 2
        time.sleep(0.3)  # the slow query is under way
        process.kill()
    deadline = time.monotonic() + 5.0
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_running(pid) for pid in pids)
