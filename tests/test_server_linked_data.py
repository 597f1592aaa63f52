"""Every entity IRI answers with its RDF (by Accept, suffix or format=); the ontology IRI, the ontology."""

from __future__ import annotations

import httpx
import pytest
from rdflib import RDF, Graph, Literal, Namespace, URIRef

pytest_plugins = ["server_fixture"]

KG = Namespace("https://w3id.org/kg-spcomm/ontology#")
RDFS_LABEL = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
DATA = "https://w3id.org/kg-spcomm/data/"
LI_NING = URIRef(DATA + "company/li-ning-company-limited")
FORCED_LABOUR = URIRef(DATA + "communication/al-oth-70-2020/allegation/forced-labour")
AL_OTH_70 = URIRef(DATA + "communication/al-oth-70-2020")


@pytest.fixture(scope="module")
def client(kg_server):
    with httpx.Client(base_url=kg_server, timeout=30.0) as http:
        yield http


def graph_of(response: httpx.Response, rdflib_format: str = "turtle") -> Graph:
    assert response.status_code == 200, response.text
    return Graph().parse(data=response.text, format=rdflib_format)


def test_a_company_has_its_facts_and_the_links_pointing_at_it(client):
    graph = graph_of(client.get("/company/li-ning-company-limited", headers={"accept": "text/turtle"}))
    assert (LI_NING, RDF.type, KG.Company) in graph
    assert (LI_NING, RDFS_LABEL, Literal("Li-Ning Company Limited")) in graph
    assert (AL_OTH_70, KG.addressedTo, LI_NING) in graph  # incoming
    assert (FORCED_LABOUR, KG.implicatedActor, LI_NING) in graph
    assert (FORCED_LABOUR, RDFS_LABEL, Literal("Forced labour (AL OTH 70/2020)")) in graph  # labels of links


def test_an_allegation_comes_with_the_text_spans_that_evidence_it(client):
    graph = graph_of(client.get("/communication/al-oth-70-2020/allegation/forced-labour"))
    spans = set(graph.subjects(KG.evidenceFor, FORCED_LABOUR))
    assert spans
    for span in spans:
        assert (span, RDF.type, KG.TextSpan) in graph
        assert graph.value(span, KG.startOffset) is not None and graph.value(span, KG.endOffset) is not None


@pytest.mark.parametrize(
    ("how", "media_type", "rdflib_format"),
    [
        ({"headers": {"accept": "application/ld+json"}}, "application/ld+json", "json-ld"),
        ({"headers": {"accept": "application/n-triples"}}, "application/n-triples", "nt"),
        ({"headers": {"accept": "application/rdf+xml"}}, "application/rdf+xml", "xml"),
        ({"params": {"format": "jsonld"}}, "application/ld+json", "json-ld"),
        (
            {"params": {"format": "rdfxml"}, "headers": {"accept": "text/turtle"}},
            "application/rdf+xml",
            "xml",
        ),
        ({"suffix": ".ttl"}, "text/turtle", "turtle"),
        ({"suffix": ".jsonld"}, "application/ld+json", "json-ld"),
        ({"suffix": ".nt"}, "application/n-triples", "nt"),
        ({"suffix": ".rdf"}, "application/rdf+xml", "xml"),
    ],
)
def test_formats_by_accept_format_and_suffix(client, how, media_type, rdflib_format):
    options = dict(how)
    path = "/company/li-ning-company-limited" + options.pop("suffix", "")
    response = client.get(path, **options)
    assert response.headers["content-type"] == f"{media_type}; charset=utf-8"
    assert (LI_NING, RDF.type, KG.Company) in graph_of(response, rdflib_format)


def test_vocabulary_terms_are_served_under_vocab(client):
    graph = graph_of(client.get("/vocab/country/CHN.ttl"))
    china = URIRef("https://w3id.org/kg-spcomm/vocab/country/CHN")
    labels = graph.objects(china, URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"))
    assert "China" in {str(label) for label in labels}
    assert (AL_OTH_70, KG.alsoSentTo, china) in graph


def test_a_document_graph_iri_serves_the_whole_document(client):
    graph = graph_of(client.get("/graph/al-oth-70-2020", headers={"accept": "application/n-triples"}), "nt")
    assert (AL_OTH_70, KG.reference, Literal("AL OTH 70/2020")) in graph
    assert len(graph) > 500


def test_the_ontology_iri_serves_the_ontology(client):
    response = client.get("/ontology", headers={"accept": "text/turtle"})
    graph = graph_of(response)
    owl_ontology = URIRef("http://www.w3.org/2002/07/owl#Ontology")
    assert (URIRef("https://w3id.org/kg-spcomm/ontology"), RDF.type, owl_ontology) in graph
    assert (KG.Company, RDF.type, URIRef("http://www.w3.org/2002/07/owl#Class")) in graph
    as_nt = graph_of(client.get("/ontology.nt"), "nt")
    assert len(as_nt) == len(graph)


def test_browsers_get_the_explorer_page(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/company/li-ning-company-limited", headers={"accept": browser})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "Li-Ning" in response.text


@pytest.mark.parametrize(
    "path", ["/company/no-such-company", "/vocab/issue/nothing-like-this.ttl", "/person/nobody?format=nt"]
)
def test_unknown_entities_are_404_in_the_error_shape(client, path):
    response = client.get(path, headers={"accept": "text/turtle"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_an_unacceptable_type_is_406(client):
    response = client.get("/company/li-ning-company-limited", headers={"accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.json()["error"]["message"]
