"""Fixtures shared by the extraction tests.

The fictional vocabulary and letter are invented (mandates, States, companies, people),
so a test that passes on them proves the extractor reads structure, not memorised text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from kg.record import CommunicationRecord, Evidence
from kg.vocab import Vocabulary, vocabulary_graph

REPO_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The real letters in ../shared/corpus, next to the checkout; skipped where that folder is absent."""
    path = REPO_ROOT.parent / "shared" / "corpus"
    if not (path / "INDEX.md").is_file():
        pytest.skip(f"the shared corpus is not at {path} (tests of real letters need ../shared/corpus)")
    return path


def _evidence(node: object) -> Iterator[Evidence]:
    if isinstance(node, dict):
        if set(node) == {"start", "end", "quote"}:
            yield Evidence.model_validate(node)
            return
        for value in node.values():
            yield from _evidence(value)
    elif isinstance(node, list):
        for item in node:
            yield from _evidence(item)


def _check_evidence(text: str, record: CommunicationRecord) -> int:
    spans = list(_evidence(record.model_dump()))
    for evidence in spans:
        assert 0 <= evidence.start < evidence.end <= len(text), evidence
        assert evidence.quote, evidence
        region = text[evidence.start : evidence.end]
        for word in re.findall(r"[\w’'-]+", evidence.quote):
            assert word in region, (
                f"{word!r} of {evidence.quote!r} not in text[{evidence.start}:{evidence.end}]"
            )
    return len(spans)


@pytest.fixture(scope="session")
def check_evidence() -> Callable[[str, CommunicationRecord], int]:
    """Check every evidence span of a record against its text: in bounds, and its quote's words are there."""
    return _check_evidence


@pytest.fixture(scope="session")
def mini_vocab(tmp_path_factory: pytest.TempPathFactory) -> Vocabulary:
    """A small invented vocabulary: three mandates, three States, a few issues, groups and topics."""
    path = tmp_path_factory.mktemp("vocab") / "mini.ttl"
    path.write_text(MINI_VOCAB, encoding="utf-8")
    return Vocabulary(vocabulary_graph([path]))


@pytest.fixture(scope="session")
def fictional_letter() -> str:
    """A complete invented allegation letter to a company, laid out like a converted PDF."""
    return LETTER


MINI_VOCAB = """\
@prefix kg: <https://w3id.org/kg-spcomm/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix t: <https://example.org/test/> .

t:sr-rivers a kg:SpecialRapporteurMandate ;
    skos:prefLabel "Special Rapporteur on the right to clean rivers"@en ;
    skos:altLabel "Special Rapporteur on clean rivers"@en ;
    kg:renewedBy t:res-51-1 .
t:wg-mining a kg:Mandate, kg:WorkingGroupMandate ;
    skos:prefLabel "Working Group on mining and human rights"@en ;
    kg:renewedBy t:res-52-2 .
t:ie-lighthouses a kg:Mandate ;
    skos:prefLabel "Independent Expert on lighthouse keepers"@en .
t:res-51-1 a kg:Resolution ; skos:prefLabel "Human Rights Council resolution 51/1"@en ;
    kg:resolutionNumber "51/1" ; kg:documentSymbol "A/HRC/RES/51/1" .
t:res-52-2 a kg:Resolution ; skos:prefLabel "Human Rights Council resolution 52/2"@en ;
    kg:resolutionNumber "52/2" ; kg:documentSymbol "A/HRC/RES/52/2" .

t:RUR a kg:State ; skos:prefLabel "Ruritania"@en ; skos:altLabel "Kingdom of Ruritania"@en ;
    kg:isoAlpha3 "RUR" ; kg:isoAlpha2 "RU" ; kg:demonym "Ruritanian" .
t:GRF a kg:State ; skos:prefLabel "Grand Fenwick"@en ; kg:isoAlpha3 "GRF" ; kg:isoAlpha2 "GF" ;
    kg:demonym "Fenwickian" .
t:SYL a kg:State ; skos:prefLabel "Sylvania"@en ; kg:isoAlpha3 "SYL" ; kg:isoAlpha2 "SY" .

t:forced-labour a kg:HumanRightsIssue ; skos:prefLabel "forced labour"@en ; skos:altLabel "forced labor"@en .
t:river-pollution a kg:HumanRightsIssue ; skos:prefLabel "river pollution"@en ;
    skos:altLabel "pollution of the river"@en .
t:forced-eviction a kg:HumanRightsIssue ; skos:prefLabel "forced eviction"@en ; skos:altLabel "forced \
evictions"@en .
t:workers a kg:AffectedGroup ; skos:prefLabel "workers"@en ; skos:altLabel "miners"@en .
t:fishers a kg:AffectedGroup ; skos:prefLabel "fishing communities"@en .
t:mining a kg:Sector ; skos:prefLabel "mining"@en ; skos:altLabel "extractive sector"@en .
t:hrdd a kg:QuestionTopic ; skos:prefLabel "human rights due diligence"@en .
t:remedy a kg:QuestionTopic ; skos:prefLabel "remedy"@en ; skos:altLabel "remediation"@en .
t:tcr a kg:Treaty ; skos:prefLabel "Treaty on Clean Rivers"@en ; skos:notation "tcr" ; kg:abbreviation "TCR" .
t:ungp a kg:Instrument ; skos:prefLabel "UN Guiding Principles on Business and Human Rights"@en ;
    skos:notation "ungp" .
t:gp13 a kg:GuidingPrinciple ; skos:prefLabel "Guiding Principle 13"@en ; kg:principleNumber 13 .
"""

LETTER = """\
PALAIS DES NATIONS • 1211 GENEVA 10, SWITZERLAND

Mandates of the Special Rapporteur on the right to clean rivers and the Working Group on mining and \
human rights

REFERENCE: AL OTH 5/2031

7 June 2032

Dear Ms. Quill,

We have the honour to address you in our capacities as Working Group on mining and human rights and Special \
Rapporteur on the right to clean rivers, pursuant to Human Rights Council resolutions 52/2 and 51/1.

We are independent human rights experts appointed and mandated by the United Nations Human Rights Council to \
report and advise on human rights issues. We are part of the special procedures system of the United \
Nations. \
The intervention may relate to a human rights violation that has already occurred.

In this connection, we have received information that your company may be involved in river pollution and \
forced labour affecting fishing communities in the Lowmarsh Northern Province (Lowmarsh) of Ruritania.

According to the information received:

Since 2029 the Ruritanian authorities have allegedly forced more than 2,500 miners and other workers to \
dig in \
the Lowmarsh pits under the “Golden River” programme. Between 2030 and 2031 tens of thousands of fish \
died in \
Lowmarsh as a result of the pollution of the river, which the mining company

Acme Mining Ltd

denies.

As it is our responsibility, under the mandates provided to us by the Human Rights Council, to seek to \
clarify \
all cases brought to our attention, we would be grateful for your observations on the following matters:

1. Please provide any additional information you may have on the above-mentioned allegations.
2. Please explain the human rights due diligence steps your company has taken, as required by Guiding \
Principles 13 and 15 to 17 and article 4 of the TCR, to identify and

address pollution.

3. Please describe any remediation offered to affected fishing communities.

This communication and any response received from your company will be made public via the communications \
reporting website in 60 days.

Please note that letters expressing similar concerns are also sent to the Governments of Ruritania and Grand \
Fenwick, as well as to other companies involved.

Please accept, Ms. Quill, the assurances of our highest consideration.

Ada Brook
Special Rapporteur on the right to clean rivers

Ben Stone
Chair-Rapporteur of the Working Group on mining and human rights
"""
