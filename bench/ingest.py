"""Time kg's ingest stages on real letters, beside what a user would otherwise do, in the same run.

    python bench/ingest.py [--repeat 5] [--letters ../shared/corpus] [--documents 1000]
    python bench/ingest.py --validation-only [--documents 1000] [--pyshacl-documents 100]
    python bench/ingest.py --ingest 1000 [--grow 5] [--batch 64] [--repeat 3]

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

``--ingest N``: ``kg ingest``'s own loop (``ingest_paths``) on N synthetic records written as
JSON files, into a fresh on-disk store per run: letters per second (wall clock) and CPU ms
per letter (all threads), for documents written one transaction each as before
(``ingest_record`` in a loop) and in batches of --batch (the bulk path); then the stages'
CPU medians per document. ``--grow K`` ingests K sets of N different letters one after the
other into one store and prints each set's rate, to show whether the cost per letter grows
with the store.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from kg.inference import inferred_quads, rules_for
from kg.ingest import (
    build_document,
    ensure_static_graphs,
    ingest_paths,
    ingest_record,
    iter_inputs,
    read_record,
)
from kg.rdf import record_to_graph
from kg.record import CommunicationRecord
from kg.store import EmbeddedStore, document_quads
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


def write_records(records: Sequence[CommunicationRecord], folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i, record in enumerate(records):
        (folder / f"record-{i:06d}.json").write_text(record.model_dump_json(), encoding="utf-8")
    return folder


def ingest_serially(folder: Path, store: EmbeddedStore, settings: Settings) -> int:
    """The loop ``ingest_paths`` ran before batches: one document, one transaction, in order."""
    vocab = load_vocabulary()
    rules = rules_for(vocab)
    ensure_static_graphs(store)
    count = 0
    for path in iter_inputs([folder]):
        result = ingest_record(read_record(path), store, settings, source=str(path), vocab=vocab, rules=rules)
        assert result.status == "added", (path, result.status, result.error)
        count += 1
    store.flush()
    return count


def ingest_rate(
    folders: Sequence[Path], batch: int | None, repeat: int
) -> tuple[list[tuple[float, float]], list[list[tuple[float, float]]]]:
    """Per run and per folder (ingested one after the other into one fresh store): (letters/s, CPU ms)."""
    runs = []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="kg-bench-ingest-", dir="/tmp") as scratch:
            settings = Settings(data_dir=Path(scratch) / "data")
            store = EmbeddedStore(settings.store_dir)
            per_folder = []
            for folder in folders:
                started, started_cpu = time.perf_counter(), time.process_time()
                if batch is None:
                    count = ingest_serially(folder, store, settings)
                else:
                    results = ingest_paths([folder], store, settings, batch_size=batch)
                    bad = [r for r in results if r.status != "added"]
                    assert not bad, (bad[0].source, bad[0].status, bad[0].error)
                    count = len(results)
                wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
                per_folder.append((count / wall, cpu * 1000 / count))
            store.close()
            runs.append(per_folder)
    return [
        (statistics.median(r[i][0] for r in runs), statistics.median(r[i][1] for r in runs))
        for i in range(len(folders))
    ], runs


def ingest_throughput(
    n: int, grow: int, batches: Sequence[int], repeat: int, seed: int, *, serial: bool = True
) -> None:
    """kg ingest's letters per second, as before (a transaction per letter) and in batches."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from synthetic import generate_records  # type: ignore[import-not-found]

    records = list(generate_records(n * grow, seed))
    with tempfile.TemporaryDirectory(prefix="kg-bench-records-", dir="/tmp") as scratch:
        folders = [
            write_records(records[k * n : (k + 1) * n], Path(scratch) / f"set-{k}") for k in range(grow)
        ]
        variants: list[tuple[str, int | None]] = (
            [("one transaction per letter (ingest_record in a loop)", None)] if serial else []
        )
        variants += [(f"batches of {b} (ingest_paths)", b) for b in batches]
        print(
            f"\nkg ingest of {n:,} synthetic records (JSON files) into a fresh on-disk store, "
            f"medians of {repeat} runs; {grow} set(s) one after the other into the same store\n"
        )
        header = " | ".join(f"set {k + 1}: letters/s | CPU ms/letter" for k in range(grow))
        print(f"| writes | {header} |")
        print("|---|" + "---:|---:|" * grow)
        for label, batch in variants:
            medians, _ = ingest_rate(folders, batch, repeat)
            cells = " | ".join(f"{rate:,.0f} | {cpu:.2f}" for rate, cpu in medians)
            print(f"| {label} | {cells} |", flush=True)
        stage_medians(folders[0])


def stage_medians(folder: Path) -> None:
    """CPU ms per document of each stage ingest runs on the main thread (the store's write runs beside)."""
    vocab = load_vocabulary()
    rules = rules_for(vocab)
    settings = Settings(data_dir=Path(tempfile.gettempdir()) / "unused")
    times: dict[str, list[float]] = {}

    def timed(stage: str, fn: Callable[[], object]) -> object:
        started = time.process_time()
        value = fn()
        times.setdefault(stage, []).append((time.process_time() - started) * 1000)
        return value

    for path in iter_inputs([folder]):
        record: CommunicationRecord = timed("read the JSON record", lambda path=path: read_record(path))  # type: ignore[assignment]
        doc = timed(
            "record -> RDF (rdflib graph, digest)", lambda r=record: build_document(r, settings, vocab)
        )
        timed("SHACL gate", lambda doc=doc: validate_document(doc, vocab=vocab))  # type: ignore[arg-type]
        iri = str(doc.graph_iri)  # type: ignore[attr-defined]
        quads = timed(
            "graph -> quads",
            lambda doc=doc, iri=iri: document_quads(doc.graph, iri, ingested_at=dt.datetime.now(dt.UTC)),  # type: ignore[attr-defined]
        )
        timed(
            "inference",
            lambda quads=quads, iri=iri: inferred_quads(
                iri, [(q.subject, q.predicate, q.object) for q in quads], rules
            ),  # type: ignore[attr-defined]
        )
    print("\n| stage (main thread) | median CPU ms/letter | mean |")
    print("|---|---:|---:|")
    for stage, values in times.items():
        print(f"| {stage} | {statistics.median(values):.2f} | {statistics.mean(values):.2f} |")


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
    parser.add_argument("--ingest", type=int, metavar="N", help="only kg ingest's rate on N records per set")
    parser.add_argument("--grow", type=int, default=1, help="with --ingest: sets ingested into one store")
    parser.add_argument(
        "--batch", type=int, action="append", help="with --ingest: batch sizes to time (default 64)"
    )
    parser.add_argument(
        "--no-serial", action="store_true", help="with --ingest: skip the one-transaction-per-letter loop"
    )
    args = parser.parse_args()
    if args.ingest:
        ingest_throughput(
            args.ingest, args.grow, args.batch or [64], args.repeat, args.seed, serial=not args.no_serial
        )
        return
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
