"""Starting the server: bring the working store up to date, publish it, then serve the snapshots.

Oxigraph's store is exclusive to one read-write opener, and opening it read-only while a
writer holds it is undefined behaviour (SECURITY.md). So the server never reads the working
store: it refreshes the ontology and vocabulary graphs, publishes (kg.publish), releases the
store, and its query workers open the published snapshots read-only. Writers can then run
beside a serving kg, which follows what they publish.

With an external SPARQL store (kg connect, KG_STORE_QUERY_URL) there is nothing to publish:
the store serves many readers and writers itself, so start-up only refreshes the ontology
and vocabulary graphs in it, and queries go to it over HTTP (kg.server.remote_source).
"""

from __future__ import annotations

import gc
from collections.abc import Callable

from kg.config import Settings
from kg.server.settings import ServerSettings

_H11_DEFAULT_EVENT_SIZE = 16 * 1024


def prepare_store(settings: Settings) -> list[str]:
    """Refresh the ontology and vocabulary graphs and publish; returns the names loaded. Closes the store.

    When another kg process is writing to the working store, the server starts on what was
    last published (that writer publishes again when it ends).
    """
    from kg.errors import StoreError
    from kg.ingest import ensure_static_graphs
    from kg.publish import publish_snapshots, read_current
    from kg.store import open_working_store

    try:
        store = open_working_store(settings)
    except StoreError:
        if read_current(settings) is not None:
            return []
        raise
    try:
        loaded = ensure_static_graphs(store)
        publish_snapshots(settings, store=store)
    finally:
        del store
        gc.collect()  # the RocksDB lock goes with the last reference
    return loaded


def prepare_remote_store(settings: Settings) -> list[str]:
    """Refresh the ontology and vocabulary graphs in the external store; returns the names loaded."""
    from kg.ingest import ensure_static_graphs
    from kg.remote_store import RemoteStore

    assert settings.remote is not None
    with RemoteStore(settings.remote) as store:
        return ensure_static_graphs(store)  # type: ignore[arg-type]  # the writers' interface


def url_of(settings: ServerSettings) -> str:
    host = settings.host
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"http://{host}:{settings.port}/"


def serve(settings: ServerSettings, *, announce: Callable[[str], None], access_log: bool = True) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM end it cleanly, stopping the query workers)."""
    import uvicorn

    from kg.server.app import create_app

    app = create_app(settings)  # its start-up publishes the working store (or refreshes the external one)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_level="info",
        access_log=access_log,
        server_header=False,
        # Let a long request line reach kg's own limit (414 in kg's error shape) instead of
        # uvicorn's bare 400 at 16 KiB.
        h11_max_incomplete_event_size=max(_H11_DEFAULT_EVENT_SIZE, settings.max_request_bytes + 8192),
    )
    url = url_of(settings)
    remote = settings.store.remote
    if remote is None:
        serves = f"kg serves {settings.store.data_dir} at {url}"
        engine = f"{settings.workers} query worker(s)"
    else:
        serves = (
            f"kg serves the SPARQL store at {remote.query_url} (data folder {settings.store.data_dir}) "
            f"at {url}"
        )
        engine = f"at most {settings.workers} queries at a time to the store"
    announce(
        f"{serves}\n"
        f"  SPARQL endpoint: {url}sparql   canned queries: {url}queries   VoID: {url}.well-known/void\n"
        f"  query timeout {settings.query_timeout_s:g} s, at most {settings.max_results} results, "
        f"{engine}. Stop with Ctrl-C."
    )
    uvicorn.Server(config).run()
