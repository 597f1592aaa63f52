"""The same user journeys on every store kg serves from: the embedded one, an Oxigraph server, Virtuoso.

Each backend gets a fresh data folder, connected to its store as a user connects one (the
Oxigraph server by kg's connect check and store.json, Virtuoso by ``kg connect`` with the
password in KG_STORE_PASSWORD), the sample letters ingested with ``kg ingest``, and a real
``kg serve`` on it. Over HTTP every answer is compared with the reference server of the session
(``kg_server``: the same letters in the embedded store), so a store that drops a datatype,
a language tag or a row, or answers a canned query differently, fails here.

The Virtuoso journeys are marked ``virtuoso`` and need ``virtuoso-t`` (Debian's
virtuoso-opensource); .ci/run installs it and sets KG_REQUIRE_VIRTUOSO=1 so they cannot skip.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from rdflib import Graph
from rdflib.compare import to_isomorphic
from SPARQLWrapper import JSON, POST, SPARQLWrapper

from kg import resources
from support import connect_data_dir, oxigraph_server
from virtuoso_server import virtuoso_server

pytest_plugins = ["server_fixture"]

KG = "https://w3id.org/kg-spcomm/ontology#"
DATA = "https://w3id.org/kg-spcomm/data/"
COMPANY = DATA + "company/li-ning-company-limited"
REMOVED = "UA SYR 3/2014"
# The FILTER runs once per pair of the 1,500 x 1,500 values: about 2.5 s in Oxigraph on an idle machine,
# ten times the limit the test sets, and bounded, so a store that goes on after kg gave up soon stops too
# (Virtuoso's own limit in the tests is 10 s).
SLOW_QUERY = (
    "SELECT (COUNT(*) AS ?n) WHERE { { SELECT ?c WHERE { ?a ?b ?c } LIMIT 1500 } "
    "{ SELECT ?f WHERE { ?d ?e ?f } LIMIT 1500 } FILTER (STRLEN(STR(?c)) + STRLEN(STR(?f)) = 7) }"
)

BACKENDS = ["embedded", "oxigraph-server", pytest.param("virtuoso", marks=pytest.mark.virtuoso)]


@dataclass(frozen=True)
class Backend:
    name: str
    data_dir: Path
    env: dict[str, str]  # KG_* variables every kg command (and kg serve) on the folder gets
    url: str  # the kg server's base URL


def kg(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """A kg command as a user runs it, without the developer's own KG_* settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KG_")}
    return subprocess.run(
        [sys.executable, "-m", "kg.cli", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def _connect(name: str, folder: Path, data_dir: Path, stack: ExitStack) -> dict[str, str]:
    """Start the backend's store and connect the data folder to it; returns the environment kg needs."""
    if name == "oxigraph-server":
        base = stack.enter_context(oxigraph_server(folder / "oxigraph"))
        connect_data_dir(data_dir, base)
        return {}
    if name == "virtuoso":
        virtuoso = stack.enter_context(virtuoso_server(folder / "virtuoso"))
        env = {"KG_STORE_PASSWORD": virtuoso.password}
        done = kg(
            "connect",
            "--query-url",
            virtuoso.query_url,
            "--update-url",
            virtuoso.update_url,
            "--user",
            virtuoso.user,
            "--auth",
            "digest",
            "--data-dir",
            str(data_dir),
            env=env,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        stored = json.loads((data_dir / "store.json").read_text())
        assert stored["query_url"] == virtuoso.query_url
        assert stored["user"] == virtuoso.user and "password" not in stored  # the password stays in the env
        return env
    return {}


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    kg_server_launcher: Callable[..., AbstractContextManager[str]],
) -> Iterator[Backend]:
    name: str = request.param
    with ExitStack() as stack:
        folder = tmp_path_factory.mktemp(name)
        data_dir = folder / "data"
        env = _connect(name, folder, data_dir, stack)
        ingested = kg("ingest", str(resources.sample_dir()), "--data-dir", str(data_dir), env=env)
        assert ingested.returncode == 0, ingested.stdout + ingested.stderr
        url = stack.enter_context(kg_server_launcher(data_dir, env=env))
        yield Backend(name, data_dir, env, url)


# -- comparing answers -------------------------------------------------------------------------


def _term(term: dict[str, Any], joined: bool) -> tuple[str, ...]:
    """A result term as a comparable tuple; blank nodes by kind only (each store labels its own).

    ``joined`` marks a GROUP_CONCAT column, where engines differ in what SPARQL leaves open: the
    order of the parts, whether parts that share a language tag keep it (Oxigraph keeps it,
    Virtuoso does not), and nothing joined ("" or unbound). Those compare by their parts, sorted.
    """
    kind = term["type"]
    if kind == "bnode":
        return ("bnode",)
    if kind == "uri":
        return ("uri", term["value"])
    if joined:
        return ("joined", *sorted(re.split(r"; |, ", term["value"])))
    return ("literal", term["value"], term.get("datatype", ""), term.get("xml:lang", ""))


def _rows(body: dict[str, Any], joined: set[str] | None = None) -> Counter[tuple[Any, ...]]:
    """Rows as a multiset; an empty GROUP_CONCAT counts as unbound (Virtuoso gives "", Oxigraph nothing)."""
    joined = joined or set()
    return Counter(
        tuple(
            sorted(
                (name, _term(term, name in joined))
                for name, term in row.items()
                if not (name in joined and term.get("value") == "")
            )
        )
        for row in body["results"]["bindings"]
    )


def _only(body: dict[str, Any], columns: set[str]) -> dict[str, Any]:
    rows = [{k: v for k, v in row.items() if k in columns} for row in body["results"]["bindings"]]
    return {"results": {"bindings": rows}}


def _joined_columns(sparql: str) -> set[str]:
    return set(re.findall(r"GROUP_CONCAT\s*\((?:[^()]|\([^()]*\))*\)\s+AS\s+\?(\w+)", sparql, re.IGNORECASE))


def _select(base: str, query: str) -> dict[str, Any]:
    response = httpx.post(
        f"{base}/sparql",
        data={"query": query},
        headers={"accept": "application/sparql-results+json"},
        timeout=60,
    )
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def _links(html: str) -> set[str]:
    return set(re.findall(r'href="([^"?#]+)"', html))


def _error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["status"] == status
    return error["code"]  # type: ignore[no-any-return]


# -- the journeys ------------------------------------------------------------------------------


def test_sparqlwrapper_selects_the_same_letters(backend: Backend, kg_server: str) -> None:
    query = (
        f"SELECT ?communication ?reference ?date "
        f"WHERE {{ ?communication <{KG}reference> ?reference ; <{KG}dateSent> ?date }}"
    )
    answers = []
    for base in (backend.url, kg_server):
        client = SPARQLWrapper(f"{base}/sparql")
        client.setMethod(POST)
        client.setReturnFormat(JSON)
        client.setQuery(query)
        answers.append(client.queryAndConvert())
    mine, reference = answers
    assert len(mine["results"]["bindings"]) == 5
    assert _rows(mine) == _rows(reference)
    assert {row["date"]["datatype"] for row in mine["results"]["bindings"]} == {
        "http://www.w3.org/2001/XMLSchema#date"
    }


# Columns Virtuoso 7.2.5 gets wrong through a bug of its own, checked by hand against the data: in
# companies-by-issue it drops a VALUES-bound link label ("implicated in the allegation") from a few
# rows when it joins the issue sub-select. The rows and every other column must still match.
VIRTUOSO_DEFECTS: dict[str, set[str]] = {"companies-by-issue": {"links"}}


def test_every_canned_query_gives_the_reference_rows(backend: Backend, kg_server: str) -> None:
    listed = httpx.get(f"{backend.url}/queries", headers={"accept": "application/json"}, timeout=30).json()
    assert len(listed) >= 17
    empty, different = [], []
    for query in listed:
        answers = []
        for base in (backend.url, kg_server):
            response = httpx.get(
                f"{base}/queries/{query['name']}",
                headers={"accept": "application/sparql-results+json"},
                timeout=60,
            )
            assert response.status_code == 200, (query["name"], response.text)
            answers.append(response.json())
        mine, reference = answers
        assert mine["head"]["vars"] == reference["head"]["vars"], query["name"]
        if not mine["results"]["bindings"]:
            empty.append(query["name"])
        joined = _joined_columns(query["sparql"])
        if backend.name == "virtuoso":
            # Oxigraph's GROUP_CONCAT is unbound for a group where one value is unbound (an error, as
            # SPARQL 1.1 strictly says); Virtuoso skips the unbound value and joins the rest. So on
            # Virtuoso the other columns must match exactly, and every joined value Oxigraph gives too.
            plain = set(reference["head"]["vars"]) - joined
            if _rows(_only(mine, plain)) != _rows(_only(reference, plain)):
                different.append(query["name"])
            for column in sorted(joined - VIRTUOSO_DEFECTS.get(query["name"], set())):
                here, there = _rows(_only(mine, {column}), joined), _rows(_only(reference, {column}), joined)
                lost = there - here - Counter({(): there[()]})
                if lost:
                    different.append(f"{query['name']} ({column}: {dict(lost)})")
            continue
        extra = _rows(mine, joined) - _rows(reference, joined)
        missing = _rows(reference, joined) - _rows(mine, joined)
        if extra or missing:
            different.append(
                f"{query['name']} (only here: {dict(extra)}; only on the reference: {dict(missing)})"
            )
    assert not different, f"canned queries that answer otherwise than on the embedded store: {different}"
    assert len(empty) <= 2, f"too many canned queries answer nothing on the sample: {empty}"


def test_a_company_page_in_html_and_json_ld(backend: Backend, kg_server: str) -> None:
    path = "/" + COMPANY.removeprefix(DATA)
    page = httpx.get(f"{backend.url}{path}", headers={"accept": "text/html"}, timeout=30)
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert "Li-Ning Company Limited" in page.text
    assert "AL OTH 70/2020" in page.text  # the letter sent to it
    reference_page = httpx.get(f"{kg_server}{path}", headers={"accept": "text/html"}, timeout=30)
    assert _links(page.text) == _links(reference_page.text)

    graphs = []
    for base in (backend.url, kg_server):
        response = httpx.get(f"{base}{path}", headers={"accept": "application/ld+json"}, timeout=30)
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/ld+json")
        graphs.append(Graph().parse(data=response.text, format="json-ld"))
    mine, reference = graphs
    assert len(mine) > 10
    assert to_isomorphic(mine) == to_isomorphic(reference)


def test_paths_from_a_company_reach_the_same_allegations(backend: Backend, kg_server: str) -> None:
    found = []
    for base in (backend.url, kg_server):
        response = httpx.get(
            f"{base}/paths", params={"source": COMPANY, "to_type": "Allegation", "limit": 500}, timeout=60
        )
        if backend.name == "virtuoso" and "sparp_gp_deprecate" in response.text:
            pytest.xfail(
                "Virtuoso 7.2.5 fails to compile kg.paths' neighbour query (a constant BIND inside UNION "
                "branches, SP031); the VALUES form it accepts made Oxigraph scan every quad at scale"
            )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["complete"] is True
        found.append({path["nodes"][-1]["iri"] for path in body["paths"]})
    mine, reference = found
    assert mine, "no path from the company to an allegation"
    assert mine == reference


def test_updates_and_service_are_still_refused(backend: Backend, kg_server: str) -> None:
    before = _select(backend.url, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }")
    for base in (backend.url, kg_server):
        update = httpx.post(f"{base}/sparql", data={"update": "DROP ALL"}, timeout=30)
        assert _error(update, 403) == "read_only"
        as_query = httpx.post(f"{base}/sparql", data={"query": "CLEAR ALL"}, timeout=30)
        assert as_query.status_code in (400, 403), as_query.text
        service = httpx.post(
            f"{base}/sparql",
            data={"query": "SELECT * WHERE { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }"},
            timeout=30,
        )
        assert _error(service, 403) == "service_refused"
    assert _select(backend.url, "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }") == before


def test_a_query_past_the_time_limit_gets_kgs_timeout_error(
    backend: Backend, kg_server_launcher: Callable[..., AbstractContextManager[str]]
) -> None:
    with kg_server_launcher(backend.data_dir, "--query-timeout", "0.25", env=backend.env) as base:
        started = time.monotonic()
        response = httpx.post(f"{base}/sparql", data={"query": SLOW_QUERY}, timeout=30)
        waited = time.monotonic() - started
        assert _error(response, 503) == "query_timeout"
        assert response.json()["error"]["setting"] == "KG_QUERY_TIMEOUT"
        assert waited < 5, f"the answer took {waited:.1f} s for a 0.25 s limit"
        # The server goes on answering.
        assert _select(base, "ASK { ?s ?p ?o }")["boolean"] is True


def test_the_server_says_which_store_it_serves(backend: Backend) -> None:
    logs = "".join(p.read_text(errors="replace") for p in backend.data_dir.parent.glob("server-*.log"))
    if backend.name == "embedded":
        assert f"kg serves {backend.data_dir} at" in logs
    else:
        assert "kg serves the SPARQL store at http://127.0.0.1:" in logs


def test_a_store_that_goes_away_gives_a_503_not_a_crash(
    tmp_path: Path, kg_server_launcher: Callable[..., AbstractContextManager[str]]
) -> None:
    data_dir = tmp_path / "data"
    with ExitStack() as stack:
        store = ExitStack()
        connect_data_dir(data_dir, store.enter_context(oxigraph_server(tmp_path / "oxigraph")))
        stack.callback(store.close)
        base = stack.enter_context(kg_server_launcher(data_dir))
        assert _select(base, "ASK { ?s a <http://www.w3.org/2002/07/owl#Ontology> }")["boolean"] is True
        store.close()  # the Oxigraph server is killed
        response = httpx.post(f"{base}/sparql", data={"query": "ASK { ?s ?p ?o }"}, timeout=30)
        assert _error(response, 503) == "store_unavailable"
        assert response.headers["retry-after"]


def test_a_removed_letter_is_gone_from_the_server(backend: Backend) -> None:
    """Runs last for each backend: it changes the store."""
    ask = f'ASK {{ ?c <{KG}reference> "{REMOVED}" }}'
    assert _select(backend.url, ask)["boolean"] is True
    removed = kg("remove", REMOVED, "--data-dir", str(backend.data_dir), env=backend.env)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert _select(backend.url, ask)["boolean"] is False
    page = httpx.get(
        f"{backend.url}/communication/ua-syr-3-2014", headers={"accept": "text/html"}, timeout=30
    )
    assert page.status_code == 404
    listed = httpx.get(
        f"{backend.url}/queries/communications-by-state",
        headers={"accept": "application/sparql-results+json"},
        timeout=30,
    ).json()
    references = {row["reference"]["value"] for row in listed["results"]["bindings"] if "reference" in row}
    assert references and REMOVED not in references
