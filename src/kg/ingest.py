"""The ingest workflow: file -> record -> document graph -> SHACL gate -> store, each document whole.

A document that fails anywhere is reported and leaves the store as it was; the rest of
the batch goes on. Re-ingesting the same document changes nothing; a different document
under a reference already stored is refused unless the caller asks to replace it.
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef

from kg import iris, resources
from kg.config import ONTOLOGY_NS, Settings
from kg.diff import describe_difference
from kg.errors import DocumentConflict, KgError, NotFound
from kg.inference import RuleSet, inferred_graph_iri, inferred_quads, rules_for
from kg.publish import clear_embargo, embargo_quad, set_embargo
from kg.rdf import DocumentGraph, record_to_graph
from kg.record import CommunicationRecord, load_record
from kg.store import EmbeddedStore, GraphWrite, document_triples
from kg.validate import ValidationReport, validate_document
from kg.vocab import Vocabulary, load_vocabulary

Status = TypingLiteral["added", "replaced", "unchanged", "rejected", "failed", "checked"]
INPUT_SUFFIXES = (".txt", ".pdf", ".json", ".text")
_DIGEST = ONTOLOGY_NS + "contentDigest"


@dataclass
class IngestResult:
    """What happened to one input: shown in the CLI's summary table, returned to library callers."""

    source: str
    status: Status
    reference: str | None = None
    triples: int = 0
    warnings: list[str] = field(default_factory=list)
    report: ValidationReport | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status not in ("rejected", "failed")


def iter_inputs(paths: Iterable[Path]) -> Iterator[Path]:
    """Files named directly, and the letters and records inside folders, in a stable order."""
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in INPUT_SUFFIXES
            )
        else:
            yield path


def read_record(path: Path) -> CommunicationRecord:
    """A record from a JSON record file, or extracted from a letter (text or PDF)."""
    if not path.exists():
        raise NotFound(f"{path}: no such file")
    if path.suffix.lower() == ".json":
        return load_record(path)
    from kg.extract import extract_file  # extraction loads the vocabulary; JSON records do not need it

    return extract_file(path)


def build_document(record: CommunicationRecord, settings: Settings, vocab: Vocabulary) -> DocumentGraph:
    return record_to_graph(record, base=settings.base_iri, vocab=vocab)


def ensure_static_graphs(store: EmbeddedStore) -> list[str]:
    """Load or refresh the ontology and vocabulary graphs whose files changed; returns what was loaded.

    The file's SHA-256 is kept in its graph, so an unchanged file costs one look-up, not a parse.
    """
    loaded = []
    files = [("ontology", resources.ontology_file())] + [
        (f"vocab/{p.stem}", p) for p in resources.vocabulary_files()
    ]
    for name, path in files:
        data = path.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        graph_iri = iris.vocabulary_graph_iri(name)
        if store.graph_value(graph_iri, _DIGEST) == digest:
            continue
        graph = Graph().parse(data=data, format="turtle")
        graph.add((URIRef(graph_iri), URIRef(_DIGEST), Literal(digest)))
        store.replace_graph(graph_iri, graph)
        loaded.append(name)
    return loaded


@dataclass
class _Prepared:
    """A checked document and, unless nothing needs storing, the write that stores it."""

    result: IngestResult
    write: GraphWrite | None = None
    status: Status = "checked"  # what the result says once the write has landed


def _prepare(
    record: CommunicationRecord,
    store: EmbeddedStore,
    settings: Settings,
    *,
    source: str,
    vocab: Vocabulary,
    replace: bool,
    dry_run: bool,
    embargo_until: dt.datetime | None,
    rules: RuleSet,
    writer: _BatchWriter | None = None,
) -> _Prepared:
    """Everything ``ingest_record`` does short of writing the document.

    With a ``writer`` (batched ingest), a batch that still holds an earlier version of the
    document is written before the store is asked about it, and the rare write made here
    (an embargo on an unchanged document) waits until the writer is idle.
    """
    doc = build_document(record, settings, vocab)
    report = validate_document(doc, vocab=vocab)
    result = IngestResult(source=source, status="checked", reference=doc.reference, report=report)
    result.warnings = list(record.warnings)
    result.triples = len(doc.graph)
    if not report.conforms:
        result.status = "rejected"
        result.error = "SHACL validation failed: the document was not stored"
        return _Prepared(result)
    graph_iri = str(doc.graph_iri)
    if writer is not None:
        writer.settle(graph_iri)
    stored_digest = store.graph_value(graph_iri, _DIGEST)
    if stored_digest == doc.digest:
        result.status = "unchanged"
        if embargo_until is not None and not dry_run:
            if writer is not None:
                writer.drain()
            set_embargo(store, graph_iri, embargo_until)
            result.warnings.append(f"embargo set: hidden from the public until {embargo_until.isoformat()}")
        return _Prepared(result)
    if stored_digest is not None and not replace:
        stored = list(store.graph_triples(graph_iri))
        raise DocumentConflict(
            f"{source}: {doc.reference} is already in the store with different content:\n"
            f"{describe_difference(stored, doc.graph, prefixes={'data': settings.base_iri})}\n"
            "Use --replace to swap the stored document for this one, or kg remove it first."
        )
    if dry_run:
        return _Prepared(result)
    # The document, its inferred graph and its embargo entry change in one transaction: readers
    # and a crash see the old document or the new one, never a mix (SECURITY.md).
    triples = document_triples(doc.graph, graph_iri, ingested_at=dt.datetime.now(dt.UTC))
    target = ox.NamedNode(graph_iri)
    quads = [ox.Quad(s, p, o, target) for s, p, o in triples]
    inferred = inferred_quads(graph_iri, triples, rules)
    extra, before = [], []
    if embargo_until is not None:
        extra.append(embargo_quad(graph_iri, embargo_until))
        if stored_digest is not None:  # a new document has no entry to clear (kg remove clears it)
            before.append(clear_embargo(graph_iri))
    write: GraphWrite = ({graph_iri: quads, inferred_graph_iri(graph_iri): inferred}, extra, before)
    return _Prepared(result, write, "replaced" if stored_digest is not None else "added")


