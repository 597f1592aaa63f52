"""What every route needs, found on the app's state: the settings, the query pool, the HTML explorer."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from kg.server.settings import ServerSettings
from kg.workers import QueryPool


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_pool(request: Request) -> QueryPool:
    return request.app.state.pool  # type: ignore[no-any-return]


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
