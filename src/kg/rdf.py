"""Record -> RDF: one communication record becomes one named graph with its provenance.

Everything a letter says lands in the document's own graph, so the document can be
validated, replaced or removed as a unit. IRIs are minted deterministically (kg.iris), so
the same record always gives the same triples.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from rdflib import XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF, ORG, PROV, RDF, RDFS, SKOS

from kg import iris, links
from kg.config import ONTOLOGY_NS
from kg.errors import RecordError
from kg.record import Actor, CommunicationRecord, ConceptRef, Evidence, Place
from kg.vocab import Vocabulary


class _Namespace(Namespace):
    """rdflib's Namespace, keeping each term once made: ``KG.name`` otherwise builds (and checks)
    a new IRI every time, which at ingest rates cost more than adding the triple."""

    def __getattr__(self, name: str) -> URIRef:
        term = super().__getattr__(name)
        self.__dict__[name] = term  # later look-ups are plain attributes
        return term


KG = _Namespace(ONTOLOGY_NS)


class _Terms:
    """rdflib's closed namespaces (RDF, SKOS, ...) with the same caching; they shadow the imports
    below, so prefixes are bound from ``_PREFIXES``, which holds the namespaces themselves."""

    def __init__(self, namespace: Namespace | type) -> None:
        self._namespace = namespace

    def __getattr__(self, name: str) -> URIRef:
        term: URIRef = getattr(self._namespace, name)
        setattr(self, name, term)  # later look-ups are plain attributes
        return term

    def __getitem__(self, name: str) -> URIRef:
        return self.__getattr__(name)


_PREFIXES = (("kg", KG), ("prov", PROV), ("skos", SKOS), ("dcterms", DCTERMS), ("org", ORG), ("foaf", FOAF))
RDF, RDFS, SKOS, FOAF, PROV, ORG, DCTERMS, XSD = (  # type: ignore[misc,assignment]
    _Terms(ns) for ns in (RDF, RDFS, SKOS, FOAF, PROV, ORG, DCTERMS, XSD)
)

_TYPE_CLASSES = {"AL": KG.AllegationLetter, "UA": KG.UrgentAppeal, "OL": KG.OtherLetter}
_ACTOR_CLASSES = {
    "state": KG.State,
    "company": KG.Company,
    "organization": KG.InternationalOrganisation,
    "other": KG.OtherNonStateActor,
}


@dataclass(frozen=True)
class DocumentGraph:
    """The triples of one document and the names it is stored under."""

    reference: str
    communication: URIRef
    graph_iri: URIRef
    graph: Graph
    digest: str


class _Builder:
    """Holds the graph being built so each small method adds one kind of fact."""

    def __init__(self, record: CommunicationRecord, base: str, vocab: Vocabulary) -> None:
        if record.reference is None:
            raise RecordError(
                "the record has no reference, so it cannot get an IRI; "
                "add 'reference' (e.g. 'AL OTH 70/2020')"
            )
        self.record = record
        self.base = base
        self.vocab = vocab
        self.g = Graph()
        for prefix, ns in _PREFIXES:
            self.g.bind(prefix, ns)
        self.comm = URIRef(iris.communication_iri(base, record.reference))
        self.source = URIRef(f"{self.comm}/source")
        self.triples: dict[tuple[URIRef | BNode, URIRef, URIRef | Literal | BNode], None] = {}
        self._store_add = self.g.store.add

    def add(self, s: URIRef | BNode, p: URIRef, o: URIRef | Literal | BNode) -> None:
        # Graph.add's own checks and call cost more than the store's add at ingest rates; the
        # triples are also kept here so the digest need not walk the graph again.
        self._store_add((s, p, o), self.g, False)
        self.triples[(s, p, o)] = None

    def text(self, s: URIRef, p: URIRef, value: str | None) -> None:
        if value:
            self.add(s, p, Literal(value))

    def evidence(
        self, node: URIRef, evidence: Evidence | None, field: str, value: URIRef | None = None
    ) -> None:
        """A span stating ``node``'s ``field``; ``value`` names which of the field's values it states."""
        if evidence is None:
            return
        span = URIRef(f"{self.comm}/span/{evidence.start}-{evidence.end}")
        self.add(span, RDF.type, KG.TextSpan)
        self.add(span, KG.spanIn, self.source)
        self.add(span, KG.startOffset, Literal(evidence.start))
        self.add(span, KG.endOffset, Literal(evidence.end))
        self.add(span, KG.evidenceFor, node)
        self.add(span, KG.evidenceField, Literal(field))
        if value is not None:
            self.add(span, KG.evidenceValue, value)
        if evidence.quote:
            self.add(span, KG.quote, Literal(evidence.quote))

    # -- the communication itself --------------------------------------------------------

    def communication(self) -> None:
        r, c = self.record, self.comm
        assert r.reference is not None
        self.add(c, RDF.type, KG.Communication)
        kind = (r.type or r.reference.split()[0]).upper()
        self.add(c, RDF.type, _TYPE_CLASSES.get(kind.removeprefix("J"), KG.Communication))
        if kind.startswith("J") or len(r.mandates) > 1:
            self.add(c, RDF.type, KG.JointCommunication)
        self.add(c, RDFS.label, Literal(r.reference))
        self.add(c, KG.reference, Literal(r.reference))
        # Where a reader finds the letter and its replies: computed from the reference alone.
        self.add(c, FOAF.page, URIRef(links.ohchr_search_url(r.reference)))
        self.evidence(c, r.reference_evidence, "reference")
        if r.reference_parts is not None:
            parts = r.reference_parts
            self.add(c, KG.referenceType, Literal(parts.type))
            self.add(c, KG.referenceCountryCode, Literal(parts.country))
            self.add(c, KG.referenceNumber, Literal(parts.number))
            self.add(c, KG.referenceYear, Literal(parts.year))
            for code in parts.file_codes:
                self.add(c, KG.mandateFileCode, Literal(code))
        if r.date is not None:
            self.add(c, KG.dateSent, Literal(r.date, datatype=XSD.date))
            self.evidence(c, r.date_evidence, "date")
        if r.publication_date is not None:
            self.add(c, KG.publicationDate, Literal(r.publication_date, datatype=XSD.date))
        if r.publication_days is not None:
            self.add(c, KG.publicationDelayDays, Literal(r.publication_days))
        self.evidence(c, r.publication_evidence, "publication")
        for warning in r.warnings:
            self.add(c, KG.extractionWarning, Literal(warning))
        self.add(c, PROV.wasDerivedFrom, self.source)

    def source_document(self) -> None:
        s, src = self.source, self.record.source
        self.add(s, RDF.type, KG.SourceDocument)
        if src is None:
            return
        self.text(s, KG.fileName, src.file_name)
        self.text(s, KG.sha256, src.sha256)
        self.text(s, DCTERMS["format"], src.media_type)
        if src.length is not None:
            self.add(s, KG.textLength, Literal(src.length))

    # -- actors ---------------------------------------------------------------------------

    def actor(self, actor: Actor) -> URIRef | None:
        """The actor's node, with its type and name; None when the letter gives no name."""
        if actor.kind == "state" and actor.country:
            return URIRef(iris.state_iri(actor.country))
        if not actor.name:
            return None
        node = URIRef(iris.actor_iri(self.base, actor.kind, actor.name))
        self.add(node, RDF.type, _ACTOR_CLASSES[actor.kind])
        self.add(node, RDFS.label, Literal(actor.name))
        self.add(node, SKOS.prefLabel, Literal(actor.name))
        if actor.country:
            self.add(node, KG.countryOf, URIRef(iris.state_iri(actor.country)))
        return node

    def recipients(self) -> None:
        r, c = self.record, self.comm
        if r.recipient is not None:
            node = self.actor(r.recipient)
            if node is None:
                # The letter shows what kind of actor it went to ("your company") without naming it:
                # record that much, unnamed, rather than inventing a name or losing the fact.
                node = URIRef(f"{c}/recipient")
                self.add(node, RDF.type, _ACTOR_CLASSES[r.recipient.kind])
                self.add(node, RDFS.comment, Literal("recipient not named in the source text"))
            self.add(c, KG.addressedTo, node)
            self.evidence(c, r.recipient.evidence, "recipient")
        if r.addressee_person is not None and (r.addressee_person.name or r.addressee_person.honorific):
            person = URIRef(f"{c}/addressee")
            self.add(person, RDF.type, FOAF.Person)
            self.text(person, FOAF.name, r.addressee_person.name)
            self.text(person, KG.honorific, r.addressee_person.honorific)
            self.add(c, KG.addressedToPerson, person)
            self.evidence(person, r.addressee_person.evidence, "addressee_person")
        for other in r.also_sent_to:
            if (node := self.actor(other)) is not None:
                self.add(c, KG.alsoSentTo, node)
                self.evidence(c, other.evidence, "also_sent_to", value=node)
        if r.also_sent_to_other_companies:
            self.add(c, KG.alsoSentToOtherCompanies, Literal(True))

    def unnamed(self, actor: Actor, allegation: URIRef, role: str) -> URIRef:
        """A node for an actor the letter does not name, so the allegation keeps it.

        An unnamed implicated actor of the recipient's kind is the recipient ("your company"):
        it gets the recipient's node. Any other gets a node local to the allegation. Found by
        the round-trip fuzzer: such actors had no node and were dropped from the graph.
        """
        r = self.record.recipient
        if (
            role == "implicated"
            and r is not None
            and r.kind == actor.kind
            and actor.country in (None, r.country)
        ):
            return self.actor(r) or URIRef(f"{self.comm}/recipient")
        node = URIRef(f"{allegation}/{role}/{actor.kind}")
        self.add(node, RDF.type, _ACTOR_CLASSES[actor.kind])
        self.add(node, RDFS.comment, Literal("not named in the source text"))
        if actor.country:
            self.add(node, KG.countryOf, URIRef(iris.state_iri(actor.country)))
        return node

    # -- mandates, resolutions, signatures ------------------------------------------------

    def resolution(self, number: str) -> URIRef | None:
        iri = iris.resolution_iri(number)
        if iri is None:
            return None
        node = URIRef(iri)
        if self.vocab.get(iri) is None:
            # Not in the vocabulary yet: say what it is so the document graph stands alone.
            self.add(node, RDF.type, KG.Resolution)
            self.add(node, KG.resolutionNumber, Literal(number))
            self.add(node, RDFS.label, Literal(f"resolution {number}"))
            if symbol := iris.resolution_symbol(number):
                self.add(node, KG.documentSymbol, Literal(symbol))
                self.add(node, FOAF.page, URIRef(links.undocs_url(symbol)))
        return node

    def mandates(self) -> None:
        r, c = self.record, self.comm
        for position, mandate in enumerate(r.mandates, start=1):
            m = URIRef(mandate.iri)
            sending = URIRef(f"{c}/sending/{position}")
            self.add(c, KG.sentByMandate, m)
            self.add(c, KG.hasSending, sending)
            self.add(sending, RDF.type, KG.Sending)
            self.add(sending, KG.sendingMandate, m)
            self.add(sending, KG.listPosition, Literal(position))
            if mandate.resolution and (res := self.resolution(mandate.resolution)) is not None:
                self.add(sending, KG.pursuantTo, res)
            self.evidence(sending, mandate.evidence, "mandates")
        for number in r.resolutions:
            if (res := self.resolution(number)) is not None:
                self.add(c, KG.citesResolution, res)

    def signatures(self) -> None:
        r, c = self.record, self.comm
        for position, signer in enumerate(r.signatories, start=1):
            signature = URIRef(f"{c}/signature/{position}")
            person = URIRef(iris.person_iri(self.base, signer.name))
            self.add(c, KG.hasSignature, signature)
            self.add(c, KG.signedBy, person)
            self.add(signature, RDF.type, KG.Signature)
            self.add(signature, KG.signatory, person)
            self.add(signature, KG.listPosition, Literal(position))
            self.add(person, RDF.type, KG.MandateHolder)
            self.add(person, FOAF.name, Literal(signer.name))
            self.add(person, RDFS.label, Literal(signer.name))
            if signer.mandate_iri:
                mandate = URIRef(signer.mandate_iri)
                self.add(signature, KG.signedForMandate, mandate)
                concept = self.vocab.get(signer.mandate_iri)
                key = (concept.value("notation") if concept else None) or signer.mandate_iri.rsplit("/", 1)[
                    -1
                ]
                title = signer.title or "mandate holder"
                post = URIRef(iris.post_iri(self.base, key, title))
                self.add(signature, KG.signedAsPost, post)
                self.add(post, RDF.type, KG.MandatePost)
                self.add(post, ORG.postIn, mandate)
                self.add(post, KG.postTitle, Literal(title))
                self.add(post, RDFS.label, Literal(f"{title}, {signer.mandate or key}"))
                self.add(post, ORG.heldBy, person)
            self.evidence(signature, signer.evidence, "signatories")

    # -- allegations, questions, norms, related -------------------------------------------

    def concept(self, ref: ConceptRef, folder: str, cls: URIRef) -> URIRef:
        if ref.iri:
            return URIRef(ref.iri)
        node = URIRef(iris.minted_concept_iri(self.base, folder, ref.label))
        self.add(node, RDF.type, cls)
        self.add(node, SKOS.prefLabel, Literal(ref.label))
        self.add(node, RDFS.label, Literal(ref.label))
        return node

    def place(self, place: Place) -> URIRef:
        if place.kind == "state" and place.country:
            return URIRef(iris.state_iri(place.country))
        node = URIRef(iris.place_iri(self.base, place.name, place.country))
        self.add(node, RDF.type, KG.Place)
        self.add(node, RDFS.label, Literal(place.name))
        if place.country:
            self.add(node, KG.placeInCountry, URIRef(iris.state_iri(place.country)))
        return node

    def allegations(self) -> None:
        r, c = self.record, self.comm
        for allegation in r.allegations:
            a = URIRef(f"{c}/allegation/{iris.slug(allegation.issue_iri.rsplit('/', 1)[-1])}")
            self.add(c, KG.raisesAllegation, a)
            self.add(a, RDF.type, KG.Allegation)
            self.add(a, RDFS.label, Literal(f"{allegation.issue} ({r.reference})"))
            self.add(a, KG.concernsIssue, URIRef(allegation.issue_iri))
            for group in allegation.affected_groups:
                self.add(a, KG.affectsGroup, self.concept(group, "group", KG.AffectedGroup))
            for place in allegation.locations:
                self.add(a, KG.occurredIn, self.place(place))
            for sector in allegation.sectors:
                self.add(a, KG.inSector, self.concept(sector, "sector", KG.Sector))
            for policy in allegation.policies:
                node = URIRef(iris.minted_concept_iri(self.base, "policy", policy.label))
                self.add(node, RDF.type, KG.Policy)
                self.add(node, RDFS.label, Literal(policy.label))
                self.add(a, KG.underPolicy, node)
            for actor in allegation.perpetrators:
                self.add(a, KG.allegedPerpetrator, self.actor(actor) or self.unnamed(actor, a, "perpetrator"))
            for actor in allegation.implicated:
                self.add(a, KG.implicatedActor, self.actor(actor) or self.unnamed(actor, a, "implicated"))
            if allegation.period is not None:
                if allegation.period.start is not None:
                    self.add(a, KG.periodStart, Literal(str(allegation.period.start), datatype=XSD.gYear))
                if allegation.period.end is not None:
                    self.add(a, KG.periodEnd, Literal(str(allegation.period.end), datatype=XSD.gYear))
            for index, quantity in enumerate(allegation.quantities, start=1):
                if not math.isfinite(quantity.value):
                    raise RecordError(
                        f"allegation {allegation.issue!r}: quantity {quantity.text!r} has the value "
                        f"{quantity.value}, which is not a number RDF can hold; give a finite value"
                    )
                q = URIRef(f"{a}/quantity/{index}")
                self.add(a, KG.hasQuantity, q)
                self.add(q, RDF.type, KG.Quantity)
                self.add(q, KG.quantityValue, Literal(Decimal(str(quantity.value)), datatype=XSD.decimal))
                self.text(q, KG.quantityQualifier, quantity.qualifier)
                self.add(q, KG.quantityUnit, Literal(quantity.unit))
            for evidence in allegation.evidence:
                self.evidence(a, evidence, "allegations")

    def questions(self) -> None:
        r, c = self.record, self.comm
        for question in r.questions:
            q = URIRef(f"{c}/question/{question.number}")
            self.add(c, KG.asksQuestion, q)
            self.add(q, RDF.type, KG.Question)
            self.add(q, KG.questionNumber, Literal(question.number))
            self.add(q, RDFS.label, Literal(f"{r.reference}, question {question.number}"))
            self.text(q, KG.questionText, question.text)
            for topic in question.topics:
                self.add(q, KG.questionTopic, self.concept(topic, "question-topic", KG.QuestionTopic))
            self.evidence(q, question.evidence, "questions")

    def norms(self) -> None:
        c = self.comm
        for norm in self.record.norms_cited:
            node = self.norm_node(norm.kind, norm.id, norm.label, norm.iri)
            self.add(c, KG.citesNorm, node)
            self.evidence(c, norm.evidence, "norms_cited", value=node)

    def norm_node(self, kind: str, key: str, label: str, iri: str | None) -> URIRef:
        if kind == "guiding_principle":
            return URIRef(iri or iris.guiding_principle_iri(int(key)))
        if kind == "resolution":
            node = URIRef(iri or iris.symbol_iri(key))
            if self.vocab.get(str(node)) is None:
                self.add(node, RDF.type, KG.Resolution)
                self.add(node, KG.documentSymbol, Literal(key))
                if key.strip():
                    self.add(node, FOAF.page, URIRef(links.undocs_url(key)))
                self.add(node, RDFS.label, Literal(label))
            return node
        if kind == "article":
            instrument, _, article = key.partition("#")
            node = URIRef(iri or iris.article_iri(instrument, article))
            self.add(node, RDF.type, KG.Article)
            self.add(node, KG.articleOf, URIRef(iris.instrument_iri(instrument)))
            self.add(node, KG.articleNumber, Literal(article))
            self.add(node, RDFS.label, Literal(label))
            return node
        node = URIRef(iri or iris.instrument_iri(key))
        if self.vocab.get(str(node)) is None:
            self.add(node, RDF.type, KG.Instrument)
            self.add(node, RDFS.label, Literal(label))
        return node

    def related(self) -> None:
        c = self.comm
        for related in self.record.related_references:
            other = URIRef(iris.communication_iri(self.base, related.reference))
            self.add(other, RDF.type, KG.Communication)
            self.add(other, KG.reference, Literal(iris.normalise_reference(related.reference)))
            self.add(other, RDFS.label, Literal(iris.normalise_reference(related.reference)))
            prop = KG.followUpOf if related.relation == "follow_up" else KG.relatedCommunication
            # The letter names the other one as its follow-up, so the other is the follow-up of this.
            if related.relation == "follow_up":
                self.add(other, prop, c)
            else:
                self.add(c, prop, other)
            self.evidence(c, related.evidence, "related_references")

    def replies(self) -> None:
        c = self.comm
        for index, reply in enumerate(self.record.replies, start=1):
            node = URIRef(f"{c}/reply/{index}")
            self.add(c, KG.hasReply, node)
            self.add(node, RDF.type, KG.Reply)
            if reply.date is not None:
                self.add(node, KG.replyDate, Literal(reply.date, datatype=XSD.date))


