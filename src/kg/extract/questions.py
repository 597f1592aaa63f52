"""The numbered questions the letter asks its recipient to answer.

The list starts after the sentence that announces it ("... your observations on the
following matters:") and runs item by item, in sequence (1, 2, 3 ...), across page breaks
and blank lines, until a paragraph that is neither the next item nor the continuation of
the current one ("This communication and any response ...").
"""

from __future__ import annotations

import re
from functools import cache

from kg.extract import concepts
from kg.extract.layout import Letter, Span, collapse
from kg.record import ConceptRef, Question
from kg.vocab import Vocabulary

_INTRO = re.compile(
    r"\bfollowing\s+(?:matters|questions|points|issues|information|observations)\b[^:.]{0,60}:"
    r"|\b(?:answer|respond\s+to|reply\s+to)\s+the\s+following\b[^:.]{0,60}:",
    re.I,
)
# Sentences that open the closing part of a letter when a flattened text has no paragraph breaks.
_CLOSING_START = re.compile(
    r"\b(?:This\s+communication\s+and\s+any\s+response|We\s+would\s+appreciate\s+receiving\s+a\s+response|"
    r"Please\s+accept|While\s+awaiting|Pending\s+a\s+response|We\s+may\s+publicly\s+express|"
    r"Please\s+note\s+that\s+(?:letters|a\s+(?:copy|letter)))"
)


@cache
def _item(number: int) -> re.Pattern[str]:
    """Item ``number`` at a line start or after a sentence: "3. Please", "(3) Please", "3) Please"."""
    return re.compile(
        rf"(?:(?<=\n)|(?<=^)|(?<=[.?!:;”\"’)]\s)|(?<=[.?!:;”\"’)]\s\s))[ \t]*\(?{number}[.)][ \t]+(?=\S)",
        re.M,
    )


def extract(
    letter: Letter, vocab: Vocabulary, *, stop: int | None = None
) -> tuple[list[Question], Span | None]:
    """The questions and the span of the list (so allegations can stop before it)."""
    view = letter.view
    limit = len(view) if stop is None else stop
    intro = _INTRO.search(view, 0, limit)
    if intro is None:
        return [], None
    starts: list[tuple[int, int]] = []
    pos = intro.end()
    number = 1
    while True:
        m = _item(number).search(view, pos, limit)
        if m is None or (starts and not _reaches(letter, starts[-1][1], m.start())):
            break
        if not starts and view[intro.end() : m.start()].strip():
            break
        starts.append((m.start(), m.end()))
        pos, number = m.end(), number + 1
    if not starts:
        return [], Span(intro.start(), intro.end())
    questions = []
    for k, (item_start, text_start) in enumerate(starts):
        end = starts[k + 1][0] if k + 1 < len(starts) else _list_end(letter, text_start, limit)
        span = letter.trim(text_start, end)
        text = collapse(view[span.start : span.end])
        topics = [
            ConceptRef(label=m.concept.pref_label, iri=m.concept.iri)
            for m in concepts.unique(
                concepts.find(vocab, view, "QuestionTopic", start=span.start, end=span.end)
            )
        ]
        questions.append(
            Question(number=k + 1, text=text, topics=topics, evidence=letter.evidence(item_start, span.end))
        )
    return questions, Span(intro.start(), _list_end(letter, starts[-1][1], limit))


def _reaches(letter: Letter, after: int, next_start: int) -> bool:
    """The next item follows without an intervening non-item paragraph."""
    end = _list_end(letter, after, next_start)
    return not letter.view[end:next_start].strip()


def _list_end(letter: Letter, text_start: int, limit: int) -> int:
    """Where the item starting at ``text_start`` ends: its paragraph, continued across page breaks."""
    para = letter.paragraph_at(text_start)
    end = para.end if para is not None else limit
    closing = _CLOSING_START.search(letter.view, text_start, min(end, limit))
    if closing is not None:
        end = closing.start()
    return min(end, limit)
