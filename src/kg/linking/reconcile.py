"""Find Wikidata items for the graph's entities, score them, and keep the decisions.

What is linked: companies and international organisations (by label and alias, checked
against type and country), States (by ISO 3166-1 alpha-3, Wikidata P298: an exact key,
stored as owl:sameAs), mandates and instruments (by label and alias).

Where it goes: every decision (accepted, waiting for review, rejected) is a
``kg:LinkDecision`` node in the links graph, an rdf:Statement with its score, method
('rule' or 'hand'), endpoint and time; an accepted one also asserts the link itself
(``skos:exactMatch`` or ``owl:sameAs``). Selected facts of accepted items go to the
external graph, apart from anything a letter said. Both graphs are rewritten whole in one
transaction (``EmbeddedStore.replace_graph``), so a failed run leaves the last good state.

A decision made by hand is never overwritten by a rule: a later run keeps it, and for an
entity accepted by hand no rule candidates are proposed again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import RDF, RDFS, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import OWL, PROV, SKOS

from kg import inference
from kg.config import GRAPH_NS, ONTOLOGY_NS
from kg.errors import KgError
from kg.linking.client import CacheMiss, SparqlClient
from kg.linking.scoring import core_name, score_candidate
from kg.store import EmbeddedStore, document_quads

LINKS_GRAPH = inference.LINKS_GRAPH
EXTERNAL_GRAPH = GRAPH_NS + "external/wikidata"
KG = Namespace(ONTOLOGY_NS)
WD = "http://www.wikidata.org/entity/"
WDT = Namespace("http://www.wikidata.org/prop/direct/")
DCTERMS_SOURCE = URIRef("http://purl.org/dc/terms/source")

# Instance-of (P31) classes that agree with each kind of entity (Wikidata Q-ids).
EXPECTED_TYPES: dict[str, frozenset[str]] = {
    "company": frozenset(
        WD + q for q in ("Q4830453", "Q891723", "Q783794", "Q6881511", "Q167037", "Q1589009", "Q219577")
    ),
    "organisation": frozenset(WD + q for q in ("Q484652", "Q245065", "Q1335818", "Q43229")),
    "mandate": frozenset(WD + q for q in ("Q4164871", "Q20971972")),
    "instrument": frozenset(WD + q for q in ("Q131569", "Q93288", "Q7748", "Q1156854", "Q820655")),
}
KIND_CLASSES = {
    "company": KG.Company,
    "organisation": KG.InternationalOrganisation,
    "state": KG.State,
    "mandate": KG.Mandate,
    "instrument": KG.Instrument,
}
# The facts of a matched item worth keeping: country, official website, parent organisation,
# industry, LEI, OpenCorporates ID, stock exchange, and what it is an instance of.
FACT_PROPERTIES = ("P17", "P856", "P749", "P452", "P1278", "P1320", "P414", "P31")
LABEL_BATCH = 40  # names per label query: WDQS answers these in well under its 60 s limit
ISO_BATCH = 100
FACT_BATCH = 50
REVIEW_FLOOR = 0.3  # candidates scoring less are not worth a reviewer's time
REVIEW_PER_ENTITY = 5

_PREFIXES = (
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "PREFIX wdt: <http://www.wikidata.org/prop/direct/>\n"
)


class LinkError(KgError):
    """A link decision that cannot be made (unknown entity, malformed item)."""


@dataclass(frozen=True)
class Entity:
    iri: str
    kind: str
    name: str
    iso3: str | None = None
    country: str | None = None  # ISO alpha-3 of the State it belongs to, where the graph says


@dataclass(frozen=True)
class Decision:
    """One (entity, item) pair and what was decided about it, with its provenance."""

    local: str
    item: str
    status: str  # 'accepted', 'review' or 'rejected'
    method: str  # 'rule' or 'hand'
    score: float | None
    basis: str
    predicate: str
    endpoint: str
    at: dt.datetime
    local_label: str = ""
    item_label: str = ""

    @property
    def iri(self) -> str:
        digest = hashlib.sha256(f"{self.local}\n{self.item}".encode()).hexdigest()[:20]
        return f"{LINKS_GRAPH}/decision/{digest}"


@dataclass
class LinkReport:
    """What one ``kg link`` run did, for the command to print."""

    entities: int = 0
    answered: int = 0
    accepted: list[Decision] = field(default_factory=list)
    review: list[Decision] = field(default_factory=list)
    kept_by_hand: int = 0
    unmatched: int = 0
    cache_misses: int = 0
    requests: int = 0
    cache_hits: int = 0
    facts: int = 0
    issues: list[str] = field(default_factory=list)


# -- the graph's entities ----------------------------------------------------------------------


def local_entities(store: EmbeddedStore, kinds: Iterable[str] | None = None) -> list[Entity]:
    """The entities of the given kinds, with one English (or plain) name each."""
    wanted = set(kinds or KIND_CLASSES)
    values = " ".join(f'(<{KIND_CLASSES[k]}> "{k}")' for k in KIND_CLASSES if k in wanted)
    sparql = f"""
        PREFIX kg: <{ONTOLOGY_NS}>
        PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?x ?kind ?pref ?label ?iso ?country WHERE {{
          VALUES (?class ?kind) {{ {values} }}
          ?x a ?class .
          OPTIONAL {{ ?x skos:prefLabel ?pref }}
          OPTIONAL {{ ?x rdfs:label ?label }}
          OPTIONAL {{ ?x kg:isoAlpha3 ?iso }}
          OPTIONAL {{ ?x kg:countryOf/kg:isoAlpha3 ?country }}
        }}"""
    # One name per entity, the same every run: skos:prefLabel before rdfs:label, English before
    # untagged, other languages never (the lookup is by English label).
    best: dict[str, tuple[tuple[int, str], Entity]] = {}
    for row in store.query(sparql):
        iri = str(row["x"].value)
        for rank, name in ((0, row["pref"]), (2, row["label"])):
            if name is None or getattr(name, "language", None) not in (None, "en"):
                continue
            key = (rank + (0 if getattr(name, "language", None) == "en" else 1), str(name.value))
            if iri in best and best[iri][0] <= key:
                continue
            best[iri] = (
                key,
                Entity(
                    iri=iri,
                    kind=str(row["kind"].value),
                    name=str(name.value),
                    iso3=str(row["iso"].value) if row["iso"] is not None else None,
                    country=str(row["country"].value) if row["country"] is not None else None,
                ),
            )
    found = {iri: entity for iri, (_key, entity) in best.items()}
    return sorted(found.values(), key=lambda e: e.iri)


# -- queries ------------------------------------------------------------------------------------


def _literal(text: str, language: str | None = None) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return f'"{escaped}"' + (f"@{language}" if language else "")


def _batches(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


Rows = list[dict[str, dict[str, str]]]


def _answers(
    client: SparqlClient,
    keys: list[str],
    size: int,
    make_query: Callable[[list[str]], str],
    report: LinkReport,
) -> Iterator[tuple[list[str], Rows | None]]:
    """Each batch of keys with its rows, or None when --offline found no cached answer (counted once)."""
    for batch in _batches(keys, size):
        try:
            yield batch, client.select(make_query(batch))
        except CacheMiss:
            report.cache_misses += 1
            yield batch, None


def label_query(keys: list[str]) -> str:
    """Items whose English label or alias is one of ``keys``, with their types and countries."""
    values = " ".join(_literal(k, "en") for k in keys)
    return (
        _PREFIXES
        + "SELECT ?key ?item ?label ?alias ?type ?country WHERE {\n"
        + f"  VALUES ?key {{ {values} }}\n"
        + "  { ?item rdfs:label ?key } UNION { ?item skos:altLabel ?key }\n"
        + '  OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) = "en") }\n'
        + '  OPTIONAL { ?item skos:altLabel ?alias FILTER(LANG(?alias) = "en") }\n'
        + "  OPTIONAL { ?item wdt:P31 ?type }\n"
        + "  OPTIONAL { ?item wdt:P17/wdt:P298 ?country }\n"
        + "}\nLIMIT 5000"
    )


def iso_query(codes: list[str]) -> str:
    """Items whose ISO 3166-1 alpha-3 code (P298) is one of ``codes``."""
    values = " ".join(_literal(c) for c in codes)
    return (
        _PREFIXES
        + "SELECT ?iso ?item ?label WHERE {\n"
        + f"  VALUES ?iso {{ {values} }}\n"
        + "  ?item wdt:P298 ?iso .\n"
        + '  OPTIONAL { ?item rdfs:label ?label FILTER(LANG(?label) = "en") }\n'
        + "}"
    )


def facts_query(items: list[str]) -> str:
    """The selected facts (FACT_PROPERTIES) and English labels of ``items`` and of their values."""
    values = " ".join(f"<{i}>" for i in items)
    properties = " ".join(f"wdt:{p}" for p in FACT_PROPERTIES)
    return (
        _PREFIXES
        + "SELECT ?item ?p ?value ?valueLabel WHERE {\n"
        + f"  VALUES ?item {{ {values} }}\n"
        + "  {\n"
        + f"    VALUES ?p {{ {properties} }}\n"
        + "    ?item ?p ?value .\n"
        + '    OPTIONAL { ?value rdfs:label ?valueLabel FILTER(LANG(?valueLabel) = "en") }\n'
        + "  } UNION {\n"
        + '    ?item rdfs:label ?value FILTER(LANG(?value) = "en") BIND(rdfs:label AS ?p)\n'
        + "  }\n"
        + "}"
    )


def _term(binding: dict[str, str] | None) -> URIRef | Literal | None:
    """A SPARQL JSON term as an rdflib term (blank nodes are dropped: they mean nothing here)."""
    if not binding:
        return None
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind in ("literal", "typed-literal"):
        if "xml:lang" in binding:
            return Literal(value, lang=binding["xml:lang"])
        if "datatype" in binding:
            return Literal(value, datatype=URIRef(binding["datatype"]))
        return Literal(value)
    return None


def _value(binding: dict[str, str] | None) -> str | None:
    return binding.get("value") if binding else None


# -- candidates --------------------------------------------------------------------------------


@dataclass
class _Candidate:
    label: str | None = None
    aliases: set[str] = field(default_factory=set)
    types: set[str] = field(default_factory=set)
    countries: set[str] = field(default_factory=set)


def _keys(entity: Entity) -> list[str]:
    keys = [entity.name]
    if entity.kind in ("company", "organisation"):
        core = core_name(entity.name)
        if core and core != entity.name:
            keys.append(core)
    return keys


def _by_label(
    entities: list[Entity], client: SparqlClient, threshold: float, now: dt.datetime, report: LinkReport
) -> dict[str, list[Decision]]:
    """Rule decisions for entities looked up by name; entities whose query missed are left out."""
    by_key: dict[str, list[Entity]] = defaultdict(list)
    for entity in entities:
        for key in _keys(entity):
            by_key[key].append(entity)
    candidates: dict[str, dict[str, _Candidate]] = defaultdict(dict)  # entity -> item -> facts
    missed: set[str] = set()
    for batch, rows in _answers(client, sorted(by_key), LABEL_BATCH, label_query, report):
        if rows is None:
            missed.update(e.iri for key in batch for e in by_key[key])
            continue
        for row in rows:
            key, item = _value(row.get("key")), _value(row.get("item"))
            if key is None or item is None or row["item"].get("type") != "uri":
                continue
            for entity in by_key.get(key, []):
                candidate = candidates[entity.iri].setdefault(item, _Candidate())
                if label := _value(row.get("label")):
                    candidate.label = label
                if alias := _value(row.get("alias")):
                    candidate.aliases.add(alias)
                if kind := _value(row.get("type")):
                    candidate.types.add(kind)
                if country := _value(row.get("country")):
                    candidate.countries.add(country)
    decisions: dict[str, list[Decision]] = {}
    for entity in entities:
        if entity.iri in missed:
            continue
        scored = []
        for item, c in candidates.get(entity.iri, {}).items():
            s = score_candidate(
                entity.name,
                label=c.label,
                aliases=sorted(c.aliases),
                types=c.types,
                expected_types=EXPECTED_TYPES.get(entity.kind, frozenset()),
                country=entity.country,
                item_countries=c.countries,
            )
            if s.value >= REVIEW_FLOOR:
                scored.append((s, item, c))
        scored.sort(key=lambda t: (-t[0].value, t[1]))
        # Accept only an unambiguous winner: two candidates above the threshold both wait.
        clear = len(scored) == 1 or (len(scored) > 1 and scored[1][0].value < threshold)
        out = []
        for rank, (s, item, c) in enumerate(scored[:REVIEW_PER_ENTITY]):
            accepted = rank == 0 and clear and s.value >= threshold
            out.append(
                Decision(
                    local=entity.iri,
                    item=item,
                    status="accepted" if accepted else "review",
                    method="rule",
                    score=s.value,
                    basis=s.explain(),
                    predicate=str(SKOS.exactMatch),
                    endpoint=client.endpoint,
                    at=now,
                    local_label=entity.name,
                    item_label=c.label or "",
                )
            )
        decisions[entity.iri] = out
    return decisions


def _by_iso(
    states: list[Entity], client: SparqlClient, now: dt.datetime, report: LinkReport
) -> dict[str, list[Decision]]:
    """States by ISO alpha-3: one item with the code is the State (owl:sameAs); several wait."""
    by_code = {s.iso3.upper(): s for s in states if s.iso3}
    found: dict[str, dict[str, str]] = defaultdict(dict)  # code -> item -> label
    missed: set[str] = set()
    for batch, rows in _answers(client, sorted(by_code), ISO_BATCH, iso_query, report):
        if rows is None:
            missed.update(batch)
            continue
        for row in rows:
            code, item = _value(row.get("iso")), _value(row.get("item"))
            if code in by_code and item and row["item"].get("type") == "uri":
                found[code][item] = _value(row.get("label")) or found[code].get(item, "")
    decisions: dict[str, list[Decision]] = {}
    for code, state in by_code.items():
        if code in missed:
            continue
        items = found.get(code, {})
        unique = len(items) == 1
        decisions[state.iri] = [
            Decision(
                local=state.iri,
                item=item,
                status="accepted" if unique else "review",
                method="rule",
                score=1.0 if unique else 0.5,
                basis=f"ISO 3166-1 alpha-3 {code} (P298)"
                + ("" if unique else f", shared by {len(items)} items"),
                predicate=str(OWL.sameAs) if unique else str(SKOS.exactMatch),
                endpoint=client.endpoint,
                at=now,
                local_label=state.name,
                item_label=label,
            )
            for item, label in sorted(items.items())
        ]
    return decisions


# -- the links graph ---------------------------------------------------------------------------


def decisions_graph(decisions: Iterable[Decision]) -> Graph:
    graph = Graph()
    for d in decisions:
        node = URIRef(d.iri)
        graph.add((node, RDF.type, KG.LinkDecision))
        graph.add((node, RDF.type, RDF.Statement))
        graph.add((node, RDF.subject, URIRef(d.local)))
        graph.add((node, RDF.predicate, URIRef(d.predicate)))
        graph.add((node, RDF.object, URIRef(d.item)))
        graph.add((node, KG.linkStatus, Literal(d.status)))
        graph.add((node, KG.matchMethod, Literal(d.method)))
        if d.score is not None:
            graph.add((node, KG.matchScore, Literal(f"{d.score:.4f}", datatype=XSD.decimal)))
        graph.add((node, KG.matchBasis, Literal(d.basis)))
        graph.add((node, KG.queriedEndpoint, URIRef(d.endpoint)))
        graph.add(
            (node, PROV.generatedAtTime, Literal(d.at.isoformat(timespec="seconds"), datatype=XSD.dateTime))
        )
        graph.add((node, RDFS.label, Literal(f"{d.local_label} -> {d.item_label or d.item}")))
        if d.status == "accepted":
            graph.add((URIRef(d.local), URIRef(d.predicate), URIRef(d.item)))
    return graph


def _write(store: EmbeddedStore, graph_iri: str, graph: Graph) -> None:
    """Replace a graph whole (an empty one is dropped); the links graph with its inferred graph, at once.

    Accepted links carry inferences (skos:exactMatch and owl:sameAs are symmetric), kept
    current in the same transaction as the links, as a document's are at ingest.
    """
    quads = document_quads(graph, graph_iri)
    graphs = {graph_iri: quads}
    if graph_iri == LINKS_GRAPH:
        asserted = [(q.subject, q.predicate, q.object) for q in quads]
        graphs[inference.inferred_graph_iri(graph_iri)] = inference.inferred_quads(
            graph_iri, asserted, inference.rules_for()
        )
    store.replace_graphs(graphs)


def read_decisions(store: EmbeddedStore) -> list[Decision]:
    """Every decision in the links graph, as the last run or the last hand left it."""
    sparql = f"""
        PREFIX kg: <{ONTOLOGY_NS}>
        PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        SELECT ?local ?item ?status ?method ?score ?basis ?predicate ?endpoint ?at ?label WHERE {{
          GRAPH <{LINKS_GRAPH}> {{
            ?d a kg:LinkDecision ; rdf:subject ?local ; rdf:predicate ?predicate ; rdf:object ?item ;
               kg:linkStatus ?status ; kg:matchMethod ?method ; kg:matchBasis ?basis ;
               kg:queriedEndpoint ?endpoint ; prov:generatedAtTime ?at .
            OPTIONAL {{ ?d kg:matchScore ?score }}
            OPTIONAL {{ ?d rdfs:label ?label }}
          }}
        }}"""
    out = []
    for row in store.query(sparql, union=False):
        label = str(row["label"].value) if row["label"] is not None else ""
        local_label, _, item_label = label.partition(" -> ")
        out.append(
            Decision(
                local=str(row["local"].value),
                item=str(row["item"].value),
                status=str(row["status"].value),
                method=str(row["method"].value),
                score=float(row["score"].value) if row["score"] is not None else None,
                basis=str(row["basis"].value),
                predicate=str(row["predicate"].value),
                endpoint=str(row["endpoint"].value),
                at=dt.datetime.fromisoformat(str(row["at"].value)),
                local_label=local_label,
                item_label=item_label,
            )
        )
    return sorted(out, key=lambda d: (d.local, -(d.score or 0), d.item))


def _external_subgraph(store: EmbeddedStore, items: set[str]) -> Graph:
    """What the external graph already holds about ``items`` (kept when they were not re-fetched)."""
    graph = Graph()
    if not items or not store.has_graph(EXTERNAL_GRAPH):
        return graph
    keep: set[str] = set(items)
    quads = list(store.graph_triples(EXTERNAL_GRAPH))
    for q in quads:  # the labels of an item's values are kept with the item
        if str(q.subject.value) in items and isinstance(q.object, ox.NamedNode):
            keep.add(str(q.object.value))
    for q in quads:
        if str(q.subject.value) in keep:
            graph.add((_ox_to_rdflib(q.subject), URIRef(str(q.predicate.value)), _ox_to_rdflib(q.object)))
    return graph


def _ox_to_rdflib(term: Any) -> URIRef | BNode | Literal:
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if term.language:
        return Literal(term.value, lang=term.language)
    if term.datatype.value != str(XSD.string):
        return Literal(term.value, datatype=URIRef(term.datatype.value))
    return Literal(term.value)


def _facts(
    items: set[str], client: SparqlClient, store: EmbeddedStore, now: dt.datetime, report: LinkReport
) -> Graph:
    graph = Graph()
    missed: set[str] = set()
    for batch, rows in _answers(client, sorted(items), FACT_BATCH, facts_query, report):
        if rows is None:
            missed.update(batch)
            continue
        for row in rows:
            item, prop, value = _term(row.get("item")), _term(row.get("p")), _term(row.get("value"))
            if not isinstance(item, URIRef) or not isinstance(prop, URIRef) or value is None:
                continue
            graph.add((item, prop, value))
            label = _term(row.get("valueLabel"))
            if isinstance(value, URIRef) and isinstance(label, Literal):
                graph.add((value, RDFS.label, label))
    graph += _external_subgraph(store, missed)
    if items:
        node = URIRef(EXTERNAL_GRAPH)
        graph.add((node, DCTERMS_SOURCE, URIRef(client.endpoint)))
        graph.add(
            (node, PROV.generatedAtTime, Literal(now.isoformat(timespec="seconds"), datatype=XSD.dateTime))
        )
    return graph


# -- the run -------------------------------------------------------------------------------------


def link_store(
    store: EmbeddedStore,
    client: SparqlClient,
    *,
    threshold: float = 0.9,
    kinds: Iterable[str] | None = None,
    now: dt.datetime | None = None,
) -> LinkReport:
    """Find, score and store links for the store's entities; hand decisions stay as they are."""
    if not 0 < threshold <= 1:
        raise LinkError(f"--threshold must be in (0, 1], got {threshold:g}")
    now = now or dt.datetime.now(dt.UTC)
    report = LinkReport()
    entities = local_entities(store, kinds)
    report.entities = len(entities)
    existing = read_decisions(store)
    hand = {(d.local, d.item): d for d in existing if d.method == "hand"}
    settled = {d.local for d in hand.values() if d.status == "accepted"}
    report.kept_by_hand = len(hand)

    states = [e for e in entities if e.kind == "state"]
    named = [e for e in entities if e.kind != "state"]
    fresh = _by_iso(states, client, now, report)
    fresh.update(_by_label(named, client, threshold, now, report))
    report.answered = len(fresh)
    report.unmatched = sum(1 for found in fresh.values() if not found)

    decisions = list(hand.values())
    present = {e.iri for e in entities}
    for d in existing:  # rule decisions of entities whose query missed (offline) stay as they were
        if d.method == "rule" and d.local in present and d.local not in fresh and d.local not in settled:
            decisions.append(d)
    for local, found in fresh.items():
        if local in settled:
            continue
        for d in found:
            if (d.local, d.item) in hand:
                continue
            decisions.append(d)
            if d.status == "accepted":
                report.accepted.append(d)
            elif d.status == "review":
                report.review.append(d)

    accepted_items = {d.item for d in decisions if d.status == "accepted"}
    facts = _facts(accepted_items, client, store, now, report)
    _write(store, LINKS_GRAPH, decisions_graph(decisions))
    _write(store, EXTERNAL_GRAPH, facts)
    store.flush()
    report.facts = len(facts)
    report.requests, report.cache_hits = client.requests, client.cache_hits
    report.issues = validate_external(facts + decisions_graph(decisions))
    return report


