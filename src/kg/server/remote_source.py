"""Queries for `kg serve` answered by an external SPARQL 1.1 store (Virtuoso, Fuseki, an Oxigraph server).

With an external store there are no snapshots and no worker processes: the store runs each
query in its own process, so a runaway or crashing query cannot take kg down, and kg only has
to stop waiting at its deadline. Both audiences share one pool: kg never writes an embargoed
letter to an external store (kg.remote_store refuses it, since the store's own endpoint would
show it to anyone), so an access token has nothing more to see there.

Answers are parsed and re-serialised with kg.workers' serialisers, so every route gets the
same canonical bytes (SPARQL JSON, N-Triples) as from the embedded store, cut at
KG_MAX_RESULTS the same way. kg.sparql_guard still runs first (kg.server.execution): the
store's endpoint may accept updates or SERVICE, kg's must not pass them on.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox

from kg import __version__
from kg.errors import QueryError, StoreError
from kg.remote_store import relabel_blank_nodes
from kg.server.settings import ServerSettings
from kg.sparql_guard import query_form
from kg.workers import (
    PoolBusy,
    QueryResult,
    QueryTimeout,
    ResultKind,
    _boolean_json,
    _ntriples,
    _solutions_json,
)

if TYPE_CHECKING:
    from kg.config import RemoteConfig
    from kg.server.snapshots import Audience

__all__ = ["RemotePool", "RemoteSource"]

log = logging.getLogger("kg.server")

_SOLUTIONS = "application/sparql-results+json"
_GRAPH = "application/n-triples, text/turtle;q=0.5"
_EITHER = f"{_SOLUTIONS}, application/n-triples;q=0.9, text/turtle;q=0.5"

FIRST_PROBE_BYTES = 1 << 20
"""An answer this long is first checked for more than KG_MAX_RESULTS rows, then at each doubling."""
MAX_ANSWER_BYTES = 64 << 20
"""kg stops reading an answer here (the store goes on sending whatever kg will cut anyway)."""
_MESSAGE_BYTES = 4096
# How stores word their own time limit: Virtuoso "S1T00 ... SR171: Transaction timed out",
# Fuseki "Query cancelled" / "timeout", Oxigraph "timeout".
_STORE_TIMEOUT = re.compile(r"time[ -]?out|timed out|S1T00|SR171|cancell?ed", re.IGNORECASE)


class _Answer:
    """The head and (possibly cut) body of the store's reply."""

    def __init__(self, media_type: str, body: bytes, cut: bool) -> None:
        self.media_type = media_type
        self.body = body
        self.cut = cut


