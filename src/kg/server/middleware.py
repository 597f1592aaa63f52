"""Two pure ASGI middlewares: request limits before anything is buffered, and headers on every answer.

Pure ASGI rather than Starlette's BaseHTTPMiddleware, because the body limit must act on the
stream itself: a Content-Length over the cap is refused before a byte of the body is read,
and a chunked body is counted as it arrives and refused the moment it passes the cap
(Starlette has no cap of its own: starlette issues #2155, #3431).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kg.server.errors import (
    ApiError,
    error_body,
    headers_too_large,
    internal_error,
    payload_too_large,
    uri_too_long,
)

log = logging.getLogger("kg.server")

# Headers are bounded on their own: uvicorn lets the request line and headers together grow to
# KG_MAX_REQUEST_BYTES (so a long GET query reaches kg's 414), which alone would accept a megabyte
# of headers. Browsers send a few KiB; nginx's default allowance is 32 KiB.
MAX_HEADER_BYTES = 32 * 1024

SECURITY_HEADERS: Mapping[str, str] = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    ),
    "referrer-policy": "no-referrer",
}


async def send_error(send: Send, error: ApiError) -> None:
    """Write an error in the one shape, from below FastAPI (where its handlers cannot reach)."""
    body = error_body(error.status, error.code, error.message, error.setting)
    headers = [
        (b"content-type", b"application/json; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        *((k.lower().encode(), v.encode()) for k, v in error.headers.items()),
    ]
    if error.status in (413, 414, 431):
        headers.append((b"connection", b"close"))  # the unread body must not be taken for a next request
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    def __init__(self, limit: int, found: int) -> None:
        super().__init__(f"body over {limit} bytes")
        self.limit = limit
        self.found = found


class RequestLimits:
    """413 for a body over ``max_bytes`` (by Content-Length, or counted while streaming), 414 for a
    query string over ``max_bytes``, 431 for headers over ``max_header_bytes`` in all."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_header_bytes: int = MAX_HEADER_BYTES) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_header_bytes = max_header_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        header_bytes = sum(len(name) + len(value) + 4 for name, value in scope.get("headers", []))
        if header_bytes > self.max_header_bytes:
            await send_error(send, headers_too_large(self.max_header_bytes, header_bytes))
            return
        query_string = scope.get("query_string", b"")
        if len(query_string) > self.max_bytes:
            await send_error(send, uri_too_long(self.max_bytes, len(query_string)))
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await send_error(send, payload_too_large(self.max_bytes, declared))
            return

        seen = 0
        started = False

        async def counted_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _BodyTooLarge(self.max_bytes, seen)
            return message

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted_receive, tracked_send)
        except _BodyTooLarge as exc:
            if started:
                raise
            await send_error(send, payload_too_large(exc.limit))


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class SecurityHeaders:
    """Security headers on every response, and a bare 500 in the error shape for anything unexpected.

    It is the outermost of kg's middlewares, so errors written by the others get the headers
    too; a route may set its own Content-Security-Policy, which is then left as it is.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(
                    (name.encode(), value.encode())
                    for name, value in SECURITY_HEADERS.items()
                    if name.encode() not in present
                )
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, with_headers)
        except Exception:
            # The log gets the traceback; the client gets no path, no stack, no exception text.
            log.exception("unexpected error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            await send_error(with_headers, internal_error())
