"""The web explorer's routes: home and search, communications, the query page, and the HTML views
the linked-data and canned-query routes hand text/html to (``entity_page``, ``queries_page``,
``ontology_page``).

Routes only translate: read the request, ask kg.server.explorer for a view model, render a
template. Every query goes through the app's pool; failures take the app's one error shape
(kg.server.errors), and a user's own SPARQL passes the same guard as /sparql.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from kg.config import ONTOLOGY_IRI
from kg.errors import NotFound, QueryError
from kg.server import errors, execution, linked_data
from kg.server.deps import get_pool, get_settings
from kg.server.explorer import home, listing, ontology, paths_page, querypage
from kg.server.explorer.company import build_summary
from kg.server.explorer.entity import build_entity
from kg.server.explorer.queries import InvalidParameter
from kg.server.explorer.templating import STATIC_DIR, templates
from kg.server.negotiation import HTML, negotiate
from kg.server.results import render_ntriples

router = APIRouter()
router.include_router(paths_page.router)  # /explore-paths

_STATIC_NAME = re.compile(r"^[a-z0-9][a-z0-9-]*\.(css|js|svg)$")
_STATIC_TYPES = {"css": "text/css", "js": "text/javascript", "svg": "image/svg+xml"}


def _base_iri(request: Request) -> str:
    return get_settings(request).store.base_iri


@contextmanager
def _answering(request: Request) -> Iterator[None]:
    """The pool's failures as the app's errors (503 on a time-out...), a caller's bad value as 400."""
    with execution.pool_errors(get_settings(request)):
        try:
            yield
        except InvalidParameter as exc:
            raise errors.invalid_parameter(str(exc)) from exc


def _offset(request: Request) -> int:
    raw = request.query_params.get("offset", "0")
    if not raw.isdigit():
        raise errors.invalid_parameter(f"offset must be a whole number of rows from 0, got {raw!r}")
    return int(raw)


def _with_offset(request: Request, offset: int | None) -> str | None:
    """This page's URL at another offset (pagination of incoming links); None stays None."""
    if offset is None:
        return None
    kept = [(k, v) for k, v in request.query_params.multi_items() if k != "offset"]
    if offset:
        kept.append(("offset", str(offset)))
    return request.url.path + ("?" + urlencode(kept) if kept else "")


@router.get("/", include_in_schema=False)
async def home_page(request: Request) -> Response:
    with _answering(request):
        counts = await home.counts(get_pool(request))
    return templates.TemplateResponse(request, "home.html", {"nav": "home", "counts": counts, "q": ""})


@router.get("/search", include_in_schema=False)
async def search_page(request: Request, q: str = "") -> Response:
    with _answering(request):
        hits = await home.search(get_pool(request), q, _base_iri(request))
    return templates.TemplateResponse(request, "search.html", {"nav": "home", "q": q, "hits": hits})


@router.get(
    "/api/search",
    summary="Entities whose names contain the text, best matches first (at most 20)",
    responses=errors.openapi_errors(500, 503),
)
async def search_api(request: Request, q: str = "") -> JSONResponse:
    with _answering(request):
        hits = await home.search(get_pool(request), q, _base_iri(request))
    return JSONResponse([hit.as_json() for hit in hits])


@router.get("/communications", include_in_schema=False)
async def communications_page(request: Request) -> Response:
    filters = {name: request.query_params.get(name, "") for name in listing.FILTERS}
    with _answering(request):
        view = await listing.build_listing(
            get_pool(request), filters, _base_iri(request), offset=_offset(request)
        )
    return templates.TemplateResponse(request, "communications.html", {"nav": "communications", "view": view})


@router.get("/query", include_in_schema=False)
async def query_editor(request: Request) -> Response:
    try:
        text, selected, values, outcome = querypage.opening(dict(request.query_params))
    except NotFound as exc:
        raise errors.not_found(str(exc)) from exc
    if request.query_params.get("run") and outcome is None:
        try:
            result = await execution.execute(request, text)  # the /sparql guard, BASE and limits
        except errors.ApiError as exc:
            outcome = querypage.QueryOutcome(None, exc.message, exc.status)
        else:
            outcome = querypage.QueryOutcome(querypage.table_of(result, _base_iri(request)))
    view = querypage.page(
        text, endpoint=str(request.base_url) + "sparql", selected=selected, values=values, outcome=outcome
    )
    context = {"nav": "query", "page": view, "client": querypage.client_settings(_base_iri(request))}
    status = outcome.status if outcome else 200
    return templates.TemplateResponse(request, "query.html", context, status_code=status)


