"""Linked data: every entity IRI answers with its RDF, and browsers get the explorer's page.

A request path maps to an IRI: ``/communication/al-oth-70-2020`` to the base IRI plus that
path (for the folders kg mints entities in), ``/vocab/...`` to the vocabulary namespace,
``/ontology`` to the ontology. The RDF is what a reader of one entity needs: its own
statements, the links pointing at it, the labels of both ends, and the text spans that
evidence it (``kg:evidenceFor``) with their quotes. Turtle, JSON-LD, N-Triples or RDF/XML by
Accept, by a suffix (``.ttl``, ``.jsonld``, ``.nt``, ``.rdf``) or by ``format=``; text/html
goes to ``kg.server.pages.entity_page(request, iri)`` when the explorer is installed.
"""

from __future__ import annotations

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg import resources
from kg.config import ONTOLOGY_IRI, ONTOLOGY_NS, VOCAB_NS
from kg.server import errors
from kg.server.deps import call_view, explorer_view, get_pool, get_settings
from kg.server.execution import pool_errors
from kg.server.negotiation import GRAPH_OFFERS, HTML, JSONLD, NTRIPLES, RDFXML, TURTLE, Format, negotiate
from kg.server.results import render_ntriples, render_triples
from kg.workers import QueryPool

ENTITY_FOLDERS = (
    "communication",
    "company",
    "organization",
    "actor",
    "person",
    "post",
    "place",
    "policy",
    "group",
    "sector",
    "question-topic",
    "graph",
)
"""First path segments under the base IRI where kg mints entities (kg.iris, kg.rdf)."""

SUFFIXES: dict[str, Format] = {".ttl": TURTLE, ".jsonld": JSONLD, ".nt": NTRIPLES, ".rdf": RDFXML}
OFFERS: tuple[Format, ...] = (*GRAPH_OFFERS, HTML)

_DESCRIBE = """PREFIX kg: <{kg}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT {{
  ?e ?p ?o . ?o rdfs:label ?ol . ?o skos:prefLabel ?opl .
  ?s ?q ?e . ?s rdfs:label ?sl .
  ?span ?sp ?so .
}}
WHERE {{
  VALUES ?e {{ {iri} }}
  {{ ?e ?p ?o OPTIONAL {{ ?o rdfs:label ?ol }} OPTIONAL {{ ?o skos:prefLabel ?opl }} }}
  UNION {{ ?s ?q ?e OPTIONAL {{ ?s rdfs:label ?sl }} }}
  UNION {{ ?span kg:evidenceFor ?e ; ?sp ?so }}
}}"""
_GRAPH = "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri} {{ ?s ?p ?o }} }}"

router = APIRouter(tags=["linked data"])


def _term(iri: str) -> str:
    """``<iri>`` for a query, after pyoxigraph checked it is an IRI (so it cannot end the term)."""
    return str(ox.NamedNode(iri))


async def describe_rdf(pool: QueryPool, iri: str) -> bytes:
    """N-Triples about one entity: its statements, incoming links, labels, evidence; b"" if unknown.

    Raises ValueError for a string that is not an IRI, and the pool's errors (QueryTimeout,
    QueryCrashed) as they come.
    """
    result = await pool.run(_DESCRIBE.format(kg=ONTOLOGY_NS, iri=_term(iri)))
    return result.data


async def graph_rdf(pool: QueryPool, iri: str) -> bytes:
    """N-Triples of a whole named graph (one communication's document); b"" if there is none."""
    result = await pool.run(_GRAPH.format(iri=_term(iri)))
    return result.data


def iri_for_path(path: str, base_iri: str) -> str | None:
    """The IRI a request path stands for, or None when the path is not an entity's."""
    if path == "/ontology":
        return ONTOLOGY_IRI
    head, _, rest = path.lstrip("/").partition("/")
    if not rest:
        return None
    if head == "vocab":
        return VOCAB_NS + rest
    if head in ENTITY_FOLDERS:
        return f"{base_iri}{head}/{rest}"
    return None


def _split_suffix(path: str) -> tuple[str, Format | None]:
    for suffix, fmt in SUFFIXES.items():
        if path.endswith(suffix) and len(path) > len(suffix) + 1:
            return path[: -len(suffix)], fmt
    return path, None