def item_iri(text: str) -> str:
    """'Q900001', 'wd:Q900001' or a full IRI -> the item's IRI."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        return text
    local = text.removeprefix("wd:")
    if local[:1] in ("Q", "q") and local[1:].isdigit():
        return WD + local.upper()
    raise LinkError(f"not a Wikidata item: {text!r} (give a Q-id such as Q148, or the item's IRI)")


def decide_by_hand(
    store: EmbeddedStore,
    local: str,
    item: str,
    *,
    accept: bool,
    endpoint: str,
    now: dt.datetime | None = None,
) -> Decision:
    """Record a curator's decision on one pair; no later run changes it."""
    item = item_iri(item)
    if not local.startswith(("http://", "https://")):
        raise LinkError(f"give the entity's full IRI, got {local!r} (kg link --review lists them)")
    ask = f"ASK {{ <{local}> ?p ?o }}"
    if not bool(store.query(ask)):
        raise LinkError(f"no entity <{local}> in the store")
    now = now or dt.datetime.now(dt.UTC)
    existing = read_decisions(store)
    prior = next((d for d in existing if d.local == local and d.item == item), None)
    decision = Decision(
        local=local,
        item=item,
        status="accepted" if accept else "rejected",
        method="hand",
        score=prior.score if prior else None,
        basis=prior.basis if prior else "decided by hand",
        predicate=prior.predicate if prior else str(SKOS.exactMatch),
        endpoint=prior.endpoint if prior else endpoint,
        at=now,
        local_label=prior.local_label if prior else "",
        item_label=prior.item_label if prior else "",
    )
    kept = [d for d in existing if (d.local, d.item) != (local, item)]
    if accept:  # the curator chose this item: rule proposals for the entity are moot
        kept = [d for d in kept if not (d.local == local and d.method == "rule")]
    decisions = [*kept, decision]
    _write(store, LINKS_GRAPH, decisions_graph(decisions))
    accepted_items = {d.item for d in decisions if d.status == "accepted"}
    if not accept and item not in accepted_items and store.has_graph(EXTERNAL_GRAPH):
        # facts of an item nothing links to any more leave the external graph with it
        remaining = Graph()
        for q in store.graph_triples(EXTERNAL_GRAPH):
            if str(q.subject.value) != item:
                remaining.add(
                    (_ox_to_rdflib(q.subject), URIRef(str(q.predicate.value)), _ox_to_rdflib(q.object))
                )
        _write(store, EXTERNAL_GRAPH, remaining)
    store.flush()
    return decision


