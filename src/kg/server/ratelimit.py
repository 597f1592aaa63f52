"""Per-client rate limit: KG_RATE_LIMIT requests per minute per client address, then 429.

A public endpoint shares two query workers among everyone, so one client looping over
expensive queries can starve the rest (Wikidata's service answers this with a per-client
budget, see shared/SECURITY.md). A token bucket per address allows a burst of ``per_minute``
requests and refills at ``per_minute`` per 60 s, so a steady client at the limit is never
refused while a burst above it is, and Retry-After says exactly when the next request fits.

The client is the address uvicorn reports: behind a reverse proxy that is the proxy's unless
uvicorn is told to trust its X-Forwarded-For (``--forwarded-allow-ips``). Buckets of clients
that have been idle long enough to be full again are dropped, and the table is capped, so a
flood of addresses cannot grow the server's memory without bound.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from kg.server.errors import rate_limited
from kg.server.middleware import send_error

WINDOW_S = 60.0
MAX_TRACKED_CLIENTS = 50_000


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimit:
    """Pure ASGI middleware: 429 in kg's error shape, with Retry-After, over ``per_minute``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = MAX_TRACKED_CLIENTS,
    ) -> None:
        if per_minute <= 0:
            raise ValueError(
                f"KG_RATE_LIMIT must be a positive number of requests per minute, got {per_minute}"
            )
        self.app = app
        self.per_minute = per_minute
        self.rate = per_minute / WINDOW_S  # tokens per second
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wait_s = self._take(_client_key(scope))
        if wait_s > 0:
            await send_error(send, rate_limited(self.per_minute, max(1, math.ceil(wait_s))))
            return
        await self.app(scope, receive, send)

    def _take(self, client: str) -> float:
        """Spend one token of ``client``'s bucket; 0 when granted, else the seconds until one is there."""
        now = self.clock()
        bucket = self._buckets.pop(client, None)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.per_minute), updated=now)
        else:
            bucket.tokens = min(float(self.per_minute), bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
        self._forget_idle(now)
        self._buckets[client] = bucket  # most recently seen last
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / self.rate

    def _forget_idle(self, now: float) -> None:
        """Drop buckets that would be full by now (the oldest come first), and cap the table."""
        while self._buckets:
            client, oldest = next(iter(self._buckets.items()))
            idle_full = oldest.tokens + (now - oldest.updated) * self.rate >= self.per_minute
            if not idle_full and len(self._buckets) < self.max_clients:
                break
            del self._buckets[client]


def _client_key(scope: Scope) -> str:
    client = scope.get("client")
    return str(client[0]) if client else "unknown"
