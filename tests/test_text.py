"""Reading letters from files: text encodings, PDF text layers, and the refusals."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pytest
from fpdf import FPDF

from kg.errors import InputError
from kg.extract import extract_file
from kg.text import PDF_MEDIA_TYPE, TEXT_MEDIA_TYPE, document_from_bytes, read_document, read_text

PDF_LETTER = [
    "Mandate of the Special Rapporteur on the right to clean rivers",
    "REFERENCE: AL RUR 3/2031",
    "9 October 2031",
    "Excellency,",
    "I have the honour to address you in my capacity as Special Rapporteur on the right to clean rivers, "
    "pursuant to Human Rights Council resolution 51/1.",
    "I have received information that the Ruritanian authorities have allegedly subjected about 40 miners to "
    "forced labour in the Lowmarsh Northern Province since 2030.",
    "I would be grateful for your observations on the following matters:",
    "1. Please provide any additional information you may have on the above-mentioned allegations.",
    "2. Please describe any remedy offered to the miners.",
    "This communication and any response received from your Excellency's Government will be made public via "
    "the communications reporting website in 60 days.",
    "Please accept, Excellency, the assurances of my highest consideration.",
    "Ada Brook",
    "Special Rapporteur on the right to clean rivers",
]


def make_pdf(path: Path, paragraphs: list[str], *, text: bool = True) -> Path:
    pdf = FPDF()
    pdf.set_auto_page_break(auto=True, margin=20)
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    if text:
        for i, paragraph in enumerate(paragraphs):
            if i == 8:
                pdf.add_page()
            pdf.multi_cell(0, 6, paragraph, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(4)
    else:
        pdf.rect(20, 20, 100, 60, style="F")
    pdf.output(str(path))
    return path


def test_pdf_letter_is_read_and_extracted(tmp_path: Path, mini_vocab, check_evidence) -> None:
    path = make_pdf(tmp_path / "letter.pdf", PDF_LETTER)
    document = read_document(path)
    assert document.media_type == PDF_MEDIA_TYPE
    assert "REFERENCE: AL RUR 3/2031" in document.text
    record = extract_file(path, vocabulary=mini_vocab)
    assert check_evidence(document.text, record) > 5
    assert record.reference == "AL RUR 3/2031"
    assert record.date == dt.date(2031, 10, 9)
    assert (record.recipient.name, record.recipient.country) == ("Ruritania", "RUR")
    assert [(m.name, m.resolution) for m in record.mandates] == [
        ("Special Rapporteur on the right to clean rivers", "51/1")
    ]
    assert [q.number for q in record.questions] == [1, 2]
    assert [(s.name, s.title) for s in record.signatories] == [("Ada Brook", "Special Rapporteur")]
    assert record.publication_date == dt.date(2031, 12, 8)
    assert [a.issue for a in record.allegations] == ["forced labour"]
    assert record.source.media_type == PDF_MEDIA_TYPE
    assert record.source.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert record.source.length == len(document.text)
    for evidence in [
        record.reference_evidence,
        record.date_evidence,
        *(q.evidence for q in record.questions),
    ]:
        assert evidence.quote.split()[0] in document.text[evidence.start : evidence.end]


def test_pdf_without_text_layer_is_refused(tmp_path: Path) -> None:
    path = make_pdf(tmp_path / "scan.pdf", [], text=False)
    with pytest.raises(InputError, match=r"no text layer.*OCR"):
        read_text(path)


def test_damaged_pdf_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\nthis is not really a PDF\n")
    with pytest.raises(InputError, match=r"broken\.pdf"):
        read_text(path)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Dear Ms. Quill, “quoted” café\n".encode(), "Dear Ms. Quill, “quoted” café\n"),
        (b"\xef\xbb\xbfWith a BOM\r\nand CRLF\r\n", "With a BOM\nand CRLF\n"),
        (b"Windows \x93quotes\x94 and \x80 sign", "Windows “quotes” and € sign"),
        (b"Latin-1 only \x81 byte \xe9", "Latin-1 only \x81 byte é"),
        ("UTF-16 text".encode("utf-16"), "UTF-16 text"),
    ],
)
def test_text_encodings(data: bytes, expected: str) -> None:
    document = document_from_bytes(data, name="x.txt")
    assert document.text == expected
    assert document.media_type == TEXT_MEDIA_TYPE


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"  \n\t\n", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file, not text or PDF"),
        (bytes(range(256)) * 4, "binary file"),
    ],
)
def test_unreadable_bytes_are_refused(data: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        document_from_bytes(data, name="upload.bin")


def test_missing_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.txt: cannot be read"):
        read_text(tmp_path / "nowhere.txt")


def test_extract_file_on_text(tmp_path: Path, mini_vocab, fictional_letter: str) -> None:
    path = tmp_path / "letter.txt"
    path.write_text(fictional_letter, encoding="utf-8")
    record = extract_file(path, vocabulary=mini_vocab)
    assert record.source.file_name == "letter.txt"
    assert record.source.media_type == TEXT_MEDIA_TYPE
    assert record.reference == "AL OTH 5/2031"


def test_extract_file_names_the_file_when_it_is_not_a_letter(tmp_path: Path, mini_vocab) -> None:
    path = tmp_path / "recipe.txt"
    path.write_text("Mix the flour and the eggs, then bake.", encoding="utf-8")
    with pytest.raises(InputError, match=r"recipe\.txt does not look like"):
        extract_file(path, vocabulary=mini_vocab)
