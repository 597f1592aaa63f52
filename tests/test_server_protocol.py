"""The SPARQL protocol over HTTP against the real server process: methods, formats, negotiation,
refusals, limits, time-outs, CORS and security headers."""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import socket
import threading
import time
import xml.etree.ElementTree as ET
from urllib.parse import quote, urlsplit

import httpx
import pytest
from rdflib import Graph

pytest_plugins = ["server_fixture"]

KG = "https://w3id.org/kg-spcomm/ontology#"
SELECT = (
    f"SELECT ?reference WHERE {{ ?c <{KG}reference> ?reference ; <{KG}addressedTo> ?to }} ORDER BY ?reference"
)
ASK = f"ASK {{ ?c a <{KG}Company> }}"
CONSTRUCT = f"CONSTRUCT {{ ?c <{KG}reference> ?r }} WHERE {{ ?c <{KG}reference> ?r ; <{KG}addressedTo> ?to }}"
DESCRIBE = "DESCRIBE <https://w3id.org/kg-spcomm/data/company/li-ning-company-limited>"
REFERENCES = ["AL CHN 18/2020", "AL OTH 70/2020", "OL OTH 17/2019", "UA GBR 3/2019", "UA SYR 3/2014"]
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


@pytest.fixture(scope="module")
def client(kg_server):
    with httpx.Client(base_url=kg_server, timeout=30.0) as http:
        yield http


def raw_get(base, path):
    """GET with the standard library: httpx refuses to send a URL over 64 KB, a server must cope."""
    url = urlsplit(base)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def send(client, method, query, accept=None, **params):
    headers = {"accept": accept} if accept else {}
    if method == "get":
        return client.get("/sparql", params={"query": query, **params}, headers=headers)
    if method == "form":
        return client.post("/sparql", data={"query": query, **params}, headers=headers)
    headers["content-type"] = "application/sparql-query"
    return client.post("/sparql", params=params, content=query.encode(), headers=headers)


def media(response):
    return response.headers["content-type"].split(";")[0].strip()


def assert_error(response, status, code=None):
    assert response.status_code == status, response.text
    assert media(response) == "application/json"
    body = response.json()["error"]
    assert body["status"] == status and body["message"]
    if code:
        assert body["code"] == code, body
    return body


# -- query forms by each method ----------------------------------------------------------------

METHODS = ["get", "form", "direct"]


@pytest.mark.parametrize("method", METHODS)
def test_select(client, method):
    response = send(client, method, SELECT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/sparql-results+json; charset=utf-8"
    rows = response.json()["results"]["bindings"]
    assert [r["reference"]["value"] for r in rows] == REFERENCES


@pytest.mark.parametrize("method", METHODS)
def test_ask(client, method):
    response = send(client, method, ASK)
    assert response.status_code == 200
    assert response.json()["boolean"] is True


@pytest.mark.parametrize("method", METHODS)
def test_construct(client, method):
    response = send(client, method, CONSTRUCT)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/turtle; charset=utf-8"
    graph = Graph().parse(data=response.text, format="turtle")
    assert sorted(str(o) for o in graph.objects()) == REFERENCES


@pytest.mark.parametrize("method", METHODS)
def test_describe(client, method):
    response = send(client, method, DESCRIBE)
    assert response.status_code == 200
    graph = Graph().parse(data=response.text, format="turtle")
    assert "Li-Ning Company Limited" in {str(o) for o in graph.objects()}


# -- every result format -----------------------------------------------------------------------


def test_select_as_sparql_xml(client):
    response = send(client, "get", SELECT, "application/sparql-results+xml")
    assert response.headers["content-type"] == "application/sparql-results+xml; charset=utf-8"
    ns = {"r": "http://www.w3.org/2005/sparql-results#"}
    values = [e.text for e in ET.fromstring(response.content).findall(".//r:literal", ns)]
    assert values == REFERENCES


def test_select_as_csv(client):
    response = send(client, "get", SELECT, "text/csv")
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["reference"] for r in rows] == REFERENCES


def test_select_as_tsv(client):
    response = send(client, "get", SELECT, "text/tab-separated-values")
    assert response.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    lines = response.text.splitlines()
    assert lines[0] == "?reference"
    assert lines[1:] == [f'"{r}"' for r in REFERENCES]


def test_ask_as_xml(client):
    response = send(client, "get", ASK, "application/sparql-results+xml")
    assert b"<boolean>true</boolean>" in response.content


@pytest.mark.parametrize(
    ("accept", "rdflib_format"),
    [
        ("text/turtle", "turtle"),
        ("application/n-triples", "nt"),
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
    ],
)
@pytest.mark.parametrize("query", [CONSTRUCT, DESCRIBE])
def test_graph_formats(client, query, accept, rdflib_format):
    response = send(client, "get", query, accept)
    assert response.status_code == 200
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    graph = Graph().parse(data=response.text, format=rdflib_format)
    assert len(graph) >= (5 if query == CONSTRUCT else 3)


