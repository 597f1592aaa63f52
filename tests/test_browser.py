"""The explorer in a real browser (Debian's Chromium, headless, driven by Playwright) against the
real `kg serve` process: search a company, open its page, follow a link to a communication,
run a canned query on the query page and see rows.

Each page visited is saved as a screenshot in test-output/screenshots/ (git ignores it). The
pages run under the server's Content-Security-Policy (script-src 'self'), so any inline
script or handler would show up here as a console error, which fails the test.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from support import REPO

LI_NING_IRI = "https://w3id.org/kg-spcomm/data/company/li-ning-company-limited"

pytest_plugins = ["server_fixture"]

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = REPO / "test-output" / "screenshots"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"browser tests need Debian's Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does)",
)

sync_api = pytest.importorskip("playwright.sync_api", reason="browser tests need Playwright for Python")


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


class Tab:
    """A browser tab that records console errors and saves a screenshot of each page it shows."""

    def __init__(self, page: object, base: str) -> None:
        self.page = page
        self.base = base
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))  # type: ignore[attr-defined]
        page.on(  # type: ignore[attr-defined]
            "console", lambda message: message.type == "error" and self.errors.append(message.text)
        )

    def shot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
        return path


@pytest.fixture
def tab(browser: object, kg_server: str) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=kg_server)  # type: ignore[attr-defined]
    try:
        yield Tab(context.new_page(), kg_server)
    finally:
        context.close()


def test_search_a_company_open_its_page_and_follow_a_link_to_a_communication(tab: Tab):
    expect, page = sync_api.expect, tab.page
    page.goto("/")
    expect(page.get_by_role("heading", level=2, name="What the graph holds")).to_be_visible()
    tab.shot("01-home")

    page.get_by_label("Search companies, States, mandates, issues and references").fill("li-ning")
    suggestion = page.locator("#search-results").get_by_role("link", name="Li-Ning Company Limited")
    expect(suggestion).to_be_visible()
    expect(page.locator("#search-status")).to_contain_text("for li-ning")
    tab.shot("02-search-suggestions")

    page.keyboard.press("ArrowDown")  # the suggestions are reachable from the keyboard
    expect(page.locator("#search-results a").first).to_be_focused()
    suggestion.click()
    expect(page).to_have_url(re.compile(r"/company/li-ning-company-limited$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Li-Ning Company Limited")
    summary = page.locator("section.summary")
    expect(summary).to_contain_text("Li-Ning Company Limited received 1 communication")
    expect(summary).to_contain_text("It was asked 8 questions")
    tab.shot("03-company")

    summary.get_by_role("link", name="AL OTH 70/2020").first.click()
    expect(page).to_have_url(re.compile(r"/communication/al-oth-70-2020$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("AL OTH 70/2020")
    facts = page.locator("table.facts").first
    expect(facts).to_contain_text("Li-Ning Company Limited")
    expect(facts).to_contain_text("Working Group on the issue of human rights")
    evidence = facts.locator("details.evidence").first
    evidence.locator("summary").click()
    expect(evidence.locator(".where").first).to_contain_text("AL OTH 70/2020, characters")
    tab.shot("04-communication")
    assert tab.errors == []


def test_run_a_canned_query_on_the_query_page_and_see_rows(tab: Tab):
    expect, page = sync_api.expect, tab.page
    page.goto("/query")
    page.get_by_label("Example query").select_option("communications-by-company")
    editor = page.get_by_label("SPARQL query")
    expect(editor).to_have_value(re.compile("Communications received by a company"))
    page.get_by_label("company").fill("li-ning")
    expect(editor).to_have_value(re.compile(r'VALUES \(\?company\) \{ \("li-ning"\) \}'))

    page.get_by_role("button", name="Run").click()
    rows = page.locator("#results-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Li-Ning Company Limited")
    expect(rows.first).to_contain_text("AL OTH 70/2020")
    expect(page.locator("#results-status")).to_contain_text("1 row")
    expect(page).to_have_url(re.compile(r"/query\?canned=communications-by-company&company=li-ning$"))
    expect(page.locator("#curl-command")).to_contain_text(f"{tab.base}/sparql")
    expect(page.locator("#csv-link")).to_have_attribute("href", re.compile(r"^/sparql\?query=.*format=csv$"))
    tab.shot("05-query-results")

    page.locator('#results-table a[href="/company/li-ning-company-limited"]').click()
    expect(page).to_have_url(re.compile(r"/company/li-ning-company-limited$"))
    assert tab.errors == []


def test_the_query_editor_runs_edited_text_and_shows_errors(tab: Tab):
    expect, page = sync_api.expect, tab.page
    page.goto("/query")
    editor = page.get_by_label("SPARQL query")
    editor.fill("SELECT ?s WHERE { ?s a <https://w3id.org/kg-spcomm/ontology#Company> } ORDER BY ?s")
    editor.press("Control+Enter")
    expect(page.locator("#results-table tbody tr")).to_have_count(2)
    expect(page.locator("#results-table")).to_contain_text("li-ning-company-limited")
    editor.fill("SELECT nothing")
    page.get_by_role("button", name="Run").click()
    expect(page.locator("#results-error pre.error")).to_be_visible()
    expect(page.locator("#results-status")).to_have_text("The query failed.")
    tab.shot("06-query-error")


def test_pages_read_on_a_phone(browser: object, kg_server: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=kg_server, is_mobile=True)  # type: ignore[attr-defined]
    try:
        tab = Tab(context.new_page(), kg_server)
        for name, path in (
            ("07-phone-home", "/"),
            ("08-phone-company", "/company/li-ning-company-limited"),
            ("09-phone-communications", "/communications?type=AL"),
            ("10-phone-ontology", "/ontology"),
        ):
            tab.page.goto(path)  # type: ignore[attr-defined]
            width = tab.page.evaluate("document.documentElement.scrollWidth")  # type: ignore[attr-defined]
            assert width <= 390, f"{path} is {width}px wide on a 390px screen"
            tab.shot(name)
        assert tab.errors == []
    finally:
        context.close()


def test_the_paths_page_draws_a_graph_with_evidence_and_links(tab: Tab):
    expect, page = sync_api.expect, tab.page
    page.goto("/company/li-ning-company-limited")
    block = page.locator("section.summary .connections")
    expect(block).to_contain_text("How this company connects to allegations")
    block.get_by_role("link", name=re.compile("as a graph with their evidence")).click()
    expect(page).to_have_url(re.compile(r"/explore-paths\?source=.*to_type=Allegation"))
    expect(page.locator(".path-list")).to_contain_text("is implicated in Forced labour (AL OTH 70/2020)")

    svg = page.locator("#paths-canvas svg")
    expect(svg).to_be_visible()
    expect(svg.locator("g.node.source")).to_have_count(1)  # the company, drawn once
    api = httpx.get(
        page.url.split("/explore-paths")[0] + "/paths",
        params={"source": LI_NING_IRI, "to_type": "Allegation", "limit": 50},
        timeout=60,
    ).json()
    on_paths = {node["iri"] for path in api["paths"] for node in path["nodes"]}
    assert len(on_paths) > 10
    expect(svg.locator("g.node")).to_have_count(len(on_paths))  # every entity on the paths, each once
    expect(svg.locator("g.edge").first).to_be_visible()
    page.get_by_role("button", name="Zoom in").click()
    page.get_by_role("button", name="Fit").click()

    edge = svg.locator("g.edge", has=page.locator("title", has_text="Forced labour (AL OTH 70/2020)")).first
    edge.click()
    panel = page.locator("#edge-evidence")
    expect(panel).to_contain_text("Forced labour (AL OTH 70/2020) — implicated actor → Li-Ning Company")
    expect(panel).to_contain_text("characters")
    tab.shot("11-paths-graph")
    page.locator("#paths-graph").screenshot(path=str(SCREENSHOTS / "12-paths-graph-detail.png"))

    node = svg.locator('g.node[data-iri$="/communication/al-oth-70-2020"]')
    node.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/communication/al-oth-70-2020$"))
    page.go_back()
    svg.locator('g.node[data-iri$="/country/CHN"]').click()
    expect(page.get_by_role("heading", level=1)).to_have_text("China")
    assert tab.errors == []
