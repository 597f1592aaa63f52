"""The paths page (/explore-paths) and the company page's "how this company connects to allegations"
block, in-process on the sample graph: sentences with their evidence, readable errors, escaping."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from test_pages import Site, serve, text_of

pytest_plugins = ["server_fixture"]

LI_NING = "https://w3id.org/kg-spcomm/data/company/li-ning-company-limited"


@pytest.fixture(scope="module")
def site(sample_data_dir: Path) -> Iterator[Site]:
    yield from serve(sample_data_dir)


def test_paths_from_the_company_to_allegations_read_as_sentences_with_evidence(site: Site):
    page = site.page(f"/explore-paths?source={LI_NING}&to_type=Allegation&inferred=1")
    words = text_of(page)
    assert "Li-Ning Company Limited is implicated in Forced labour (AL OTH 70/2020)." in words
    assert "Li-Ning Company Limited received AL OTH 70/2020, which was also sent to China" in words
    assert "AL OTH 70/2020" in words
    # each path's steps link both ends and give the evidence's document and characters
    assert '<a href="/company/li-ning-company-limited">Li-Ning Company Limited</a>' in page
    assert re.search(r'<a href="/graph/al-oth-70-2020">al-oth-70-2020</a>, characters \d+–\d+', page)
    assert site.get("/graph/al-oth-70-2020").status_code == 200
    # the form keeps what was asked; the graph's data is in attributes, no inline script
    assert f'value="{LI_NING}"' in page
    assert '<option value="Allegation" selected>' in page
    assert 'src="/static/paths.js"' in page
    assert "<script>" not in page and " style=" not in page and " onclick" not in page
    graph = re.search(r'<div id="paths-graph"[^>]*>', page)
    assert graph is not None
    api = html.unescape(re.search(r'data-api="([^"]*)"', graph.group(0)).group(1))  # type: ignore[union-attr]
    assert parse_qs(urlsplit(api).query)["to_type"] == ["Allegation"]
    urls = json.loads(html.unescape(re.search(r'data-urls="([^"]*)"', graph.group(0)).group(1)))  # type: ignore[union-attr]
    assert urls[LI_NING] == {"url": "/company/li-ning-company-limited", "kind": "company"}
    # and the JSON the script fetches answers
    body = site.get(api, headers={"accept": "application/json"}).json()
    # the page counts what the API finds (fewer since paths no longer cross shared vocabulary)
    assert body["complete"] and len(body["paths"]) == body["total"] > 10
    assert f"{body['total']} paths" in words


def test_paths_by_name_to_an_entity_and_without_inferred_facts(site: Site):
    words = text_of(site.page("/explore-paths?source=Li-Ning&to=China&max_hops=3&mode=all&inferred=0"))
    assert "which was also sent to China" in words
    assert "Include inferred facts" in words


def test_an_unknown_source_is_a_readable_error_not_a_trace(site: Site):
    response = site.get("/explore-paths?source=No+Such+Company+Anywhere&to_type=Allegation")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    words = text_of(response.text)
    assert "No paths" in words and "no entity is named 'No Such Company Anywhere'" in words
    assert "Traceback" not in response.text
    bad = site.get("/explore-paths?source=Li-Ning&to_type=Allegation&max_hops=9")
    assert bad.status_code == 400 and "max hops must be a whole number from 1 to 6" in text_of(bad.text)
    no_target = site.get("/explore-paths?source=Li-Ning")
    assert no_target.status_code == 400 and "choose a target" in text_of(no_target.text)


def test_the_empty_page_is_a_form_and_the_nav_links_it(site: Site):
    page = site.page("/explore-paths")
    assert 'action="/explore-paths"' in page and 'name="source"' in page
    assert '<a href="/explore-paths" aria-current="page">Paths</a>' in page
    assert '<a href="/explore-paths">Paths</a>' in site.page("/")


def test_escaping_of_what_a_user_typed(site: Site):
    response = site.get(
        "/explore-paths", params={"source": "<script>alert(1)</script>", "to_type": "Allegation"}
    )
    assert response.status_code == 404
    assert "<script>alert(1)</script>" not in response.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in response.text


def test_the_company_page_says_how_it_connects_to_allegations(site: Site):
    page = site.page("/company/li-ning-company-limited")
    words = text_of(page)
    assert "How this company connects to allegations" in words
    assert "Li-Ning Company Limited is implicated in" in words
    link = re.search(
        r'<a href="(/explore-paths\?[^"]*)">All (\d+) paths, as a graph with their evidence</a>', page
    )
    assert link is not None
    query = parse_qs(urlsplit(html.unescape(link.group(1))).query)
    assert query["source"] == [LI_NING] and query["to_type"] == ["Allegation"]
    api = site.get("/paths", params={"source": LI_NING, "to_type": "Allegation", "limit": 500}).json()
    assert int(link.group(2)) == api["total"]
    assert "How this company connects" not in site.page("/communication/al-oth-70-2020")
