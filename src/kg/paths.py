"""Paths between entities: how a company connects to allegations, issues, norms or governments.

Why not one SPARQL query: property paths only return their two ends, and Oxigraph's planner
mishandles a type join around a union of property paths (a 4-hop exploration took minutes,
shared/PERFORMANCE.md). So the search is a breadth-first walk done here, in Python, with one
small SPARQL query per frontier expansion (the neighbours of a batch of nodes, both
directions, over a fixed set of relation types, bound through a VALUES block of
pyoxigraph-serialised terms: user input never becomes query text). Paths are then
enumerated from the explored adjacency; only the page asked for gets labels and evidence,
each in one query.

One algorithm, two drivers: the search is a generator that yields SPARQL text and receives
rows (``dict`` of variable -> pyoxigraph term, or None when the time budget ran out), so the
CLI drives it synchronously against the embedded store (``find_paths``) and the server drives
it with ``await pool.run`` (``find_paths_async``).
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Generator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal, TypeVar

import pyoxigraph as ox

from kg.config import ONTOLOGY_NS
from kg.errors import KgError, NotFound

KG = ONTOLOGY_NS
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
OWL = "http://www.w3.org/2002/07/owl#"
FOAF = "http://xmlns.com/foaf/0.1/"

Term = Any  # a pyoxigraph NamedNode, BlankNode or Literal
Row = dict[str, Term]
Runner = Callable[[str], list[Row]]
AsyncRunner = Callable[[str], Awaitable[list[Row] | None]]
Mode = Literal["shortest", "all"]

DEFAULT_RELATIONS: tuple[str, ...] = tuple(
    KG + name
    for name in (
        "addressedTo",
        "alsoSentTo",
        "raisesAllegation",
        "concernsIssue",
        "affectsGroup",
        "occurredIn",
        "allegedPerpetrator",
        "implicatedActor",
        "citesNorm",
        "citesResolution",
        "sentByMandate",
        "relatedCommunication",
        "followUpOf",
        "listedOn",
    )
)
"""The object properties a path may follow: the facts letters state, not types, labels or evidence;
and kg:listedOn, the entries of imported lists (kg import ftm) on our companies."""

# Which kg:evidenceField holds the text span for a fact stated with each property (kg.rdf).
EVIDENCE_FIELDS: dict[str, tuple[str, ...]] = {
    KG + "addressedTo": ("recipient",),
    KG + "alsoSentTo": ("also_sent_to",),
    KG + "raisesAllegation": ("allegations",),
    KG + "concernsIssue": ("allegations",),
    KG + "affectsGroup": ("allegations",),
    KG + "occurredIn": ("allegations",),
    KG + "allegedPerpetrator": ("allegations",),
    KG + "implicatedActor": ("allegations",),
    KG + "inSector": ("allegations",),
    KG + "underPolicy": ("allegations",),
    KG + "citesNorm": ("norms_cited",),
    KG + "citesResolution": ("norms_cited", "mandates"),
    KG + "relatedCommunication": ("related_references",),
    KG + "followUpOf": ("related_references",),
}
# Facts whose evidence sits on a qualified node between the two ends:
# property -> (subject -> qualified node, qualified node -> object, evidence field).
QUALIFIED_EVIDENCE: dict[str, tuple[str, str, str]] = {
    KG + "sentByMandate": (KG + "hasSending", KG + "sendingMandate", "mandates"),
    KG + "signedBy": (KG + "hasSignature", KG + "signatory", "signatories"),
}

# How a hop reads in a sentence, forwards and backwards, for the default relations; any other
# property reads from the ontology's labels (kg:_Schema.phrase).
PHRASES: dict[str, tuple[str, str]] = {
    KG + "addressedTo": ("was addressed to", "received"),
    KG + "alsoSentTo": ("was also sent to", "also received"),
    KG + "raisesAllegation": ("raises the allegation", "is raised in"),
    KG + "concernsIssue": ("concerns", "is the issue of"),
    KG + "affectsGroup": ("affects", "is affected by"),
    KG + "occurredIn": ("occurred in", "is the place of"),
    KG + "allegedPerpetrator": ("names as alleged perpetrator", "is the alleged perpetrator in"),
    KG + "implicatedActor": ("implicates", "is implicated in"),
    KG + "citesNorm": ("cites", "is cited by"),
    KG + "citesResolution": ("cites", "is cited by"),
    KG + "sentByMandate": ("was sent by", "sent"),
    KG + "relatedCommunication": ("is related to", "is related to"),
    KG + "followUpOf": ("is a follow-up of", "has the follow-up"),
    KG + "listedOn": ("is listed as", "lists"),
}

INFERRED_SUFFIX = "/inferred"
"""How kg.inference names a document's inferred graph (``<document graph>/inferred``)."""

