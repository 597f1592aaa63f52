"""kg link against a real SPARQL endpoint: the Oxigraph server, on 127.0.0.1, loaded with a fixture.

No test touches the internet: the endpoint is a local Oxigraph server holding
tests/fixtures/wikidata-fixture.ttl (Wikidata's RDF model, fictional Q-ids), and the
retry tests talk to a stub HTTP server in this process.
"""

from __future__ import annotations

import gc
import http.server
import json
import shutil
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from typer.testing import CliRunner

from kg.cli import app
from kg.linking import EXTERNAL_GRAPH, LINKS_GRAPH, EndpointError, SparqlClient, read_decisions
from kg.linking.client import USER_AGENT, CacheMiss
from kg.linking.reconcile import WDT, validate_external
from kg.linking.scoring import core_name, score_candidate
from kg.store import EmbeddedStore
from support import build_sample_store, free_port

FIXTURE = Path(__file__).parent / "fixtures" / "wikidata-fixture.ttl"
WD = "http://www.wikidata.org/entity/"
DATA = "https://w3id.org/kg-spcomm/data/"
VOCAB = "https://w3id.org/kg-spcomm/vocab/"
LINING = DATA + "company/li-ning-company-limited"
BLACKSTONE = DATA + "company/blackstone-group-l-p"
CHINA = VOCAB + "country/CHN"
# The right item for each entity the fixture has one for: what precision is measured against.
TRUTH = {
    LINING: WD + "Q900001",
    BLACKSTONE: WD + "Q900010",
    CHINA: WD + "Q148",
    VOCAB + "country/GBR": WD + "Q145",
    VOCAB + "mandate/sr-food": WD + "Q900020",
    VOCAB + "instrument/crc": WD + "Q900030",
}

runner = CliRunner()


@dataclass(frozen=True)
class Run:
    exit_code: int
    output: str


def kg(*args: str) -> Run:
    """Run the CLI in-process; only its code and output are kept, so the store it opened is released
    (an exit by exception would otherwise keep the store alive in the traceback)."""
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return Run(result.exit_code, result.output)


def _oxigraph() -> str:
    beside = Path(sys.executable).with_name("oxigraph")  # the one installed with this Python first
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if found is None:
        pytest.skip("the Oxigraph server (pip install oxigraph) is not installed")
    return found


