"""The answer cache: repeated queries are answered from memory, never across audiences or publications.

Each server here is a real ``kg serve``; a writer (``kg ingest`` in this process) publishes
while it runs. A cached answer is recognisable by its Server-Timing header (``cache;desc="hit"``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.server.answer_cache import AnswerCache, cache_key
from kg.workers import QueryResult
from support import build_store, synthetic_record

pytest_plugins = ["server_fixture"]

TOKEN = "cache-test-token-81d2"
OPERATOR = {"Authorization": f"Bearer {TOKEN}"}
MARKER = "VXCACHEMARKER4"
COUNT = "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c a <https://w3id.org/kg-spcomm/ontology#Communication> }"
LABELS = "SELECT (GROUP_CONCAT(STR(?l)) AS ?all) WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l }"
runner = CliRunner()


def ingest(data_dir: Path, record: Any, *flags: str) -> None:
    path = data_dir.parent / f"{record.reference.replace(' ', '-').replace('/', '-')}.json"
    path.write_text(record.model_dump_json(), encoding="utf-8")
    result = runner.invoke(app, ["ingest", str(path), "--data-dir", str(data_dir), *flags])
    assert result.exit_code == 0, result.output


def ask(base: str, query: str, headers: dict[str, str] | None = None) -> httpx.Response:
    response = httpx.get(
        f"{base}/sparql", params={"query": query}, headers={"accept": "application/json", **(headers or {})}
    )
    assert response.status_code == 200, response.text
    return response


def cached(response: httpx.Response) -> bool:
    return 'cache;desc="hit"' in response.headers.get("server-timing", "")


def count(response: httpx.Response) -> int:
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.fixture(scope="module")
def embargoed_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample plus one letter under embargo until 2099, whose company label carries MARKER."""
    data = build_store(tmp_path_factory.mktemp("cache"), [])
    record = synthetic_record("AL OTH 961/2026", company=f"{MARKER} Holdings Ltd")
    ingest(data, record, "--embargo-until", "2099-01-01")
    return data


@pytest.fixture(scope="module")
def server(embargoed_data: Path, kg_server_launcher: Any) -> Iterator[str]:
    with kg_server_launcher(embargoed_data, env={"KG_ACCESS_TOKENS": TOKEN}) as base:
        yield base


def test_a_repeated_query_is_answered_from_the_cache_with_the_same_bytes(server: str) -> None:
    query = COUNT + " # repeated"
    first, second = ask(server, query), ask(server, query)
    assert not cached(first) and cached(second)
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"]
    fresh = ask(server, query, {"Cache-Control": "no-cache"})  # HTTP's way to ask for a fresh answer
    assert not cached(fresh) and fresh.content == first.content


def test_a_token_holders_answer_never_reaches_a_public_request(server: str) -> None:
    query = LABELS + " # operator first"
    full = ask(server, query, OPERATOR)
    assert MARKER in full.text
    assert cached(ask(server, query, OPERATOR))  # the cache is in play for this query
    public = ask(server, query)
    assert MARKER not in public.text and not cached(public)
    assert MARKER not in ask(server, query).text


def test_a_public_answer_is_not_given_to_a_token_holder(server: str) -> None:
    query = LABELS + " # public first"
    public = ask(server, query)
    assert MARKER not in public.text
    assert cached(ask(server, query))
    full = ask(server, query, OPERATOR)
    assert MARKER in full.text and not cached(full)


def test_answers_are_forgotten_when_a_writer_publishes(tmp_path: Path, kg_server_launcher: Any) -> None:
    data = build_store(tmp_path, [])
    with kg_server_launcher(data) as base:
        before = ask(base, COUNT)
        assert cached(ask(base, COUNT))
        ingest(data, synthetic_record("AL OTH 962/2026", company="Cachefresh Mining Ltd"))
        after = ask(base, COUNT)
        assert count(after) == count(before) + 1 and not cached(after)
        assert cached(ask(base, COUNT))


def test_size_zero_turns_the_cache_off(embargoed_data: Path, kg_server_launcher: Any) -> None:
    with kg_server_launcher(embargoed_data, "--answer-cache-mb", "0") as base:
        answers = [ask(base, COUNT) for _ in range(3)]
    assert not any(cached(a) for a in answers)
    assert len({a.content for a in answers}) == 1


def test_the_cache_stays_within_its_byte_budget_and_drops_stale_answers() -> None:
    cache = AnswerCache(64 * 1024)
    cache.follow("pub-1")
    answer = QueryResult("solutions", b"x" * 4000, False, 0.01)
    for i in range(100):
        assert cache.put("pub-1", cache_key("public", f"query {i}", None, None, 10), answer)
    assert cache.bytes <= 64 * 1024 and 0 < len(cache) < 100
    assert cache.get("pub-1", cache_key("public", "query 99", None, None, 10)) == answer  # newest kept
    assert cache.get("pub-1", cache_key("public", "query 0", None, None, 10)) is None  # oldest gone
    huge = QueryResult("solutions", b"x" * 32 * 1024, False, 0.01)
    assert not cache.put("pub-1", cache_key("public", "huge", None, None, 10), huge)
    cache.follow("pub-2")
    assert len(cache) == 0 and cache.bytes == 0
    # An answer computed on the previous publication arrives late: not filed under the new one.
    assert not cache.put("pub-1", cache_key("public", "late", None, None, 10), answer)
    assert cache.get("pub-2", cache_key("public", "late", None, None, 10)) is None


def test_a_negative_cache_size_is_refused_before_serving(embargoed_data: Path) -> None:
    flag = runner.invoke(app, ["serve", "--data-dir", str(embargoed_data), "--answer-cache-mb", "-1"])
    assert flag.exit_code == 2 and "--answer-cache-mb" in flag.output
    variable = runner.invoke(
        app, ["serve", "--data-dir", str(embargoed_data)], env={"KG_ANSWER_CACHE_MB": "-5"}
    )
    assert variable.exit_code == 2 and "KG_ANSWER_CACHE_MB" in variable.output
