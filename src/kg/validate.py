"""SHACL gate: a document graph is checked on its own before it may enter the store.

Validating the whole store for every new letter would cost time that grows with the
store; a document graph instead carries everything its shapes look at, except the
facts of the vocabulary IRIs it points to (a mandate's class, a State's alpha-3 code).
Those are copied in from the vocabulary, one hop deep, together with the ontology's
``rdfs:subClassOf`` triples so that ``sh:class`` and ``sh:targetClass`` see subclasses
without running an inference engine. The vocabulary itself is validated separately
(``validate_vocabularies``), once, not with every letter.

Shapes live in ``shapes/``: every file except ``vocabularies.ttl`` applies to documents;
``validate_vocabularies`` uses them all. They are parsed once per process and compiled
into Python checks over an index of the document (``kg.shacl_compiled``): pySHACL costs
about 15 ms per document, the compiled checks well under one, with the same results
(tests/test_validate_parity.py compares them with pySHACL's). A shape the compiler does
not translate is still checked by pySHACL, as is a document on which pySHACL would raise
rather than report; pySHACL's copy of the shapes is used under a lock, because pySHACL
writes into the shapes graph it is given (pySHACL issue #314).

``validate_documents`` checks a batch: each document is still validated on its own (two
documents may describe the same node differently), but the vocabulary look-ups are shared.

Exit codes of ``kg validate`` (``exit_code`` maps a report to the first two):

* 0: the data conforms (it may still carry warnings and infos);
* 1: at least one ``sh:Violation``;
* 2: bad input or usage: a file that cannot be read or parsed (``validate_file`` and
  ``validate_graph`` raise ``kg.errors.InputError`` for it), a wrong option.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal as TypingLiteral

from pyshacl import ShapesGraph, Validator
from pyshacl.errors import ReportableRuntimeError
from pyshacl.graph_abstraction import DataGraph
from rdflib import BNode, Dataset, Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD, NamespaceManager
from rdflib.term import Node

from kg import resources
from kg.config import ONTOLOGY_NS, VOCAB_NS
from kg.errors import InputError
from kg.rdf import DocumentGraph
from kg.rdf_input import RDF_FORMATS, read_rdf_file  # refuses entities and remote contexts; never fetches
from kg.shacl_compiled import CompiledShapes, Index, NeedsReference, Result
from kg.vocab import Vocabulary, load_vocabulary

__all__ = [
    "EXIT_BAD_INPUT",
    "EXIT_CONFORMS",
    "EXIT_VIOLATIONS",
    "Severity",
    "ValidationIssue",
    "ValidationReport",
    "exit_code",
    "format_report",
    "validate_document",
    "validate_documents",
    "validate_file",
    "validate_graph",
    "validate_vocabularies",
]

EXIT_CONFORMS = 0
EXIT_VIOLATIONS = 1
EXIT_BAD_INPUT = 2

KG = Namespace(ONTOLOGY_NS)
SHAPES_NS = "https://w3id.org/kg-spcomm/shapes#"
VOCABULARY_SHAPES = "vocabularies.ttl"

_ILL_TYPED = "urn:kg:ill-typed:"

Severity = TypingLiteral["Violation", "Warning", "Info"]
_SEVERITIES: dict[Node, Severity] = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}

# What the document shapes read of a vocabulary IRI a document points to: its classes
# (sh:class) and a State's alpha-3 code (the reference country check). Results about the
# vocabulary nodes themselves are dropped, so nothing else is needed; the comparison with
# a plain pySHACL run over the whole vocabulary in tests/test_validate.py guards this.
_CONTEXT_PROPERTIES = (RDF.type, KG.isoAlpha3)

# Which evidence field (kg.rdf's kg:evidenceField) states the value of a property, so a
# result about kg:dateSent shows the date line rather than any quote of the letter.
_EVIDENCE_FIELDS = {
    KG.reference: "reference",
    KG.referenceType: "reference",
    KG.referenceCountryCode: "reference",
    KG.referenceNumber: "reference",
    KG.referenceYear: "reference",
    KG.dateSent: "date",
    KG.publicationDate: "publication",
    KG.publicationDelayDays: "publication",
    KG.addressedTo: "recipient",
    KG.alsoSentTo: "also_sent_to",
    KG.sentByMandate: "mandates",
    KG.hasSending: "mandates",
    KG.hasSignature: "signatories",
    KG.raisesAllegation: "allegations",
    KG.asksQuestion: "questions",
    KG.citesNorm: "norms_cited",
}


@dataclass(frozen=True)
class ValidationIssue:
    """One SHACL result, flattened into what a person needs to find and fix it."""

    severity: Severity
    focus: str
    path: str | None
    message: str
    value: str | None
    shape: str | None
    evidence: str | None  # the quote / offsets of a kg:TextSpan evidencing the focus node
    component: str | None = None  # the SHACL constraint component, e.g. sh:MinCountConstraintComponent


@dataclass
class ValidationReport:
    """The outcome of one validation; ``conforms`` is False only when a Violation was found."""

    conforms: bool
    results: list[ValidationIssue] = field(default_factory=list)

    @property
    def violations(self) -> list[ValidationIssue]:
        return [r for r in self.results if r.severity == "Violation"]

    @property
    def warnings(self) -> list[ValidationIssue]:
        return [r for r in self.results if r.severity == "Warning"]


def exit_code(report: ValidationReport) -> int:
    """The documented exit code of ``kg validate`` for a report it could produce."""
    return EXIT_CONFORMS if report.conforms else EXIT_VIOLATIONS


# -- shapes, parsed once ------------------------------------------------------------------


class _PyShacl:
    """pySHACL over one shapes graph, harvested once and run under a lock.

    pySHACL adds triples to the shapes graph it is handed and builds its shape objects
    from it; doing that once and serialising the calls keeps the cost out of the
    per-document path and stops concurrent callers from seeing a half-updated graph.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.shapes_graph = ShapesGraph(graph)
        _ = self.shapes_graph.shapes  # harvest now, not inside the first validation
        self.lock = threading.Lock()

    def run(self, data: Graph) -> Graph:
        """pySHACL's report graph for ``data``, which is validated in place and not kept."""
        with self.lock:
            validator = Validator(
                DataGraph.from_rdflib(data),
                shacl_graph=self.graph,
                options={"inference": "none", "inplace": True, "advanced": False},
            )
            validator.shacl_graph = self.shapes_graph
            try:
                _conforms, report, _text = validator.run()
            except TypeError as exc:
                # pySHACL compares values with Python's operators; two values rdflib cannot
                # order (say two xsd:gYear where the ontology wants xsd:date) raise.
                raise InputError(
                    f"the data has values SHACL cannot compare ({exc}); give each property the "
                    "datatype the ontology declares (kg:dateSent and kg:publicationDate are xsd:date, "
                    "kg:startOffset and kg:endOffset xsd:integer)"
                ) from exc
            except ReportableRuntimeError as exc:
                # e.g. a blank node where sh:lessThanOrEquals compares dates
                raise InputError(
                    f"the data cannot be validated: {str(exc).strip()}; give each property the kind of "
                    "value the ontology declares (a literal, not a blank node, for dates and offsets)"
                ) from exc
        return report


