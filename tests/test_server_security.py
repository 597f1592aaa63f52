"""The hardened public endpoint, over real HTTP to a real `kg serve`: each failure mode of
shared/SECURITY.md that the server can meet, and each promise of issue 5.

Not repeated here because tests/test_server_protocol.py already covers it over HTTP: the 1 MB
query (413/414), a body over the cap by Content-Length or chunked (413), 3,000 nested groups
(400), 500-step sequence paths (400), the plain refusals of updates and SERVICE (403), a slow
query stopped with 503 while others are served, CORS, the security headers on JSON answers,
and the OpenAPI document; tests/test_rdf_input.py covers the RDF/XML entity bomb. This module
adds what a hostile client would try next: refusals checked against a local listener that must
see no connection (and a positive control that it would), spellings the keyword check must not
miss, pathological queries that must end within the limits, crashes of the query engine, the
cancelled worker, header size, the rate limit, error bodies without internals, and HTML pages
over data that contains markup.
"""

from __future__ import annotations

import contextlib
import re
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx
import psutil
import pytest

from support import Listener, build_store, copy_store, synthetic_record

pytest_plugins = ["server_fixture"]

KG = "https://w3id.org/kg-spcomm/ontology#"
HOSTILE_COMPANY = "Evil <script>alert(1)</script> & <b>Bold</b> Ltd"
RAW_SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"
QUERY_TIMEOUT_S = 2.0
RATE_LIMIT = 30  # requests a minute per client address, on the second server
ASK = f"ASK {{ ?c a <{KG}Company> }}"
COUNT_TRIPLES = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"


# -- a TCP listener that records whether the server ever connects -----------------------------


@pytest.fixture(scope="module")
def allowed_listener() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


@pytest.fixture(scope="module")
def forbidden_listener() -> Iterator[Listener]:
    listener = Listener()
    yield listener
    listener.close()


# -- one server on data that contains markup, with a short time limit and one allowed SERVICE --


@pytest.fixture(scope="module")
def hostile_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    record = synthetic_record("AL OTH 901/2024", company=HOSTILE_COMPANY)
    return build_store(tmp_path_factory.mktemp("hostile"), [record])


@pytest.fixture(scope="module")
def server(
    hostile_data_dir: Path,
    kg_server_launcher: Callable[..., Any],
    allowed_listener: Listener,
) -> Iterator[str]:
    env = {"KG_SERVICE_ALLOWLIST": allowed_listener.url}
    flags = ("--query-timeout", str(QUERY_TIMEOUT_S), "--workers", "2")
    with kg_server_launcher(hostile_data_dir, *flags, env=env) as base:
        yield base


@pytest.fixture(scope="module")
def lenient_server(
    sample_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, kg_server_launcher: Callable[..., Any]
) -> Iterator[str]:
    """A second server, on the sample data: no nesting limit to speak of (so the engine's own crash
    can be reached), and a rate limit of RATE_LIMIT requests a minute per client address."""
    data_dir = copy_store(sample_data_dir, tmp_path_factory.mktemp("lenient") / "db")
    env = {"KG_RATE_LIMIT": str(RATE_LIMIT)}
    with kg_server_launcher(data_dir, "--max-query-depth", "1000000", env=env) as base:
        yield base


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server, timeout=30.0) as http:
        yield http


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()["error"]
    assert body["status"] == status and body["message"], body
    if code is not None:
        assert body["code"] == code, body
    return body


def still_serving(client: httpx.Client) -> None:
    response = client.get("/sparql", params={"query": ASK})
    assert response.status_code == 200 and response.json()["boolean"] is True


def server_process(base: str) -> psutil.Process:
    """The `kg serve` process listening at ``base`` (found by its --port argument)."""
    port = str(urlsplit(base).port)
    for process in psutil.process_iter(["cmdline"]):
        argv = process.info["cmdline"] or []
        if "kg.cli" in argv and "--port" in argv and port in argv:
            return process
    raise AssertionError(f"no kg serve process for {base}")


def query_workers(process: psutil.Process) -> dict[int, psutil.Process]:
    """The live query worker processes of a server (a killed one awaiting its reaping is not one)."""
    found = {}
    for child in process.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found[child.pid] = child
        except (psutil.ZombieProcess, psutil.NoSuchProcess):
            continue
    return found


