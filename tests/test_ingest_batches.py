"""Ingest in batches: the same store and the same results as one document at a time, and a bulk
write cut short is undone by the next writer that opens the store."""

from __future__ import annotations

import io
import json
import re

import pyoxigraph as ox
import pytest

from kg.config import ONTOLOGY_NS, Settings
from kg.inference import inferred_graph_iri
from kg.ingest import ingest_paths, ingest_record, ingest_records
from kg.publish import EMBARGO_GRAPH, parse_embargo
from kg.record import CommunicationRecord
from kg.store import BULK_MIN_DOCUMENTS, JOURNAL_NAME, EmbeddedStore
from support import synthetic_record

STAMPS = (ONTOLOGY_NS + "ingestedAt", "http://www.w3.org/ns/prov#generatedAtTime")  # differ per ingest
EMBARGO = parse_embargo("2099-01-01")


def letters(count: int, start: int = 0, company: str = "Ltd") -> list[CommunicationRecord]:
    return [
        synthetic_record(f"AL OTH {700 + i}/2024", company=f"Batch Mining {i} {company}")
        for i in range(start, start + count)
    ]


def write(folder, records: list[CommunicationRecord], names: list[str] | None = None):
    folder.mkdir(parents=True, exist_ok=True)
    for i, record in enumerate(records):
        name = names[i] if names else f"r{i:03d}.json"
        (folder / name).write_text(record.model_dump_json(), encoding="utf-8")
    return folder


def dump(store: EmbeddedStore) -> set[str]:
    buffer = io.BytesIO()
    store.dump(buffer, ox.RdfFormat.N_QUADS)
    lines = buffer.getvalue().decode().splitlines()
    # Blank nodes (the ontology's lists) get new labels in every store.
    return {re.sub(r"_:\S+", "[]", line) for line in lines if not any(s in line for s in STAMPS)}


@pytest.fixture
def settings(tmp_path) -> Settings:
    return Settings(data_dir=tmp_path / "batched", base_iri="https://x.test/")


def one_at_a_time(tmp_path, records: list[CommunicationRecord], **options) -> EmbeddedStore:
    """What ingest gave before batches: each record alone, one transaction each."""
    settings = Settings(data_dir=tmp_path / "single", base_iri="https://x.test/")
    store = EmbeddedStore(settings.store_dir)
    ingest_paths([], store, settings)  # the static graphs, as ingest_paths writes them
    for record in records:
        ingest_record(record, store, settings, source="single", **options)
    return store


def test_a_batch_stores_what_one_document_at_a_time_stores(tmp_path, settings):
    records = letters(2 * BULK_MIN_DOCUMENTS + 3)
    store = EmbeddedStore(settings.store_dir)
    results = ingest_paths(
        [write(tmp_path / "in", records)],
        store,
        settings,
        embargo_until=EMBARGO,
        batch_size=BULK_MIN_DOCUMENTS,
    )
    assert [r.status for r in results] == ["added"] * len(records)
    assert [r.reference for r in results] == [r.reference for r in records]  # input order kept
    assert not (settings.store_dir / JOURNAL_NAME).exists()
    assert dump(store) == dump(one_at_a_time(tmp_path, records, embargo_until=EMBARGO))


def test_replacements_and_new_letters_mixed_in_one_batch(tmp_path, settings):
    """Replacing needs a transaction per document; the new ones around them still land, in order."""
    old, new = letters(10), letters(10, company="Holdings")
    mixed = [new[i] if i % 3 == 0 else old[i] for i in range(10)] + letters(12, start=10)
    store = EmbeddedStore(settings.store_dir)
    ingest_paths([write(tmp_path / "first", old)], store, settings)
    results = ingest_paths([write(tmp_path / "second", mixed)], store, settings, replace=True, batch_size=64)
    expected = ["replaced" if i % 3 == 0 else "unchanged" for i in range(10)] + ["added"] * 12
    assert [r.status for r in results] == expected
    reference = one_at_a_time(tmp_path, old)
    for record in mixed:
        ingest_record(record, reference, settings, source="single", replace=True)
    assert dump(store) == dump(reference)


def test_the_same_letter_twice_in_one_batch_is_judged_against_the_first(tmp_path, settings):
    """A later file with the reference of an earlier one in the same batch must see it stored:
    identical means unchanged, different means a conflict, never two versions merged."""
    first, changed = letters(1)[0], letters(1, company="Holdings")[0]
    records = [*letters(9, start=1), first, first, changed]
    store = EmbeddedStore(settings.store_dir)
    results = ingest_paths([write(tmp_path / "in", records)], store, settings, batch_size=64)
    assert [r.status for r in results] == ["added"] * 10 + ["unchanged", "failed"]
    assert "already in the store with different content" in (results[-1].error or "")
    assert dump(store) == dump(one_at_a_time(tmp_path, records[:10]))


