"""Fuzzing the extractor: any text or file gives a record or a clear kg error, and a letter cut short
never states something the whole letter does not.

Letters reach kg damaged: PDFs without a last page, uploads stopped half way, binary files
with a .txt name. A person must then get either a record that holds only what the text
states, or an error that says what is wrong, never a traceback. The cut-letter property
runs on the real letters of ../shared/corpus, read at run time (their text is never copied
here); the other properties build their inputs from fragments of a letter's structure
(reference lines, resolution numbers, dates, salutations) mixed with arbitrary Unicode.

Hypothesis runs derandomized and without an example database, so CI sees the same examples
on every run; ``pytest --hypothesis-show-statistics`` prints how many ran.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from kg.errors import InputError, KgError
from kg.extract import extract_file, extract_text
from kg.record import Actor, CommunicationRecord, Evidence, parse_record
from kg.vocab import Vocabulary, load_vocabulary


def fuzz(examples: int) -> settings:
    """Same examples on every run (derandomized, no database), no per-example deadline."""
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


# -- inputs built from a letter's structure ------------------------------------------------

FRAGMENTS = [
    "REFERENCE: ",
    "REF.: ",
    "AL OTH 70/2020",
    "UA RUR 3/2031",
    "JAL GRF 12/2029",
    "UA Rivers (2001-4) G/SO 214 (67-17) RUR 4/2030",
    "OL SYL 0/1950",
    "UA 10/2019",
    "resolution 44/15",
    "resolutions 44/15, 43/20 and 2004/37",
    "A/HRC/RES/44/1",
    "E/CN.4/RES/2004/37",
    "12 March 2021",
    "March 12, 2021",
    "31/01/2014",
    "12/03/2021",
    "2031-02-30",
    "Dear Ms. Quill,",
    "Dear Sir/Madam,",
    "Excellency,",
    "Mandates of the Special Rapporteur on the right to food and the Working Group on Arbitrary Detention",
    "We have the honour to address you in our capacities as Special Rapporteur on the right to food",
    ", pursuant to Human Rights Council resolutions ",
    "In this connection, we have received information that your company allegedly caused forced labour",
    "more than 2,500 workers in the Lowmarsh Northern Province (Lowmarsh) of Ruritania since 2029",
    "the Chinese authorities",
    "the “Golden River” programme",
    "tens of thousands of fishers",
    "we would be grateful for your observations on the following matters:",
    "\n1. Please provide",
    "\n2) Please explain",
    "Guiding Principles 13 and 15 to 17",
    "articles 7 and 10 of the International Covenant on Civil and Political Rights",
    "will be made public via the communications reporting website in 60 days",
    "within 48 hours",
    "letters expressing similar concerns are also sent to the Governments of Ecuador and Sweden, "
    "as well as to Acme Mining Ltd and other companies involved",
    "This is a follow-up to AL SWE 2/2019",
    "Please accept, Excellency, the assurances of our highest consideration.",
    "Yours sincerely,",
    "\nAda Brook\nSpecial Rapporteur on the right to food\n",
    "\nAnnex\nReference to international human rights law\n",
    "PALAIS DES NATIONS • 1211 GENEVA 10, SWITZERLAND",
    "<sup>1</sup>",
    "**",
    "# ",
    "\n---\n",
    "[link](https://example.org/x)",
    "\\_",
    "\x0c",
    "\ufeff",
    "\u200b",
    "’",
    "according to the information received, forced labour allegedly affects ",
    " workers in the region.",
]
HUGE = st.one_of(st.integers(min_value=0, max_value=10**40), st.integers(10**300, 10**400)).map(str)
NUMBERED = st.tuples(HUGE, HUGE).map(lambda pair: f"{pair[0]}/{pair[1]}")
REFERENCES = st.tuples(
    st.sampled_from(["AL", "UA", "OL", "JAL", "JUA", "JOL", "XY"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3),
    st.integers(0, 99999),
    st.integers(0, 9999),
).map(lambda r: f"REFERENCE: {r[0]} {r[1]} {r[2]}/{r[3]}")
DATES = st.tuples(st.integers(0, 99), st.sampled_from(["March", "Sept.", "jan", "Febuary"]), HUGE).map(
    lambda d: f"{d[0]} {d[1]} {d[2]}"
)
SPACE = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", "\r\n", "\r", "\n \n"])
PIECE = st.one_of(
    st.sampled_from(FRAGMENTS),
    st.text(max_size=12),
    st.characters(),
    SPACE,
    HUGE,
    NUMBERED,
    REFERENCES,
    DATES,
)
LETTERLIKE = st.lists(PIECE, max_size=40).map("".join)


CUES = ["According to the information received,", "It is alleged that", "Reportedly,", "Since 2029", "In"]
ISSUES = ["forced labour", "torture", "arbitrary detention", "forced evictions", "trafficking in persons"]
COUNTS = st.one_of(
    HUGE,
    st.sampled_from(["2,500", "1.5 million", "tens of thousands of", "more than 80,000", "about 40", "0"]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
UNITS = st.sampled_from(["workers", "Uyghur and other workers", "people were detained", "days", "Ltd"])
SENTENCE = st.tuples(
    st.sampled_from(CUES), st.sampled_from(ISSUES), st.sampled_from(["affects", "of"]), COUNTS, UNITS, PIECE
).map(lambda p: " ".join(p) + ".")
SKELETON = st.tuples(
    st.lists(st.sampled_from(FRAGMENTS[:20]) | REFERENCES | DATES, max_size=4).map("\n\n".join),
    st.sampled_from(["", "Excellency,\n\n", "Dear Ms. Quill,\n\n"]),
    st.sampled_from(["", FRAGMENTS[21] + FRAGMENTS[22] + "32/8 and 42/22.\n\n"]),
    st.lists(SENTENCE, max_size=6).map(" ".join),
    st.lists(st.sampled_from(FRAGMENTS[28:]), max_size=6).map("\n".join),
).map("".join)


def evidence_of(node: object) -> list[Evidence]:
    """Every evidence span of a record, wherever it sits."""
    found: list[Evidence] = []
    if isinstance(node, Evidence):
        found.append(node)
    elif isinstance(node, list):
        for item in node:
            found += evidence_of(item)
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            found += evidence_of(getattr(node, name))
    return found


def assert_sound(text: str, record: CommunicationRecord) -> None:
    """What a person gets back can be trusted and stored: offsets inside the text, a record that
    survives its own JSON form (the documented interchange format)."""
    for evidence in evidence_of(record):
        assert 0 <= evidence.start <= evidence.end <= len(text), (evidence, len(text))
    assert parse_record(record.to_json()) == record


def extract_or_refuse(text: str, vocab: Vocabulary) -> CommunicationRecord | None:
    try:
        return extract_text(text, vocabulary=vocab)
    except InputError as exc:
        assert str(exc).strip(), "an InputError without a message"
        return None


@fuzz(300)
@given(text=st.text())
@example(text="REFERENCE: AL OTH 1/1950\n\nDear Sir,\n")
def test_any_text_gives_a_record_or_an_input_error(vocab: Vocabulary, text: str) -> None:
    record = extract_or_refuse(text, vocab)
    if record is not None:
        assert_sound(text, record)


@fuzz(300)
@given(text=LETTERLIKE)
@example(text="REFERENCE: AL OTH 1/1950\n\nDear Sir,\n")
def test_letter_fragments_give_a_record_or_an_input_error(vocab: Vocabulary, text: str) -> None:
    record = extract_or_refuse(text, vocab)
    if record is not None:
        assert_sound(text, record)


@fuzz(200)
@given(text=SKELETON)
def test_letter_skeletons_give_a_record_or_an_input_error(vocab: Vocabulary, text: str) -> None:
    """A letter's parts in their order, with odd facts in the body: counts, units, cut phrases."""
    record = extract_or_refuse(text, vocab)
    if record is not None:
        assert_sound(text, record)