# -- SERVICE, LOAD and updates: refused with 4xx, and nothing leaves the machine ---------------


def test_an_allow_listed_service_is_called_so_the_listener_would_see_a_call(
    client: httpx.Client, allowed_listener: Listener
) -> None:
    """Positive control: without it, "no connection" below could mean the listener sees nothing."""
    before = allowed_listener.connections
    query = f"SELECT ?x WHERE {{ SERVICE <{allowed_listener.url}> {{ ?x ?p ?o }} }}"
    response = client.post("/sparql", data={"query": query})
    assert response.status_code == 200, response.text
    assert response.json()["results"]["bindings"] == [{"x": {"type": "literal", "value": "remote"}}]
    assert allowed_listener.connections > before


SERVICE_SPELLINGS = {
    "plain": "SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
    "lower-case silent": "select * where {{ service silent <{url}> {{ ?s ?p ?o }} }}",
    "escaped keyword": "SELECT * WHERE {{ \\u0053ERVICE <{url}> {{ ?s ?p ?o }} }}",
    "escaped last letter": "SELECT * WHERE {{ SERVIC\\u0045 <{url}> {{ ?s ?p ?o }} }}",
    "escaped IRI": "SELECT * WHERE {{ SERVICE <{escaped}> {{ ?s ?p ?o }} }}",
    "prefixed name": "PREFIX remote: <{base}/> SELECT * WHERE {{ SERVICE remote:sparql {{ ?s ?p ?o }} }}",
    "variable": "SELECT * WHERE {{ VALUES ?e {{ <{url}> }} SERVICE ?e {{ ?s ?p ?o }} }}",
    "glued to a keyword": "SELECT * WHERE {{ FILTER(true) SERVICE<{url}> {{ ?s ?p ?o }} }}",
    "inside OPTIONAL": "SELECT * WHERE {{ ?a ?b ?c OPTIONAL {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
}


@pytest.mark.parametrize("method", ["get", "form", "direct"])
@pytest.mark.parametrize("spelling", list(SERVICE_SPELLINGS))
def test_service_outside_the_allow_list_is_refused_and_never_connects(
    client: httpx.Client, forbidden_listener: Listener, spelling: str, method: str
) -> None:
    url = forbidden_listener.url
    escaped = url.replace("sparql", "spar\\u0071l")
    query = SERVICE_SPELLINGS[spelling].format(url=url, escaped=escaped, base=url.rsplit("/", 1)[0])
    before = forbidden_listener.connections
    if method == "get":
        response = client.get("/sparql", params={"query": query})
    elif method == "form":
        response = client.post("/sparql", data={"query": query})
    else:
        response = client.post(
            "/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}
        )
    body = assert_error(response, 403, "service_refused")
    assert body["setting"] == "KG_SERVICE_ALLOWLIST"
    time.sleep(0.02)  # let the listener's thread count a connection made just before the answer
    assert forbidden_listener.connections == before, "the server connected to a refused SERVICE endpoint"


UPDATES = [
    "LOAD <{url}>",
    "LOAD SILENT <{url}> INTO GRAPH <http://example.org/g>",
    "\\u004cOAD <{url}>",
    "load <{url}>",
    "CLEAR ALL",
    "CLEAR DEFAULT",
    "DROP ALL",
    "DROP SILENT GRAPH <https://w3id.org/kg-spcomm/graph/ontology>",
    "DR\\u004fP ALL",
    "CREATE GRAPH <http://example.org/g>",
    "ADD DEFAULT TO <http://example.org/g>",
    "MOVE DEFAULT TO <http://example.org/g>",
    "COPY DEFAULT TO <http://example.org/g>",
    "INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }",
    "DELETE WHERE { ?s ?p ?o }",
    "WITH <http://example.org/g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } ; LOAD <{url}>",
]


