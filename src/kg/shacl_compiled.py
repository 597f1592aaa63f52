"""SHACL core shapes compiled once into Python checks over one small, indexed data graph.

pySHACL spends about 15 ms on a document graph of ~150 triples, nearly all of it in its
generic machinery (rdflib graph look-ups, shape objects rebuilt per call, a report graph
written and read back). kg validates each document graph on its own, so the data is tiny
and the shapes never change: compiling each shape once into closures over a dictionary
index of the document makes a check a few dictionary look-ups, and the cost per document
depends only on that document, never on the store.

The reference is pySHACL 0.40 as kg runs it (``inference="none"``, not advanced), not the
SHACL specification: where the two differ the compiled checks follow pySHACL (results of
nested ``sh:node`` shapes are reported too, ``sh:uniqueLang false`` fails without a result,
an inverse sequence path is inverted step by step), and values are compared with the same
rdflib operators and ``pyshacl.rdfutil.compare_literal``. tests/test_validate_parity.py
holds the two to the same results.

What is not compiled raises ``Unsupported`` at compile time; ``CompiledShapes`` then leaves
that top-level shape to pySHACL (``fallback_graph``). Data on which pySHACL raises instead of
reporting (values rdflib cannot order, blank nodes under ``sh:lessThan``) raises
``NeedsReference`` at run time, so the caller can let pySHACL produce the very same error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import NamedTuple

from pyshacl.constraints import ALL_CONSTRAINT_PARAMETERS
from pyshacl.rdfutil.compare import compare_literal
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, RDFS, SH, XSD
from rdflib.term import Node

__all__ = ["CompiledShapes", "Index", "NeedsReference", "Result", "Unsupported"]

Triple = tuple[Node, Node, Node]
Values = Iterable[Node]  # value nodes of one focus node; never mutated by a check
FocusValues = dict[Node, Values]


class Unsupported(Exception):
    """A shape uses a feature the compiler does not translate; pySHACL checks that shape."""


class NeedsReference(Exception):
    """pySHACL raises on this data instead of reporting; let it, so callers see its error."""


class Result(NamedTuple):
    """One validation result, with the nodes pySHACL would put in its report."""

    focus: Node
    path: Node | None  # the sh:path node in the shapes graph (property shapes only)
    value: Node | None
    component: URIRef
    shape: Node
    severity: Node
    message: str


_EMPTY: dict[Node, None] = {}
_NO_RESULTS: list[Result] = []
_TARGETS = (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf)

# IRIs and blank nodes are interned: rdflib compares terms in Python (``Identifier.__eq__``),
# so a dictionary look-up with an equal but not identical term costs a Python call, and a
# document's terms are never the objects the shapes were compiled with. Interned, every
# look-up of a check is an identity hit. Literals are left alone (their hash is Python too,
# and they are rarely looked up).
_IRIS: dict[str, Node] = {}
_BNODES: dict[str, Node] = {}


def canonical(node: Node) -> Node:
    """The shared instance of an IRI or blank node; anything else as it is.

    Keyed by the plain string, whose comparison is C, not by the term, whose is Python.
    """
    kind = type(node)
    if kind is URIRef:
        table = _IRIS
    elif kind is BNode:
        table = _BNODES
    else:
        return node
    key = str(node)
    found = table.get(key)
    if found is None:
        if len(table) > 1_000_000:  # documents mint IRIs without end; keep memory bounded
            table.clear()
        found = table[key] = node
    return found


_XSD_INTEGER = str(XSD.integer)
_TYPE = canonical(RDF.type)
_SUBCLASS_OF = canonical(RDFS.subClassOf)

# -- data ----------------------------------------------------------------------------------


class Index:
    """The triples of one data graph, by subject and by predicate, in insertion order.

    Insertion-ordered dictionaries rather than sets so that ``value`` picks the same one of
    several values as rdflib's in-memory store would (the evidence shown to people).
    ``base`` holds triples shared by every document (the ontology's class hierarchy): they
    are looked up, not copied, for the predicates they use.
    """

    __slots__ = ("_base", "_base_predicates", "_down", "_up", "pos", "spo")

    def __init__(self, triples: Iterable[Triple] = (), base: Index | None = None) -> None:
        self.spo: dict[Node, dict[Node, dict[Node, None]]] = {}
        self.pos: dict[Node, dict[Node, dict[Node, None]]] = {}
        self._base = base
        self._base_predicates: frozenset[Node] = frozenset(base.pos) if base is not None else frozenset()
        self._up: dict[Node, frozenset[Node]] = {}
        self._down: dict[Node, frozenset[Node]] = {}
        self.add(triples)

    def add(self, triples: Iterable[Triple]) -> None:
        """Index more triples; terms are interned on the way in."""
        spo, pos = self.spo, self.pos
        for s, p, o in triples:
            s = canonical(s)
            p = canonical(p)
            o = canonical(o)
            by_p = spo.get(s)
            if by_p is None:
                spo[s] = {p: {o: None}}
            else:
                objs = by_p.get(p)
                if objs is None:
                    by_p[p] = {o: None}
                else:
                    objs[o] = None
            by_o = pos.get(p)
            if by_o is None:
                pos[p] = {o: {s: None}}
            else:
                subs = by_o.get(o)
                if subs is None:
                    by_o[o] = {s: None}
                else:
                    subs[s] = None
        self._up.clear()
        self._down.clear()

    @property
    def own_hierarchy(self) -> bool:
        """Whether the data states rdfs:subClassOf itself, so the base's closures are not enough."""
        return _SUBCLASS_OF in self.pos

    # rdflib-like look-ups (what kg.validate's evidence code and the checks use)

    def objects(self, s: Node, p: Node | None) -> dict[Node, None]:
        """Objects of ``s`` through ``p`` (any predicate when ``p`` is None), as an ordered set."""
        if p is None:
            found: dict[Node, None] = {}
            for objs in self.spo.get(s, _EMPTY_BY).values():
                found.update(objs)
            if self._base is not None:
                found.update(self._base.objects(s, None))
            return found
        own = self.spo.get(s, _EMPTY_BY).get(p, _EMPTY)
        if p in self._base_predicates:
            extra = self._base.objects(s, p)  # type: ignore[union-attr]
            if extra:
                return {**own, **extra}
        return own

    def subjects(self, p: Node, o: Node) -> dict[Node, None]:
        own = self.pos.get(p, _EMPTY_BY).get(o, _EMPTY)
        if p in self._base_predicates:
            extra = self._base.subjects(p, o)  # type: ignore[union-attr]
            if extra:
                return {**own, **extra}
        return own

    def subjects_of(self, p: Node) -> dict[Node, None]:
        found: dict[Node, None] = {}
        for subs in self.pos.get(p, _EMPTY_BY).values():
            found.update(subs)
        if p in self._base_predicates:
            found.update(self._base.subjects_of(p))  # type: ignore[union-attr]
        return found

    def objects_of(self, p: Node) -> dict[Node, None]:
        found = dict.fromkeys(self.pos.get(p, _EMPTY_BY))
        if p in self._base_predicates:
            found.update(self._base.objects_of(p))  # type: ignore[union-attr]
        return found

    def value(self, s: Node, p: Node) -> Node | None:
        return next(iter(self.objects(s, p)), None)

    def __contains__(self, triple: tuple[Node, Node | None, Node]) -> bool:
        s, p, o = triple
        if p is not None:
            return o in self.objects(s, p)
        return any(o in objs for objs in self.spo.get(s, _EMPTY_BY).values()) or (
            self._base is not None and (s, None, o) in self._base
        )

    # rdfs:subClassOf closures, each including the class itself (as rdflib's transitive_*)

    def superclasses(self, cls: Node) -> frozenset[Node]:
        if self._base is not None and _SUBCLASS_OF not in self.pos:
            return self._base.superclasses(cls)
        found = self._up.get(cls)
        if found is None:
            found = self._up[cls] = _closure(canonical(cls), lambda c: self.objects(c, _SUBCLASS_OF))
        return found

    def subclasses(self, cls: Node) -> frozenset[Node]:
        if self._base is not None and _SUBCLASS_OF not in self.pos:
            return self._base.subclasses(cls)
        found = self._down.get(cls)
        if found is None:
            found = self._down[cls] = _closure(canonical(cls), lambda c: self.subjects(_SUBCLASS_OF, c))
        return found


_EMPTY_BY: dict[Node, dict[Node, None]] = {}


def _closure(start: Node, step: Callable[[Node], Iterable[Node]]) -> frozenset[Node]:
    seen = {start}
    todo = [start]
    while todo:
        for nxt in step(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return frozenset(seen)


# -- paths ---------------------------------------------------------------------------------

PathFn = Callable[[Index, Node], Values]


def _compile_path(sg: Graph, path: Node, *, inverse: bool = False, depth: int = 0) -> PathFn:
    """A SHACL path as a function, step for step as pySHACL's ``value_nodes_from_path``."""
    if isinstance(path, URIRef):
        path = canonical(path)
        if inverse:
            return lambda idx, f: idx.subjects(path, f)
        return lambda idx, f: idx.objects(f, path)
    if isinstance(path, Literal) or depth >= 10:
        raise Unsupported(f"path {path!r} is a literal or nests too deep")
    first = list(sg.objects(path, RDF.first))
    if first:
        items = list(sg.items(path))
        if len(items) < 2 and depth == 0:
            raise Unsupported("a sequence path of fewer than two steps")
        steps = [_compile_path(sg, item, inverse=inverse, depth=depth + 1) for item in items]

        def sequence(idx: Index, f: Node) -> Values:
            nodes: Iterable[Node] = (f,)
            for step in steps:
                found: set[Node] = set()
                for node in nodes:
                    found.update(step(idx, node))
                nodes = found
            return nodes

        return sequence
    inverse_of = list(sg.objects(path, SH.inversePath))
    if inverse_of:
        return _compile_path(sg, inverse_of[0], inverse=not inverse, depth=depth + 1)
    alternatives = list(sg.objects(path, SH.alternativePath))
    if alternatives:
        options = [
            _compile_path(sg, item, inverse=inverse, depth=depth + 1) for item in sg.items(alternatives[0])
        ]
        if len(options) < 2:
            raise Unsupported("an alternative path of fewer than two paths")

        def alternative(idx: Index, f: Node) -> Values:
            found: set[Node] = set()
            for option in options:
                found.update(option(idx, f))
            return found

        return alternative
    for modifier, include_self, repeat in (
        (SH.zeroOrMorePath, True, True),
        (SH.oneOrMorePath, False, True),
        (SH.zeroOrOnePath, True, False),
    ):
        inner_nodes = list(sg.objects(path, modifier))
        if inner_nodes:
            inner = _compile_path(sg, inner_nodes[0], inverse=inverse, depth=depth + 1)
            return _repeated(inner, include_self=include_self, repeat=repeat)
    raise Unsupported(f"unknown path {path!r}")


def _repeated(inner: PathFn, *, include_self: bool, repeat: bool) -> PathFn:
    def walk(idx: Index, f: Node) -> Values:
        found: set[Node] = {f} if include_self else set()
        if not repeat:
            found.update(inner(idx, f))
            return found
        todo = set(inner(idx, f))
        while todo:
            node = todo.pop()
            if node in found:
                continue
            found.add(node)
            todo.update(inner(idx, node))
        return found

    return walk


# -- shapes --------------------------------------------------------------------------------

Check = Callable[[Index, FocusValues], tuple[bool, list[Result]]]
_Tables = tuple[
    dict[Node, list["_Shape"]], dict[Node, list["_Shape"]], dict[Node, list["_Shape"]], list["_Shape"]
]


class _Shape:
    """One compiled shape: how to find its focus and value nodes, and its checks."""

    def __init__(self, node: Node, path: Node | None) -> None:
        self.node = node
        self.path = path
        self.path_fn: PathFn | None = None
        self.severity: Node = SH.Violation
        self.message: str | None = None
        self.deactivated = False
        self.checks: list[Check] = []
        self.reports_itself = False  # has constraints whose results name this shape
        self.target_nodes: tuple[Node, ...] = ()
        self.target_classes: tuple[Node, ...] = ()
        self.target_subjects_of: tuple[Node, ...] = ()
        self.target_objects_of: tuple[Node, ...] = ()

    def result(self, focus: Node, value: Node | None, component: URIRef) -> Result:
        return Result(focus, self.path, value, component, self.node, self.severity, self.message or "")

    def focus_nodes(self, idx: Index) -> set[Node]:
        found: set[Node] = set(self.target_nodes)
        for cls in self.target_classes:
            for sub in idx.subclasses(cls):
                found.update(idx.subjects(_TYPE, sub))
        for p in self.target_subjects_of:
            found.update(idx.subjects_of(p))
        for p in self.target_objects_of:
            found.update(idx.objects_of(p))
        return found

    def validate(self, idx: Index, focus: Iterable[Node]) -> tuple[bool, list[Result]]:
        """Whether every focus node conforms, and the results (pySHACL's ``Shape.validate``)."""
        if self.deactivated:
            return True, _NO_RESULTS
        path_fn = self.path_fn
        if path_fn is None:
            values: FocusValues = {f: (f,) for f in focus}
        else:
            values = {f: path_fn(idx, f) for f in focus}
        if not values:
            return True, _NO_RESULTS
        conforms = True
        results: list[Result] = []
        for check in self.checks:
            ok, found = check(idx, values)
            if not ok:
                conforms = False
            if found:
                results.extend(found)
        return conforms, results


class CompiledShapes:
    """Every top-level shape of a shapes graph, compiled where possible.

    ``unsupported`` names each top-level shape left to pySHACL and why; ``fallback_graph``
    is the shapes graph with the targets of the compiled shapes removed, so that pySHACL,
    run on it, evaluates exactly the shapes that were not compiled.
    """

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._shapes: dict[Node, _Shape] = {}
        self._compiling: set[Node] = set()
        self.top: list[_Shape] = []
        self.unsupported: dict[Node, str] = {}
        self._tables: tuple[Index | None, _Tables | None] | None = None
        custom = set(graph.subjects(RDF.type, SH.ConstraintComponent))
        for node in sorted(_top_level_shapes(graph), key=str):
            try:
                if custom:
                    raise Unsupported("the shapes graph declares its own constraint components")
                shape = self._compile(node, reporting=True)
                if _implicit_class_target(graph, node):
                    raise Unsupported("implicit class targets")
                self._targets(shape)
            except Unsupported as exc:
                self.unsupported[node] = str(exc)
                continue
            self.top.append(shape)

    def run(self, idx: Index) -> list[Result]:
        """Every result of every compiled top-level shape on the data of ``idx``."""
        results: list[Result] = []
        for shape, focus in self._focus(idx):
            if focus:
                _ok, found = shape.validate(idx, focus)
                results.extend(found)
        return results

    def _focus(self, idx: Index) -> Iterable[tuple[_Shape, set[Node]]]:
        """Each shape's focus nodes, found from the data's own types and predicates.

        Looking up the few classes and predicates a document has, rather than every target of
        every shape, is what keeps the cost of a shape a document does not concern near zero.
        Data with a class hierarchy of its own is handled shape by shape.
        """
        tables = self._dispatch(idx._base)
        if tables is None or idx.own_hierarchy:
            return [(shape, shape.focus_nodes(idx)) for shape in self.top]
        by_class, by_subject_of, by_object_of, fixed = tables
        focus: dict[_Shape, set[Node]] = {shape: set(shape.target_nodes) for shape in fixed}
        for cls, subjects in idx.pos.get(_TYPE, _EMPTY_BY).items():
            for shape in by_class.get(cls, ()):
                found = focus.get(shape)
                if found is None:
                    focus[shape] = set(subjects)
                else:
                    found.update(subjects)
        for p, by_o in idx.pos.items():
            for shape in by_subject_of.get(p, ()):
                found = focus.setdefault(shape, set())
                for subjects in by_o.values():
                    found.update(subjects)
            for shape in by_object_of.get(p, ()):
                focus.setdefault(shape, set()).update(by_o)
        return focus.items()

    def _dispatch(self, base: Index | None) -> _Tables | None:
        """Shapes by target class (subclasses included) and predicate, for data over ``base``."""
        if self._tables is not None and self._tables[0] is base:
            return self._tables[1]
        tables: _Tables | None = None
        target_predicates = {_TYPE}
        for shape in self.top:
            target_predicates.update(shape.target_subjects_of, shape.target_objects_of)
        if base is not None and not (target_predicates & base.pos.keys()):
            by_class: dict[Node, list[_Shape]] = {}
            by_subject_of: dict[Node, list[_Shape]] = {}
            by_object_of: dict[Node, list[_Shape]] = {}
            for shape in self.top:
                classes = {sub for cls in shape.target_classes for sub in base.subclasses(cls)}
                for cls in classes:
                    by_class.setdefault(cls, []).append(shape)
                for p in set(shape.target_subjects_of):
                    by_subject_of.setdefault(p, []).append(shape)
                for p in set(shape.target_objects_of):
                    by_object_of.setdefault(p, []).append(shape)
            fixed = [shape for shape in self.top if shape.target_nodes]
            tables = (by_class, by_subject_of, by_object_of, fixed)
        self._tables = (base, tables)
        return tables

    def fallback_graph(self) -> Graph | None:
        """The shapes pySHACL must still check, or None when every shape was compiled."""
        if not self.unsupported:
            return None
        rest = Graph()
        for prefix, namespace in self.graph.namespaces():  # pySHACL's generic messages use them
            rest.bind(prefix, namespace, replace=True)
        compiled = {shape.node for shape in self.top}
        for s, p, o in self.graph:
            if s in compiled and p in _TARGETS:
                continue
            rest.add((s, p, o))
        return rest

    # compiling

    def _targets(self, shape: _Shape) -> None:
        g, node = self.graph, shape.node
        shape.target_nodes = tuple(canonical(n) for n in g.objects(node, SH.targetNode))
        shape.target_classes = tuple(canonical(n) for n in g.objects(node, SH.targetClass))
        shape.target_subjects_of = tuple(canonical(n) for n in g.objects(node, SH.targetSubjectsOf))
        shape.target_objects_of = tuple(canonical(n) for n in g.objects(node, SH.targetObjectsOf))

    def _compile(self, node: Node, *, reporting: bool) -> _Shape:
        """The compiled shape of ``node``; ``reporting`` when its results reach the report."""
        shape = self._shapes.get(node)
        if shape is None:
            if node in self._compiling:
                raise Unsupported("recursive shapes")
            self._compiling.add(node)
            try:
                shape = self._build(node)
            finally:
                self._compiling.discard(node)
            self._shapes[node] = shape
        if reporting and shape.message is None and shape.reports_itself:
            raise Unsupported(f"shape {node} has no sh:message (pySHACL would write a generic one)")
        return shape

    def _build(self, node: Node) -> _Shape:
        g = self.graph
        paths = list(g.objects(node, SH.path))
        if len(paths) > 1:
            raise Unsupported("a shape with several sh:path")
        shape = _Shape(node, paths[0] if paths else None)
        if paths:
            shape.path_fn = _compile_path(g, paths[0])
        deactivated = list(g.objects(node, SH.deactivated))
        if len(deactivated) > 1 or (deactivated and not isinstance(deactivated[0], Literal)):
            raise Unsupported("sh:deactivated must be one literal")
        shape.deactivated = bool(deactivated and deactivated[0].value)  # type: ignore[attr-defined]
        severities = set(g.objects(node, SH.severity))
        if len(severities) > 1:
            raise Unsupported("a shape with several sh:severity")
        shape.severity = next(iter(severities), SH.Violation)
        messages = set(g.objects(node, SH.message))
        shape.message = min(str(m) for m in messages) if messages else None
        components: dict[str, list[Node]] = {}
        for p in g.predicates(node, None, unique=True):
            if p in ALL_CONSTRAINT_PARAMETERS:
                components.setdefault(_COMPONENT_OF.get(p, str(p)), []).append(p)
        shape.reports_itself = any(component != str(SH.property) for component in components)
        for component in components:
            builder = _BUILDERS.get(component)
            if builder is None:
                raise Unsupported(f"constraint {component} is not compiled")
            shape.checks.append(builder(self, shape))
        return shape

    def values(self, node: Node, param: URIRef) -> list[Node]:
        return list(self.graph.objects(node, param))

    def one(self, node: Node, param: URIRef) -> Node:
        found = self.values(node, param)
        if len(found) != 1:
            raise Unsupported(f"{param} must have exactly one value")
        return found[0]


def _top_level_shapes(graph: Graph) -> set[Node]:
    """Shapes pySHACL validates on their own: those with targets, and typed shapes that are classes."""
    found: set[Node] = set()
    for target in _TARGETS:
        found.update(graph.subjects(target, None, unique=True))
    for kind in (SH.NodeShape, SH.PropertyShape):
        found.update(s for s in graph.subjects(RDF.type, kind) if _implicit_class_target(graph, s))
    return found


def _implicit_class_target(graph: Graph, node: Node) -> bool:
    classes = set(graph.subjects(RDFS.subClassOf, RDFS.Class)) | {RDFS.Class}
    return any(t in classes for t in graph.objects(node, RDF.type))


# -- constraint components -----------------------------------------------------------------

_COMPONENT_OF: dict[Node, str] = {
    SH.qualifiedValueShape: "qualified",
    SH.qualifiedMinCount: "qualified",
    SH.qualifiedMaxCount: "qualified",
    SH.qualifiedValueShapesDisjoint: "qualified",
    SH.closed: "closed",
    SH.ignoredProperties: "closed",
}


def _int_param(c: CompiledShapes, shape: _Shape, param: URIRef) -> int:
    value = c.one(shape.node, param)
    if not isinstance(value, Literal) or not isinstance(value.value, int):
        raise Unsupported(f"{param} must be an integer literal")
    return int(value.value)


def _min_count(c: CompiledShapes, shape: _Shape) -> Check:
    n = _int_param(c, shape, SH.minCount)
    component = SH.MinCountConstraintComponent

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        if n == 0:
            return True, _NO_RESULTS
        bad = [shape.result(f, None, component) for f, vs in fv.items() if len(vs) < n]  # type: ignore[arg-type]
        return not bad, bad

    return check


def _max_count(c: CompiledShapes, shape: _Shape) -> Check:
    n = _int_param(c, shape, SH.maxCount)
    component = SH.MaxCountConstraintComponent

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        bad = [shape.result(f, None, component) for f, vs in fv.items() if len(vs) > n]  # type: ignore[arg-type]
        return not bad, bad

    return check


def _per_value(shape: _Shape, component: URIRef, ok: Callable[[Index, Node], bool]) -> Check:
    """A check of each value node on its own, with the value in each result."""

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        bad: list[Result] = []
        for f, vs in fv.items():
            for v in vs:
                if not ok(idx, v):
                    bad.append(shape.result(f, v, component))
        return not bad, bad

    return check


def _all_of(checks: list[Check]) -> Check:
    if len(checks) == 1:
        return checks[0]

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        conforms, results = True, []
        for one in checks:
            ok, found = one(idx, fv)
            conforms = conforms and ok
            results.extend(found)
        return conforms, results

    return check


def _class(c: CompiledShapes, shape: _Shape) -> Check:
    def instance_of(cls: Node) -> Callable[[Index, Node], bool]:
        def ok(idx: Index, v: Node) -> bool:
            if isinstance(v, Literal):
                return False
            return any(cls in idx.superclasses(t) for t in idx.objects(v, _TYPE))

        return ok

    component = SH.ClassConstraintComponent
    return _all_of(
        [
            _per_value(shape, component, instance_of(canonical(cls)))
            for cls in c.values(shape.node, SH["class"])
        ]
    )


_PYTHON_TYPES: dict[Node, type | tuple[type, ...]] = {
    XSD.string: (str, bytes),
    RDF.langString: (str, bytes),
    XSD.integer: int,
    XSD.float: float,
    XSD.decimal: Decimal,
    XSD.boolean: bool,
    XSD.date: date,
    XSD.time: time,
    XSD.dateTime: datetime,
}


def _datatype(c: CompiledShapes, shape: _Shape) -> Check:
    rule = c.one(shape.node, SH.datatype)
    if type(rule) is not URIRef:
        raise Unsupported("sh:datatype must be an IRI")
    python_type = _PYTHON_TYPES.get(rule)
    rule_text = str(rule)
    any_literal = rule == RDFS.Literal
    any_typed = rule == RDFS.Datatype
    plain_string = rule == XSD.string
    lang_string = rule == RDF.langString

    def actual(v: Literal) -> bool:
        return python_type is None or isinstance(v.value, python_type)

    def ok(idx: Index, v: Node) -> bool:
        if not isinstance(v, Literal):
            return False
        datatype = v.datatype
        if datatype is not None and str.__eq__(datatype, rule_text):  # both IRIs: rdflib's ==
            return v.ill_typed is not True and actual(v)
        if any_literal or (any_typed and datatype):
            return True
        if plain_string and datatype is None and v.language is None:
            return actual(v)
        if lang_string and v.language:
            return actual(v)
        return False

    return _per_value(shape, SH.DatatypeConstraintComponent, ok)


_NODE_KINDS: dict[Node, tuple[type, ...]] = {
    SH.IRI: (URIRef,),
    SH.BlankNode: (BNode,),
    SH.Literal: (Literal,),
    SH.BlankNodeOrIRI: (BNode, URIRef),
    SH.BlankNodeOrLiteral: (BNode, Literal),
    SH.IRIOrLiteral: (URIRef, Literal),
}


def _node_kind(c: CompiledShapes, shape: _Shape) -> Check:
    kinds = _NODE_KINDS.get(c.one(shape.node, SH.nodeKind))
    if kinds is None:
        raise Unsupported("unknown sh:nodeKind")

    def ok(idx: Index, v: Node) -> bool:
        return isinstance(v, kinds)

    return _per_value(shape, SH.NodeKindConstraintComponent, ok)


def _string_of(v: Node) -> str:
    """The string pySHACL matches patterns and lengths against."""
    if isinstance(v, Literal) and v.value is not None and v.datatype in (None, RDF.langString, XSD.string):
        return str(v.value)
    return str(v)


def _pattern(c: CompiledShapes, shape: _Shape) -> Check:
    flags_found = c.values(shape.node, SH.flags)
    if len(flags_found) > 1:
        raise Unsupported("several sh:flags")
    re_flags = 0
    if flags_found:
        text = str(getattr(flags_found[0], "value", flags_found[0])).lower()
        re_flags |= re.I if "i" in text else 0
        re_flags |= re.M if "m" in text else 0
    checks = []
    for pattern in c.values(shape.node, SH.pattern):
        if not isinstance(pattern, Literal):
            raise Unsupported("sh:pattern must be a literal")
        source = str(pattern.value) if pattern.value is not None and len(pattern.value) > 1 else str(pattern)
        try:
            regex = re.compile(source, re_flags)
        except re.error as exc:
            raise Unsupported(f"sh:pattern {source!r} does not compile: {exc}") from exc

        def ok(idx: Index, v: Node, regex: re.Pattern[str] = regex) -> bool:
            return not isinstance(v, BNode) and regex.search(_string_of(v)) is not None

        checks.append(_per_value(shape, SH.PatternConstraintComponent, ok))
    return _all_of(checks)


def _length(param: URIRef, component: URIRef, longer_ok: bool) -> Callable[[CompiledShapes, _Shape], Check]:
    def build(c: CompiledShapes, shape: _Shape) -> Check:
        limit = _int_param(c, shape, param)
        if limit < 0:
            raise Unsupported(f"negative {param}")

        def ok(idx: Index, v: Node) -> bool:
            if longer_ok and limit == 0:
                return True
            if isinstance(v, BNode):
                return False
            n = len(_string_of(v))
            return n >= limit if longer_ok else n <= limit

        return _per_value(shape, component, ok)

    return build


def _range(
    param: URIRef, component: URIRef, passes: Callable[[int], bool]
) -> Callable[[CompiledShapes, _Shape], Check]:
    def build(c: CompiledShapes, shape: _Shape) -> Check:
        checks = []
        for bound in c.values(shape.node, param):
            if not isinstance(bound, Literal):
                raise Unsupported(f"{param} must be a literal")
            bound_is_string = isinstance(bound.value, str)
            # xsd:integer against xsd:integer, the common case, as compare_literal would order them
            bound_int = bound.value if type(bound.value) is int and bound.datatype == XSD.integer else None

            def ok(
                idx: Index,
                v: Node,
                bound: Literal = bound,
                bound_is_string: bool = bound_is_string,
                bound_int: int | None = bound_int,
            ) -> bool:
                if not isinstance(v, Literal):
                    return False
                value = v.value
                datatype = v.datatype
                if (
                    bound_int is not None
                    and type(value) is int
                    and datatype is not None
                    and str.__eq__(datatype, _XSD_INTEGER)
                ):
                    return passes((value > bound_int) - (value < bound_int))
                if isinstance(value, str) != bound_is_string:
                    return False
                try:
                    return passes(compare_literal(v, bound))
                except (TypeError, NotImplementedError):
                    return False

            checks.append(_per_value(shape, component, ok))
        return _all_of(checks)

    return build


def _in(c: CompiledShapes, shape: _Shape) -> Check:
    allowed = {canonical(item) for item in c.graph.items(c.one(shape.node, SH["in"]))}

    def ok(idx: Index, v: Node) -> bool:
        return v in allowed

    return _per_value(shape, SH.InConstraintComponent, ok)


def _has_value(c: CompiledShapes, shape: _Shape) -> Check:
    wanted = {canonical(v) for v in c.values(shape.node, SH.hasValue)}
    component = SH.HasValueConstraintComponent

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        bad = [
            shape.result(f, None, component)
            for hv in wanted
            for f, vs in fv.items()
            if not any(v == hv for v in vs)
        ]
        return not bad, bad

    return check


def _language_in(c: CompiledShapes, shape: _Shape) -> Check:
    languages = set()
    for item in c.graph.items(c.one(shape.node, SH.languageIn)):
        if not isinstance(item, Literal) or not isinstance(item.value, str):
            raise Unsupported("sh:languageIn takes string literals")
        languages.add(item.value.lower())

    def ok(idx: Index, v: Node) -> bool:
        if not isinstance(v, Literal) or not v.language:
            return False
        lang = str(v.language).lower()
        return "*" in languages or lang in languages or lang.split("-")[0] in languages

    return _per_value(shape, SH.LanguageInConstraintComponent, ok)


def _unique_lang(c: CompiledShapes, shape: _Shape) -> Check:
    flag = c.one(shape.node, SH.uniqueLang)
    if shape.path is None or not isinstance(flag, Literal) or not isinstance(flag.value, bool):
        raise Unsupported("sh:uniqueLang takes a boolean on a property shape")
    unique = flag.value
    component = SH.UniqueLangConstraintComponent

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        if not unique:
            return False, _NO_RESULTS  # pySHACL 0.40 fails the shape without a result
        bad: list[Result] = []
        for f, vs in fv.items():
            seen: set[str] = set()
            duplicates: set[str] = set()
            for v in vs:
                if isinstance(v, Literal) and v.language:
                    lang = str(v.language).lower()
                    (duplicates if lang in seen else seen).add(lang)
            bad.extend(shape.result(f, None, component) for _ in duplicates)
        return not bad, bad

    return check


def _property_pair(kind: str) -> Callable[[CompiledShapes, _Shape], Check]:
    param = {"equals": SH.equals, "disjoint": SH.disjoint, "lt": SH.lessThan, "le": SH.lessThanOrEquals}[kind]
    component = {
        "equals": SH.EqualsConstraintComponent,
        "disjoint": SH.DisjointConstraintComponent,
        "lt": SH.LessThanConstraintComponent,
        "le": SH.LessThanOrEqualsConstraintComponent,
    }[kind]

    def build(c: CompiledShapes, shape: _Shape) -> Check:
        others = [canonical(o) for o in c.values(shape.node, param)]
        if kind in ("lt", "le") and (shape.path is None or not all(isinstance(p, URIRef) for p in others)):
            raise Unsupported(f"{param} needs IRIs on a property shape")

        def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
            bad: list[Result] = []
            for other in others:
                for f, vs in fv.items():
                    mine = set(vs)
                    theirs = set(idx.objects(f, other))
                    if kind == "equals":
                        bad.extend(shape.result(f, v, component) for v in mine - theirs)
                        bad.extend(shape.result(f, v, component) for v in theirs - mine)
                    elif kind == "disjoint":
                        bad.extend(shape.result(f, v, component) for v in mine & theirs)
                    else:
                        bad.extend(shape.result(f, v, component) for v in _not_ordered(mine, theirs, kind))
            return not bad, bad

        return check

    return build


def _comparable(node: Node) -> tuple[bool, object]:
    if isinstance(node, BNode):
        raise NeedsReference("pySHACL cannot compare a blank node with sh:lessThan(OrEquals)")
    if isinstance(node, URIRef):
        return True, str(node)
    if isinstance(node, Literal) and isinstance(node.value, str):
        return True, node.value
    return False, node


def _not_ordered(values: set[Node], others: set[Node], kind: str) -> Iterator[Node]:
    """Each value once per other value it is not below (or equal to), as pySHACL reports them."""
    for v in values:
        v_string, v_key = _comparable(v)
        for o in others:
            o_string, o_key = _comparable(o)
            if v_string != o_string:
                yield v
                continue
            try:
                below = v_key < o_key if kind == "lt" else v_key <= o_key  # type: ignore[operator]
            except TypeError as exc:  # pySHACL lets this escape; so must we, through pySHACL
                raise NeedsReference(str(exc)) from exc
            if not below:
                yield v


def _shape_list(c: CompiledShapes, shape: _Shape, param: URIRef, *, as_set: bool) -> list[list[_Shape]]:
    lists = []
    for head in c.values(shape.node, param):
        members = list(c.graph.items(head))
        if not members:
            raise Unsupported(f"{param} needs a non-empty list")
        if as_set:
            members = list(dict.fromkeys(members))
        lists.append([c._compile(m, reporting=False) for m in members])
    return lists


def _logical(kind: str) -> Callable[[CompiledShapes, _Shape], Check]:
    param = {"or": SH["or"], "and": SH["and"], "xone": SH.xone}[kind]
    component = {
        "or": SH.OrConstraintComponent,
        "and": SH.AndConstraintComponent,
        "xone": SH.XoneConstraintComponent,
    }[kind]

    def build(c: CompiledShapes, shape: _Shape) -> Check:
        lists = _shape_list(c, shape, param, as_set=kind != "xone")

        def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
            bad: list[Result] = []
            for members in lists:
                for f, vs in fv.items():
                    for v in vs:
                        passed = sum(1 for m in members if m.validate(idx, (v,))[0])
                        fine = (
                            passed > 0
                            if kind == "or"
                            else passed == len(members)
                            if kind == "and"
                            else passed == 1
                        )
                        if not fine:
                            bad.append(shape.result(f, v, component))
            return not bad, bad

        return check

    return build


def _not(c: CompiledShapes, shape: _Shape) -> Check:
    negated = [c._compile(n, reporting=False) for n in c.values(shape.node, SH["not"])]
    component = SH.NotConstraintComponent

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        bad = [
            shape.result(f, v, component)
            for n in negated
            for f, vs in fv.items()
            for v in vs
            if n.validate(idx, (v,))[0]
        ]
        return not bad, bad

    return check


def _node(c: CompiledShapes, shape: _Shape) -> Check:
    nested = [c._compile(n, reporting=True) for n in c.values(shape.node, SH.node)]
    if any(n.path is not None for n in nested):
        raise Unsupported("sh:node must point to node shapes")
    component = SH.NodeConstraintComponent

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        bad: list[Result] = []
        for n in nested:
            for f, vs in fv.items():
                for v in vs:
                    ok, found = n.validate(idx, (v,))
                    if not ok or found:
                        # pySHACL attaches the nested results (sh:detail) as results of their own.
                        bad.append(shape.result(f, v, component))
                        bad.extend(found)
        return not bad, bad

    return check


def _property(c: CompiledShapes, shape: _Shape) -> Check:
    nested = [c._compile(p, reporting=True) for p in c.values(shape.node, SH.property)]
    if any(p.path is None for p in nested):
        raise Unsupported("sh:property must point to property shapes")

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        conforms, results = True, []
        for p in nested:
            for vs in fv.values():
                for v in vs:
                    ok, found = p.validate(idx, (v,))
                    conforms = conforms and ok
                    results.extend(found)
        return conforms, results

    return check


def _qualified(c: CompiledShapes, shape: _Shape) -> Check:
    disjoint = c.values(shape.node, SH.qualifiedValueShapesDisjoint)
    if any(not isinstance(d, Literal) or d.value is not False for d in disjoint):
        raise Unsupported("sh:qualifiedValueShapesDisjoint true (sibling shapes)")
    if shape.path is None:
        raise Unsupported("sh:qualifiedValueShape on a node shape")
    qualified = c._compile(c.one(shape.node, SH.qualifiedValueShape), reporting=False)
    low = _int_param(c, shape, SH.qualifiedMinCount) if c.values(shape.node, SH.qualifiedMinCount) else None
    high = _int_param(c, shape, SH.qualifiedMaxCount) if c.values(shape.node, SH.qualifiedMaxCount) else None
    if low is None and high is None:
        raise Unsupported("sh:qualifiedValueShape without a count")

    def check(idx: Index, fv: FocusValues) -> tuple[bool, list[Result]]:
        if (low is None or low < 1) and not any(len(vs) for vs in fv.values()):  # type: ignore[arg-type]
            return True, _NO_RESULTS
        bad = []
        for f, vs in fv.items():
            n = sum(1 for v in vs if qualified.validate(idx, (v,))[0])
            if high is not None and n > high:
                bad.append(shape.result(f, None, SH.QualifiedMaxCountConstraintComponent))
            if low is not None and n < low:
                bad.append(shape.result(f, None, SH.QualifiedMinCountConstraintComponent))
        return not bad, bad

    return check


_BUILDERS: dict[str, Callable[[CompiledShapes, _Shape], Check]] = {
    str(SH["class"]): _class,
    str(SH.datatype): _datatype,
    str(SH.nodeKind): _node_kind,
    str(SH.minCount): _min_count,
    str(SH.maxCount): _max_count,
    str(SH.minExclusive): _range(SH.minExclusive, SH.MinExclusiveConstraintComponent, lambda n: n > 0),
    str(SH.minInclusive): _range(SH.minInclusive, SH.MinInclusiveConstraintComponent, lambda n: n >= 0),
    str(SH.maxExclusive): _range(SH.maxExclusive, SH.MaxExclusiveConstraintComponent, lambda n: n < 0),
    str(SH.maxInclusive): _range(SH.maxInclusive, SH.MaxInclusiveConstraintComponent, lambda n: n <= 0),
    str(SH["not"]): _not,
    str(SH["and"]): _logical("and"),
    str(SH["or"]): _logical("or"),
    str(SH.xone): _logical("xone"),
    str(SH.minLength): _length(SH.minLength, SH.MinLengthConstraintComponent, True),
    str(SH.maxLength): _length(SH.maxLength, SH.MaxLengthConstraintComponent, False),
    str(SH.pattern): _pattern,
    str(SH.languageIn): _language_in,
    str(SH.uniqueLang): _unique_lang,
    str(SH.equals): _property_pair("equals"),
    str(SH.disjoint): _property_pair("disjoint"),
    str(SH.lessThan): _property_pair("lt"),
    str(SH.lessThanOrEquals): _property_pair("le"),
    str(SH.node): _node,
    str(SH.property): _property,
    "qualified": _qualified,
    str(SH.hasValue): _has_value,
    str(SH["in"]): _in,
}

COMPILED_PARAMETERS: Sequence[URIRef] = tuple(
    p for p in ALL_CONSTRAINT_PARAMETERS if _COMPONENT_OF.get(p, str(p)) in _BUILDERS
)
