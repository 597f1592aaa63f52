"""The query page: the editor's text, the canned examples, a run through the pool, and ways to reuse it.

The page works without JavaScript: the form GETs /query?query=...&run=1 and the server
runs the query (through the same guard and pool as /sparql) and renders the table;
static/query.js does the same through /sparql itself.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from urllib.parse import urlencode

from kg.canned import CannedQuery, load_canned_queries
from kg.config import ONTOLOGY_IRI, VOCAB_NS
from kg.errors import NotFound, QueryError
from kg.server.explorer.entity import Value, value_of
from kg.server.explorer.links import PREFIXES, curie
from kg.server.explorer.results import Term, parse_boolean, parse_solutions
from kg.workers import QueryResult

MAX_SHOWN_ROWS = 1000
RESULTS_ACCEPT = "application/sparql-results+json"
DEFAULT_QUERY = """PREFIX kg: <https://w3id.org/kg-spcomm/ontology#>
SELECT ?communication ?reference ?date
WHERE {
  ?communication kg:reference ?reference .
  OPTIONAL { ?communication kg:dateSent ?date }
}
ORDER BY DESC(?date)
LIMIT 20
"""


@dataclass
class ResultTable:
    kind: str
    variables: list[str] = field(default_factory=list)
    rows: list[list[Value | None]] = field(default_factory=list)
    row_count: int = 0
    boolean: bool | None = None
    graph: str = ""
    truncated: bool = False
    seconds: float = 0.0


@dataclass
class QueryOutcome:
    table: ResultTable | None
    error: str | None = None
    status: int = 200


@dataclass
class QueryPage:
    text: str
    canned: list[CannedQuery]
    selected: CannedQuery | None
    values: dict[str, str]
    outcome: QueryOutcome | None
    share_url: str
    csv_url: str
    json_url: str
    curl: str


def client_settings(base_iri: str) -> dict[str, str]:
    """What static/query.js needs to link IRIs as the server does (data-* attributes of #results)."""
    return {
        "base-iri": base_iri,
        "vocab-ns": VOCAB_NS,
        "ontology-iri": ONTOLOGY_IRI,
        "prefixes": json.dumps(PREFIXES),
        "max-rows": str(MAX_SHOWN_ROWS),
    }


def canned_queries() -> dict[str, CannedQuery]:
    return load_canned_queries()


def curl_command(endpoint: str, query: str) -> str:
    """The exact curl call that runs ``query``, quoted for a POSIX shell."""
    return " ".join(
        [
            "curl",
            "-H",
            shlex.quote(f"Accept: {RESULTS_ACCEPT}"),
            "--data-urlencode",
            shlex.quote(f"query={query}"),
            shlex.quote(endpoint),
        ]
    )


def share_url(query: str, selected: CannedQuery | None, values: dict[str, str]) -> str:
    """A link that reopens what is on the page: the canned query and its values, or the text itself."""
    if selected is not None and query == _rendered(selected, values):
        return "/query?" + urlencode({"canned": selected.name, **{k: v for k, v in values.items() if v}})
    return "/query?" + urlencode({"query": query})


def _rendered(selected: CannedQuery, values: dict[str, str]) -> str | None:
    try:
        return selected.render(values)
    except QueryError:
        return None


def download_url(query: str, fmt: str) -> str:
    return "/sparql?" + urlencode({"query": query, "format": fmt})


def table_of(result: QueryResult, base_iri: str) -> ResultTable:
    """A query's answer as the page shows it: rows of values, a yes/no, or the triples' text."""
    table = ResultTable(kind=result.kind, truncated=result.truncated, seconds=result.seconds)
    if result.kind == "boolean":
        table.boolean = parse_boolean(result.data)
    elif result.kind == "graph":
        table.graph = result.data.decode("utf-8")
        table.row_count = table.graph.count("\n")
    else:
        solutions = parse_solutions(result.data)
        table.variables = solutions.variables
        table.row_count = len(solutions.rows)
        table.rows = [
            [_cell(row[v], base_iri) if v in row else None for v in solutions.variables]
            for row in solutions.rows[:MAX_SHOWN_ROWS]
        ]
    return table


def opening(params: dict[str, str]) -> tuple[str, CannedQuery | None, dict[str, str], QueryOutcome | None]:
    """What the page opens with, from its URL: ``query=`` text, or ``canned=`` and that query's values.

    A canned query's values that do not fit their type leave the query's text unbound and an
    error on the page (the caller's mistake, 400). Raises NotFound for an unknown canned name.
    """
    params = dict(params)
    name, text = params.pop("canned", ""), params.pop("query", None)
    selected = canned_queries().get(name) if name else None
    if name and selected is None:
        raise NotFound(f"no canned query named {name!r}; the list is at /queries")
    values = {p.name: params[p.name] for p in selected.parameters if p.name in params} if selected else {}
    if text is not None:
        return text, selected, values, None
    if selected is None:
        return DEFAULT_QUERY, None, values, None
    try:
        return selected.render(values), selected, values, None
    except QueryError as exc:
        return selected.sparql, selected, values, QueryOutcome(None, str(exc), 400)


def canned_json(query: CannedQuery, values: dict[str, str]) -> dict[str, object]:
    """A canned query for static/query.js: its header and its text with the values bound."""
    return {
        **query.header(),
        "sparql": query.render(values),
    }


def _cell(term: Term, base_iri: str) -> Value:
    """Results show IRIs as IRIs (prefixed where kg knows the prefix), as the script's table does."""
    return value_of(term, curie(term.value) if term.is_iri else None, base_iri)


def page(
    text: str,
    *,
    endpoint: str,
    selected: CannedQuery | None,
    values: dict[str, str],
    outcome: QueryOutcome | None,
) -> QueryPage:
    return QueryPage(
        text=text,
        canned=list(canned_queries().values()),
        selected=selected,
        values=values,
        outcome=outcome,
        share_url=share_url(text, selected, values),
        csv_url=download_url(text, "csv"),
        json_url=download_url(text, "json"),
        curl=curl_command(endpoint, text),
    )
