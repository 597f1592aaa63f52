"""Readers keep getting consistent answers while writers ingest beside a running server.

Batches of fictional letters are ingested by separate `kg ingest` processes while a client
keeps asking the server how many triples each graph holds. Every answer must show only whole
documents (each exactly as large as a clean ingest makes it, always with its inferred graph),
documents never disappear between answers, and no request fails.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from kg.config import Settings
from kg.ingest import ingest_record
from kg.store import EmbeddedStore
from support import build_store, synthetic_record

pytest_plugins = ["server_fixture"]

BATCHES, PER_BATCH = 4, 5
COUNTS = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"


def records() -> list[Any]:
    return [
        synthetic_record(f"AL OTH {600 + i}/2025", company=f"Fictional Reader Co {i}")
        for i in range(BATCHES * PER_BATCH)
    ]


def expected_sizes(folder: Path) -> dict[str, int]:
    """Triples per graph when each letter is ingested alone into a clean store."""
    settings = Settings(data_dir=folder)
    store = EmbeddedStore(settings.store_dir)
    for record in records():
        assert ingest_record(record, store, settings, source="reference").ok
    sizes = {g: sum(1 for _ in store.graph_triples(g)) for g in store.graph_names()}
    del store
    return sizes


def test_answers_show_only_whole_documents_while_batches_land(
    tmp_path: Path, kg_server_launcher: Any
) -> None:
    sizes = {g: n for g, n in expected_sizes(tmp_path / "reference").items() if "/graph/al-oth-6" in g}
    assert len(sizes) == 2 * BATCHES * PER_BATCH  # each letter's graph and its inferred graph
    data = build_store(tmp_path, [])
    batches = []
    for b in range(BATCHES):
        folder = tmp_path / f"batch-{b}"
        folder.mkdir()
        for record in records()[b * PER_BATCH : (b + 1) * PER_BATCH]:
            (folder / f"{record.reference.split()[2].replace('/', '-')}.json").write_text(
                record.model_dump_json(), encoding="utf-8"
            )
        batches.append(folder)

    answers: list[dict[str, int]] = []
    failures: list[str] = []
    done = threading.Event()

    def read(base: str) -> None:
        with httpx.Client(base_url=base, timeout=30) as client:
            while not done.is_set() or len(answers) < 3:
                response = client.get("/sparql", params={"query": COUNTS, "format": "json"})
                if response.status_code != 200:
                    failures.append(f"{response.status_code}: {response.text[:200]}")
                    continue
                rows = response.json()["results"]["bindings"]
                answers.append(
                    {r["g"]["value"]: int(r["n"]["value"]) for r in rows if r["g"]["value"] in sizes}
                )

    with kg_server_launcher(data) as base:
        reader = threading.Thread(target=read, args=(base,))
        reader.start()
        try:
            for folder in batches:
                subprocess.run(
                    [sys.executable, "-m", "kg.cli", "ingest", str(folder), "--data-dir", str(data)],
                    check=True,
                    capture_output=True,
                    timeout=120,
                )
        finally:
            done.set()
            reader.join(timeout=60)
        final = httpx.get(f"{base}/sparql", params={"query": COUNTS, "format": "json"}).json()

    assert not failures, failures[:3]
    assert len(answers) >= 3
    assert len({len(a) for a in answers}) >= 3, "the reader saw too few publications to prove anything"
    seen: set[str] = set()
    for answer in answers:
        for graph, count in answer.items():
            assert count == sizes[graph], f"{graph} held {count} triples, a whole document has {sizes[graph]}"
        documents = {g for g in answer if not g.endswith("/inferred")}
        assert {g + "/inferred" for g in documents} == {g for g in answer if g.endswith("/inferred")}
        assert seen <= set(answer), "a document disappeared between two answers"
        seen = set(answer)
    landed = {r["g"]["value"] for r in final["results"]["bindings"] if r["g"]["value"] in sizes}
    assert landed == set(sizes)
