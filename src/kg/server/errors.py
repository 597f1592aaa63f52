"""Every error the HTTP layer answers, in one JSON shape, built here and nowhere else.

    {"error": {"status": 413, "code": "payload_too_large",
               "message": "the request body is limited to 1000000 bytes, this one has 2000000",
               "setting": "KG_MAX_REQUEST_BYTES"}}

``code`` is stable for programs, ``message`` is written for people (it names the input and
the limit), ``setting`` names the KG_* variable to change when a limit was hit, else null.
Routes raise ``ApiError`` through the small named helpers below, which choose the status;
``install`` makes FastAPI's own errors (404, 405, validation) use the same shape, and the
outermost middleware (kg.server.middleware) turns anything unexpected into a bare 500.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from http import HTTPStatus

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import BaseRoute, Match

ERROR_MEDIA_TYPE = "application/json; charset=utf-8"


class ApiError(Exception):
    """An answer that is an error: raised anywhere in a route, written by ``error_response``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        setting: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.setting = setting
        self.headers = dict(headers or {})


def error_body(status: int, code: str, message: str, setting: str | None = None) -> bytes:
    """The one JSON shape; raw ASGI middleware sends these bytes directly."""
    payload = {"error": {"status": status, "code": code, "message": message, "setting": setting}}
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


def error_response(error: ApiError) -> Response:
    return Response(
        error_body(error.status, error.code, error.message, error.setting),
        status_code=error.status,
        headers={**error.headers, "content-type": ERROR_MEDIA_TYPE},
    )


# -- the helpers: one per kind of failure, each choosing its status ------------------------


def bad_request(message: str, code: str = "bad_request") -> ApiError:
    return ApiError(400, code, message)


def query_syntax(message: str) -> ApiError:
    """The parser's own message keeps its position ('error at 1:25: ...')."""
    return ApiError(400, "query_syntax", f"the SPARQL query does not parse: {message}")


def invalid_parameter(message: str) -> ApiError:
    return ApiError(400, "invalid_parameter", message)


def query_refused(message: str, *, code: str, setting: str | None = None, status: int = 400) -> ApiError:
    """A query the guard will not hand to the engine (too deep, too long, SERVICE...)."""
    return ApiError(status, code, message, setting=setting)


def read_only(message: str = "") -> ApiError:
    """403, as Oxigraph's read-only server: the request is understood and will never be allowed."""
    text = "this SPARQL endpoint is read-only: updates (INSERT, DELETE, LOAD, CLEAR, DROP...) are refused"
    return ApiError(403, "read_only", f"{text}; {message}" if message else text)


def unauthorized() -> ApiError:
    """401 for a token that is not valid (no token at all is fine: the public graph answers)."""
    return ApiError(
        401,
        "invalid_token",
        "the access token is not valid: send 'Authorization: Bearer <token>' with a token from "
        "KG_ACCESS_TOKENS, or no Authorization header to see the public graph",
        setting="KG_ACCESS_TOKENS",
        headers={"WWW-Authenticate": 'Bearer realm="kg"'},
    )


def not_found(message: str) -> ApiError:
    return ApiError(404, "not_found", message)


def method_not_allowed(method: str, allowed: Iterable[str]) -> ApiError:
    allowed = sorted(allowed)
    return ApiError(
        405,
        "method_not_allowed",
        f"{method} is not allowed here; use {' or '.join(allowed)}",
        headers={"allow": ", ".join(allowed)},
    )


def not_acceptable(asked: str, offered: Iterable[str]) -> ApiError:
    offered = list(offered)
    return ApiError(
        406,
        "not_acceptable",
        f"no format on offer fits {asked}; this resource is available as: {', '.join(offered)} "
        "(send one of them in Accept, or add ?format=)",
    )


def payload_too_large(limit: int, found: int | None = None) -> ApiError:
    size = f", this one has {found}" if found is not None else ", this one has more"
    return ApiError(
        413,
        "payload_too_large",
        f"the request body is limited to {limit} bytes{size}; "
        "raise KG_MAX_REQUEST_BYTES (kg serve --max-request-bytes) to accept more",
        setting="KG_MAX_REQUEST_BYTES",
    )


def uri_too_long(limit: int, found: int) -> ApiError:
    return ApiError(
        414,
        "uri_too_long",
        f"the query string is limited to {limit} bytes, this one has {found}; send long queries by "
        "POST, or raise KG_MAX_REQUEST_BYTES (kg serve --max-request-bytes)",
        setting="KG_MAX_REQUEST_BYTES",
    )


def headers_too_large(limit: int, found: int) -> ApiError:
    """431: the request's headers together are too large (often a runaway cookie or a proxy loop)."""
    return ApiError(
        431,
        "headers_too_large",
        f"the request headers are limited to {limit} bytes in all, these have {found}; "
        "send fewer or shorter headers (cookies are the usual cause)",
    )


def rate_limited(per_minute: int, retry_after: int) -> ApiError:
    """429 with Retry-After: this client address sent more than its share this minute."""
    return ApiError(
        429,
        "rate_limited",
        f"this client sent more than {per_minute} requests in a minute; wait {retry_after} s and try "
        "again (the limit is set by KG_RATE_LIMIT)",
        setting="KG_RATE_LIMIT",
        headers={"retry-after": str(retry_after)},
    )


def unsupported_media_type(got: str | None, accepted: Iterable[str]) -> ApiError:
    what = f"Content-Type {got!r}" if got else "a request without Content-Type"
    return ApiError(
        415,
        "unsupported_media_type",
        f"{what} is not accepted here; send the query as one of: {', '.join(accepted)} (UTF-8)",
    )


