"""Answers kept in memory while the snapshot they came from is the one being served.

A published snapshot never changes (kg.publish writes a new one instead), so the answer to the
same query over the same snapshot is the same bytes for as long as that publication is
current: a repeated query (a company's page, a canned query behind a link) need not go to a
worker process again. The cache follows one publication at a time and forgets everything
when the server moves to the next one; an answer that arrives late from a previous
publication is dropped, never filed under the new one.

The key holds everything that shapes an answer: the audience (an answer given to a token
holder may show embargoed letters and must never reach a public request), the query text,
the dataset (default and named graphs) and the row cap. Sources that can change under kg
(an external store) have no publication and are never cached.

Memory is bounded in bytes (KG_ANSWER_CACHE_MB), least recently used first out; an answer
larger than an eighth of the budget is not kept, so one big answer cannot flush the rest.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from kg.workers import QueryResult

__all__ = ["AnswerCache", "CacheKey", "cache_key"]

# Bookkeeping per entry beyond the answer and query bytes (tuple, dataclass, dict slot), so a
# flood of tiny answers is bounded too.
_ENTRY_OVERHEAD = 256
_LARGEST_SHARE = 8

CacheKey = tuple[str, str, tuple[str, ...] | None, tuple[str, ...] | None, int]
"""(audience, query text, default graphs, named graphs, max results)."""


def cache_key(
    audience: str,
    sparql: str,
    default_graphs: list[str] | None,
    named_graphs: list[str] | None,
    max_results: int,
) -> CacheKey:
    return (
        audience,
        sparql,
        None if default_graphs is None else tuple(default_graphs),
        None if named_graphs is None else tuple(named_graphs),
        max_results,
    )


@dataclass(frozen=True)
class _Entry:
    result: QueryResult
    size: int


class AnswerCache:
    """A byte-bounded LRU of query answers for the current publication only.

    Used from the server's event loop only (no locking): ``get`` and ``put`` never await.
    """

    def __init__(self, max_bytes: int) -> None:
        if max_bytes < 0:
            raise ValueError(f"the answer cache size must be 0 (off) or more, got {max_bytes} bytes")
        self.max_bytes = max_bytes
        self.publication: str | None = None
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[CacheKey, _Entry] = OrderedDict()

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._entries)

    def follow(self, publication: str | None) -> None:
        """Serve ``publication`` from now on: answers of any other are forgotten."""
        if publication != self.publication:
            self.clear()
            self.publication = publication

    def clear(self) -> None:
        self._entries.clear()
        self.bytes = 0

    def get(self, publication: str | None, key: CacheKey) -> QueryResult | None:
        if publication is None or publication != self.publication or not self.max_bytes:
            return None
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry.result

    def put(self, publication: str | None, key: CacheKey, result: QueryResult) -> bool:
        """Keep an answer computed on ``publication``; False when it is not kept (stale, too big, off)."""
        if publication is None or publication != self.publication or not self.max_bytes:
            return False
        size = len(result.data) + len(key[1]) + _ENTRY_OVERHEAD
        if size * _LARGEST_SHARE > self.max_bytes:
            return False
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        self._entries[key] = _Entry(result, size)
        self.bytes += size
        while self.bytes > self.max_bytes:
            _, evicted = self._entries.popitem(last=False)
            self.bytes -= evicted.size
        return True
