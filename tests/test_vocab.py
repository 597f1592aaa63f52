"""Checks of the vocabularies in ontology/vocab/: completeness, consistency and recall on real letters.

The vocabularies are data that extraction relies on, so they get the same linting as code:
every concept is labelled, defined and placed in a scheme; no label points at two mandates;
the generated countries file is what its generator writes; and the mandate, State, issue
and norm labels find what the letters of ../shared/corpus actually say.
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest
from rdflib import RDF, RDFS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, SKOS

from kg import resources
from kg.vocab import Vocabulary, load_vocabulary, normalise

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
CORPUS = SHARED / "corpus"
MANDATES_CSV = SHARED / "data" / "mandates.csv"

KG = Namespace("https://w3id.org/kg-spcomm/ontology#")
V = "https://w3id.org/kg-spcomm/vocab/"

# Classes that the ontology makes sub-classes of skos:Concept: their members say so explicitly.
CONCEPT_CLASSES = {
    KG.HumanRightsIssue,
    KG.AffectedGroup,
    KG.Sector,
    KG.QuestionTopic,
    KG.GuidingPrinciple,
    KG.Pillar,
}

# The one title two mandate nodes share: the Belarus mandate that ended and the one created in 2012.
SHARED_MANDATE_TITLES = {
    normalise(f"{prefix}Special Rapporteur on the situation of human rights in Belarus")
    for prefix in ("", "UN ", "United Nations ")
}


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture(scope="module")
def graph() -> Graph:
    """The vocabulary files alone, without the ontology."""
    g = Graph()
    for path in resources.vocabulary_files():
        g.parse(path, format="turtle")
    return g


def _concepts(graph: Graph) -> list[URIRef]:
    return sorted(s for s in graph.subjects(SKOS.prefLabel, None) if isinstance(s, URIRef))


def _corpus(name: str) -> str:
    path = CORPUS / name
    if not path.is_file():
        pytest.skip(f"corpus letter {path} is absent (the shared corpus lives next to the repository)")
    return path.read_text(encoding="utf-8")


def _notation(vocab: Vocabulary, iri: str) -> str:
    concept = vocab.get(iri)
    assert concept is not None, iri
    notation = concept.value("notation")
    assert notation is not None, iri
    return notation


# --------------------------------------------------------------------------------------------
# Loading and completeness
# --------------------------------------------------------------------------------------------


def test_vocabulary_loads_with_expected_sizes(vocab):
    assert len(vocab.of_type("Mandate")) == 63
    assert len(vocab.of_type("State")) == 249
    assert len(vocab.of_type("GuidingPrinciple")) == 31
    assert len(vocab.of_type("Pillar")) == 3
    for local in (
        "Resolution",
        "UNBody",
        "Instrument",
        "HumanRightsIssue",
        "AffectedGroup",
        "Sector",
        "QuestionTopic",
    ):
        assert vocab.of_type(local), local


def test_every_vocabulary_file_declares_a_scheme(graph):
    for path in resources.vocabulary_files():
        g = Graph().parse(path, format="turtle")
        schemes = list(g.subjects(RDF.type, SKOS.ConceptScheme))
        assert schemes, f"{path.name} declares no skos:ConceptScheme"
        assert path.read_text(encoding="utf-8").startswith("#"), f"{path.name} has no header comment"
    for scheme in graph.subjects(RDF.type, SKOS.ConceptScheme):
        assert graph.value(scheme, RDFS.label) is not None, scheme
        assert graph.value(scheme, SKOS.definition) is not None, scheme


def test_every_concept_is_labelled_defined_and_in_a_scheme(graph):
    schemes = set(graph.subjects(RDF.type, SKOS.ConceptScheme))
    problems = []
    for s in _concepts(graph):
        prefs = list(graph.objects(s, SKOS.prefLabel))
        labels = list(graph.objects(s, RDFS.label))
        definitions = list(graph.objects(s, SKOS.definition))
        in_schemes = set(graph.objects(s, SKOS.inScheme))
        types = set(graph.objects(s, RDF.type))
        if len(prefs) != 1 or not isinstance(prefs[0], Literal) or prefs[0].language != "en":
            problems.append(f"{s}: needs exactly one skos:prefLabel in English, has {prefs}")
        elif labels != prefs:
            problems.append(f"{s}: rdfs:label {labels} differs from skos:prefLabel {prefs}")
        if len(definitions) != 1 or definitions[0].language != "en":
            problems.append(f"{s}: needs one English skos:definition")
        if not in_schemes or not in_schemes <= schemes:
            problems.append(f"{s}: skos:inScheme {in_schemes} is not a declared scheme")
        if graph.value(s, SKOS.notation) is None:
            problems.append(f"{s}: no skos:notation")
        if not any(str(t).startswith(str(KG)) for t in types):
            problems.append(f"{s}: no kg class among {types}")
        if types & CONCEPT_CLASSES and SKOS.Concept not in types:
            problems.append(f"{s}: member of a concept class but not typed skos:Concept")
        for alt in graph.objects(s, SKOS.altLabel):
            if normalise(str(alt)) == normalise(str(prefs[0])):
                problems.append(f"{s}: altLabel {alt!r} repeats the prefLabel")
    assert not problems, "\n".join(problems)


def test_vocabulary_files_only_describe_vocabulary_iris(graph):
    """Vocabulary files add data; they must not redefine ontology terms."""
    outside = {s for s in graph.subjects() if isinstance(s, URIRef) and not str(s).startswith(V)}
    assert not outside


def test_every_link_points_at_a_defined_node(graph):
    defined = set(graph.subjects(RDF.type, None))
    for prop in (
        KG.establishedBy,
        KG.renewedBy,
        KG.mandateCountry,
        KG.adoptedBy,
        KG.inPillar,
        SKOS.broader,
        SKOS.narrower,
        SKOS.inScheme,
        DCTERMS.hasPart,
        DCTERMS.isPartOf,
        DCTERMS.relation,
        DCTERMS.isReplacedBy,
    ):
        for s, o in graph.subject_objects(prop):
            assert o in defined, f"{s} {prop} {o}: target is not defined"


def test_broader_and_narrower_are_stated_both_ways(graph):
    broader = set(graph.subject_objects(SKOS.broader))
    narrower = {(o, s) for s, o in graph.subject_objects(SKOS.narrower)}
    assert broader == narrower
    for scheme, top in graph.subject_objects(SKOS.hasTopConcept):
        assert (top, SKOS.topConceptOf, scheme) in graph
        assert graph.value(top, SKOS.broader) is None, f"top concept {top} has a broader concept"
    for top, scheme in graph.subject_objects(SKOS.topConceptOf):
        assert (scheme, SKOS.hasTopConcept, top) in graph


def test_no_label_is_shared_within_a_scheme(graph):
    """Within a scheme a label must name one concept, or the matcher picks one at random."""
    by_scheme: dict[URIRef, dict[str, set[URIRef]]] = defaultdict(lambda: defaultdict(set))
    for s in _concepts(graph):
        labels = [*graph.objects(s, SKOS.prefLabel), *graph.objects(s, SKOS.altLabel)]
        labels += list(graph.objects(s, KG.demonym))
        for scheme in graph.objects(s, SKOS.inScheme):
            for label in labels:
                by_scheme[scheme][normalise(str(label))].add(s)
    clashes = [
        (str(scheme), label, sorted(map(str, owners)))
        for scheme, index in by_scheme.items()
        for label, owners in index.items()
        if len(owners) > 1 and label not in SHARED_MANDATE_TITLES
    ]
    assert not clashes


# --------------------------------------------------------------------------------------------
# Mandates and resolutions
# --------------------------------------------------------------------------------------------


def test_no_label_belongs_to_two_mandates(vocab):
    owners: dict[str, set[str]] = defaultdict(set)
    for mandate in vocab.of_type("Mandate"):
        for label in (mandate.pref_label, *mandate.alt_labels, *mandate.values.get("hiddenLabel", ())):
            owners[normalise(label)].add(mandate.iri)
    shared = {label: sorted(iris) for label, iris in owners.items() if len(iris) > 1}
    assert set(shared) <= SHARED_MANDATE_TITLES, shared
    for label in SHARED_MANDATE_TITLES:
        assert shared[label] == [V + "mandate/sr-belarus", V + "mandate/sr-belarus-former"]


def test_mandates_have_a_kind_and_a_holder_type(vocab):
    for mandate in vocab.of_type("Mandate"):
        kinds = [k for k in ("ThematicMandate", "CountryMandate") if mandate.is_a(k)]
        holders = [
            h
            for h in (
                "SpecialRapporteurMandate",
                "WorkingGroupMandate",
                "IndependentExpertMandate",
                "SpecialRepresentativeMandate",
            )
            if mandate.is_a(h)
        ]
        assert len(kinds) == 1, mandate.iri
        assert len(holders) == 1, mandate.iri
        assert bool(mandate.links.get("mandateCountry")) == mandate.is_a("CountryMandate"), mandate.iri
        assert mandate.iri == V + "mandate/" + _notation(vocab, mandate.iri)


def _csv_rows() -> list[dict[str, str]]:
    if not MANDATES_CSV.is_file():
        pytest.skip(f"{MANDATES_CSV} is absent (shared reference data next to the repository)")
    with MANDATES_CSV.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_csv_row_is_a_mandate_or_a_former_name(vocab, graph):
    rows = _csv_rows()
    former_names = {normalise(str(o)) for o in graph.objects(None, KG.formerName)}
    for row in rows:
        iri = V + "mandate/" + row["id"]
        concept = vocab.get(iri)
        if row["status"] == "renamed":
            assert concept is None, f"renamed row {row['id']} must not be its own mandate"
            assert normalise(row["official_name"]) in former_names, row["id"]
            continue
        assert concept is not None and concept.is_a("Mandate"), row["id"]
        assert concept.pref_label == row["official_name"]
        labels = {normalise(label) for label in (concept.pref_label, *concept.alt_labels)}
        for other in filter(None, (n.strip() for n in row["other_names"].split(" | "))):
            assert normalise(other) in labels, (row["id"], other)
        assert concept.values.get("mandateStatus", ("",))[0] == row["status"], row["id"]
        if row["country_iso3"]:
            assert concept.links["mandateCountry"] == (V + "country/" + row["country_iso3"],)
        year = graph.value(URIRef(iri), KG.establishedYear)
        assert (str(year) if year is not None else "") == row["established_year"], row["id"]


def test_former_names_are_also_alt_labels(graph):
    for s, name in graph.subject_objects(KG.formerName):
        assert (s, SKOS.altLabel, name) in graph, (s, name)


# Resolutions the letters cite, in the order of the mandates in their opening sentence.
CITED_RESOLUTIONS = {
    "wg-business": ["44/15", "35/7"],
    "wg-arbitrary-detention": ["42/22"],
    "sr-cultural-rights": ["37/12"],
    "sr-minority-issues": ["43/8"],
    "sr-religion-or-belief": ["40/10"],
    "sr-contemporary-slavery": ["42/10"],
    "sr-torture": ["43/20", "16/23", "34/19"],
    "sr-trafficking": ["44/4"],
    "sr-housing": ["34/9", "15/8"],
    "sr-food": ["22/9"],
    "sr-health": ["24/6"],
    "sr-water-sanitation": ["24/18"],
}


def test_cited_resolutions_renew_their_mandates(vocab):
    for mandate_id, numbers in CITED_RESOLUTIONS.items():
        mandate = vocab.get(V + "mandate/" + mandate_id)
        assert mandate is not None
        for number in numbers:
            resolution = vocab.resolution(number)
            assert resolution is not None, number
            assert resolution.iri in mandate.links.get("renewedBy", ()), (mandate_id, number)


SYMBOL_PATTERNS = {
    "hrc-": r"A/HRC/RES/(?P<n>\d+/\d+)",
    "chr-decision-": r"E/CN\.4/DEC/(?P<n>\d{4}/\d+)",
    "chr-": r"E/CN\.4/RES/(?P<n>\d{4}/\d+|\d+\([IVXLC]+\))",
    "ecosoc-": r"E/RES/(?P<n>\d{4}/\d+)",
}


def test_every_resolution_has_a_well_formed_symbol_and_number(vocab):
    resolutions = vocab.of_type("Resolution")
    assert len(resolutions) > 50
    for resolution in resolutions:
        key = resolution.iri.removeprefix(V + "resolution/")
        prefix = next(p for p in SYMBOL_PATTERNS if key.startswith(p))
        symbols = resolution.values.get("documentSymbol", ())
        numbers = resolution.values.get("resolutionNumber", ())
        assert len(symbols) == 1 and len(numbers) == 1, resolution.iri
        match = re.fullmatch(SYMBOL_PATTERNS[prefix], symbols[0])
        assert match, (resolution.iri, symbols[0])
        number = numbers[0]
        assert match["n"].replace("(", " (") == re.sub(r" A$", "", number), (resolution.iri, number)
        assert key.endswith(re.sub(r"[^0-9a-z]+", "-", number.lower()).strip("-")), (key, number)
        if key != "hrc-17-31":
            assert resolution.links.get("adoptedBy"), resolution.iri


def test_mandate_resolutions_exist(vocab):
    resolutions = {r.iri for r in vocab.of_type("Resolution")}
    for mandate in vocab.of_type("Mandate"):
        for link in ("establishedBy", "renewedBy"):
            for iri in mandate.links.get(link, ()):
                assert iri in resolutions, (mandate.iri, iri)


# --------------------------------------------------------------------------------------------
# Guiding Principles and instruments
# --------------------------------------------------------------------------------------------


def test_thirty_one_guiding_principles_in_three_pillars(vocab, graph):
    ranges = {1: range(1, 11), 2: range(11, 25), 3: range(25, 32)}
    principles = vocab.of_type("GuidingPrinciple")
    numbers = sorted(int(p.value("principleNumber") or 0) for p in principles)
    assert numbers == list(range(1, 32))
    for principle in principles:
        n = int(principle.value("principleNumber") or 0)
        assert principle.iri == f"{V}guiding-principle/{n}"
        assert principle.pref_label == f"Guiding Principle {n}"
        pillar = next(p for p, r in ranges.items() if n in r)
        assert principle.links["inPillar"] == (f"{V}ungp-pillar/{pillar}",)
        assert principle.links["broader"] == (f"{V}ungp-pillar/{pillar}",)
        assert graph.value(URIRef(principle.iri), DCTERMS.title) is not None
    ungp = URIRef(V + "instrument/ungp")
    assert len(set(graph.objects(ungp, DCTERMS.hasPart))) == 31


def test_instruments_have_abbreviations_as_labels(vocab):
    instruments = vocab.of_type("Instrument")
    keys = {i.iri.removeprefix(V + "instrument/") for i in instruments}
    required = {"udhr", "iccpr", "icescr", "cat", "icerd", "cedaw", "crc", "undrip", "ilo-c029", "ilo-c105"}
    assert required | {"ilo-p029", "palermo-protocol", "ungp"} <= keys
    for instrument in instruments:
        assert instrument.is_a("Treaty") or instrument.is_a("Declaration") or instrument.iri.endswith("/ungp")
        for abbreviation in instrument.values.get("abbreviation", ()):
            assert abbreviation in instrument.alt_labels, (instrument.iri, abbreviation)


# --------------------------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------------------------


def _generator() -> ModuleType:
    path = ROOT / "tools" / "build_vocab_countries.py"
    spec = importlib.util.spec_from_file_location("build_vocab_countries", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
    return module


def test_countries_file_is_what_the_generator_writes():
    import pycountry

    generator = _generator()
    expected = generator.render(generator.country_records())
    committed = (ROOT / "ontology" / "vocab" / "countries.ttl").read_text(encoding="utf-8")
    assert committed == expected, (
        f"countries.ttl differs from the output of tools/build_vocab_countries.py with pycountry "
        f"{getattr(pycountry, '__version__', '?')}; run the script and commit the result"
    )


def test_states_are_keyed_by_iso_codes(vocab):
    for state in vocab.of_type("State"):
        alpha3 = state.value("isoAlpha3")
        assert alpha3 is not None and state.iri == V + "country/" + alpha3
        assert re.fullmatch(r"[A-Z]{2}", state.value("isoAlpha2") or "")
        assert re.fullmatch(r"\d{3}", state.value("isoNumeric") or "")
    assert vocab.state("CHN") is vocab.state("CN")
    demonyms = sum(1 for s in vocab.of_type("State") if s.values.get("demonym"))
    assert demonyms >= 150


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Republic of Korea", "KOR"),
        ("Iran (Islamic Republic of)", "IRN"),
        ("Islamic Republic of Iran", "IRN"),
        ("United Kingdom of Great Britain and Northern Ireland", "GBR"),
        ("Türkiye", "TUR"),
        ("Turkey", "TUR"),
        ("Viet Nam", "VNM"),
        ("Cote d'Ivoire", "CIV"),
        ("Democratic People's Republic of Korea", "PRK"),
        ("the Syrian Arab Republic", "SYR"),
        ("Bolivia (Plurinational State of)", "BOL"),
    ],
)
def test_state_names_are_recognised(vocab, text, code):
    found = vocab.find(text, ["State"])
    assert [m.concept.value("isoAlpha3") for m in found] == [code]


def test_demonyms_are_matched_only_when_asked(vocab):
    text = "the Chinese Government and the British authorities"
    assert vocab.find(text, ["State"]) == []
    found = vocab.find(text, ["State"], include_hidden=True)
    assert [m.concept.value("isoAlpha3") for m in found] == ["CHN", "GBR"]


def test_inverted_iso_names_do_not_swallow_the_next_list_item(vocab):
    found = vocab.find("Moldova, Republic of Korea, Palestine, State of Qatar", ["State"])
    assert [m.concept.value("isoAlpha3") for m in found] == ["MDA", "KOR", "PSE", "QAT"]


# --------------------------------------------------------------------------------------------
# Recall on the real letters of ../shared/corpus
# --------------------------------------------------------------------------------------------

OPENING_MANDATES = {
    "AL_OTH_70_2020.txt": [
        "wg-business",
        "sr-cultural-rights",
        "sr-minority-issues",
        "sr-religion-or-belief",
        "sr-contemporary-slavery",
        "sr-torture",
        "sr-trafficking",
    ],
    "AL_CHN_18_2020.txt": [
        "wg-business",
        "wg-arbitrary-detention",
        "sr-cultural-rights",
        "sr-minority-issues",
        "sr-religion-or-belief",
        "sr-contemporary-slavery",
        "sr-torture",
        "sr-trafficking",
    ],
    "OL_OTH_17_2019.txt": ["sr-housing", "wg-business"],
    "UA_SYR_3_2014.txt": ["sr-housing", "sr-food", "sr-health", "sr-torture", "sr-water-sanitation"],
    "UA_GBR_3_2019.txt": ["sr-torture"],
}


def _opening(text: str) -> tuple[str, list[str]]:
    """The mandate list of the opening sentence ("in our capacities as ... pursuant to ...")."""
    match = re.search(r"capacit(?:y|ies) as\s+(?P<mandates>.+?)pursuant to (?P<basis>[^.]*)", text, re.S)
    assert match, "no opening sentence"
    return match["mandates"], re.findall(r"\d+/\d+", match["basis"])


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(OPENING_MANDATES))
def test_opening_sentence_mandates_are_found_in_order(vocab, name):
    mandates, _ = _opening(_corpus(name))
    found = [_notation(vocab, m.concept.iri) for m in vocab.find(mandates, ["Mandate"])]
    assert found == OPENING_MANDATES[name]


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(OPENING_MANDATES))
def test_letterhead_mandates_are_found(vocab, name):
    text = _corpus(name)
    match = re.search(r"Mandates? of the(?P<list>.+?)REFERENCE", text, re.S)
    assert match
    found = {_notation(vocab, m.concept.iri) for m in vocab.find(match["list"], ["Mandate"])}
    assert found == set(OPENING_MANDATES[name])


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(OPENING_MANDATES))
def test_opening_sentence_resolutions_renew_the_mandates_in_order(vocab, name):
    _, numbers = _opening(_corpus(name))
    assert len(numbers) == len(OPENING_MANDATES[name])
    for mandate_id, number in zip(OPENING_MANDATES[name], numbers, strict=True):
        resolution = vocab.resolution(number)
        assert resolution is not None, number
        assert mandate_id in {_notation(vocab, m.iri) for m in vocab.mandates_citing(resolution.iri)}


@pytest.mark.corpus
def test_states_listed_in_al_oth_70_2020_are_found(vocab):
    text = _corpus("AL_OTH_70_2020.txt")
    match = re.search(r"also sent to the Governments of (?P<list>.+?), as well as", text, re.S)
    assert match
    found = [m.concept.value("isoAlpha3") for m in vocab.find(match["list"], ["State"])]
    assert found == [
        "CHN",
        "GBR",
        "USA",
        "CHE",
        "SWE",
        "ESP",
        "KOR",
        "JPN",
        "ITA",
        "DEU",
        "FRA",
        "FIN",
        "DNK",
        "CAN",
    ]


ISSUES_RAISED = {
    "AL_OTH_70_2020.txt": {
        "forced-labour",
        "arbitrary-detention",
        "trafficking-in-persons",
        "forcible-transfer",
        "freedom-of-movement",
        "privacy-and-surveillance",
        "freedom-of-religion-or-belief",
        "torture-and-ill-treatment",
        "access-to-remedy",
        "human-rights-due-diligence",
        "excessive-working-hours",
        "unpaid-wages",
        "family-life",
        "slavery-and-servitude",
    },
    "AL_CHN_18_2020.txt": {
        "forced-labour",
        "arbitrary-detention",
        "trafficking-in-persons",
        "access-to-remedy",
    },
    "OL_OTH_17_2019.txt": {"forced-evictions", "right-to-adequate-housing"},
    "UA_SYR_3_2014.txt": {
        "right-to-food",
        "water-and-sanitation",
        "right-to-health",
        "right-to-adequate-housing",
        "protection-of-civilians",
    },
    "UA_GBR_3_2019.txt": {"torture-and-ill-treatment", "right-to-health", "expulsion-and-refoulement"},
}


def _after_opening(text: str) -> str:
    """The narrative after the opening sentence, so that mandate titles do not count as issues."""
    match = re.search(r"pursuant to [^.]*\.", text)
    assert match
    return text[match.end() :]


@pytest.mark.corpus
@pytest.mark.parametrize("name", sorted(ISSUES_RAISED))
def test_issues_the_letters_raise_are_found(vocab, name):
    narrative = _after_opening(_corpus(name))
    found = {_notation(vocab, m.concept.iri) for m in vocab.find(narrative, ["HumanRightsIssue"])}
    assert ISSUES_RAISED[name] <= found, ISSUES_RAISED[name] - found


@pytest.mark.corpus
def test_groups_sectors_and_norms_of_al_oth_70_2020_are_found(vocab):
    narrative = _after_opening(_corpus("AL_OTH_70_2020.txt"))

    def notations(types: list[str]) -> set[str]:
        return {_notation(vocab, m.concept.iri) for m in vocab.find(narrative, types)}

    assert {"uyghurs", "minority-workers", "workers", "family-members"} <= notations(["AffectedGroup"])
    assert {"agriculture", "textile-and-garment", "automotive", "technology"} <= notations(["Sector"])
    assert {"GP13", "GP15", "GP19", "GP20", "GP22"} <= notations(["GuidingPrinciple"])
    assert "ungp" in notations(["Instrument"])
    assert "hrc-17-31" in notations(["Resolution"])


@pytest.mark.corpus
def test_question_topics_of_al_oth_70_2020_are_found(vocab):
    text = _corpus("AL_OTH_70_2020.txt")
    start = text.index("1. Please provide")
    end = text.index("This communication and any response")
    found = {_notation(vocab, m.concept.iri) for m in vocab.find(text[start:end], ["QuestionTopic"])}
    expected = {
        "additional-information",
        "human-rights-due-diligence",
        "monitoring-and-evaluation",
        "awareness-and-training",
        "leverage-and-business-relationships",
        "reporting-to-authorities",
        "remediation",
        "grievance-mechanisms",
        "cooperation",
    }
    assert expected <= found, expected - found
