"""The compiled SHACL checks report what pySHACL reports, document for document.

kg.validate runs the shapes compiled into Python (kg.shacl_compiled) rather than pySHACL,
which is about twenty times slower. These tests hold the two to the same results on the
sample records, the real letters (where ../shared/corpus exists), synthetic records, and
documents broken on purpose so that every constraint component the shapes use fails: the
same conformance and the same multiset of (focus node, result path, constraint component,
source shape, severity). Both sides validate the same data, kg's per-document data graph
(the document, the vocabulary facts it points to, the class hierarchy); results about
vocabulary nodes that are there only as context are left out on both sides, because kg
checks the vocabulary on its own (validate_vocabularies), not with every letter.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from pyshacl import validate as pyshacl_validate
from pyshacl.errors import ReportableRuntimeError
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import FOAF, RDF, RDFS, SH, SKOS, XSD
from rdflib.term import Node

from kg import resources
from kg.errors import InputError
from kg.extract import extract_file
from kg.rdf import DocumentGraph, record_to_graph
from kg.record import load_record
from kg.shacl_compiled import COMPILED_PARAMETERS
from kg.validate import (
    VOCABULARY_SHAPES,
    ValidationReport,
    _all_shapes,
    _Context,
    _data_graph,
    _document_shapes,
    _path,
    _reference_report,
    _ShapeSet,
    _validate,
    validate_document,
    validate_documents,
    validate_graph,
    validate_vocabularies,
)
from kg.vocab import Vocabulary, load_vocabulary, vocabulary_graph
from support import synthetic_record

KG = Namespace("https://w3id.org/kg-spcomm/ontology#")
V = "https://w3id.org/kg-spcomm/vocab/"
WDT = Namespace("http://www.wikidata.org/prop/direct/")
BASE = "https://w3id.org/kg-spcomm/data/"
HERE = Path(__file__).resolve().parent / "shapes"

Key = tuple[str, str | None, str | None, str | None, str]


# -- the two sides -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def vocab() -> Vocabulary:
    return load_vocabulary()


@pytest.fixture(scope="module")
def document_shapes() -> Graph:
    graph = Graph()
    for path in resources.shape_files():
        if path.name != VOCABULARY_SHAPES:
            graph.parse(path, format="turtle")
    return graph


def _plain(data: Graph, shapes: Graph, skip: frozenset[Node]) -> Counter[Key]:
    """Plain pySHACL's results on ``data``, as comparable keys."""
    _conforms, report, _text = pyshacl_validate(data, shacl_graph=shapes, inference="none", advanced=False)
    keys: Counter[Key] = Counter()
    for result in report.subjects(RDF.type, SH.ValidationResult):
        focus = report.value(result, SH.focusNode)
        if focus in skip:
            continue
        shape = report.value(result, SH.sourceShape)
        keys[
            (
                str(focus),
                _path(report, report.value(result, SH.resultPath)),
                str(report.value(result, SH.sourceConstraintComponent)),
                str(shape) if isinstance(shape, URIRef) else None,
                str(report.value(result, SH.resultSeverity)).rsplit("#", 1)[-1],
            )
        ] += 1
    return keys


def _ours(report: ValidationReport) -> Counter[Key]:
    return Counter((i.focus, i.path, i.component, i.shape, i.severity) for i in report.results)


def _assert_same(graph: Graph, vocab: Vocabulary, shapes: Graph) -> ValidationReport | None:
    """kg's report on ``graph`` matches plain pySHACL's and kg's own pySHACL path, issue for issue.

    Returns kg's report, or None when pySHACL refuses the data (then kg must refuse it too,
    as bad input).
    """
    context = _Context(vocab)
    data = _data_graph(_stored(graph), context)
    try:
        plain = _plain(data.graph, shapes, data.context_only)
    except (TypeError, ReportableRuntimeError):
        with pytest.raises(InputError):
            validate_graph(graph, vocab=vocab)
        return None
    ours = validate_graph(graph, vocab=vocab)
    assert _ours(ours) == plain, (
        f"only ours: {sorted((_ours(ours) - plain).elements())}; "
        f"only pySHACL: {sorted((plain - _ours(ours)).elements())}"
    )
    assert ours.conforms == (not any(key[4] == "Violation" for key in plain))
    # messages, values and evidence too, against kg's pySHACL path on the same graph
    assert ours.results == _reference_report(graph, context, _document_shapes()).results
    return ours


