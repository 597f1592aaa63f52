"""A linter for the model (as followthemoney's check_model): the ontology and what shapes and queries use."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pyshacl.entrypoints import meta_validate
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

from kg import resources
from kg.config import ONTOLOGY_IRI, ONTOLOGY_NS

TERM_TYPES = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty, RDF.Property)
PROPERTY_TYPES = TERM_TYPES[1:]


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(resources.ontology_file(), format="turtle")


@pytest.fixture(scope="module")
def declared(ontology: Graph) -> set[str]:
    return {
        str(s)
        for t in TERM_TYPES
        for s in ontology.subjects(RDF.type, t)
        if isinstance(s, URIRef) and str(s).startswith(ONTOLOGY_NS)
    }


def _local(iri: str) -> str:
    return iri.removeprefix(ONTOLOGY_NS)


def test_every_term_is_labelled_defined_and_attributed(ontology: Graph, declared: set[str]) -> None:
    problems = []
    for term in sorted(declared):
        node = URIRef(term)
        if ontology.value(node, RDFS.label) is None:
            problems.append(f"kg:{_local(term)} has no rdfs:label")
        if ontology.value(node, SKOS.definition) is None:
            problems.append(f"kg:{_local(term)} has no skos:definition")
        if set(ontology.objects(node, RDFS.isDefinedBy)) != {URIRef(ONTOLOGY_IRI)}:
            problems.append(f"kg:{_local(term)} is not rdfs:isDefinedBy <{ONTOLOGY_IRI}>")
    assert not problems, "\n".join(problems)


def test_names_follow_the_case_convention(ontology: Graph, declared: set[str]) -> None:
    classes = {str(s) for s in ontology.subjects(RDF.type, OWL.Class)}
    properties = {str(s) for t in PROPERTY_TYPES for s in ontology.subjects(RDF.type, t)}
    bad = [
        f"class kg:{_local(c)}"
        for c in declared & classes
        if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", _local(c))
    ]
    bad += [
        f"property kg:{_local(p)}"
        for p in declared & properties
        if not re.fullmatch(r"[a-z][A-Za-z0-9]*", _local(p))
    ]
    assert not declared & classes & properties, "a term is both a class and a property"
    assert not bad, f"classes are UpperCamel, properties lowerCamel: {sorted(bad)}"


def test_header_has_version_and_licence(ontology: Graph) -> None:
    header = URIRef(ONTOLOGY_IRI)
    assert (header, RDF.type, OWL.Ontology) in ontology
    assert ontology.value(header, OWL.versionIRI) is not None
    assert ontology.value(header, DCTERMS.license) is not None


def test_owlready2_loads_the_ontology(ontology: Graph, tmp_path: Path) -> None:
    owlready2 = pytest.importorskip("owlready2")
    path = tmp_path / "kg.nt"
    ontology.serialize(path, format="nt", encoding="utf-8")
    world = owlready2.World()
    world.get_ontology(path.as_uri()).load()
    assert world[ONTOLOGY_NS + "Communication"] is not None
    assert world[ONTOLOGY_NS + "sentByMandate"] is not None


def _kg_terms_in_shapes() -> dict[str, set[str]]:
    """Every kg: IRI in the shapes, and every kg:term their messages and descriptions name."""
    used: dict[str, set[str]] = {}
    for path in resources.shape_files():
        graph = Graph().parse(path, format="turtle")
        terms = used.setdefault(path.name, set())
        for triple in graph:
            for node in triple:
                if isinstance(node, URIRef) and str(node).startswith(ONTOLOGY_NS):
                    terms.add(str(node))
                elif isinstance(node, Literal):
                    terms.update(
                        ONTOLOGY_NS + m for m in re.findall(r"\bkg:([A-Za-z][A-Za-z0-9]*)", str(node))
                    )
    return used


def _kg_terms_in_queries() -> dict[str, set[str]]:
    used: dict[str, set[str]] = {}
    for path in resources.query_files():
        text = "\n".join(
            line for line in path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")
        )
        prefixes = re.findall(r"PREFIX\s+([A-Za-z][\w-]*)?:\s*<" + re.escape(ONTOLOGY_NS) + ">", text, re.I)
        terms = {ONTOLOGY_NS + m for m in re.findall(r"<" + re.escape(ONTOLOGY_NS) + r"([^>]+)>", text)}
        for prefix in prefixes:
            terms.update(
                ONTOLOGY_NS + m for m in re.findall(rf"(?<![\w-]){prefix}:([A-Za-z][A-Za-z0-9]*)", text)
            )
        used[path.name] = terms
    return used


def test_shapes_use_only_declared_terms(declared: set[str]) -> None:
    unknown = {
        name: sorted(_local(t) for t in terms - declared) for name, terms in _kg_terms_in_shapes().items()
    }
    assert not any(unknown.values()), (
        f"undeclared kg: terms in shapes/: { {k: v for k, v in unknown.items() if v} }"
    )


def test_queries_use_only_declared_terms(declared: set[str]) -> None:
    used = _kg_terms_in_queries()
    if not used:
        pytest.skip("queries/ holds no .rq file")
    unknown = {name: sorted(_local(t) for t in terms - declared) for name, terms in used.items()}
    assert not any(unknown.values()), (
        f"undeclared kg: terms in queries/: { {k: v for k, v in unknown.items() if v} }"
    )


def test_shapes_pass_shacl_for_shacl() -> None:
    """Without inference: pySHACL's RDFS inference runs OWL-RL, which rebinds rdflib's literal
    conversions for the whole process (xsd:gYear values become comparable strings)."""
    shapes = Graph()
    for path in resources.shape_files():
        shapes.parse(path, format="turtle")
    conforms, _report, text = meta_validate(shapes, inference="none")
    assert conforms, text


def test_shacl_for_shacl_catches_a_broken_shape() -> None:
    """The meta check is not vacuous: a shape with a non-integer sh:minCount fails it."""
    broken = Graph().parse(
        data="""
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        @prefix kgsh: <https://w3id.org/kg-spcomm/shapes#> .
        kgsh:Broken a sh:NodeShape ; sh:property [ sh:path kgsh:p ; sh:minCount "one" ] .
        """,
        format="turtle",
    )
    conforms, _report, _text = meta_validate(broken, inference="none")
    assert not conforms


def test_shapes_are_open_and_local() -> None:
    """No sh:closed (shapes stay open), no owl:imports, no SPARQL-based constraints or targets."""
    sh = "http://www.w3.org/ns/shacl#"
    for path in resources.shape_files():
        graph = Graph().parse(path, format="turtle")
        predicates = {str(p) for p in graph.predicates()}
        assert sh + "closed" not in predicates, path.name
        assert str(OWL.imports) not in predicates, path.name
        assert not predicates & {sh + "sparql", sh + "target", sh + "select"}, path.name


def test_every_shape_is_named_described_and_has_a_message() -> None:
    sh = "http://www.w3.org/ns/shacl#"
    problems = []
    for path in resources.shape_files():
        graph = Graph().parse(path, format="turtle")
        shapes = set(graph.subjects(RDF.type, URIRef(sh + "NodeShape"))) | set(
            graph.subjects(RDF.type, URIRef(sh + "PropertyShape"))
        )
        for shape in shapes:
            name = f"{path.name}: {shape}"
            if graph.value(shape, URIRef(sh + "name")) is None:
                problems.append(f"{name} has no sh:name")
            if graph.value(shape, URIRef(sh + "description")) is None:
                problems.append(f"{name} has no sh:description")
            constraints = {
                p for p in graph.predicates(shape) if str(p).startswith(sh) and p not in _NON_CONSTRAINTS
            }
            if constraints and graph.value(shape, URIRef(sh + "message")) is None:
                problems.append(f"{name} has constraints but no sh:message")
    assert not problems, "\n".join(sorted(problems))


_SH = "http://www.w3.org/ns/shacl#"
_NON_CONSTRAINTS = {
    URIRef(_SH + local)
    for local in (
        "name",
        "description",
        "message",
        "severity",
        "path",
        "property",
        "targetClass",
        "targetNode",
        "targetSubjectsOf",
        "targetObjectsOf",
        "deactivated",
        "order",
        "group",
    )
}
