"""Writing the store out: every named graph, in the RDF syntaxes other tools read."""

from __future__ import annotations

import io

import pyoxigraph as ox
from rdflib import Graph

from kg.config import DEFAULT_BASE_IRI, ONTOLOGY_NS
from kg.errors import KgError
from kg.store import EmbeddedStore

DATASET_FORMATS = {"nquads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG}
GRAPH_FORMATS = {"turtle": ox.RdfFormat.TURTLE}
# Formats for other tools (kg.exports, kg.ftm); CSV writes a folder, so it is not here.
OTHER_FORMATS = ("jsonld", "ftm", "dcat")


def export_store(store: EmbeddedStore, fmt: str, *, base_iri: str = DEFAULT_BASE_IRI) -> bytes:
    """Datasets keep their graphs (nquads, trig, jsonld); Turtle flattens them into one graph.

    jsonld is compacted with kg's published context; ftm is FollowTheMoney JSON lines; dcat
    is the DCAT/VoID description of the dataset (Turtle).
    """
    if fmt == "jsonld":
        from kg.exports import export_jsonld

        return export_jsonld(store)
    if fmt == "ftm":
        from kg.ftm import export_ftm

        return export_ftm(store)
    if fmt == "dcat":
        from kg.exports import export_dcat

        return export_dcat(store, base_iri=base_iri)
    buffer = io.BytesIO()
    if fmt in DATASET_FORMATS:
        store.dump(buffer, DATASET_FORMATS[fmt])
        return buffer.getvalue()
    if fmt in GRAPH_FORMATS:
        answer = store.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", union=True)
        return ox.serialize(answer, format=GRAPH_FORMATS[fmt]) or b""
    raise KgError(
        f"unknown export format {fmt!r}; use one of "
        f"{', '.join([*DATASET_FORMATS, *GRAPH_FORMATS, *OTHER_FORMATS, 'csv'])}"
    )


def store_graph(store: EmbeddedStore, *, documents_only: bool) -> Graph:
    """The store (or only its document graphs) as one rdflib graph, for validation and reasoning."""
    if documents_only:
        document = f"?g a <{ONTOLOGY_NS}DocumentGraph>"
        sparql = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH ?g {{ {document} . ?s ?p ?o }} }}"
    else:
        sparql = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    data = ox.serialize(store.query(sparql, union=not documents_only), format=ox.RdfFormat.N_TRIPLES) or b""
    return Graph().parse(data=data.decode("utf-8"), format="nt")
