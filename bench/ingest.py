"""Time kg's ingest stages on real letters, beside what a user would otherwise do, in the same run.

    python bench/ingest.py [--repeat 5] [--letters ../shared/corpus] [--documents 1000]
    python bench/ingest.py --validation-only [--documents 1000] [--pyshacl-documents 100]

Prints a markdown table of medians (ms per document) and the ratio of each alternative to
kg's own figure. Stages: extraction (text -> record), record -> RDF, SHACL validation (kg's
per-document gate vs. a plain pyshacl run with the ontology and vocabularies mixed in),
and storing (kg's atomic graph swap in the on-disk Oxigraph store vs. adding the triples
to an in-memory rdflib Dataset, vs. loading them into an rdflib Dataset from N-Quads text).

Then validation throughput (documents per second, medians of --repeat runs) on --documents
synthetic communications (bench/synthetic.py): kg's compiled shapes one document at a time
(``validate_document``) and in batches of 10, 100 and all (``validate_documents``), beside
plain pySHACL on the same data graphs, one document at a time (on the first
--pyshacl-documents) and all documents in one graph. kg's figures in batches of different
sizes show the cost per document does not grow with the number of documents; validation
never reads the store, so the store's size cannot change it either.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pyshacl
from rdflib import Dataset, Graph, URIRef

from kg import resources
from kg.config import Settings
from kg.extract import extract_file
from kg.ingest import ensure_static_graphs
from kg.rdf import record_to_graph
from kg.record import CommunicationRecord
from kg.store import EmbeddedStore
from kg.validate import VOCABULARY_SHAPES, _Context, _data_graph, validate_document, validate_documents
from kg.vocab import Vocabulary, load_vocabulary, vocabulary_graph


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def synthetic_records(n: int, seed: int) -> list[CommunicationRecord]:
    """bench/synthetic.py's records when it is there, else variants of the tests' synthetic record."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from synthetic import generate_records  # type: ignore[import-not-found]
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
        from support import synthetic_record  # type: ignore[import-not-found]

        return [synthetic_record(f"AL OTH {i + 1}/2024", company=f"Fictional Company {i}") for i in range(n)]
    return list(generate_records(n, seed))


def docs_per_second(fn: Callable[[], object], count: int, repeat: int) -> tuple[float, float]:
    """Documents per second (median wall clock) and CPU ms per document (median process time).

    The CPU figure is what the validator costs; the wall figure also counts whatever else
    runs on the machine, which on a shared one can be several times more.
    """
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return count / statistics.median(wall), statistics.median(cpu) * 1000 / count


