"""OWL consistency check of the ontology, vocabularies and documents with HermiT (owlready2).

HermiT runs on Java, takes seconds to minutes and cannot be interrupted from Python, so
the check runs in a child process of its own session: on timeout the child and its
Java process are killed together, and nothing of owlready2's global state (worlds,
namespaces, the Java settings) outlives the call. A missing Java is reported as the
status ``unavailable``, never raised: the check is optional on a machine without it.

HermiT accepts only the datatypes of the OWL 2 datatype map, which has no ``xsd:date``
or ``xsd:gYear``; the graphs are mapped to ones it has (see ``_OWL2_DATATYPES``) in a
copy before they are handed over. The mapping keeps range checks meaningful: a date
becomes a dateTime at midnight, a year an integer, in the data and in the ranges alike.

Run as ``python -m kg.reason FILE.nt [JAVA]`` it is the child: it prints one JSON object.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal as TypingLiteral

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

__all__ = ["DEFAULT_TIMEOUT_S", "ReasonerResult", "ReasonerStatus", "check_consistency"]

DEFAULT_TIMEOUT_S = 300.0
JAVA_HINT = "install Java (apt-get install default-jre-headless) so that `java` is on PATH"

ReasonerStatus = TypingLiteral["consistent", "inconsistent", "unavailable"]

# Datatypes outside the OWL 2 datatype map, and what they become for HermiT.
_OWL2_DATATYPES = {
    XSD.date: XSD.dateTime,
    XSD.gYear: XSD.integer,
    XSD.gYearMonth: XSD.string,
    XSD.gMonth: XSD.string,
    XSD.gDay: XSD.string,
    XSD.gMonthDay: XSD.string,
    XSD.time: XSD.string,
    XSD.duration: XSD.string,
    XSD.dayTimeDuration: XSD.string,
    XSD.yearMonthDuration: XSD.string,
}
_DATE = re.compile(r"^(-?\d{4,}-\d{2}-\d{2})(Z|[+-]\d{2}:\d{2})?$")
_YEAR = re.compile(r"^(-?\d{4,})(Z|[+-]\d{2}:\d{2})?$")


@dataclass(frozen=True)
class ReasonerResult:
    """What HermiT said: ``consistent``, ``inconsistent`` (with the classes or clashes), or
    ``unavailable`` (no Java, a time-out, or a Java error: no verdict either way)."""

    status: ReasonerStatus
    message: str
    seconds: float
    inconsistent_classes: list[str] = field(default_factory=list)


def check_consistency(graphs: list[Graph], *, timeout_s: float = DEFAULT_TIMEOUT_S) -> ReasonerResult:
    """Check the union of ``graphs`` for consistency and for unsatisfiable classes.

    An unsatisfiable class (one that can have no member, such as a subclass of two
    disjoint classes) is reported as ``inconsistent`` too: the data may still have a
    model, but the ontology is wrong.
    """
    started = time.perf_counter()
    java = shutil.which("java")
    if java is None:
        return ReasonerResult("unavailable", f"HermiT needs Java, which was not found: {JAVA_HINT}", 0.0)
    merged = _merge(graphs)
    with tempfile.TemporaryDirectory(prefix="kg-reason-") as folder:
        path = Path(folder) / "merged.nt"
        _owl2_graph(merged).serialize(path, format="nt", encoding="utf-8")
        outcome = _run_child(path, java, timeout_s)
    seconds = time.perf_counter() - started
    if isinstance(outcome, str):
        return ReasonerResult("unavailable", outcome, seconds)
    return _result(outcome, merged, seconds)


# -- the graphs handed to HermiT -------------------------------------------------------------


def _merge(graphs: Iterable[Graph]) -> Graph:
    merged = Graph()
    for graph in graphs:
        merged += graph
    return merged


def _owl2_graph(graph: Graph) -> Graph:
    """A copy whose datatypes are all in the OWL 2 datatype map."""
    out = Graph()
    out.addN((s, p, _owl2_term(o), out) for s, p, o in graph)
    return out


def _owl2_term(node: Node) -> Node:
    if isinstance(node, URIRef):
        return _OWL2_DATATYPES.get(node, node)
    if not isinstance(node, Literal) or node.datatype not in _OWL2_DATATYPES:
        return node
    lexical = str(node)
    if node.datatype == XSD.date and (match := _DATE.match(lexical)):
        return Literal(f"{match.group(1)}T00:00:00{match.group(2) or ''}", datatype=XSD.dateTime)
    if node.datatype == XSD.gYear and (match := _YEAR.match(lexical)):
        return Literal(str(int(match.group(1))), datatype=XSD.integer)
    # A value that is not even well formed stays wrong: a string where the range wants more.
    return Literal(lexical, datatype=XSD.string)


# -- the child process -------------------------------------------------------------------------


def _run_child(path: Path, java: str, timeout_s: float) -> dict[str, object] | str:
    """The child's JSON answer, or a sentence saying why there is none."""
    command = [sys.executable, "-m", "kg.reason", str(path), java]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True, text=True
    ) as child:
        try:
            out, err = child.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(child)
            child.communicate()
            return (
                f"HermiT did not finish within {timeout_s:g} s (timeout_s); "
                "give it more time or check fewer documents at once"
            )
    try:
        answer = json.loads(out.strip().splitlines()[-1]) if out.strip() else None
    except json.JSONDecodeError:
        answer = None
    if not isinstance(answer, dict):
        detail = (err or out).strip().splitlines()[-3:]
        return f"the reasoner process failed (exit {child.returncode}): {' | '.join(detail) or 'no output'}"
    return answer