def _stored(graph: Graph) -> Graph:
    """The graph as the store will hold it (N-Triples), so that pySHACL judges literals by their
    lexical form, as kg does; graphs with blank nodes are kept as they are (their labels change)."""
    if any(isinstance(term, BNode) for triple in graph for term in triple):
        return graph
    return Graph().parse(data=graph.serialize(format="nt"), format="nt")


def _doc(record: object, vocab: Vocabulary) -> DocumentGraph:
    return record_to_graph(record, base=BASE, vocab=vocab)  # type: ignore[arg-type]


# -- real and synthetic documents ----------------------------------------------------------


def test_sample_records(vocab, document_shapes) -> None:
    records = sorted(resources.sample_dir().glob("*.json"))
    assert records
    for path in records:
        _assert_same(_doc(load_record(path), vocab).graph, vocab, document_shapes)


@pytest.mark.corpus
def test_corpus_letters(corpus_dir, vocab, document_shapes) -> None:
    letters = sorted(corpus_dir.glob("*.txt"))
    assert letters
    for letter in letters:
        record = extract_file(letter, vocabulary=vocab)
        _assert_same(_doc(record, vocab).graph, vocab, document_shapes)


def _synthetic_variants() -> list[object]:
    """Synthetic records that differ where the shapes look: recipients, dates, parts left out."""
    plain = synthetic_record()
    to_state = synthetic_record("UA CHN 12/2021")
    to_state.recipient.kind = "state"
    to_state.recipient.country = "CHN"
    no_extras = synthetic_record("OL OTH 3/2019", company="Beta Holdings")
    no_extras.publication_date = None
    no_extras.publication_days = None
    no_extras.signatories = []
    no_extras.questions = []
    no_extras.norms_cited = []
    unnamed = synthetic_record("AL OTH 44/2023", company="Gamma Metals")
    unnamed.recipient.name = None
    unnamed.allegations[0].affected_groups = []
    unnamed.allegations[0].evidence = []
    late = synthetic_record("JAL OTH 7/2022", company="Delta Oil")
    late.publication_date = dt.date(2022, 1, 1)
    return [plain, to_state, no_extras, unnamed, late]


def test_synthetic_records(vocab, document_shapes) -> None:
    reports = [_assert_same(_doc(r, vocab).graph, vocab, document_shapes) for r in _synthetic_variants()]
    assert any(r is not None and r.conforms for r in reports)
    assert any(r is not None and r.warnings for r in reports)


def test_dash_cases_of_the_shape_tests(document_shapes) -> None:
    """The hand-written cases of tests/shapes/cases, against the fixture vocabulary."""
    fixture = Vocabulary(vocabulary_graph([HERE / "vocab-fixture.ttl"]))
    checked = 0
    for path in sorted((HERE / "cases").glob("*.ttl")):
        graph = Graph().parse(path, format="turtle")
        case = graph.value(
            predicate=RDF.type, object=URIRef("http://datashapes.org/dash#GraphValidationTestCase")
        )
        if graph.value(case, URIRef("https://w3id.org/kg-spcomm/test#scope")) is not None:
            continue  # vocabulary cases: test_broken_vocabulary
        own = _closure(graph, case)
        data = Graph()
        for triple in graph:
            if triple not in own:
                data.add(triple)
        _assert_same(data, fixture, document_shapes)
        checked += 1
    assert checked >= 20


def _closure(graph: Graph, node: Node) -> set[tuple[Node, Node, Node]]:
    """A test case's own triples: those of its node and of every blank node below it."""
    found: set[tuple[Node, Node, Node]] = set()
    todo = [node]
    while todo:
        for triple in graph.triples((todo.pop(), None, None)):
            if triple not in found:
                found.add(triple)
                if isinstance(triple[2], BNode):
                    todo.append(triple[2])
    return found