def test_reference_year_outside_the_schema_is_not_a_reference(vocab: Vocabulary) -> None:
    """Found by fuzzing: 'AL OTH 1/1950' crashed extraction with a pydantic ValidationError."""
    with pytest.raises(InputError, match="does not look like"):
        extract_text("REFERENCE: AL OTH 1/1950\n\nDear Sir,\n", vocabulary=vocab)
    record = extract_text(
        "REFERENCE: AL OTH 1/1950\nREFERENCE: AL OTH 1/2020\n\nDear Sir,\n", vocabulary=vocab
    )
    assert record.reference == "AL OTH 1/2020"
    assert not any("REFERENCE" in w for w in record.warnings), record.warnings


# -- files: any bytes, under a .txt or a .pdf name -----------------------------------------

PDF_LINES = [
    "Mandate of the Special Rapporteur on the right to food",
    "REFERENCE: AL OTH 5/2031",
    "7 June 2032",
    "Dear Ms. Quill,",
    "We have the honour to address you in our capacity as Special Rapporteur on the right to food, "
    "pursuant to Human Rights Council resolution 32/8.",
    "Please accept, Ms. Quill, the assurances of our highest consideration.",
    "Ada Brook",
    "Special Rapporteur on the right to food",
]


@pytest.fixture(scope="module")
def pdf_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """A small, valid PDF of an invented letter: the seed the byte mutations start from."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    for line in PDF_LINES:
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    path = tmp_path_factory.mktemp("seed") / "seed.pdf"
    pdf.output(str(path))
    return path.read_bytes()


@pytest.fixture(scope="module")
def file_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz-files")


def extract_bytes_or_refuse(folder: Path, name: str, data: bytes, vocab: Vocabulary) -> None:
    path = folder / name
    path.write_bytes(data)
    try:
        record = extract_file(path, vocabulary=vocab)
    except KgError as exc:
        assert name in str(exc), f"the error does not name the file: {exc}"
        return
    assert record.source is not None and record.source.file_name == name
    assert record.source.length is not None
    for evidence in evidence_of(record):
        assert 0 <= evidence.start <= evidence.end <= record.source.length
    assert parse_record(record.to_json()) == record


ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"])


@fuzz(150)
@given(
    data=st.one_of(
        st.binary(max_size=600),
        st.binary(max_size=300).map(lambda b: b"%PDF-1.4\n" + b),
        st.binary(max_size=300).map(lambda b: b"\xff\xfe" + b),
        st.tuples(LETTERLIKE, ENCODINGS).map(lambda p: p[0].encode(p[1], errors="replace")),
    ),
    suffix=st.sampled_from([".txt", ".pdf", ".TXT", ""]),
)
def test_any_bytes_give_a_record_or_a_kg_error(
    vocab: Vocabulary, file_dir: Path, data: bytes, suffix: str
) -> None:
    extract_bytes_or_refuse(file_dir, f"input{suffix}", data, vocab)


@fuzz(60)
@given(
    cut=st.integers(min_value=0, max_value=100_000),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=100_000), st.integers(0, 255)), max_size=8),
)
def test_damaged_pdfs_give_a_record_or_a_kg_error(
    vocab: Vocabulary, file_dir: Path, pdf_bytes: bytes, cut: int, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(pdf_bytes[: max(1, len(pdf_bytes) - cut % len(pdf_bytes))])
    for position, value in flips:
        data[position % len(data)] = value
    extract_bytes_or_refuse(file_dir, "damaged.pdf", bytes(data), vocab)


def test_the_undamaged_seed_pdf_is_read_in_full(vocab: Vocabulary, file_dir: Path, pdf_bytes: bytes) -> None:
    """The mutation seed is a real letter: its last line, a mandate, is not taken as cut mid-word."""
    path = file_dir / "seed.pdf"
    path.write_bytes(pdf_bytes)
    record = extract_file(path, vocabulary=vocab)
    assert record.reference == "AL OTH 5/2031"
    assert [(s.name, s.mandate) for s in record.signatories] == [("Ada Brook", record.mandates[0].name)]


# -- cutting a real letter short -----------------------------------------------------------

LETTERS = sorted(p.stem for p in (Path(__file__).parent / "expected").glob("*.json"))
Fact = tuple[object, ...]


def _actor_facts(field: str, kind: str, name: str | None, country: str | None) -> set[Fact]:
    """An actor's facts: what it is and, when stated, its name and country.

    "other" with no name is what the extractor says when it only knows the recipient is not
    a State; a company or organisation is also not a State, so that is a fact of both.
    """
    found: set[Fact] = {(field, "state" if kind == "state" else "non-state")}
    if kind not in ("state", "other"):
        found.add((field, "kind", kind))
    if name:
        found.add((field, "name", name))
    if country:
        found.add((field, "country", country))
    return found


def facts(record: CommunicationRecord) -> set[Fact]:
    """The facts a record states, one tuple each, for comparing a cut letter with the whole one.

    Evidence offsets and quotes are not facts (a cut text has shorter sentences), nor are
    warnings, question wording or the order of lists. An empty field states nothing: a place
    whose State is not known (None) does not contradict the same place with its State.
    References are compared as named references: a text cut before its REFERENCE line cannot
    tell its own reference from a related one, and says neither falsely.
    """
    found: set[Fact] = set()
    named = [r.reference for r in record.related_references]
    if record.reference is not None:
        named.append(record.reference)
        found.add(("own reference", record.reference))
    found |= {("names reference", r) for r in named}
    found |= {("follow-up of", r.reference) for r in record.related_references if r.relation == "follow_up"}
    if record.reference_parts is not None:
        found |= {("file code", code) for code in record.reference_parts.file_codes}
    if record.date is not None:
        found.add(("date", record.date))
    if record.recipient is not None:
        r = record.recipient
        found |= _actor_facts("recipient", r.kind, r.name, r.country)
    if record.addressee_person is not None:
        found |= {
            ("addressee", k, v)
            for k, v in record.addressee_person.model_dump().items()
            if v and k != "evidence"
        }
    for mandate in record.mandates:
        found.add(("mandate", mandate.iri))
        if mandate.resolution:
            found.add(("mandate pursuant to", mandate.iri, mandate.resolution))
    found |= {("resolution", number) for number in record.resolutions}
    for signatory in record.signatories:
        found.add(("signatory", signatory.name))
        if signatory.title:
            found.add(("signatory title", signatory.name, signatory.title))
        if signatory.mandate_iri:
            found.add(("signatory mandate", signatory.name, signatory.mandate_iri))
    for a in record.allegations:
        issue = a.issue_iri
        found.add(("issue", issue))
        found |= {("group", issue, g.iri or g.label) for g in a.affected_groups}
        found |= {("sector", issue, s.iri or s.label) for s in a.sectors}
        found |= {("policy", issue, p.label) for p in a.policies}
        for place in a.locations:
            found.add(("location", issue, place.name, place.kind))
            if place.country:
                found.add(("location in", issue, place.name, place.country))
        for actor in a.perpetrators:
            found |= {
                ("perpetrator", issue, *f) for f in _actor_facts("", actor.kind, actor.name, actor.country)
            }
        for actor in a.implicated:
            found |= {
                ("implicated", issue, *f) for f in _actor_facts("", actor.kind, actor.name, actor.country)
            }
        if a.period is not None:
            found |= {("period", issue, year) for year in (a.period.start, a.period.end) if year is not None}
        found |= {("quantity", issue, q.value, q.qualifier, q.unit) for q in a.quantities}
    for q in record.questions:
        found.add(("question", q.number))
        found |= {("question topic", q.number, t.iri or t.label) for t in q.topics}
    found |= {("norm", n.kind, n.id) for n in record.norms_cited}
    for actor in record.also_sent_to:
        found |= {("also sent to", *f) for f in _actor_facts("", actor.kind, actor.name, actor.country)}
    if record.also_sent_to_other_companies:
        found.add(("also sent to other companies",))
    if record.publication_days is not None:
        found.add(("published after days", record.publication_days))
    if record.publication_date is not None:
        found.add(("published on", record.publication_date))
    return found


def cut_points(text: str, record: CommunicationRecord) -> list[int]:
    """Offsets where a cut changes what is stated: both ends of every evidence span, and the text's end."""
    points = {len(text)}
    for evidence in evidence_of(record):
        points |= {evidence.start, evidence.end}
    return sorted(p for p in points if 0 < p <= len(text))


