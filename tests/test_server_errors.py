"""Every error path answers the one JSON shape (as datasette's test_error_shape), with no internals.

The walk runs against the real server process; the failures a healthy server cannot be made to
show on demand (an engine crash, an unexpected exception) run in-process with a failing pool.
"""

from __future__ import annotations

import asyncio
import http.client
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI

from kg.config import Settings
from kg.errors import QueryError, StoreError
from kg.server.app import create_app
from kg.server.settings import ServerSettings
from kg.workers import QueryCrashed, QueryTimeout

pytest_plugins = ["server_fixture"]

SHAPE_KEYS = {"status", "code", "message", "setting"}
FORM = {"content-type": "application/x-www-form-urlencoded"}
DIRECT = {"content-type": "application/sparql-query"}

# (method, path, request options, status, code)
ERROR_PATHS = [
    ("GET", "/sparql?query=SELECT%20*%20WHERE%20%7B", {}, 400, "query_syntax"),
    ("GET", "/sparql?query=ASK%7B%7D&query=ASK%7B%7D", {}, 400, "multiple_queries"),
    ("POST", "/sparql", {"content": b"format=csv", "headers": FORM}, 400, "missing_query"),
    ("POST", "/sparql", {"content": b"\xff\xfe", "headers": DIRECT}, 400, "not_utf8"),
    ("GET", "/sparql?query=ASK%7B%7D&format=excel", {}, 400, "unknown_format"),
    ("GET", "/sparql?query=ASK%7B%7D&default-graph-uri=nope", {}, 400, "invalid_parameter"),
    ("GET", "/queries/communications-by-year-and-type?year=last", {}, 400, "invalid_parameter"),
    ("GET", "/queries/communications-by-company?compnay=x", {}, 400, "invalid_parameter"),
    ("POST", "/sparql", {"content": b"update=CLEAR+ALL", "headers": FORM}, 403, "read_only"),
    (
        "POST",
        "/sparql",
        {"content": b"CLEAR ALL", "headers": {"content-type": "application/sparql-update"}},
        403,
        "read_only",
    ),
    ("GET", "/sparql?update=CLEAR%20ALL", {}, 403, "read_only"),
    ("GET", "/no/such/route", {}, 404, "not_found"),
    ("GET", "/queries/no-such-query", {}, 404, "not_found"),
    ("GET", "/company/no-such-company", {}, 404, "not_found"),
    ("GET", "/vocab/issue/no-such-issue.ttl", {}, 404, "not_found"),
    ("PUT", "/sparql", {}, 405, "method_not_allowed"),
    ("DELETE", "/queries", {}, 405, "method_not_allowed"),
    ("GET", "/sparql?query=ASK%7B%7D", {"headers": {"accept": "image/png"}}, 406, "not_acceptable"),
    ("GET", "/.well-known/void", {"headers": {"accept": "text/csv"}}, 406, "not_acceptable"),
    ("GET", "/queries/instruments-cited?format=turtle", {}, 406, "not_acceptable"),
    ("POST", "/sparql", {"content": b"#" * 1_000_001, "headers": DIRECT}, 413, "payload_too_large"),
    (
        "POST",
        "/sparql",
        {"content": b"ASK {}", "headers": {"content-type": "text/plain"}},
        415,
        "unsupported_media_type",
    ),
]


def check_shape(response: httpx.Response, status: int, code: str | None = None) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    payload = response.json()
    assert set(payload) == {"error"}
    error = payload["error"]
    assert set(error) == SHAPE_KEYS
    assert error["status"] == status
    if code is not None:
        assert error["code"] == code
    assert isinstance(error["message"], str) and len(error["message"]) > 10
    assert error["setting"] is None or str(error["setting"]).startswith("KG_")
    text = response.text
    assert "Traceback" not in text and "/site-packages/" not in text and ".py" not in text
    assert response.headers["x-content-type-options"] == "nosniff"
    return error


