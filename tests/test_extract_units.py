"""Unit tests of each extraction module, on small invented snippets and one invented vocabulary."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kg.errors import InputError
from kg.extract import (
    allegations,
    dates,
    extract_text,
    mandates,
    norms,
    publication,
    questions,
    recipient,
    recipients_also,
    reference,
    related,
    sentences,
    signatories,
)
from kg.extract.layout import Letter, build_letter
from kg.extract.reference import normalise_reference, parse_reference


def letter_of(text: str) -> Letter:
    letter = build_letter(text)
    letter.sentences = sentences.split(letter, boundaries=sentences.header_boundaries(letter, len(text)))
    return letter


# -- layout and sentences -----------------------------------------------------------------


def test_view_keeps_offsets_and_blanks_markup() -> None:
    text = "**Bold** claim.<sup>2</sup> Next one [site](#) here.\n\n---\n\n## Heading"
    letter = build_letter(text)
    assert len(letter.view) == len(text)
    assert "**" not in letter.view and "<sup>" not in letter.view and "(#)" not in letter.view
    assert letter.view.index("claim") == text.index("claim")
    assert "site" in letter.view and "Heading" in letter.view


def test_bare_footnote_number_is_blanked_but_numbered_items_are_not() -> None:
    letter = build_letter("We have received information. 3 Our concern is the river.\n1. Please reply.")
    assert " 3 " not in letter.view
    assert "1. Please" in letter.view


def test_page_header_between_halves_of_a_sentence_is_furniture() -> None:
    text = "The mine expanded in order\n\nOrbis Holdings Ltd\n\nto reach the river.\n\nNext paragraph."
    letter = build_letter(text)
    assert [letter.marked[s.start : s.end] for s in letter.furniture] == ["Orbis Holdings Ltd"]
    assert len(letter.paragraphs) == 2
    assert (
        letter.quote(letter.paragraphs[0].start, letter.paragraphs[0].end)
        == "The mine expanded in order to reach the river."
    )


def test_running_header_is_blanked_but_repeated_titles_are_not() -> None:
    body = "The river was clean for many years and the fishers lived from it. " * 30
    text = (
        f"Opening line.\n\n{body}\nOrbis Holdings Ltd\n{body}\nOrbis Holdings Ltd\n{body}\n\n"
        "Ada Brook\nMember of the Working Group on mining and human rights\n\n"
        "Ben Stone\nMember of the Working Group on mining and human rights\n"
    )
    letter = build_letter(text)
    assert [letter.marked[s.start : s.end] for s in letter.furniture] == ["Orbis Holdings Ltd"] * 2
    assert letter.view.count("Member of the Working Group") == 2


def test_page_numbers_are_furniture() -> None:
    letter = build_letter("First page ends here.\n\n- 2 -\n\nSecond page.\nPage 3 of 4\nThird page.")
    assert [letter.marked[s.start : s.end] for s in letter.furniture] == ["2 -", "Page 3 of 4"]
    assert "2" not in letter.view and "Page" not in letter.view


def test_sentences_respect_abbreviations_and_flattened_letterheads() -> None:
    letter = letter_of(
        "REFERENCE: AL RUR 1/2030 2 May 2030 Dear Mr. Brook, We write to you. Mr. Brook replied."
    )
    quotes = [letter.quote(s.start, s.end) for s in letter.sentences]
    assert "We write to you." in quotes
    assert "Mr. Brook replied." in quotes
    assert any(q.startswith("Dear Mr. Brook,") for q in quotes)


# -- reference ----------------------------------------------------------------------------

_TYPES = st.sampled_from(["AL", "UA", "OL", "JAL", "JUA"])
_COUNTRIES = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=3, max_size=3)
_SPACE = st.sampled_from([" ", "  ", "\t", " \t "])


@given(_TYPES, _COUNTRIES, st.integers(1, 9999), st.integers(1980, 2100), _SPACE, _SPACE, st.booleans())
def test_reference_normalisation_round_trip(kind, country, number, year, gap1, gap2, lower) -> None:
    raw = f"{kind}{gap1}{country}{gap2}{number} / {year}"
    raw = raw.lower() if lower else raw
    normal = normalise_reference(raw)
    assert normal == f"{kind} {country} {number}/{year}"
    assert normalise_reference(normal) == normal
    assert re.fullmatch(r"[A-Z]{2,3} [A-Z]{3} \d{1,4}/\d{4}", normal)


@given(
    st.text(max_size=30).filter(
        lambda s: not re.fullmatch(r"\s*[A-Za-z]{2,3}\s+[A-Za-z]{3}\s+\d+\s*/\s*\d{4}\s*", s)
    )
)
def test_parse_reference_refuses_anything_else(value: str) -> None:
    with pytest.raises(ValueError, match="expected TYPE COUNTRY NUMBER/YEAR"):
        parse_reference(value)


def test_reference_line_with_file_codes_and_cover_note() -> None:
    text = (
        "Note: see UA RUR 9/2029 and the follow-up letter OL RUR 2/2030.\n\n"
        "REFERENCE: UA Rivers (2001-4) G/SO 214 (67-17) RUR 4/2030\n\n12 May 2030"
    )
    letter = letter_of(text)
    found, evidence = reference.own_reference(letter)
    assert found.reference == "UA RUR 4/2030"
    assert found.parts.file_codes == ["Rivers (2001-4)", "G/SO 214 (67-17)"]
    assert evidence.quote.startswith("REFERENCE: UA Rivers")
    got = [(r.reference, r.relation) for r in related.extract(letter, found.reference)]
    assert got == [("UA RUR 9/2029", "related"), ("OL RUR 2/2030", "follow_up")]


def test_reference_without_country_code_is_only_warned() -> None:
    letter = letter_of("Related: UA 10/2030 and AL GRF 3/2030.\n\nREFERENCE: AL RUR 1/2030")
    got = related.extract(letter, "AL RUR 1/2030")
    assert [r.reference for r in got] == ["AL GRF 3/2030"]
    assert any("'UA 10/2030'" in w and "line 1" in w for w in letter.warnings)


def test_first_reference_is_taken_with_a_warning_when_unlabelled() -> None:
    letter = letter_of("Our letter AL RUR 7/2031 concerns the river.")
    found, _ = reference.own_reference(letter)
    assert found.reference == "AL RUR 7/2031"
    assert any("no 'REFERENCE:' line" in w for w in letter.warnings)


# -- dates --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("12 March 2031", dt.date(2031, 3, 12)),
        ("March 12, 2031", dt.date(2031, 3, 12)),
        ("2031-03-12", dt.date(2031, 3, 12)),
        ("31/01/2014", dt.date(2014, 1, 31)),
        ("1st June 2030", dt.date(2030, 6, 1)),
    ],
)
def test_unambiguous_dates(written: str, value: dt.date) -> None:
    found, ambiguous = dates.find_dates(f"Sent on {written}.")
    assert [d.value for d in found] == [value]
    assert not ambiguous


def test_ambiguous_numeric_date_is_not_used() -> None:
    letter = letter_of("REFERENCE: AL RUR 1/2030\n\n12/03/2031\n\nExcellency,")
    assert dates.letter_date(letter, after=0, before=len(letter.text)) is None
    assert any("12/03/2031" in w for w in letter.warnings)


def test_letter_date_ignores_dates_in_the_body() -> None:
    text = "REFERENCE: AL RUR 1/2030\n\n4 April 2030\n\nExcellency,\n\nOn 1 January 2030 the river died."
    letter = letter_of(text)
    found = dates.letter_date(letter, after=0, before=text.index("Excellency"))
    assert found.value == dt.date(2030, 4, 4)


# -- recipient and salutation -------------------------------------------------------------


def test_state_recipient_comes_from_the_reference_code(mini_vocab) -> None:
    letter = letter_of("REFERENCE: AL RUR 1/2030\n\nExcellency,")
    found, evidence = reference.own_reference(letter)
    actor = recipient.recipient(letter, found.parts, evidence, mini_vocab)
    assert (actor.kind, actor.name, actor.country) == ("state", "Ruritania", "RUR")
    person, _ = recipient.salutation(letter, before=len(letter.text))
    assert (person.honorific, person.name) == ("Excellency", None)


def test_company_named_next_to_your_company(mini_vocab) -> None:
    text = (
        "REFERENCE: AL OTH 1/2030\n\nDear Ms. Quill,\n\nWe hear that your company, Orbis Holdings Ltd, "
        "dug a pit."
    )
    letter = letter_of(text)
    found, evidence = reference.own_reference(letter)
    actor = recipient.recipient(letter, found.parts, evidence, mini_vocab)
    assert (actor.kind, actor.name) == ("company", "Orbis Holdings Ltd")
    person, _ = recipient.salutation(letter, before=len(text))
    assert (person.honorific, person.name) == ("Ms.", "Quill")


def test_unnamed_company_is_a_warning_not_a_guess(mini_vocab) -> None:
    letter = letter_of("REFERENCE: OL OTH 2/2030\n\nDear Mr. Brook,\n\nTenants of your firm were evicted.")
    found, evidence = reference.own_reference(letter)
    actor = recipient.recipient(letter, found.parts, evidence, mini_vocab)
    assert (actor.kind, actor.name) == ("company", None)
    assert any("not named in the text" in w for w in letter.warnings)


@pytest.mark.parametrize(
    ("written", "honorific", "name"),
    [
        ("Dear Mr Brook,", "Mr.", "Brook"),
        ("Dear Dr. Ada Brook,", "Dr.", "Ada Brook"),
        ("Dear Sir/Madam,", "Sir", None),
        ("Your Excellency,", "Excellency", None),
    ],
)
def test_salutation_forms(written: str, honorific: str, name: str | None) -> None:
    letter = letter_of(f"REFERENCE: AL RUR 1/2030\n\n{written}\n\nWe write.")
    person, _ = recipient.salutation(letter, before=len(letter.text))
    assert (person.honorific, person.name) == (honorific, name)
    assert not letter.warnings


def test_salutation_without_a_name_is_warned() -> None:
    letter = letter_of("Dear Mr. ,\n\nWe write.")
    person, _ = recipient.salutation(letter, before=len(letter.text))
    assert (person.honorific, person.name) == ("Mr.", None)
    assert any("'Mr.' with no name" in w for w in letter.warnings)


# -- mandates -----------------------------------------------------------------------------

_HEADER = (
    "Mandates of the Special Rapporteur on the right to clean rivers and the Working Group on mining and "
    "human rights\n\n"
)


def test_mandates_follow_the_opening_sentence_and_pair_by_order(mini_vocab) -> None:
    text = _HEADER + (
        "Dear Ms. Quill,\n\nWe write in our capacities as Working Group on mining and human rights and "
        "Special Rapporteur on the right to clean rivers, pursuant to Human Rights Council resolutions "
        "52/2 and 51/1."
    )
    letter = letter_of(text)
    found = mandates.extract(letter, mini_vocab, body_start=text.index("We write"))
    assert [(m.iri.rsplit("/", 1)[1], m.resolution) for m in found.mandates] == [
        ("wg-mining", "52/2"),
        ("sr-rivers", "51/1"),
    ]
    assert found.resolutions == ["52/2", "51/1"]
    assert found.mandates[0].evidence.quote.startswith("We write in our capacities")
    assert not letter.warnings


def test_vocabulary_corrects_a_pairing_the_order_contradicts(mini_vocab) -> None:
    text = (
        "Excellency,\n\nWe write in our capacities as Working Group on mining and human rights and "
        "Special Rapporteur "
        "on the right to clean rivers, pursuant to Human Rights Council resolutions 51/1 and 52/2."
    )
    letter = letter_of(text)
    found = mandates.extract(letter, mini_vocab, body_start=0)
    assert [m.resolution for m in found.mandates] == ["52/2", "51/1"]
    assert any("paired by the vocabulary" in w for w in letter.warnings)


def test_count_mismatch_pairs_only_what_the_vocabulary_confirms(mini_vocab) -> None:
    text = (
        "Excellency,\n\nI write in my capacity as Special Rapporteur on clean rivers and Independent "
        "Expert on "
        "lighthouse keepers, pursuant to Human Rights Council resolution 51/1."
    )
    letter = letter_of(text)
    found = mandates.extract(letter, mini_vocab, body_start=0)
    assert [(m.name, m.resolution) for m in found.mandates] == [
        ("Special Rapporteur on the right to clean rivers", "51/1"),
        ("Independent Expert on lighthouse keepers", None),
    ]
    assert any("resolution count (1) differs from mandate count (2)" in w for w in letter.warnings)


def test_unknown_mandate_is_warned_and_recovered_from_the_header(mini_vocab) -> None:
    text = _HEADER + (
        "Excellency,\n\nWe write in our capacities as the Special Rapporteur on river health and the "
        "Working Group "
        "on mining and human rights, pursuant to Human Rights Council resolutions 51/1 and 52/2."
    )
    letter = letter_of(text)
    found = mandates.extract(letter, mini_vocab, body_start=text.index("Excellency"))
    assert [m.iri.rsplit("/", 1)[1] for m in found.mandates] == ["sr-rivers", "wg-mining"]
    assert found.mandates[0].text == "Special Rapporteur on river health"
    assert any("not in the vocabulary: 'Special Rapporteur on river health'" in w for w in letter.warnings)


def test_header_list_is_the_fall_back(mini_vocab) -> None:
    letter = letter_of(_HEADER + "REFERENCE: AL RUR 1/2030\n\nExcellency,\n\nThe river is")
    found = mandates.extract(letter, mini_vocab, body_start=0)
    assert [m.iri.rsplit("/", 1)[1] for m in found.mandates] == ["sr-rivers", "wg-mining"]
    assert any("taken from the letterhead" in w for w in letter.warnings)


# -- signatories, questions, norms ---------------------------------------------------------


def test_signature_block(mini_vocab) -> None:
    text = (
        "Please accept, Excellency, the assurances of our highest consideration.\n\nAda Brook\nSpecial "
        "Rapporteur on "
        "the right to clean rivers\n\nBen Stone\nVice-Chair of the Working Group on mining and human rights\n"
    )
    got = signatories.extract(letter_of(text), mini_vocab)
    assert [(s.name, s.title, s.mandate) for s in got] == [
        ("Ada Brook", "Special Rapporteur", "Special Rapporteur on the right to clean rivers"),
        ("Ben Stone", "Vice-Chair", "Working Group on mining and human rights"),
    ]


def test_missing_signature_block_is_warned(mini_vocab) -> None:
    letter = letter_of("We are concerned about the river and")
    assert signatories.extract(letter, mini_vocab) == []
    assert "no signature block found (the text may be truncated)" in letter.warnings


def test_questions_span_page_breaks_and_stop_at_the_next_paragraph(mini_vocab) -> None:
    text = (
        "We would be grateful for your observations on the following matters:\n\n"
        "1. Please describe your human rights due diligence, in particular the steps taken to\n\n"
        "Orbis Holdings Ltd\n\nassess the river.\n\n2. Please describe any remedy.\n\n"
        "This communication and any response will be made public."
    )
    found, span = questions.extract(letter_of(text), mini_vocab)
    assert [q.number for q in found] == [1, 2]
    assert found[0].text.endswith("the steps taken to assess the river.")
    assert "Orbis" not in found[0].text
    assert [t.label for t in found[0].topics] == ["human rights due diligence"]
    assert "made public" not in found[1].text
    assert span is not None


def test_questions_in_flattened_text(mini_vocab) -> None:
    text = (
        "our observations on the following matters: 1. Please explain. 2. Please describe. This "
        "communication and any response will be public."
    )
    found, _ = questions.extract(letter_of(text), mini_vocab)
    assert [(q.number, q.text) for q in found] == [(1, "Please explain."), (2, "Please describe.")]


def test_norms_expand_ranges_and_read_articles(mini_vocab) -> None:
    text = (
        "We recall Guiding Principles 13 and 15 to 17 (Commentary to Guiding Principle 13). "
        "Articles 2 and 4 of the Treaty on Clean Rivers apply, as does resolution A/HRC/RES/51/1. "
        "The TCR binds Ruritania."
    )
    found = norms.extract(letter_of(text), mini_vocab)
    got = [(n.kind, n.id) for n in found]
    assert got == [
        ("guiding_principle", "13"),
        ("guiding_principle", "15"),
        ("guiding_principle", "16"),
        ("guiding_principle", "17"),
        ("article", "tcr#2"),
        ("article", "tcr#4"),
        ("instrument", "tcr"),
        ("resolution", "A/HRC/RES/51/1"),
    ]
    assert found[0].iri == "https://example.org/test/gp13"
    assert found[5].label == "Article 4 of TCR"


# -- also sent to, publication --------------------------------------------------------------


def test_also_sent_to_keeps_the_letter_order(mini_vocab) -> None:
    text = (
        "Letters expressing similar concerns are also sent to the Governments of Sylvania and Ruritania, "
        "and to Orbis Holdings Ltd."
    )
    actors, others = recipients_also.extract(letter_of(text), mini_vocab)
    assert [(a.kind, a.name) for a in actors] == [
        ("state", "Sylvania"),
        ("state", "Ruritania"),
        ("company", "Orbis Holdings Ltd"),
    ]
    assert others is False


def test_publication_delay_and_date() -> None:
    letter = letter_of("This communication will be made public via the website after 48 hours.")
    days, date, evidence = publication.extract(letter, dt.date(2030, 1, 30))
    assert (days, date) == (2, dt.date(2030, 2, 1))
    assert evidence.quote.startswith("This communication")


# -- allegations --------------------------------------------------------------------------


def test_allegation_details(mini_vocab) -> None:
    text = (
        "We are independent human rights experts appointed by the Human Rights Council. We are part of "
        "the special "
        "procedures system. The intervention may relate to forced labour.\n\n"
        "We have received information that your company may be involved in forced labour of miners in the "
        "Upper Vale District (Vale) of Sylvania. Since 2028 the Government of Sylvania has allegedly sent "
        "about 300 miners to Vale under the “Deep Seam” plan.\n\nOther text about river pollution."
    )
    letter = letter_of(text)
    region = allegations.region(letter, start=0, end=len(text))
    owner = recipient.Actor(kind="company", name="Orbis Holdings Ltd")
    found = {a.issue: a for a in allegations.extract(letter, mini_vocab, region, owner)}
    assert set(found) == {"forced labour", "river pollution"}
    labour = found["forced labour"]
    assert len(labour.evidence) == 1 and "Human Rights Council" not in labour.evidence[0].quote
    assert [g.label for g in labour.affected_groups] == ["workers"]
    assert [(p.name, p.country, p.kind) for p in labour.locations] == [
        ("Upper Vale District", "SYL", "place"),
        ("Sylvania", "SYL", "state"),
    ]
    assert [p.label for p in labour.policies] == ["Deep Seam"]
    assert [(a.kind, a.name) for a in labour.perpetrators] == [("state", "Sylvania")]
    assert [a.name for a in labour.implicated] == ["Orbis Holdings Ltd"]
    assert (labour.period.start, labour.period.end) == (2028, None)
    assert [(q.value, q.qualifier, q.unit) for q in labour.quantities] == [(300, "about", "miners")]
    assert found["river pollution"].implicated == []


def test_facts_after_the_resolutions_count(mini_vocab) -> None:
    text = (
        "REFERENCE: UA RUR 2/2030\n\nExcellency,\n\nI write in my capacity as Special Rapporteur "
        "on clean rivers, pursuant to Human Rights Council resolution 51/1, and in connection with "
        "the forced labour of miners in Ruritania since 2029.\n\nThe river is"
    )
    record = extract_text(text, vocabulary=mini_vocab)
    [labour] = record.allegations
    assert labour.issue == "forced labour"
    assert labour.evidence[0].quote.startswith("and in connection with the forced labour")
    assert [g.label for g in labour.affected_groups] == ["workers"]
    assert labour.period.start == 2029


# -- whole letters ------------------------------------------------------------------------


def test_fictional_letter_end_to_end(mini_vocab, fictional_letter: str, check_evidence) -> None:
    record = extract_text(fictional_letter, vocabulary=mini_vocab)
    assert check_evidence(fictional_letter, record) > 20
    assert record.reference == "AL OTH 5/2031"
    assert record.date == dt.date(2032, 6, 7)
    assert (record.recipient.kind, record.recipient.name) == ("company", "Acme Mining Ltd")
    assert (record.addressee_person.honorific, record.addressee_person.name) == ("Ms.", "Quill")
    assert [(m.name, m.resolution) for m in record.mandates] == [
        ("Working Group on mining and human rights", "52/2"),
        ("Special Rapporteur on the right to clean rivers", "51/1"),
    ]
    assert [(s.name, s.title) for s in record.signatories] == [
        ("Ada Brook", "Special Rapporteur"),
        ("Ben Stone", "Chair-Rapporteur"),
    ]
    assert [q.number for q in record.questions] == [1, 2, 3]
    assert {n.id for n in record.norms_cited} >= {"13", "15", "16", "17", "tcr", "tcr#4"}
    assert [a.country for a in record.also_sent_to] == ["RUR", "GRF"]
    assert record.also_sent_to_other_companies
    assert (record.publication_days, record.publication_date) == (60, dt.date(2032, 8, 6))
    issues = {a.issue for a in record.allegations}
    assert issues == {"river pollution", "forced labour"}
    assert record.warnings == []
    assert record.source.length == len(fictional_letter)


def test_flattened_letter_with_other_conventions(mini_vocab, check_evidence) -> None:
    """One line, date before the reference, month-first date, 'Yours sincerely', a Ref. label."""
    text = (
        "Mandate of the Independent Expert on lighthouse keepers June 3, 2033 Ref.: UA GRF 12/2033 "
        "Excellency, "
        "I am writing to you in my capacity as Independent Expert on lighthouse keepers. I have received "
        "information that the Fenwickian police have subjected keepers to forced labor since 2031. "
        "Yours sincerely, Cy Lamp Independent Expert on lighthouse keepers"
    )
    record = extract_text(text, vocabulary=mini_vocab)
    check_evidence(text, record)
    assert record.reference == "UA GRF 12/2033"
    assert record.date == dt.date(2033, 6, 3)
    assert (record.recipient.name, record.recipient.country) == ("Grand Fenwick", "GRF")
    assert [m.name for m in record.mandates] == ["Independent Expert on lighthouse keepers"]
    labour = record.allegations[0]
    assert labour.issue == "forced labour"
    assert [a.country for a in labour.perpetrators] == ["GRF"]
    assert labour.period.start == 2031
    assert any("no resolutions" in w for w in record.warnings)
    assert not any("REFERENCE" in w for w in record.warnings)


REAL_VOCABULARY_LETTER = """\
Mandates of the Special Rapporteur on the situation of human rights defenders and the Special \
Rapporteur on the rights of indigenous peoples