@pytest.mark.parametrize("how", ["update-body", "update-form", "query-form", "update-get"])
@pytest.mark.parametrize("update", UPDATES)
def test_updates_and_load_are_refused_and_change_and_fetch_nothing(
    client: httpx.Client, forbidden_listener: Listener, update: str, how: str
) -> None:
    text = update.replace("{url}", forbidden_listener.url)
    before = forbidden_listener.connections
    if how == "update-body":
        response = client.post(
            "/sparql", content=text.encode(), headers={"content-type": "application/sparql-update"}
        )
    elif how == "update-form":
        response = client.post("/sparql", data={"update": text})
    elif how == "query-form":
        response = client.post("/sparql", data={"query": text})
    else:
        response = client.get("/sparql", params={"update": text})
    assert 400 <= response.status_code < 500, response.text
    assert_error(response, 403)
    assert "read-only" in response.json()["error"]["message"]
    time.sleep(0.02)
    assert forbidden_listener.connections == before, "the server fetched the URL of a refused LOAD"


def test_refused_updates_leave_the_data_as_it_was(client: httpx.Client) -> None:
    def triples() -> int:
        response = client.get("/sparql", params={"query": COUNT_TRIPLES})
        return int(response.json()["results"]["bindings"][0]["n"]["value"])

    before = triples()
    for update in ("CLEAR ALL", "DROP ALL", "DELETE WHERE { ?s ?p ?o }"):
        client.post("/sparql", content=update.encode(), headers={"content-type": "application/sparql-update"})
        client.post("/sparql", data={"query": update})
    assert triples() == before > 10_000


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"params": {"query": "SELECT * FROM <{url}> WHERE {{ ?s ?p ?o }} LIMIT 1"}},
        {"params": {"query": "SELECT * FROM NAMED <{url}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1"}},
        {"params": {"query": "SELECT * WHERE {{ ?s ?p ?o }} LIMIT 1", "default-graph-uri": "{url}"}},
        {
            "params": {
                "query": "SELECT * WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} LIMIT 1",
                "named-graph-uri": "{url}",
            }
        },
        {"params": {"query": "DESCRIBE <{url}>"}},
    ],
    ids=["FROM", "FROM NAMED", "default-graph-uri", "named-graph-uri", "DESCRIBE"],
)
def test_graph_iris_in_a_query_are_never_fetched(
    client: httpx.Client, forbidden_listener: Listener, request_kwargs: dict[str, dict[str, str]]
) -> None:
    """rdflib fetches FROM <url> by default (SECURITY.md); kg's engine must only look them up."""
    params = {k: v.format(url=forbidden_listener.url) for k, v in request_kwargs["params"].items()}
    before = forbidden_listener.connections
    response = client.get("/sparql", params=params)
    assert response.status_code == 200, response.text
    time.sleep(0.02)
    assert forbidden_listener.connections == before


# -- pathological queries end within the limits, with a clear error -----------------------------


def _alternation_path(steps: int) -> str:
    return "/".join(["(<http://example.org/p>|!<http://example.org/p>)"] * steps)


