"""A polite SPARQL client for public endpoints: SPARQLWrapper plus the manners Wikidata asks for.

The Wikidata Query Service blocks clients without a descriptive User-Agent, stops queries
after 60 s and answers 429 (with Retry-After) when a client asks too fast. So every request
here names kg, has its own timeout, is retried a bounded number of times on 429 and 5xx
(waiting as long as Retry-After says, else an exponential backoff), and its answer is
cached on disk, keyed by endpoint and query, so a second run (or ``--offline``) asks nothing.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import time
import urllib.error
from collections.abc import Callable
from pathlib import Path
from typing import Any

from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointInternalError, SPARQLWrapperException

from kg import __version__
from kg.errors import KgError

DEFAULT_ENDPOINT = "https://query.wikidata.org/sparql"
PROJECT_URL = "https://w3id.org/kg-spcomm"
USER_AGENT = f"kg/{__version__} (+{PROJECT_URL})"
_RETRY_STATUSES = {429, 500, 502, 503, 504}


class EndpointError(KgError):
    """The endpoint could not answer (after the retries allowed), or answered nonsense."""


class CacheMiss(KgError):
    """``--offline`` and the answer to this query is not in the cache."""


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class SparqlClient:
    """SELECT queries against one endpoint, answered from the cache when it can.

    ``max_attempts`` bounds the tries of one query (first try included); ``max_wait_s``
    caps any single wait (a server asking for an hour is not obeyed, the query fails);
    ``budget_s`` bounds the whole retry loop of one query.
    """

    def __init__(
        self,
        endpoint: str = DEFAULT_ENDPOINT,
        *,
        cache_dir: Path | None = None,
        offline: bool = False,
        refresh: bool = False,
        timeout_s: float = 60.0,
        max_attempts: int = 4,
        backoff_s: float = 1.0,
        max_wait_s: float = 60.0,
        budget_s: float = 300.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise EndpointError(f"the endpoint must be an http(s) URL, got {endpoint!r} (--endpoint)")
        self.endpoint = endpoint
        self.cache_dir = cache_dir
        self.offline = offline
        self.refresh = refresh  # ask again even when the cache has the answer (then update it)
        self.timeout_s = timeout_s
        self.max_attempts = max(1, max_attempts)
        self.backoff_s = backoff_s
        self.max_wait_s = max_wait_s
        self.budget_s = budget_s
        self._sleep = sleep
        self.requests = 0  # HTTP requests sent (retries included): for reports and tests
        self.cache_hits = 0

    # -- cache ------------------------------------------------------------------------------

    def cache_key(self, query: str) -> str:
        return hashlib.sha256(f"{self.endpoint}\n{query}".encode()).hexdigest()

    def _cache_path(self, query: str) -> Path | None:
        if self.cache_dir is None:
            return None
        key = self.cache_key(query)
        return self.cache_dir / key[:2] / f"{key}.json"

    def _cached(self, query: str) -> dict[str, Any] | None:
        path = self._cache_path(query)
        if path is None or not path.is_file():
            return None
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # a damaged entry is asked again, not trusted
        self.cache_hits += 1
        return entry["result"]

    def _store(self, query: str, result: dict[str, Any]) -> None:
        path = self._cache_path(query)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        entry = {"endpoint": self.endpoint, "query": query, "fetched": time.time(), "result": result}
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)  # atomic: a crash never leaves half an answer in the cache

    # -- querying ---------------------------------------------------------------------------

    def select(self, query: str) -> list[dict[str, dict[str, str]]]:
        """The bindings of a SELECT query (SPARQL JSON results), from the cache or the endpoint."""
        result = None if self.refresh and not self.offline else self._cached(query)
        if result is None:
            if self.offline:
                raise CacheMiss(f"--offline: no cached answer from {self.endpoint} for this query")
            result = self._fetch(query)
            self._store(query, result)
        try:
            return list(result["results"]["bindings"])
        except (KeyError, TypeError) as exc:
            raise EndpointError(f"{self.endpoint} did not answer with SPARQL JSON results") from exc

    def _fetch(self, query: str) -> dict[str, Any]:
        started = time.monotonic()
        last = "no attempt made"
        for attempt in range(1, self.max_attempts + 1):
            wait: float | None = None
            try:
                self.requests += 1
                return self._request(query)
            except urllib.error.HTTPError as exc:  # SPARQLWrapper re-raises 429, 502, 503, 504 as is
                if exc.code not in _RETRY_STATUSES:
                    raise EndpointError(f"{self.endpoint} answered HTTP {exc.code}: {exc.reason}") from exc
                last = f"HTTP {exc.code}"
                wait = _retry_after(exc.headers.get("Retry-After") if exc.headers else None)
            except EndPointInternalError as exc:  # SPARQLWrapper's name for HTTP 500
                last = f"HTTP 500: {str(exc).splitlines()[0][:200]}"
            except SPARQLWrapperException as exc:
                raise EndpointError(f"{self.endpoint} rejected the query: {str(exc)[:300]}") from exc
            except TimeoutError as exc:
                last = f"no answer within {self.timeout_s:g} s ({exc})"
            except urllib.error.URLError as exc:
                last = f"cannot reach it ({exc.reason})"
            except ValueError as exc:  # the body is not JSON
                raise EndpointError(f"{self.endpoint} did not answer with JSON: {exc}") from exc
            if attempt == self.max_attempts:
                break
            if wait is None:
                wait = self.backoff_s * 2 ** (attempt - 1)
            if wait > self.max_wait_s:
                last += f"; it asked to wait {wait:g} s, more than the {self.max_wait_s:g} s allowed"
                break
            if time.monotonic() - started + wait > self.budget_s:
                last += f"; retrying would pass the {self.budget_s:g} s budget"
                break
            self._sleep(wait)
        raise EndpointError(
            f"{self.endpoint} did not answer after {attempt} attempt(s): {last}. "
            "Try again later, or use --offline to work from the cache."
        )

    def _request(self, query: str) -> dict[str, Any]:
        wrapper = SPARQLWrapper(self.endpoint, agent=USER_AGENT, returnFormat=JSON)
        wrapper.setMethod(POST)  # batched VALUES make long queries: keep them out of the URL
        wrapper.setTimeout(int(max(1, round(self.timeout_s))))
        wrapper.setQuery(query)
        response = wrapper.query()
        result = response.convert()
        if not isinstance(result, dict):
            raise ValueError("the answer is not a JSON object")
        return result