@pytest.fixture(scope="module")
def whole_letters(corpus_dir: Path, vocab: Vocabulary) -> dict[str, tuple[str, set[Fact], list[int]]]:
    found = {}
    for name in LETTERS:
        text = (corpus_dir / f"{name}.txt").read_text(encoding="utf-8")
        record = extract_text(text, vocabulary=vocab)
        found[name] = (text, facts(record), cut_points(text, record))
    return found


@pytest.mark.corpus
@pytest.mark.parametrize("name", LETTERS)
@fuzz(80)
@given(data=st.data())
def test_a_cut_letter_states_nothing_the_whole_letter_does_not(
    vocab: Vocabulary,
    whole_letters: dict[str, tuple[str, set[Fact], list[int]]],
    name: str,
    data: st.DataObject,
) -> None:
    """Anywhere, and most often near where a fact is stated, since that is where a cut changes things."""
    text, whole, points = whole_letters[name]
    near_a_fact = st.tuples(st.sampled_from(points), st.integers(-40, 40)).map(
        lambda p: min(len(text), max(1, p[0] + p[1]))
    )
    cut = data.draw(st.one_of(st.integers(min_value=1, max_value=len(text)), near_a_fact), label="cut")
    record = extract_or_refuse(text[:cut], vocab)
    if record is None:
        return
    invented = facts(record) - whole
    assert not invented, f"cut at {cut} of {len(text)}: facts the whole letter does not state: {invented}"


