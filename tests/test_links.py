"""Deterministic links to external identifiers: patterns, vocabulary links, document graphs.

The links are computed from identifiers kg already holds, so every one can be recomputed
here and compared; none of these tests touches the network.
"""

from __future__ import annotations

import pycountry
import pytest
from rdflib import DCTERMS, FOAF, RDF, Graph, Literal, Namespace, URIRef

from kg import links
from kg.rdf import DocumentGraph, record_to_graph
from kg.record import CommunicationRecord, NormCitation
from kg.validate import format_report, validate_document
from kg.vocab import Vocabulary, load_vocabulary, vocabulary_graph
from support import V, synthetic_record

KG = Namespace("https://w3id.org/kg-spcomm/ontology#")
BASE = "https://x.test/"
UNGP_PDF = (
    "https://www.ohchr.org/sites/default/files/documents/publications/guidingprinciplesbusinesshr_en.pdf"
)


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture(scope="module")
def graph() -> Graph:
    return vocabulary_graph()


# -- patterns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("symbol", "url"),
    [
        ("A/HRC/RES/44/15", "https://undocs.org/A/HRC/RES/44/15"),
        ("E/CN.4/RES/2004/37", "https://undocs.org/E/CN.4/RES/2004/37"),
        ("E/RES/1982/35", "https://undocs.org/E/RES/1982/35"),
        ("  A/HRC/17/31 ", "https://undocs.org/A/HRC/17/31"),
        ("E/CN.4/RES/20(XXXVI)", "https://undocs.org/E/CN.4/RES/20%28XXXVI%29"),
        ("E/CN.4/RES/1993/2 A", "https://undocs.org/E/CN.4/RES/1993/2%20A"),
    ],
)
def test_undocs_url_pattern(symbol: str, url: str) -> None:
    assert links.undocs_url(symbol) == url


def test_undocs_url_refuses_an_empty_symbol() -> None:
    with pytest.raises(ValueError):
        links.undocs_url("  ")


@pytest.mark.parametrize(
    ("reference", "url"),
    [
        ("AL OTH 70/2020", "https://spcommreports.ohchr.org/TmSearch/RelCom?code=OTH+70%2F2020"),
        ("AL CHN 18/2020", "https://spcommreports.ohchr.org/TmSearch/RelCom?code=CHN+18%2F2020"),
        ("ua  bra 02 / 2017", "https://spcommreports.ohchr.org/TmSearch/RelCom?code=BRA+2%2F2017"),
    ],
)
def test_ohchr_search_url_pattern(reference: str, url: str) -> None:
    assert links.ohchr_search_url(reference) == url


def test_ohchr_search_url_refuses_what_is_not_a_reference() -> None:
    with pytest.raises(ValueError):
        links.ohchr_search_url("Human Rights Council resolution 44/15")


def test_ungp_publication_url() -> None:
    assert links.ungp_publication_url() == UNGP_PDF


# -- vocabularies ---------------------------------------------------------------------------


def test_every_vocabulary_resolution_links_to_its_symbol_on_undocs(graph: Graph) -> None:
    resolutions = set(graph.subjects(RDF.type, KG.Resolution))
    assert len(resolutions) > 50
    problems = []
    for resolution in sorted(resolutions):
        symbols = list(graph.objects(resolution, KG.documentSymbol))
        pages = set(graph.objects(resolution, FOAF.page))
        if not symbols:
            continue
        expected = {URIRef(links.undocs_url(str(symbols[0])))}
        if pages != expected:
            problems.append(f"{resolution}: foaf:page {sorted(pages)}, expected {sorted(expected)}")
    assert not problems, "\n".join(problems)


def test_guiding_principles_and_the_instrument_link_to_the_publication(graph: Graph) -> None:
    principles = set(graph.subjects(RDF.type, KG.GuidingPrinciple))
    assert len(principles) == 31
    ungp = URIRef(V + "instrument/ungp")
    for node in sorted(principles | set(graph.subjects(RDF.type, KG.Pillar)) | {ungp}):
        assert set(graph.objects(node, FOAF.page)) == {URIRef(links.ungp_publication_url())}, node
    assert set(graph.objects(ungp, DCTERMS.identifier)) == {Literal(links.UNGP_PUBLICATION_SYMBOL)}


def test_states_carry_iso_alpha2_alpha3_and_m49_codes(graph: Graph) -> None:
    states = set(graph.subjects(RDF.type, KG.State))
    assert len(states) == len(pycountry.countries)
    for state in states:
        alpha3 = str(state).rsplit("/", 1)[-1]
        country = pycountry.countries.get(alpha_3=alpha3)
        assert country is not None, state
        assert set(graph.objects(state, KG.isoAlpha2)) == {Literal(country.alpha_2)}, state
        assert set(graph.objects(state, KG.isoAlpha3)) == {Literal(country.alpha_3)}, state
        # ISO 3166-1 numeric codes are the UN M49 codes of the same countries.
        assert set(graph.objects(state, KG.isoNumeric)) == {Literal(country.numeric)}, state


# -- document graphs -------------------------------------------------------------------------


def _record_with_new_resolutions() -> CommunicationRecord:
    """The synthetic letter, also citing resolutions that are not in the vocabulary."""
    record = synthetic_record()
    mandates = [*record.mandates]
    mandates[1] = mandates[1].model_copy(update={"resolution": "58/99"})
    norms = [
        *record.norms_cited,
        NormCitation(kind="resolution", id="A/HRC/RES/58/98", label="resolution 58/98"),
        NormCitation(kind="resolution", id="E/CN.4/RES/21(XXXVII)", label="resolution 21 (XXXVII)"),
    ]
    return record.model_copy(
        update={"mandates": mandates, "resolutions": ["44/15", "58/99", "2003/199"], "norms_cited": norms}
    )


def _build(record: CommunicationRecord, vocab: Vocabulary) -> DocumentGraph:
    return record_to_graph(record, base=BASE, vocab=vocab)


def test_document_links_its_communication_to_the_ohchr_search(vocab: Vocabulary) -> None:
    doc = _build(synthetic_record(), vocab)
    pages = set(doc.graph.objects(doc.communication, FOAF.page))
    assert pages == {URIRef("https://spcommreports.ohchr.org/TmSearch/RelCom?code=OTH+901%2F2024")}


def test_minted_resolutions_link_to_undocs(vocab: Vocabulary) -> None:
    record = _record_with_new_resolutions()
    doc = _build(record, vocab)
    minted = {
        str(symbol): set(doc.graph.objects(node, FOAF.page))
        for node, symbol in doc.graph.subject_objects(KG.documentSymbol)
    }
    assert minted == {
        "A/HRC/RES/58/99": {URIRef("https://undocs.org/A/HRC/RES/58/99")},
        "E/CN.4/RES/2003/199": {URIRef("https://undocs.org/E/CN.4/RES/2003/199")},
        "A/HRC/RES/58/98": {URIRef("https://undocs.org/A/HRC/RES/58/98")},
        "E/CN.4/RES/21(XXXVII)": {URIRef("https://undocs.org/E/CN.4/RES/21%28XXXVII%29")},
    }
    # Resolutions already in the vocabulary get their link there, not again in each document.
    assert not set(doc.graph.objects(URIRef(V + "resolution/hrc-44-15"), FOAF.page))


@pytest.mark.parametrize("record", [synthetic_record(), _record_with_new_resolutions()], ids=["plain", "new"])
def test_documents_with_links_still_conform(record: CommunicationRecord, vocab: Vocabulary) -> None:
    report = validate_document(_build(record, vocab), vocab=vocab)
    assert report.conforms, format_report(report, source="synthetic record")