PATHOLOGICAL = {
    "cartesian product": (
        "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        {503: "query_timeout"},
    ),
    "(p|!p)* over cycles": (
        "SELECT (COUNT(*) AS ?n) WHERE { ?s (<http://example.org/p>|!<http://example.org/p>)* ?o }",
        {503: "query_timeout"},
    ),
    "(p|!p)* from a constant, DISTINCT": (
        f"SELECT DISTINCT ?o WHERE {{ <{KG}Company> (<http://example.org/p>|!<http://example.org/p>)* ?o . "
        "?o ?p ?x . ?x ?q ?y }",
        {200: "", 503: "query_timeout"},
    ),
    "long sequence of alternations, under the step limit": (
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s {_alternation_path(30)} ?o }}",
        {200: "", 503: "query_timeout"},
    ),
    "sequence path over the step limit": (
        f"SELECT * WHERE {{ ?s {_alternation_path(400)} ?o }}",
        {400: "path_too_long"},
    ),
    "huge OFFSET": ("SELECT * WHERE { ?s ?p ?o } OFFSET 1000000000000 LIMIT 10", {200: ""}),
    "huge OFFSET after a sort": (
        "SELECT ?s WHERE { ?s ?p ?o } ORDER BY ?s OFFSET 9000000000000000000 LIMIT 1",
        {200: "", 503: "query_timeout"},
    ),
    "OFFSET past 64 bits": ("SELECT * WHERE { ?s ?p ?o } OFFSET 18446744073709551616", {400: "query_syntax"}),
    "100,000 nested brackets": (
        "SELECT * WHERE { FILTER(" + "(" * 100_000 + "true" + ")" * 100_000 + ") }",
        {400: "query_too_deep"},
    ),
    "100,000 negations": ("SELECT * WHERE { FILTER(" + "!" * 100_000 + "true) }", {400: "query_too_deep"}),
    "3,000 nested OPTIONALs": (
        "SELECT * WHERE { " + "OPTIONAL { ?s ?p ?o " * 3000 + "}" * 3000 + " }",
        {400: "query_too_deep"},
    ),
    "a 750 KB query of 30,000 joins": (
        "SELECT * WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(30_000)) + " } LIMIT 1",
        {200: "", 503: "query_timeout"},
    ),
}


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_queries_end_within_the_limits(client: httpx.Client, name: str) -> None:
    query, expected = PATHOLOGICAL[name]
    started = time.monotonic()
    response = client.post(
        "/sparql", content=query.encode(), headers={"content-type": "application/sparql-query"}
    )
    elapsed = time.monotonic() - started
    assert response.status_code in expected, (response.status_code, response.text[:300])
    assert elapsed < QUERY_TIMEOUT_S + 3, f"{name} took {elapsed:.1f} s with a {QUERY_TIMEOUT_S} s limit"
    if response.status_code != 200:
        body = assert_error(response, response.status_code, expected[response.status_code])
        if body["code"] != "query_syntax":
            assert body["setting"] and body["setting"] in body["message"], body  # says what to change
    still_serving(client)


def test_a_dataset_of_thousands_of_graphs_ends_within_the_limit(client: httpx.Client) -> None:
    """Restricting a query to thousands of graphs makes joins hundreds of times slower (SECURITY.md);
    a client may ask for it, and must get an answer or a time-out within the limit."""
    graphs = [f"https://w3id.org/kg-spcomm/data/graph/{n}" for n in range(3000)]
    pairs = [("query", "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?c ?d ?e . ?e ?f ?g }")]
    pairs += [("default-graph-uri", g) for g in graphs] + [("named-graph-uri", g) for g in graphs]
    started = time.monotonic()
    form = {"content-type": "application/x-www-form-urlencoded"}
    response = client.post("/sparql", content=urlencode(pairs).encode(), headers=form)
    assert response.status_code in (200, 503), response.text[:300]
    if response.status_code == 503:
        assert_error(response, 503, "query_timeout")
    assert time.monotonic() - started < QUERY_TIMEOUT_S + 3
    still_serving(client)


def ended(pid: int) -> bool:
    """Gone, or a zombie its parent has not reaped yet (psutil may say so by raising)."""
    try:
        return not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.ZombieProcess:
        return True
    except psutil.NoSuchProcess:
        return True


def test_a_timed_out_query_is_cancelled_and_its_worker_replaced(client: httpx.Client, server: str) -> None:
    process = server_process(server)
    workers_before = query_workers(process)
    assert len(workers_before) == 2, workers_before
    started = time.monotonic()
    response = client.post("/sparql", data={"query": PATHOLOGICAL["cartesian product"][0]})
    assert_error(response, 503, "query_timeout")
    assert time.monotonic() - started < QUERY_TIMEOUT_S + 3

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        workers_now = query_workers(process)
        if len(workers_now) == 2 and set(workers_now) != set(workers_before):
            break
        time.sleep(0.1)
    gone = set(workers_before) - set(workers_now)
    assert len(gone) == 1, f"the worker that ran the query was not killed: {workers_before} -> {workers_now}"
    assert len(workers_now) == 2, "the killed worker was not replaced"
    for pid in gone:
        assert ended(pid), f"worker {pid} still runs"
    for _ in range(10):
        still_serving(client)


