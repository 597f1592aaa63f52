"""The letter's layout: a same-length "view" of the text with markup and page furniture blanked.

Letters arrive as PDF text layers, markdown conversions or flattened single lines. Rather
than cleaning the text (which would shift every offset), every markup character and every
page header is replaced by a space in a copy of exactly the same length. Extractors search
the view and report offsets that are valid in the original text, so evidence stays exact.
"""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property

from kg.record import Evidence

# Sentence-final punctuation, optionally followed by closing quotes or brackets.
TERMINAL = '.:;?!"”’)'

_HTML_NOTE = re.compile(r"<(sup|sub)>[^<]{0,12}</\1>", re.IGNORECASE)
_HTML_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]{0,10}(?:\s[^<>\n]{0,80})?/?>")
_BOLD = re.compile(r"\*\*|__")
_HEADING = re.compile(r"(?m)^[ \t]*#{1,6}[ \t]+")
_RULE = re.compile(r"(?m)^[ \t]*(?:-{3,}|\*{3,}|_{3,}|={3,})[ \t]*$")
_BULLET = re.compile(r"(?m)^[ \t]*[-*+•][ \t]+")
_LINK = re.compile(r"\[([^\]\n]{1,200})\]\(([^)\s]{0,400})\)")
_ESCAPE = re.compile(r"\\+(?=[_*\[\]()#.\-`])")
# A footnote number left bare after a sentence ("received. 1 Our concern", "extremism.1 Such").
_BARE_NOTE = re.compile(r"(?:(?<=[A-Za-z)\]][.!?])|(?<=[.!?][”\"’)]))(\s*)(\d{1,2})(?=\s+[“\"(]?[A-Z])")
_PAGE_NUMBER = re.compile(r"^\s*(?:-\s*)?(?:page\s+)?\d{1,3}(?:\s*(?:/|of)\s*\d{1,3})?(?:\s*-)?\s*$", re.I)
# A line ending in an abbreviation ("... S.A.", "... Inc.") has not ended a sentence.
_ABBREVIATED_END = re.compile(r"\b(?:[A-Z]\.){2,}$|\b[A-Z][a-z]{0,3}\.$")
# Fewer characters than a page holds: running headers recur at least this far apart.
_PAGE_CHARS = 1500
_BLANK_SPLIT = re.compile(r"\n[ \t\r\f\v]*\n\s*")
_SPACE = re.compile(r"\s+")


def _blank(chars: list[str], start: int, end: int) -> None:
    """Replace characters by spaces, keeping line breaks so line structure survives."""
    for i in range(start, end):
        if chars[i] not in "\n\r":
            chars[i] = " "


def collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def cut_short(text: str, end: int) -> bool:
    """Whether a match ending at ``end`` may be the start of something longer the text lost.

    A text that stops on a letter or digit may have been cut mid-word: "resolution 44/1" may
    be what is left of 44/15, "Ecuador" of "Ecuadorian". One that stops on spaces, with no
    line break after the match, may have been cut mid-line: "Li-Ning Company " of "Li-Ning
    Company Limited". What such a match says is unknown, so finders drop it rather than
    record a fact the whole letter does not state.
    """
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    rest = text[end:]
    if rest.strip(" \t"):
        return False
    return bool(rest) or text[-1:].isalnum()


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass
class Letter:
    """The text, its masked view and the units (lines, paragraphs, sentences) extractors share.

    ``view`` has markup and page furniture blanked; ``marked`` has only markup blanked, so a
    page header's words can still be read there.
    """

    text: str
    view: str = ""
    marked: str = ""
    furniture: list[Span] = field(default_factory=list)
    footnotes: list[Span] = field(default_factory=list)
    sentences: list[Span] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    # -- units ----------------------------------------------------------------------------

    @cached_property
    def lines(self) -> list[Span]:
        """Non-blank lines of the view, trimmed."""
        spans = []
        for m in re.finditer(r"[^\n]+", self.view):
            span = self.trim(m.start(), m.end())
            if span.end > span.start:
                spans.append(span)
        return spans

    @cached_property
    def paragraphs(self) -> list[Span]:
        """Blocks between blank lines, with a block cut by a page break joined to its start."""
        blocks: list[Span] = []
        pos = 0
        for m in _BLANK_SPLIT.finditer(self.view):
            blocks.append(self.trim(pos, m.start()))
            pos = m.end()
        blocks.append(self.trim(pos, len(self.view)))
        blocks = [b for b in blocks if b.end > b.start]
        merged: list[Span] = []
        for block in blocks:
            if merged and self._continues(merged[-1], block):
                merged[-1] = Span(merged[-1].start, block.end)
            else:
                merged.append(block)
        return merged

    def _continues(self, before: Span, after: Span) -> bool:
        """A page break cut a sentence: the first block lacks end punctuation, the next starts lowercase."""
        last = self.view[before.end - 1]
        first = self.view[after.start]
        return last not in TERMINAL and first.islower()

    def trim(self, start: int, end: int) -> Span:
        while start < end and self.view[start].isspace():
            start += 1
        while end > start and self.view[end - 1].isspace():
            end -= 1
        return Span(start, end)

    def paragraph_at(self, pos: int) -> Span | None:
        for para in self.paragraphs:
            if para.start <= pos < para.end:
                return para
        return None

    def line_at(self, pos: int) -> Span | None:
        for line in self.lines:
            if line.start <= pos < line.end:
                return line
        return None

    def sentence_at(self, pos: int) -> Span | None:
        for sentence in self.sentences:
            if sentence.start <= pos < sentence.end:
                return sentence
        return None

    def sentence_evidence(self, start: int, end: int) -> Evidence:
        """Evidence of a fact stated in running text: the whole sentence around the match."""
        sentence = self.sentence_at(start)
        if sentence is None:
            return self.evidence(start, end)
        return self.evidence(sentence.start, max(sentence.end, end))

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def in_footnote(self, pos: int) -> bool:
        return any(f.start <= pos < f.end for f in self.footnotes)

    # -- evidence -------------------------------------------------------------------------

    def quote(self, start: int, end: int) -> str:
        return collapse(self.view[start:end])

    def evidence(self, start: int, end: int) -> Evidence:
        span = self.trim(start, end)
        return Evidence(start=span.start, end=span.end, quote=self.quote(span.start, span.end))

    def marked_evidence(self, span: Span) -> Evidence:
        """Evidence of a page header: its words are blanked in the view but kept in ``marked``."""
        return Evidence(start=span.start, end=span.end, quote=collapse(self.marked[span.start : span.end]))

    def line_evidence(self, start: int, end: int, *, limit: int = 160) -> Evidence:
        """Evidence of a header fact: its line when the line is short, else the match itself."""
        line = self.line_at(start)
        if line is not None and line.end >= end and line.end - line.start <= limit:
            return self.evidence(line.start, line.end)
        return self.evidence(start, end)


