"""The FastAPI application: SPARQL endpoint, canned queries, linked data and the web explorer.

``create_app(settings)`` only wires: the routes live in kg.server.protocol (SPARQL protocol),
kg.server.description (service description, VoID), kg.server.canned_routes,
kg.server.linked_data and, when installed, kg.server.pages (the HTML explorer). Queries run
in kg.workers' pools of killable processes, opened read-only on the published snapshots
(kg.server.snapshots: the public one, or the full one for requests with an access token);
with an external SPARQL store configured, they go to that store over HTTP instead
(kg.server.remote_source), behind the same guard.

Middleware, outermost first: security headers (and a bare 500 for anything unexpected),
CORS (anonymous, no credentials), request limits (413/414 before a body is buffered).
"""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from kg import __version__
from kg.server import canned_routes, description, errors, linked_data, protocol
from kg.server.execution import TRUNCATED_HEADER
from kg.server.middleware import RequestLimits, SecurityHeaders
from kg.server.ratelimit import RateLimit
from kg.server.remote_source import RemoteSource
from kg.server.run import prepare_remote_store, prepare_store
from kg.server.settings import ServerSettings
from kg.server.snapshots import FollowSnapshots, Snapshots

DESCRIPTION = """A read-only SPARQL 1.1 endpoint over the knowledge graph of UN Special Procedures
communications, with canned queries and linked data for every entity.

Errors share one JSON shape: `{"error": {"status", "code", "message", "setting"}}`; `setting`
names the KG_* variable to change when a limit was hit. An answer cut at KG_MAX_RESULTS rows
carries the header `KG-Results-Truncated: <N>`."""


def create_app(settings: ServerSettings) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if isinstance(snapshots, RemoteSource):  # the store is shared and current: refresh its vocabularies
            await anyio.to_thread.run_sync(prepare_remote_store, settings.store)
        elif settings.store.store_dir.exists():  # publish what the working store holds now
            await anyio.to_thread.run_sync(prepare_store, settings.store)
        try:
            await snapshots.refresh()
            yield
        finally:
            if isinstance(snapshots, RemoteSource):
                await snapshots.aclose()
            else:
                snapshots.close()

    app = FastAPI(
        title="kg",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # Swagger UI loads scripts from a CDN; kg serves everything itself
        redoc_url=None,
    )
    app.state.settings = settings
    snapshots: Snapshots | RemoteSource = (
        Snapshots(settings) if settings.store.remote is None else RemoteSource(settings)
    )
    app.state.snapshots = snapshots
    errors.install(app)
    for module in (protocol, description, canned_routes, linked_data):
        app.include_router(module.router)
    app.include_router(importlib.import_module("kg.server.paths_routes").router)
    _install_explorer(app)

    app.add_middleware(RequestLimits, max_bytes=settings.max_request_bytes)
    if settings.rate_limit > 0:
        app.add_middleware(RateLimit, per_minute=settings.rate_limit)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Accept", "Content-Type", "X-Requested-With", "Cache-Control"],
            allow_credentials=False,
            expose_headers=[TRUNCATED_HEADER, "Server-Timing"],
            max_age=600,
        )
    app.add_middleware(FollowSnapshots, snapshots=snapshots)  # type: ignore[arg-type]  # same interface
    app.add_middleware(SecurityHeaders)
    return app


def _install_explorer(app: FastAPI) -> None:
    """Add the HTML explorer's routes when kg.server.pages is there (``install(app)`` or ``router``)."""
    try:
        pages = importlib.import_module("kg.server.pages")
    except ModuleNotFoundError as exc:
        if exc.name != "kg.server.pages":
            raise
        return
    install = getattr(pages, "install", None)
    if callable(install):
        install(app)
    elif getattr(pages, "router", None) is not None:
        app.include_router(pages.router)