class RemotePool:
    """The query pool's interface (``run``) over HTTP to the store's query endpoint.

    At most ``concurrency`` queries (KG_QUERY_WORKERS) are in flight to the store at once, over
    one keep-alive client; a query that gets no slot before its deadline is not sent (PoolBusy),
    as with the embedded store's workers. The deadline is kg's own (KG_QUERY_TIMEOUT): the store
    may go on evaluating after kg gave up, so its own limit should be no longer (README).
    """

    def __init__(
        self,
        config: RemoteConfig,
        *,
        concurrency: int = 2,
        timeout_s: float = 30.0,
        max_results: int = 10_000,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        if concurrency < 1:
            raise ValueError(
                f"at least one query must be allowed in flight to the store, got {concurrency} "
                "(setting KG_QUERY_WORKERS)"
            )
        self.config = config
        self.url = config.query_url
        self.workers = concurrency
        self.timeout_s = timeout_s
        self.max_results = max_results
        self.max_answer_bytes = max_answer_bytes
        self._slots = asyncio.Semaphore(concurrency)
        self._client: httpx.AsyncClient | None = None

    async def run(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout_s: float | None = None,
    ) -> QueryResult:
        """Run one query on the store; with no graphs given the store's default graph (the union) answers."""
        limit = self.timeout_s if timeout_s is None else timeout_s
        form: list[tuple[str, str]] = [("query", sparql)]
        if default_graphs is not None or named_graphs is not None:
            for name, graphs in (("default-graph-uri", default_graphs), ("named-graph-uri", named_graphs)):
                for iri in graphs or []:
                    try:
                        ox.NamedNode(iri)
                    except ValueError as exc:
                        raise QueryError(f"the graph name {iri!r} is not a valid IRI: {exc}") from None
                    form.append((name, iri))
        shape = query_form(sparql)
        accept = _EITHER if shape is None else _SOLUTIONS if shape == "solutions" else _GRAPH
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        try:
            async with asyncio.timeout_at(deadline):
                await self._slots.acquire()
        except TimeoutError:
            raise PoolBusy(
                f"all {self.workers} query slots to the store stayed busy for {limit:g} s, so the query was "
                "not sent; try again later (settings KG_QUERY_WORKERS, KG_QUERY_TIMEOUT)"
            ) from None
        started = time.perf_counter()
        try:
            async with asyncio.timeout_at(deadline):
                answer = await self._fetch(form, accept)
                kind, data, truncated = await asyncio.to_thread(_canonical, answer, self.max_results)
        except TimeoutError:
            raise QueryTimeout(
                f"the query ran longer than {limit:g} s and was stopped (setting KG_QUERY_TIMEOUT)"
            ) from None
        finally:
            self._slots.release()
        return QueryResult(kind, data, truncated, time.perf_counter() - started)

    async def aclose(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    # -- inside ---------------------------------------------------------------------------

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                auth=self.config.auth(),
                timeout=httpx.Timeout(None, connect=10.0),  # the query's deadline bounds the rest
                limits=httpx.Limits(max_connections=self.workers, max_keepalive_connections=self.workers),
                headers={"user-agent": f"kg/{__version__}"},
                follow_redirects=False,
            )
        return self._client

    async def _fetch(self, form: list[tuple[str, str]], accept: str) -> _Answer:
        """POST the query; read the answer until it ends, holds more than max_results rows, or is too long."""
        try:
            async with self._http().stream(
                "POST",
                self.url,
                content=urlencode(form).encode("ascii"),
                headers={"accept": accept, "content-type": "application/x-www-form-urlencoded"},
            ) as response:
                if response.status_code != 200:
                    head = await _read_some(response, _MESSAGE_BYTES)
                    raise self._failure(response.status_code, head)
                media_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
                body = bytearray()
                probe = FIRST_PROBE_BYTES
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) >= self.max_answer_bytes:
                        return _Answer(media_type, bytes(body[: self.max_answer_bytes]), cut=True)
                    if len(body) >= probe:
                        probe *= 2
                        prefix = _Answer(media_type, bytes(body), cut=True)
                        if await asyncio.to_thread(_enough, prefix, self.max_results):
                            return prefix  # kg cuts the answer here anyway: stop the transfer
                return _Answer(media_type, bytes(body), cut=False)
        except httpx.TransportError as exc:
            log.warning("the SPARQL store at %s did not answer: %s", self.url, exc)
            raise StoreError(
                f"the SPARQL store at {self.url} did not answer ({type(exc).__name__}: {exc}); is it "
                "running, and is KG_STORE_QUERY_URL (or kg connect --query-url) right?"
            ) from exc

    def _failure(self, status: int, head: bytes) -> Exception:
        message = _first_lines(head)
        if status in (401, 403):
            log.warning("the SPARQL store at %s refused kg (HTTP %s): %s", self.url, status, message)
            return StoreError(
                f"the SPARQL store at {self.url} refused kg's query (HTTP {status}: {message}); check "
                "KG_STORE_USER / KG_STORE_PASSWORD / KG_STORE_AUTH"
            )
        if status in (404, 405, 502, 503, 504) and not _STORE_TIMEOUT.search(message):
            log.warning("the SPARQL store at %s failed (HTTP %s): %s", self.url, status, message)
            return StoreError(
                f"the SPARQL store at {self.url} answered HTTP {status} ({message}); is the URL the "
                "store's SPARQL query endpoint, and is the store up?"
            )
        if _STORE_TIMEOUT.search(message):
            return QueryTimeout(
                f"the store stopped the query at its own time limit (HTTP {status}: {message}); "
                "simplify the query, or raise the store's limit along with KG_QUERY_TIMEOUT"
            )
        if 400 <= status < 500:
            return QueryError(f"the SPARQL query does not parse: the store says: {message}")
        return QueryError(f"the query failed while running: the store says (HTTP {status}): {message}")


