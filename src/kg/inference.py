"""Forward-chaining of the ontology's axioms, materialised per document into an inferred graph.

A full OWL 2 RL closure of the store took 167 s (owlrl) or 70 s (reasonable) for 10,000
communications, so recomputing everything at each ingest cannot scale. The axioms kg
relies on (inverses, symmetric properties, sub-properties, sub-classes and two-step
property chains) only ever join facts of one letter, so each document gets its own
closure, written into ``<document graph>/inferred``: replaced and removed with its
document, and marked as inferred (``a kg:InferredGraph ; prov:wasDerivedFrom <doc>``) so
queries can leave it out.

The rules are compiled once from the ontology's axioms (nothing here names a kg
property); the closure runs over the document's triples plus the vocabulary triples that
touch the document's nodes, semi-naively: only derivations that use at least one fact of
the document are kept, so facts that follow from the vocabularies alone are not copied
into every document's inferred graph.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS

from kg.config import GRAPH_NS, ONTOLOGY_NS
from kg.store import EmbeddedStore, to_oxigraph
from kg.vocab import Vocabulary, load_vocabulary

__all__ = [
    "GENERATOR",
    "INFERRED_SUFFIX",
    "RULES_VERSION",
    "MaterialiseResult",
    "RecomputeResult",
    "RuleSet",
    "asserted_graphs",
    "compile_rules",
    "inferred_graph_iri",
    "materialise_document",
    "recompute_all",
    "remove_inferred",
    "rules_for",
    "stale_inferred_graphs",
]

RULES_VERSION = "1"
# The generator of an inferred graph is this plus a digest of the axioms the rules came from,
# so a graph made before the ontology changed can be told apart (see stale_inferred_graphs).
GENERATOR = f"kg inference rules {RULES_VERSION}"
INFERRED_SUFFIX = "/inferred"

Node = ox.NamedNode | ox.BlankNode | ox.Literal
Triple = tuple[Node, Node, Node]

_TYPE = ox.NamedNode(str(RDF.type))
_INFERRED_GRAPH = ox.NamedNode(ONTOLOGY_NS + "InferredGraph")
_DOCUMENT_GRAPH = ox.NamedNode(ONTOLOGY_NS + "DocumentGraph")
_DERIVED_FROM = ox.NamedNode("http://www.w3.org/ns/prov#wasDerivedFrom")
_GENERATED_BY = ox.NamedNode("http://www.w3.org/ns/prov#wasGeneratedBy")


LINKS_GRAPH = GRAPH_NS + "links"
"""kg link's graph of accepted links and decisions; its inferred graph follows it like a document's."""


def inferred_graph_iri(document_graph_iri: str) -> str:
    """The inferred graph of a document: its IRI says whose facts it derives from."""
    return document_graph_iri + INFERRED_SUFFIX


# -- the rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSet:
    """The ontology's axioms as lookup tables, plus the vocabulary triples indexed by node.

    ``reverse[p]``: properties q with (s p o) => (o q s) (inverses both ways, symmetric p).
    ``super_properties[p]`` / ``super_classes[c]``: transitive closures, p and c excluded.
    ``chains``: (p1, p2, q) for q = p1/p2.
    ``generator``: what inferred graphs record as made them (version and digest of the axioms).
    """

    reverse: dict[ox.NamedNode, frozenset[ox.NamedNode]]
    super_properties: dict[ox.NamedNode, frozenset[ox.NamedNode]]
    super_classes: dict[ox.NamedNode, frozenset[ox.NamedNode]]
    chains: tuple[tuple[ox.NamedNode, ox.NamedNode, ox.NamedNode], ...]
    counts: dict[str, int]
    generator: str
    context: dict[Node, tuple[Triple, ...]] = field(repr=False, compare=False)

    def closure(self, triples: Iterable[Triple]) -> set[Triple]:
        """The triples that follow from ``triples`` (with the vocabulary context), minus all asserted.

        Semi-naive: each round applies the rules to the facts derived in the round before,
        joining them with everything known, until nothing new appears.
        """
        document = set(triples)
        known = set(document)
        for node in {n for t in document for n in (t[0], t[2])}:
            known.update(self.context.get(node, ()))
        # Indexes for the chain joins: outgoing[p][s] = {o}, incoming[p][o] = {s}.
        chain_first: dict[ox.NamedNode, list[tuple[ox.NamedNode, ox.NamedNode]]] = defaultdict(list)
        chain_second: dict[ox.NamedNode, list[tuple[ox.NamedNode, ox.NamedNode]]] = defaultdict(list)
        for p1, p2, q in self.chains:
            chain_first[p1].append((p2, q))
            chain_second[p2].append((p1, q))
        chained = set(chain_first) | set(chain_second)
        outgoing: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))
        incoming: dict[Node, dict[Node, set[Node]]] = defaultdict(lambda: defaultdict(set))

        def index(facts: Iterable[Triple]) -> None:
            for s, p, o in facts:
                if p in chained:
                    outgoing[p][s].add(o)
                    incoming[p][o].add(s)

        index(known)
        derived: set[Triple] = set()
        delta = document
        while delta:
            new: set[Triple] = set()
            for s, p, o in delta:
                if p == _TYPE:
                    new.update((s, p, c) for c in self.super_classes.get(o, ()))  # type: ignore[arg-type]
                new.update((s, q, o) for q in self.super_properties.get(p, ()))  # type: ignore[arg-type]
                if not isinstance(o, ox.Literal):
                    new.update((o, q, s) for q in self.reverse.get(p, ()))  # type: ignore[arg-type]
                for p2, q in chain_first.get(p, ()):  # type: ignore[call-overload]
                    new.update((s, q, o2) for o2 in outgoing[p2].get(o, ()))
                for p1, q in chain_second.get(p, ()):  # type: ignore[call-overload]
                    new.update((s0, q, o) for s0 in incoming[p1].get(s, ()))
            new -= known
            known |= new
            derived |= new
            index(new)
            delta = new
        return derived


def compile_rules(graph: Graph) -> RuleSet:
    """Read the axioms of ``graph`` (the ontology and vocabularies) into a RuleSet.

    Only the axioms whose consequences stay inside one document are compiled: the rules
    never need more than the document and its direct vocabulary neighbours.
    """
    reverse: dict[ox.NamedNode, set[ox.NamedNode]] = defaultdict(set)
    counts = {"inverseOf": 0, "symmetric": 0, "subPropertyOf": 0, "subClassOf": 0, "propertyChain": 0}
    for p, q in graph.subject_objects(OWL.inverseOf):
        if isinstance(p, URIRef) and isinstance(q, URIRef):
            reverse[_named(p)].add(_named(q))
            reverse[_named(q)].add(_named(p))
            counts["inverseOf"] += 2
    for p in {*graph.subjects(RDF.type, OWL.SymmetricProperty), OWL.sameAs}:  # sameAs: OWL 2 RL eq-sym
        if isinstance(p, URIRef):
            reverse[_named(p)].add(_named(p))
            counts["symmetric"] += 1
    super_properties = _transitive(graph, RDFS.subPropertyOf)
    super_classes = _transitive(graph, RDFS.subClassOf)
    counts["subPropertyOf"] = sum(len(v) for v in super_properties.values())
    counts["subClassOf"] = sum(len(v) for v in super_classes.values())
    chains = []
    for q, head in graph.subject_objects(OWL.propertyChainAxiom):
        steps = list(Collection(graph, head)) if isinstance(head, BNode | URIRef) else []
        if isinstance(q, URIRef) and len(steps) == 2 and all(isinstance(s, URIRef) for s in steps):
            chains.append((_named(steps[0]), _named(steps[1]), _named(q)))
    counts["propertyChain"] = len(chains)
    tables = {
        "reverse": {p: frozenset(qs) for p, qs in reverse.items()},
        "super_properties": super_properties,
        "super_classes": super_classes,
    }
    lines = sorted(f"{kind} {k} {v}" for kind, table in tables.items() for k, vs in table.items() for v in vs)
    lines += [f"chain {a} {b} {q}" for a, b, q in chains]
    digest = hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()[:12]
    return RuleSet(
        reverse=tables["reverse"],
        super_properties=super_properties,
        super_classes=super_classes,
        chains=tuple(sorted(chains, key=str)),
        counts=counts,
        generator=f"{GENERATOR} (axioms {digest})",
        context=_context(graph),
    )


@lru_cache(maxsize=4)
def rules_for(vocab: Vocabulary | None = None) -> RuleSet:
    """The rules of a vocabulary (default: the shared one), compiled once per process."""
    return compile_rules((vocab or load_vocabulary()).graph)


def _named(term: URIRef) -> ox.NamedNode:
    return ox.NamedNode(str(term))


def _transitive(graph: Graph, predicate: URIRef) -> dict[ox.NamedNode, frozenset[ox.NamedNode]]:
    """Each IRI's strict ancestors along ``predicate`` (cycles tolerated)."""
    parents: dict[URIRef, set[URIRef]] = defaultdict(set)
    for child, parent in graph.subject_objects(predicate):
        if isinstance(child, URIRef) and isinstance(parent, URIRef) and child != parent:
            parents[child].add(parent)
    closure: dict[ox.NamedNode, frozenset[ox.NamedNode]] = {}
    for start in parents:
        seen: set[URIRef] = set()
        stack = list(parents[start])
        while stack:
            node = stack.pop()
            if node in seen or node == start:
                continue
            seen.add(node)
            stack.extend(parents.get(node, ()))
        closure[_named(start)] = frozenset(_named(n) for n in seen)
    return closure


