"""The home page's counts and the label search behind the search box (as you type, and without JS)."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from kg.config import ONTOLOGY_NS
from kg.server.explorer import queries
from kg.server.explorer.links import curie, page_url, resource_url
from kg.server.explorer.listing import listing_url
from kg.server.explorer.results import integer, text
from kg.workers import QueryPool

MAX_QUERY_CHARS = 200
# (column of home-counts.rq, what it counts, where to see them)
COUNTS = (
    ("communications", "communications", "/communications"),
    ("companies", "companies", listing_url({}, kind=ONTOLOGY_NS + "Company")),
    ("states", "States addressed", listing_url({}, kind=ONTOLOGY_NS + "State")),
    ("allegations", "allegations", resource_url(ONTOLOGY_NS + "Allegation")),
    ("mandates", "mandates that wrote", "/query?canned=communications-by-mandate&run=1"),
    ("principles", "Guiding Principles cited", "/query?canned=guiding-principles-cited&run=1"),
)


@dataclass(frozen=True)
class Count:
    number: int
    label: str
    url: str


@dataclass(frozen=True)
class Hit:
    """One search answer; also the JSON shape of /api/search."""

    iri: str
    label: str
    type: str
    url: str

    def as_json(self) -> dict[str, str]:
        return asdict(self)


async def counts(pool: QueryPool) -> list[Count]:
    result = await queries.select(pool, "home-counts")
    row = result.rows[0] if result.rows else {}
    return [Count(integer(row, key), label, url) for key, label, url in COUNTS]


async def search(pool: QueryPool, q: str, base_iri: str) -> list[Hit]:
    """Up to 20 entities whose names contain ``q``; exact matches first, then prefixes."""
    q = " ".join(q.split())[:MAX_QUERY_CHARS]
    if not q:
        return []
    result = await queries.select(pool, "search", q=q)
    return [
        Hit(
            iri=text(r, "item"),
            label=text(r, "label") or curie(text(r, "item")),
            type=text(r, "types"),
            url=page_url(text(r, "item"), base_iri),
        )
        for r in result.rows
    ]
