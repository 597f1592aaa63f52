"""GET /paths: how an entity connects to others, as nodes, edges, evidence and a sentence (JSON).

The search is kg.paths' one algorithm, driven here by ``await pool.run``: each frontier
expansion is one small query in a killable worker, and the whole search shares the
server's query time limit (KG_QUERY_TIMEOUT). A query stopped by that limit ends the
search with ``complete: false`` rather than an error, so a hub still gets its first paths.
"""

from __future__ import annotations

import json
import time
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from kg.errors import NotFound
from kg.paths import (
    DEFAULT_MAX_DEGREE,
    PathError,
    PathResult,
    Row,
    expand_type,
    find_paths_async,
    is_iri,
    resolve_async,
    rows_from_json,
)
from kg.server import errors
from kg.server.deps import get_pool, get_settings
from kg.server.execution import pool_errors
from kg.workers import QueryTimeout

router = APIRouter(tags=["paths"])


@router.get(
    "/paths",
    summary="Paths from an entity to others",
    description="From `source` (an IRI or a name) to `to` (an IRI or a name) and/or any entity of type "
    "`to_type` (e.g. `Allegation`, `kg:Norm`, a class IRI), within `max_hops`: the shortest paths, or "
    "every simple path with `mode=all`. Each path has nodes, edges with the evidence of each hop, and a "
    "sentence. `relation` (repeatable) limits the properties followed; `inferred=false` follows only facts "
    "letters state. `next_offset` pages through the rest; `complete` is false when a bound stopped "
    "the search. Hubs (vocabulary concepts such as an issue or a mandate, and any node with more than "
    "`max_degree` neighbour facts, such as a State named by thousands of letters) end paths but are not "
    "crossed; they are listed in `hubs`. `max_degree=0` crosses everything (slow on a large graph).",
    response_class=Response,
    responses={
        200: {"description": "The paths", "content": {"application/json": {}}},
        **errors.openapi_errors(400, 404, 500, 503),
    },
)
async def paths(
    request: Request,
    source: Annotated[str, Query(min_length=1, max_length=2000)],
    to: Annotated[str | None, Query(max_length=2000)] = None,
    to_type: Annotated[str | None, Query(max_length=2000)] = None,
    max_hops: Annotated[int, Query(ge=1, le=6)] = 4,
    mode: Annotated[str, Query(pattern="^(shortest|all)$")] = "shortest",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    relation: Annotated[list[str] | None, Query()] = None,
    inferred: bool = True,
    max_degree: Annotated[int, Query(ge=0, le=1_000_000)] = DEFAULT_MAX_DEGREE,
) -> Response:
    if not to and not to_type:
        raise errors.invalid_parameter(
            "give a target: to= (an IRI or a name) and/or to_type= (e.g. Allegation)"
        )
    source_iri, result, complete = await search(
        request,
        source,
        to=to,
        to_type=to_type,
        max_hops=max_hops,
        mode=mode,
        limit=limit,
        offset=offset,
        relations=relation or None,
        inferred=inferred,
        max_degree=max_degree,
    )
    body = {
        "source": source_iri,
        "paths": [p.to_json() for p in result.paths],
        "complete": complete,
        "explored": result.explored,
        "total": result.total,
        "next_offset": result.next_offset(offset, limit),
        "hubs": result.hubs,
    }
    return Response(
        json.dumps(body, ensure_ascii=False).encode("utf-8"),
        headers={"content-type": "application/json; charset=utf-8"},
    )


class PoolRunner:
    """kg.paths' AsyncRunner over the app's pool: every query shares one deadline (KG_QUERY_TIMEOUT),
    and returns None once it is spent, which ends the search as incomplete."""

    def __init__(self, request: Request) -> None:
        self.settings = get_settings(request)
        self.pool = get_pool(request)
        self.deadline = time.monotonic() + self.settings.query_timeout_s
        self.truncated = False

    async def __call__(self, sparql: str) -> list[Row] | None:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            return None
        try:
            with pool_errors(self.settings):
                result = await self.pool.run(sparql, timeout_s=remaining)
        except errors.ApiError as exc:
            if isinstance(exc.__cause__, QueryTimeout):
                return None
            raise
        self.truncated = self.truncated or result.truncated
        return rows_from_json(result.data)


async def search(
    request: Request,
    source: str,
    *,
    to: str | None = None,
    to_type: str | None = None,
    max_hops: int = 4,
    mode: str = "shortest",
    limit: int = 50,
    offset: int = 0,
    relations: list[str] | None = None,
    inferred: bool = True,
    max_degree: int = DEFAULT_MAX_DEGREE,
) -> tuple[str, PathResult, bool]:
    """(source IRI, paths, complete) through the app's pool; failures as the app's errors (ApiError)."""
    run = PoolRunner(request)
    try:
        source_iri = await _entity(run, source, "source")
        targets = {await _entity(run, to, "to")} if to else None
        result = await find_paths_async(
            run,
            source_iri,
            targets=targets,
            target_types={expand_type(to_type)} if to_type else None,
            max_hops=max_hops,
            relations=relations,
            mode=mode,
            limit=limit,
            offset=offset,
            time_budget_s=run.settings.query_timeout_s,
            include_inferred=inferred,
            max_degree=max_degree,
        )
    except NotFound as exc:
        raise errors.not_found(str(exc)) from exc
    except PathError as exc:
        raise errors.invalid_parameter(str(exc)) from exc
    return source_iri, result, result.complete and not run.truncated


async def _entity(run: object, text: str, name: str) -> str:
    """An IRI as given, or the one entity a name matches (400 listing candidates when several)."""
    if is_iri(text):
        return text
    found = await resolve_async(run, text)  # type: ignore[arg-type]
    if not found:
        raise NotFound(f"{name}: no entity is named {text!r}")
    if len(found) > 1:
        listed = "; ".join(f"{label} <{iri}>" for iri, label in found[:10])
        raise PathError(f"{name}: {text!r} names {len(found)} entities; give one IRI: {listed}")
    return found[0][0]
