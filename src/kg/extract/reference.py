"""References ("AL OTH 70/2020"): parsing, normalising, and finding the letter's own one.

A reference is the key every later stage uses, so its form is normalised here once:
type code, ISO alpha-3 country code (or OTH), number and year, separated by single spaces.
Older references carry mandate file codes between the type and the country
("UA Housing (2000-9) ... SYR 3/2014"); those are kept in ``file_codes``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from kg.extract.layout import Letter
from kg.record import Evidence, ReferenceParts

_TYPE = r"J?(?:AL|UA|OL)"
_FILE_CODE = r"[A-Z][\w/.&-]*(?:[ \t]+[\w/.&-]+){0,3}?[ \t]*\(\d{1,4}[ \t]*-[ \t]*\d{1,4}\)"
_CORE = (
    rf"(?P<type>{_TYPE})\s+(?P<codes>(?:{_FILE_CODE}\s+)*)"
    r"(?P<country>[A-Z]{3})\s+(?P<number>\d{1,4})\s*/\s*(?P<year>(?:19|20)\d{2})(?!\d)"
)
REFERENCE_RE = re.compile(rf"(?<![\w/]){_CORE}")
_LABELLED = re.compile(rf"\b(?i:REF(?:ERENCE)?)\s*[:.]{{0,2}}\s*{_CORE}")
# A reference whose country code is missing, as damaged text has it ("UA 10/2019").
_DAMAGED = re.compile(
    rf"(?<![\w/])(?P<type>{_TYPE})\s+(?P<number>\d{{1,4}})\s*/\s*(?P<year>(?:19|20)\d{{2}})(?!\d)"
)
_LOOSE = re.compile(
    r"^\s*(?P<type>[A-Za-z]{2,3})\s+(?P<country>[A-Za-z]{3})\s+(?P<number>\d{1,4})\s*/\s*(?P<year>\d{4})\s*$"
)
_CODE_SPLIT = re.compile(r"(?<=\))\s+")
# The years a reference can carry (the record's schema says so): "AL OTH 1/1950" is not a reference.
FIRST_YEAR, LAST_YEAR = 1980, 2100


@dataclass(frozen=True)
class FoundReference:
    start: int
    end: int
    parts: ReferenceParts
    # Taken only because it comes first: nothing in the text marks it as the letter's own.
    guessed: bool = False

    @property
    def reference(self) -> str:
        return format_reference(self.parts)


def format_reference(parts: ReferenceParts) -> str:
    return f"{parts.type} {parts.country} {parts.number}/{parts.year}"


def parse_reference(value: str) -> ReferenceParts:
    """Parse a reference typed by a person, forgiving case and spacing ("al  oth 70 / 2020").

    Raises ValueError naming the expected form, so a CLI or form can show it as is.
    """
    m = _LOOSE.match(value)
    if m is None:
        raise ValueError(
            f"not a communication reference: {value!r}; "
            "expected TYPE COUNTRY NUMBER/YEAR, e.g. AL OTH 70/2020"
        )
    if not _plausible(int(m.group("number")), int(m.group("year"))):
        raise ValueError(
            f"not a communication reference: {value!r}; the number must be 1 or more and the year "
            f"between {FIRST_YEAR} and {LAST_YEAR}, e.g. AL OTH 70/2020"
        )
    return ReferenceParts(
        type=m.group("type").upper(),
        country=m.group("country").upper(),
        number=int(m.group("number")),
        year=int(m.group("year")),
    )


def _plausible(number: int, year: int) -> bool:
    return number >= 1 and FIRST_YEAR <= year <= LAST_YEAR


def normalise_reference(value: str) -> str:
    return format_reference(parse_reference(value))


def _parts(m: re.Match[str]) -> ReferenceParts | None:
    codes = [re.sub(r"\s+", " ", c).strip() for c in _CODE_SPLIT.split(m.group("codes").strip()) if c.strip()]
    number, year = int(m.group("number")), int(m.group("year"))
    if not _plausible(number, year):
        return None
    return ReferenceParts(
        type=m.group("type").upper(),
        country=m.group("country").upper(),
        number=number,
        year=year,
        file_codes=codes,
    )


def find_references(letter: Letter) -> list[FoundReference]:
    """Every well-formed reference in the text, in order."""
    found = []
    for m in REFERENCE_RE.finditer(letter.view):
        parts = _parts(m)
        if parts is not None:
            found.append(FoundReference(m.start(), m.end(), parts))
    return found


def find_damaged(letter: Letter) -> list[tuple[int, str]]:
    """References that lack their country code; they cannot be completed without guessing."""
    return [(m.start(), re.sub(r"\s+", " ", m.group(0))) for m in _DAMAGED.finditer(letter.view)]


def own_reference(letter: Letter) -> tuple[FoundReference, Evidence] | None:
    """The letter's reference: the one on its REFERENCE line, else one standing alone on a line.

    Cover notes of the database name related cases before the letter starts, so the first
    reference in the text is only taken, with a warning, when nothing marks the letter's own.
    """
    for labelled in _LABELLED.finditer(letter.view):
        parts = _parts(labelled)
        if parts is not None:
            found = FoundReference(labelled.start("type"), labelled.end(), parts)
            return found, letter.evidence(labelled.start(), labelled.end())
    references = find_references(letter)
    for ref in references:
        line = letter.line_at(ref.start)
        if (
            line is not None
            and letter.view[line.start : line.end].strip() == letter.view[ref.start : ref.end]
        ):
            return ref, letter.evidence(ref.start, ref.end)
    if references:
        ref = replace(references[0], guessed=True)
        letter.warn(
            f"no 'REFERENCE:' line found; took {ref.reference}, the first reference in the text, "
            "as the letter's own"
        )
        return ref, letter.line_evidence(ref.start, ref.end)
    return None