# -- negotiation over HTTP ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        (SELECT, None, "application/sparql-results+json"),
        (CONSTRUCT, None, "text/turtle"),
        (SELECT, "text/csv;q=0.5, application/sparql-results+xml;q=0.9", "application/sparql-results+xml"),
        (SELECT, "application/sparql-results+json;q=0, */*", "application/sparql-results+xml"),
        (SELECT, "*/*", "application/sparql-results+json"),
        (SELECT, "text/*", "text/csv"),
        (CONSTRUCT, "text/*", "text/turtle"),
        (SELECT, "application/json", "application/sparql-results+json"),
        (CONSTRUCT, "application/json", "application/ld+json"),
        (CONSTRUCT, "text/plain", "application/n-triples"),
    ],
)
def test_accept_cases(client, query, accept, expected):
    response = send(client, "get", query, accept)
    assert response.status_code == 200, response.text
    assert media(response) == expected
    assert "accept" in response.headers["vary"].lower()


def test_format_parameter_overrides_accept(client):
    response = send(client, "get", SELECT, "application/sparql-results+json", format="tsv")
    assert media(response) == "text/tab-separated-values"
    response = send(client, "form", CONSTRUCT, "text/turtle", format="ntriples")
    assert media(response) == "application/n-triples"


def test_406_lists_the_formats_on_offer(client):
    body = assert_error(send(client, "get", SELECT, "image/png"), 406, "not_acceptable")
    for offered in ("application/sparql-results+json", "application/sparql-results+xml", "text/csv"):
        assert offered in body["message"]
    body = assert_error(send(client, "get", CONSTRUCT, "text/csv"), 406)
    offered = body["message"].split("available as:")[1]
    assert "text/turtle" in offered and "text/csv" not in offered
    assert_error(send(client, "get", SELECT, format="turtle"), 406)
    assert_error(send(client, "get", SELECT, format="excel"), 400, "unknown_format")


@pytest.mark.parametrize("method", METHODS)
def test_parameters_are_decoded_exactly_once(client, method):
    response = send(client, method, 'SELECT ?x WHERE { BIND ("50%25 off + more" AS ?x) }')
    assert response.json()["results"]["bindings"][0]["x"]["value"] == "50%25 off + more"


# -- the dataset -------------------------------------------------------------------------------


def test_default_graph_uri_restricts_the_default_graph(client):
    graph = "https://w3id.org/kg-spcomm/data/graph/ua-gbr-3-2019"
    response = send(client, "get", SELECT, **{"default-graph-uri": graph})
    assert [r["reference"]["value"] for r in response.json()["results"]["bindings"]] == ["UA GBR 3/2019"]


def test_from_in_the_query_sets_the_default_graph(client):
    """Without protocol parameters the default graph is every graph, unless the query says FROM."""
    graph = "https://w3id.org/kg-spcomm/data/graph/ua-gbr-3-2019"
    response = send(client, "get", SELECT.replace("WHERE", f"FROM <{graph}> WHERE"))
    assert [r["reference"]["value"] for r in response.json()["results"]["bindings"]] == ["UA GBR 3/2019"]
    nothing = send(client, "get", SELECT.replace("WHERE", "FROM <http://example.org/no-such-graph> WHERE"))
    assert nothing.json()["results"]["bindings"] == []
    named = f"SELECT DISTINCT ?g FROM NAMED <{graph}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}"
    assert [r["g"]["value"] for r in send(client, "get", named).json()["results"]["bindings"]] == [graph]


def test_named_graph_uri_sets_the_named_graphs(client):
    graph = "https://w3id.org/kg-spcomm/data/graph/al-oth-70-2020"
    query = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s <{KG}reference> ?r }} }}"
    response = send(client, "direct", query, **{"named-graph-uri": graph})
    assert [r["g"]["value"] for r in response.json()["results"]["bindings"]] == [graph]


def test_bad_graph_uri_is_400(client):
    assert_error(send(client, "get", SELECT, **{"default-graph-uri": "not an iri"}), 400, "invalid_parameter")


# -- refusals and errors -----------------------------------------------------------------------


def test_malformed_query_is_400_with_the_position(client):
    body = assert_error(send(client, "get", "SELECT * WHERE { ?s ?p }"), 400, "query_syntax")
    assert re.search(r"\b1:\d+\b", body["message"]), body["message"]


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"content": b"CLEAR ALL", "headers": {"content-type": "application/sparql-update"}},
        {"data": {"update": "INSERT DATA { <http://a> <http://b> <http://c> }"}},
        {"data": {"query": "INSERT DATA { <http://a> <http://b> <http://c> }"}},
        {"data": {"query": "LOAD <http://example.org/data.ttl>"}},
    ],
)
def test_updates_are_refused_as_read_only(client, request_kwargs):
    body = assert_error(client.post("/sparql", **request_kwargs), 403, "read_only")
    assert "read-only" in body["message"]


