"""The ingest workflow: whole documents or nothing, idempotent, conflicts refused, bad input reported."""

from __future__ import annotations

import io

import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.errors import NotFound
from kg.ingest import ingest_paths, remove_document
from kg.store import EmbeddedStore
from support import synthetic_record


@pytest.fixture
def settings(tmp_path):
    return Settings(data_dir=tmp_path / "db", base_iri="https://x.test/")


@pytest.fixture
def store(settings):
    return EmbeddedStore(settings.store_dir)


def dump(store: EmbeddedStore) -> set[str]:
    buffer = io.BytesIO()
    store.dump(buffer, ox.RdfFormat.N_QUADS)
    return {line for line in buffer.getvalue().decode().splitlines() if "ingestedAt" not in line}


def write_record(path, record):
    path.write_text(record.to_json())
    return path


def test_ingest_then_reingest_changes_nothing(tmp_path, store, settings):
    f = write_record(tmp_path / "a.json", synthetic_record())
    [first] = ingest_paths([f], store, settings)
    assert first.status == "added" and first.reference == "AL OTH 901/2024"
    before = dump(store)
    [second] = ingest_paths([f], store, settings)
    assert second.status == "unchanged"
    assert dump(store) == before


def test_different_document_with_same_reference_is_refused_unless_replace(tmp_path, store, settings):
    ingest_paths([write_record(tmp_path / "a.json", synthetic_record())], store, settings)
    changed = write_record(tmp_path / "b.json", synthetic_record(company="Other Corp"))
    [refused] = ingest_paths([changed], store, settings)
    assert refused.status == "failed" and "--replace" in (refused.error or "")
    [replaced] = ingest_paths([changed], store, settings, replace=True)
    assert replaced.status == "replaced"
    assert any("other-corp" in line for line in dump(store))
    assert not any("acme-mining" in line for line in dump(store))


def test_invalid_document_is_rejected_and_store_unchanged(tmp_path, store, settings):
    ingest_paths([write_record(tmp_path / "ok.json", synthetic_record())], store, settings)
    before = dump(store)
    bad = synthetic_record("AL OTH 902/2024")
    bad.date = None  # a communication needs its date: a Violation
    bad.mandates = []
    [result] = ingest_paths([write_record(tmp_path / "bad.json", bad)], store, settings)
    assert result.status == "rejected"
    assert result.report is not None and not result.report.conforms
    assert {i.severity for i in result.report.results} >= {"Violation"}
    assert dump(store) == before


def test_batch_goes_on_after_a_bad_file(tmp_path, store, settings):
    (tmp_path / "in").mkdir()
    write_record(tmp_path / "in" / "1.json", synthetic_record("AL OTH 1/2024"))
    (tmp_path / "in" / "2.json").write_text('{"reference": "not a reference"}')
    (tmp_path / "in" / "3.txt").write_bytes(b"")
    write_record(tmp_path / "in" / "4.json", synthetic_record("UA OTH 4/2024"))
    results = ingest_paths([tmp_path / "in"], store, settings)
    assert [r.status for r in results] == ["added", "failed", "failed", "added"]
    assert "reference" in (results[1].error or "")
    assert "empty" in (results[2].error or "").lower()


def test_dry_run_stores_nothing(tmp_path, store, settings):
    [result] = ingest_paths(
        [write_record(tmp_path / "a.json", synthetic_record())], store, settings, dry_run=True
    )
    assert result.status == "checked"
    assert len(store) == 0


def test_remove_drops_the_document_graph(tmp_path, store, settings):
    ingest_paths([write_record(tmp_path / "a.json", synthetic_record())], store, settings)
    remove_document(store, settings, "al oth 901/2024")
    assert not any("al-oth-901-2024" in line for line in dump(store))
    with pytest.raises(NotFound, match="not in the store"):
        remove_document(store, settings, "AL OTH 901/2024")


def test_vocabularies_are_loaded_once_per_change(tmp_path, store, settings):
    from kg.ingest import ensure_static_graphs

    ingest_paths([write_record(tmp_path / "a.json", synthetic_record())], store, settings)
    assert ensure_static_graphs(store) == []
    assert "https://w3id.org/kg-spcomm/graph/ontology" in store.graph_names()
