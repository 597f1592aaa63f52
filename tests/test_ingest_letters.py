"""Ingesting letters end to end: a PDF made here, the real corpus, and inputs that are not letters."""

from __future__ import annotations

import pytest
from fpdf import FPDF

from kg.config import Settings
from kg.ingest import ingest_paths
from kg.query import run_query
from kg.store import EmbeddedStore
from support import CORPUS

# A fictional letter: the company, people and facts are invented; mandates and States are real vocabulary.
FICTIONAL_LETTER = [
    "Mandates of the Special Rapporteur on the right to food and the Special Rapporteur on the "
    "human rights of migrants",
    "REFERENCE: AL OTH 412/2031",
    "4 February 2032",
    "Dear Ms. Quillfeather,",
    "We have the honour to address you in our capacities as Special Rapporteur on the right to food "
    "and Special Rapporteur on the human rights of migrants, pursuant to Human Rights Council "
    "resolutions 49/13 and 52/20.",
    "In this connection, we have received information that migrant workers at plantations supplying "
    "Brightwater Orchards Ltd in Brazil were subjected to forced labour between 2029 and 2031.",
    "Brightwater Orchards Ltd",
    "As it is our responsibility, under the mandates provided to us by the Human Rights Council, to seek "
    "to clarify all cases brought to our attention, we would be grateful for your observations on the "
    "following matters:",
    "1. Please provide any additional information you may have on the above-mentioned allegations.",
    "2. Please explain what human rights due diligence your company has undertaken.",
    "This communication and any response received from your company will be made public via the "
    "communications reporting website in 60 days.",
    "Please accept, Ms. Quillfeather, the assurances of our highest consideration.",
    "Orla Fenwick",
    "Special Rapporteur on the right to food",
    "Tomas Reyvik",
    "Special Rapporteur on the human rights of migrants",
]


def make_pdf(path, paragraphs):
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for paragraph in paragraphs:
        pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(path))
    return path


@pytest.fixture
def store_and_settings(tmp_path):
    settings = Settings(data_dir=tmp_path / "db", base_iri="https://x.test/")
    return EmbeddedStore(settings.store_dir), settings


def test_a_pdf_letter_lands_and_can_be_queried(tmp_path, store_and_settings):
    store, settings = store_and_settings
    pdf = make_pdf(tmp_path / "letter.pdf", FICTIONAL_LETTER)
    [result] = ingest_paths([pdf], store, settings)
    assert result.status == "added", (result.error, result.report)
    assert result.reference == "AL OTH 412/2031"
    rows = run_query(
        store,
        """PREFIX kg: <https://w3id.org/kg-spcomm/ontology#>
        PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
        SELECT ?name ?date (COUNT(DISTINCT ?m) AS ?mandates) (COUNT(DISTINCT ?q) AS ?questions) WHERE {
          ?c kg:reference "AL OTH 412/2031" ; kg:addressedTo ?co ; kg:dateSent ?date ;
             kg:sentByMandate ?m ; kg:asksQuestion ?q .
          ?co rdfs:label ?name } GROUP BY ?name ?date""",
    ).values()
    assert rows == [
        {"name": "Brightwater Orchards Ltd", "date": "2032-02-04", "mandates": "2", "questions": "2"}
    ]


def test_inputs_that_are_not_letters_fail_with_a_reason_and_store_nothing(tmp_path, store_and_settings):
    store, settings = store_and_settings
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "empty.txt").write_bytes(b"")
    (tmp_path / "in" / "binary.txt").write_bytes(bytes(range(256)) * 8)
    (tmp_path / "in" / "prose.txt").write_text("The river rose in the night and the ferry did not run. " * 5)
    (tmp_path / "in" / "fake.pdf").write_bytes(b"%PDF-1.4 this is not really a PDF")
    results = {r.source.rsplit("/", 1)[-1]: r for r in ingest_paths([tmp_path / "in"], store, settings)}
    assert {name: r.status for name, r in results.items()} == dict.fromkeys(
        ["binary.txt", "empty.txt", "fake.pdf", "prose.txt"], "failed"
    )
    for name, r in results.items():
        assert name in (r.error or ""), f"the error for {name} does not name the file: {r.error}"
    assert not [g for g in store.graph_names() if "/graph/" in g and "kg-spcomm/graph/" not in g]


def test_a_truncated_letter_lands_with_warnings(tmp_path, store_and_settings):
    store, settings = store_and_settings
    letter = tmp_path / "cut.txt"
    letter.write_text("\n\n".join(FICTIONAL_LETTER[:6])[:-40])
    [result] = ingest_paths([letter], store, settings)
    assert result.status == "added", (result.error, result.report)
    assert any("truncated" in w for w in result.warnings)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/corpus is not present on this machine")
def test_the_whole_corpus_lands_and_reingest_changes_nothing(tmp_path, store_and_settings):
    store, settings = store_and_settings
    first = ingest_paths([CORPUS], store, settings)
    assert [(r.reference, r.status) for r in first] == [
        ("AL CHN 18/2020", "added"),
        ("AL OTH 70/2020", "added"),
        ("OL OTH 17/2019", "added"),
        ("UA GBR 3/2019", "added"),
        ("UA SYR 3/2014", "added"),
    ]
    size = len(store)
    again = ingest_paths([CORPUS], store, settings)
    assert {r.status for r in again} == {"unchanged"}
    assert len(store) == size
