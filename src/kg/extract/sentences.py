"""Sentence splitting on the letter's view, because every fact's evidence is the sentence stating it.

Splitting runs inside paragraphs, so a page header or a blank line never glues two
sentences, and a flattened letter (one line) still splits at its punctuation and at the
letterhead landmarks (reference, date, salutation) that carry no full stop.
"""

from __future__ import annotations

import re
from bisect import bisect_right

from kg.extract.layout import Letter, Span

# Words after which a full stop does not end a sentence.
_ABBREVIATIONS = re.compile(
    r"(?:mr|mrs|ms|dr|prof|st|no|nos|para|paras|art|arts|e\.g|i\.e|etc|vs|cf|jr|sr|inc|ltd|co|corp|"
    r"l\.p|s\.a|u\.s|u\.k|p|pp|vol|op|fig|ch|sec|rev|h\.e|[a-z])$"
)
_END = re.compile(r"[.!?][\"”’)\]]*(?=\s)|\n(?=[ \t]*\d{1,2}[.)]\s)")
_START = re.compile(r"\s*[\"“‘(\[]?[A-Z0-9]")
# Landmarks of a letterhead that end the unit before them even without punctuation.
_LANDMARK = re.compile(
    r"\bMandates?\s+of\s+the\b|\bREF(?:ERENCE)?\s*[:.]|\bDear\s+(?=[A-Z])|(?<![’'])\b(?:Your\s+)?Excellency\s*,",
)
_SALUTATION_END = re.compile(r"\b(?:Dear\s+[^,\n]{0,80}|(?:Your\s+)?Excellency)\s*,")
_OPENING_VERB = re.compile(r"\b(?:We|I)\s+(?:have|are|am|write|would|wish)\b")


def _is_abbreviation(view: str, dot: int) -> bool:
    word = re.search(r"([A-Za-z.]+)$", view[max(0, dot - 12) : dot])
    if word is None:
        return False
    token = word.group(1).lower().strip(".")
    return bool(_ABBREVIATIONS.match(token))


def header_boundaries(letter: Letter, limit: int) -> list[int]:
    """Offsets before ``limit`` where a letterhead unit starts: landmarks and the text after a salutation."""
    view = letter.view
    points = [m.start() for m in _LANDMARK.finditer(view, 0, limit)]
    for m in _SALUTATION_END.finditer(view, 0, limit):
        points.append(m.end())
        after = _OPENING_VERB.search(view, m.end(), min(len(view), m.end() + 40))
        if after:
            points.append(after.start())
    return sorted(set(points))


def split(letter: Letter, *, boundaries: list[int] | None = None) -> list[Span]:
    """Sentences of every paragraph, trimmed, in text order."""
    view = letter.view
    cuts = sorted(boundaries or [])
    sentences: list[Span] = []
    for para in letter.paragraphs:
        start = para.start
        inner = [c for c in cuts[bisect_right(cuts, para.start) :] if c < para.end]
        ends = [m.end() for m in _END.finditer(view, para.start, para.end) if _ends_sentence(view, m)]
        for cut in sorted(set(ends + inner)):
            span = letter.trim(start, cut)
            if span.end > span.start:
                sentences.append(span)
            start = cut
        span = letter.trim(start, para.end)
        if span.end > span.start:
            sentences.append(span)
    return sentences


def _ends_sentence(view: str, m: re.Match[str]) -> bool:
    if m.group(0) == "\n":
        return True
    if m.group(0)[0] == "." and _is_abbreviation(view, m.start()):
        return False
    return bool(_START.match(view, m.end()))
