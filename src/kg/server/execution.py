"""One path from query text to HTTP answer, shared by /sparql and the canned queries.

guard (refuse before evaluation) -> negotiate (406 before evaluation where the query form is
known) -> query pool (a killable worker process) -> convert to the chosen format. Engine
failures become the error helpers' statuses: a parse error 400 with its position, a time-out
503 naming KG_QUERY_TIMEOUT, a crashed worker 500.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
from fastapi import Request
from fastapi.responses import Response

from kg.errors import QueryError, StoreError
from kg.server import errors
from kg.server.answer_cache import AnswerCache, cache_key
from kg.server.deps import get_pool, get_settings
from kg.server.negotiation import JSON, NTRIPLES, Format, negotiate, offers_for
from kg.server.results import render_result
from kg.server.settings import ServerSettings
from kg.sparql_guard import QueryForm, QueryRefused, check_query, query_form
from kg.workers import PoolBusy, QueryCrashed, QueryResult, QueryTimeout

log = logging.getLogger("kg.server")

TRUNCATED_HEADER = "KG-Results-Truncated"
"""Set when an answer was cut at KG_MAX_RESULTS rows or triples; its value is that cap."""

_REFUSALS: dict[str, tuple[int, str, str | None]] = {
    "too_long": (413, "query_too_long", "KG_MAX_REQUEST_BYTES"),
    "too_deep": (400, "query_too_deep", "KG_MAX_QUERY_DEPTH"),
    "path_too_long": (400, "path_too_long", "KG_MAX_PATH_STEPS"),
    "service": (403, "service_refused", "KG_SERVICE_ALLOWLIST"),
}


def guard(sparql: str, settings: ServerSettings) -> None:
    """Refuse what must never reach the engine: updates, LOAD, SERVICE, nesting and paths over the limits."""
    try:
        check_query(
            sparql,
            max_length=settings.max_request_bytes,
            max_depth=settings.max_query_depth,
            max_path_steps=settings.max_path_steps,
            service_allowlist=settings.service_allowlist,
        )
    except QueryRefused as exc:
        if exc.reason in ("update", "load"):
            raise errors.read_only(str(exc)) from exc
        status, code, setting = _REFUSALS.get(exc.reason, (400, "query_refused", None))
        raise errors.query_refused(str(exc), code=code, setting=setting, status=status) from exc


# Relative IRIs in a query resolve against the data's base IRI (the protocol lets the service
# choose the base), so <communication/al-oth-70-2020> names a real communication.
_POSITION = re.compile(r"\b(\d+):(\d+)\b")


async def execute(
    request: Request,
    sparql: str,
    *,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> QueryResult:
    """Guard, then answer from the answer cache or the pool; None for both graph lists means the union."""
    settings = get_settings(request)
    guard(sparql, settings)
    prologue = f"BASE <{settings.store.base_iri}> "
    pool = get_pool(request)
    # The publication is read before the pool is: the pool that answers is then this one or a
    # newer one, and an answer from a newer one is refused by the cache (it has moved on).
    snapshots = request.app.state.snapshots
    cache: AnswerCache | None = getattr(snapshots, "answer_cache", None)
    publication = getattr(snapshots, "publication", None)  # None: a source that may change
    published = publication.id if publication is not None and cache is not None and cache.enabled else None
    key = cache_key(pool.audience, sparql, default_graphs, named_graphs, settings.max_results)
    # "Cache-Control: no-cache" asks for a fresh evaluation (HTTP's meaning); the answer is still kept.
    fresh = "no-cache" in request.headers.get("cache-control", "").lower()
    if published is not None and cache is not None and not fresh:
        cached = cache.get(published, key)
        if cached is not None:
            request.state.answer_cached = True
            return cached
    with pool_errors(settings, shift=len(prologue)):
        result = await pool.run(prologue + sparql, default_graphs=default_graphs, named_graphs=named_graphs)
    if published is not None and cache is not None:
        cache.put(published, key, result)
    return result


@contextmanager
def pool_errors(settings: ServerSettings, *, shift: int = 0) -> Iterator[None]:
    """The query pool's failures as HTTP errors (for every route that runs queries)."""
    try:
        yield
    except PoolBusy as exc:
        raise errors.pool_busy(settings.workers, settings.query_timeout_s) from exc
    except QueryTimeout as exc:
        raise errors.query_timeout(settings.query_timeout_s) from exc
    except QueryCrashed as exc:
        log.warning("%s", exc)  # why (a signal, the memory cap) is for the operator's log
        raise errors.query_crashed() from exc
    except StoreError as exc:
        raise errors.store_unavailable() from exc
    except QueryError as exc:
        message = str(exc).removeprefix("the SPARQL query does not parse: ")
        raise errors.query_syntax(_unshift(message, shift)) from exc


def _unshift(message: str, columns: int) -> str:
    """Positions as the client wrote the query: the BASE prologue kg added sits on line 1."""

    def fix(match: re.Match[str]) -> str:
        line, column = int(match.group(1)), int(match.group(2))
        return f"{line}:{max(column - columns, 1) if line == 1 else column}"

    return _POSITION.sub(fix, message, count=1)


async def respond(request: Request, result: QueryResult, fmt: Format) -> Response:
    """The answer in ``fmt``; conversion runs off the event loop so a big answer stalls no one."""
    if _passes_through(result, fmt):  # the canonical bytes as they are: no thread needed
        body = result.data
    else:
        body = await anyio.to_thread.run_sync(render_result, result, fmt)
    headers = {
        "content-type": fmt.content_type,
        "vary": "Accept",
        "server-timing": f"query;dur={result.seconds * 1000:.1f}",
    }
    if getattr(request.state, "answer_cached", False):  # the query's time when it ran, kept with it
        headers["server-timing"] += ', cache;desc="hit"'
    if result.truncated:
        headers[TRUNCATED_HEADER] = str(get_settings(request).max_results)
    return Response(body, headers=headers)


def _passes_through(result: QueryResult, fmt: Format) -> bool:
    if result.kind == "graph":
        return fmt.key == NTRIPLES.key
    return fmt.key == JSON.key


async def answer_query(
    request: Request,
    sparql: str,
    *,
    format_param: str | None = None,
    default_graphs: list[str] | None = None,
    named_graphs: list[str] | None = None,
) -> Response:
    """Negotiate, run and answer one query."""
    accept = request.headers.get("accept")
    form = query_form(sparql)
    fmt = negotiate(accept, offers_for(form), format_param=format_param) if form else None
    result = await execute(request, sparql, default_graphs=default_graphs, named_graphs=named_graphs)
    actual: QueryForm = "graph" if result.kind == "graph" else "solutions"
    if fmt is None or actual != form:
        fmt = negotiate(accept, offers_for(actual), format_param=format_param)
    return await respond(request, result, fmt)
