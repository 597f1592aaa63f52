"""Allegations: one per human rights issue the letter raises, with who, where, when and how many.

The allegation part of a letter runs from the end of the opening sentence to the questions
(or, failing those, to the annex or the closing formula). Paragraphs that describe the
procedure rather than facts ("We are independent human rights experts ...") are left out
by their role: most of their sentences talk about the procedure and none reports a fact.

Rule for the details: an issue's evidence is the sentences that name it; its groups,
places, sectors, policies, perpetrators, period and quantities are read from the
paragraphs holding those sentences, because letters state the issue in one sentence and
the people and places it affects in the sentences around it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

from kg.extract import concepts, facts
from kg.extract.layout import Letter, Span
from kg.record import Actor, Allegation, ConceptRef, Place
from kg.vocab import Concept, Vocabulary

_PROCEDURAL = re.compile(
    r"\bspecial\s+procedures?\b|\bcommunications?\s+procedure\b|\bmandate[-\s]holders?\b|"
    r"\bindependent\s+(?:human\s+rights\s+)?experts?\b|\burgent\s+appeals?\b|\ballegation\s+letters?\b|"
    r"\bthematic\s+(?:and|or)\s+country\b|\bmandates?\s+(?:provided|entrusted)\b",
    re.I,
)
_FACT_CUE = re.compile(
    r"\balleged(?:ly)?\b|\breportedly\b|\baccording\s+to\b|\binformation\s+(?:received|that)\b|\breports?\s+that\b",
    re.I,
)
_YOUR = re.compile(
    r"\byour\s+(?:company|firm|business|enterprise|corporation|client|group|organi[sz]ation|subsidiar(?:y|ies))\b",
    re.I,
)
T = TypeVar("T")


def region(letter: Letter, *, start: int, end: int, lead: Span | None = None) -> list[Span]:
    """The sentences of the allegation part, without footnotes and procedural boilerplate.

    ``lead`` is the end of the opening sentence when it goes on to state facts after the
    resolutions; it counts as a sentence of its own.
    """
    sentences = [
        s for s in letter.sentences if s.start >= start and s.end <= end and not letter.in_footnote(s.start)
    ]
    if lead is not None:
        sentences.insert(0, lead)
    kept = []
    for sentence in sentences:
        para = letter.paragraph_at(sentence.start)
        siblings = [s for s in sentences if para and para.start <= s.start < para.end]
        if _procedural(letter, sentence) or (len(siblings) > 1 and _boilerplate(letter, siblings)):
            continue
        kept.append(sentence)
    return kept


def _procedural(letter: Letter, sentence: Span) -> bool:
    text = letter.view[sentence.start : sentence.end]
    return bool(_PROCEDURAL.search(text)) and not _FACT_CUE.search(text)


def _boilerplate(letter: Letter, sentences: list[Span]) -> bool:
    procedural = sum(1 for s in sentences if _procedural(letter, s))
    facts_stated = any(_FACT_CUE.search(letter.view[s.start : s.end]) for s in sentences)
    return procedural * 2 >= len(sentences) and not facts_stated


def extract(
    letter: Letter, vocab: Vocabulary, sentences: list[Span], recipient: Actor | None
) -> list[Allegation]:
    home = (
        vocab.state(recipient.country)
        if recipient and recipient.kind == "state" and recipient.country
        else None
    )
    registry = facts.place_registry(letter, vocab, sentences, home)
    by_issue: dict[str, tuple[Concept, list[Span]]] = {}
    for sentence in sentences:
        names = _named_things(letter, vocab, sentence)
        for m in concepts.find(
            vocab, letter.view, "HumanRightsIssue", start=sentence.start, end=sentence.end
        ):
            if any(start <= m.start < end for start, end in names):
                continue
            entry = by_issue.setdefault(m.concept.iri, (m.concept, []))
            if sentence not in entry[1]:
                entry[1].append(sentence)
    allegations = []
    for concept, stated in by_issue.values():
        context = _context(letter, sentences, stated)
        allegations.append(_allegation(letter, vocab, concept, stated, context, registry, recipient))
    return allegations


def _named_things(letter: Letter, vocab: Vocabulary, sentence: Span) -> list[tuple[int, int]]:
    """Spans of instrument and mandate names: "Convention against Torture" cites a norm, not an allegation."""
    spans = []
    for local_name in ("Instrument", "Mandate"):
        for m in concepts.find(vocab, letter.view, local_name, start=sentence.start, end=sentence.end):
            spans.append((m.start, m.end))
        # A name the text stops inside ("the Special Rapporteur on torture and other cru") still names.
        if sentence.end < len(letter.view.rstrip()):
            continue
        cut = concepts.cut_label_start(vocab, letter.view, local_name, start=sentence.start)
        if cut is not None:
            spans.append((cut, len(letter.view)))
    return spans


def _context(letter: Letter, sentences: list[Span], stated: list[Span]) -> list[Span]:
    paragraphs = {letter.paragraph_at(s.start) for s in stated}
    return [s for s in sentences if letter.paragraph_at(s.start) in paragraphs]


def _collect(
    spans: Iterable[Span], finder: Callable[[Span], list[tuple[int, T]]], key: Callable[[T], str]
) -> list[T]:
    seen: set[str] = set()
    kept: list[T] = []
    for span in spans:
        for _, item in sorted(finder(span), key=lambda pair: pair[0]):
            if key(item) not in seen:
                seen.add(key(item))
                kept.append(item)
    return kept


def _allegation(
    letter: Letter,
    vocab: Vocabulary,
    concept: Concept,
    stated: list[Span],
    context: list[Span],
    registry: list[facts.PlaceEntry],
    recipient: Actor | None,
) -> Allegation:
    def evidenced(local_name: str) -> Callable[[Span], list[tuple[int, ConceptRef]]]:
        def finder(span: Span) -> list[tuple[int, ConceptRef]]:
            return [
                (pos, ref.model_copy(update={"evidence": letter.evidence(span.start, span.end)}))
                for pos, ref in facts.concept_refs(letter, vocab, local_name, span)
            ]

        return finder

    def locations(span: Span) -> list[tuple[int, Place]]:
        evidence = letter.evidence(span.start, span.end)
        states = [
            (start, Place(name=c.pref_label, country=concepts.iso3(c), kind="state", evidence=evidence))
            for start, _, c in facts.state_places_in(letter, vocab, span)
        ]
        places = [
            (pos, p.model_copy(update={"evidence": evidence}))
            for pos, p in facts.places_in(letter, registry, span)
        ]
        return states + places

    def policies(span: Span) -> list[tuple[int, ConceptRef]]:
        return [
            (span.start, ConceptRef(label=name, evidence=letter.evidence(span.start, span.end)))
            for name in facts.policies_in(letter, span)
        ]

    def perpetrators(span: Span) -> list[tuple[int, Actor]]:
        evidence = letter.evidence(span.start, span.end)
        return [
            (span.start, a.model_copy(update={"evidence": evidence}))
            for a in facts.perpetrators_in(letter, vocab, span)
        ]

    def implicated(span: Span) -> list[tuple[int, Actor]]:
        if (
            recipient is None
            or recipient.kind == "state"
            or not _YOUR.search(letter.view, span.start, span.end)
        ):
            return []
        evidence = letter.evidence(span.start, span.end)
        return [(span.start, recipient.model_copy(update={"evidence": evidence}))]

    period = next((p for s in [*stated, *context] if (p := facts.period_in(letter, s)) is not None), None)
    quantities = _collect(
        context, lambda s: [(0, q) for q in facts.quantities_in(letter, s)], lambda q: q.text
    )
    return Allegation(
        issue=concept.pref_label,
        issue_iri=concept.iri,
        affected_groups=_collect(context, evidenced("AffectedGroup"), lambda r: r.label),
        locations=_collect(context, locations, lambda p: p.name),
        sectors=_collect(context, evidenced("Sector"), lambda r: r.label),
        policies=_collect(context, policies, lambda r: r.label),
        perpetrators=_collect(context, perpetrators, lambda a: a.name or ""),
        implicated=_collect(context, implicated, lambda a: a.name or a.kind),
        period=period,
        quantities=quantities,
        evidence=[letter.evidence(s.start, s.end) for s in stated],
    )
