"""kg over an external SPARQL 1.1 store (Oxigraph server, Fuseki, Virtuoso, GraphDB), not the embedded one.

``RemoteStore`` has the methods kg's writers and readers call on ``EmbeddedStore`` and returns
the same pyoxigraph objects, so ingest, query, paths, link, import, reason, stats, export and
dump run unchanged. Everything goes over the SPARQL 1.1 Protocol; SPARQL text is built from
pyoxigraph terms, whose ``str()`` is their N-Triples form, which is also valid SPARQL (quotes,
newlines, backslashes and control characters escaped; tested with awkward literals).

What differs from the embedded store, and why:

* A document is still replaced by ONE update request (drop its graphs, insert the new
  triples): atomic on stores that run a request as one transaction (Oxigraph server, Fuseki
  TDB2, Virtuoso, GraphDB all do). Big loads (``extend``, ``load_quads``, restore) go in
  chunks of whole blank-node groups and are NOT atomic: a failure part-way leaves the chunks
  already sent.
* Blank nodes: each request gets fresh blank nodes for the labels it names, so quads that
  share a blank node always travel in the same request; labels read back differ from the ones
  written (a dump of the store is the same graph up to blank-node renaming).
* The default graph must be the union of the named graphs (``kg connect`` checks it), as it
  is in the embedded store. ``query(union=False)`` cannot ask for "only the real default
  graph" portably; kg's callers that pass it use GRAPH patterns, which mean the same either way.
* No snapshots, and no embargoes: the store's own endpoint would show an embargoed letter to
  anyone, so ``replace_graphs`` refuses a letter under embargo and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import pyoxigraph as ox

from kg.config import GRAPH_NS, ONTOLOGY_NS, RemoteConfig, Settings, write_store_config
from kg.dump import closing_count
from kg.errors import InputError, QueryError, StoreError
from kg.sparql_guard import query_form
from kg.store import GraphWrite

if TYPE_CHECKING:
    import httpx

    from kg.store import EmbeddedStore

_EMBARGOED_UNTIL = ONTOLOGY_NS + "embargoedUntil"
_PUBLICATION_DATE = ONTOLOGY_NS + "publicationDate"
_REFERENCE = ONTOLOGY_NS + "reference"
_EMPTY_DATASET = "urn:kg:empty-dataset"  # names no graph: a query over ``graphs=[]`` sees nothing
_CHUNK_QUADS = 20_000  # quads per update request in bulk loads (a few MB of text)
_CHUNK_CHARS = 8_000_000  # and at most this much SPARQL text in a batch of replacements
_MESSAGE_LINES = 4

_RESULTS_ACCEPT = "application/sparql-results+json, application/n-triples;q=0.9, text/turtle;q=0.5"
_GRAPH_ACCEPT = "application/n-triples, text/turtle;q=0.5"
_ENGINE_ADVICE = {
    "oxigraph": "restart the Oxigraph server with the flag: oxigraph serve ... --union-default-graph",
    "fuseki": "set tdb2:unionDefaultGraph true on the dataset in Fuseki's configuration and restart it",
    "jena": "set tdb2:unionDefaultGraph true on the dataset in Fuseki's configuration and restart it",
    "virtuoso": "Virtuoso's default graph is the union of all graphs unless a default graph is set for "
    "the endpoint: remove it (the endpoint's default-graph-uri)",
    "graphdb": "GraphDB's default graph includes the named graphs by default: check the repository's "
    "settings",
}
_GENERIC_ADVICE = (
    "configure the store so that its default graph is the union of all named graphs (Oxigraph server: "
    "--union-default-graph; Fuseki: tdb2:unionDefaultGraph true; Virtuoso and GraphDB do it by default)"
)


class StoreAnswerError(StoreError):
    """The store answered with an HTTP error status (kept, so a query's 400 can become a QueryError)."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def _first_lines(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    shown = " / ".join(lines[:_MESSAGE_LINES])
    return shown[:600] + ("..." if len(shown) > 600 else "")


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> str:
    return str(term)


def _triple_text(quad: ox.Quad) -> str:
    return f"{_term(quad.subject)} {_term(quad.predicate)} {_term(quad.object)} ."


_GRAPH_BLOCK = 2_000  # triples per GRAPH { } block: Virtuoso's parser gives up near 5,000 in one block


def insert_data(quads: Iterable[ox.Quad]) -> str:
    """An update inserting ``quads``: INSERT DATA, and INSERT ... WHERE {} for triples with blank nodes.

    Virtuoso refuses blank nodes in INSERT DATA (SP031) and cannot parse much more than 4,990
    triples in one GRAPH block (SP030: memory exhausted), so blank-node triples go in one
    template (a label names one node throughout it) and blocks are cut at _GRAPH_BLOCK
    triples. Both are plain SPARQL 1.1 and mean the same on every store.
    """
    plain: list[ox.Quad] = []
    tied: list[ox.Quad] = []
    for quad in quads:
        blank = isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)
        (tied if blank else plain).append(quad)
    parts = []
    if plain:
        parts.append("INSERT DATA {\n" + _graph_blocks(plain) + "\n}")
    if tied:
        parts.append("INSERT {\n" + _graph_blocks(tied) + "\n} WHERE {}")
    return " ;\n".join(parts)