DEFAULT_MAX_DEGREE = 100
"""A node with more neighbour facts than this is a hub (a State, an issue, a mandate named by
thousands of letters): a path may end there, but the walk does not go through it, or one
4-hop question about a company would fan out over most of the graph. Paths through hubs are
mostly coincidences ("both letters mention China"); asking with max_degree=0 still finds them."""

CONCEPT_CLASSES = frozenset(
    ["http://www.w3.org/2004/02/skos/core#Concept"] + [KG + name for name in ("Mandate", "Norm", "Policy")]
)
"""Shared vocabulary (issues, groups, sectors, mandates, norms) and their subclasses: a path may end
on one but does not cross it, unless the hub policy is off (max_degree=0). Two letters that both
cite Guiding Principle 13 are classified alike, not connected; crossing such nodes is what made
"allegations within 4 hops of a company" mean most of the graph."""

LOCAL_CLASSES = frozenset(
    KG + name for name in ("Communication", "Allegation", "Question", "Sending", "Signature", "Listing")
)
"""Nodes minted inside one document (or one import): their neighbours are that document's facts,
so their degree is bounded by a letter's size and needs no probing."""

PROBE_BATCH = 250
"""Nodes per degree probe: one subquery per node and direction, so the query text stays < 100 kB."""

MAX_PATHS = 10_000
"""Paths enumerated before sorting and paging; past it the answer says it is incomplete."""
_PREPOSITIONS = ("by", "in", "of", "to", "from", "with", "for", "on")
_IRI = re.compile(r"^[a-z][a-z0-9+.-]*:[^\s<>\"{}|\\^`]*$", re.IGNORECASE)


class PathError(KgError):
    """A path request that cannot be answered as asked (bad IRI, bad bound)."""


@dataclass(frozen=True)
class Node:
    iri: str
    label: str
    types: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Evidence:
    document: str  # the named graph (document graph) holding the span
    quote: str | None
    start: int | None
    end: int | None


@dataclass(frozen=True)
class Edge:
    source: str  # the node the walk came from
    target: str  # the node the walk went to
    property: str
    property_label: str
    direction: Literal["forward", "backward"]  # forward: source -property-> target is the stored triple
    evidence: list[Evidence] = field(default_factory=list)
    inferred: bool = False  # stated only in inferred graphs (kg.inference), not by a letter itself


@dataclass(frozen=True)
class Path:
    nodes: list[Node]
    edges: list[Edge]
    sentence: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class PathResult:
    paths: list[Path]
    complete: bool  # False when a bound (hops aside: time, frontier size, path count) stopped the search
    explored: int  # nodes whose neighbours were fetched
    total: int = 0  # paths found before paging
    hubs: list[str] = field(default_factory=list)  # nodes reached but not crossed (see DEFAULT_MAX_DEGREE)

    def next_offset(self, offset: int, limit: int) -> int | None:
        return offset + limit if offset + limit < self.total else None


# -- query text: every value is a pyoxigraph-serialised term -------------------------------------


def _iri(value: str) -> ox.NamedNode:
    if not _IRI.match(value):
        raise PathError(f"{value!r} is not an absolute IRI")
    try:
        return ox.NamedNode(value)
    except ValueError as exc:
        raise PathError(f"{value!r} is not a valid IRI: {exc}") from exc


def _values(name: str, terms: Sequence[object]) -> str:
    return f"VALUES ?{name} {{ {' '.join(str(t) for t in terms)} }}"


