"""Dates as letters write them, and the letter's own date in its letterhead.

Only forms that cannot be misread are accepted: a month name makes "12 March 2021" and
"March 12, 2021" safe; an all-numeric date is taken only when the day is above 12
("31/01/2014"), because "12/03/2021" means different days in Geneva and in New York.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from kg.extract.layout import Letter

MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ]
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_DAY_MONTH_YEAR = re.compile(
    rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH}\s+(?P<year>(?:19|20)\d{{2}})\b", re.I
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d{{2}})\b", re.I
)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d{2})-(?P<month>\d{2})-(?P<day>\d{2})\b")
_NUMERIC = re.compile(r"(?<![\d/.])(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<year>(?:19|20)\d{2})(?![\d/])")


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    value: dt.date


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def find_dates(text: str, start: int = 0, end: int | None = None) -> tuple[list[FoundDate], list[str]]:
    """Unambiguous dates in text[start:end], in order, and the ambiguous ones left out (as written)."""
    stop = len(text) if end is None else end
    found: list[FoundDate] = []
    ambiguous: list[str] = []
    for pattern in (_DAY_MONTH_YEAR, _MONTH_DAY_YEAR, _ISO):
        for m in pattern.finditer(text, start, stop):
            month_text = m.group("month")
            month = int(month_text) if month_text.isdigit() else MONTHS[month_text.lower()]
            value = _make(int(m.group("year")), month, int(m.group("day")))
            if value is not None:
                found.append(FoundDate(m.start(), m.end(), value))
    for m in _NUMERIC.finditer(text, start, stop):
        a, b, year = int(m.group("a")), int(m.group("b")), int(m.group("year"))
        if a > 12 >= b:
            value = _make(year, b, a)
        elif b > 12 >= a:
            value = _make(year, a, b)
        else:
            value = None
            if a != b:
                ambiguous.append(m.group(0))
            else:
                value = _make(year, a, b)
        if value is not None:
            found.append(FoundDate(m.start(), m.end(), value))
    found.sort(key=lambda d: d.start)
    return _drop_overlaps(found), ambiguous


def _drop_overlaps(found: list[FoundDate]) -> list[FoundDate]:
    kept: list[FoundDate] = []
    for item in found:
        if kept and item.start < kept[-1].end:
            continue
        kept.append(item)
    return kept


def letter_date(letter: Letter, *, after: int, before: int) -> FoundDate | None:
    """The letter's date: the first date of the letterhead, after the reference and before the body.

    Dates in the body (visits, detentions) come after the salutation, so they are never taken.
    """
    found, ambiguous = find_dates(letter.view, after, before)
    if not found and after > 0:
        found, ambiguous = find_dates(letter.view, 0, before)
    for text in ambiguous:
        letter.warn(f"the date {text!r} could be read day-first or month-first; it was not used")
    return found[0] if found else None
