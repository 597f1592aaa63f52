"""The SPARQL 1.1 Protocol at /sparql: read the request as the protocol says, then answer it.

Query by GET (``query=``), POST form (``query=`` in an x-www-form-urlencoded body) or POST
direct (the body is the query, ``application/sparql-query``); ``default-graph-uri`` and
``named-graph-uri`` (repeatable) set the dataset, overriding FROM / FROM NAMED. The endpoint
is read-only: every update request is refused with 403. GET without a query answers the
Service Description. Parameters are decoded exactly once (``"50%25 off"`` stays ``50% off``).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.server import errors
from kg.server.deps import call_view, explorer_view
from kg.server.description import service_description
from kg.server.execution import answer_query
from kg.server.negotiation import GRAPH_OFFERS, HTML, SOLUTION_OFFERS, negotiate

router = APIRouter(tags=["sparql"])

FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"

_DATASET_PARAMETERS = [
    {
        "name": name,
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "string", "format": "iri"}},
        "style": "form",
        "explode": True,
        "description": text,
    }
    for name, text in (
        ("default-graph-uri", "A graph of the default graph (repeatable); overrides FROM in the query."),
        ("named-graph-uri", "A named graph the query may reach (repeatable); overrides FROM NAMED."),
    )
]
_EXAMPLE_QUERY = "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10"
_FORMAT_PARAMETER = {
    "name": "format",
    "in": "query",
    "required": False,
    "schema": {"type": "string"},
    "description": "Overrides Accept: json, xml, csv, tsv (SELECT/ASK); turtle, ntriples, jsonld, rdfxml "
    "(CONSTRUCT/DESCRIBE); or a media type.",
}
_SPARQL_JSON_SCHEMA = {
    "type": "object",
    "required": ["head"],
    "properties": {
        "head": {"type": "object"},
        "results": {
            "type": "object",
            "required": ["bindings"],
            "properties": {"bindings": {"type": "array", "items": {"type": "object"}}},
        },
        "boolean": {"type": "boolean"},
    },
}


def _result_schema(media_type: str) -> dict[str, object]:
    """JSON answers are documents (SPARQL JSON results, JSON-LD), every other format is text."""
    if media_type == "application/sparql-results+json":
        return _SPARQL_JSON_SCHEMA
    if media_type.endswith("json"):
        return {"type": ["object", "array"]}
    return {"type": "string"}


_RESULTS = {
    200: {
        "description": "Results: SPARQL JSON (default), XML, CSV or TSV for SELECT/ASK; Turtle (default), "
        "N-Triples, JSON-LD or RDF/XML for CONSTRUCT/DESCRIBE. KG-Results-Truncated: N is set when "
        "the answer was cut at N rows (KG_MAX_RESULTS).",
        "content": {
            f.media_type: {"schema": _result_schema(f.media_type)} for f in (*SOLUTION_OFFERS, *GRAPH_OFFERS)
        },
    },
    **errors.openapi_errors(400, 403, 406, 413, 414, 415, 500, 503),
}


def _single_query(values: list[str]) -> str | None:
    if len(values) > 1:
        raise errors.bad_request(
            f"the request carries {len(values)} queries; the SPARQL protocol allows exactly one",
            code="multiple_queries",
        )
    return values[0] if values else None


def _dataset(pairs: list[tuple[str, str]]) -> tuple[list[str] | None, list[str] | None]:
    """Graph IRIs from the protocol parameters; (None, None) means the union of all graphs."""
    default = [v for k, v in pairs if k == "default-graph-uri"]
    named = [v for k, v in pairs if k == "named-graph-uri"]
    for name, iri in [("default-graph-uri", g) for g in default] + [("named-graph-uri", g) for g in named]:
        try:
            ox.NamedNode(iri)
        except ValueError as exc:
            raise errors.invalid_parameter(f"{name} must be an absolute IRI, got {iri!r}") from exc
    if not default and not named:
        return None, None
    # Both lists go to the pool: a dataset is confined only when both are given (SECURITY.md).
    return default, named


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    """('application/sparql-query', 'utf-16') from 'application/sparql-query; charset=UTF-16'."""
    if not content_type:
        return "", None
    media, *params = content_type.split(";")
    charset = None
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return media.strip().lower(), charset


def _utf8(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise errors.bad_request(
            f"the {what} is not valid UTF-8 (byte {exc.start}); the SPARQL protocol requires UTF-8",
            code="not_utf8",
        ) from exc


@router.get(
    "/sparql",
    summary="SPARQL query by GET, or the Service Description",
    description="With `query`: run it (read-only). Without: the SPARQL Service Description "
    "(Turtle by default).",
    response_class=Response,
    responses=_RESULTS,
    openapi_extra={
        "parameters": [
            {
                "name": "query",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "example": _EXAMPLE_QUERY,
            },
            *_DATASET_PARAMETERS,
            _FORMAT_PARAMETER,
        ]
    },
)
async def sparql_get(request: Request) -> Response:
    pairs = request.query_params.multi_items()
    if any(k == "update" for k, _ in pairs):
        raise errors.read_only("and updates are never sent by GET")
    query = _single_query([v for k, v in pairs if k == "query"])
    fmt = request.query_params.get("format")
    if query is None:
        page = explorer_view("query_page") or explorer_view("query_editor")
        if page is not None and fmt is None:
            offers = (*GRAPH_OFFERS, HTML)
            if negotiate(request.headers.get("accept"), offers) is HTML:
                return await call_view(page, request)
        return service_description(request)
    default, named = _dataset(pairs)
    return await answer_query(request, query, format_param=fmt, default_graphs=default, named_graphs=named)


@router.post(
    "/sparql",
    summary="SPARQL query by POST (form or direct)",
    description="Body: `query=...` as application/x-www-form-urlencoded, or the query itself as "
    "application/sparql-query (UTF-8). Updates (application/sparql-update, `update=`) get 403: "
    "the endpoint is read-only.",
    response_class=Response,
    responses=_RESULTS,
    openapi_extra={
        "parameters": [*_DATASET_PARAMETERS, _FORMAT_PARAMETER],
        "requestBody": {
            "required": True,
            "content": {
                FORM: {
                    "schema": {
                        "type": "object",
                        "required": ["query"],
                        "properties": {
                            "query": {"type": "string", "example": _EXAMPLE_QUERY},
                            "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "format": {"type": "string"},
                        },
                    }
                },
                DIRECT: {"schema": {"type": "string"}},
            },
        },
    },
)
async def sparql_post(request: Request) -> Response:
    media, charset = _media_type(request.headers.get("content-type"))
    if media == UPDATE:
        raise errors.read_only()
    if media not in (FORM, DIRECT):
        raise errors.unsupported_media_type(media or None, [FORM, DIRECT])
    if charset not in (None, "utf-8", "utf8"):
        raise errors.unsupported_media_type(f"{media}; charset={charset}", [FORM, DIRECT])
    url_pairs = request.query_params.multi_items()
    url_queries = [v for k, v in url_pairs if k == "query"]
    body = await request.body()
    if media == DIRECT:
        if url_queries:
            raise errors.bad_request(
                "the query is both in the URL (query=) and in the body; send it once, in the body",
                code="multiple_queries",
            )
        query = _utf8(body, "request body")
        pairs = url_pairs
    else:
        form = parse_qsl(_utf8(body, "form body"), keep_blank_values=True)
        if any(k == "update" for k, _ in form):
            raise errors.read_only()
        pairs = url_pairs + form
        found = _single_query(url_queries + [v for k, v in form if k == "query"])
        if found is None:
            raise errors.bad_request(
                "a form POST needs a query= field holding the query", code="missing_query"
            )
        query = found
    fmt = next((v for k, v in reversed(pairs) if k == "format"), None)
    default, named = _dataset(pairs)
    return await answer_query(request, query, format_param=fmt, default_graphs=default, named_graphs=named)
