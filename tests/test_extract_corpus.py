"""Extraction on the real letters of ../shared/corpus, against records written by reading them.

The expected facts live in tests/expected/<letter>.json (facts only, no sentences of the
letters). Every evidence span of every record is also checked against the text.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest

from kg.extract import extract_file, extract_text
from kg.record import CommunicationRecord
from kg.vocab import load_vocabulary

EXPECTED_DIR = Path(__file__).parent / "expected"
LETTERS = sorted(p.stem for p in EXPECTED_DIR.glob("*.json"))

pytestmark = pytest.mark.corpus


@pytest.fixture(scope="module")
def records(corpus_dir: Path) -> dict[str, tuple[str, CommunicationRecord]]:
    found = {}
    for name in LETTERS:
        path = corpus_dir / f"{name}.txt"
        found[name] = (path.read_text(encoding="utf-8"), extract_file(path))
    return found


def expected(name: str) -> dict[str, Any]:
    return json.loads((EXPECTED_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_every_corpus_letter_has_an_expectation(corpus_dir: Path) -> None:
    assert sorted(p.stem for p in corpus_dir.glob("*.txt")) == LETTERS


@pytest.mark.parametrize("name", LETTERS)
def test_reference_type_and_date(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    assert record.reference == want["reference"]
    assert record.reference_parts is not None
    assert record.reference_parts.model_dump() == want["reference_parts"]
    assert record.type == want["type"]
    assert record.date == dt.date.fromisoformat(want["date"])
    assert record.reference_evidence is not None
    assert record.date_evidence is not None


@pytest.mark.parametrize("name", LETTERS)
def test_recipient_and_addressee(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    assert record.recipient is not None
    assert record.recipient.kind == want["recipient"]["kind"]
    assert record.recipient.country == want["recipient"].get("country")
    if want["recipient"]["kind"] == "state":
        state = load_vocabulary().state(want["recipient"]["country"])
        assert state is not None
        assert record.recipient.name == state.pref_label
    else:
        assert record.recipient.name == want["recipient"]["name"]
    assert record.addressee_person is not None
    assert record.addressee_person.honorific == want["addressee_person"]["honorific"]
    assert record.addressee_person.name == want["addressee_person"]["name"]


@pytest.mark.parametrize("name", LETTERS)
def test_mandates_in_order_with_resolutions(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    assert [{"iri": m.iri, "resolution": m.resolution} for m in record.mandates] == want["mandates"]
    assert record.resolutions == want["resolutions"]
    vocab = load_vocabulary()
    for mandate in record.mandates:
        concept = vocab.get(mandate.iri)
        assert concept is not None and mandate.name == concept.pref_label


@pytest.mark.parametrize("name", LETTERS)
def test_signatories(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    got = [{"name": s.name, "title": s.title, "mandate_iri": s.mandate_iri} for s in record.signatories]
    assert got == want["signatories"]


@pytest.mark.parametrize("name", LETTERS)
def test_questions(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    assert [q.number for q in record.questions] == want["question_numbers"]
    assert all(q.text and q.evidence for q in record.questions)


@pytest.mark.parametrize("name", LETTERS)
def test_norms(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    for kind, ids in want["norms"].items():
        got = sorted((n.id for n in record.norms_cited if n.kind == kind), key=_natural)
        assert got == sorted(ids, key=_natural), kind
    ids = [(n.kind, n.id) for n in record.norms_cited]
    assert len(ids) == len(set(ids)), "norms are deduplicated"


def _natural(value: str) -> tuple[int, str]:
    return (int(value), "") if value.isdigit() else (0, value)


@pytest.mark.parametrize("name", LETTERS)
def test_also_sent_to_related_and_publication(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    assert [a.country for a in record.also_sent_to] == want["also_sent_to"]
    assert all(a.kind == "state" and a.name for a in record.also_sent_to)
    assert record.also_sent_to_other_companies is want["also_sent_to_other_companies"]
    assert [[r.reference, r.relation] for r in record.related_references] == want["related_references"]
    assert record.reference not in [r.reference for r in record.related_references]
    assert record.publication_days == want["publication_days"]
    publication = want["publication_date"]
    assert record.publication_date == (dt.date.fromisoformat(publication) if publication else None)


@pytest.mark.parametrize("name", LETTERS)
def test_allegations(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    by_issue = {a.issue.casefold(): a for a in record.allegations}
    for issue, details in want["allegations"].items():
        assert issue in by_issue, f"{issue!r} not among {sorted(by_issue)}"
        allegation = by_issue[issue]
        assert allegation.evidence
        assert set(details.get("groups", [])) <= {g.label for g in allegation.affected_groups}
        assert set(details.get("sectors", [])) <= {s.label for s in allegation.sectors}
        countries = {p.country for p in allegation.locations if p.kind == "state"}
        assert set(details.get("location_countries", [])) <= countries
        places = {p.name: p.country for p in allegation.locations if p.kind == "place"}
        assert set(details.get("place_names", [])) <= set(places)
        if "place_countries" in details:
            assert sorted({places[n] for n in details["place_names"]}) == details["place_countries"]
        perpetrators = [(a.kind, a.country) for a in allegation.perpetrators]
        assert [
            ("state", c) for c in details.get("perpetrator_countries", [])
        ] == perpetrators or not details.get("perpetrator_countries")
        assert set(details.get("policies", [])) <= {p.label for p in allegation.policies}
        if "period" in details:
            assert [allegation.period.start, allegation.period.end] == details["period"]
        quantities = [[q.value, q.qualifier, q.unit] for q in allegation.quantities]
        for quantity in details.get("quantities", []):
            assert quantity in quantities
        if details.get("implicated_recipient"):
            assert [(a.kind, a.name) for a in allegation.implicated] == [
                (record.recipient.kind, record.recipient.name)
            ]


@pytest.mark.parametrize("name", LETTERS)
def test_warnings(records, name: str) -> None:
    want = expected(name)
    _, record = records[name]
    text = "\n".join(record.warnings)
    for needle in want["warnings_contain"]:
        assert needle in text, f"no warning mentions {needle!r}: {record.warnings}"
    for needle in want["warnings_absent"]:
        assert needle not in text, f"unexpected warning about {needle!r}: {record.warnings}"


@pytest.mark.parametrize("name", LETTERS)
def test_evidence_integrity(records, check_evidence, name: str) -> None:
    """Every evidence span lies in the text, and the quote's words are the words at those offsets."""
    text, record = records[name]
    assert check_evidence(text, record) > 0