def test_update_by_get_is_refused(client):
    assert_error(client.get("/sparql", params={"update": "CLEAR ALL"}), 403, "read_only")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
        "SELECT * WHERE { service silent <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ],
)
def test_service_is_refused_before_evaluation(client, query):
    body = assert_error(send(client, "form", query), 403, "service_refused")
    assert body["setting"] == "KG_SERVICE_ALLOWLIST"


def test_two_queries_are_400(client):
    response = client.get("/sparql?query=ASK%20%7B%7D&query=SELECT%20%2A%20%7B%7D")
    assert_error(response, 400, "multiple_queries")
    response = client.post(
        "/sparql",
        params={"query": "ASK {}"},
        content=b"ASK {}",
        headers={"content-type": "application/sparql-query"},
    )
    assert_error(response, 400, "multiple_queries")


@pytest.mark.parametrize(
    "headers",
    [{}, {"content-type": "text/plain"}, {"content-type": "application/sparql-query; charset=UTF-16"}],
)
def test_wrong_content_type_is_415(client, headers):
    assert_error(client.post("/sparql", content=b"ASK {}", headers=headers), 415, "unsupported_media_type")


def test_deep_nesting_is_refused(client):
    query = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000
    body = assert_error(send(client, "form", query), 400, "query_too_deep")
    assert body["setting"] == "KG_MAX_QUERY_DEPTH"
    assert send(client, "get", ASK).status_code == 200  # and the server is still there


def test_a_one_megabyte_query_is_refused(client, kg_server):
    query = "SELECT * WHERE { ?s ?p ?o } #" + "x" * 1_000_000
    body = assert_error(send(client, "direct", query), 413, "payload_too_large")
    assert body["setting"] == "KG_MAX_REQUEST_BYTES"
    status, payload = raw_get(kg_server, "/sparql?query=" + quote(query))
    assert status == 414
    assert payload["error"]["code"] == "uri_too_long"
    assert payload["error"]["setting"] == "KG_MAX_REQUEST_BYTES"


def test_oversize_body_is_refused_before_it_is_read(kg_server):
    """Declare 50 MB and send none of it: the answer must come without the body being read."""
    url = urlsplit(kg_server)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            b"POST /sparql HTTP/1.1\r\nHost: test\r\nContent-Type: application/sparql-query\r\n"
            b"Content-Length: 50000000\r\n\r\n"
        )
        started = time.monotonic()
        received = b""
        while b"}}" not in received and time.monotonic() - started < 5:
            chunk = sock.recv(65536)
            if not chunk:
                break
            received += chunk
    head = received.decode("latin-1")
    assert head.startswith("HTTP/1.1 413"), head
    assert time.monotonic() - started < 5
    assert '"payload_too_large"' in head and "KG_MAX_REQUEST_BYTES" in head


def test_chunked_oversize_body_is_refused_while_streaming(client):
    def chunks():
        for _ in range(40):
            yield b"#" * 50_000  # 2 MB in all, no Content-Length

    response = client.post("/sparql", content=chunks(), headers={"content-type": "application/sparql-query"})
    assert_error(response, 413, "payload_too_large")


def test_long_property_paths_are_refused(client):
    path = "/".join(["<http://example.org/p>"] * 500)
    query = f"SELECT * WHERE {{ ?s {path} ?o }}"
    body = assert_error(send(client, "form", query), 400, "path_too_long")
    assert body["setting"] == "KG_MAX_PATH_STEPS"


def test_results_are_capped_with_a_header(client):
    response = send(client, "get", "SELECT * WHERE { ?s ?p ?o }")
    assert response.status_code == 200
    assert response.headers["kg-results-truncated"] == "10000"
    assert len(response.json()["results"]["bindings"]) == 10000


# -- service description and VoID -----------------------------------------------------------------


def test_get_without_query_is_the_service_description(client, kg_server):
    response = client.get("/sparql")
    assert response.status_code == 200 and media(response) == "text/turtle"
    graph = Graph().parse(data=response.text, format="turtle")
    sd = "http://www.w3.org/ns/sparql-service-description#"
    turtle = graph.serialize(format="nt")
    assert f"<{kg_server}/sparql> <{sd}endpoint> <{kg_server}/sparql>" in turtle
    assert f"<{sd}supportedLanguage> <{sd}SPARQL11Query>" in turtle
    assert "SPARQL_Results_JSON" in turtle and f"<{sd}defaultDataset>" in turtle
    assert ".well-known/void" in turtle
    response = client.get("/sparql", headers={"accept": "application/ld+json"})
    assert media(response) == "application/ld+json"