def graph_digest(graph: Graph) -> str:
    """A digest of the triples, independent of order: tells whether a re-ingest changes anything."""
    return _digest(graph)


_N3: dict[URIRef, str] = {}
_N3_MAX = 20_000


def _n3(term: URIRef | BNode | Literal) -> str:
    """``term.n3()``, remembered for IRIs: every document repeats the vocabulary's."""
    if type(term) is not URIRef:
        return term.n3()
    text = _N3.get(term)
    if text is None:
        if len(_N3) >= _N3_MAX:
            _N3.clear()
        text = _N3[term] = term.n3()
    return text


def _digest(triples: Iterable[tuple[URIRef | BNode | Literal, ...]]) -> str:
    lines = sorted(f"{_n3(s)} {_n3(p)} {_n3(o)}" for s, p, o in triples)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def record_to_graph(record: CommunicationRecord, *, base: str, vocab: Vocabulary) -> DocumentGraph:
    """The document graph of one record; deterministic for a given record and base IRI."""
    builder = _Builder(record, base, vocab)
    builder.communication()
    builder.source_document()
    builder.recipients()
    builder.mandates()
    builder.signatures()
    builder.allegations()
    builder.questions()
    builder.norms()
    builder.related()
    builder.replies()
    assert record.reference is not None
    graph_iri = URIRef(iris.document_graph_iri(base, record.reference))
    digest = _digest(builder.triples)  # the same triples as builder.g, without walking its indexes
    g = builder.g
    g.add((graph_iri, RDF.type, KG.DocumentGraph))
    g.add((graph_iri, FOAF.primaryTopic, builder.comm))
    g.add((graph_iri, PROV.wasDerivedFrom, builder.source))
    g.add((graph_iri, KG.contentDigest, Literal(digest)))
    return DocumentGraph(
        reference=record.reference, communication=builder.comm, graph_iri=graph_iri, graph=g, digest=digest
    )
