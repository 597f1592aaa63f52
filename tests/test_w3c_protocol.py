"""The W3C SPARQL 1.1 Protocol tests, replayed over HTTP against a real kg server.

A small runner: it reads ../shared/w3c/sparql11-protocol/manifest.ttl, loads data1.nt..data3.nt
as the named graphs the tests expect (http://kasei.us/2009/09/sparql/data/dataN.rdf), and
replays each ht:Request. Query tests must answer 2xx with the expected format (and boolean);
kg's endpoint is read-only, so update tests must get a 4xx on their update request; negative
tests must get a 4xx.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.collection import Collection

pytest_plugins = ["server_fixture"]

SUITE = Path(__file__).resolve().parent.parent.parent / "shared" / "w3c" / "sparql11-protocol"
MANIFEST = SUITE / "manifest.ttl"
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = Namespace("http://www.w3.org/2011/http#")
CNT = Namespace("http://www.w3.org/2011/content#")
HTS = Namespace("http://www.w3.org/2011/http-statusCodes#")
DATA_GRAPH = "http://kasei.us/2009/09/sparql/data/{name}.rdf"
RESULT_TYPES = {
    "tabular": {
        "application/sparql-results+json",
        "application/sparql-results+xml",
        "text/csv",
        "text/tab-separated-values",
    },
    "boolean": {"application/sparql-results+json", "application/sparql-results+xml"},
    "RDF": {"text/turtle", "application/n-triples", "application/rdf+xml", "application/ld+json"},
}

pytestmark = pytest.mark.skipif(
    not MANIFEST.is_file(), reason=f"the W3C protocol tests are not at {SUITE} (they come with ../shared)"
)


@dataclass
class ProtocolRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    statuses: set[str]
    format: str | None
    boolean: bool | None


@dataclass
class ProtocolTest:
    name: str
    title: str
    requests: list[ProtocolRequest] = field(default_factory=list)

    @property
    def kind(self) -> str:
        if self.name.startswith("bad_"):
            return "negative"
        return "update" if self.name.startswith("update_") else "query"


def _read_manifest() -> list[ProtocolTest]:
    graph = Graph().parse(MANIFEST, format="turtle")
    manifest = next(graph.subjects(RDF.type, MF.Manifest))
    entries = Collection(graph, graph.value(manifest, MF.entries))
    tests = []
    for entry in entries:
        assert isinstance(entry, URIRef)
        test = ProtocolTest(str(entry).rsplit("#", 1)[1], str(graph.value(entry, MF.name)))
        action = graph.value(entry, MF.action)
        for node in Collection(graph, graph.value(action, HT.requests)):
            headers = {}
            header_list = graph.value(node, HT.headers)
            if header_list is not None:
                for header in Collection(graph, header_list):
                    headers[str(graph.value(header, HT.fieldName))] = str(graph.value(header, HT.fieldValue))
            body = graph.value(node, HT.body)
            response = graph.value(node, HT.resp)
            boolean = graph.value(response, MF.expectedBoolean)
            fmt = graph.value(response, MF.expectedFormat)
            test.requests.append(
                ProtocolRequest(
                    method=str(graph.value(node, HT.methodName)),
                    path=str(graph.value(node, HT.absolutePath)),
                    headers=headers,
                    body=str(graph.value(body, CNT.chars)) if body is not None else None,
                    statuses={str(s).rsplit("#", 1)[1] for s in graph.objects(response, MF.expectedStatus)},
                    format=str(fmt) if fmt is not None else None,
                    boolean=boolean.toPython() if boolean is not None else None,
                )
            )
        tests.append(test)
    return tests


TESTS = _read_manifest() if MANIFEST.is_file() else []
RESULTS: dict[str, str] = {}


@pytest.fixture(scope="module")
def endpoint(
    tmp_path_factory: pytest.TempPathFactory, kg_server_launcher: Callable[..., Any]
) -> Iterator[str]:
    """A kg server on a store holding the suite's three data files as named graphs."""
    import pyoxigraph as ox

    data_dir = tmp_path_factory.mktemp("w3c") / "db"
    (data_dir / "store").mkdir(parents=True)
    store = ox.Store(str(data_dir / "store"))
    for number in (1, 2, 3):
        name = f"data{number}"
        store.load(
            path=str(SUITE / f"{name}.nt"),
            format=ox.RdfFormat.N_TRIPLES,
            to_graph=ox.NamedNode(DATA_GRAPH.format(name=name)),
        )
    store.flush()
    del store
    with kg_server_launcher(data_dir) as base:
        yield base


def _media(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def _boolean(response: httpx.Response) -> bool:
    if _media(response) == "application/sparql-results+json":
        return bool(json.loads(response.content)["boolean"])
    node = ET.fromstring(response.content).find("{http://www.w3.org/2005/sparql-results#}boolean")
    assert node is not None, response.text
    return node.text == "true"


def _send(client: httpx.Client, request: ProtocolRequest) -> httpx.Response:
    # The manifest's paths start with /sparql/; kg's endpoint is /sparql (the manifest says to map it).
    path = request.path
    if path.startswith("/sparql/"):
        path = "/sparql" + path[len("/sparql/") :]
    content = request.body.encode("utf-8") if request.body is not None else None
    return client.request(request.method, path, headers=request.headers, content=content)


def _check(test: ProtocolTest, client: httpx.Client) -> None:
    if test.kind != "query":
        # Negative tests expect a 4xx; update tests expect 2xx from a writable store, and kg's
        # endpoint is read-only: the update request itself must be refused with a 4xx.
        response = _send(client, test.requests[0])
        assert 400 <= response.status_code < 500, f"{test.name}: {response.status_code} {response.text}"
        if test.kind == "update":
            assert response.json()["error"]["code"] == "read_only", response.text
        return
    for request in test.requests:
        response = _send(client, request)
        assert 200 <= response.status_code < 400, f"{test.name}: {response.status_code} {response.text}"
        if request.format is not None:
            assert _media(response) in RESULT_TYPES[request.format], f"{test.name}: {_media(response)}"
        if request.boolean is not None:
            assert _boolean(response) is request.boolean, f"{test.name}: {response.text}"


@pytest.mark.parametrize("test", TESTS, ids=[t.name for t in TESTS])
def test_protocol(endpoint: str, test: ProtocolTest) -> None:
    with httpx.Client(base_url=endpoint, timeout=30) as client:
        try:
            _check(test, client)
        except AssertionError:
            RESULTS[test.name] = f"FAIL ({test.kind})"
            raise
        RESULTS[test.name] = f"pass ({test.kind})"


def test_summary(capsys: pytest.CaptureFixture[str]) -> None:
    """Print the suite's outcome; every query test must have run and passed."""
    if not RESULTS:
        pytest.skip("the protocol tests did not run in this session")
    kinds = {t.name: t.kind for t in TESTS}
    lines = [f"W3C SPARQL 1.1 Protocol: {len(RESULTS)} of {len(TESTS)} tests run"]
    for kind in ("query", "update", "negative"):
        names = [n for n, k in kinds.items() if k == kind]
        passed = [n for n in names if RESULTS.get(n, "").startswith("pass")]
        lines.append(f"  {kind:<8} {len(passed)}/{len(names)} passed")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    query_tests = [n for n, k in kinds.items() if k == "query"]
    assert len(query_tests) >= 12
    assert all(RESULTS.get(n, "").startswith("pass") for n in query_tests), RESULTS
