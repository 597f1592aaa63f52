"""Other communications the text names: related cases and follow-up letters.

The letter's own reference is left out wherever it appears (cover notes repeat it). A
reference that lost its country code ("UA 10/2019") cannot be completed without guessing,
so it is reported in a warning and not recorded.
"""

from __future__ import annotations

import re
from typing import Literal

from kg.extract.layout import Letter
from kg.extract.reference import FoundReference, find_damaged, find_references
from kg.record import RelatedReference

_FOLLOW_UP = re.compile(r"\bfollow[-‐–\s]?up\b|\bseguimiento\b|\bsuivi\b", re.I)


def extract(letter: Letter, own: str | None) -> list[RelatedReference]:
    found: list[RelatedReference] = []
    seen = {own} if own else set()
    previous_end = 0
    for ref in find_references(letter):
        reference = ref.reference
        relation: Literal["related", "follow_up"] = (
            "follow_up" if _follow_up(letter, ref, previous_end) else "related"
        )
        previous_end = ref.end
        if reference in seen:
            continue
        seen.add(reference)
        evidence = letter.sentence_evidence(ref.start, ref.end)
        found.append(RelatedReference(reference=reference, relation=relation, evidence=evidence))
    for position, text in find_damaged(letter):
        line = letter.line_at(position)
        where = f"line {letter.text.count(chr(10), 0, position) + 1}" if line else f"offset {position}"
        letter.warn(
            f"reference {text!r} ({where}) has no country code; it was not recorded as a related reference"
        )
    return found


def _follow_up(letter: Letter, ref: FoundReference, previous_end: int) -> bool:
    """The words before the reference (back to the sentence start or the previous one) say "follow-up"."""
    sentence = letter.sentence_at(ref.start)
    start = max(previous_end, sentence.start if sentence else 0)
    return bool(_FOLLOW_UP.search(letter.view, start, ref.start))
