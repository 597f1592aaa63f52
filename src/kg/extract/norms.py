"""Norms the letter invokes: Guiding Principles, resolutions, instruments and their articles.

Each norm is kept once, with the first sentence that cites it, in text order. Guiding
Principles are cited by number ("Guiding Principles 25 to 31" means seven principles);
instruments by name or abbreviation as the vocabulary spells them; articles only when
the instrument is named right after them ("articles 7 and 10 of the ICCPR").
"""

from __future__ import annotations

import re

from kg.extract import concepts
from kg.extract.layout import Letter, Span, cut_short
from kg.record import NormCitation
from kg.vocab import Concept, Vocabulary

_LIST = r"\d{1,3}(?:\s*\(\d{1,2}\))?(?:\s*(?:,|and|to|through|-|–)\s*\d{1,3}(?:\s*\(\d{1,2}\))?)*"
_PRINCIPLES = re.compile(rf"\b(?P<guiding>Guiding\s+)?[Pp]rinciples?\s+(?P<list>{_LIST})\b(?!\s*/)")
_NOT_UNGP = re.compile(r"\s+of\s+the\s+(?!(?:UN\s+|United\s+Nations\s+)?Guiding)")
_SYMBOL = re.compile(r"\b(?:A/HRC/RES/\d{1,2}/\d{1,3}|A/RES/\d{1,3}/\d{1,3}|E/CN\.4/RES/\d{4}/\d{1,3})\b")
_RESOLUTION = re.compile(r"\bresolution\s+(?P<number>\d{1,4}/\d{1,3})\b", re.I)
_ARTICLES = re.compile(rf"\b[Aa]rticles?\s+(?P<list>{_LIST})\s*,?\s+(?:of\s+)?(?:the\s+)?$")
_ITEM = re.compile(r"\d{1,3}(?:\s*\(\d{1,2}\))?")


def _numbers(text: str) -> list[str]:
    """The numbers of a list such as "7 and 10", "25 to 31" or "9 (1), 14", ranges expanded."""
    items: list[str] = []
    pos = 0
    for m in _ITEM.finditer(text):
        value = re.sub(r"\s+", "", m.group(0))
        between = text[pos : m.start()]
        if (
            items
            and re.search(r"\b(?:to|through)\b|[-–]", between)
            and items[-1].isdigit()
            and value.isdigit()
        ):
            first, last = int(items[-1]), int(value)
            if first < last <= first + 50:
                items.extend(str(n) for n in range(first + 1, last + 1))
                pos = m.end()
                continue
        items.append(value)
        pos = m.end()
    return items


def extract(letter: Letter, vocab: Vocabulary, *, skip: Span | None = None) -> list[NormCitation]:
    """Every norm cited outside ``skip`` (the opening sentence, whose resolutions found the mandates)."""
    found: list[tuple[int, NormCitation]] = []
    found += _guiding_principles(letter, vocab)
    found += _resolutions(letter, vocab, skip)
    found += _instruments(letter, vocab)
    found.sort(key=lambda pair: pair[0])
    seen: set[tuple[str, str]] = set()
    kept = []
    for _, norm in found:
        if (norm.kind, norm.id) not in seen:
            seen.add((norm.kind, norm.id))
            kept.append(norm)
    return kept


def _guiding_principles(letter: Letter, vocab: Vocabulary) -> list[tuple[int, NormCitation]]:
    view = letter.view
    ungp_context = bool(re.search(r"\bGuiding\s+Principles\b", view))
    by_number = {c.value("principleNumber"): c for c in concepts.of_class(vocab, "GuidingPrinciple")}
    found = []
    for m in _PRINCIPLES.finditer(view):
        if not (m.group("guiding") or ungp_context) or _NOT_UNGP.match(view, m.end()):
            continue
        listed = m.group("list")
        if cut_short(view, m.end()):
            listed = listed[: list(_ITEM.finditer(listed))[-1].start()]
        for number in _numbers(listed):
            if not number.isdigit() or not 1 <= int(number) <= 31:
                continue
            concept = by_number.get(number)
            norm = NormCitation(
                kind="guiding_principle",
                id=number,
                label=f"Guiding Principle {number}",
                iri=concept.iri if concept else None,
                evidence=letter.sentence_evidence(m.start(), m.end()),
            )
            found.append((m.start(), norm))
    return found


def _resolutions(letter: Letter, vocab: Vocabulary, skip: Span | None) -> list[tuple[int, NormCitation]]:
    view = letter.view
    by_symbol: dict[str, Concept] = {}
    for concept in concepts.of_class(vocab, "Resolution"):
        for written in concept.values.get("documentSymbol", ()):
            by_symbol[written] = concept
    found = []
    for m in _SYMBOL.finditer(view):
        if cut_short(view, m.end()):
            continue
        known = by_symbol.get(m.group(0))
        norm = NormCitation(
            kind="resolution",
            id=m.group(0),
            label=m.group(0),
            iri=known.iri if known else None,
            evidence=letter.sentence_evidence(m.start(), m.end()),
        )
        found.append((m.start(), norm))
    for m in _RESOLUTION.finditer(view):
        if (skip is not None and skip.start <= m.start() < skip.end) or cut_short(view, m.end()):
            continue
        resolution = vocab.resolution(m.group("number"))
        symbol = resolution.value("documentSymbol") if resolution else None
        if resolution is None or symbol is None:
            continue
        norm = NormCitation(
            kind="resolution",
            id=symbol,
            label=resolution.pref_label,
            iri=resolution.iri,
            evidence=letter.sentence_evidence(m.start(), m.end()),
        )
        found.append((m.start(), norm))
    return found


def _instrument_matches(letter: Letter, vocab: Vocabulary) -> list[tuple[int, int, Concept]]:
    """Instruments named by a label, or by an abbreviation the vocabulary records (case-sensitive)."""
    view = letter.view
    found = [(m.start, m.end, m.concept) for m in concepts.find(vocab, view, "Instrument")]
    abbreviations = {
        abbr: c
        for c in concepts.of_class(vocab, "Instrument")
        for abbr in c.values.get("abbreviation", ())
        if abbr
    }
    if abbreviations:
        pattern = re.compile(
            r"(?<![\w-])(?:"
            + "|".join(re.escape(a) for a in sorted(abbreviations, key=len, reverse=True))
            + r")(?![\w-])"
        )
        for m in pattern.finditer(view):
            if not any(s <= m.start() < e for s, e, _ in found):
                found.append((m.start(), m.end(), abbreviations[m.group(0)]))
    return sorted(found, key=lambda item: item[0])


def _instruments(letter: Letter, vocab: Vocabulary) -> list[tuple[int, NormCitation]]:
    view = letter.view
    found = []
    for start, end, concept in _instrument_matches(letter, vocab):
        key = concepts.notation(concept)
        evidence = letter.sentence_evidence(start, end)
        found.append(
            (
                start,
                NormCitation(
                    kind="instrument", id=key, label=concept.pref_label, iri=concept.iri, evidence=evidence
                ),
            )
        )
        sentence = letter.sentence_at(start)
        before = view[sentence.start if sentence else max(0, start - 120) : start]
        articles = _ARTICLES.search(before)
        if articles is None:
            continue
        short = concept.value("abbreviation") or key
        at = start - len(before) + articles.start()
        for number in _numbers(articles.group("list")):
            norm = NormCitation(
                kind="article", id=f"{key}#{number}", label=f"Article {number} of {short}", evidence=evidence
            )
            found.append((at, norm))
    return found
