"""The communications list: filters as GET parameters, facet counts over the filtered set, pages."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from urllib.parse import urlencode

from kg.server.explorer import queries
from kg.server.explorer.company import long_date
from kg.server.explorer.links import Link, curie, page_url
from kg.server.explorer.results import integer, text
from kg.workers import QueryPool

PAGE_SIZE = 50
FILTERS = {
    "type": "Type",
    "year": "Year",
    "mandate": "Mandate",
    "kind": "Recipient kind",
    "country": "Recipient country",
    "issue": "Issue",
}


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int
    url: str
    selected: bool


@dataclass(frozen=True)
class Facet:
    name: str
    title: str
    values: list[FacetValue]


@dataclass(frozen=True)
class ActiveFilter:
    name: str
    title: str
    label: str
    remove_url: str


@dataclass(frozen=True)
class CommunicationRow:
    link: Link
    date: str | None
    type: str
    recipient: Link | None
    mandates: int
    issues: list[Link]


@dataclass(frozen=True)
class Listing:
    rows: list[CommunicationRow]
    facets: list[Facet]
    active: list[ActiveFilter]
    total: int
    offset: int
    next_url: str | None
    previous_url: str | None


def listing_url(filters: dict[str, str], **changes: str | None) -> str:
    params = {**filters, **changes}
    query = urlencode({k: v for k, v in params.items() if v})
    return "/communications" + (f"?{query}" if query else "")


def _issues(packed: str, base_iri: str) -> list[Link]:
    links = []
    for line in sorted(packed.split("\n"), key=lambda s: s.partition(" ")[2].lower()):
        iri, _, label = line.partition(" ")
        if iri:
            links.append(Link(label or curie(iri), page_url(iri, base_iri), iri))
    return links


async def build_listing(
    pool: QueryPool, filters: dict[str, str], base_iri: str, *, offset: int = 0
) -> Listing:
    filters = {k: v for k, v in filters.items() if k in FILTERS and v}
    offset = max(offset, 0)
    page, facet_rows = await asyncio.gather(
        queries.select(pool, "communications", limit=PAGE_SIZE + 1, offset=offset, **filters),
        queries.select(pool, "communication-facets", **filters),
    )
    rows = [
        CommunicationRow(
            link=Link(text(r, "reference"), page_url(text(r, "c"), base_iri), text(r, "c")),
            date=long_date(text(r, "date") or None),
            type=text(r, "letterType"),
            recipient=(
                Link(
                    text(r, "recipientLabel") or curie(text(r, "recipient")),
                    page_url(text(r, "recipient"), base_iri),
                )
                if "recipient" in r
                else None
            ),
            mandates=integer(r, "mandates"),
            issues=_issues(text(r, "issues"), base_iri),
        )
        for r in page.rows[:PAGE_SIZE]
    ]
    total = 0
    values: dict[str, list[FacetValue]] = {name: [] for name in FILTERS}
    labels: dict[tuple[str, str], str] = {}
    for r in facet_rows.rows:
        name, value, count = text(r, "facet"), text(r, "value"), integer(r, "n")
        if name == "total":
            total = count
            continue
        if name not in values:
            continue
        label = text(r, "label") or (curie(value) if r["value"].is_iri else value)
        labels[(name, value)] = label
        selected = filters.get(name) == value
        values[name].append(
            FacetValue(
                value, label, count, listing_url(filters, **{name: None if selected else value}), selected
            )
        )
    values["year"].sort(key=lambda v: v.value, reverse=True)  # years read best in order, newest first
    facets = [Facet(name, title, values[name]) for name, title in FILTERS.items()]
    active = [
        ActiveFilter(
            name, FILTERS[name], labels.get((name, value), curie(value)), listing_url(filters, **{name: None})
        )
        for name, value in filters.items()
    ]
    return Listing(
        rows=rows,
        facets=facets,
        active=active,
        total=total,
        offset=offset,
        next_url=listing_url(filters, offset=str(offset + PAGE_SIZE)) if len(page.rows) > PAGE_SIZE else None,
        previous_url=listing_url(
            filters, offset=str(max(offset - PAGE_SIZE, 0)) if offset > PAGE_SIZE else None
        )
        if offset > 0
        else None,
    )
