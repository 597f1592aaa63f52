"""The ontology as a page: one anchored section per class and property, read from the served graph."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from kg.config import ONTOLOGY_IRI, ONTOLOGY_NS
from kg.server.explorer import queries
from kg.server.explorer.links import Link, curie, local_name, resource_url
from kg.server.explorer.results import Row, Term, text
from kg.workers import QueryPool

_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_OWL = "http://www.w3.org/2002/07/owl#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_DCTERMS = "http://purl.org/dc/terms/"

PROPERTY_KINDS = {
    _OWL + "ObjectProperty": "object property",
    _OWL + "DatatypeProperty": "datatype property",
    _OWL + "AnnotationProperty": "annotation property",
    _RDF + "Property": "property",
}
# Relations between terms, as read from the term (outgoing) and towards it (incoming).
OUTGOING = {
    _RDFS + "subClassOf": "Subclass of",
    _RDFS + "subPropertyOf": "Subproperty of",
    _RDFS + "domain": "Domain",
    _RDFS + "range": "Range",
    _OWL + "inverseOf": "Inverse of",
    _OWL + "disjointWith": "Disjoint with",
    _OWL + "equivalentClass": "Equivalent to",
    _OWL + "equivalentProperty": "Equivalent to",
    _RDFS + "seeAlso": "See also",
}
INCOMING = {
    _RDFS + "subClassOf": "Subclasses",
    _RDFS + "subPropertyOf": "Subproperties",
    _RDFS + "domain": "Properties with this domain",
    _RDFS + "range": "Properties with this range",
    _OWL + "inverseOf": "Inverse of",
    _OWL + "disjointWith": "Disjoint with",
}
SHOWN_ELSEWHERE = {
    _RDF + "type",
    _RDFS + "label",
    _SKOS + "definition",
    _RDFS + "comment",
    _RDFS + "isDefinedBy",
}


@dataclass
class OntologyTerm:
    iri: str
    name: str
    label: str = ""
    definition: str | None = None
    comments: list[str] = field(default_factory=list)
    kind: str = "term"
    characteristics: list[str] = field(default_factory=list)
    relations: dict[str, list[Link]] = field(default_factory=dict)
    uses_url: str = ""

    @property
    def is_class(self) -> bool:
        return self.kind == "class"


@dataclass
class OntologyView:
    iri: str
    title: str
    description: str | None
    header: list[tuple[str, str]]
    classes: list[OntologyTerm]
    properties: list[OntologyTerm]
    turtle_url: str = "/ontology.ttl"


def term_link(term: Term, label: str | None) -> Link:
    """Terms of this ontology link to their anchor; others to their own IRI, which documents them."""
    if term.value.startswith(ONTOLOGY_NS):
        name = term.value[len(ONTOLOGY_NS) :]
        return Link(label or name, f"#{name}", term.value)
    return Link(curie(term.value), term.value, term.value)


def _add(relations: dict[str, list[Link]], title: str, link: Link) -> None:
    bucket = relations.setdefault(title, [])
    if link not in bucket:
        bucket.append(link)


def _apply(term: OntologyTerm, row: Row) -> None:
    p, o = text(row, "p"), row["o"]
    incoming = text(row, "incoming") == "true"
    label = text(row, "oLabel") or None
    if incoming:
        if p in INCOMING and o.is_iri:
            _add(term.relations, INCOMING[p], term_link(o, label))
        return
    if p == _RDF + "type" and o.is_iri:
        if o.value == _OWL + "Class" or o.value == _RDFS + "Class":
            term.kind = "class"
        elif o.value in PROPERTY_KINDS:
            term.kind = PROPERTY_KINDS[o.value]
        else:
            term.characteristics.append(local_name(o.value))
    elif p == _RDFS + "label" and (o.lang in (None, "en")):
        term.label = term.label or o.value
    elif p == _SKOS + "definition":
        term.definition = o.value
    elif p == _RDFS + "comment":
        term.comments.append(o.value)
    elif p in OUTGOING and o.is_iri:
        _add(term.relations, OUTGOING[p], term_link(o, label))
    elif p not in SHOWN_ELSEWHERE and o.kind != "bnode":
        _add(term.relations, curie(p), term_link(o, label) if o.is_iri else Link(o.value, None))


async def build_ontology(pool: QueryPool) -> OntologyView:
    terms_result, header_result = await asyncio.gather(
        queries.select(pool, "ontology-terms", ontology=ONTOLOGY_IRI),
        queries.select(pool, "ontology-header", ontology=ONTOLOGY_IRI),
    )
    terms: dict[str, OntologyTerm] = {}
    for row in terms_result.rows:
        iri = text(row, "term")
        if not iri.startswith(ONTOLOGY_NS):
            continue
        name = iri[len(ONTOLOGY_NS) :]
        term = terms.setdefault(iri, OntologyTerm(iri, name, uses_url=resource_url(iri)))
        _apply(term, row)
    order = {title: i for i, title in enumerate(dict.fromkeys([*OUTGOING.values(), *INCOMING.values()]))}
    for term in terms.values():
        term.label = term.label or term.name
        term.characteristics.sort()
        term.relations = dict(sorted(term.relations.items(), key=lambda kv: order.get(kv[0], len(order))))
    header = {text(r, "p"): text(r, "o") for r in header_result.rows if r["o"].is_literal}
    shown = [
        (title, header[_DCTERMS + key])
        for key, title in (("created", "Created"), ("creator", "Creator"))
        if _DCTERMS + key in header
    ]
    version = header.get(_OWL + "versionInfo")
    if version:
        shown.insert(0, ("Version", version))
    licence = next((text(r, "o") for r in header_result.rows if text(r, "p") == _DCTERMS + "license"), None)
    if licence:
        shown.append(("Licence", licence))
    ordered = sorted(terms.values(), key=lambda t: t.name.lower())
    return OntologyView(
        iri=ONTOLOGY_IRI,
        title=header.get(_DCTERMS + "title") or header.get(_RDFS + "label") or "Ontology",
        description=header.get(_DCTERMS + "description"),
        header=shown,
        classes=[t for t in ordered if t.is_class],
        properties=[t for t in ordered if not t.is_class],
    )
