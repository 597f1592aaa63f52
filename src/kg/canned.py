"""Canned queries: the SPARQL files in ``queries/``, with their title, description and parameters.

Each file starts with comment lines::

    # title: Communications received by a company
    # description: Every communication addressed to a company whose name contains the text given.
    # param: company | string | | Part of the company's name (any company when empty)

Parameter values become typed RDF terms, serialised by pyoxigraph (which escapes them),
in a ``VALUES`` block at the top of the query's outermost ``WHERE`` group: filters in that
group see them bound, and no value can change the structure of the query.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg import resources
from kg.errors import NotFound, QueryError

PARAM_TYPES = ("string", "iri", "integer", "date", "year")
_HEADER = re.compile(r"^#\s*(title|description|param):\s*(.*?)\s*$")
_XSD = "http://www.w3.org/2001/XMLSchema#"
_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: str | None
    description: str


@dataclass(frozen=True)
class CannedQuery:
    name: str
    title: str
    description: str
    sparql: str
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)

    def header(self) -> dict[str, object]:
        """Name, title, description and parameters: what every listing of the query shows."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "parameters": [
                {"name": p.name, "type": p.type, "default": p.default, "description": p.description}
                for p in self.parameters
            ],
        }

    def render(self, values: dict[str, str]) -> str:
        """The query text with the given values (and defaults) bound; parameters left empty stay unbound."""
        bound = self.bind(values)
        if not bound:
            return self.sparql
        match = _WHERE.search(self.sparql)
        if match is None:
            raise QueryError(
                f"query {self.name!r} has parameters but no WHERE {{ ... }} group to bind them in"
            )
        names = " ".join(f"?{name}" for name in bound)
        terms = " ".join(str(term) for term in bound.values())
        block = f"\n  VALUES ({names}) {{ ({terms}) }}\n"
        return self.sparql[: match.end()] + block + self.sparql[match.end() :]

    def bind(self, values: dict[str, str]) -> dict[str, ox.NamedNode | ox.Literal]:
        """Typed terms for the given values (defaults filled in); a bad value names the parameter."""
        known = {p.name for p in self.parameters}
        unknown = sorted(set(values) - known)
        if unknown:
            raise QueryError(
                f"query {self.name!r} has no parameter {', '.join(unknown)}; "
                f"its parameters are: {', '.join(sorted(known)) or 'none'}"
            )
        bound: dict[str, ox.NamedNode | ox.Literal] = {}
        for param in self.parameters:
            raw = values.get(param.name, param.default)
            if raw is None or raw == "":
                continue
            bound[param.name] = _typed(param, raw, self.name)
        return bound


def _typed(param: Parameter, raw: str, query: str) -> ox.NamedNode | ox.Literal:
    try:
        if param.type == "iri":
            if not re.match(r"^[a-z][a-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", raw, re.IGNORECASE):
                raise ValueError("not an absolute IRI")
            return ox.NamedNode(raw)
        if param.type == "integer":
            return ox.Literal(str(int(raw)), datatype=ox.NamedNode(_XSD + "integer"))
        if param.type == "year":
            year = int(raw)
            if not 1900 <= year <= 2200:
                raise ValueError("not a year")
            return ox.Literal(str(year), datatype=ox.NamedNode(_XSD + "integer"))
        if param.type == "date":
            return ox.Literal(dt.date.fromisoformat(raw).isoformat(), datatype=ox.NamedNode(_XSD + "date"))
        return ox.Literal(raw)
    except ValueError as exc:
        raise QueryError(
            f"parameter {param.name!r} of query {query!r} must be {param.type}, got {raw!r} ({exc})"
        ) from exc


def parse_query_file(path: Path) -> CannedQuery:
    text = path.read_text(encoding="utf-8")
    title = description = ""
    params: list[Parameter] = []
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip():
                break
            continue
        match = _HEADER.match(line)
        if not match:
            continue
        key, value = match.groups()
        if key == "title":
            title = value
        elif key == "description":
            description = value
        else:
            parts = [p.strip() for p in value.split("|")]
            if len(parts) != 4 or parts[1] not in PARAM_TYPES or not _NAME.match(parts[0]):
                raise QueryError(
                    f"{path}: parameter line {line!r} must read 'name | type | default | description' "
                    f"with type one of {', '.join(PARAM_TYPES)}"
                )
            params.append(Parameter(parts[0], parts[1], parts[2] or None, parts[3]))
    if not title:
        raise QueryError(f"{path}: a canned query needs a '# title:' line at the top")
    return CannedQuery(path.stem, title, description, text, tuple(params))


def load_canned_queries(folder: Path | None = None) -> dict[str, CannedQuery]:
    files = sorted((folder or resources.data_dir("queries")).glob("*.rq"))
    return {q.name: q for q in map(parse_query_file, files)}


def get_canned_query(name: str) -> CannedQuery:
    queries = load_canned_queries()
    if name not in queries:
        raise NotFound(f"no canned query named {name!r}; available: {', '.join(sorted(queries))}")
    return queries[name]