def test_a_bulk_write_cut_short_is_undone_when_the_store_opens(tmp_path, settings, capfd):
    """The journal names what an interrupted bulk write was adding; opening the store removes it,
    embargo entries included, and says so, leaving earlier documents alone."""
    kept, cut = letters(3), letters(BULK_MIN_DOCUMENTS, start=3)
    store = EmbeddedStore(settings.store_dir)
    ingest_paths([write(tmp_path / "kept", kept)], store, settings, embargo_until=EMBARGO)
    before = dump(store)
    ingest_paths([write(tmp_path / "cut", cut)], store, settings, embargo_until=EMBARGO)
    graphs = [g for g in store.graph_names() if any(f"oth-{700 + i}-2024" in g for i in range(3, 11))]
    assert len(graphs) == 2 * len(cut)  # each letter and its inferred graph
    embargo = [q for q in store.graph_triples(EMBARGO_GRAPH) if str(q.subject.value) in graphs]
    store.close()
    # What the bulk write leaves behind if the process dies after the data landed but before the
    # journal went: the worst case, everything listed is in the store.
    body = {"graphs": graphs, "extra": ox.serialize(embargo, format=ox.RdfFormat.N_QUADS).decode()}
    (settings.store_dir / JOURNAL_NAME).write_text(json.dumps(body), encoding="utf-8")
    capfd.readouterr()

    reopened = EmbeddedStore(settings.store_dir)
    message = capfd.readouterr().err
    assert "interrupted" in message and f"adding {len(cut)} new" in message
    assert not (settings.store_dir / JOURNAL_NAME).exists()
    assert dump(reopened) == before
    reopened.close()
    EmbeddedStore(settings.store_dir).close()  # nothing left to recover: silent
    assert capfd.readouterr().err == ""


def test_an_unreadable_journal_stops_the_writer_with_instructions(settings):
    EmbeddedStore(settings.store_dir).close()
    (settings.store_dir / JOURNAL_NAME).write_text("{not json", encoding="utf-8")
    with pytest.raises(Exception, match="interrupted bulk write") as info:
        EmbeddedStore(settings.store_dir)
    assert "delete that file" in str(info.value)


def test_inferred_graph_of_each_bulk_document_matches_its_own_ingest(tmp_path, settings):
    records = letters(BULK_MIN_DOCUMENTS)
    store = EmbeddedStore(settings.store_dir)
    ingest_paths([write(tmp_path / "in", records)], store, settings)
    reference = one_at_a_time(tmp_path, records)
    for name in reference.graph_names():
        if name.endswith("/inferred"):
            assert inferred_graph_iri(name.removesuffix("/inferred")) == name
            mine = {str(q) for q in store.graph_triples(name) if str(q.predicate.value) not in STAMPS}
            theirs = {str(q) for q in reference.graph_triples(name) if str(q.predicate.value) not in STAMPS}
            assert mine == theirs, name


def test_embargo_on_unchanged_letters_between_new_ones(tmp_path, settings):
    """An unchanged letter's embargo is written at once, while new letters around it wait in a batch."""
    old, fresh = letters(5), letters(10, start=5)
    mixed = [*fresh[:5], *old, *fresh[5:]]
    store = EmbeddedStore(settings.store_dir)
    ingest_paths([write(tmp_path / "first", old)], store, settings)
    results = ingest_paths([write(tmp_path / "second", mixed)], store, settings, embargo_until=EMBARGO)
    assert [r.status for r in results] == ["added"] * 5 + ["unchanged"] * 5 + ["added"] * 5
    reference = one_at_a_time(tmp_path, old)
    for record in mixed:
        ingest_record(record, reference, settings, source="single", embargo_until=EMBARGO)
    assert dump(store) == dump(reference)
    assert len(list(store.graph_triples(EMBARGO_GRAPH))) == len(mixed)


def test_records_in_memory_ingest_like_files(tmp_path, settings):
    records = letters(BULK_MIN_DOCUMENTS + 2)
    store = EmbeddedStore(settings.store_dir)
    results = ingest_records(records, store, settings)
    assert [(r.source, r.status) for r in results] == [(f"record:{r.reference}", "added") for r in records]
    assert dump(store) == dump(one_at_a_time(tmp_path, records))
