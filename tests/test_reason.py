"""HermiT consistency checks (owlready2): consistent data, a deliberate clash, and no Java."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD

from kg import resources
from kg.rdf import record_to_graph
from kg.reason import _owl2_graph, check_consistency
from kg.record import load_record
from kg.vocab import Vocabulary, vocabulary_graph

HERE = Path(__file__).resolve().parent / "shapes"
KG = "https://w3id.org/kg-spcomm/ontology#"

needs_java = pytest.mark.skipif(
    shutil.which("java") is None, reason="HermiT needs Java: apt-get install default-jre-headless"
)


@pytest.fixture(scope="module")
def vocabulary() -> Graph:
    """The ontology, every vocabulary file there is, and the test fixture's few entries."""
    return vocabulary_graph([*resources.vocabulary_files(), HERE / "vocab-fixture.ttl"])


@pytest.mark.reasoner
@needs_java
def test_ontology_vocabulary_and_a_document_are_consistent(vocabulary: Graph) -> None:
    doc = record_to_graph(
        load_record(HERE / "record.json"),
        base="https://w3id.org/kg-spcomm/data/",
        vocab=Vocabulary(vocabulary),
    )
    result = check_consistency([vocabulary, doc.graph])
    assert result.status == "consistent", result.message
    assert result.inconsistent_classes == []
    assert result.seconds > 0


@pytest.mark.reasoner
@needs_java
def test_an_individual_of_two_disjoint_classes_is_inconsistent() -> None:
    clash = Graph()
    acme = URIRef("https://example.org/acme")
    clash.add((acme, RDF.type, URIRef(KG + "State")))
    clash.add((acme, RDF.type, URIRef(KG + "Company")))
    result = check_consistency([Graph().parse(resources.ontology_file()), clash])
    assert result.status == "inconsistent"
    assert f"<{acme}> is both <{KG}State> and <{KG}Company>" in result.message


@pytest.mark.reasoner
@needs_java
def test_an_unsatisfiable_class_is_named() -> None:
    ontology = Graph().parse(resources.ontology_file())
    odd = URIRef("https://example.org/StateCompany")
    ontology.add((odd, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")))
    ontology.add((odd, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), URIRef(KG + "State")))
    ontology.add((odd, URIRef("http://www.w3.org/2000/01/rdf-schema#subClassOf"), URIRef(KG + "Company")))
    result = check_consistency([ontology])
    assert result.status == "inconsistent"
    assert result.inconsistent_classes == [str(odd)]


@pytest.mark.reasoner
@needs_java
def test_a_time_out_is_reported_not_raised() -> None:
    result = check_consistency([Graph().parse(resources.ontology_file())], timeout_s=0.05)
    assert result.status == "unavailable"
    assert "timeout_s" in result.message


def test_without_java_the_check_is_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    result = check_consistency([Graph().parse(resources.ontology_file())])
    assert result.status == "unavailable"
    assert "Java" in result.message and "apt-get install default-jre-headless" in result.message


def test_dates_and_years_are_mapped_to_owl2_datatypes() -> None:
    """HermiT refuses xsd:date and xsd:gYear: the copy handed over uses dateTime and integer."""
    graph = Graph()
    s = URIRef("https://example.org/c")
    graph.add((s, URIRef(KG + "dateSent"), Literal("2020-12-10", datatype=XSD.date)))
    graph.add((s, URIRef(KG + "periodStart"), Literal("2017", datatype=XSD.gYear)))
    graph.add((URIRef(KG + "dateSent"), URIRef("http://www.w3.org/2000/01/rdf-schema#range"), XSD.date))
    mapped = set(_owl2_graph(graph))
    assert (s, URIRef(KG + "dateSent"), Literal("2020-12-10T00:00:00", datatype=XSD.dateTime)) in mapped
    assert (s, URIRef(KG + "periodStart"), Literal("2017", datatype=XSD.integer)) in mapped
    assert (
        URIRef(KG + "dateSent"),
        URIRef("http://www.w3.org/2000/01/rdf-schema#range"),
        XSD.dateTime,
    ) in mapped
    assert len(graph) == 3, "the caller's graph is left as it was"


@pytest.mark.reasoner
def test_ontology_vocabularies_and_the_sample_graph_are_consistent(tmp_path_factory) -> None:
    if shutil.which("java") is None:
        pytest.skip("HermiT needs Java; .ci/run installs default-jre-headless")
    from kg.export import store_graph
    from support import sample_store

    store = sample_store(tmp_path_factory)
    result = check_consistency([vocabulary_graph(), store_graph(store, documents_only=True)])
    assert result.status == "consistent", result.message
