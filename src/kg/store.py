"""The embedded, persistent store (Oxigraph): one named graph per document, written atomically.

A document is replaced by one SPARQL update (drop its graph, insert the new triples),
which Oxigraph applies as a single transaction: a crash leaves either the old document or
the new one, never half of either. Ontology and vocabularies live in graphs of their own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from rdflib import BNode, Graph, URIRef
from rdflib import Literal as RdfLiteral

from kg.config import ONTOLOGY_NS, Settings
from kg.errors import QueryError, StoreError

KG = ONTOLOGY_NS
_XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")


def to_oxigraph(term: Any) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as the pyoxigraph term with the same value."""
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store RDF term {term!r}")


def quads_of(graph: Graph, graph_iri: str) -> list[ox.Quad]:
    target = ox.NamedNode(graph_iri)
    return [ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), target) for s, p, o in graph]


def _quads_block(quads: list[ox.Quad]) -> str:
    """INSERT DATA's body: quads grouped by graph (GRAPH <g> { ... }), as SPARQL requires."""
    by_graph: dict[str, list[str]] = {}
    for quad in quads:
        by_graph.setdefault(str(quad.graph_name), []).append(
            f"{quad.subject} {quad.predicate} {quad.object} ."
        )
    return "\n".join(f"GRAPH {name} {{\n" + "\n".join(lines) + "\n}" for name, lines in by_graph.items())


def document_quads(graph: Graph, graph_iri: str, *, ingested_at: dt.datetime | None = None) -> list[ox.Quad]:
    """A document's triples as quads of its graph, with the time it was ingested when given."""
    quads = quads_of(graph, graph_iri)
    if ingested_at is not None:
        node = ox.NamedNode(graph_iri)
        stamp = ox.Literal(ingested_at.isoformat(timespec="seconds"), datatype=_XSD_DATETIME)
        quads.append(ox.Quad(node, ox.NamedNode(KG + "ingestedAt"), stamp, node))
    return quads


