"""The entity page's view model: label, types, every fact out and in, each with its evidence."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field

from kg.config import ONTOLOGY_NS
from kg.server.explorer import queries
from kg.server.explorer.evidence import EvidenceIndex, Span, spans_from_rows
from kg.server.explorer.links import (
    RDF_FORMATS,
    Link,
    curie,
    entity_url,
    fallback_label,
    local_name,
    page_url,
    with_format,
)
from kg.server.explorer.results import Row, Term, integer, text
from kg.workers import QueryPool

PAGE_SIZE = 50

RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS = "http://www.w3.org/2000/01/rdf-schema#"
_SKOS = "http://www.w3.org/2004/02/skos/core#"
_FOAF_NAME = "http://xmlns.com/foaf/0.1/name"
# What names an entity, best first; the page's heading is the first one it has.
LABEL_PROPERTIES = (_SKOS + "prefLabel", _RDFS + "label", _FOAF_NAME, ONTOLOGY_NS + "reference")
# Shown first, in this order; every other property follows by label.
LEADING_PROPERTIES = (
    RDF_TYPE,
    *LABEL_PROPERTIES,
    _SKOS + "altLabel",
    _SKOS + "definition",
    _RDFS + "comment",
)
# Classes whose members get the plain-words summary of what they were sent and asked.
ACTOR_CLASSES = frozenset(
    ONTOLOGY_NS + c for c in ("Actor", "State", "Company", "InternationalOrganisation", "OtherNonStateActor")
)


@dataclass(frozen=True)
class Value:
    """A fact's value as shown: an entity link or a literal with its datatype or language."""

    label: str
    url: str | None = None
    iri: str | None = None
    datatype: str | None = None
    lang: str | None = None

    @property
    def is_literal(self) -> bool:
        return self.iri is None


@dataclass
class Fact:
    value: Value
    evidence: list[Span] = field(default_factory=list)


@dataclass
class FactGroup:
    """All values of one property, so a property with 30 values reads as one row.

    When one passage states every value (a letter's list of mandates, its list of States
    also written to), the passage is shown once for the row instead of once per value.
    """

    prop: Link
    facts: list[Fact] = field(default_factory=list)
    evidence: list[Span] = field(default_factory=list)

    def share_evidence(self) -> None:
        first = {s.iri for s in self.facts[0].evidence} if self.facts else set()
        if len(self.facts) > 1 and first and all({s.iri for s in f.evidence} == first for f in self.facts):
            self.evidence = self.facts[0].evidence
            for fact in self.facts:
                fact.evidence = []


@dataclass
class IncomingPage:
    groups: list[FactGroup]
    counts: list[tuple[Link, int]]
    total: int
    offset: int
    next_offset: int | None
    previous_offset: int | None


@dataclass
class EntityView:
    iri: str
    label: str
    types: list[Link]
    definition: str | None
    outgoing: list[FactGroup]
    incoming: IncomingPage
    own_evidence: list[Span]
    formats: list[tuple[str, str]]
    is_actor: bool

    @property
    def exists(self) -> bool:
        return bool(self.outgoing or self.incoming.total)


def value_of(term: Term, label: str | None, base_iri: str) -> Value:
    if term.is_iri:
        return Value(label or fallback_label(term.value), page_url(term.value, base_iri), term.value)
    if term.kind == "bnode":
        return Value(label or "(an anonymous node)")
    return Value(term.value, datatype=curie(term.datatype) if term.datatype else None, lang=term.lang)


def property_link(iri: str, label: str | None, base_iri: str) -> Link:
    return Link(label or curie(iri), entity_url(iri, base_iri), iri)


def _property_order(group: FactGroup) -> tuple[int, str]:
    iri = group.prop.iri or ""
    lead = LEADING_PROPERTIES.index(iri) if iri in LEADING_PROPERTIES else len(LEADING_PROPERTIES)
    return lead, group.prop.label.lower()


