"""Which sentence of a letter states which fact: text spans matched to the triples they support.

A span (kg:TextSpan) points at one node (kg:evidenceFor) and names the record field it
comes from (kg:evidenceField). A field's evidence supports the facts that kg.rdf builds
from that field, so the span of field ``date`` on a communication supports its
kg:dateSent, and the span of an allegation supports each of the allegation's facts and
the communication's kg:raisesAllegation link to it. A fact reached through a qualifying
node (a communication's kg:sentByMandate through its kg:Sending) shares that node's span.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kg.config import ONTOLOGY_NS
from kg.server.explorer.results import Row, integer, text

_KG = ONTOLOGY_NS
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
_FOAF_NAME = "http://xmlns.com/foaf/0.1/name"

# Record field -> the properties whose triples kg.rdf makes from it.
FIELD_FACTS: dict[str, frozenset[str]] = {
    field: frozenset(props)
    for field, props in {
        "reference": [
            _RDFS_LABEL,
            *(
                _KG + p
                for p in (
                    "reference",
                    "referenceType",
                    "referenceCountryCode",
                    "referenceNumber",
                    "referenceYear",
                    "mandateFileCode",
                )
            ),
        ],
        "date": [_KG + "dateSent"],
        "recipient": [_KG + "addressedTo"],
        "addressee_person": [_KG + "addressedToPerson", _FOAF_NAME, _KG + "honorific"],
        "publication": [_KG + "publicationDate", _KG + "publicationDelayDays"],
        "mandates": [
            _KG + p
            for p in ("hasSending", "sendingMandate", "pursuantTo", "sentByMandate", "citesResolution")
        ],
        "signatories": [
            _KG + p for p in ("hasSignature", "signatory", "signedForMandate", "signedAsPost", "signedBy")
        ],
        "allegations": [
            _KG + p
            for p in (
                "raisesAllegation",
                "concernsIssue",
                "affectsGroup",
                "occurredIn",
                "inSector",
                "underPolicy",
                "allegedPerpetrator",
                "implicatedActor",
                "periodStart",
                "periodEnd",
                "hasQuantity",
            )
        ],
        "questions": [_KG + p for p in ("asksQuestion", "questionNumber", "questionText", "questionTopic")],
        "norms_cited": [_KG + "citesNorm"],
        "also_sent_to": [_KG + "alsoSentTo", _KG + "alsoSentToOtherCompanies"],
        "related_references": [_KG + "relatedCommunication", _KG + "followUpOf"],
    }.items()
}


@dataclass(frozen=True)
class Span:
    """A stretch of a letter: the sentence when the record kept it, otherwise where to find it."""

    iri: str
    node: str
    field: str
    start: int
    end: int
    quote: str | None
    file: str | None
    letter: str | None
    reference: str | None

    @property
    def where(self) -> str:
        source = self.reference or self.file or "the letter"
        return f"{source}, characters {self.start}–{self.end}"


def spans_from_rows(rows: Iterable[Row]) -> list[Span]:
    spans: dict[tuple[str, str], Span] = {}
    for row in rows:
        span = Span(
            iri=text(row, "span"),
            node=text(row, "node"),
            field=text(row, "field"),
            start=integer(row, "start"),
            end=integer(row, "end"),
            quote=text(row, "quote") or None,
            file=text(row, "file") or None,
            letter=text(row, "letter") or None,
            reference=text(row, "reference") or None,
        )
        spans.setdefault((span.iri, span.node), span)
    return sorted(spans.values(), key=lambda s: (s.reference or "", s.start, s.end))


class EvidenceIndex:
    """Answers "which spans state this fact?" for the facts around one entity."""

    def __init__(self, spans: list[Span], neighbours: dict[str, set[str]]) -> None:
        self._by_node: dict[str, list[Span]] = {}
        for span in spans:
            self._by_node.setdefault(span.node, []).append(span)
        self._neighbours = neighbours  # evidenced node -> nodes it links to or from
        self._used: set[str] = set()

    def for_fact(self, subject: str, prop: str, obj: str) -> list[Span]:
        found: dict[str, Span] = {}
        for node in {subject, obj}:
            for span in self._by_node.get(node, ()):
                if prop in FIELD_FACTS.get(span.field, ()):
                    found.setdefault(span.iri, span)
        for node, linked in self._neighbours.items():
            if node not in (subject, obj) and subject in linked and obj in linked:
                for span in self._by_node.get(node, ()):
                    if prop in FIELD_FACTS.get(span.field, ()):
                        found.setdefault(span.iri, span)
        self._used.update(found)
        return sorted(found.values(), key=lambda s: (s.reference or "", s.start))

    def own(self, node: str) -> list[Span]:
        """The spans about the entity itself, for the page's evidence section."""
        return list(self._by_node.get(node, ()))

    def unused(self, node: str) -> list[Span]:
        """Spans of the entity no fact on the page claimed (a field this page does not know)."""
        return [s for s in self._by_node.get(node, ()) if s.iri not in self._used]
