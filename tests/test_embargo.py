"""Embargo: a letter before its publication date is invisible to anonymous users, whatever they ask.

Two fictional letters carry unique marker strings in every label they bring (company, people,
groups, places, questions, quotes): one embargoed by the operator (--embargo-until), one by its
own publication date. A FollowTheMoney listing that matches the embargoed company is imported
too, so the shared graphs hold traces of it. Every route is then tried anonymously and the
marker must never appear in a response body; with the operator's token it must.

This module is the guard for new routes: ``test_every_openapi_route_is_tried`` fails when the
API gains a path that the leak tests do not try.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlparse

import httpx
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.record import ConceptRef, Evidence, Place, Signatory
from support import build_store, synthetic_record

pytest_plugins = ["server_fixture"]

MARKERS = ("ZQXMARKER7", "QWVMARKER9")
TOKEN = "operator-token-3f9c"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
BASE = "https://w3id.org/kg-spcomm/data/"
EMBARGOED_REF, DATED_REF = "AL OTH 977/2026", "AL OTH 978/2026"
EMBARGOED_GRAPH = BASE + "graph/al-oth-977-2026"
EMBARGOED_COMM = BASE + "communication/al-oth-977-2026"
DATED_COMM = BASE + "communication/al-oth-978-2026"
runner = CliRunner()


def marked_record(reference: str, marker: str, *, published: dt.date) -> Any:
    """A fictional letter whose every label carries ``marker``."""
    record = synthetic_record(reference, company=f"{marker} Holdings Ltd")
    allegation = record.allegations[0]
    allegation.affected_groups = [ConceptRef(label=f"{marker} workers")]
    allegation.locations = [Place(name=f"{marker} Valley", country="ZMB")]
    allegation.evidence = [Evidence(start=50, end=120, quote=f"{marker} alleged sentence")]
    record.signatories = [
        Signatory(name=f"Ann {marker}", title="Special Rapporteur", mandate_iri=record.mandates[1].iri)
    ]
    record.questions[0].text = f"Please explain {marker}."
    record.publication_date = published
    return record


def leaks(text: str) -> list[str]:
    lowered = text.lower()
    return [m for m in MARKERS if m.lower() in lowered]


def without_echo(text: str, *asked: str) -> str:
    """The body minus what the request itself sent (a page may repeat the asked IRI or name)."""
    for value in asked:
        for form in (value, quote(value, safe=""), quote(value), html.escape(value)):
            text = text.replace(form, "")
    return text


def ingest(data_dir: Path, record: Any, *flags: str) -> None:
    path = data_dir.parent / f"{record.reference.replace(' ', '-').replace('/', '-')}.json"
    path.write_text(record.model_dump_json(), encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path), "--data-dir", str(data_dir), *flags])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("embargo")
    data = build_store(folder, [])
    past = dt.date(2024, 7, 1)
    ingest(data, marked_record(EMBARGOED_REF, MARKERS[0], published=past), "--embargo-until", "2099-01-01")
    ingest(data, marked_record(DATED_REF, MARKERS[1], published=dt.date(2099, 6, 1)))
    listing = folder / "list.ftm.json"
    entity = {"id": "fict-1", "schema": "Company", "properties": {"name": [f"{MARKERS[0]} Holdings Ltd"]}}
    listing.write_text(json.dumps(entity) + "\n", encoding="utf-8")
    result = runner.invoke(
        app, ["import", "ftm", str(listing), "--list-name", "Test List", "--data-dir", str(data)]
    )
    assert result.exit_code == 0, result.output
    assert "1 matched" in result.output
    return data


@pytest.fixture(scope="module")
def server(data_dir: Path, kg_server_launcher: Any) -> Iterator[str]:
    with kg_server_launcher(data_dir, env={"KG_ACCESS_TOKENS": TOKEN}) as base:
        yield base


def sparql(base: str, query: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
    return httpx.get(f"{base}/sparql", params={"query": query, **params}, headers=headers or {}, timeout=30)


def count_communications(base: str, headers: dict[str, str] | None = None) -> int:
    query = (
        "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a <https://w3id.org/kg-spcomm/ontology#Communication> }"
    )
    response = sparql(base, query, headers, format="json")
    assert response.status_code == 200, response.text
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


# -- SPARQL: every way a query can reach a graph -----------------------------------------------

ANY = "(<urn:x:none>|!<urn:x:none>)"
QUERIES = {
    "union default graph": "SELECT * WHERE { ?s ?p ?o }",
    "GRAPH ?g": "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "GRAPH <embargoed>": f"SELECT * WHERE {{ GRAPH <{EMBARGOED_GRAPH}> {{ ?s ?p ?o }} }}",
    "FROM <embargoed>": f"SELECT * FROM <{EMBARGOED_GRAPH}> WHERE {{ ?s ?p ?o }}",
    "FROM NAMED <embargoed>": f"SELECT * FROM NAMED <{EMBARGOED_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
    "DESCRIBE the communication": f"DESCRIBE <{EMBARGOED_COMM}>",
    "DESCRIBE the dated one": f"DESCRIBE <{DATED_COMM}>",
    "CONSTRUCT everything": "CONSTRUCT WHERE { ?s ?p ?o }",
    "labels aggregated": "SELECT (GROUP_CONCAT(STR(?l)) AS ?all) WHERE { ?s ?p ?l FILTER(isLiteral(?l)) }",
    "IRIs aggregated": "SELECT (GROUP_CONCAT(STR(?s)) AS ?all) WHERE { GRAPH ?g { ?s ?p ?o } }",
    "property path across the State": (
        f"SELECT DISTINCT ?x WHERE {{ <https://w3id.org/kg-spcomm/vocab/country/ZMB> ({ANY}|^{ANY})* ?x }}"
    ),
    "property path from the issue": (
        "SELECT DISTINCT ?x ?l WHERE { <https://w3id.org/kg-spcomm/vocab/issue/forced-labour> "
        f"(^{ANY})/(^{ANY})? ?x . ?x ?p ?l FILTER(isLiteral(?l)) }}"
    ),
    "graph names": "SELECT DISTINCT ?g WHERE { GRAPH ?g { } }",
    "search by marker": 'SELECT ?s WHERE { ?s ?p ?o FILTER(CONTAINS(LCASE(STR(?o)), "marker7")) }',
}


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_sparql_never_shows_an_embargoed_letter(server: str, name: str, method: str) -> None:
    query = QUERIES[name]
    if method == "GET":
        response = sparql(server, query)
    else:
        response = httpx.post(f"{server}/sparql", data={"query": query}, timeout=30)
    assert response.status_code == 200, (name, response.text[:300])
    assert not leaks(response.text), name


@pytest.mark.parametrize(
    "params",
    [
        {"default-graph-uri": EMBARGOED_GRAPH},
        {"named-graph-uri": EMBARGOED_GRAPH},
        {"default-graph-uri": EMBARGOED_GRAPH, "named-graph-uri": EMBARGOED_GRAPH},
    ],
)
def test_protocol_graph_parameters_do_not_reach_it(server: str, params: dict[str, str]) -> None:
    for query in (QUERIES["union default graph"], QUERIES["GRAPH ?g"]):
        response = sparql(server, query, **params)
        assert response.status_code == 200, response.text[:300]
        assert not leaks(response.text)


def test_counts_leave_it_out_and_the_token_brings_it_back(server: str) -> None:
    public, full = count_communications(server), count_communications(server, OPERATOR)
    assert full == public + 2
    marker_query = 'ASK { ?s ?p ?o FILTER(CONTAINS(STR(?o), "ZQXMARKER7")) }'
    assert sparql(server, marker_query, format="json").json()["boolean"] is False
    assert sparql(server, marker_query, OPERATOR, format="json").json()["boolean"] is True


def test_a_token_sees_everything_and_its_answers_are_private(server: str) -> None:
    response = sparql(
        server, f"DESCRIBE <{EMBARGOED_COMM}> <{BASE}company/zqxmarker7-holdings-ltd>", OPERATOR
    )
    assert response.status_code == 200
    assert MARKERS[0] in response.text and "AL OTH 977/2026" in response.text
    assert "977/2026" not in sparql(server, f"DESCRIBE <{EMBARGOED_COMM}>").text
    assert "private" in response.headers["cache-control"] and "no-store" in response.headers["cache-control"]
    page = httpx.get(f"{server}/communication/al-oth-977-2026", headers={**OPERATOR, "Accept": "text/html"})
    assert page.status_code == 200 and MARKERS[0] in page.text


def test_a_wrong_token_is_refused_not_downgraded(server: str) -> None:
    response = sparql(server, "ASK {}", {"Authorization": "Bearer not-the-token"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_token"
    assert response.headers["www-authenticate"].startswith("Bearer")


# -- canned queries, pages, search, paths, VoID --------------------------------------------------


def test_canned_queries_never_show_it(server: str) -> None:
    listing = httpx.get(f"{server}/queries", headers={"Accept": "application/json"}, timeout=30)
    assert listing.status_code == 200
    body = listing.json()
    names = [q["name"] for q in (body if isinstance(body, list) else body["queries"])]
    assert len(names) >= 10
    for name in names:
        for accept in ("application/sparql-results+json", "text/csv"):
            response = httpx.get(f"{server}/queries/{name}", headers={"Accept": accept}, timeout=30)
            assert response.status_code == 200, (name, response.text[:300])
            assert not leaks(response.text), name
        operator = httpx.get(
            f"{server}/queries/{name}", headers={**OPERATOR, "Accept": "text/csv"}, timeout=30
        )
        assert operator.status_code == 200
    full = httpx.get(
        f"{server}/queries/communications-by-company", headers={**OPERATOR, "Accept": "text/csv"}
    )
    assert MARKERS[0] in full.text  # the same query with the token does show it: the test can fail


ENTITY_PATHS = [
    "/communication/al-oth-977-2026",
    "/communication/al-oth-978-2026",
    "/graph/al-oth-977-2026",
    "/company/zqxmarker7-holdings-ltd",
    "/company/qwvmarker9-holdings-ltd",
    "/person/ann-zqxmarker7",
    "/place/zqxmarker7-valley",
    "/group/zqxmarker7-workers",
]


@pytest.mark.parametrize("path", ENTITY_PATHS)
@pytest.mark.parametrize("accept", ["text/html", "application/json", "text/turtle", "application/ld+json"])
def test_entity_pages_answer_as_if_it_did_not_exist(server: str, path: str, accept: str) -> None:
    response = httpx.get(server + path, headers={"Accept": accept}, timeout=30)
    assert response.status_code == 404, (path, response.status_code)
    assert not leaks(without_echo(response.text, path)), path  # an echo of the asked URL is no leak
    resource = httpx.get(
        f"{server}/resource", params={"iri": BASE + path.lstrip("/")}, headers={"Accept": accept}
    )
    assert resource.status_code in (404, 400) and not leaks(
        resource.text.replace(BASE + path.lstrip("/"), "")
    )


def test_the_token_opens_the_entity_pages(server: str) -> None:
    for path in ENTITY_PATHS[:2] + ENTITY_PATHS[3:5]:
        response = httpx.get(server + path, headers={**OPERATOR, "Accept": "application/json"}, timeout=30)
        assert response.status_code == 200, path


@pytest.mark.parametrize("route", ["/search", "/api/search"])
def test_search_does_not_find_it(server: str, route: str) -> None:
    for term in ("zqxmarker", "qwvmarker", "Holdings", "Valley"):
        response = httpx.get(f"{server}{route}", params={"q": term}, timeout=30)
        assert response.status_code == 200
        assert not leaks(response.text), (route, term)
    found = httpx.get(f"{server}/api/search", params={"q": "zqxmarker"}, headers=OPERATOR)
    assert MARKERS[0] in found.text


def test_paths_do_not_walk_through_it(server: str) -> None:
    asks = [
        {"source": EMBARGOED_COMM, "to_type": "Allegation"},
        {"source": BASE + "company/zqxmarker7-holdings-ltd", "to_type": "Allegation", "mode": "all"},
        {"source": "https://w3id.org/kg-spcomm/vocab/country/ZMB", "to_type": "Allegation", "mode": "all"},
        {
            "source": "https://w3id.org/kg-spcomm/vocab/issue/forced-labour",
            "to_type": "Company",
            "mode": "all",
        },
        {
            "source": "https://w3id.org/kg-spcomm/vocab/country/ZMB",
            "to": BASE + "company/zqxmarker7-holdings-ltd",
        },
    ]
    for params in asks:
        asked = [v for k, v in params.items() if k in ("source", "to")]
        response = httpx.get(f"{server}/paths", params=params, timeout=60)
        assert response.status_code in (200, 400, 404), (params, response.text[:300])
        assert not leaks(without_echo(response.text, *asked)), params
        page = httpx.get(
            f"{server}/explore-paths", params=params, headers={"Accept": "text/html"}, timeout=60
        )
        assert page.status_code in (200, 400, 404)
        assert not leaks(without_echo(page.text, *asked)), params
    operator = httpx.get(f"{server}/paths", params=asks[1], headers=OPERATOR, timeout=60)
    assert operator.status_code == 200 and MARKERS[0] in operator.text


def test_void_and_service_description_leave_it_out(server: str) -> None:
    for path in ("/.well-known/void", "/sparql"):
        for accept in ("text/turtle", "application/ld+json"):
            response = httpx.get(server + path, headers={"Accept": accept}, timeout=30)
            assert response.status_code == 200
            assert not leaks(response.text)
    public = httpx.get(f"{server}/.well-known/void", headers={"Accept": "application/n-triples"}).text
    full = httpx.get(
        f"{server}/.well-known/void", headers={**OPERATOR, "Accept": "application/n-triples"}
    ).text
    triples = re.compile(r"void#triples> \"(\d+)\"")
    assert max(map(int, triples.findall(full))) > max(map(int, triples.findall(public)))


def test_a_crawl_of_the_explorer_never_meets_it(server: str) -> None:
    """Follow every link from the home page (bounded): no page anywhere names the embargoed letters."""
    seen: set[str] = set()
    queue = ["/", "/communications", "/query", "/ontology", "/explore-paths", "/search?q=a"]
    with httpx.Client(base_url=server, headers={"Accept": "text/html"}, timeout=30) as client:
        while queue and len(seen) < 400:
            path = queue.pop(0)
            if path in seen:
                continue
            seen.add(path)
            response = client.get(path)
            assert response.status_code in (200, 404), (path, response.status_code)
            assert not leaks(response.text), path
            if "html" not in response.headers.get("content-type", ""):
                continue
            for href in re.findall(r'href="([^"#]+)"', response.text):
                url = urlparse(urljoin(server + path, href.replace("&amp;", "&")))
                if url.netloc == urlparse(server).netloc and not url.path.startswith("/static/"):
                    queue.append(url.path + (f"?{url.query}" if url.query else ""))
    assert len(seen) > 40  # the crawl really went through the explorer


def test_every_openapi_route_is_tried(server: str) -> None:
    """A new route must be added to this module's leak tests before it ships."""
    tried = {
        "/sparql",
        "/.well-known/void",
        "/queries",
        "/queries/{name}",
        "/paths",
        "/api/search",
        "/api/canned/{name}",
        "/resource",
        "/ontology",
        *(f"/{kind}/{{rest}}" for kind in ("communication", "company", "person", "place", "group", "graph")),
    }
    # Entity kinds the fictional letters bring no instance of: their pages answer from the same code.
    same_code = {
        f"/{kind}/{{rest}}"
        for kind in ("organization", "actor", "post", "policy", "sector", "question-topic")
    }
    same_code.add("/vocab/{rest}")
    spec = httpx.get(f"{server}/openapi.json").json()
    untried = set(spec["paths"]) - tried - same_code
    assert not untried, f"routes not covered by the embargo leak tests: {sorted(untried)}"