def _graph_blocks(quads: Iterable[ox.Quad]) -> str:
    """Named graphs as GRAPH blocks of at most _GRAPH_BLOCK triples, the default graph outside them."""
    by_graph: dict[str, list[str]] = {}
    default: list[str] = []
    for quad in quads:
        graph = quad.graph_name
        if isinstance(graph, ox.DefaultGraph):
            default.append(_triple_text(quad))
        elif isinstance(graph, ox.NamedNode):
            by_graph.setdefault(str(graph), []).append(_triple_text(quad))
        else:
            raise StoreError(
                f"a quad names a blank node as its graph ({graph}); SPARQL updates cannot write such a "
                "graph to an external store"
            )
    blocks = [*default] + [
        f"GRAPH {name} {{\n" + "\n".join(lines[i : i + _GRAPH_BLOCK]) + "\n}"
        for name, lines in by_graph.items()
        for i in range(0, len(lines), _GRAPH_BLOCK)
    ]
    return "\n".join(blocks)


def blank_node_groups(quads: Iterable[ox.Quad]) -> list[list[ox.Quad]]:
    """The quads split so that quads sharing a blank node are in one group; the others alone.

    Each update request makes new blank nodes of the labels it names, so two quads that
    share ``_:b`` must be sent together or they would name two different nodes.
    """
    parent: dict[str, str] = {}

    def find(label: str) -> str:
        while parent.setdefault(label, label) != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    loose: list[list[ox.Quad]] = []
    tied: list[tuple[str, ox.Quad]] = []
    for quad in quads:
        labels = [
            t.value for t in (quad.subject, quad.object, quad.graph_name) if isinstance(t, ox.BlankNode)
        ]
        if not labels:
            loose.append([quad])
            continue
        root = find(labels[0])
        for label in labels[1:]:
            other = find(label)
            if other != root:
                parent[other] = root
        tied.append((labels[0], quad))
    groups: dict[str, list[ox.Quad]] = {}
    for label, quad in tied:
        groups.setdefault(find(label), []).append(quad)
    return loose + list(groups.values())


def _mentions_blank_node(quad: ox.Quad) -> bool:
    return any(isinstance(t, ox.BlankNode) for t in (quad.subject, quad.object, quad.graph_name))


def _chunks(quads: Iterable[ox.Quad]) -> Iterator[list[ox.Quad]]:
    """Lists of about _CHUNK_QUADS quads, never splitting a blank-node group.

    Quads without blank nodes stream through; those with one are kept until the end, when
    their groups are known (in kg's data: the ontology's lists and restrictions, a few hundred).
    """
    size = _CHUNK_QUADS
    chunk: list[ox.Quad] = []
    tied: list[ox.Quad] = []
    for quad in quads:
        if _mentions_blank_node(quad):
            tied.append(quad)
            continue
        chunk.append(quad)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    for group in blank_node_groups(tied):
        if chunk and len(chunk) + len(group) > size:
            yield chunk
            chunk = []
        chunk.extend(group)
    if chunk:
        yield chunk


def _embargo_day(literal: ox.Literal) -> dt.datetime | None:
    try:
        day = dt.date.fromisoformat(str(literal.value)[:10])
    except ValueError:
        return None
    return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def relabel_blank_nodes(body: bytes) -> bytes:
    """A SPARQL JSON answer whose blank nodes get labels pyoxigraph accepts (Virtuoso sends ``nodeID://b1``).

    Labels stay consistent within the answer, which is all a blank node's label means.
    """
    document = json.loads(body)
    labels: dict[str, str] = {}
    for row in document.get("results", {}).get("bindings", []):
        for term in row.values():
            if term.get("type") == "bnode":
                term["value"] = labels.setdefault(term["value"], f"r{len(labels)}")
    return json.dumps(document).encode()


