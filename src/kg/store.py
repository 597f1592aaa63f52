"""The embedded, persistent store (Oxigraph): one named graph per document, written atomically.

A document is replaced by one SPARQL update (drop its graph, insert the new triples),
which Oxigraph applies as a single transaction: a crash leaves either the old document or
the new one, never half of either. Ontology and vocabularies live in graphs of their own.

Batches of new documents (``replace_graphs_many``) go through Oxigraph's bulk loader instead,
several times cheaper per quad than a transaction, guarded by a journal (see ``_BulkJournal``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
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
_INGESTED_AT = ox.NamedNode(KG + "ingestedAt")

GraphWrite = tuple[dict[str, list[ox.Quad]], Sequence[ox.Quad], Sequence[str]]
"""One atomic write: ``replace_graphs``' arguments (graphs, extra, before) as a tuple, for batches."""

JOURNAL_NAME = "kg-bulk-journal.json"
"""In the store's folder while a bulk write of new documents is under way (``_BulkJournal``)."""
BULK_MIN_DOCUMENTS = 8
"""Fewer new documents than this in a row are written one transaction each: the bulk loader
writes files of its own per call, which only pays off over several documents."""


_NAMED: dict[URIRef, ox.NamedNode] = {}
_NAMED_MAX = 20_000  # then the cache starts again: documents' own IRIs would otherwise pile up


def to_oxigraph(term: Any) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as the pyoxigraph term with the same value.

    IRIs are cached: every document repeats the vocabulary's classes and properties, and
    building the pyoxigraph node (which validates the IRI) cost more than the look-up.
    """
    if isinstance(term, URIRef):
        node = _NAMED.get(term)
        if node is None:
            if len(_NAMED) >= _NAMED_MAX:
                _NAMED.clear()
            node = _NAMED[term] = ox.NamedNode(str(term))
        return node
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, RdfLiteral):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype:
            return ox.Literal(str(term), datatype=to_oxigraph(term.datatype))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store RDF term {term!r}")


def quads_of(graph: Graph, graph_iri: str) -> list[ox.Quad]:
    target = ox.NamedNode(graph_iri)
    term, quad = to_oxigraph, ox.Quad
    return [quad(term(s), term(p), term(o), target) for s, p, o in graph]


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
    target = ox.NamedNode(graph_iri)
    return [
        ox.Quad(s, p, o, target) for s, p, o in document_triples(graph, graph_iri, ingested_at=ingested_at)
    ]


def document_triples(
    graph: Graph, graph_iri: str, *, ingested_at: dt.datetime | None = None
) -> list[tuple[ox.NamedNode | ox.BlankNode, ox.NamedNode, ox.NamedNode | ox.BlankNode | ox.Literal]]:
    """``document_quads`` as pyoxigraph triples: what the inference rules read (a quad's parts
    are new Python objects each time they are asked for, so reading them back costs)."""
    term = to_oxigraph
    triples = [(term(s), term(p), term(o)) for s, p, o in graph]
    if ingested_at is not None:
        node = ox.NamedNode(graph_iri)
        stamp = ox.Literal(ingested_at.isoformat(timespec="seconds"), datatype=_XSD_DATETIME)
        triples.append((node, _INGESTED_AT, stamp))
    return triples  # type: ignore[return-value]


class EmbeddedStore:
    """kg's default store: Oxigraph on disk in a data directory (or in memory for tests)."""

    remote = False  # kg.remote_store.RemoteStore is the external one

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
        if path is not None:
            _BulkJournal(path).recover(self._store)

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

    def replace_graphs_many(self, items: Sequence[GraphWrite]) -> int:
        """``replace_graphs`` for each item, in order: each lands whole, a crash may land a prefix.

        Runs of new documents (no graph of theirs stored yet, nothing to drop or run before)
        go to Oxigraph's bulk loader in one call, which writes every index at once and skips
        the per-quad transaction bookkeeping; the journal lets the next writer remove such a
        run if the call was cut short. Anything else is one transaction per item, as before.
        Returns the number of quads written.
        """
        written = 0
        run: list[GraphWrite] = []
        names: set[str] = set()
        for item in items:
            graphs, extra, before = item
            if self._is_new(graphs, extra, before):
                if names.isdisjoint(graphs):
                    run.append(item)
                    names.update(graphs)
                    continue
                written += self._write_new(run)
                run, names = [item], set(graphs)
                continue
            written += self._write_new(run)
            run, names = [], set()
            written += self.replace_graphs(graphs, extra=extra, before=before)
        return written + self._write_new(run)

    def _is_new(
        self, graphs: dict[str, list[ox.Quad]], extra: Sequence[ox.Quad], before: Sequence[str]
    ) -> bool:
        """Whether writing the item only adds quads: then removing its graphs undoes it exactly."""
        return (
            not before
            and any(graphs.values())
            and not any(self.has_graph(iri) for iri in graphs)
            and not any(quad in self._store for quad in extra)
        )

    def _write_new(self, run: list[GraphWrite]) -> int:
        if len(run) < BULK_MIN_DOCUMENTS or self.path is None:
            # One transaction per item; in memory a crash loses everything anyway.
            return sum(self.replace_graphs(graphs, extra=extra) for graphs, extra, _ in run)
        quads = [q for graphs, extra, _ in run for group in (*graphs.values(), extra) for q in group]
        journal = _BulkJournal(self.path)
        journal.begin(
            [iri for graphs, _, _ in run for iri in graphs], [q for _, extra, _ in run for q in extra]
        )
        try:
            if any(isinstance(q.subject, ox.BlankNode) or isinstance(q.object, ox.BlankNode) for q in quads):
                self._store.bulk_extend(quads)  # keeps blank node labels, as a transaction does
            else:
                # N-Quads text rather than bulk_extend: bulk_load lets go of Python's lock while it
                # parses and writes, so a caller's other thread keeps building the next documents.
                text = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
                self._store.bulk_load(text, format=ox.RdfFormat.N_QUADS)
        except (OSError, SyntaxError) as exc:
            journal.recover(self._store)
            first = next(iter(run[0][0]))
            raise StoreError(
                f"writing {len(run)} new documents (from <{first}>) failed: {exc}; none of them was kept"
            ) from exc
        journal.end()
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