def _context(graph: Graph) -> dict[Node, tuple[Triple, ...]]:
    """The vocabulary's triples between IRIs, indexed by subject and by object.

    Literal-valued and blank-node triples are left out: no rule joins on them, and a
    vocabulary fact is only needed to join with, or to avoid re-asserting, a document fact.
    """
    by_node: dict[Node, list[Triple]] = defaultdict(list)
    for s, p, o in graph:
        if not (isinstance(s, URIRef) and isinstance(o, URIRef)):
            continue
        triple: Triple = (to_oxigraph(s), to_oxigraph(p), to_oxigraph(o))
        by_node[triple[0]].append(triple)
        if triple[2] != triple[0]:
            by_node[triple[2]].append(triple)
    return {node: tuple(triples) for node, triples in by_node.items()}


# -- the store -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialiseResult:
    """One document's inferred graph: where it went, how many triples, how long it took."""

    graph_iri: str
    inferred_graph_iri: str
    triples: int
    ms: float


@dataclass(frozen=True)
class RecomputeResult:
    """What ``recompute_all`` did, for the CLI's summary line."""

    documents: int
    triples: int
    removed_orphans: int
    seconds: float


def inferred_quads(graph_iri: str, asserted: Iterable[Triple], rules: RuleSet) -> list[ox.Quad]:
    """The inferred graph of a document whose asserted triples are ``asserted`` (empty if there are none)."""
    asserted = list(asserted)
    if not asserted:
        return []
    node = ox.NamedNode(inferred_graph_iri(graph_iri))
    quads = [ox.Quad(s, p, o, node) for s, p, o in rules.closure(asserted)]  # type: ignore[arg-type]
    quads += [
        ox.Quad(node, _TYPE, _INFERRED_GRAPH, node),
        ox.Quad(node, _DERIVED_FROM, ox.NamedNode(graph_iri), node),
        ox.Quad(node, _GENERATED_BY, ox.Literal(rules.generator), node),
    ]
    return quads


