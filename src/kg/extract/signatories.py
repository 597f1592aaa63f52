"""The signature block: who signed, in which post, for which mandate.

The block follows the closing formula ("Please accept ... consideration.") and pairs a name
line with a title line ("Special Rapporteur on ..."). A letter whose text stops before the
closing formula has no block: that is reported, since it usually means the text is cut.
"""

from __future__ import annotations

import re

from kg.extract import concepts
from kg.extract.layout import Letter, Span, collapse
from kg.record import Signatory
from kg.vocab import Vocabulary

CLOSING = re.compile(
    r"\b(?:Please\s+accept\b[\s\S]{0,300}?\bconsideration\b[^.\n]{0,40}\.?|Yours\s+(?:sincerely|faithfully|truly)\b,?|"
    r"(?:Sincerely|Respectfully)(?:\s+yours)?\s*,)",
    re.I,
)
_TITLE_TEXT = (
    r"(?:(?:UN|United\s+Nations)\s+)?(?P<title>Chair[-‐–]Rapporteur|Vice[-‐–]Chair(?:[-‐–]Rapporteur|(?![-‐–]))|"
    r"Chairperson|Chair(?![-‐–])|Special\s+Rapporteur|Independent\s+Expert|Special\s+Representative|Rapporteur|Member)\b"
)
# At the start of a line; anywhere (not inside "Chair-Rapporteur") when line breaks were lost.
_TITLE = re.compile(_TITLE_TEXT)
_TITLE_ANYWHERE = re.compile(r"(?<![\w‐–-])" + _TITLE_TEXT)
_ANNEX = re.compile(r"\s*Annex(?:e|es)?\b", re.I)
_ANNEX_WORD = re.compile(r"\bAnnex(?:e|es)?\b")
# Lower-case words that belong inside a person's name ("Fernand de Varennes").
_PARTICLE = re.compile(r"(?:de|del|della|der|van|von|da|das|dos|du|la|le|bin|ibn|al|el|y)$")


def extract(letter: Letter, vocab: Vocabulary) -> list[Signatory]:
    closings = list(CLOSING.finditer(letter.view))
    if not closings:
        letter.warn("no signature block found (the text may be truncated)")
        return []
    closing = closings[-1]
    region = Span(closing.end(), annex_start(letter, closing.end()))
    lines = [line for line in letter.lines if region.start <= line.start < region.end]
    signatories = _from_lines(letter, vocab, lines)
    if not signatories:
        annex = _ANNEX_WORD.search(letter.view, region.start, region.end)
        signatories = _from_flat(letter, vocab, Span(region.start, annex.start() if annex else region.end))
    if not signatories:
        letter.warn("no signature block found after the closing formula (the text may be truncated)")
    return signatories


def annex_start(letter: Letter, start: int) -> int:
    """Where an annex heading starts after ``start``: the annex cites norms, not facts or signatures."""
    for line in letter.lines:
        if (
            line.start >= start
            and line.end - line.start <= 60
            and _ANNEX.match(letter.view, line.start, line.end)
        ):
            return line.start
    return len(letter.view)


def _is_name(text: str) -> bool:
    words = text.split()
    if not 1 <= len(words) <= 6 or len(text) > 60 or _TITLE.match(text):
        return False
    if any(ch.isdigit() for ch in text) or text[-1] in ".:;,":
        return False
    return words[0][0].isupper() and all(w[0].isupper() or _PARTICLE.match(w) for w in words)


def _is_title(letter: Letter, line: Span) -> bool:
    return bool(_TITLE.match(letter.view, line.start, line.end))


def _from_lines(letter: Letter, vocab: Vocabulary, lines: list[Span]) -> list[Signatory]:
    view = letter.view
    found: list[Signatory] = []
    i = 0
    while i + 1 < len(lines):
        name_line, title_line = lines[i], lines[i + 1]
        if not (_is_name(view[name_line.start : name_line.end]) and _is_title(letter, title_line)):
            i += 1
            continue
        j = i + 1
        while (
            j + 1 < len(lines)
            and not _starts_entry(letter, lines, j + 1)
            and not _blank_between(view, lines[j], lines[j + 1])
        ):
            j += 1
        found.append(_signatory(letter, vocab, name_line, Span(title_line.start, lines[j].end)))
        i = j + 1
    return found


def _from_flat(letter: Letter, vocab: Vocabulary, region: Span) -> list[Signatory]:
    """A block whose line breaks were lost: each title starts an entry, the words before it are the name."""
    view = letter.view
    found: list[Signatory] = []
    pos = region.start
    for title in _TITLE_ANYWHERE.finditer(view, region.start, region.end):
        if title.start() < pos:
            continue
        name = letter.trim(pos, title.start())
        if not _is_name(view[name.start : name.end]):
            continue
        matches = concepts.find(vocab, view, "Mandate", start=title.start(), end=region.end)
        mandate = matches[0] if matches and matches[0].start <= title.end() + 15 else None
        end = mandate.end if mandate else title.end()
        found.append(_signatory(letter, vocab, name, Span(title.start(), end)))
        pos = end
    return found


def _starts_entry(letter: Letter, lines: list[Span], k: int) -> bool:
    view = letter.view
    return (
        k + 1 < len(lines)
        and _is_name(view[lines[k].start : lines[k].end])
        and _is_title(letter, lines[k + 1])
    )


def _blank_between(view: str, a: Span, b: Span) -> bool:
    return view.count("\n", a.end, b.start) >= 2


def _signatory(letter: Letter, vocab: Vocabulary, name: Span, title: Span) -> Signatory:
    view = letter.view
    title_match = _TITLE.match(view, title.start, title.end)
    post = re.sub(r"[‐–]", "-", collapse(title_match.group("title"))) if title_match else None
    matches = concepts.find(vocab, view, "Mandate", start=title.start, end=title.end)
    mandate = matches[0].concept if matches else None
    if mandate is None and title_match is not None and title.end - title_match.end() > 3:
        letter.warn(f"signatory's mandate not in the vocabulary: {collapse(view[title.start : title.end])!r}")
    return Signatory(
        name=collapse(view[name.start : name.end]),
        title=post,
        mandate=mandate.pref_label if mandate else None,
        mandate_iri=mandate.iri if mandate else None,
        evidence=letter.evidence(name.start, title.end),
    )
