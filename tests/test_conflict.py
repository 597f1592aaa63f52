"""A reference already stored: same letter unchanged, another refused with what differs, or --replace."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, Literal, URIRef
from typer.testing import CliRunner

from kg.cli import app
from kg.config import ONTOLOGY_NS, Settings
from kg.diff import describe_difference, difference
from kg.inference import inferred_graph_iri
from kg.ingest import build_document, read_record
from kg.store import EmbeddedStore
from kg.vocab import load_vocabulary
from support import CORPUS, synthetic_record

runner = CliRunner()
LETTER = CORPUS / "AL_OTH_70_2020.txt"
KG = ONTOLOGY_NS


def kg(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def store_quads(data_dir: Path) -> set[str]:
    store = EmbeddedStore(Settings(data_dir=data_dir).store_dir)
    try:
        return {str(q) for q in store.query("SELECT * { GRAPH ?g { ?s ?p ?o } }", union=False)}  # type: ignore[union-attr]
    finally:
        del store


def squeeze(text: str) -> list[str]:
    return [re.sub(r"\s+", " ", line.strip()) for line in text.splitlines()]


# -- describe_difference on its own ---------------------------------------------------------


def test_a_changed_value_reads_as_a_stored_and_a_new_line_with_prefixed_names():
    vocab = load_vocabulary()
    settings = Settings()
    old = build_document(synthetic_record(), settings, vocab)
    changed = synthetic_record()
    changed.date = dt.date(2024, 5, 3)
    new = build_document(changed, settings, vocab)

    store = EmbeddedStore(None)
    store.replace_graph(str(old.graph_iri), old.graph, ingested_at=dt.datetime.now(dt.UTC))
    text = describe_difference(store.graph_triples(str(old.graph_iri)), new.graph)

    lines = squeeze(text)
    assert lines[0].startswith("2 statements differ: 1 only in the stored document, 1 only in the new one")
    comm = "data:communication/al-oth-901-2024"
    assert f'- stored {comm} kg:dateSent "2024-05-02"^^xsd:date' in lines
    assert f'+ new {comm} kg:dateSent "2024-05-03"^^xsd:date' in lines
    assert lines.index(f'- stored {comm} kg:dateSent "2024-05-02"^^xsd:date') + 1 == lines.index(
        f'+ new {comm} kg:dateSent "2024-05-03"^^xsd:date'
    )
    # The digest and the ingest time differ too, but they say nothing about the letter.
    assert "contentDigest" not in text and "ingestedAt" not in text


def test_same_content_stored_and_rebuilt_shows_no_difference_despite_canonical_literals():
    """Oxigraph stores "1.0"^^xsd:decimal as "1"; that is not a change the reader should see."""
    graph = Graph()
    s, p = URIRef("https://example.org/a"), URIRef(KG + "quantityValue")
    graph.add((s, p, Literal("10000.0", datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))))
    store = EmbeddedStore(None)
    store.replace_graph("https://example.org/g", graph, ingested_at=dt.datetime.now(dt.UTC))
    assert difference(store.graph_triples("https://example.org/g"), graph) == ([], [])
    assert describe_difference(store.graph_triples("https://example.org/g"), graph).startswith(
        "no difference in content"
    )


def test_long_differences_are_cut_at_the_limit_and_the_rest_counted():
    old = [
        (ox.NamedNode(f"https://example.org/x{i}"), ox.NamedNode(KG + "p"), ox.Literal(str(i)))
        for i in range(30)
    ]
    label = (
        ox.NamedNode("https://example.org/company"),
        ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label"),
    )
    new = [
        *old[:10],
        (*label, ox.Literal("Acme Mining Ltd")),
        (ox.NamedNode("https://example.org/x0"), ox.NamedNode(KG + "q"), label[0]),
    ]

    text = describe_difference(old, new, limit=5)

    lines = text.splitlines()
    assert lines[0] == "22 statements differ: 20 only in the stored document, 2 only in the new one"
    assert len(lines) == 1 + 5 + 1
    assert lines[-1].strip() == "… and 17 more"
    full = describe_difference(old, new, limit=100)
    # An IRI that has a label in either graph is shown with it.
    assert "+ new    <https://example.org/x0> kg:q <https://example.org/company> (Acme Mining Ltd)" in full


# -- through the CLI, on a real letter -------------------------------------------------------


@pytest.fixture(scope="module")
def letters(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dt.date, dt.date]:
    """The corpus letter and a copy whose date is one day later (same length, so spans stay put)."""
    record = read_record(LETTER)
    assert record.date is not None and record.date_evidence is not None
    text = LETTER.read_text(encoding="utf-8")
    ev = record.date_evidence
    written = text[ev.start : ev.end]
    later = record.date + dt.timedelta(days=1)
    changed = written.replace(str(record.date.day), str(later.day), 1)
    assert len(changed) == len(written) and changed != written, (
        "pick a letter dated before the 9th or 10th..28th"
    )
    folder = tmp_path_factory.mktemp("letters")
    copy = folder / LETTER.name
    copy.write_text(text[: ev.start] + changed + text[ev.end :], encoding="utf-8")
    return LETTER, copy, record.date, later


@pytest.mark.corpus
def test_same_letter_again_is_unchanged_and_changes_nothing(tmp_path, letters):
    original, _, _, _ = letters
    data = str(tmp_path / "db")
    assert kg("ingest", str(original), "--data-dir", data).exit_code == 0
    before = store_quads(tmp_path / "db")

    result = kg("ingest", str(original), "--data-dir", data)

    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output
    assert store_quads(tmp_path / "db") == before  # not even the ingest time moved


@pytest.mark.corpus
def test_a_different_letter_with_a_stored_reference_is_refused_showing_what_differs(tmp_path, letters):
    original, copy, old_date, new_date = letters
    data = str(tmp_path / "db")
    assert kg("ingest", str(original), "--data-dir", data).exit_code == 0
    before = store_quads(tmp_path / "db")

    result = kg("ingest", str(copy), "--data-dir", data)

    assert result.exit_code == 1
    assert "AL OTH 70/2020 is already in the store with different content" in re.sub(
        r"[\s│]+", " ", result.output
    )
    assert "--replace" in result.output
    lines = squeeze(result.output)
    comm = "data:communication/al-oth-70-2020"
    assert f'- stored {comm} kg:dateSent "{old_date.isoformat()}"^^xsd:date' in lines, result.output
    assert f'+ new {comm} kg:dateSent "{new_date.isoformat()}"^^xsd:date' in lines, result.output
    assert store_quads(tmp_path / "db") == before


@pytest.mark.corpus
def test_replace_swaps_the_stored_document_and_its_inferences(tmp_path, letters):
    original, copy, old_date, new_date = letters
    data_dir = tmp_path / "db"
    assert kg("ingest", str(original), "--data-dir", str(data_dir)).exit_code == 0

    result = kg("ingest", str(copy), "--data-dir", str(data_dir), "--replace")

    assert result.exit_code == 0, result.output
    assert "replaced" in result.output
    settings = Settings(data_dir=data_dir)
    expected = build_document(read_record(copy), settings, load_vocabulary())
    store = EmbeddedStore(settings.store_dir)
    graph_iri = str(expected.graph_iri)
    assert difference(store.graph_triples(graph_iri), expected.graph) == ([], [])
    assert store.graph_value(graph_iri, KG + "contentDigest") == expected.digest
    dates = {
        str(q.object.value)
        for q in store.graph_triples(graph_iri)
        if q.predicate == ox.NamedNode(KG + "dateSent")
    }
    assert dates == {new_date.isoformat()}, f"the old date {old_date} must be gone"
    inferred = inferred_graph_iri(graph_iri)
    derived_from = {
        str(q.object.value)
        for q in store.graph_triples(inferred)
        if q.predicate == ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
    }
    assert derived_from == {graph_iri}