# -- validation of external facts -------------------------------------------------------------


def validate_external(graph: Graph) -> list[str]:
    """Readable problems with the external facts: SHACL (shapes/external.ttl) plus LEI check digits.

    The ISO 17442 check digits (MOD 97-10) cannot be written in SHACL core, so SHACL checks
    the LEI's form and python-stdnum its check digits; both are reported the same way.
    """
    from pyshacl import validate
    from stdnum import lei

    from kg import resources

    shapes = Graph().parse(resources.data_dir("shapes") / "external.ttl", format="turtle")
    issues: list[str] = []
    _conforms, report, _text = validate(graph, shacl_graph=shapes, inference="none")
    sh = Namespace("http://www.w3.org/ns/shacl#")
    assert isinstance(report, Graph)
    for result in report.subjects(RDF.type, sh.ValidationResult):
        focus = report.value(result, sh.focusNode)
        message = report.value(result, sh.resultMessage)
        value = report.value(result, sh.value)
        issues.append(f"<{focus}>: {message}" + (f" (value {value!r})" if value is not None else ""))
    for subject, value in graph.subject_objects(WDT.P1278):
        text = str(value)
        if len(text) == 20 and text.isalnum() and text.isupper() and not lei.is_valid(text):
            issues.append(
                f"<{subject}>: the LEI {text} has wrong check digits (ISO 17442, MOD 97-10); "
                "the item's LEI (P1278) is probably mistyped at the source"
            )
    return sorted(issues)


def cache_dir(data_dir: Path) -> Path:
    """Where endpoint answers are cached: a folder of the data directory, one JSON file per query."""
    return data_dir / "link-cache"