def test_a_crash_of_the_query_engine_costs_one_query_not_the_server(lenient_server: str) -> None:
    """With the nesting limit lifted, 3,000 nested groups kill the engine with SIGSEGV (SECURITY.md):
    the worker dies, the client gets a 500 without internals, and the server carries on."""
    with httpx.Client(base_url=lenient_server, timeout=30, headers={"x-forwarded-for": "10.0.0.9"}) as http:
        query = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000
        response = http.post("/sparql", data={"query": query})
        body = assert_error(response, 500, "query_crashed")
        assert_no_internals(response)  # INTERNALS catches any /tmp/ path of the store
        assert "carries on" in body["message"]
        still_serving(http)
        assert len(query_workers(server_process(lenient_server))) >= 1


def test_an_engine_abort_on_a_short_query_costs_one_query_not_the_server(
    client: httpx.Client, hostile_data_dir: Path
) -> None:
    """Found here: pyoxigraph 0.5.13 aborts the process (a Rust panic, "comparison function does not
    correctly implement a total order", SIGABRT) on ORDER BY DESC over the mixed terms of the whole
    graph. The guard cannot see it coming; the worker boundary must contain it."""
    for _ in range(2):
        response = client.get(
            "/sparql", params={"query": "SELECT ?o WHERE { ?s ?p ?o } ORDER BY DESC(?o) LIMIT 1"}
        )
        assert response.status_code in (200, 500), response.text[:300]
        if response.status_code == 500:
            assert_error(response, 500, "query_crashed")
            assert_no_internals(response, hostile_data_dir)
        still_serving(client)


# -- bounded requests: headers and the rate limit ----------------------------------------------


def raw_request(base: str, request: bytes, timeout_s: float = 10.0) -> tuple[float, bytes]:
    """Send bytes, read until the server closes or goes quiet; returns (seconds, what came back)."""
    url = urlsplit(base)
    started = time.monotonic()
    received = b""
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=timeout_s) as sock:
        with contextlib.suppress(OSError):  # the server may close while a huge request is being sent
            sock.sendall(request)
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:
            pass
    return time.monotonic() - started, received


@pytest.mark.parametrize(
    "headers",
    [
        b"X-Big: " + b"a" * 40_000 + b"\r\n",
        b"".join(b"X-Header-%d: value\r\n" % i for i in range(3000)),
        b"Cookie: " + b"c=" + b"x" * 100_000 + b"\r\n",
    ],
    ids=["one 40 KB header", "3,000 headers", "a 100 KB cookie"],
)
def test_large_headers_get_431_in_the_error_shape(server: str, client: httpx.Client, headers: bytes) -> None:
    request = b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: kg\r\nConnection: close\r\n" + headers + b"\r\n"
    seconds, answer = raw_request(server, request)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431"), head[:200]
    assert b'"code": "headers_too_large"' in body and b"bytes" in body
    assert seconds < 5
    still_serving(client)


def test_headers_beyond_what_the_http_parser_buffers_are_refused_at_once(
    server: str, client: httpx.Client
) -> None:
    """Past about KG_MAX_REQUEST_BYTES of request head, uvicorn itself refuses with a bare 400 and
    closes: no hang, no memory growth, and the server keeps serving."""
    request = b"GET / HTTP/1.1\r\nHost: kg\r\nX-Huge: " + b"a" * 3_000_000 + b"\r\n\r\n"
    seconds, answer = raw_request(server, request)
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    assert 400 <= status < 500 or answer == b"", answer[:200]  # refused, or the connection reset
    assert seconds < 5
    still_serving(client)


def test_without_a_rate_limit_a_busy_client_is_never_refused(client: httpx.Client) -> None:
    statuses = {client.get("/sparql", params={"query": "ASK {}"}).status_code for _ in range(150)}
    assert statuses == {200}


