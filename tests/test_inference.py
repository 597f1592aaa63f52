"""Per-document materialisation of the ontology's axioms into `<document graph>/inferred`.

The facts checked here (Li-Ning implicated in the forced-labour allegation, the inverse
and chained links, the super-classes and super-properties) must be in the inferred graph
only, follow the document through removal and re-ingest, and stay out of --no-inferred.
"""

from __future__ import annotations

import gc
import json
import statistics
import time

import pyoxigraph as ox
import pytest
from rdflib import Graph, Namespace
from typer.testing import CliRunner

from kg import iris, resources
from kg.cli import app
from kg.config import Settings
from kg.inference import (
    GENERATOR,
    compile_rules,
    inferred_graph_iri,
    materialise_document,
    recompute_all,
    rules_for,
    stale_inferred_graphs,
)
from kg.ingest import ingest_paths, ingest_record, remove_document
from kg.store import EmbeddedStore
from support import synthetic_record

KG = "https://w3id.org/kg-spcomm/ontology#"
PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
DATA = "https://w3id.org/kg-spcomm/data/"
LINING = DATA + "company/li-ning-company-limited"
COMM = DATA + "communication/al-oth-70-2020"
FORCED_LABOUR = COMM + "/allegation/forced-labour"
DOC_GRAPH = DATA + "graph/al-oth-70-2020"
INFERRED = DOC_GRAPH + "/inferred"

runner = CliRunner()


@pytest.fixture()
def sample(tmp_path):
    settings = Settings(data_dir=tmp_path / "db")
    store = EmbeddedStore(None)
    results = ingest_paths([resources.sample_dir()], store, settings)
    assert all(r.ok for r in results), [(r.source, r.error) for r in results]
    return store, settings


def graphs_holding(store: EmbeddedStore, s: str, p: str, o: str) -> set[str]:
    quads = store._store.quads_for_pattern(ox.NamedNode(s), ox.NamedNode(p), ox.NamedNode(o), None)
    return {str(q.graph_name.value) for q in quads}


def graph_set(store: EmbeddedStore, graph_iri: str) -> set[tuple[str, str, str]]:
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in store.graph_triples(graph_iri)}


EXPECTED = [
    (LINING, KG + "implicatedIn", FORCED_LABOUR),  # chain receivedCommunication / raisesAllegation
    (FORCED_LABOUR, KG + "allegationRaisedBy", COMM),  # inverse of raisesAllegation
    (LINING, KG + "receivedCommunication", COMM),  # inverse of addressedTo
    (FORCED_LABOUR, RDF_TYPE, PROV + "Entity"),  # Allegation subClassOf prov:Entity
    (COMM, PROV + "wasAttributedTo", "https://w3id.org/kg-spcomm/vocab/mandate/wg-business"),
]


@pytest.mark.parametrize("triple", EXPECTED, ids=lambda t: t[1].rsplit("#", 1)[-1].rsplit("/", 1)[-1])
def test_inferred_facts_are_only_in_the_inferred_graph(sample, triple):
    store, _ = sample
    assert graphs_holding(store, *triple) == {INFERRED}


def test_signed_is_the_inverse_of_the_signature_chain(sample):
    store, _ = sample
    asserted, inferred = graph_set(store, DOC_GRAPH), graph_set(store, INFERRED)
    signatories = {o for _, p, o in asserted if p == f"<{KG}signatory>"}
    signed_by = {o for s, p, o in asserted | inferred if s == f"<{COMM}>" and p == f"<{KG}signedBy>"}
    signed = {s for s, p, o in inferred if o == f"<{COMM}>" and p == f"<{KG}signed>"}
    assert signatories and signatories == signed_by == signed
    assert not any(p == f"<{KG}signed>" for _, p, _ in asserted)


def test_cited_resolutions_are_norms_and_references(sample):
    store, _ = sample
    asserted = graph_set(store, DOC_GRAPH)
    inferred = graph_set(store, INFERRED)
    resolutions = {o for s, p, o in asserted if p == f"<{KG}citesResolution>"}
    assert resolutions
    for o in resolutions:
        assert (f"<{COMM}>", f"<{KG}citesNorm>", o) in inferred
        assert (f"<{COMM}>", f"<{DCT}references>", o) in inferred
        assert (o, f"<{KG}normCitedBy>", f"<{COMM}>") in inferred  # inverse of the super-property