def ingest_record(
    record: CommunicationRecord,
    store: EmbeddedStore,
    settings: Settings,
    *,
    source: str,
    vocab: Vocabulary | None = None,
    replace: bool = False,
    dry_run: bool = False,
    embargo_until: dt.datetime | None = None,
    rules: RuleSet | None = None,
) -> IngestResult:
    vocab = vocab or load_vocabulary()
    prepared = _prepare(
        record,
        store,
        settings,
        source=source,
        vocab=vocab,
        replace=replace,
        dry_run=dry_run,
        embargo_until=embargo_until,
        rules=rules or rules_for(vocab),
    )
    if prepared.write is not None:
        graphs, extra, before = prepared.write
        store.replace_graphs(graphs, extra=extra, before=before)
        prepared.result.status = prepared.status
    return prepared.result


BATCH_DOCUMENTS = 64
"""Documents written together by ``ingest_paths``: enough for the bulk loader to pay off, few
enough that a kill loses little work and results keep flowing."""
BATCH_SECONDS = 2.0
"""A batch is written after this long even if not full (slow inputs such as PDFs)."""


class _BatchWriter:
    """Writes prepared documents in batches, one batch at a time in a thread of its own.

    The store does its writing without holding Python's lock, so while one batch is written
    the caller builds and validates the next on the other core. Results are handed on in
    input order, each once its document has landed (or failed to).
    """

    def __init__(
        self, store: EmbeddedStore, emit: Callable[[IngestResult], None], size: int = BATCH_DOCUMENTS
    ) -> None:
        self.store = store
        self.emit = emit
        self.size = size
        self.waiting: list[_Prepared] = []  # in input order, not yet handed on
        self.writes = 0  # of those, how many carry a write
        self.opened = 0.0  # when the first of them arrived (time.monotonic)
        self.graphs: set[str] = set()  # graphs the waiting and in-flight writes change
        self.flight: tuple[Future[list[str | None]], list[_Prepared]] | None = None
        self.pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kg-ingest-writer")

    def add(self, prepared: _Prepared) -> None:
        self.waiting.append(prepared)
        if prepared.write is not None:
            self.writes += 1
            self.graphs.update(prepared.write[0])
            if self.writes == 1:
                self.opened = time.monotonic()
            if self.writes >= self.size or time.monotonic() - self.opened >= BATCH_SECONDS:
                self.submit()
        elif self.flight is None and len(self.waiting) == 1:
            self.emit(self.waiting.pop().result)  # nothing ahead of it: no need to wait

    def settle(self, graph_iri: str) -> None:
        """Write out any waiting version of ``graph_iri`` before the caller reads it from the store."""
        if graph_iri in self.graphs or inferred_graph_iri(graph_iri) in self.graphs:
            self.drain()

    def drain(self) -> None:
        """Write everything waiting and wait for it: the store is the caller's alone afterwards."""
        self.submit()
        self.land()

    def submit(self) -> None:
        """Start writing everything waiting (after the batch in flight has landed)."""
        self.land()
        if not self.waiting:
            return
        batch, self.waiting, self.writes = self.waiting, [], 0
        items = [p.write for p in batch if p.write is not None]
        if not items:
            for prepared in batch:
                self.emit(prepared.result)
            return
        self.flight = (self.pool.submit(_write_batch, self.store, items), batch)

    def land(self) -> None:
        """Wait for the batch in flight and hand on its results."""
        if self.flight is None:
            return
        future, batch = self.flight
        self.flight = None
        errors = iter(future.result())
        for prepared in batch:
            if prepared.write is not None:
                error = next(errors)
                if error is None:
                    prepared.result.status = prepared.status
                else:
                    prepared.result.status, prepared.result.error = "failed", error
            self.emit(prepared.result)
        self.graphs = {iri for p in self.waiting if p.write is not None for iri in p.write[0]}

    def close(self) -> None:
        """Write what is left, wait for it and let the thread go."""
        try:
            self.drain()
        finally:
            self.pool.shutdown(wait=True)