def test_canned_query_text_route_and_vocab_pages(server: str) -> None:
    for name in ("communications-by-company", "recipients-on-same-matter"):
        response = httpx.get(f"{server}/api/canned/{name}", timeout=30)
        assert response.status_code in (200, 404)
        assert not leaks(response.text)
    vocab = httpx.get(f"{server}/vocab/issue/forced-labour", headers={"Accept": "text/html"}, timeout=30)
    assert vocab.status_code == 200 and not leaks(vocab.text)


# -- exports, release, serving beside a writer --------------------------------------------------


def test_kg_export_leaves_embargoed_letters_out_unless_asked(data_dir: Path) -> None:
    for fmt in ("nquads", "csv", "ftm", "jsonld"):
        args = ["export", "--format", fmt, "--data-dir", str(data_dir)]
        if fmt == "csv":
            args += ["--output", str(data_dir.parent / "csv-out")]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        text = result.output
        if fmt == "csv":
            text += "".join(
                p.read_text(encoding="utf-8") for p in (data_dir.parent / "csv-out").glob("*.csv")
            )
        assert not leaks(text), fmt
    full = runner.invoke(
        app, ["export", "--format", "nquads", "--include-embargoed", "--data-dir", str(data_dir)]
    )
    assert full.exit_code == 0 and MARKERS[0] in full.output