def materialise_document(
    store: EmbeddedStore, graph_iri: str, rules: RuleSet | None = None
) -> MaterialiseResult:
    """Replace the inferred graph of the document stored under ``graph_iri``, in one transaction.

    The document is read back from the store, so that ``kg reason --recompute`` derives from
    exactly what is stored; ingest derives from the same triples before it writes them.
    """
    started = time.perf_counter()
    rules = rules or rules_for()
    asserted = [(q.subject, q.predicate, q.object) for q in store.graph_triples(graph_iri)]
    quads = inferred_quads(graph_iri, asserted, rules)
    target = inferred_graph_iri(graph_iri)
    store.replace_graphs({target: quads})
    derived = max(0, len(quads) - 3)
    return MaterialiseResult(graph_iri, target, derived, (time.perf_counter() - started) * 1000)


def remove_inferred(store: EmbeddedStore, graph_iri: str) -> bool:
    """Drop a document's inferred graph (before the document itself goes)."""
    return store.remove_graph(inferred_graph_iri(graph_iri))


def document_graphs(store: EmbeddedStore) -> list[str]:
    """The IRIs of the stored document graphs, sorted."""
    sparql = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a {_DOCUMENT_GRAPH} }} }}"
    return sorted(str(row["g"].value) for row in store.query(sparql, union=False))  # type: ignore[index,union-attr]