# -- regressions found by the cut-letter property (invented letters, same shapes) -----------


def _extract(text: str, vocab: Vocabulary) -> CommunicationRecord:
    return extract_text(text, vocabulary=vocab)


OPENING = (
    "REFERENCE: UA CHN 4/2031\n\n12 March 2031\n\nExcellency,\n\nWe have the honour to address you in our "
    "capacities as Special Rapporteur on the right to food and Working Group on Arbitrary Detention, "
    "pursuant to Human Rights Council resolutions 32/8 and 42/22"
)


@pytest.mark.parametrize(
    ("cut", "kept"),
    [
        (OPENING[:-1], ["32/8"]),  # "42/2" is what is left of 42/22
        (OPENING, ["32/8"]),  # a text that stops on a number may have lost its last digits
        (OPENING + ".", ["32/8", "42/22"]),
    ],
)
def test_a_number_the_text_stops_on_is_not_read(vocab: Vocabulary, cut: str, kept: list[str]) -> None:
    assert _extract(cut, vocab).resolutions == kept


def test_a_word_the_text_stops_on_is_not_read(vocab: Vocabulary) -> None:
    """Cut from "the Ecuadorian Embassy": neither "Ecuador" nor the demonym alone names a place."""
    body = (
        OPENING + ".\n\nAccording to the information received, Mr. Ren was allegedly subjected to torture "
        "since he entered the Ecuador"
    )
    for cut in (body, body + "ian", body + "ian ", body + "ian Emb"):
        record = _extract(cut, vocab)
        places = {p.name for a in record.allegations for p in a.locations}
        assert "Ecuador" not in places, cut[-30:]
    whole = _extract(body + "ian Embassy in 2012, and remains there.", vocab)
    assert "Ecuador" not in {p.name for a in whole.allegations for p in a.locations}