class RemoteSource:
    """What kg.server.snapshots.Snapshots is to the app, for an external store: one pool for everyone."""

    publication = None  # no snapshots: the store itself is always current

    def __init__(self, settings: ServerSettings) -> None:
        config = settings.store.remote
        if config is None:
            raise ValueError("RemoteSource needs settings.store.remote (an external store is not configured)")
        self.settings = settings
        self.pool = RemotePool(
            config,
            concurrency=settings.workers,
            timeout_s=settings.query_timeout_s,
            max_results=settings.max_results,
        )

    async def refresh(self) -> None:
        """Nothing to follow: writers change the store itself, and the next query sees it."""

    async def pool_for(self, audience: Audience) -> RemotePool:
        return self.pool

    async def aclose(self) -> None:
        await self.pool.aclose()

    def close(self) -> None:
        """Drop the client; its connections close with it (``aclose`` does it properly, from the loop)."""
        self.pool._client = None


# -- answers ---------------------------------------------------------------------------------


async def _read_some(response: httpx.Response, limit: int) -> bytes:
    out = bytearray()
    async for chunk in response.aiter_bytes():
        out += chunk
        if len(out) >= limit:
            break
    return bytes(out[:limit])


def _first_lines(body: bytes) -> str:
    """The store's message up to its first blank line (Virtuoso then echoes the whole query)."""
    text = body.decode("utf-8", errors="replace").strip()
    text = re.split(r"\n\s*\n", text, maxsplit=1)[0]
    text = " ".join(line.strip() for line in text.splitlines()[:5] if line.strip())
    return (text[:500] + "…") if len(text) > 500 else text or "no message"


def _results_format(media_type: str) -> ox.QueryResultsFormat | None:
    try:
        return ox.QueryResultsFormat.from_media_type(media_type)
    except (ValueError, TypeError):
        return None


def _rdf_format(media_type: str) -> ox.RdfFormat | None:
    try:
        fmt = ox.RdfFormat.from_media_type(media_type)
    except (ValueError, TypeError):
        return None
    return fmt if fmt is not None and not fmt.supports_datasets else None


def _canonical(answer: _Answer, limit: int) -> tuple[ResultKind, bytes, bool]:
    """kg's canonical bytes for the store's answer; a cut answer must hold more than ``limit`` rows."""
    try:
        kind, data, truncated = _convert(answer, limit)
    except SyntaxError as exc:
        if answer.cut:
            raise QueryError(
                f"the store's answer is longer than {len(answer.body) >> 20} MB before its first {limit} "
                "rows ended; ask for fewer or shorter values (LIMIT, fewer variables)"
            ) from None
        raise QueryError(f"the store's answer ({answer.media_type}) could not be read: {exc}") from None
    if answer.cut and not truncated:
        raise QueryError(
            f"the store's answer is longer than {len(answer.body) >> 20} MB; ask for fewer or shorter "
            "values (LIMIT, fewer variables)"
        )
    return kind, data, truncated


def _enough(prefix: _Answer, limit: int) -> bool:
    """Whether the first bytes of an answer already hold more rows than kg will pass on."""
    try:
        return _convert(prefix, limit)[2]
    except (SyntaxError, QueryError):
        return False


def _solutions(
    body: bytes, results_format: ox.QueryResultsFormat, limit: int
) -> tuple[ResultKind, bytes, bool]:
    parsed: Any = ox.parse_query_results(body, format=results_format)
    if isinstance(parsed, ox.QueryBoolean):
        return "boolean", _boolean_json(bool(parsed)), False
    data, truncated = _solutions_json(parsed, limit)
    return "solutions", data, truncated


def _convert(answer: _Answer, limit: int) -> tuple[ResultKind, bytes, bool]:
    results_format = _results_format(answer.media_type)
    if results_format is not None:
        try:
            return _solutions(answer.body, results_format, limit)
        except SyntaxError as exc:
            if results_format != ox.QueryResultsFormat.JSON or "bnode" not in str(exc) or answer.cut:
                raise
        # Virtuoso names blank nodes "nodeID://b10005", which is no blank node label: rename them.
        return _solutions(relabel_blank_nodes(answer.body), results_format, limit)
    rdf_format = _rdf_format(answer.media_type)
    if rdf_format is not None:
        triples = (quad.triple for quad in ox.parse(answer.body, format=rdf_format))
        data, truncated = _ntriples(triples, limit)  # type: ignore[arg-type]  # any iterable of triples
        return "graph", data, truncated
    raise QueryError(
        f"the store answered in {answer.media_type or 'an unnamed format'}, which kg cannot read; it asked "
        "for SPARQL JSON results or N-Triples"
    )