def _neighbours_query(
    nodes: Sequence[str],
    relations: Sequence[str],
    only: tuple[set[str], set[str]] | None = None,
    *,
    forward: Sequence[str] | None = None,
    types: set[str] | None = None,
) -> str:
    """Neighbours of a batch of nodes, both directions, one row per (relevant) neighbour type.

    The relations are a FILTER, not a second VALUES block, and there is no DISTINCT or
    GROUP BY (rows are deduplicated in Python): at a 1,000-node frontier that is ~200 ms
    instead of ~1 s, because Oxigraph then does one index lookup per node, not per pair.
    ``forward`` narrows the relations followed from subject to object (default: all);
    ``types`` the classes reported (default: all; a State has a dozen, only a few matter).
    ``only`` = (target IRIs, target classes) keeps just the neighbours that end a path: on the
    last hop nothing else can be used, and a typed join is far smaller than every neighbour.
    """

    def among(terms: Sequence[str] | set[str]) -> str:
        return ", ".join(str(ox.NamedNode(r)) for r in sorted(terms))

    ahead = relations if forward is None else forward
    if only is None:
        kept = f" FILTER(?t IN ({among(types)}))" if types else ""
        typed = f"OPTIONAL {{ ?m <{RDF_TYPE}> ?t{kept} }}"
    else:
        iris, classes = only
        tests = []
        if classes:
            tests.append(f"?t IN ({among(classes)})")
        if iris:
            tests.append(f"?m IN ({among(iris)})")
        typed = f"?m <{RDF_TYPE}> ?t FILTER({' || '.join(tests) or 'false'})"
    branches = []
    if ahead:
        branches.append(
            f'{{ GRAPH ?g {{ ?n ?p ?m }} FILTER(?p IN ({among(ahead)}) && isIRI(?m)) BIND("f" AS ?dir) }}'
        )
    branches.append(f'{{ GRAPH ?g {{ ?m ?p ?n }} FILTER(?p IN ({among(relations)})) BIND("b" AS ?dir) }}')
    return f"""SELECT ?n ?p ?m ?dir ?g ?t WHERE {{
  {_values("n", [ox.NamedNode(n) for n in nodes])}
  {" UNION ".join(branches)}
  {typed}
}}"""


def _degree_query(nodes: Sequence[str], relations: Sequence[str], cap: int) -> str:
    """How many neighbour facts each node has, counted only up to ``cap`` per direction.

    One LIMITed subquery per node and direction: Oxigraph stops reading a hub's index after
    ``cap`` rows, so probing China costs the same at 100 letters as at 100,000.
    """
    rels = ", ".join(str(ox.NamedNode(r)) for r in relations)
    parts = []
    for n in nodes:
        t = ox.NamedNode(n)
        parts.append(
            f"{{ SELECT ?n WHERE {{ GRAPH ?g {{ {t} ?p ?m }} FILTER(?p IN ({rels}) && isIRI(?m)) "
            f"BIND({t} AS ?n) }} LIMIT {cap} }}"
        )
        parts.append(
            f"{{ SELECT ?n WHERE {{ GRAPH ?g {{ ?m ?p {t} }} FILTER(?p IN ({rels})) "
            f"BIND({t} AS ?n) }} LIMIT {cap} }}"
        )
    return f"SELECT ?n (COUNT(*) AS ?k) WHERE {{ {' UNION '.join(parts)} }} GROUP BY ?n"


def _node_query(iri: str) -> str:
    node = ox.NamedNode(iri)
    return f"""SELECT ?t WHERE {{
  {{ {node} ?x ?y OPTIONAL {{ {node} <{RDF_TYPE}> ?t }} }} UNION {{ ?y ?x {node} }}
}} LIMIT 50"""


_SCHEMA_QUERY = f"""SELECT ?kind ?a ?b ?label WHERE {{
  {{ ?a <{RDFS}subClassOf> ?b . FILTER(isIRI(?a) && isIRI(?b)) BIND("sub" AS ?kind) }}
  UNION {{ ?a <{OWL}inverseOf> ?b . BIND("inv" AS ?kind) }}
  UNION {{ ?a <{RDFS}range> ?b . FILTER(isIRI(?a) && isIRI(?b)) BIND("range" AS ?kind) }}
  UNION {{ ?a a <{OWL}ObjectProperty> ; <{RDFS}label> ?label . BIND("label" AS ?kind)
           FILTER(LANG(?label) = "" || LANGMATCHES(LANG(?label), "en")) }}
}}"""


def _labels_query(nodes: Sequence[str]) -> str:
    return f"""SELECT ?n ?label ?rank ?t WHERE {{
  {_values("n", [ox.NamedNode(n) for n in nodes])}
  {{ ?n <{SKOS}prefLabel> ?label BIND(1 AS ?rank) }} UNION {{ ?n <{RDFS}label> ?label BIND(2 AS ?rank) }}
  UNION {{ ?n <{FOAF}name> ?label BIND(3 AS ?rank) }} UNION {{ ?n <{RDF_TYPE}> ?t }}
}}"""


