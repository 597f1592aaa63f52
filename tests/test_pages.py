"""The HTML explorer in-process: home, search, entity and company pages, the communications list,
the query and queries pages, the ontology page, and escaping of every value that comes from data.

The app runs with its lifespan (so the real query pool opens the store read-only) on an
event loop in a helper thread (anyio's blocking portal), and is called through httpx's
ASGI transport: no server process, no network.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from anyio.from_thread import BlockingPortal, start_blocking_portal
from rdflib import OWL, RDF, Graph

from kg import resources
from kg.config import ONTOLOGY_NS, Settings
from kg.ingest import ingest_record
from kg.record import Evidence
from kg.server.app import create_app
from kg.server.explorer.templating import TEMPLATE_DIR, environment
from kg.server.settings import ServerSettings
from kg.store import EmbeddedStore
from support import sample_store, synthetic_record

pytest_plugins = ["server_fixture"]

HOSTILE_COMPANY = "Evil <script>alert(1)</script> & <b>Bold</b> Ltd"
HOSTILE_QUOTE = "They wrote <script>alert(1)</script> and <b>shouted</b> about forced labour."
QUOTED_RECIPIENT = "We write to Acme Mining Ltd about forced labour in its mines."
HTML_ACCEPT = {"accept": "text/html"}


class Site:
    """A synchronous client for an app running (with its lifespan) on a portal's event loop."""

    def __init__(self, portal: BlockingPortal, client: httpx.AsyncClient) -> None:
        self.portal = portal
        self.client = client

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        kwargs.setdefault("headers", HTML_ACCEPT)
        return self.portal.call(functools.partial(self.client.get, url, **kwargs))

    def page(self, url: str) -> str:
        response = self.get(url)
        assert response.status_code == 200, (url, response.status_code, response.text[:500])
        assert response.headers["content-type"].startswith("text/html")
        return response.text


def serve(data_dir: Path) -> Iterator[Site]:
    app = create_app(ServerSettings(store=Settings(data_dir=data_dir), workers=2))
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(app.router.lifespan_context(app)),
    ):
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://kg.test")
        try:
            yield Site(portal, client)
        finally:
            portal.call(client.aclose)


@pytest.fixture(scope="module")
def site(sample_data_dir: Path) -> Iterator[Site]:
    """The explorer on the sample graph alone, as `kg demo` builds it (opened read-only)."""
    yield from serve(sample_data_dir)


