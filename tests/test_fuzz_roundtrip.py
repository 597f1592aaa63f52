"""Record -> RDF -> record: what the graph carries comes back unchanged (kg.rdf_read).

Records come from a Hypothesis strategy built on the pydantic models, with fictional names
and the real vocabulary (mandates, States, issues, groups, resolutions, instruments), shaped
as extraction or a person writing JSON would make them. ``carried`` lists, in one place, what
the graph does not carry by design (see kg.rdf_read): both sides are compared through it.

Hypothesis runs derandomized and without an example database, so CI sees the same examples
on every run; ``pytest --hypothesis-show-statistics`` prints how many ran.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rdflib import Literal

from kg import iris, resources
from kg.errors import RecordError
from kg.extract import concepts
from kg.rdf import KG, record_to_graph
from kg.rdf_read import document_to_record, graph_to_record
from kg.record import (
    Actor,
    Allegation,
    CommunicationRecord,
    ConceptRef,
    Evidence,
    MandateRef,
    NormCitation,
    Period,
    Person,
    Place,
    Quantity,
    Question,
    ReferenceParts,
    RelatedReference,
    Reply,
    Signatory,
    Source,
    load_record,
)
from kg.vocab import Concept, load_vocabulary
from support import synthetic_record

BASE = "https://x.test/"
VOCAB = load_vocabulary()


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


def pool(local_name: str) -> list[Concept]:
    return sorted(concepts.of_class(VOCAB, local_name), key=lambda c: c.iri)


MANDATES = pool("Mandate")
STATES = [c for c in pool("State") if concepts.iso3(c)]
ISSUES = pool("HumanRightsIssue")
GROUPS = pool("AffectedGroup")
SECTORS = pool("Sector")
TOPICS = pool("QuestionTopic")
PRINCIPLES = [c for c in pool("GuidingPrinciple") if c.value("principleNumber")]
RESOLUTIONS = [c for c in pool("Resolution") if c.value("resolutionNumber") and c.value("documentSymbol")]
INSTRUMENTS = [c for c in pool("Instrument") if c.iri == iris.instrument_iri(concepts.notation(c))]

# -- fictional names and texts --------------------------------------------------------------

TEXT = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=30)
WORDS = ["Acme", "Borealis", "Cobalt", "Dunmore", "Elmwood", "Fenwick", "Gantry", "Harrow", "Isel"]
COMPANY = st.tuples(
    st.sampled_from(WORDS),
    st.sampled_from(["Mining", "Textiles", "Holdings", ""]),
    st.sampled_from(["Ltd", "Inc.", "S.A.", "GmbH"]),
).map(lambda t: " ".join(w for w in t if w))
PERSON = st.tuples(
    st.sampled_from(["Ada", "Ben", "Cy", "Dora", "Eli"]),
    st.sampled_from(["Brook", "Stone", "Lamp", "Quill", "Reed"]),
).map(" ".join)
PLACE = st.tuples(st.sampled_from(WORDS), st.sampled_from(["Province", "District", "Region"])).map(" ".join)
ISO3 = st.sampled_from([iso for c in STATES if (iso := concepts.iso3(c))])


def _quote(start: int, end: int) -> str | None:
    """One quote per span, as in a record made from one text: offsets decide the sentence."""
    return None if (start + end) % 4 == 0 else f"fictional sentence {start}–{end} «é»"


EVIDENCE = st.tuples(st.integers(0, 4000), st.integers(0, 400)).map(
    lambda p: Evidence(start=p[0], end=p[0] + p[1], quote=_quote(p[0], p[0] + p[1]))
)
MAYBE_EVIDENCE = st.none() | EVIDENCE


def _country_of(name: str) -> str | None:
    """A company's or place's country follows from its name, so one name is one node."""
    codes = sorted(iso for c in STATES if (iso := concepts.iso3(c)))
    return None if len(name) % 3 == 0 else codes[sum(map(ord, name)) % len(codes)]


@st.composite
def state_actor(draw: st.DrawFn) -> Actor:
    state = draw(st.sampled_from(STATES))
    return Actor(kind="state", name=state.pref_label, country=concepts.iso3(state))


@st.composite
def named_actor(draw: st.DrawFn) -> Actor:
    name = draw(COMPANY)
    # One name, one kind and country: the node is minted from the kind's folder and the name.
    kind = ("company", "organization", "other")[sum(map(ord, name)) % 3]
    return Actor(kind=kind, name=name, country=_country_of(name))


ACTOR = st.one_of(state_actor(), named_actor())
# "the company", "a State": actors a letter does not name, one per kind and allegation.
UNNAMED = st.sampled_from(["state", "company", "organization", "other"]).map(lambda k: Actor(kind=k))


@st.composite
def recipient(draw: st.DrawFn) -> Actor:
    actor = draw(
        st.one_of(ACTOR, st.sampled_from(["company", "organization", "other"]).map(lambda k: Actor(kind=k)))
    )
    return actor.model_copy(update={"evidence": draw(MAYBE_EVIDENCE)})


def vocab_ref(concept: Concept) -> ConceptRef:
    return ConceptRef(label=concept.pref_label, iri=concept.iri)


def concept_refs(concept_pool: list[Concept]) -> st.SearchStrategy[list[ConceptRef]]:
    minted = st.sampled_from(WORDS).map(lambda w: ConceptRef(label=f"{w} people"))
    return st.lists(
        st.sampled_from(concept_pool).map(vocab_ref) | minted, max_size=3, unique_by=lambda r: r.label
    )


@st.composite
def place(draw: st.DrawFn) -> Place:
    if draw(st.booleans()):
        state = draw(st.sampled_from(STATES))
        return Place(name=state.pref_label, country=concepts.iso3(state), kind="state")
    name = draw(PLACE)
    return Place(name=name, country=_country_of(name))


@st.composite
def allegation(draw: st.DrawFn, issue: Concept) -> Allegation:
    start = draw(st.none() | st.integers(1900, 2100))
    end = draw(st.none() | st.integers(1900, 2100))
    period = None if start is None and end is None else Period(start=start, end=end, text="since then")
    return Allegation(
        issue=issue.pref_label,
        issue_iri=issue.iri,
        affected_groups=draw(concept_refs(GROUPS)),
        locations=draw(st.lists(place(), max_size=3, unique_by=lambda p: (p.name, p.kind))),
        sectors=draw(concept_refs(SECTORS)),
        policies=draw(
            st.lists(
                st.sampled_from(WORDS).map(lambda w: ConceptRef(label=f"“{w}” programme")),
                max_size=2,
                unique_by=lambda r: r.label,
            )
        ),
        perpetrators=draw(st.lists(ACTOR | UNNAMED, max_size=2, unique_by=lambda a: (a.kind, a.name))),
        implicated=draw(st.lists(ACTOR, max_size=2, unique_by=lambda a: (a.kind, a.name))),
        period=period,
        quantities=draw(
            st.lists(
                st.builds(
                    Quantity,
                    value=st.floats(allow_nan=False, allow_infinity=False)
                    | st.integers(0, 10**12).map(float),
                    qualifier=st.none() | st.sampled_from(["more than", "about", "at least"]),
                    unit=TEXT,
                    text=st.just("as written"),
                ),
                max_size=3,
            )
        ),
        evidence=draw(st.lists(EVIDENCE, max_size=3, unique_by=lambda e: (e.start, e.end))),
    )


@st.composite
def norm(draw: st.DrawFn) -> NormCitation:
    kind = draw(
        st.sampled_from(
            ["guiding_principle", "resolution", "symbol", "instrument", "new instrument", "article"]
        )
    )
    evidence = draw(MAYBE_EVIDENCE)
    if kind == "guiding_principle":
        gp = draw(st.sampled_from(PRINCIPLES))
        number = gp.value("principleNumber")
        return NormCitation(kind=kind, id=str(number), label=f"Guiding Principle {number}", evidence=evidence)
    if kind == "resolution":
        res = draw(st.sampled_from(RESOLUTIONS))
        return NormCitation(
            kind="resolution", id=res.value("documentSymbol") or "", label=res.pref_label, iri=res.iri
        )
    if kind == "symbol":
        # Sessions above 70 are not in the vocabulary, nor among the mandates' resolutions below.
        session, number = draw(st.integers(71, 99)), draw(st.integers(1, 200))
        symbol = f"A/HRC/RES/{session}/{number}"
        return NormCitation(
            kind="resolution", id=symbol, label=f"Resolution {session}/{number}", evidence=evidence
        )
    if kind == "instrument":
        instrument = draw(st.sampled_from(INSTRUMENTS))
        return NormCitation(
            kind=kind, id=concepts.notation(instrument), label=instrument.pref_label, iri=instrument.iri
        )
    key = draw(st.sampled_from(["river-treaty", "lighthouse-code"]))
    if kind == "new instrument":
        return NormCitation(kind="instrument", id=key, label=f"The {key}")
    article = draw(st.integers(1, 60))
    return NormCitation(kind="article", id=f"{key}#{article}", label=f"Article {article} of {key}")


REFERENCE = st.tuples(
    st.sampled_from(["AL", "UA", "OL", "JAL", "JUA"]),
    ISO3 | st.just("OTH"),
    st.integers(1, 9999),
    st.integers(1980, 2100),
)


@st.composite
def records(draw: st.DrawFn) -> CommunicationRecord:
    kind, country, number, year = draw(REFERENCE)
    reference = f"{kind} {country} {number}/{year}"
    parts = draw(
        st.none()
        | st.just(
            ReferenceParts(
                type=kind,
                country=country,
                number=number,
                year=year,
                file_codes=draw(st.lists(TEXT, max_size=2, unique=True)),
            )
        )
    )
    date = draw(st.none() | st.dates(dt.date(1980, 1, 1), dt.date(2100, 12, 31)))
    mandates = draw(st.lists(st.sampled_from(MANDATES), max_size=4, unique_by=lambda c: c.iri))
    numbers = st.sampled_from(RESOLUTIONS).map(lambda r: r.value("resolutionNumber") or "") | st.tuples(
        st.integers(1, 70), st.integers(1, 60)
    ).map(lambda p: f"{p[0]}/{p[1]}")
    signers = draw(st.lists(PERSON, max_size=3, unique=True))
    issues = draw(st.lists(st.sampled_from(ISSUES), max_size=3, unique_by=lambda c: c.iri))
    others = draw(
        st.lists(
            REFERENCE.map(lambda r: "{} {} {}/{}".format(*r)).filter(lambda r: r != reference),
            max_size=3,
            unique=True,
        )
    )
    person = draw(
        st.none()
        | st.builds(
            Person,
            name=st.none() | PERSON,
            honorific=st.none() | st.sampled_from(["Mr.", "Ms.", "Excellency"]),
            evidence=MAYBE_EVIDENCE,
        )
    )
    if person is not None and person.name is None and person.honorific is None:
        person = None
    signatories = []
    for name in signers:
        mandate = draw(st.none() | st.sampled_from(MANDATES))
        signatories.append(
            Signatory(
                name=name,
                title=draw(st.sampled_from(["Special Rapporteur", "Chair-Rapporteur", "Member"]))
                if mandate
                else None,
                mandate=mandate.pref_label if mandate else None,
                mandate_iri=mandate.iri if mandate else None,
                evidence=draw(MAYBE_EVIDENCE),
            )
        )
    questions = [
        Question(
            number=i,
            text=draw(st.none() | TEXT),
            topics=draw(concept_refs(TOPICS)),
            evidence=draw(MAYBE_EVIDENCE),
        )
        for i in range(1, draw(st.integers(0, 4)) + 1)
    ]
    return CommunicationRecord(
        reference=reference,
        reference_parts=parts,
        reference_evidence=draw(MAYBE_EVIDENCE),
        type=parts.type if parts else None,
        date=date,
        date_evidence=draw(MAYBE_EVIDENCE) if date else None,
        recipient=draw(st.none() | recipient()),
        addressee_person=person,
        mandates=[
            MandateRef(
                name=m.pref_label,
                iri=m.iri,
                text=draw(st.none() | TEXT),
                resolution=draw(st.none() | numbers),
                evidence=draw(MAYBE_EVIDENCE),
            )
            for m in mandates
        ],
        resolutions=draw(st.lists(numbers, max_size=4, unique=True)),
        signatories=signatories,
        allegations=[draw(allegation(issue)) for issue in issues],
        questions=questions,
        norms_cited=draw(st.lists(norm(), max_size=5, unique_by=lambda n: (n.kind, n.id))),
        also_sent_to=draw(st.lists(ACTOR, max_size=3, unique_by=lambda a: (a.kind, a.name))),
        also_sent_to_other_companies=draw(st.booleans()),
        related_references=[
            RelatedReference(reference=r, relation=draw(st.sampled_from(["related", "follow_up"])))
            for r in others
        ],
        publication_days=draw(st.none() | st.integers(0, 10_000)),
        publication_date=draw(st.none() | st.dates(dt.date(1980, 1, 1), dt.date(2100, 12, 31))),
        publication_evidence=draw(MAYBE_EVIDENCE),
        replies=draw(
            st.lists(st.builds(Reply, date=st.none() | st.dates(), by=st.none() | TEXT), max_size=3)
        ),
        source=draw(
            st.none()
            | st.builds(
                Source,
                file_name=TEXT,
                sha256=st.none() | st.text("0123456789abcdef", min_size=64, max_size=64),
                media_type=st.none() | st.sampled_from(["text/plain", "application/pdf"]),
                length=st.none() | st.integers(0, 10**7),
            )
        ),
        warnings=draw(st.lists(TEXT, max_size=3, unique=True)),
    )


# -- what the graph carries -----------------------------------------------------------------


def _by(*keys: str) -> Any:
    return lambda item: tuple(str(item.get(k) or "") for k in keys)


def carried(record: CommunicationRecord) -> dict[str, Any]:
    """The record as the graph carries it (kg.rdf_read's docstring says why each part is left out)."""
    data = record.model_dump(mode="json")
    for mandate in data["mandates"]:
        mandate["text"] = None  # the letter's own wording of the mandate
    for signatory in data["signatories"]:
        if signatory["mandate_iri"] is None:
            signatory["title"] = None  # a title is stored on the post in a mandate
    for reply in data["replies"]:
        reply["by"] = None
    for a in data["allegations"]:
        for key in ("affected_groups", "sectors", "policies", "locations", "perpetrators", "implicated"):
            for item in a[key]:
                item["evidence"] = None
        a["affected_groups"].sort(key=_by("label", "iri"))
        a["sectors"].sort(key=_by("label", "iri"))
        a["policies"].sort(key=_by("label", "iri"))
        a["locations"].sort(key=_by("name", "country", "kind"))
        a["perpetrators"].sort(key=_by("kind", "name", "country"))
        a["implicated"].sort(key=_by("kind", "name", "country"))
        a["evidence"].sort(key=_by("start", "end", "quote"))
        if a["period"] is not None:
            a["period"]["text"] = ""
        for q in a["quantities"]:
            q["text"] = ""
    data["allegations"].sort(key=_by("issue_iri"))
    for q in data["questions"]:
        for topic in q["topics"]:
            topic["evidence"] = None
        q["topics"].sort(key=_by("label", "iri"))
    for key in ("norms_cited", "also_sent_to", "related_references"):
        for item in data[key]:
            item["evidence"] = None  # these spans point at the communication, not at the item
    for n in data["norms_cited"]:
        n["iri"] = None  # minted from kind and id when absent; compared through them
    data["norms_cited"].sort(key=_by("kind", "id"))
    data["also_sent_to"].sort(key=_by("kind", "name", "country"))
    data["related_references"].sort(key=_by("reference", "relation"))
    data["resolutions"] = sorted(set(data["resolutions"]))
    data["warnings"] = sorted(set(data["warnings"]))
    if data["reference_parts"] is not None:
        data["reference_parts"]["file_codes"] = sorted(set(data["reference_parts"]["file_codes"]))
    return data


def round_trip(record: CommunicationRecord) -> CommunicationRecord:
    return document_to_record(record_to_graph(record, base=BASE, vocab=VOCAB), vocab=VOCAB)


@fuzz(150)
@given(record=records())
def test_a_record_comes_back_from_its_graph(record: CommunicationRecord) -> None:
    back = round_trip(record)
    assert carried(back) == carried(record)
    # What comes back is a record a person can save, edit and ingest again.
    assert CommunicationRecord.model_validate_json(back.to_json()) == back


@fuzz(60)
@given(record=records())
def test_the_graph_of_a_read_back_record_is_the_same_graph(record: CommunicationRecord) -> None:
    """Reading is the inverse of writing on the graph side too: write, read, write gives the same triples."""
    first = record_to_graph(record, base=BASE, vocab=VOCAB)
    again = record_to_graph(document_to_record(first, vocab=VOCAB), base=BASE, vocab=VOCAB)
    missing = set(first.graph) - set(again.graph)
    # Only evidence of items whose spans point at the communication is lost (and so the digest changes).
    fields = {Literal("also_sent_to"), Literal("norms_cited"), Literal("related_references")}
    for s, p, o in missing:
        if p == KG.contentDigest:
            continue
        assert set(first.graph.objects(s, KG.evidenceField)) & fields, (s, p, o)
    assert set(again.graph) - set(first.graph) <= {(again.graph_iri, KG.contentDigest, Literal(again.digest))}


@pytest.mark.parametrize("path", sorted(resources.sample_dir().glob("*.json")), ids=lambda p: p.stem)
def test_the_bundled_sample_records_come_back(path: Any) -> None:
    record = load_record(path)
    assert carried(round_trip(record)) == carried(_vocabulary_names(record))


def _vocabulary_names(record: CommunicationRecord) -> CommunicationRecord:
    """Names the vocabulary gives are stored there once: a record may spell them otherwise."""
    data = record.model_dump()
    for m in data["mandates"]:
        m["name"] = VOCAB.label(m["iri"]) or m["name"]
    for s in data["signatories"]:
        if s["mandate_iri"]:
            s["mandate"] = VOCAB.label(s["mandate_iri"])
    for a in data["allegations"]:
        a["issue"] = VOCAB.label(a["issue_iri"]) or a["issue"]
        for key in ("affected_groups", "sectors"):
            for ref in a[key]:
                if ref["iri"]:
                    ref["label"] = VOCAB.label(ref["iri"]) or ref["label"]
        for place in a["locations"]:
            if place["kind"] == "state" and place["country"]:
                place["name"] = VOCAB.label(iris.state_iri(place["country"])) or place["name"]
    for q in data["questions"]:
        for ref in q["topics"]:
            if ref["iri"]:
                ref["label"] = VOCAB.label(ref["iri"]) or ref["label"]
    for actor in [
        data["recipient"],
        *data["also_sent_to"],
        *(x for a in data["allegations"] for x in a["perpetrators"] + a["implicated"]),
    ]:
        if actor and actor["kind"] == "state" and actor["country"]:
            actor["name"] = VOCAB.label(iris.state_iri(actor["country"])) or actor["name"]
    for n in data["norms_cited"]:
        if n["iri"] and VOCAB.get(n["iri"]) is not None and n["kind"] != "guiding_principle":
            n["label"] = VOCAB.label(n["iri"]) or n["label"]
    recipient = data["recipient"]
    for a in data["allegations"]:
        for actor in a["implicated"]:
            # "your company", unnamed, is the recipient: the graph links the allegation to it.
            if recipient and not actor["name"] and actor["kind"] == recipient["kind"]:
                actor.update({k: recipient[k] for k in ("name", "country")})
    return CommunicationRecord.model_validate(data)


def test_the_synthetic_record_comes_back() -> None:
    record = synthetic_record()
    assert carried(round_trip(record)) == carried(_vocabulary_names(record))


def test_a_graph_that_is_not_a_document_graph_is_refused() -> None:
    document = record_to_graph(synthetic_record(), base=BASE, vocab=VOCAB)
    graph = document.graph
    for triple in list(graph.triples((document.graph_iri, None, None))):
        graph.remove(triple)
    with pytest.raises(RecordError, match="foaf:primaryTopic"):
        graph_to_record(graph, vocab=VOCAB)


@pytest.mark.parametrize(
    ("recipient", "implicated"),
    [
        (Actor(kind="company"), Actor(kind="company")),
        (Actor(kind="company", name="Acme Mining Ltd"), Actor(kind="company", name="Acme Mining Ltd")),
        (Actor(kind="state", name="Zambia", country="ZMB"), Actor(kind="company")),
    ],
)
def test_an_unnamed_implicated_actor_stays_in_the_graph(recipient: Actor, implicated: Actor) -> None:
    """Found by fuzzing: "your company", implicated but unnamed, had no node and was dropped.

    Of the recipient's kind, it is the recipient; otherwise an unnamed actor of the allegation.
    """
    record = synthetic_record()
    record.recipient = recipient
    record.allegations[0].implicated = [Actor(kind="company")]
    back = round_trip(record)
    assert [a.implicated for a in back.allegations] == [[implicated]]


def test_an_infinite_quantity_is_refused_with_its_allegation() -> None:
    """Found by fuzzing: an infinite value became the literal "Infinity"^^xsd:decimal, which is not one."""
    record = synthetic_record()
    record.allegations[0].quantities = [
        Quantity(value=float("inf"), unit="workers", text="countless workers")
    ]
    with pytest.raises(RecordError, match="countless workers"):
        record_to_graph(record, base=BASE, vocab=VOCAB)