def test_inferred_graph_is_marked_and_never_repeats_an_asserted_fact(sample):
    store, _ = sample
    inferred = graph_set(store, INFERRED)
    node = f"<{INFERRED}>"
    assert (node, f"<{RDF_TYPE}>", f"<{KG}InferredGraph>") in inferred
    assert (node, f"<{PROV}wasDerivedFrom>", f"<{DOC_GRAPH}>") in inferred
    generated_by = [o for s, p, o in inferred if s == node and p == f"<{PROV}wasGeneratedBy>"]
    assert generated_by == [json.dumps(rules_for().generator)]
    assert rules_for().generator.startswith(GENERATOR + " (axioms ")
    assert not inferred & graph_set(store, DOC_GRAPH)


def test_removing_a_document_removes_its_inferred_graph(sample):
    store, settings = sample
    remove_document(store, settings, "AL OTH 70/2020")
    assert not store.has_graph(INFERRED) and not store.has_graph(DOC_GRAPH)
    assert not graphs_holding(store, LINING, KG + "implicatedIn", FORCED_LABOUR)
    assert store.has_graph(DATA + "graph/ua-gbr-3-2019/inferred")


def test_reingest_unchanged_leaves_the_inferred_graph_unchanged(sample):
    store, settings = sample
    before = graph_set(store, INFERRED)
    results = ingest_paths([resources.sample_dir() / "AL_OTH_70_2020.json"], store, settings)
    assert [r.status for r in results] == ["unchanged"]
    assert graph_set(store, INFERRED) == before


def test_recompute_gives_what_ingest_gave_and_drops_orphans(sample):
    store, _ = sample
    before = {g: graph_set(store, g) for g in store.graph_names() if g.endswith("/inferred")}
    orphan = DATA + "graph/gone/inferred"
    store._store.update(f"INSERT DATA {{ GRAPH <{orphan}> {{ <{orphan}> a <{KG}InferredGraph> }} }}")
    seen = []
    result = recompute_all(store, on_progress=lambda done, total: seen.append((done, total)))
    assert result.documents == 5 and result.removed_orphans == 1 and seen[-1] == (5, 5)
    assert not store.has_graph(orphan)
    after = {g: graph_set(store, g) for g in store.graph_names() if g.endswith("/inferred")}
    assert after == before


def test_rules_are_compiled_from_the_axioms_not_written_by_hand():
    rules = rules_for()
    # symmetric: kg:relatedCommunication, skos:exactMatch (restated from SKOS) and owl:sameAs (OWL 2 RL)
    assert rules.counts["propertyChain"] == 2 and rules.counts["symmetric"] == 3
    assert rules.counts["inverseOf"] >= 20 and rules.counts["subClassOf"] > 0
    # A made-up ontology gets its own rules: nothing about kg's properties is built in.
    ex = Namespace("http://example.org/")
    onto = Graph().parse(
        data="""@prefix ex: <http://example.org/> . @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        ex:grandparent owl:propertyChainAxiom ( ex:parent ex:parent ) .
        ex:parent owl:inverseOf ex:child ; rdfs:subPropertyOf ex:relative .
        ex:relative rdfs:subPropertyOf ex:knows .
        ex:Cat rdfs:subClassOf ex:Animal . ex:Animal rdfs:subClassOf ex:Thing .""",
        format="turtle",
    )
    mine = compile_rules(onto)

    def n(local: str) -> ox.NamedNode:
        return ox.NamedNode(str(ex[local]))

    facts = {(n("a"), n("parent"), n("b")), (n("b"), n("parent"), n("c")), (n("a"), RDF_T, n("Cat"))}
    derived = mine.closure(facts)
    assert (n("a"), n("grandparent"), n("c")) in derived
    assert (n("b"), n("child"), n("a")) in derived
    assert (n("a"), n("knows"), n("b")) in derived
    assert (n("a"), RDF_T, n("Thing")) in derived
    assert not derived & facts


RDF_T = ox.NamedNode(RDF_TYPE)


def test_the_vocabulary_alone_is_not_copied_into_a_document():
    """A mandate's own types (from the vocabulary) are not re-derived inside each letter."""
    rules = rules_for()
    mandate = ox.NamedNode("https://w3id.org/kg-spcomm/vocab/mandate/wg-business")
    comm = ox.NamedNode(COMM)
    derived = rules.closure({(comm, ox.NamedNode(KG + "sentByMandate"), mandate)})
    assert all(s != mandate or p != RDF_T for s, p, _ in derived)