class RemoteStore:
    """An external SPARQL 1.1 store behind EmbeddedStore's interface (see the module's notes)."""

    remote = True

    def __init__(self, config: RemoteConfig, *, client: httpx.Client | None = None) -> None:
        try:
            import httpx
        except ImportError as exc:  # pragma: no cover - httpx comes with kg's dependencies
            raise StoreError("an external store needs the httpx package: pip install httpx") from exc
        self.config = config
        self.path: Path | None = None
        self._client = client or httpx.Client(
            auth=config.auth(),
            timeout=httpx.Timeout(config.timeout_s, connect=min(10.0, config.timeout_s)),
            headers={"User-Agent": "kg (external store)"},
        )

    def __enter__(self) -> RemoteStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def __del__(self) -> None:
        """Commands that read drop the store without closing it, as they do the embedded one."""
        client = self.__dict__.get("_client")
        if client is not None:
            client.close()

    def __repr__(self) -> str:
        return f"RemoteStore({self.config.query_url!r})"

    # -- HTTP ------------------------------------------------------------------------------

    def _send(
        self, method: str, url: str, *, what: str, stream: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One request; every failure becomes a StoreError saying what failed and what to do."""
        import httpx

        try:
            request = self._client.build_request(method, url, **kwargs)
            response = self._client.send(request, stream=stream)
        except httpx.TimeoutException as exc:
            raise StoreError(
                f"{what}: the store at {url} did not answer within {self.config.timeout_s:g} s "
                f"({type(exc).__name__}); is it overloaded? Raise the limit with KG_STORE_TIMEOUT or "
                "kg connect --timeout"
            ) from exc
        except httpx.HTTPError as exc:
            raise StoreError(
                f"{what}: cannot reach the store at {url} ({exc or type(exc).__name__}). Is the SPARQL "
                "server running and the URL right? (kg connect --query-url ... sets it; kg connect "
                "--embedded goes back to the embedded store)"
            ) from exc
        if response.status_code < 400:
            return response
        if stream:
            response.read()
        message = _first_lines(response.text)
        if response.status_code in (401, 403):
            raise StoreError(
                f"{what}: the store at {url} refused kg's credentials (HTTP {response.status_code}"
                f"{': ' + message if message else ''}). Set the user with kg connect --user (or "
                "KG_STORE_USER) and the password in KG_STORE_PASSWORD; Virtuoso's /sparql-auth needs "
                "--auth digest"
            )
        raise StoreAnswerError(
            f"{what}: the store at {url} answered HTTP {response.status_code}"
            f"{': ' + message if message else ''}"
            + (
                ". It may not accept SPARQL updates there: check --update-url"
                if response.status_code in (404, 405) and url == self.config.update_url
                else ""
            ),
            response.status_code,
        )

    def update(self, sparql: str, *, what: str = "updating the store") -> None:
        """Send one SPARQL update request (run by the store as one transaction)."""
        self._send(
            "POST",
            self.config.update_url,
            what=what,
            content=sparql.encode("utf-8"),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
        )

    def _query_response(
        self, sparql: str, *, graphs: list[str] | None, accept: str, stream: bool = False
    ) -> httpx.Response:
        form: dict[str, Any] = {"query": sparql}
        if graphs is not None:
            names = graphs or [_EMPTY_DATASET]
            form["default-graph-uri"] = names
            form["named-graph-uri"] = names
        try:
            return self._send(
                "POST",
                self.config.query_url,
                what="querying",
                stream=stream,
                data=form,
                headers={"Accept": accept},
            )
        except StoreAnswerError as exc:
            if exc.status == 400:  # the store could not parse or run the query: the query's fault
                raise QueryError(str(exc).replace("querying: ", "the SPARQL query was refused: ", 1)) from exc
            raise

    # -- reading ---------------------------------------------------------------------------

    def query(
        self,
        sparql: str,
        *,
        union: bool = True,
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        graphs: list[str] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | list[ox.Triple]:
        """Run a query; the answer is what EmbeddedStore.query gives (for CONSTRUCT, a list of triples).

        ``union`` is accepted for the interface's sake: the store's default graph is the union
        (kg connect checks), and queries kg runs with ``union=False`` use GRAPH patterns only.
        ``substitutions`` become a VALUES clause after the query (so the query must not end
        with one of its own).
        """
        del union
        if substitutions:
            names = list(substitutions)
            row = " ".join(_term(substitutions[n]) for n in names)
            sparql = f"{sparql}\nVALUES ({' '.join('?' + n for n in names)}) {{ ({row}) }}"
        # Ask for the form the query answers: Virtuoso sends a CONSTRUCT as SPARQL JSON rows when
        # JSON is acceptable at all.
        accept = _GRAPH_ACCEPT if query_form(sparql) == "graph" else _RESULTS_ACCEPT
        response = self._query_response(sparql, graphs=graphs, accept=accept)
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        results_format = ox.QueryResultsFormat.from_media_type(media) if media else None
        try:
            if results_format is not None:
                try:
                    return ox.parse_query_results(response.content, format=results_format)
                except SyntaxError as exc:
                    if results_format != ox.QueryResultsFormat.JSON or "bnode" not in str(exc):
                        raise
                    # Virtuoso names blank nodes "nodeID://b10005", which is no blank node label.
                    relabelled = relabel_blank_nodes(response.content)
                    return ox.parse_query_results(relabelled, format=results_format)
            rdf_format = ox.RdfFormat.from_media_type(media) if media else None
            if rdf_format is None:
                raise StoreError(
                    f"the store at {self.config.query_url} answered a query with {media or 'no media type'}, "
                    "which kg does not read (it asks for SPARQL JSON results or N-Triples)"
                )
            return [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in ox.parse(response.content, format=rdf_format)
            ]
        except SyntaxError as exc:
            raise StoreError(
                f"the store at {self.config.query_url} sent an answer kg cannot parse: {exc}"
            ) from exc

    def _select(self, sparql: str) -> ox.QuerySolutions:
        answer = self.query(sparql)
        if not isinstance(answer, ox.QuerySolutions):
            raise StoreError(f"the store at {self.config.query_url} did not answer a SELECT with solutions")
        return answer

    def has_graph(self, graph_iri: str) -> bool:
        return bool(self.query(f"ASK {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}"))

    def graph_value(self, graph_iri: str, predicate: str) -> str | None:
        """One literal the graph states about itself (its digest, its ingest time)."""
        sparql = f"SELECT ?o WHERE {{ GRAPH <{graph_iri}> {{ <{graph_iri}> <{predicate}> ?o }} }} LIMIT 1"
        for row in self._select(sparql):
            return str(row["o"].value)  # type: ignore[union-attr]
        return None

    def graph_names(self) -> list[str]:
        # GRAPH ?g {} lists the graphs without reading their triples: 0.7 s against 3.9 s with
        # ?s ?p ?o for 20,000 graphs on the Oxigraph server.
        try:
            rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { } }")
        except QueryError:  # a store that refuses the empty pattern: the slower form every store takes
            rows = self._select("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        return sorted(str(row["g"].value) for row in rows if isinstance(row["g"], ox.NamedNode))

    def graph_triples(self, graph_iri: str) -> Iterator[ox.Quad]:
        """The graph's quads; blank nodes keep one label each within this answer."""
        node = ox.NamedNode(graph_iri)
        answer = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri}> {{ ?s ?p ?o }} }}")
        if not isinstance(answer, list):
            raise StoreError(f"the store at {self.config.query_url} did not answer a CONSTRUCT with triples")
        return iter([ox.Quad(t.subject, t.predicate, t.object, node) for t in answer])

    def __len__(self) -> int:
        rows = list(self._select("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"))
        return int(rows[0]["n"].value) if rows and rows[0]["n"] is not None else 0  # type: ignore[union-attr]

    def _dataset_quads(self) -> Iterator[ox.Quad]:
        """Every quad: the Graph Store endpoint's dataset download when it has one, else one SELECT.

        Both are streamed through a temporary file, so a large store is not held in memory.
        """
        if self.config.gsp_url:
            spool = self._download(
                self.config.gsp_url,
                accept="application/n-quads",
                what="downloading the dataset",
                allow_fail=True,
            )
            if spool is not None:
                with spool:
                    yield from ox.parse(spool, format=ox.RdfFormat.N_QUADS)
                return
        sparql = "SELECT ?g ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } }"
        response = self._query_response(
            sparql, graphs=None, accept="application/sparql-results+json", stream=True
        )
        with self._spool(response, what="reading every quad") as spool:
            for row in ox.parse_query_results(spool, format=ox.QueryResultsFormat.JSON):  # type: ignore[union-attr]
                yield ox.Quad(row["s"], row["p"], row["o"], row["g"])  # type: ignore[arg-type]

    def _download(
        self, url: str, *, accept: str, what: str, allow_fail: bool, params: dict[str, str] | None = None
    ) -> IO[bytes] | None:
        try:
            response = self._send(
                "GET", url, what=what, stream=True, headers={"Accept": accept}, params=params
            )
        except StoreError:
            if allow_fail:
                return None
            raise
        media = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != accept:
            response.close()
            return None
        return self._spool(response, what=what)

    def _spool(self, response: httpx.Response, *, what: str) -> IO[bytes]:
        import httpx

        spool = tempfile.SpooledTemporaryFile(max_size=64 * 1024 * 1024)  # noqa: SIM115 - returned open
        try:
            for block in response.iter_bytes():
                spool.write(block)
        except httpx.HTTPError as exc:
            raise StoreError(f"{what}: the answer from {response.url} was cut off ({exc})") from exc
        finally:
            response.close()
        spool.seek(0)
        return spool

    def dump(self, output: Any, rdf_format: ox.RdfFormat) -> None:
        """Every quad of the store in ``rdf_format`` (blank-node labels are the store's, not the writer's)."""
        try:
            ox.serialize(self._dataset_quads(), output, format=rdf_format)
        except SyntaxError as exc:
            raise StoreError(
                f"the store at {self.config.query_url} sent quads kg cannot parse: {exc}"
            ) from exc

    # -- writing ---------------------------------------------------------------------------

    def _reference(self, graph_iri: str, quads: Sequence[ox.Quad]) -> str:
        """The letter's reference for messages: from the quads at hand, the stored graph, or its IRI."""
        for quad in quads:
            if quad.predicate.value == _REFERENCE:
                return str(quad.object.value)
        try:
            for row in self._select(
                f"SELECT ?r WHERE {{ GRAPH <{graph_iri}> {{ ?c <{_REFERENCE}> ?r }} }} LIMIT 1"
            ):
                return str(row["r"].value)  # type: ignore[union-attr]
        except StoreError:
            pass
        return graph_iri

    def refuse_embargoed(
        self, graphs: dict[str, list[ox.Quad]], extra: Sequence[ox.Quad], *, now: dt.datetime | None = None
    ) -> None:
        """Raise (nothing written) if this write would put a letter under embargo into the store.

        The store's own endpoint answers anyone who can reach it, and kg cannot make it hide a
        graph, so an embargoed letter must never get there.
        """
        moment = now or dt.datetime.now(dt.UTC)
        for quad in extra:
            if quad.predicate.value == _EMBARGOED_UNTIL:
                graph = str(quad.subject.value)
                name = self._reference(graph, graphs.get(graph, []))
                raise StoreError(
                    f"{name}: under embargo until {quad.object.value}; refused, nothing was written\n"
                    f"{name}: kg never writes a letter under embargo to an external store, whose own "
                    f"endpoint ({self.config.query_url}) would show it to anyone; nothing was written. "
                    "Ingest it without --embargo-until once it may be public, or use an embedded data folder "
                    "(kg connect --embedded)"
                )
        for graph, quads in graphs.items():
            for quad in quads:
                if quad.predicate.value != _PUBLICATION_DATE or not isinstance(quad.object, ox.Literal):
                    continue
                ends = _embargo_day(quad.object)
                if ends is not None and ends > moment:
                    name = self._reference(graph, quads)
                    day = ends.date().isoformat()
                    raise StoreError(
                        f"{name}: under embargo until {day}; refused, nothing was written\n"
                        f"{name} is under embargo until its publication date, {day}: kg never writes a "
                        "letter under embargo to an external store, whose own endpoint "
                        f"({self.config.query_url}) would show it to anyone; nothing was written. Ingest "
                        "it after that date, or use an embedded data folder (kg connect --embedded)"
                    )

    @staticmethod
    def _replacement(
        graphs: dict[str, list[ox.Quad]], extra: Sequence[ox.Quad], before: Sequence[str]
    ) -> list[str]:
        quads = [q for group in graphs.values() for q in group] + list(extra)
        parts = [*before, *(f"DROP SILENT GRAPH <{iri}>" for iri in graphs)]
        if quads:
            parts.append(insert_data(quads))
        return parts

    def replace_graphs(
        self, graphs: dict[str, list[ox.Quad]], *, extra: Sequence[ox.Quad] = (), before: Sequence[str] = ()
    ) -> int:
        """Swap several named graphs and add ``extra`` quads in ONE update request (one transaction).

        An empty list drops that graph; ``before`` are update operations run first in the same
        request. Refuses letters under embargo (see ``refuse_embargoed``). Returns quads written.
        """
        self.refuse_embargoed(graphs, extra)
        parts = self._replacement(graphs, extra, before)
        if parts:
            names = ", ".join(f"<{g}>" for g in graphs) or "the store"
            self.update(" ;\n".join(parts), what=f"writing graphs {names}")
        return sum(len(group) for group in graphs.values()) + len(extra)

    def replace_graphs_many(self, items: Sequence[GraphWrite]) -> int:
        """Several replacements, packed into as few update requests as fit a size budget.

        Every item is checked for embargoes before anything is sent. Each request is one
        transaction holding whole items, so each item lands whole or not at all; a failure
        leaves the requests already sent (a prefix of the items).
        """
        for graphs, extra, _ in items:
            self.refuse_embargoed(graphs, extra)
        written = 0
        batch: list[str] = []
        size = 0
        for graphs, extra, before in items:
            parts = self._replacement(graphs, extra, before)
            written += sum(len(group) for group in graphs.values()) + len(extra)
            text = " ;\n".join(parts)
            if batch and size + len(text) > _CHUNK_CHARS:
                self.update(" ;\n".join(batch), what=f"writing a batch of {len(batch)} operations")
                batch, size = [], 0
            if text:
                batch.append(text)
                size += len(text)
        if batch:
            self.update(" ;\n".join(batch), what=f"writing a batch of {len(batch)} operations")
        return written

    def replace_graph(self, graph_iri: str, triples: Any, *, ingested_at: dt.datetime | None = None) -> int:
        """Swap the whole content of one named graph (an rdflib Graph) in one request."""
        from kg.store import document_quads

        return self.replace_graphs({graph_iri: document_quads(triples, graph_iri, ingested_at=ingested_at)})

    def remove_graph(self, graph_iri: str) -> bool:
        if not self.has_graph(graph_iri):
            return False
        self.update(f"DROP SILENT GRAPH <{graph_iri}>", what=f"removing graph <{graph_iri}>")
        return True

    def extend(self, quads: Iterable[ox.Quad]) -> int:
        """Add quads in chunks of whole blank-node groups; NOT atomic as a whole (each chunk is)."""
        written = 0
        for chunk in _chunks(quads):
            self.update(insert_data(chunk), what=f"loading quads {written + 1}-{written + len(chunk)}")
            written += len(chunk)
        return written

    def load_quads(self, data: bytes, rdf_format: ox.RdfFormat) -> None:
        """Parse everything first (a bad file sends nothing), then load in chunks (not atomic)."""
        try:
            quads = list(ox.parse(data, format=rdf_format))
        except SyntaxError as exc:
            raise StoreError(f"the file does not parse as {rdf_format}: {exc}") from exc
        self.extend(quads)

    def clear(self) -> None:
        """Drop every graph, the default one included (restore --replace-all)."""
        self.update("DROP SILENT ALL", what="emptying the store")

    def flush(self) -> None:
        """Nothing to do: the store made each request durable before answering it."""

    def backup(self, target: Path) -> None:
        raise StoreError(
            f"copying the store into {target} is not available with an external store "
            f"({self.config.query_url}): use kg dump, or the store's own backup"
        )

    @property
    def raw(self) -> ox.Store:
        raise StoreError(
            "direct access to the store's files is not available with an external store "
            f"({self.config.query_url})"
        )