@pytest.mark.parametrize(("method", "path", "options", "status", "code"), ERROR_PATHS)
def test_every_error_path_has_the_shape(kg_server, method, path, options, status, code):
    response = httpx.request(method, kg_server + path, timeout=30, **options)
    check_shape(response, status, code)


def test_an_over_long_query_string_has_the_shape(kg_server):
    """httpx refuses to send a URL over 64 KB; the standard library sends it, as other clients may."""
    url = urlsplit(kg_server)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("GET", "/sparql?query=" + "x" * 1_000_001)
        raw = connection.getresponse()
        status, headers, body = raw.status, dict(raw.getheaders()), raw.read()
    finally:
        connection.close()
    response = httpx.Response(status, headers=headers, content=body)
    error = check_shape(response, 414, "uri_too_long")
    assert error["setting"] == "KG_MAX_REQUEST_BYTES"


def test_limits_name_the_setting_to_change(kg_server):
    response = httpx.post(kg_server + "/sparql", content=b"#" * 1_000_001, headers=DIRECT, timeout=30)
    error = check_shape(response, 413)
    assert error["setting"] == "KG_MAX_REQUEST_BYTES"
    assert "1000000" in str(error["message"])


# -- in-process: the failures a healthy server does not show ------------------------------------


class FailingPool:
    """Stands in for kg.workers.QueryPool and fails as told."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    async def run(self, sparql: str, **_: object) -> object:
        raise self.error

    def close(self) -> None:
        pass


class FailingSnapshots:
    """Stands in for kg.server.snapshots.Snapshots: every audience gets the failing pool."""

    publication = None

    def __init__(self, pool: FailingPool) -> None:
        self.pool = pool

    async def pool_for(self, audience: str) -> FailingPool:
        return self.pool


def in_process(error: Exception, path: str = "/sparql?query=ASK%7B%7D") -> httpx.Response:
    app = create_app(ServerSettings(store=Settings(data_dir=Path("/nonexistent"))))
    # no lifespan in the ASGI transport: the real pools never start
    app.state.snapshots = FailingSnapshots(FailingPool(error))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            return await http.get(path)

    return asyncio.run(go())


def test_a_timeout_is_503_naming_the_setting():
    error = check_shape(in_process(QueryTimeout("stopped")), 503, "query_timeout")
    assert error["setting"] == "KG_QUERY_TIMEOUT"


def test_a_crashed_engine_is_500_query_crashed():
    check_shape(in_process(QueryCrashed("worker died with SIGSEGV")), 500, "query_crashed")


def test_an_unreadable_store_is_503_naming_the_setting():
    error = check_shape(in_process(StoreError("no worker could open the store")), 503, "store_unavailable")
    assert error["setting"] == "KG_DATA_DIR"


def test_a_parse_error_from_the_engine_is_400():
    check_shape(in_process(QueryError("error at 1:8: expected WHERE")), 400, "query_syntax")


def test_an_unexpected_exception_is_a_bare_500_without_internals():
    response = in_process(RuntimeError("secret detail in /srv/kg/src/kg/workers.py line 12"))
    error = check_shape(response, 500, "internal_error")
    assert "secret" not in str(error["message"]) and "/srv" not in response.text


def test_an_unexpected_exception_in_linked_data_is_a_bare_500():
    response = in_process(OSError("/var/lib/kg: disk on fire"), "/company/anyone")
    check_shape(response, 500, "internal_error")
    assert "/var/lib" not in response.text


def test_validation_errors_use_the_shape():
    app: FastAPI = create_app(ServerSettings(store=Settings(data_dir=Path("/nonexistent"))))

    @app.get("/typed")
    async def typed(n: int) -> dict[str, int]:
        return {"n": n}

    async def go() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            return await http.get("/typed?n=many")

    error = check_shape(asyncio.run(go()), 400, "invalid_parameter")
    assert "n" in str(error["message"])