class _ShapeSet:
    """Shapes parsed once: compiled for the fast path, and pySHACL's copy for what is not compiled."""

    def __init__(self, files: Iterable[Path]) -> None:
        self.files = tuple(files)
        self.compiled = CompiledShapes(self._parse())
        rest = self.compiled.fallback_graph()
        self.fallback = _PyShacl(rest) if rest is not None else None
        self._reference: _PyShacl | None = None
        self._lock = threading.Lock()
        self._path_texts: dict[Node | None, str | None] = {}

    def _parse(self) -> Graph:
        graph = Graph()
        for path in self.files:
            graph.parse(path, format="turtle")
        return graph

    @property
    def reference(self) -> _PyShacl:
        """pySHACL over every shape: for data the compiled checks leave to pySHACL, and for tests."""
        with self._lock:
            if self._reference is None:
                self._reference = _PyShacl(self._parse())
            return self._reference

    def path_text(self, path: Node | None) -> str | None:
        if path not in self._path_texts:
            self._path_texts[path] = _path(self.compiled.graph, path)
        return self._path_texts[path]


@cache
def _document_shapes() -> _ShapeSet:
    return _ShapeSet(p for p in resources.shape_files() if p.name != VOCABULARY_SHAPES)


@cache
def _all_shapes() -> _ShapeSet:
    return _ShapeSet(resources.shape_files())