def inferred_graphs(store: EmbeddedStore) -> list[str]:
    """The IRIs of the stored inferred graphs, sorted."""
    sparql = f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a {_INFERRED_GRAPH} }} }}"
    return sorted(str(row["g"].value) for row in store.query(sparql, union=False))  # type: ignore[index,union-attr]


def recompute_all(
    store: EmbeddedStore,
    *,
    rules: RuleSet | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> RecomputeResult:
    """Rebuild every document's inferred graph and drop those whose document is gone.

    ``on_progress(done, total)`` is called after each document, so a caller can draw a bar.
    """
    started = time.perf_counter()
    rules = rules or rules_for()
    documents = document_graphs(store)
    if store.has_graph(LINKS_GRAPH):  # accepted links carry inferences of their own (kg link)
        documents.append(LINKS_GRAPH)
    expected = {inferred_graph_iri(g) for g in documents}
    orphans = [g for g in inferred_graphs(store) if g not in expected]
    for orphan in orphans:
        store.remove_graph(orphan)
    triples = 0
    for done, graph_iri in enumerate(documents, start=1):
        triples += materialise_document(store, graph_iri, rules).triples
        if on_progress is not None:
            on_progress(done, len(documents))
    store.flush()
    return RecomputeResult(len(documents), triples, len(orphans), time.perf_counter() - started)


def asserted_graphs(store: EmbeddedStore) -> list[str]:
    """Every named graph except the inferred ones: the dataset a query sees with --no-inferred."""
    inferred = set(inferred_graphs(store))
    return [g for g in store.graph_names() if g not in inferred]


def stale_inferred_graphs(store: EmbeddedStore, rules: RuleSet | None = None) -> list[str]:
    """Inferred graphs made by other rules (an older ontology) or missing for a stored document.

    ``kg reason --recompute`` renews them all.
    """
    current = (rules or rules_for()).generator
    sparql = (
        f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?g a {_INFERRED_GRAPH} ; {_GENERATED_BY} ?by }} "
        f"FILTER (STR(?by) != {json.dumps(current)}) }}"
    )
    stale = {str(row["g"].value) for row in store.query(sparql, union=False)}  # type: ignore[index,union-attr]
    present = set(inferred_graphs(store))
    sources = document_graphs(store) + ([LINKS_GRAPH] if store.has_graph(LINKS_GRAPH) else [])
    stale.update(g for g in map(inferred_graph_iri, sources) if g not in present)
    return sorted(stale)
