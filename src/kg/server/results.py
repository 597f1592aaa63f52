"""Writing answers: canonical query results (SPARQL JSON, N-Triples) into the negotiated format.

The query pool hands back one canonical form; every other format is a conversion by
pyoxigraph here, so the bytes for a format are the same whichever route asked.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from kg.config import ONTOLOGY_NS
from kg.server.negotiation import CSV, JSON, JSONLD, NTRIPLES, RDFXML, TSV, TURTLE, XML, Format
from kg.workers import QueryResult

PREFIXES: dict[str, str] = {
    "kg": ONTOLOGY_NS,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "schema": "http://schema.org/",
    "void": "http://rdfs.org/ns/void#",
    "sd": "http://www.w3.org/ns/sparql-service-description#",
}

_RESULT_FORMATS: dict[str, ox.QueryResultsFormat] = {
    JSON.key: ox.QueryResultsFormat.JSON,
    XML.key: ox.QueryResultsFormat.XML,
    CSV.key: ox.QueryResultsFormat.CSV,
    TSV.key: ox.QueryResultsFormat.TSV,
}
_RDF_FORMATS: dict[str, ox.RdfFormat] = {
    TURTLE.key: ox.RdfFormat.TURTLE,
    NTRIPLES.key: ox.RdfFormat.N_TRIPLES,
    JSONLD.key: ox.RdfFormat.JSON_LD,
    RDFXML.key: ox.RdfFormat.RDF_XML,
}


def render_result(result: QueryResult, fmt: Format) -> bytes:
    """The pool's answer in ``fmt``; the canonical formats pass through untouched."""
    if result.kind == "graph":
        return render_ntriples(result.data, fmt)
    if fmt.key == JSON.key:
        return result.data
    parsed = ox.parse_query_results(result.data, format=ox.QueryResultsFormat.JSON)
    return parsed.serialize(format=_RESULT_FORMATS[fmt.key]) or b""


def render_ntriples(data: bytes, fmt: Format) -> bytes:
    if fmt.key == NTRIPLES.key:
        return data
    return render_triples(ox.parse(data, format=ox.RdfFormat.N_TRIPLES), fmt)


def render_triples(triples: Iterable[ox.Triple | ox.Quad], fmt: Format) -> bytes:
    """Triples (or default-graph quads) in one of the RDF formats, with the prefixes they use."""
    rdf_format = _RDF_FORMATS[fmt.key]
    if rdf_format not in (ox.RdfFormat.TURTLE, ox.RdfFormat.RDF_XML):
        return ox.serialize(triples, format=rdf_format) or b""
    items = list(triples)
    return ox.serialize(items, format=rdf_format, prefixes=_used_prefixes(items)) or b""


def _used_prefixes(items: list[ox.Triple | ox.Quad]) -> dict[str, str]:
    """Only the prefixes whose namespace occurs, so a small answer has a short header."""
    namespaces: set[str] = set()
    for item in items:
        for term in (item.subject, item.predicate, item.object):
            if isinstance(term, ox.NamedNode):
                namespaces.add(_namespace(term.value))
            elif isinstance(term, ox.Literal):
                namespaces.add(_namespace(term.datatype.value))
    return {name: ns for name, ns in PREFIXES.items() if ns in namespaces}


def _namespace(iri: str) -> str:
    return iri[: max(iri.rfind("#"), iri.rfind("/")) + 1]
