"""Who the letter is addressed to: the recipient actor and the person the salutation names.

A State recipient is read from the reference's country code, which is authoritative. A
letter to a non-State actor (OTH) names the company only in its own text: in a page
header, in the address block, or next to "your company". When none of these states it,
the name stays empty with a warning: a name is never guessed.
"""

from __future__ import annotations

import re

from kg.extract import concepts
from kg.extract.layout import Letter, Span, collapse, cut_short
from kg.extract.signatories import CLOSING
from kg.record import Actor, ActorKind, Evidence, Person, ReferenceParts
from kg.vocab import Vocabulary

_WORD = r"[A-Z0-9][\w&'’.-]*"
_LEGAL_FORM = (
    r"(?:Limited|Ltd\.?|Inc\.?|Incorporated|L\.P\.|LP|LLC|L\.L\.C\.|LLP|S\.A\.(?:\s+de\s+C\.V\.)?|SA|AG|GmbH|"
    r"plc|PLC|Corporation|Corp\.?|Group|Company|Co\.|N\.V\.|B\.V\.|S\.p\.A\.|SpA|Holdings?|SE|AB|ASA|K\.K\.|Pty)"
)
COMPANY_NAME = re.compile(
    rf"(?<![\w-])(?:{_WORD}\s+){{0,6}}{_WORD}\s+{_LEGAL_FORM}(?:\s+{_LEGAL_FORM})*(?![\w-])"
)
_COMPANY_LINE = re.compile(rf"^\s*(?:{_WORD}\s+){{0,6}}{_WORD}\s+{_LEGAL_FORM}(?:\s+{_LEGAL_FORM})*\s*$")
_YOUR = re.compile(
    r"\byour\s+(?P<noun>company|firm|business|enterprise|corporation|group|client|organi[sz]ation|agency|institution|bank|fund)\b",
    re.I,
)
_YOUR_NAMED = re.compile(
    rf"\byour\s+(?:company|firm|business|enterprise|corporation)\s*,\s*(?P<name>{COMPANY_NAME.pattern})"
)
_HONORIFIC = (
    r"Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Madam|Madame|Dame|Hon|Honourable|Ambassador|President|Minister"
)
_DEAR = re.compile(rf"\bDear\s+(?:(?P<hon>{_HONORIFIC})\b\.?)?[ \t]*(?P<name>[^,\n]{{0,60}}?)\s*,")
_EXCELLENCY = re.compile(r"(?<![’'])\b(?:Your\s+)?Excellency\s*,")
_NO_NAME_NEEDED = {"Sir", "Madam", "Madame"}


def company_name(matched: str, *, at_sentence_end: bool) -> str:
    """A company name as written; a full stop that ends the sentence is not part of "Ltd"."""
    name = collapse(matched)
    if at_sentence_end and name.endswith(".") and not re.search(r"\.\w+\.$", name):
        name = name[:-1]
    return name


def salutation(letter: Letter, *, before: int) -> tuple[Person, int] | None:
    """The person the salutation names, and where the salutation ends."""
    dear = _DEAR.search(letter.view, 0, before)
    excellency = _EXCELLENCY.search(letter.view, 0, before)
    if dear is not None and (excellency is None or dear.start() < excellency.start()):
        honorific = dear.group("hon")
        name = collapse(dear.group("name")) or None
        if name is not None and not name[0].isalpha():  # "Dear Sir/Madam,"
            name = None
        if honorific and honorific not in _NO_NAME_NEEDED and honorific[0].isupper() and len(honorific) <= 4:
            honorific += "."
        if honorific and name is None and honorific.rstrip(".") not in _NO_NAME_NEEDED:
            letter.warn(f"the salutation names '{honorific}' with no name (a word seems to be missing)")
        evidence = letter.line_evidence(dear.start(), dear.end(), limit=80)
        return Person(name=name, honorific=honorific, evidence=evidence), dear.end()
    if excellency is not None:
        evidence = letter.line_evidence(excellency.start(), excellency.end(), limit=80)
        return Person(name=None, honorific="Excellency", evidence=evidence), excellency.end()
    return None


def recipient(
    letter: Letter, parts: ReferenceParts | None, ref_evidence: Evidence | None, vocab: Vocabulary
) -> Actor | None:
    if parts is None:
        return _non_state(letter, required=False)
    if parts.country != "OTH":
        state = vocab.state(parts.country)
        if state is None:
            letter.warn(f"the reference's country code {parts.country} is not a State in the vocabulary")
            return Actor(kind="state", name=None, country=parts.country, evidence=ref_evidence)
        return Actor(kind="state", name=state.pref_label, country=concepts.iso3(state), evidence=ref_evidence)
    return _non_state(letter, required=True)


def _non_state(letter: Letter, *, required: bool) -> Actor | None:
    view = letter.view
    kind = _kind(view)
    for span in letter.furniture:
        header = letter.marked[span.start : span.end]
        if _COMPANY_LINE.match(header):
            return Actor(kind="company", name=collapse(header), evidence=letter.marked_evidence(span))
    named = _YOUR_NAMED.search(view)
    if named is not None and not cut_short(view, named.end("name")):
        start, end = named.start("name"), named.end("name")
        name = company_name(view[start:end], at_sentence_end=not view[end : end + 1].strip())
        return Actor(kind="company", name=name, evidence=letter.sentence_evidence(start, end))
    for line in _standalone_lines(letter):
        if _COMPANY_LINE.match(view[line.start : line.end]) and not cut_short(view, line.end):
            return Actor(
                kind="company",
                name=collapse(view[line.start : line.end]),
                evidence=letter.evidence(line.start, line.end),
            )
    if not required and kind is None:
        return None
    letter.warn(
        "the recipient is not named in the text (reference OTH: a non-State actor); its name was left empty"
    )
    return Actor(kind=kind or "other", name=None)


def _standalone_lines(letter: Letter) -> list[Span]:
    """Short lines before the closing formula: address blocks and page headers.

    Paragraphs of one line come first; then any line, because PDF text layers often
    drop the blank lines between paragraphs.
    """
    closing = [m.start() for m in CLOSING.finditer(letter.view)]
    stop = closing[-1] if closing else len(letter.view)
    view = letter.view
    lines = [p for p in letter.paragraphs if p.start < stop and "\n" not in view[p.start : p.end]]
    offset = 0
    for raw in view[:stop].split("\n"):
        lines.append(Span(offset, offset + len(raw)))
        offset += len(raw) + 1
    return [line for line in lines if 0 < line.end - line.start <= 80]


def _kind(view: str) -> ActorKind | None:
    """The recipient's kind from how the letter addresses it ("your company", "your organisation")."""
    m = _YOUR.search(view)
    if m is None:
        return None
    noun = m.group("noun").lower()
    if noun in {"organisation", "organization", "agency", "institution"}:
        return "organization"
    return "company"