def test_no_inferred_query_does_not_see_inferred_facts(tmp_path):
    data = str(tmp_path / "db")
    settings = Settings(data_dir=tmp_path / "db")
    store = EmbeddedStore(settings.store_dir)
    ingest_paths([resources.sample_dir()], store, settings)
    del store  # release the store's lock for the CLI
    ask = f"ASK {{ <{LINING}> <{KG}implicatedIn> <{FORCED_LABOUR}> }}"
    result = runner.invoke(app, ["query", ask, "-f", "json", "--data-dir", data], catch_exceptions=False)
    assert json.loads(result.stdout)["boolean"] is True
    result = runner.invoke(
        app, ["query", ask, "-f", "json", "--no-inferred", "--data-dir", data], catch_exceptions=False
    )
    assert json.loads(result.stdout)["boolean"] is False
    asserted = f"ASK {{ GRAPH ?g {{ <{COMM}> <{KG}addressedTo> <{LINING}> }} }}"
    result = runner.invoke(
        app, ["query", asserted, "-f", "json", "--no-inferred", "--data-dir", data], catch_exceptions=False
    )
    assert json.loads(result.stdout)["boolean"] is True


def test_reason_recompute_rebuilds_then_checks(tmp_path, monkeypatch):
    data = tmp_path / "db"
    settings = Settings(data_dir=data)
    store = EmbeddedStore(settings.store_dir)
    ingest_paths([resources.sample_dir()], store, settings)
    store.remove_graph(INFERRED)
    store.flush()
    del store
    monkeypatch.setattr("shutil.which", lambda name: None)  # no Java: the check reports, exit 0
    result = runner.invoke(app, ["reason", "--data-dir", str(data)], catch_exceptions=False)
    assert "note: 1 inferred graph(s) are missing" in result.output
    del result
    gc.collect()
    result = runner.invoke(app, ["reason", "--recompute", "--data-dir", str(data)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "for 5 documents" in result.output and "reasoner: unavailable" in result.output
    del result  # its traceback holds the CLI's store open
    gc.collect()
    assert EmbeddedStore(settings.store_dir).has_graph(INFERRED)


def test_cost_per_document_is_small(tmp_path):
    """Measured, printed with -s, and bounded loosely so a slow machine does not fail it."""
    settings = Settings(data_dir=tmp_path / "db")
    store = EmbeddedStore(None)
    ingest_paths([resources.sample_dir()], store, settings)
    rules = rules_for()
    graphs = [iris.document_graph_iri(settings.base_iri, r) for r in ("AL OTH 70/2020", "UA GBR 3/2019")]
    sample_ms = [materialise_document(store, g, rules).ms for g in graphs]
    synthetic_ms = []
    for i in range(200):
        record = synthetic_record(f"AL OTH {i + 1}/2023", company=f"Fictional Company {i}")
        ingest_record(record, store, settings, source="synthetic")
        graph = iris.document_graph_iri(settings.base_iri, record.reference or "")
        started = time.perf_counter()
        materialise_document(store, graph, rules)
        synthetic_ms.append((time.perf_counter() - started) * 1000)
    assert store.has_graph(inferred_graph_iri(graph))
    median = statistics.median(synthetic_ms)
    print(f"\ninference: samples {sample_ms} ms; 200 synthetic median {median:.2f} ms")
    assert median < 100


def test_graphs_made_by_other_axioms_are_reported_stale(sample):
    store, _ = sample
    assert stale_inferred_graphs(store) == []
    onto = Graph().parse(
        data=f"<{KG}addressedTo> <http://www.w3.org/2002/07/owl#inverseOf> <{KG}receivedCommunication> .",
        format="turtle",
    )
    other = compile_rules(onto)
    assert other.generator != rules_for().generator
    materialise_document(store, DOC_GRAPH, other)
    assert stale_inferred_graphs(store) == [INFERRED]
    recompute_all(store)
    assert stale_inferred_graphs(store) == []
    store.remove_graph(INFERRED)  # as a crash between dropping and writing it would leave it
    assert stale_inferred_graphs(store) == [INFERRED]