def query_timeout(seconds: float) -> ApiError:
    return ApiError(
        503,
        "query_timeout",
        f"the query ran longer than the {seconds:g} s limit and was stopped; simplify it (LIMIT, fewer "
        "joins) or raise KG_QUERY_TIMEOUT (kg serve --query-timeout)",
        setting="KG_QUERY_TIMEOUT",
    )


def pool_busy(workers: int, seconds: float) -> ApiError:
    """503 with Retry-After: every worker was busy until the deadline, so the query never ran."""
    return ApiError(
        503,
        "busy",
        f"all {workers} query workers stayed busy for {seconds:g} s, so the query was not run; try again "
        "shortly, or raise KG_QUERY_WORKERS (kg serve --workers)",
        setting="KG_QUERY_WORKERS",
        headers={"retry-after": "2"},
    )


def query_crashed() -> ApiError:
    """500: the engine died on this query; the server replaced it and carries on."""
    return ApiError(
        500,
        "query_crashed",
        "the query engine stopped while running this query (the server carries on): it needed more "
        "memory than a query worker may use, or it is very deeply nested; narrow it (filters, LIMIT) "
        "or, on your own server, raise KG_WORKER_MEMORY_MB",
        setting="KG_WORKER_MEMORY_MB",
    )


def store_unavailable() -> ApiError:
    """503: no query worker could open the store (it is missing, or another process holds it)."""
    return ApiError(
        503,
        "store_unavailable",
        "the store cannot be read right now: the published snapshot is missing, or the external SPARQL "
        "store does not answer; check the data folder (KG_DATA_DIR) or that store, then try again",
        setting="KG_DATA_DIR",
        headers={"retry-after": "5"},
    )


def internal_error() -> ApiError:
    """No detail: internals (paths, stack traces) never reach a client; the log has them."""
    return ApiError(500, "internal_error", "the server failed to answer this request; the error was logged")


# -- FastAPI's own errors, in the same shape -------------------------------------------------


_CODES = {
    400: "bad_request",
    403: "forbidden",
    404: "not_found",
    406: "not_acceptable",
    413: "payload_too_large",
    429: "rate_limited",
}


def _from_http_exception(request: Request, exc: StarletteHTTPException) -> ApiError:
    """Starlette's own 404/405, and HTTPExceptions raised by routes (their detail is the message)."""
    try:
        generic = HTTPStatus(exc.status_code).phrase
    except ValueError:
        generic = ""
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail != generic else None
    if exc.status_code == 405:
        return method_not_allowed(request.method, _allowed_methods(request, exc))
    if exc.status_code == 404 and detail is None:
        return not_found(f"nothing here: {request.url.path} (see /openapi.json for the routes)")
    code = _CODES.get(exc.status_code, "http_error")
    return ApiError(exc.status_code, code, detail or generic or "the request could not be handled")


def _allowed_methods(request: Request, exc: StarletteHTTPException) -> set[str]:
    """Every method some route takes at this path (Starlette's Allow names only the first route's)."""
    allowed: set[str] = set()
    for route in _leaf_routes(request.app.router.routes):
        match, _ = route.matches({**request.scope, "method": "GET"})
        methods = getattr(route, "methods", None)
        if match is not Match.NONE and methods:
            allowed |= set(methods) - {"HEAD"}
    header = (exc.headers or {}).get("Allow", "")
    return allowed or {m.strip() for m in header.split(",") if m.strip()} or {"GET"}


def _leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        inner = getattr(route, "original_router", None)  # FastAPI wraps included routers
        if inner is not None:
            yield from _leaf_routes(inner.routes)
        else:
            yield route


def _from_validation_error(exc: RequestValidationError) -> ApiError:
    problems = []
    for item in exc.errors():
        where = ".".join(str(part) for part in item.get("loc", ()) if part not in ("query", "path", "body"))
        problems.append(f"{where or 'request'}: {item.get('msg', 'invalid')}")
    return invalid_parameter("invalid request parameters: " + "; ".join(problems))


def install(app: FastAPI) -> None:
    """Route every error FastAPI or a route raises through ``error_response``."""

    async def on_api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return error_response(exc)

    async def on_http_exception(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        return error_response(_from_http_exception(request, exc))

    async def on_validation_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        return error_response(_from_validation_error(exc))

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)


# The responses every route may give, for the OpenAPI schema.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["status", "code", "message", "setting"],
            "properties": {
                "status": {"type": "integer"},
                "code": {"type": "string"},
                "message": {"type": "string"},
                "setting": {"type": ["string", "null"]},
            },
        }
    },
}


def openapi_errors(*statuses: int) -> dict[int | str, dict[str, object]]:
    """``responses=`` entries documenting the error shape for the given statuses."""
    descriptions = {
        400: "Bad request: a malformed query or parameter (the message says which and where)",
        403: "Refused: the endpoint is read-only, or SERVICE is not allowed",
        404: "Not found",
        406: "None of the formats on offer fits Accept or format=",
        413: "The request body is larger than KG_MAX_REQUEST_BYTES",
        414: "The query string is longer than KG_MAX_REQUEST_BYTES",
        415: "Unsupported Content-Type",
        429: "Too many requests from this client address in a minute (KG_RATE_LIMIT); see Retry-After",
        431: "The request headers are too large",
        500: "The query engine or the server failed",
        503: "The query ran longer than KG_QUERY_TIMEOUT and was stopped",
    }
    return {
        status: {
            "description": descriptions.get(status, "Error"),
            "content": {"application/json": {"schema": ERROR_SCHEMA}},
        }
        for status in statuses
    }