def entity_label(iri: str, facts: list[Row]) -> str:
    for prop in LABEL_PROPERTIES:
        for row in facts:
            if text(row, "p") == prop and row["o"].is_literal and (row["o"].lang in (None, "en")):
                return row["o"].value
    return local_name(iri)


def _grouped(items: list[tuple[Link, Fact]]) -> list[FactGroup]:
    groups: dict[str, FactGroup] = {}
    for prop, fact in items:
        groups.setdefault(prop.iri or prop.label, FactGroup(prop)).facts.append(fact)
    for group in groups.values():
        group.facts.sort(key=lambda fact: natural_key(fact.value.label))
        group.share_evidence()
    return list(groups.values())


def natural_key(label: str) -> list[str | int]:
    """'question 10' after 'question 9'; 'Guiding Principle 2' before 'Guiding Principle 13'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", label)]


async def build_entity(pool: QueryPool, iri: str, base_iri: str, *, offset: int = 0) -> EntityView:
    """Everything the entity page shows, from five queries run side by side."""
    offset = max(offset, 0)
    facts, incoming, counts, evidence, links = await asyncio.gather(
        queries.select(pool, "entity-facts", entity=iri),
        queries.select(pool, "entity-incoming", entity=iri, limit=PAGE_SIZE + 1, offset=offset),
        queries.select(pool, "entity-incoming-counts", entity=iri),
        queries.select(pool, "entity-evidence", entity=iri),
        queries.select(pool, "entity-evidence-links", entity=iri),
    )
    neighbours: dict[str, set[str]] = {}
    for row in links.rows:
        neighbours.setdefault(text(row, "node"), set()).add(text(row, "other"))
    index = EvidenceIndex(spans_from_rows(evidence.rows), neighbours)

    out: list[tuple[Link, Fact]] = []
    for row in facts.rows:
        prop, obj = text(row, "p"), row["o"]
        value = value_of(obj, text(row, "oLabel") or None, base_iri)
        out.append(
            (
                property_link(prop, text(row, "pLabel") or None, base_iri),
                Fact(value, index.for_fact(iri, prop, obj.value)),
            )
        )
    outgoing = sorted(_grouped(out), key=_property_order)
    types = [f.value for g in outgoing if g.prop.iri == RDF_TYPE for f in g.facts]

    into: list[tuple[Link, Fact]] = []
    for row in incoming.rows[:PAGE_SIZE]:
        prop, subject = text(row, "p"), row["s"]
        value = value_of(subject, text(row, "sLabel") or None, base_iri)
        into.append(
            (
                property_link(prop, text(row, "pLabel") or None, base_iri),
                Fact(value, index.for_fact(subject.value, prop, iri)),
            )
        )
    count_links = [
        (property_link(text(r, "p"), text(r, "pLabel") or None, base_iri), integer(r, "n"))
        for r in counts.rows
    ]
    total = sum(n for _, n in count_links)
    page = IncomingPage(
        groups=_grouped(into),
        counts=count_links,
        total=total,
        offset=offset,
        next_offset=offset + PAGE_SIZE if len(incoming.rows) > PAGE_SIZE else None,
        previous_offset=max(offset - PAGE_SIZE, 0) if offset > 0 else None,
    )
    own_url = page_url(iri, base_iri)
    return EntityView(
        iri=iri,
        label=entity_label(iri, facts.rows),
        types=[Link(t.label, entity_url(t.iri, base_iri) if t.iri else None, t.iri) for t in types],
        definition=next(
            (f.value.label for g in outgoing if g.prop.iri == _SKOS + "definition" for f in g.facts), None
        ),
        outgoing=outgoing,
        incoming=page,
        own_evidence=index.unused(iri),
        formats=[(name, with_format(own_url, fmt)) for name, fmt in RDF_FORMATS],
        is_actor=any(t.iri in ACTOR_CLASSES for t in types),
    )
