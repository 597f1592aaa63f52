"""What differs between a stored document graph and a new one, told in a few readable lines.

When a letter under a reference already in the store comes in with other content, ingest
refuses it; the person at the keyboard then has to decide between ``--replace`` and fixing
the input, and a bare "content differs" gives them nothing to decide on. This module turns
the two graphs into "- stored" / "+ new" lines with prefixed names, so a changed date or a
misread name shows at a glance.

Both sides may be given in either library's terms, because the store hands out pyoxigraph
quads and the ingest pipeline builds rdflib graphs: an rdflib ``Graph``, or any iterable of
pyoxigraph ``Quad``/``Triple`` objects or of ``(s, p, o)`` tuples of pyoxigraph or rdflib
terms. Graph names of quads are ignored: one document graph is compared with another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pyoxigraph as ox
from rdflib import Graph
from rdflib.term import Node

from kg.config import DEFAULT_BASE_IRI, GRAPH_NS, ONTOLOGY_NS, VOCAB_NS
from kg.store import to_oxigraph

__all__ = ["BOOKKEEPING", "TripleSource", "describe_difference", "difference"]

TripleSource = Graph | Iterable[Any]
Term = ox.NamedNode | ox.BlankNode | ox.Literal
Key = tuple[str, str, str]

# Statements ingest adds about the act of storing, not about the letter: they change on every
# ingest (time) or follow from the rest (digest), so they would only hide the real change.
BOOKKEEPING = frozenset({ONTOLOGY_NS + "ingestedAt", ONTOLOGY_NS + "contentDigest"})

PREFIXES: dict[str, str] = {
    "kg": ONTOLOGY_NS,
    "vocab": VOCAB_NS,
    "graph": GRAPH_NS,
    "data": DEFAULT_BASE_IRI,
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "prov": "http://www.w3.org/ns/prov#",
    "org": "http://www.w3.org/ns/org#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "schema": "https://schema.org/",
}
_LABELS = (
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://xmlns.com/foaf/0.1/name",
)
_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_MAX_LITERAL = 80


def _term(term: Any) -> Term:
    if isinstance(term, ox.NamedNode | ox.BlankNode | ox.Literal):
        return term
    if isinstance(term, Node):
        return to_oxigraph(term)
    raise TypeError(f"not an RDF term: {term!r}")


def _triples(source: TripleSource) -> list[tuple[Term, Term, Term]]:
    """The statements as the store would hold them: Oxigraph rewrites literals to a canonical form
    ("10000.0"^^xsd:decimal becomes "10000"), so both sides pass through an in-memory store."""
    scratch = ox.Store()
    default = ox.DefaultGraph()
    for item in source:
        terms: tuple[Any, Any, Any] = (
            (item.subject, item.predicate, item.object)
            if isinstance(item, ox.Quad | ox.Triple)
            else (item[0], item[1], item[2])
        )
        s, p, o = (_term(t) for t in terms)
        scratch.add(ox.Quad(s, p, o, default))  # type: ignore[arg-type]
    return [(q.subject, q.predicate, q.object) for q in scratch]  # type: ignore[misc]


def _key(s: Term, p: Term, o: Term) -> Key:
    # Blank node labels are private to each graph (the store renames them), so they compare as
    # equal: document graphs do not use blank nodes, and a rare false "same" beats noise.
    return tuple("[]" if isinstance(t, ox.BlankNode) else str(t) for t in (s, p, o))  # type: ignore[return-value]


def difference(stored: TripleSource, new: TripleSource) -> tuple[list[Key], list[Key]]:
    """The statements only in ``stored`` and only in ``new`` (N-Triples terms), bookkeeping left out."""
    old_keys = {_key(*t) for t in _triples(stored) if str(t[1].value) not in BOOKKEEPING}
    new_keys = {_key(*t) for t in _triples(new) if str(t[1].value) not in BOOKKEEPING}
    return sorted(old_keys - new_keys), sorted(new_keys - old_keys)


class _Namer:
    """Short names for IRIs (prefixes) and a label where either graph gives one."""

    def __init__(self, prefixes: Mapping[str, str], labels: Mapping[str, str]) -> None:
        # Longest namespace first, so data: does not shadow a more specific namespace under it.
        self.prefixes = sorted(prefixes.items(), key=lambda item: -len(item[1]))
        self.labels = labels

    def iri(self, iri: str) -> str:
        for prefix, namespace in self.prefixes:
            if iri.startswith(namespace) and len(iri) > len(namespace):
                return f"{prefix}:{iri[len(namespace) :]}"
        return f"<{iri}>"

    def node(self, text: str, *, with_label: bool) -> str:
        if text == "[]":
            return "[]"
        if text.startswith("<"):
            iri = text[1:-1]
            name = self.iri(iri)
            label = self.labels.get(iri) if with_label else None
            return f"{name} ({_shorten(label)})" if label else name
        return self.literal(text)

    def literal(self, text: str) -> str:
        # N-Triples form: "lexical"^^<datatype> or "lexical"@lang or "lexical"
        if '"^^<' in text:
            lexical, datatype = text.rsplit("^^", 1)
            iri = datatype[1:-1]
            lexical = _shorten_quoted(lexical)
            return lexical if iri == _XSD_STRING else f"{lexical}^^{self.iri(iri)}"
        if '"@' in text:
            lexical, lang = text.rsplit("@", 1)
            return f"{_shorten_quoted(lexical)}@{lang}"
        return _shorten_quoted(text)


def _shorten(text: str) -> str:
    return text if len(text) <= _MAX_LITERAL else text[: _MAX_LITERAL - 1] + "…"


def _shorten_quoted(quoted: str) -> str:
    return f'"{_shorten(quoted[1:-1])}"'


def _labels(*sources: list[tuple[Term, Term, Term]]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for triples in sources:
        for s, p, o in triples:
            if str(p.value) in _LABELS and isinstance(s, ox.NamedNode) and isinstance(o, ox.Literal):
                labels.setdefault(str(s.value), str(o.value))
    return labels


def describe_difference(
    stored: TripleSource,
    new: TripleSource,
    *,
    limit: int = 12,
    prefixes: Mapping[str, str] | None = None,
) -> str:
    """A short report of how ``new`` differs from ``stored``, for a person deciding on --replace.

    One line per differing statement, ``- stored`` before ``+ new`` for the same subject and
    property, so a changed value reads as a pair; at most ``limit`` lines, then a count of
    the rest. ``prefixes`` (prefix -> namespace) add to or override kg's usual prefixes, e.g.
    ``{"data": settings.base_iri}`` for a store with another base IRI. Ingest bookkeeping
    (kg:ingestedAt, kg:contentDigest) is left out.
    """
    stored_triples = _triples(stored)
    new_triples = _triples(new)
    only_stored, only_new = difference(stored_triples, new_triples)
    if not only_stored and not only_new:
        return "no difference in content (only ingest bookkeeping such as kg:contentDigest differs)"
    namer = _Namer({**PREFIXES, **(prefixes or {})}, _labels(stored_triples, new_triples))
    # "<x>" sorts after "<x/source>"; without the ">" a letter's own statements come first.
    rows = sorted(
        [(s, p, 0, o) for s, p, o in only_stored] + [(s, p, 1, o) for s, p, o in only_new],
        key=lambda row: (row[0].rstrip(">"), row[1], row[2], row[3]),
    )
    lines = []
    for s, p, side, o in rows[: max(limit, 0)]:
        mark = "- stored" if side == 0 else "+ new   "
        subject = namer.node(s, with_label=False)
        lines.append(f"  {mark} {subject} {namer.node(p, with_label=False)} {namer.node(o, with_label=True)}")
    total = len(rows)
    header = (
        f"{total} statement{'s' if total != 1 else ''} differ: {len(only_stored)} only in the stored "
        f"document, {len(only_new)} only in the new one"
    )
    if total > len(lines):
        lines.append(f"  … and {total - len(lines)} more")
    return "\n".join([header, *lines])