def open_store(settings: Settings) -> EmbeddedStore | RemoteStore:
    """The store a kg command works on: the external one when configured, else the data folder's own."""
    if settings.remote is not None:
        return RemoteStore(settings.remote)
    from kg.store import open_working_store

    return open_working_store(settings)


# -- kg connect ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Connection:
    """What kg connect found: the store's software (from its Server header) and how much it holds."""

    engine: str
    quads: int
    graphs: int
    config_file: Path


def _engine_advice(engine: str) -> str:
    lowered = engine.lower()
    for key, advice in _ENGINE_ADVICE.items():
        if key in lowered:
            return advice
    return _GENERIC_ADVICE


def check_store(store: RemoteStore) -> str:
    """Check reading, writing and that the default graph is the union of the named graphs; returns the engine.

    A triple is written into a scratch graph, looked for without GRAPH (so through the default
    graph), and the scratch graph dropped again whatever happened.
    """
    config = store.config
    response = store._query_response("ASK { }", graphs=None, accept="application/sparql-results+json")
    engine = response.headers.get("server", "") or "unknown SPARQL server"
    token = uuid.uuid4().hex
    scratch = f"{GRAPH_NS}kg-connect-check/{token}"
    triple = f"<{scratch}> <{ONTOLOGY_NS}connectCheck> {_term(ox.Literal(token))}"
    store.update(f"INSERT DATA {{ GRAPH <{scratch}> {{ {triple} }} }}", what="writing a test triple")
    try:
        union = bool(store.query(f"ASK {{ {triple} }}"))
        if config.gsp_url:
            spool = store._download(
                config.gsp_url,
                params={"graph": scratch},
                accept="application/n-triples",
                what="reading through the Graph Store endpoint",
                allow_fail=False,
            )
            if spool is not None:
                with spool:
                    echoed = token.encode() in spool.read()
            if spool is None or not echoed:
                raise StoreError(
                    f"the Graph Store endpoint {config.gsp_url} did not return the test graph as N-Triples; "
                    "check --gsp-url (or leave it out: kg then reads through the query endpoint)"
                )
    finally:
        store.update(f"DROP SILENT GRAPH <{scratch}>", what="dropping the test graph")
    if not union:
        raise StoreError(
            f"the store at {config.query_url} ({engine}) does not show named graphs in its default graph; kg "
            f"needs the default graph to be the union of all named graphs, as in its embedded store. To fix: "
            f"{_engine_advice(engine)}; then run kg connect again"
        )
    return engine