@cache
def _class_hierarchy() -> tuple[tuple[Node, Node, Node], ...]:
    """The ontology's rdfs:subClassOf triples: the only inference sh:class needs here."""
    ontology = Graph().parse(resources.ontology_file(), format="turtle")
    return tuple(ontology.triples((None, RDFS.subClassOf, None)))


@cache
def _hierarchy_index() -> Index:
    """The class hierarchy as an index every document's index looks through, never copies."""
    return Index(_class_hierarchy())


# -- data graphs ---------------------------------------------------------------------------


class _Context:
    """The vocabulary facts of each vocabulary IRI, looked up once per batch of documents."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab_graph = vocab.graph
        self.facts: dict[Node, tuple[tuple[Node, Node, Node], ...]] = {}

    def of(self, triples: Iterable[tuple[Node, Node, Node]]) -> list[tuple[Node, Node, Node]]:
        """The facts of the vocabulary IRIs among these triples' subjects and objects."""
        found: list[tuple[Node, Node, Node]] = []
        seen: set[Node] = set()
        for s, _p, o in triples:
            for node in (s, o):
                if node not in seen and isinstance(node, URIRef):
                    seen.add(node)
                    found.extend(self._facts(node))
        return found

    def of_index(self, index: Index) -> list[tuple[Node, Node, Node]]:
        """``of`` for the triples of an index (whose terms are interned: look-ups are identity hits)."""
        found: list[tuple[Node, Node, Node]] = []
        seen: set[Node] = set()
        for s, by_p in index.spo.items():
            if isinstance(s, URIRef) and s not in seen:
                seen.add(s)
                found.extend(self._facts(s))
            for objects in by_p.values():
                for o in objects:
                    if isinstance(o, URIRef) and o not in seen:
                        seen.add(o)
                        found.extend(self._facts(o))
        return found

    def _facts(self, node: URIRef) -> tuple[tuple[Node, Node, Node], ...]:
        known = self.facts.get(node)
        if known is None:
            known = self.facts[node] = (
                tuple(
                    (node, prop, value)
                    for prop in _CONTEXT_PROPERTIES
                    for value in self.vocab_graph.objects(node, prop)
                )
                if str(node).startswith(VOCAB_NS)
                else ()
            )
        return known


@dataclass(frozen=True)
class _Data:
    """A private data graph and the nodes that are there only as vocabulary context."""

    graph: Graph
    context_only: frozenset[Node]


def _data_graph(graph: Graph, context_of: _Context) -> _Data:
    """A private copy of ``graph`` with the vocabulary context and the class hierarchy added.

    Literals built from Python values (``Literal(10000.0, datatype=XSD.decimal)``) are
    rebuilt from their lexical form, which is what the store will hold, so that SHACL
    judges the serialised data rather than rdflib's in-memory value.
    """
    data = Graph()
    data.addN((s, p, _lexical(o), data) for s, p, o in _triples(graph))
    own_subjects = set(data.subjects(unique=True))
    context = context_of.of(data)
    data.addN((s, p, o, data) for s, p, o in context)
    data.addN((s, p, o, data) for s, p, o in _class_hierarchy())
    return _Data(data, frozenset(s for s, _p, _o in context if s not in own_subjects))


def _lexical(node: Node) -> Node:
    if not isinstance(node, Literal):
        return node
    datatype = node.datatype
    if datatype is None:
        return node
    ill_typed = node.ill_typed
    if ill_typed is False or (ill_typed is None and type(node.value) is _NATIVE.get(datatype)):
        # parsed and well typed, or built from the Python type its lexical form parses back to
        return node
    found = _LEXICAL.get(node)
    if found is None:
        # Equal literals share lexical form and datatype, so they normalise alike.
        if len(_LEXICAL) > 100_000:
            _LEXICAL.clear()
        found = _LEXICAL[node] = _lexical_uncached(node)
    return found