@pytest.fixture(scope="module")
def extra_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The sample graph plus two fictional letters that keep their sentences, one of them hostile."""
    store: EmbeddedStore = sample_store(tmp_path_factory)  # type: ignore[assignment]
    assert store.path is not None
    data_dir = store.path.parent
    settings = Settings(data_dir=data_dir)
    quoted = synthetic_record("AL OTH 901/2024", company="Acme Mining Ltd")
    assert quoted.recipient is not None
    quoted.recipient.evidence = Evidence(start=30, end=45, quote=QUOTED_RECIPIENT)
    hostile = synthetic_record("UA OTH 902/2024", company=HOSTILE_COMPANY)
    hostile.allegations[0].evidence = [Evidence(start=50, end=120, quote=HOSTILE_QUOTE)]
    assert hostile.recipient is not None
    hostile.recipient.evidence = Evidence(start=30, end=45, quote=HOSTILE_QUOTE)
    for record in (quoted, hostile):
        result = ingest_record(record, store, settings, source=record.reference or "")
        assert result.ok, (result.error, result.report)
    del store  # the app opens the store read-only; only one process may hold it read-write
    yield from serve(data_dir)


BLOCKS = {"p", "li", "td", "th", "tr", "div", "section", "h1", "h2", "h3", "dt", "dd", "ul", "summary", "pre"}


class _Text(HTMLParser):
    """The text a reader sees (tags dropped, entities decoded, whitespace collapsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self.hidden += 1
        if tag in BLOCKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self.hidden -= 1
        if tag in BLOCKS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def text_of(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join("".join(parser.parts).split())


def section(page: str, marker: str) -> str:
    """The HTML from the element carrying ``marker`` to the end of its section."""
    start = page.index(marker)
    return page[start : page.index("</section>", start)]


def references_in(page: str) -> list[str]:
    return [
        text_of(cell)
        for cell in re.findall(r'<th scope="row">(.*?)</th>', section(page, 'id="list-h"'), re.S)
    ]


def table_rows(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", body, flags=re.S)


# -- home and search ---------------------------------------------------------------------


def test_home_counts_what_the_sample_graph_holds(site: Site):
    words = text_of(site.page("/"))
    for count in (
        "5 communications",
        "2 companies",
        "3 States addressed",
        "33 allegations",
        "12 mandates that wrote",
        "12 Guiding Principles cited",
    ):
        assert count in words, count
    assert 'src="/static/search.js"' in site.page("/")


@pytest.mark.parametrize("q", ["li-ning", "LI-NING", "  Li-Ning  "])
def test_search_api_finds_the_company_in_any_case(site: Site, q: str):
    response = site.get("/api/search", params={"q": q}, headers={"accept": "application/json"})
    assert response.status_code == 200
    hits = response.json()
    assert all(set(hit) == {"iri", "label", "type", "url"} for hit in hits)
    company = next(hit for hit in hits if hit["label"] == "Li-Ning Company Limited")
    assert company == {
        "iri": "https://w3id.org/kg-spcomm/data/company/li-ning-company-limited",
        "label": "Li-Ning Company Limited",
        "type": "company",
        "url": "/company/li-ning-company-limited",
    }


def test_search_ranks_exact_then_prefix_then_contains_and_stops_at_twenty(site: Site):
    hits = site.get("/api/search", params={"q": "china"}, headers={"accept": "application/json"}).json()
    assert hits[0]["label"] == "China"
    assert len(site.get("/api/search", params={"q": "a"}).json()) == 20
    assert site.get("/api/search", params={"q": ""}).json() == []
    hostile = site.get("/api/search", params={"q": '") } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o FILTER("'})
    assert hostile.status_code == 200 and hostile.json() == []


def test_search_page_works_without_javascript(site: Site):
    page = site.page("/search?q=li-ning")
    assert '<a href="/company/li-ning-company-limited">Li-Ning Company Limited</a>' in page
    assert 'action="/search"' in page and 'name="q"' in page


# -- entity and company pages ------------------------------------------------------------


def test_company_page_summarises_in_plain_words(site: Site):
    page = site.page("/company/li-ning-company-limited")
    words = text_of(page)
    assert (
        "Li-Ning Company Limited received 1 communication (AL OTH 70/2020, 12 March 2021) from 7 mandates."
        in words
    )
    assert "It was asked 8 questions, about:" in words
    assert (
        "human rights due diligence" in words and "remediation" in words and "grievance mechanisms" in words
    )
    assert "The letter raised allegations of" in words
    for fact in ("forced labour", "arbitrary detention", "trafficking in persons", "Uyghurs"):
        assert fact in words, fact
    assert "in China (Xinjiang Uyghur Autonomous Region)" in words
    assert "The letter cites Guiding Principles 13, 15, 19, 20, 22, 25, 26, 27, 28, 29, 30 and 31." in words
    assert "Letters on the same matter went to the Governments of Canada, China," in words
    assert "and other companies." in words
    summary = section(page, 'class="summary"')
    for link in (
        'href="/communication/al-oth-70-2020"',
        'href="/vocab/issue/forced-labour"',
        'href="/vocab/group/uyghurs"',
        'href="/vocab/guiding-principle/13"',
        'href="/vocab/country/CHN"',
        'href="/vocab/mandate/wg-business"',
    ):
        assert link in summary, link
    # The sample records carry offsets, not sentences: the page says where the words are.
    assert "AL OTH 70/2020, characters 3370–3393" in words


def test_company_page_shows_the_sentence_that_states_the_fact(extra_site: Site):
    page = extra_site.page("/company/acme-mining-ltd")
    words = text_of(page)
    assert "Acme Mining Ltd received 1 communication (AL OTH 901/2024, 2 May 2024) from 2 mandates." in words
    summary = section(page, 'class="summary"')
    assert f"<blockquote>{QUOTED_RECIPIENT}</blockquote>" in summary
    assert "<details" in summary


def test_communication_page_shows_mandates_and_allegations_with_their_quotes(extra_site: Site):
    page = extra_site.page("/communication/al-oth-901-2024")
    facts = section(page, 'id="facts-h"')
    assert '<a href="/vocab/mandate/wg-business">' in facts
    assert '<a href="/vocab/mandate/sr-torture">' in facts
    allegation = '<a href="/communication/al-oth-901-2024/allegation/forced-labour">'
    assert allegation + "forced labour (AL OTH 901/2024)</a>" in facts
    after = facts[facts.index(allegation) :]
    assert after.index("<blockquote>fictional allegation sentence</blockquote>") < after.index("</li>")
    recipient = facts[facts.index('href="/company/acme-mining-ltd"') :]
    assert recipient.index(f"<blockquote>{QUOTED_RECIPIENT}</blockquote>") < recipient.index("</li>")


def test_sample_communication_page_links_every_fact_and_its_evidence(site: Site):
    page = site.page("/communication/al-oth-70-2020")
    words = text_of(page)
    assert "AL OTH 70/2020" in words and "allegation letter" in words and "joint communication" in words
    assert "Special Rapporteur on trafficking in persons, especially women and children" in words
    assert 'href="/communication/al-oth-70-2020/allegation/forced-labour"' in page
    assert "AL OTH 70/2020, characters 625–1290" in words  # the mandates paragraph, for each mandate
    for name, href in (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt")):
        assert f'<a href="/communication/al-oth-70-2020?format={href}">{name}</a>' in page
    incoming = section(page, 'id="incoming-h"')
    assert 'href="/graph/al-oth-70-2020"' in incoming


def test_hub_entities_show_fifty_incoming_links_and_a_more_link(site: Site):
    page = site.page(f"/resource?{httpx.QueryParams({'iri': ONTOLOGY_NS + 'State'})}")
    incoming = section(page, 'id="incoming-h"')
    assert len(re.findall(r'<li><a href="/vocab/country/', incoming)) == 50
    more = re.search(r'<a href="([^"]+)" rel="next">', incoming)
    assert more is not None and "offset=50" in more.group(1)
    second = site.page(html.unescape(more.group(1)))
    assert 'rel="prev"' in second


def test_unknown_entities_are_404_in_the_error_shape(site: Site):
    for url in ("/company/no-such-company", "/resource?iri=https%3A%2F%2Fexample.org%2Fnothing"):
        response = site.get(url)
        assert response.status_code == 404, url
        assert response.json()["error"]["code"] == "not_found"
    message = site.get("/company/no-such-company").json()["error"]["message"]
    assert "https://w3id.org/kg-spcomm/data/company/no-such-company" in message
    assert site.get("/resource?iri=not%20an%20iri").status_code == 400
    assert site.get("/company/li-ning-company-limited?offset=-3").status_code == 400


def test_resource_serves_rdf_to_programs(site: Site):
    iri = ONTOLOGY_NS + "Company"
    response = site.get("/resource", params={"iri": iri, "format": "nt"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/n-triples")
    assert f"<{iri}>" in response.text
    turtle = site.get("/resource", params={"iri": iri}, headers={"accept": "text/turtle"})
    assert turtle.headers["content-type"].startswith("text/turtle")


# -- communications list ------------------------------------------------------------------


def facet_counts(page: str, name: str) -> dict[str, int]:
    block = section(page, f'aria-labelledby="facet-{name}"')
    return {
        label.strip(): int(count)
        for label, count in re.findall(r'<a href="[^"]*"[^>]*>([^<]+)<span class="count">(\d+)</span>', block)
    }


def test_communications_list_has_every_letter_with_its_columns(site: Site):
    page = site.page("/communications")
    rows = table_rows(page)
    assert len(rows) == 5
    first = text_of(rows[0])
    assert first.startswith("AL CHN 18/2020 12 March 2021 AL China 8")
    assert "Forced labour" in first
    assert "5 communications in the graph" in text_of(page)


def test_filter_by_type_and_the_facet_counts_add_up(site: Site):
    page = site.page("/communications?type=AL")
    assert len(table_rows(page)) == 2
    words = text_of(page)
    assert "2 communications match the filters" in words
    assert facet_counts(page, "type") == {"AL": 2}
    kinds = facet_counts(page, "kind")
    assert kinds == {"State": 1, "company": 1}
    assert sum(facet_counts(page, "year").values()) == 2
    assert 'href="/communications"' in page  # clear all filters
    everything = site.page("/communications")
    assert sum(facet_counts(everything, "type").values()) == 5
    assert facet_counts(everything, "type") == {"AL": 2, "UA": 2, "OL": 1}


@pytest.mark.parametrize(
    ("params", "references"),
    [
        ({"year": "2019"}, ["UA GBR 3/2019", "OL OTH 17/2019"]),
        (
            {"mandate": "https://w3id.org/kg-spcomm/vocab/mandate/sr-housing"},
            ["OL OTH 17/2019", "UA SYR 3/2014"],
        ),
        ({"kind": ONTOLOGY_NS + "Company"}, ["AL OTH 70/2020", "OL OTH 17/2019"]),
        ({"country": "https://w3id.org/kg-spcomm/vocab/country/CHN"}, ["AL CHN 18/2020"]),
        (
            {"issue": "https://w3id.org/kg-spcomm/vocab/issue/forced-labour", "type": "AL"},
            ["AL CHN 18/2020", "AL OTH 70/2020"],
        ),
    ],
)
def test_each_filter_narrows_the_list(site: Site, params: dict[str, str], references: list[str]):
    page = site.page(f"/communications?{httpx.QueryParams(params)}")
    assert references_in(page) == references


def test_the_list_and_its_facets_filter_the_same_set():
    def filtered_set(name: str) -> str:
        text = (TEMPLATE_DIR.parent / "sparql" / name).read_text()
        start = text.index("  # The filtered set")
        return text[
            text.index("\n", start) : text.index("  {" if "facets" in name else "  OPTIONAL {\n", start)
        ]

    assert filtered_set("communications.rq") == filtered_set("communication-facets.rq")
    assert "FILTER (!BOUND(?issue)" in filtered_set("communications.rq")


def test_a_bad_filter_value_is_the_callers_mistake(site: Site):
    assert site.get("/communications?year=last-year").status_code == 400
    assert site.get("/communications?mandate=not%20an%20iri").status_code == 400


# -- query and queries pages ---------------------------------------------------------------


def test_query_page_runs_a_canned_query_without_javascript(site: Site):
    page = site.page("/query?canned=communications-by-company&company=li-ning&run=1")
    rows = table_rows(section(page, 'id="results"'))
    assert len(rows) == 1
    assert "Li-Ning Company Limited" in rows[0] and "AL OTH 70/2020" in rows[0]
    assert 'href="/company/li-ning-company-limited"' in rows[0]
    assert "1 row" in text_of(section(page, 'id="results"'))
    reuse = section(page, 'class="reuse"')
    assert 'href="/query?canned=communications-by-company&amp;company=li-ning"' in reuse
    assert 'href="/sparql?query=' in reuse and "format=csv" in reuse and "format=json" in reuse
    curl = html.unescape(re.search(r'<pre id="curl-command"[^>]*>(.*?)</pre>', reuse, re.S).group(1))
    assert curl.startswith("curl -H 'Accept: application/sparql-results+json' --data-urlencode 'query=")
    assert curl.endswith(" http://kg.test/sparql")
    assert 'VALUES (?company) { ("li-ning") }' in curl


def test_query_page_reopens_a_shared_query_and_reports_errors(site: Site):
    page = site.page("/query?query=ASK%20%7B%7D&run=1")
    assert "ASK {}</textarea>" in page
    assert "The answer is yes (true)." in text_of(page)
    broken = site.get("/query?query=SELEC%20nothing&run=1")
    assert broken.status_code == 400
    assert '<pre class="error">' in broken.text
    assert site.get("/query?canned=no-such-query").status_code == 404
    assert site.get("/query?canned=communications-by-year-and-type&year=soon").status_code == 400


@pytest.mark.parametrize(
    ("query", "status", "words"),
    [
        ("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }", 403, "SERVICE"),
        ("INSERT DATA { <urn:a> <urn:b> <urn:c> }", 403, "read-only"),
        ("SELECT * WHERE " + "{" * 300 + "}" * 300, 400, "KG_MAX_QUERY_DEPTH"),
    ],
)
def test_query_page_runs_user_sparql_through_the_endpoints_guard(
    site: Site, query: str, status: int, words: str
):
    response = site.get("/query", params={"query": query, "run": "1"})
    assert response.status_code == status
    error = re.search(r'<pre class="error">(.*?)</pre>', response.text, re.S)
    assert error is not None and words in html.unescape(error.group(1))


def test_query_page_lists_every_canned_query_as_an_example(site: Site):
    from kg.canned import load_canned_queries

    page = site.page("/query")
    for query in load_canned_queries().values():
        assert f'<option value="{query.name}">' in page, query.name
    data = site.get("/api/canned/communications-by-company", params={"company": "li"}).json()
    assert data["name"] == "communications-by-company" and data["parameters"][0]["name"] == "company"
    assert 'VALUES (?company) { ("li") }' in data["sparql"]


def test_queries_page_lists_every_canned_query_with_a_form(site: Site):
    from kg.canned import load_canned_queries

    page = site.page("/queries")
    for query in load_canned_queries().values():
        block = section(page, f'id="{query.name}"')
        assert html.escape(query.title) in block
        assert f'<input type="hidden" name="canned" value="{query.name}">' in block
        for param in query.parameters:
            assert f'name="{param.name}"' in block and f'for="{query.name}-{param.name}"' in block


# -- ontology -----------------------------------------------------------------------------


def test_ontology_page_has_an_anchor_for_every_class_and_property(site: Site):
    page = site.page("/ontology")
    ontology = Graph().parse(resources.ontology_file(), format="turtle")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    terms = {
        str(s) for kind in kinds for s in ontology.subjects(RDF.type, kind) if str(s).startswith(ONTOLOGY_NS)
    }
    assert len(terms) > 100
    for term in terms:
        name = term[len(ONTOLOGY_NS) :]
        assert f'<section class="term" id="{name}"' in page, name
    company = section(page, 'id="Company"')
    assert "A business enterprise" in company and 'href="#Actor"' in company
    assert 'href="/ontology.ttl"' in page
    inverse = section(page, 'id="establishes"')
    assert 'href="#establishedBy"' in inverse


# -- escaping and the page shell -----------------------------------------------------------


def test_values_from_data_are_escaped_everywhere(extra_site: Site):
    hits = extra_site.get("/api/search", params={"q": "evil"}).json()
    company = next(hit for hit in hits if hit["label"] == HOSTILE_COMPANY)
    pages = [
        extra_site.page(company["url"]),
        extra_site.page("/communication/ua-oth-902-2024"),
        extra_site.page("/communications"),
        extra_site.page("/search?q=evil"),
        extra_site.page("/query?canned=communications-by-company&company=evil&run=1"),
    ]
    for page in pages:
        assert "<script>alert(1)</script>" not in page
        assert "<b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert HOSTILE_COMPANY in text_of(pages[0])
    assert HOSTILE_QUOTE in text_of(pages[1])
    assert "&lt;b&gt;shouted&lt;/b&gt;" in pages[1]


def test_templates_escape_everything_and_need_no_inline_script():
    assert environment().autoescape is True
    for path in TEMPLATE_DIR.glob("*.html"):
        source = path.read_text()
        assert "|safe" not in source.replace(" ", ""), path.name
        assert "Markup(" not in source, path.name
        assert not re.search(r"<script(?![^>]*\bsrc=)", source), f"{path.name}: inline script"
        assert not re.search(r"\son[a-z]+\s*=", source), f"{path.name}: inline event handler"
        assert not re.search(r"\sstyle\s*=", source), f"{path.name}: inline style"


def test_every_page_has_the_shell_skip_link_and_navigation(site: Site):
    for url, current in (
        ("/", "/"),
        ("/communications", "/communications"),
        ("/query", "/query"),
        ("/queries", "/queries"),
        ("/ontology", "/ontology"),
    ):
        page = site.page(url)
        assert '<a class="skip-link" href="#main">' in page and '<main id="main"' in page
        assert f'<a href="{current}" aria-current="page">' in page, url
        for href in ("/", "/communications", "/query", "/queries", "/ontology", "/sparql"):
            assert f'<a href="{href}"' in page
        assert '<meta name="viewport"' in page and '<html lang="en">' in page
        assert not re.search(r'(src|href)="https?://', page.split("<main", 1)[0]), (
            "the shell loads nothing remote"
        )


def test_static_files_are_served_by_kg_itself(site: Site):
    for name, media in (
        ("kg.css", "text/css"),
        ("search.js", "text/javascript"),
        ("query.js", "text/javascript"),
    ):
        response = site.get(f"/static/{name}")
        assert response.status_code == 200 and response.headers["content-type"].startswith(media)
    assert site.get("/static/nothing.js").status_code == 404
    assert site.get("/static/..%2Fpages.py").status_code == 404
    assert site.get("/static/favicon.svg").headers["content-type"].startswith("image/svg+xml")
    for path in (TEMPLATE_DIR.parent / "static").glob("*.[cj]s*"):
        assert not re.search(r"https?://", path.read_text()), f"{path.name} loads something from elsewhere"