# -- documents broken on purpose: every constraint component fails somewhere --------------


def _first(g: Graph, cls: URIRef) -> Node:
    return sorted(g.subjects(RDF.type, cls), key=str)[0]


def _span(g: Graph, field: str) -> Node:
    return next(s for s in g.subjects(KG.evidenceField, Literal(field)))


def _set(g: Graph, s: Node, p: URIRef, *values: Node) -> None:
    g.remove((s, p, None))
    for value in values:
        g.add((s, p, value))


Mutation = Callable[[Graph, Node], None]

BROKEN: dict[str, Mutation] = {
    "no-reference (minCount)": lambda g, c: _set(g, c, KG.reference),
    "two dates (maxCount)": lambda g, c: g.add((c, KG.dateSent, Literal("2024-05-03", datatype=XSD.date))),
    "date as plain string (datatype, lessThanOrEquals across kinds)": lambda g, c: _set(
        g, c, KG.dateSent, Literal("2024-05-02")
    ),
    "ill-typed date (datatype)": lambda g, c: _set(
        g, c, KG.dateSent, Literal("2024-13-45", datatype=XSD.date)
    ),
    "language-tagged reference (datatype, pattern)": lambda g, c: _set(
        g, c, KG.reference, Literal("AL OTH 901/2024", lang="en")
    ),
    "lower-case reference (pattern)": lambda g, c: _set(g, c, KG.reference, Literal("al oth 901/2024")),
    "unknown mandate (class)": lambda g, c: g.add((c, KG.sentByMandate, URIRef(V + "mandate/nope"))),
    "mandate as literal (nodeKind, class)": lambda g, c: g.add((c, KG.sentByMandate, Literal("wg-business"))),
    "reference number 0 (minInclusive)": lambda g, c: _set(g, c, KG.referenceNumber, Literal(0)),
    "reference year 2200 (maxInclusive)": lambda g, c: _set(g, c, KG.referenceYear, Literal(2200)),
    "reference year as string (minInclusive across kinds)": lambda g, c: _set(
        g, c, KG.referenceYear, Literal("2024")
    ),
    "published before sent (lessThanOrEquals)": lambda g, c: _set(
        g, c, KG.publicationDate, Literal("2024-01-01", datatype=XSD.date)
    ),
    "sendings disagree (equals on a sequence path)": lambda g, c: g.remove(
        (c, KG.sentByMandate, URIRef(V + "mandate/sr-torture"))
    ),
    "country code of another State (or)": lambda g, c: _set(g, c, KG.referenceCountryCode, Literal("CHN")),
    "no reference evidence (qualifiedMinCount, hasValue, inverse path)": lambda g, c: g.remove(
        (_span(g, "reference"), KG.evidenceField, None)
    ),
    "no allegation (minCount warning)": lambda g, c: _set(g, c, KG.raisesAllegation),
    "allegation that is not one (class)": lambda g, c: _set(g, c, KG.raisesAllegation, URIRef(BASE + "x")),
    "location neither State nor place (or warning)": lambda g, c: _set(
        g, _first(g, KG.Allegation), KG.occurredIn, URIRef(V + "issue/forced-labour")
    ),
    "place without a name (alternative path)": lambda g, c: g.remove((_first(g, KG.Place), RDFS.label, None)),
    "allegation without evidence (inverse path warning)": lambda g, c: g.remove(
        (None, KG.evidenceFor, _first(g, KG.Allegation))
    ),
    "span starts after it ends (lessThanOrEquals on integers)": lambda g, c: _set(
        g, _span(g, "date"), KG.startOffset, Literal(30)
    ),
    "blank node as the date (pySHACL refuses)": lambda g, c: _set(g, c, KG.dateSent, BNode()),
    "publication date as a year (datatype)": lambda g, c: _set(
        g, c, KG.publicationDate, Literal("2024", datatype=XSD.gYear)
    ),
    "two primary topics (maxCount on a document graph)": lambda g, c: g.add(
        (_first(g, KG.DocumentGraph), FOAF.primaryTopic, URIRef(BASE + "communication/other"))
    ),
    "primary topic not a communication (class on a node shape)": lambda g, c: _set(
        g, _first(g, KG.DocumentGraph), FOAF.primaryTopic, _first(g, KG.Allegation)
    ),
}


