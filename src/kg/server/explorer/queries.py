"""The explorer's SPARQL: files in ``kg/server/sparql/``, bound and run like the canned queries.

The files use the canned-query header (title, description, parameters), so values reach
the engine the same way: typed terms serialised by pyoxigraph in a VALUES block
(``kg.canned.CannedQuery.render``), never pasted text. Paging numbers are Python ints.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from kg.canned import CannedQuery, parse_query_file
from kg.errors import KgError, QueryError
from kg.server.explorer.results import Solutions, parse_solutions
from kg.workers import QueryPool

SPARQL_DIR = Path(__file__).resolve().parent.parent / "sparql"


class InvalidParameter(KgError):
    """A value from the request does not fit the parameter it was given for (the caller's mistake)."""


@cache
def explorer_query(name: str) -> CannedQuery:
    return parse_query_file(SPARQL_DIR / f"{name}.rq")


def render(name: str, params: dict[str, str | None], *, limit: int | None = None, offset: int = 0) -> str:
    """The query text with the given values bound; empty values leave their parameter unbound."""
    query = explorer_query(name)
    values = {key: value for key, value in params.items() if value}
    try:
        query.bind(values)  # a value of the wrong type is the caller's mistake, reported as such
    except QueryError as exc:
        raise InvalidParameter(str(exc)) from exc
    sparql = query.render(values)
    if limit is not None:
        sparql += f"\nLIMIT {int(limit)} OFFSET {max(int(offset), 0)}"
    return sparql


async def select(
    pool: QueryPool, name: str, *, limit: int | None = None, offset: int = 0, **params: str | None
) -> Solutions:
    result = await pool.run(render(name, params, limit=limit, offset=offset))
    return parse_solutions(result.data)