def _evidence_queries(
    direct: list[tuple[int, str, str, str]], qualified: list[tuple[int, str, str, str, str, str]]
) -> list[str]:
    """Spans for many edges at once: on an end node (one query), or on a qualified node between the ends
    (another).

    A span that names the values it states (kg:evidenceValue: one norm of the several a letter
    cites, one State of those also written to) backs only the edges to those values. Two queries,
    not one UNION of two VALUES blocks: Virtuoso 7.2 fails to compile the latter.
    """
    lit, iri = ox.Literal, ox.NamedNode
    heads = []
    if direct:
        rows = " ".join(
            f"({lit(str(e))} {ox.NamedNode(n)} {ox.NamedNode(other)} {lit(f)})" for e, n, other, f in direct
        )
        heads.append(f"VALUES (?e ?node ?other ?field) {{ {rows} }}")
    if qualified:
        rows = " ".join(
            f"({lit(str(e))} {iri(c)} {iri(q)} {iri(qp)} {iri(m)} {lit(f)})"
            for e, c, q, qp, m, f in qualified
        )
        heads.append(f"VALUES (?e ?c ?q ?qp ?m ?field) {{ {rows} }} ?c ?q ?node . ?node ?qp ?m .")
    return [
        f"""SELECT DISTINCT ?e ?span ?g ?quote ?start ?end WHERE {{
  {head}
  GRAPH ?g {{
    ?span <{KG}evidenceFor> ?node ; <{KG}evidenceField> ?field .
    OPTIONAL {{ ?span <{KG}quote> ?quote }}
    OPTIONAL {{ ?span <{KG}startOffset> ?start }}
    OPTIONAL {{ ?span <{KG}endOffset> ?end }}
  }}
  FILTER (!BOUND(?other) || NOT EXISTS {{ GRAPH ?g {{ ?span <{KG}evidenceValue> ?any }} }}
          || EXISTS {{ GRAPH ?g {{ ?span <{KG}evidenceValue> ?other }} }})
}}"""
        for head in heads
    ]


def _listing_query(listings: list[tuple[int, str]]) -> str:
    """What an imported list says about each listing (kg import ftm): its name, date and entry id,
    from the list's own graph, which is the hop's provenance."""
    rows = " ".join(f"({ox.Literal(str(e))} {ox.NamedNode(n)})" for e, n in listings)
    return f"""SELECT ?e ?g ?name ?date ?id WHERE {{
  VALUES (?e ?listing) {{ {rows} }}
  GRAPH ?g {{
    ?listing <{KG}listName> ?name .
    OPTIONAL {{ ?listing <{KG}listingDate> ?date }}
    OPTIONAL {{ ?listing <{KG}listEntityId> ?id }}
  }}
}}"""


def _resolve_query(text: str) -> str:
    """Entities by label; the ontology's own terms and text spans are not entities to start from."""
    return f"""SELECT DISTINCT ?s ?label WHERE {{
  VALUES ?needle {{ {ox.Literal(text.lower())} }}
  ?s <{RDFS}label>|<{SKOS}prefLabel>|<{SKOS}altLabel> ?label .
  FILTER(isIRI(?s) && CONTAINS(LCASE(STR(?label)), ?needle))
  FILTER NOT EXISTS {{
    VALUES ?skip {{
      <{KG}TextSpan> <{OWL}Class> <{OWL}ObjectProperty> <{OWL}DatatypeProperty> <{OWL}Ontology>
    }}
    ?s a ?skip
  }}
}} ORDER BY STRLEN(STR(?label)) ?s LIMIT 200"""


# -- the algorithm, as generators that yield queries and receive rows ---------------------------

Steps = Generator[str, "list[Row] | None", Any]


def _exact_query(text: str) -> str:
    """Entities labelled exactly ``text`` (plain or English): index look-ups, not a scan of every label."""
    variants = " ".join(str(v) for v in (ox.Literal(text), ox.Literal(text, language="en")))
    return f"""SELECT DISTINCT ?s ?label WHERE {{
  VALUES ?label {{ {variants} }}
  ?s <{RDFS}label>|<{SKOS}prefLabel>|<{SKOS}altLabel> ?label .
  FILTER(isIRI(?s))
  FILTER NOT EXISTS {{
    VALUES ?skip {{
      <{KG}TextSpan> <{OWL}Class> <{OWL}ObjectProperty> <{OWL}DatatypeProperty> <{OWL}Ontology>
    }}
    ?s a ?skip
  }}
}} ORDER BY ?s LIMIT 200"""


