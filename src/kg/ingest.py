"""The ingest workflow: file -> record -> document graph -> SHACL gate -> store, one transaction each.

A document that fails anywhere is reported and leaves the store as it was; the rest of
the batch goes on. Re-ingesting the same document changes nothing; a different document
under a reference already stored is refused unless the caller asks to replace it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

from rdflib import Graph, Literal, URIRef

from kg import iris, resources
from kg.config import ONTOLOGY_NS, Settings
from kg.diff import describe_difference
from kg.errors import DocumentConflict, KgError, NotFound
from kg.inference import RuleSet, inferred_graph_iri, inferred_quads, rules_for
from kg.publish import clear_embargo, embargo_quad, set_embargo
from kg.rdf import DocumentGraph, record_to_graph
from kg.record import CommunicationRecord, load_record
from kg.store import EmbeddedStore, document_quads
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
    doc = build_document(record, settings, vocab)
    report = validate_document(doc, vocab=vocab)
    result = IngestResult(source=source, status="checked", reference=doc.reference, report=report)
    result.warnings = list(record.warnings)
    result.triples = len(doc.graph)
    if not report.conforms:
        result.status = "rejected"
        result.error = "SHACL validation failed: the document was not stored"
        return result
    graph_iri = str(doc.graph_iri)
    stored_digest = store.graph_value(graph_iri, _DIGEST)
    if stored_digest == doc.digest:
        result.status = "unchanged"
        if embargo_until is not None and not dry_run:
            set_embargo(store, graph_iri, embargo_until)
            result.warnings.append(f"embargo set: hidden from the public until {embargo_until.isoformat()}")
        return result
    if stored_digest is not None and not replace:
        stored = list(store.graph_triples(graph_iri))
        raise DocumentConflict(
            f"{source}: {doc.reference} is already in the store with different content:\n"
            f"{describe_difference(stored, doc.graph, prefixes={'data': settings.base_iri})}\n"
            "Use --replace to swap the stored document for this one, or kg remove it first."
        )
    if dry_run:
        return result
    # The document, its inferred graph and its embargo entry change in one transaction: readers
    # and a crash see the old document or the new one, never a mix (SECURITY.md).
    quads = document_quads(doc.graph, graph_iri, ingested_at=dt.datetime.now(dt.UTC))
    inferred = inferred_quads(
        graph_iri, [(q.subject, q.predicate, q.object) for q in quads], rules or rules_for(vocab)
    )
    extra, before = [], []
    if embargo_until is not None:
        extra.append(embargo_quad(graph_iri, embargo_until))
        if stored_digest is not None:  # a new document has no entry to clear (kg remove clears it)
            before.append(clear_embargo(graph_iri))
    store.replace_graphs(
        {graph_iri: quads, inferred_graph_iri(graph_iri): inferred}, extra=extra, before=before
    )
    result.status = "replaced" if stored_digest is not None else "added"
    return result


def ingest_paths(
    paths: Iterable[Path],
    store: EmbeddedStore,
    settings: Settings,
    *,
    replace: bool = False,
    dry_run: bool = False,
    on_result: Callable[[IngestResult], None] | None = None,
    embargo_until: dt.datetime | None = None,
) -> list[IngestResult]:
    """Ingest every input; each document lands whole or not at all, failures do not stop the batch."""
    vocab = load_vocabulary()
    rules = rules_for(vocab)
    if not dry_run:
        ensure_static_graphs(store)
    results = []
    for path in iter_inputs(paths):
        try:
            record = read_record(path)
            result = ingest_record(
                record,
                store,
                settings,
                source=str(path),
                vocab=vocab,
                replace=replace,
                dry_run=dry_run,
                embargo_until=embargo_until,
                rules=rules,
            )
        except KgError as exc:
            result = IngestResult(source=str(path), status="failed", error=str(exc))
        results.append(result)
        if on_result is not None:
            on_result(result)
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
