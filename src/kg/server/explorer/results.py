"""SPARQL JSON results as small typed terms, so view code never handles raw JSON dictionaries."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

XSD = "http://www.w3.org/2001/XMLSchema#"


@dataclass(frozen=True)
class Term:
    """One RDF term of a result row: an IRI, a blank node or a literal (with datatype or language)."""

    kind: str  # "iri", "bnode" or "literal"
    value: str
    datatype: str | None = None
    lang: str | None = None

    @property
    def is_iri(self) -> bool:
        return self.kind == "iri"

    @property
    def is_literal(self) -> bool:
        return self.kind == "literal"

    def __str__(self) -> str:
        return self.value


Row = dict[str, Term]


def term_from_json(binding: dict[str, Any]) -> Term:
    kind = binding.get("type")
    if kind == "uri":
        return Term("iri", binding["value"])
    if kind == "bnode":
        return Term("bnode", binding["value"])
    if kind == "triple":
        # RDF-star quoted triples are shown as their N-Triples-like text; kg does not mint them.
        inner = binding["value"]
        parts = (term_from_json(inner[k]) for k in ("subject", "predicate", "object"))
        return Term("literal", " ".join(p.value for p in parts))
    return Term("literal", binding["value"], binding.get("datatype"), binding.get("xml:lang"))


@dataclass(frozen=True)
class Solutions:
    """A SELECT answer: the variables in order and the rows (unbound variables are absent)."""

    variables: list[str]
    rows: list[Row]


def parse_solutions(data: bytes) -> Solutions:
    doc = json.loads(data)
    variables = list(doc.get("head", {}).get("vars", []))
    rows = [
        {name: term_from_json(value) for name, value in binding.items()}
        for binding in doc.get("results", {}).get("bindings", [])
    ]
    return Solutions(variables, rows)


def parse_boolean(data: bytes) -> bool:
    return bool(json.loads(data).get("boolean"))


def text(row: Row, name: str, default: str = "") -> str:
    term = row.get(name)
    return term.value if term is not None else default


def integer(row: Row, name: str, default: int = 0) -> int:
    term = row.get(name)
    if term is None:
        return default
    try:
        return int(term.value)
    except ValueError:
        return default
