"""When the letter will be made public, as the letter states it ("made public ... in 60 days").

The date is computed from the letter's date only when both are stated; the delay alone is
still recorded, so a reader can see the promise even when the date was not found.
"""

from __future__ import annotations

import datetime as dt
import re

from kg.extract.layout import Letter
from kg.record import Evidence

_PUBLIC = re.compile(
    r"\b(?:made\s+(?:public|available)|published|publicly\s+available)\b[^.]{0,200}?"
    r"\b(?:in|after|within|following)\s+(?:a\s+(?:period|delay)\s+of\s+)?(?P<n>\d{1,3})\s+(?P<unit>days?|hours?)\b",
    re.I,
)


def extract(letter: Letter, date: dt.date | None) -> tuple[int | None, dt.date | None, Evidence | None]:
    m = _PUBLIC.search(letter.view)
    if m is None:
        return None, None, None
    n = int(m.group("n"))
    if m.group("unit").lower().startswith("hour"):
        if n % 24:
            letter.warn(f"publication delay of {n} hours is not a whole number of days; it was not recorded")
            return None, None, None
        n //= 24
    published = date + dt.timedelta(days=n) if date else None
    return n, published, letter.sentence_evidence(m.start(), m.end())
