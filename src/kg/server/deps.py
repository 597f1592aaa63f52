"""What every route needs, found on the app's state: the settings, the query pool, the HTML explorer."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from kg.server import errors
from kg.server.settings import ServerSettings
from kg.server.snapshots import Audience, Snapshots, audience_of
from kg.workers import QueryResult


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


class RequestPool:
    """The query pool this request may use: the public snapshot's, or the full one's for a token holder.

    Every route runs its queries through this (SPARQL, canned queries, pages, search, paths,
    VoID), so what a request can see is decided here, once, and nowhere else.
    """

    def __init__(self, snapshots: Snapshots, audience: Audience) -> None:
        self.snapshots = snapshots
        self.audience = audience

    async def run(self, sparql: str, **options: Any) -> QueryResult:
        pool = await self.snapshots.pool_for(self.audience)
        return await pool.run(sparql, **options)


def get_audience(request: Request) -> Audience:
    audience = audience_of(request.headers.get("authorization"), get_settings(request).access_tokens)
    if audience is None:
        raise errors.unauthorized()
    return audience


def get_pool(request: Request) -> RequestPool:
    return RequestPool(request.app.state.snapshots, get_audience(request))


def explorer_view(name: str) -> Callable[..., Any] | None:
    """A view of the HTML explorer (kg.server.pages), or None where it is not installed.

    The JSON/RDF routes answer the same URLs as the explorer's pages; they hand text/html
    over to it, so the two sides share URLs without importing each other at load time.
    """
    try:
        pages = importlib.import_module("kg.server.pages")
    except ModuleNotFoundError as exc:
        if exc.name != "kg.server.pages":
            raise
        return None
    view = getattr(pages, name, None)
    return view if callable(view) else None


async def call_view(view: Callable[..., Any], *args: Any) -> Response:
    """Views may be plain or async functions."""
    result = view(*args)
    if inspect.isawaitable(result):
        result = await result
    return result  # type: ignore[no-any-return]
