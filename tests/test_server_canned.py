"""Canned queries over HTTP: listed at /queries (JSON and HTML), run at /queries/{name} in every format."""

from __future__ import annotations

import csv
import io

import httpx
import pytest

from kg.canned import load_canned_queries

pytest_plugins = ["server_fixture"]

QUERIES = load_canned_queries()
FORMATS = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}


@pytest.fixture(scope="module")
def client(kg_server):
    with httpx.Client(base_url=kg_server, timeout=30.0) as http:
        yield http


def test_the_list_describes_every_query(client, kg_server):
    response = client.get("/queries")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    items = {item["name"]: item for item in response.json()}
    assert set(items) == set(QUERIES) and len(items) >= 16
    by_company = items["communications-by-company"]
    assert by_company["title"] and by_company["description"] and "SELECT" in by_company["sparql"]
    assert by_company["parameters"] == [
        {
            "name": "company",
            "type": "string",
            "default": None,
            "description": QUERIES["communications-by-company"].parameters[0].description,
        }
    ]
    assert by_company["url"] == f"{kg_server}/queries/communications-by-company"


def test_browsers_get_an_html_list(client):
    response = client.get("/queries", headers={"accept": "text/html,*/*;q=0.8"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert (
        "communications-by-company" in response.text
        or "Communications received by a company" in response.text
    )


@pytest.mark.parametrize("fmt", sorted(FORMATS))
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_canned_query_in_every_format(client, name, fmt):
    response = client.get(f"/queries/{name}", params={"format": fmt})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"{FORMATS[fmt]}; charset=utf-8"
    if fmt == "json":
        assert response.json()["results"]["bindings"], f"{name} returned no rows"
    if fmt == "csv":
        assert list(csv.DictReader(io.StringIO(response.text))), f"{name} returned no rows"


def test_parameters_bind_and_accept_negotiates(client):
    response = client.get(
        "/queries/communications-by-company", params={"company": "li-ning"}, headers={"accept": "text/csv"}
    )
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["reference"], r["type"]) for r in rows] == [("AL OTH 70/2020", "AL")]


def test_hostile_values_cannot_change_the_query(client):
    hostile = '") } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o FILTER("'
    response = client.get("/queries/communications-by-company", params={"company": hostile})
    assert response.status_code == 200
    assert response.json()["results"]["bindings"] == []
    assert client.get("/queries/communications-by-company").json()["results"]["bindings"]


def test_a_bad_parameter_is_400_naming_it(client):
    response = client.get("/queries/communications-by-year-and-type", params={"year": "last year"})
    assert response.status_code == 400
    assert "'year'" in response.json()["error"]["message"]
    response = client.get("/queries/communications-by-company", params={"compnay": "x"})
    assert response.status_code == 400 and "compnay" in response.json()["error"]["message"]
    response = client.get("/queries/communications-by-company", params=[("company", "a"), ("company", "b")])
    assert response.status_code == 400 and "more than once" in response.json()["error"]["message"]


def test_an_unknown_query_is_404(client):
    response = client.get("/queries/no-such-query")
    assert response.status_code == 404
    assert "/queries" in response.json()["error"]["message"]
