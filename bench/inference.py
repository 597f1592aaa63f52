"""Per-document inference cost: Python sets (kg.inference) against SPARQL CONSTRUCT in pyoxigraph.

Run: python3 bench/inference.py   (prints ms per document for the samples and 200 synthetic records)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyoxigraph as ox

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from kg import iris, resources
from kg.config import Settings
from kg.inference import RuleSet, rules_for
from kg.ingest import ingest_paths, ingest_record
from kg.store import EmbeddedStore
from support import synthetic_record


def construct_queries(rules: RuleSet) -> list[str]:
    """The same rules as four CONSTRUCT queries, driven by VALUES tables."""
    rev = " ".join(f"({p} {q})" for p, qs in rules.reverse.items() for q in qs)
    sub = " ".join(f"({p} {q})" for p, qs in rules.super_properties.items() for q in qs)
    cls = " ".join(f"({c} {d})" for c, ds in rules.super_classes.items() for d in ds)
    chain = " ".join(f"({a} {b} {q})" for a, b, q in rules.chains)
    return [
        f"CONSTRUCT {{ ?o ?q ?s }} WHERE {{ VALUES (?p ?q) {{ {rev} }} ?s ?p ?o FILTER(!isLiteral(?o)) }}",
        f"CONSTRUCT {{ ?s ?q ?o }} WHERE {{ VALUES (?p ?q) {{ {sub} }} ?s ?p ?o }}",
        f"CONSTRUCT {{ ?s a ?d }} WHERE {{ VALUES (?c ?d) {{ {cls} }} ?s a ?c }}",
        f"CONSTRUCT {{ ?s ?q ?o }} WHERE {{ VALUES (?a ?b ?q) {{ {chain} }} ?s ?a ?m . ?m ?b ?o }}",
    ]


def sparql_closure(rules: RuleSet, queries: list[str], triples: list[tuple]) -> int:
    """Naive fixpoint in an in-memory store; returns the number of derived triples."""
    store = ox.Store()
    known = set(triples)
    for node in {n for t in triples for n in (t[0], t[2])}:
        known.update(rules.context.get(node, ()))
    store.extend(ox.Quad(s, p, o) for s, p, o in known)
    size = len(store)
    start = size
    while True:
        for q in queries:
            store.extend(ox.Quad(t.subject, t.predicate, t.object) for t in store.query(q))
        if len(store) == size:
            return size - start
        size = len(store)


def main() -> None:
    rules = rules_for()
    queries = construct_queries(rules)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        store = EmbeddedStore(None)
        ingest_paths([resources.sample_dir()], store, settings)
        for i in range(200):
            record = synthetic_record(f"AL OTH {i + 1}/2023", company=f"Fictional Company {i}")
            ingest_record(record, store, settings, source="synthetic")
        samples = [
            iris.document_graph_iri(settings.base_iri, p.stem.replace("_", " ").replace(" 20", "/20"))
            for p in sorted(resources.sample_dir().glob("*.json"))
        ]
        synthetic = [iris.document_graph_iri(settings.base_iri, f"AL OTH {i + 1}/2023") for i in range(200)]
        for name, graphs in (("samples", samples), ("synthetic", synthetic)):
            py_ms, sp_ms = [], []
            for g in graphs:
                triples = [(q.subject, q.predicate, q.object) for q in store.graph_triples(g)]
                t = time.perf_counter()
                rules.closure(triples)
                py_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                sparql_closure(rules, queries, triples)
                sp_ms.append((time.perf_counter() - t) * 1000)
            print(
                f"{name} ({len(graphs)} docs): python sets median {statistics.median(py_ms):.2f} ms "
                f"(max {max(py_ms):.2f}); SPARQL CONSTRUCT median {statistics.median(sp_ms):.2f} ms "
                f"(max {max(sp_ms):.2f})"
            )


if __name__ == "__main__":
    main()
