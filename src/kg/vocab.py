"""The ontology's vocabularies, loaded once: concepts, their labels, and a label matcher.

The Turtle files under ``ontology/vocab/`` are the only place where mandates, countries,
issues, groups, sectors, instruments and Guiding Principles are named. Extraction finds
them in text through ``Vocabulary.find``: adding an ``skos:altLabel`` in Turtle teaches
kg a new phrasing with no code change.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SKOS

from kg import resources
from kg.config import ONTOLOGY_NS

KG = ONTOLOGY_NS

# Properties whose literal values are kept on each concept, by short name.
_EXTRA_PROPERTIES = {
    "isoAlpha2": KG + "isoAlpha2",
    "isoAlpha3": KG + "isoAlpha3",
    "isoNumeric": KG + "isoNumeric",
    "demonym": KG + "demonym",
    "principleNumber": KG + "principleNumber",
    "resolutionNumber": KG + "resolutionNumber",
    "documentSymbol": KG + "documentSymbol",
    "abbreviation": KG + "abbreviation",
    "mandateStatus": KG + "mandateStatus",
    "notation": str(SKOS.notation),
    "hiddenLabel": str(SKOS.hiddenLabel),
}
# Object properties kept on each concept, by short name.
_LINK_PROPERTIES = {
    "establishedBy": KG + "establishedBy",
    "renewedBy": KG + "renewedBy",
    "mandateCountry": KG + "mandateCountry",
    "inPillar": KG + "inPillar",
    "broader": str(SKOS.broader),
    "adoptedBy": KG + "adoptedBy",
    "placeInCountry": KG + "placeInCountry",
}


@dataclass(frozen=True)
class Concept:
    """One named thing of a vocabulary, with everything extraction needs to recognise it."""

    iri: str
    pref_label: str
    alt_labels: tuple[str, ...]
    types: frozenset[str]
    values: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)
    links: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)

    def is_a(self, local_name: str) -> bool:
        return KG + local_name in self.types

    def value(self, name: str) -> str | None:
        found = self.values.get(name, ())
        return found[0] if found else None


@dataclass(frozen=True)
class LabelMatch:
    """A vocabulary label found in a text, with its character offsets."""

    start: int
    end: int
    concept: Concept
    matched: str


def normalise(text: str) -> str:
    """Fold case, quotes, dashes and white space so label comparison is forgiving (accents are kept)."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("’", "'").replace("‘", "'").replace("–", "-").replace("—", "-")
    text = re.sub(r"\s+", " ", text).strip().casefold()
    return text


def label_pattern(label: str) -> str:
    """A regex for a label that tolerates line breaks, quote styles and hyphen variants."""
    parts = []
    for token in re.split(r"(\s+)", label.strip()):
        if not token:
            continue
        if token.isspace():
            parts.append(r"\s+")
            continue
        escaped = re.escape(token)
        escaped = escaped.replace("'", "['’]").replace(r"\-", "[-‐–]")
        parts.append(escaped)
    return "".join(parts)


