"""Running SPARQL against the store and writing the answer in the format a person asked for.

The CLI and (later) the HTTP endpoint share these serialisers, so a query gives the same
bytes whichever door it came through.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal as TypingLiteral

import pyoxigraph as ox

from kg.errors import QueryError
from kg.store import EmbeddedStore

ResultKind = TypingLiteral["solutions", "boolean", "graph"]

SOLUTION_FORMATS: dict[str, ox.QueryResultsFormat] = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}
GRAPH_FORMATS: dict[str, ox.RdfFormat] = {
    "turtle": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "jsonld": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
}


@dataclass
class QueryAnswer:
    """A query's answer, kept as SPARQL JSON (or triples) so it can be shown and re-serialised at will."""

    kind: ResultKind
    results_json: bytes = b""
    triples: list[ox.Triple] | None = None

    def _parsed(self) -> ox.QuerySolutions | ox.QueryBoolean:
        return ox.parse_query_results(self.results_json, format=ox.QueryResultsFormat.JSON)

    @property
    def boolean(self) -> bool | None:
        return bool(self._parsed()) if self.kind == "boolean" else None

    @property
    def variables(self) -> list[str]:
        parsed = self._parsed()
        return [v.value for v in parsed.variables] if isinstance(parsed, ox.QuerySolutions) else []

    def rows(self) -> list[list[Term | None]]:
        parsed = self._parsed()
        if not isinstance(parsed, ox.QuerySolutions):
            return []
        names = [v.value for v in parsed.variables]
        return [[solution[name] for name in names] for solution in parsed]

    def values(self) -> list[dict[str, str | None]]:
        """Rows as plain strings keyed by variable: what tables and tests want."""
        names = self.variables
        return [{n: _plain(t) for n, t in zip(names, row, strict=True)} for row in self.rows()]

    def serialize(self, fmt: str) -> bytes:
        """The answer in one of SOLUTION_FORMATS (SELECT/ASK) or GRAPH_FORMATS (CONSTRUCT/DESCRIBE)."""
        if self.kind == "graph":
            if fmt not in GRAPH_FORMATS:
                raise QueryError(
                    f"format {fmt!r} does not fit a CONSTRUCT/DESCRIBE answer; "
                    f"use one of {', '.join(GRAPH_FORMATS)}"
                )
            return ox.serialize(self.triples or [], format=GRAPH_FORMATS[fmt]) or b""
        if fmt not in SOLUTION_FORMATS:
            raise QueryError(
                f"format {fmt!r} does not fit a SELECT/ASK answer; use one of {', '.join(SOLUTION_FORMATS)}"
            )
        return self._parsed().serialize(format=SOLUTION_FORMATS[fmt]) or b""


Term = ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple


def _plain(term: Term | None) -> str | None:
    if term is None:
        return None
    return str(term) if isinstance(term, ox.Triple) else str(term.value)


def run_query(
    store: EmbeddedStore,
    sparql: str,
    *,
    substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
    graphs: list[str] | None = None,
) -> QueryAnswer:
    """Run ``sparql``; ``graphs`` limits it to those named graphs (see EmbeddedStore.query)."""
    result = store.query(sparql, substitutions=substitutions, graphs=graphs)
    if isinstance(result, ox.QueryBoolean):
        return QueryAnswer("boolean", result.serialize(format=ox.QueryResultsFormat.JSON) or b"")
    if isinstance(result, ox.QuerySolutions):
        return QueryAnswer("solutions", result.serialize(format=ox.QueryResultsFormat.JSON) or b"")
    return QueryAnswer("graph", triples=list(result))