def _resolve_steps(text: str) -> Generator[str, list[Row] | None, list[tuple[str, str]]]:
    """Entities whose label contains the text; exact (case-insensitive) matches win when there are any.

    A name typed exactly as stored is found by index first; only otherwise are all labels
    scanned (about a second at 100,000 letters).
    """
    needle = text.strip()
    if not needle:
        raise PathError("an empty name matches nothing; give a name or an IRI")
    rows = yield _exact_query(needle)
    if rows:
        exact_rows: dict[str, str] = {}
        for row in rows:
            exact_rows.setdefault(str(row["s"].value), str(row["label"].value))
        return sorted(exact_rows.items(), key=lambda item: (item[1].lower(), item[0]))
    rows = yield _resolve_query(needle)
    found: dict[str, str] = {}
    for row in rows or []:
        found.setdefault(str(row["s"].value), str(row["label"].value))
    exact = {iri: label for iri, label in found.items() if label.lower() == needle.lower()}
    return sorted((exact or found).items(), key=lambda item: (item[1].lower(), item[0]))


@dataclass
class _Schema:
    """What the ontology says about classes and properties: subclasses, inverses, labels."""

    subclasses: dict[str, set[str]] = field(default_factory=dict)  # class -> itself and all subclasses
    inverse: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    ranges: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def from_rows(cls, rows: list[Row]) -> _Schema:
        """Direct subclass facts are closed here: ``subClassOf+`` in SPARQL cost 25 ms at 5,000 letters."""
        schema = cls()
        direct: dict[str, set[str]] = {}
        for row in rows:
            kind, a = str(row["kind"].value), str(row["a"].value)
            if kind == "sub":
                direct.setdefault(str(row["b"].value), set()).add(a)
            elif kind == "inv":
                b = str(row["b"].value)
                schema.inverse.setdefault(a, b)
                schema.inverse.setdefault(b, a)
            elif kind == "range":
                schema.ranges.setdefault(a, set()).add(str(row["b"].value))
            else:
                schema.labels.setdefault(a, str(row["label"].value))
        for top in direct:
            seen: set[str] = set()
            todo = list(direct[top])
            while todo:
                sub = todo.pop()
                if sub not in seen:
                    seen.add(sub)
                    todo.extend(direct.get(sub, ()))
            schema.subclasses[top] = seen
        return schema

    def expand(self, classes: set[str]) -> set[str]:
        out = set(classes)
        for c in classes:
            out |= self.subclasses.get(c, set())
        return out

    def label(self, prop: str) -> str:
        return self.labels.get(prop) or _local_name(prop)

    def phrase(self, prop: str, direction: str) -> str:
        """How to read one hop: the property's label forwards; backwards its inverse, else 'is ... of'."""
        if prop in PHRASES:
            return PHRASES[prop][0 if direction == "forward" else 1]
        if direction == "forward":
            text = self.label(prop)
        elif prop in self.inverse and self.inverse[prop] in self.labels:
            text = self.labels[self.inverse[prop]]
        else:
            return f"is {self.label(prop)} of"
        if text.rsplit(" ", 1)[-1] in _PREPOSITIONS and not text.startswith("is "):
            return f"is {text}"
        return text


def _local_name(iri: str) -> str:
    return re.split(r"[#/]", iri.rstrip("/#"))[-1] or iri


@dataclass
class _Hop:
    prev: str
    prop: str
    direction: Literal["forward", "backward"]
    inferred: bool = False


