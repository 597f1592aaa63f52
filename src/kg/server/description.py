"""What the endpoint says about itself: a SPARQL Service Description and a VoID description.

Editors (YASGUI and the like) read these to autocomplete against the real schema, so the
VoID class and property partitions are counted from the data, through the query pool, once
per process: the store is read-only while kg serves it.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.config import ONTOLOGY_NS
from kg.server.deps import get_audience, get_pool, get_settings
from kg.server.errors import openapi_errors
from kg.server.execution import pool_errors
from kg.server.negotiation import GRAPH_OFFERS, negotiate
from kg.server.results import render_triples

SD = "http://www.w3.org/ns/sparql-service-description#"
VOID = "http://rdfs.org/ns/void#"
FORMATS = "http://www.w3.org/ns/formats/"
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
RDFS_SEE_ALSO = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
DCT = "http://purl.org/dc/terms/"
XSD_INTEGER = ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")
TITLE = "kg: communications of the UN Special Procedures"
DESCRIPTION = (
    "Letters that Special Rapporteurs, Working Groups and Independent Experts send to States and "
    "companies, as a validated knowledge graph: one named graph per communication, with the "
    "evidence for every fact."
)
RESULT_FORMATS = (
    "SPARQL_Results_JSON",
    "SPARQL_Results_XML",
    "SPARQL_Results_CSV",
    "SPARQL_Results_TSV",
    "Turtle",
    "N-Triples",
    "JSON-LD",
    "RDF_XML",
)

router = APIRouter(tags=["description"])

_STATS_QUERIES = {
    "triples": "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { ?s ?p ?o } }",
    "entities": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o FILTER isIRI(?s) }",
    "subjects": "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }",
    "objects": "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }",
    "graphs": "SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE { GRAPH ?g { } }",
}
_CLASSES = "SELECT ?item (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a ?item } GROUP BY ?item ORDER BY ?item"
_PROPERTIES = (
    "SELECT ?item (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?item ?o WHERE { ?s ?item ?o } } "
    "GROUP BY ?item ORDER BY ?item"
)
_EXAMPLES = f"SELECT ?item (0 AS ?n) WHERE {{ ?item a <{ONTOLOGY_NS}Communication> }} ORDER BY ?item LIMIT 3"


@dataclass(frozen=True)
class DatasetStats:
    counts: dict[str, int]
    classes: list[tuple[str, int]]
    properties: list[tuple[str, int]]
    examples: list[str]


async def _rows(request: Request, sparql: str) -> list[dict[str, dict[str, str]]]:
    with pool_errors(get_settings(request)):
        result = await get_pool(request).run(sparql)
    return json.loads(result.data)["results"]["bindings"]  # type: ignore[no-any-return]


async def dataset_stats(request: Request) -> DatasetStats:
    """Counted once per publication and audience: snapshots never change; the public one lacks embargoes.

    An external store has no publications and changes under kg: its figures are counted again
    after a minute (counting a large store on every VoID request would cost more than it tells).
    """
    state = request.app.state
    publication = state.snapshots.publication
    generation = publication.id if publication else f"external-{int(time.monotonic() // 60)}"
    key = (generation, get_audience(request))
    cache: dict[object, DatasetStats] = state.__dict__.setdefault("void_stats", {})
    if key in cache:
        return cache[key]
    if getattr(state, "void_lock", None) is None:
        state.void_lock = asyncio.Lock()
    async with state.void_lock:
        if key not in cache:
            counts = {}
            for name, sparql in _STATS_QUERIES.items():
                counts[name] = int((await _rows(request, sparql))[0]["n"]["value"])

            async def items(sparql: str) -> list[tuple[str, int]]:
                rows = await _rows(request, sparql)
                return [
                    (r["item"]["value"], int(r["n"]["value"])) for r in rows if r["item"]["type"] == "uri"
                ]

            classes = await items(_CLASSES)
            properties = await items(_PROPERTIES)
            examples = [iri for iri, _ in await items(_EXAMPLES)]
            cache.clear()  # only the current publication's figures are worth keeping
            cache[key] = DatasetStats(counts, classes, properties, examples)
    return cache[key]


def _root(request: Request) -> str:
    return str(request.base_url)


def _integer(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=XSD_INTEGER)


def dataset_iri(request: Request) -> ox.NamedNode:
    return ox.NamedNode(f"{_root(request)}.well-known/void#dataset")


def service_triples(request: Request) -> list[ox.Triple]:
    root = _root(request)
    endpoint = ox.NamedNode(f"{root}sparql")
    dataset = dataset_iri(request)
    default_graph = ox.BlankNode("defaultGraph")
    settings = get_settings(request)
    triples = [
        ox.Triple(endpoint, RDF_TYPE, ox.NamedNode(SD + "Service")),
        ox.Triple(endpoint, ox.NamedNode(SD + "endpoint"), endpoint),
        ox.Triple(endpoint, ox.NamedNode(SD + "supportedLanguage"), ox.NamedNode(SD + "SPARQL11Query")),
        ox.Triple(endpoint, ox.NamedNode(SD + "feature"), ox.NamedNode(SD + "UnionDefaultGraph")),
        ox.Triple(endpoint, ox.NamedNode(DCT + "title"), ox.Literal(TITLE)),
        ox.Triple(endpoint, ox.NamedNode(DCT + "description"), ox.Literal(DESCRIPTION)),
        ox.Triple(endpoint, ox.NamedNode(SD + "defaultDataset"), dataset),
        ox.Triple(dataset, RDF_TYPE, ox.NamedNode(SD + "Dataset")),
        ox.Triple(dataset, RDF_TYPE, ox.NamedNode(VOID + "Dataset")),
        ox.Triple(dataset, RDFS_SEE_ALSO, ox.NamedNode(f"{root}.well-known/void")),
        ox.Triple(dataset, ox.NamedNode(SD + "defaultGraph"), default_graph),
        ox.Triple(default_graph, RDF_TYPE, ox.NamedNode(SD + "Graph")),
    ]
    if settings.service_allowlist:
        triples.append(
            ox.Triple(endpoint, ox.NamedNode(SD + "feature"), ox.NamedNode(SD + "BasicFederatedQuery"))
        )
    triples += [
        ox.Triple(endpoint, ox.NamedNode(SD + "resultFormat"), ox.NamedNode(FORMATS + name))
        for name in RESULT_FORMATS
    ]
    return triples


def void_triples(request: Request, stats: DatasetStats) -> list[ox.Triple]:
    root = _root(request)
    dataset = dataset_iri(request)
    settings = get_settings(request)

    def p(name: str) -> ox.NamedNode:
        return ox.NamedNode(VOID + name)

    triples = [
        ox.Triple(dataset, RDF_TYPE, p("Dataset")),
        ox.Triple(dataset, ox.NamedNode(DCT + "title"), ox.Literal(TITLE)),
        ox.Triple(dataset, ox.NamedNode(DCT + "description"), ox.Literal(DESCRIPTION)),
        ox.Triple(dataset, p("sparqlEndpoint"), ox.NamedNode(f"{root}sparql")),
        ox.Triple(dataset, p("uriSpace"), ox.Literal(settings.store.base_iri)),
        ox.Triple(dataset, p("vocabulary"), ox.NamedNode(ONTOLOGY_NS)),
        ox.Triple(dataset, p("triples"), _integer(stats.counts["triples"])),
        ox.Triple(dataset, p("entities"), _integer(stats.counts["entities"])),
        ox.Triple(dataset, p("distinctSubjects"), _integer(stats.counts["subjects"])),
        ox.Triple(dataset, p("distinctObjects"), _integer(stats.counts["objects"])),
        ox.Triple(dataset, p("classes"), _integer(len(stats.classes))),
        ox.Triple(dataset, p("properties"), _integer(len(stats.properties))),
        ox.Triple(dataset, p("documents"), _integer(stats.counts["graphs"])),
    ]
    triples += [ox.Triple(dataset, p("exampleResource"), ox.NamedNode(iri)) for iri in stats.examples]
    for index, (cls, count) in enumerate(stats.classes, start=1):
        node = ox.BlankNode(f"class{index}")
        triples += [
            ox.Triple(dataset, p("classPartition"), node),
            ox.Triple(node, p("class"), ox.NamedNode(cls)),
            ox.Triple(node, p("entities"), _integer(count)),
        ]
    for index, (prop, count) in enumerate(stats.properties, start=1):
        node = ox.BlankNode(f"property{index}")
        triples += [
            ox.Triple(dataset, p("propertyPartition"), node),
            ox.Triple(node, p("property"), ox.NamedNode(prop)),
            ox.Triple(node, p("triples"), _integer(count)),
        ]
    return triples


def rdf_response(request: Request, triples: list[ox.Triple]) -> Response:
    """RDF by Accept or ?format=, Turtle by default."""
    fmt = negotiate(
        request.headers.get("accept"), GRAPH_OFFERS, format_param=request.query_params.get("format")
    )
    return Response(
        render_triples(triples, fmt), headers={"content-type": fmt.content_type, "vary": "Accept"}
    )


def service_description(request: Request) -> Response:
    """GET /sparql without a query (see kg.server.protocol)."""
    return rdf_response(request, service_triples(request))


_RDF_CONTENT = {f.media_type: {"schema": {"type": "string"}} for f in GRAPH_OFFERS}


@router.get(
    "/.well-known/void",
    summary="VoID description of the dataset",
    description="Counts, class partitions and property partitions computed from the data "
    "(once per server process). Turtle by default; N-Triples, JSON-LD, RDF/XML by Accept or ?format=.",
    response_class=Response,
    responses={200: {"description": "VoID", "content": _RDF_CONTENT}, **openapi_errors(400, 406)},
)
async def void_description(request: Request) -> Response:
    fmt_check = request.query_params.get("format")
    negotiate(request.headers.get("accept"), GRAPH_OFFERS, format_param=fmt_check)  # 406 before counting
    stats = await dataset_stats(request)
    return rdf_response(request, void_triples(request, stats))
