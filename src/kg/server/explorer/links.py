"""Where an IRI opens in the explorer, and what to call a term that has no label.

The linked-data router serves an entity at the path its IRI has under the base IRI (or
under ``/vocab/``); IRIs elsewhere open through ``/resource?iri=``. Ontology terms link
to their anchor on the ontology page, where a reader learns what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlencode

from kg.config import ONTOLOGY_IRI, ONTOLOGY_NS, VOCAB_NS
from kg.server.linked_data import iri_for_path
from kg.server.results import PREFIXES

# The RDF serialisations the linked-data router offers, by the ``format`` value it accepts.
RDF_FORMATS = (("Turtle", "ttl"), ("JSON-LD", "jsonld"), ("N-Triples", "nt"))


@dataclass(frozen=True)
class Link:
    """A labelled link to an entity; ``url`` is None for terms that cannot be opened (blank nodes)."""

    label: str
    url: str | None
    iri: str | None = None


def resource_url(iri: str) -> str:
    return "/resource?" + urlencode({"iri": iri})


def entity_url(iri: str, base_iri: str) -> str:
    """The explorer path of an IRI: the path the linked-data router answers for it, else /resource."""
    if iri.startswith(ONTOLOGY_NS) and iri != ONTOLOGY_IRI:
        return "/ontology#" + quote(iri[len(ONTOLOGY_NS) :], safe="")
    for namespace, prefix in ((base_iri, "/"), (VOCAB_NS, "/vocab/"), (ONTOLOGY_IRI, "/ontology")):
        if iri.startswith(namespace):
            path = prefix + iri[len(namespace) :]
            if iri_for_path(path, base_iri) == iri and "?" not in path and "#" not in path:
                return quote(path, safe="/-._~")
    return resource_url(iri)


def page_url(iri: str, base_iri: str) -> str:
    """Like entity_url, but an ontology term opens as an entity page (its uses), not as an anchor."""
    if iri.startswith(ONTOLOGY_NS) and iri != ONTOLOGY_IRI:
        return resource_url(iri)
    return entity_url(iri, base_iri)


def with_format(url: str, fmt: str) -> str:
    path = url.split("#", 1)[0]
    return f"{path}{'&' if '?' in path else '?'}format={fmt}"


def curie(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{prefix}:{iri[len(namespace) :]}"
    return iri


def fallback_label(iri: str) -> str:
    """A readable name for an IRI without a label: a known prefix, else its last path segments.

    Nodes a letter qualifies (``.../sending/3``, ``.../signature/1``) read as "sending 3".
    """
    short = curie(iri)
    if short != iri:
        return short
    segments = [s for s in iri.split("#")[-1].split("/") if s]
    if len(segments) >= 2 and segments[-1].isdigit():
        return f"{segments[-2].replace('-', ' ')} {segments[-1]}"
    return local_name(iri)


def local_name(iri: str) -> str:
    tail = iri.rstrip("/#")
    for sep in ("#", "/"):
        if sep in tail:
            tail = tail.rsplit(sep, 1)[1]
    return tail or iri