def _search_steps(
    source: str,
    *,
    targets: set[str] | None,
    target_types: set[str] | None,
    max_hops: int,
    relations: Sequence[str] | None,
    mode: Mode,
    limit: int,
    offset: int,
    time_budget_s: float,
    max_frontier: int,
    include_inferred: bool = True,
    max_degree: int = DEFAULT_MAX_DEGREE,
) -> Generator[str, list[Row] | None, PathResult]:
    if mode not in ("shortest", "all"):
        raise PathError(f"mode must be 'shortest' or 'all', got {mode!r}")
    if not 1 <= max_hops <= 8:
        raise PathError(f"max hops must be between 1 and 8, got {max_hops}")
    if limit < 1 or offset < 0:
        raise PathError(f"limit must be at least 1 and offset at least 0, got limit {limit}, offset {offset}")
    if not targets and not target_types:
        raise PathError("give a target: an entity (IRI or name) or a type such as kg:Allegation")
    if max_degree < 0:
        raise PathError(f"max degree must be 0 (no limit) or more, got {max_degree}")
    _iri(source)
    targets = {str(_iri(t).value) for t in targets or ()}
    rels = list(relations) if relations else list(DEFAULT_RELATIONS)
    for r in rels:
        _iri(r)
    deadline = time.monotonic() + time_budget_s
    complete = True

    rows = yield _node_query(source)
    if rows is None:
        return PathResult([], False, 0)
    if not rows:
        raise NotFound(f"{source} is not in the graph: no triple names it")
    source_types = {str(r["t"].value) for r in rows if r.get("t") is not None}

    schema_rows = yield _SCHEMA_QUERY
    schema = _Schema.from_rows(schema_rows or [])
    wanted_types = schema.expand({str(_iri(t).value) for t in target_types or ()})
    concepts = schema.expand(set(CONCEPT_CLASSES))
    relevant = wanted_types | concepts | schema.expand(set(LOCAL_CLASSES))
    forward: list[str] | None = None
    if max_degree and not targets and not wanted_types & concepts:
        # Concepts are neither crossed nor wanted: the properties whose range is a concept
        # (concerns issue, cites norm, sent by mandate...) lead nowhere, so are not read forwards.
        # On a letter they are most of its facts.
        forward = [p for p in rels if not (schema.ranges.get(p) and schema.ranges[p] <= concepts)]

    types: dict[str, set[str]] = {source: source_types}
    dist: dict[str, int] = {source: 0}
    adjacency: dict[str, list[tuple[str, _Hop]]] = {}  # node -> [(neighbour, hop into neighbour)]

    def is_target(node: str) -> bool:
        return node != source and (node in targets or bool(types.get(node, set()) & wanted_types))

    frontier = [source]
    depth = 0
    explored = 0
    hubs: list[str] = []
    while frontier and depth < max_hops:
        if time.monotonic() > deadline:
            complete = False
            break
        if max_degree and depth > 0:
            # Vocabulary concepts are not crossed; the other nodes that could be hubs have their
            # degree probed. Either kind ends paths but is not expanded.
            shared = [n for n in frontier if types.get(n, set()) & concepts]
            if shared:
                hubs += shared
                frontier = [n for n in frontier if not types.get(n, set()) & concepts]
            probe = [n for n in frontier if not types.get(n, set()) & LOCAL_CLASSES]
            big: set[str] = set()
            for start in range(0, len(probe), PROBE_BATCH):
                rows = yield _degree_query(probe[start : start + PROBE_BATCH], rels, max_degree + 1)
                if rows is None:
                    break
                big |= {str(r["n"].value) for r in rows if int(r["k"].value) > max_degree}
            else:
                rows = []
            if rows is None:
                complete = False
                break
            if big:
                hubs += sorted(big)
                frontier = [n for n in frontier if n not in big]
                if not frontier:
                    break
        if len(frontier) > max_frontier:
            frontier, complete = frontier[:max_frontier], False
        last = depth == max_hops - 1
        rows = yield _neighbours_query(
            frontier, rels, (targets, wanted_types) if last else None, forward=forward, types=relevant
        )
        if rows is None:
            complete = False
            break
        explored += len(frontier)
        for expanded in frontier:
            adjacency.setdefault(expanded, [])
        nxt: list[str] = []
        stated: dict[tuple[str, str, str, str], bool] = {}  # edge -> stated by a letter (not only inferred)
        for row in rows:
            n, m = str(row["n"].value), str(row["m"].value)
            prop, d = str(row["p"].value), str(row["dir"].value)
            found = row.get("t")
            types.setdefault(m, set()).update([str(found.value)] if found is not None else [])
            if m == n:
                continue
            key = (n, m, prop, d)
            by_letter = not str(row["g"].value).endswith(INFERRED_SUFFIX)
            stated[key] = stated.get(key, False) or by_letter
        for (n, m, prop, d), by_letter in stated.items():
            if not by_letter and not include_inferred:
                continue
            adjacency[n].append((m, _Hop(n, prop, "forward" if d == "f" else "backward", not by_letter)))
            if m not in dist:
                dist[m] = depth + 1
                nxt.append(m)
        depth += 1
        frontier = sorted(n for n in nxt if not is_target(n))

    # Enumerate paths over what was explored: shortest only follows edges that go one layer out.
    found_paths: list[list[tuple[str, _Hop | None]]] = []
    capped = False

    def walk(path: list[tuple[str, _Hop | None]], on_path: set[str]) -> None:
        nonlocal capped
        node = path[-1][0]
        for m, hop in adjacency.get(node, ()):
            if capped:
                return
            if m in on_path or len(path) > max_hops:
                continue
            if mode == "shortest" and dist.get(m) != len(path):
                continue
            step = [*path, (m, hop)]
            if is_target(m):
                found_paths.append(step)
                if len(found_paths) >= MAX_PATHS:
                    capped = True
                    return
            elif len(step) <= max_hops:
                walk(step, on_path | {m})

    walk([(source, None)], {source})
    if capped:
        complete = False
    found_paths.sort(key=lambda p: (len(p), [(n, h.prop if h else "") for n, h in p]))
    page = found_paths[offset : offset + limit]
    if not page:
        return PathResult([], complete, explored, len(found_paths), hubs)

    # Labels and types of the page's nodes, then the evidence of its edges: one query each.
    page_nodes = sorted({n for p in page for n, _ in p})
    labels: dict[str, tuple[int, str]] = {}
    node_types: dict[str, set[str]] = {}
    rows = yield _labels_query(page_nodes)
    for row in rows or []:
        n = str(row["n"].value)
        if row.get("t") is not None:
            node_types.setdefault(n, set()).add(str(row["t"].value))
        elif row.get("label") is not None:
            rank = int(row["rank"].value)
            text = str(row["label"].value)
            if n not in labels or (rank, text) < labels[n]:
                labels[n] = (rank, text)

    edge_keys: list[tuple[str, str, str]] = []  # (subject, property, object) as stored
    index: dict[tuple[str, str, str], int] = {}
    for p in page:
        for n, hop in p[1:]:
            assert hop is not None
            triple = (hop.prev, hop.prop, n) if hop.direction == "forward" else (n, hop.prop, hop.prev)
            if triple not in index:
                index[triple] = len(edge_keys)
                edge_keys.append(triple)
    direct: list[tuple[int, str, str, str]] = []
    qualified: list[tuple[int, str, str, str, str, str]] = []
    for i, (s, prop, o) in enumerate(edge_keys):
        for fld in EVIDENCE_FIELDS.get(prop, ()):
            direct += [(i, s, o, fld), (i, o, s, fld)]
        if prop in QUALIFIED_EVIDENCE:
            q, qp, fld = QUALIFIED_EVIDENCE[prop]
            qualified.append((i, s, q, qp, o, fld))
    evidence: dict[int, list[Evidence]] = {}
    if direct or qualified:
        rows = []
        for sparql in _evidence_queries(direct, qualified):
            answer = yield sparql
            if answer is None:
                complete = False
            rows += answer or []
        spans: set[tuple[int, str, str]] = set()
        for row in sorted(rows or [], key=lambda r: (str(r["g"].value), _int(r.get("start")) or 0)):
            e = int(row["e"].value)
            span_key = (e, str(row["span"].value), str(row["g"].value))
            if span_key in spans:
                continue
            spans.add(span_key)
            quote = row.get("quote")
            evidence.setdefault(e, []).append(
                Evidence(
                    document=str(row["g"].value),
                    quote=str(quote.value) if quote is not None else None,
                    start=_int(row.get("start")),
                    end=_int(row.get("end")),
                )
            )

    listings = [(i, o) for i, (_, prop, o) in enumerate(edge_keys) if prop == KG + "listedOn"]
    if listings:
        rows = yield _listing_query(listings)
        if rows is None:
            complete = False
        for row in sorted(rows or [], key=lambda r: (str(r["g"].value), str(r["name"].value))):
            date, entity = row.get("date"), row.get("id")
            quote = f"listed on the {row['name'].value}"
            quote += f" since {date.value}" if date is not None else ""
            quote += f" (entry {entity.value})" if entity is not None else ""
            evidence.setdefault(int(row["e"].value), []).append(
                Evidence(document=str(row["g"].value), quote=quote, start=None, end=None)
            )

    def node(n: str) -> Node:
        return Node(n, labels[n][1] if n in labels else _local_name(n), sorted(node_types.get(n, set())))

    paths = []
    for p in page:
        nodes = [node(n) for n, _ in p]
        edges = []
        for n, hop in p[1:]:
            assert hop is not None
            triple = (hop.prev, hop.prop, n) if hop.direction == "forward" else (n, hop.prop, hop.prev)
            edges.append(
                Edge(
                    source=hop.prev,
                    target=n,
                    property=hop.prop,
                    property_label=schema.label(hop.prop),
                    direction=hop.direction,
                    evidence=evidence.get(index[triple], []),
                    inferred=hop.inferred,
                )
            )
        paths.append(Path(nodes, edges, _sentence(nodes, edges, schema)))
    return PathResult(paths, complete, explored, len(found_paths), hubs)