_VARIANTS = {
    "flattened": lambda text: re.sub(r"\s+", " ", text),
    "crlf": lambda text: text.replace("\n", "\r\n"),
    "no-markdown": lambda text: re.sub(r"\*\*|<sup>\d+</sup>|^#+ |^---$", "", text, flags=re.M),
}


def _core(record: CommunicationRecord) -> dict[str, object]:
    return {
        "reference": record.reference,
        "date": record.date,
        "addressee": (record.addressee_person.honorific, record.addressee_person.name),
        "mandates": [(m.iri, m.resolution) for m in record.mandates],
        "signatories": [(s.name, s.mandate_iri) for s in record.signatories],
        "questions": [q.number for q in record.questions],
        "norms": sorted(n.id for n in record.norms_cited),
        "also_sent_to": [a.country for a in record.also_sent_to],
        "related": [(r.reference, r.relation) for r in record.related_references],
        "publication": record.publication_date,
        "issues": sorted(a.issue for a in record.allegations),
    }


@pytest.mark.parametrize("variant", sorted(_VARIANTS))
@pytest.mark.parametrize("name", LETTERS)
def test_layout_variants_keep_the_facts(records, check_evidence, name: str, variant: str) -> None:
    """The same letter flattened onto one line, with CRLF line ends, or without markdown."""
    text, record = records[name]
    changed = _VARIANTS[variant](text)
    again = extract_text(changed)
    assert _core(again) == _core(record)
    check_evidence(changed, again)
    if again.recipient.name != record.recipient.name:
        assert variant == "flattened" and again.recipient.name is None
        assert any("recipient is not named" in w for w in again.warnings)


@pytest.mark.parametrize("name", LETTERS)
def test_source_identifies_the_file(records, corpus_dir: Path, name: str) -> None:
    import hashlib

    text, record = records[name]
    data = (corpus_dir / f"{name}.txt").read_bytes()
    assert record.source is not None
    assert record.source.file_name == f"{name}.txt"
    assert record.source.sha256 == hashlib.sha256(data).hexdigest()
    assert record.source.media_type == "text/plain"
    assert record.source.length == len(text)