def test_the_rate_limit_refuses_a_burst_with_429_and_retry_after(lenient_server: str) -> None:
    # the launcher's readiness probes spent some of the budget: the client starts from a fresh address
    with httpx.Client(base_url=lenient_server, timeout=10, headers={"x-forwarded-for": "10.0.0.1"}) as http:
        per_minute = RATE_LIMIT
        answers = [http.get("/sparql", params={"query": "ASK {}"}) for _ in range(per_minute)]
        assert [r.status_code for r in answers] == [200] * per_minute
        refused = http.get("/sparql", params={"query": "ASK {}"})
        body = assert_error(refused, 429, "rate_limited")
        assert body["setting"] == "KG_RATE_LIMIT" and str(per_minute) in body["message"]
        retry_after = int(refused.headers["retry-after"])
        assert 1 <= retry_after <= 60 / per_minute + 1
        assert refused.headers["x-content-type-options"] == "nosniff"
        assert http.get("/queries").status_code == 429  # every route shares the budget

        # another client address is not affected (uvicorn takes it from X-Forwarded-For only
        # when the peer is the trusted local proxy, here 127.0.0.1)
        other = http.get("/sparql", params={"query": "ASK {}"}, headers={"x-forwarded-for": "10.0.0.2"})
        assert other.status_code == 200

        time.sleep(retry_after)
        assert http.get("/sparql", params={"query": "ASK {}"}).status_code == 200


# -- no internals in any answer ------------------------------------------------------------------

INTERNALS = re.compile(
    r"Traceback|File \"|site-packages|\.py\b|/usr/|/root/|/home/|/tmp/|/work/|pyoxigraph\.|"
    r"Exception\b|Error\(|line \d+, in "
)


def assert_no_internals(response: httpx.Response, *paths: Path) -> None:
    text = response.text
    assert "root:x:0" not in text and "{% block" not in text, "a file from the server's disk was served"
    found = INTERNALS.search(text)
    assert found is None, f"{response.request.url}: {found.group()!r} in {text[:400]}"
    for path in paths:
        assert str(path) not in text, f"{response.request.url} shows a server path"


NASTY_REQUESTS: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", "/company/%00", {}),
    ("GET", "/company/..%2F..%2F..%2Fetc%2Fpasswd", {}),
    ("GET", "/static/..%2F..%2F..%2F..%2F..%2F..%2Fetc%2Fpasswd", {}),
    ("GET", "/static/%2e%2e/templates/base.html", {}),
    ("GET", "/static/..%2Ftemplates%2Fbase.html", {}),
    ("GET", "/resource", {"params": {"iri": "not an iri <>"}}),
    ("GET", "/resource", {"params": {"iri": "file:///etc/passwd"}, "headers": {"accept": "text/turtle"}}),
    ("GET", "/sparql", {"params": {"query": "SELECT * WHERE { ?s ?p }"}}),
    ("GET", "/sparql", {"params": {"query": "SELECT * WHERE { ?s ?p ?o } LIMIT 1", "format": "x" * 5000}}),
    ("GET", "/sparql", {"params": {"query": "SELECT (1/0 AS ?x) (<nope>(1) AS ?y) WHERE {}"}}),
    ("GET", "/sparql?query=%ZZ%", {}),
    (
        "POST",
        "/sparql",
        {"content": b"\xff\xfe\x00", "headers": {"content-type": "application/sparql-query"}},
    ),
    (
        "POST",
        "/sparql",
        {"content": b"query=%FF%FE", "headers": {"content-type": "application/x-www-form-urlencoded"}},
    ),
    ("POST", "/sparql", {"content": b"{}", "headers": {"content-type": "application/json"}}),
    ("PUT", "/sparql", {"content": b"x"}),
    ("DELETE", "/queries", {}),
    ("GET", "/queries/no-such-query", {"headers": {"accept": "application/json"}}),
    ("GET", "/queries/communications-by-company", {"params": {"company": "x" * 3000, "limit": "-1"}}),
    ("GET", "/paths", {"params": {"source": "x", "to": "y", "max_hops": "99"}}),
    ("GET", "/paths", {"params": {"source": "\x00", "to_type": "Allegation"}}),
    ("GET", "/api/canned/communications-by-company", {"params": {"company": '"} } DROP ALL #'}}),
    ("GET", "/explore-paths", {"params": {"source": "<script>", "to_type": "Allegation", "max_hops": "x"}}),
    ("GET", "/communications", {"params": {"type": "<script>", "offset": "-5"}}),
    ("GET", "/search", {"params": {"q": "\x00" * 300}}),
    ("GET", "/sparql", {"headers": {"accept": "text/html; q=\x7f"}, "params": {"query": "ASK {}"}}),
]