def test_an_embargo_ends_without_a_restart(tmp_path: Path, kg_server_launcher: Any) -> None:
    data = build_store(tmp_path, [])
    until = (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30)).isoformat(timespec="seconds")
    ingest(
        data,
        marked_record(EMBARGOED_REF, MARKERS[0], published=dt.date(2024, 7, 1)),
        "--embargo-until",
        until,
    )
    with kg_server_launcher(data) as base:
        before = count_communications(base)
        assert dt.datetime.now(dt.UTC) < dt.datetime.fromisoformat(until), "the server started too slowly"
        assert "977/2026" not in sparql(base, f"DESCRIBE <{EMBARGOED_COMM}>").text
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if count_communications(base) == before + 1:
                break
            time.sleep(0.5)
        assert count_communications(base) == before + 1
        assert "AL OTH 977/2026" in sparql(base, f"DESCRIBE <{EMBARGOED_COMM}>").text


def test_a_running_server_follows_what_a_writer_publishes(tmp_path: Path, kg_server_launcher: Any) -> None:
    data = build_store(tmp_path, [])
    with kg_server_launcher(data) as base:
        before = count_communications(base)
        ingest(data, synthetic_record("AL OTH 979/2026"))  # the server keeps running beside the writer
        assert count_communications(base) == before + 1
        ingest(data, marked_record(DATED_REF, MARKERS[1], published=dt.date(2099, 6, 1)))
        assert count_communications(base) == before + 1
        assert not leaks(sparql(base, QUERIES["labels aggregated"]).text)


