"""Per-document validation: results, report text, agreement with a plain pySHACL run."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.namespace import RDF, SH

from kg import resources
from kg.errors import InputError
from kg.rdf import DocumentGraph, record_to_graph
from kg.record import CommunicationRecord, load_record
from kg.validate import (
    EXIT_CONFORMS,
    EXIT_VIOLATIONS,
    VOCABULARY_SHAPES,
    ValidationReport,
    _document_shapes,
    _path,
    exit_code,
    format_report,
    validate_document,
    validate_documents,
    validate_file,
    validate_graph,
    validate_vocabularies,
)
from kg.vocab import Vocabulary, load_vocabulary, vocabulary_graph
from support import synthetic_record

HERE = Path(__file__).resolve().parent / "shapes"
BASE = "https://w3id.org/kg-spcomm/data/"
V = "https://w3id.org/kg-spcomm/vocab/"
KG = "https://w3id.org/kg-spcomm/ontology#"
COMM = BASE + "communication/al-chn-901-2020"


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return Vocabulary(vocabulary_graph([HERE / "vocab-fixture.ttl"]))


@pytest.fixture
def record() -> CommunicationRecord:
    return load_record(HERE / "record.json")


def _doc(record: CommunicationRecord, vocab: Vocabulary) -> DocumentGraph:
    return record_to_graph(record, base=BASE, vocab=vocab)


def _broken(record: CommunicationRecord) -> CommunicationRecord:
    """Published before it was sent, sent by an unknown mandate, alleging an unknown issue."""
    record.publication_date = dt.date(2020, 1, 1)
    record.mandates[1].iri = V + "mandate/sr-nonexistent"
    record.allegations[0].issue_iri = V + "issue/not-an-issue"
    return record


def _keys(report: ValidationReport) -> set[tuple[str, str | None, str]]:
    return {(r.focus, r.path, r.severity) for r in report.results}


def test_typical_document_conforms_without_warnings(record, vocab) -> None:
    report = validate_document(_doc(record, vocab), vocab=vocab)
    assert report.conforms, format_report(report, source="record.json")
    assert report.results == []
    assert exit_code(report) == EXIT_CONFORMS


def test_broken_document_names_each_problem(record, vocab) -> None:
    report = validate_document(_doc(_broken(record), vocab), vocab=vocab)
    assert not report.conforms
    assert exit_code(report) == EXIT_VIOLATIONS
    shapes = {r.shape for r in report.violations}
    kgsh = "https://w3id.org/kg-spcomm/shapes#"
    assert {
        kgsh + "Communication-publishedAfterSending",
        kgsh + "Communication-sentByMandateClass",
        kgsh + "Sending-sendingMandate",
        kgsh + "Allegation-concernsIssue",
    } <= shapes
    late = next(r for r in report.violations if r.shape == kgsh + "Communication-publishedAfterSending")
    assert late.focus == COMM
    assert late.path == KG + "dateSent"
    assert late.evidence == '"10 December 2020" (characters 20-36)'
    unknown = next(r for r in report.violations if r.shape == kgsh + "Communication-sentByMandateClass")
    assert unknown.value == V + "mandate/sr-nonexistent"
    assert unknown.evidence is not None and "characters 181-240" in unknown.evidence  # the sending's span
    issue = next(r for r in report.violations if r.shape == kgsh + "Allegation-concernsIssue")
    assert issue.evidence is not None and "alleged forced labour" in issue.evidence


def test_report_text_names_focus_path_message_value_and_evidence(record, vocab) -> None:
    report = validate_document(_doc(_broken(record), vocab), vocab=vocab)
    text = format_report(report, source="letters/AL_CHN_901_2020.txt")
    assert text.startswith("letters/AL_CHN_901_2020.txt: does not conform (")
    late = "https://w3id.org/kg-spcomm/shapes#Communication-publishedAfterSending"
    block = text.split("\n\n")[1 + [r.shape for r in report.results].index(late)]
    assert block.startswith("Violation: The publication date (kg:publicationDate) is before the date sent")
    assert f"  focus:    <{COMM}>" in block
    assert "  path:     kg:dateSent" in block
    assert "  value:    2020-12-10" in block
    assert '  evidence: "10 December 2020" (characters 20-36)' in block
    assert "  shape:    kgsh:Communication-publishedAfterSending" in block


def test_report_text_of_a_conforming_document(record, vocab) -> None:
    report = validate_document(_doc(record, vocab), vocab=vocab)
    assert format_report(report, source="x.json") == "x.json: conforms"


def test_missing_fact_has_no_evidence_but_a_message_to_act_on(record, vocab) -> None:
    record.date = None
    record.date_evidence = None
    record.publication_date = None
    report = validate_document(_doc(record, vocab), vocab=vocab)
    missing = next(r for r in report.violations if r.path == KG + "dateSent")
    assert missing.evidence is None
    assert "add 'date' to the record" in missing.message or "set 'date' in the record" in missing.message


def test_same_result_as_a_plain_pyshacl_run(record, vocab) -> None:
    """Our scoped run (document + vocabulary context) agrees with pySHACL on document + whole vocabulary."""
    shapes = Graph()
    for path in resources.shape_files():
        if path.name != VOCABULARY_SHAPES:
            shapes.parse(path, format="turtle")
    for rec in (record, _broken(record.model_copy(deep=True))):
        doc = _doc(rec, vocab)
        ours = validate_document(doc, vocab=vocab)
        stored = Graph().parse(data=doc.graph.serialize(format="nt"), format="nt")  # as the store holds it
        conforms, report, _text = pyshacl_validate(stored + vocab.graph, shacl_graph=shapes, inference="none")
        plain = {
            (
                str(report.value(r, SH.focusNode)),
                _path(report, report.value(r, SH.resultPath)),
                str(report.value(r, SH.resultSeverity)).rsplit("#", 1)[-1],
            )
            for r in report.subjects(RDF.type, SH.ValidationResult)
        }
        assert ours.conforms == conforms
        assert _keys(ours) == plain


def test_document_graph_is_left_untouched(record, vocab) -> None:
    doc = _doc(record, vocab)
    before = set(doc.graph)
    validate_document(doc, vocab=vocab)
    assert set(doc.graph) == before


def test_validate_graph_reads_a_dataset_like_a_graph(record, vocab) -> None:
    doc = _doc(_broken(record), vocab)
    dataset = Dataset()
    named = dataset.graph(doc.graph_iri)
    for triple in doc.graph:
        named.add(triple)
    assert _keys(validate_graph(dataset, vocab=vocab)) == _keys(validate_document(doc, vocab=vocab))


def test_vocabulary_context_is_not_reported(record, vocab) -> None:
    """A State the document only points to is the vocabulary's business, not the document's."""
    thin = Vocabulary(vocabulary_graph([HERE / "vocab-fixture.ttl"]))
    chn = URIRef(V + "country/CHN")
    thin.graph.remove((chn, URIRef(KG + "isoAlpha2"), None))
    report = validate_document(_doc(record, thin), vocab=thin)
    assert report.conforms
    assert all(r.focus != str(chn) for r in report.results)


def test_shapes_are_parsed_once_and_shared_safely(record, vocab) -> None:
    assert _document_shapes() is _document_shapes()
    docs = [_doc(record, vocab), _doc(_broken(record.model_copy(deep=True)), vocab)]
    expected = [_keys(validate_document(d, vocab=vocab)) for d in docs]
    found: list[tuple[int, set[tuple[str, str | None, str]]]] = []

    def work(index: int) -> None:
        for _ in range(3):
            found.append((index, _keys(validate_document(docs[index], vocab=vocab))))

    threads = [threading.Thread(target=work, args=(i % 2,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(found) == 12
    assert all(keys == expected[index] for index, keys in found)


def test_vocabularies_validate_clean() -> None:
    if not resources.vocabulary_files():
        pytest.skip("ontology/vocab has no vocabulary files yet")
    report = validate_vocabularies()
    assert report.conforms, format_report(report, source="ontology/vocab")


def test_values_shacl_cannot_compare_are_bad_input(record, vocab, monkeypatch) -> None:
    """Values rdflib cannot order (two xsd:gYear, one after the other) make pySHACL raise
    TypeError: that is bad input (exit code 2), not a crash. Simulated by making every
    comparison of literals fail, because whether rdflib raises depends on process-wide
    literal conversions that OWL-RL changes."""

    def refuse(self: Literal, other: object) -> bool:
        raise TypeError("'<=' not supported between instances of 'Literal' and 'Literal'")

    monkeypatch.setattr(Literal, "__le__", refuse)
    with pytest.raises(InputError, match="datatype the ontology declares"):
        validate_document(_doc(record, vocab), vocab=vocab)


def test_blank_node_where_dates_are_compared_is_bad_input(record, vocab) -> None:
    """pySHACL cannot compare a blank node with sh:lessThanOrEquals and raises; kg says what to fix."""
    doc = _doc(record, vocab)
    doc.graph.set((URIRef(COMM), URIRef(KG + "dateSent"), BNode()))
    with pytest.raises(InputError, match="not a blank node"):
        validate_document(doc, vocab=vocab)


def test_validate_file_reads_rdf_by_suffix(record, vocab, tmp_path) -> None:
    doc = _doc(_broken(record), vocab)
    for suffix, fmt in ((".ttl", "turtle"), (".nt", "nt")):
        path = tmp_path / f"doc{suffix}"
        doc.graph.serialize(path, format=fmt, encoding="utf-8")
        assert _keys(validate_file(path, vocab=vocab)) == _keys(validate_document(doc, vocab=vocab))
    quads = tmp_path / "doc.nq"
    dataset = Dataset()
    named = dataset.graph(doc.graph_iri)
    for triple in doc.graph:
        named.add(triple)
    dataset.serialize(quads, format="nquads", encoding="utf-8")
    assert _keys(validate_file(quads, vocab=vocab)) == _keys(validate_document(doc, vocab=vocab))


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("bad.ttl", "garbage"),
        ("doc.csv", "a,b"),
        ("bad.nt", "<a> <b> ."),
        ("laughs.rdf", '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><r>&a;</r>'),
    ],
)
def test_unreadable_files_are_bad_input(tmp_path, name, content) -> None:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=str(path)):
        validate_file(path)


def test_cost_per_document_does_not_grow_with_the_batch() -> None:
    """Each document is checked against its own data only: ten times the documents, ten times the
    work (CPU time, so other processes on the machine do not count), and far below pySHACL's ~15 ms."""
    vocab = load_vocabulary()
    docs = [
        record_to_graph(
            synthetic_record(f"AL OTH {i}/2024", company=f"Fictional Company {i}"), base=BASE, vocab=vocab
        )
        for i in range(1, 221)
    ]
    validate_documents(docs[:5], vocab=vocab)  # shapes compiled, vocabulary parsed

    def cpu_ms_per_doc(batch: list[DocumentGraph]) -> float:
        start = time.process_time()
        reports = validate_documents(batch, vocab=vocab)
        assert len(reports) == len(batch) and all(r.conforms for r in reports)
        return (time.process_time() - start) * 1000 / len(batch)

    small = min(cpu_ms_per_doc(docs[:20]) for _ in range(3))
    large = cpu_ms_per_doc(docs[20:])
    assert large < 8, f"{large:.2f} ms of CPU per document"
    assert large < 2 * small + 0.5, f"{large:.2f} ms per document in a batch of 200, {small:.2f} in 20"