@pytest.mark.parametrize(("method", "path", "options"), NASTY_REQUESTS)
def test_no_stack_trace_or_file_path_in_any_answer(
    client: httpx.Client, hostile_data_dir: Path, method: str, path: str, options: dict[str, Any]
) -> None:
    response = client.request(method, path, **options)
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert_no_internals(response, hostile_data_dir, Path(__file__).parent.parent)
    if response.status_code >= 400 and response.headers["content-type"].startswith("application/json"):
        assert set(response.json()["error"]) == {"status", "code", "message", "setting"}


def test_a_timeout_answer_shows_no_internals(client: httpx.Client, hostile_data_dir: Path) -> None:
    response = client.post("/sparql", data={"query": PATHOLOGICAL["cartesian product"][0]})
    assert_error(response, 503, "query_timeout")
    assert_no_internals(response, hostile_data_dir)


# -- HTML pages escape data and send the security headers ----------------------------------------


def html_get(client: httpx.Client, path: str, **params: str) -> httpx.Response:
    response = client.get(path, params=params, headers={"accept": "text/html"})
    assert response.status_code == 200, (path, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return response


def assert_safe_page(response: httpx.Response) -> None:
    page = response.text
    assert RAW_SCRIPT not in page and "<b>Bold" not in page, response.request.url
    for tag in re.findall(r"<script\b[^>]*>", page, flags=re.IGNORECASE):
        assert re.search(r'\ssrc="/static/[\w.-]+"', tag), f"{response.request.url}: inline script {tag}"
    assert not re.search(r"<[a-z][^>]*\son[a-z]+\s*=", page, flags=re.IGNORECASE), "inline event handler"
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    csp = dict(
        [*part.strip().split(" ", 1), ""][:2] for part in headers["content-security-policy"].split(";")
    )
    assert "'unsafe-inline'" not in csp.get("script-src", csp.get("default-src", ""))
    assert "'unsafe-eval'" not in headers["content-security-policy"]
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'"


def test_entity_pages_escape_markup_from_the_data(client: httpx.Client) -> None:
    hits = client.get("/api/search", params={"q": "evil"}).json()
    [company] = [hit for hit in hits if hit["label"] == HOSTILE_COMPANY]
    for path in (company["url"], "/communication/al-oth-901-2024"):
        response = html_get(client, path)
        assert_safe_page(response)
        assert ESCAPED_SCRIPT in response.text and "&lt;b&gt;Bold&lt;/b&gt;" in response.text
    resource = html_get(client, "/resource", iri=company["iri"])
    assert_safe_page(resource)
    assert ESCAPED_SCRIPT in resource.text


def test_search_and_lists_escape_markup_from_the_data(client: httpx.Client) -> None:
    for path, params in (
        ("/search", {"q": "evil"}),
        ("/communications", {}),
        ("/query", {"canned": "communications-by-company", "company": "evil", "run": "1"}),
    ):
        response = html_get(client, path, **params)
        assert_safe_page(response)
        assert ESCAPED_SCRIPT in response.text, path


def test_the_paths_page_escapes_markup_from_the_data(client: httpx.Client) -> None:
    response = html_get(client, "/explore-paths", source="Evil", to_type="Allegation", inferred="1")
    assert_safe_page(response)
    assert ESCAPED_SCRIPT in response.text
    typed = html_get(client, "/explore-paths", source=RAW_SCRIPT, to_type="Allegation")
    assert_safe_page(typed)


@pytest.mark.parametrize("path", ["/", "/queries", "/ontology", "/sparql", "/explore-paths"])
def test_other_pages_send_the_security_headers_and_no_inline_script(client: httpx.Client, path: str) -> None:
    assert_safe_page(html_get(client, path))


def test_json_and_rdf_answers_carry_markup_as_data_not_as_html(client: httpx.Client) -> None:
    """A program's view of the same entity: the markup is a string value, with no HTML media type."""
    hits = client.get("/api/search", params={"q": "evil"}).json()
    assert any(hit["label"] == HOSTILE_COMPANY for hit in hits)
    company = next(hit for hit in hits if hit["label"] == HOSTILE_COMPANY)
    for accept in ("application/ld+json", "text/turtle"):
        response = client.get(company["url"], headers={"accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(accept)
        assert response.headers["x-content-type-options"] == "nosniff"