def test_a_browser_at_the_endpoint_gets_the_query_page(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/sparql", headers={"accept": browser})
    assert response.status_code == 200
    assert media(response) in ("text/html", "application/rdf+xml")  # the explorer's page where installed


def test_void_counts_classes_and_properties_from_the_data(client, kg_server):
    response = client.get("/.well-known/void")
    assert response.status_code == 200 and media(response) == "text/turtle"
    graph = Graph().parse(data=response.text, format="turtle")
    rows = graph.query(
        """PREFIX void: <http://rdfs.org/ns/void#>
        SELECT ?triples ?endpoint ?count WHERE {
          ?d a void:Dataset ; void:triples ?triples ; void:sparqlEndpoint ?endpoint ;
             void:classPartition [ void:class <https://w3id.org/kg-spcomm/ontology#Communication> ;
                                   void:entities ?count ] .
          ?d void:propertyPartition [ void:property <https://w3id.org/kg-spcomm/ontology#reference> ;
                                      void:triples ?refs ] .
        }"""
    )
    [(triples, endpoint, count)] = list(rows)
    assert int(triples) > 10_000
    assert str(endpoint) == f"{kg_server}/sparql"
    counted = send(client, "get", f"SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE {{ ?c a <{KG}Communication> }}")
    assert int(count) == int(counted.json()["results"]["bindings"][0]["n"]["value"]) >= 5


# -- time-outs: a second server with a small limit -----------------------------------------------


def test_a_slow_query_is_stopped_with_503_while_others_are_served(sample_data_copy, kg_server_launcher):
    with kg_server_launcher(sample_data_copy, "--query-timeout", "0.5", "--workers", "2") as base:
        outcome: dict[str, object] = {}

        def slow() -> None:
            started = time.monotonic()
            outcome["response"] = httpx.post(base + "/sparql", data={"query": SLOW}, timeout=30)
            outcome["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=slow)
        thread.start()
        time.sleep(0.1)
        quick = httpx.get(base + "/sparql", params={"query": ASK}, timeout=10)
        assert quick.status_code == 200 and quick.json()["boolean"] is True
        assert thread.is_alive(), "the slow query finished before the quick one was answered"
        thread.join(timeout=30)
        assert not thread.is_alive(), "the slow query was not stopped within 30 s"
        response = outcome["response"]
        assert isinstance(response, httpx.Response)
        body = assert_error(response, 503, "query_timeout")
        assert body["setting"] == "KG_QUERY_TIMEOUT" and "0.5 s" in body["message"]
        assert outcome["seconds"] < 5
        after = httpx.get(base + "/sparql", params={"query": ASK}, timeout=10)
        assert after.status_code == 200


# -- CORS and security headers --------------------------------------------------------------------


def test_cors_allows_any_origin_without_credentials(client):
    response = client.get("/sparql", params={"query": ASK}, headers={"origin": "https://example.org"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in response.headers
    assert "kg-results-truncated" in response.headers["access-control-expose-headers"].lower()
    preflight = client.options(
        "/sparql",
        headers={
            "origin": "https://example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type",
        },
    )
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["access-control-allow-methods"]


def test_cors_origins_are_configurable(sample_data_copy, kg_server_launcher):
    env = {"KG_CORS_ORIGINS": "https://allowed.example"}
    with kg_server_launcher(sample_data_copy, env=env) as base:
        query = {"query": ASK}
        allowed = httpx.get(f"{base}/sparql", params=query, headers={"origin": "https://allowed.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://allowed.example"
        other = httpx.get(f"{base}/sparql", params=query, headers={"origin": "https://other.example"})
        assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/sparql?query=ASK%20%7B%7D"),
        ("GET", "/no/such/page"),
        ("PUT", "/sparql"),
        ("GET", "/queries"),
    ],
)
def test_security_headers_on_every_response(client, method, path):
    response = client.request(method, path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    csp = response.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert response.headers["referrer-policy"]


def test_openapi_describes_the_routes(client):
    schema = client.get("/openapi.json").json()
    for path in ("/sparql", "/queries", "/queries/{name}", "/.well-known/void", "/ontology"):
        assert path in schema["paths"], path
    sparql = schema["paths"]["/sparql"]
    assert {"get", "post"} <= set(sparql)
    assert "application/sparql-query" in sparql["post"]["requestBody"]["content"]
    assert "text/csv" in sparql["get"]["responses"]["200"]["content"]
    assert "503" in sparql["post"]["responses"]
    assert json.dumps(schema)  # serialisable as served