Ref.: AL OTH 88/2031

March 2, 2032

Dear Ms. Ferreira,

We are writing to you in our capacities as Special Rapporteur on the situation of human rights \
defenders and Special Rapporteur on the rights of indigenous peoples, pursuant to Human Rights Council \
resolutions 43/16 and 42/20.

We would like to bring to your attention information we have received concerning the forced evictions \
of indigenous peoples from the Altamira Region (Altamira) of Peru, allegedly linked to a copper mine \
operated by your company. Since 2029 about 1,200 residents of Altamira have reportedly been removed by \
Peruvian security forces under the "Green Corridor" programme.

                                    2
Borealis Minerals S.A.

Human rights defenders who opposed the mine were allegedly subjected to arbitrary detention, and two of \
them were killed between 2030 and 2031.

We would be grateful for your observations on the following matters:

1) Please provide any additional information and any comment you may have on the above allegations.
2) Please indicate what human rights due diligence your company has undertaken, in line with Guiding \
Principles 17 to 21, and what remediation it offers.

This communication and any response received from your company will be made public via the \
communications reporting website within 60 days.

Please note that a copy of this letter has also been sent to the Governments of Peru and Canada.

Yours sincerely,

Lena Okafor
Special Rapporteur on the situation of human rights defenders

Tomas Quispe
Special Rapporteur on the rights of indigenous peoples
"""


def test_invented_letter_with_the_real_vocabulary(check_evidence) -> None:
    """Real mandates and States, invented company and people, another layout: "Ref.:", "1)", a page break."""
    record = extract_text(REAL_VOCABULARY_LETTER)
    assert check_evidence(REAL_VOCABULARY_LETTER, record) > 10
    assert record.reference == "AL OTH 88/2031"
    assert record.date == dt.date(2032, 3, 2)
    assert (record.recipient.kind, record.recipient.name) == ("company", "Borealis Minerals S.A.")
    assert (record.addressee_person.honorific, record.addressee_person.name) == ("Ms.", "Ferreira")
    assert [(m.iri.rsplit("/", 1)[1], m.resolution) for m in record.mandates] == [
        ("sr-human-rights-defenders", "43/16"),
        ("sr-indigenous-peoples", "42/20"),
    ]
    assert [(s.name, s.mandate_iri.rsplit("/", 1)[1]) for s in record.signatories] == [
        ("Lena Okafor", "sr-human-rights-defenders"),
        ("Tomas Quispe", "sr-indigenous-peoples"),
    ]
    assert [q.number for q in record.questions] == [1, 2]
    assert [n.id for n in record.norms_cited if n.kind == "guiding_principle"] == [
        "17",
        "18",
        "19",
        "20",
        "21",
    ]
    assert [a.country for a in record.also_sent_to] == ["PER", "CAN"]
    assert record.publication_date == dt.date(2032, 5, 1)
    evictions = record.allegations[0]
    assert evictions.issue == "Forced evictions"
    assert [(p.name, p.country) for p in evictions.locations] == [("Altamira Region", "PER"), ("Peru", "PER")]
    assert [a.country for a in evictions.perpetrators] == ["PER"]
    assert [p.label for p in evictions.policies] == ["Green Corridor"]
    assert [(q.value, q.unit) for q in evictions.quantities] == [(1200, "residents")]
    assert [a.name for a in evictions.implicated] == ["Borealis Minerals S.A."]
    assert record.warnings == []


# -- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Preheat the oven to 200 degrees. Mix flour, eggs and milk, then bake for 20 minutes.",
        '{"name": "river", "length": 12}',
        "It was a dark and stormy night; the rain fell in torrents.",
        "Dear John, see you on Friday.",
    ],
)
def test_text_that_is_not_a_letter_is_refused(text: str, mini_vocab) -> None:
    with pytest.raises(InputError, match="does not look like a Special Procedures communication"):
        extract_text(text, vocabulary=mini_vocab)


@pytest.mark.parametrize("text", ["", "   \n\t ", "abc\x00def"])
def test_empty_and_binary_text_is_refused(text: str, mini_vocab) -> None:
    with pytest.raises(InputError, match=r"empty|binary"):
        extract_text(text, vocabulary=mini_vocab)


def test_truncated_letter_yields_what_it_states(mini_vocab, fictional_letter: str) -> None:
    cut = fictional_letter[: fictional_letter.index("dig in")]
    record = extract_text(cut, vocabulary=mini_vocab)
    assert record.reference == "AL OTH 5/2031"
    assert len(record.mandates) == 2
    assert record.signatories == [] and record.questions == []
    assert "text ends mid-sentence: letter appears truncated" in record.warnings
    assert "no signature block found (the text may be truncated)" in record.warnings


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(0, 4000), hole=st.tuples(st.integers(0, 4000), st.integers(0, 300)), flat=st.booleans()
)
def test_damaged_letters_never_crash(
    mini_vocab, fictional_letter: str, check_evidence, cut, hole, flat
) -> None:
    """Any cut or hole in a letter yields a record (with sound evidence) or a clear InputError."""
    start, size = hole
    text = fictional_letter[:start] + fictional_letter[start + size :]
    text = text[: max(1, len(text) - cut)]
    if flat:
        text = re.sub(r"\s+", " ", text)
    try:
        record = extract_text(text, vocabulary=mini_vocab)
    except InputError as exc:
        assert "does not look like" in str(exc) or "empty" in str(exc)
        return
    check_evidence(text, record)