def validation_throughput(vocab: Vocabulary, n: int, n_pyshacl: int, repeat: int, seed: int) -> None:
    """Documents per second: kg's compiled gate, single and batched, beside plain pySHACL."""
    settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "db")
    started = time.perf_counter()
    docs = [record_to_graph(r, base=settings.base_iri, vocab=vocab) for r in synthetic_records(n, seed)]
    built = time.perf_counter() - started
    triples = statistics.median(len(d.graph) for d in docs)
    shapes = Graph()
    for path in resources.shape_files():
        if path.name != VOCABULARY_SHAPES:
            shapes.parse(path, format="turtle")
    context = _Context(vocab)
    data = [_data_graph(d.graph, context).graph for d in docs]  # what kg validates, per document
    validate_documents(docs[:10], vocab=vocab)  # shapes compiled, vocabulary parsed: not timed

    def batched(size: int) -> Callable[[], object]:
        def run() -> None:
            for start in range(0, len(docs), size):
                validate_documents(docs[start : start + size], vocab=vocab)

        return run

    def pyshacl_each(graphs: Sequence[Graph]) -> Callable[[], object]:
        def run() -> None:
            for graph in graphs:
                pyshacl.validate(graph, shacl_graph=shapes, inference="none")

        return run

    whole = Graph()
    for graph in data:
        for triple in graph:
            whole.add(triple)

    rows: list[tuple[str, tuple[float, float]]] = [
        (
            "kg, one document at a time (validate_document)",
            docs_per_second(lambda: [validate_document(d, vocab=vocab) for d in docs], n, repeat),
        ),
        ("kg, batches of 10 (validate_documents)", docs_per_second(batched(10), n, repeat)),
        ("kg, batches of 100", docs_per_second(batched(100), n, repeat)),
        (f"kg, one batch of {n}", docs_per_second(batched(n), n, repeat)),
        (
            f"plain pySHACL, one document at a time (first {min(n, n_pyshacl)})",
            docs_per_second(pyshacl_each(data[:n_pyshacl]), min(n, n_pyshacl), max(1, repeat // 2)),
        ),
        (
            f"plain pySHACL, all {n} in one graph",
            docs_per_second(pyshacl_each([whole]), n, max(1, repeat // 3)),
        ),
    ]
    kg_single = rows[0][1][0]
    reports = validate_documents(docs, vocab=vocab)
    print(
        f"\nValidation throughput: {n} synthetic communications (median {triples:.0f} triples each, "
        f"built in {built:.1f} s), medians of {repeat} runs (pySHACL: fewer)\n"
    )
    print(
        f"{sum(not r.conforms for r in reports)} do not conform, "
        f"{sum(1 for r in reports if r.results)} carry warnings or violations\n"
    )
    print("| validator | documents/s | ms/document | CPU ms/document | ratio to kg single |")
    print("|---|---:|---:|---:|---:|")
    for label, (rate, cpu_ms) in rows:
        print(f"| {label} | {rate:,.0f} | {1000 / rate:.2f} | {cpu_ms:.2f} | {rate / kg_single:.2f}x |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--letters", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    parser.add_argument("--documents", type=int, default=1000, help="synthetic documents for throughput")
    parser.add_argument("--pyshacl-documents", type=int, default=100, help="of those, for pySHACL one by one")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--validation-only", action="store_true", help="only the throughput section")
    args = parser.parse_args()
    if args.validation_only:
        validation_throughput(
            load_vocabulary(), args.documents, args.pyshacl_documents, args.repeat, args.seed
        )
        return
    letters = sorted(args.letters.glob("*.txt"))
    if not letters:
        raise SystemExit(f"no letters (*.txt) in {args.letters}: pass --letters FOLDER")

    vocab = load_vocabulary()
    settings = Settings(data_dir=Path(tempfile.mkdtemp()) / "db")
    store = EmbeddedStore(settings.data_dir)
    ensure_static_graphs(store)
    shapes = Graph()
    for path in resources.shape_files():
        shapes.parse(path)
    ontology = vocabulary_graph()

    rows: list[tuple[str, str, float, float | None]] = []
    for letter in letters:
        record = extract_file(letter, vocabulary=vocab)
        doc = record_to_graph(record, base=settings.base_iri, vocab=vocab)
        name = letter.stem
        extract_ms = median_ms(lambda letter=letter: extract_file(letter, vocabulary=vocab), args.repeat)
        rdf_ms = median_ms(
            lambda record=record: record_to_graph(record, base=settings.base_iri, vocab=vocab), args.repeat
        )
        ours_validate = median_ms(lambda doc=doc: validate_document(doc, vocab=vocab), args.repeat)
        plain_validate = median_ms(
            lambda doc=doc: pyshacl.validate(
                doc.graph, shacl_graph=shapes, ont_graph=ontology, inference="none", advanced=True
            ),
            max(1, args.repeat // 2),
        )
        ours_store = median_ms(
            lambda doc=doc: store.replace_graph(str(doc.graph_iri), doc.graph), args.repeat
        )

        def rdflib_add(doc: object = doc) -> None:
            ds = Dataset()
            g = ds.graph(URIRef(str(doc.graph_iri)))  # type: ignore[attr-defined]
            for triple in doc.graph:  # type: ignore[attr-defined]
                g.add(triple)

        rdflib_store = median_ms(rdflib_add, args.repeat)
        nquads = doc.graph.serialize(format="nt")
        rdflib_parse = median_ms(lambda nquads=nquads: Graph().parse(data=nquads, format="nt"), args.repeat)
        rows += [
            (name, "extract (text -> record)", extract_ms, None),
            (name, "record -> RDF", rdf_ms, None),
            (name, "validate: kg gate", ours_validate, None),
            (name, "validate: plain pyshacl + ontology", plain_validate, plain_validate / ours_validate),
            (name, "store: kg (Oxigraph on disk, atomic swap)", ours_store, None),
            (name, "store: rdflib Dataset in memory, add", rdflib_store, rdflib_store / ours_store),
            (name, "store: rdflib parse of the N-Triples", rdflib_parse, rdflib_parse / ours_store),
        ]
    print(f"\n{len(letters)} letters, median of {args.repeat} runs per figure\n")
    print("| letter | stage | ms | ratio to kg |")
    print("|---|---|---:|---:|")
    for name, stage, ms, ratio in rows:
        print(f"| {name} | {stage} | {ms:.1f} | {'' if ratio is None else f'{ratio:.1f}x'} |")
    totals: dict[str, list[float]] = {}
    for _, stage, ms, _ in rows:
        totals.setdefault(stage, []).append(ms)
    print("\n| stage | median ms per letter |")
    print("|---|---:|")
    for stage, values in totals.items():
        print(f"| {stage} | {statistics.median(values):.1f} |")
    validation_throughput(vocab, args.documents, args.pyshacl_documents, args.repeat, args.seed)


if __name__ == "__main__":
    main()