def _write_batch(store: EmbeddedStore, items: list[GraphWrite]) -> list[str | None]:
    """Write a batch; if the store refuses it, each item alone, so a failure names its document."""
    try:
        store.replace_graphs_many(items)
        return [None] * len(items)
    except KgError:
        pass
    errors: list[str | None] = []
    for graphs, extra, before in items:
        try:
            store.replace_graphs(graphs, extra=extra, before=before)
            errors.append(None)
        except KgError as exc:
            errors.append(str(exc))
    return errors


def ingest_paths(
    paths: Iterable[Path],
    store: EmbeddedStore,
    settings: Settings,
    *,
    replace: bool = False,
    dry_run: bool = False,
    on_result: Callable[[IngestResult], None] | None = None,
    embargo_until: dt.datetime | None = None,
    batch_size: int = BATCH_DOCUMENTS,
) -> list[IngestResult]:
    """Ingest every input; each document lands whole or not at all, failures do not stop the batch.

    Documents are written ``batch_size`` at a time (``replace_graphs_many``): a crash keeps
    whole documents from the batches that landed. ``on_result`` sees each result in input
    order once its document is stored.
    """
    inputs = ((str(path), functools.partial(read_record, path)) for path in iter_inputs(paths))
    return _ingest(inputs, store, settings, replace, dry_run, on_result, embargo_until, batch_size)


def ingest_records(
    records: Iterable[CommunicationRecord],
    store: EmbeddedStore,
    settings: Settings,
    *,
    replace: bool = False,
    dry_run: bool = False,
    on_result: Callable[[IngestResult], None] | None = None,
    embargo_until: dt.datetime | None = None,
    batch_size: int = BATCH_DOCUMENTS,
) -> list[IngestResult]:
    """``ingest_paths`` for records already in memory (benchmarks, importers); sources read
    ``record:<reference>``."""
    inputs = ((f"record:{r.reference}", functools.partial(_same, r)) for r in records)
    return _ingest(inputs, store, settings, replace, dry_run, on_result, embargo_until, batch_size)


def _same(record: CommunicationRecord) -> CommunicationRecord:
    return record


def _ingest(
    inputs: Iterable[tuple[str, Callable[[], CommunicationRecord]]],
    store: EmbeddedStore,
    settings: Settings,
    replace: bool,
    dry_run: bool,
    on_result: Callable[[IngestResult], None] | None,
    embargo_until: dt.datetime | None,
    batch_size: int,
) -> list[IngestResult]:
    vocab = load_vocabulary()
    rules = rules_for(vocab)
    if not dry_run:
        ensure_static_graphs(store)
    results: list[IngestResult] = []

    def emit(result: IngestResult) -> None:
        results.append(result)
        if on_result is not None:
            on_result(result)

    writer = _BatchWriter(store, emit, batch_size)
    # The vocabulary, rules and caches live as long as the process and the caches grow with
    # every document (interned IRIs): left to the collector, each of its full passes walks
    # them all, so the cost per document would grow with the number ingested. Frozen after
    # each batch (once that batch's garbage is collected), a full pass only walks what the
    # latest documents made. Given back to the collector at the end.
    freeze = gc.get_freeze_count() == 0
    if freeze:
        gc.freeze()
    ok = False
    try:
        for count, (source, load) in enumerate(inputs, start=1):
            if freeze and count % batch_size == 0:
                gc.collect()
                gc.freeze()
            try:
                prepared = _prepare(
                    load(),
                    store,
                    settings,
                    source=source,
                    vocab=vocab,
                    replace=replace,
                    dry_run=dry_run,
                    embargo_until=embargo_until,
                    rules=rules,
                    writer=writer,
                )
            except KgError as exc:
                prepared = _Prepared(IngestResult(source=source, status="failed", error=str(exc)))
            writer.add(prepared)
        ok = True
    finally:
        if freeze:
            gc.unfreeze()
        if ok:
            writer.close()
        else:  # an unexpected error: let the batch in flight finish, write nothing more
            writer.pool.shutdown(wait=True)
    store.flush()
    return results


def remove_document(store: EmbeddedStore, settings: Settings, reference: str) -> str:
    """Drop one document's graph and its inferred graph; returns the graph IRI removed."""
    try:
        graph_iri = iris.document_graph_iri(settings.base_iri, reference)
    except ValueError as exc:
        raise NotFound(str(exc)) from exc
    if not store.has_graph(graph_iri):
        raise NotFound(
            f"{iris.normalise_reference(reference)} is not in the store (looked for graph <{graph_iri}>)"
        )
    # The document, its inferred graph and its embargo entry go together, in one transaction.
    store.replace_graphs(
        {graph_iri: [], inferred_graph_iri(graph_iri): []}, before=[clear_embargo(graph_iri)]
    )
    store.flush()
    return graph_iri
