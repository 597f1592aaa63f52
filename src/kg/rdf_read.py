"""RDF -> record: a stored document graph read back into the communication record it came from.

The record is kg's interchange format, but after ingest the graph is what the store holds.
Reading a document graph back gives people the record of a stored letter to export, correct
and ingest again, and lets a test check that ``record_to_graph`` keeps what it should: a
record that goes to RDF and back must come out equal on every fact the graph carries.

The graph does not carry everything a record may hold, by design:

* names the vocabulary already gives (a mandate's or a State's preferred label, a known
  concept's label) are stored once, in the vocabulary, and are read from it here;
* the wording of a few things is not kept: how the letter wrote a mandate's name
  (``MandateRef.text``), a period or a quantity as written, who sent a reply, a signatory's
  title when no mandate is known, the record's ``schema_version``;
* evidence is kept per fact for the communication's own fields, sendings, signatures,
  allegations and questions, but not for each item of ``also_sent_to``, ``norms_cited`` and
  ``related_references`` (their spans point at the communication) nor for the groups, places,
  sectors and actors of an allegation;
* lists the graph holds as sets come back sorted, without duplicates: resolutions, warnings,
  file codes, allegations (by issue), their details, norms, other recipients and related
  references. Mandates, signatures, questions, quantities and replies keep their order.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Literal as TypingLiteral

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, FOAF, PROV, RDF, RDFS
from rdflib.term import Node

from kg import iris
from kg.config import VOCAB_NS
from kg.errors import RecordError
from kg.rdf import KG, DocumentGraph
from kg.record import (
    Actor,
    ActorKind,
    Allegation,
    CommunicationRecord,
    ConceptRef,
    Evidence,
    MandateRef,
    NormCitation,
    Period,
    Person,
    Place,
    Quantity,
    Question,
    ReferenceParts,
    RelatedReference,
    Reply,
    Signatory,
    Source,
)
from kg.vocab import Vocabulary

__all__ = ["document_to_record", "graph_to_record"]

_KINDS: dict[URIRef, ActorKind] = {
    KG.State: "state",
    KG.Company: "company",
    KG.InternationalOrganisation: "organization",
    KG.OtherNonStateActor: "other",
}
_STATE_PREFIX = f"{VOCAB_NS}country/"
_GP_PREFIX = f"{VOCAB_NS}guiding-principle/"


def document_to_record(document: DocumentGraph, *, vocab: Vocabulary) -> CommunicationRecord:
    """The record of a document graph as ``record_to_graph`` made it."""
    return graph_to_record(document.graph, vocab=vocab, communication=document.communication)


def graph_to_record(
    graph: Graph, *, vocab: Vocabulary, communication: URIRef | None = None
) -> CommunicationRecord:
    """The record of the one communication a document graph is about.

    ``communication`` names it; otherwise the graph's ``foaf:primaryTopic`` does. A graph that
    names none (not a kg document graph) is refused with a RecordError.
    """
    comm = communication or _primary_topic(graph)
    return _Reader(graph, vocab, comm).record()


def _primary_topic(graph: Graph) -> URIRef:
    topics = {
        o for s, o in graph.subject_objects(FOAF.primaryTopic) if (s, RDF.type, KG.DocumentGraph) in graph
    }
    if len(topics) != 1 or not isinstance(next(iter(topics)), URIRef):
        raise RecordError(
            f"the graph is not one kg document graph: it names {len(topics)} communications "
            "(kg:DocumentGraph with foaf:primaryTopic); pass the communication's IRI"
        )
    return next(iter(topics))  # type: ignore[return-value]


class _Reader:
    """Holds the graph being read so each small method reads one kind of fact."""

    def __init__(self, graph: Graph, vocab: Vocabulary, comm: URIRef) -> None:
        self.g = graph
        self.vocab = vocab
        self.comm = comm
        if self.one(comm, KG.reference) is None:
            raise RecordError(f"{comm} has no kg:reference in the graph: it is not a communication kg stored")

    # -- small readers --------------------------------------------------------------------

    def one(self, s: Node, p: URIRef) -> Node | None:
        return next(iter(sorted(self.g.objects(s, p))), None)

    def text(self, s: Node, p: URIRef) -> str | None:
        value = self.one(s, p)
        return str(value) if value is not None else None

    def number(self, s: Node, p: URIRef) -> int | None:
        value = self.one(s, p)
        return int(value.toPython()) if isinstance(value, Literal) else None

    def date(self, s: Node, p: URIRef) -> dt.date | None:
        value = self.one(s, p)
        return dt.date.fromisoformat(str(value)) if value is not None else None

    def spans(self, node: Node, field: str) -> list[Evidence]:
        found = []
        for span in self.g.subjects(KG.evidenceFor, node):
            if (span, KG.evidenceField, Literal(field)) not in self.g:
                continue
            start, end = self.number(span, KG.startOffset), self.number(span, KG.endOffset)
            if start is not None and end is not None:
                found.append(Evidence(start=start, end=end, quote=self.text(span, KG.quote)))
        return sorted(found, key=lambda e: (e.start, e.end, e.quote or ""))

    def span(self, node: Node, field: str) -> Evidence | None:
        found = self.spans(node, field)
        return found[0] if found else None

    def label(self, node: Node) -> str | None:
        concept = self.vocab.get(str(node))
        return concept.pref_label if concept is not None else self.text(node, RDFS.label)

    def positioned(self, prop: URIRef) -> list[Node]:
        nodes = list(self.g.objects(self.comm, prop))
        return sorted(nodes, key=lambda n: self.number(n, KG.listPosition) or 0)

    # -- the record -----------------------------------------------------------------------

    def record(self) -> CommunicationRecord:
        c = self.comm
        reference = iris.normalise_reference(str(self.one(c, KG.reference)))
        parts = self.reference_parts()
        return CommunicationRecord(
            reference=reference,
            reference_parts=parts,
            reference_evidence=self.span(c, "reference"),
            type=parts.type if parts else None,
            date=self.date(c, KG.dateSent),
            date_evidence=self.span(c, "date"),
            recipient=self.recipient(),
            addressee_person=self.addressee(),
            mandates=self.mandates(),
            resolutions=sorted(
                {n for r in self.g.objects(c, KG.citesResolution) if (n := self.resolution(r))}
            ),
            signatories=self.signatories(),
            allegations=self.allegations(reference),
            questions=self.questions(),
            norms_cited=self.norms(),
            also_sent_to=_sorted_actors(
                a for node in self.g.objects(c, KG.alsoSentTo) if (a := self.actor(node)) is not None
            ),
            also_sent_to_other_companies=(c, KG.alsoSentToOtherCompanies, Literal(True)) in self.g,
            related_references=self.related(),
            publication_days=self.number(c, KG.publicationDelayDays),
            publication_date=self.date(c, KG.publicationDate),
            publication_evidence=self.span(c, "publication"),
            replies=self.replies(),
            source=self.source(),
            warnings=sorted({str(w) for w in self.g.objects(c, KG.extractionWarning)}),
        )

    def reference_parts(self) -> ReferenceParts | None:
        c = self.comm
        kind, country = self.text(c, KG.referenceType), self.text(c, KG.referenceCountryCode)
        number, year = self.number(c, KG.referenceNumber), self.number(c, KG.referenceYear)
        if kind is None or country is None or number is None or year is None:
            return None
        codes = sorted(str(code) for code in self.g.objects(c, KG.mandateFileCode))
        return ReferenceParts(type=kind, country=country, number=number, year=year, file_codes=codes)

    def source(self) -> Source | None:
        s = self.one(self.comm, PROV.wasDerivedFrom) or URIRef(f"{self.comm}/source")
        found = Source(
            file_name=self.text(s, KG.fileName),
            sha256=self.text(s, KG.sha256),
            media_type=self.text(s, DCTERMS["format"]),
            length=self.number(s, KG.textLength),
        )
        return found if found != Source() else None

    # -- actors ---------------------------------------------------------------------------

    def actor(self, node: Node) -> Actor | None:
        iri = str(node)
        if iri.startswith(_STATE_PREFIX):
            return Actor(kind="state", name=self.label(node), country=iri[len(_STATE_PREFIX) :])
        kinds = [_KINDS[t] for t in self.g.objects(node, RDF.type) if t in _KINDS]
        if not kinds:
            return None
        country = self.one(node, KG.countryOf)
        return Actor(
            kind=kinds[0],
            name=self.text(node, RDFS.label),
            country=str(country)[len(_STATE_PREFIX) :] if country is not None else None,
        )

    def recipient(self) -> Actor | None:
        node = self.one(self.comm, KG.addressedTo)
        if node is None:
            return None
        actor = self.actor(node)
        if actor is None:
            return None
        return actor.model_copy(update={"evidence": self.span(self.comm, "recipient")})

    def addressee(self) -> Person | None:
        node = self.one(self.comm, KG.addressedToPerson)
        if node is None:
            return None
        return Person(
            name=self.text(node, FOAF.name),
            honorific=self.text(node, KG.honorific),
            evidence=self.span(node, "addressee_person"),
        )

    # -- mandates, resolutions, signatures ------------------------------------------------

    def resolution(self, node: Node) -> str | None:
        written = self.text(node, KG.resolutionNumber)
        if written is not None:
            return written
        concept = self.vocab.get(str(node))
        return concept.value("resolutionNumber") if concept is not None else None

    def mandates(self) -> list[MandateRef]:
        found = []
        for sending in self.positioned(KG.hasSending):
            mandate = self.one(sending, KG.sendingMandate)
            if mandate is None:
                continue
            resolution = self.one(sending, KG.pursuantTo)
            found.append(
                MandateRef(
                    name=self.label(mandate) or str(mandate).rsplit("/", 1)[-1],
                    iri=str(mandate),
                    resolution=self.resolution(resolution) if resolution is not None else None,
                    evidence=self.span(sending, "mandates"),
                )
            )
        return found

    def signatories(self) -> list[Signatory]:
        found = []
        for signature in self.positioned(KG.hasSignature):
            person = self.one(signature, KG.signatory)
            if person is None:
                continue
            mandate = self.one(signature, KG.signedForMandate)
            post = self.one(signature, KG.signedAsPost)
            found.append(
                Signatory(
                    name=self.text(person, FOAF.name) or "",
                    title=self.text(post, KG.postTitle) if post is not None else None,
                    mandate=self.label(mandate) if mandate is not None else None,
                    mandate_iri=str(mandate) if mandate is not None else None,
                    evidence=self.span(signature, "signatories"),
                )
            )
        return found

    # -- allegations, questions, norms, related, replies ----------------------------------

    def concept(self, node: Node) -> ConceptRef:
        if self.vocab.get(str(node)) is not None:
            return ConceptRef(label=self.label(node) or "", iri=str(node))
        return ConceptRef(label=self.text(node, RDFS.label) or "")

    def place(self, node: Node) -> Place:
        iri = str(node)
        if iri.startswith(_STATE_PREFIX):
            return Place(name=self.label(node) or "", country=iri[len(_STATE_PREFIX) :], kind="state")
        country = self.one(node, KG.placeInCountry)
        return Place(
            name=self.text(node, RDFS.label) or "",
            country=str(country)[len(_STATE_PREFIX) :] if country is not None else None,
        )

    def allegations(self, reference: str) -> list[Allegation]:
        found = []
        for node in self.g.objects(self.comm, KG.raisesAllegation):
            issue = self.one(node, KG.concernsIssue)
            if issue is None:
                continue
            label = self.label(issue) or (self.text(node, RDFS.label) or "").removesuffix(f" ({reference})")
            start = self.one(node, KG.periodStart)
            end = self.one(node, KG.periodEnd)
            period = None
            if start is not None or end is not None:
                years = [int(str(y)) if y is not None else None for y in (start, end)]
                period = Period(start=years[0], end=years[1], text="")
            quantities = sorted(
                self.g.objects(node, KG.hasQuantity), key=lambda q: int(str(q).rsplit("/", 1)[-1])
            )
            found.append(
                Allegation(
                    issue=label,
                    issue_iri=str(issue),
                    affected_groups=_sorted_refs(
                        self.concept(n) for n in self.g.objects(node, KG.affectsGroup)
                    ),
                    locations=sorted(
                        (self.place(n) for n in self.g.objects(node, KG.occurredIn)),
                        key=lambda p: (p.name, p.country or "", p.kind),
                    ),
                    sectors=_sorted_refs(self.concept(n) for n in self.g.objects(node, KG.inSector)),
                    policies=_sorted_refs(
                        ConceptRef(label=self.text(n, RDFS.label) or "")
                        for n in self.g.objects(node, KG.underPolicy)
                    ),
                    perpetrators=_sorted_actors(
                        a for n in self.g.objects(node, KG.allegedPerpetrator) if (a := self.actor(n))
                    ),
                    implicated=_sorted_actors(
                        a for n in self.g.objects(node, KG.implicatedActor) if (a := self.actor(n))
                    ),
                    period=period,
                    quantities=[self.quantity(q) for q in quantities],
                    evidence=self.spans(node, "allegations"),
                )
            )
        return sorted(found, key=lambda a: a.issue_iri)

    def quantity(self, node: Node) -> Quantity:
        value = self.one(node, KG.quantityValue)
        number = value.toPython() if isinstance(value, Literal) else Decimal(0)
        return Quantity(
            value=float(number if isinstance(number, (Decimal, int, float)) else str(number)),
            qualifier=self.text(node, KG.quantityQualifier),
            unit=self.text(node, KG.quantityUnit) or "",
            text="",
        )

    def questions(self) -> list[Question]:
        found = []
        for node in self.g.objects(self.comm, KG.asksQuestion):
            number = self.number(node, KG.questionNumber)
            if number is None:
                continue
            found.append(
                Question(
                    number=number,
                    text=self.text(node, KG.questionText),
                    topics=_sorted_refs(self.concept(t) for t in self.g.objects(node, KG.questionTopic)),
                    evidence=self.span(node, "questions"),
                )
            )
        return sorted(found, key=lambda q: q.number)

    def norms(self) -> list[NormCitation]:
        found = [self.norm(node) for node in self.g.objects(self.comm, KG.citesNorm)]
        return sorted((n for n in found if n is not None), key=lambda n: (n.kind, n.id))

    def norm(self, node: Node) -> NormCitation | None:
        iri = str(node)
        concept = self.vocab.get(iri)
        if iri.startswith(_GP_PREFIX) or (concept is not None and concept.is_a("GuidingPrinciple")):
            number = concept.value("principleNumber") if concept else iri[len(_GP_PREFIX) :]
            return NormCitation(
                kind="guiding_principle", id=str(number), label=f"Guiding Principle {number}", iri=iri
            )
        if (node, RDF.type, KG.Article) in self.g:
            instrument = self.one(node, KG.articleOf)
            article = self.text(node, KG.articleNumber) or ""
            key = self.instrument_key(instrument) if instrument is not None else ""
            return NormCitation(
                kind="article", id=f"{key}#{article}", label=self.text(node, RDFS.label) or "", iri=iri
            )
        symbol = self.text(node, KG.documentSymbol) or (concept.value("documentSymbol") if concept else None)
        if (node, RDF.type, KG.Resolution) in self.g or (concept is not None and symbol is not None):
            return NormCitation(kind="resolution", id=symbol or "", label=self.label(node) or "", iri=iri)
        return NormCitation(
            kind="instrument", id=self.instrument_key(node), label=self.label(node) or "", iri=iri
        )

    def instrument_key(self, node: Node) -> str:
        """The key a citation uses: the vocabulary's notation, as extraction writes it, else the IRI's."""
        concept = self.vocab.get(str(node))
        known = concept.value("notation") or concept.value("abbreviation") if concept is not None else None
        return known or str(node).rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]

    def related(self) -> list[RelatedReference]:
        found = []
        pairs: Iterable[tuple[Node, TypingLiteral["related", "follow_up"]]] = [
            *((o, "related") for o in self.g.objects(self.comm, KG.relatedCommunication)),
            *((s, "follow_up") for s in self.g.subjects(KG.followUpOf, self.comm)),
        ]
        for node, relation in pairs:
            reference = self.text(node, KG.reference)
            if reference is not None:
                found.append(RelatedReference(reference=reference, relation=relation))
        return sorted(found, key=lambda r: (r.reference, r.relation))

    def replies(self) -> list[Reply]:
        nodes = sorted(self.g.objects(self.comm, KG.hasReply), key=lambda n: int(str(n).rsplit("/", 1)[-1]))
        return [Reply(date=self.date(node, KG.replyDate)) for node in nodes]


def _sorted_refs(refs: Iterable[ConceptRef]) -> list[ConceptRef]:
    return sorted(refs, key=lambda r: (r.label, r.iri or ""))


def _sorted_actors(actors: Iterable[Actor]) -> list[Actor]:
    return sorted(actors, key=lambda a: (a.kind, a.name or "", a.country or ""))
