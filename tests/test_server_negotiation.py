"""Content negotiation, one case per Accept header a client may send (no server needed)."""

from __future__ import annotations

import pytest

from kg.server.errors import ApiError
from kg.server.negotiation import (
    CSV,
    GRAPH_OFFERS,
    HTML,
    JSON,
    JSONLD,
    NTRIPLES,
    RDFXML,
    SOLUTION_OFFERS,
    TSV,
    TURTLE,
    XML,
    negotiate,
    parse_accept,
)
from kg.sparql_guard import query_form

SELECT = SOLUTION_OFFERS
GRAPH = GRAPH_OFFERS


def test_no_accept_header_gives_the_default():
    assert negotiate(None, SELECT) is JSON
    assert negotiate(None, GRAPH) is TURTLE


def test_empty_accept_header_gives_the_default():
    assert negotiate("", SELECT) is JSON
    assert negotiate("   ", GRAPH) is TURTLE


def test_exact_media_type():
    assert negotiate("text/tab-separated-values", SELECT) is TSV
    assert negotiate("application/n-triples", GRAPH) is NTRIPLES


def test_higher_q_wins():
    assert negotiate("text/csv;q=0.5, application/sparql-results+xml;q=0.9", SELECT) is XML


def test_q_wins_over_order_in_the_header():
    assert negotiate("application/rdf+xml;q=0.2, application/ld+json;q=0.8", GRAPH) is JSONLD


def test_q_zero_excludes_a_format_that_a_wildcard_would_allow():
    assert negotiate("application/sparql-results+json;q=0, */*", SELECT) is XML


def test_q_zero_on_everything_is_406_listing_the_offers():
    with pytest.raises(ApiError) as caught:
        negotiate("*/*;q=0", SELECT)
    assert caught.value.status == 406
    for offer in SELECT:
        assert offer.media_type in caught.value.message


def test_star_star_gives_the_default():
    assert negotiate("*/*", SELECT) is JSON
    assert negotiate("*/*", GRAPH) is TURTLE


def test_type_wildcard_picks_the_first_offer_of_that_type():
    assert negotiate("text/*", SELECT) is CSV
    assert negotiate("text/*", GRAPH) is TURTLE


def test_specific_beats_wildcard_at_equal_q():
    assert negotiate("*/*, text/csv", SELECT) is CSV


def test_most_specific_range_sets_the_weight():
    """text/* would allow Turtle, but text/turtle;q=0 says no."""
    assert negotiate("text/*, text/turtle;q=0, application/n-triples;q=0.1", GRAPH) is NTRIPLES


def test_unsupported_type_is_406():
    with pytest.raises(ApiError) as caught:
        negotiate("image/png", GRAPH)
    assert caught.value.status == 406 and caught.value.code == "not_acceptable"
    assert "text/turtle" in caught.value.message and "application/rdf+xml" in caught.value.message


def test_results_type_for_a_graph_query_is_406():
    with pytest.raises(ApiError) as caught:
        negotiate("text/csv", GRAPH)
    assert caught.value.status == 406


def test_application_json_is_sparql_json_for_select_and_json_ld_for_graphs():
    assert negotiate("application/json", SELECT) is JSON
    assert negotiate("application/json", GRAPH) is JSONLD


def test_application_xml_is_sparql_xml_for_select_and_rdf_xml_for_graphs():
    assert negotiate("application/xml", SELECT) is XML
    assert negotiate("application/xml", GRAPH) is RDFXML


def test_text_plain_is_csv_for_select_and_n_triples_for_graphs():
    assert negotiate("text/plain", SELECT) is CSV
    assert negotiate("text/plain", GRAPH) is NTRIPLES


def test_an_alias_does_not_ride_on_a_wildcard():
    """text/* names no alias: it means the text formats, so Turtle, not N-Triples via text/plain."""
    assert negotiate("text/*", GRAPH) is TURTLE


def test_browser_accept_header_picks_html_where_offered():
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,*/*;q=0.8"
    assert negotiate(browser, (*GRAPH, HTML)) is HTML
    assert negotiate(browser, SELECT) is XML


def test_n3_is_answered_with_turtle():
    assert negotiate("text/n3", GRAPH) is TURTLE


def test_media_type_parameters_and_case_are_ignored():
    assert negotiate("Text/CSV; charset=utf-8", SELECT) is CSV


def test_malformed_ranges_are_skipped():
    assert negotiate("garbage, text/csv", SELECT) is CSV
    assert negotiate("text/csv;q=2, application/sparql-results+xml", SELECT) is XML
    assert negotiate("nonsense", SELECT) is JSON  # nothing readable: as if absent


def test_java_style_header_with_bare_star_and_short_q():
    header = "text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2"
    assert [r.q for r in parse_accept(header)][-2:] == [0.2, 0.2]
    assert negotiate(header, SELECT) is JSON


def test_quoted_commas_in_parameters_do_not_split_ranges():
    assert negotiate('text/csv;foo="a,b";q=0.5, application/sparql-results+xml;q=0.4', SELECT) is CSV


def test_format_parameter_overrides_accept():
    assert negotiate("application/sparql-results+json", SELECT, format_param="tsv") is TSV
    assert negotiate("text/turtle", GRAPH, format_param="application/n-triples") is NTRIPLES


@pytest.mark.parametrize(
    ("name", "offers", "expected"),
    [
        ("json", SELECT, JSON),
        ("xml", SELECT, XML),
        ("csv", SELECT, CSV),
        ("tsv", SELECT, TSV),
        ("turtle", GRAPH, TURTLE),
        ("ttl", GRAPH, TURTLE),
        ("ntriples", GRAPH, NTRIPLES),
        ("nt", GRAPH, NTRIPLES),
        ("jsonld", GRAPH, JSONLD),
        ("json", GRAPH, JSONLD),
        ("rdfxml", GRAPH, RDFXML),
        ("xml", GRAPH, RDFXML),
        ("application/sparql-results+xml", SELECT, XML),
        ("text/tab-separated-values", SELECT, TSV),
    ],
)
def test_format_parameter_names(name, offers, expected):
    assert negotiate(None, offers, format_param=name) is expected


def test_format_parameter_for_the_other_query_form_is_406():
    with pytest.raises(ApiError) as caught:
        negotiate(None, SELECT, format_param="turtle")
    assert caught.value.status == 406 and "csv" in caught.value.message


def test_unknown_format_parameter_is_400():
    with pytest.raises(ApiError) as caught:
        negotiate(None, SELECT, format_param="excel")
    assert caught.value.status == 400 and caught.value.code == "unknown_format"


@pytest.mark.parametrize(
    ("sparql", "form"),
    [
        ("SELECT * WHERE { ?s ?p ?o }", "solutions"),
        ("ask {}", "solutions"),
        ("PREFIX select: <http://x/construct#> CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "graph"),
        ("# SELECT in a comment\nDESCRIBE <http://example.org/ask>", "graph"),
        ('BASE <http://x/> SELECT ?ask WHERE { ?ask ?p "CONSTRUCT" }', "solutions"),
        ("INSERT DATA { <a> <b> <c> }", None),
    ],
)
def test_query_form_is_read_past_prologue_comments_and_strings(sparql, form):
    assert query_form(sparql) == form
