"""Time kg paths on the sample graph: a company to every allegation within 4 hops (in-process store).

    python bench/paths.py [--runs 30] [--synthetic 1000]

Builds an in-memory store from the bundled sample records, then times ``kg.paths.find_paths``
from Li-Ning Company Limited to every kg:Allegation within 4 hops, shortest and all simple
paths, with labels and evidence for the first page (50) and for every path (limit 10,000).
Prints a markdown table of medians and p95, and how many queries each search sent.
With ``--synthetic N`` it also times the same search on the sample graph plus N fictional
letters (tests/support.py's synthetic record, each to its own company, all sharing the same
issue, mandates, State and Guiding Principle, so the shared nodes are hubs the walk must cross).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kg import resources
from kg.config import Settings
from kg.ingest import ingest_paths
from kg.paths import KG, Row, find_paths, store_runner
from kg.store import EmbeddedStore

LI_NING = "https://w3id.org/kg-spcomm/data/company/li-ning-company-limited"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--synthetic", type=int, default=0, help="Fictional letters to add for a larger graph."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder) / "db")
        disk = EmbeddedStore(settings.data_dir)
        ingest_paths([resources.sample_dir()], disk, settings)
        store = EmbeddedStore(None)
        store.extend(disk._store.quads_for_pattern(None, None, None, None))
        del disk
        table(store, args.runs, "sample graph")
        if args.synthetic:
            add_synthetic(store, args.synthetic)
            table(store, args.runs, f"sample graph + {args.synthetic} synthetic letters")


def add_synthetic(store: EmbeddedStore, count: int) -> None:
    """N fictional letters, each to its own company, stored as document graphs (no validation)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from kg.rdf import record_to_graph
    from kg.vocab import load_vocabulary
    from support import synthetic_record

    vocab = load_vocabulary()
    for number in range(1, count + 1):
        record = synthetic_record(f"AL OTH {number}/2030", company=f"Fictional Company {number}")
        doc = record_to_graph(record, base="https://w3id.org/kg-spcomm/data/", vocab=vocab)
        store.replace_graph(str(doc.graph_iri), doc.graph)


def table(store: EmbeddedStore, runs: int, title: str) -> None:
    base = store_runner(store)
    queries = 0

    def run(sparql: str) -> list[Row]:
        nonlocal queries
        queries += 1
        return base(sparql)

    print(f"{title}: {len(store)} quads; source Li-Ning Company Limited; target kg:Allegation; 4 hops\n")
    print("| mode | limit | paths found | nodes explored | queries | median ms | p95 ms |")
    print("|---|---|---|---|---|---|---|")
    for mode in ("shortest", "all"):
        for limit in (50, 10_000):
            times = []
            for _ in range(runs):
                queries = 0
                started = time.perf_counter()
                result = find_paths(
                    run,
                    LI_NING,
                    target_types={KG + "Allegation"},
                    max_hops=4,
                    mode=mode,
                    limit=limit,
                    time_budget_s=120.0,
                )  # type: ignore[arg-type]
                times.append((time.perf_counter() - started) * 1000)
            times.sort()
            p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
            print(
                f"| {mode} | {limit} | {result.total} | {result.explored} | {queries} | "
                f"{statistics.median(times):.1f} | {p95:.1f} |"
            )
    print()


if __name__ == "__main__":
    main()