def _int(term: Term | None) -> int | None:
    if term is None:
        return None
    try:
        return int(term.value)
    except ValueError:
        return None


def _sentence(nodes: list[Node], edges: list[Edge], schema: _Schema) -> str:
    """'A received communication B, which raises allegation C, which concerns issue D.'"""
    parts = [nodes[0].label]
    for i, (edge, node) in enumerate(zip(edges, nodes[1:], strict=True)):
        lead = " " if i == 0 else ", which "
        parts.append(f"{lead}{schema.phrase(edge.property, edge.direction)} {node.label}")
    return "".join(parts) + "."


# -- drivers -----------------------------------------------------------------------------------

T = TypeVar("T")


def _drive(steps: Generator[str, list[Row] | None, T], run: Runner) -> T:
    try:
        query = next(steps)
        while True:
            query = steps.send(run(query))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def _drive_async(steps: Generator[str, list[Row] | None, T], run: AsyncRunner) -> T:
    try:
        query = next(steps)
        while True:
            query = steps.send(await run(query))
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def find_paths(
    run: Runner,
    source: str,
    *,
    targets: set[str] | None = None,
    target_types: set[str] | None = None,
    max_hops: int = 4,
    relations: Sequence[str] | None = None,
    mode: Mode = "shortest",
    limit: int = 50,
    offset: int = 0,
    time_budget_s: float = 5.0,
    max_frontier: int = 5000,
    include_inferred: bool = True,
    max_degree: int = DEFAULT_MAX_DEGREE,
) -> PathResult:
    """Paths from ``source`` to the targets (IRIs) or to any node of the target types (class IRIs).

    ``mode='shortest'``: only paths of minimal length to each target; ``'all'``: every simple path
    (no repeated node) up to ``max_hops``. Targets end a path: the walk does not go through them.
    ``include_inferred=False`` follows only facts a letter states, not those kg.inference derived.
    Nodes with more than ``max_degree`` neighbour facts (0: no limit) are hubs: reached, listed
    in ``PathResult.hubs``, never crossed.
    Raises NotFound for a source no triple names, PathError for bad arguments.
    """
    return _drive(
        _search_steps(
            source,
            targets=targets,
            target_types=target_types,
            max_hops=max_hops,
            relations=relations,
            mode=mode,
            limit=limit,
            offset=offset,
            time_budget_s=time_budget_s,
            max_frontier=max_frontier,
            include_inferred=include_inferred,
            max_degree=max_degree,
        ),
        run,
    )


