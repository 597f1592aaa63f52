"""The plain-words summary on an actor's page: what it was sent, by whom, asked about what, citing what.

Every clause is composed from the graph (one query, kg/server/sparql/company-summary.rq);
nothing about a particular company is written here. Each clause keeps the spans that
state it, so the page can show the letter's own words next to the summary's.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from kg.config import ONTOLOGY_NS
from kg.server.explorer import queries
from kg.server.explorer.evidence import Span
from kg.server.explorer.links import Link, page_url
from kg.server.explorer.results import Row, integer, text
from kg.workers import QueryPool

_STATE = ONTOLOGY_NS + "State"


@dataclass(frozen=True)
class Letter:
    link: Link
    date: str | None


@dataclass(frozen=True)
class PlaceGroup:
    """A country with the places in it that the letters name: China (Xinjiang Uyghur Autonomous Region)."""

    country: Link | None
    places: list[Link]


@dataclass(frozen=True)
class ListingNote:
    """An entry on an imported external list (kg import ftm): "listed on <list> since <date>"."""

    link: Link
    list_name: str
    since: str | None
    matched_name: str | None


@dataclass
class Summary:
    name: str
    letters: list[Letter] = field(default_factory=list)
    mandates: list[Link] = field(default_factory=list)
    questions: int = 0
    topics: list[Link] = field(default_factory=list)
    issues: list[Link] = field(default_factory=list)
    groups: list[Link] = field(default_factory=list)
    places: list[PlaceGroup] = field(default_factory=list)
    principles: list[Link] = field(default_factory=list)
    also_states: list[Link] = field(default_factory=list)
    also_others: list[Link] = field(default_factory=list)
    other_companies: bool = False
    copied: list[Link] = field(default_factory=list)
    named_in: list[Link] = field(default_factory=list)
    named_issues: list[Link] = field(default_factory=list)
    evidence: dict[str, list[Span]] = field(default_factory=dict)
    listings: list[ListingNote] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not (self.letters or self.copied or self.named_in or self.listings)


def long_date(value: str | None) -> str | None:
    """2021-03-12 -> 12 March 2021, the way the letters write dates."""
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        return value
    return f"{day.day} {day:%B %Y}"


def _span(row: Row) -> Span | None:
    if "span" not in row or "start" not in row:
        return None
    return Span(
        iri=text(row, "span"),
        node=text(row, "item"),
        field=text(row, "kind"),
        start=integer(row, "start"),
        end=integer(row, "end"),
        quote=text(row, "quote") or None,
        file=text(row, "file") or None,
        letter=text(row, "comm") or None,
        reference=text(row, "reference") or None,
    )


class _Collector:
    """Distinct items per kind, in first-seen order, with how often each was seen and its spans."""

    def __init__(self, base_iri: str) -> None:
        self.base_iri = base_iri
        self.items: dict[str, dict[str, Row]] = {}
        self.seen: dict[str, Counter[str]] = {}
        self.spans: dict[str, dict[str, Span]] = {}

    def add(self, row: Row) -> None:
        kind, item = text(row, "kind"), text(row, "item")
        self.items.setdefault(kind, {}).setdefault(item, row)
        self.seen.setdefault(kind, Counter())[item] += 1
        if (span := _span(row)) is not None:
            self.spans.setdefault(kind, {}).setdefault(span.iri, span)

    def rows(self, kind: str) -> list[Row]:
        return list(self.items.get(kind, {}).values())

    def link(self, row: Row, label: str | None = None) -> Link:
        iri = text(row, "item")
        return Link(label or text(row, "label") or iri, page_url(iri, self.base_iri), iri)

    def ranked(self, kind: str) -> list[Link]:
        """Most supported first (by how many rows, that is spans or questions, state it), then by label."""
        counts = self.seen.get(kind, Counter())
        rows = sorted(self.rows(kind), key=lambda r: (-counts[text(r, "item")], text(r, "label").lower()))
        return [self.link(r) for r in rows]


def _places(collector: _Collector) -> list[PlaceGroup]:
    groups: dict[str, PlaceGroup] = {}
    for row in collector.rows("place"):
        country = text(row, "country")
        if country:
            group = groups.setdefault(
                country,
                PlaceGroup(
                    Link(
                        text(row, "countryLabel") or country, page_url(country, collector.base_iri), country
                    ),
                    [],
                ),
            )
            group.places.append(collector.link(row))
        else:
            item = text(row, "item")
            groups.setdefault(item, PlaceGroup(collector.link(row), []))
    return list(groups.values())


def _letters_of(rows: list[Row], kind: str, base_iri: str) -> list[Link]:
    letters = {text(r, "comm"): text(r, "reference") for r in rows if text(r, "kind") == kind}
    return sorted(
        (Link(ref or iri, page_url(iri, base_iri), iri) for iri, ref in letters.items()),
        key=lambda x: x.label,
    )


async def build_summary(pool: QueryPool, iri: str, name: str, base_iri: str) -> Summary:
    result = await queries.select(pool, "company-summary", company=iri)
    c = _Collector(base_iri)
    for row in result.rows:
        c.add(row)
    letters = sorted(c.rows("communication"), key=lambda r: (text(r, "date"), text(r, "label")))
    principles = sorted(c.rows("principle"), key=lambda r: integer(r, "number"))
    also = c.rows("also")
    # Imported lists live in graphs of their own (kg import ftm); shown apart from what letters say.
    listed = await queries.select(pool, "company-listings", company=iri)
    listings = [
        ListingNote(
            Link(text(r, "list"), page_url(text(r, "listing"), base_iri), text(r, "listing")),
            text(r, "list"),
            long_date(text(r, "date") or None),
            text(r, "matchedName") or None,
        )
        for r in listed.rows
    ]
    return Summary(
        name=name,
        letters=[Letter(c.link(r), long_date(text(r, "date") or None)) for r in letters],
        mandates=sorted(c.ranked("mandate"), key=lambda link: link.label),
        questions=len(c.rows("question")),
        topics=c.ranked("topic"),
        issues=c.ranked("issue"),
        groups=c.ranked("group"),
        places=_places(c),
        principles=[c.link(r, text(r, "number")) for r in principles],
        also_states=sorted((c.link(r) for r in also if text(r, "itemType") == _STATE), key=lambda x: x.label),
        also_others=sorted((c.link(r) for r in also if text(r, "itemType") != _STATE), key=lambda x: x.label),
        other_companies=bool(c.rows("other-companies")),
        copied=[c.link(r, text(r, "reference") or None) for r in c.rows("copied")],
        named_in=_letters_of(result.rows, "named", base_iri),
        named_issues=c.ranked("named"),
        evidence={
            kind: sorted(spans.values(), key=lambda s: (s.reference or "", s.start))
            for kind, spans in c.spans.items()
        },
        listings=listings,
    )