def test_the_letterhead_mandate_list_is_not_read_as_allegations(vocab: Vocabulary) -> None:
    """Cut inside the letterhead, "... Special Rapporteur on torture and other cruel, inhuman or degrading
    treatment" named the issue of torture; the whole letter raises none."""
    text = (
        "Mandates of the Special Rapporteur on the right to food; the Special Rapporteur on torture and "
        "other cruel, inhuman or degrading treatment"
    )
    for cut in (text, text + " ", text + " or pun"):
        record = _extract(cut, vocab)
        assert record.allegations == [], cut[-20:]
        assert [m.name for m in record.mandates][:1] == [vocab.label(record.mandates[0].iri)]


def test_a_cover_note_reference_is_not_taken_as_the_letters_own(vocab: Vocabulary) -> None:
    """Cut before its REFERENCE line, a letter showed the first case of its cover note as its own."""
    note = (
        "Note: UA SYL 2/2030 and the related cases UA GRF 3/2030 were amended.\n\n"
        "Mandate of the Special Rapporteur on the right to food\n\n"
    )
    record = _extract(note, vocab)
    assert record.reference is None and record.recipient is None
    assert [r.reference for r in record.related_references] == ["UA SYL 2/2030", "UA GRF 3/2030"]
    assert any("cover note" in w for w in record.warnings)
    whole = _extract(note + "REFERENCE: UA GRF 3/2030\n\nExcellency,\n\n", vocab)
    assert whole.reference == "UA GRF 3/2030"