async def find_paths_async(run: AsyncRunner, source: str, **options: Any) -> PathResult:
    """``find_paths`` for a runner that awaits (the server's query pool); it may return None
    for a query stopped by the time limit, which ends the search as incomplete."""
    return await _drive_async(_search_steps(source, **_defaults(options)), run)


def _defaults(options: dict[str, Any]) -> dict[str, Any]:
    base: dict[str, Any] = {
        "targets": None,
        "target_types": None,
        "max_hops": 4,
        "relations": None,
        "mode": "shortest",
        "limit": 50,
        "offset": 0,
        "time_budget_s": 5.0,
        "max_frontier": 5000,
        "include_inferred": True,
        "max_degree": DEFAULT_MAX_DEGREE,
    }
    unknown = set(options) - set(base)
    if unknown:
        raise TypeError(f"unknown options: {', '.join(sorted(unknown))}")
    return {**base, **options}


def resolve(run: Runner, text: str) -> list[tuple[str, str]]:
    """(iri, label) of the entities whose label contains ``text``; exact matches only when any."""
    return _drive(_resolve_steps(text), run)


async def resolve_async(run: AsyncRunner, text: str) -> list[tuple[str, str]]:
    return await _drive_async(_resolve_steps(text), run)


def is_iri(text: str) -> bool:
    """Whether a SOURCE/--to argument is an IRI (else it is a name to resolve)."""
    return bool(_IRI.match(text)) and "://" in text


def expand_type(text: str) -> str:
    """'Allegation', 'kg:Allegation' or a full IRI -> the class IRI."""
    if is_iri(text):
        return text
    return KG + text.removeprefix("kg:")


# -- runners -------------------------------------------------------------------------------------


def rows_of(solutions: ox.QuerySolutions) -> list[Row]:
    names = [v.value for v in solutions.variables]
    out = []
    for solution in solutions:
        row = {}
        for name in names:
            term = solution[name]
            if term is not None:
                row[name] = term
        out.append(row)
    return out


def rows_from_json(data: bytes) -> list[Row]:
    """Rows of a SPARQL JSON answer (what the server's query pool returns)."""
    parsed = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
    return rows_of(parsed) if isinstance(parsed, ox.QuerySolutions) else []


def store_runner(store: Any) -> Runner:
    """A runner over kg.store.EmbeddedStore (the default graph is the union of all graphs)."""

    def run(sparql: str) -> list[Row]:
        result = store.query(sparql)
        if not isinstance(result, ox.QuerySolutions):
            raise KgError("a path query did not return solutions")
        return rows_of(result)

    return run
