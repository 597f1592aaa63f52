"""What every route needs, found on the app's state: the settings and the query pool."""

from __future__ import annotations

from fastapi import Request

from kg.server.settings import ServerSettings
from kg.workers import QueryPool


def get_settings(request: Request) -> ServerSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def get_pool(request: Request) -> QueryPool:
    return request.app.state.pool  # type: ignore[no-any-return]