_LEXICAL: dict[Literal, Node] = {}
_NATIVE: dict[Node, type] = {XSD.integer: int, XSD.boolean: bool, XSD.date: dt.date, XSD.string: str}


def _lexical_uncached(node: Literal) -> Node:
    if node.ill_typed is None:
        node = Literal(str(node), datatype=node.datatype)
    if node.ill_typed:
        # pySHACL compares values with Python's operators, which raise TypeError on an
        # ill-typed literal ("2021-13-01"^^xsd:date); an unknown datatype fails sh:datatype
        # like the original and compares without raising.
        return Literal(str(node), datatype=URIRef(_ILL_TYPED + str(node.datatype)))
    return node


def _triples(graph: Graph) -> Iterator[tuple[Node, Node, Node]]:
    """Every triple of a graph, or of every named graph of a dataset."""
    if isinstance(graph, Dataset):
        for s, p, o, _g in graph.quads((None, None, None, None)):
            yield s, p, o
    else:
        yield from graph


# -- public API ----------------------------------------------------------------------------


def validate_document(doc: DocumentGraph, *, vocab: Vocabulary | None = None) -> ValidationReport:
    """Validate one document graph against the document shapes, without touching the store."""
    return validate_graph(doc.graph, vocab=vocab)


def validate_documents(
    docs: Sequence[DocumentGraph], *, vocab: Vocabulary | None = None
) -> list[ValidationReport]:
    """One report per document, each what ``validate_document`` says of that document alone.

    Each document is checked against its own triples and vocabulary context only, so the
    cost per document does not grow with the batch or the store; the batch shares the
    vocabulary look-ups. Raises ``kg.errors.InputError`` as ``validate_graph`` does, naming
    the document (its reference and graph IRI), for the first document that cannot be
    evaluated; the documents before it were checked, those after it were not.
    """
    context = _Context(vocab if vocab is not None else load_vocabulary())
    shapes = _document_shapes()
    reports = []
    for doc in docs:
        try:
            reports.append(_validate(doc.graph, context, shapes))
        except InputError as exc:
            raise InputError(f"{doc.reference} ({doc.graph_iri}): {exc}") from exc
    return reports


def validate_graph(graph: Graph, *, vocab: Vocabulary | None = None) -> ValidationReport:
    """Validate any graph of documents (an RDF file, the store's document graphs) the same way.

    Raises ``kg.errors.InputError`` (exit code 2) for data pySHACL cannot evaluate.

    Vocabulary facts the graph does not carry itself are taken from ``vocab`` (by default
    the shared vocabulary), so a document exported on its own validates as it did at
    ingest. Results about vocabulary nodes that are only context are left out: the
    vocabulary is checked by ``validate_vocabularies``, not once per document.
    """
    context = _Context(vocab if vocab is not None else load_vocabulary())
    return _validate(graph, context, _document_shapes())


def _validate(graph: Graph, context: _Context, shapes: _ShapeSet) -> ValidationReport:
    """The compiled checks on ``graph`` plus its vocabulary context; pySHACL for the rest."""
    index = Index(((s, p, _lexical(o)) for s, p, o in _triples(graph)), base=_hierarchy_index())
    facts = context.of_index(index)
    context_only = {s for s, _p, _o in facts if s not in index.spo}
    index.add(facts)
    try:
        results = shapes.compiled.run(index)
    except NeedsReference:
        return _reference_report(graph, context, shapes)
    issues = [_compiled_issue(r, index, shapes) for r in results if r.focus not in context_only]
    if shapes.fallback is not None:
        data = _data_graph(graph, context)
        report = shapes.fallback.run(data.graph)
        issues += _issues(report, data.graph, skip=data.context_only)
    return _sorted_report(issues)


def _reference_report(graph: Graph, context: _Context, shapes: _ShapeSet) -> ValidationReport:
    """What kg reports with pySHACL alone: for data only pySHACL can judge, and for tests."""
    data = _data_graph(graph, context)
    return _sorted_report(_issues(shapes.reference.run(data.graph), data.graph, skip=data.context_only))