def _broken_extras(g: Graph, c: Node) -> None:
    """Nodes of kinds a letter's graph rarely has, each wrong: link decisions, quantities, States..."""
    decision = URIRef(BASE + "link/1")
    g.add((decision, RDF.type, KG.LinkDecision))
    g.add((decision, KG.linkStatus, Literal("maybe")))  # in
    g.add((decision, KG.matchScore, Literal("1.5", datatype=XSD.decimal)))  # maxInclusive
    company = _first(g, KG.Company)
    g.add((company, WDT.P1278, Literal("not-an-lei")))  # pattern
    g.add((company, WDT.P1320, URIRef("https://opencorporates.com/x")))  # datatype on an IRI
    quantity = URIRef(BASE + "quantity/1")
    g.add((_first(g, KG.Allegation), KG.hasQuantity, quantity))
    g.add((quantity, RDF.type, KG.Quantity))
    g.add((quantity, KG.quantityValue, Literal(10000.0, datatype=XSD.decimal)))  # a float: rebuilt, fine
    g.add((quantity, KG.quantityValue, Literal("ten")))  # maxCount, datatype
    state = URIRef(BASE + "state/atlantis")  # a State the document mints itself
    g.add((state, RDF.type, KG.State))
    g.add((state, KG.isoAlpha3, Literal("atl")))  # pattern; no alpha-2 (minCount)
    g.add((c, KG.alsoSentTo, state))
    principle = URIRef(BASE + "gp/32")
    g.add((principle, RDF.type, KG.GuidingPrinciple))
    g.add((principle, KG.principleNumber, Literal(32)))  # maxInclusive
    article = URIRef(BASE + "article/1")
    g.add((article, RDF.type, KG.Article))
    g.add((article, KG.articleOf, Literal("ICCPR")))  # nodeKind
    g.add((article, KG.articleNumber, Literal(7)))  # datatype


def _own_subclass(g: Graph, c: Node) -> None:
    """The document declares a subclass itself, so the shared class hierarchy is not enough:
    the recipient is still an actor (sh:class) and still a company that should be named."""
    kind = URIRef(BASE + "class/Conglomerate")
    g.add((kind, RDFS.subClassOf, KG.Company))
    company = _first(g, KG.Company)
    g.remove((company, RDF.type, KG.Company))
    g.add((company, RDF.type, kind))
    g.remove((company, RDFS.label, None))
    g.remove((company, SKOS.prefLabel, None))


BROKEN["wrong extra nodes (in, pattern, maxInclusive, nodeKind, ...)"] = _broken_extras
BROKEN["subclass declared in the document (class through own hierarchy)"] = _own_subclass


def _broken_doc(name: str, vocab: Vocabulary) -> Graph:
    doc = _doc(synthetic_record(), vocab)
    graph = Graph()
    for triple in doc.graph:
        graph.add(triple)
    BROKEN[name](graph, doc.communication)
    return graph


@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_document(name, vocab, document_shapes) -> None:
    report = _assert_same(_broken_doc(name, vocab), vocab, document_shapes)
    if report is not None:
        assert report.results, f"{name}: nothing reported"