class EmbeddedStore:
    """kg's default store: Oxigraph on disk in a data directory (or in memory for tests)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        try:
            if path is None:
                self._store = ox.Store()
            else:
                path.mkdir(parents=True, exist_ok=True)
                self._store = ox.Store(str(path))
        except OSError as exc:
            raise StoreError(
                f"cannot open the store in {path}: {exc}. If another kg process (kg serve, kg ingest) is "
                "using it, stop that process or point --data-dir / KG_DATA_DIR elsewhere."
            ) from exc

    @property
    def raw(self) -> ox.Store:
        """The pyoxigraph store, for the few modules that read quads directly (kg.publish)."""
        return self._store

    @classmethod
    def read_only(cls, path: Path) -> EmbeddedStore:
        """A published snapshot, opened for reading (snapshots are never written after publication)."""
        store = cls.__new__(cls)
        store.path = path
        try:
            store._store = ox.Store.read_only(str(path))
        except OSError as exc:
            raise StoreError(f"cannot open the snapshot in {path}: {exc}") from exc
        store._read_only = True
        return store

    def __enter__(self) -> EmbeddedStore:
        return self

    def __exit__(self, *exc: object) -> None:
        """Leaving a ``with`` block flushes and closes, even while an exception still holds this object."""
        self.close()

    def close(self) -> None:
        """Release the store (and its RocksDB lock) now; the object cannot be used afterwards."""
        if "_store" in self.__dict__:
            self.flush()
            del self._store

    # -- writing --------------------------------------------------------------------------

    def replace_graph(self, graph_iri: str, triples: Graph, *, ingested_at: dt.datetime | None = None) -> int:
        """Swap the whole content of one named graph in one transaction; returns the triple count."""
        return self.replace_graphs({graph_iri: document_quads(triples, graph_iri, ingested_at=ingested_at)})

    def replace_graphs(
        self, graphs: dict[str, list[ox.Quad]], *, extra: Sequence[ox.Quad] = (), before: Sequence[str] = ()
    ) -> int:
        """Swap several named graphs (a document and its inferred graph) and add ``extra`` quads, all at once.

        One SPARQL update is one Oxigraph transaction: a crash leaves every graph as it was before
        or every graph as it is after, never a document beside a stale inferred graph. An empty
        list drops that graph. ``before`` are SPARQL update operations run first, in the same
        transaction (kg uses them to clear an embargo entry). Returns the number of quads written.
        """
        quads = [q for group in graphs.values() for q in group] + list(extra)
        names = ", ".join(f"<{g}>" for g in graphs)
        if quads and not before and not any(self.has_graph(iri) for iri in graphs):
            # Nothing to drop (a new document): Store.extend is one transaction as well, and
            # skips writing and parsing the update's text.
            try:
                self._store.extend(quads)
            except OSError as exc:
                raise StoreError(f"writing graphs {names} failed: {exc}") from exc
            return len(quads)
        parts = [*before, *(f"DROP SILENT GRAPH <{iri}>" for iri in graphs)]
        if quads:
            parts.append("INSERT DATA {\n" + _quads_block(quads) + "\n}")
        try:
            self._store.update(" ;\n".join(parts))
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"writing graphs {names} failed: {exc}") from exc
        return len(quads)

    def backup(self, target: Path) -> None:
        """A consistent copy of the store in a new folder (hard links where it can): how kg publishes."""
        try:
            self.flush()
            self._store.backup(str(target))
        except OSError as exc:
            raise StoreError(f"cannot copy the store into {target}: {exc}") from exc

    def remove_graph(self, graph_iri: str) -> bool:
        node = ox.NamedNode(graph_iri)
        if not self._store.contains_named_graph(node):
            return False
        self._store.update(f"DROP GRAPH <{graph_iri}>")
        return True

    def flush(self) -> None:
        if self.path is not None and not getattr(self, "_read_only", False):
            self._store.flush()

    # -- reading --------------------------------------------------------------------------

    def has_graph(self, graph_iri: str) -> bool:
        return self._store.contains_named_graph(ox.NamedNode(graph_iri))

    def graph_value(self, graph_iri: str, predicate: str) -> str | None:
        """One literal the graph states about itself (its digest, its ingest time)."""
        node = ox.NamedNode(graph_iri)
        for quad in self._store.quads_for_pattern(node, ox.NamedNode(predicate), None, node):
            return str(quad.object.value)
        return None

    def graph_names(self) -> list[str]:
        return sorted(str(g.value) for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def graph_triples(self, graph_iri: str) -> Iterator[ox.Quad]:
        return iter(self._store.quads_for_pattern(None, None, None, ox.NamedNode(graph_iri)))

    def __len__(self) -> int:
        return len(self._store)

    def query(
        self,
        sparql: str,
        *,
        union: bool = True,
        substitutions: dict[str, ox.NamedNode | ox.Literal] | None = None,
        graphs: list[str] | None = None,
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """Run a SPARQL query; by default the default graph is the union of all graphs.

        ``graphs`` restricts the query to those named graphs (and the store's default graph):
        they form its default graph and are the only graphs GRAPH can reach. Both lists are
        given, since with only one of them a query could still reach the other graphs.
        """
        options: dict[str, Any] = {"use_default_graph_as_union": union}
        if graphs is not None:
            names = [ox.NamedNode(iri) for iri in graphs]
            options = {"default_graph": [ox.DefaultGraph(), *names], "named_graphs": names}
        try:
            return self._store.query(
                sparql,
                substitutions={ox.Variable(k): v for k, v in (substitutions or {}).items()} or None,
                **options,
            )
        except SyntaxError as exc:
            raise QueryError(f"the SPARQL query does not parse: {exc}") from exc
        except OSError as exc:
            raise QueryError(f"the query failed while reading the store: {exc}") from exc

    def dump(self, output: Any, rdf_format: ox.RdfFormat) -> None:
        self._store.dump(output, format=rdf_format)

    def load_quads(self, data: bytes, rdf_format: ox.RdfFormat) -> None:
        try:
            self._store.load(data, format=rdf_format)
        except SyntaxError as exc:
            raise StoreError(f"the file does not parse as {rdf_format}: {exc}") from exc

    def extend(self, quads: Iterable[ox.Quad]) -> None:
        self._store.extend(quads)


def open_working_store(settings: Settings) -> EmbeddedStore:
    """The working store of a data folder, refusing a folder laid out as before snapshots existed.

    Such a folder holds the store's own files at its top level; opening ``store/`` beside them
    would silently start an empty graph.
    """
    legacy = settings.data_dir / "CURRENT"
    if legacy.is_file() and not settings.store_dir.exists():
        folder = settings.data_dir
        raise StoreError(
            f"{folder} holds a store in the old layout (its files at the top level). kg now keeps the "
            f"working store in {settings.store_dir} and publishes snapshots beside it. Move it once, with "
            f"no kg process running: cd {folder} && mkdir store && find . -maxdepth 1 -type f "
            "-exec mv {} store/ \\;"
        )
    return EmbeddedStore(settings.store_dir)