class Vocabulary:
    """Every concept of the vocabularies, indexed by IRI, by class and by label."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._concepts: dict[str, Concept] = {}
        self._by_type: dict[str, list[Concept]] = defaultdict(list)
        self._matchers: dict[
            tuple[tuple[str, ...], bool], tuple[re.Pattern[str], dict[str, list[Concept]]]
        ] = {}
        self._build()

    def _build(self) -> None:
        graph = self.graph
        subjects = {s for s in graph.subjects(SKOS.prefLabel, None) if isinstance(s, URIRef)}
        for subject in sorted(subjects):
            pref = _first_literal(graph.objects(subject, SKOS.prefLabel))
            if pref is None:
                continue
            alts = tuple(
                sorted({str(o) for o in graph.objects(subject, SKOS.altLabel) if isinstance(o, Literal)})
            )
            types = frozenset(str(o) for o in graph.objects(subject, RDF.type))
            values = {
                name: tuple(sorted(str(o) for o in graph.objects(subject, URIRef(prop))))
                for name, prop in _EXTRA_PROPERTIES.items()
            }
            links = {
                name: tuple(sorted(str(o) for o in graph.objects(subject, URIRef(prop))))
                for name, prop in _LINK_PROPERTIES.items()
            }
            concept = Concept(
                iri=str(subject),
                pref_label=pref,
                alt_labels=alts,
                types=types,
                values={k: v for k, v in values.items() if v},
                links={k: v for k, v in links.items() if v},
            )
            self._concepts[concept.iri] = concept
            for type_iri in types:
                self._by_type[type_iri].append(concept)

    # -- look-ups -------------------------------------------------------------------------

    def get(self, iri: str) -> Concept | None:
        return self._concepts.get(iri)

    def of_type(self, local_name: str) -> list[Concept]:
        return list(self._by_type.get(KG + local_name, []))

    def label(self, iri: str) -> str | None:
        concept = self._concepts.get(iri)
        if concept is not None:
            return concept.pref_label
        return _first_literal(self.graph.objects(URIRef(iri), RDFS.label))

    def state(self, code: str) -> Concept | None:
        """A State by its ISO 3166 alpha-3 or alpha-2 code."""
        code = code.upper()
        key = "isoAlpha3" if len(code) == 3 else "isoAlpha2"
        for concept in self._by_type.get(KG + "State", []):
            if code in concept.values.get(key, ()):
                return concept
        return None

    def resolution(self, number: str) -> Concept | None:
        """A resolution by the number letters cite (44/15, 2004/37)."""
        for concept in self._by_type.get(KG + "Resolution", []):
            if number in concept.values.get("resolutionNumber", ()):
                return concept
        return None

    def mandates_citing(self, resolution_iri: str) -> list[Concept]:
        """Mandates that the vocabulary says were created or renewed by a resolution."""
        return [
            m
            for m in self._by_type.get(KG + "Mandate", [])
            if resolution_iri in m.links.get("renewedBy", ())
            or resolution_iri in m.links.get("establishedBy", ())
        ]

    def broader_closure(self, iri: str) -> list[str]:
        """The concept and every concept above it (skos:broader, transitively)."""
        seen: list[str] = []
        todo = [iri]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.append(current)
            concept = self._concepts.get(current)
            if concept is not None:
                todo.extend(concept.links.get("broader", ()))
        return seen

    # -- matching -------------------------------------------------------------------------

    def find(
        self,
        text: str,
        types: Sequence[str],
        *,
        include_hidden: bool = False,
        start: int = 0,
        end: int | None = None,
    ) -> list[LabelMatch]:
        """Every non-overlapping occurrence of a label of the given classes, longest label first.

        ``include_hidden`` also matches ``skos:hiddenLabel`` values such as demonyms.
        """
        pattern, index = self._matcher(tuple(types), include_hidden)
        found: list[LabelMatch] = []
        stop = len(text) if end is None else end
        for m in pattern.finditer(text, start, stop):
            concepts = index.get(normalise(m.group(0)), [])
            if concepts:
                found.append(LabelMatch(m.start(), m.end(), concepts[0], m.group(0)))
        return found

    def _matcher(
        self, types: tuple[str, ...], include_hidden: bool
    ) -> tuple[re.Pattern[str], dict[str, list[Concept]]]:
        key = (types, include_hidden)
        if key not in self._matchers:
            index: dict[str, list[Concept]] = defaultdict(list)
            for local in types:
                for concept in self._by_type.get(KG + local, []):
                    labels = [concept.pref_label, *concept.alt_labels]
                    if include_hidden:
                        labels += list(concept.values.get("demonym", ()))
                        labels += list(concept.values.get("hiddenLabel", ()))
                    for label in labels:
                        if concept not in index[normalise(label)]:
                            index[normalise(label)].append(concept)
            labels_by_length = sorted(index, key=len, reverse=True)
            alternatives = "|".join(label_pattern(label) for label in labels_by_length)
            if not alternatives:
                alternatives = r"(?!x)x"
            pattern = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)
            self._matchers[key] = (pattern, dict(index))
        return self._matchers[key]


def _first_literal(values: Iterable[object]) -> str | None:
    literals = [v for v in values if isinstance(v, Literal)]
    english = [v for v in literals if v.language in (None, "en")]
    chosen = english or literals
    return str(sorted(chosen)[0]) if chosen else None


def vocabulary_graph(files: Iterable[Path] | None = None) -> Graph:
    """The ontology and every vocabulary file, parsed into one rdflib graph."""
    graph = Graph()
    graph.parse(resources.ontology_file(), format="turtle")
    for path in files if files is not None else resources.vocabulary_files():
        graph.parse(path, format="turtle")
    return graph


@cache
def load_vocabulary() -> Vocabulary:
    """The shared vocabulary; parsed once per process because every stage needs it."""
    return Vocabulary(vocabulary_graph())
