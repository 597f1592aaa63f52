"""Finders for the details of an allegation: places, perpetrators, policies, periods, quantities.

Each finder reads one sentence span of the letter's view and returns what that sentence
states, so the allegation builder decides which sentences count. Nothing here knows any
letter: States and demonyms come from the vocabulary, places from their written form
("... Autonomous Region (Short)"), policies from quoted names next to "policy".
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from kg.extract import concepts
from kg.extract.dates import MONTHS
from kg.extract.layout import Letter, Span, collapse
from kg.record import Actor, ConceptRef, Period, Place, Quantity
from kg.vocab import Concept, Vocabulary, normalise

_CAP = r"[A-Z][\w'’-]*"
_PLACE = re.compile(
    rf"(?P<name>(?:{_CAP}\s+){{1,4}}(?:Special\s+Administrative\s+Region|"
    r"Autonomous\s+(?:Region|Prefecture|Oblast|Republic)|Region|Province|State|District|Governorate|"
    r"Prefecture|County|City|Oblast|Municipality|Department|Territory|Canton))\b"
    rf"(?:\s*\((?P<alias>{_CAP}(?:\s+{_CAP}){{0,3}})\))?"
)
# Capitalised words that open a sentence or a phrase, not a place name.
_LEADING = re.compile(r"(?:The|In|From|Within|Across|Outside|Inside|And|Of|To|At|On|For|Between|Both)$")
_ORGAN = (
    r"(?:Government|government|authorities|Authorities|security\s+forces|police|Police|army|"
    r"armed\s+forces|military)"
)
_ORGAN_BEFORE = re.compile(rf"\b{_ORGAN}\s+of\s+(?:the\s+)?$")
_ORGAN_AFTER = re.compile(rf"^['’]?s?\s+{_ORGAN}\b")
_INSTITUTION = re.compile(
    r"['’]?s?\s+(?:Government|government|authorities|Authorities|Embassy|embassy|Consulate|police|Police|army|"
    r"forces|military|officials|nationals|citizens|company|companies|firms?|courts?|State|state)\b"
)
_YOUR_GOVERNMENT = re.compile(r"\byour\s+(?:Excellency['’]s\s+)?Government\b|\byour\s+country\b", re.I)
_KIND = (
    r"(?:policy|policies|programme|program|campaign|law|plan|initiative|scheme|strategy|project|regulations?)"
)
_POLICY_AFTER = re.compile(rf"[“\"](?P<name>[^”\"\n]{{2,80}}?)[”\"]\s+{_KIND}\b", re.I)
_POLICY_BEFORE = re.compile(
    rf"\b{_KIND}\s+(?:called|named|known\s+as|entitled|titled)?\s*[“\"](?P<name>[^”\"\n]{{2,80}}?)[”\"]", re.I
)
_YEAR = r"(?:19|20)\d{2}"
_MONTH = r"(?:" + "|".join(m for m in MONTHS if len(m) > 3) + r")"
_PERIODS = [
    re.compile(
        rf"\b[Bb]etween\s+(?:{_MONTH}\s+)?(?P<a>{_YEAR})\s+and\s+(?:{_MONTH}\s+)?(?P<b>{_YEAR})\b", re.I
    ),
    re.compile(
        rf"\b[Ff]rom\s+(?:{_MONTH}\s+)?(?P<a>{_YEAR})\s+(?:to|until|through)\s+(?:{_MONTH}\s+)?(?P<b>{_YEAR})\b",
        re.I,
    ),
    re.compile(
        rf"\b[Ss]ince\s+(?:(?:early|late|mid-?)\s*)?(?:\d{{1,2}}\s+)?(?:{_MONTH}\s+)?(?P<a>{_YEAR})\b", re.I
    ),
    re.compile(
        rf"\b[Ii]n\s+(?:(?:early|late|mid-?)\s*)?(?:{_MONTH}\s+)?(?P<a>{_YEAR})\b(?!\s*(?:report|resolution))",
        re.I,
    ),
]
_WORDED = {
    "tens of thousands": 10_000,
    "hundreds of thousands": 100_000,
    "thousands": 1_000,
    "hundreds": 100,
    "millions": 1_000_000,
    "dozens": 12,
}
_QUALIFIER = (
    r"more\s+than|over|at\s+least|up\s+to|about|around|approximately|nearly|almost|some|"
    r"fewer\s+than|less\s+than|an\s+estimated|as\s+many\s+as"
)
_NUMBER_Q = re.compile(
    rf"(?<![\w/.,])(?:(?P<qual>{_QUALIFIER})\s+)?(?P<num>\d{{1,3}}(?:,\d{{3}})+|\d+(?:\.\d+)?)"
    r"(?:\s+(?P<mult>million|billion|thousand))?\s+(?=[A-Za-z])",
    re.I,
)
_WORDED_Q = re.compile(
    r"\b(?P<qual>tens\s+of\s+thousands|hundreds\s+of\s+thousands|thousands|hundreds|millions|dozens)"
    r"\s+of\s+(?=[A-Za-z])",
    re.I,
)
_NOT_COUNT = re.compile(r"(?:resolution|article|paragraph|principle|para|page|no\.|aged|age|per)\s*$", re.I)
# Words that end the counted noun phrase after a number: verbs, prepositions, relatives.
_STOP = re.compile(
    r"(?:have|has|had|are|were|is|was|be|been|being|will|would|may|might|can|could|must|to|in|of|from|"
    r"within|at|for|by|on|into|across|aged|who|which|that|whom|whose|per|since|during|between|under|over|"
    r"with|without|out|as|than|or|allegedly|reportedly|reported|said|including|such)$",
    re.I,
)


@dataclass
class PlaceEntry:
    place: Place
    names: tuple[str, ...]


def states_in(letter: Letter, vocab: Vocabulary, span: Span) -> list[tuple[int, int, Concept]]:
    """States named in the span, by name or by demonym ("Ruritanian")."""
    return [
        (m.start, m.end, m.concept)
        for m in concepts.find(
            vocab, letter.view, "State", start=span.start, end=span.end, include_hidden=True
        )
    ]


def state_places_in(letter: Letter, vocab: Vocabulary, span: Span) -> list[tuple[int, int, Concept]]:
    """States named as places: a demonym before an institution ("the Ecuadorian Embassy") names an actor."""
    found = []
    for start, end, concept in states_in(letter, vocab, span):
        written = normalise(letter.view[start:end])
        is_name = written in {normalise(label) for label in (concept.pref_label, *concept.alt_labels)}
        if is_name or not (_INSTITUTION.match(letter.view, end) or _cut_after(letter.view, end)):
            found.append((start, end, concept))
    return found


def _cut_after(view: str, end: int) -> bool:
    """The text stops within the word after ``end``, the word that would tell a place from an institution."""
    return bool(re.fullmatch(r"['’]?s?\s*\S*", view[end:]))


def place_registry(
    letter: Letter, vocab: Vocabulary, region: list[Span], home: Concept | None
) -> list[PlaceEntry]:
    """Sub-national places defined in the allegation part, with their short forms and their State."""
    registry: list[PlaceEntry] = []
    for sentence in region:
        states = states_in(letter, vocab, sentence)
        for m in _PLACE.finditer(letter.view, sentence.start, sentence.end):
            words = m.group("name").split()
            while words and _LEADING.match(words[0]):
                words.pop(0)
            if len(words) < 2 or any(s <= m.start("name") < e for s, e, _ in states):
                continue
            name = " ".join(words)
            if any(name in entry.names for entry in registry):
                continue
            country = _country_from_context(letter, vocab, sentence, home)
            alias = m.group("alias")
            names = (name, alias) if alias else (name,)
            registry.append(PlaceEntry(Place(name=name, country=country, kind="place"), names))
    return registry


def _country_from_context(
    letter: Letter, vocab: Vocabulary, sentence: Span, home: Concept | None
) -> str | None:
    """The one State named in the sentence, else in its paragraph.

    A letter to a State names that State as "your (Excellency's) Government".
    """
    for span in (sentence, letter.paragraph_at(sentence.start)):
        if span is None:
            continue
        codes = {concepts.iso3(c) for _, _, c in states_in(letter, vocab, span)}
        if home is not None and _YOUR_GOVERNMENT.search(letter.view, span.start, span.end):
            codes.add(concepts.iso3(home))
        codes.discard(None)
        if len(codes) == 1:
            return codes.pop()
        if codes:
            return None
    return None


def places_in(letter: Letter, registry: list[PlaceEntry], span: Span) -> list[tuple[int, Place]]:
    found = []
    for entry in registry:
        pattern = r"(?<![\w-])(?:" + "|".join(re.escape(n) for n in entry.names) + r")(?![\w-])"
        m = re.search(pattern, letter.view[span.start : span.end])
        if m:
            found.append((span.start + m.start(), entry.place))
    return found


def perpetrators_in(letter: Letter, vocab: Vocabulary, span: Span) -> list[Actor]:
    """States named as acting through an organ: "the X Government", "the Government of X", "X authorities"."""
    view = letter.view
    found = []
    for start, end, concept in states_in(letter, vocab, span):
        before = view[max(span.start, start - 40) : start]
        if _ORGAN_BEFORE.search(before) or _ORGAN_AFTER.match(view[end : end + 30]):
            found.append(Actor(kind="state", name=concept.pref_label, country=concepts.iso3(concept)))
    return found


def policies_in(letter: Letter, span: Span) -> list[str]:
    found = []
    for pattern in (_POLICY_AFTER, _POLICY_BEFORE):
        for m in pattern.finditer(letter.view, span.start, span.end):
            found.append((m.start(), collapse(m.group("name"))))
    return [name for _, name in sorted(found)]


def period_in(letter: Letter, span: Span) -> Period | None:
    for pattern in _PERIODS:
        m = pattern.search(letter.view, span.start, span.end)
        if m:
            a = int(m.group("a"))
            b = int(m.group("b")) if "b" in m.groupdict() and m.group("b") else None
            if pattern is _PERIODS[3]:
                b = a
            return Period(start=a, end=b, text=collapse(m.group(0)))
    return None


def quantities_in(letter: Letter, span: Span) -> list[Quantity]:
    view = letter.view
    found: list[tuple[int, Quantity]] = []
    for m in _WORDED_Q.finditer(view, span.start, span.end):
        unit, end = _unit(view, m.end(), span.end)
        if unit:
            qualifier = collapse(m.group("qual")).lower()
            found.append(
                (
                    m.start(),
                    Quantity(
                        value=_WORDED[qualifier],
                        qualifier=qualifier,
                        unit=unit,
                        text=collapse(view[m.start() : end]),
                    ),
                )
            )
    for m in _NUMBER_Q.finditer(view, span.start, span.end):
        raw = m.group("num").replace(",", "")
        if re.fullmatch(_YEAR, raw) or _NOT_COUNT.search(view[max(span.start, m.start() - 12) : m.start()]):
            continue
        unit, end = _unit(view, m.end(), span.end)
        if not unit or unit.split()[0].lower() in MONTHS:
            continue
        value = float(raw) * {"million": 1e6, "billion": 1e9, "thousand": 1e3}.get(
            (m.group("mult") or "").lower(), 1
        )
        if not math.isfinite(value):
            # Hundreds of digits count nothing (a reference number, damaged text); as a float
            # it would be infinite, which neither JSON nor xsd:decimal can hold.
            continue
        stated = collapse(m.group("qual")).lower() if m.group("qual") else None
        found.append(
            (
                m.start(),
                Quantity(value=value, qualifier=stated, unit=unit, text=collapse(view[m.start() : end])),
            )
        )
    return [q for _, q in sorted(found, key=lambda pair: pair[0])]


def _unit(view: str, start: int, limit: int) -> tuple[str, int]:
    """The counted noun phrase after a number: words up to a verb, preposition or punctuation.

    "and" continues the phrase only after a word that is not plural ("migrant and other
    seasonal workers"); after a plural ("migrants and others") the count has its noun.
    """
    words: list[tuple[str, int]] = []
    tokens = [
        (m.group(0), start + m.end()) for m in re.finditer(r"[A-Za-z][\w'’-]*|[^\sA-Za-z]", view[start:limit])
    ]
    for k, (word, end) in enumerate(tokens):
        if not word[0].isalpha() or _STOP.match(word) or len(words) >= 6:
            break
        if word.lower() == "and" and (not words or words[-1][0].lower().endswith("s")):
            break
        if words and _is_verb(word, tokens[k + 1][0] if k + 1 < len(tokens) else ""):
            break
        words.append((word, end))
    else:
        if not view[limit:].strip():
            # The phrase runs into the end of a text cut short: what is counted is unknown.
            return "", start
    while words and words[-1][0].lower() in {"and", "other"}:
        words.pop()
    if not words:
        return "", start
    return " ".join(w for w, _ in words), words[-1][1]


def _is_verb(word: str, following: str) -> bool:
    """A past form closes the phrase when a preposition or punctuation follows ("fish died in")."""
    ends_like_verb = word.endswith("ed") or word.lower() in {"died", "fled", "left", "lost", "went"}
    return ends_like_verb and (not following[:1].isalpha() or bool(_STOP.match(following)))


def concept_refs(
    letter: Letter, vocab: Vocabulary, local_name: str, span: Span
) -> list[tuple[int, ConceptRef]]:
    return [
        (m.start, ConceptRef(label=m.concept.pref_label, iri=m.concept.iri))
        for m in concepts.find(vocab, letter.view, local_name, start=span.start, end=span.end)
    ]
