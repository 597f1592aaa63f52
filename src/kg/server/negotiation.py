"""Content negotiation: which of the formats on offer a client gets, from Accept or ``format=``.

Clients break on naive negotiation (string equality, ignoring q, never answering 406), so
this follows RFC 9110: each media range has a weight q (q=0 means "not this"); a format's
weight comes from the most specific range that matches it (``type/subtype`` over
``type/*`` over ``*/*``); the heaviest format wins, then the one matched most specifically,
then the server's order (the first offer is the default, also when Accept is absent).
A ``format`` parameter (a short name such as ``csv`` or a media type) overrides Accept.

Aliases (``application/json`` for SPARQL JSON, ``text/plain`` for N-Triples...) count only
when named exactly: ``text/*`` means "some text format", not "the one we alias to text/plain".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from kg.server.errors import bad_request, not_acceptable
from kg.sparql_guard import QueryForm


@dataclass(frozen=True)
class Format:
    """One way to write an answer: its short name, media type, and the other names it answers to."""

    key: str
    media_type: str
    aliases: tuple[str, ...] = ()
    names: tuple[str, ...] = ()

    @property
    def content_type(self) -> str:
        """Every format kg writes is UTF-8 text, and says so."""
        return f"{self.media_type}; charset=utf-8"

    def answers_to(self, name: str) -> bool:
        name = name.strip().lower()
        return name == self.key or name in self.names or name == self.media_type or name in self.aliases


JSON = Format("json", "application/sparql-results+json", aliases=("application/json",), names=("srj",))
XML = Format("xml", "application/sparql-results+xml", aliases=("application/xml", "text/xml"), names=("srx",))
CSV = Format("csv", "text/csv", aliases=("text/plain",))
TSV = Format("tsv", "text/tab-separated-values", names=("tab",))
# N3 is a superset of Turtle, so a client asking for N3 (SPARQLWrapper's N3) can read Turtle.
TURTLE = Format(
    "turtle",
    "text/turtle",
    aliases=("application/x-turtle", "application/turtle", "text/n3", "text/rdf+n3", "application/n3"),
    names=("ttl", "n3"),
)
NTRIPLES = Format("ntriples", "application/n-triples", aliases=("text/plain",), names=("nt", "n-triples"))
JSONLD = Format("jsonld", "application/ld+json", aliases=("application/json",), names=("json-ld", "json"))
RDFXML = Format(
    "rdfxml", "application/rdf+xml", aliases=("application/xml", "text/xml"), names=("rdf", "xml", "rdf+xml")
)
HTML = Format("html", "text/html", aliases=("application/xhtml+xml",))
PLAIN_JSON = Format("json", "application/json")

SOLUTION_OFFERS: tuple[Format, ...] = (JSON, XML, CSV, TSV)
"""SELECT and ASK answers; SPARQL JSON is the default."""
GRAPH_OFFERS: tuple[Format, ...] = (TURTLE, NTRIPLES, JSONLD, RDFXML)
"""CONSTRUCT and DESCRIBE answers, and every RDF document kg serves; Turtle is the default."""
ALL_FORMATS: tuple[Format, ...] = (*SOLUTION_OFFERS, *GRAPH_OFFERS, HTML)

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_RANGE = re.compile(rf"^\s*({_TOKEN})\s*/\s*({_TOKEN})\s*$")
_QVALUE = re.compile(r"^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?|\.\d{1,3})$")


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def specificity(self, media_type: str) -> int:
        """3 exact, 2 ``type/*``, 1 ``*/*``, 0 no match."""
        kind, _, sub = media_type.partition("/")
        if self.type == "*" and self.subtype == "*":
            return 1
        if self.type == kind and self.subtype == "*":
            return 2
        if self.type == kind and self.subtype == sub:
            return 3
        return 0


def _split(header: str) -> list[str]:
    """Split on commas outside quoted strings (parameters may quote commas)."""
    parts, current, quoted = [], [], False
    for char in header:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def parse_accept(header: str) -> list[MediaRange]:
    """The media ranges of an Accept header; malformed ranges are skipped, as RFC 9110 allows.

    A bare ``*`` (sent by Java's HttpURLConnection) is read as ``*/*``, and ``q=.5`` as 0.5.
    """
    ranges = []
    for part in _split(header):
        media, *params = part.split(";")
        media = media.strip().lower()
        if media == "*":
            media = "*/*"
        match = _RANGE.match(media)
        if not match or (match.group(1) == "*" and match.group(2) != "*"):
            continue
        q = 1.0
        valid = True
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                value = value.strip()
                if not _QVALUE.match(value):
                    valid = False
                    break
                q = float(value)
                break  # parameters after q are accept-extensions, not media type parameters
        if valid:
            ranges.append(MediaRange(match.group(1), match.group(2), q))
    return ranges


def _weight(offer: Format, ranges: list[MediaRange]) -> tuple[float, int]:
    """(q, specificity) for one offer: its own media type first, aliases only when named exactly."""
    exact = [r.q for r in ranges if r.specificity(offer.media_type) == 3]
    if exact:
        return max(exact), 3
    aliased = [r.q for r in ranges for alias in offer.aliases if r.specificity(alias) == 3]
    if aliased:
        return max(aliased), 3
    wild = [(r.specificity(offer.media_type), r.q) for r in ranges if r.specificity(offer.media_type)]
    if not wild:
        return 0.0, 0
    top = max(specificity for specificity, _ in wild)
    return max(q for specificity, q in wild if specificity == top), top


def negotiate(accept: str | None, offers: Sequence[Format], *, format_param: str | None = None) -> Format:
    """The format to answer in; raises ApiError 406 naming the offers when none is acceptable."""
    if format_param is not None and format_param.strip():
        return by_name(format_param, offers)
    if accept is None or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    ranked = sorted(
        ((*_weight(offer, ranges), -index, offer) for index, offer in enumerate(offers)),
        key=lambda item: item[:3],
        reverse=True,
    )
    q, _, _, chosen = ranked[0]
    if q <= 0:
        raise not_acceptable(f"Accept: {accept}", [o.media_type for o in offers])
    return chosen


def by_name(name: str, offers: Sequence[Format]) -> Format:
    """The offer a ``format=`` value names; 406 if it names a format not on offer here, 400 if none."""
    for offer in offers:
        if offer.answers_to(name):
            return offer
    if "/" in name:  # a list of media types, as SPARQLWrapper sends: read it as an Accept header
        return negotiate(name, offers)
    if any(f.answers_to(name) for f in ALL_FORMATS):
        raise not_acceptable(f"format={name}", [f"{o.key} ({o.media_type})" for o in offers])
    raise bad_request(
        f"format={name!r} is not a format kg knows; on offer here: "
        + ", ".join(f"{o.key} ({o.media_type})" for o in offers),
        code="unknown_format",
    )


def offers_for(form: QueryForm) -> Sequence[Format]:
    return GRAPH_OFFERS if form == "graph" else SOLUTION_OFFERS
