"""Vocabulary look-ups for extraction, by ontology class including its subclasses.

Vocabulary files may type a concept with a subclass only (an instrument as ``kg:Treaty``,
a mandate as ``kg:WorkingGroupMandate``); asking for the class and all its subclasses
finds it either way, with no class list repeated in code.
"""

from __future__ import annotations

import re
from weakref import WeakKeyDictionary

from rdflib import URIRef
from rdflib.namespace import RDFS

from kg.extract.layout import cut_short
from kg.vocab import KG, Concept, LabelMatch, Vocabulary, normalise

# Per vocabulary object, so a test's own vocabulary never sees another's classes.
_SUBCLASSES: WeakKeyDictionary[Vocabulary, dict[str, tuple[str, ...]]] = WeakKeyDictionary()


def with_subclasses(vocab: Vocabulary, local_name: str) -> tuple[str, ...]:
    """The class and its subclasses in the loaded ontology, as local names."""
    known = _SUBCLASSES.setdefault(vocab, {})
    if local_name not in known:
        names = [local_name]
        for sub in vocab.graph.transitive_subjects(RDFS.subClassOf, URIRef(KG + local_name)):
            sub_name = str(sub)
            if sub_name.startswith(KG) and sub_name[len(KG) :] not in names:
                names.append(sub_name[len(KG) :])
        known[local_name] = tuple(names)
    return known[local_name]


def find(
    vocab: Vocabulary,
    text: str,
    local_name: str,
    *,
    start: int = 0,
    end: int | None = None,
    include_hidden: bool = False,
) -> list[LabelMatch]:
    found = vocab.find(
        text, with_subclasses(vocab, local_name), start=start, end=end, include_hidden=include_hidden
    )
    return [m for m in found if not _cut_inside_label(vocab, text, m, local_name, include_hidden)]


def _cut_inside_label(
    vocab: Vocabulary, text: str, match: LabelMatch, local_name: str, include_hidden: bool
) -> bool:
    """The text stops where a longer label could go on: "... minority" may be "minority workers".

    Only a match near the end of a text is checked, against the labels of the same classes.
    """
    if cut_short(text, match.end):
        return True
    rest = text[match.start :]
    labels = _labels(vocab, local_name, include_hidden)
    if len(rest) > max(map(len, labels), default=0) + 10:
        return False
    written = normalise(rest) + (" " if rest[-1:].isspace() else "")
    return any(len(label) > len(written) and label.startswith(written) for label in labels)


_WORD_START = re.compile(r"(?<!\w)\w")


def cut_label_start(vocab: Vocabulary, text: str, local_name: str, *, start: int = 0) -> int | None:
    """Where a label of the class starts that the text stops inside, if it does: the earliest word
    from which the rest of the text is the beginning of a longer label."""
    labels = _labels(vocab, local_name, False)
    longest = max(map(len, labels), default=0)
    for m in _WORD_START.finditer(text, max(start, len(text) - longest - 10)):
        rest = text[m.start() :]
        written = normalise(rest) + (" " if rest[-1:].isspace() else "")
        if any(label.startswith(written) for label in labels):
            return m.start()
    return None


_LABELS: WeakKeyDictionary[Vocabulary, dict[tuple[str, bool], frozenset[str]]] = WeakKeyDictionary()


def _labels(vocab: Vocabulary, local_name: str, include_hidden: bool) -> frozenset[str]:
    known = _LABELS.setdefault(vocab, {})
    key = (local_name, include_hidden)
    if key not in known:
        labels: set[str] = set()
        for concept in of_class(vocab, local_name):
            labels |= {concept.pref_label, *concept.alt_labels}
            if include_hidden:
                labels |= {*concept.values.get("demonym", ()), *concept.values.get("hiddenLabel", ())}
        known[key] = frozenset(normalise(label) for label in labels)
    return known[key]


def of_class(vocab: Vocabulary, local_name: str) -> list[Concept]:
    seen: dict[str, Concept] = {}
    for name in with_subclasses(vocab, local_name):
        for concept in vocab.of_type(name):
            seen.setdefault(concept.iri, concept)
    return list(seen.values())


def is_a(concept: Concept, vocab: Vocabulary, local_name: str) -> bool:
    return any(concept.is_a(name) for name in with_subclasses(vocab, local_name))


def iso3(concept: Concept) -> str | None:
    return concept.value("isoAlpha3")


def notation(concept: Concept) -> str:
    """The short key of a concept: its skos:notation, else its abbreviation, else its IRI's last segment."""
    return (
        concept.value("notation")
        or concept.value("abbreviation")
        or concept.iri.rstrip("/#").rsplit("/", 1)[-1].rsplit("#", 1)[-1]
    )


def unique(matches: list[LabelMatch]) -> list[LabelMatch]:
    """The first match of each concept, in text order."""
    seen: set[str] = set()
    kept = []
    for m in matches:
        if m.concept.iri not in seen:
            seen.add(m.concept.iri)
            kept.append(m)
    return kept
