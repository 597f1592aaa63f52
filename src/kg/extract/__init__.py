"""Letter text in, communication record out: every fact with the sentence that states it.

``extract_text`` runs one small extractor per part of a letter (reference, date, recipient,
mandates, allegations, questions, norms, signatures ...) over a shared view of the text
(see ``layout``), and collects what they could not find as warnings. A truncated or
damaged letter still yields what it states; only text with none of a letter's structure
is refused, with an InputError that says what was expected.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from kg import text as kg_text
from kg.errors import InputError
from kg.extract import (
    allegations,
    dates,
    mandates,
    norms,
    publication,
    quality,
    questions,
    recipient,
    recipients_also,
    reference,
    related,
    sentences,
    signatories,
)
from kg.extract.layout import Letter, build_letter
from kg.extract.reference import format_reference, normalise_reference, parse_reference
from kg.record import CommunicationRecord, Source
from kg.vocab import Vocabulary, load_vocabulary

__all__ = ["extract_file", "extract_text", "format_reference", "normalise_reference", "parse_reference"]

_HEADER_LIMIT = 4000


def extract_file(path: Path, *, vocabulary: Vocabulary | None = None) -> CommunicationRecord:
    """Read a .txt or .pdf file (see ``kg.text``) and extract its record, file named as source."""
    document = kg_text.read_document(path)
    source = Source(
        file_name=path.name,
        sha256=hashlib.sha256(document.data).hexdigest(),
        media_type=document.media_type,
        length=len(document.text),
    )
    return extract_text(document.text, source=source, vocabulary=vocabulary)


def extract_text(
    text: str, *, source: Source | None = None, vocabulary: Vocabulary | None = None
) -> CommunicationRecord:
    """Extract the record of one letter; offsets in the record's evidence index into ``text``."""
    name = source.file_name if source and source.file_name else "the text"
    if not text.strip():
        raise InputError(f"{name} is empty: there is no letter to extract; pass the letter's text or PDF")
    if "\x00" in text:
        raise InputError(
            f"{name} contains NUL characters: it is binary data, not a letter's text; "
            "pass a .txt or .pdf file"
        )
    vocab = vocabulary or load_vocabulary()
    letter = build_letter(text)
    closing = _last_closing(letter.view)
    greeting = recipient.salutation(letter, before=closing if closing is not None else len(text))
    limit = greeting[1] + 200 if greeting else _HEADER_LIMIT
    letter.sentences = sentences.split(letter, boundaries=sentences.header_boundaries(letter, limit))
    own = reference.own_reference(letter)
    found_ref, ref_evidence = own if own else (None, None)
    if found_ref is not None and found_ref.guessed and (greeting is None or greeting[1] < found_ref.start):
        found_ref, ref_evidence = None, None
        _cover_note_only(letter)
    body_start = greeting[1] if greeting else (found_ref.end if found_ref else 0)
    sent = mandates.extract(letter, vocab, body_start=body_start)
    _refuse_non_letters(letter, name, found_ref, greeting is not None, sent, closing)

    date_before = (
        greeting[1] - 1 if greeting else (sent.opening.start if sent.opening else min(len(text), 2000))
    )
    found_date = dates.letter_date(
        letter, after=found_ref.end if found_ref else 0, before=max(0, date_before)
    )
    parts = found_ref.parts if found_ref else None
    addressed = recipient.recipient(letter, parts, ref_evidence, vocab)
    asked, question_span = questions.extract(letter, vocab, stop=closing)
    annex = signatories.annex_start(letter, sent.opening.end if sent.opening else 0)
    region_start = sent.opening.end if sent.opening else body_start
    if sent.opening is None and greeting is None and sent.header is not None:
        # A text cut before its body: never read the letterhead, whose mandate names hold issue words.
        region_start = max(region_start, sent.header.end)
    region_end = (
        question_span.start if question_span else min(closing if closing is not None else len(text), annex)
    )
    region = allegations.region(letter, start=region_start, end=region_end, lead=sent.tail)
    signed = signatories.extract(letter, vocab)
    also, others = recipients_also.extract(letter, vocab)
    days, published, pub_evidence = publication.extract(letter, found_date.value if found_date else None)
    own_text = format_reference(parts) if parts else None
    record = CommunicationRecord(
        reference=own_text,
        reference_parts=parts,
        reference_evidence=ref_evidence,
        type=parts.type if parts else None,
        date=found_date.value if found_date else None,
        date_evidence=letter.line_evidence(found_date.start, found_date.end) if found_date else None,
        recipient=addressed,
        addressee_person=greeting[0] if greeting else None,
        mandates=sent.mandates,
        resolutions=sent.resolutions,
        signatories=signed,
        allegations=allegations.extract(letter, vocab, region, addressed),
        questions=asked,
        norms_cited=norms.extract(letter, vocab, skip=sent.opening),
        also_sent_to=also,
        also_sent_to_other_companies=others,
        related_references=related.extract(letter, own_text),
        publication_days=days,
        publication_date=published,
        publication_evidence=pub_evidence,
        source=_source(source, text),
    )
    quality.check(letter, signature_end=signed[-1].evidence.end if signed and signed[-1].evidence else None)
    record.warnings = _missing(record, greeting is not None) + letter.warnings
    return record


def _last_closing(view: str) -> int | None:
    """Where the last closing formula starts: signatures follow it, questions precede it."""
    found = None
    for m in signatories.CLOSING.finditer(view):
        found = m.start()
    return found


def _cover_note_only(letter: Letter) -> None:
    """Undo the guess of the first reference when the text stops before the letter's salutation.

    Such a text holds only what precedes a letter: a database cover note naming other
    letters, the letterhead. Taking the cover note's first reference would file the text
    under another letter's reference and State.
    """
    letter.warnings = [w for w in letter.warnings if not w.startswith("no 'REFERENCE:' line found")]
    letter.warn(
        "no 'REFERENCE:' line and no salutation found: the references in the text may name other "
        "letters (a cover note), so none was taken as this letter's own"
    )


def _refuse_non_letters(
    letter: Letter,
    name: str,
    found_ref: reference.FoundReference | None,
    greeted: bool,
    sent: mandates.Mandates,
    closing: int | None,
) -> None:
    """Refuse text with none of a letter's landmarks, rather than return an empty record that looks valid."""
    if found_ref is not None or sent.mandates or sent.opening is not None:
        return
    if greeted and (sent.header is not None or closing is not None or "pursuant to" in letter.view):
        return
    raise InputError(
        f"{name} does not look like a Special Procedures communication: no reference line, no mandate, "
        "no salutation found. Expected a 'REFERENCE: AL ABC 1/2020' line, a 'Dear ...' or 'Excellency,' "
        "salutation and an opening sentence 'in our capacity as ... pursuant to ... resolutions ...'"
    )


def _missing(record: CommunicationRecord, greeted: bool) -> list[str]:
    missing = []
    if record.reference is None:
        missing.append("no reference found")
    if record.date is None:
        missing.append("no date found")
    if not greeted:
        missing.append("no salutation found")
    if not record.mandates:
        missing.append("no mandate found")
    return missing


def _source(source: Source | None, text: str) -> Source:
    if source is None:
        return Source(length=len(text))
    if source.length is None:
        return source.model_copy(update={"length": len(text)})
    return source
