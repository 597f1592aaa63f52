"""Time kg's ingest stages on real letters, beside what a user would otherwise do, in the same run.

    python bench/ingest.py [--repeat 5] [--letters ../shared/corpus]

Prints a markdown table of medians (ms per document) and the ratio of each alternative to
kg's own figure. Stages: extraction (text -> record), record -> RDF, SHACL validation (kg's
per-document gate vs. a plain pyshacl run with the ontology and vocabularies mixed in),
and storing (kg's atomic graph swap in the on-disk Oxigraph store vs. adding the triples
to an in-memory rdflib Dataset, vs. loading them into an rdflib Dataset from N-Quads text).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pyshacl
from rdflib import Dataset, Graph, URIRef

from kg import resources
from kg.config import Settings
from kg.extract import extract_file
from kg.ingest import ensure_static_graphs
from kg.rdf import record_to_graph
from kg.store import EmbeddedStore
from kg.validate import validate_document
from kg.vocab import load_vocabulary, vocabulary_graph


def median_ms(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--letters", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "corpus"
    )
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
