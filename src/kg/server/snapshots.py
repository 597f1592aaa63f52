"""Which snapshot answers a request: the public one for everybody, the full one for holders of a token.

The server never opens the working store. It follows ``snapshots/current.json`` (kg.publish):
before each request it checks, with one ``stat``, whether a writer published a new pair, and
whether an embargo has ended since the public snapshot was made (then it rebuilds that
snapshot from the full one itself: no writer, no restart). Each snapshot gets its own pool of
query workers; the full snapshot's pool starts only when a token holder first asks.

Old pools are closed after the longest a query may run, so answers under way finish. A
snapshot never changes, so answers are kept (kg.server.answer_cache) for as long as its
publication is the current one, and forgotten the moment the server moves to the next.
"""

from __future__ import annotations

import asyncio
import hmac
import os
import threading
from dataclasses import dataclass
from typing import Literal

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.publish import Publication, read_current, release_due
from kg.server.answer_cache import AnswerCache
from kg.server.settings import ServerSettings
from kg.workers import QueryPool

Audience = Literal["public", "full"]


@dataclass
class _Pools:
    publication: Publication
    public: QueryPool | None = None
    full: QueryPool | None = None


class Snapshots:
    """The current publication and its query pools; swapped when a writer publishes or an embargo ends."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self._current: _Pools | None = None
        self._stamp: int | None = None  # current.json's mtime_ns when last read
        self._lock = asyncio.Lock()
        self._releasing = threading.Lock()
        self.answer_cache = AnswerCache(int(settings.answer_cache_mb * 2**20))

    @property
    def publication(self) -> Publication | None:
        return self._current.publication if self._current else None

    async def refresh(self) -> None:
        """Follow a new publication; rebuild the public snapshot if an embargo has ended."""
        current = self._current
        if current is not None and current.publication.release_due() and self._releasing.acquire(False):
            try:
                await anyio.to_thread.run_sync(release_due, self.settings.store)
            finally:
                self._releasing.release()
        stamp = self._read_stamp()
        if stamp == self._stamp and current is not None:
            return
        async with self._lock:
            stamp = self._read_stamp()
            if stamp == self._stamp and self._current is not None:
                return
            publication = read_current(self.settings.store)
            if publication is None:
                return  # nothing published yet: pool_for reports it
            if self._current is not None and self._current.publication.id == publication.id:
                self._stamp = stamp
                return
            fresh = _Pools(publication)
            fresh.public = await anyio.to_thread.run_sync(self._start, "public", publication)
            old, self._current, self._stamp = self._current, fresh, stamp
            self.answer_cache.follow(publication.id)  # with the swap: no await between the two
            if old is not None:
                self._retire(old)

    async def pool_for(self, audience: Audience) -> QueryPool:
        current = self._current
        if current is None:
            await self.refresh()
            current = self._current
        if current is None:
            from kg.errors import StoreError

            raise StoreError(
                f"nothing is published in {self.settings.store.snapshots_dir} yet: "
                "run kg ingest (or kg demo) "
                "on this data folder first"
            )
        if audience == "full":
            if current.full is None:
                async with self._lock:
                    if current.full is None:
                        current.full = await anyio.to_thread.run_sync(
                            self._start, "full", current.publication
                        )
            return current.full
        assert current.public is not None
        return current.public

    def close(self) -> None:
        if self._current is not None:
            _close(self._current)
            self._current = None

    # -- inside ---------------------------------------------------------------------------

    def _read_stamp(self) -> int | None:
        try:
            return os.stat(self.settings.store.snapshots_dir / "current.json").st_mtime_ns
        except FileNotFoundError:
            return None

    def _start(self, audience: Audience, publication: Publication) -> QueryPool:
        folder = publication.public if audience == "public" else publication.full
        return QueryPool(
            folder,
            workers=self.settings.workers,
            timeout_s=self.settings.query_timeout_s,
            max_results=self.settings.max_results,
            memory_mb=self.settings.worker_memory_mb or None,
        )

    def _retire(self, old: _Pools) -> None:
        """Close the previous pools once every query they may be running has had its time."""
        delay = self.settings.query_timeout_s + 5.0
        timer = threading.Timer(delay, _close, args=(old,))
        timer.daemon = True
        timer.start()


def _close(pools: _Pools) -> None:
    for pool in (pools.public, pools.full):
        if pool is not None:
            pool.close()


def audience_of(authorization: str | None, tokens: tuple[str, ...]) -> Audience | None:
    """'full' for a valid bearer token, 'public' without one, None for a token that is not valid."""
    if not authorization:
        return "public"
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    given = token.strip().encode()
    valid = any(hmac.compare_digest(given, known.encode()) for known in tokens)
    return "full" if valid else None


class FollowSnapshots:
    """ASGI middleware: before each request, pick up a new publication or a release that fell due.

    Also marks answers given with a token as private, so no shared cache hands embargoed
    content to someone without one.
    """

    def __init__(self, app: ASGIApp, *, snapshots: Snapshots) -> None:
        self.app = app
        self.snapshots = snapshots

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.snapshots.refresh()
        headers = dict(scope.get("headers") or [])
        if b"authorization" not in headers:
            await self.app(scope, receive, send)
            return

        async def private(message: Message) -> None:
            if message["type"] == "http.response.start":
                raw = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"]
                raw += [(b"cache-control", b"private, no-store"), (b"vary", b"Authorization")]
                message = {**message, "headers": raw}
            await send(message)

        await self.app(scope, receive, private)