def build_letter(text: str) -> Letter:
    """Blank markup, footnote markers and page furniture in a same-length view of ``text``."""
    chars = list(text)
    for pattern in (_HTML_NOTE, _HTML_TAG, _BOLD, _HEADING, _RULE, _BULLET, _ESCAPE):
        for m in pattern.finditer(text):
            _blank(chars, m.start(), m.end())
    for m in _LINK.finditer(text):
        _blank(chars, m.start(), m.start() + 1)
        _blank(chars, m.start(1) + len(m.group(1)), m.end())
    footnotes = _footnote_blocks(text)
    view = "".join(chars)
    for m in _BARE_NOTE.finditer(view):
        _blank(chars, m.start(2), m.end(2))
    marked = "".join(chars)
    furniture = _furniture_lines(marked)
    for span in furniture:
        _blank(chars, span.start, span.end)
    return Letter(text=text, view="".join(chars), marked=marked, furniture=furniture, footnotes=footnotes)


def _footnote_blocks(text: str) -> list[Span]:
    """Footnote bodies: blocks that open with a footnote marker, which hold citations rather than facts."""
    spans = []
    for m in re.finditer(
        r"(?m)^[ \t]*(?:<sup>\s*\d{1,3}\s*</sup>|\d{1,3}(?=[ \t]+[A-Z]))[^\n]*(?:\n(?![ \t]*\n)[^\n]*)*", text
    ):
        preceded_by_rule = bool(
            re.search(r"(?:-{3,}|\*{3,}|_{3,})\s*$", text[max(0, m.start() - 12) : m.start()])
        )
        if m.group(0).lstrip().startswith("<sup>") or preceded_by_rule:
            spans.append(Span(m.start(), m.end()))
    return spans


def _furniture_lines(view: str) -> list[Span]:
    """Page headers and page numbers, which a PDF's text layer puts in the middle of sentences.

    A line is furniture when it is a page number, when it stands alone between blank lines
    and cuts a sentence in two (the text before it lacks end punctuation and the text after
    it starts in lower case), or when the same short line recurs below the letterhead (a
    running header). The first tenth of the text is the letterhead: an address block there
    is kept even if a running header repeats it; lines repeated close together (two
    signatories with the same title) are content, not headers.
    """
    lines = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", view) if m.group(0).strip()]
    where: dict[str, list[int]] = defaultdict(list)
    for a, b in lines:
        where[collapse(view[a:b])].append(a)
    letterhead = len(view) // 10
    found: list[Span] = []
    for k, (a, b) in enumerate(lines):
        raw = view[a:b]
        stripped = raw.strip()
        span = Span(a + raw.index(stripped), a + raw.index(stripped) + len(stripped))
        if _PAGE_NUMBER.match(stripped):
            found.append(span)
            continue
        ends = stripped[-1] in TERMINAL and not _ABBREVIATED_END.search(stripped)
        if len(stripped) > 80 or ends or k == 0 or k + 1 == len(lines):
            continue
        before = view[lines[k - 1][0] : lines[k - 1][1]].rstrip()
        after = view[lines[k + 1][0] : lines[k + 1][1]].lstrip()
        alone = view.count("\n", lines[k - 1][1], a) >= 2 and view.count("\n", b, lines[k + 1][0]) >= 2
        cuts = before[-1:] not in tuple(TERMINAL) and after[:1].islower()
        running = a > letterhead and _a_page_apart(where[collapse(stripped)])
        if (alone and cuts) or running:
            found.append(span)
    return found


def _a_page_apart(positions: list[int]) -> bool:
    return len(positions) >= 2 and min(b - a for a, b in itertools.pairwise(positions)) >= _PAGE_CHARS
