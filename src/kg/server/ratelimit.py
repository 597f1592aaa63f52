"""Per-client rate limit (KG_RATE_LIMIT requests per minute per client address).

CONTRACT: ``RateLimit(app, per_minute=N)`` is a pure ASGI middleware; over the limit it answers
429 in kg's error shape with a Retry-After header. (Skeleton: passes everything through.)
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send


class RateLimit:
    def __init__(self, app: ASGIApp, *, per_minute: int) -> None:
        self.app = app
        self.per_minute = per_minute

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
