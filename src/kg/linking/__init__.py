"""Reconciliation with Wikidata (or any SPARQL endpoint in Wikidata's RDF model): ``kg link``.

``client`` talks to the endpoint (User-Agent, timeout, retries, on-disk cache),
``scoring`` turns a candidate into a number, ``reconcile`` finds candidates for the
graph's companies, international organisations, States, mandates and instruments and
keeps the decisions (by rule or by hand) in the links graph.
"""

from __future__ import annotations

from kg.linking.client import DEFAULT_ENDPOINT, EndpointError, SparqlClient
from kg.linking.reconcile import (
    EXTERNAL_GRAPH,
    LINKS_GRAPH,
    Decision,
    LinkReport,
    decide_by_hand,
    link_store,
    read_decisions,
    validate_external,
)

__all__ = [
    "DEFAULT_ENDPOINT",
    "EXTERNAL_GRAPH",
    "LINKS_GRAPH",
    "Decision",
    "EndpointError",
    "LinkReport",
    "SparqlClient",
    "decide_by_hand",
    "link_store",
    "read_decisions",
    "validate_external",
]
