"""The sending mandates and the resolutions the letter cites for them.

The opening sentence ("in our capacities as A; B and C, pursuant to Human Rights Council
resolutions x, y and z") lists mandates and resolutions in the same order, so it is the
source of truth; the letterhead's "Mandates of the ..." list, which may use another order,
is the fall-back. The vocabulary confirms or corrects the pairing where it records which
resolution renewed which mandate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kg.extract import concepts
from kg.extract.layout import Letter, Span, collapse, cut_short
from kg.record import Evidence, MandateRef
from kg.vocab import LabelMatch, Vocabulary

_CAPACITY = re.compile(
    r"\b(?:We|I)\b[^.]{0,160}?\bin\s+(?:my|our|his|her|their)\s+capacit(?:y|ies)\s+as\b\s*(?:the\s+)?", re.I
)
_PURSUANT = re.compile(r"\bpursuant\s+to\b")
_NUMBER = r"\d{1,4}/\d{1,4}"
_RESOLUTIONS = re.compile(
    rf"\bresolutions?\s+(?P<list>{_NUMBER}(?:\s*(?:,|;|&|\band\b)\s*(?:and\s+)?{_NUMBER})*)", re.I
)
_HEADER = re.compile(r"\bMandates?\s+of\s+(?:the\s+)?")
_HEADER_END = re.compile(r"\n|\bREF(?:ERENCE)?\s*[:.]")
_TITLE_WORDS = re.compile(
    r"\b(?:Special\s+Rapporteur|Working\s+Group|Independent\s+Expert|Special\s+Representative|Rapporteur|Expert)\b",
    re.I,
)


@dataclass
class Mandates:
    mandates: list[MandateRef] = field(default_factory=list)
    resolutions: list[str] = field(default_factory=list)
    opening: Span | None = None
    header: Span | None = None
    # What the opening sentence says after its resolutions ("..., and in connection with my visit to ...").
    tail: Span | None = None


def extract(letter: Letter, vocab: Vocabulary, *, body_start: int) -> Mandates:
    result = Mandates()
    header = _header(letter, vocab)
    result.header = header[0] if header else None
    capacity = _CAPACITY.search(letter.view, body_start if body_start < len(letter.view) else 0)
    if capacity is None:
        capacity = _CAPACITY.search(letter.view)
    if capacity is None:
        if header is None:
            return result
        letter.warn(
            "no opening sentence naming the mandates ('in our capacity as ...'); "
            "mandates taken from the letterhead"
        )
        span, matches = header
        result.mandates = [_ref(m, letter.evidence(span.start, span.end)) for m in matches]
        return result
    sentence = letter.sentence_at(capacity.start()) or letter.trim(capacity.start(), len(letter.view))
    pursuant = _PURSUANT.search(letter.view, capacity.end(), sentence.end)
    list_end = pursuant.start() if pursuant else sentence.end
    resolutions_match = _RESOLUTIONS.search(letter.view, pursuant.end(), sentence.end) if pursuant else None
    end = max(sentence.end, resolutions_match.end()) if resolutions_match else sentence.end
    result.opening = Span(sentence.start, end)
    if resolutions_match is not None:
        start = resolutions_match.end()
        while start < end and letter.view[start] in " \t\n,;":
            start += 1
        tail = letter.trim(start, end)
        if len(letter.view[tail.start : tail.end].split()) >= 4:
            result.tail = tail
    evidence = letter.evidence(sentence.start, end)
    matches = concepts.unique(
        concepts.find(vocab, letter.view, "Mandate", start=capacity.end(), end=list_end)
    )
    unmatched = _unmatched(letter.view, capacity.end(), list_end, matches)
    for _, text in unmatched:
        letter.warn(f"mandate named but not in the vocabulary: {text!r}")
    placed = [(m.start, _ref(m, evidence)) for m in matches]
    if unmatched and header is not None:
        placed = _complete_from_header(letter, placed, unmatched, header[1], evidence)
    refs = [ref for _, ref in sorted(placed, key=lambda pair: pair[0])]
    if resolutions_match is None and header is not None and len(header[1]) > len(refs):
        letter.warn("the opening sentence is incomplete; mandates taken from the letterhead list")
        span, header_matches = header
        refs = [_ref(m, letter.evidence(span.start, span.end)) for m in header_matches]
    result.resolutions = re.findall(_NUMBER, resolutions_match.group("list")) if resolutions_match else []
    if resolutions_match is not None and cut_short(letter.view, resolutions_match.end()):
        result.resolutions.pop()
    if not result.resolutions:
        letter.warn("no resolutions found after the mandates ('pursuant to ... resolutions ...')")
    result.mandates = refs
    _pair(letter, vocab, refs, result.resolutions)
    return result


def _header(letter: Letter, vocab: Vocabulary) -> tuple[Span, list[LabelMatch]] | None:
    m = _HEADER.search(letter.view)
    if m is None:
        return None
    stop = _HEADER_END.search(letter.view, m.end())
    end = stop.start() if stop else len(letter.view)
    matches = concepts.unique(concepts.find(vocab, letter.view, "Mandate", start=m.start(), end=end))
    if not matches:
        return None
    return letter.trim(m.start(), end), matches


def _unmatched(view: str, start: int, end: int, matches: list[LabelMatch]) -> list[tuple[int, str]]:
    """Stretches of the mandate list that no vocabulary label covers but that name a post."""
    gaps: list[tuple[int, str]] = []
    pos = start
    for m in [*matches, None]:
        gap_end = m.start if m else end
        gap = view[pos:gap_end]
        title = _TITLE_WORDS.search(gap)
        text = collapse(_strip_filler(gap))
        if title and text:
            gaps.append((pos + title.start(), text))
        pos = m.end if m else end
    return gaps


def _strip_filler(gap: str) -> str:
    gap = re.sub(r"^(?:\s|[;,]|\band\b|\bthe\b|\bas\b|\bUnited\s+Nations\b|\bUN\b)+", "", gap, flags=re.I)
    return re.sub(r"(?:\s|[;,]|\band\b|\bthe\b)+$", "", gap, flags=re.I)


def _complete_from_header(
    letter: Letter,
    placed: list[tuple[int, MandateRef]],
    unmatched: list[tuple[int, str]],
    header: list[LabelMatch],
    evidence: Evidence,
) -> list[tuple[int, MandateRef]]:
    """Identify mandates the sentence words differently through the letterhead list.

    Only when the letterhead holds exactly as many mandates missing from the sentence as the
    sentence has unrecognised names is each one put in its slot, in sentence order.
    """
    found = {ref.iri for _, ref in placed}
    missing = [m for m in header if m.concept.iri not in found]
    if len(missing) != len(unmatched):
        return placed
    placed = list(placed)
    for (position, text), header_match in zip(unmatched, missing, strict=True):
        concept = header_match.concept
        placed.append(
            (position, MandateRef(name=concept.pref_label, iri=concept.iri, text=text, evidence=evidence))
        )
        letter.warn(f"mandate {text!r} identified as {concept.pref_label!r} from the letterhead list")
    return placed


def _ref(match: LabelMatch, evidence: Evidence) -> MandateRef:
    return MandateRef(
        name=match.concept.pref_label, iri=match.concept.iri, text=collapse(match.matched), evidence=evidence
    )


def _confirms(vocab: Vocabulary, mandate_iri: str, number: str) -> bool | None:
    """Whether the vocabulary records the resolution for the mandate; None when it records nothing."""
    resolution = vocab.resolution(number)
    if resolution is None:
        return None
    citing = [
        m.iri
        for m in concepts.of_class(vocab, "Mandate")
        if resolution.iri in m.links.get("renewedBy", ())
        or resolution.iri in m.links.get("establishedBy", ())
    ]
    if not citing:
        return None
    return mandate_iri in citing


def _pair(letter: Letter, vocab: Vocabulary, refs: list[MandateRef], resolutions: list[str]) -> None:
    """Pair each mandate with its resolution: vocabulary-confirmed pairs first, then letter order."""
    if not refs or not resolutions:
        return
    table = [[_confirms(vocab, r.iri, n) for n in resolutions] for r in refs]
    paired: dict[int, int] = {}
    for i in range(len(refs)):
        confirmed = [j for j, ok in enumerate(table[i]) if ok]
        if len(confirmed) == 1 and confirmed[0] not in paired.values():
            paired[i] = confirmed[0]
    rest_m = [i for i in range(len(refs)) if i not in paired]
    rest_r = [j for j in range(len(resolutions)) if j not in paired.values()]
    if len(refs) == len(resolutions):
        for i, j in zip(rest_m, rest_r, strict=True):
            paired[i] = j
            if table[i][j] is False:
                letter.warn(
                    f"resolution {resolutions[j]} is not recorded for {refs[i].name!r} in the vocabulary"
                )
        if any(i != j for i, j in paired.items()):
            letter.warn("mandates and resolutions were paired by the vocabulary, not by the letter's order")
    else:
        letter.warn(
            f"resolution count ({len(resolutions)}) differs from mandate count ({len(refs)}); "
            "only pairs the vocabulary confirms were made"
        )
    for i, j in paired.items():
        refs[i].resolution = resolutions[j]