def _choose(request: Request, suffix_format: Format | None) -> Format:
    if suffix_format is not None:
        return suffix_format
    return negotiate(request.headers.get("accept"), OFFERS, format_param=request.query_params.get("format"))


async def _html(request: Request, iri: str, *view_names: str) -> Response:
    for name in view_names:
        view = explorer_view(name)
        if view is not None:
            return await call_view(view, request, *(() if name == "ontology_page" else (iri,)))
    raise errors.not_acceptable(
        "text/html (the HTML explorer is not installed)", [f.media_type for f in GRAPH_OFFERS]
    )


async def entity(request: Request) -> Response:
    path, suffix_format = _split_suffix(request.url.path)
    settings = get_settings(request)
    iri = iri_for_path(path, settings.store.base_iri)
    if iri is None:
        raise errors.not_found(f"nothing here: {request.url.path}")
    fmt = _choose(request, suffix_format)
    if fmt is HTML:
        return await _html(request, iri, "entity_page")
    pool = get_pool(request)
    try:
        with pool_errors(settings):
            data = b""
            if path.startswith("/graph/"):
                data = await graph_rdf(pool, iri)
            if not data.strip():
                data = await describe_rdf(pool, iri)
    except ValueError as exc:
        raise errors.not_found(f"{request.url.path} does not name an entity (not a valid IRI)") from exc
    if not data.strip():
        raise errors.not_found(f"the graph says nothing about <{iri}>")
    body = render_ntriples(data, fmt)
    return Response(body, headers={"content-type": fmt.content_type, "vary": "Accept"})


async def ontology(request: Request) -> Response:
    path, suffix_format = _split_suffix(request.url.path)
    if path != "/ontology":
        raise errors.not_found(f"nothing here: {request.url.path}")
    fmt = _choose(request, suffix_format)
    if fmt is HTML:
        return await _html(request, ONTOLOGY_IRI, "ontology_page", "entity_page")
    turtle = resources.ontology_file().read_bytes()
    body = turtle if fmt is TURTLE else render_triples(ox.parse(turtle, format=ox.RdfFormat.TURTLE), fmt)
    return Response(body, headers={"content-type": fmt.content_type, "vary": "Accept"})


_RESPONSES = {
    200: {
        "description": "The entity's RDF (Turtle by default), or its HTML page for browsers",
        "content": {f.media_type: {} for f in OFFERS},
    },
    **errors.openapi_errors(404, 406, 500, 503),
}
# The route's {rest:path} is read from the request, not a function argument, so FastAPI would leave
# it out of the schema; declare it, so that clients (and schemathesis) know the path takes a value.
_REST_PARAMETER = {
    "parameters": [
        {
            "name": "rest",
            "in": "path",
            "required": True,
            "schema": {"type": "string"},
            "description": "The rest of the entity's IRI after the folder (an optional .ttl/.jsonld/.nt/.rdf "
            "suffix chooses the format)",
        }
    ]
}
_DOC = (
    "Linked data: the entity whose IRI is the base IRI plus this path. RDF by Accept, by suffix "
    "(.ttl, .jsonld, .nt, .rdf) or by ?format=; text/html gives the explorer's page."
)

for _folder in ENTITY_FOLDERS:
    router.add_api_route(
        f"/{_folder}/{{rest:path}}",
        entity,
        methods=["GET"],
        summary=f"Linked data: {_folder}",
        description=_DOC,
        response_class=Response,
        responses=_RESPONSES,
        openapi_extra=_REST_PARAMETER,
    )
router.add_api_route(
    "/vocab/{rest:path}",
    entity,
    methods=["GET"],
    summary="Linked data: vocabulary terms",
    description=f"The term whose IRI is {VOCAB_NS} plus the rest of this path. " + _DOC,
    response_class=Response,
    responses=_RESPONSES,
    openapi_extra=_REST_PARAMETER,
)
for _path in ("/ontology", *(f"/ontology{suffix}" for suffix in SUFFIXES)):
    router.add_api_route(
        _path,
        ontology,
        methods=["GET"],
        summary="The ontology",
        description="The OWL ontology as Turtle (or another RDF format by Accept, suffix or ?format=); "
        "an HTML page for browsers.",
        response_class=Response,
        responses=_RESPONSES,
        include_in_schema=_path == "/ontology",
    )