def validate_file(path: Path, *, vocab: Vocabulary | None = None) -> ValidationReport:
    """Parse an RDF file (by its suffix) and validate it as ``validate_graph`` does.

    Raises ``kg.errors.InputError`` (exit code 2) for a file that cannot be read or parsed,
    so ``kg validate`` can tell bad input from a document that breaks the shapes.
    """
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(RDF_FORMATS)
        raise InputError(f"{path}: unknown RDF file type {path.suffix!r}; use one of {known}")
    graph = read_rdf_file(path, fmt)
    return validate_graph(graph, vocab=vocab)


def validate_vocabularies(files: Iterable[Path] | None = None) -> ValidationReport:
    """The ontology and the vocabulary files against every shape, ``vocabularies.ttl`` included."""
    data = Graph()
    data.parse(resources.ontology_file(), format="turtle")
    for path in files if files is not None else resources.vocabulary_files():
        data.parse(path, format="turtle")
    shapes = _all_shapes()
    index = Index(data)
    try:
        results = shapes.compiled.run(index)
    except NeedsReference:
        return _sorted_report(_issues(shapes.reference.run(data), data, skip=frozenset()))
    issues = [_compiled_issue(r, index, shapes) for r in results]
    if shapes.fallback is not None:
        issues += _issues(shapes.fallback.run(data), data, skip=frozenset())
    return _sorted_report(issues)


# -- reports -------------------------------------------------------------------------------


def _issues(report_graph: Graph, data: Graph, *, skip: frozenset[Node]) -> list[ValidationIssue]:
    return [
        _issue(report_graph, result, data)
        for result in report_graph.subjects(RDF.type, SH.ValidationResult)
        if report_graph.value(result, SH.focusNode) not in skip
    ]


def _sorted_report(issues: list[ValidationIssue]) -> ValidationReport:
    """Most severe first, then by focus node and path; the whole issue breaks ties, for a stable order."""
    issues.sort(
        key=lambda i: (
            ("Violation", "Warning", "Info").index(i.severity),
            i.focus,
            i.path or "",
            i.message,
            i.shape or "",
            i.value or "",
            i.component or "",
            i.evidence or "",
        )
    )
    conforms = not any(i.severity == "Violation" for i in issues)
    return ValidationReport(conforms=conforms, results=issues)


def _compiled_issue(result: Result, index: Index, shapes: _ShapeSet) -> ValidationIssue:
    focus, value = result.focus, result.value
    return ValidationIssue(
        severity=_SEVERITIES.get(result.severity, "Violation"),  # type: ignore[arg-type]
        focus=str(focus),
        path=shapes.path_text(result.path),
        message=result.message or "(no message)",
        value=None if value == focus else _term(value),  # node-level results repeat the focus
        shape=str(result.shape) if isinstance(result.shape, URIRef) else None,
        evidence=_evidence(index, focus, result.path, value),
        component=str(result.component),
    )


def _issue(report: Graph, result: Node, data: Graph) -> ValidationIssue:
    focus = report.value(result, SH.focusNode)
    path = report.value(result, SH.resultPath)
    value = report.value(result, SH.value)
    shape = report.value(result, SH.sourceShape)
    messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
    severity: Severity = _SEVERITIES.get(report.value(result, SH.resultSeverity), "Violation")  # type: ignore[arg-type]
    return ValidationIssue(
        severity=severity,
        focus=_term(focus) or "",
        path=_path(report, path),
        message=messages[0] if messages else "(no message)",
        value=None if value == focus else _term(value),  # node-level results repeat the focus
        shape=_term(shape) if isinstance(shape, URIRef) else None,
        evidence=_evidence(data, focus, path, value),
        component=_term(report.value(result, SH.sourceConstraintComponent)),
    )


def _term(node: Node | None) -> str | None:
    return None if node is None else str(node)


def _path(report: Graph, path: Node | None) -> str | None:
    """A SHACL path as SPARQL property-path text: kg:p, ^kg:p, kg:p/kg:q."""
    if path is None:
        return None
    return str(path) if isinstance(path, URIRef) else _path_expression(report, path)


