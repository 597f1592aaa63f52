"""What the store holds: documents, triples, instances per class, last ingest."""

from __future__ import annotations

from dataclasses import dataclass

from kg.config import ONTOLOGY_NS
from kg.query import run_query
from kg.store import EmbeddedStore

_DOCUMENTS = f"""
SELECT (COUNT(?g) AS ?documents) (MAX(?t) AS ?last)
WHERE {{ GRAPH ?g {{ ?g a <{ONTOLOGY_NS}DocumentGraph> OPTIONAL {{ ?g <{ONTOLOGY_NS}ingestedAt> ?t }} }} }}
"""
_CLASSES = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label (COUNT(DISTINCT ?s) AS ?n)
WHERE {{
  GRAPH ?g {{ ?g a <{ONTOLOGY_NS}DocumentGraph> . ?s a ?class }}
  FILTER STRSTARTS(STR(?class), "{ONTOLOGY_NS}")
  OPTIONAL {{ ?class rdfs:label ?l }}
  BIND (COALESCE(STR(?l), STRAFTER(STR(?class), "#")) AS ?label)
}}
GROUP BY ?label ORDER BY DESC(?n) ?label
"""


@dataclass(frozen=True)
class StoreStats:
    documents: int
    triples: int
    last_ingest: str | None
    classes: list[tuple[str, int]]


def store_stats(store: EmbeddedStore) -> StoreStats:
    """Counts over the document graphs only: vocabularies would drown what users ingested."""
    head = run_query(
        store,
        _DOCUMENTS,
    ).values()[0]
    classes = [(row["label"] or "", int(row["n"] or 0)) for row in run_query(store, _CLASSES).values()]
    return StoreStats(
        documents=int(head["documents"] or 0),
        triples=len(store),
        last_ingest=head["last"],
        classes=classes,
    )
