"""Clients people already use talk to kg: SPARQLWrapper in every format, rdflib's SPARQLStore."""

from __future__ import annotations

import csv
import io

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, GET, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

pytest_plugins = ["server_fixture"]

KG = "https://w3id.org/kg-spcomm/ontology#"
SELECT = (
    f"SELECT ?reference WHERE {{ ?c <{KG}reference> ?reference ; <{KG}addressedTo> ?to }} ORDER BY ?reference"
)
ASK = f"ASK {{ ?c a <{KG}Company> }}"
CONSTRUCT = f"CONSTRUCT {{ ?c <{KG}reference> ?r }} WHERE {{ ?c <{KG}reference> ?r ; <{KG}addressedTo> ?to }}"
DESCRIBE = "DESCRIBE <https://w3id.org/kg-spcomm/data/company/li-ning-company-limited>"
REFERENCES = ["AL CHN 18/2020", "AL OTH 70/2020", "OL OTH 17/2019", "UA GBR 3/2019", "UA SYR 3/2014"]
LI_NING = URIRef("https://w3id.org/kg-spcomm/data/company/li-ning-company-limited")


def wrapper(kg_server: str, query: str, fmt: str, method: str = GET) -> SPARQLWrapper:
    sparql = SPARQLWrapper(f"{kg_server}/sparql")
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    sparql.setMethod(method)
    sparql.setTimeout(30)
    return sparql


@pytest.mark.parametrize("method", [GET, POST])
def test_select_as_json(kg_server, method):
    result = wrapper(kg_server, SELECT, JSON, method).queryAndConvert()
    assert [b["reference"]["value"] for b in result["results"]["bindings"]] == REFERENCES


def test_select_as_xml(kg_server):
    document = wrapper(kg_server, SELECT, XML).queryAndConvert()
    values = [node.firstChild.data for node in document.getElementsByTagName("literal")]
    assert values == REFERENCES


def test_select_as_csv(kg_server):
    data = wrapper(kg_server, SELECT, CSV).queryAndConvert()
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    assert [r["reference"] for r in rows] == REFERENCES


def test_select_as_tsv(kg_server):
    data = wrapper(kg_server, SELECT, TSV).queryAndConvert()
    assert data.decode("utf-8").splitlines()[1:] == [f'"{r}"' for r in REFERENCES]


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_ask(kg_server, fmt):
    result = wrapper(kg_server, ASK, fmt).queryAndConvert()
    if fmt == JSON:
        assert result["boolean"] is True
    else:
        assert result.getElementsByTagName("boolean")[0].firstChild.data == "true"


# SPARQLWrapper builds an rdflib ConjunctiveGraph for RDF/XML and JSON-LD, which rdflib deprecates.
@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD])
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE], ids=["construct", "describe"])
def test_graph_queries(kg_server, query, fmt):
    graph = wrapper(kg_server, query, fmt).queryAndConvert()
    if not isinstance(graph, Graph):  # SPARQLWrapper hands Turtle and N3 back as bytes
        graph = Graph().parse(data=graph, format="turtle")
    if query == DESCRIBE:
        assert (
            LI_NING,
            URIRef("http://www.w3.org/2000/01/rdf-schema#label"),
            Literal("Li-Ning Company Limited"),
        ) in graph
    else:
        assert sorted(str(o) for o in graph.objects()) == REFERENCES


def test_graph_query_as_n_triples(kg_server):
    sparql = wrapper(kg_server, CONSTRUCT, N3)
    sparql.addCustomHttpHeader("Accept", "application/n-triples")
    sparql.setOnlyConneg(True)
    response = sparql.query()
    assert response.response.headers["Content-Type"].startswith("application/n-triples")
    graph = Graph().parse(data=response.response.read().decode("utf-8"), format="nt")
    assert len(graph) == 5


def test_rdflib_sparqlstore_select_and_construct(kg_server):
    store = SPARQLStore(f"{kg_server}/sparql")
    graph = Graph(store=store)
    references = sorted(str(row[0]) for row in graph.query(SELECT))
    assert references == REFERENCES
    constructed = graph.query(CONSTRUCT).graph
    assert constructed is not None and len(constructed) == 5
    assert graph.query(ASK).askAnswer is True
    store.close()