class _BulkJournal:
    """What a bulk write of new documents is adding, on disk until the write has finished.

    Oxigraph's bulk loader commits all of one call's files together, but kg does not rely on
    that alone: before the call, the names of the graphs it creates and the extra quads it
    adds (embargo entries) are written here and synced; after it, the file goes. A writer
    that opens the store and finds the file knows the call may have been cut short, and
    removes exactly what it lists (nothing in it existed before the call), so a killed batch
    leaves whole documents that were acknowledged and nothing of the rest.
    """

    def __init__(self, store_dir: Path) -> None:
        self.path = store_dir / JOURNAL_NAME

    def begin(self, graphs: list[str], extra: list[ox.Quad]) -> None:
        body = {"graphs": graphs, "extra": ox.serialize(extra, format=ox.RdfFormat.N_QUADS).decode("utf-8")}
        partial = self.path.with_suffix(".partial")
        with partial.open("w", encoding="utf-8") as sink:
            json.dump(body, sink)
            sink.flush()
            os.fsync(sink.fileno())
        partial.replace(self.path)
        self._sync_folder()

    def end(self) -> None:
        self.path.unlink()
        self._sync_folder()

    def _sync_folder(self) -> None:
        """Make the journal's appearance or removal durable, not just the bytes in it."""
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)

    def recover(self, store: ox.Store) -> None:
        """Undo an interrupted bulk write, if the last writer left one; says so on stderr."""
        self.path.with_suffix(".partial").unlink(missing_ok=True)  # the write had not started
        try:
            body = json.loads(self.path.read_text(encoding="utf-8"))
            graphs, extra = list(body["graphs"]), str(body["extra"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"{self.path} records an interrupted bulk write but cannot be read ({exc}). Restore the "
                "data folder from a backup (kg restore), or delete that file to keep the store as it is."
            ) from exc
        present = [iri for iri in graphs if store.contains_named_graph(ox.NamedNode(iri))]
        quads = [q for q in ox.parse(extra.encode("utf-8"), format=ox.RdfFormat.N_QUADS) if q in store]
        parts = [f"DROP SILENT GRAPH <{iri}>" for iri in present]
        if quads:
            parts.append("DELETE DATA {\n" + _quads_block(quads) + "\n}")
        try:
            if parts:
                store.update(" ;\n".join(parts))
            store.flush()
        except (OSError, SyntaxError) as exc:
            raise StoreError(f"cannot undo the interrupted bulk write listed in {self.path}: {exc}") from exc
        self.end()
        documents = sorted({iri.removesuffix("/inferred") for iri in graphs})
        shown = ", ".join(documents[:3]) + (f" and {len(documents) - 3} more" if len(documents) > 3 else "")
        done = "removed what had landed" if present or quads else "none of it had landed"
        print(
            f"kg: the last write to {self.path.parent} was interrupted while adding {len(documents)} new "
            f"document(s) ({shown}); {done}, so the store holds none of them. Ingest them again.",
            file=sys.stderr,
        )


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