def _kill_group(child: subprocess.Popen[str]) -> None:
    """Kill the child and the Java process it started: they share the child's session."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)


def _result(answer: dict[str, object], merged: Graph, seconds: float) -> ReasonerResult:
    status = answer.get("status")
    classes = [str(c) for c in answer.get("unsatisfiable", []) or []]  # type: ignore[union-attr]
    if status == "error":
        return ReasonerResult("unavailable", f"HermiT failed: {answer.get('message')}", seconds)
    if status == "inconsistent":
        clashes = list(_disjoint_clashes(merged))
        hint = (
            "; individuals typed with disjoint classes: " + "; ".join(clashes[:10])
            if clashes
            else "; HermiT does not say which facts clash: look for nodes typed with disjoint classes, "
            "functional properties with two values, or values outside a property's range"
        )
        return ReasonerResult("inconsistent", f"HermiT found the graphs inconsistent{hint}", seconds)
    if classes:
        return ReasonerResult(
            "inconsistent",
            f"the graphs are consistent but {len(classes)} class(es) can have no member "
            f"(unsatisfiable): {', '.join(classes)}; check their rdfs:subClassOf and owl:disjointWith",
            seconds,
            classes,
        )
    return ReasonerResult("consistent", f"HermiT found no inconsistency in {len(merged)} triples", seconds)


def _disjoint_clashes(graph: Graph) -> Iterator[str]:
    """Individuals typed (directly or through subclasses) with two disjoint classes."""
    pairs = {(a, b) for a, b in graph.subject_objects(OWL.disjointWith)}
    if not pairs:
        return
    supers: dict[Node, set[Node]] = {}

    def above(cls: Node) -> set[Node]:
        if cls not in supers:
            supers[cls] = {cls}
            for parent in graph.objects(cls, RDFS.subClassOf):
                supers[cls] |= above(parent)
        return supers[cls]

    for individual in set(graph.subjects(RDF.type, None)):
        types: set[Node] = set()
        for cls in graph.objects(individual, RDF.type):
            types |= above(cls)
        for a, b in pairs:
            if a in types and b in types:
                yield f"<{individual}> is both <{a}> and <{b}>"


def _child_main(path: str, java: str) -> dict[str, object]:
    """Load the file into a fresh owlready2 World and run HermiT on it."""
    import owlready2

    owlready2.JAVA_EXE = java
    world = owlready2.World()
    world.get_ontology(Path(path).resolve().as_uri()).load()
    try:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    except owlready2.OwlReadyInconsistentOntologyError:
        return {"status": "inconsistent"}
    except owlready2.OwlReadyJavaError as exc:
        lines = [line for line in str(exc).splitlines() if line.strip() and not line.startswith("\tat ")]
        return {"status": "error", "message": " ".join(lines[:4])}
    unsatisfiable = sorted(c.iri for c in world.inconsistent_classes() if c.iri != str(OWL.Nothing))
    return {"status": "consistent", "unsatisfiable": unsatisfiable}


if __name__ == "__main__":
    print(json.dumps(_child_main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "java")))