@router.get(
    "/api/canned/{name}",
    summary="A canned query's text with the given parameter values bound",
    responses=errors.openapi_errors(400, 404),
)
async def canned_text(request: Request, name: str) -> JSONResponse:
    query = querypage.canned_queries().get(name)
    if query is None:
        raise errors.not_found(f"no canned query named {name!r}; the list is at /queries")
    given = request.query_params
    values = {p.name: given[p.name] for p in query.parameters if p.name in given}
    try:
        return JSONResponse(querypage.canned_json(query, values))
    except QueryError as exc:
        raise errors.invalid_parameter(str(exc)) from exc


@router.get("/static/{name}", include_in_schema=False)
async def static_file(name: str) -> Response:
    """The explorer's CSS and JS, from kg itself: the pages work offline and under script-src 'self'."""
    path = STATIC_DIR / name
    if not _STATIC_NAME.match(name) or not path.is_file():
        raise errors.not_found(f"no static file {name!r}")
    media_type = _STATIC_TYPES[name.rsplit(".", 1)[1]]
    return FileResponse(path, media_type=media_type, headers={"Cache-Control": "public, max-age=300"})


@router.get(
    "/resource",
    summary="Any IRI in the graph: its page for browsers, its RDF for programs",
    responses=errors.openapi_errors(400, 404, 406, 500, 503),
)
async def resource(request: Request, iri: str = "") -> Response:
    """IRIs with no path of their own under this server (ontology terms, other vocabularies)."""
    if not iri:
        raise errors.invalid_parameter("give the IRI to show: /resource?iri=<IRI>")
    fmt = negotiate(
        request.headers.get("accept"), linked_data.OFFERS, format_param=request.query_params.get("format")
    )
    if fmt is HTML:
        return await entity_page(request, iri)
    with _answering(request):
        try:
            data = await linked_data.describe_rdf(get_pool(request), iri)
        except ValueError as exc:
            raise errors.invalid_parameter(f"not an IRI: {iri!r}") from exc
    if not data.strip():
        raise errors.not_found(f"the graph holds nothing about <{iri}>")
    return Response(render_ntriples(data, fmt), headers={"content-type": fmt.content_type, "vary": "Accept"})


async def entity_page(request: Request, iri: str) -> Response:
    """The HTML view of any IRI in the graph; 404 when the graph holds nothing about it."""
    if iri == ONTOLOGY_IRI:
        return await ontology_page(request)
    pool, base = get_pool(request), _base_iri(request)
    with _answering(request):
        view = await build_entity(pool, iri, base, offset=_offset(request))
        if not view.exists:
            raise errors.not_found(f"the graph holds nothing about <{iri}>")
        summary = await build_summary(pool, iri, view.label, base) if view.is_actor else None
    connections = await paths_page.company_connections(request, iri, [t.iri for t in view.types])
    context = {
        "nav": "",
        "view": view,
        "summary": summary,
        "connections": connections,
        "base_iri": base,
        "next_url": _with_offset(request, view.incoming.next_offset),
        "previous_url": _with_offset(request, view.incoming.previous_offset),
    }
    return templates.TemplateResponse(request, "entity.html", context)


async def queries_page(request: Request) -> Response:
    """The HTML list of canned queries, each with a form that runs it on the query page."""
    queries = list(querypage.canned_queries().values())
    return templates.TemplateResponse(request, "queries.html", {"nav": "queries", "queries": queries})


async def ontology_page(request: Request) -> Response:
    """The ontology IRI as a page: an anchor per term (id = its local name)."""
    with _answering(request):
        view = await ontology.build_ontology(get_pool(request))
    return templates.TemplateResponse(request, "ontology.html", {"nav": "ontology", "view": view})