def _path_expression(report: Graph, path: Node) -> str:
    """A complex SHACL path as SPARQL property-path text, IRIs in angle brackets."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if (inverse := report.value(path, SH.inversePath)) is not None:
        return f"^{_path_expression(report, inverse)}"
    if (alternatives := report.value(path, SH.alternativePath)) is not None:
        return "(" + "|".join(_path_expression(report, p) for p in Collection(report, alternatives)) + ")"
    if report.value(path, RDF.first) is not None:
        return "/".join(_path_expression(report, p) for p in Collection(report, path))
    for modifier, suffix in ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?")):
        if (inner := report.value(path, modifier)) is not None:
            return f"({_path_expression(report, inner)}){suffix}"
    return str(path)


def _evidence(data: Graph | Index, focus: Node | None, path: Node | None, value: Node | None) -> str | None:
    """The quote and offsets of the text span that states the reported fact, if any.

    Tried in turn: spans of the focus node for the field the path records (the date line
    for kg:dateSent); spans of a node between the focus and the value (the kg:Sending that
    names a mandate); spans of the value itself; for a path kg.rdf does not map, any span
    of the focus node.
    """
    if focus is None:
        return None
    wanted = _EVIDENCE_FIELDS.get(path) if isinstance(path, URIRef) else None
    holders: list[Node] = [focus]
    if isinstance(value, URIRef | BNode):
        holders += [n for n in data.objects(focus, None) if (n, None, value) in data]
        holders.append(value)
    for holder in holders:
        spans = list(data.subjects(KG.evidenceFor, holder))
        if wanted is not None:
            spans = [s for s in spans if (s, KG.evidenceField, Literal(wanted)) in data]
        elif holder is not focus:
            continue
        if spans:
            return _span_text(data, min(spans, key=lambda span: _offset(data, span)))
    return None


def _offset(data: Graph | Index, span: Node) -> int:
    value = data.value(span, KG.startOffset)
    return int(value) if isinstance(value, Literal) and str(value).isdigit() else 0


def _span_text(data: Graph | Index, span: Node) -> str:
    begin, end = data.value(span, KG.startOffset), data.value(span, KG.endOffset)
    quote = data.value(span, KG.quote)
    where = f"characters {begin}-{end}"
    return f'"{quote}" ({where})' if quote is not None else where


def format_report(report: ValidationReport, *, source: str) -> str:
    """A plain-text report: a summary line, then one block per issue, most severe first."""
    counts = {s: sum(1 for r in report.results if r.severity == s) for s in ("Violation", "Warning", "Info")}
    verdict = "conforms" if report.conforms else "does not conform"
    parts = [f"{n} {s.lower()}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    lines = [f"{source}: {verdict}" + (f" ({', '.join(parts)})" if parts else "")]
    names = _namespaces()
    for issue in report.results:
        lines.append("")
        lines.append(f"{issue.severity}: {issue.message}")
        lines.append(f"  focus:    {_short(issue.focus, names)}")
        if issue.path is not None:
            lines.append(f"  path:     {_short_path(issue.path, names)}")
        if issue.value is not None:
            lines.append(f"  value:    {_short(issue.value, names)}")
        if issue.evidence is not None:
            lines.append(f"  evidence: {issue.evidence}")
        if issue.shape is not None:
            lines.append(f"  shape:    {_short(issue.shape, names)}")
    return "\n".join(lines)


@cache
def _namespaces() -> NamespaceManager:
    manager = NamespaceManager(Graph(), bind_namespaces="core")
    manager.bind("kg", ONTOLOGY_NS)
    manager.bind("kgsh", SHAPES_NS)
    manager.bind("vocab", VOCAB_NS)
    manager.bind("foaf", "http://xmlns.com/foaf/0.1/")
    manager.bind("prov", "http://www.w3.org/ns/prov#")
    manager.bind("skos", "http://www.w3.org/2004/02/skos/core#")
    return manager


def _short(text: str, names: NamespaceManager) -> str:
    """A prefixed name for IRIs of the well-known namespaces, the IRI in brackets otherwise."""
    if not text.startswith(("http://", "https://")):
        return text
    try:
        prefix, _namespace, local = names.compute_qname(text, generate=False)
    except (KeyError, ValueError):
        return f"<{text}>"
    return f"{prefix}:{local}" if local else f"<{text}>"


def _short_path(path: str, names: NamespaceManager) -> str:
    if "<" not in path:
        return _short(path, names)
    return re.sub(r"<([^>]*)>", lambda m: _short(m.group(1), names), path)
