"""Time kg paths: a company to every allegation within 4 hops, on the sample and on synthetic graphs.

    python3 bench/paths.py [--runs 20] [--sources 10] [--pool] [SYNTHETIC_OUT ...]

SYNTHETIC_OUT is a folder written by ``bench/synthetic.py --out`` (the newest full snapshot of
its ``kg-data``, else its working store). The sample graph (the five bundled records, ingested
into a temporary store) is measured first, from Li-Ning Company Limited; a synthetic graph from
the company with most letters plus ``--sources`` - 1 companies drawn at random (fixed seed),
each searched ``--runs`` times, for every allegation within 4 hops (shortest paths, and all
simple paths), first page of 50 with labels and evidence. Reported per graph: its size,
median and p95 wall time of one search, median CPU time (this process, plus the workers'
query time through the pool), paths found (median and max over sources), nodes explored,
hubs not crossed, queries sent. ``--pool`` also drives the same searches through
kg.workers.QueryPool, as GET /paths does (each query in a worker process on a read-only
store, answers as SPARQL JSON). The machine is shared: wall time includes waiting for a core,
CPU time does not.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg import resources
from kg.config import Settings
from kg.ingest import ingest_paths
from kg.paths import KG, PathResult, Row, find_paths, find_paths_async, rows_from_json, rows_of
from kg.store import EmbeddedStore

LI_NING = "https://w3id.org/kg-spcomm/data/company/li-ning-company-limited"
ALLEGATION = KG + "Allegation"


@dataclass
class Measure:
    wall_ms: list[float]
    cpu_ms: list[float]
    found: list[int]
    explored: list[int]
    hubs: list[int]
    queries: list[int]
    complete: int = 0
    searches: int = 0


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def search(run: Callable[[str], list[Row]], source: str, mode: str) -> PathResult:
    return find_paths(
        run,
        source,
        target_types={ALLEGATION},
        max_hops=4,
        mode=mode,  # type: ignore[arg-type]
        limit=50,
        time_budget_s=60.0,
    )


def measure(run: Callable[[str], list[Row]], sources: list[str], runs: int, mode: str) -> Measure:
    counted = {"n": 0}

    def counting(sparql: str) -> list[Row]:
        counted["n"] += 1
        return run(sparql)

    m = Measure([], [], [], [], [], [])
    for source in sources:
        search(counting, source, mode)  # warm the store's caches for this source
        for _ in range(runs):
            counted["n"] = 0
            wall, cpu = time.perf_counter(), time.process_time()
            result = search(counting, source, mode)
            m.wall_ms.append((time.perf_counter() - wall) * 1000)
            m.cpu_ms.append((time.process_time() - cpu) * 1000)
        m.found.append(result.total)
        m.explored.append(result.explored)
        m.hubs.append(len(result.hubs))
        m.queries.append(counted["n"])
        m.complete += result.complete
        m.searches += 1
    return m


def measure_pool(store_dir: Path, sources: list[str], runs: int, mode: str) -> Measure:
    from kg.workers import QueryPool

    pool = QueryPool(store_dir, workers=2, timeout_s=30.0)
    m = Measure([], [], [], [], [], [])
    worker_s = [0.0]  # time the workers spent running queries and serialising answers

    async def one(source: str) -> tuple[PathResult, int]:
        sent = 0

        async def run(sparql: str) -> list[Row]:
            nonlocal sent
            sent += 1
            answer = await pool.run(sparql)
            worker_s[0] += answer.seconds
            return rows_from_json(answer.data)

        result = await find_paths_async(
            run, source, target_types={ALLEGATION}, max_hops=4, mode=mode, limit=50, time_budget_s=60.0
        )
        return result, sent

    async def main() -> None:
        for source in sources:
            await one(source)
            for _ in range(runs):
                worker_s[0] = 0.0
                wall, cpu = time.perf_counter(), time.process_time()
                result, sent = await one(source)
                m.wall_ms.append((time.perf_counter() - wall) * 1000)
                m.cpu_ms.append((time.process_time() - cpu + worker_s[0]) * 1000)
            m.found.append(result.total)
            m.explored.append(result.explored)
            m.hubs.append(len(result.hubs))
            m.queries.append(sent)
            m.complete += result.complete
            m.searches += 1

    try:
        asyncio.run(main())
    finally:
        pool.close()
    return m


def row(graph: str, quads: int, driver: str, mode: str, m: Measure) -> str:
    return (
        f"| {graph} | {quads:,} | {driver} | {mode} | {statistics.median(m.wall_ms):.1f} | "
        f"{_pct(m.wall_ms, 0.95):.1f} | {statistics.median(m.cpu_ms):.1f} | "
        f"{statistics.median(m.found):.0f} / {max(m.found)} | {statistics.median(m.explored):.0f} | "
        f"{statistics.median(m.hubs):.0f} | {statistics.median(m.queries):.0f} | {m.complete}/{m.searches} |"
    )


def companies(store: Any, count: int, seed: int) -> list[str]:
    """Companies that received a letter, drawn at random: typical ones, plus the one with most letters."""
    answer = store.query(
        f"SELECT ?c (COUNT(DISTINCT ?l) AS ?k) WHERE {{ ?l <{KG}addressedTo> ?c . ?c a <{KG}Company> }} "
        "GROUP BY ?c ORDER BY DESC(?k) ?c",
        use_default_graph_as_union=True,
    )
    ranked = [str(r["c"].value) for r in rows_of(answer)]
    rng = random.Random(seed)
    drawn = rng.sample(ranked[1:], min(count - 1, len(ranked) - 1)) if count > 1 else []
    return ranked[:1] + drawn


def store_of(out: Path) -> Path:
    """The newest full snapshot of a synthetic data dir if one was published, else its working store."""
    settings = Settings(data_dir=out / "kg-data")
    full = sorted(settings.snapshots_dir.glob("*-full")) if settings.snapshots_dir.exists() else []
    return full[-1] if full else settings.store_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("synthetic", nargs="*", type=Path, help="Folders written by bench/synthetic.py --out")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--sources", type=int, default=10, help="Companies per synthetic graph.")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pool", action="store_true", help="Also drive the searches through a QueryPool.")
    parser.add_argument("--modes", default="shortest,all")
    args = parser.parse_args()
    modes = args.modes.split(",")
    print(
        "| graph | quads | driver | mode | median ms | p95 ms | CPU median ms | paths median / max "
        "| explored | hubs | queries | complete |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder) / "db")
        disk = EmbeddedStore(settings.store_dir)
        ingest_paths([resources.sample_dir()], disk, settings)
        disk.flush()
        quads = len(disk)
        run = _runner(disk._store)
        for mode in modes:
            print(
                row("sample (5 letters)", quads, "embedded", mode, measure(run, [LI_NING], args.runs, mode))
            )
        del run, disk
        if args.pool:
            for mode in modes:
                m = measure_pool(settings.store_dir, [LI_NING], args.runs, mode)
                print(row("sample (5 letters)", quads, "pool", mode, m))
    for out in args.synthetic:
        path = store_of(out)
        store = ox.Store.read_only(str(path))
        sources = companies(store, args.sources, args.seed)
        counted = store.query(
            f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c <{KG}addressedTo> ?x }}",
            use_default_graph_as_union=True,
        )
        letters = int(rows_of(counted)[0]["n"].value)  # type: ignore[arg-type]
        title = f"{out.name} ({letters:,} letters)"
        run = _runner(store)
        for mode in modes:
            print(
                row(title, len(store), "embedded", mode, measure(run, sources, args.runs, mode)), flush=True
            )
        quads = len(store)
        del run, store
        if args.pool:
            for mode in modes:
                print(
                    row(title, quads, "pool", mode, measure_pool(path, sources, args.runs, mode)), flush=True
                )


def _runner(store: ox.Store) -> Callable[[str], list[Row]]:
    def run(sparql: str) -> list[Row]:
        return rows_of(store.query(sparql, use_default_graph_as_union=True))  # type: ignore[arg-type]

    return run


if __name__ == "__main__":
    main()
