"""Conformance of the shapes, as data (DASH style): one Turtle file per case in tests/shapes/cases.

Each file holds a document-graph fragment and a ``dash:GraphValidationTestCase`` whose
``dash:expectedResult`` lists the results the shapes must give: focus node, path,
severity and source shape. Violations must match exactly; warnings only where the case
says ``kgt:checksWarnings true``. A case with ``kgt:scope kgt:vocabulary`` is checked the
way vocabulary files are (``validate_vocabularies``); the others as a document graph,
with the vocabulary facts taken from tests/shapes/vocab-fixture.ttl.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, SH
from rdflib.term import Node

from kg.validate import ValidationReport, _path, validate_graph, validate_vocabularies
from kg.vocab import Vocabulary, vocabulary_graph

HERE = Path(__file__).resolve().parent / "shapes"
CASES = sorted((HERE / "cases").glob("*.ttl"))
DASH = Namespace("http://datashapes.org/dash#")
KGT = Namespace("https://w3id.org/kg-spcomm/test#")

Key = tuple[str, str | None, str, str | None]


@pytest.fixture(scope="module")
def fixture_vocab() -> Vocabulary:
    return Vocabulary(vocabulary_graph([HERE / "vocab-fixture.ttl"]))


def _closure(graph: Graph, node: Node) -> set[tuple[Node, Node, Node]]:
    """The triples of a node and of every blank node below it: a test case's own triples."""
    found: set[tuple[Node, Node, Node]] = set()
    todo = [node]
    while todo:
        current = todo.pop()
        for s, p, o in graph.triples((current, None, None)):
            if (s, p, o) not in found:
                found.add((s, p, o))
                if isinstance(o, BNode):
                    todo.append(o)
    return found


def _severity(node: Node | None) -> str:
    return str(node).rsplit("#", 1)[-1]


def _expected(graph: Graph, case: Node) -> tuple[bool, set[Key]]:
    report = graph.value(case, DASH.expectedResult)
    conforms = graph.value(report, SH.conforms)
    keys = set()
    for result in graph.objects(report, SH.result):
        path = graph.value(result, SH.resultPath)
        shape = graph.value(result, SH.sourceShape)
        keys.add(
            (
                str(graph.value(result, SH.focusNode)),
                _path(graph, path),
                _severity(graph.value(result, SH.resultSeverity)),
                str(shape) if shape is not None else None,
            )
        )
    return bool(conforms is not None and conforms.toPython()), keys


def _actual(report: ValidationReport) -> set[Key]:
    return {(r.focus, r.path, r.severity, r.shape) for r in report.results}


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path, fixture_vocab: Vocabulary) -> None:
    graph = Graph().parse(path, format="turtle")
    case = graph.value(predicate=RDF.type, object=DASH.GraphValidationTestCase)
    assert case is not None, f"{path.name}: no dash:GraphValidationTestCase"
    conforms, expected = _expected(graph, case)
    data = Graph()
    own = _closure(graph, case)
    for triple in graph:
        if triple not in own:
            data.add(triple)
    if graph.value(case, KGT.scope) == KGT.vocabulary:
        report = validate_vocabularies([path])
    else:
        report = validate_graph(data, vocab=fixture_vocab)
    actual = _actual(report)
    checks_warnings = graph.value(case, KGT.checksWarnings) == Literal(True)
    if not checks_warnings:
        actual = {k for k in actual if k[2] == "Violation"} | {k for k in expected if k in actual}
    assert report.conforms == conforms, f"{path.name}: conforms {report.conforms}, expected {conforms}"
    assert actual == expected, (
        f"{path.name}: unexpected {sorted(actual - expected, key=str)}; "
        f"missing {sorted(expected - actual, key=str)}"
    )


def test_every_case_has_a_comment() -> None:
    """A failing case should say in a sentence what it breaks, for whoever reads the failure."""
    for path in CASES:
        assert path.read_text(encoding="utf-8").startswith("# "), path.name


def test_cases_cover_every_mandatory_shape_of_a_document() -> None:
    """Each Violation shape that targets document nodes is exercised by at least one case."""
    shapes = Graph()
    for name in ("communication.ttl", "provenance.ttl", "allegations.ttl", "norms.ttl", "actors.ttl"):
        shapes.parse(HERE.parent.parent / "shapes" / name, format="turtle")
    exercised = set()
    for path in CASES:
        graph = Graph().parse(path, format="turtle")
        exercised.update(str(s) for s in graph.objects(None, SH.sourceShape))
    required = {
        "https://w3id.org/kg-spcomm/shapes#" + local
        for local in (
            "Communication-reference",
            "Communication-dateSent",
            "Communication-dateSentDatatype",
            "Communication-sentByMandate",
            "Communication-sentByMandateClass",
            "Communication-addressedTo",
            "Communication-addressedToClass",
            "Communication-publishedAfterSending",
            "ReferenceCountryShape",
            "State-isoAlpha3",
            "GuidingPrinciple-principleNumber",
            "TextSpan-startBeforeEnd",
            "TextSpan-spanIn",
            "Allegation-concernsIssue",
            "Quantity-quantityValue",
            "Question-questionNumber",
            "Sending-sendingMandate",
            "Signature-signatory",
        )
    }
    assert all(isinstance(URIRef(s), URIRef) for s in required)
    assert required <= exercised, f"no case for {sorted(required - exercised)}"