def connect_store(data_dir: Path, config: RemoteConfig) -> Connection:
    """Check the store and write ``data_dir/store.json`` (mode 0600, no password): what kg connect does."""
    with RemoteStore(config) as store:
        engine = check_store(store)
        quads = len(store)
        graphs = len(store.graph_names())
    path = write_store_config(data_dir, config)
    return Connection(engine=engine, quads=quads, graphs=graphs, config_file=path)


# -- restore ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteRestore:
    quads: int
    graphs: int
    replaced: bool


def restore_remote(path: Path, store: RemoteStore, *, replace_all: bool = False) -> RemoteRestore:
    """Load a kg dump into the external store; the file is parsed and counted whole before anything is sent.

    Not atomic: the quads go in chunks (blank-node groups whole), so a failure while sending
    leaves part of the dump in the store; run the restore again with --replace-all. Blank
    nodes get the store's own labels. The file is read twice rather than held in memory.
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file (give the N-Quads file written by kg dump)")
    with path.open("rb") as source:
        is_kg_dump = source.read(9) == b"# kg dump"
    expected, lines = closing_count(path)
    if is_kg_dump and expected is None:
        raise InputError(
            f"{path}, line {lines}: the dump ends without its closing '# end of kg dump' line, so "
            "it was cut short; nothing was restored. Dump the store again"
        )
    quads = 0
    graphs: set[str] = set()
    try:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
            quads += 1
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                graphs.add(str(quad.graph_name))
    except SyntaxError as exc:
        where = f", line {exc.lineno}" if exc.lineno else ""
        raise InputError(
            f"{path}{where}: not valid N-Quads ({exc.args[0]}); the file is damaged or not a kg dump, "
            "nothing was restored"
        ) from exc
    if expected is not None and expected != quads:
        raise InputError(
            f"{path}, line {lines}: the closing line counts {expected} quads but the file "
            f"holds {quads}; the dump was edited or damaged, nothing was restored"
        )
    existing = len(store)
    if existing and not replace_all:
        raise StoreError(
            f"the store at {store.config.query_url} already holds {existing} quads; add --replace-all to "
            "empty it and load the dump (kg dump it first if you may want it back)"
        )
    if existing:
        store.clear()
    store.extend(ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS))
    return RemoteRestore(quads=quads, graphs=len(graphs), replaced=bool(existing))
