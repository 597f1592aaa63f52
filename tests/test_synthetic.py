"""bench/synthetic.py: fictional letters with the corpus' shape, stored exactly as kg ingest stores them."""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

import jsonschema
import pyoxigraph as ox
import pytest

from kg.config import Settings
from kg.ingest import ensure_static_graphs, ingest_record
from kg.paths import KG
from kg.record import CommunicationRecord
from kg.store import EmbeddedStore
from kg.validate import validate_document
from kg.vocab import load_vocabulary

ROOT = Path(__file__).resolve().parent.parent
N = 300


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("synthetic", ROOT / "bench" / "synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["synthetic"] = module  # worker processes find _chunk by this name
    spec.loader.exec_module(module)
    return module


synthetic = _load()


@pytest.fixture(scope="module")
def records() -> list[CommunicationRecord]:
    return list(synthetic.generate_records(N, seed=3))


def test_records_follow_the_published_json_schema(records: list[CommunicationRecord]) -> None:
    schema = json.loads((ROOT / "schema" / "record.schema.json").read_text())
    validator = jsonschema.Draft202012Validator(schema)
    for record in records[:60]:
        errors = list(validator.iter_errors(json.loads(record.to_json())))
        assert not errors, f"{record.reference}: {errors[0].message}"
    assert len({r.reference for r in records}) == N  # one document graph each


def test_documents_pass_the_shacl_shapes(records: list[CommunicationRecord]) -> None:
    from kg.rdf import record_to_graph

    vocab = load_vocabulary()
    # A spread of kinds: the first letters to a company and to a State, and a joint one.
    chosen = [next(r for r in records if r.recipient and r.recipient.kind == k) for k in ("company", "state")]
    chosen += [r for r in records if len(r.mandates) > 3][:1] + records[100:103]
    for record in chosen:
        report = validate_document(
            record_to_graph(record, base=Settings().base_iri, vocab=vocab), vocab=vocab
        )
        assert report.conforms, f"{record.reference}: {[i.message for i in report.violations][:3]}"


def test_every_record_says_it_is_synthetic_and_names_nobody_real(records: list[CommunicationRecord]) -> None:
    for record in records:
        assert synthetic.SYNTHETIC_WARNING in record.warnings
        assert record.source is not None and record.source.file_name is not None
        assert record.source.file_name.startswith("SYNTHETIC-")
        assert record.reference_parts is not None and record.reference_parts.number >= synthetic.FIRST_NUMBER
        assert record.date is not None and record.publication_date is not None
        assert record.publication_date.year <= 2026  # published already: no embargo
    people = {s.name for r in records for s in r.signatories}
    companies = {a.name for r in records for a in [r.recipient, *r.also_sent_to] if a and a.kind == "company"}
    assert people and companies
    for name in people | companies:
        assert (name and name.split()[0] in synthetic._GIVEN + synthetic._COMPANY_A) or any(
            name.startswith(prefix) for prefix in synthetic._COMPANY_A
        )


def test_same_seed_same_records_other_seed_other_records() -> None:
    first = [r.to_json() for r in synthetic.generate_records(40, seed=5)]
    again = [r.to_json() for r in synthetic.generate_records(40, seed=5)]
    other = [r.to_json() for r in synthetic.generate_records(40, seed=6)]
    assert first == again
    assert first != other
    # Record i does not depend on the others, so parallel workers produce the same corpus.
    assert synthetic.record_at(17, 40, 5).to_json() == first[17]


def test_distributions_have_hubs_and_a_long_tail(records: list[CommunicationRecord]) -> None:
    recipients = Counter(r.recipient.kind for r in records if r.recipient)
    assert 0.12 < recipients["company"] / N < 0.32  # about a fifth of letters go to companies
    states = Counter(r.recipient.country for r in records if r.recipient and r.recipient.kind == "state")
    issues = Counter(a.issue_iri.rsplit("/", 1)[1] for r in records for a in r.allegations)
    # Zipf: the head State and issue are in many letters, yet many others appear at least once.
    assert states.most_common(1)[0][0] == "CHN" and states["CHN"] > 5 * statistics.median(states.values())
    assert issues.most_common(1)[0][0] == "forced-labour"
    assert len(states) > 40 and len(issues) > 30
    mandates = [len(r.mandates) for r in records]
    assert min(mandates) == 1 and max(mandates) >= 5 and 1.5 < statistics.mean(mandates) < 4
    joint = sum(1 for m in mandates if m > 1) / N
    assert 0.3 < joint < 0.8
    to_companies = [r for r in records if r.recipient and r.recipient.kind == "company"]
    principles = [n for r in to_companies for n in r.norms_cited if n.kind == "guiding_principle"]
    assert all(any(n.kind == "guiding_principle" for n in r.norms_cited) for r in to_companies)
    assert Counter(n.id for n in principles).most_common(1)[0][0] == "13"
    assert statistics.mean(len(r.questions) for r in to_companies) > statistics.mean(
        len(r.questions) for r in records if r not in to_companies
    )
    letters_per_company = Counter(r.recipient.name for r in to_companies if r.recipient)
    assert letters_per_company.most_common(1)[0][1] >= 2 and 1 in letters_per_company.values()


def test_quads_are_what_kg_ingest_stores(records: list[CommunicationRecord]) -> None:
    settings = Settings()
    vocab = load_vocabulary()
    record = next(r for r in records if r.recipient and r.recipient.kind == "company")
    store = EmbeddedStore(None)
    ensure_static_graphs(store)
    assert ingest_record(record, store, settings, source="test", vocab=vocab).status == "added"

    # Times differ (when it was ingested), and so do the blank nodes of the ontology's lists.
    stamps = {KG + "ingestedAt", "http://www.w3.org/ns/prov#generatedAtTime"}

    def comparable(quads: list[ox.Quad]) -> tuple[set[tuple[str, ...]], int]:
        kept = [q for q in quads if q.predicate.value not in stamps]
        named = [
            q
            for q in kept
            if not isinstance(q.subject, ox.BlankNode) and not isinstance(q.object, ox.BlankNode)
        ]
        return {(str(q.subject), str(q.predicate), str(q.object), str(q.graph_name)) for q in named}, len(
            kept
        )

    stored = comparable(list(store._store.quads_for_pattern(None, None, None, None)))
    ours = comparable(synthetic.document_quads(record, settings, vocab) + synthetic.static_quads())
    assert stored == ours


def test_cli_writes_nquads_and_a_kg_data_dir(tmp_path: Path) -> None:
    out = tmp_path / "synthetic"
    assert synthetic.main(["--communications", "25", "--out", str(out), "--validate-sample", "2"]) == 0
    quads = (out / "data.nq").read_bytes().count(b"\n")
    settings = Settings(data_dir=out / "kg-data")
    store = ox.Store.read_only(str(settings.store_dir))
    assert len(store) == quads
    graphs = {str(g.value) for g in store.named_graphs()}
    kinds = store.query(
        f"SELECT (COUNT(DISTINCT ?g) AS ?n) WHERE {{ GRAPH ?g {{ ?g a <{KG}DocumentGraph> }} }}"
    )
    assert int(next(iter(kinds))["n"].value) == 25  # type: ignore[index]
    assert sum(1 for g in graphs if g.endswith("/inferred")) == 25
    warnings = store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?c <{KG}extractionWarning> ?w }} "
        f'FILTER(STRSTARTS(?w, "SYNTHETIC")) }}'
    )
    assert int(next(iter(warnings))["n"].value) == 25  # type: ignore[index]
    with pytest.raises(SystemExit):
        synthetic.main(["--communications", "5", "--out", str(out)])  # refuses to load into a filled store
