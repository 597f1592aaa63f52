"""Signs that the text is damaged or cut: a sentence left open at the end, words missing.

These never stop extraction; they become warnings so that a person checks the record
against the letter before trusting the fields that were left empty.
"""

from __future__ import annotations

import re

from kg.extract.layout import Letter

_END_PUNCTUATION = '.!?"”’)]'
_NAMELESS = re.compile(r"\b(?P<word>Mr|Mrs|Ms|Dr|Prof)\.?[ \t]+(?=[,.;:)])")
_DANGLING = re.compile(r"\b(?P<word>on|of|the|to|by|for|with|from|a|an)[ \t]+(?=[,;])", re.I)


def where(letter: Letter, pos: int) -> str:
    """A position as a person finds it in an editor: line and column."""
    line = letter.text.count("\n", 0, pos) + 1
    column = pos - (letter.text.rfind("\n", 0, pos) + 1) + 1
    return f"line {line}, column {column}"


def _context(letter: Letter, start: int, end: int) -> str:
    before = letter.view[max(0, start - 25) : end + 1]
    return re.sub(r"\s+", " ", before).strip()


def check(letter: Letter, *, signature_end: int | None) -> None:
    for m in _NAMELESS.finditer(letter.view):
        letter.warn(
            f"the text names '{m.group('word')}.' with no name at {where(letter, m.start())} "
            f"({_context(letter, m.start(), m.end())!r}): a word seems to be missing"
        )
    for m in _DANGLING.finditer(letter.view):
        letter.warn(
            f"words seem to be missing after {m.group('word')!r} at {where(letter, m.start())} "
            f"({_context(letter, m.start(), m.end())!r})"
        )
    body = letter.view.rstrip()
    if body and body[-1] not in _END_PUNCTUATION and (signature_end is None or signature_end < len(body)):
        letter.warn("text ends mid-sentence: letter appears truncated")