@pytest.fixture(scope="module")
def fixture_db(tmp_path_factory) -> Path:
    location = tmp_path_factory.mktemp("wikidata") / "db"
    subprocess.run(
        [_oxigraph(), "load", "--location", str(location), "--file", str(FIXTURE)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return location


class Endpoint:
    """One `oxigraph serve-read-only` process on a free port of 127.0.0.1."""

    def __init__(self, location: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/query"
        self.process = subprocess.Popen(
            [_oxigraph(), "serve-read-only", "--location", str(location), "--bind", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        ask = self.url + "?query=ASK%7B%7D"
        while True:
            try:
                with urllib.request.urlopen(ask, timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the Oxigraph server did not start") from None
                time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture(scope="module")
def endpoint(fixture_db) -> Iterator[Endpoint]:
    server = Endpoint(fixture_db)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory) -> Path:
    return build_sample_store(tmp_path_factory.mktemp("link-sample"))


@pytest.fixture
def data_dir(sample_db, tmp_path) -> Path:
    """A copy of the sample store for one test: link writes into it."""
    target = tmp_path / "db"
    shutil.copytree(sample_db, target)
    return target


def _open(data_dir: Path) -> EmbeddedStore:
    gc.collect()  # the CLI's store must be released before the test opens the folder
    return EmbeddedStore(data_dir / "store")


def _graph(store: EmbeddedStore, graph_iri: str) -> Graph:
    graph = Graph()
    for q in store.graph_triples(graph_iri):
        obj = q.object
        term = URIRef(obj.value) if type(obj).__name__ == "NamedNode" else Literal(obj.value)
        graph.add((URIRef(q.subject.value), URIRef(q.predicate.value), term))
    return graph


def _precision(store: EmbeddedStore) -> tuple[float, int]:
    accepted = [d for d in read_decisions(store) if d.status == "accepted" and d.method == "rule"]
    correct = sum(1 for d in accepted if TRUTH.get(d.local) == d.item)
    return (correct / len(accepted) if accepted else 1.0), len(accepted)


# -- the run against a real endpoint ------------------------------------------------------------


def test_link_matches_companies_states_and_vocabularies(endpoint, data_dir):
    result = kg("link", "--endpoint", endpoint.url, "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    assert "linked by rule" in result.output
    store = _open(data_dir)
    links = _graph(store, LINKS_GRAPH)
    skos_match = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")
    same_as = URIRef("http://www.w3.org/2002/07/owl#sameAs")
    assert (URIRef(LINING), skos_match, URIRef(WD + "Q900001")) in links
    assert (URIRef(CHINA), same_as, URIRef(WD + "Q148")) in links
    decisions = {(d.local, d.item): d for d in read_decisions(store)}
    lining = decisions[LINING, WD + "Q900001"]
    assert lining.status == "accepted" and lining.method == "rule"
    assert lining.score is not None and lining.score >= 0.9
    assert lining.endpoint == endpoint.url
    assert "ISO 3166-1 alpha-3 CHN" in decisions[CHINA, WD + "Q148"].basis
    # near-misses wait for review: a person called Li Ning, a river called Blackstone, a film
    assert decisions[LINING, WD + "Q900002"].status == "review"
    assert decisions[BLACKSTONE, WD + "Q900010"].status == "review"
    assert decisions[BLACKSTONE, WD + "Q900011"].status == "review"
    assert decisions[VOCAB + "instrument/udhr", WD + "Q900031"].status == "review"
    # the item's facts live in the external graph, and in no document graph
    external = _graph(store, EXTERNAL_GRAPH)
    item = URIRef(WD + "Q900001")
    assert (item, WDT.P1278, Literal("9845001LINING0000F47")) in external
    assert (item, WDT.P856, URIRef("https://www.lining.example/")) in external
    assert (item, WDT.P1320, Literal("hk/0000001")) in external
    leaked = store.query(f"ASK {{ GRAPH ?g {{ ?s <{WDT.P1278}> ?o }} FILTER(?g != <{EXTERNAL_GRAPH}>) }}")
    assert not bool(leaked)
    precision, accepted = _precision(store)
    print(f"\nreconciliation precision on the fixture: {precision:.2f} ({accepted} accepted by rule)")
    assert precision == 1.0 and accepted == 5


def test_review_accept_and_reject_by_hand_survive_a_rerun(endpoint, data_dir):
    assert kg("link", "--endpoint", endpoint.url, "--data-dir", str(data_dir)).exit_code == 0
    review = kg("link", "--review", "--data-dir", str(data_dir))
    assert review.exit_code == 0
    assert BLACKSTONE in review.output and WD + "Q900010" in review.output
    assert kg("link", "accept", BLACKSTONE, "Q900010", "--data-dir", str(data_dir)).exit_code == 0
    assert kg("link", "reject", LINING, "wd:Q900001", "--data-dir", str(data_dir)).exit_code == 0
    rerun = kg("link", "--endpoint", endpoint.url, "--data-dir", str(data_dir))
    # the Blackstone item's LEI has wrong check digits: reported, exit code 1
    assert rerun.exit_code == 1
    assert "9845002BLACKSTONE011" in rerun.output and "check digits" in rerun.output
    store = _open(data_dir)
    decisions = {(d.local, d.item): d for d in read_decisions(store)}
    blackstone = decisions[BLACKSTONE, WD + "Q900010"]
    assert (blackstone.status, blackstone.method) == ("accepted", "hand")
    assert (BLACKSTONE, WD + "Q900011") not in decisions  # rule proposals end with a hand accept
    lining = decisions[LINING, WD + "Q900001"]
    assert (lining.status, lining.method) == ("rejected", "hand")
    links = _graph(store, LINKS_GRAPH)
    skos_match = URIRef("http://www.w3.org/2004/02/skos/core#exactMatch")
    assert (URIRef(BLACKSTONE), skos_match, URIRef(WD + "Q900010")) in links
    assert (URIRef(LINING), skos_match, URIRef(WD + "Q900001")) not in links
    external = _graph(store, EXTERNAL_GRAPH)
    assert (URIRef(WD + "Q900010"), WDT.P1278, Literal("9845002BLACKSTONE011")) in external
    assert not list(external.triples((URIRef(WD + "Q900001"), None, None)))
    # The links' inferences follow each decision: the item leads back to the company, and a
    # rejected link leaves nothing behind.
    inferred = _graph(store, LINKS_GRAPH + "/inferred")
    assert (URIRef(WD + "Q900010"), skos_match, URIRef(BLACKSTONE)) in inferred
    assert (URIRef(WD + "Q900001"), skos_match, URIRef(LINING)) not in inferred


def test_endpoint_comes_from_the_environment(endpoint, data_dir, monkeypatch):
    monkeypatch.setenv("KG_LINK_ENDPOINT", endpoint.url)
    result = kg("link", "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    store = _open(data_dir)
    assert {d.endpoint for d in read_decisions(store)} == {endpoint.url}


def test_hand_decisions_need_a_known_entity_and_an_item(data_dir):
    unknown = kg("link", "accept", DATA + "company/nobody", "Q1", "--data-dir", str(data_dir))
    assert unknown.exit_code == 2 and "no entity" in unknown.output
    bad_item = kg("link", "accept", LINING, "Li-Ning", "--data-dir", str(data_dir))
    assert bad_item.exit_code == 2 and "Q-id" in bad_item.output


def test_offline_uses_only_the_cache(fixture_db, data_dir):
    server = Endpoint(fixture_db)
    try:
        assert kg("link", "--endpoint", server.url, "--data-dir", str(data_dir)).exit_code == 0
    finally:
        server.stop()
    offline = kg("link", "--endpoint", server.url, "--offline", "--data-dir", str(data_dir))
    assert offline.exit_code == 0, offline.output
    assert "0 request(s)" in offline.output
    store = _open(data_dir)
    assert any(d.local == LINING and d.status == "accepted" for d in read_decisions(store))
    del store
    shutil.rmtree(data_dir / "link-cache")
    missed = kg("link", "--endpoint", server.url, "--offline", "--data-dir", str(data_dir))
    assert missed.exit_code == 1 and "not in the cache" in missed.output
    store = _open(data_dir)  # a miss keeps the previous decisions and facts
    assert any(d.local == LINING and d.status == "accepted" for d in read_decisions(store))
    assert (URIRef(WD + "Q900001"), WDT.P1278, Literal("9845001LINING0000F47")) in _graph(
        store, EXTERNAL_GRAPH
    )


# -- retries against a stub server --------------------------------------------------------------

ANSWER = {"head": {"vars": ["x"]}, "results": {"bindings": [{"x": {"type": "literal", "value": "ok"}}]}}


class Stub:
    """A local HTTP server that answers with the statuses given, then with ANSWER."""

    def __init__(self, statuses: list[tuple[int, str | None]]) -> None:
        self.statuses = list(statuses)
        self.agents: list[str] = []
        stub = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                stub.agents.append(self.headers.get("User-Agent", ""))
                status, retry_after = stub.statuses.pop(0) if stub.statuses else (200, None)
                body = json.dumps(ANSWER).encode() if status == 200 else b"slow down"
                self.send_response(status)
                if retry_after is not None:
                    self.send_header("Retry-After", retry_after)
                content_type = "application/sparql-results+json" if status == 200 else "text/plain"
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_429_is_retried_after_retry_after_with_a_user_agent(tmp_path):
    stub = Stub([(429, "0")])
    try:
        client = SparqlClient(stub.url, cache_dir=tmp_path, backoff_s=5.0)
        started = time.monotonic()
        rows = client.select("SELECT ?x WHERE {}")
        assert rows == ANSWER["results"]["bindings"]
        assert time.monotonic() - started < 3  # Retry-After: 0 wins over the 5 s backoff
        assert client.requests == 2 and len(stub.agents) == 2
        assert all(agent == USER_AGENT for agent in stub.agents)
        assert USER_AGENT.startswith("kg/") and "(+http" in USER_AGENT
        again = SparqlClient(stub.url, cache_dir=tmp_path, offline=True)
        assert again.select("SELECT ?x WHERE {}") == rows and again.requests == 0
        with pytest.raises(CacheMiss):
            again.select("SELECT ?y WHERE {}")
        fresh = SparqlClient(stub.url, cache_dir=tmp_path, refresh=True)
        assert fresh.select("SELECT ?x WHERE {}") == rows and fresh.requests == 1
    finally:
        stub.close()


def test_retries_are_bounded_in_count_and_time():
    stub = Stub([(429, "0")] * 10)
    waits: list[float] = []
    try:
        client = SparqlClient(stub.url, max_attempts=3, sleep=waits.append)
        with pytest.raises(EndpointError, match="after 3 attempt"):
            client.select("SELECT ?x WHERE {}")
        assert len(stub.agents) == 3 and waits == [0.0, 0.0]
    finally:
        stub.close()
    stub = Stub([(503, None)] * 10)
    waits = []
    try:
        client = SparqlClient(stub.url, max_attempts=4, backoff_s=0.5, sleep=waits.append)
        with pytest.raises(EndpointError, match="HTTP 503"):
            client.select("SELECT ?x WHERE {}")
        assert waits == [0.5, 1.0, 2.0]  # exponential backoff without Retry-After
    finally:
        stub.close()
    stub = Stub([(429, "3600")])
    try:
        client = SparqlClient(stub.url, max_wait_s=60, sleep=waits.append)
        with pytest.raises(EndpointError, match="more than the 60 s allowed"):
            client.select("SELECT ?x WHERE {}")
        assert len(stub.agents) == 1  # a server asking for an hour is not waited for
    finally:
        stub.close()


# -- scoring and validation ------------------------------------------------------------------------


def test_score_formula():
    company = frozenset({WD + "Q4830453"})
    exact = score_candidate(
        "Li-Ning Company Limited",
        label="Li-Ning Company Limited",
        aliases=[],
        types=set(),
        expected_types=company,
    )
    assert exact.value == 1.0 and exact.method == "label"
    alias = score_candidate(
        "Li Ning Company", label="X", aliases=["li-ning company"], types=set(), expected_types=company
    )
    assert alias.value == 0.95 and alias.method == "alias"
    fuzzy = score_candidate(
        "Li-Ning Co., Ltd.",
        label="Li-Ning Company Limited",
        aliases=[],
        types={WD + "Q4830453"},
        expected_types=company,
        country="CHN",
        item_countries={"CHN"},
    )
    assert fuzzy.method == "fuzzy" and fuzzy.value == pytest.approx(0.9)
    person = score_candidate(
        "Li-Ning Company Limited", label="Li Ning", aliases=[], types={WD + "Q5"}, expected_types=company
    )
    assert person.value == pytest.approx(0.5)
    abroad = score_candidate(
        "Acme",
        label="Acme",
        aliases=[],
        types=set(),
        expected_types=company,
        country="ZMB",
        item_countries={"USA"},
    )
    assert abroad.value == pytest.approx(0.8)
    assert core_name("Blackstone Group L.P.") == "Blackstone"
    assert core_name("Li-Ning Company Limited") == "Li-Ning"


def test_lei_check_digits_and_opencorporates_pattern_are_validated():
    item = URIRef(WD + "Q1")
    good = Graph()
    good.add((item, WDT.P1278, Literal("9845001LINING0000F47")))
    good.add((item, WDT.P1320, Literal("us_de/2335678")))
    assert validate_external(good) == []
    bad = Graph()
    bad.add((item, WDT.P1278, Literal("9845001LINING0000F48")))  # right form, wrong check digits
    bad.add((URIRef(WD + "Q2"), WDT.P1278, Literal("lei-1")))
    bad.add((item, WDT.P1320, Literal("Delaware 2335678")))
    issues = "\n".join(validate_external(bad))
    assert "9845001LINING0000F48 has wrong check digits" in issues
    assert "lei-1" in issues and "Delaware 2335678" in issues


def test_retry_after_reads_seconds_and_http_dates():
    from email.utils import formatdate

    from kg.linking.client import _retry_after

    assert _retry_after("7") == 7.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    later = _retry_after(formatdate(time.time() + 30, usegmt=True))
    assert later is not None and 25 <= later <= 31
    assert _retry_after(formatdate(time.time() - 30, usegmt=True)) == 0.0


def test_an_endpoint_that_knows_nothing_leaves_no_links(data_dir):
    stub = Stub([])
    try:
        result = kg("link", "--endpoint", stub.url, "--data-dir", str(data_dir))
    finally:
        stub.close()
    assert result.exit_code == 0, result.output
    assert "0 linked by rule, 0 to review" in result.output
    store = _open(data_dir)
    assert read_decisions(store) == []
    assert not store.has_graph(EXTERNAL_GRAPH)
