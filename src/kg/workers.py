"""Queries run in worker processes that can be killed: a time-out or a crash costs one query, not the server.

CONTRACT (used by kg.server): ``QueryPool(data_dir, workers=, timeout_s=, max_results=)``;
``await pool.run(sparql, default_graphs=None, named_graphs=None, timeout_s=None) -> QueryResult``;
``pool.close()``. Raises kg.errors.QueryError (does not parse: message with position),
QueryTimeout, QueryCrashed. PLACEHOLDER: runs in a thread, cannot be killed; to be replaced.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import anyio
import pyoxigraph as ox

from kg.errors import KgError, QueryError

ResultKind = Literal["solutions", "boolean", "graph"]


class QueryTimeout(KgError):
    """The query ran longer than the time limit and was stopped."""


class QueryCrashed(KgError):
    """The query engine died while running the query (for example on a very deeply nested query)."""


@dataclass(frozen=True)
class QueryResult:
    """A query's answer in canonical form: SPARQL JSON for SELECT/ASK, N-Triples for CONSTRUCT/DESCRIBE."""

    kind: ResultKind
    data: bytes
    truncated: bool
    seconds: float


class QueryPool:
    def __init__(self, data_dir: Path, *, workers: int = 2, timeout_s: float = 30.0, max_results: int = 10_000) -> None:
        self.data_dir = data_dir
        self.timeout_s = timeout_s
        self.max_results = max_results
        self._store = ox.Store.read_only(str(data_dir))

    async def run(
        self,
        sparql: str,
        *,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        timeout_s: float | None = None,
    ) -> QueryResult:
        return await anyio.to_thread.run_sync(self._run, sparql, default_graphs, named_graphs)

    def _run(self, sparql: str, default_graphs: list[str] | None, named_graphs: list[str] | None) -> QueryResult:
        started = time.perf_counter()
        kwargs: dict[str, object] = {}
        if default_graphs is not None or named_graphs is not None:
            kwargs["default_graph"] = [ox.NamedNode(g) for g in default_graphs or []]
            kwargs["named_graphs"] = [ox.NamedNode(g) for g in named_graphs or []]
        else:
            kwargs["use_default_graph_as_union"] = True
        try:
            result = self._store.query(sparql, **kwargs)  # type: ignore[arg-type]
        except SyntaxError as exc:
            raise QueryError(str(exc)) from exc
        if isinstance(result, ox.QueryBoolean):
            data = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
            return QueryResult("boolean", data, False, time.perf_counter() - started)
        if isinstance(result, ox.QuerySolutions):
            data = result.serialize(format=ox.QueryResultsFormat.JSON) or b""
            return QueryResult("solutions", data, False, time.perf_counter() - started)
        data = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES) or b""
        return QueryResult("graph", data, False, time.perf_counter() - started)

    def close(self) -> None:
        pass
