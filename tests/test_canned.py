"""Every canned query parses, documents itself, binds parameters safely and answers right on the sample."""

from __future__ import annotations

import pytest

from kg.canned import load_canned_queries
from kg.errors import QueryError
from kg.query import run_query
from support import sample_store

QUERIES = load_canned_queries()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    return sample_store(tmp_path_factory)


def run(store, query_name, **params):
    q = QUERIES[query_name]
    return run_query(store, q.render(params)).values()


def test_there_are_canned_queries_with_headers():
    assert len(QUERIES) >= 10
    for q in QUERIES.values():
        assert q.title and q.description, q.name
        for p in q.parameters:
            assert p.description, (q.name, p.name)
            assert f"?{p.name}" in q.sparql, f"{q.name} declares {p.name} but never uses it"


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_every_query_runs_on_the_sample_graph_and_returns_rows(store, name):
    rows = run(store, name)
    assert rows, f"{name} returned no rows on the sample graph"


def test_parameter_values_cannot_inject_sparql(store):
    hostile = '") } ; DROP ALL ; SELECT * WHERE { ?s ?p ?o FILTER("'
    assert run(store, "communications-by-company", company=hostile) == []
    assert run(store, "communications-by-company")  # the store still answers


def test_ill_typed_and_unknown_parameters_are_refused():
    with pytest.raises(QueryError, match="must be year"):
        QUERIES["communications-by-year-and-type"].bind({"year": "last year"})
    with pytest.raises(QueryError, match="has no parameter"):
        QUERIES["communications-by-company"].bind({"compnay": "x"})
    with pytest.raises(QueryError, match="must be iri"):
        QUERIES["allegations-by-issue"].bind({"issue": "forced labour"})


def test_communications_received_by_a_company(store):
    rows = run(store, "communications-by-company", company="li-ning")
    assert [(r["reference"], r["type"], r["date"], r["mandates"]) for r in rows] == [
        ("AL OTH 70/2020", "AL", "2021-03-12", "7")
    ]
    companies = {r["companyName"] for r in run(store, "communications-by-company")}
    assert len(companies) >= 1


def test_allegations_by_issue_include_narrower_issues_when_asked(store):
    rows = {r["issueLabel"]: r for r in run(store, "allegations-by-issue")}
    forced = next(r for label, r in rows.items() if "forced labour" in label.lower())
    assert int(forced["communications"]) >= 2
    assert forced["affectedGroups"]


def test_mandates_and_resolutions(store):
    rows = run(store, "mandates-and-resolutions", mandate="torture")
    relations = {(r["relation"], r["resolution"]) for r in rows}
    assert ("established by", "1985/33") in relations
    assert ("cited by a letter", "43/20") in relations
    assert ("cited by a letter", "16/23") in relations
    assert all(r["symbol"] for r in rows if r["resolution"] and "/" in r["resolution"])


def test_guiding_principles_cited_per_communication(store):
    rows = run(store, "guiding-principles-cited", reference_filter="AL OTH 70/2020")
    assert len(rows) == 1
    numbers = [int(n) for n in rows[0]["principles"].split(", ")]
    assert numbers == [13, 15, 19, 20, 22, 25, 26, 27, 28, 29, 30, 31]


def test_states_on_the_same_matter_as_a_company(store):
    rows = run(store, "states-on-same-matter", company="li-ning")
    codes = {r["iso3"] for r in rows}
    assert len(codes) == 14
    assert {"CHN", "GBR", "USA", "KOR", "CAN"} <= codes
    china = [r for r in rows if r["iso3"] == "CHN"]
    assert any(r["stateLetter"] == "AL CHN 18/2020" for r in china)


def test_communications_by_state_and_mandate_and_year(store):
    assert [r["reference"] for r in run(store, "communications-by-state", iso3="syr")] == ["UA SYR 3/2014"]
    housing = {
        (r["reference"], r["resolution"]) for r in run(store, "communications-by-mandate", mandate="housing")
    }
    assert housing == {("OL OTH 17/2019", "34/9"), ("UA SYR 3/2014", "15/8")}
    by_year = {
        (r["yearSent"], r["type"]): int(r["communications"])
        for r in run(store, "communications-by-year-and-type")
    }
    assert by_year[("2021", "AL")] == 2
    assert by_year[("2019", "UA")] == 1


def test_mandate_holders_and_what_they_signed(store):
    [row] = run(store, "mandate-holders", name="pesce")
    assert row["postTitle"] == "Chair-Rapporteur"
    assert "business enterprises" in row["mandateLabel"]
    assert row["signed"] == "1"


def test_publication_dates(store):
    rows = {r["reference"]: r for r in run(store, "communications-with-publication")}
    assert rows["AL OTH 70/2020"]["publicationDate"] == "2021-05-11"
    assert rows["AL OTH 70/2020"]["days"] == "60"