def test_a_counted_phrase_cut_short_is_not_recorded(vocab: Vocabulary) -> None:
    """Cut from "more than 2,500 Uyghur and other workers", the count read "Uyghur and oth"."""
    body = (
        OPENING + ".\n\nAccording to the information received, forced labour allegedly affects more than "
        "2,500 Uyghur and oth"
    )
    units = {q.unit for a in _extract(body, vocab).allegations for q in a.quantities}
    assert units == set()
    whole = _extract(body + "er workers in the region.", vocab)
    assert {q.unit for a in whole.allegations for q in a.quantities} == {"Uyghur and other workers"}


def test_a_label_the_text_stops_inside_is_not_read(vocab: Vocabulary) -> None:
    """Cut after "other minority " (of "minority workers"), the text named the group "minorities"."""
    body = (
        OPENING + ".\n\nAccording to the information received, forced labour is allegedly imposed on "
        "Uyghur and other minority "
    )
    groups = {g.label for a in _extract(body, vocab).allegations for g in a.affected_groups}
    whole = _extract(body + "workers in the factories.", vocab)
    assert groups <= {g.label for a in whole.allegations for g in a.affected_groups}


def test_a_title_the_text_stops_inside_is_not_read(vocab: Vocabulary) -> None:
    """Cut inside "Chair-Rapporteur", the signatory's title read "Chair"."""
    closing = OPENING + ".\n\nPlease accept, Excellency, the assurances of our highest consideration.\n\n"
    cut = _extract(closing + "Ben Stone\nChair-Ra", vocab)
    assert [s.title for s in cut.signatories] in ([], ["Chair-Rapporteur"])
    whole = _extract(
        closing + "Ben Stone\nChair-Rapporteur of the Working Group on Arbitrary Detention\n", vocab
    )
    assert [(s.name, s.title) for s in whole.signatories] == [("Ben Stone", "Chair-Rapporteur")]


def test_a_number_too_large_to_count_is_not_a_quantity(vocab: Vocabulary) -> None:
    """Found by fuzzing: 400 digits before "workers" made an infinite quantity, and the record's JSON
    (value null) could not be read back."""
    text = OPENING + ".\n\nAccording to the information received, forced labour allegedly affects "
    record = _extract(text + "9" * 400 + " workers in the region.\n", vocab)
    assert [q for a in record.allegations for q in a.quantities] == []
    assert parse_record(record.to_json()) == record
    counted = _extract(text + "2,500 workers in the region.\n", vocab)
    assert [q.value for a in counted.allegations for q in a.quantities] == [2500.0]


def test_a_mandate_name_the_text_stops_inside_is_not_an_allegation(vocab: Vocabulary) -> None:
    """Cut inside "the Special Rapporteur on torture and other cruel, ... punishment", the body raised
    torture as an allegation; the whole letter only names the mandate."""
    body = (
        OPENING + ".\n\nAccording to the information received, Mr. Ren was allegedly detained. He wrote to "
        "the Special Rapporteur on torture and other cruel, inhuman or degrading treatment or punishment"
    )
    whole = _extract(body + " about his detention.", vocab)
    issues = {a.issue_iri for a in whole.allegations}
    for cut in (len(body) - 60, len(body) - 20, len(body) - 11, len(body)):
        assert {a.issue_iri for a in _extract(body[:cut], vocab).allegations} <= issues, body[cut - 20 : cut]


def test_a_line_the_text_stops_inside_is_not_a_company_name(vocab: Vocabulary) -> None:
    """Cut after "Li-Ning Company " (of "... Company Limited"), the recipient was named "... Company"."""
    letter = "REFERENCE: AL OTH 9/2031\n\n7 June 2032\n\nDear Ms. Quill,\n\nAcme Textiles Company "
    assert _extract(letter, vocab).recipient == Actor(kind="other")
    whole = _extract(letter + "Limited\n\nWe write about your company.\n", vocab)
    assert whole.recipient is not None and whole.recipient.name == "Acme Textiles Company Limited"