def _constraint_components(shapes: Graph) -> set[str]:
    """The components the shapes use where results are reported (not inside sh:or lists...)."""
    reporting = set(shapes.subjects(SH.targetClass, None))
    for target in (SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        reporting.update(shapes.subjects(target, None))
    reporting.update(shapes.objects(None, SH.property))
    found = set()
    for shape in reporting:
        for p in shapes.predicates(shape, None):
            if p == SH.qualifiedMinCount:
                found.add(str(SH.QualifiedMinCountConstraintComponent))
            elif p == SH.qualifiedMaxCount:
                found.add(str(SH.QualifiedMaxCountConstraintComponent))
            elif p in COMPILED_PARAMETERS and p not in (SH.property, SH.qualifiedValueShape):
                local = str(p).rsplit("#", 1)[1]
                found.add(str(SH) + local[0].upper() + local[1:] + "ConstraintComponent")
    return found


def test_broken_documents_cover_every_component_of_the_document_shapes(vocab, document_shapes) -> None:
    used = _constraint_components(document_shapes)
    assert {str(SH.MinCountConstraintComponent), str(SH.OrConstraintComponent)} <= used
    seen: set[str] = set()
    for name in BROKEN:
        try:
            report = validate_graph(_broken_doc(name, vocab), vocab=vocab)
        except InputError:
            continue
        seen.update(i.component for i in report.results if i.component)
    assert used <= seen, f"no broken document fails {sorted(used - seen)}"


def test_every_shape_is_compiled() -> None:
    """No shape of kg is left to pySHACL: the fast path is the whole path."""
    assert _document_shapes().compiled.unsupported == {}
    assert _document_shapes().fallback is None
    assert _all_shapes().compiled.unsupported == {}


# -- batches -------------------------------------------------------------------------------


def test_a_batch_reports_each_document_as_if_alone(vocab) -> None:
    docs = [_doc(r, vocab) for r in _synthetic_variants()]
    docs.append(_doc(synthetic_record("AL OTH 902/2024"), vocab))
    broken = Graph()
    for triple in docs[0].graph:
        broken.add(triple)
    BROKEN["unknown mandate (class)"](broken, docs[0].communication)
    docs.append(DocumentGraph(docs[0].reference, docs[0].communication, docs[0].graph_iri, broken, "x"))
    batch = validate_documents(docs, vocab=vocab)
    assert len(batch) == len(docs)
    assert [r.results for r in batch] == [validate_document(d, vocab=vocab).results for d in docs]
    assert [r.conforms for r in batch].count(False) >= 2
    # Two documents of the batch share the company Acme Mining Ltd: neither sees the other's facts.
    assert batch[0].results == validate_document(docs[0], vocab=vocab).results


def test_an_empty_batch() -> None:
    assert validate_documents([]) == []


# -- the vocabulary shapes -----------------------------------------------------------------


BROKEN_VOCABULARY = """
@prefix kg:   <https://w3id.org/kg-spcomm/ontology#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix m:    <https://w3id.org/kg-spcomm/vocab/mandate/> .

m:both a kg:Mandate, kg:ThematicMandate, kg:CountryMandate, kg:SpecialRapporteurMandate,
        kg:WorkingGroupMandate ;
    skos:prefLabel "Both"@en, "Beide"@en ;
    skos:altLabel "Both"@en ;
    skos:notation "a", "b" ;
    kg:mandateStatus "paused" ;
    kg:establishedYear "1985" .

m:neither a kg:Mandate ;
    skos:prefLabel "Neither"@en .
"""


def test_broken_vocabulary(tmp_path) -> None:
    """uniqueLang, disjoint, xone, qualifiedMaxCount, in: the components only vocabularies meet."""
    path = tmp_path / "broken.ttl"
    path.write_text(BROKEN_VOCABULARY, encoding="utf-8")
    ours = validate_vocabularies([path])
    data = Graph().parse(resources.ontology_file(), format="turtle").parse(path, format="turtle")
    shapes = Graph()
    for shape_file in resources.shape_files():
        shapes.parse(shape_file, format="turtle")
    assert _ours(ours) == _plain(data, shapes, frozenset())
    components = {i.component for i in ours.results}
    for local in (
        "UniqueLang",
        "Disjoint",
        "Xone",
        "QualifiedMaxCount",
        "QualifiedMinCount",
        "In",
        "MaxCount",
    ):
        assert str(SH) + local + "ConstraintComponent" in components, local
    reference = _all_shapes().reference.run(data)
    assert len(ours.results) == len(list(reference.subjects(RDF.type, SH.ValidationResult)))


def test_real_vocabularies_alike() -> None:
    if not resources.vocabulary_files():
        pytest.skip("ontology/vocab has no vocabulary files yet")
    ours = validate_vocabularies()
    data = vocabulary_graph()
    shapes = Graph()
    for shape_file in resources.shape_files():
        shapes.parse(shape_file, format="turtle")
    assert _ours(ours) == _plain(data, shapes, frozenset())


# -- components kg's shapes do not use yet, and what is left to pySHACL -------------------


EXTRA_SHAPES = """
@prefix sh:  <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex:  <https://example.org/shapes#> .
@prefix d:   <https://example.org/data/> .

ex:Thing a sh:NodeShape ;
    sh:targetClass d:Thing ;
    sh:message "thing"@en ;
    sh:severity sh:Info ;
    sh:not [ sh:path d:banned ; sh:minCount 1 ] ;
    sh:and ( [ sh:path d:size ; sh:minCount 1 ] [ sh:path d:name ; sh:minCount 1 ] ) ;
    sh:xone ( [ sh:path d:a ; sh:minCount 1 ] [ sh:path d:b ; sh:minCount 1 ] ) ;
    sh:node ex:Named ;
    sh:property ex:Thing-size, ex:Thing-name, ex:Thing-low, ex:Thing-parent, ex:Thing-lang, ex:Thing-off .

ex:Named a sh:NodeShape ;
    sh:message "named"@en ;
    sh:property [ sh:path d:name ; sh:minLength 3 ; sh:maxLength 8 ; sh:message "name length"@en ] .

ex:Thing-size a sh:PropertyShape ;
    sh:path d:size ;
    sh:minExclusive 0 ;
    sh:maxExclusive 10 ;
    sh:lessThan d:limit ;
    sh:disjoint d:other ;
    sh:message "size"@en .

ex:Thing-name a sh:PropertyShape ;
    sh:path d:name ;
    sh:pattern "^ab" ;
    sh:flags "i" ;
    sh:nodeKind sh:Literal ;
    sh:severity sh:Warning ;
    sh:message "name"@en, "a second message"@en .

ex:Thing-low a sh:PropertyShape ;
    sh:path [ sh:zeroOrOnePath d:low ] ;
    sh:nodeKind sh:BlankNodeOrIRI ;
    sh:message "low"@en .

ex:Thing-parent a sh:PropertyShape ;
    sh:path [ sh:oneOrMorePath d:parent ] ;
    sh:class d:Thing ;
    sh:maxCount 2 ;
    sh:message "parents"@en .

ex:Thing-lang a sh:PropertyShape ;
    sh:path ( [ sh:zeroOrMorePath d:parent ] d:label ) ;
    sh:languageIn ( "en" "fr" ) ;
    sh:uniqueLang true ;
    sh:message "labels"@en .

ex:Thing-off a sh:PropertyShape ;
    sh:path d:size ;
    sh:deactivated true ;
    sh:maxCount 0 ;
    sh:message "never"@en .

ex:Fixed a sh:NodeShape ;
    sh:targetNode d:fixed, d:absent ;
    sh:message "fixed"@en ;
    sh:hasValue d:fixed .

ex:Inverse a sh:PropertyShape ;
    sh:targetObjectsOf d:parent ;
    sh:path ( [ sh:inversePath d:parent ] d:size ) ;
    sh:minInclusive 2 ;
    sh:message "children"@en .

ex:Closed a sh:NodeShape ;
    sh:targetClass d:Thing ;
    sh:closed true ;
    sh:ignoredProperties ( <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> ) ;
    sh:property [ sh:path d:size ] .

ex:Sparql a sh:NodeShape ;
    sh:targetClass d:Thing ;
    sh:sparql [ sh:select "SELECT $this WHERE { $this <https://example.org/data/size> 7 }" ] .

ex:NoMessage a sh:PropertyShape ;
    sh:targetSubjectsOf d:size ;
    sh:path d:size ;
    sh:maxCount 1 .
"""

EXTRA_DATA = """
@prefix d:   <https://example.org/data/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .

d:one a d:Thing ; d:size 7 ; d:limit 5 ; d:other 7 ; d:name "Abacus" ; d:a 1 ;
    d:label "one"@en, "un"@fr, "eins"@de, "uno"@en ; d:low "x" .
d:two a d:Thing ; d:size 0, 12 ; d:name "xy" ; d:a 1 ; d:b 2 ; d:banned true ; d:parent d:one .
d:three a d:Thing ; d:name <https://example.org/abc> ; d:parent d:two, d:four .
d:four d:parent d:one ; d:label "four" .
d:fixed d:size 1 .
"""


def test_components_kg_does_not_use_yet_and_the_fallback(tmp_path) -> None:
    """Every other compiled component agrees with pySHACL too; what is not compiled (sh:closed,
    sh:sparql, a shape without a message) is checked by pySHACL, with the same combined result."""
    shapes_file = tmp_path / "extra.ttl"
    shapes_file.write_text(EXTRA_SHAPES, encoding="utf-8")
    shapes = _ShapeSet([shapes_file])
    ex = "https://example.org/shapes#"
    assert set(map(str, shapes.compiled.unsupported)) == {ex + "Closed", ex + "Sparql", ex + "NoMessage"}
    assert shapes.fallback is not None
    data = Graph().parse(data=EXTRA_DATA, format="turtle")
    vocab = Vocabulary(Graph())
    ours = _validate(data, _Context(vocab), shapes)
    context = _Context(vocab)
    plain_data = _data_graph(data, context)
    assert _ours(ours) == _plain(plain_data.graph, Graph().parse(shapes_file), plain_data.context_only)
    assert ours.results == _reference_report(data, context, shapes).results
    components = {str(i.component).rsplit("#", 1)[1] for i in ours.results}
    expected = {
        "NotConstraintComponent",
        "AndConstraintComponent",
        "XoneConstraintComponent",
        "NodeConstraintComponent",
        "MinLengthConstraintComponent",
        "MaxLengthConstraintComponent",
        "MinExclusiveConstraintComponent",
        "MaxExclusiveConstraintComponent",
        "LessThanConstraintComponent",
        "DisjointConstraintComponent",
        "PatternConstraintComponent",
        "NodeKindConstraintComponent",
        "ClassConstraintComponent",
        "MaxCountConstraintComponent",
        "LanguageInConstraintComponent",
        "UniqueLangConstraintComponent",
        "HasValueConstraintComponent",
        "MinInclusiveConstraintComponent",
        "ClosedConstraintComponent",
        "SPARQLConstraintComponent",
    }
    assert expected <= components, sorted(expected - components)
    severities = {i.severity for i in ours.results}
    assert severities == {"Violation", "Warning", "Info"}
    assert all(i.shape != ex + "Thing-off" for i in ours.results)


def test_documents_of_skos_concepts_keep_their_labels(vocab, document_shapes) -> None:
    """A document that carries SKOS labels of its own nodes is judged on them, not the vocabulary's."""
    graph = _broken_doc("place without a name (alternative path)", vocab)
    place = _first(graph, KG.Place)
    graph.add((place, SKOS.prefLabel, Literal("Northern Province", lang="en")))
    report = _assert_same(graph, vocab, document_shapes)
    assert report is not None and report.conforms


def test_a_batch_names_the_document_that_cannot_be_validated(vocab) -> None:
    good = _doc(synthetic_record(), vocab)
    bad = _doc(synthetic_record("AL OTH 77/2024"), vocab)
    bad.graph.set((bad.communication, KG.dateSent, BNode()))
    with pytest.raises(InputError, match=r"AL OTH 77/2024 \(.*al-oth-77-2024\).*not a blank node"):
        validate_documents([good, bad], vocab=vocab)
