"""The FastAPI application: SPARQL endpoint, canned queries, linked data and the web explorer.

SKELETON: routers are added by kg.server.sparql (protocol, service description, VoID,
canned queries) and kg.server.pages (HTML explorer, linked-data pages).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from kg import __version__
from kg.server.settings import ServerSettings
from kg.workers import QueryPool


def create_app(settings: ServerSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.pool = QueryPool(
            settings.store.data_dir,
            workers=settings.workers,
            timeout_s=settings.query_timeout_s,
            max_results=settings.max_results,
        )
        try:
            yield
        finally:
            app.state.pool.close()

    app = FastAPI(title="kg", version=__version__, lifespan=lifespan)
    app.state.settings = settings
    return app