def test_the_operator_lists_lifts_and_sets_embargoes(tmp_path: Path) -> None:
    data = build_store(tmp_path, [])
    ingest(data, marked_record(DATED_REF, MARKERS[1], published=dt.date(2099, 6, 1)))

    def public_export() -> str:
        result = runner.invoke(app, ["export", "--format", "nquads", "--data-dir", str(data)])
        assert result.exit_code == 0, result.output
        return result.output

    listed = runner.invoke(app, ["embargo", "--data-dir", str(data)])
    assert listed.exit_code == 0
    assert f"{DATED_REF}  until 2099-06-01" in listed.output and "set by the letter" in listed.output
    assert not leaks(public_export())
    lifted = runner.invoke(app, ["embargo", "lift", DATED_REF, "--data-dir", str(data)])
    assert lifted.exit_code == 0, lifted.output
    assert DATED_REF not in runner.invoke(app, ["embargo", "--data-dir", str(data)]).output
    assert MARKERS[1] in public_export()
    again = runner.invoke(
        app, ["embargo", "set", DATED_REF, "--until", "2098-01-01", "--data-dir", str(data)]
    )
    assert again.exit_code == 0, again.output
    assert "set by the operator" in runner.invoke(app, ["embargo", "--data-dir", str(data)]).output
    assert not leaks(public_export())
    unknown = runner.invoke(app, ["embargo", "lift", "AL OTH 1/1999", "--data-dir", str(data)])
    assert unknown.exit_code == 2 and "not in the store" in unknown.output
    bad = runner.invoke(app, ["embargo", "set", DATED_REF, "--until", "soon", "--data-dir", str(data)])
    assert bad.exit_code == 2 and "an embargo end must be a date" in bad.output
