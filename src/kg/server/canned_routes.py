"""Canned queries over HTTP: the list at /queries, and /queries/{name}?param=value to run one.

Parameter values are bound by ``CannedQuery.render`` (typed RDF terms in a VALUES block,
never pasted into the query text) and the query then takes the same path as any query sent
to /sparql: guard, pool, every result format by the same negotiation and ``format=``.
"""

from __future__ import annotations

import html
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.canned import CannedQuery, load_canned_queries
from kg.errors import QueryError
from kg.server import errors
from kg.server.deps import call_view, explorer_view
from kg.server.execution import answer_query
from kg.server.negotiation import GRAPH_OFFERS, HTML, PLAIN_JSON, SOLUTION_OFFERS, negotiate

router = APIRouter(tags=["canned queries"])

RESERVED = ("format",)
"""Query-string names that are not canned-query parameters."""


def canned_queries(request: Request) -> dict[str, CannedQuery]:
    """Read once per process: the files ship with kg and do not change while it serves."""
    state = request.app.state
    if getattr(state, "canned_queries", None) is None:
        state.canned_queries = load_canned_queries()
    return state.canned_queries  # type: ignore[no-any-return]


def describe(query: CannedQuery, request: Request) -> dict[str, Any]:
    return {
        **query.header(),
        "url": str(request.url_for("run_canned_query", name=query.name)),
        "sparql": query.sparql,
    }


def _html_list(items: list[dict[str, Any]]) -> str:
    """A plain page for browsers when the explorer is not installed; every value escaped."""
    rows = []
    for item in items:
        params = ", ".join(f"{html.escape(p['name'])} ({html.escape(p['type'])})" for p in item["parameters"])
        rows.append(
            f'<li><a href="{html.escape(item["url"], quote=True)}">{html.escape(item["title"])}</a>'
            f" <code>{html.escape(item['name'])}</code><br>{html.escape(item['description'])}"
            + (f"<br>Parameters: {params}" if params else "")
            + "</li>"
        )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>kg: canned queries</title>'
        "</head><body><h1>Canned queries</h1><ul>" + "".join(rows) + "</ul></body></html>\n"
    )


@router.get(
    "/queries",
    summary="The canned queries",
    description="JSON: name, title, description, parameters (type, default, description), url and "
    "the SPARQL text of each. HTML for browsers.",
    response_class=Response,
    responses={
        200: {
            "description": "The list",
            "content": {"application/json": {"schema": {"type": "array"}}, "text/html": {}},
        },
        **errors.openapi_errors(406),
    },
)
async def list_queries(request: Request) -> Response:
    fmt = negotiate(
        request.headers.get("accept"), (PLAIN_JSON, HTML), format_param=request.query_params.get("format")
    )
    if fmt is HTML:
        page = explorer_view("queries_page")
        if page is not None:
            return await call_view(page, request)
        items = [describe(q, request) for q in canned_queries(request).values()]
        return Response(_html_list(items), headers={"content-type": HTML.content_type, "vary": "Accept"})
    items = [describe(q, request) for q in canned_queries(request).values()]
    body = json.dumps(items, ensure_ascii=False, indent=1).encode("utf-8")
    return Response(body, headers={"content-type": PLAIN_JSON.content_type, "vary": "Accept"})


@router.get(
    "/queries/{name}",
    name="run_canned_query",
    summary="Run a canned query",
    description="Query-string parameters bind the query's declared parameters (typed, never pasted "
    "into the text); `format` overrides Accept. Answers in every result format.",
    response_class=Response,
    responses={
        200: {
            "description": "Results, as for /sparql",
            "content": {f.media_type: {} for f in (*SOLUTION_OFFERS, *GRAPH_OFFERS)},
        },
        **errors.openapi_errors(400, 404, 406, 500, 503),
    },
)
async def run_canned_query(name: str, request: Request) -> Response:
    queries = canned_queries(request)
    query = queries.get(name)
    if query is None:
        raise errors.not_found(f"no canned query named {name!r}; the list is at /queries")
    values: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if key in RESERVED:
            continue
        if key in values:
            raise errors.invalid_parameter(f"parameter {key!r} is given more than once; give it once")
        values[key] = value
    try:
        sparql = query.render(values)
    except QueryError as exc:
        raise errors.invalid_parameter(str(exc)) from exc
    return await answer_query(request, sparql, format_param=request.query_params.get("format"))
